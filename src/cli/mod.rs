//! The `hearken` command line: one module per subcommand.

mod cases;
mod check_config;
mod demo;
mod erase;
mod replay;
mod run;
mod score;
mod search;
mod train;
mod webhooks;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "hearken", version, about = "Social listening for hospitals: finds patients' public complaints and turns them into cases")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service: sources → pipeline → stores, and the HTTP API.
    Run(run::Args),
    /// Score posts from stdin (JSON lines) to stdout (assessments).
    Score(score::Args),
    /// Feed a JSON-lines corpus through the whole pipeline and print a summary.
    Replay(replay::Args),
    /// Search the stored relevant posts.
    Search(search::Args),
    /// Print the alert queue.
    Cases(cases::Args),
    /// Check a config file and the secrets in the environment.
    CheckConfig(check_config::Args),
    /// Replay the sample corpus and show the alert queue and a search.
    Demo(demo::Args),
    /// List and retry the webhook deliveries to the hospital CRM.
    Webhooks(webhooks::Args),
    /// Erase an author's posts (or single posts) from every store; apply retention.
    Erase(erase::Args),
    /// Adapt the complaint model to labelled posts and to the officers' case verdicts.
    Train(train::Args),
}

/// Options every command that builds the pipeline shares.
#[derive(clap::Args, Clone)]
pub struct ConfigArgs {
    /// Config file (TOML). Default: config/default.toml when it exists, else built-in defaults.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Run(a) => run::run(a),
        Command::Score(a) => score::run(a),
        Command::Replay(a) => replay::run(a),
        Command::Search(a) => search::run(a),
        Command::Cases(a) => cases::run(a),
        Command::CheckConfig(a) => check_config::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Webhooks(a) => webhooks::run(a),
        Command::Erase(a) => erase::run(a),
        Command::Train(a) => train::run(a),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`hearken cases | head`): not an error of ours.
        Err(e) if e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)) => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hearken: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HEARKEN_LOG").unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

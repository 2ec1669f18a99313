//! The `hearken` command line: one module per subcommand.

// mod cases;
// mod check_config;
// mod demo;
// mod replay;
// mod run;
mod score;
// mod search;

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
    Score(score::Args),
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
        Command::Score(a) => score::run(a),
    };
    match result {
        Ok(code) => code,
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

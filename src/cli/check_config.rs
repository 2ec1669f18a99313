//! `hearken check-config`: every problem with a config file and the environment.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{Config, DEFAULT_CONFIG};

/// Check a config file and the secrets in the environment (HEARKEN_API_TOKENS,
/// HEARKEN_WEBHOOK_SECRET, HEARKEN_KAFKA_BROKERS, the sources' token variables). Every problem found is printed with
/// its key and what to do. Exit status: 0 when the config is usable, 1 otherwise.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  hearken check-config
  HEARKEN_API_TOKENS=officer:$(openssl rand -hex 24) hearken check-config --config config/distributed.toml")]
pub struct Args {
    /// Config file to check.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    config: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = match Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            println!("{}: 1 problem", args.config.display());
            println!("  - {e:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut problems = config.problems();
    // Secrets are read when a source starts; say now which are missing here.
    for (i, source) in config.sources.iter().enumerate() {
        for var in source.secret_vars() {
            if std::env::var(var).map_or(true, |v| v.trim().is_empty()) {
                let name = source.stream_key().unwrap_or_default();
                problems.push(format!("sources[{i}] ({name}): the environment variable {var} is not set; export it (secrets never go in the config file)"));
            }
        }
    }
    if problems.is_empty() {
        println!("{}: OK ({:?} mode, data in {})", args.config.display(), config.mode, config.data_dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}: {} problem{}", args.config.display(), problems.len(), if problems.len() == 1 { "" } else { "s" });
    for p in &problems {
        println!("  - {p}");
    }
    Ok(ExitCode::FAILURE)
}

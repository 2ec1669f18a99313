//! `hearken demo`: the sample corpus through the embedded pipeline, then the alert queue
//! and a search, so a newcomer sees the whole product in one command.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::model::CaseStatus;
use crate::sinks::DataDir;

/// Replay the team's sample corpus (three fictional hospitals, English and Indonesian,
/// with one spreading story) into a demo data dir, print the alert queue and a search.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  hearken demo
  hearken demo --query 'billing' --data-dir /tmp/hearken-demo")]
pub struct Args {
    #[arg(long, value_name = "FILE", default_value = "tests/data/sample_posts.jsonl")]
    corpus: PathBuf,
    #[command(flatten)]
    config: super::ConfigArgs,
    #[arg(long, value_name = "DIR", default_value = "data/demo")]
    data_dir: PathBuf,
    /// What to search for after the replay.
    #[arg(long, default_value = "diagnosa")]
    query: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut config = Config::load_or_default(args.config.config.as_deref())?;
    config.data_dir = args.data_dir.clone();
    println!("replaying {} into {}", args.corpus.display(), args.data_dir.display());
    let summary = super::replay::replay(&config, &args.corpus, true)?;
    super::replay::print_summary(&summary);
    let dir = DataDir::new(&args.data_dir);
    let mut out = std::io::stdout().lock();
    writeln!(out)?;
    super::cases::print_queue(&mut out, &super::cases::list(&dir, Some(CaseStatus::Open), 10)?)?;
    writeln!(out)?;
    super::search::print_hits(&mut out, &args.query, &super::search::search(&dir, &args.query, 5)?)?;
    Ok(ExitCode::SUCCESS)
}

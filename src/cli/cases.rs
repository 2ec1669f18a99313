//! `hearken cases`: the alert queue from the terminal.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::model::{Case, CaseStatus};
use crate::sinks::{CaseStore, DataDir};

/// List cases in queue order: most urgent first (P1 before P2 …), then most recent.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  hearken cases                      # the open alert queue
  hearken cases --status resolved --limit 100
  hearken cases --json | jq '.post_uids | length'")]
pub struct Args {
    /// open, acknowledged, assigned, resolved, dismissed, or all.
    #[arg(long, default_value = "open")]
    status: String,
    #[command(flatten)]
    config: super::ConfigArgs,
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// One JSON case per line instead of the table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load_or_default(args.config.config.as_deref())?;
    let dir = DataDir::new(args.data_dir.as_deref().unwrap_or(&config.data_dir));
    let status = match args.status.as_str() {
        "all" => None,
        s => Some(CaseStatus::parse(s).ok_or_else(|| {
            anyhow::anyhow!("--status {s} is not a case status; use open, acknowledged, assigned, resolved, dismissed or all")
        })?),
    };
    let cases = list(&dir, status, args.limit)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        for case in &cases {
            writeln!(out, "{}", serde_json::to_string(case)?)?;
        }
    } else {
        print_queue(&mut out, &cases)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn list(dir: &DataDir, status: Option<CaseStatus>, limit: usize) -> anyhow::Result<Vec<Case>> {
    if !dir.case_store().exists() {
        anyhow::bail!("no case store in {}; run `hearken replay FILE` or `hearken run` first", dir.root.display());
    }
    CaseStore::open(&dir.case_store())?.cases(status, limit)
}

pub fn print_queue(out: &mut impl Write, cases: &[Case]) -> std::io::Result<()> {
    writeln!(out, "alert queue: {} case{}", cases.len(), if cases.len() == 1 { "" } else { "s" })?;
    for c in cases {
        let cats: Vec<&str> = c.categories.iter().map(|c| c.as_str()).collect();
        writeln!(
            out,
            "  {:<3} {:<22} {:<12} {} {:<24} posts {:<3} {}",
            c.priority.as_str(),
            c.id,
            c.status.as_str(),
            c.entity.kind.as_str().chars().next().unwrap_or('?'),
            c.entity.id,
            c.post_uids.len(),
            if cats.is_empty() { "-".to_string() } else { cats.join(",") },
        )?;
        writeln!(out, "      {}", super::search::one_line(&c.summary, 110))?;
    }
    Ok(())
}

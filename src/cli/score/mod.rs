//! `hearken score`: posts as JSON lines on stdin, one assessment per line on stdout.

mod lines;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::core::{EntitiesFile, Scorer};
use crate::pipeline::dead_letter::{DeadLetter, DeadLetterFile};

/// Score posts from stdin: one JSON post per line in, one JSON assessment per line out.
///
/// Each input line is a post ({"id": "...", "text": "...", ...}; see DESIGN.md). A line
/// that is not a valid post (not JSON, no "text", text over 64 KiB, …) does not stop the
/// run: it is reported on stderr as `line N: reason`, written to --dead-letter FILE if
/// given, and the next line is read. A summary goes to stderr at the end.
///
/// Posts are scored on every core; the output keeps the input order and is the same as
/// scoring one post after another.
///
/// Exit status: 0 when every line was scored; 3 when some lines were rejected (all the
/// others were scored); 1 when hearken could not run at all (bad config, unreadable
/// entities file, output closed).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  printf '%s\\n' '{\"id\":\"1\",\"text\":\"Waited 5 hours at the ER, nobody came\"}' | hearken score
  hearken score --entities my_hospital.toml < posts.jsonl > assessments.jsonl
  hearken score --dead-letter rejected.jsonl < posts.jsonl | jq 'select(.escalate)'")]
pub struct Args {
    #[command(flatten)]
    config: super::ConfigArgs,
    /// Entities file that replaces the configured one.
    #[arg(long, value_name = "FILE")]
    entities: Option<PathBuf>,
    /// Append rejected lines here, one JSON object each: {line, reason, raw}.
    #[arg(long, value_name = "FILE")]
    dead_letter: Option<PathBuf>,
    /// Threads that score posts (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Do not print the summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load_or_default(args.config.config.as_deref())?;
    let entities_path = args.entities.unwrap_or_else(|| config.core.entities.clone());
    let entities = EntitiesFile::load(&entities_path)?;
    let scorer = Scorer::new(&config.core, &entities)?;
    let mut dead = match &args.dead_letter {
        Some(path) => Some(DeadLetterFile::open(path)?),
        None => None,
    };
    let mut options = lines::Options::default();
    if let Some(n) = args.threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
        options.workers = n;
    }

    let mut out = std::io::stdout().lock();
    let summary = lines::score_lines(&scorer, std::io::stdin(), &mut out, options, |r| {
        eprintln!("line {}: {}", r.line, r.reason);
        if let Some(dead) = dead.as_mut() {
            dead.write(&DeadLetter::rejected_line(r.line, &r.reason, &r.raw))?;
        }
        Ok(())
    })?;
    if let Some(dead) = dead.as_mut() {
        dead.flush()?;
    }
    if !args.quiet {
        let lines::Summary { scored, relevant, complaints, rejected } = summary;
        eprintln!("scored {scored} posts: {relevant} relevant, {complaints} relevant complaints; {rejected} lines rejected");
    }
    // The lexicons and automata are freed by the exit; dropping them piece by piece would
    // only add to the run time.
    std::mem::forget(scorer);
    Ok(if summary.rejected > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

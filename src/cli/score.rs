//! `hearken score`: posts as JSON lines on stdin, one assessment per line on stdout.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::core::{EntitiesFile, Scorer};
use crate::model::Post;
use crate::pipeline::dead_letter::{DeadLetter, DeadLetterFile};

/// Score posts from stdin: one JSON post per line in, one JSON assessment per line out.
///
/// Each input line is a post ({"id": "...", "text": "...", ...}; see DESIGN.md). A line
/// that is not a valid post (not JSON, no "text", text over 64 KiB, …) does not stop the
/// run: it is reported on stderr as `line N: reason`, written to --dead-letter FILE if
/// given, and the next line is read. A summary goes to stderr at the end.
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
    /// Do not print the summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load_or_default(args.config.config.as_deref())?;
    let entities_path = args.entities.unwrap_or_else(|| config.core.entities.clone());
    let entities = EntitiesFile::load(&entities_path)?;
    let mut scorer = Scorer::new(&config.core, &entities)?;
    let mut dead = match &args.dead_letter {
        Some(path) => Some(DeadLetterFile::open(path)?),
        None => None,
    };

    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let (mut scored, mut relevant, mut complaints, mut rejected) = (0u64, 0u64, 0u64, 0u64);
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0u64;
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        match Post::from_json_line(line) {
            Ok(post) => {
                let assessment = scorer.score(&post);
                scored += 1;
                relevant += assessment.relevant as u64;
                complaints += (assessment.relevant && assessment.complaint.is_complaint) as u64;
                serde_json::to_writer(&mut out, &assessment)?;
                out.write_all(b"\n")?;
            }
            Err(e) => {
                rejected += 1;
                eprintln!("line {line_no}: {e}");
                if let Some(dead) = dead.as_mut() {
                    dead.write(&DeadLetter::rejected_line(line_no, &e.to_string(), line))?;
                }
            }
        }
    }
    out.flush()?;
    if let Some(dead) = dead.as_mut() {
        dead.flush()?;
    }
    if !args.quiet {
        eprintln!("scored {scored} posts: {relevant} relevant, {complaints} relevant complaints; {rejected} lines rejected");
    }
    Ok(if rejected > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

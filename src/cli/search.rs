//! `hearken search QUERY`: the search index from the terminal.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::sinks::{DataDir, Hit, SearchIndex};

/// Search the relevant posts stored in the data dir's index.
///
/// Words must all appear (AND); "quoted phrases" match in order; filters narrow it down:
/// entity:ID, category:ID, lang:en|id|ms, sentiment:negative, priority:P1.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  hearken search 'waited hours'
  hearken search '\"salah diagnosa\" entity:zenith-serpong'
  hearken search 'category:billing lang:id' --limit 50 --json")]
pub struct Args {
    query: String,
    #[command(flatten)]
    config: super::ConfigArgs,
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// One JSON object per hit instead of the table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load_or_default(args.config.config.as_deref())?;
    let dir = DataDir::new(args.data_dir.as_deref().unwrap_or(&config.data_dir));
    let hits = search(&dir, &args.query, args.limit)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        for hit in &hits {
            writeln!(out, "{}", serde_json::to_string(hit)?)?;
        }
    } else {
        print_hits(&mut out, &args.query, &hits)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn search(dir: &DataDir, query: &str, limit: usize) -> anyhow::Result<Vec<Hit>> {
    if !dir.search_index().exists() {
        anyhow::bail!("no search index in {}; run `hearken replay FILE` or `hearken run` first", dir.root.display());
    }
    SearchIndex::open(&dir.search_index())?.search(query, limit)
}

pub fn print_hits(out: &mut impl Write, query: &str, hits: &[Hit]) -> std::io::Result<()> {
    writeln!(out, "search \"{query}\": {} hit{}", hits.len(), if hits.len() == 1 { "" } else { "s" })?;
    for hit in hits {
        writeln!(out, "  {:<3} {:<22} {}", hit.priority, hit.uid, one_line(&hit.text, 100))?;
        if !hit.entities.is_empty() {
            writeln!(out, "      entities: {}", hit.entities.join(", "))?;
        }
    }
    Ok(())
}

pub fn one_line(text: &str, max_chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max_chars {
        flat
    } else {
        format!("{}…", flat.chars().take(max_chars - 1).collect::<String>())
    }
}

//! `hearken train`: adapt the complaint model to a hospital's labelled posts and to the
//! verdicts its officers gave on cases.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::Config;
use crate::core::complaint::adapt::{self, Scores};
use crate::core::complaint::model::{LinearModel, BUILTIN};
use crate::sinks::{CaseStore, DataDir};

/// Adapt the complaint model: start from the built-in model and fit it to labelled
/// examples, pulled toward the built-in weights so a few hundred posts move only what they
/// clearly argue for. Prints the 5-fold cross-validated macro-F1 and recall of the
/// built-in and the adapted model on the examples, and writes the adapted model to --out;
/// score with it by setting `complaint_model = "FILE"` under [core] in the config.
///
/// Each line of an --examples file is {"text": "...", "complaint": true|false}; blank
/// lines are skipped. With --from-cases, the posts of the case store's judged stories are
/// examples too: dismissed cases' posts are not complaints; acknowledged, assigned and
/// resolved cases' posts are (cases resolved by a merge, open cases and volume spikes are
/// left out). Every run adapts the built-in model afresh, so train on all the examples
/// you have rather than on the new ones.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  hearken train --examples labelled.jsonl --out config/complaint_model.txt
  hearken train --examples a.jsonl --examples b.jsonl --from-cases --data-dir /var/lib/hearken --out model.txt")]
pub struct Args {
    /// JSON-lines file of labelled posts (repeatable).
    #[arg(long, value_name = "FILE")]
    examples: Vec<PathBuf>,
    /// Also learn from the cases officers acknowledged, assigned, resolved or dismissed.
    #[arg(long)]
    from_cases: bool,
    #[command(flatten)]
    config: super::ConfigArgs,
    /// Data dir holding the case store (default: data_dir of the config).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Where to write the adapted model.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Below this many examples the cross-validated figures are said to be rough.
const FEW: usize = 50;

/// Labelled posts of one source and how many are complaints.
struct Source {
    name: String,
    examples: Vec<(String, bool)>,
    /// What the count of complaints and non-complaints derives from, for the report.
    detail: String,
}

impl Source {
    fn summary(&self) -> String {
        let complaints = self.examples.iter().filter(|(_, y)| *y).count();
        format!(
            "{}: {} examples ({complaints} complaints, {} not){}",
            self.name,
            self.examples.len(),
            self.examples.len() - complaints,
            self.detail
        )
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut sources = Vec::new();
    for path in &args.examples {
        sources.push(Source { name: path.display().to_string(), examples: read_examples(path)?, detail: String::new() });
    }
    if args.from_cases {
        let config = Config::load_or_default(args.config.config.as_deref())?;
        sources.push(from_cases(&DataDir::new(args.data_dir.as_deref().unwrap_or(&config.data_dir)))?);
    }
    let total: usize = sources.iter().map(|s| s.examples.len()).sum();
    if total == 0 {
        anyhow::bail!(if sources.is_empty() {
            "no examples: pass --examples FILE (JSON lines {\"text\": \"...\", \"complaint\": true|false}) and/or --from-cases"
        } else {
            "the sources hold no examples: add lines {\"text\": \"...\", \"complaint\": true|false} to an --examples file, or judge cases (acknowledge, resolve, dismiss) before --from-cases"
        });
    }
    for s in &sources {
        println!("{}", s.summary());
    }

    let base = LinearModel::parse(BUILTIN)?;
    let result = adapt::adapt(&base, sources.iter().flat_map(|s| s.examples.iter().cloned()))?;
    let line = |what: &str, s: Scores| println!("  {what:8} macro-F1 {:.3}  complaint recall {:.3}", s.macro_f1, s.recall);
    println!("5-fold cross-validation on the {total} examples:");
    line("built-in", result.base);
    line("adapted", result.adapted);
    if total < FEW {
        println!("  (fewer than {FEW} examples: the figures are rough; label more posts to judge the model)");
    }

    let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
    let mut header = format!("hearken complaint model adapted by `hearken train` at {now}\nfrom the built-in model and:\n");
    for s in &sources {
        header.push_str(&format!("  {}\n", s.summary()));
    }
    header.push_str(&format!(
        "5-fold cross-validated on them: built-in macro-F1 {:.3} recall {:.3}, adapted macro-F1 {:.3} recall {:.3}",
        result.base.macro_f1, result.base.recall, result.adapted.macro_f1, result.adapted.recall
    ));
    std::fs::write(&args.out, result.model.to_text(&header))
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}; pass a writable --out FILE", args.out.display()))?;
    println!(
        "wrote {} (threshold {:.3}, {} weights); score with it: complaint_model = \"{}\" under [core] in the config",
        args.out.display(),
        result.model.threshold,
        result.model.weights.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads labelled posts, one JSON object a line; every malformed line is an error naming
/// the file and line: a silently skipped label would bias the model unseen.
fn read_examples(path: &Path) -> anyhow::Result<Vec<(String, bool)>> {
    let src = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read examples {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in src.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", path.display(), i + 1);
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| anyhow::anyhow!("{at}: not JSON ({e}); write {{\"text\": \"...\", \"complaint\": true}}"))?;
        let Some(text) = value.get("text").and_then(|t| t.as_str()) else {
            anyhow::bail!("{at}: no \"text\" string; each line needs the post's text");
        };
        let Some(label) = value.get("complaint").and_then(|c| c.as_bool()) else {
            anyhow::bail!("{at}: \"complaint\" must be true or false");
        };
        out.push((text.to_string(), label));
    }
    Ok(out)
}

fn from_cases(dir: &DataDir) -> anyhow::Result<Source> {
    let path = dir.case_store();
    if !path.exists() {
        anyhow::bail!("no case store in {}; run `hearken run` first, or pass --data-dir", dir.root.display());
    }
    let posts = CaseStore::open(&path)?.judged_posts()?;
    let cases = |complaint: bool| {
        let mut ids: Vec<&str> = posts.iter().filter(|p| p.is_complaint() == complaint).map(|p| p.case_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    let detail = format!(" from {} acknowledged, assigned or resolved and {} dismissed cases", cases(true), cases(false));
    let examples = posts.iter().map(|p| (p.text.clone(), p.is_complaint())).collect();
    Ok(Source { name: format!("cases in {}", path.display()), examples, detail })
}

//! `hearken webhooks`: the CRM outbox from the terminal — what is waiting, what was
//! delivered, what died, and sending dead deliveries again.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use time::OffsetDateTime;

use crate::config::Config;
use crate::sinks::DataDir;
use crate::webhook::{DeliveryState, Outbox, OutboxRow};

/// Inspect and retry the webhook deliveries to the hospital CRM. Every case event sent by
/// webhook is queued in the outbox of the case store; `hearken run` delivers it, retrying
/// failures with backoff until `webhook.max_attempts`, after which it is dead.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  hearken webhooks list --state dead            # deliveries the CRM never took, with the last error
  hearken webhooks retry --all-dead             # send them again (after fixing the CRM)
  hearken webhooks list --data-dir /var/lib/hearken --state pending")]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List deliveries, oldest first.
    List(ListArgs),
    /// Put dead deliveries back in the queue with a fresh retry budget.
    Retry(RetryArgs),
}

#[derive(clap::Args)]
#[command(after_help = "Examples:
  hearken webhooks list                         # every delivery, oldest first
  hearken webhooks list --state dead            # what the CRM never took, with the last error
  hearken webhooks list --state pending --json | jq -r .delivery_id")]
struct ListArgs {
    /// pending, delivered or dead (default: all).
    #[arg(long)]
    state: Option<String>,
    #[command(flatten)]
    config: super::ConfigArgs,
    /// Data dir holding the case store (default: data_dir of the config).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 1000)]
    limit: usize,
    /// One JSON delivery per line instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["id", "all_dead"])))]
#[command(after_help = "Examples:
  hearken webhooks retry --id case-3f2a9c0d1e2b4f60:1   # one delivery, by its X-Hearken-Delivery id
  hearken webhooks retry --all-dead                      # after fixing the CRM endpoint

A running `hearken run` picks revived deliveries up within a second; otherwise the next
`hearken run` sends them.")]
struct RetryArgs {
    /// The delivery id (`<case id>:<version>`) of one dead delivery.
    #[arg(long, value_name = "DELIVERY_ID")]
    id: Option<String>,
    /// Every dead delivery.
    #[arg(long)]
    all_dead: bool,
    #[command(flatten)]
    config: super::ConfigArgs,
    /// Data dir holding the case store (default: data_dir of the config).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::List(a) => list(a),
        Command::Retry(a) => retry(a),
    }
}

fn open(config: &super::ConfigArgs, data_dir: Option<PathBuf>) -> anyhow::Result<Outbox> {
    let config = Config::load_or_default(config.config.as_deref())?;
    let dir = DataDir::new(data_dir.as_deref().unwrap_or(&config.data_dir));
    if !dir.case_store().exists() {
        anyhow::bail!("no case store in {}; run `hearken run` first (or pass --data-dir)", dir.root.display());
    }
    Outbox::open(&dir.case_store())
}

fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let state = match args.state.as_deref() {
        None | Some("all") => None,
        Some(s) => Some(DeliveryState::parse(s).ok_or_else(|| anyhow::anyhow!("--state {s} is not a delivery state; use pending, delivered or dead"))?),
    };
    let outbox = open(&args.config, args.data_dir)?;
    let rows = outbox.list(state, args.limit)?;
    let counts = outbox.counts()?;
    match print(&rows, counts, args.json) {
        // `hearken webhooks list | head` closes the pipe early: that is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(ExitCode::SUCCESS),
    }
}

fn print(rows: &[OutboxRow], (pending, delivered, dead): (u64, u64, u64), json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        for row in rows {
            writeln!(out, "{}", serde_json::to_string(row)?)?;
        }
        return Ok(());
    }
    writeln!(out, "outbox: {pending} pending, {delivered} delivered, {dead} dead")?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    for row in rows {
        print_row(&mut out, row, now)?;
    }
    Ok(())
}

fn print_row(out: &mut impl Write, row: &OutboxRow, now: i64) -> std::io::Result<()> {
    let when = match row.state.as_str() {
        "pending" if row.next_attempt_at <= now => "due now".to_string(),
        "pending" => format!("next in {}", duration(row.next_attempt_at - now)),
        _ => format!("queued {} ago", duration(now - row.created_at)),
    };
    writeln!(out, "  {:<32} {:<12} {:<9} attempts {:<3} {}", row.delivery_id, row.event, row.state, row.attempts, when)?;
    if let Some(error) = &row.last_error {
        writeln!(out, "      last error: {}", super::search::one_line(error, 110))?;
    }
    Ok(())
}

fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..=119 => format!("{secs}s"),
        120..=7199 => format!("{}m", secs / 60),
        7200..=172_799 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

fn retry(args: RetryArgs) -> anyhow::Result<ExitCode> {
    let outbox = open(&args.config, args.data_dir)?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let n = outbox.revive(if args.all_dead { None } else { args.id.as_deref() }, now)?;
    println!("{n} dead deliver{} back in the queue", if n == 1 { "y" } else { "ies" });
    Ok(ExitCode::SUCCESS)
}

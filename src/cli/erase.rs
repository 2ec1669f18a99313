//! `hearken erase`: erasure on request, and retention.

use std::path::PathBuf;
use std::process::ExitCode;

use time::OffsetDateTime;

use crate::config::Config;
use crate::sinks::erasure::{self, Request};
use crate::sinks::{retention, DataDir};

/// Erase an author's posts, or single posts, from every store: ClickHouse (when
/// [clickhouse] is configured), the search index and the case store (posts, their trend
/// facts, their place in cases and in webhook payloads). The erasure is recorded — who,
/// when, a pseudonym of the author or the post uid, how many posts — without the handle
/// or any erased content, and erased posts are not stored again if they come back.
///
/// With --expired, apply the retention policy of the config ([retention] posts_days,
/// cases_days) instead: run it daily.
///
/// ClickHouse finds authors by their keyed pseudonym: HEARKEN_PSEUDONYM_KEY must be the
/// key the sink writes with. Stop `hearken run` on the same data dir first (the search
/// index has one writer).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  hearken erase --author @sari_w --actor siti --note 'request #1234'
  hearken erase --author sari_w@mastodon.example --author @sari.w.bsky.social
  hearken erase --post x:1904659610427020748 --post mastodon:114192443881967213
  HEARKEN_PSEUDONYM_KEY=... hearken erase --author @sari_w --config config/distributed.toml
  hearken erase --expired                       # daily: what [retention] expires")]
pub struct Args {
    /// An author whose posts to erase: the handle as the network shows it (`@` and case
    /// do not matter), or the author id for posts without a handle. Repeatable.
    #[arg(long, value_name = "HANDLE")]
    author: Vec<String>,
    /// A post to erase, by uid `source:id`. Repeatable.
    #[arg(long = "post", value_name = "UID")]
    posts: Vec<String>,
    /// Apply the retention policy ([retention] in the config) instead.
    #[arg(long, conflicts_with_all = ["author", "posts"])]
    expired: bool,
    /// Who asks for it, for the record (default: $USER).
    #[arg(long, value_name = "NAME")]
    actor: Option<String>,
    /// Why, for the record (a ticket number; not the person's name).
    #[arg(long, value_name = "TEXT", default_value = "")]
    note: String,
    #[command(flatten)]
    config: super::ConfigArgs,
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print the outcome as one JSON object.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.author.is_empty() && args.posts.is_empty() && !args.expired {
        anyhow::bail!("say what to erase: --author HANDLE, --post UID (both repeatable), or --expired; see `hearken erase --help`");
    }
    if let Some(bad) = args.posts.iter().find(|u| !u.contains(':')) {
        anyhow::bail!("--post {bad}: a post uid is source:id, e.g. x:1904659610427020748 (see `hearken search --json`)");
    }
    if let Some(bad) = args.author.iter().find(|a| crate::sinks::pseudonym::normalize_handle(a).is_empty()) {
        anyhow::bail!("--author {bad:?}: give the author's handle, e.g. @sari_w");
    }
    let mut config = Config::load_or_default(args.config.config.as_deref())?;
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    let dir = DataDir::new(&config.data_dir);
    if config.clickhouse.is_none() && !dir.case_store().exists() && !dir.search_index().exists() {
        anyhow::bail!("nothing to erase from: no [clickhouse] in the config and no stores in {}", dir.root.display());
    }
    let actor = args.actor.clone().or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "unknown".into());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    if args.expired {
        let out = runtime.block_on(retention::apply(&config, &dir, OffsetDateTime::now_utc(), &actor))?;
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "erasure_id": out.erasure_id,
                    "posts_before": out.posts_cutoff,
                    "closed_cases_before": out.cases_cutoff,
                    "clickhouse": out.clickhouse.as_ref().map(|c| serde_json::json!({"posts": c.posts_deleted, "cases": c.cases_deleted, "dropped_partitions": c.dropped_partitions})),
                    "index": out.index,
                    "store": {"posts": out.store_posts, "cases": out.store_cases},
                })
            );
        } else {
            println!("retention {}: posts before {} and closed cases before {}", out.erasure_id, day(out.posts_cutoff), day(out.cases_cutoff));
            if let Some(c) = &out.clickhouse {
                println!("  ClickHouse:   {} posts ({} months dropped whole), {} cases", c.posts_deleted, c.dropped_partitions.len(), c.cases_deleted);
            }
            if let Some(n) = out.index {
                println!("  search index: {n} documents");
            }
            println!("  case store:   {} posts, {} cases", out.store_posts, out.store_cases);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let request = Request { authors: args.author.clone(), uids: args.posts.clone(), actor, note: args.note.clone() };
    let out = runtime.block_on(erasure::erase(&config, &dir, &request))?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "erasure_id": out.erasure_id,
                "posts": out.uids.len(),
                "clickhouse": out.clickhouse,
                "index": out.index,
                "store": out.store.as_ref().map(|s| serde_json::json!({"posts": s.posts, "cases_updated": s.cases_updated, "webhook_payloads": s.outbox_rewritten, "wal_truncated": s.wal_truncated})),
                "recorded": out.audit.iter().map(|a| serde_json::json!({"kind": a.kind, "subject": a.subject, "posts": a.posts})).collect::<Vec<_>>(),
            })
        );
    } else {
        println!("erasure {}: {} post{}", out.erasure_id, out.uids.len(), if out.uids.len() == 1 { "" } else { "s" });
        match out.clickhouse {
            Some(n) => println!("  ClickHouse:   {n} posts deleted"),
            None => println!("  ClickHouse:   not configured"),
        }
        match out.index {
            Some(n) => println!("  search index: {n} documents deleted, segments rewritten"),
            None => println!("  search index: none in {}", dir.root.display()),
        }
        match &out.store {
            Some(s) => {
                println!(
                    "  case store:   {} posts deleted, {} cases updated, {} webhook payloads rewritten",
                    s.posts, s.cases_updated, s.outbox_rewritten
                );
                if !s.wal_truncated {
                    println!("                (a reader kept the write-ahead log open: old pages are overwritten at its next checkpoint)");
                }
            }
            None => println!("  case store:   none in {}", dir.root.display()),
        }
        for a in &out.audit {
            println!("  recorded:     {} {} ({} posts)", a.kind, a.subject, a.posts);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn day(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).map(|t| t.date().to_string()).unwrap_or_else(|_| unix.to_string())
}

//! Trend facts in the embedded case store: what `trends::embedded` needs to answer the
//! trend questions, written by `CaseStore::commit_batch` in the same transaction as the
//! post itself, so a post counts in the trends exactly when it is stored (the store
//! skips known uids, so a replay adds nothing twice).
//!
//! Three tables, relevant posts only:
//! - `trend_posts`: one row per post (time, source, language, sentiment, complaint);
//! - `trend_entities`: one row per post × entity it names (`kind:id`), keyed by
//!   (entity, time) for the per-entity series and share of voice;
//! - `trend_categories`: one row per complaint × category.
//!
//! Times are clamped to ClickHouse's `DateTime` range so both backends bucket alike.

use rusqlite::{params, Connection, OptionalExtension};

use crate::sinks::clickhouse::rows::datetime;
use crate::sinks::ScoredPost;
use crate::trends::{entity_key, post_categories, post_entities, sentiment_milli};

/// Bumped when the facts change shape; a store with an older version is refilled from
/// its posts when opened.
const FACTS_VERSION: &str = "1";

pub fn migrate(conn: &Connection) -> anyhow::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS trend_posts (
             uid TEXT PRIMARY KEY,
             created_at INTEGER NOT NULL,
             source TEXT NOT NULL,
             lang TEXT NOT NULL,
             sentiment TEXT NOT NULL,
             sentiment_milli INTEGER NOT NULL,
             complaint INTEGER NOT NULL);
         CREATE INDEX IF NOT EXISTS trend_posts_time ON trend_posts(created_at);
         CREATE TABLE IF NOT EXISTS trend_entities (
             entity TEXT NOT NULL,
             created_at INTEGER NOT NULL,
             uid TEXT NOT NULL,
             PRIMARY KEY (entity, created_at, uid)) WITHOUT ROWID;
         CREATE INDEX IF NOT EXISTS trend_entities_uid ON trend_entities(uid);
         CREATE TABLE IF NOT EXISTS trend_categories (
             category TEXT NOT NULL,
             created_at INTEGER NOT NULL,
             uid TEXT NOT NULL,
             PRIMARY KEY (category, created_at, uid)) WITHOUT ROWID;
         CREATE INDEX IF NOT EXISTS trend_categories_uid ON trend_categories(uid);",
    )?;
    let version: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'trend_facts'", [], |r| r.get(0)).optional()?;
    if version.as_deref() != Some(FACTS_VERSION) {
        backfill(conn)?;
    }
    Ok(())
}

/// Fills the facts from the stored posts: for a store written before the facts existed.
fn backfill(conn: &Connection) -> anyhow::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| -> anyhow::Result<()> {
        conn.execute_batch("DELETE FROM trend_posts; DELETE FROM trend_entities; DELETE FROM trend_categories;")?;
        let mut stmt = conn.prepare("SELECT created_at, post, assessment FROM posts WHERE relevant = 1")?;
        let mut rows = stmt.query([])?;
        let mut n = 0u64;
        while let Some(row) = rows.next()? {
            let scored = ScoredPost { post: serde_json::from_str(&row.get::<_, String>(1)?)?, assessment: serde_json::from_str(&row.get::<_, String>(2)?)? };
            record(conn, &scored, row.get(0)?)?;
            n += 1;
        }
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('trend_facts', ?1)", [FACTS_VERSION])?;
        if n > 0 {
            tracing::info!("trend facts filled from {n} stored posts");
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Records the facts of a newly stored post filed at `created_at` (its time, or when it
/// was first stored). Irrelevant posts have none.
pub fn record(conn: &Connection, scored: &ScoredPost, created_at: i64) -> anyhow::Result<()> {
    let (post, a) = (&scored.post, &scored.assessment);
    if !a.relevant {
        return Ok(());
    }
    let uid = post.uid();
    let at = i64::from(datetime(created_at));
    conn.prepare_cached(
        "INSERT OR REPLACE INTO trend_posts (uid, created_at, source, lang, sentiment, sentiment_milli, complaint)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        uid,
        at,
        post.source.unwrap_or(crate::model::Source::Replay).as_str(),
        a.lang,
        a.sentiment.label.as_str(),
        sentiment_milli(a.sentiment.compound),
        a.complaint.is_complaint,
    ])?;
    let mut entity = conn.prepare_cached("INSERT OR IGNORE INTO trend_entities (entity, created_at, uid) VALUES (?1, ?2, ?3)")?;
    for (kind, id) in post_entities(a) {
        entity.execute(params![entity_key(kind, id), at, uid])?;
    }
    if a.complaint.is_complaint {
        let mut category = conn.prepare_cached("INSERT OR IGNORE INTO trend_categories (category, created_at, uid) VALUES (?1, ?2, ?3)")?;
        for c in post_categories(a) {
            category.execute(params![c.as_str(), at, uid])?;
        }
    }
    Ok(())
}

/// Deletes the facts of these posts (erasure). Returns the posts that had facts.
pub fn delete_uids(conn: &Connection, uids: &[String]) -> anyhow::Result<u64> {
    let mut n = 0;
    for uid in uids {
        n += conn.prepare_cached("DELETE FROM trend_posts WHERE uid = ?1")?.execute([uid])? as u64;
        conn.prepare_cached("DELETE FROM trend_entities WHERE uid = ?1")?.execute([uid])?;
        conn.prepare_cached("DELETE FROM trend_categories WHERE uid = ?1")?.execute([uid])?;
    }
    Ok(n)
}

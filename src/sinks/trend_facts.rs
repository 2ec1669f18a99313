//! Trend facts in the embedded case store: what `trends::embedded` needs to answer the
//! trend questions, written by `CaseStore::commit_batch` in the same transaction as the
//! post itself, so a post counts in the trends exactly when it is stored (the store
//! skips known uids, so a replay adds nothing twice).
//!
//! Three tables, relevant posts only, each clustered (`WITHOUT ROWID`) so that the trend
//! questions are range scans of a primary key, without joins:
//! - `trend_posts`: one row per post (time, source, language, sentiment, complaint), keyed
//!   by time: volume by source or language;
//! - `trend_entities`: one row per post × entity it names (`kind:id`) with the same
//!   columns, keyed by (entity, time): per-entity series, share of voice;
//! - `trend_categories`: one row per complaint × category, keyed by (category, time).
//!
//! Times are clamped to ClickHouse's `DateTime` range so both backends bucket alike.

use rusqlite::{params, Connection, OptionalExtension};

use crate::sinks::clickhouse::rows::datetime;
use crate::sinks::ScoredPost;
use crate::trends::{entity_key, post_categories, post_entities, sentiment_milli};

/// Bumped when the facts change shape; a store with another version has its facts
/// tables rebuilt from its posts when opened.
const FACTS_VERSION: &str = "2";

const TABLES: &str = "CREATE TABLE trend_posts (
             created_at INTEGER NOT NULL,
             uid TEXT NOT NULL,
             source TEXT NOT NULL,
             lang TEXT NOT NULL,
             sentiment TEXT NOT NULL,
             sentiment_milli INTEGER NOT NULL,
             complaint INTEGER NOT NULL,
             PRIMARY KEY (created_at, uid)) WITHOUT ROWID;
         CREATE INDEX trend_posts_uid ON trend_posts(uid);
         CREATE TABLE trend_entities (
             entity TEXT NOT NULL,
             created_at INTEGER NOT NULL,
             uid TEXT NOT NULL,
             source TEXT NOT NULL,
             lang TEXT NOT NULL,
             sentiment TEXT NOT NULL,
             sentiment_milli INTEGER NOT NULL,
             complaint INTEGER NOT NULL,
             PRIMARY KEY (entity, created_at, uid)) WITHOUT ROWID;
         CREATE INDEX trend_entities_uid ON trend_entities(uid);
         CREATE TABLE trend_categories (
             category TEXT NOT NULL,
             created_at INTEGER NOT NULL,
             uid TEXT NOT NULL,
             source TEXT NOT NULL,
             lang TEXT NOT NULL,
             PRIMARY KEY (category, created_at, uid)) WITHOUT ROWID;
         CREATE INDEX trend_categories_uid ON trend_categories(uid);";

pub fn migrate(conn: &Connection) -> anyhow::Result<()> {
    let version: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'trend_facts'", [], |r| r.get(0)).optional()?;
    if version.as_deref() != Some(FACTS_VERSION) {
        rebuild(conn)?;
    }
    Ok(())
}

/// (Re)creates the facts tables and fills them from the stored posts: for a new store,
/// or one written before the facts (or with facts of another shape).
fn rebuild(conn: &Connection) -> anyhow::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| -> anyhow::Result<()> {
        conn.execute_batch("DROP TABLE IF EXISTS trend_posts; DROP TABLE IF EXISTS trend_entities; DROP TABLE IF EXISTS trend_categories;")?;
        conn.execute_batch(TABLES)?;
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
            tracing::info!("trend facts rebuilt from {n} stored posts");
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
    let source = post.source.unwrap_or(crate::model::Source::Replay).as_str();
    let (sentiment, milli) = (a.sentiment.label.as_str(), sentiment_milli(a.sentiment.compound));
    conn.prepare_cached(
        "INSERT OR IGNORE INTO trend_posts (created_at, uid, source, lang, sentiment, sentiment_milli, complaint)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![at, uid, source, a.lang, sentiment, milli, a.complaint.is_complaint])?;
    let mut entity = conn.prepare_cached(
        "INSERT OR IGNORE INTO trend_entities (entity, created_at, uid, source, lang, sentiment, sentiment_milli, complaint)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (kind, id) in post_entities(a) {
        entity.execute(params![entity_key(kind, id), at, uid, source, a.lang, sentiment, milli, a.complaint.is_complaint])?;
    }
    if a.complaint.is_complaint {
        let mut category =
            conn.prepare_cached("INSERT OR IGNORE INTO trend_categories (category, created_at, uid, source, lang) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for c in post_categories(a) {
            category.execute(params![c.as_str(), at, uid, source, a.lang])?;
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

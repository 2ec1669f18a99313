//! Retention: posts and closed cases are kept for the days `[retention]` sets, in every
//! store, then deleted (`hearken erase --expired`, run daily from cron or a timer).
//!
//! - posts older than `posts_days` (by `created_at`) leave ClickHouse, the search index
//!   and the case store with their trend facts, and the hourly volumes of the spike
//!   detector older than that go too;
//! - resolved or dismissed cases not changed for `cases_days` leave with their audit
//!   trail and webhook deliveries. Open cases stay whatever their age.
//!
//! Each run is recorded in the `erasures` table (kind `retention`). Deleted content is
//! overwritten in the case store, as for an erasure.

use rusqlite::{params, Connection};
use time::{Duration, OffsetDateTime};

use crate::config::Config;
use crate::sinks::clickhouse::maintenance::ClickHouseRetention;
use crate::sinks::{CaseStore, DataDir, SearchIndex};

#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub erasure_id: String,
    pub posts_cutoff: i64,
    pub cases_cutoff: i64,
    pub clickhouse: Option<ClickHouseRetention>,
    pub index: Option<u64>,
    pub store_posts: u64,
    pub store_cases: u64,
}

/// Deletes what the retention policy expires as of `now`, everywhere.
pub async fn apply(config: &Config, dir: &DataDir, now: OffsetDateTime, actor: &str) -> anyhow::Result<Outcome> {
    let posts_cutoff = now - Duration::days(i64::from(config.retention.posts_days.max(1)));
    let cases_cutoff = now - Duration::days(i64::from(config.retention.cases_days.max(1)));
    let mut out = Outcome {
        erasure_id: super::erasure::new_erasure_id(now),
        posts_cutoff: posts_cutoff.unix_timestamp(),
        cases_cutoff: cases_cutoff.unix_timestamp(),
        ..Outcome::default()
    };
    let subject = format!(
        "posts before {}; closed cases before {}",
        posts_cutoff.date(),
        cases_cutoff.date()
    );

    if let Some(ch) = &config.clickhouse {
        let server = super::clickhouse::server_client(ch);
        let (db, _) = super::clickhouse::schema::migrate(&server, &ch.database).await?;
        let done = super::clickhouse::maintenance::apply_retention(&db, &ch.database, posts_cutoff, cases_cutoff).await?;
        let row = super::clickhouse::ErasureRow {
            at: super::clickhouse::rows::datetime(now.unix_timestamp()),
            erasure_id: out.erasure_id.clone(),
            actor: actor.to_string(),
            kind: "retention".into(),
            subject: subject.clone(),
            posts: done.posts_deleted,
            note: format!("{} closed cases", done.cases_deleted),
        };
        super::clickhouse::maintenance::record_erasure(&db, &row).await?;
        out.clickhouse = Some(done);
    }

    if dir.case_store().exists() {
        let mut store = CaseStore::open(&dir.case_store())?;
        let conn = store.connection();
        let expired: Vec<String> = {
            let mut stmt = conn.prepare("SELECT uid FROM posts WHERE created_at < ?1")?;
            let rows = stmt.query_map([out.posts_cutoff], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        if dir.search_index().exists() && !expired.is_empty() {
            out.index = Some(SearchIndex::open_writer(&dir.search_index())?.erase(&expired)?);
        }
        let (posts, cases) = expire_store(conn, out.posts_cutoff, out.cases_cutoff)?;
        out.store_posts = posts;
        out.store_cases = cases;
        conn.execute(
            "INSERT OR REPLACE INTO erasures (erasure_id, at, actor, kind, subject, posts, note) VALUES (?1, ?2, ?3, 'retention', ?4, ?5, ?6)",
            params![out.erasure_id, now.unix_timestamp(), actor, subject, posts as i64, format!("{cases} closed cases")],
        )?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    Ok(out)
}

/// Deletes from the case store the posts created before `posts_cutoff` (with their trend
/// facts and old hourly volumes) and the closed cases last changed before `cases_cutoff`
/// (with their events and webhook deliveries). Returns (posts, cases) deleted.
pub fn expire_store(conn: &mut Connection, posts_cutoff: i64, cases_cutoff: i64) -> anyhow::Result<(u64, u64)> {
    conn.pragma_update(None, "secure_delete", "ON")?;
    let tx = super::case_store::write_transaction(conn)?;
    let posts = tx.execute("DELETE FROM posts WHERE created_at < ?1", [posts_cutoff])? as u64;
    for table in ["trend_posts", "trend_entities", "trend_categories"] {
        tx.execute(&format!("DELETE FROM {table} WHERE created_at < ?1"), [posts_cutoff])?;
    }
    tx.execute("DELETE FROM volume WHERE hour < ?1", [crate::cases::spike::hour_of(posts_cutoff)])?;
    let closed: Vec<String> = {
        let mut stmt = tx.prepare("SELECT id FROM cases WHERE status IN ('resolved', 'dismissed') AND updated_at < ?1")?;
        let rows = stmt.query_map([cases_cutoff], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for id in &closed {
        tx.execute("DELETE FROM case_events WHERE case_id = ?1", [id])?;
        tx.execute("DELETE FROM outbox WHERE case_id = ?1", [id])?;
        tx.execute("UPDATE posts SET case_id = NULL WHERE case_id = ?1", [id])?;
        tx.execute("DELETE FROM cases WHERE id = ?1", [id])?;
    }
    tx.commit()?;
    Ok((posts, closed.len() as u64))
}

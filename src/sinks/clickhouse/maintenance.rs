//! Erasure and retention in ClickHouse.
//!
//! ClickHouse 18.16 has no `TTL` and no lightweight `DELETE`, but it has mutations:
//! `ALTER TABLE … DELETE WHERE …` and `ALTER TABLE … UPDATE … WHERE …` rewrite the
//! parts holding matching rows, in the background. 18.16 has no `mutations_sync`
//! setting either, so [`wait_for_mutations`] polls `system.mutations` until they are done.
//! The rewritten parts replace the old ones at once for queries; the old files leave the
//! disk after the server's `merge_tree.old_parts_lifetime` (480 s by default; set it lower
//! where erasure must reach the disk sooner — tests/clickhouse_server.sh uses 10 s).
//! Whole months past retention are dropped as partitions, which is immediate and cheap.

use std::time::Duration;

use clickhouse::{Client, Row};
use serde::Deserialize;
use time::OffsetDateTime;

use super::rows::{datetime, ErasureRow};
use super::schema::wait_until;
use super::{query_sized_chunks, with_timeout};

/// How long an erasure or retention run waits for its mutations.
const MUTATION_TIMEOUT: Duration = Duration::from_secs(600);
const QUERY_TIMEOUT: Duration = Duration::from_secs(120);

/// Which posts to erase: an author (by pseudonym) and/or posts by uid.
#[derive(Debug, Clone, Default)]
pub struct PostSelector {
    pub author_pseudonyms: Vec<String>,
    pub uids: Vec<String>,
}

impl PostSelector {
    fn is_empty(&self) -> bool {
        self.author_pseudonyms.is_empty() && self.uids.is_empty()
    }
}

/// What an erasure removed from ClickHouse.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClickHouseErasure {
    /// (uid, author pseudonym) of the posts erased.
    pub found: Vec<(String, String)>,
}

#[derive(Row, Deserialize)]
struct FoundRow {
    uid: String,
    author: String,
}

/// Deletes the selected posts, blanks the references to them in the case audit trail,
/// and waits until the mutations are done. Returns the posts it found.
pub async fn erase_posts(db: &Client, database: &str, which: &PostSelector) -> anyhow::Result<ClickHouseErasure> {
    if which.is_empty() {
        return Ok(ClickHouseErasure::default());
    }
    // Each list is bound in parts (`query_sized_chunks`): the bound array is query text,
    // and an author with thousands of posts would go over `max_query_size`. Only non-empty
    // lists are bound, as 18.16 types an empty array literal as Array(Nothing), which
    // has() refuses.
    let mut found: Vec<FoundRow> = Vec::new();
    for (column, list) in [("author", &which.author_pseudonyms), ("uid", &which.uids)] {
        for chunk in query_sized_chunks(list) {
            let select = format!("SELECT DISTINCT uid, author FROM posts WHERE has(?, {column})");
            found.extend(with_timeout(QUERY_TIMEOUT, db.query(&select).bind(chunk).fetch_all::<FoundRow>()).await?);
        }
    }
    found.sort_by(|a, b| a.uid.cmp(&b.uid));
    found.dedup_by(|a, b| a.uid == b.uid);
    let mut uids: Vec<String> = found.iter().map(|r| r.uid.clone()).collect();
    uids.extend(which.uids.iter().cloned());
    uids.sort();
    uids.dedup();
    if !found.is_empty() {
        // By author as well as by uid: a post of theirs stored since the SELECT goes too.
        for (column, list) in [("author", &which.author_pseudonyms), ("uid", &uids)] {
            for chunk in query_sized_chunks(list) {
                let delete = format!("ALTER TABLE posts DELETE WHERE has(?, {column})");
                with_timeout(QUERY_TIMEOUT, db.query(&delete).bind(chunk).execute()).await?;
            }
        }
    }
    for chunk in query_sized_chunks(&uids) {
        with_timeout(QUERY_TIMEOUT, db.query("ALTER TABLE case_events UPDATE post_uid = '' WHERE has(?, post_uid)").bind(chunk).execute())
            .await?;
    }
    wait_for_mutations(db, database).await?;
    Ok(ClickHouseErasure { found: found.into_iter().map(|r| (r.uid, r.author)).collect() })
}

/// Waits until every mutation of the database's tables is done.
pub async fn wait_for_mutations(db: &Client, database: &str) -> anyhow::Result<()> {
    wait_until(MUTATION_TIMEOUT, "ClickHouse mutations (ALTER … DELETE/UPDATE)", move || async move {
        let pending: u64 = with_timeout(
            QUERY_TIMEOUT,
            db.query("SELECT count() FROM system.mutations WHERE database = ? AND is_done = 0").bind(database).fetch_one(),
        )
        .await?;
        Ok(pending == 0)
    })
    .await
}

/// Appends an erasure (or retention run) to the `erasures` audit table.
pub async fn record_erasure(db: &Client, row: &ErasureRow) -> anyhow::Result<()> {
    let mut insert = db.insert::<ErasureRow>("erasures").await?;
    insert.write(row).await?;
    insert.end().await?;
    Ok(())
}

/// What a retention run removed from ClickHouse.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClickHouseRetention {
    /// Partitions (months) of posts dropped whole.
    pub dropped_partitions: Vec<String>,
    /// Posts older than the cutoff deleted from the remaining partitions.
    pub posts_deleted: u64,
    /// Closed cases past their retention, deleted with their events.
    pub cases_deleted: u64,
}

#[derive(Row, Deserialize)]
struct PartitionRow {
    partition: String,
    max_time: u32,
}

/// Deletes posts created before `posts_cutoff` and closed cases last changed before
/// `cases_cutoff` (with their audit events). Open cases stay whatever their age.
pub async fn apply_retention(db: &Client, database: &str, posts_cutoff: OffsetDateTime, cases_cutoff: OffsetDateTime) -> anyhow::Result<ClickHouseRetention> {
    let mut out = ClickHouseRetention::default();
    let cutoff = datetime(posts_cutoff.unix_timestamp());
    // Months wholly before the cutoff go as partitions: no rewrite.
    let parts: Vec<PartitionRow> = with_timeout(
        QUERY_TIMEOUT,
        db.query("SELECT partition, max(max_time) FROM system.parts WHERE database = ? AND table = 'posts' AND active GROUP BY partition")
            .bind(database)
            .fetch_all(),
    )
    .await?;
    for p in parts.iter().filter(|p| p.max_time < cutoff) {
        let n: u64 = with_timeout(QUERY_TIMEOUT, db.query(&format!("SELECT count() FROM posts WHERE toYYYYMM(created_at) = {}", partition_number(&p.partition)?)).fetch_one()).await?;
        with_timeout(QUERY_TIMEOUT, db.query(&format!("ALTER TABLE posts DROP PARTITION {}", partition_number(&p.partition)?)).execute()).await?;
        out.dropped_partitions.push(p.partition.clone());
        out.posts_deleted += n;
    }
    // The month the cutoff falls in: a mutation, only when it has rows to delete.
    let older: u64 = with_timeout(QUERY_TIMEOUT, db.query("SELECT count() FROM posts WHERE created_at < toDateTime(?)").bind(cutoff).fetch_one()).await?;
    if older > 0 {
        with_timeout(QUERY_TIMEOUT, db.query("ALTER TABLE posts DELETE WHERE created_at < toDateTime(?)").bind(cutoff).execute()).await?;
        out.posts_deleted += older;
    }
    #[derive(Row, Deserialize)]
    struct CaseId {
        case_id: String,
    }
    let expired: Vec<CaseId> = with_timeout(
        QUERY_TIMEOUT,
        db.query("SELECT case_id FROM cases FINAL WHERE status IN ('resolved', 'dismissed') AND updated_at < toDateTime(?)")
            .bind(datetime(cases_cutoff.unix_timestamp()))
            .fetch_all(),
    )
    .await?;
    if !expired.is_empty() {
        let ids: Vec<String> = expired.into_iter().map(|c| c.case_id).collect();
        for chunk in query_sized_chunks(&ids) {
            with_timeout(QUERY_TIMEOUT, db.query("ALTER TABLE cases DELETE WHERE has(?, case_id)").bind(chunk).execute()).await?;
            with_timeout(QUERY_TIMEOUT, db.query("ALTER TABLE case_events DELETE WHERE has(?, case_id)").bind(chunk).execute()).await?;
        }
        out.cases_deleted = ids.len() as u64;
    }
    wait_for_mutations(db, database).await?;
    Ok(out)
}

/// A `toYYYYMM` partition name as a number literal (they are digits; anything else is
/// refused rather than pasted into SQL).
fn partition_number(partition: &str) -> anyhow::Result<u32> {
    partition.trim_matches('\'').parse().map_err(|_| anyhow::anyhow!("unexpected partition name {partition:?} in table posts"))
}

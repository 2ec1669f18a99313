//! The ClickHouse schema and its versioned migrations, applied when a sink starts.
//!
//! Every migration has a version, a name and SQL statements. [`migrate`] creates the
//! database and the `schema_migrations` table if needed, runs each migration it finds no
//! record of, in order, and then records it (with a checksum of its SQL). A re-run is a
//! no-op; a migration whose SQL changed after it was applied is an error (migrations are
//! append-only: change the schema with a new one). Each statement is itself idempotent
//! (`IF NOT EXISTS`), so a migration interrupted half-way, or run by two sinks starting
//! at once, completes on the next start without harm.
//!
//! The schema has to run on the ClickHouse 18.16 that Debian ships and on current
//! ClickHouse, so it uses only what both accept: MergeTree engines with the
//! `PARTITION BY … ORDER BY …` syntax, `PARTITION BY toYYYYMM(…)`, plain types (no
//! `Nullable` where avoidable, no `LowCardinality`, no `DateTime64`), no `TTL` (retention
//! is done by `maintenance::apply_retention`), no `ADD COLUMN IF NOT EXISTS` (18.16 has
//! no such syntax: a future migration that adds a column relies on the version record).

use std::future::Future;

use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub statements: &'static [&'static str],
}

/// All migrations, oldest first. Append only.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "scored posts",
        // One row per post uid. ReplacingMergeTree keeps the row with the highest
        // `version` (the time it was written) among rows with the same sorting key, so a
        // post written again (a retried insert, a Kafka replay) collapses to one row when
        // parts merge, and queries that read `FINAL` see one row at once. The sorting key
        // is (created_at, uid): a uid's created_at never changes (the sink reuses the
        // stored time for posts without one), and trend queries prune by time.
        // `author` is a keyed pseudonym (see sinks::pseudonym), never a handle.
        statements: &[r"CREATE TABLE IF NOT EXISTS posts (
    created_at DateTime,
    uid String,
    source String,
    lang String,
    author String,
    followers UInt64,
    text String,
    reply_to String,
    relevant UInt8,
    noise String,
    entities Array(String),
    categories Array(String),
    is_complaint UInt8,
    complaint_score Float32,
    sentiment String,
    sentiment_milli Int16,
    priority String,
    priority_score UInt8,
    escalate UInt8,
    likes UInt64,
    shares UInt64,
    replies UInt64,
    written_at DateTime,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(created_at)
ORDER BY (created_at, uid)"],
    },
    Migration {
        version: 2,
        name: "cases and their audit trail",
        // A case is written at every change with its new version; ReplacingMergeTree by
        // version keeps the latest (read it with FINAL). opened_at never changes, so all
        // versions of a case share a partition and collapse together. An event is unique
        // by (case_id, version), so a replayed event collapses with its first copy.
        statements: &[
            r"CREATE TABLE IF NOT EXISTS cases (
    opened_at DateTime,
    case_id String,
    version UInt64,
    kind String,
    entity String,
    status String,
    priority String,
    priority_score UInt8,
    categories Array(String),
    reasons Array(String),
    posts UInt32,
    assignee String,
    updated_at DateTime,
    spread_authors UInt32,
    spread_reach UInt64,
    spread_sources Array(String)
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(opened_at)
ORDER BY case_id",
            r"CREATE TABLE IF NOT EXISTS case_events (
    at DateTime,
    case_id String,
    version UInt64,
    kind String,
    actor String,
    note String,
    post_uid String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (case_id, version)",
        ],
    },
    Migration {
        version: 3,
        name: "erasure audit",
        // Who erased what and when: the subject is a pseudonym or a post uid, never a
        // handle, and no erased content is kept. Plain MergeTree: an audit only grows.
        statements: &[r"CREATE TABLE IF NOT EXISTS erasures (
    at DateTime,
    erasure_id String,
    actor String,
    kind String,
    subject String,
    posts UInt64,
    note String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, erasure_id)"],
    },
    Migration {
        version: 4,
        name: "hourly trend rollup",
        // The rollup per hour × entity × complaint category × sentiment bucket × source ×
        // language, for dashboards and ad-hoc questions. It is a view computed from
        // `posts FINAL`, not a SummingMergeTree fed by a materialized view, on purpose:
        // a materialized view adds the rows of every INSERT, so a post inserted twice (a
        // retry after a timeout whose first attempt did land, a Kafka replay after a
        // crash) would count twice for ever — summing merges add, they never collapse —
        // and erasure and retention would have to subtract exactly what they delete.
        // Computing from the deduplicated posts makes every count right by construction,
        // and erasure and retention apply to the rollup as soon as to the posts. It costs
        // a scan of the posts in the time range per query (see benches/trends.rs for the
        // figures at a million posts). Category "" counts every post once (volume); the
        // other rows count complaints per category.
        statements: &[r"CREATE VIEW IF NOT EXISTS trend_hourly AS
SELECT
    toStartOfHour(created_at) AS hour,
    entity,
    category,
    sentiment,
    source,
    lang,
    count() AS posts,
    sum(is_complaint) AS complaints,
    sum(sentiment_milli) AS sentiment_milli_sum
FROM
(
    SELECT
        created_at,
        arrayJoin(entities) AS entity,
        arrayJoin(arrayConcat([''], if(is_complaint = 1, categories, emptyArrayString()))) AS category,
        sentiment,
        source,
        lang,
        is_complaint,
        sentiment_milli
    FROM posts FINAL
    WHERE relevant = 1
)
GROUP BY hour, entity, category, sentiment, source, lang"],
    },
];

#[derive(Debug, Row, Serialize, Deserialize)]
struct AppliedRow {
    version: u32,
    checksum: String,
}

/// What [`migrate`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this call.
    pub applied: Vec<u32>,
    /// The schema version now in place.
    pub current: u32,
}

pub fn checksum(m: &Migration) -> String {
    let mut h = Sha256::new();
    for s in m.statements {
        h.update(s.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}

/// Creates `database` if needed and brings its schema to the latest version.
/// `server` is a client without a database set; the returned client uses `database`.
pub async fn migrate(server: &Client, database: &str) -> anyhow::Result<(Client, MigrationReport)> {
    check_identifier(database)?;
    server.query(&format!("CREATE DATABASE IF NOT EXISTS {database}")).execute().await?;
    let db = server.clone().with_database(database);
    db.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime
) ENGINE = ReplacingMergeTree
ORDER BY version",
    )
    .execute()
    .await?;
    let applied: Vec<AppliedRow> =
        db.query("SELECT version, any(checksum) FROM schema_migrations GROUP BY version ORDER BY version").fetch_all().await?;
    let mut report = MigrationReport::default();
    for m in MIGRATIONS {
        let sum = checksum(m);
        if let Some(done) = applied.iter().find(|a| a.version == m.version) {
            if done.checksum != sum {
                anyhow::bail!(
                    "ClickHouse migration {} ({}) was applied with checksum {} but this hearken has {sum}; \
                     migrations are append-only: undo the edit and add a new migration",
                    m.version,
                    m.name,
                    done.checksum
                );
            }
            continue;
        }
        for statement in m.statements {
            db.query(statement)
                .execute()
                .await
                .map_err(|e| anyhow::anyhow!("ClickHouse migration {} ({}) failed: {e}", m.version, m.name))?;
        }
        db.query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, now())")
            .bind(m.version)
            .bind(m.name)
            .bind(&sum)
            .execute()
            .await?;
        tracing::info!("ClickHouse {database}: applied migration {} ({})", m.version, m.name);
        report.applied.push(m.version);
    }
    if let Some(newer) = applied.iter().map(|a| a.version).filter(|v| *v > latest_version()).max() {
        anyhow::bail!(
            "ClickHouse database {database} has schema version {newer}, newer than this hearken's {}; upgrade hearken",
            latest_version()
        );
    }
    report.current = latest_version();
    Ok((db, report))
}

pub fn latest_version() -> u32 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

/// Database names go into SQL unquoted: keep them to `[A-Za-z0-9_]`.
pub fn check_identifier(name: &str) -> anyhow::Result<()> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.starts_with(|c: char| c.is_ascii_digit()) {
        anyhow::bail!("clickhouse.database: \"{name}\" must be letters, digits and _ (not starting with a digit)");
    }
    Ok(())
}

/// Polls `f` until it returns true (a mutation finished), up to `timeout`.
pub(crate) async fn wait_until<F, Fut>(timeout: std::time::Duration, what: &str, mut f: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<bool>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = std::time::Duration::from_millis(50);
    loop {
        if f().await? {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!("{what} did not finish within {timeout:?}");
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_and_checksums_differ() {
        for w in MIGRATIONS.windows(2) {
            assert!(w[0].version < w[1].version);
            assert_ne!(checksum(&w[0]), checksum(&w[1]));
        }
        assert_eq!(latest_version(), MIGRATIONS.len() as u32);
    }

    #[test]
    fn identifiers() {
        assert!(check_identifier("hearken_test_1").is_ok());
        for bad in ["", "a-b", "a;DROP", "1abc", "a b"] {
            assert!(check_identifier(bad).is_err(), "{bad}");
        }
    }
}

//! The ClickHouse sink of the distributed mode: scored posts, cases and their audit trail
//! in ClickHouse, for the trend queries marketing asks over months of posts.
//!
//! - **Schema**: versioned, idempotent migrations applied when the sink connects
//!   ([`schema`]); valid on Debian's ClickHouse 18.16 and on current ClickHouse.
//! - **Batches**: rows are buffered and inserted when `batch_rows` are waiting or the
//!   oldest has waited `batch_ms` ([`ClickHouseSink::write`], [`ClickHouseSink::flush_if_due`]).
//! - **Idempotent**: posts are keyed by uid, cases by id and version, events by case and
//!   version, in ReplacingMergeTree tables; writing the same thing twice (a retry, a Kafka
//!   replay) adds nothing once parts merge, and the trend queries read `FINAL`.
//! - **Backpressure, not loss**: a failed insert is retried with exponential backoff
//!   until it succeeds (or `give_up_after`, when set), and the call that flushes does not
//!   return meanwhile; the caller stops consuming, so a ClickHouse outage slows the
//!   pipeline down and loses nothing. Rows are dropped from the buffer only once
//!   ClickHouse has acknowledged their INSERT.
//! - **Privacy**: authors are pseudonymized with a keyed hash ([`super::pseudonym`]).
//! - **Beside other stores**: [`writer::ClickHouseWriter`] runs the sink on a task of its
//!   own and reports how far ClickHouse has what it was handed, so the sinks role writes
//!   its embedded stores meanwhile and still commits offsets only for what both have.
//!
//! # Use from a Kafka consumer task
//! ```no_run
//! # async fn consume(config: hearken::config::ClickHouseConfig,
//! #                  mut messages: tokio::sync::mpsc::Receiver<hearken::sinks::ScoredPost>) -> anyhow::Result<()> {
//! use hearken::sinks::clickhouse::ClickHouseSink;
//! use hearken::sinks::pseudonym::Pseudonymizer;
//! let mut sink = ClickHouseSink::connect(&config, Pseudonymizer::from_env()?).await?;
//! let mut batch = Vec::new();
//! loop {
//!     tokio::select! {
//!         n = messages.recv_many(&mut batch, 500) => {
//!             if n == 0 { break }
//!             // Inserts when the buffer is full or old enough, retrying until ClickHouse
//!             // takes it (meanwhile this task stops consuming: backpressure).
//!             if sink.write(&batch, &[], &[]).await?.is_yes() {
//!                 // everything handed over so far is stored: commit the offsets
//!             }
//!             batch.clear();
//!         }
//!         _ = sink.flush_timer() => {
//!             if sink.flush_if_due().await?.is_yes() { /* commit the offsets */ }
//!         }
//!     }
//! }
//! sink.flush().await?; // on shutdown, then commit
//! # Ok(()) }
//! ```

pub mod maintenance;
pub mod rows;
pub mod schema;
pub mod writer;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use clickhouse::{Client, Compression, RowOwned, RowWrite};
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::config::ClickHouseConfig;
use crate::model::{Case, CaseEvent};
use crate::sinks::pseudonym::Pseudonymizer;
use crate::sinks::ScoredPost;
pub use rows::{CaseRow, ErasureRow, EventRow, PostRow};
pub use schema::MigrationReport;
pub use writer::ClickHouseWriter;

/// The environment variable holding the ClickHouse password (never in the config file).
pub const PASSWORD_ENV: &str = "HEARKEN_CLICKHOUSE_PASSWORD";

/// A client for the server in `config`, set up for ClickHouse 18.16 as well as current
/// versions: no `RowBinaryWithNamesAndTypes` validation (18.16 lacks the format; the row
/// structs in [`rows`] match the columns exactly instead) and no HTTP compression (18.16
/// answers compressed requests with an empty body). No database selected.
pub fn server_client(config: &ClickHouseConfig) -> Client {
    let mut client = Client::default()
        .with_url(config.url.trim_end_matches('/'))
        .with_user(&config.user)
        .with_validation(false)
        .with_compression(Compression::None);
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        if !password.is_empty() {
            client = client.with_password(password);
        }
    }
    client
}

/// When the sink inserts and how hard it retries; from `[clickhouse]` in the config.
#[derive(Debug, Clone)]
pub struct SinkSettings {
    /// Insert when this many rows (posts + cases + events) are buffered…
    pub batch_rows: usize,
    /// …or when the oldest buffered row has waited this long.
    pub batch_age: Duration,
    /// A failed request is retried after `retry_base`, doubling up to `retry_cap`.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// Give up (return the error) after failing for this long; `None`: retry for ever,
    /// which is what backpressure wants (the consumer waits for ClickHouse).
    pub give_up_after: Option<Duration>,
    /// Time limit of one request (an INSERT of a batch, a query).
    pub request_timeout: Duration,
}

impl SinkSettings {
    pub fn from_config(c: &ClickHouseConfig) -> SinkSettings {
        SinkSettings {
            batch_rows: c.batch_rows.max(1),
            batch_age: Duration::from_millis(c.batch_ms.max(1)),
            retry_base: Duration::from_millis(c.retry_base_ms.max(1)),
            retry_cap: Duration::from_millis(c.retry_cap_ms.max(c.retry_base_ms).max(1)),
            give_up_after: (c.give_up_after_secs > 0).then(|| Duration::from_secs(c.give_up_after_secs)),
            request_timeout: Duration::from_millis(c.request_timeout_ms.max(1)),
        }
    }
}

/// Whether a call stored everything written to the sink so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flushed {
    /// Rows are still buffered (the batch is neither full nor old enough).
    No,
    /// Every row handed to the sink so far is in ClickHouse: the caller may commit the
    /// source offsets of everything it has written.
    Yes { posts: usize, cases: usize, events: usize },
}

impl Flushed {
    pub fn is_yes(self) -> bool {
        matches!(self, Flushed::Yes { .. })
    }
}

/// Counters since the sink was created.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SinkStats {
    pub posts: u64,
    pub cases: u64,
    pub events: u64,
    pub inserts: u64,
    /// Failed requests that were retried.
    pub retries: u64,
}

pub struct ClickHouseSink {
    db: Client,
    database: String,
    settings: SinkSettings,
    pseudonyms: Pseudonymizer,
    posts: Vec<PostRow>,
    /// Uids of buffered posts that came without `created_at`.
    undated: Vec<String>,
    cases: Vec<CaseRow>,
    events: Vec<EventRow>,
    oldest: Option<Instant>,
    stats: SinkStats,
    /// Subjects of the `erasures` table (`author:hmac:…`, `post:…`): posts that match are
    /// not written again. Reloaded when older than [`ERASED_TTL`].
    erased: HashSet<String>,
    erased_loaded: Option<Instant>,
}

/// How often the sink reloads the erased subjects.
const ERASED_TTL: Duration = Duration::from_secs(60);

impl ClickHouseSink {
    /// Connects to `config.url`, creates the database and applies the migrations,
    /// retrying (per the settings) while the server is unreachable.
    pub async fn connect(config: &ClickHouseConfig, pseudonyms: Pseudonymizer) -> anyhow::Result<ClickHouseSink> {
        let settings = SinkSettings::from_config(config);
        let server = server_client(config);
        let database = config.database.clone();
        let (db, report) = retry(&settings, &mut 0, "ClickHouse migrations", || schema::migrate(&server, &database)).await?;
        if !report.applied.is_empty() {
            tracing::info!("ClickHouse {database}: schema now at version {} (applied {:?})", report.current, report.applied);
        }
        Ok(ClickHouseSink {
            db,
            database,
            settings,
            pseudonyms,
            posts: Vec::new(),
            undated: Vec::new(),
            cases: Vec::new(),
            events: Vec::new(),
            oldest: None,
            stats: SinkStats::default(),
            erased: HashSet::new(),
            erased_loaded: None,
        })
    }

    /// The client, set to the sink's database (for the trend queries, maintenance, tests).
    pub fn client(&self) -> &Client {
        &self.db
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    pub fn settings(&self) -> &SinkSettings {
        &self.settings
    }

    pub fn stats(&self) -> SinkStats {
        self.stats
    }

    /// Rows waiting for the next insert.
    pub fn buffered(&self) -> usize {
        self.posts.len() + self.cases.len() + self.events.len()
    }

    /// Buffers the rows and, when `batch_rows` are waiting or the oldest has waited
    /// `batch_ms`, inserts them all (retrying until ClickHouse takes them: this call then
    /// blocks, which is the backpressure). Returns whether everything written so far is
    /// now stored.
    pub async fn write<'a>(
        &mut self,
        posts: impl IntoIterator<Item = &'a ScoredPost>,
        cases: &[Case],
        events: &[CaseEvent],
    ) -> anyhow::Result<Flushed> {
        let now = OffsetDateTime::now_utc();
        let version = now.unix_timestamp_nanos().max(0) as u64;
        for scored in posts {
            let created_at = match scored.post.created_at {
                Some(t) => t.unix_timestamp(),
                None => {
                    self.undated.push(scored.post.uid());
                    now.unix_timestamp()
                }
            };
            self.posts.push(PostRow::new(scored, created_at, &self.pseudonyms, now.unix_timestamp(), version));
        }
        self.cases.extend(cases.iter().map(CaseRow::from));
        self.events.extend(events.iter().map(EventRow::from));
        if self.oldest.is_none() && self.buffered() > 0 {
            self.oldest = Some(Instant::now());
        }
        if self.buffered() >= self.settings.batch_rows || self.is_due() {
            self.flush().await
        } else {
            Ok(if self.buffered() == 0 { Flushed::Yes { posts: 0, cases: 0, events: 0 } } else { Flushed::No })
        }
    }

    /// When the buffered rows are due to be inserted by age; `None` when nothing waits.
    pub fn next_flush(&self) -> Option<Instant> {
        self.oldest.map(|t| t + self.settings.batch_age)
    }

    fn is_due(&self) -> bool {
        self.next_flush().is_some_and(|t| t <= Instant::now())
    }

    /// Resolves when the buffered rows are due (never, while nothing is buffered): for a
    /// `tokio::select!` beside the consumer's poll, followed by [`Self::flush_if_due`].
    pub async fn flush_timer(&self) {
        match self.next_flush() {
            Some(t) => tokio::time::sleep_until(t).await,
            None => std::future::pending().await,
        }
    }

    /// Inserts the buffer if its oldest row has waited `batch_ms`.
    pub async fn flush_if_due(&mut self) -> anyhow::Result<Flushed> {
        if self.is_due() {
            self.flush().await
        } else {
            Ok(if self.buffered() == 0 { Flushed::Yes { posts: 0, cases: 0, events: 0 } } else { Flushed::No })
        }
    }

    /// Inserts everything buffered, table by table (posts, cases, events), each retried
    /// with backoff until ClickHouse acknowledges it. A table's rows leave the buffer only
    /// once inserted, so an error (after `give_up_after`) loses nothing: the next flush
    /// retries them.
    pub async fn flush(&mut self) -> anyhow::Result<Flushed> {
        let timeout = self.settings.request_timeout;
        if !self.undated.is_empty() {
            self.keep_first_seen_times().await?;
        }
        if !self.posts.is_empty() {
            self.drop_erased().await?;
        }
        let (posts, cases, events) = (self.posts.len(), self.cases.len(), self.events.len());
        if !self.posts.is_empty() {
            let (db, rows) = (&self.db, &self.posts);
            retry(&self.settings, &mut self.stats.retries, "ClickHouse INSERT INTO posts", || insert(db, "posts", rows, timeout)).await?;
            self.stats.posts += posts as u64;
            self.stats.inserts += 1;
            self.posts.clear();
        }
        if !self.cases.is_empty() {
            let (db, rows) = (&self.db, &self.cases);
            retry(&self.settings, &mut self.stats.retries, "ClickHouse INSERT INTO cases", || insert(db, "cases", rows, timeout)).await?;
            self.stats.cases += cases as u64;
            self.stats.inserts += 1;
            self.cases.clear();
        }
        if !self.events.is_empty() {
            let (db, rows) = (&self.db, &self.events);
            retry(&self.settings, &mut self.stats.retries, "ClickHouse INSERT INTO case_events", || insert(db, "case_events", rows, timeout))
                .await?;
            self.stats.events += events as u64;
            self.stats.inserts += 1;
            self.events.clear();
        }
        self.oldest = None;
        Ok(Flushed::Yes { posts, cases, events })
    }

    /// Leaves out the buffered posts that were erased on request, or whose author was:
    /// a replayed topic or a connector fetching them again must not bring them back.
    async fn drop_erased(&mut self) -> anyhow::Result<()> {
        if self.erased_loaded.is_none_or(|t| t.elapsed() >= ERASED_TTL) {
            #[derive(clickhouse::Row, serde::Deserialize)]
            struct Subject {
                subject: String,
            }
            let (db, timeout) = (&self.db, self.settings.request_timeout);
            let subjects: Vec<Subject> = retry(&self.settings, &mut self.stats.retries, "ClickHouse lookup of erasures", move || async move {
                with_timeout(timeout, db.query("SELECT DISTINCT subject FROM erasures WHERE kind IN ('author', 'post')").fetch_all()).await
            })
            .await?;
            self.erased = subjects.into_iter().map(|s| s.subject).collect();
            self.erased_loaded = Some(Instant::now());
        }
        if !self.erased.is_empty() {
            let erased = &self.erased;
            let before = self.posts.len();
            self.posts.retain(|row| {
                let post_erased = erased.contains(&format!("post:{}", row.uid));
                let author_erased = !row.author.is_empty() && erased.contains(&format!("author:hmac:{}", row.author));
                !post_erased && !author_erased
            });
            if self.posts.len() < before {
                tracing::info!("ClickHouse sink: left out {} erased posts", before - self.posts.len());
            }
        }
        Ok(())
    }

    /// A post without `created_at` is filed at the time it was first written; when it is
    /// written again (a replay) it must keep that time, or its copies would differ in the
    /// sorting key (and maybe the partition) and never collapse.
    async fn keep_first_seen_times(&mut self) -> anyhow::Result<()> {
        #[derive(clickhouse::Row, serde::Deserialize)]
        struct Seen {
            uid: String,
            created_at: u32,
        }
        let uids = std::mem::take(&mut self.undated);
        let mut first: HashMap<String, u32> = HashMap::with_capacity(uids.len());
        let mut failed = None;
        for wanted in query_sized_chunks(&uids) {
            let (db, timeout) = (&self.db, self.settings.request_timeout);
            // `IN (SELECT arrayJoin(?))` builds a hash set once; `has(?, uid)` would scan the
            // whole array for every stored row (10,000 undated posts took seconds per flush).
            let seen: anyhow::Result<Vec<Seen>> = retry(&self.settings, &mut self.stats.retries, "ClickHouse lookup of undated posts", move || async move {
                with_timeout(timeout, db.query("SELECT uid, min(created_at) FROM posts WHERE uid IN (SELECT arrayJoin(?)) GROUP BY uid").bind(wanted).fetch_all())
                    .await
            })
            .await;
            match seen {
                Ok(seen) => first.extend(seen.into_iter().map(|s| (s.uid, s.created_at))),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = failed {
            self.undated = uids; // all looked up again by the next flush
            return Err(e);
        }
        for row in &mut self.posts {
            if let Some(t) = first.get(&row.uid) {
                row.created_at = *t;
            }
        }
        Ok(())
    }
}

/// The bound uid list is part of the query text, which ClickHouse parses only up to
/// `max_query_size` (256 KiB by default): a flush of 13,000 undated posts went over it and
/// was refused as a syntax error. A quarter of that per query leaves room for quoting.
const UID_LIST_BYTES: usize = 64 * 1024;

/// Splits `uids` (or any list of ids bound as an array) into runs whose quoted list stays
/// under [`UID_LIST_BYTES`].
pub(crate) fn query_sized_chunks(uids: &[String]) -> impl Iterator<Item = &[String]> {
    let mut rest = uids;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut bytes = 0;
        // At least one uid per chunk, however long, so the loop always moves on.
        let n = rest.iter().take_while(|uid| {
            bytes += uid.len() + 4; // quotes, comma, space
            bytes <= UID_LIST_BYTES
        }).count().max(1);
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        Some(chunk)
    })
}

async fn insert<R: RowOwned + RowWrite>(db: &Client, table: &str, rows: &[R], timeout: Duration) -> clickhouse::error::Result<()> {
    let mut insert = db.insert::<R>(table).await?.with_timeouts(Some(timeout), Some(timeout));
    for row in rows {
        insert.write(row).await?;
    }
    insert.end().await
}

pub(crate) async fn with_timeout<T>(
    timeout: Duration,
    f: impl std::future::Future<Output = clickhouse::error::Result<T>>,
) -> clickhouse::error::Result<T> {
    tokio::time::timeout(timeout, f).await.unwrap_or(Err(clickhouse::error::Error::TimedOut))
}

/// Runs `op` until it succeeds, sleeping `retry_base · 2^n` (capped at `retry_cap`, with
/// a little jitter so that many sinks do not retry in step) between attempts. Returns the
/// last error once `give_up_after` has passed since the first failure.
pub(crate) async fn retry<T, E, F, Fut>(settings: &SinkSettings, retries: &mut u64, what: &str, mut op: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut delay = settings.retry_base;
    let mut first_failure: Option<Instant> = None;
    let mut attempt: u64 = 0;
    loop {
        attempt += 1;
        match op().await {
            Ok(v) => {
                if attempt > 1 {
                    tracing::warn!("{what} succeeded after {attempt} attempts");
                }
                return Ok(v);
            }
            Err(e) => {
                let message = e.to_string();
                if let Some(code) = refused_query_code(&message) {
                    anyhow::bail!(
                        "{what}: ClickHouse refused the query itself (code {code}), which no retry can change, \
                         so this stops here and nothing past what is stored is confirmed; \
                         it is a hearken bug: please report it with this message: {message}"
                    );
                }
                let since = *first_failure.get_or_insert_with(Instant::now);
                if settings.give_up_after.is_some_and(|limit| since.elapsed() >= limit) {
                    anyhow::bail!("{what} failed for {:?} ({attempt} attempts), giving up: {message}", since.elapsed());
                }
                // Every attempt at first, then every tenth: an outage of minutes stays readable.
                if attempt <= 3 || attempt % 10 == 0 {
                    tracing::warn!("{what} failed (attempt {attempt}), retrying in {delay:?}: {message}");
                }
                *retries += 1;
                let jitter = Duration::from_nanos(u64::from(OffsetDateTime::now_utc().nanosecond()) % (delay.as_nanos() as u64 / 5 + 1));
                tokio::time::sleep(delay + jitter).await;
                delay = (delay * 2).min(settings.retry_cap);
            }
        }
    }
}

/// The ClickHouse error code of a query that is wrong in itself (syntax, names, types),
/// as opposed to a server that is away or busy. Retrying such a query would stall the
/// stage for ever with the same error (a lookup over `max_query_size` did, for 30 minutes).
fn refused_query_code(message: &str) -> Option<u32> {
    // 16 no such column, 42 argument count, 43 argument type, 46 unknown function,
    // 47 unknown identifier, 53 type mismatch, 62 syntax error (also "max query size").
    const REFUSED: [u32; 7] = [16, 42, 43, 46, 47, 53, 62];
    let rest = &message[message.find("Code: ")? + "Code: ".len()..];
    let code: u32 = rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len())].parse().ok()?;
    REFUSED.contains(&code).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_chunks_cover_every_uid_once_and_stay_under_the_query_limit() {
        let uids: Vec<String> = (0..40_000).map(|i| format!("reddit:chat-{i}")).collect();
        let chunks: Vec<&[String]> = query_sized_chunks(&uids).collect();
        assert!(chunks.len() > 1, "40,000 uids are more than one query's worth");
        assert!(chunks.iter().all(|c| c.iter().map(|u| u.len() + 4).sum::<usize>() <= UID_LIST_BYTES));
        assert_eq!(chunks.concat(), uids, "in order, none lost or repeated");
        assert_eq!(query_sized_chunks(&[]).count(), 0);
        let huge = vec!["x".repeat(UID_LIST_BYTES * 2)];
        assert_eq!(query_sized_chunks(&huge).collect::<Vec<_>>(), [&huge[..]], "an oversized uid still goes, alone");
    }

    fn quick_settings() -> SinkSettings {
        SinkSettings {
            batch_rows: 1,
            batch_age: Duration::from_millis(1),
            retry_base: Duration::from_millis(1),
            retry_cap: Duration::from_millis(2),
            give_up_after: None, // as in production: only a refused query ends the loop
            request_timeout: Duration::from_secs(1),
        }
    }

    #[tokio::test]
    async fn a_query_clickhouse_refuses_is_not_retried_but_an_outage_is() {
        let mut attempts = 0;
        let mut retries = 0;
        // A limit only so that this test ends if the query were retried after all.
        let settings = SinkSettings { give_up_after: Some(Duration::from_millis(200)), ..quick_settings() };
        let refused: anyhow::Result<()> = retry(&settings, &mut retries, "lookup", || {
            attempts += 1;
            std::future::ready(Err("bad response: Code: 62, e.displayText() = DB::Exception: Syntax error: Max query size exceeded"))
        })
        .await;
        let message = refused.unwrap_err().to_string();
        assert_eq!(attempts, 1, "tried once");
        assert!(message.contains("code 62") && message.contains("report it"), "{message}");

        let mut attempts = 0;
        let recovered = retry(&quick_settings(), &mut retries, "lookup", || {
            attempts += 1;
            std::future::ready(if attempts < 3 { Err("network error: Connection refused (os error 111)") } else { Ok(attempts) })
        })
        .await;
        assert_eq!(recovered.unwrap(), 3, "an unreachable server is retried");
        let mut attempts = 0;
        let busy = retry(&quick_settings(), &mut retries, "insert", || {
            attempts += 1;
            std::future::ready(if attempts < 2 { Err("bad response: Code: 252, e.displayText() = DB::Exception: Too many parts") } else { Ok(()) })
        })
        .await;
        assert!(busy.is_ok(), "a busy server (too many parts) is retried");
    }
}

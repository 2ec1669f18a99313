//! The polling loop every network connector runs: ask the network for what follows the
//! cursor, hand each post on with the cursor *after it*, repeat — honouring rate limits,
//! backing off on outages, and turning what cannot be read into dead letters.
//!
//! Exactly-once resume: each post travels with a [`Position`] holding the connector's
//! cursor after that post. The sink commits the furthest position of a batch in the same
//! transaction as the batch's posts (embedded case store), or once the broker has them
//! (distributed `connectors` role). A restart asks the network for what follows the last
//! *committed* cursor: what was fetched but not yet committed is fetched again (no gap);
//! what was committed is not (no repeat). A network module only has to order its posts
//! oldest first and give each the cursor that resumes after it.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use super::http::{Http, PollError};
use super::source::SourceStats;
use super::{Position, Resume, SourceItem};
use crate::model::Post;
use crate::pipeline::dead_letter::DeadLetter;
use crate::webhook::backoff::{Backoff, Jitter};

/// One network's way of reading posts after a cursor.
pub trait Network: Send + 'static {
    /// The resume state after a post (ids, timestamps, seen sets), stored as JSON.
    type Cursor: Serialize + DeserializeOwned + Clone + Default + Send + Sync + 'static;

    /// One request (or one short round of requests) for what follows `cursor`, oldest
    /// first, each item with the cursor that resumes after it.
    fn poll<'a>(&'a mut self, http: &'a mut Http, cursor: &'a Self::Cursor) -> impl Future<Output = Result<Page<Self::Cursor>, PollError>> + Send + 'a;
}

/// What one poll found.
pub struct Page<C> {
    /// Oldest first; each with the cursor after it.
    pub items: Vec<(Item, C)>,
    /// How many records the network returned (including ones already seen and skipped).
    pub fetched: u64,
    /// True when the network has more right away (a full page): poll again without waiting.
    pub more: bool,
}

impl<C> Default for Page<C> {
    fn default() -> Self {
        Page { items: Vec::new(), fetched: 0, more: false }
    }
}

/// A record of the network's answer.
#[derive(Debug)]
pub enum Item {
    Post(Post),
    /// A record that could not be mapped to a post: kept as a dead letter, never dropped.
    Malformed { reason: String, raw: String },
}

/// How often and how patiently a connector polls (`poll = { … }` in each source).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PollConfig {
    /// Pause between polls once the network has nothing more (seconds, fractions allowed).
    pub interval_secs: f64,
    /// Backoff after a failed poll: a random wait up to `backoff_base_ms · 2^(failures-1)`,
    /// at most `backoff_cap_secs` (exponential backoff with full jitter).
    pub backoff_base_ms: u64,
    pub backoff_cap_secs: u64,
    /// Time limit of one HTTP request.
    pub timeout_secs: u64,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig { interval_secs: 60.0, backoff_base_ms: 1000, backoff_cap_secs: 900, timeout_secs: 30 }
    }
}

impl PollConfig {
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(self.interval_secs.max(0.0))
    }

    pub fn backoff(&self) -> Backoff {
        Backoff::new(Duration::from_millis(self.backoff_base_ms), Duration::from_secs(self.backoff_cap_secs))
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
    }

    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut p = Vec::new();
        if !self.interval_secs.is_finite() || self.interval_secs < 0.0 {
            p.push(format!("{at}.poll.interval_secs must be a number of seconds ≥ 0"));
        }
        if self.backoff_base_ms == 0 || self.backoff_cap_secs == 0 {
            p.push(format!("{at}.poll: backoff_base_ms and backoff_cap_secs must be above 0"));
        }
        p
    }
}

/// Live counters of one connector (also exported through the `metrics` crate with the
/// label `connector = STREAM`).
#[derive(Debug, Default)]
pub struct ConnectorCounters {
    /// Records the network returned.
    pub fetched: AtomicU64,
    /// Posts handed to the pipeline (past the cursor, not seen before).
    pub new: AtomicU64,
    pub dead_letters: AtomicU64,
    /// Failed polls (outages, refusals, malformed answers); rate-limit waits not included.
    pub errors: AtomicU64,
    pub rate_limited: AtomicU64,
    /// Unix time of the last successful poll, 0 before the first.
    pub last_success: AtomicU64,
}

/// A network connector ready to run: the network, its HTTP client and its stream name.
pub struct Poller<N: Network> {
    pub network: N,
    pub http: Http,
    pub stream: String,
    pub config: PollConfig,
    pub counters: Arc<ConnectorCounters>,
}

impl<N: Network> Poller<N> {
    pub fn new(network: N, http: Http, stream: String, config: PollConfig) -> Poller<N> {
        Poller { network, http, stream, config, counters: Arc::default() }
    }

    /// Polls until `stop`, sending each post (and dead letter) to `out`. Returns when
    /// stopped or when `out` is closed; fails only when the saved cursor cannot be read.
    pub async fn run(mut self, from: Resume, out: mpsc::Sender<SourceItem>, mut stop: watch::Receiver<bool>) -> anyhow::Result<SourceStats> {
        let mut cursor: N::Cursor = match &from.cursor {
            None => N::Cursor::default(),
            Some(json) => serde_json::from_str(json).map_err(|e| {
                anyhow::anyhow!(
                    "the saved cursor of {} cannot be read ({e}); it was written by another hearken version. \
                     Erase its row from the checkpoints to start this source afresh",
                    self.stream
                )
            })?,
        };
        let label = self.stream.clone();
        let fetched_total = metrics::counter!("hearken_connector_fetched_total", "connector" => label.clone());
        let new_total = metrics::counter!("hearken_connector_new_total", "connector" => label.clone());
        let errors_total = metrics::counter!("hearken_connector_errors_total", "connector" => label.clone());
        let dead_total = metrics::counter!("hearken_connector_dead_letters_total", "connector" => label.clone());
        let last_success = metrics::gauge!("hearken_connector_last_success_seconds", "connector" => label.clone());
        let backoff = self.config.backoff();
        let mut jitter = Jitter::new();
        let mut offset = from.offset;
        let mut failures = 0u32;
        let mut last_malformed: Option<(String, String)> = None;
        let mut stats = SourceStats::default();
        let c = self.counters.clone();
        loop {
            if *stop.borrow() {
                return Ok(stats);
            }
            let polled = tokio::select! {
                p = self.network.poll(&mut self.http, &cursor) => p,
                _ = stop.changed() => return Ok(stats),
            };
            let wait = match polled {
                Ok(page) => {
                    failures = 0;
                    last_malformed = None;
                    c.fetched.fetch_add(page.fetched, Ordering::Relaxed);
                    fetched_total.increment(page.fetched);
                    let now = unix_now();
                    c.last_success.store(now, Ordering::Relaxed);
                    last_success.set(now as f64);
                    let more = page.more && !page.items.is_empty();
                    for (item, after) in page.items {
                        offset += 1;
                        let position = Position { stream: self.stream.clone(), offset, cursor: Some(serde_json::to_string(&after)?) };
                        let item = match item {
                            Item::Post(post) => {
                                c.new.fetch_add(1, Ordering::Relaxed);
                                new_total.increment(1);
                                stats.read += 1;
                                SourceItem::Post { post, position }
                            }
                            Item::Malformed { reason, raw } => {
                                c.dead_letters.fetch_add(1, Ordering::Relaxed);
                                dead_total.increment(1);
                                stats.rejected += 1;
                                tracing::warn!("{}: a record cannot be read, kept as a dead letter: {reason}", self.stream);
                                SourceItem::Rejected { letter: DeadLetter::new("source", &self.stream, None, &reason, &raw), position }
                            }
                        };
                        tokio::select! {
                            sent = out.send(item) => if sent.is_err() { return Ok(stats) },
                            _ = stop.changed() => return Ok(stats),
                        }
                        cursor = after;
                    }
                    if more {
                        Duration::ZERO
                    } else {
                        self.config.interval()
                    }
                }
                Err(PollError::RateLimited(wait)) => {
                    c.rate_limited.fetch_add(1, Ordering::Relaxed);
                    tracing::info!("{}: rate limited, waiting {wait:?} as the network asks", self.stream);
                    wait
                }
                Err(e) => {
                    failures += 1;
                    c.errors.fetch_add(1, Ordering::Relaxed);
                    errors_total.increment(1);
                    let wait = match &e {
                        PollError::Refused(_) => backoff.cap,
                        _ => backoff.delay(failures, &mut jitter),
                    };
                    if let PollError::Malformed { url, reason, body } = &e {
                        // The same bad answer again (we retry it: the cursor cannot move past
                        // what it did not read) is not written twice.
                        let key = (url.clone(), reason.clone());
                        if last_malformed.as_ref() != Some(&key) {
                            offset += 1;
                            let position = Position { stream: self.stream.clone(), offset, cursor: Some(serde_json::to_string(&cursor)?) };
                            let letter = DeadLetter::new("source", &format!("{} {url}", self.stream), None, reason, body);
                            c.dead_letters.fetch_add(1, Ordering::Relaxed);
                            dead_total.increment(1);
                            stats.rejected += 1;
                            tokio::select! {
                                sent = out.send(SourceItem::Rejected { letter, position }) => if sent.is_err() { return Ok(stats) },
                                _ = stop.changed() => return Ok(stats),
                            }
                            last_malformed = Some(key);
                        }
                    }
                    match &e {
                        PollError::Refused(_) => tracing::error!(
                            "{}: the network refused the request: {e}. Check the token and its scopes in the environment; retrying in {wait:?}",
                            self.stream
                        ),
                        _ => tracing::warn!("{}: poll failed ({failures} in a row), retrying in {wait:?}: {e}", self.stream),
                    }
                    wait
                }
            };
            if !wait.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {},
                    _ = stop.changed() => return Ok(stats),
                }
            }
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Reads an environment variable holding a secret, or says which to export.
pub fn secret_from_env(var: &str, what: &str) -> anyhow::Result<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => anyhow::bail!("{what} needs the environment variable {var}; export it (secrets never go in the config file)"),
    }
}

/// Reads one record of the network's answer as `T` and maps it to a post; a record that
/// does not fit (wrong shape, no text, over the size limit) becomes [`Item::Malformed`]
/// with the reason, instead of failing the whole answer.
pub fn record_item<T: DeserializeOwned>(raw: &serde_json::Value, what: &str, map: impl FnOnce(T) -> Result<Post, String>) -> Item {
    match serde_json::from_value::<T>(raw.clone()) {
        Ok(record) => match map(record).and_then(|p| p.validate().map(|_| p).map_err(|e| e.to_string())) {
            Ok(post) => Item::Post(post),
            Err(reason) => Item::Malformed { reason: format!("{what}: {reason}"), raw: raw.to_string() },
        },
        Err(e) => Item::Malformed { reason: format!("{what} does not have the documented shape: {e}"), raw: raw.to_string() },
    }
}

/// Compares numeric ids given as strings (snowflakes, Mastodon ids) without overflow.
pub fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

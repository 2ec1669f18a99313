//! The dispatcher: takes due deliveries from the outbox and POSTs them to the CRM.
//!
//! - Each delivery is the stored body byte for byte, signed, with its event and delivery
//!   id as headers. A 2xx answer delivers it; any other answer, a timeout or a connection
//!   error is a failed attempt, retried after an exponential backoff with full jitter
//!   until `max_attempts`, after which the delivery is dead (kept, with its last error,
//!   for `hearken webhooks retry`).
//! - A case's events go out in version order: its next event waits until the previous
//!   one is delivered or dead, so the CRM never sees `escalated` before `opened`.
//! - At most `concurrency` deliveries are in flight, each for a different case.
//! - The outbox is the only state that matters. The retry times are written to it (to the
//!   second; the exact instant is kept in memory while the process lives), and an attempt
//!   is recorded only once it has an answer: a process killed mid-flight sends that
//!   delivery again after a restart, under the same id.
//!
//! New rows are found by polling (every 150 ms by default): the case store queues them in
//! its own transactions, which may be another connection's or another process's.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use tokio::task::{Id, JoinError, JoinSet};

use super::backoff::{Backoff, Jitter};
use super::outbox::{Delivery, Outbox};
use super::signature::{sign, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER};
use crate::config::WebhookConfig;

/// How often the outbox is looked at when nothing is in flight.
pub const DEFAULT_POLL: Duration = Duration::from_millis(150);

/// The longest `last_error` kept: enough for a status line and the start of a body.
const ERROR_CHARS: usize = 300;

pub struct Dispatcher {
    outbox: Arc<Mutex<Outbox>>,
    client: reqwest::Client,
    url: String,
    secret: Arc<[u8]>,
    timeout: Duration,
    backoff: Backoff,
    max_attempts: u32,
    concurrency: usize,
    poll: Duration,
}

/// What one run of the dispatcher did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DispatchStats {
    pub delivered: u64,
    /// Failed attempts that will be retried.
    pub retried: u64,
    pub dead: u64,
}

/// The result of one attempt.
struct Attempt {
    delivery: Delivery,
    /// `Err` holds what went wrong, for `last_error`.
    outcome: Result<(), String>,
}

impl Dispatcher {
    /// A dispatcher for the outbox of the case store at `case_store`, posting to
    /// `config.url` and signing with `secret` (`HEARKEN_WEBHOOK_SECRET`).
    pub fn new(config: &WebhookConfig, secret: &str, case_store: &Path) -> anyhow::Result<Dispatcher> {
        anyhow::ensure!(!secret.is_empty(), "the webhook secret is empty; export HEARKEN_WEBHOOK_SECRET");
        let timeout = Duration::from_millis(config.timeout_ms.max(1));
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // A redirect would turn the POST into a GET elsewhere: treat it as a failure.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hearken/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Dispatcher {
            outbox: Arc::new(Mutex::new(Outbox::open(case_store)?)),
            client,
            url: config.url.clone(),
            secret: Arc::from(secret.as_bytes()),
            timeout,
            backoff: Backoff::new(Duration::from_millis(config.backoff_base_ms.max(1)), Duration::from_millis(config.backoff_cap_ms)),
            max_attempts: config.max_attempts.max(1),
            concurrency: config.concurrency.max(1),
            poll: DEFAULT_POLL,
        })
    }

    /// Look at the outbox this often when idle.
    pub fn with_poll_interval(mut self, poll: Duration) -> Dispatcher {
        self.poll = poll.max(Duration::from_millis(1));
        self
    }

    /// Delivers until `stop` turns true (or its sender is dropped), then waits for the
    /// attempts in flight (each bounded by the timeout) and records their results.
    pub async fn run(self, mut stop: watch::Receiver<bool>) -> anyhow::Result<DispatchStats> {
        let mut state = State::default();
        let mut tasks: JoinSet<Attempt> = JoinSet::new();
        loop {
            if *stop.borrow() {
                break;
            }
            self.start_due(&mut state, &mut tasks).await;
            tokio::select! {
                Some(joined) = tasks.join_next_with_id(), if !tasks.is_empty() => self.settle(joined, &mut state).await,
                _ = tokio::time::sleep(self.poll) => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
        let deadline = tokio::time::Instant::now() + self.timeout + Duration::from_secs(2);
        while !tasks.is_empty() {
            match tokio::time::timeout_at(deadline, tasks.join_next_with_id()).await {
                Ok(Some(joined)) => self.settle(joined, &mut state).await,
                Ok(None) => break,
                Err(_) => {
                    // Still pending in the outbox: sent again after the restart.
                    tasks.abort_all();
                    break;
                }
            }
        }
        Ok(state.stats)
    }

    /// Starts attempts for the due deliveries, up to the concurrency, one per case.
    async fn start_due(&self, state: &mut State, tasks: &mut JoinSet<Attempt>) {
        let free = self.concurrency.saturating_sub(tasks.len());
        if free == 0 {
            return;
        }
        // Rows skipped below are at most the cases in flight and those waiting for their
        // exact retry instant: ask for that many more than the free slots.
        let limit = free + state.busy.len() + state.not_before.len();
        let due = match self.db(move |o| o.due(unix_now(), limit)).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!("webhook: cannot read the outbox: {e:#}");
                return;
            }
        };
        let now = Instant::now();
        for delivery in due {
            if tasks.len() >= self.concurrency {
                break;
            }
            if state.busy.contains(&delivery.case_id) || state.not_before.get(&delivery.id).is_some_and(|t| *t > now) {
                continue;
            }
            state.not_before.remove(&delivery.id);
            state.busy.insert(delivery.case_id.clone());
            let case_id = delivery.case_id.clone();
            let handle = tasks.spawn(attempt(self.client.clone(), self.url.clone(), self.secret.clone(), self.timeout, delivery));
            state.tasks.insert(handle.id(), case_id);
        }
    }

    /// Records the result of an attempt in the outbox.
    async fn settle(&self, joined: Result<(Id, Attempt), JoinError>, state: &mut State) {
        let Attempt { delivery, outcome } = match joined {
            Ok((id, attempt)) => {
                state.tasks.remove(&id);
                attempt
            }
            Err(e) => {
                // An attempt that panicked or was aborted: its delivery stays pending.
                if let Some(case_id) = state.tasks.remove(&e.id()) {
                    state.busy.remove(&case_id);
                }
                tracing::error!("webhook: an attempt failed unexpectedly: {e}");
                return;
            }
        };
        state.busy.remove(&delivery.case_id);
        let attempts = delivery.attempts + 1;
        let id = delivery.id.clone();
        let recorded = match outcome {
            Ok(()) => {
                state.stats.delivered += 1;
                metrics::counter!("hearken_webhook_delivered_total").increment(1);
                tracing::debug!("webhook: {id} ({}) delivered after {attempts} attempt(s)", delivery.event);
                self.db(move |o| o.delivered(&id, attempts)).await
            }
            Err(error) if attempts >= self.max_attempts => {
                state.stats.dead += 1;
                metrics::counter!("hearken_webhook_dead_total").increment(1);
                tracing::warn!(
                    "webhook: {id} ({}) is dead after {attempts} attempts: {error}; `hearken webhooks retry --id {id}` sends it again",
                    delivery.event
                );
                self.db(move |o| o.dead(&id, attempts, &error)).await
            }
            Err(error) => {
                state.stats.retried += 1;
                metrics::counter!("hearken_webhook_retried_total").increment(1);
                let wait = self.backoff.delay(attempts, &mut state.jitter);
                state.not_before.insert(id.clone(), Instant::now() + wait);
                // To the second, rounded down: after a restart a retry may come a little
                // early, never late.
                let at = (SystemTime::now() + wait).duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
                tracing::info!("webhook: {id} attempt {attempts} failed ({error}); next in {wait:?}");
                self.db(move |o| o.retry_later(&id, attempts, at, &error)).await
            }
        };
        if let Err(e) = recorded {
            // The row keeps its previous state: at worst the delivery is sent once more.
            tracing::warn!("webhook: cannot record the result of {} in the outbox: {e:#}", delivery.id);
        }
    }

    /// Runs `f` on the outbox off the async threads (SQLite may wait for the pipeline's
    /// write lock).
    async fn db<T: Send + 'static>(&self, f: impl FnOnce(&Outbox) -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
        let outbox = self.outbox.clone();
        tokio::task::spawn_blocking(move || f(&outbox.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))).await?
    }
}

#[derive(Default)]
struct State {
    /// Cases with an attempt in flight: their next event waits.
    busy: HashSet<String>,
    /// The case of each running attempt, to free it if the attempt panics.
    tasks: HashMap<Id, String>,
    /// The exact instant before which a failed delivery is not retried (the outbox has it
    /// to the second).
    not_before: HashMap<String, Instant>,
    jitter: Jitter,
    stats: DispatchStats,
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// One POST of one delivery.
async fn attempt(client: reqwest::Client, url: String, secret: Arc<[u8]>, timeout: Duration, delivery: Delivery) -> Attempt {
    let signature = sign(&secret, delivery.body.as_bytes());
    let sent = client
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EVENT_HEADER, &delivery.event)
        .header(DELIVERY_HEADER, &delivery.id)
        .header(SIGNATURE_HEADER, signature)
        .body(delivery.body.clone())
        .send()
        .await;
    let outcome = match sent {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            let body = body.split_whitespace().collect::<Vec<_>>().join(" ");
            Err(shorten(if body.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {body}") }))
        }
        Err(e) if e.is_timeout() => Err(format!("no answer within {} ms", timeout.as_millis())),
        Err(e) if e.is_connect() => Err(shorten(format!("cannot connect: {}", chain(&e)))),
        Err(e) => Err(shorten(chain(&e))),
    };
    Attempt { delivery, outcome }
}

/// An error with its causes, `a: b: c` (reqwest's own message names none of them).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !out.contains(&s_text) {
            out.push_str(": ");
            out.push_str(&s_text);
        }
        source = s.source();
    }
    out
}

fn shorten(mut s: String) -> String {
    if s.chars().count() > ERROR_CHARS {
        s = s.chars().take(ERROR_CHARS).collect::<String>() + "…";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};
    use rusqlite::params;

    const SECRET: &str = "unit-test-secret";

    /// A receiver that answers each delivery id from a script (the last answer repeats)
    /// and records `(delivery id, signature ok)` in arrival order.
    type Log = Arc<Mutex<Vec<(String, bool)>>>;

    async fn receiver(script: HashMap<&'static str, Vec<u16>>, stall: Duration) -> (String, Log) {
        let log: Log = Arc::default();
        let seen = log.clone();
        let script = Arc::new(script);
        let handler = move |headers: HeaderMap, body: Bytes| {
            let (log, script) = (seen.clone(), script.clone());
            async move {
                let id = headers.get(DELIVERY_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
                let ok = super::super::verify(SECRET.as_bytes(), &body, sig)
                    && headers.get(EVENT_HEADER).is_some()
                    && headers.get(reqwest::header::CONTENT_TYPE).is_some_and(|v| v == "application/json");
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push((id.clone(), ok));
                    log.iter().filter(|(i, _)| *i == id).count()
                };
                tokio::time::sleep(stall).await;
                let answers = script.get(id.as_str()).cloned().unwrap_or_else(|| vec![200]);
                StatusCode::from_u16(answers[(n - 1).min(answers.len() - 1)]).unwrap()
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let app = axum::Router::new().route("/hook", axum::routing::post(handler));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, log)
    }

    fn outbox_with(path: &Path, ids: &[&str]) {
        drop(Outbox::open(path).unwrap());
        let conn = rusqlite::Connection::open(path).unwrap();
        for id in ids {
            let (case, _) = id.rsplit_once(':').unwrap();
            conn.execute(
                "INSERT INTO outbox (delivery_id, case_id, event, body, created_at, next_attempt_at) VALUES (?1, ?2, 'opened', ?3, 1, 1)",
                params![id, case, format!("{{\"delivery\":\"{id}\"}}")],
            )
            .unwrap();
        }
    }

    fn config(url: &str, max_attempts: u32, timeout_ms: u64) -> WebhookConfig {
        WebhookConfig {
            url: url.to_string(),
            events: vec!["opened".into()],
            timeout_ms,
            max_attempts,
            backoff_base_ms: 5,
            backoff_cap_ms: 20,
            concurrency: 4,
        }
    }

    /// Runs a dispatcher until the outbox has nothing pending, then stops it.
    async fn run_until_settled(config: WebhookConfig, path: &Path) -> (DispatchStats, HashMap<String, (String, u32, Option<String>)>) {
        let (stop_tx, stop) = watch::channel(false);
        let dispatcher = Dispatcher::new(&config, SECRET, path).unwrap().with_poll_interval(Duration::from_millis(10));
        let task = tokio::spawn(dispatcher.run(stop));
        let outbox = Outbox::open(path).unwrap();
        let start = Instant::now();
        while outbox.counts().unwrap().0 > 0 {
            assert!(start.elapsed() < Duration::from_secs(120), "deliveries still pending: {:?}", outbox.list(None, 100).unwrap());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop_tx.send(true).unwrap();
        let stats = task.await.unwrap().unwrap();
        let rows = outbox.list(None, 100).unwrap().into_iter().map(|r| (r.delivery_id, (r.state, r.attempts, r.last_error))).collect();
        (stats, rows)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failures_are_retried_until_the_budget_then_dead_and_a_case_keeps_its_order() {
        let script = HashMap::from([("case-a:1", vec![500]), ("case-b:1", vec![503, 502, 204])]);
        let (url, log) = receiver(script, Duration::ZERO).await;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("cases.sqlite");
        outbox_with(&path, &["case-a:1", "case-a:2", "case-b:1"]);

        let (stats, rows) = run_until_settled(config(&url, 3, 5000), &path).await;
        assert_eq!(rows["case-a:1"].0, "dead");
        assert_eq!(rows["case-a:1"].1, 3);
        assert!(rows["case-a:1"].2.as_deref().unwrap().starts_with("HTTP 500"), "{:?}", rows["case-a:1"]);
        assert_eq!((rows["case-a:2"].0.as_str(), rows["case-a:2"].1), ("delivered", 1));
        assert_eq!((rows["case-b:1"].0.as_str(), rows["case-b:1"].1, rows["case-b:1"].2.as_deref()), ("delivered", 3, None));
        assert_eq!(stats, DispatchStats { delivered: 2, retried: 4, dead: 1 });

        let log = log.lock().unwrap();
        assert!(log.iter().all(|(_, ok)| *ok), "a request without a valid signature or headers: {log:?}");
        let ids: Vec<&str> = log.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids.iter().filter(|i| **i == "case-a:1").count(), 3);
        let last_a1 = ids.iter().rposition(|i| *i == "case-a:1").unwrap();
        let first_a2 = ids.iter().position(|i| *i == "case-a:2").unwrap();
        assert!(last_a1 < first_a2, "case-a:2 was sent before case-a:1 died: {ids:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stalled_answer_or_a_closed_port_is_a_failed_attempt() {
        let (url, _log) = receiver(HashMap::new(), Duration::from_secs(3)).await;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("cases.sqlite");
        outbox_with(&path, &["case-s:1"]);
        let (stats, rows) = run_until_settled(config(&url, 1, 200), &path).await;
        assert_eq!(stats.dead, 1);
        assert_eq!(rows["case-s:1"].2.as_deref(), Some("no answer within 200 ms"));

        let closed = format!("http://127.0.0.1:{}/hook", std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port());
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("cases.sqlite");
        outbox_with(&path, &["case-c:1"]);
        let (_, rows) = run_until_settled(config(&closed, 2, 2000), &path).await;
        assert_eq!((rows["case-c:1"].0.as_str(), rows["case-c:1"].1), ("dead", 2));
        assert!(rows["case-c:1"].2.as_deref().unwrap().starts_with("cannot connect"), "{:?}", rows["case-c:1"]);
    }
}

//! Webhook delivery end to end: `hearken run` (the binary, as a user runs it) replays the
//! sample corpus and delivers its case events to a test CRM in this process that fails
//! about half of the requests, sometimes stalls past the client timeout, checks every
//! signature and processes each delivery id once.
//!
//! What must hold: every event queued in the outbox reaches the CRM, byte for byte and
//! signed, each case's events in version order; a lost answer only causes a duplicate the
//! CRM drops; and a SIGKILL in the middle of the retries loses nothing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hearken::model::WebhookPayload;
use hearken::sinks::DataDir;
use hearken::webhook::{verify, DeliveryState, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER};

const SAMPLE: &str = "tests/data/sample_posts.jsonl";
const SECRET: &str = "test-secret-shared-with-the-crm-0123456789";
/// The client timeout hearken is configured with, and how long the CRM stalls (past it).
const TIMEOUT_MS: u64 = 1000;
const STALL: Duration = Duration::from_millis(2500);
/// Generous: the machine is shared, and the failures are many.
const PATIENCE: Duration = Duration::from_secs(300);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------
// The test CRM
// ---------------------------------------------------------------------------------------

/// What the CRM saw.
#[derive(Default)]
struct Crm {
    requests: u64,
    /// Delivery ids in the order they were processed (each once).
    processed: Vec<String>,
    /// The body of each processed delivery, as received.
    bodies: HashMap<String, Bytes>,
    /// Deliveries received again after being processed (a lost answer, a restart).
    duplicates: u64,
    /// Requests whose signature, headers or body did not check out: should stay empty.
    rejected: Vec<String>,
}

type Shared = Arc<Mutex<Crm>>;

/// What the CRM does with request number `n`: about half fail with 500, one in ten is
/// processed but answered too late (the client gives up, retries, and the CRM must drop
/// the duplicate), one in ten stalls and is never processed.
enum Behaviour {
    Fail,
    ProcessThenStall,
    Stall,
    Process,
}

fn behaviour(n: u64) -> Behaviour {
    match n % 10 {
        1 | 3 | 5 | 7 | 9 => Behaviour::Fail,
        4 => Behaviour::ProcessThenStall,
        8 => Behaviour::Stall,
        _ => Behaviour::Process,
    }
}

async fn receive(State(crm): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = {
        let mut c = crm.lock().unwrap();
        c.requests += 1;
        c.requests
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (id, event, signature) = (header(DELIVERY_HEADER), header(EVENT_HEADER), header(SIGNATURE_HEADER));
    // Checked before anything else, on the raw bytes: an unsigned request is refused.
    if !verify(SECRET.as_bytes(), &body, &signature) {
        crm.lock().unwrap().rejected.push(format!("{id}: bad signature {signature:?}"));
        return StatusCode::UNAUTHORIZED;
    }
    let problem = match serde_json::from_slice::<WebhookPayload>(&body) {
        Err(e) => Some(format!("{id}: body is not a webhook payload: {e}")),
        Ok(p) if format!("{}:{}", p.case.id, p.case.version) != id => Some(format!("{id}: body is case {}:{}", p.case.id, p.case.version)),
        Ok(p) if p.event.as_str() != event => Some(format!("{id}: header event {event}, body event {}", p.event.as_str())),
        Ok(_) if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") => {
            Some(format!("{id}: content-type {:?}", headers.get("content-type")))
        }
        Ok(_) => None,
    };
    if let Some(p) = problem {
        crm.lock().unwrap().rejected.push(p);
        return StatusCode::BAD_REQUEST;
    }
    let process = |crm: &Shared| {
        let mut c = crm.lock().unwrap();
        if c.bodies.contains_key(&id) {
            c.duplicates += 1;
        } else {
            c.processed.push(id.clone());
            c.bodies.insert(id.clone(), body.clone());
        }
    };
    match behaviour(n) {
        Behaviour::Fail => StatusCode::INTERNAL_SERVER_ERROR,
        Behaviour::Stall => {
            tokio::time::sleep(STALL).await;
            StatusCode::SERVICE_UNAVAILABLE
        }
        Behaviour::ProcessThenStall => {
            process(&crm);
            tokio::time::sleep(STALL).await;
            StatusCode::OK
        }
        Behaviour::Process => {
            process(&crm);
            StatusCode::NO_CONTENT
        }
    }
}

/// Starts the CRM on 127.0.0.1 on a free port, on its own runtime (kept alive by the
/// returned value).
fn start_crm() -> (tokio::runtime::Runtime, Shared, String) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let crm: Shared = Arc::default();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/hooks/hearken", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/hooks/hearken", axum::routing::post(receive)).with_state(crm.clone());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (rt, crm, url)
}

// ---------------------------------------------------------------------------------------
// hearken run
// ---------------------------------------------------------------------------------------

/// The replay corpus: the team's sample, copied so the test does not depend on it
/// staying put while it runs.
fn corpus(path: &Path) -> usize {
    let sample = std::fs::read_to_string(root().join(SAMPLE)).unwrap_or_else(|e| panic!("{SAMPLE}: {e}"));
    let lines: Vec<&str> = sample.lines().filter(|l| !l.trim().is_empty()).collect();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
    lines.len()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Setup {
    _tmp: tempfile::TempDir,
    config: PathBuf,
    data: DataDir,
    log: PathBuf,
    posts: u64,
}

fn setup(crm_url: &str) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let corpus_path = tmp.path().join("corpus.jsonl");
    let posts = corpus(&corpus_path) as u64;
    let config = tmp.path().join("hearken.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {data:?}
[core]
entities = {entities:?}
[api]
listen = \"127.0.0.1:{port}\"
[[sources]]
kind = \"replay\"
path = {corpus_path:?}
[webhook]
url = \"{crm_url}\"
events = [\"opened\", \"escalated\"]
timeout_ms = {TIMEOUT_MS}
max_attempts = 60
backoff_base_ms = 20
backoff_cap_ms = 400
concurrency = 4
",
            data = tmp.path().join("data"),
            entities = root().join("lexicons/entities.toml"),
            port = free_port(),
        ),
    )
    .unwrap();
    Setup { data: DataDir::new(&tmp.path().join("data")), log: tmp.path().join("hearken.log"), config, posts, _tmp: tmp }
}

fn start_run(s: &Setup) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(&s.log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_hearken"))
        .current_dir(root())
        .arg("run")
        .arg("--config")
        .arg(&s.config)
        .env("HEARKEN_WEBHOOK_SECRET", SECRET)
        .env_remove("HEARKEN_API_TOKENS")
        .env("HEARKEN_LOG", "hearken=info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn log_tail(s: &Setup) -> String {
    let log = std::fs::read_to_string(&s.log).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// What the stores hold, read with connections of our own (hearken may be running).
struct Stored {
    posts: u64,
    /// Delivery id → (state, attempts).
    outbox: HashMap<String, (String, u32)>,
    bodies: HashMap<String, String>,
    /// `<case_id>:<version>` of every `opened` and `escalated` in the audit trail.
    webhook_events: HashSet<String>,
}

fn stored(s: &Setup) -> Option<Stored> {
    let path = s.data.case_store();
    if !path.exists() {
        return None;
    }
    // Read-only and plain SQL: the test must not race hearken creating its tables, nor
    // rely on the code it checks to read the outbox.
    let conn = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.busy_timeout(Duration::from_secs(10)).ok()?;
    let posts = conn.query_row("SELECT count(*) FROM posts", [], |r| r.get::<_, i64>(0)).ok()? as u64;
    let rows: Vec<(String, String, u32, String)> = conn
        .prepare("SELECT delivery_id, state, attempts, body FROM outbox")
        .ok()?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .ok()?
        .collect::<Result<_, _>>()
        .ok()?;
    let events: Vec<String> =
        conn.prepare("SELECT body FROM case_events").ok()?.query_map([], |r| r.get(0)).ok()?.collect::<Result<_, _>>().ok()?;
    let webhook_events = events
        .iter()
        .map(|b| serde_json::from_str::<hearken::model::CaseEvent>(b).unwrap())
        .filter(|e| matches!(e.kind.as_str(), "opened" | "escalated"))
        .map(|e| format!("{}:{}", e.case_id, e.version))
        .collect();
    Some(Stored {
        posts,
        outbox: rows.iter().map(|(id, state, attempts, _)| (id.clone(), (state.clone(), *attempts))).collect(),
        bodies: rows.into_iter().map(|(id, _, _, body)| (id, body)).collect(),
        webhook_events,
    })
}

/// Polls `done` until it gives a value; fails at once if `hearken run` exits meanwhile.
fn wait_until<T>(what: &str, s: &Setup, child: &mut Child, mut done: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(t) = done() {
            return t;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("hearken run exited ({status}) before {what}; its log ends with:\n{}", log_tail(s));
        }
        assert!(start.elapsed() < PATIENCE, "timed out after {PATIENCE:?} waiting until {what}; hearken's log ends with:\n{}", log_tail(s));
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every post stored and every outbox row delivered (or dead: then the checks fail loudly).
fn all_settled(s: &Setup) -> Option<Stored> {
    let st = stored(s)?;
    let settled = st.posts == s.posts && !st.outbox.is_empty() && st.outbox.values().all(|(state, _)| state != "pending");
    settled.then_some(st)
}

fn stop(mut child: Child, s: &Setup) {
    assert!(Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "hearken run exited with {status}; its log ends with:\n{}", log_tail(s));
}

/// The checks both tests share, once everything has settled.
fn check_everything_delivered_once(st: &Stored, crm: &Crm, s: &Setup) {
    let retried = st.outbox.values().filter(|(_, attempts)| *attempts > 1).count();
    eprintln!(
        "{} posts, {} webhook events, {} requests to the CRM, {} deliveries retried, {} duplicates dropped",
        st.posts,
        st.outbox.len(),
        crm.requests,
        retried,
        crm.duplicates
    );
    assert!(crm.rejected.is_empty(), "the CRM refused requests: {:#?}", crm.rejected);
    let dead: Vec<_> = st.outbox.iter().filter(|(_, (state, _))| state == DeliveryState::Dead.as_str()).collect();
    assert!(dead.is_empty(), "deliveries died: {dead:?}; log:\n{}", log_tail(s));

    // The outbox holds exactly the opened and escalated events of the audit trail…
    let queued: HashSet<String> = st.outbox.keys().cloned().collect();
    assert_eq!(queued, st.webhook_events, "the outbox and the audit trail disagree");
    // …and the CRM processed exactly those, each once, byte for byte.
    let processed: HashSet<String> = crm.processed.iter().cloned().collect();
    assert_eq!(processed.len(), crm.processed.len(), "a delivery was processed twice");
    let missing: Vec<_> = queued.difference(&processed).collect();
    let unknown: Vec<_> = processed.difference(&queued).collect();
    assert!(missing.is_empty() && unknown.is_empty(), "never reached the CRM: {missing:?}; not in the outbox: {unknown:?}");
    for (id, body) in &crm.bodies {
        assert_eq!(body.as_ref(), st.bodies[id].as_bytes(), "{id}: the CRM got other bytes than the outbox holds");
    }

    // Each case's events reached the CRM in version order.
    let mut last: HashMap<&str, u64> = HashMap::new();
    for id in &crm.processed {
        let (case, version) = id.rsplit_once(':').unwrap();
        let version: u64 = version.parse().unwrap();
        if let Some(before) = last.insert(case, version) {
            assert!(before < version, "{case}: version {version} was processed after version {before}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

#[test]
fn every_queued_case_event_reaches_a_flaky_crm_signed_in_order_and_once() {
    let (_rt, crm, url) = start_crm();
    let s = setup(&url);
    let mut child = start_run(&s);
    let st = wait_until("every post is stored and every delivery settled", &s, &mut child, || all_settled(&s));
    stop(child, &s);

    let crm = crm.lock().unwrap();
    assert!(st.webhook_events.len() >= 10, "the sample corpus gave only {} webhook events", st.webhook_events.len());
    assert!(
        st.webhook_events.iter().any(|id| !id.ends_with(":1")),
        "no escalation among the webhook events: the test would not check the per-case order"
    );
    check_everything_delivered_once(&st, &crm, &s);
    // The flaky CRM made hearken retry, and a lost answer made it send a duplicate.
    let retried = st.outbox.values().filter(|(_, attempts)| *attempts > 1).count();
    assert!(retried > 0, "no delivery needed a retry: the CRM was not flaky enough to test anything");
    assert!(crm.duplicates > 0, "no duplicate reached the CRM although it answered some deliveries too late");
}

#[test]
fn killing_run_while_deliveries_are_retried_loses_no_event() {
    let (_rt, crm, url) = start_crm();
    let s = setup(&url);
    let mut first = start_run(&s);
    // Kill while some deliveries reached the CRM and others are waiting for a retry.
    wait_until("some deliveries are done and others are being retried", &s, &mut first, || {
        let st = stored(&s)?;
        let delivered = st.outbox.values().filter(|(state, _)| state == "delivered").count();
        let retrying = st.outbox.values().filter(|(state, attempts)| state == "pending" && *attempts > 0).count();
        (delivered >= 3 && retrying >= 1).then_some(())
    });
    first.kill().unwrap(); // SIGKILL: nothing is flushed, in-flight requests are cut
    first.wait().unwrap();
    let at_kill = stored(&s).unwrap();
    let count = |state: &str| at_kill.outbox.values().filter(|(st, _)| st == state).count();
    eprintln!("killed with {} of {} posts stored, outbox {} delivered, {} pending", at_kill.posts, s.posts, count("delivered"), count("pending"));
    let pending = at_kill.outbox.values().filter(|(state, _)| state == "pending").count();
    assert!(pending > 0 || at_kill.posts < s.posts, "everything was done before the kill; the test proves nothing");

    let mut second = start_run(&s);
    let st = wait_until("after the restart, every post is stored and every delivery settled", &s, &mut second, || all_settled(&s));
    stop(second, &s);

    let crm = crm.lock().unwrap();
    check_everything_delivered_once(&st, &crm, &s);
    // Everything delivered before the kill stayed delivered and was not sent again as new.
    for (id, (state, _)) in &at_kill.outbox {
        if state == "delivered" {
            assert!(crm.bodies.contains_key(id), "{id} was marked delivered but the CRM never processed it");
        }
    }
}

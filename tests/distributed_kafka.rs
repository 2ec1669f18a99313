//! The distributed mode end to end, through the real Kafka-protocol broker that
//! `tests/run.sh` starts (tansu; `HEARKEN_TEST_KAFKA`), driving the `hearken` binary as an
//! operator would: `hearken replay --to kafka` publishes, `hearken run --role …` processes
//! score and store. Every test has its own topics, consumer groups and data dir.
//!
//! - 100,000 posts in → the same number scored and stored, none twice;
//! - `kill -9` of the core mid-stream, restart → every post scored, no duplicate rows or cases;
//! - two core processes in one group share the partitions, each post processed once in effect;
//! - malformed and oversized messages go to the dead-letter topic with their reason and
//!   stage, while the rest flows;
//! - the sinks role stores in ClickHouse as well (`HEARKEN_TEST_CLICKHOUSE`, a database per
//!   test): every post once, every case and audit event.
//!
//! The tests run one at a time (they start several processes each) and wait generously:
//! debug builds on two shared cores are slow, and no test asserts a speed.

mod support;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::Value;

/// One test at a time: each starts several hearken processes.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A test's own topics, groups, config and data dir.
struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    config: PathBuf,
    data: PathBuf,
    bootstrap: String,
    group: String,
    raw: String,
    scored: String,
    cases: String,
    dead: String,
    partitions: i32,
}

impl Setup {
    fn new(name: &str, partitions: i32, pipeline: (usize, usize)) -> Setup {
        let bootstrap = support::kafka_bootstrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let base = support::unique_name(name);
        let (raw, scored, cases, dead) =
            (format!("{base}_raw"), format!("{base}_scored"), format!("{base}_cases"), format!("{base}_dead"));
        let data = dir.join("data");
        // The sinks role stores in ClickHouse too: each test in its own database.
        let clickhouse = support::clickhouse_url();
        let config = dir.join("hearken.toml");
        std::fs::write(
            &config,
            format!(
                r#"mode = "distributed"
data_dir = "{data}"

[core]
entities = "lexicons/entities.toml"

[pipeline]
channel_capacity = {capacity}
batch_size = {batch}

[api]
listen = "127.0.0.1:0"

[kafka]
brokers = "{bootstrap}"
group_id = "{base}"

[kafka.topics]
raw = "{raw}"
scored = "{scored}"
cases = "{cases}"
deadletter = "{dead}"
partitions = {partitions}

[clickhouse]
url = "{clickhouse}"
database = "{base}"
batch_rows = 20000
batch_ms = 500
"#,
                data = data.display(),
                capacity = pipeline.0,
                batch = pipeline.1,
            ),
        )
        .unwrap();
        Setup { _tmp: tmp, dir, config, data, bootstrap, group: base, raw, scored, cases, dead, partitions }
    }

    fn hearken(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hearken"));
        cmd.current_dir(root())
            .env_remove("HEARKEN_KAFKA_BROKERS")
            .env("HEARKEN_LOG", "hearken=info")
            .env("HEARKEN_PSEUDONYM_KEY", "test-pseudonym-key-0123456789");
        cmd
    }

    fn publish(&self, corpus: &Path) -> String {
        let out = self.hearken().args(["replay", "--to", "kafka", "--config"]).arg(&self.config).arg(corpus).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "replay --to kafka failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        stdout
    }

    /// Starts `hearken run --role ROLES`; its stderr goes to a file named after `name`.
    fn start(&self, name: &str, roles: &str) -> Proc {
        let log = self.dir.join(format!("{name}.log"));
        let child = self
            .hearken()
            .args(["run", "--config"])
            .arg(&self.config)
            .args(["--role", roles])
            .stdout(Stdio::null())
            .stderr(Stdio::from(File::create(&log).unwrap()))
            .spawn()
            .unwrap();
        Proc { name: name.to_string(), child: Some(child), log }
    }

    fn stored_uids(&self) -> Vec<String> {
        let path = self.data.join("cases.sqlite");
        if !path.exists() {
            return Vec::new();
        }
        let Ok(conn) = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) else { return Vec::new() };
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        let Ok(mut stmt) = conn.prepare("SELECT uid FROM posts") else { return Vec::new() };
        stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
    }

    fn stored_count(&self) -> usize {
        let path = self.data.join("cases.sqlite");
        let Ok(conn) = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) else { return 0 };
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.query_row("SELECT count(*) FROM posts", [], |r| r.get::<_, i64>(0)).map(|n| n as usize).unwrap_or(0)
    }

    /// `SELECT count(), uniqExact(key) FROM table FINAL` in the test's ClickHouse database.
    fn clickhouse_counts(&self, table: &str, key: &str) -> (u64, u64) {
        let sql = format!("SELECT count(), uniqExact({key}) FROM {}.{table} FINAL", self.group);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(support::clickhouse_client().query(&sql).fetch_one::<(u64, u64)>()).unwrap()
    }

    fn client(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap).set("socket.timeout.ms", "10000");
        c
    }

    /// About how many messages a topic holds, from its watermarks. Only a progress hint:
    /// tansu's high watermark can lag behind the last batch of a partition (see
    /// `read_all` for exact counts).
    fn about_messages_in(&self, topic: &str) -> i64 {
        let consumer: BaseConsumer = self.client().create().unwrap();
        (0..self.partitions)
            .map(|p| match consumer.fetch_watermarks(topic, p, Duration::from_secs(10)) {
                Ok((low, high)) => high - low,
                Err(_) => 0, // not created yet
            })
            .sum()
    }

    /// Every message of a topic: read from the beginning until `at_least` arrived and
    /// then nothing more for 3 s.
    fn messages_in(&self, topic: &str, at_least: usize) -> Vec<Received> {
        self.read_all(topic, at_least, Duration::from_secs(300))
    }

    /// The offsets committed by consumer group `group` on `topic`, per partition.
    fn committed(&self, group: &str, topic: &str) -> HashMap<i32, Offset> {
        let consumer: BaseConsumer = self.client().set("group.id", group).create().unwrap();
        let mut list = TopicPartitionList::new();
        for p in 0..self.partitions {
            list.add_partition(topic, p);
        }
        let committed = consumer.committed_offsets(list, Duration::from_secs(15)).unwrap();
        committed.elements().iter().map(|e| (e.partition(), e.offset())).collect()
    }

    /// Reads every message of `topic` from the beginning (no group) until at least
    /// `want` arrived and then none for 3 s, or `timeout` passed.
    fn read_all(&self, topic: &str, want: usize, timeout: Duration) -> Vec<Received> {
        let consumer: BaseConsumer = self.client().set("group.id", support::unique_name("reader")).create().unwrap();
        let mut list = TopicPartitionList::new();
        for p in 0..self.partitions {
            list.add_partition_offset(topic, p, Offset::Beginning).unwrap();
        }
        consumer.assign(&list).unwrap();
        let deadline = Instant::now() + timeout;
        let mut last = Instant::now();
        let mut out = Vec::new();
        while Instant::now() < deadline && (out.len() < want || last.elapsed() < Duration::from_secs(3)) {
            if let Some(m) = consumer.poll(Duration::from_millis(200)) {
                let m = m.unwrap();
                last = Instant::now();
                let headers = m
                    .headers()
                    .map(|h| h.iter().map(|h| (h.key.to_string(), String::from_utf8_lossy(h.value.unwrap_or_default()).to_string())).collect())
                    .unwrap_or_default();
                out.push(Received {
                    key: m.key().map(|k| String::from_utf8_lossy(k).to_string()),
                    payload: m.payload().map(|p| String::from_utf8_lossy(p).to_string()).unwrap_or_default(),
                    headers,
                    partition: m.partition(),
                    offset: m.offset(),
                });
            }
        }
        out
    }

    fn producer(&self) -> FutureProducer {
        self.client().set("message.max.bytes", "2000000").create().unwrap()
    }
}

struct Received {
    key: Option<String>,
    payload: String,
    headers: HashMap<String, String>,
    partition: i32,
    offset: i64,
}

/// How many messages carry each key.
fn key_counts(messages: &[Received]) -> HashMap<&str, usize> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for m in messages {
        *counts.entry(m.key.as_deref().unwrap_or("")).or_default() += 1;
    }
    counts
}

/// A running `hearken run`; killed (SIGKILL) if the test fails before stopping it.
struct Proc {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

impl Proc {
    fn log(&self) -> String {
        read(&self.log)
    }

    fn assert_running(&mut self) {
        if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
            panic!("{} exited ({status}) early:\n{}", self.name, self.log());
        }
    }

    /// `kill -9`: no chance to commit or flush anything.
    fn kill9(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// SIGTERM, then waits for a clean exit and returns the log.
    fn stop(&mut self) -> String {
        let mut child = self.child.take().unwrap();
        assert!(Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("{} did not stop within 120 s of SIGTERM:\n{}", self.name, self.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let log = self.log();
        assert!(status.success(), "{} exited with {status}:\n{log}", self.name);
        log
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("---- log of {} ----\n{}", self.name, self.log());
        }
    }
}

/// Polls `done` every 200 ms until it holds; fails after `timeout`, or when a process exits.
fn wait_until(what: &str, timeout: Duration, procs: &mut [&mut Proc], mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        for p in procs.iter_mut() {
            p.assert_running();
        }
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting until {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A corpus of `n` posts: every 20th is a post of the sample corpus (hospitals, clinicians,
/// complaints; shifted 15 days per round so each round tells its own stories), the others
/// everyday chatter that names no hospital. Returns the file and the uids.
fn corpus(dir: &Path, n: usize) -> (PathBuf, Vec<String>) {
    let sample: Vec<Value> = std::fs::read_to_string(root().join("tests/data/sample_posts.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    const WORDS: [&str; 24] = [
        "coffee", "weekend", "traffic", "rain", "football", "concert", "recipe", "garden", "train", "movie", "beach", "market",
        "laptop", "holiday", "birthday", "pizza", "music", "office", "cat", "bicycle", "library", "sunset", "homework", "festival",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let path = dir.join(format!("corpus_{n}.jsonl"));
    let mut out = String::with_capacity(n * 300);
    let mut uids = Vec::with_capacity(n);
    let mut from_sample = 0usize;
    for i in 0..n {
        let post = if i % 20 == 0 {
            let round = from_sample / sample.len();
            let mut p = sample[from_sample % sample.len()].clone();
            from_sample += 1;
            let id = format!("{}-{round}", p["id"].as_str().unwrap());
            p["id"] = Value::String(id);
            if let Some(at) = p.get("created_at").and_then(Value::as_str) {
                let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap()
                    + time::Duration::days(15 * round as i64);
                p["created_at"] = Value::String(t.format(&time::format_description::well_known::Rfc3339).unwrap());
            }
            if let Some(parent) = p.get("reply_to").and_then(Value::as_str) {
                p["reply_to"] = Value::String(format!("{parent}-{round}"));
            }
            p
        } else {
            let words: Vec<&str> = (0..8).map(|_| WORDS[(next() % WORDS.len() as u64) as usize]).collect();
            serde_json::json!({
                "id": format!("chat-{i}"),
                "source": "reddit",
                "text": format!("Day {i}: {} and {}, then {} with {} — {} {} {} {}", words[0], words[1], words[2], words[3], words[4], words[5], words[6], words[7]),
                "author": {"handle": format!("user{}", next() % 5000), "followers": next() % 2000},
            })
        };
        let line = serde_json::to_string(&post).unwrap();
        uids.push(hearken::model::Post::from_json_line(&line).unwrap().uid());
        out.push_str(&line);
        out.push('\n');
    }
    std::fs::write(&path, out).unwrap();
    (path, uids)
}

/// No post twice, and exactly the corpus.
fn assert_stored_once(setup: &Setup, uids: &[String]) {
    let stored = setup.stored_uids();
    let distinct: HashSet<&String> = stored.iter().collect();
    assert_eq!(stored.len(), distinct.len(), "a post is stored twice");
    let expected: HashSet<&String> = uids.iter().collect();
    assert_eq!(distinct.len(), expected.len(), "stored {} posts, the corpus has {}", distinct.len(), expected.len());
    assert!(distinct == expected, "the stored posts are not the corpus");
}

/// Every case opened once, and no post in two cases (a post read twice changes nothing).
fn assert_cases_once(setup: &Setup) -> usize {
    let conn = rusqlite::Connection::open(setup.data.join("cases.sqlite")).unwrap();
    let bodies: Vec<String> =
        conn.prepare("SELECT body FROM cases").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let opened: i64 = conn
        .query_row("SELECT count(*) FROM case_events WHERE json_extract(body, '$.kind') = 'opened'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(opened as usize, bodies.len(), "each case has exactly one 'opened' event");
    let mut case_of: HashMap<String, String> = HashMap::new();
    for body in &bodies {
        let case: hearken::model::Case = serde_json::from_str(body).unwrap();
        let distinct: HashSet<&String> = case.post_uids.iter().collect();
        assert_eq!(distinct.len(), case.post_uids.len(), "case {} lists a post twice", case.id);
        for uid in &case.post_uids {
            if let Some(other) = case_of.insert(uid.clone(), case.id.clone()) {
                panic!("post {uid} is in cases {other} and {}", case.id);
            }
        }
    }
    bodies.len()
}

/// `N` from a role's summary line, e.g. `N` of "hearken: core: N scored, …".
/// ClickHouse holds every one of the `posts` once, the `cases` once each, and as many
/// case events as the case store's audit trail.
fn assert_clickhouse_has_the_store(setup: &Setup, posts: usize, cases: usize) {
    assert_eq!(setup.clickhouse_counts("posts", "uid"), (posts as u64, posts as u64), "ClickHouse posts (rows, distinct uids)");
    assert_eq!(setup.clickhouse_counts("cases", "case_id"), (cases as u64, cases as u64), "ClickHouse cases");
    let conn = rusqlite::Connection::open(setup.data.join("cases.sqlite")).unwrap();
    let audit: i64 = conn.query_row("SELECT count(*) FROM case_events", [], |r| r.get(0)).unwrap();
    let (events_rows, _) = setup.clickhouse_counts("case_events", "case_id");
    assert_eq!(events_rows, audit as u64, "ClickHouse case_events against the case store's audit trail");
}

fn summary_number(log: &str, role: &str, what: &str) -> u64 {
    let prefix = format!("hearken: {role}: ");
    log.lines()
        .rev()
        .filter(|l| l.starts_with(&prefix))
        .find_map(|l| {
            let before = &l[..l.find(what)?];
            before.split_whitespace().last()?.trim_matches('(').parse().ok()
        })
        .unwrap_or_else(|| panic!("no {role} summary with \"N {what}\" in:\n{log}"))
}

#[test]
fn a_hundred_thousand_posts_are_scored_and_stored_once() {
    let _serial = serial();
    const N: usize = 100_000;
    let setup = Setup::new("hk_100k", 4, (1024, 1000));
    let (file, uids) = corpus(&setup.dir, N);
    let published = setup.publish(&file);
    assert!(published.contains(&format!("published {N} posts")), "{published}");

    let mut run = setup.start("core_and_sinks", "core,sinks");
    wait_until("every post is stored", Duration::from_secs(1800), &mut [&mut run], || setup.stored_count() >= N);
    let log = run.stop();

    assert_eq!(summary_number(&log, "core", "scored"), N as u64, "{log}");
    assert_stored_once(&setup, &uids);
    let cases = assert_cases_once(&setup);
    assert!(cases > 0, "the sample posts open cases");
    // None twice on the way either: the raw and scored topics hold each post once…
    for topic in [&setup.raw, &setup.scored] {
        let messages = setup.messages_in(topic, N);
        assert_eq!(messages.len(), N, "messages on {topic}");
        let keys = key_counts(&messages);
        assert_eq!(keys.len(), N, "distinct keys on {topic}");
        // …and each group committed, after confirmation, up to the end of each partition.
        let role = if topic == &setup.raw { "core" } else { "sinks" };
        let committed = setup.committed(&format!("{}.{role}", setup.group), topic);
        for p in 0..setup.partitions {
            let end = messages.iter().filter(|m| m.partition == p).map(|m| m.offset + 1).max();
            let expected = end.map_or(Offset::Invalid, Offset::Offset);
            assert_eq!(committed[&p], expected, "group {}.{role}, {topic} partition {p}", setup.group);
        }
    }
    // Case events went out on the cases topic, keyed by case id.
    let events = setup.messages_in(&setup.cases, cases);
    assert!(events.len() >= cases, "{} case events for {cases} cases", events.len());
    assert!(events.iter().all(|e| e.key.as_deref().is_some_and(|k| !k.is_empty()) && e.headers.contains_key("hearken-event")));
    // ClickHouse holds every post once, every case, and the case store's audit trail
    // (the sinks role confirmed its offsets only after ClickHouse had the rows).
    assert_clickhouse_has_the_store(&setup, N, cases);
}

#[test]
fn killing_the_core_mid_stream_and_restarting_scores_every_post_once_in_effect() {
    let _serial = serial();
    const N: usize = 20_000;
    let setup = Setup::new("hk_kill", 4, (256, 200));
    let (file, uids) = corpus(&setup.dir, N);
    let mut sinks = setup.start("sinks", "sinks");
    setup.publish(&file);

    let mut first = setup.start("core_1", "core");
    wait_until("the first core has scored some posts", Duration::from_secs(600), &mut [&mut first, &mut sinks], || {
        setup.about_messages_in(&setup.scored) >= 3000
    });
    first.kill9();

    let mut second = setup.start("core_2", "core");
    wait_until("every post is stored", Duration::from_secs(1200), &mut [&mut second, &mut sinks], || setup.stored_count() >= N);
    let second_log = second.stop();
    let sinks_log = sinks.stop();

    assert_stored_once(&setup, &uids);
    assert_cases_once(&setup);
    let scored = setup.messages_in(&setup.scored, N);
    let keys = key_counts(&scored);
    assert_eq!(keys.len(), N, "every post was scored");
    let rescored = summary_number(&second_log, "core", "scored") as usize;
    let twice = scored.len() - N;
    eprintln!("scored before the kill: {}; after the restart: {rescored}; scored twice: {twice}", scored.len() - rescored);
    assert!(rescored < N, "the restarted core scored {rescored} of {N}: it started over");
    // Only what was uncommitted at the kill is done again: what was in flight (two
    // channels of 256, the core's run of up to 256, the sink's batch of 200 and the one
    // before it still on its way to the broker) and what was confirmed since the last
    // commit (the reader commits at least every 500 confirmed messages).
    assert!(twice <= 3 * 256 + 2 * 200 + hearken::transport::kafka::COMMIT_AFTER_MESSAGES, "{twice} posts were scored twice");
    assert_eq!(summary_number(&sinks_log, "sinks", "new)"), N as u64, "{sinks_log}");
}

#[test]
fn killing_the_sinks_role_mid_stream_and_restarting_leaves_clickhouse_complete() {
    // The sinks role commits a batch's offsets only once ClickHouse has its rows too
    // (they are inserted on a task of their own, up to a second later): offsets
    // committed early would leave, after a kill -9, posts that ClickHouse never gets.
    let _serial = serial();
    const N: usize = 20_000;
    let setup = Setup::new("hk_kill_sinks", 4, (256, 200));
    let (file, uids) = corpus(&setup.dir, N);
    let mut core = setup.start("core", "core");
    setup.publish(&file);

    let mut first = setup.start("sinks_1", "sinks");
    wait_until("the first sinks role has stored some posts", Duration::from_secs(600), &mut [&mut first, &mut core], || {
        setup.stored_count() >= 3000
    });
    first.kill9();
    assert!(setup.stored_count() < N, "the kill came too late to test anything");

    let mut second = setup.start("sinks_2", "sinks");
    wait_until("every post is stored", Duration::from_secs(1200), &mut [&mut second, &mut core], || setup.stored_count() >= N);
    second.stop();
    core.stop();

    assert_stored_once(&setup, &uids);
    let cases = assert_cases_once(&setup);
    assert_clickhouse_has_the_store(&setup, N, cases);
}

#[test]
fn two_core_processes_in_one_group_share_the_partitions() {
    let _serial = serial();
    const N: usize = 20_000;
    let setup = Setup::new("hk_two", 4, (512, 500));
    let (file, uids) = corpus(&setup.dir, N);
    let mut sinks = setup.start("sinks", "sinks");
    let mut a = setup.start("core_a", "core");
    let log_a = a.log.clone();
    wait_until("core a has partitions", Duration::from_secs(120), &mut [&mut a, &mut sinks], || read(&log_a).contains("assigned"));
    let mut b = setup.start("core_b", "core");
    let log_b = b.log.clone();
    wait_until("core b has partitions", Duration::from_secs(120), &mut [&mut a, &mut b, &mut sinks], || read(&log_b).contains("assigned"));
    setup.publish(&file);

    wait_until("every post is stored", Duration::from_secs(1200), &mut [&mut a, &mut b, &mut sinks], || setup.stored_count() >= N);
    let (log_a, log_b) = (a.stop(), b.stop());
    sinks.stop();

    let (scored_a, scored_b) = (summary_number(&log_a, "core", "scored"), summary_number(&log_b, "core", "scored"));
    eprintln!("core a scored {scored_a}, core b {scored_b}");
    assert!(scored_a > 0 && scored_b > 0, "both cores take part: a scored {scored_a}, b {scored_b}");
    assert!(scored_a + scored_b >= N as u64);
    // Every message on the scored topic came from one of them…
    let scored = setup.messages_in(&setup.scored, N);
    assert_eq!(scored.len() as u64, scored_a + scored_b);
    assert_eq!(key_counts(&scored).len(), N);
    // …and each post is stored once.
    assert_stored_once(&setup, &uids);
    assert_cases_once(&setup);
}

#[test]
fn malformed_and_oversized_messages_go_to_the_dead_letter_topic_while_the_rest_flows() {
    let _serial = serial();
    const GOOD: usize = 1000;
    let setup = Setup::new("hk_dead", 2, (1024, 1000));
    let (_, uids) = corpus(&setup.dir, GOOD);
    let good: Vec<String> = std::fs::read_to_string(setup.dir.join(format!("corpus_{GOOD}.jsonl")))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut run = setup.start("core_and_sinks", "core,sinks");
    let log = run.log.clone();
    wait_until("the topics exist", Duration::from_secs(120), &mut [&mut run], || read(&log).contains("assigned"));

    let version = |v: &str| OwnedHeaders::new().insert(Header { key: "hearken-schema-version", value: Some(v) });
    let long_text = serde_json::json!({"id": "long", "text": "sakit ".repeat(12_000)}).to_string();
    let oversized = serde_json::json!({"id": "huge", "text": "x", "padding": "y".repeat(600 * 1024)}).to_string();
    // (payload, headers, expected reason, stage)
    let bad: Vec<(Vec<u8>, OwnedHeaders, &str, &str, &str)> = vec![
        (b"this is not json".to_vec(), version("1"), "not valid JSON", "core", "raw"),
        (br#"{"id":"no-text"}"#.to_vec(), version("1"), "missing field `text`", "core", "raw"),
        (long_text.into_bytes(), version("1"), "over the 65536-byte limit", "core", "raw"),
        (oversized.into_bytes(), version("1"), "over the 524288-byte limit", "core", "raw"),
        (br#"{"id":"future","text":"from a newer hearken"}"#.to_vec(), version("99"), "schema version 99", "core", "raw"),
        (b"{\"id\":\"bin\",\"text\":\"\xff\xfe\"}".to_vec(), version("1"), "not UTF-8", "core", "raw"),
        (br#"{"post": 1}"#.to_vec(), version("1"), "not a scored post", "sink", "scored"),
    ];
    let producer = setup.producer();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut bad_iter = bad.iter();
        for (i, line) in good.iter().enumerate() {
            // A bad message every 150 good ones: the good ones around it must still flow.
            if i % 150 == 75 {
                if let Some((payload, headers, _, _, topic)) = bad_iter.next() {
                    let topic = if *topic == "raw" { &setup.raw } else { &setup.scored };
                    let record = FutureRecord::to(topic).key("bad").payload(payload).headers(headers.clone());
                    producer.send(record, Duration::from_secs(30)).await.map_err(|(e, _)| e).unwrap();
                }
            }
            let uid = hearken::model::Post::from_json_line(line).unwrap().uid();
            let record = FutureRecord::to(&setup.raw).key(&uid).payload(line).headers(version("1"));
            producer.send(record, Duration::from_secs(30)).await.map_err(|(e, _)| e).unwrap();
        }
        assert!(bad_iter.next().is_none(), "every bad message was sent");
    });

    wait_until("the good posts are stored", Duration::from_secs(600), &mut [&mut run], || setup.stored_count() >= GOOD);
    let letters = setup.messages_in(&setup.dead, bad.len());
    let log = run.stop();
    assert_stored_once(&setup, &uids);
    assert_eq!(letters.len(), bad.len(), "dead letters: {:?}", letters.iter().map(|l| &l.headers).collect::<Vec<_>>());
    for (_, _, reason, stage, topic) in &bad {
        let topic = if *topic == "raw" { &setup.raw } else { &setup.scored };
        let letter = letters
            .iter()
            .find(|l| l.headers.get("hearken-reason").is_some_and(|r| r.contains(reason)))
            .unwrap_or_else(|| panic!("no dead letter with reason \"{reason}\"; reasons: {:?}", letters.iter().map(|l| &l.headers["hearken-reason"]).collect::<Vec<_>>()));
        assert_eq!(letter.headers["hearken-stage"], *stage, "stage of \"{reason}\"");
        assert_eq!(letter.headers["hearken-schema-version"], hearken::model::SCHEMA_VERSION.to_string());
        assert!(letter.headers["hearken-origin"].starts_with(&format!("kafka:{topic}/")), "origin {}", letter.headers["hearken-origin"]);
        let body: hearken::pipeline::dead_letter::DeadLetter = serde_json::from_str(&letter.payload).unwrap();
        assert!(body.reason.contains(reason) && body.stage == *stage, "{body:?}");
        assert!(body.raw.len() <= 64 * 1024, "the raw input is cut at 64 KiB");
        assert!(letter.key.is_none());
    }
    assert_eq!(summary_number(&log, "core", "dead letters"), 6, "{log}");
    assert_eq!(summary_number(&log, "core", "scored"), GOOD as u64, "{log}");
    // In the distributed mode dead letters go to the topic only, not also to the sinks
    // role's local dead-letter file.
    let local = std::fs::read_to_string(hearken::sinks::DataDir::new(&setup.data).dead_letters()).unwrap_or_default();
    assert!(local.is_empty(), "the sinks role wrote dead letters locally too: {local}");
}

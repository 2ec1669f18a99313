//! The alert queue endpoint under load while hearken ingests, on loopback.
//!
//! `cargo bench --bench api_queue` (release build). `HEARKEN_BENCH_SECS` sets each load
//! phase's length (default 20), `HEARKEN_BENCH_CLIENTS` the concurrent connections
//! (default 32), `HEARKEN_BENCH_INGEST` the posts per second appended while it runs
//! (default 1000).
//!
//! Method: `hearken run` (embedded mode) follows a JSONL file; 20,000 posts of the
//! benchmarks' mixed corpus (1 in 20 a sample post with hospitals, complaints and stories)
//! are stored before the clock starts. Then, for each phase, a feeder appends posts to the
//! file at the ingest rate — so cases open and change, and the queue's cache is
//! invalidated as it would be in service — while the clients, each on one keep-alive
//! connection, ask in a closed loop for what officers ask: the default queue, P1 only,
//! one hospital, everything with a larger page. Two phases run side by side in the same
//! run: `GET /healthz` (no token, no store: the floor of the HTTP stack on this machine)
//! and `GET /api/alerts`. Reported: requests/s, p50/p99/max latency, non-200 answers, and
//! the posts/s the pipeline committed meanwhile. The load generator shares the 2 cores
//! with the server, so the figures are a lower bound.
//!
//! The config raises the per-token rate limit: one token stands for the whole office here.

#[path = "support/followed_run.rs"]
mod followed_run;
#[path = "support/mixed_corpus.rs"]
mod mixed_corpus;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use followed_run::{env_or, feed, quantile, root, FollowedRun};

const TOKEN: &str = "officer-bench-0123456789abcdef";
const PRELOAD: usize = 20_000;
const QUERIES: [&str; 4] = ["/api/alerts", "/api/alerts?priority=P1", "/api/alerts?entity=zenith-serpong", "/api/alerts?status=all&limit=100"];

struct Phase {
    requests: usize,
    errors: usize,
    secs: f64,
    latencies_ms: Vec<f64>,
    ingested_per_sec: f64,
}

impl Phase {
    fn quantile(&self, q: f64) -> f64 {
        quantile(&self.latencies_ms, q)
    }

    fn print(&self, name: &str) {
        println!(
            "{name:<12} {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms   {} requests, {} not 200; ingest meanwhile {:.0} posts/s",
            self.requests as f64 / self.secs,
            self.quantile(0.5),
            self.quantile(0.99),
            self.latencies_ms.last().copied().unwrap_or(f64::NAN),
            self.requests,
            self.errors,
            self.ingested_per_sec,
        );
    }
}

async fn phase(base: &str, paths: &[&str], authorized: bool, clients: usize, secs: f64) -> (usize, usize, Vec<f64>) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let urls: Vec<String> = paths.iter().map(|p| format!("{base}{p}")).collect();
        tasks.push(tokio::spawn(async move {
            // One keep-alive connection per client, as a browser tab holds one.
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
            let (mut n, mut errors, mut latencies) = (0usize, 0usize, Vec::with_capacity(100_000));
            while Instant::now() < deadline {
                let url = &urls[(c + n) % urls.len()];
                let mut req = client.get(url);
                if authorized {
                    req = req.bearer_auth(TOKEN);
                }
                let t = Instant::now();
                let ok = match req.send().await {
                    Ok(r) => r.status() == reqwest::StatusCode::OK && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                n += 1;
                errors += usize::from(!ok);
            }
            (n, errors, latencies)
        }));
    }
    let (mut n, mut errors, mut all) = (0, 0, Vec::new());
    for t in tasks {
        let (a, b, c) = t.await.unwrap();
        n += a;
        errors += b;
        all.extend(c);
    }
    all.sort_by(f64::total_cmp);
    (n, errors, all)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: run only when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let secs: f64 = env_or("HEARKEN_BENCH_SECS", 20.0);
    let clients: usize = env_or("HEARKEN_BENCH_CLIENTS", 32);
    let ingest: usize = env_or("HEARKEN_BENCH_INGEST", 1000);
    let work = root().join("target/bench/api_queue");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();

    // Enough posts for the preload and both phases at the ingest rate.
    let total = PRELOAD + 2 * ingest * (secs.ceil() as usize + 5);
    let corpus_path = work.join("corpus.jsonl");
    mixed_corpus::corpus(&corpus_path, total);
    let lines: Arc<Vec<String>> = Arc::new(std::fs::read_to_string(&corpus_path).unwrap().lines().map(str::to_string).collect());
    let followed = work.join("followed.jsonl");
    std::fs::write(&followed, lines[..PRELOAD].join("\n") + "\n").unwrap();

    let run = FollowedRun::start(
        &work,
        &followed,
        "rate_limit_per_second = 1000000.0\nrate_limit_burst = 1000000",
        &format!("officer:bench:{TOKEN}"),
    );
    let base = run.base.clone();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let probe = reqwest::Client::new();
        let started = Instant::now();
        run.wait_committed(&probe, PRELOAD as u64, Duration::from_secs(600)).await;
        let (_, queue) = {
            let r = probe.get(format!("{base}/api/alerts?status=all&limit=500")).bearer_auth(TOKEN).send().await.unwrap();
            ((), r.json::<serde_json::Value>().await.unwrap())
        };
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        println!(
            "preloaded {PRELOAD} posts in {:.1} s ({} cases in the queue's first page of 500); {clients} clients, {secs} s per phase, ingest {ingest} posts/s; {cores} cores",
            started.elapsed().as_secs_f64(),
            queue["alerts"].as_array().map(Vec::len).unwrap_or(0)
        );

        let mut next_line = PRELOAD;
        let mut results = Vec::new();
        for (name, paths, authorized) in [("/healthz", &["/healthz"][..], false), ("/api/alerts", &QUERIES[..], true)] {
            let stop = Arc::new(AtomicBool::new(false));
            let before = run.committed(&probe).await;
            let feeder = feed(followed.clone(), lines.clone(), next_line, ingest, stop.clone(), |_, _, _| {});
            let t = Instant::now();
            let (requests, errors, latencies_ms) = phase(&base, paths, authorized, clients, secs).await;
            let elapsed = t.elapsed().as_secs_f64();
            stop.store(true, Ordering::Relaxed);
            next_line += feeder.join().unwrap();
            let after = run.committed(&probe).await;
            let p = Phase { requests, errors, secs: elapsed, latencies_ms, ingested_per_sec: (after - before) as f64 / elapsed };
            p.print(name);
            results.push(p);
        }
        let (floor, queue) = (&results[0], &results[1]);
        let queue_rps = queue.requests as f64 / queue.secs;
        println!(
            "queue vs healthz: {:.2} × the requests/s of the bare HTTP stack",
            queue_rps / (floor.requests as f64 / floor.secs)
        );
        println!(
            "target ≥ 2000 req/s with p99 < 50 ms while ingesting: {}",
            if queue_rps >= 2000.0 && queue.quantile(0.99) < 50.0 && queue.errors == 0 { "met" } else { "NOT met" }
        );
    });
}

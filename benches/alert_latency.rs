//! From a post entering the pipeline to its alert in the officers' queue (embedded mode).
//!
//! `cargo bench --bench alert_latency` (release build). `HEARKEN_BENCH_RATES` lists the
//! ingest rates to measure, posts/s (default `1000,10000`), `HEARKEN_BENCH_SECS` each
//! rate's length (default 20).
//!
//! Method: `hearken run` follows a JSONL file; 20,000 posts of the benchmarks' mixed
//! corpus (1 in 20 a sample post with hospitals, complaints and stories, the rest chatter
//! naming no hospital) are stored before the clock starts. A client holds the alert
//! stream (`GET /api/alerts/stream`, server-sent events), as the queue page does. For
//! each rate a feeder appends the corpus to the file at that rate and, every 100 ms, a
//! probe: a complaint naming a hospital and a clinician, each in new words, by a new
//! author. A probe's latency runs from the moment its line is written to the file (the
//! post "enters the pipeline": the followed file is the source) to the first stream event
//! whose case holds it — reading the file, scoring, the case store's commit and the
//! stream all count. Probes not seen 30 s after the feeder stops count as lost. Between
//! rates the pipeline drains its backlog. The load generator shares the 2 cores.

#[path = "support/followed_run.rs"]
mod followed_run;
#[path = "support/mixed_corpus.rs"]
mod mixed_corpus;

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use followed_run::{env_or, feed, quantile, root, FollowedRun};

const TOKEN: &str = "officer-bench-0123456789abcdef";
const PRELOAD: usize = 20_000;
/// Probes per second at every rate (their spacing in corpus lines scales with the rate).
const PROBES_PER_SEC: usize = 10;

const HOSPITALS: [&str; 3] = ["RS Zenith Serpong", "RSUD Sukamaju", "Larkspur Medical Centre"];
const CLINICIANS: [&str; 4] = ["dr. Rendra", "dr. Maya", "dr. Sari", "dr. Kevin"];
const WHAT: [&str; 6] = [
    "gave my {who} the wrong medication and nobody apologised",
    "left my {who} waiting six hours in the emergency room without any pain relief",
    "lost the lab results of my {who} twice and now wants to charge again",
    "shouted at my {who} in front of the whole ward",
    "sent my {who} home with a wrong diagnosis, she was back in ICU the next day",
    "refuses to hand over the medical records of my {who}, three weeks now",
];
const WHO: [&str; 5] = ["mother", "father", "son", "wife", "grandmother"];

/// A probe complaint, `n`-th of the run: a complaint about a clinician at a hospital with
/// sixteen made-up words (reference codes: no sentiment, no language) of its own and by a
/// new author, so that each is an alert of its own rather than a near-duplicate of the
/// last probe (which the noise filter would rightly drop).
fn probe(n: usize) -> (String, String) {
    let id = format!("probe-{n}");
    let mut seed = (n as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut code = || {
        (0..6)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (b'a' + (seed % 26) as u8) as char
            })
            .collect::<String>()
    };
    let own: Vec<String> = (0..16).map(|_| code()).collect();
    let text = format!(
        "{} at {} {}. Reference {}.",
        CLINICIANS[n % CLINICIANS.len()],
        HOSPITALS[(n / 4) % HOSPITALS.len()],
        WHAT[(n / 3) % WHAT.len()].replace("{who}", WHO[(n / 7) % WHO.len()]),
        own.join(" "),
    );
    let post = serde_json::json!({
        "id": id,
        "text": text,
        "source": "x",
        "created_at": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap(),
        "author": { "id": format!("probe-author-{n}"), "handle": format!("probe_author_{n}"), "followers": 5000 },
        "metrics": { "likes": 40, "shares": 12, "replies": 5 },
    });
    (format!("x:{id}"), post.to_string())
}

/// Probes the case store put in a case (the others it judged noise or not relevant).
fn probes_in_cases(data: &std::path::Path) -> std::collections::HashSet<String> {
    let conn = rusqlite::Connection::open_with_flags(data.join("cases.sqlite"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare("SELECT uid FROM posts WHERE uid LIKE 'x:probe-%' AND case_id IS NOT NULL").unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: run only when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let secs: f64 = env_or("HEARKEN_BENCH_SECS", 20.0);
    let rates: Vec<usize> = env_or("HEARKEN_BENCH_RATES", "1000,10000".to_string())
        .split(',')
        .map(|r| r.trim().parse().expect("HEARKEN_BENCH_RATES: comma-separated posts per second"))
        .collect();
    let work = root().join("target/bench/alert_latency");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();

    // The corpus with the probes placed in it: at each rate, one probe per rate/10 lines.
    let mut lines: Vec<String> = Vec::new();
    let mut probe_at: HashMap<usize, String> = HashMap::new(); // line → probe uid
    let corpus_path = work.join("corpus.jsonl");
    let per_rate: Vec<usize> = rates.iter().map(|r| r * secs.ceil() as usize).collect();
    mixed_corpus::corpus(&corpus_path, PRELOAD + per_rate.iter().sum::<usize>());
    let corpus: Vec<String> = std::fs::read_to_string(&corpus_path).unwrap().lines().map(str::to_string).collect();
    lines.extend_from_slice(&corpus[..PRELOAD]);
    let mut next = PRELOAD;
    let mut n_probe = 0;
    let mut phase_starts = Vec::new();
    for (rate, count) in rates.iter().zip(&per_rate) {
        phase_starts.push(lines.len());
        let spacing = (rate / PROBES_PER_SEC).max(1);
        for (i, line) in corpus[next..next + count].iter().enumerate() {
            if i % spacing == spacing / 2 {
                let (uid, post) = probe(n_probe);
                n_probe += 1;
                probe_at.insert(lines.len(), uid);
                lines.push(post);
            }
            lines.push(line.clone());
        }
        next += count;
    }
    let lines = Arc::new(lines);
    let followed = work.join("followed.jsonl");
    std::fs::write(&followed, lines[..PRELOAD].join("\n") + "\n").unwrap();

    let run = FollowedRun::start(&work, &followed, "feed_poll_ms = 100", &format!("officer:bench:{TOKEN}"));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let started = Instant::now();
        run.wait_committed(&client, PRELOAD as u64, Duration::from_secs(600)).await;
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        println!("preloaded {PRELOAD} posts in {:.1} s; {secs} s per rate; {cores} cores", started.elapsed().as_secs_f64());

        // Seen probes: uid → when the stream first showed it.
        let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let stream = {
            let mut res = client.get(format!("{}/api/alerts/stream", run.base)).bearer_auth(TOKEN).send().await.unwrap();
            assert!(res.status().is_success(), "the alert stream answered {}", res.status());
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = String::new();
                while let Ok(Some(chunk)) = res.chunk().await {
                    buf.push_str(&String::from_utf8_lossy(&chunk));
                    while let Some(end) = buf.find("\n\n") {
                        let event: String = buf.drain(..end + 2).collect();
                        let at = Instant::now();
                        for data in event.lines().filter_map(|l| l.strip_prefix("data:")) {
                            let Ok(change) = serde_json::from_str::<serde_json::Value>(data.trim()) else { continue };
                            let uids = change["case"]["post_uids"].as_array().cloned().unwrap_or_default();
                            let mut seen = seen.lock().unwrap();
                            for uid in uids.iter().filter_map(|u| u.as_str()).filter(|u| u.starts_with("x:probe-")) {
                                seen.entry(uid.to_string()).or_insert(at);
                            }
                        }
                    }
                }
            })
        };

        for (k, rate) in rates.iter().enumerate() {
            let (from, to) = (phase_starts[k], phase_starts.get(k + 1).copied().unwrap_or(lines.len()));
            let written: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
            let before = run.committed(&client).await;
            let stop = Arc::new(AtomicBool::new(false));
            let on_write = {
                let (written, probe_at) = (written.clone(), probe_at.clone());
                move |first: usize, count: usize, at: Instant| {
                    let mut w = written.lock().unwrap();
                    for line in first..first + count {
                        if let Some(uid) = probe_at.get(&line) {
                            w.insert(uid.clone(), at);
                        }
                    }
                }
            };
            // The phase's lines only: a slice of the shared corpus.
            let phase_lines = Arc::new(lines[..to].to_vec());
            let t = Instant::now();
            let feeder = feed(followed.clone(), phase_lines, from, *rate, stop.clone(), on_write);
            let n = feeder.join().unwrap();
            let fed_secs = t.elapsed().as_secs_f64();
            let committed_while = run.committed(&client).await - before;
            // Drain: everything fed committed (or 120 s).
            run.wait_committed(&client, before + n as u64, Duration::from_secs(120)).await;
            let drained = t.elapsed().as_secs_f64();
            let probes: Vec<(String, Instant)> = written.lock().unwrap().iter().map(|(u, t)| (u.clone(), *t)).collect();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline && probes.iter().any(|(u, _)| !seen.lock().unwrap().contains_key(u)) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let seen = seen.lock().unwrap();
            let alerted = probes_in_cases(&work.join("data"));
            let mut latencies: Vec<f64> =
                probes.iter().filter_map(|(u, w)| seen.get(u).map(|s| s.saturating_duration_since(*w).as_secs_f64() * 1000.0)).collect();
            latencies.sort_by(f64::total_cmp);
            // In a case but never on the stream: lost. Not in a case: the core's verdict.
            let lost = probes.iter().filter(|(u, _)| alerted.contains(u) && !seen.contains_key(u)).count();
            let not_alerted = probes.iter().filter(|(u, _)| !alerted.contains(u)).count();
            println!(
                "{rate:>6} posts/s offered: fed {n} lines in {fed_secs:.1} s, committed {:.0} posts/s while feeding, backlog drained at {drained:.1} s; \
                 {} probes ({not_alerted} judged no alert): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms, {lost} lost",
                committed_while as f64 / fed_secs,
                probes.len(),
                quantile(&latencies, 0.5),
                quantile(&latencies, 0.99),
                latencies.last().copied().unwrap_or(f64::NAN),
            );
            if *rate >= 10_000 {
                let met = lost == 0 && quantile(&latencies, 0.99) <= 1000.0;
                println!("target p99 ≤ 1 s under 10,000 posts/s: {}", if met { "met" } else { "NOT met" });
            }
        }
        stream.abort();
    });
}

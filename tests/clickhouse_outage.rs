//! ClickHouse goes away for a minute while posts keep coming: the sink must hold them
//! (blocking the consumer, which is the backpressure), lose none, and store none twice.
//!
//! The test starts its own ClickHouse (tests/clickhouse_server.sh, on a free port with
//! its own data) so it can stop and restart it without disturbing the suite's server.
//! A producer feeds posts at a steady rate into a bounded channel, as a Kafka consumer
//! would; a sink task drains it into the ClickHouseSink and "commits" the posts it has
//! handed over whenever the sink reports everything stored, as the consumer commits
//! offsets. After five seconds the server is stopped for sixty, then restarted.

mod support;
#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/own_clickhouse.rs"]
mod own_clickhouse;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hearken::config::ClickHouseConfig;
use hearken::model::{Case, CaseEvent, CaseEventKind, CaseKind, CaseStatus, EntityKind, EntityRef, PriorityLevel, Spread};
use hearken::sinks::clickhouse::ClickHouseSink;
use hearken::sinks::pseudonym::Pseudonymizer;
use hearken::sinks::ScoredPost;
use time::OffsetDateTime;

const POSTS: usize = 24_000;
/// Posts per second the producer offers (so the stream lasts ~100 s unthrottled).
const RATE: u64 = 240;
const OUTAGE: Duration = Duration::from_secs(60);
const CASES: u64 = 40;

fn case_update(n: u64) -> (Case, CaseEvent) {
    let at = OffsetDateTime::from_unix_timestamp(corpus::START + n as i64).unwrap();
    let id = format!("case-{}", n % CASES);
    let version = n / CASES + 1;
    let case = Case {
        id: id.clone(),
        kind: CaseKind::Story,
        entity: EntityRef { kind: EntityKind::Hospital, id: "zenith-serpong".into() },
        status: if version % 2 == 0 { CaseStatus::Acknowledged } else { CaseStatus::Open },
        priority: PriorityLevel::P2,
        priority_score: 70,
        categories: vec![],
        reasons: vec![],
        post_uids: vec![],
        summary: String::new(),
        assignee: None,
        opened_at: OffsetDateTime::from_unix_timestamp(corpus::START).unwrap(),
        updated_at: at,
        version,
        spread: Spread::default(),
    };
    let event = CaseEvent { case_id: id, kind: CaseEventKind::PostAdded, actor: "hearken".into(), at, note: None, post_uid: None, version };
    (case, event)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minute_without_clickhouse_loses_nothing_and_stores_nothing_twice() {
    let t0 = Instant::now();
    let server = Arc::new(own_clickhouse::OwnClickHouse::start());
    let cfg = ClickHouseConfig {
        url: server.url(),
        database: "hearken_outage".into(),
        user: "default".into(),
        batch_rows: 500,
        batch_ms: 200,
        retry_base_ms: 100,
        retry_cap_ms: 2000,
        give_up_after_secs: 0, // retry for ever: backpressure
        request_timeout_ms: 5000,
    };
    let mut sink = ClickHouseSink::connect(&cfg, Pseudonymizer::new(b"outage-test-key-0123456789").unwrap()).await.expect("connect");
    let db = sink.client().clone();
    let posts = corpus::generate(corpus::Shape::new(POSTS, 30));

    // Producer: a steady stream into a bounded channel; a full channel blocks it.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<ScoredPost>(1000);
    let longest_wait = Arc::new(AtomicU64::new(0));
    let producer = {
        let longest_wait = longest_wait.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            for (i, post) in posts.into_iter().enumerate() {
                let due = start + Duration::from_micros(i as u64 * 1_000_000 / RATE);
                tokio::time::sleep_until(due.into()).await;
                let t = Instant::now();
                tx.send(post).await.expect("sink task alive");
                longest_wait.fetch_max(t.elapsed().as_millis() as u64, Ordering::Relaxed);
            }
        })
    };

    // Sink task: what a Kafka consumer of the sinks role does.
    let committed = Arc::new(AtomicU64::new(0));
    let sink_task = {
        let committed = committed.clone();
        tokio::spawn(async move {
            let (mut handed, mut updates) = (0u64, 0u64);
            let mut batch = Vec::new();
            loop {
                tokio::select! {
                    n = rx.recv_many(&mut batch, 250) => {
                        if n == 0 {
                            break;
                        }
                        // A case update every 25 posts, as the case logic would send.
                        let (mut cases, mut events) = (Vec::new(), Vec::new());
                        for _ in 0..(handed + n as u64) / 25 - handed / 25 {
                            let (c, e) = case_update(updates);
                            cases.push(c);
                            events.push(e);
                            updates += 1;
                        }
                        handed += n as u64;
                        let flushed = sink.write(&batch, &cases, &events).await.expect("write (retries for ever)");
                        batch.clear();
                        if flushed.is_yes() {
                            committed.store(handed, Ordering::Relaxed);
                        }
                    }
                    _ = sink.flush_timer() => {
                        if sink.flush_if_due().await.expect("flush (retries for ever)").is_yes() {
                            committed.store(handed, Ordering::Relaxed);
                        }
                    }
                }
            }
            sink.flush().await.expect("last flush");
            committed.store(handed, Ordering::Relaxed);
            (sink.stats(), updates)
        })
    };

    tokio::time::sleep(Duration::from_secs(5)).await;
    let before = committed.load(Ordering::Relaxed);
    assert!(before > 0, "posts are stored before the outage");
    eprintln!("[{:?}] stopping ClickHouse after {before} posts committed", t0.elapsed());
    let down_at = Instant::now();
    tokio::task::spawn_blocking({
        let server = server.clone();
        move || server.down()
    })
    .await
    .expect("stop ClickHouse");
    let during = committed.load(Ordering::Relaxed);
    tokio::time::sleep(OUTAGE.saturating_sub(down_at.elapsed())).await;
    let stuck = committed.load(Ordering::Relaxed);
    assert!(stuck - during <= 1000, "nothing is committed while ClickHouse is down ({during} → {stuck})");
    eprintln!("[{:?}] restarting ClickHouse after {:?} down; {stuck} posts committed", t0.elapsed(), down_at.elapsed());
    tokio::task::spawn_blocking({
        let server = server.clone();
        move || server.up()
    })
    .await
    .expect("restart ClickHouse");

    eprintln!("[{:?}] ClickHouse is up again", t0.elapsed());
    producer.await.expect("producer");
    let (stats, updates) = sink_task.await.expect("sink task");
    let waited = Duration::from_millis(longest_wait.load(Ordering::Relaxed));
    eprintln!(
        "[{:?}] done: {} posts, {} case versions, {} events written; {} retries; the producer waited up to {waited:?} on a full channel",
        t0.elapsed(),
        stats.posts,
        stats.cases,
        stats.events,
        stats.retries
    );
    assert!(stats.retries > 0, "the outage made inserts fail and retry");
    assert!(waited > Duration::from_secs(30), "backpressure: the producer was held while ClickHouse was down ({waited:?})");
    assert_eq!(committed.load(Ordering::Relaxed), POSTS as u64);

    let count = |sql: &'static str| {
        let db = db.clone();
        async move { db.query(sql).fetch_one::<u64>().await.unwrap_or_else(|e| panic!("{sql}: {e}")) }
    };
    assert_eq!(count("SELECT count() FROM posts FINAL").await, POSTS as u64, "no post lost");
    assert_eq!(count("SELECT uniqExact(uid) FROM posts").await, POSTS as u64);
    let raw = count("SELECT count() FROM posts").await;
    eprintln!("raw rows before merging: {raw} ({} copies of retried inserts)", raw - POSTS as u64);
    merge_all(&db, "posts").await;
    assert_eq!(count("SELECT count() FROM posts").await, POSTS as u64, "none stored twice once parts merge");
    eprintln!("[{:?}] checked", t0.elapsed());
    assert_eq!(count("SELECT count() FROM case_events FINAL").await, updates, "every case event once");
    assert_eq!(count("SELECT count() FROM cases FINAL").await, CASES);
    let latest = count("SELECT max(version) FROM cases FINAL").await;
    assert_eq!(latest, (updates - 1) / CASES + 1, "the cases hold their latest version");
}

/// `OPTIMIZE … FINAL` partition by partition until each has one part (18.16 merges one
/// partition per statement and returns without merging when a merge is running).
async fn merge_all(db: &clickhouse::Client, table: &str) {
    #[derive(clickhouse::Row, serde::Deserialize)]
    struct Parts {
        partition: String,
        parts: u64,
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let parts: Vec<Parts> = db
            .query("SELECT partition, count() FROM system.parts WHERE database = currentDatabase() AND table = ? AND active GROUP BY partition")
            .bind(table)
            .fetch_all()
            .await
            .expect("parts");
        if parts.iter().all(|p| p.parts == 1) {
            return;
        }
        assert!(Instant::now() < deadline, "{table} did not merge within 2 minutes");
        for p in parts.iter().filter(|p| p.parts > 1) {
            db.query(&format!("OPTIMIZE TABLE {table} PARTITION {} FINAL", p.partition)).execute().await.expect("OPTIMIZE");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

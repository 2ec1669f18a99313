//! The ClickHouse sink against the real server that tests/run.sh starts (Debian's 18.16):
//! migrations from empty and again, 100,000 scored posts stored once each, idempotent
//! re-inserts, batches by size and by time, pseudonymized authors; the writer task that
//! inserts beside the sinks role's other stores, and what it reports stored.

mod support;
#[path = "support/corpus.rs"]
mod corpus;

use std::time::{Duration, Instant};

use hearken::config::ClickHouseConfig;
use hearken::model::{Case, CaseEvent, CaseEventKind, CaseKind, CaseStatus, EntityKind, EntityRef, PriorityLevel, Spread};
use hearken::sinks::clickhouse::{maintenance, schema, server_client, ClickHouseSink, ClickHouseWriter, Flushed};
use hearken::sinks::pseudonym::Pseudonymizer;
use time::OffsetDateTime;

pub fn config(url: String, database: &str) -> ClickHouseConfig {
    ClickHouseConfig {
        url,
        database: database.to_string(),
        user: "default".into(),
        batch_rows: 10_000,
        batch_ms: 1000,
        retry_base_ms: 100,
        retry_cap_ms: 2000,
        give_up_after_secs: 60,
        request_timeout_ms: 30_000,
    }
}

/// A sink on a new database named after `prefix`, with `tune` applied to the tests'
/// config, and a client of that database for checking what it stored.
async fn new_sink(prefix: &str, tune: impl FnOnce(&mut ClickHouseConfig)) -> (ClickHouseSink, clickhouse::Client, String) {
    let database = support::unique_name(prefix);
    let mut cfg = config(support::clickhouse_url(), &database);
    tune(&mut cfg);
    let sink = ClickHouseSink::connect(&cfg, key()).await.expect("connect");
    let db = sink.client().clone();
    (sink, db, database)
}

fn key() -> Pseudonymizer {
    Pseudonymizer::new(b"test-pseudonym-key-0123456789").unwrap()
}

async fn count(db: &clickhouse::Client, sql: &str) -> u64 {
    db.query(sql).fetch_one::<u64>().await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Merges every partition of `table` down to one part. On 18.16 `OPTIMIZE … FINAL`
/// without PARTITION merges one partition only, and returns at once without merging
/// when a background merge holds the parts: so per partition, until one part is left.
pub async fn optimize_all(db: &clickhouse::Client, table: &str) {
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
        assert!(Instant::now() < deadline, "{table} did not merge down to one part per partition within 2 minutes");
        for p in parts.iter().filter(|p| p.parts > 1) {
            db.query(&format!("OPTIMIZE TABLE {table} PARTITION {} FINAL", p.partition)).execute().await.expect("OPTIMIZE");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn drop_database(name: &str) {
    support::clickhouse_client().query(&format!("DROP DATABASE IF EXISTS {name}")).execute().await.expect("DROP DATABASE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_from_empty_then_rerun_is_a_no_op() {
    let database = support::unique_name("hearken_migrate");
    let cfg = config(support::clickhouse_url(), &database);
    let server = server_client(&cfg);

    let (db, first) = schema::migrate(&server, &database).await.expect("first migration");
    assert_eq!(first.applied, (1..=schema::latest_version()).collect::<Vec<_>>(), "all migrations from empty");
    let tables: Vec<String> = db
        .query("SELECT name FROM system.tables WHERE database = ? ORDER BY name")
        .bind(&database)
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(tables, ["case_events", "cases", "erasures", "posts", "schema_migrations", "trend_hourly"]);

    let (_, again) = schema::migrate(&server, &database).await.expect("re-run");
    assert!(again.applied.is_empty(), "a re-run applies nothing: {again:?}");
    assert_eq!(again.current, schema::latest_version());
    assert_eq!(count(&db, "SELECT count() FROM schema_migrations FINAL").await, u64::from(schema::latest_version()));

    // Connecting a sink to the migrated database applies nothing either.
    let sink = ClickHouseSink::connect(&cfg, key()).await.expect("sink connects");
    assert_eq!(sink.database(), database);
    assert_eq!(count(&db, "SELECT count() FROM schema_migrations FINAL").await, u64::from(schema::latest_version()));

    // A database migrated by a newer hearken is refused, not silently used.
    db.query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, 'from the future', 'x', now())")
        .execute()
        .await
        .unwrap();
    let err = schema::migrate(&server, &database).await.err().expect("newer schema refused").to_string();
    assert!(err.contains("newer"), "{err}");
    drop_database(&database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_thousand_posts_are_stored_once_each() {
    const N: usize = 100_000;
    let (mut sink, db, database) = new_sink("hearken_100k", |cfg| cfg.batch_rows = 20_000).await;

    let t = Instant::now();
    let posts = corpus::generate(corpus::Shape::new(N, 90));
    eprintln!("generated {N} scored posts in {:?}", t.elapsed());

    let t = Instant::now();
    let mut flushes = 0;
    for chunk in posts.chunks(1000) {
        if sink.write(chunk, &[], &[]).await.expect("write").is_yes() {
            flushes += 1;
        }
    }
    sink.flush().await.expect("flush");
    let secs = t.elapsed().as_secs_f64();
    eprintln!("inserted {N} posts in {secs:.2} s: {:.0} rows/s, {} INSERTs", N as f64 / secs, sink.stats().inserts);
    assert_eq!(flushes, N / 20_000, "a flush every batch_rows");
    assert_eq!(sink.stats().posts, N as u64);

    assert_eq!(count(&db, "SELECT count() FROM posts FINAL").await, N as u64);
    assert_eq!(count(&db, "SELECT uniqExact(uid) FROM posts").await, N as u64);

    // A replay of a tenth of them (a consumer restarted before committing offsets).
    for chunk in posts[..N / 10].chunks(1000) {
        sink.write(chunk, &[], &[]).await.expect("write again");
    }
    sink.flush().await.expect("flush again");
    assert_eq!(count(&db, "SELECT count() FROM posts FINAL").await, N as u64, "a re-insert adds nothing (FINAL)");
    optimize_all(&db, "posts").await;
    assert_eq!(count(&db, "SELECT count() FROM posts").await, N as u64, "copies collapse when parts merge");

    // Authors are 32-hex-digit pseudonyms, never handles.
    assert_eq!(count(&db, "SELECT count() FROM posts WHERE length(author) != 32 OR match(author, '[^0-9a-f]')").await, 0);
    let handle = corpus::handle(3);
    let raw: u64 = db
        .query("SELECT count() FROM posts WHERE author = ? OR author = ? OR position(text, ?) > 0")
        .bind(&handle)
        .bind(handle.trim_start_matches('@'))
        .bind(handle.trim_start_matches('@'))
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(raw, 0, "no raw handle stored");
    let pseudonym = key().pseudonym(&handle);
    let by_author: u64 = db.query("SELECT count() FROM posts FINAL WHERE author = ?").bind(&pseudonym).fetch_one().await.unwrap();
    let expected = posts.iter().filter(|p| p.post.author.as_ref().unwrap().handle.as_deref() == Some(handle.as_str())).count() as u64;
    assert_eq!(by_author, expected, "an author's posts share one pseudonym");
    drop_database(&database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_go_out_by_size_and_by_time() {
    let (mut sink, db, database) = new_sink("hearken_batches", |cfg| {
        cfg.batch_rows = 100;
        cfg.batch_ms = 300;
    })
    .await;
    let posts = corpus::generate(corpus::Shape::new(250, 3));

    assert_eq!(sink.write(&posts[..50], &[], &[]).await.unwrap(), Flushed::No, "50 < batch_rows and not yet old");
    assert_eq!(sink.buffered(), 50);
    assert_eq!(count(&db, "SELECT count() FROM posts").await, 0);
    let due = sink.next_flush().expect("a flush is due later");
    assert!(due > tokio::time::Instant::now());
    sink.flush_timer().await; // resolves when the oldest row has waited batch_ms
    assert!(sink.flush_if_due().await.unwrap().is_yes());
    assert_eq!(count(&db, "SELECT count() FROM posts").await, 50, "by time");
    assert!(sink.next_flush().is_none());

    assert_eq!(sink.write(&posts[50..250], &[], &[]).await.unwrap(), Flushed::Yes { posts: 200, cases: 0, events: 0 }, "by size");
    assert_eq!(count(&db, "SELECT count() FROM posts").await, 250);
    drop_database(&database).await;
}

fn case(id: &str, version: u64, status: CaseStatus, posts: usize) -> Case {
    let at = OffsetDateTime::from_unix_timestamp(corpus::START + 3600).unwrap();
    Case {
        id: id.into(),
        kind: CaseKind::Story,
        entity: EntityRef { kind: EntityKind::Hospital, id: "zenith-serpong".into() },
        status,
        priority: PriorityLevel::P2,
        priority_score: 70,
        categories: vec![hearken::model::Category::Billing],
        reasons: vec!["billing".into()],
        post_uids: (0..posts).map(|i| format!("x:p{i}")).collect(),
        summary: "Tagihan dobel di kasir, secret text".into(),
        assignee: None,
        opened_at: at,
        updated_at: at + time::Duration::minutes(version as i64),
        version,
        spread: Spread::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_keep_their_latest_version_and_events_collapse() {
    let (mut sink, db, database) = new_sink("hearken_cases", |_| {}).await;
    let event = |v: u64, kind| CaseEvent {
        case_id: "case-1".into(),
        kind,
        actor: "hearken".into(),
        at: OffsetDateTime::from_unix_timestamp(corpus::START + 3600 + v as i64).unwrap(),
        note: None,
        post_uid: Some(format!("x:p{v}")),
        version: v,
    };
    let v1 = [case("case-1", 1, CaseStatus::Open, 1), case("case-2", 1, CaseStatus::Open, 1)];
    sink.write(&[], &v1, &[event(1, CaseEventKind::Opened)]).await.unwrap();
    sink.flush().await.unwrap();
    // Later versions, a replay of version 1 and of its event, in a second INSERT.
    let v2 = [case("case-1", 1, CaseStatus::Open, 1), case("case-1", 3, CaseStatus::Acknowledged, 2), case("case-1", 2, CaseStatus::Open, 2)];
    sink.write(&[], &v2, &[event(1, CaseEventKind::Opened), event(2, CaseEventKind::PostAdded), event(3, CaseEventKind::Acknowledged)])
        .await
        .unwrap();
    sink.flush().await.unwrap();

    #[derive(clickhouse::Row, serde::Deserialize, Debug, PartialEq)]
    struct Latest {
        case_id: String,
        version: u64,
        status: String,
        posts: u32,
    }
    let latest: Vec<Latest> =
        db.query("SELECT case_id, version, status, posts FROM cases FINAL ORDER BY case_id").fetch_all().await.unwrap();
    assert_eq!(
        latest,
        [
            Latest { case_id: "case-1".into(), version: 3, status: "acknowledged".into(), posts: 2 },
            Latest { case_id: "case-2".into(), version: 1, status: "open".into(), posts: 1 },
        ]
    );
    assert_eq!(count(&db, "SELECT count() FROM case_events FINAL").await, 3, "one row per (case, version)");
    // Case rows keep counts, not the summary text.
    assert_eq!(count(&db, "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'cases' AND name = 'summary'").await, 0);
    drop_database(&database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_without_a_time_keeps_its_first_one_when_written_again() {
    let (mut sink, db, database) = new_sink("hearken_undated", |_| {}).await;
    let mut post = corpus::generate(corpus::Shape::new(1, 1)).remove(0);
    post.post.created_at = None;
    sink.write(std::slice::from_ref(&post), &[], &[]).await.unwrap();
    sink.flush().await.unwrap();
    let first: u32 = db.query("SELECT toUInt32(created_at) FROM posts").fetch_one().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await; // the clock moves on
    sink.write(std::slice::from_ref(&post), &[], &[]).await.unwrap();
    sink.flush().await.unwrap();
    optimize_all(&db, "posts").await;
    let times: Vec<u32> = db.query("SELECT toUInt32(created_at) FROM posts").fetch_all().await.unwrap();
    assert_eq!(times, [first], "one row, filed at its first time");
    drop_database(&database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flush_of_many_undated_posts_looks_their_times_up_in_parts() {
    // One lookup of 13,000 uids went over ClickHouse's max_query_size and was retried for ever.
    const N: usize = 30_000;
    let (mut sink, db, database) = new_sink("hearken_undated_many", |cfg| {
        cfg.batch_rows = N + 1; // one flush for all of them
        cfg.batch_ms = 600_000;
        cfg.give_up_after_secs = 5;
    })
    .await;
    let mut posts = corpus::generate(corpus::Shape::new(N, 7));
    for p in &mut posts {
        p.post.created_at = None;
    }
    sink.write(&posts, &[], &[]).await.unwrap();
    sink.flush().await.expect("first flush");
    tokio::time::sleep(Duration::from_millis(1100)).await; // the clock moves on
    sink.write(&posts, &[], &[]).await.unwrap();
    sink.flush().await.expect("a flush that looks up 30,000 undated posts");
    optimize_all(&db, "posts").await;
    assert_eq!(count(&db, "SELECT count() FROM posts").await, N as u64, "each written again at its first time, so collapsed");
    drop_database(&database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_an_author_of_thousands_of_posts_removes_them_all() {
    // Their uids are bound in the erasure's queries: 30,000 of them are over max_query_size.
    const N: usize = 60_000;
    let (mut sink, db, database) = new_sink("hearken_erase_many", |cfg| cfg.batch_rows = N + 1).await;
    let mut shape = corpus::Shape::new(N, 7);
    shape.authors = 2; // about half the posts each
    let posts = corpus::generate(shape);
    sink.write(&posts, &[], &[]).await.unwrap();
    sink.flush().await.unwrap();
    let erased = corpus::handle(0);
    let by_them: Vec<String> = posts
        .iter()
        .filter(|p| p.post.author.as_ref().and_then(|a| a.handle.as_deref()) == Some(erased.as_str()))
        .map(|p| p.post.uid())
        .collect();
    assert!(by_them.len() > 25_000, "the corpus gives author 0 {} posts", by_them.len());
    // By pseudonym and by every uid, as `hearken erase` asks once it knows them.
    let which = maintenance::PostSelector { author_pseudonyms: vec![key().pseudonym(&erased)], uids: by_them.clone() };
    let out = maintenance::erase_posts(&db, &database, &which).await.expect("erase");
    assert_eq!(out.found.len(), by_them.len(), "every post of theirs found");
    assert_eq!(count(&db, "SELECT count() FROM posts").await, (N - by_them.len()) as u64, "theirs gone, the rest kept");
    drop_database(&database).await;
}

/// Polls `done` every 20 ms for up to 30 s.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_reports_stored_only_what_clickhouse_has() {
    let (sink, db, database) = new_sink("hearken_writer", |cfg| {
        cfg.batch_rows = 100;
        cfg.batch_ms = 600_000; // no insert by age in this test: only by size and on flush
    })
    .await;
    let posts = corpus::generate(corpus::Shape::new(160, 3));
    let writer = ClickHouseWriter::spawn(sink, &tokio::runtime::Handle::current());
    let writer = std::sync::Arc::new(std::sync::Mutex::new(writer));
    let stored = || writer.lock().unwrap().stored();
    // `write_blocking` and `flush_blocking` are for the sinks role's blocking thread.
    fn blocking(
        writer: &Shared,
        f: impl FnOnce(&mut ClickHouseWriter) -> anyhow::Result<()> + Send + 'static,
    ) -> tokio::task::JoinHandle<anyhow::Result<()>> {
        let writer = writer.clone();
        tokio::task::spawn_blocking(move || f(&mut writer.lock().unwrap()))
    }
    type Shared = std::sync::Arc<std::sync::Mutex<ClickHouseWriter>>;

    // 50 posts (counted as 70 input items: say 20 were dead letters): buffered, not stored.
    let first = posts[..50].to_vec();
    blocking(&writer, move |w| w.write_blocking(70, first, vec![], vec![])).await.unwrap().expect("hand over");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stored(), 0, "nothing is in ClickHouse yet");
    assert_eq!(count(&db, "SELECT count() FROM posts").await, 0);

    // 100 more fill the batch: the writer inserts all 150 on its own, no flush needed.
    let second = posts[50..150].to_vec();
    blocking(&writer, move |w| w.write_blocking(170, second, vec![], vec![])).await.unwrap().expect("hand over");
    eventually("the full batch is reported stored", || stored() == 170).await;
    assert_eq!(count(&db, "SELECT count() FROM posts").await, 150, "reported stored means in ClickHouse");

    // A partial batch waits for the flush, which returns once ClickHouse has it.
    let third = posts[150..].to_vec();
    blocking(&writer, move |w| w.write_blocking(180, third, vec![], vec![])).await.unwrap().expect("hand over");
    assert_eq!(stored(), 170);
    blocking(&writer, |w| w.flush_blocking()).await.unwrap().expect("flush");
    assert_eq!(stored(), 180);
    assert_eq!(count(&db, "SELECT count() FROM posts").await, 160);
    drop_database(&database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_that_cannot_insert_says_why_and_reports_nothing_stored() {
    let (sink, _, database) = new_sink("hearken_writer_fails", |cfg| cfg.give_up_after_secs = 1).await;
    // The tables vanish under the writer: every INSERT fails until it gives up.
    drop_database(&database).await;
    let posts = corpus::generate(corpus::Shape::new(10, 2));
    let mut writer = ClickHouseWriter::spawn(sink, &tokio::runtime::Handle::current());
    let (writer, outcome) = tokio::task::spawn_blocking(move || {
        let outcome = writer.write_blocking(10, posts, vec![], vec![]).and_then(|()| writer.flush_blocking());
        (writer, outcome)
    })
    .await
    .unwrap();
    let error = format!("{:#}", outcome.expect_err("the flush must fail"));
    assert!(error.contains("ClickHouse") && error.contains("giving up"), "the error names what failed: {error}");
    assert!(error.contains("read again after a restart"), "the error says what happens to the posts: {error}");
    assert_eq!(writer.stored(), 0, "nothing was reported stored");
}

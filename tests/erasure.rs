//! `hearken erase`: after erasing an author, no trace of their posts is left in
//! ClickHouse (the real server tests/run.sh starts; its tables and its files on disk),
//! the search index or the case store —
//! not in a case summary, an audit event, a webhook payload, nor in the bytes of the
//! database files — the erasure is recorded without the handle, and the posts do not
//! come back when they are read again. Then the same for one post by uid.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use hearken::model::CaseEventKind;
use hearken::sinks::clickhouse::{ClickHouseSink, PostRow};
use hearken::sinks::pseudonym::Pseudonymizer;
use hearken::sinks::{CaseStore, DataDir, ScoredPost, SearchIndex};

const KEY: &str = "erasure-test-pseudonym-key-0123456789";
const HANDLE: &str = "Pasien_Rahasia";
const MARKER: &str = "qzmarker7";
const OTHER_MARKER: &str = "wkmarker3";

/// The target author's two complaints (one opens a case, the other joins it), a
/// neighbour's reply that joins the same case, and someone else's post.
const POSTS: &str = r#"{"id":"9001","text":"Sudah tiga kali bolak-balik ke RS Zenith minta salinan rekam medis ibu saya, selalu ditolak tanpa alasan. Kode qzmarker7 untuk laporan.","source":"x","url":"https://x.com/Pasien_Rahasia/status/9001","created_at":"2026-03-03T09:00:00+07:00","author":{"id":"777","handle":"Pasien_Rahasia","followers":120}}
{"id":"9002","text":"Update: RS Zenith masih belum kasih rekam medis, petugas administrasi malah marah-marah. qzmarker7","source":"x","url":"https://x.com/Pasien_Rahasia/status/9002","created_at":"2026-03-03T10:00:00+07:00","author":{"id":"777","handle":"Pasien_Rahasia","followers":120}}
{"id":"9003","text":"Saya juga pernah begitu di RS Zenith, minta hasil lab sendiri saja dipersulit berminggu-minggu.","source":"x","created_at":"2026-03-03T11:00:00+07:00","reply_to":"9001","author":{"id":"888","handle":"tetangga_baik","followers":50}}
{"id":"s1","text":"Waited 4 hours at RS Zenith Serpong emergency, nobody explained anything to my father. Rude staff. wkmarker3","source":"mastodon","created_at":"2026-03-04T10:00:00+07:00","author":{"id":"999","handle":"other_person@social.example.id","followers":10}}
"#;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `hearken SUBCOMMAND --config CONFIG ARGS…` from the project root and returns its
/// stdout, failing the test (with stderr) when it fails.
fn hearken(config: &Path, subcommand: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_hearken"))
        .current_dir(root())
        .env("HEARKEN_PSEUDONYM_KEY", KEY)
        .env_remove("HEARKEN_LOG")
        .arg(subcommand)
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run hearken");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "hearken {subcommand} {args:?} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// Whether any file under `dir` (or the file itself) contains `needle`, ignoring ASCII case.
fn on_disk(path: &Path, needle: &str) -> Vec<PathBuf> {
    let needle = needle.to_ascii_lowercase().into_bytes();
    let mut found = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if let Ok(bytes) = std::fs::read(&p) {
            if bytes.to_ascii_lowercase().windows(needle.len()).any(|w| w == needle.as_slice()) {
                found.push(p);
            }
        }
    }
    found
}

async fn ch_count(db: &clickhouse::Client, sql: &str, uids: &[&str]) -> u64 {
    let mut q = db.query(sql);
    if sql.contains('?') {
        q = q.bind(uids);
    }
    q.fetch_one::<u64>().await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The directory of a table's parts on the server's disk (the test's server runs on this
/// machine, started by tests/run.sh).
async fn table_dir(db: &clickhouse::Client, table: &str) -> PathBuf {
    let part: String = db
        .query("SELECT any(path) FROM system.parts WHERE database = currentDatabase() AND table = ? AND active")
        .bind(table)
        .fetch_one()
        .await
        .unwrap();
    Path::new(part.trim_end_matches('/')).parent().expect("a part's table directory").to_path_buf()
}

/// Waits until the parts a mutation replaced have left the disk: after the server's
/// `merge_tree.old_parts_lifetime` (10 s in tests/clickhouse_server.sh's config, 480 s by
/// default) and its next cleanup.
async fn wait_for_old_parts_to_go(db: &clickhouse::Client, table: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let inactive: u64 = db
            .query("SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = ? AND NOT active")
            .bind(table)
            .fetch_one()
            .await
            .unwrap();
        if inactive == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{inactive} replaced parts of {table} are still on disk after 3 minutes; is the server's old_parts_lifetime short \
             (tests/clickhouse_server.sh sets 10 s; run the suite with `bash tests/run.sh`)?"
        );
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

fn search(config: &Path, query: &str) -> usize {
    hearken(config, "search", &[query, "--json"]).lines().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_an_author_leaves_no_trace_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let database = support::unique_name("hearken_erasure");
    let data = tmp.path().join("data");
    let config = tmp.path().join("hearken.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[core]\nentities = {:?}\n[clickhouse]\nurl = {:?}\ndatabase = {:?}\nbatch_ms = 100\n",
            data.display().to_string(),
            root().join("lexicons/entities.toml").display().to_string(),
            support::clickhouse_url(),
            database
        ),
    )
    .unwrap();
    let corpus = tmp.path().join("posts.jsonl");
    let sample = std::fs::read_to_string(root().join("tests/data/sample_posts.jsonl")).unwrap();
    std::fs::write(&corpus, format!("{sample}{POSTS}")).unwrap();

    // The embedded stores, through the pipeline.
    hearken(&config, "replay", &[corpus.to_str().unwrap()]);
    let dir = DataDir::new(&data);
    let (scored, cases, events) = {
        let mut store = CaseStore::open(&dir.case_store()).unwrap();
        // Webhook payloads quote the posts of a case: queue some (a neighbour's second reply).
        store.send_to_webhook(CaseEventKind::ALL);
        let case = store.post("x:9001").unwrap().expect("the target's post is stored");
        let reply = ScoredPost {
            post: hearken::model::Post { id: "9004".into(), reply_to: Some("9001".into()), url: None, ..case.post.clone() },
            assessment: hearken::model::Assessment { id: "9004".into(), ..case.assessment.clone() },
        };
        let reply = ScoredPost {
            post: hearken::model::Post {
                text: "Semoga RS Zenith segera memberikan rekam medisnya, itu hak pasien.".into(),
                author: Some(hearken::model::Author { handle: Some("tetangga_lain".into()), ..Default::default() }),
                ..reply.post
            },
            ..reply
        };
        assert_eq!(store.commit_batch(&[&reply], &[], &[]).unwrap().cases_updated, 1, "the reply joins the case");
        let outbox: i64 = store.connection().query_row("SELECT count(*) FROM outbox WHERE body LIKE '%qzmarker7%'", [], |r| r.get(0)).unwrap();
        assert!(outbox > 0, "a webhook payload quotes the target's post before the erasure");
        let scored = store.recent_posts(100_000).unwrap();
        let cases = store.cases(None, 100_000).unwrap();
        let events: Vec<_> = cases.iter().flat_map(|c| store.events(&c.id).unwrap()).collect();
        (scored, cases, events)
    };
    let the_case = cases.iter().find(|c| c.post_uids.contains(&"x:9001".to_string())).expect("a case holds the target's post");
    assert_eq!(the_case.post_uids[..3], ["x:9001", "x:9002", "x:9003"], "one story: the post, the same author's, a reply");
    assert!(the_case.summary.contains(MARKER), "the case summary quotes the first post");

    // ClickHouse, through the sink, as the distributed mode writes it.
    let key = Pseudonymizer::new(KEY.as_bytes()).unwrap();
    let ch_config = hearken::config::Config::load(&config).unwrap().clickhouse.unwrap();
    let mut sink = ClickHouseSink::connect(&ch_config, key.clone()).await.unwrap();
    sink.write(&scored, &cases, &events).await.unwrap();
    sink.flush().await.unwrap();
    let db = sink.client().clone();
    let pseudonym = key.pseudonym(HANDLE);
    let target = ["x:9001", "x:9002"];
    assert_eq!(ch_count(&db, &format!("SELECT count() FROM posts WHERE author = '{pseudonym}'"), &[]).await, 2);
    assert_eq!(ch_count(&db, &format!("SELECT count() FROM posts WHERE position(text, '{MARKER}') > 0"), &[]).await, 2);
    assert!(ch_count(&db, "SELECT count() FROM case_events WHERE has(?, post_uid)", &target).await > 0);

    // Before: the marker is everywhere (the checks below can see it).
    let posts_dir = table_dir(&db, "posts").await;
    assert!(!on_disk(&posts_dir, MARKER).is_empty(), "the marker is readable in {}", posts_dir.display());
    assert_eq!(search(&config, MARKER), 2);
    assert!(!on_disk(&data.join("cases.sqlite"), MARKER).is_empty() || !on_disk(&data.join("cases.sqlite-wal"), MARKER).is_empty());
    let index_had_it = !on_disk(&dir.search_index(), MARKER).is_empty();
    let docs_before = SearchIndex::open(&dir.search_index()).unwrap().num_docs().unwrap();

    // Erase.
    let out = hearken(&config, "erase", &["--author", "@pasien_rahasia", "--actor", "test-officer", "--note", "ticket-42"]);
    eprintln!("{out}");
    assert!(out.contains("ClickHouse:   2 posts deleted"), "{out}");
    assert!(out.contains("search index: 2 documents deleted"), "{out}");
    assert!(out.contains("case store:   2 posts deleted"), "{out}");

    // ClickHouse: nothing of theirs in any table (every active part, no FINAL needed).
    for sql in [
        format!("SELECT count() FROM posts WHERE author = '{pseudonym}'"),
        format!("SELECT count() FROM posts WHERE position(text, '{MARKER}') > 0"),
        "SELECT count() FROM posts WHERE has(?, uid)".to_string(),
        "SELECT count() FROM case_events WHERE has(?, post_uid)".to_string(),
    ] {
        assert_eq!(ch_count(&db, &sql, &target).await, 0, "{sql}");
    }
    assert_eq!(ch_count(&db, "SELECT count() FROM posts WHERE uid = 'x:9003'", &[]).await, 1, "other posts stay");
    // …nor on the server's disk, once the parts the mutation replaced are removed.
    wait_for_old_parts_to_go(&db, "posts").await;
    assert_eq!(on_disk(&posts_dir, MARKER), Vec::<PathBuf>::new(), "the erased text left ClickHouse's files");
    #[derive(clickhouse::Row, serde::Deserialize, Debug)]
    struct Audit {
        actor: String,
        kind: String,
        subject: String,
        posts: u64,
        note: String,
    }
    let audit: Vec<Audit> = db.query("SELECT actor, kind, subject, posts, note FROM erasures ORDER BY subject").fetch_all().await.unwrap();
    assert!(
        audit.iter().any(|a| a.subject == format!("author:hmac:{pseudonym}") && a.posts == 2 && a.actor == "test-officer" && a.note == "ticket-42"),
        "{audit:?}"
    );
    assert!(audit.iter().all(|a| a.kind == "author" && !a.subject.to_lowercase().contains("pasien")), "no handle in the record: {audit:?}");

    // The search index: not found, and not in its files.
    assert_eq!(search(&config, MARKER), 0);
    let index = SearchIndex::open(&dir.search_index()).unwrap();
    assert_eq!(index.num_docs().unwrap(), docs_before - 2);
    assert_eq!(index.deleted_docs().unwrap(), 0, "segments rewritten: no deleted document left in the files");
    assert!(on_disk(&dir.search_index(), MARKER).is_empty(), "marker in the index files (before: {index_had_it})");

    // The case store: not in any table, nor in the bytes of its files.
    {
        let mut store = CaseStore::open(&dir.case_store()).unwrap();
        for uid in target {
            assert!(store.post(uid).unwrap().is_none());
        }
        let case = store.case(&the_case.id).unwrap().unwrap();
        assert_eq!(case.post_uids[0], "x:9003", "the case keeps the other posts");
        assert!(!case.post_uids.iter().any(|u| target.contains(&u.as_str())));
        assert!(case.summary.starts_with("Saya juga pernah begitu di RS Zenith"), "summary quotes the next post: {}", case.summary);
        assert!(store.events(&case.id).unwrap().iter().all(|e| !e.post_uid.as_deref().is_some_and(|u| target.contains(&u))));
        let conn = store.connection();
        for table in ["posts", "trend_posts", "trend_entities", "trend_categories"] {
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table} WHERE uid IN ('x:9001', 'x:9002')"), [], |r| r.get(0)).unwrap();
            assert_eq!(n, 0, "{table}");
        }
        let audit = hearken::sinks::erasure::audit_log(conn).unwrap();
        assert!(audit.iter().any(|a| a.subject == format!("author:hmac:{pseudonym}") && a.actor == "test-officer" && a.posts == 2), "{audit:?}");
        assert!(audit.iter().all(|a| !a.subject.to_lowercase().contains("pasien")));
    }
    for needle in [MARKER, HANDLE] {
        for file in ["cases.sqlite", "cases.sqlite-wal"] {
            assert!(on_disk(&data.join(file), needle).is_empty(), "{needle} left in the bytes of {file}");
        }
    }

    // Read again (a new copy of the input, so a new stream), they stay out.
    let again = tmp.path().join("again.jsonl");
    std::fs::write(&again, POSTS).unwrap();
    hearken(&config, "replay", &[again.to_str().unwrap()]);
    assert_eq!(search(&config, MARKER), 0, "an erased author's posts are not indexed again");
    assert!(CaseStore::open(&dir.case_store()).unwrap().post("x:9001").unwrap().is_none(), "…nor stored again");
    let mut sink = ClickHouseSink::connect(&ch_config, key.clone()).await.unwrap();
    let theirs: Vec<ScoredPost> = scored.iter().filter(|s| target.contains(&s.post.uid().as_str())).cloned().collect();
    assert_eq!(theirs.len(), 2);
    sink.write(&theirs, &[], &[]).await.unwrap();
    sink.flush().await.unwrap();
    assert_eq!(ch_count(&db, "SELECT count() FROM posts WHERE has(?, uid)", &target).await, 0, "the ClickHouse sink leaves them out");

    // One post by uid.
    let out = hearken(&config, "erase", &["--post", "mastodon:s1", "--actor", "test-officer"]);
    assert!(out.contains("ClickHouse:   1 posts deleted") && out.contains("case store:   1 posts deleted"), "{out}");
    assert_eq!(search(&config, OTHER_MARKER), 0);
    assert_eq!(ch_count(&db, &format!("SELECT count() FROM posts WHERE position(text, '{OTHER_MARKER}') > 0"), &[]).await, 0);
    assert!(CaseStore::open(&dir.case_store()).unwrap().post("mastodon:s1").unwrap().is_none());
    assert_eq!(ch_count(&db, "SELECT count() FROM erasures WHERE subject = 'post:mastodon:s1' AND posts = 1", &[]).await, 1);

    // The rows written are the pseudonymized ones (a handle never reached ClickHouse).
    let rows: Vec<PostRow> = db.query("SELECT ?fields FROM posts FINAL").fetch_all().await.unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r.author.len() == 32 || r.author.is_empty()));
    support::clickhouse_client().query(&format!("DROP DATABASE IF EXISTS {database}")).execute().await.unwrap();
}

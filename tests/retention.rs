//! Retention: posts older than `[retention] posts_days` and closed cases older than
//! `cases_days` leave ClickHouse (the real server tests/run.sh starts), the search index
//! and the case store; open cases and newer posts stay; the run is recorded.

mod support;
#[path = "support/corpus.rs"]
mod corpus;

use hearken::config::{ClickHouseConfig, Config};
use hearken::model::{Case, CaseStatus, EntityKind, EntityRef, PriorityLevel, Spread};
use hearken::sinks::clickhouse::ClickHouseSink;
use hearken::sinks::pseudonym::Pseudonymizer;
use hearken::sinks::{retention, CaseStore, DataDir, ScoredPost, SearchIndex};
use time::{Duration, OffsetDateTime};

const DAYS: i64 = 56;

fn ch_case(id: &str, status: CaseStatus, updated: i64) -> Case {
    Case {
        id: id.into(),
        kind: Default::default(),
        entity: EntityRef { kind: EntityKind::Hospital, id: "zenith-serpong".into() },
        status,
        priority: PriorityLevel::P3,
        priority_score: 50,
        categories: vec![],
        reasons: vec![],
        post_uids: vec![],
        summary: String::new(),
        assignee: None,
        opened_at: OffsetDateTime::from_unix_timestamp(corpus::START).unwrap(),
        updated_at: OffsetDateTime::from_unix_timestamp(updated).unwrap(),
        version: 2,
        spread: Spread::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_posts_and_closed_cases_leave_every_store() {
    let posts = corpus::generate(corpus::Shape::new(1_500, DAYS));
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let database = support::unique_name("hearken_retention");
    let mut config = Config::parse("").unwrap();
    config.clickhouse = Some(ClickHouseConfig {
        url: support::clickhouse_url(),
        database: database.clone(),
        user: "default".into(),
        batch_rows: 10_000,
        batch_ms: 1000,
        retry_base_ms: 100,
        retry_cap_ms: 2000,
        give_up_after_secs: 60,
        request_timeout_ms: 30_000,
    });

    // The stores: case store and index as the embedded sink writes them, ClickHouse by the sink.
    {
        let mut store = CaseStore::open(&dir.case_store()).unwrap();
        let mut index = SearchIndex::open_writer(&dir.search_index()).unwrap();
        for chunk in posts.chunks(500) {
            let refs: Vec<&ScoredPost> = chunk.iter().collect();
            index.write(&refs.iter().copied().filter(|p| p.assessment.relevant).collect::<Vec<_>>()).unwrap();
            store.commit_batch(&refs, &[], &[]).unwrap();
        }
        // One case closed today, one left open.
        let cases = store.cases(Some(CaseStatus::Open), 10).unwrap();
        assert!(cases.len() >= 2);
        store.set_status(&cases[0].id, CaseStatus::Resolved, "siti", None, None).unwrap();
    }
    let mut sink = ClickHouseSink::connect(config.clickhouse.as_ref().unwrap(), Pseudonymizer::new(b"retention-key-0123456789").unwrap()).await.unwrap();
    let old = corpus::START + 2 * corpus::DAY;
    let cases = [ch_case("old-resolved", CaseStatus::Resolved, old), ch_case("old-open", CaseStatus::Open, old), ch_case("new-dismissed", CaseStatus::Dismissed, OffsetDateTime::now_utc().unix_timestamp() + 2 * corpus::DAY)];
    sink.write(&posts, &cases, &[]).await.unwrap();
    sink.flush().await.unwrap();
    let db = sink.client().clone();

    // "Now" is chosen so that posts before day 28 of the corpus (1 Feb 2026 and earlier:
    // all of January, part of February) expire, and cases closed more than a day ago.
    let now = OffsetDateTime::now_utc() + Duration::days(2);
    let posts_cutoff = corpus::START + 28 * corpus::DAY;
    config.retention.posts_days = ((now.unix_timestamp() - posts_cutoff) / corpus::DAY) as u32;
    let posts_cutoff = (now - Duration::days(i64::from(config.retention.posts_days))).unix_timestamp();
    config.retention.cases_days = 1;
    let kept: Vec<&ScoredPost> = posts.iter().filter(|p| p.post.created_at.unwrap().unix_timestamp() >= posts_cutoff).collect();
    assert!(kept.len() > 300 && kept.len() < 1200, "about half the posts stay ({})", kept.len());

    let out = retention::apply(&config, &dir, now, "cron").await.expect("retention");
    eprintln!("{out:?}");

    // ClickHouse: January dropped whole, February trimmed; the old closed case gone.
    let ch = out.clickhouse.as_ref().unwrap();
    assert_eq!(ch.dropped_partitions, ["202601"]);
    assert_eq!(ch.posts_deleted as usize, posts.len() - kept.len());
    assert_eq!(db.query("SELECT count() FROM posts FINAL").fetch_one::<u64>().await.unwrap() as usize, kept.len());
    assert_eq!(db.query("SELECT count() FROM posts WHERE created_at < toDateTime(?)").bind(posts_cutoff).fetch_one::<u64>().await.unwrap(), 0);
    let left: Vec<String> = db.query("SELECT case_id FROM cases FINAL ORDER BY case_id").fetch_all().await.unwrap();
    assert_eq!(left, ["new-dismissed", "old-open"], "closed before the cutoff: gone; open: kept whatever its age");
    assert_eq!(db.query("SELECT count() FROM erasures WHERE kind = 'retention' AND actor = 'cron'").fetch_one::<u64>().await.unwrap(), 1);

    // The case store and the index.
    assert_eq!(out.store_posts as usize, posts.len() - kept.len());
    let mut store = CaseStore::open(&dir.case_store()).unwrap();
    assert_eq!(store.counts().unwrap().posts as usize, kept.len());
    let relevant_kept = kept.iter().filter(|p| p.assessment.relevant).count();
    let conn = store.connection();
    let facts: i64 = conn.query_row("SELECT count(*) FROM trend_posts", [], |r| r.get(0)).unwrap();
    assert_eq!(facts as usize, relevant_kept);
    assert_eq!(out.store_cases, 1, "the case resolved (more than cases_days before \"now\")");
    assert!(store.cases(Some(CaseStatus::Resolved), 10).unwrap().is_empty());
    assert!(!store.cases(Some(CaseStatus::Open), 10).unwrap().is_empty(), "open cases stay");
    let index = SearchIndex::open(&dir.search_index()).unwrap();
    assert_eq!(index.num_docs().unwrap() as usize, relevant_kept);
    assert_eq!(index.deleted_docs().unwrap(), 0);
    let audit = hearken::sinks::erasure::audit_log(store.connection()).unwrap();
    assert!(audit.iter().any(|a| a.kind == "retention" && a.actor == "cron" && a.posts as usize == posts.len() - kept.len()), "{audit:?}");

    // A second run finds nothing more.
    let again = retention::apply(&config, &dir, now, "cron").await.unwrap();
    assert_eq!((again.store_posts, again.store_cases, again.clickhouse.unwrap().posts_deleted), (0, 0, 0));

    // The command line applies the config's retention (here: years, so nothing goes).
    let config_file = tmp.path().join("hearken.toml");
    std::fs::write(&config_file, format!("data_dir = {:?}\n[retention]\nposts_days = 36500\ncases_days = 36500\n", tmp.path().display().to_string())).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hearken"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["erase", "--expired", "--json", "--config"])
        .arg(&config_file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["store"]["posts"], 0, "{report}");
    support::clickhouse_client().query(&format!("DROP DATABASE IF EXISTS {database}")).execute().await.unwrap();
}

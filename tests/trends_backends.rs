//! One suite of trend questions asked of both backends — the embedded case store and
//! ClickHouse (the real server tests/run.sh starts) — over the same corpus: they must
//! give the same answers, and the answers must be the ones counted straight from the
//! corpus in this file (so the two cannot agree on a wrong answer).

mod support;
#[path = "support/corpus.rs"]
mod corpus;

use std::collections::{BTreeMap, HashMap};

use hearken::config::ClickHouseConfig;
use hearken::model::{Category, EntityKind, EntityRef, SentimentLabel};
use hearken::sinks::clickhouse::ClickHouseSink;
use hearken::sinks::pseudonym::Pseudonymizer;
use hearken::sinks::{CaseStore, ScoredPost};
use hearken::trends::clickhouse::ClickHouseTrends;
use hearken::trends::embedded::EmbeddedTrends;
use hearken::trends::{entity_key, post_categories, post_entities, sentiment_milli, Bucket, Counts, Dimension, Filter, TimeRange, Trends};

const POSTS: usize = 6_000;
const DAYS: i64 = 56; // eight weeks

fn ch_config(database: &str) -> ClickHouseConfig {
    ClickHouseConfig {
        url: support::clickhouse_url(),
        database: database.to_string(),
        user: "default".into(),
        batch_rows: 2_000,
        batch_ms: 1000,
        retry_base_ms: 100,
        retry_cap_ms: 2000,
        give_up_after_secs: 60,
        request_timeout_ms: 30_000,
    }
}

/// The questions, each asked of a backend; answers as JSON for a readable diff.
async fn ask(t: &impl Trends) -> BTreeMap<String, serde_json::Value> {
    let whole = TimeRange::new(corpus::START, corpus::START + DAYS * corpus::DAY);
    let last_two_weeks = TimeRange::new(corpus::START + (DAYS - 14) * corpus::DAY, corpus::START + DAYS * corpus::DAY);
    let odd = TimeRange::new(corpus::START + 3 * corpus::DAY + 7_777, corpus::START + 40 * corpus::DAY + 123);
    let mut out = BTreeMap::new();
    let mut put = |name: String, v: serde_json::Value| {
        out.insert(name, v);
    };
    let zenith = EntityRef { kind: EntityKind::Hospital, id: "zenith-serpong".into() };
    let sari = EntityRef { kind: EntityKind::Clinician, id: "dr-sari-wibowo".into() };
    let er = EntityRef { kind: EntityKind::Department, id: "emergency".into() };
    for entity in [&zenith, &sari, &er] {
        for bucket in [Bucket::Hour, Bucket::Day, Bucket::Week] {
            for (rname, range) in [("whole", whole), ("odd", odd)] {
                let s = t.series(entity, bucket, range).await.expect("series");
                put(format!("series {} {bucket:?} {rname}", entity.id), serde_json::to_value(s).unwrap());
            }
        }
    }
    let filters = [
        ("all", Filter::default()),
        ("zenith", Filter::entity(EntityKind::Hospital, "zenith-serpong")),
        ("sari", Filter::entity(EntityKind::Clinician, "dr-sari-wibowo")),
        ("x", Filter { source: Some("x".into()), ..Filter::default() }),
        ("en", Filter { lang: Some("en".into()), ..Filter::default() }),
        ("sukamaju id mastodon", Filter { entity: Some(EntityRef { kind: EntityKind::Hospital, id: "rsud-sukamaju".into() }), source: Some("mastodon".into()), lang: Some("id".into()) }),
    ];
    for (fname, filter) in &filters {
        for (rname, range) in [("whole", whole), ("last two weeks", last_two_weeks), ("odd", odd)] {
            let top = t.top_categories(filter, range, 5).await.expect("top categories");
            put(format!("top categories {fname} {rname}"), serde_json::to_value(top).unwrap());
            for by in [Dimension::Entity(EntityKind::Hospital), Dimension::Entity(EntityKind::Clinician), Dimension::Source, Dimension::Language] {
                let b = t.breakdown(by, filter, range).await.expect("breakdown");
                put(format!("breakdown {by:?} {fname} {rname}"), serde_json::to_value(b).unwrap());
            }
        }
    }
    let sov = t.share_of_voice(EntityKind::Hospital, last_two_weeks).await.expect("share of voice");
    put("share of voice".into(), serde_json::to_value(sov).unwrap());
    out
}

/// The answer to "series per day for an entity" and "breakdown by source", counted from
/// the corpus directly.
fn oracle(posts: &[ScoredPost], entity: &EntityRef, range: TimeRange) -> (BTreeMap<i64, Counts>, BTreeMap<String, u64>, HashMap<Category, u64>) {
    let mut days: BTreeMap<i64, Counts> = BTreeMap::new();
    let mut sources: BTreeMap<String, u64> = BTreeMap::new();
    let mut categories: HashMap<Category, u64> = HashMap::new();
    let key = entity_key(entity.kind, &entity.id);
    for s in posts {
        let (p, a) = (&s.post, &s.assessment);
        let t = p.created_at.unwrap().unix_timestamp();
        if !a.relevant || t < range.from || t >= range.to {
            continue;
        }
        *sources.entry(p.source.unwrap().as_str().to_string()).or_default() += 1;
        if !post_entities(a).iter().any(|(k, id)| entity_key(*k, id) == key) {
            continue;
        }
        let c = days.entry(Bucket::Day.start_of(t)).or_default();
        c.posts += 1;
        c.complaints += a.complaint.is_complaint as u64;
        c.negative += (a.sentiment.label == SentimentLabel::Negative) as u64;
        c.neutral += (a.sentiment.label == SentimentLabel::Neutral) as u64;
        c.positive += (a.sentiment.label == SentimentLabel::Positive) as u64;
        c.sentiment_milli_sum += i64::from(sentiment_milli(a.sentiment.compound));
        if a.complaint.is_complaint {
            for cat in post_categories(a) {
                *categories.entry(cat).or_default() += 1;
            }
        }
    }
    (days, sources, categories)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_give_the_same_answers_as_the_corpus() {
    let posts = corpus::generate(corpus::Shape { authors: 400, ..corpus::Shape::new(POSTS, DAYS) });

    // Embedded: the real write path, CaseStore::commit_batch (cases, spikes and all).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.sqlite");
    let mut store = CaseStore::open(&path).unwrap();
    for chunk in posts.chunks(500) {
        let refs: Vec<&ScoredPost> = chunk.iter().collect();
        store.commit_batch(&refs, &[], &[]).unwrap();
    }
    // A replay of some of them changes nothing (known uids are skipped).
    store.commit_batch(&posts[..300].iter().collect::<Vec<_>>(), &[], &[]).unwrap();
    let embedded = EmbeddedTrends::open(&path).unwrap();

    // ClickHouse: through the sink, a part of the corpus written twice.
    let database = support::unique_name("hearken_trends");
    let mut sink = ClickHouseSink::connect(&ch_config(&database), Pseudonymizer::new(b"trends-test-key-0123456789").unwrap()).await.unwrap();
    for chunk in posts.chunks(700) {
        sink.write(chunk, &[], &[]).await.unwrap();
    }
    sink.flush().await.unwrap();
    for chunk in posts[POSTS / 3..POSTS / 2].chunks(700) {
        sink.write(chunk, &[], &[]).await.unwrap();
    }
    sink.flush().await.unwrap();
    let clickhouse = ClickHouseTrends::new(sink.client().clone());

    let from_embedded = ask(&embedded).await;
    let from_clickhouse = ask(&clickhouse).await;
    assert_eq!(from_embedded.len(), from_clickhouse.len());
    let mut differ = Vec::new();
    for (question, answer) in &from_embedded {
        if from_clickhouse.get(question) != Some(answer) {
            differ.push(format!(
                "{question}:\n  embedded:   {answer}\n  clickhouse: {}",
                from_clickhouse.get(question).map(|v| v.to_string()).unwrap_or_default()
            ));
        }
    }
    assert!(differ.is_empty(), "{} of {} answers differ:\n{}", differ.len(), from_embedded.len(), differ.join("\n"));
    eprintln!("{} questions, same answers; e.g. top categories of zenith-serpong in the last two weeks: {}", from_embedded.len(), from_embedded["top categories zenith last two weeks"]);
    let empty = from_embedded.values().filter(|v| v.as_array().is_some_and(|a| a.is_empty())).count();
    assert!(empty < from_embedded.len() / 10, "{empty} answers are empty: the corpus should fill most questions");

    // …and they are the corpus's own answers.
    let whole = TimeRange::new(corpus::START, corpus::START + DAYS * corpus::DAY);
    let zenith = EntityRef { kind: EntityKind::Hospital, id: "zenith-serpong".into() };
    let (days, sources, categories) = oracle(&posts, &zenith, whole);
    let series = embedded.series(&zenith, Bucket::Day, whole).await.unwrap();
    let got: BTreeMap<i64, Counts> = series.into_iter().map(|p| (p.start, p.counts)).collect();
    assert_eq!(got, days, "daily series of zenith-serpong");
    let by_source = clickhouse.breakdown(Dimension::Source, &Filter::default(), whole).await.unwrap();
    let got: BTreeMap<String, u64> = by_source.iter().map(|s| (s.key.clone(), s.counts.posts)).collect();
    assert_eq!(got, sources, "posts by source");
    assert!((by_source.iter().map(|s| s.share).sum::<f64>() - 1.0).abs() < 1e-9);
    let got = clickhouse.category_counts(&Filter::entity(EntityKind::Hospital, "zenith-serpong"), whole).await.unwrap();
    assert_eq!(got, categories, "complaint categories of zenith-serpong");

    // Share of voice follows the corpus's 5:3:2 weights (plus the comparisons).
    let sov = clickhouse.share_of_voice(EntityKind::Hospital, whole).await.unwrap();
    let keys: Vec<&str> = sov.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["zenith-serpong", "rsud-sukamaju", "lestari-medical"]);

    // The hourly rollup view agrees with the questions: its volume rows (category "")
    // add up to the per-hospital breakdown.
    #[derive(clickhouse::Row, serde::Deserialize)]
    struct Total {
        entity: String,
        posts: u64,
    }
    let totals: Vec<Total> = sink
        .client()
        .query("SELECT entity, sum(posts) FROM trend_hourly WHERE category = '' AND startsWith(entity, 'hospital:') GROUP BY entity")
        .fetch_all()
        .await
        .unwrap();
    let by_hospital = clickhouse.breakdown(Dimension::Entity(EntityKind::Hospital), &Filter::default(), whole).await.unwrap();
    for t in &totals {
        let id = t.entity.trim_start_matches("hospital:");
        let slice = by_hospital.iter().find(|s| s.key == id).expect("hospital in breakdown");
        assert_eq!(slice.counts.posts, t.posts, "trend_hourly volume of {id}");
    }
    assert_eq!(totals.len(), 3);
    support::clickhouse_client().query(&format!("DROP DATABASE IF EXISTS {database}")).execute().await.unwrap();
}

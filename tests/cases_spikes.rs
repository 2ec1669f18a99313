//! Spike detection through the case store: a steady rhythm of negative posts raises no
//! alert; a burst does, once per hour, even when no single post is severe.

use hearken::connectors::Position;
use hearken::model::*;
use hearken::sinks::{CaseStore, ScoredPost};
use time::OffsetDateTime;

fn negative_post(n: u64, at: OffsetDateTime) -> ScoredPost {
    let post = Post {
        id: format!("p{n}"),
        text: format!("post number {n}"),
        source: Some(Source::X),
        url: None,
        created_at: Some(at),
        author: Some(Author { id: None, handle: Some(format!("@user{n}")), followers: Some(10), verified: None }),
        metrics: None,
        reply_to: None,
        lang: Some("id".into()),
    };
    // Mildly negative, not a complaint, so no single post opens a case.
    let assessment = Assessment {
        id: post.id.clone(),
        lang: "id".into(),
        relevant: true,
        noise: None,
        entities: vec![EntityMatch { kind: EntityKind::Hospital, id: "zenith-serpong".into(), matched: "RS Zenith".into(), start: 0, end: 9 }],
        sentiment: Sentiment { compound: -0.3, label: SentimentLabel::Negative },
        complaint: Complaint { is_complaint: false, score: 0.2, categories: vec![] },
        priority: Priority { level: PriorityLevel::P4, score: 10, reasons: vec![] },
        escalate: false,
    };
    ScoredPost { post, assessment }
}

fn spikes(store: &CaseStore) -> Vec<Case> {
    store.cases(None, 10_000).unwrap().into_iter().filter(|c| c.kind == CaseKind::Spike).collect()
}

fn store_all(store: &mut CaseStore, posts: &[ScoredPost]) {
    for chunk in posts.chunks(500) {
        let refs: Vec<&ScoredPost> = chunk.iter().collect();
        store.commit_batch(&refs, &[], &[Position::at("test", 0)]).unwrap();
    }
}

/// Three weeks of the same daily volume: 4 posts an hour in the day, 1 at night.
fn steady_weeks(start: OffsetDateTime, weeks: i64, first_id: u64) -> Vec<ScoredPost> {
    let mut posts = Vec::new();
    let mut id = first_id;
    for hour in 0..weeks * 168 {
        let at = start + time::Duration::hours(hour);
        let per_hour = if (8..18).contains(&at.hour()) { 4 } else { 1 };
        for k in 0..per_hour {
            posts.push(negative_post(id, at + time::Duration::minutes(k * 10)));
            id += 1;
        }
    }
    posts
}

#[test]
fn a_steady_background_raises_no_spike_and_a_burst_raises_one() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = CaseStore::open(&tmp.path().join("cases.sqlite")).unwrap();
    let start = time::macros::datetime!(2026-03-02 00:00 UTC);
    let background = steady_weeks(start, 3, 0);
    store_all(&mut store, &background);
    assert!(spikes(&store).is_empty(), "steady volume raised {:?}", spikes(&store).iter().map(|c| &c.summary).collect::<Vec<_>>());
    assert!(store.cases(None, 10).unwrap().is_empty(), "mild posts open no story cases");

    // A quiet night hour in week four with 15 negative posts: abnormal.
    let night = start + time::Duration::weeks(3) + time::Duration::hours(2);
    let burst: Vec<ScoredPost> = (0..15).map(|k| negative_post(1_000_000 + k, night + time::Duration::minutes(k as i64 * 3))).collect();
    store_all(&mut store, &burst);
    let raised = spikes(&store);
    assert_eq!(raised.len(), 1, "{:?}", raised.iter().map(|c| &c.summary).collect::<Vec<_>>());
    let spike = &raised[0];
    assert_eq!(spike.entity.id, "zenith-serpong");
    assert!(spike.priority <= PriorityLevel::P2);
    assert!(spike.summary.starts_with("Spike: "), "{}", spike.summary);
    assert_eq!(store.events(&spike.id).unwrap()[0].kind, CaseEventKind::Opened);

    // More posts in the same hour do not raise it again.
    let more: Vec<ScoredPost> = (0..5).map(|k| negative_post(2_000_000 + k, night + time::Duration::minutes(50))).collect();
    store_all(&mut store, &more);
    assert_eq!(spikes(&store).len(), 1);
}

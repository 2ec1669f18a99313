//! Stories through the case store, on the team's sample corpus scored by the real core:
//! the spreading (Prita-pattern) story is an emergency from its first posts, it is one
//! case rather than a scatter of them, and P1 stays rare.

use std::collections::HashMap;
use std::path::Path;

use hearken::config::Config;
use hearken::connectors::Position;
use hearken::core::{EntitiesFile, Scorer};
use hearken::model::{Case, CaseKind, Post, PriorityLevel};
use hearken::sinks::{CaseStore, ScoredPost};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The sample posts, scored, each with its label's `story` (Some("prita") or None).
fn sample() -> Vec<(ScoredPost, Option<String>)> {
    let config = Config::load_or_default(None).unwrap();
    let entities = EntitiesFile::load(&root().join(&config.core.entities)).unwrap();
    let mut scorer = Scorer::new(&config.core, &entities).unwrap();
    let posts = std::fs::read_to_string(root().join("tests/data/sample_posts.jsonl")).unwrap();
    let labels = std::fs::read_to_string(root().join("tests/data/sample_labels.jsonl")).unwrap();
    posts
        .lines()
        .zip(labels.lines())
        .map(|(p, l)| {
            let post = Post::from_json_line(p).unwrap();
            let label: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(label["id"].as_str(), Some(post.id.as_str()), "labels follow the posts line by line");
            let assessment = scorer.score(&post);
            (ScoredPost { post, assessment }, label["story"].as_str().map(str::to_string))
        })
        .collect()
}

fn case_of(store: &CaseStore, uid: &str) -> Option<Case> {
    store.cases(None, 100_000).unwrap().into_iter().find(|c| c.post_uids.iter().any(|u| u == uid))
}

#[test]
fn the_spreading_story_is_one_p1_case_from_its_first_posts() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = CaseStore::open(&tmp.path().join("cases.sqlite")).unwrap();
    let sample = sample();
    let mut story_posts_seen = 0;
    let mut p1_after: Option<usize> = None;
    let mut first_story_uid: Option<String> = None;
    // One post at a time, as a trickle arrives: the alert must be there as the story starts.
    for (i, (scored, story)) in sample.iter().enumerate() {
        store.commit_batch(&[scored], &[], &[Position::at("sample", i as u64 + 1)]).unwrap();
        if story.as_deref() != Some("prita") {
            continue;
        }
        story_posts_seen += 1;
        let first = first_story_uid.get_or_insert_with(|| scored.post.uid()).clone();
        if p1_after.is_none() && case_of(&store, &first).is_some_and(|c| c.priority == PriorityLevel::P1) {
            p1_after = Some(story_posts_seen);
        }
    }
    let p1_after = p1_after.expect("the spreading story never became a P1 case");
    assert!(p1_after <= 3, "the story's case became P1 only after {p1_after} of its posts");

    // One story, one case: the case of the first post holds most of the story's posts that
    // reached any case, and few posts of other stories.
    let uid_story: HashMap<String, bool> = sample.iter().map(|(s, story)| (s.post.uid(), story.as_deref() == Some("prita"))).collect();
    let cases = store.cases(None, 100_000).unwrap();
    let story_cases: Vec<&Case> = cases.iter().filter(|c| c.post_uids.iter().any(|u| uid_story[u])).collect();
    let main = case_of(&store, first_story_uid.as_ref().unwrap()).unwrap();
    let in_main = main.post_uids.iter().filter(|u| uid_story[*u]).count();
    let in_any: usize = story_cases.iter().map(|c| c.post_uids.iter().filter(|u| uid_story[*u]).count()).sum();
    let strangers = main.post_uids.len() - in_main;
    eprintln!(
        "story posts in cases: {in_any}, in the story's case: {in_main}, across {} cases; other posts in the story's case: {strangers}",
        story_cases.len()
    );
    assert_eq!(main.kind, CaseKind::Story);
    assert!(in_main * 2 >= in_any, "the story is scattered: {in_main} of its {in_any} posts in cases are in its main case");
    assert!(strangers * 5 <= main.post_uids.len(), "{strangers} of the {} posts in the story's case belong to other stories", main.post_uids.len());
    assert!(main.spread.authors >= 10 && main.spread.sources.len() >= 3, "spread: {:?}", main.spread);

    // P1 stays for what needs action now.
    let stories: Vec<&Case> = cases.iter().filter(|c| c.kind == CaseKind::Story).collect();
    let p1 = stories.iter().filter(|c| c.priority == PriorityLevel::P1).count();
    eprintln!("story cases: {}, of which P1: {p1}", stories.len());
    assert!(p1 * 10 <= stories.len(), "{p1} of {} cases are P1", stories.len());
}

//! How fast the embedded case store commits scored posts: `CaseStore::commit_batch`, the
//! sink stage's bottleneck (posts, stories, cases, spikes, trend facts, one transaction per
//! batch).
//!
//! `cargo bench --bench case_store` (release build). `HEARKEN_BENCH_POSTS` sets the size
//! of each corpus (default 20000). Two corpora, each committed in batches of 1,000 into a
//! fresh store, timed by wall clock:
//!
//! 1. **sample stories**: the team's sample posts (`tests/data/sample_posts.jsonl`: three
//!    hospitals, 265-odd complaints, the spreading story), scored once by the real core,
//!    then repeated in rounds under new ids, 15 days apart (so each round tells its own
//!    stories while the last round's are still open), replies pointing inside their round;
//! 2. **synthetic**: `tests/support/corpus.rs` (random words about three hospitals over
//!    180 days, ~30 % complaints, 2,000 authors), the corpus of the trends benchmark.
//!
//! Prints posts/s for each, with the cases opened.

#[path = "../tests/support/corpus.rs"]
mod corpus;

use std::time::Instant;

use hearken::config::Config;
use hearken::core::{EntitiesFile, Scorer};
use hearken::model::Post;
use hearken::sinks::{CaseStore, ScoredPost};

fn sample_rounds(n: usize) -> Vec<ScoredPost> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load_or_default(None).unwrap();
    let entities = EntitiesFile::load(&root.join(&config.core.entities)).unwrap();
    let mut scorer = Scorer::new(&config.core, &entities).unwrap();
    let sample: Vec<ScoredPost> = std::fs::read_to_string(root.join("tests/data/sample_posts.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let post = Post::from_json_line(l).unwrap();
            let assessment = scorer.score(&post);
            ScoredPost { post, assessment }
        })
        .collect();
    (0..n)
        .map(|i| {
            let round = i / sample.len();
            let mut s = sample[i % sample.len()].clone();
            s.post.id = format!("{}-{round}", s.post.id);
            s.assessment.id = s.post.id.clone();
            s.post.created_at = s.post.created_at.map(|t| t + time::Duration::days(15 * round as i64));
            s.post.reply_to = s.post.reply_to.map(|p| format!("{p}-{round}"));
            s.post.url = s.post.url.map(|u| format!("{u}-{round}"));
            s
        })
        .collect()
}

fn commit_all(name: &str, posts: &[ScoredPost]) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = CaseStore::open(&dir.path().join("cases.sqlite")).unwrap();
    let t = Instant::now();
    let mut opened = 0;
    for chunk in posts.chunks(1_000) {
        opened += store.commit_batch(&chunk.iter().collect::<Vec<&ScoredPost>>(), &[], &[]).unwrap().cases_opened;
    }
    let secs = t.elapsed().as_secs_f64();
    println!("| {name} | {} | {:.0} | {opened} |", posts.len(), posts.len() as f64 / secs);
    let t = Instant::now();
    drop(store);
    let store = CaseStore::open(&dir.path().join("cases.sqlite")).unwrap();
    println!("|   reopening the store (story index rebuilt) | | {:.2} s | |", t.elapsed().as_secs_f64());
    drop(store);
}

fn main() {
    let n: usize = std::env::var("HEARKEN_BENCH_POSTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let sample = sample_rounds(n);
    let synthetic = corpus::generate(corpus::Shape::new(n, 180));
    println!("| corpus | posts | commit_batch posts/s | cases opened |");
    println!("|---|---:|---:|---:|");
    commit_all("sample stories (rounds of the team's sample, scored)", &sample);
    commit_all("synthetic (tests/support/corpus.rs)", &synthetic);
}

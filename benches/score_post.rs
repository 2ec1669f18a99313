//! Scoring one post in-process: the hot path of hearken.
//!
//! `cargo bench --bench score_post`. Posts are typical of what the core sees: a short
//! English tweet, an Indonesian complaint naming a hospital and a clinician, a long
//! English review, and noise.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use hearken::config::Config;
use hearken::core::{EntitiesFile, Scorer};
use hearken::model::Post;

fn posts() -> Vec<(&'static str, Post)> {
    let post = |text: &str| Post::from_json_line(&serde_json::json!({"id": "1", "text": text}).to_string()).unwrap();
    vec![
        ("tweet_en", post("Ugh. I hate hate hate getting blood drawn. The nurse was sweet though :)")),
        (
            "complaint_id",
            post("Kecewa bgt sama RS Zenith, sdh 3 jam antri di IGD gak dipanggil2, dokter Sari jg gak dtg. Tolong @RSZenithSerpong!!"),
        ),
        (
            "review_en",
            post(&"My father was admitted through the emergency room last week. The nurses were kind and explained everything, but we waited four hours for a bed and nobody told us why. The food was cold and the bathroom was dirty. ".repeat(3)),
        ),
        ("noise", post("GIVEAWAY! Follow and retweet to win a free check-up #sehat #promo #giveaway https://t.co/x")),
    ]
}

fn bench(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::parse("").unwrap();
    let entities = EntitiesFile::load(&root.join("lexicons/entities.toml")).unwrap();
    let mut scorer = Scorer::new(&config.core, &entities).unwrap();
    let mut group = c.benchmark_group("score_post");
    for (name, post) in posts() {
        group.throughput(Throughput::Bytes(post.text.len() as u64));
        group.bench_function(name, |b| b.iter(|| black_box(scorer.score(black_box(&post)))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

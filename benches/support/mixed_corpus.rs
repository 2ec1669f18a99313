//! The benchmarks' shared corpus (included with `#[path]`).

use std::path::Path;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `n` posts written to `path` as JSON lines: every 20th one of the team's sample posts
/// (`tests/data`: hospitals, clinicians, complaints, stories; ids suffixed and shifted 15
/// days per round so each round tells its own stories), the others everyday chatter that
/// names no hospital — the mix a listening tool sees.
pub fn corpus(path: &Path, n: usize) {
    let sample: Vec<Value> = std::fs::read_to_string(root().join("tests/data/sample_posts.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    const WORDS: [&str; 24] = [
        "coffee", "weekend", "traffic", "rain", "football", "concert", "recipe", "garden", "train", "movie", "beach", "market",
        "laptop", "holiday", "birthday", "pizza", "music", "office", "cat", "bicycle", "library", "sunset", "homework", "festival",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut out = String::with_capacity(n * 300);
    let mut from_sample = 0usize;
    for i in 0..n {
        let post = if i % 20 == 0 {
            let round = from_sample / sample.len();
            let mut p = sample[from_sample % sample.len()].clone();
            from_sample += 1;
            p["id"] = Value::String(format!("{}-{round}", p["id"].as_str().unwrap()));
            if let Some(at) = p.get("created_at").and_then(Value::as_str) {
                let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap()
                    + time::Duration::days(15 * round as i64);
                p["created_at"] = Value::String(t.format(&time::format_description::well_known::Rfc3339).unwrap());
            }
            if let Some(parent) = p.get("reply_to").and_then(Value::as_str) {
                p["reply_to"] = Value::String(format!("{parent}-{round}"));
            }
            p
        } else {
            let w: Vec<&str> = (0..8).map(|_| WORDS[(next() % WORDS.len() as u64) as usize]).collect();
            serde_json::json!({
                "id": format!("chat-{i}"),
                "source": "reddit",
                "text": format!("Day {i}: {} and {}, then {} with {} — {} {} {} {}", w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]),
                "author": {"handle": format!("user{}", next() % 5000), "followers": next() % 2000},
            })
        };
        out.push_str(&serde_json::to_string(&post).unwrap());
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

//! A synthetic corpus of scored posts for the ClickHouse and trend tests and the trends
//! benchmark: deterministic (a seeded SplitMix64), quick to make (no scoring), and shaped
//! like hearken's traffic — three hospitals with unequal voice, clinicians and
//! departments, eight sources, three languages, noise, complaints with one to three
//! categories (sometimes repeated, as the core may report them), authors who post often.
//!
//! Use with `#[path = "support/corpus.rs"] mod corpus;` (benches: `../tests/support/corpus.rs`).
#![allow(dead_code)]

use hearken::model::{
    Assessment, Author, Category, CategoryHit, Complaint, EntityKind, EntityMatch, NoiseReason, Post, Priority, PriorityLevel,
    Sentiment, SentimentLabel, Source, SourceMetrics,
};
use hearken::sinks::ScoredPost;
use time::OffsetDateTime;

/// Monday 2026-01-05 00:00 UTC: the corpus starts here.
pub const START: i64 = 1_767_571_200;
pub const DAY: i64 = 86_400;

pub const HOSPITALS: [(&str, u64); 3] = [("zenith-serpong", 5), ("rsud-sukamaju", 3), ("lestari-medical", 2)];
pub const CLINICIANS: [&str; 4] = ["dr-sari-wibowo", "dr-budi-hartono", "dr-chong-mei", "dr-anita-rahman"];
pub const DEPARTMENTS: [&str; 3] = ["emergency", "radiology", "pharmacy"];
pub const SOURCES: [Source; 8] =
    [Source::X, Source::Mastodon, Source::Bluesky, Source::Reddit, Source::Rss, Source::Facebook, Source::Webhook, Source::Replay];
pub const LANGS: [&str; 3] = ["id", "en", "ms"];
const WORDS: [&str; 16] = [
    "antri", "lama", "dokter", "pelayanan", "waited", "hours", "nurse", "billing", "kamar", "obat", "rude", "thanks", "bagus", "parking",
    "result", "lab",
];

/// SplitMix64: small, fast, and the same everywhere.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Options of [`generate`].
#[derive(Clone, Copy)]
pub struct Shape {
    pub posts: usize,
    pub days: i64,
    pub authors: u64,
    pub seed: u64,
    /// Text length in words.
    pub words: usize,
}

impl Shape {
    pub fn new(posts: usize, days: i64) -> Shape {
        Shape { posts, days, authors: 2_000, seed: 7, words: 14 }
    }
}

/// The handle of author `n` (some written with `@`, some in capitals, as networks do).
pub fn handle(n: u64) -> String {
    match n % 3 {
        0 => format!("@pasien{n}"),
        1 => format!("Pasien{n}"),
        _ => format!("pasien{n}@social.example.id"),
    }
}

pub fn generate(shape: Shape) -> Vec<ScoredPost> {
    let mut rng = Rng::new(shape.seed);
    (0..shape.posts).map(|i| post(&mut rng, i, shape)).collect()
}

/// Post `i` of a corpus (its uid is `source:p<i>`).
pub fn post(rng: &mut Rng, i: usize, shape: Shape) -> ScoredPost {
    let source = SOURCES[rng.below(SOURCES.len() as u64) as usize];
    let created = START + rng.below((shape.days * DAY) as u64) as i64;
    let author = rng.below(shape.authors);
    let lang = LANGS[[0, 0, 0, 1, 1, 2][rng.below(6) as usize]];
    let mut text = String::with_capacity(shape.words * 8);
    for w in 0..shape.words {
        if w > 0 {
            text.push(' ');
        }
        text.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    text.push_str(&format!(" #{i}"));

    let mut entities = Vec::new();
    let matched = |kind: EntityKind, id: &str| EntityMatch { kind, id: id.to_string(), matched: id.to_string(), start: 0, end: 0 };
    // Voice: hospital weights 5:3:2.
    let total: u64 = HOSPITALS.iter().map(|h| h.1).sum();
    let mut pick = rng.below(total);
    let hospital = HOSPITALS.iter().find(|h| if pick < h.1 { true } else { pick -= h.1; false }).expect("weights").0;
    entities.push(matched(EntityKind::Hospital, hospital));
    if rng.chance(10) {
        // A second hospital named (a comparison).
        let other = HOSPITALS[rng.below(3) as usize].0;
        entities.push(matched(EntityKind::Hospital, other));
    }
    if rng.chance(30) {
        entities.push(matched(EntityKind::Clinician, CLINICIANS[rng.below(4) as usize]));
    }
    if rng.chance(25) {
        entities.push(matched(EntityKind::Department, DEPARTMENTS[rng.below(3) as usize]));
    }
    if rng.chance(5) {
        entities.push(matched(EntityKind::Hospital, hospital)); // named twice
    }

    let noise = if rng.chance(15) { Some([NoiseReason::Spam, NoiseReason::Advert, NoiseReason::Duplicate][rng.below(3) as usize]) } else { None };
    let relevant = noise.is_none();
    let compound = (rng.unit() * 2.0 - 1.0) as f32;
    let label = if compound >= 0.05 {
        SentimentLabel::Positive
    } else if compound <= -0.05 {
        SentimentLabel::Negative
    } else {
        SentimentLabel::Neutral
    };
    let is_complaint = relevant && compound < 0.2 && rng.chance(55);
    let mut categories = Vec::new();
    if is_complaint || rng.chance(5) {
        for _ in 0..1 + rng.below(3) {
            let id = Category::ALL[rng.below(16) as usize];
            categories.push(CategoryHit { id, score: 0.7, evidence: vec![] });
        }
    }
    let level = [PriorityLevel::P1, PriorityLevel::P2, PriorityLevel::P3, PriorityLevel::P4][rng.below(4) as usize];
    let id = format!("p{i}");
    let post = Post {
        id: id.clone(),
        text,
        source: Some(source),
        url: Some(format!("https://example.net/{}/status/{id}", handle(author).trim_start_matches('@'))),
        created_at: Some(OffsetDateTime::from_unix_timestamp(created).expect("time")),
        author: Some(Author { id: Some(format!("a{author}")), handle: Some(handle(author)), followers: Some(rng.below(50_000)), verified: Some(false) }),
        metrics: Some(SourceMetrics { likes: rng.below(100), shares: rng.below(10), replies: rng.below(10) }),
        reply_to: None,
        lang: None,
    };
    let assessment = Assessment {
        id,
        lang: lang.to_string(),
        relevant,
        noise,
        entities,
        sentiment: Sentiment { compound, label },
        complaint: Complaint { is_complaint, score: if is_complaint { 0.8 } else { 0.1 }, categories },
        priority: Priority { level, score: 40, reasons: vec![] },
        escalate: level == PriorityLevel::P1,
    };
    ScoredPost { post, assessment }
}

//! Properties of the scoring core that must hold for any input: it never panics, its
//! numbers stay in range, spans point into the original text, and its cost grows
//! linearly with the text.

use std::time::Instant;

use hearken::config::Config;
use hearken::core::{EntitiesFile, Scorer};
use hearken::model::Post;
use proptest::prelude::*;

thread_local! {
    /// Built once per test thread: building the lexicons and automatons is far dearer
    /// than scoring a post, and the properties check scoring.
    static SCORER: std::cell::RefCell<Scorer> = std::cell::RefCell::new(scorer());
}

fn with_scorer(f: impl FnOnce(&mut Scorer)) {
    SCORER.with(|s| f(&mut s.borrow_mut()));
}

fn scorer() -> Scorer {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::parse("").unwrap();
    let entities = EntitiesFile::load(&root.join("lexicons/entities.toml")).unwrap();
    Scorer::new(&config.core, &entities).unwrap()
}

fn post(text: String) -> Post {
    Post { id: "p".into(), text, source: None, url: None, created_at: None, author: None, metrics: None, reply_to: None, lang: None }
}

fn check(scorer: &mut Scorer, text: String) {
    let p = post(text);
    let a = scorer.score(&p);
    assert!((-1.0..=1.0).contains(&a.sentiment.compound), "compound {}", a.sentiment.compound);
    assert!(a.sentiment.compound.is_finite());
    assert!((0.0..=1.0).contains(&a.complaint.score));
    assert!(a.priority.score <= 100);
    for e in &a.entities {
        assert_eq!(&p.text[e.start..e.end], e.matched, "span of {}", e.id);
    }
    serde_json::to_string(&a).unwrap();
}

/// Text built from the pieces that break naive text code.
fn nasty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("RS Zenith ".to_string()),
        Just("dokter ".to_string()),
        Just("dr. ".to_string()),
        Just("IGD ".to_string()),
        Just("tidak ".to_string()),
        Just("but ".to_string()),
        Just("NOT ".to_string()),
        Just("!!! ".to_string()),
        Just("???".to_string()),
        Just("\u{200b}".to_string()), // zero-width space
        Just("\u{200d}".to_string()), // zero-width joiner
        Just("\u{202e}".to_string()), // right-to-left override
        Just("\u{fe0f}".to_string()),
        Just("😡".to_string()),
        Just("👍🏽".to_string()),
        Just("👨‍👩‍👧".to_string()),
        Just("ﬁ".to_string()),
        Just("e\u{301}".to_string()), // combining accent
        Just("İ".to_string()),        // lower-cases to two chars
        Just("ß".to_string()),
        Just("#".to_string()),
        Just("@".to_string()),
        Just("http://".to_string()),
        Just("'".to_string()),
        Just("\u{2019}".to_string()),
        Just("   ".to_string()),
        Just("\n".to_string()),
        "\\PC{0,12}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_text_scores_without_panicking(text in nasty()) {
        with_scorer(|s| check(s, text));
    }

    #[test]
    fn arbitrary_unicode_scores_without_panicking(text in "\\PC{0,300}") {
        with_scorer(|s| check(s, text));
    }

    #[test]
    fn invalid_utf8_replaced_scores_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        with_scorer(|s| check(s, String::from_utf8_lossy(&bytes).into_owned()));
    }
}

#[test]
fn edge_texts() {
    let mut s = scorer();
    for text in ["", " ", "😡😡😡", "👍", "\u{200b}\u{200b}", "\u{202e}RS Zenith", "!!!???", "@", "#", "http://"] {
        check(&mut s, text.to_string());
    }
    // A megabyte of text: far over the post limit, but the core must cope if handed one.
    let mega = "Antri lama di IGD RS Zenith, dokter tidak datang 😡 but the nurse was kind. ".repeat(13_000);
    assert!(mega.len() > 1_000_000);
    check(&mut s, mega);
    check(&mut s, "a".repeat(1_000_000));
    check(&mut s, "😡".repeat(250_000));
}

/// Scoring cost grows linearly with text length: 16× the text costs far less than 16²×
/// the time. A ratio within one run, with a generous bound: it catches quadratic
/// behaviour, not machine speed.
#[test]
fn cost_grows_linearly_with_length() {
    let mut s = scorer();
    let unit = "Waited hours at RS Zenith, the nurse was rude and nobody explained anything. Sudah 3 jam antri, kecewa! ";
    let time = |s: &mut Scorer, n: usize| {
        let p = post(unit.repeat(n));
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            std::hint::black_box(s.score(&p));
            best = best.min(t.elapsed().as_secs_f64());
        }
        best
    };
    let small = time(&mut s, 64);
    let large = time(&mut s, 64 * 16);
    let ratio = large / small;
    assert!(ratio < 64.0, "16× the text took {ratio:.1}× the time: superlinear");
}

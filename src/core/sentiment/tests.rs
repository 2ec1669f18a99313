use super::*;
use std::sync::LazyLock;

static ANALYZER: LazyLock<SentimentAnalyzer> = LazyLock::new(|| SentimentAnalyzer::new().unwrap());

fn score(s: &str, lang: Lang) -> Sentiment {
    ANALYZER.score(&Text::new(s), lang)
}

fn en(s: &str) -> f32 {
    score(s, Lang::En).compound
}

fn id(s: &str) -> f32 {
    score(s, Lang::Id).compound
}

fn label(s: &str, lang: Lang) -> &'static str {
    score(s, lang).label.as_str()
}

#[test]
fn plain_words_follow_the_lexicon() {
    assert!(en("The book was good.") > 0.3);
    assert!(en("The book was horrible.") < -0.3);
    assert_eq!(en("The book was on the table."), 0.0);
    assert!(id("makanannya enak") > 0.0);
    assert!(id("pelayanan mengecewakan") < 0.0);
}

#[test]
fn compound_is_vaders_normalization() {
    // "good" is 1.9 in VADER's lexicon: 1.9 / sqrt(1.9² + 15).
    let expected = 1.9 / (1.9f32 * 1.9 + 15.0).sqrt();
    assert!((en("good") - expected).abs() < 1e-4, "{}", en("good"));
    let boosted = rules::normalize(1.9 + rules::B_INCR);
    assert!((en("very good") - boosted).abs() < 1e-4, "{}", en("very good"));
}

#[test]
fn boosters_and_dampeners() {
    assert!(en("very good") > en("good"));
    assert!(en("extremely bad") < en("bad"));
    assert!(en("kind of good") < en("good") && en("kind of good") > 0.0);
    assert!(en("slightly bad") > en("bad"));
    assert!(id("sangat ramah") > id("ramah"));
    // Indonesian boosters that follow their word.
    assert!(id("ramah banget") > id("ramah"));
    assert!(id("kotor sekali") < id("kotor"));
    assert!(id("agak kotor") > id("kotor"));
}

#[test]
fn negation_flips_within_three_words() {
    assert!(en("not good") < 0.0);
    assert!(en("isn't very good") < 0.0);
    assert!(en("never really that good") < 0.0);
    assert!(en("not bad at all") > 0.0);
    // Four words away is out of reach.
    assert!(en("not the food or the good") > 0.0);
    assert!(id("tidak ramah") < 0.0);
    assert!(id("perawatnya tidak sopan") < 0.0 || id("sopan") < 0.0);
    assert!(id("belum puas") < 0.0);
    assert!(id("kurang bersih") < 0.0);
}

#[test]
fn negation_stops_at_sentence_end_and_at_the_next_sentiment_word() {
    assert!(en("No. Great staff.") > 0.3);
    // Each "don't" negates its own "care", not the next one as well.
    assert!(en("don't care don't care") < en("don't care"));
}

#[test]
fn contrast_weighs_what_follows() {
    assert!(en("The food was good, but the staff were rude") < 0.0);
    assert!(en("The staff were rude, but the food was good") > 0.0);
    assert!(id("makanannya enak tapi pelayanannya mengecewakan") < 0.0);
    assert!(id("pelayanannya mengecewakan tapi makanannya enak") > 0.0);
    // Contrast stays in its sentence: the first sentence keeps its full weight.
    let alone = en("The staff were rude.");
    let with_next = en("The staff were rude. Nice view but cold.");
    assert!(with_next < alone + 0.2, "{with_next} vs {alone}");
}

#[test]
fn capitals_emphasize_only_in_mixed_case() {
    assert!(en("the service was GOOD") > en("the service was good"));
    assert!(en("the nurse was RUDE") < en("the nurse was rude"));
    assert_eq!(en("THE SERVICE WAS GOOD"), en("the service was good"));
}

#[test]
fn exclamation_and_question_marks_amplify() {
    assert!(en("good!") > en("good"));
    assert!(en("awful!!") < en("awful!"));
    // Up to four exclamation marks count.
    assert_eq!(en("good!!!!!!!!"), en("good!!!!"));
    assert!(en("really good??") > en("really good?"));
    assert!(id("ramah sekali!") > id("ramah sekali"));
}

#[test]
fn least_negates_except_at_least() {
    assert!(en("the least helpful nurse") < 0.0);
    assert!(en("at least helpful") > 0.0);
}

#[test]
fn emoji_and_emoticons() {
    assert!(en("😁") > 0.0);
    assert!(en("😡") < 0.0);
    assert!(en("see you :)") > 0.0);
    assert!(en("see you :(") < 0.0);
    assert!(en("lost my keys D:") < 0.0);
    assert!(en("see you :-)))") > 0.0);
    assert!(id("antri 3 jam 😡") < 0.0);
}

#[test]
fn idioms_mean_more_than_their_words() {
    assert!(en("shit") < 0.0);
    assert!(en("this band is the shit") > 0.0);
    assert!(en("keep up the good work") > en("the good work"));
    assert!(en("Could not fault them.") > 0.3);
    assert!(en("I can't fault the nurses") > 0.3);
    assert!(en("Nothing was too much trouble") > 0.3);
    assert!(en("The food could be better.") < 0.0);
    assert!(en("The ambulance could have been quicker") < 0.0);
    assert!(en("Nothing was done about it") < 0.0);
    assert!(en("Couldn't be better") > 0.3);
    // An idiom can still be negated.
    assert!(en("not the bomb") < 0.0);
}

#[test]
fn feedback_answers_read_as_praise() {
    assert_eq!(label("Nothing.", Lang::En), "positive");
    assert_eq!(label("Nothing really, all excellent", Lang::En), "positive");
    assert_eq!(label("Absolutely nothing!", Lang::En), "positive");
    assert_eq!(label("None.", Lang::En), "positive");
    assert_eq!(label("Everything.", Lang::En), "positive");
    assert_eq!(label("Nothing to improve", Lang::En), "positive");
    // ... but a subject "nothing" still negates, and "everything" needs to stand alone.
    assert_eq!(label("Nothing was done.", Lang::En), "negative");
    assert_eq!(label("Nothing good came of it.", Lang::En), "negative");
    assert_eq!(label("Nothing, all good.", Lang::En), "positive");
    assert_ne!(label("Everything was bad", Lang::En), "positive");
}

#[test]
fn wishes_read_as_what_was_missing() {
    assert_eq!(label("More staff.", Lang::En), "negative");
    assert_eq!(label("Better food.", Lang::En), "negative");
    assert_eq!(label("Shorter waiting times", Lang::En), "negative");
    assert_eq!(label("More than happy with the care.", Lang::En), "positive");
    // Only at the start of a sentence.
    assert_eq!(label("The care got better.", Lang::En), "positive");
    // Words that open narration or invitations in social posts as often as requests are
    // not wishes ("Earlier today...", "Try to beat that", "Need another good film!").
    assert_eq!(label("Earlier today the nurse was lovely.", Lang::En), "positive");
    assert_eq!(label("Need another funny film!", Lang::En), "positive");
}

#[test]
fn squeezed_letters_fall_back_to_the_word() {
    assert!(en("I loooove it") > 0.3);
    assert!(en("sooo good") > en("good"));
    // Only words the normalizer shortened: "rappers" is not "rapers".
    assert_eq!(en("rappers"), 0.0);
    assert!(en("I have never slept so well") > 0.0);
}

#[test]
fn indonesian_word_forms_fall_back_to_the_base_word() {
    // -nya and reduplication.
    assert!(id("dokternya ramahnya") > 0.0);
    assert!(id("enak-enak") > 0.0);
}

#[test]
fn indonesian_labels_have_a_neutral_class() {
    assert_eq!(label("pelayanan rumah sakit ini sangat memuaskan , perawatnya ramah", Lang::Id), "positive");
    assert_eq!(label("sudah antri lama , dokternya judes , kecewa banget", Lang::Id), "negative");
    assert_eq!(label("menteri kesehatan mengumumkan jadwal vaksinasi di puskesmas", Lang::Id), "neutral");
    assert_eq!(label("", Lang::Id), "neutral");
}

#[test]
fn undetermined_language_reads_both_lexicons() {
    assert!(score("enak", Lang::Und).compound > 0.0);
    assert!(score("terrible", Lang::Und).compound < 0.0);
    // English words in an Indonesian post.
    assert!(id("pelayanannya bad") < 0.0);
}

#[test]
fn scores_stay_in_range_and_never_negative_zero() {
    for s in ["", "   ", ".", "!!!", "😁😁😁😁😁😁😁😁 love love love love!!!!", "hate hate hate hate hate hate hate"] {
        for lang in [Lang::En, Lang::Id, Lang::Ms, Lang::Und] {
            let c = score(s, lang).compound;
            assert!((-1.0..=1.0).contains(&c), "{s:?} {c}");
            if c == 0.0 {
                assert!(c.is_sign_positive(), "{s:?} gives -0.0");
            }
        }
    }
    assert_eq!(label("", Lang::En), "neutral");
}

#[test]
fn vader_pos_neg_neu_add_up() {
    let s = ANALYZER.analyze(&Text::new("The staff were kind but the food was awful"), Lang::En);
    assert!(s.pos > 0.0 && s.neg > 0.0 && s.neu > 0.0);
    assert!((s.pos + s.neg + s.neu - 1.0).abs() < 1e-4);
    assert!(s.neg > s.pos, "contrast makes the second half weigh more: {s:?}");
}

/// `cargo test --release --lib core::sentiment::tests::throughput -- --ignored --nocapture`
#[test]
#[ignore]
fn throughput() {
    let samples = [
        "@anonymous I'm so sorry! I had it in my purse and I forgot to leave it on the table last night! I'M SO SORRY!!!!",
        "Waited 4 hours at A&E and nobody came to explain anything, the nurse was rude :(",
        "Keep up the good work, the staff were lovely and very professional 😁",
        "pelayanan di RS ini lama banget, perawatnya judes, tidak akan balik lagi",
        "dokternya ramah dan sabar, ruangannya bersih. mantap pokoknya!",
        "Not bad at all, but the food could have been better. #hospitalfood",
    ];
    let texts: Vec<Text> = (0..20_000).map(|i| Text::new(samples[i % samples.len()])).collect();
    let langs = [Lang::En, Lang::En, Lang::En, Lang::Id, Lang::Id, Lang::En];
    let start = std::time::Instant::now();
    let mut sum = 0.0;
    for _ in 0..10 {
        for (i, t) in texts.iter().enumerate() {
            sum += ANALYZER.score(t, langs[i % langs.len()]).compound;
        }
    }
    let scored = start.elapsed();
    let start = std::time::Instant::now();
    for i in 0..200_000 {
        let t = Text::new(samples[i % samples.len()]);
        sum += ANALYZER.score(&t, langs[i % langs.len()]).compound;
    }
    let folded = start.elapsed();
    println!(
        "sentiment only: {:.0} posts/s; Text::new + sentiment: {:.0} posts/s ({sum})",
        200_000.0 / scored.as_secs_f64(),
        200_000.0 / folded.as_secs_f64()
    );
    let start = std::time::Instant::now();
    let analyzer = SentimentAnalyzer::new().unwrap();
    println!("SentimentAnalyzer::new: {:?}", start.elapsed());
    drop(analyzer);
}

#[test]
fn indonesian_hospital_words_and_phrases() {
    // A hospital is not a pain.
    assert_eq!(id("rumah sakit"), 0.0);
    assert!(id("sakit") < 0.0);
    assert!(id("rumah sakit nya bersih") > 0.0);
    assert!(id("antri lama di igd") < 0.0);
    assert!(id("perawatnya judes dan cuek") < 0.0);
    assert!(id("terima kasih dokter") > 0.0);
    assert!(id("salah diagnosa") < id("diagnosa"));
}

/// Sentiment as the scorer reports it: the lexicon's reading, then the complaint verdict.
fn with_verdict(s: &str, lang: Lang) -> Sentiment {
    static COMPLAINTS: LazyLock<crate::core::ComplaintDetector> =
        LazyLock::new(|| crate::core::ComplaintDetector::new().unwrap());
    let text = Text::new(s);
    let sentiment = ANALYZER.score(&text, lang);
    let complaint = COMPLAINTS.detect(&text, lang, &sentiment);
    with_complaint(sentiment, &complaint, COMPLAINTS.threshold(), lang)
}

#[test]
fn a_complaint_in_neutral_words_is_negative() {
    // No valence word at all: the lexicon says neutral, the complaint says otherwise.
    let plain = "The appointment was moved twice and nobody rang to tell me.";
    assert_eq!(label(plain, Lang::En), "neutral");
    let s = with_verdict(plain, Lang::En);
    assert_eq!(s.label, SentimentLabel::Negative);
    assert!(s.compound < 0.0, "{s:?}");
    // Clear praise stays praise, and a post that is no complaint keeps its score.
    assert_eq!(with_verdict("The nurses were wonderful and so kind, thank you all", Lang::En).label, SentimentLabel::Positive);
    assert_eq!(with_verdict("The book was on the table.", Lang::En), score("The book was on the table.", Lang::En));
}

#[test]
fn the_complaint_override_leaves_indonesian_as_scored() {
    let s = "antri obat sudah 3 jam";
    assert_eq!(with_verdict(s, Lang::Id), score(s, Lang::Id));
}

#[test]
fn the_complaint_override_needs_a_complaint_and_mild_words() {
    let complaint = |score: f32| Complaint { is_complaint: score >= 0.5, score, categories: Vec::new() };
    let mild = Sentiment { compound: 0.2, label: SentimentLabel::Positive };
    // 0.2 is past the bar of a bare complaint (0.1) but under a sure one's (0.1 + 0.5 × 0.5).
    assert_eq!(with_complaint(mild, &complaint(0.55), 0.5, Lang::En), mild);
    let sure = with_complaint(mild, &complaint(1.0), 0.5, Lang::En);
    assert_eq!(sure, Sentiment { compound: -0.1, label: SentimentLabel::Negative });
    assert_eq!(with_complaint(mild, &complaint(0.4), 0.5, Lang::En), mild);
    let negative = Sentiment { compound: -0.6, label: SentimentLabel::Negative };
    assert_eq!(with_complaint(negative, &complaint(1.0), 0.5, Lang::En), negative);
}

#[test]
fn thanks_for_a_harm_is_sarcasm() {
    assert_eq!(label("Thanks for wasting my time", Lang::En), "negative");
    assert_eq!(label("Thank you St Mary for ignoring my mum for 6 hours", Lang::En), "negative");
    assert_eq!(label("Thanks Hermine for ruining my week.", Lang::En), "negative");
    assert_eq!(label("thanks for nothing", Lang::En), "negative");
    // Sincere thanks stay thanks, whatever comes later.
    assert_eq!(label("Thanks for helping me, you were great", Lang::En), "positive");
    assert_eq!(label("Thank you for the pain relief", Lang::En), "positive");
    assert_eq!(label("Thanks. Losing my dad was hard but you made it easier", Lang::En), "positive");
}

//! VADER's rules (Hutto & Gilbert, ICWSM 2014) over hearken's folded tokens.
//!
//! A post is read as a list of items (words, emoji, emoticons, mentions, URLs; sentence
//! punctuation only marks where sentences end). Each item that has a valence in the
//! lexicon is adjusted by the words before it — boosters and dampeners, negation within
//! three words, capitals for emphasis, "least" — then "but"-style contrast reweights the
//! two halves of its sentence, `!` and `?` amplify the sum, and the sum is squashed into
//! the compound score `s / sqrt(s² + 15)`.
//!
//! Where hearken differs from VADER, and why (each checked on the labelled sets in
//! shared/eval):
//! - phrases (idioms, "kind of", "fed up", "nothing to improve") are matched on whole
//!   words anywhere, not only around a lexicon word, and their words are read as one item;
//! - words squeezed by the normalizer ("soo", "loove") fall back to their single-letter
//!   spelling, and Indonesian enclitics (-nya, -lah, -kah, -pun) and reduplication
//!   ("enak-enak") fall back to the base word;
//! - negation and boosters do not reach across a sentence end or a comma, nor past the
//!   first sentiment word after them, nor onto an emoji; contrast applies within the
//!   sentence of the contrast word rather than to the whole post;
//! - answers to a feedback question ("Nothing.") and wishes ("More staff.") are read from
//!   the first word of a sentence (see [`read_answers_and_wishes`]).

use super::lexicon::{Contrast, Lexicon, Phrase, Word};
use crate::core::normalize::{Text, TokenKind};

/// The usual booster scalar in `boosters.tsv` (the file gives each booster its own);
/// kept here for the tests that check a booster's effect.
#[cfg(test)]
pub const B_INCR: f32 = 0.293;
/// Added to a word's strength when it alone is written in capitals.
pub const C_INCR: f32 = 0.733;
/// A negated word's valence is multiplied by this.
pub const N_SCALAR: f32 = -0.74;
/// Normalization constant of the compound score: s / sqrt(s² + ALPHA).
pub const ALPHA: f32 = 15.0;

/// Everything one analysis found; [`super::SentimentAnalyzer`] turns it into a label.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scores {
    /// s / sqrt(s² + 15) of the rule-adjusted sum, in [-1, 1].
    pub compound: f32,
    /// VADER's proportions of positive, negative and neutral items; they add up to 1
    /// (all 0 for a text with no items).
    pub pos: f32,
    pub neg: f32,
    pub neu: f32,
    /// Rule-adjusted sum of valences before normalization.
    pub sum: f32,
    /// Items that carried a valence.
    pub evidence: u32,
    /// Sum of the neutral leans of the words (learned lexicons only): > 0 reads like news
    /// or a question rather than an opinion.
    pub neutral_lean: f32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Plain,
    Booster(f32),
    Negator,
    Contrast(Contrast),
    /// Strengthens the one or two words before it.
    PostBooster(f32),
    /// A later word of a phrase that the phrase's first item stands for.
    Consumed,
}

#[derive(Debug, Clone, Copy)]
struct Item<'t> {
    word: &'t str,
    /// Index of the token in `Text::tokens`.
    tok: usize,
    shouted: bool,
    in_lexicon: bool,
    valence: f32,
    role: Role,
    /// Sentence number: contrast, answers and wishes stay within a sentence.
    sentence: u32,
    /// Clause number (sentences split at commas too): negation and boosters stay within.
    clause: u32,
    /// An emoji or emoticon: its valence is what it shows, whatever words precede it.
    emoji: bool,
    /// The valence after all rules.
    sentiment: f32,
    /// The word's lean towards a neutral text (learned lexicons only).
    neutral: f32,
    /// The first word of a phrase of the lexicon.
    phrase_start: bool,
}

/// One entry of a word (`field` of its [`Word`], looked up already as `entry`), trying
/// the spellings the normalizer or the writer may have changed.
fn lookup(lex: &Lexicon, word: &str, entry: Option<&Word>, squeezed: bool, field: impl Fn(&Word) -> Option<f32>) -> Option<f32> {
    if let Some(v) = entry.and_then(&field) {
        return Some(v);
    }
    if !squeezed {
        // "rappers" is not "rapers": only a word the normalizer shortened is retried.
        return None;
    }
    let bytes = word.as_bytes();
    // "soo" / "loove": the normalizer keeps two of a repeated letter; try one.
    if bytes.len() >= 3 && bytes.len() <= 32 && word.is_ascii() && bytes.windows(2).any(|w| w[0] == w[1] && w[0].is_ascii_alphabetic()) {
        let mut buf = [0u8; 32];
        let mut n = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if i > 0 && b == bytes[i - 1] && b.is_ascii_alphabetic() {
                continue;
            }
            buf[n] = b;
            n += 1;
        }
        if let Ok(single) = std::str::from_utf8(&buf[..n]) {
            if let Some(v) = lex.words.get(single).and_then(&field) {
                return Some(v);
            }
        }
    }
    None
}

/// Indonesian and Malay word forms: enclitics and reduplication.
fn lookup_malay(lex: &Lexicon, word: &str) -> Option<f32> {
    for suffix in ["nya", "lah", "kah", "pun", "ku", "mu"] {
        if let Some(stem) = word.strip_suffix(suffix) {
            if stem.len() >= 3 {
                if let Some(v) = lex.valence(stem) {
                    return Some(v);
                }
            }
        }
    }
    if let Some((a, b)) = word.split_once('-') {
        if a == b || b.starts_with(a) {
            return lex.valence(a);
        }
    }
    None
}

/// Analyzes a folded text with one lexicon. `malay` enables the Indonesian/Malay word-form
/// fallbacks.
pub fn analyze(lex: &Lexicon, text: &Text, malay: bool) -> Scores {
    let mut items: Vec<Item> = Vec::with_capacity(text.tokens.len());
    let (mut exclaims, mut questions) = (0u32, 0u32);
    let mut sentence = 0u32;
    let mut clause = 0u32;
    for (tok, t) in text.tokens.iter().enumerate() {
        let word = text.word(t);
        if t.kind == TokenKind::Punct {
            for b in word.bytes() {
                match b {
                    b'!' => exclaims += 1,
                    b'?' => questions += 1,
                    _ => {}
                }
            }
            if word.bytes().any(|b| matches!(b, b'.' | b'!' | b'?' | b';')) {
                sentence += 1;
            }
            clause += 1;
            continue;
        }
        let emoji = t.kind == TokenKind::Emoji;
        // The normalizer keeps two of a letter repeated for emphasis ("sooo" → "soo").
        let squeezed = t.original.len() > t.folded.len();
        let entry = lex.words.get(word);
        let mut item = Item {
            word,
            tok,
            shouted: t.shouted,
            in_lexicon: false,
            valence: 0.0,
            role: Role::Plain,
            sentence,
            clause,
            emoji,
            sentiment: 0.0,
            neutral: entry.map_or(0.0, |e| e.neutral),
            phrase_start: entry.is_some_and(|e| e.phrase_start),
        };
        if matches!(t.kind, TokenKind::Word | TokenKind::Hashtag | TokenKind::Emoji | TokenKind::Number) {
            if let Some(b) = lookup(lex, word, entry, squeezed, |e| e.booster) {
                item.role = Role::Booster(b);
            } else if entry.is_some_and(|e| e.negator) || word.ends_with("n't") {
                item.role = Role::Negator;
            } else if let Some(c) = entry.and_then(|e| e.contrast) {
                item.role = Role::Contrast(c);
            } else if let Some(b) = entry.and_then(|e| e.post_booster) {
                item.role = Role::PostBooster(b);
            }
            let v = lookup(lex, word, entry, squeezed, |e| e.valence).or_else(|| if malay { lookup_malay(lex, word) } else { None });
            if let Some(v) = v {
                item.in_lexicon = true;
                item.valence = v;
            }
        }
        items.push(item);
    }
    match_phrases(lex, text, &mut items);
    let wishes = read_answers_and_wishes(lex, &mut items);

    let cap_diff = {
        let shouted = items.iter().filter(|i| i.shouted).count();
        shouted > 0 && shouted < items.len()
    };

    let mut neutral_lean = 0.0;
    for i in 0..items.len() {
        let it = items[i];
        if lex.has_neutral && it.role != Role::Consumed {
            neutral_lean += it.neutral;
        }
        let mut v = if it.in_lexicon && matches!(it.role, Role::Plain | Role::Negator) { valence_at(&items, i, cap_diff) } else { 0.0 };
        if v > 0.0 && wishes.contains(it.sentence) {
            v *= N_SCALAR;
        }
        items[i].sentiment = v;
    }

    read_sarcastic_thanks(&mut items);
    apply_contrast(&mut items);

    let mut sum: f32 = items.iter().map(|it| it.sentiment).sum();
    if items.iter().any(|it| it.sentiment != 0.0) {
        sum += lex.bias_valence;
    }
    let punct = punctuation_emphasis(exclaims, questions);
    if sum > 0.0 {
        sum += punct;
    } else if sum < 0.0 {
        sum -= punct;
    }
    let compound = normalize(sum);

    let (mut pos, mut neg, mut neu) = (0.0f32, 0.0f32, 0.0f32);
    let mut evidence = 0;
    for it in &items {
        let s = &it.sentiment;
        if it.role == Role::Consumed {
            continue;
        }
        if *s > 0.0 {
            pos += s + 1.0;
            evidence += 1;
        } else if *s < 0.0 {
            neg += s - 1.0;
            evidence += 1;
        } else {
            neu += 1.0;
        }
    }
    if pos > neg.abs() {
        pos += punct;
    } else if pos < neg.abs() {
        neg -= punct;
    }
    let total = pos + neg.abs() + neu;
    let (pos, neg, neu) = if total > 0.0 { (pos / total, neg.abs() / total, neu / total) } else { (0.0, 0.0, 0.0) };
    if lex.has_neutral {
        neutral_lean += lex.bias_neutral;
    }
    Scores { compound, pos, neg, neu, sum, evidence, neutral_lean }
}

/// Words that, right after an answer word, make it the subject of a sentence ("Nothing was
/// done", "None of the staff listened"): then it negates as usual.
const SUBJECT_FOLLOWERS: &[&str] = &[
    "was", "is", "were", "are", "has", "had", "have", "gets", "got", "get", "happened", "happens", "seemed", "seems",
    "being", "been", "of", "will", "would", "could", "can", "did", "does", "done", "changed", "came", "helped", "worked",
    "made", "went", "goes", "else", "but",
];

/// Sentences that are wishes, as a small bit set of sentence numbers (posts with more than
/// 64 sentences treat the later ones as statements).
#[derive(Default, Clone, Copy)]
struct Sentences(u64);

impl Sentences {
    fn insert(&mut self, s: u32) {
        if s < 64 {
            self.0 |= 1 << s;
        }
    }
    fn contains(self, s: u32) -> bool {
        s < 64 && self.0 & (1 << s) != 0
    }
}

/// Feedback answers and wishes, read from the first word of each sentence: "Nothing." /
/// "Nothing really, all good" answer "what could be improved?" with praise, while "More
/// staff." / "Better food." ask for what was missing.
fn read_answers_and_wishes(lex: &Lexicon, items: &mut [Item]) -> Sentences {
    let mut wishes = Sentences::default();
    if lex.answers.is_empty() && lex.wishes.is_empty() {
        return wishes;
    }
    let mut start = 0;
    while start < items.len() {
        let sentence = items[start].sentence;
        let end = (start..items.len()).find(|&j| items[j].sentence != sentence).unwrap_or(items.len());
        // "Absolutely nothing", "Really nothing": boosters before the answer.
        let mut head = start;
        while head + 1 < end && matches!(items[head].role, Role::Booster(_)) {
            head += 1;
        }
        let first = items[head];
        let next = items.get(head + 1).filter(|n| n.sentence == sentence).copied();
        // A short sentence can end with its answer: "For me, nothing.", "I can think of none".
        let last = items[end - 1];
        if end - start <= 4 && end - 1 != head && last.role != Role::Consumed {
            if let Some(a) = lex.answers.get(last.word).filter(|a| !a.whole) {
                let it = &mut items[end - 1];
                it.valence = a.valence;
                it.in_lexicon = true;
                it.role = Role::Plain;
            }
        }
        if first.role != Role::Consumed {
            if let Some(a) = lex.answers.get(first.word) {
                let alone = end - head == 1;
                // "Nothing good came of it" negates; "Nothing, all good" and "Nothing really"
                // answer.
                let subject = next.is_some_and(|n| SUBJECT_FOLLOWERS.contains(&n.word) || (n.in_lexicon && n.clause == first.clause));
                if alone || (!a.whole && next.is_some() && !subject) {
                    let it = &mut items[head];
                    it.valence = a.valence;
                    it.in_lexicon = true;
                    it.role = Role::Plain;
                }
            }
        }
        if items[start].role != Role::Consumed {
            if let Some(&v) = lex.wishes.get(items[start].word) {
                // "More than happy", "Better lucky than good" are statements.
                if !items[start..end].iter().any(|n| n.word == "than") {
                    wishes.insert(sentence);
                    let it = &mut items[start];
                    it.valence = v;
                    it.in_lexicon = true;
                    it.role = Role::Plain;
                }
            }
        }
        start = end;
    }
    wishes
}

/// The valence of item `i` after capitals, boosters, negation and "least" before it.
fn valence_at(items: &[Item], i: usize, cap_diff: bool) -> f32 {
    let it = &items[i];
    let mut v = it.valence;
    // "no" both negates and is negative: before another lexicon word only the negation counts.
    if it.role == Role::Negator {
        match items.get(i + 1) {
            Some(next) if next.in_lexicon && next.clause == it.clause => return 0.0,
            _ => {}
        }
    }
    if it.shouted && cap_diff {
        v += if v > 0.0 { C_INCR } else { -C_INCR };
    }
    if it.emoji {
        return v;
    }
    let word = |k: usize| -> Option<&Item> {
        let j = i.checked_sub(k)?;
        let p = &items[j];
        (p.clause == it.clause).then_some(p)
    };
    for k in 1..=3 {
        let Some(p) = word(k) else { break };
        // A negation or booster belongs to the first sentiment word after it: "don't care,
        // don't care" is not negated twice.
        if k > 1 && p.in_lexicon && p.role == Role::Plain {
            break;
        }
        if let Role::Booster(b) = p.role {
            let mut s = if v < 0.0 { -b } else { b };
            if p.shouted && cap_diff {
                s += if v > 0.0 { C_INCR } else { -C_INCR };
            }
            s *= [1.0, 0.95, 0.9][k - 1];
            v += s;
        }
        if p.role == Role::Negator {
            // "never so good", "never this good": emphasis, not negation.
            let so_this = |q: &Item| q.word == "so" || q.word == "this";
            let intensified = p.word == "never" && k >= 2 && (word(k - 1).is_some_and(so_this) || word(1).is_some_and(so_this));
            let doubtless = p.word == "without" && word(k - 1).is_some_and(|q| q.word == "doubt");
            if intensified {
                v *= 1.25;
            } else if !doubtless {
                v *= N_SCALAR;
            }
        }
    }
    for k in 1..=2 {
        let Some(p) = items.get(i + k).filter(|p| p.clause == it.clause) else { break };
        if let Role::PostBooster(b) = p.role {
            let s = if v < 0.0 { -b } else { b };
            v += s * [1.0, 0.95][k - 1];
        }
    }
    // "least" negates ("the least helpful") except in "at least" and "very least".
    if let Some(p) = word(1) {
        if p.word == "least" && !p.in_lexicon {
            let at = word(2).is_some_and(|q| q.word == "at" || q.word == "very");
            if !at {
                v *= N_SCALAR;
            }
        }
    }
    v
}

/// "Thanks for wasting my time", "Thank you St Mary's for ignoring my mum": thanks for a
/// harm done is sarcasm. When "for" follows the thanks within a few words of its sentence
/// and a negative verb in -ing follows "for" at once, the thanks counts against instead of
/// for ("Thanks for helping" and "thanks for the pain relief" stay thanks).
fn read_sarcastic_thanks(items: &mut [Item]) {
    for i in 0..items.len() {
        if !matches!(items[i].word, "thanks" | "thank" | "thx") || items[i].sentiment <= 0.0 {
            continue;
        }
        let sentence = items[i].sentence;
        let same = |it: &&Item| it.sentence == sentence;
        let Some(f) = items[i + 1..].iter().take(5).take_while(same).position(|it| it.word == "for") else { continue };
        let harm = items.get(i + f + 2).filter(same);
        if harm.is_some_and(|it| it.word.ends_with("ing") && it.sentiment < 0.0) {
            items[i].sentiment = -items[i].sentiment;
        }
    }
}

/// "but": in the contrast word's sentence, what comes before it counts less and what
/// comes after it more. When a sentence has several, the last one decides.
fn apply_contrast(items: &mut [Item]) {
    let mut start = 0;
    while start < items.len() {
        let sentence = items[start].sentence;
        let mut end = start;
        while end < items.len() && items[end].sentence == sentence {
            end += 1;
        }
        let last = (start..end).rev().find_map(|j| match items[j].role {
            Role::Contrast(c) => Some((j, c)),
            _ => None,
        });
        if let Some((at, c)) = last {
            for j in start..end {
                if j < at {
                    items[j].sentiment *= c.before;
                } else if j > at {
                    items[j].sentiment *= c.after;
                }
            }
        }
        start = end;
    }
}

/// VADER's emphasis from `!` (up to four) and `?` (two or more).
fn punctuation_emphasis(exclaims: u32, questions: u32) -> f32 {
    let ep = exclaims.min(4) as f32 * 0.292;
    let qm = match questions {
        0 | 1 => 0.0,
        2 | 3 => questions as f32 * 0.18,
        _ => 0.96,
    };
    ep + qm
}

pub fn normalize(sum: f32) -> f32 {
    let c = sum / (sum * sum + ALPHA).sqrt();
    let c = c.clamp(-1.0, 1.0);
    if c == 0.0 || c.is_nan() {
        0.0
    } else {
        c
    }
}

/// Finds multi-word phrases on whole, adjacent words (no punctuation between them); the
/// longest phrase starting at a word wins, and one of its items stands for it.
fn match_phrases(lex: &Lexicon, text: &Text, items: &mut [Item]) {
    if lex.phrases.is_empty() {
        return;
    }
    let mut i = 0;
    while i < items.len() {
        if items[i].role == Role::Consumed || !items[i].phrase_start {
            i += 1;
            continue;
        }
        let mut matched = 0;
        let longest = lex.max_phrase_words.min(items.len() - i);
        for n in (2..=longest).rev() {
            let last = &items[i + n - 1];
            if last.tok != items[i].tok + n - 1 {
                continue; // punctuation in between
            }
            let from = text.tokens[items[i].tok].folded.start;
            let to = text.tokens[last.tok].folded.end;
            if let Some(&what) = lex.phrases.get(&text.folded[from..to]) {
                // An idiom's valence sits on its first word, so that a negation or booster
                // right before the phrase is next to it; a booster or negator phrase acts
                // from its last word, next to what it modifies.
                let (head, role, valence) = match what {
                    Phrase::Idiom(v) => (i, Role::Plain, Some(v)),
                    Phrase::Booster(b) => (i + n - 1, Role::Booster(b), None),
                    Phrase::Negator => (i + n - 1, Role::Negator, None),
                };
                for (j, it) in items[i..i + n].iter_mut().enumerate() {
                    if i + j == head {
                        it.role = role;
                        it.in_lexicon = valence.is_some();
                        it.valence = valence.unwrap_or(0.0);
                    } else {
                        it.role = Role::Consumed;
                        it.in_lexicon = false;
                        it.valence = 0.0;
                    }
                }
                matched = n;
                break;
            }
        }
        i += matched.max(1);
    }
}

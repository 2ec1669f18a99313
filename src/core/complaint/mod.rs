//! Complaint detection: is the post a complaint, about what, and which words say so.
//!
//! Two layers, both readable by a person:
//!
//! 1. The [`lexicon`] finds phrases in the folded post with one Aho-Corasick pass and
//!    resolves them in context: a negator flips the phrase after it ("not rude",
//!    "tidak antri"), a topic word counts only next to a problem or improvement word
//!    ("parking was a nightmare", "better food") and not next to praise ("the food was
//!    lovely"). What survives gives the categories and their evidence.
//! 2. The [`model`] weighs what the post does: complaint speech acts ("still waiting",
//!    "never again", "why does nobody"), category evidence, praise, information
//!    requests, and the words themselves. It is a logistic regression whose weights
//!    live in `lexicons/complaints/model.txt` and are refitted with [`train`].
//!
//! The detector does not read the sentiment score: a complaint is a speech act, not a
//! mood ("still waiting for my results" is neutral in tone), and keeping the two apart
//! lets the sentiment analyzer change without refitting this model. Dev-set
//! cross-validation agreed: the sentiment features added nothing.
//!
//! Categories are reported only for complaints: a post praising the food mentions food
//! but complains about nothing.

pub mod adapt;
pub mod lexicon;
pub mod model;

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::language::{Lang, LanguageDetector};
use super::normalize::{Text, TokenKind};
use crate::model::{Category, CategoryHit, Complaint, Sentiment};
use lexicon::{Hit, Lexicon, Role};
use model::{Example, LinearModel};

/// How far (in words, within the clause) a problem or praise word reaches a topic word.
const POLARITY_REACH: usize = 5;
/// How far an improvement word ("better", "more", "lebih") reaches: it must be close.
const IMPROVE_REACH: usize = 3;
/// How far back a negator reaches.
const NEGATION_REACH: usize = 3;

/// Features every post has besides its cue groups, in model order.
const FIXED_FEATURES: [&str; 15] = [
    "bias",
    "cat:strong",
    "cat:topic",
    "cat:bare",
    "pol:problem",
    "pol:praise",
    "pol:improve",
    "pol:negator",
    "q:negative",
    "q:plain",
    "shape:exclaim",
    "shape:to_someone",
    "shape:url",
    "shape:short",
    "shape:long",
];
const F_BIAS: usize = 0;
const F_CAT_STRONG: usize = 1;
const F_CAT_TOPIC: usize = 2;
const F_CAT_BARE: usize = 3;
const F_PROBLEM: usize = 4;
const F_PRAISE: usize = 5;
const F_IMPROVE: usize = 6;
const F_NEGATOR: usize = 7;
const F_Q_NEG: usize = 8;
const F_Q_PLAIN: usize = 9;
const F_EXCLAIM: usize = 10;
const F_TO_SOMEONE: usize = 11;
const F_URL: usize = 12;
const F_SHORT: usize = 13;
const F_LONG: usize = 14;

/// Score of one piece of category evidence; a category's score is their noisy-or.
const STRONG_SCORE: f32 = 0.7;
const TOPIC_SCORE: f32 = 0.5;
const BARE_SCORE: f32 = 0.25;

pub struct ComplaintDetector {
    lexicon: Lexicon,
    /// Fixed features, then cue groups, then words (`w:<word>`).
    feature_names: Vec<String>,
    /// Number of dense features (fixed and cue groups); words follow.
    dense: usize,
    /// Words of the model's vocabulary and their feature index.
    vocab: FxHashMap<Box<str>, u32>,
    /// Whether the vocabulary has word pairs ("still+waiting"); without them the scan
    /// skips building and looking up a pair at every word.
    has_pairs: bool,
    weights: Vec<f32>,
    threshold: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    Bare,
    Topic,
    Strong,
}

impl Strength {
    fn score(self) -> f32 {
        match self {
            Strength::Strong => STRONG_SCORE,
            Strength::Topic => TOPIC_SCORE,
            Strength::Bare => BARE_SCORE,
        }
    }
}

/// One piece of category evidence; its phrase is spelled out only for complaints.
#[derive(Debug, Clone, Copy)]
struct Evidence {
    cat: Category,
    pattern: u32,
    /// The negator token of a negated praise word ("tidak" of "tidak ramah").
    negator: Option<u32>,
    strength: Strength,
    /// First token, for reading order.
    start: u32,
    clause: u16,
}

/// Buffers reused from post to post, so the hot path allocates only its output.
#[derive(Default)]
struct Scratch {
    hits: Vec<Hit>,
    word_ids: Vec<u32>,
    spans: Vec<(usize, usize)>,
    clause: Vec<u16>,
    negator_at: Vec<bool>,
    breaks: Vec<bool>,
    problems: Vec<usize>,
    praises: Vec<usize>,
    improves: Vec<usize>,
    evidence: Vec<Evidence>,
    /// Dense features: fixed ones and cue groups.
    features: Vec<f32>,
    /// Feature indices of the vocabulary words in the post, each once.
    words: Vec<u32>,
    /// A word pair being looked up ("still+waiting").
    pair: String,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl ComplaintDetector {
    /// The built-in lexicons and model.
    pub fn new() -> anyhow::Result<ComplaintDetector> {
        ComplaintDetector::with_model(&LinearModel::parse(model::BUILTIN)?)
    }

    /// The built-in lexicons with another model, e.g. one just fitted by [`train`].
    pub fn with_model(model: &LinearModel) -> anyhow::Result<ComplaintDetector> {
        let words = model.weights.iter().filter_map(|(n, _)| n.strip_prefix(WORD_PREFIX));
        ComplaintDetector::build(model, words)
    }

    fn build<'a>(model: &LinearModel, words: impl Iterator<Item = &'a str>) -> anyhow::Result<ComplaintDetector> {
        let lexicon = Lexicon::builtin()?;
        let mut feature_names: Vec<String> = FIXED_FEATURES.iter().map(|s| s.to_string()).collect();
        feature_names.extend(lexicon.cue_names().iter().map(|c| format!("cue:{c}")));
        // Each dense feature again for Indonesian and Malay posts only, so that their
        // weights can differ where the languages use the cues differently.
        let shared = feature_names.len();
        for i in 0..shared {
            let name = format!("{MALAY_PREFIX}{}", feature_names[i]);
            feature_names.push(name);
        }
        let dense = feature_names.len();
        let mut vocab: FxHashMap<Box<str>, u32> = FxHashMap::default();
        for w in words {
            if !vocab.contains_key(w) {
                vocab.insert(w.into(), feature_names.len() as u32);
                feature_names.push(format!("{WORD_PREFIX}{w}"));
            }
        }
        let weights = model.aligned(&feature_names);
        let has_pairs = vocab.keys().any(|w| w.contains(PAIR_JOIN));
        Ok(ComplaintDetector { lexicon, feature_names, dense, vocab, has_pairs, weights, threshold: model.threshold })
    }

    /// The probability at which a post counts as a complaint.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Per-feature regularisation for [`model::fit`]: none for the bias.
    fn l2(&self, dense: f32, malay: f32, words: f32) -> Vec<f32> {
        let shared = self.dense / 2;
        (0..self.feature_names.len())
            .map(|i| match i {
                F_BIAS => 0.0,
                i if i < shared => dense,
                i if i < self.dense => malay,
                _ => words,
            })
            .collect()
    }

    pub fn detect(&self, text: &Text, lang: Lang, _sentiment: &Sentiment) -> Complaint {
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let s = &mut *guard;
            self.find(text, lang, s);
            let z: f32 = s.features.iter().zip(&self.weights).map(|(x, w)| x * w).sum::<f32>()
                + s.words.iter().map(|&i| self.weights[i as usize]).sum::<f32>();
            let score = model::sigmoid(z);
            let is_complaint = score >= self.threshold;
            let categories = if is_complaint { self.categories(text, &s.evidence) } else { Vec::new() };
            Complaint { is_complaint, score: (score * 100.0).round() / 100.0, categories }
        })
    }

    /// Category hits in order of first evidence, each phrase once; a category's score is
    /// the noisy-or of its evidence.
    fn categories(&self, text: &Text, evidence: &[Evidence]) -> Vec<CategoryHit> {
        let mut out: Vec<(CategoryHit, f32)> = Vec::new();
        for e in evidence {
            let phrase = match e.negator {
                Some(t) => format!("{} {}", text.word(&text.tokens[t as usize]), self.lexicon.phrase_of(e.pattern)),
                None => self.lexicon.phrase_of(e.pattern).to_string(),
            };
            let i = match out.iter().position(|(h, _)| h.id == e.cat) {
                Some(i) => i,
                None => {
                    out.push((CategoryHit { id: e.cat, score: 0.0, evidence: Vec::new() }, 1.0));
                    out.len() - 1
                }
            };
            let (hit, miss) = &mut out[i];
            if !hit.evidence.contains(&phrase) {
                hit.evidence.push(phrase);
                *miss *= 1.0 - e.strength.score();
            }
        }
        out.into_iter()
            .map(|(mut h, miss)| {
                h.score = ((1.0 - miss) * 100.0).round() / 100.0;
                h
            })
            .collect()
    }

    /// The lexicon layer: phrases in context, category evidence and features, left in
    /// `s`.
    fn find(&self, text: &Text, lang: Lang, s: &mut Scratch) {
        let tokens = &text.tokens;
        let n = tokens.len();
        s.hits.clear();
        self.lexicon.scan(text, &mut s.hits, &mut s.word_ids);
        drop_contained(&mut s.hits, &mut s.spans);

        // Clauses: punctuation and breakers ("but", "tapi") end one.
        s.clause.clear();
        s.clause.resize(n, 0);
        s.negator_at.clear();
        s.negator_at.resize(n, false);
        s.breaks.clear();
        s.breaks.resize(n, false);
        for h in &s.hits {
            match h.role {
                Role::Breaker => s.breaks[h.start] = true,
                Role::Negator => s.negator_at[h.start] = true,
                _ => {}
            }
        }
        let mut c = 0u16;
        for (i, t) in tokens.iter().enumerate() {
            if t.kind == TokenKind::Punct || s.breaks[i] {
                c = c.saturating_add(1);
            }
            s.clause[i] = c;
        }
        let (clause, negator_at) = (&s.clause, &s.negator_at);
        let negator_of = |start: usize| {
            (start.saturating_sub(NEGATION_REACH)..start).rev().find(|&i| negator_at[i] && clause[i] == clause[start])
        };
        let negated = |start: usize| negator_of(start).is_some();

        // Polarity marks, negation applied: a negated problem is praise ("not bad"), a
        // negated praise a problem ("not clean", "kurang ramah").
        s.problems.clear();
        s.praises.clear();
        s.improves.clear();
        for h in &s.hits {
            if h.role == Role::Improve && !negated(h.start) {
                s.improves.push(h.start);
            }
        }
        s.improves.sort_unstable();
        let improves = &s.improves;
        // Praise asked for is a complaint: "more quickly", "be kinder", "lebih ramah".
        // Marks are kept in text order, so the ones near a hit are found by binary search:
        // scoring stays linear in the length of the post.
        let wished = |h: &Hit| {
            let from = improves.partition_point(|&p| p + 2 < h.start);
            improves[from..].iter().take_while(|&&p| p < h.start).any(|&p| clause[p] == clause[h.start])
        };
        s.features.clear();
        s.features.resize(self.dense, 0.0);
        let f = &mut s.features;
        let mut negators = 0usize;
        for h in &s.hits {
            match h.role {
                Role::Problem | Role::Strong(_) => {
                    if negated(h.start) {
                        s.praises.push(h.start)
                    } else if h.role == Role::Problem {
                        s.problems.push(h.start)
                    }
                }
                Role::Praise | Role::Good(_) => {
                    if negated(h.start) || wished(h) {
                        s.problems.push(h.start)
                    } else {
                        s.praises.push(h.start)
                    }
                }
                Role::Negator => negators += 1,
                Role::Cue(i) => f[FIXED_FEATURES.len() + i as usize] += 1.0,
                Role::Improve | Role::Breaker | Role::Topic(_) | Role::Ignore => {}
            }
        }
        s.problems.sort_unstable();
        s.praises.sort_unstable();
        let near = |marks: &[usize], h: &Hit, reach: usize| {
            let from = marks.partition_point(|&p| p + reach < h.start);
            let to = marks.partition_point(|&p| p < h.end + reach);
            marks[from..to.max(from)].iter().filter(|&&p| clause[p] == clause[h.start] && !(h.start..h.end).contains(&p)).count()
        };

        // Category evidence.
        s.evidence.clear();
        for h in &s.hits {
            let ev = |cat, strength, negator: Option<usize>| Evidence {
                cat,
                pattern: h.pattern,
                negator: negator.map(|i| i as u32),
                strength,
                start: h.start as u32,
                clause: clause[h.start],
            };
            match h.role {
                Role::Strong(cat) if !negated(h.start) => s.evidence.push(ev(cat, Strength::Strong, None)),
                Role::Good(cat) => {
                    if let Some(neg) = negator_of(h.start) {
                        s.evidence.push(ev(cat, Strength::Strong, Some(neg)));
                    } else if wished(h) {
                        // "be more helpful", "lebih ramah"
                        s.evidence.push(ev(cat, Strength::Topic, None));
                    }
                }
                Role::Topic(cat) if !negated(h.start) => {
                    let asks = if takes_improvement(cat) { near(improves, h, IMPROVE_REACH) } else { 0 };
                    let bad = if takes_problems(cat) { near(&s.problems, h, POLARITY_REACH) } else { 0 } + asks;
                    let good = near(&s.praises, h, POLARITY_REACH);
                    if bad > good {
                        s.evidence.push(ev(cat, Strength::Topic, None));
                    } else if bad == 0 && good == 0 {
                        s.evidence.push(ev(cat, Strength::Bare, None));
                    }
                }
                _ => {}
            }
        }
        // Reading order. A bare topic word next to a real complaint is part of that
        // complaint ("the staff were rude" is attitude, not staffing); alone it says
        // what the post is about ("Parking.").
        s.evidence.sort_by_key(|e| (e.start, e.pattern));
        let evidence = &mut s.evidence;
        let mut i = 0;
        while i < evidence.len() {
            let e = evidence[i];
            if e.strength == Strength::Bare && evidence.iter().any(|o| o.strength != Strength::Bare && o.clause == e.clause) {
                evidence.remove(i);
            } else {
                i += 1;
            }
        }

        // Features.
        let mut best = [None::<Strength>; Category::ALL.len()];
        for e in evidence.iter() {
            let b = &mut best[e.cat as usize];
            *b = Some(b.map_or(e.strength, |x| x.max(e.strength)));
        }
        let count = |st: Strength| best.iter().filter(|b| **b == Some(st)).count().min(3) as f32;
        let cap = |n: usize, max: usize| n.min(max) as f32;
        f[F_BIAS] = 1.0;
        f[F_CAT_STRONG] = count(Strength::Strong);
        f[F_CAT_TOPIC] = count(Strength::Topic);
        f[F_CAT_BARE] = count(Strength::Bare);
        f[F_PROBLEM] = cap(s.problems.len(), 3);
        f[F_PRAISE] = cap(s.praises.len(), 3);
        f[F_IMPROVE] = cap(s.improves.len(), 3);
        f[F_NEGATOR] = cap(negators, 3);
        let punct = |c: char| tokens.iter().any(|t| t.kind == TokenKind::Punct && text.word(t).contains(c));
        let question = punct('?');
        let negative = !s.problems.is_empty() || f[F_CAT_STRONG] > 0.0 || negators > 0;
        f[F_Q_NEG] = (question && negative) as u8 as f32;
        f[F_Q_PLAIN] = (question && !negative) as u8 as f32;
        f[F_EXCLAIM] = punct('!') as u8 as f32;
        f[F_TO_SOMEONE] = tokens.first().is_some_and(|t| t.kind == TokenKind::Mention) as u8 as f32;
        f[F_URL] = tokens.iter().any(|t| t.kind == TokenKind::Url) as u8 as f32;
        let words = text.words().count();
        f[F_SHORT] = (words <= 4) as u8 as f32;
        f[F_LONG] = (words >= 30) as u8 as f32;
        let shared = self.dense / 2;
        for x in &mut f[FIXED_FEATURES.len()..shared] {
            *x = x.min(2.0);
        }
        if lang.is_malay_family() {
            let (general, malay) = f.split_at_mut(shared);
            malay.copy_from_slice(general);
        }

        s.words.clear();
        if !self.vocab.is_empty() {
            let mut prev: Option<&str> = None;
            for t in tokens {
                if !matches!(t.kind, TokenKind::Word | TokenKind::Hashtag) {
                    prev = None;
                    continue;
                }
                let w = text.word(t);
                if let Some(&i) = self.vocab.get(w) {
                    if !s.words.contains(&i) {
                        s.words.push(i);
                    }
                }
                if let Some(p) = prev.filter(|_| self.has_pairs) {
                    s.pair.clear();
                    s.pair.push_str(p);
                    s.pair.push(PAIR_JOIN);
                    s.pair.push_str(w);
                    if let Some(&i) = self.vocab.get(s.pair.as_str()) {
                        if !s.words.contains(&i) {
                            s.words.push(i);
                        }
                    }
                }
                prev = Some(w);
            }
        }
    }

    /// The features of one post with their weighted contribution, for explaining a
    /// score: (feature, value, value × weight).
    pub fn explain(&self, text: &Text, lang: Lang) -> Vec<(String, f32, f32)> {
        self.example(text, lang)
            .into_iter()
            .map(|(i, x)| (self.feature_names[i as usize].clone(), x, x * self.weights[i as usize]))
            .collect()
    }

    fn example(&self, text: &Text, lang: Lang) -> Vec<(u32, f32)> {
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let s = &mut *guard;
            self.find(text, lang, s);
            let mut x: Vec<(u32, f32)> =
                s.features.iter().enumerate().filter(|(_, x)| **x != 0.0).map(|(i, x)| (i as u32, *x)).collect();
            x.extend(s.words.iter().map(|&i| (i, 1.0)));
            x
        })
    }

    /// Categories the lexicon finds, with their evidence, whatever the model says.
    #[cfg(test)]
    fn evidence(&self, text: &Text) -> Vec<CategoryHit> {
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let s = &mut *guard;
            self.find(text, Lang::Und, s);
            self.categories(text, &s.evidence)
        })
    }
}

/// Whether "more", "better", "quicker" next to a topic word of the category is a
/// complaint about it ("more appointments", "better food"). Not for people and harm:
/// "better doctors" or "more treatment" say too little.
fn takes_improvement(cat: Category) -> bool {
    !matches!(cat, Category::StaffAttitude | Category::TreatmentHarm | Category::Misdiagnosis | Category::LegalThreat)
}

/// Whether a problem word next to a topic word of the category is a complaint about it.
/// Not for staffing, whose topic words are people: "the nurses were rude" is about
/// attitude, not numbers.
fn takes_problems(cat: Category) -> bool {
    cat != Category::Staffing
}

/// Drops a phrase found inside a longer one ("long" and "wait" inside "long wait",
/// "no" inside "no response"): the longer phrase says what the words mean together.
/// Cue groups are a layer of their own and are kept.
fn drop_contained(hits: &mut Vec<Hit>, spans: &mut Vec<(usize, usize)>) {
    let layered = |r: Role| !matches!(r, Role::Cue(_));
    spans.clear();
    spans.extend(hits.iter().filter(|h| layered(h.role)).map(|h| (h.start, h.end)));
    // Spans sorted by start: a span containing a hit starts at most `longest` tokens before
    // the hit's end, so each hit looks at a few neighbours only (linear in the post).
    spans.sort_unstable();
    let longest = spans.iter().map(|&(s, e)| e - s).max().unwrap_or(0);
    hits.retain(|h| {
        if !layered(h.role) {
            return true;
        }
        let from = spans.partition_point(|&(s, _)| s + longest < h.end);
        let to = spans.partition_point(|&(s, _)| s <= h.start);
        !spans[from..to.max(from)].iter().any(|&(s, e)| e >= h.end && (e - s) > (h.end - h.start))
    });
}

/// Regularisation and epochs used by [`train`]: words are many and each is rare, so
/// they are held back harder than the lexicon's features.
const L2_DENSE: f32 = 0.0005;
const L2_WORDS: f32 = 0.001;
/// The Indonesian/Malay copies only move where the languages clearly differ.
const L2_MALAY: f32 = 0.005;
const EPOCHS: usize = 1500;
/// Words become features of their own when at least this many training posts use them.
const WORD_MIN_COUNT: usize = 3;
/// Whether pairs of adjacent words ("still+waiting") are features too.
const WORD_PAIRS: bool = false;
const WORD_PREFIX: &str = "w:";
/// Prefix of the dense features' Indonesian/Malay copies ("ms:cue:still").
const MALAY_PREFIX: &str = "ms:";
/// Joins the words of a pair feature ("w:still+waiting").
const PAIR_JOIN: char = '+';

/// Fits the complaint model to labelled posts (text, is it a complaint) with the
/// built-in lexicons. Write the
/// result with [`LinearModel::to_text`] to `lexicons/complaints/model.txt` and rebuild,
/// or load it with [`ComplaintDetector::with_model`].
pub fn train(examples: impl Iterator<Item = (String, bool)>) -> anyhow::Result<LinearModel> {
    let (detector, featurized) = featurize(examples)?;
    ensure_both_classes(&featurized)?;
    Ok(model::fit(&featurized, detector.feature_names(), &detector.l2(L2_DENSE, L2_MALAY, L2_WORDS), EPOCHS))
}

fn ensure_both_classes(examples: &[Example]) -> anyhow::Result<()> {
    anyhow::ensure!(!examples.is_empty(), "no training examples");
    anyhow::ensure!(examples.iter().any(|(_, y)| *y), "the examples have no complaints; label some posts that are complaints");
    anyhow::ensure!(examples.iter().any(|(_, y)| !*y), "the examples have no non-complaints; label some posts that are not complaints");
    Ok(())
}

/// Features of labelled posts, as [`train`] sees them.
pub fn featurize(examples: impl Iterator<Item = (String, bool)>) -> anyhow::Result<(ComplaintDetector, Vec<Example>)> {
    featurize_with(examples, &LinearModel::default(), WORD_MIN_COUNT, WORD_PAIRS, usize::MAX)
}

/// Features of labelled posts over the words of `base` plus the words the examples use
/// often enough; the detector returned scores with `base`.
fn featurize_with(
    examples: impl Iterator<Item = (String, bool)>,
    base: &LinearModel,
    word_min_count: usize,
    word_pairs: bool,
    vocab_from_first: usize,
) -> anyhow::Result<(ComplaintDetector, Vec<Example>)> {
    let languages = LanguageDetector::new(&[Lang::En, Lang::Id, Lang::Ms]);
    let mut posts = Vec::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (post, label) in examples {
        let text = Text::new(&post);
        let lang = languages.detect(&text, &post);
        let mut seen: Vec<String> = Vec::new();
        let mut prev: Option<&str> = None;
        for t in &text.tokens {
            if !matches!(t.kind, TokenKind::Word | TokenKind::Hashtag) {
                prev = None;
                continue;
            }
            let w = text.word(t);
            seen.push(w.to_string());
            if let (Some(p), true) = (prev, word_pairs) {
                seen.push(format!("{p}{PAIR_JOIN}{w}"));
            }
            prev = Some(w);
        }
        seen.sort_unstable();
        seen.dedup();
        if posts.len() < vocab_from_first {
            for w in seen {
                *counts.entry(w).or_default() += 1;
            }
        }
        posts.push((text, lang, label));
    }
    let mut vocab: Vec<&str> = counts.iter().filter(|(_, &n)| n >= word_min_count).map(|(w, _)| w.as_str()).collect();
    vocab.sort_unstable();
    let known = base.weights.iter().filter_map(|(n, _)| n.strip_prefix(WORD_PREFIX));
    let detector = ComplaintDetector::build(base, known.chain(vocab))?;
    let out = posts.iter().map(|(text, lang, label)| (detector.example(text, *lang), *label)).collect();
    Ok((detector, out))
}

#[cfg(test)]
mod tests;

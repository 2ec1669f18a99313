//! The noise filter: says why a post that names a hospital still needs no one's attention.
//!
//! Verdicts, in the order they are checked:
//! - `off_topic`: no configured entity is named at all;
//! - `ambiguous_entity`: a name appeared, but only in a sense that is not the hospital
//!   ("Omni headphones", see the `context` rule in [`super::entities`]);
//! - `spam`: giveaways and link or hashtag stuffing;
//! - `advert`: promotions (two promo terms, or one with a link or phone number);
//! - `duplicate`: the same or nearly the same text as a recent post (a reshare), by
//!   SimHash over word 3-shingles. A post seen again under the same uid is not a duplicate
//!   of itself, so reprocessing after a restart gives the same verdict.

use std::collections::VecDeque;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use serde::{Deserialize, Serialize};

use super::normalize::{Text, TokenKind};
use crate::model::{NoiseReason, Post};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoiseConfig {
    /// How many recent posts are remembered for duplicate detection.
    pub duplicate_window: usize,
    /// SimHash bits that may differ for two posts to count as near-duplicates (0..=64).
    /// Unrelated texts differ in about 32; a reshare with "RT" and a link added in under 10.
    pub near_duplicate_bits: u32,
    /// Posts with fewer words are never called duplicates: short texts ("great care!")
    /// repeat naturally.
    pub duplicate_min_words: usize,
}

impl Default for NoiseConfig {
    fn default() -> Self {
        NoiseConfig { duplicate_window: 5_000, near_duplicate_bits: 10, duplicate_min_words: 6 }
    }
}

/// The stateless rules: off-topic, ambiguous, spam and advert verdicts, and the
/// fingerprint a post is checked against the [`DuplicateMemory`] with.
pub struct NoiseFilter {
    config: NoiseConfig,
}

/// What the stateless rules say about a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screened {
    Noise(NoiseReason),
    /// Clean unless the [`DuplicateMemory`] has seen it (or nearly it) recently.
    Candidate(Fingerprint),
    /// Clean; too short to be called a duplicate.
    Clean,
}

/// What the duplicate check remembers of a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    simhash: u64,
    /// FNV-1a of the post's uid: the same post seen again is not its own duplicate.
    uid: u64,
}

/// The recent posts a duplicate is looked for among: the one piece of state in scoring.
/// Posts must be checked in stream order for verdicts to be reproducible.
pub struct DuplicateMemory {
    window: usize,
    near_bits: u32,
    /// Fingerprints of recent candidates, oldest first.
    recent: VecDeque<Fingerprint>,
}

const PROMO: &[&str] = &[
    "promo", "diskon", "discount", "sale", "off", "cashback", "voucher", "kupon", "coupon",
    "harga", "price", "paket", "package", "order", "pesan sekarang", "book now", "buy",
    "beli", "jual", "dijual", "murah", "cheap", "limited", "terbatas", "gratis ongkir",
    "hubungi", "call us", "whatsapp", "wa", "dm", "info lebih lanjut", "klik", "click",
    "link in bio", "link di bio", "special offer", "penawaran", "free consultation",
    "konsultasi gratis", "cicilan", "installment", "packages", "paket hemat", "promosi",
    "diskaun", "pakej", "harga istimewa", "tawaran", "gratis", "free", "info lengkap",
    "more info", "daftar sekarang", "register now", "hubungi kami", "call now",
];

const GIVEAWAY: &[&str] = &[
    "giveaway", "give away", "follow", "retweet", "rt", "tag", "menangkan", "win", "winner",
    "pemenang", "hadiah", "prize", "undian", "kuis", "quiz", "like and share", "like share",
    "bagikan", "repost",
];

impl NoiseFilter {
    pub fn new(config: &NoiseConfig) -> NoiseFilter {
        NoiseFilter { config: config.clone() }
    }

    /// A memory sized by this filter's config.
    pub fn new_memory(&self) -> DuplicateMemory {
        DuplicateMemory::new(&self.config)
    }

    /// The whole verdict: the rules, then the duplicate check against `memory`.
    pub fn judge(&self, memory: &mut DuplicateMemory, post: &Post, text: &Text, names_entity: bool, ambiguous: bool) -> Option<NoiseReason> {
        match self.screen(post, text, names_entity, ambiguous) {
            Screened::Noise(reason) => Some(reason),
            Screened::Candidate(f) if memory.check(f) => Some(NoiseReason::Duplicate),
            Screened::Candidate(_) | Screened::Clean => None,
        }
    }

    /// The stateless rules; a post they pass is then checked for duplicates.
    pub fn screen(&self, post: &Post, text: &Text, names_entity: bool, ambiguous: bool) -> Screened {
        if !names_entity {
            return Screened::Noise(if ambiguous { NoiseReason::AmbiguousEntity } else { NoiseReason::OffTopic });
        }
        let (mut urls, mut hashtags, mut words, mut phones) = (0usize, 0usize, 0usize, 0usize);
        let mut last_hashtag_start = usize::MAX;
        for t in &text.tokens {
            match t.kind {
                TokenKind::Url => urls += 1,
                // One hashtag can split into several words; count the tag once.
                TokenKind::Hashtag if t.original.start != last_hashtag_start => {
                    hashtags += 1;
                    last_hashtag_start = t.original.start;
                }
                TokenKind::Word => words += 1,
                _ => {}
            }
        }
        // Phone numbers, also when written in groups: "0812 3456 7890", "+60 3-7800 1234".
        let mut digits = 0;
        for t in &text.tokens {
            if t.kind == TokenKind::Number {
                digits += text.word(t).chars().filter(char::is_ascii_digit).count();
                if digits >= 9 {
                    phones += 1;
                    digits = 0;
                }
            } else {
                digits = 0;
            }
        }
        let (giveaway, promo) = count_terms(text);
        if giveaway >= 2 || (giveaway >= 1 && hashtags >= 3) || urls >= 3 || hashtags >= 6 && hashtags * 2 > words {
            return Screened::Noise(NoiseReason::Spam);
        }
        if promo >= 2 || (promo >= 1 && (urls + phones) >= 1) {
            return Screened::Noise(NoiseReason::Advert);
        }
        self.candidate(post, text, words)
    }

    /// Remembers a post judged earlier (before a restart), so that duplicate verdicts after
    /// the restart are the ones an uninterrupted run would give.
    pub fn remember(&self, memory: &mut DuplicateMemory, post: &Post, text: &Text) {
        let words = text.tokens.iter().filter(|t| t.kind == TokenKind::Word).count();
        if let Screened::Candidate(f) = self.candidate(post, text, words) {
            memory.check(f);
        }
    }

    fn candidate(&self, post: &Post, text: &Text, words: usize) -> Screened {
        if words < self.config.duplicate_min_words || self.config.duplicate_window == 0 {
            return Screened::Clean;
        }
        Screened::Candidate(Fingerprint { simhash: simhash(text), uid: fnv1a(post.uid().as_bytes()) })
    }
}

impl DuplicateMemory {
    pub fn new(config: &NoiseConfig) -> DuplicateMemory {
        DuplicateMemory {
            window: config.duplicate_window,
            near_bits: config.near_duplicate_bits,
            recent: VecDeque::with_capacity(config.duplicate_window.min(100_000)),
        }
    }

    /// Whether a recent post (other than this one) has the same or nearly the same text;
    /// the post is remembered either way, unless it was already.
    pub fn check(&mut self, f: Fingerprint) -> bool {
        if self.window == 0 {
            return false;
        }
        let mut duplicate = false;
        for other in &self.recent {
            if (other.simhash ^ f.simhash).count_ones() <= self.near_bits {
                if other.uid == f.uid {
                    return false; // the same post again: already remembered, not a reshare
                }
                duplicate = true;
                break;
            }
        }
        if self.recent.len() == self.window {
            self.recent.pop_front();
        }
        self.recent.push_back(f);
        duplicate
    }
}

/// How many distinct giveaway terms and promo terms the post has, as whole words of its
/// folded text. One automaton for both lists, so a post is scanned once.
fn count_terms(text: &Text) -> (usize, usize) {
    static TERMS: LazyLock<AhoCorasick> =
        LazyLock::new(|| AhoCorasick::new(GIVEAWAY.iter().chain(PROMO)).expect("the promo and giveaway terms build an automaton"));
    const { assert!(GIVEAWAY.len() + PROMO.len() <= 128, "the terms found are kept in a u128") };
    let mut found = 0u128;
    for m in TERMS.find_overlapping_iter(&text.folded) {
        if text.is_whole_words(m.range()) {
            found |= 1 << m.pattern().as_usize();
        }
    }
    let giveaway_mask = (1u128 << GIVEAWAY.len()) - 1;
    ((found & giveaway_mask).count_ones() as usize, (found & !giveaway_mask).count_ones() as usize)
}

/// 64-bit SimHash of the word 3-shingles (words only: links, mentions and punctuation
/// differ between reshares of one text).
pub fn simhash(text: &Text) -> u64 {
    let words: Vec<&str> = text.words().filter(|w| !matches!(*w, "rt" | "via" | "repost")).collect();
    let mut weights = [0i32; 64];
    let mut add = |h: u64| {
        for (bit, w) in weights.iter_mut().enumerate() {
            *w += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    };
    // Words and word pairs: enough features that one added "RT" or a trailing link moves
    // only a few bits, while word order still counts.
    words.iter().for_each(|w| add(fnv1a(w.as_bytes())));
    for pair in words.windows(2) {
        add(fnv1a_continue(fnv1a_continue(fnv1a(pair[0].as_bytes()), b" "), pair[1].as_bytes()));
    }
    weights.iter().enumerate().fold(0u64, |acc, (bit, &w)| if w > 0 { acc | 1 << bit } else { acc })
}

fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_continue(0xcbf29ce484222325, bytes)
}

fn fnv1a_continue(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: &str, text: &str) -> Post {
        Post::from_json_line(&serde_json::json!({"id": id, "text": text}).to_string()).unwrap()
    }

    fn judge(f: &mut (NoiseFilter, DuplicateMemory), id: &str, s: &str) -> Option<NoiseReason> {
        f.0.judge(&mut f.1, &post(id, s), &Text::new(s), true, false)
    }

    #[test]
    fn promo_and_giveaway_terms_count_whole_words_once_each() {
        // The reference: each term looked for on its own, as whole words.
        let one_by_one = |t: &Text, terms: &[&str]| terms.iter().filter(|p| t.has_phrase(p)).count();
        for s in [
            "Promo PROMO promo! Diskon 50% hubungi kami di WA",
            "offer of waiting: no term is a whole word here (offer, waiting, office, salep)",
            "GIVEAWAY! follow @rsomni and retweet to win #sehat #rs #promo #gratis",
            "Paket hemat packages and package prices, call now or call us, free free free",
            "",
            "rt",
        ] {
            let t = Text::new(s);
            assert_eq!(count_terms(&t), (one_by_one(&t, GIVEAWAY), one_by_one(&t, PROMO)), "{s}");
        }
        assert_eq!(count_terms(&Text::new("offer office waiting salep")), (0, 0));
        assert_eq!(count_terms(&Text::new("hubungi kami")), (0, 2), "'hubungi' and 'hubungi kami' are both terms");
        assert_eq!(count_terms(&Text::new("win win win")), (1, 0), "a term counts once");
    }

    fn filter() -> (NoiseFilter, DuplicateMemory) {
        let f = NoiseFilter::new(&NoiseConfig::default());
        let m = f.new_memory();
        (f, m)
    }

    #[test]
    fn adverts_and_spam() {
        let mut f = filter();
        assert_eq!(judge(&mut f, "1", "Promo MCU diskon 30% di RS Omni! Hubungi 081234567890"), Some(NoiseReason::Advert));
        assert_eq!(judge(&mut f, "2", "GIVEAWAY! follow @rsomni and retweet to win #sehat #rs #promo #gratis"), Some(NoiseReason::Spam));
        assert_eq!(judge(&mut f, "3", "The nurses at RS Omni were kind to my mother"), None);
        assert_eq!(judge(&mut f, "4", "Pakej saringan kesihatan di Larkspur, hubungi 03 7800 1234"), Some(NoiseReason::Advert));
        assert_eq!(judge(&mut f, "5", "I paid 1 200 000 for 3 nights at RS Omni and nobody explained the bill"), None);
    }

    #[test]
    fn off_topic_and_ambiguous() {
        let (f, mut m) = filter();
        let p = post("1", "nice weather");
        assert_eq!(f.judge(&mut m, &p, &Text::new(&p.text), false, false), Some(NoiseReason::OffTopic));
        assert_eq!(f.judge(&mut m, &p, &Text::new(&p.text), false, true), Some(NoiseReason::AmbiguousEntity));
    }

    #[test]
    fn exact_and_near_duplicates_but_not_the_same_post_twice() {
        let mut f = filter();
        let original = "Waited five hours at RS Omni emergency and nobody came to see my father";
        assert_eq!(judge(&mut f, "1", original), None);
        assert_eq!(judge(&mut f, "1", original), None, "reprocessing the same uid is not a duplicate");
        assert_eq!(judge(&mut f, "2", original), Some(NoiseReason::Duplicate));
        let reshare = "RT Waited five hours at RS Omni emergency and nobody came to see my father!! https://t.co/x";
        assert_eq!(judge(&mut f, "3", reshare), Some(NoiseReason::Duplicate));
        assert_eq!(judge(&mut f, "4", "The cardiology team at RS Omni explained everything clearly to us"), None);
        assert_eq!(judge(&mut f, "5", "great care"), None);
        assert_eq!(judge(&mut f, "6", "great care"), None, "short texts repeat naturally");
    }
}

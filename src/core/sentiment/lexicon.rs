//! The sentiment lexicons of one language, parsed once from the files in `lexicons/`.
//!
//! Every table is keyed by `&'static str` slices of the files compiled into the binary,
//! so building them copies no words and a lookup on the hot path allocates nothing.
//! The file formats are plain text, one entry a line, `#` starts a comment:
//!
//! | file | line | meaning |
//! |---|---|---|
//! | `valence` (VADER's lexicon, `sentiment.tsv`) | `word<TAB>valence[<TAB>…]` | mean rating −4..4 |
//! | learned `sentiment.tsv` | `word<TAB>valence<TAB>neutral lean`, one `__bias__` line | see `lexicons/tools/build_id_lexicon.py` |
//! | `boosters.tsv` | `word or phrase<TAB>scalar[<TAB>after]` | ±0.293: adds to a following (with `after`: preceding) word's strength (dampener if negative) |
//! | `negators.txt` | `word` | flips a following word within three words (× −0.74) |
//! | `idioms.tsv` | `phrase<TAB>valence` | a phrase that means more than its words; its words are read as one item |
//! | `contrast.tsv` | `word<TAB>weight before<TAB>weight after` | "but": what comes after it counts more |
//!
//! A later file overrides an earlier one for the same word, so hand-curated entries win
//! over generated ones.


/// FxHash (rustc's hash): the keys are short words, so a multiply-rotate hash beats SipHash
/// by a wide margin, and hash flooding is no concern for read-only tables built at start.
pub use rustc_hash::FxHashMap as FxMap;

/// Weights of a contrastive conjunction ("but", "tapi").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contrast {
    pub before: f32,
    pub after: f32,
}

/// All tables of one language.
#[derive(Default)]
pub struct Lexicon {
    /// What the single-word tables say about each word (or emoji, emoticon): one table,
    /// so that scoring looks a word up once rather than once per table.
    pub words: FxMap<&'static str, Word>,
    /// Whether any word has a neutral lean (learned lexicons only).
    pub has_neutral: bool,
    /// Intercepts of a learned lexicon (its `__bias__` line): added to the sum of valences
    /// of a text with evidence, and to the sum of neutral leans.
    pub bias_valence: f32,
    pub bias_neutral: f32,
    /// Multi-word phrases: idioms with a valence, and multi-word boosters and negators
    /// ("kind of", "sama sekali tidak"), all matched on whole words.
    pub phrases: FxMap<&'static str, Phrase>,
    /// Longest phrase, in words.
    pub max_phrase_words: usize,
    /// Answers to a feedback question ("what could we improve?" — "Nothing."): a word that
    /// opens a sentence as the whole answer, with its valence.
    pub answers: FxMap<&'static str, Answer>,
    /// Words that make the sentence they open a wish or request ("More staff.", "Better
    /// food would help"): its sentence's positive words count against, and the word itself
    /// has this valence.
    pub wishes: FxMap<&'static str, f32>,
}

/// One word's entries in the single-word tables.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Word {
    /// Valence, −4..4.
    pub valence: Option<f32>,
    /// Lean towards a neutral (objective, news-like) text, 0 for none; only learned
    /// lexicons have it (Indonesian: SmSA's neutral class).
    pub neutral: f32,
    /// A booster (> 0) or dampener (< 0) of the word after it.
    pub booster: Option<f32>,
    /// A booster of the word before it ("enak banget", "bagus sekali").
    pub post_booster: Option<f32>,
    pub negator: bool,
    pub contrast: Option<Contrast>,
    /// The first word of a phrase, so most positions skip the n-gram lookups.
    pub phrase_start: bool,
}

/// How an answer word reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Answer {
    pub valence: f32,
    /// Only when it is the whole sentence ("Everything."); otherwise also when other words
    /// follow it, unless they make it a subject ("Nothing was done").
    pub whole: bool,
}

/// What a multi-word phrase stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phrase {
    Idiom(f32),
    Booster(f32),
    Negator,
}

fn lines(file: &'static str) -> impl Iterator<Item = &'static str> {
    file.lines().map(str::trim_end).filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
}

fn field(line: &'static str, n: usize) -> Option<&'static str> {
    line.split('\t').nth(n).map(str::trim)
}

fn number(file: &str, line: &str, s: Option<&str>) -> anyhow::Result<f32> {
    let s = s.ok_or_else(|| anyhow::anyhow!("{file}: missing number in line {line:?}"))?;
    s.parse::<f32>().map_err(|e| anyhow::anyhow!("{file}: bad number {s:?} in line {line:?}: {e}"))
}

impl Lexicon {
    /// Adds a `word<TAB>valence` file (VADER's has more columns: they are ignored), or with
    /// `neutral` a learned `word<TAB>valence<TAB>neutral lean` file. Multi-word keys
    /// become idioms.
    pub fn add_valence(&mut self, name: &str, file: &'static str, neutral: bool) -> anyhow::Result<()> {
        for line in lines(file) {
            let word = field(line, 0).unwrap_or_default();
            let v = number(name, line, field(line, 1))?;
            if word.contains(' ') {
                self.add_phrase(word, Phrase::Idiom(v));
                continue;
            }
            if neutral && word == "__bias__" {
                self.bias_valence = v;
                self.bias_neutral = number(name, line, field(line, 2))?;
                continue;
            }
            if !(neutral && v == 0.0) {
                self.word(word).valence = Some(v);
            }
            if neutral {
                let n = number(name, line, field(line, 2))?;
                if n != 0.0 {
                    self.word(word).neutral = n;
                    self.has_neutral = true;
                }
            }
        }
        Ok(())
    }

    /// Adds emoji: `emoji<TAB>description`, valued by the description's words (VADER reads
    /// an emoji as its description) using the valences loaded so far.
    pub fn add_emoji(&mut self, file: &'static str) {
        for line in lines(file) {
            let (Some(emoji), Some(description)) = (field(line, 0), field(line, 1)) else { continue };
            let v: f32 = description.split(' ').filter_map(|w| self.valence(w)).sum();
            if v != 0.0 {
                self.word(emoji).valence = Some(v);
            }
        }
    }

    pub fn add_boosters(&mut self, name: &str, file: &'static str) -> anyhow::Result<()> {
        for line in lines(file) {
            let word = field(line, 0).unwrap_or_default();
            let v = number(name, line, field(line, 1))?;
            if field(line, 2) == Some("after") {
                self.word(word).post_booster = Some(v);
            } else if word.contains(' ') {
                self.add_phrase(word, Phrase::Booster(v));
            } else {
                self.word(word).booster = Some(v);
            }
        }
        Ok(())
    }

    pub fn add_negators(&mut self, file: &'static str) {
        for line in lines(file) {
            let word = line.trim();
            if word.contains(' ') {
                self.add_phrase(word, Phrase::Negator);
            } else {
                self.word(word).negator = true;
            }
        }
    }

    pub fn add_idioms(&mut self, name: &str, file: &'static str) -> anyhow::Result<()> {
        for line in lines(file) {
            let phrase = field(line, 0).unwrap_or_default();
            let v = number(name, line, field(line, 1))?;
            self.add_phrase(phrase, Phrase::Idiom(v));
        }
        Ok(())
    }

    pub fn add_contrast(&mut self, name: &str, file: &'static str) -> anyhow::Result<()> {
        for line in lines(file) {
            let word = field(line, 0).unwrap_or_default();
            let before = number(name, line, field(line, 1))?;
            let after = number(name, line, field(line, 2))?;
            self.word(word).contrast = Some(Contrast { before, after });
        }
        Ok(())
    }

    /// `word<TAB>valence<TAB>opens|whole` (see [`Answer`]).
    pub fn add_answers(&mut self, name: &str, file: &'static str) -> anyhow::Result<()> {
        for line in lines(file) {
            let word = field(line, 0).unwrap_or_default();
            let valence = number(name, line, field(line, 1))?;
            let whole = match field(line, 2) {
                Some("whole") => true,
                Some("opens") => false,
                other => anyhow::bail!("{name}: expected opens or whole, got {other:?} in line {line:?}"),
            };
            self.answers.insert(word, Answer { valence, whole });
        }
        Ok(())
    }

    /// `word<TAB>valence` (see [`Lexicon::wishes`]).
    pub fn add_wishes(&mut self, name: &str, file: &'static str) -> anyhow::Result<()> {
        for line in lines(file) {
            let word = field(line, 0).unwrap_or_default();
            let valence = number(name, line, field(line, 1))?;
            self.wishes.insert(word, valence);
        }
        Ok(())
    }

    fn add_phrase(&mut self, phrase: &'static str, what: Phrase) {
        let words = phrase.split(' ').count();
        if words < 2 {
            // A one-word "idiom" is an ordinary valence.
            if let Phrase::Idiom(v) = what {
                self.word(phrase).valence = Some(v);
            }
            return;
        }
        self.max_phrase_words = self.max_phrase_words.max(words);
        self.word(phrase.split(' ').next().unwrap_or_default()).phrase_start = true;
        self.phrases.insert(phrase, what);
    }

    /// The valence of a word, if it has one.
    pub fn valence(&self, word: &str) -> Option<f32> {
        self.words.get(word).and_then(|w| w.valence)
    }

    fn word(&mut self, word: &'static str) -> &mut Word {
        self.words.entry(word).or_default()
    }
}

//! The complaint lexicons: what each phrase means, compiled into one trie over words,
//! and the per-post scan that finds them.
//!
//! A lexicon file (`lexicons/complaints/<lang>.toml`) lists phrases by role:
//!
//! - `negators` flip the phrase that follows them within three words of the same clause
//!   ("not rude", "tidak antri"); `breakers` end a clause ("but", "tapi").
//! - `problem`, `improve` and `praise` are the polarity words that decide whether a
//!   topic word is complained about ("the food was cold", "better food") or praised
//!   ("the food was lovely"). `ignore` phrases only hide the words inside them
//!   ("kind of", "hard-working").
//! - `[cues]` are complaint speech acts ("still waiting", "never again") and their
//!   opposites (information requests, thanks), grouped under language-independent names
//!   that are the features of the complaint model. English and Indonesian phrases of one
//!   group share its learned weight.
//! - `[category.<id>]` has `strong` phrases that are a complaint of that category on their
//!   own ("rude", "salah diagnosa"), `topic` words that need a problem or improvement
//!   word next to them ("parking" … "nightmare"), and `good` words that praise the
//!   category and become a complaint when negated ("not clean", "tidak ramah").
//!
//! Phrase syntax, expanded once at construction: `(a|b|)` alternatives (an empty
//! alternative makes the group optional), `#` one number ("3", "two", "an", "dua"),
//! `@` one @mention ("thanks @StMarys for …"), `stem*` any word starting with `stem`, `^` / `$` the phrase starts / ends the post.
//! A hyphenated word also matches spelled open or closed ("follow-up", "follow up",
//! "followup"). Phrases are folded like posts (lower case, NFKC).

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Deserialize;

use super::super::normalize::{Text, TokenKind};
use crate::model::Category;

/// The lexicon files compiled into the binary.
pub const BUILTIN: [(&str, &str); 2] = [
    ("en", include_str!("../../../lexicons/complaints/en.toml")),
    ("id", include_str!("../../../lexicons/complaints/id.toml")),
];

/// Expansions of one phrase beyond this are a lexicon mistake, not a wish.
const MAX_EXPANSIONS: usize = 4096;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    #[allow(dead_code)]
    lang: String,
    #[serde(default)]
    negators: Vec<String>,
    #[serde(default)]
    breakers: Vec<String>,
    #[serde(default)]
    problem: Vec<String>,
    #[serde(default)]
    improve: Vec<String>,
    #[serde(default)]
    praise: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    cues: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    category: BTreeMap<String, CategoryTerms>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryTerms {
    #[serde(default)]
    strong: Vec<String>,
    #[serde(default)]
    topic: Vec<String>,
    #[serde(default)]
    good: Vec<String>,
}

/// What a phrase means when it is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Negator,
    Breaker,
    Problem,
    Improve,
    Praise,
    /// Matched only to hide the phrases inside it ("kind of", "hard-working").
    Ignore,
    /// Index into [`Lexicon::cue_names`].
    Cue(u16),
    Strong(Category),
    Topic(Category),
    Good(Category),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Elem {
    Word(Box<str>),
    Prefix(Box<str>),
    Num,
    Mention,
}

#[derive(Debug)]
struct Pattern {
    /// The words to verify; empty for exact patterns.
    elems: Vec<Elem>,
    /// Number of words.
    len: u8,
    /// Index of the key in [`Lexicon::keys`].
    key: u32,
    /// Index in `elems` of the first element of the key.
    key_offset: usize,
    at_start: bool,
    at_end: bool,
    /// The key is the whole pattern: a match needs no further check.
    exact: bool,
    role: Role,
    /// The expanded phrase as the lexicon spells it, the evidence shown to people; for
    /// exact patterns it is their key.
    phrase: Option<Box<str>>,
}

/// One phrase found in a post: tokens `start..end` of [`Text::tokens`].
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub role: Role,
    pub start: usize,
    pub end: usize,
    pub pattern: u32,
}

pub struct Lexicon {
    trie: KeyTrie,
    /// Patterns sharing each key.
    by_key: Vec<Vec<u32>>,
    keys: Vec<Box<str>>,
    patterns: Vec<Pattern>,
    cue_names: Vec<String>,
}

impl Lexicon {
    pub fn builtin() -> anyhow::Result<Lexicon> {
        Lexicon::from_sources(&BUILTIN)
    }

    /// Builds one trie over every language's file: posts mix languages, and a
    /// phrase of one language rarely means something else in the other.
    pub fn from_sources(sources: &[(&str, &str)]) -> anyhow::Result<Lexicon> {
        let mut files = Vec::new();
        for (name, src) in sources {
            let file: LexiconFile =
                toml::from_str(src).map_err(|e| anyhow::anyhow!("complaint lexicon {name}: {e}"))?;
            files.push((*name, file));
        }
        let mut cue_names: Vec<String> = files.iter().flat_map(|(_, f)| f.cues.keys().cloned()).collect();
        cue_names.sort();
        cue_names.dedup();

        let mut b = Builder::default();
        for (name, file) in &files {
            let ctx = |what: &str| format!("complaint lexicon {name}, {what}");
            b.add_all(&file.negators, Role::Negator, &ctx("negators"))?;
            b.add_all(&file.breakers, Role::Breaker, &ctx("breakers"))?;
            b.add_all(&file.problem, Role::Problem, &ctx("problem"))?;
            b.add_all(&file.improve, Role::Improve, &ctx("improve"))?;
            b.add_all(&file.praise, Role::Praise, &ctx("praise"))?;
            b.add_all(&file.ignore, Role::Ignore, &ctx("ignore"))?;
            for (cue, phrases) in &file.cues {
                let idx = cue_names.iter().position(|c| c == cue).expect("collected above") as u16;
                b.add_all(phrases, Role::Cue(idx), &ctx(&format!("cues.{cue}")))?;
            }
            for (id, terms) in &file.category {
                let cat = Category::parse(id)
                    .ok_or_else(|| anyhow::anyhow!("{}: no such category (see DESIGN.md)", ctx(&format!("category.{id}"))))?;
                b.add_all(&terms.strong, Role::Strong(cat), &ctx(&format!("category.{id}.strong")))?;
                b.add_all(&terms.topic, Role::Topic(cat), &ctx(&format!("category.{id}.topic")))?;
                b.add_all(&terms.good, Role::Good(cat), &ctx(&format!("category.{id}.good")))?;
            }
        }
        let trie = KeyTrie::new(&b.keys);
        let keys = b.keys.into_iter().map(String::into_boxed_str).collect();
        Ok(Lexicon { trie, by_key: b.by_key, keys, patterns: b.patterns, cue_names })
    }

    pub fn cue_names(&self) -> &[String] {
        &self.cue_names
    }

    pub fn phrase(&self, hit: &Hit) -> &str {
        self.phrase_of(hit.pattern)
    }

    pub fn phrase_of(&self, pattern: u32) -> &str {
        let p = &self.patterns[pattern as usize];
        match &p.phrase {
            Some(s) => s,
            None => self.keys[p.key as usize].trim(),
        }
    }

    /// Every phrase of the lexicon found in `text`, in no particular order. Overlapping
    /// phrases are all reported ("long wait" and "wait"). `word_ids` is scratch space.
    pub fn scan(&self, text: &Text, hits: &mut Vec<Hit>, word_ids: &mut Vec<u32>) {
        self.trie.keys_in(text, word_ids, |key, key_token| self.verify(text, key, key_token, hits));
    }

    /// Reports the patterns of key `key`, found at token `key_token`, whose
    /// numbers, mentions, prefixes and anchors also fit.
    fn verify(&self, text: &Text, key: u32, key_token: usize, hits: &mut Vec<Hit>) {
        let tokens = &text.tokens;
        for &pid in &self.by_key[key as usize] {
            let p = &self.patterns[pid as usize];
            if p.exact {
                hits.push(Hit { role: p.role, start: key_token, end: key_token + p.len as usize, pattern: pid });
                continue;
            }
            let Some(start) = key_token.checked_sub(p.key_offset) else { continue };
            let end = start + p.elems.len();
            if end > tokens.len() {
                continue;
            }
            let fits = p.elems.iter().enumerate().all(|(j, e)| {
                let tok = &tokens[start + j];
                let w = text.word(tok);
                match e {
                    Elem::Word(s) => w == &**s,
                    Elem::Prefix(s) => w.starts_with(&**s) && tok.kind != TokenKind::Punct,
                    Elem::Num => is_number(w, tok.kind),
                    Elem::Mention => tok.kind == TokenKind::Mention,
                }
            });
            if !fits {
                continue;
            }
            let quiet = |k: TokenKind| matches!(k, TokenKind::Punct | TokenKind::Mention | TokenKind::Emoji | TokenKind::Url);
            if p.at_start && !tokens[..start].iter().all(|t| quiet(t.kind)) {
                continue;
            }
            if p.at_end && !tokens[end..].iter().all(|t| quiet(t.kind)) {
                continue;
            }
            hits.push(Hit { role: p.role, start, end, pattern: pid });
        }
    }

    /// The number of distinct phrases per role, for tests and docs.
    #[cfg(test)]
    pub fn count(&self, pred: impl Fn(Role) -> bool) -> usize {
        self.patterns.iter().filter(|p| pred(p.role)).count()
    }
}

/// The lexicon's keys as a trie over words. A key is a run of whole words, perhaps ending
/// in a word prefix (" long wait ", " not clean ", " misdiagnos"); the scan walks the
/// trie from every token, one hash probe per word, and most walks end at the first word.
/// Matching whole tokens needs no word-boundary checks, and building the trie takes a
/// fraction of the time a byte automaton over the same 24,000 keys took.
struct KeyTrie {
    /// Every whole word of a key, folded, and its id.
    words: FxHashMap<Box<str>, u32>,
    /// The root's child for each word id ([`NONE`] when no key starts with the word).
    root: Vec<u32>,
    /// (node, word id) → child, below the root.
    edges: FxHashMap<(u32, u32), u32>,
    /// The key that ends at each node, or [`NONE`].
    ends: Vec<u32>,
    /// Keys that end in a prefix after a node's words, by node and the prefix's first
    /// byte: (prefix, key).
    prefixes: FxHashMap<(u32, u8), Vec<(Box<str>, u32)>>,
    /// Whether a node has any prefix key, so most nodes skip the probe above.
    has_prefixes: Vec<bool>,
}

const NONE: u32 = u32::MAX;
const ROOT: u32 = 0;

impl KeyTrie {
    /// `keys` are spelled as [`Builder`] spells them: a leading space, then words each
    /// followed by a space, the last perhaps a bare prefix without one.
    fn new(keys: &[String]) -> KeyTrie {
        let mut t = KeyTrie {
            words: FxHashMap::default(),
            root: Vec::new(),
            edges: FxHashMap::default(),
            ends: vec![NONE],
            prefixes: FxHashMap::default(),
            has_prefixes: vec![false],
        };
        for (key, spelled) in keys.iter().enumerate() {
            let key = key as u32;
            let mut words: Vec<&str> = spelled.split(' ').filter(|w| !w.is_empty()).collect();
            let prefix = if spelled.ends_with(' ') { None } else { words.pop() };
            let mut node = ROOT;
            for w in words {
                let next_id = t.words.len() as u32;
                let id = *t.words.entry(w.into()).or_insert(next_id);
                if id as usize == t.root.len() {
                    t.root.push(NONE);
                }
                let child = if node == ROOT { t.root[id as usize] } else { t.edges.get(&(node, id)).copied().unwrap_or(NONE) };
                node = if child != NONE {
                    child
                } else {
                    let new = t.ends.len() as u32;
                    t.ends.push(NONE);
                    t.has_prefixes.push(false);
                    if node == ROOT {
                        t.root[id as usize] = new;
                    } else {
                        t.edges.insert((node, id), new);
                    }
                    new
                };
            }
            match prefix {
                // Builder gives each distinct spelling one key.
                None => t.ends[node as usize] = key,
                Some(p) => {
                    t.prefixes.entry((node, p.as_bytes()[0])).or_default().push((p.into(), key));
                    t.has_prefixes[node as usize] = true;
                }
            }
        }
        t
    }

    /// Calls `found(key, token)` for every key found starting at a token of `text`.
    fn keys_in(&self, text: &Text, word_ids: &mut Vec<u32>, mut found: impl FnMut(u32, usize)) {
        let tokens = &text.tokens;
        word_ids.clear();
        word_ids.extend(tokens.iter().map(|t| self.words.get(text.word(t)).copied().unwrap_or(NONE)));
        for start in 0..tokens.len() {
            let mut node = ROOT;
            for (at, &id) in word_ids.iter().enumerate().skip(start) {
                if self.has_prefixes[node as usize] {
                    let w = text.word(&tokens[at]);
                    if let Some(keys) = w.as_bytes().first().and_then(|&b| self.prefixes.get(&(node, b))) {
                        for (prefix, key) in keys {
                            if w.starts_with(&**prefix) {
                                found(*key, start);
                            }
                        }
                    }
                }
                if id == NONE {
                    break;
                }
                node = if node == ROOT { self.root[id as usize] } else { self.edges.get(&(node, id)).copied().unwrap_or(NONE) };
                if node == NONE {
                    break;
                }
                if self.ends[node as usize] != NONE {
                    found(self.ends[node as usize], start);
                }
            }
        }
    }
}

const NUMBER_WORDS: &[&str] = &[
    "a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "few", "several", "couple", "many",
    "multiple", "numerous", "countless", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
    "sembilan", "sepuluh", "sebelas", "belasan", "puluhan", "beberapa", "setengah", "seharian", "semalaman",
];

fn is_number(word: &str, kind: TokenKind) -> bool {
    kind == TokenKind::Number
        || word.as_bytes().first().is_some_and(|b| b.is_ascii_digit())
        || NUMBER_WORDS.contains(&word)
}

#[derive(Default)]
struct Builder {
    keys: Vec<String>,
    key_ids: FxHashMap<String, usize>,
    by_key: Vec<Vec<u32>>,
    patterns: Vec<Pattern>,
    seen: FxHashSet<(String, RoleKey)>,
    /// Folded form of each raw lexicon word: phrases expand to thousands that share words.
    folds: FxHashMap<String, String>,
}

/// `Role` without the hash bound on `Category` mattering: roles compare by value.
type RoleKey = (u8, u16);

fn role_key(r: Role) -> RoleKey {
    match r {
        Role::Negator => (0, 0),
        Role::Breaker => (1, 0),
        Role::Problem => (2, 0),
        Role::Improve => (3, 0),
        Role::Praise => (4, 0),
        Role::Ignore => (9, 0),
        Role::Cue(i) => (5, i),
        Role::Strong(c) => (6, c as u16),
        Role::Topic(c) => (7, c as u16),
        Role::Good(c) => (8, c as u16),
    }
}

impl Builder {
    /// Folds a lexicon phrase the way [`Text`] folds a post, keeping the phrase syntax:
    /// the result's words are tokens of a folded post, `#`, `stem*`, `^` or `$`.
    fn fold_phrase(&mut self, phrase: &str) -> String {
        let mut out = String::new();
        for raw in phrase.split_whitespace() {
            if matches!(raw, "#" | "@" | "^" | "$") {
                out.push_str(raw);
                out.push(' ');
                continue;
            }
            if let Some(f) = self.folds.get(raw) {
                out.push_str(f);
                out.push(' ');
                continue;
            }
            let (body, star) = match raw.strip_suffix('*') {
                Some(b) => (b, "*"),
                None => (raw, ""),
            };
            let t = Text::new(body);
            // A lexicon word folds to one or more post tokens ("can't" stays one, "a&e"
            // one, "gpp" several); the last one carries the prefix star.
            let mut f = String::new();
            for (i, tok) in t.tokens.iter().enumerate() {
                if i > 0 {
                    f.push(' ');
                }
                f.push_str(t.word(tok));
                if i + 1 == t.tokens.len() {
                    f.push_str(star);
                }
            }
            out.push_str(&f);
            out.push(' ');
            self.folds.insert(raw.to_string(), f);
        }
        out.trim_end().to_string()
    }

    fn add_all(&mut self, phrases: &[String], role: Role, ctx: &str) -> anyhow::Result<()> {
        for phrase in phrases {
            for expanded in expand(phrase).map_err(|e| anyhow::anyhow!("{ctx}: \"{phrase}\": {e}"))? {
                self.add(&expanded, role).map_err(|e| anyhow::anyhow!("{ctx}: \"{phrase}\": {e}"))?;
            }
        }
        Ok(())
    }

    fn add(&mut self, phrase: &str, role: Role) -> anyhow::Result<()> {
        let folded = self.fold_phrase(phrase);
        let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        let at_start = words.first() == Some(&"^");
        if at_start {
            words.remove(0);
        }
        let at_end = words.last() == Some(&"$");
        if at_end {
            words.pop();
        }
        if words.is_empty() {
            anyhow::bail!("empty phrase");
        }
        // Hyphenated words match spelled open, closed or hyphenated.
        let mut variants: Vec<Vec<String>> = vec![Vec::new()];
        for w in &words {
            if w.len() > 2 && w.contains('-') && !w.starts_with('-') && !w.ends_with('-') {
                let open: Vec<String> = w.split('-').map(str::to_string).collect();
                let closed = w.replace('-', "");
                let mut next = Vec::new();
                for v in &variants {
                    let mut a = v.clone();
                    a.push(w.to_string());
                    let mut b = v.clone();
                    b.extend(open.iter().cloned());
                    let mut c = v.clone();
                    c.push(closed.clone());
                    next.extend([a, b, c]);
                }
                variants = next;
            } else {
                for v in &mut variants {
                    v.push(w.to_string());
                }
            }
        }
        for v in variants {
            let mut shown = v.join(" ");
            if at_start {
                shown.insert_str(0, "^ ");
            }
            if at_end {
                shown.push_str(" $");
            }
            if !self.seen.insert((shown.clone(), role_key(role))) {
                continue;
            }
            let exact = !at_start && !at_end && v.iter().all(|w| w != "#" && w != "@" && !w.ends_with('*'));
            let (elems, key_offset, key) = if exact {
                // Most phrases: the key is the whole phrase, nothing to verify.
                (Vec::new(), 0, format!(" {shown} "))
            } else {
                let elems: Vec<Elem> = v
                    .iter()
                    .map(|w| {
                        if w == "#" {
                            Elem::Num
                        } else if w == "@" {
                            Elem::Mention
                        } else if let Some(stem) = w.strip_suffix('*').filter(|s| !s.is_empty()) {
                            Elem::Prefix(stem.into())
                        } else {
                            Elem::Word(w.as_str().into())
                        }
                    })
                    .collect();
                // The key: the first run of literal words, ending at a prefix if any.
                let Some(key_offset) = elems.iter().position(|e| !matches!(e, Elem::Num | Elem::Mention)) else {
                    anyhow::bail!("a phrase needs at least one word besides # and @");
                };
                let mut key = String::from(" ");
                for e in &elems[key_offset..] {
                    match e {
                        Elem::Word(w) => {
                            key.push_str(w);
                            key.push(' ');
                        }
                        Elem::Prefix(s) => {
                            key.push_str(s);
                            break;
                        }
                        Elem::Num | Elem::Mention => break,
                    }
                }
                (elems, key_offset, key)
            };
            let kid = match self.key_ids.get(key.as_str()) {
                Some(&k) => k,
                None => {
                    self.keys.push(key.clone());
                    self.by_key.push(Vec::new());
                    self.key_ids.insert(key, self.keys.len() - 1);
                    self.keys.len() - 1
                }
            };
            let pid = self.patterns.len() as u32;
            self.by_key[kid].push(pid);
            let phrase = if exact { None } else { Some(shown.into_boxed_str()) };
            self.patterns.push(Pattern {
                elems,
                len: v.len() as u8,
                key: kid as u32,
                key_offset,
                at_start,
                at_end,
                exact,
                role,
                phrase,
            });
        }
        Ok(())
    }
}

/// Expands `(a|b|)` groups (nested groups are not supported) into every combination.
fn expand(phrase: &str) -> anyhow::Result<Vec<String>> {
    let mut out = vec![String::new()];
    let mut rest = phrase;
    while let Some(open) = rest.find('(') {
        let close = rest[open..].find(')').ok_or_else(|| anyhow::anyhow!("unclosed '('"))? + open;
        let prefix = &rest[..open];
        let options: Vec<&str> = rest[open + 1..close].split('|').collect();
        if options.iter().any(|o| o.contains('(')) {
            anyhow::bail!("nested '(' is not supported");
        }
        let mut next = Vec::with_capacity(out.len() * options.len());
        for o in &out {
            for opt in &options {
                next.push(format!("{o}{prefix}{opt}"));
            }
        }
        if next.len() > MAX_EXPANSIONS {
            anyhow::bail!("expands to more than {MAX_EXPANSIONS} phrases");
        }
        out = next;
        rest = &rest[close + 1..];
    }
    if rest.contains(')') {
        anyhow::bail!("')' without '('");
    }
    Ok(out
        .into_iter()
        .map(|o| format!("{o}{rest}").split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_alternatives_and_optional_words() {
        assert_eq!(expand("waited (over |)# (hours|days)").unwrap(), [
            "waited over # hours",
            "waited over # days",
            "waited # hours",
            "waited # days"
        ]);
        assert!(expand("a (b").is_err());
        assert!(expand("a (b (c))").is_err());
    }

    fn lex(src: &str) -> Lexicon {
        Lexicon::from_sources(&[("t", src)]).unwrap()
    }

    fn found(lexicon: &Lexicon, post: &str) -> Vec<String> {
        let text = Text::new(post);
        let mut hits = Vec::new();
        lexicon.scan(&text, &mut hits, &mut Vec::new());
        let mut v: Vec<String> = hits.iter().map(|h| lexicon.phrase(h).to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn numbers_prefixes_and_anchors() {
        let l = lex(r#"
lang = "t"
[cues]
x = ["waited # hours", "misdiagnos*", "^ nothing $", "sudah # jam", "thanks @ for"]
"#);
        assert_eq!(found(&l, "We waited 5 hours!"), ["waited # hours"]);
        assert_eq!(found(&l, "we waited three hours"), ["waited # hours"]);
        assert_eq!(found(&l, "we waited hours"), Vec::<String>::new());
        assert_eq!(found(&l, "I was MISDIAGNOSED twice"), ["misdiagnos*"]);
        assert_eq!(found(&l, "Nothing."), ["^ nothing $"]);
        assert_eq!(found(&l, "Nothing was good"), Vec::<String>::new());
        assert_eq!(found(&l, "udah 3 jam nunggu"), ["sudah # jam"]);
        assert_eq!(found(&l, "Thanks @StMarys for that"), ["thanks @ for"]);
        assert_eq!(found(&l, "thanks Bob for that"), Vec::<String>::new());
    }

    #[test]
    fn nested_and_overlapping_phrases_are_all_found() {
        let l = lex(r#"
lang = "t"
[cues]
x = ["wait", "long wait", "long wait time", "not clean*", "wait time"]
"#);
        assert_eq!(found(&l, "A long wait time, not cleaned either"), [
            "long wait",
            "long wait time",
            "not clean*",
            "wait",
            "wait time"
        ]);
        // Whole words only: "waiting" is not "wait", "unclean" not "clean*" after "not".
        assert_eq!(found(&l, "long waiting, not unclean"), Vec::<String>::new());
    }

    #[test]
    fn hyphenated_words_match_three_spellings() {
        let l = lex(r#"
lang = "t"
[cues]
x = ["follow-up"]
"#);
        for post in ["no follow-up", "no follow up", "no followup"] {
            assert_eq!(found(&l, post).len(), 1, "{post}");
        }
    }

    #[test]
    fn bad_lexicons_are_refused_with_the_phrase() {
        let err = Lexicon::from_sources(&[("t", "lang = \"t\"\n[category.nope]\nstrong = [\"x\"]\n")]).err().unwrap();
        assert!(err.to_string().contains("category.nope"), "{err}");
        let err = Lexicon::from_sources(&[("t", "lang = \"t\"\nproblem = [\"(a\"]\n")]).err().unwrap();
        assert!(err.to_string().contains("unclosed"), "{err}");
        let err = Lexicon::from_sources(&[("t", "lang = \"t\"\nproblem = [\"#\"]\n")]).err().unwrap();
        assert!(err.to_string().contains("at least one word"), "{err}");
    }

    #[test]
    fn builtin_lexicons_compile_and_cover_every_category() {
        let l = Lexicon::builtin().unwrap();
        for cat in Category::ALL {
            let n = l.count(|r| matches!(r, Role::Strong(c) if c == cat));
            assert!(n >= 5, "{cat}: only {n} strong phrases");
        }
    }
}

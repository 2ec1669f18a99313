//! Text normalization shared by every scoring stage.
//!
//! A post is folded once: Unicode NFKC, lower case, letters repeated for emphasis
//! squeezed ("sooo" → "soo", "lamaaa" → "lamaa" then the slang table), informal
//! Indonesian/Malay spellings replaced by their standard form ("gak" → "tidak"), hashtags
//! split into their words, and URLs and mentions kept as single tokens. Every token keeps
//! the byte range of the original text it came from, so later stages can report spans and
//! look at the original casing (capitals are emphasis for sentiment).

use std::collections::HashSet;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;
use unicode_normalization::UnicodeNormalization;

/// One word (or emoji, URL, mention) of a post.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Byte range in [`Text::folded`].
    pub folded: std::ops::Range<usize>,
    /// Byte range in the original text.
    pub original: std::ops::Range<usize>,
    pub kind: TokenKind,
    /// Written in capitals in the original ("NEVER"), at least two letters.
    pub shouted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Word,
    Number,
    Url,
    Mention,
    /// A word that came from a hashtag.
    Hashtag,
    Emoji,
    /// Sentence punctuation kept for sentiment: `!`, `?`, `.`, `,`, `;`, `:`.
    Punct,
}

/// A post's text, folded for matching.
#[derive(Debug, Clone, Default)]
pub struct Text {
    /// Normalized tokens joined by single spaces, with a leading and trailing space so
    /// that " phrase " finds whole words only.
    pub folded: String,
    pub tokens: Vec<Token>,
}

impl Text {
    pub fn new(original: &str) -> Text {
        let mut text = Text { folded: String::with_capacity(original.len() + 2), tokens: Vec::new() };
        text.folded.push(' ');
        let mut scratch = String::new();
        for (start, end) in raw_tokens(original) {
            text.push_raw(original, start, end, &mut scratch);
        }
        text
    }

    /// The folded word of a token.
    pub fn word(&self, token: &Token) -> &str {
        &self.folded[token.folded.clone()]
    }

    /// Words only (no punctuation, URLs or mentions), in order.
    pub fn words(&self) -> impl Iterator<Item = &str> + '_ {
        self.tokens
            .iter()
            .filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::Hashtag | TokenKind::Number))
            .map(|t| self.word(t))
    }

    /// True when the folded text contains `phrase` as whole words; `phrase` must already
    /// be folded (lower case, single spaces).
    pub fn has_phrase(&self, phrase: &str) -> bool {
        self.folded.match_indices(phrase).any(|(i, m)| self.is_whole_words(i..i + m.len()))
    }

    /// True when `range` of [`Text::folded`] starts and ends on word boundaries, so a
    /// match there is whole words ("off" in "off", not in "offer").
    pub fn is_whole_words(&self, range: std::ops::Range<usize>) -> bool {
        let bytes = self.folded.as_bytes();
        let before = range.start == 0 || bytes[range.start - 1] == b' ';
        let after = range.end >= bytes.len() || bytes[range.end] == b' ';
        before && after
    }

    fn push_raw(&mut self, original: &str, start: usize, end: usize, scratch: &mut String) {
        let raw = &original[start..end];
        let first = raw.chars().next().unwrap_or(' ');
        if raw.starts_with("http://") || raw.starts_with("https://") || raw.starts_with("www.") {
            return self.push_token(raw.to_lowercase().as_str(), start..end, TokenKind::Url, false);
        }
        if first == '@' && raw.len() > 1 {
            return self.push_token(&raw.to_lowercase(), start..end, TokenKind::Mention, false);
        }
        if first == '#' && raw.len() > 1 {
            for (s, e) in split_hashtag(&raw[1..]) {
                let (s, e) = (start + 1 + s, start + 1 + e);
                self.push_word(original, s, e, TokenKind::Hashtag, scratch);
            }
            return;
        }
        if is_emoji(first) {
            return self.push_token(raw, start..end, TokenKind::Emoji, false);
        }
        if let Some(canonical) = emoticon(raw) {
            return self.push_token(canonical, start..end, TokenKind::Emoji, false);
        }
        if raw.chars().all(|c| !c.is_alphanumeric()) {
            return self.push_token(raw, start..end, TokenKind::Punct, false);
        }
        let kind = if raw.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
            TokenKind::Number
        } else {
            TokenKind::Word
        };
        self.push_word(original, start, end, kind, scratch)
    }

    fn push_word(&mut self, original: &str, start: usize, end: usize, kind: TokenKind, scratch: &mut String) {
        let raw = &original[start..end];
        let letters = raw.chars().filter(|c| c.is_alphabetic()).count();
        let shouted = letters >= 2 && raw.chars().all(|c| !c.is_lowercase());
        scratch.clear();
        fold_word(raw, scratch);
        let expanded = slang(scratch).unwrap_or(scratch.as_str());
        // Slang can expand into two words ("gpp" → "tidak apa apa"); each becomes a token.
        for part in expanded.split(' ') {
            let from = self.folded.len();
            self.folded.push_str(part);
            let to = self.folded.len();
            self.folded.push(' ');
            self.tokens.push(Token { folded: from..to, original: start..end, kind, shouted });
        }
    }

    fn push_token(&mut self, folded: &str, original: std::ops::Range<usize>, kind: TokenKind, shouted: bool) {
        let from = self.folded.len();
        self.folded.push_str(folded);
        let to = self.folded.len();
        self.folded.push(' ');
        self.tokens.push(Token { folded: from..to, original, kind, shouted });
    }
}

/// NFKC, lower case, and runs of three or more of one letter squeezed to two.
fn fold_word(raw: &str, out: &mut String) {
    if raw.is_ascii() {
        // ASCII is its own NFKC form: skip the decomposition machinery.
        let (mut last, mut run) = (0u8, 0);
        for c in raw.bytes().map(|b| b.to_ascii_lowercase()) {
            if c == last {
                run += 1;
                if run >= 2 && c.is_ascii_alphabetic() {
                    continue;
                }
            } else {
                run = 0;
                last = c;
            }
            out.push(char::from(c));
        }
        return;
    }
    let mut last = '\0';
    let mut run = 0;
    for c in raw.nfkc().flat_map(char::to_lowercase) {
        // Curly apostrophes are folded so "don’t" matches "don't".
        let c = if c == '\u{2019}' || c == '\u{2018}' { '\'' } else { c };
        if c == last {
            run += 1;
            if run >= 2 && c.is_alphabetic() {
                continue;
            }
        } else {
            run = 0;
            last = c;
        }
        out.push(c);
    }
}

/// Splits a post into raw tokens: words (with inner apostrophes, hyphens and dots of
/// abbreviations), URLs, @mentions, #hashtags, emoji and sentence punctuation.
fn raw_tokens(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = s.char_indices().peekable();
    std::iter::from_fn(move || loop {
        let (start, c) = chars.next()?;
        if c.is_whitespace() || is_invisible(c) {
            continue;
        }
        let end_of = |chars: &mut std::iter::Peekable<std::str::CharIndices>, keep: &dyn Fn(char, char) -> bool| {
            let mut prev = c;
            let mut end = start + c.len_utf8();
            while let Some(&(i, n)) = chars.peek() {
                if !keep(prev, n) {
                    break;
                }
                end = i + n.len_utf8();
                prev = n;
                chars.next();
            }
            end
        };
        let rest = &s[start..];
        if rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("www.") {
            return Some((start, end_of(&mut chars, &|_, n| !n.is_whitespace())));
        }
        // An emoticon stands alone between spaces (":)", ":-D", "<3"), perhaps followed
        // by sentence punctuation (":)." → ":)" and ".").
        let second = rest.as_bytes().get(1).copied().unwrap_or(b' ');
        if c.is_ascii_punctuation() || (c.is_ascii_alphabetic() && (second.is_ascii_punctuation() || matches!((c, second), ('x' | 'X', b'd' | b'D')))) {
            let at_chunk_start = s[..start].chars().next_back().is_none_or(|p| p.is_whitespace() || is_invisible(p));
            let chunk = &rest[..rest.find(|c: char| c.is_whitespace() || is_invisible(c)).unwrap_or(rest.len())];
            if at_chunk_start && chunk.len() <= 12 {
                let mut candidate = chunk;
                loop {
                    if emoticon(candidate).is_some() {
                        let end = start + candidate.len();
                        while chars.peek().is_some_and(|&(i, _)| i < end) {
                            chars.next();
                        }
                        return Some((start, end));
                    }
                    match candidate.strip_suffix(['.', ',', '!', '?']) {
                        Some(shorter) if shorter.len() >= 2 => candidate = shorter,
                        _ => break,
                    }
                }
            }
        }
        if (c == '@' || c == '#') && chars.peek().is_some_and(|&(_, n)| n.is_alphanumeric() || n == '_') {
            let end = end_of(&mut chars, &|_, n| n.is_alphanumeric() || n == '_' || n == '.');
            // "@RSOmni." ends a sentence: the dot is not part of the handle.
            return Some((start, start + s[start..end].trim_end_matches('.').len()));
        }
        if c.is_alphanumeric() {
            let end = end_of(&mut chars, &|p, n| {
                n.is_alphanumeric() || is_mark(n) || ((n == '\'' || n == '\u{2019}' || n == '-' || n == '&') && p.is_alphanumeric())
            });
            // A word never ends in an apostrophe or hyphen ("patients'" → "patients").
            let trimmed = s[start..end].trim_end_matches(['\'', '\u{2019}', '-', '&']);
            return Some((start, start + trimmed.len()));
        }
        if is_emoji(c) {
            // Keep an emoji with its modifiers and joiners as one token.
            return Some((start, end_of(&mut chars, &|_, n| n == '\u{200d}' || n == '\u{fe0f}' || ('\u{1f3fb}'..='\u{1f3ff}').contains(&n))));
        }
        if matches!(c, '!' | '?' | '.' | ',' | ';' | ':') {
            return Some((start, end_of(&mut chars, &|_, n| matches!(n, '!' | '?' | '.'))));
        }
    })
}

/// Splits `HospitalParahVibes` or `rs_omni` into words, by case changes and underscores.
fn split_hashtag(tag: &str) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    for (i, c) in tag.char_indices() {
        if c == '_' {
            if i > start {
                parts.push((start, i));
            }
            start = i + 1;
            prev = None;
            continue;
        }
        if let Some(p) = prev {
            let boundary = (p.is_lowercase() && c.is_uppercase()) || (p.is_alphabetic() != c.is_alphabetic());
            if boundary && i > start {
                parts.push((start, i));
                start = i;
            }
        }
        prev = Some(c);
    }
    if start < tag.len() {
        parts.push((start, tag.len()));
    }
    parts
}

/// The canonical spelling of an emoticon (":-)))" → ":-)", ":P" stays ":P", "XD" → "xd"),
/// or None. The emoticons are those of VADER's lexicon (punctuation faces without a run
/// of letters, not starting with a digit) and a few common extras.
fn emoticon(chunk: &str) -> Option<&'static str> {
    static SET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
        let lexicon = include_str!("../../lexicons/en/vader_lexicon.txt");
        let mut set: HashSet<&'static str> = lexicon
            .lines()
            .filter_map(|l| l.split('\t').next())
            .filter(|k| {
                let b = k.as_bytes();
                b.len() >= 2
                    && k.is_ascii()
                    && !b[0].is_ascii_digit()
                    && b.iter().any(|c| b":;=()[]{}<>|\\/^*_".contains(c))
                    && !b.windows(2).any(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic())
            })
            .collect();
        set.extend(["xd", "xp", "^_^", "^-^", "^^", "-_-", "D:"]);
        set
    });
    if chunk.len() < 2 || chunk.len() > 12 || !chunk.is_ascii() {
        return None;
    }
    if chunk.contains('&') {
        // Posts from some APIs arrive HTML-escaped ("&lt;3", "&gt;:["): read the face
        // as it was written. Rare enough that the allocation does not matter.
        let decoded = chunk.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        return if decoded.len() < chunk.len() { emoticon(&decoded) } else { None };
    }
    if chunk.bytes().all(|b| b.is_ascii_alphanumeric()) {
        // Of the all-letter faces only "xD" ("XD", "xDDD").
        let b = chunk.as_bytes();
        let xd = b[0].eq_ignore_ascii_case(&b'x') && b[1..].iter().all(|c| c.eq_ignore_ascii_case(&b'd'));
        return xd.then_some("xd");
    }
    if let Some(&e) = SET.get(chunk) {
        return Some(e);
    }
    // Repeated mouths and noses: ":)))" → ":)"; case: "XD" → "xd", ":-P" → ":-p".
    let mut buf = [0u8; 12];
    let mut n = 0;
    for (i, &b) in chunk.as_bytes().iter().enumerate() {
        if i == 0 || b != chunk.as_bytes()[i - 1] {
            buf[n] = b;
            n += 1;
        }
    }
    let squeezed = std::str::from_utf8(&buf[..n]).ok()?;
    if let Some(&e) = SET.get(squeezed) {
        return Some(e);
    }
    buf[..n].make_ascii_lowercase();
    SET.get(std::str::from_utf8(&buf[..n]).ok()?).copied()
}

fn is_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036f}')
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

pub fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0x1F000..=0x1F2FF | 0x2B50 | 0x2B55)
}

/// Informal Indonesian and Malay spellings and their standard forms. Kept short and
/// unambiguous: a word that is also English ("ga", "yg" are not) stays out.
fn slang(word: &str) -> Option<&'static str> {
    // Every word of every post is looked up: one hash probe, not a chain of comparisons.
    static TABLE: LazyLock<FxHashMap<&'static str, &'static str>> =
        LazyLock::new(|| SLANG.iter().flat_map(|(forms, standard)| forms.iter().map(move |f| (*f, *standard))).collect());
    TABLE.get(word).copied()
}

/// The table of [`slang`]: informal forms → their standard form.
const SLANG: &[(&[&str], &str)] = &[
    (&["gak", "nggak", "ngga", "ga", "gk", "tdk", "engga", "enggak", "nda", "ndak", "gx", "kagak", "tak"], "tidak"),
    (&["bgt", "bngt", "bangettt"], "banget"),
    (&["yg", "yng"], "yang"),
    (&["dgn", "dg", "dng"], "dengan"),
    (&["blm", "blom", "belom"], "belum"),
    (&["udh", "udah", "sdh", "dah"], "sudah"),
    (&["sy", "aku", "gw", "gue", "gua"], "saya"),
    (&["krn", "karna", "soalnya"], "karena"),
    (&["tp", "tpi"], "tapi"),
    (&["jg"], "juga"),
    (&["lg"], "lagi"),
    (&["sm"], "sama"),
    (&["utk", "untk"], "untuk"),
    (&["bs", "bsa"], "bisa"),
    (&["aja", "aj"], "saja"),
    (&["gmn", "gimana"], "bagaimana"),
    (&["knp", "kenapa"], "mengapa"),
    (&["jd", "jdi"], "jadi"),
    (&["org"], "orang"),
    (&["lbh"], "lebih"),
    (&["msh", "masi"], "masih"),
    (&["bkn"], "bukan"),
    (&["gpp"], "tidak apa apa"),
    (&["trs", "trus"], "terus"),
    (&["pd"], "pada"),
    (&["dlm"], "dalam"),
    (&["skrg", "skrng"], "sekarang"),
    (&["kalo", "klo", "kl"], "kalau"),
    (&["emg", "emang"], "memang"),
    (&["mantab", "mantul"], "mantap"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        let t = Text::new(s);
        t.tokens.iter().map(|tok| t.word(tok).to_string()).collect()
    }

    #[test]
    fn folds_case_repeats_and_slang() {
        assert_eq!(words("Sooo GOOOD!!!"), ["soo", "good", "!!!"]);
        assert_eq!(words("pelayanan gak ramah bgt, lamaaa"), ["pelayanan", "tidak", "ramah", "banget", ",", "lamaa"]);
        assert_eq!(words("ﬁne"), ["fine"]); // NFKC ligature
    }

    #[test]
    fn keeps_urls_mentions_and_splits_hashtags() {
        let t = Text::new("@RSOmni see https://x.co/a?b=1 #WorstHospitalEver #rs_omni");
        let kinds: Vec<_> = t.tokens.iter().map(|t| t.kind).collect();
        assert_eq!(kinds[0], TokenKind::Mention);
        assert_eq!(kinds[2], TokenKind::Url);
        assert_eq!(words("#WorstHospitalEver #rs_omni"), ["worst", "hospital", "ever", "rs", "omni"]);
    }

    #[test]
    fn spans_point_into_the_original() {
        let s = "Dr. Grace was RUDE 😡";
        let t = Text::new(s);
        let rude = t.tokens.iter().find(|tok| t.word(tok) == "rude").unwrap();
        assert_eq!(&s[rude.original.clone()], "RUDE");
        assert!(rude.shouted);
        assert_eq!(t.tokens.last().unwrap().kind, TokenKind::Emoji);
    }

    #[test]
    fn phrases_match_whole_words_only() {
        let t = Text::new("Nobody came, still waiting");
        assert!(t.has_phrase("still waiting"));
        assert!(!t.has_phrase("came still"));
        assert!(!t.has_phrase("wait"));
    }

    #[test]
    fn emoticons_are_tokens_of_their_own() {
        let t = Text::new("great :) see you :-))) XD <3");
        let emoticons: Vec<_> = t.tokens.iter().filter(|tok| tok.kind == TokenKind::Emoji).map(|tok| t.word(tok)).collect();
        assert_eq!(emoticons, [":)", ":-)", "xd", "<3"]);
        assert_eq!(words("so sad :(. bye"), ["so", "sad", ":(", ".", "bye"]);
        assert_eq!(words("lost it D:"), ["lost", "it", "D:"]);
        // HTML-escaped faces, as some APIs send them.
        let t = Text::new("love you &lt;3 but &gt;:[ and &amp;");
        let faces: Vec<_> = t.tokens.iter().filter(|tok| tok.kind == TokenKind::Emoji).map(|tok| t.word(tok)).collect();
        assert_eq!(faces, ["<3", ">:["]);
        // Not faces: times, parentheses, punctuation runs.
        assert_eq!(words("at 10:30 (see above)..."), ["at", "10", ":", "30", "see", "above", "..."]);
        assert!(Text::new("ok :").tokens.iter().all(|tok| tok.kind != TokenKind::Emoji));
    }

    #[test]
    fn invisible_characters_do_not_split_or_panic() {
        assert_eq!(words("ru\u{200b}de"), ["ru", "de"]);
        assert!(Text::new("").tokens.is_empty());
        assert!(Text::new("\u{202e}\u{200f}").tokens.is_empty());
    }
}

//! The story index: which open story a new post continues, answered from memory.
//!
//! Every post that may take part in a case is compared with the open stories of the
//! entities it names. Looking this up in SQLite for every post (all posts of all open
//! cases of the entity) made the case store quadratic in the size of its stories; this
//! index keeps, per open story, what the matching needs and finds candidates through
//! hash maps, so the cost per post no longer grows with the stories' size:
//!
//! - **explicit references**: a reply to one of the story's posts (`reply_to`), or a link
//!   to one of them in the text (a quote: `…/status/<id>`, a news article's URL);
//! - **reshares and mentions**: "RT @author" or an @mention of someone who wrote in the
//!   story (the hospital's own handles aside: they are entity aliases, not story authors);
//! - **the same author** again about the same entity;
//! - **near-duplicates**: SimHash within [`STORY_NEAR_BITS`] of one of the story's texts
//!   (copy-paste with a line in front, a translation kept close);
//! - **the same topic in new words**: the post's distinctive terms (weighted by inverse
//!   document frequency over the recent stream, entity names left out) are mostly terms
//!   the story already uses — "#SaveLaras", "somasi", "hasil lab", the patient's name.
//!
//! Scope: a story is found through every hospital, clinician or keyword its posts named,
//! so a post naming only the hospital still finds the story opened under its clinician.
//! The index is rebuilt from the store when it opens ([`crate::sinks::CaseStore::open`])
//! and after a failed batch, so it never disagrees with what is committed. What it holds
//! depends only on the posts stored — never on when the process started or last pruned —
//! so a run killed and restarted builds the very cases an uninterrupted run builds:
//! stories stay joinable while their last post is within [`STORY_HORIZON_DAYS`] of the
//! newest post, and term statistics cover the month before the newest post.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::core::normalize::TokenKind;
use crate::core::Text;
use crate::model::{Assessment, EntityKind, Post};

/// SimHash bits within which a post counts as the same text as a story's post. Looser than
/// the noise filter's: a quote with a few words of commentary still belongs to the story.
pub const STORY_NEAR_BITS: u32 = 12;
/// A story stays joinable this long after its last post.
pub const STORY_WINDOW_DAYS: i64 = 14;
const WINDOW_SECS: i64 = STORY_WINDOW_DAYS * 86_400;
/// Posts arrive late — a backfill, a replay, a connector catching up after an outage —
/// and still join the story of their days: a story stays in memory while its last post
/// is at most this long before the newest post seen, and is forgotten after.
pub const STORY_HORIZON_DAYS: i64 = 90;
const HORIZON_SECS: i64 = STORY_HORIZON_DAYS * 86_400;
/// Term statistics (how distinctive a word is) cover the posts of this many days before
/// the newest post: a month of the stream, so that a week's burst of one story does not
/// make its own words look common, at a bounded memory (per day, the day's vocabulary).
const TERM_WINDOW_DAYS: i64 = 30;
const DAY_SECS: i64 = 86_400;

/// Share of a post's distinctive-term weight the story must already use…
const TOPIC_COVERAGE: f32 = 0.4;
/// …and the least summed weight of the shared terms (about two rare words), so that a
/// short post sharing one word is not "the same topic".
const TOPIC_MIN_SHARED: f32 = 6.0;
/// A story term counts fully once this many of the story's posts used it: what a story
/// keeps repeating (the patient's name, "somasi", a hashtag) is what it is about, while
/// the many words of one long post are not (or every complaint about fevers at the same
/// hospital would join the first long post that mentioned a fever).
const TERM_RECURS: f32 = 3.0;
/// The same author again joins their story when the post shares at least this much of
/// the topic; a regular poster's unrelated complaint does not.
const AUTHOR_COVERAGE: f32 = 0.2;
const AUTHOR_MIN_SHARED: f32 = 3.0;
/// Terms in more than this share of recent posts say nothing about a story ("pasien",
/// "the"); they are neither weighed nor looked up.
const COMMON_TERM_SHARE: f32 = 0.08;
/// Documents seen before IDF weights are trusted for topic matching.
const MIN_DOCS_FOR_TOPIC: u32 = 50;
/// Per story, at most this many distinct texts (SimHashes) and terms are remembered.
const STORY_SIMHASHES: usize = 256;
const STORY_TERMS: usize = 4_096;
/// Bits of a SimHash band used as a lookup key (four bands of 16 bits).
const BAND_BITS: u32 = 16;
/// Stories that ended before the newest post by more than the window are dropped from
/// memory every this many posts.
const PRUNE_EVERY: u32 = 20_000;

/// What the story matching needs to know about a post, computed once.
#[derive(Debug, Clone)]
pub struct PostFeatures {
    pub uid: String,
    pub simhash: u64,
    pub author: Option<String>,
    /// Hospitals, clinicians and keywords the post names (ids).
    pub scope: Vec<String>,
    /// Distinctive words and hashtags, lower case, entity names left out, deduplicated.
    pub terms: Vec<String>,
    /// Handles the post mentions or reshares ("RT @x"), lower case, without "@".
    pub mentions: Vec<String>,
    /// References to other posts: `reply_to` (as a uid) and links in the text.
    pub references: Vec<String>,
    /// How the post itself can be referred to: its uid, URL and network id.
    pub names: Vec<String>,
    pub reach: u64,
    pub at: i64,
}

impl PostFeatures {
    pub fn of(post: &Post, assessment: &Assessment, text: &Text, at: i64) -> PostFeatures {
        let source = post.source.unwrap_or(crate::model::Source::Replay).as_str();
        let in_entity = |r: &std::ops::Range<usize>| assessment.entities.iter().any(|e| r.start < e.end && e.start < r.end);
        let entity_words: HashSet<String> =
            assessment.entities.iter().flat_map(|e| Text::new(&e.matched).words().map(str::to_string).collect::<Vec<_>>()).collect();
        let mut terms = Vec::new();
        let mut mentions = Vec::new();
        let mut references = Vec::new();
        for token in &text.tokens {
            let original = post.text.get(token.original.clone()).unwrap_or_default();
            match token.kind {
                TokenKind::Word | TokenKind::Hashtag => {
                    let w = text.word(token);
                    if w.chars().count() >= 3 && !in_entity(&token.original) && !entity_words.contains(w) {
                        let term = if token.kind == TokenKind::Hashtag && original.starts_with('#') {
                            format!("#{}", original.trim_start_matches('#').to_lowercase())
                        } else {
                            w.to_string()
                        };
                        terms.push(term);
                    }
                }
                TokenKind::Mention if !in_entity(&token.original) => {
                    let handle = person_key(original);
                    if !handle.is_empty() {
                        mentions.push(handle);
                    }
                }
                TokenKind::Url => references.extend(link_names(original)),
                _ => {}
            }
        }
        terms.sort_unstable();
        terms.dedup();
        mentions.sort_unstable();
        mentions.dedup();
        if let Some(parent) = &post.reply_to {
            references.push(format!("{source}:{parent}"));
        }
        let uid = post.uid();
        let mut names = vec![uid.clone()];
        if let Some(url) = &post.url {
            names.extend(link_names(url));
        }
        if post.id.len() >= 8 {
            names.push(post.id.clone());
        }
        names.sort_unstable();
        names.dedup();
        let scope = assessment
            .entities
            .iter()
            .filter(|e| matches!(e.kind, EntityKind::Hospital | EntityKind::Clinician | EntityKind::Keyword))
            .map(|e| e.id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        PostFeatures {
            uid,
            simhash: crate::core::noise::simhash(text),
            author: post.author.as_ref().and_then(|a| a.handle.as_deref().or(a.id.as_deref())).map(person_key).filter(|k| !k.is_empty()),
            scope,
            terms,
            mentions,
            references,
            names,
            reach: post.reach(),
            at,
        }
    }
}

/// One key for a person across networks: "Laras Pramesti" on Facebook, "@laraspramesti"
/// on X and "laraspramesti:" in "RT @laraspramesti:" are the same person to a reader.
fn person_key(handle: &str) -> String {
    let name = handle.split('@').find(|p| !p.is_empty()).unwrap_or_default(); // "nadia_k@mastodon.social" → "nadia_k"
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The keys a link can be looked up by: the URL without scheme, query or trailing slash,
/// and its last path segment when it looks like a post id (long enough to be unique).
fn link_names(url: &str) -> Vec<String> {
    let trimmed = url.trim_end_matches(|c: char| matches!(c, '.' | ',' | ')' | '!' | '?' | '…'));
    let no_scheme = trimmed.split_once("://").map_or(trimmed, |(_, rest)| rest);
    let no_query = no_scheme.split(['?', '#']).next().unwrap_or_default().trim_end_matches('/');
    let mut names = Vec::new();
    if no_query.contains('/') {
        names.push(no_query.to_lowercase());
        if let Some(last) = no_query.rsplit('/').next() {
            if last.len() >= 8 {
                names.push(last.to_string());
            }
        }
    }
    names
}

/// Why a post joins a story, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum JoinReason {
    Reference,
    Reshare,
    NearDuplicate,
    SameAuthor,
    Topic,
}

impl JoinReason {
    pub fn as_str(self) -> &'static str {
        match self {
            JoinReason::Reference => "reply or quote",
            JoinReason::Reshare => "reshare or mention",
            JoinReason::NearDuplicate => "near-duplicate",
            JoinReason::SameAuthor => "same author",
            JoinReason::Topic => "same topic",
        }
    }
}

/// How far a story has spread, as the index counts it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpreadCount {
    pub authors: u32,
    pub authors_last_hour: u32,
    pub reach: u64,
}

struct Story {
    case_id: String,
    scope: HashSet<String>,
    last_at: i64,
    simhashes: Vec<u64>,
    /// Author → (largest reach seen, time of their latest post).
    authors: HashMap<String, (u64, i64)>,
    /// Term → number of the story's posts that use it.
    terms: HashMap<String, u32>,
}

impl Story {
    fn spread(&self, at: i64) -> SpreadCount {
        SpreadCount {
            authors: self.authors.len() as u32,
            authors_last_hour: self.authors.values().filter(|(_, t)| *t > at - 3600 && *t <= at).count() as u32,
            reach: self.authors.values().map(|(r, _)| r).sum(),
        }
    }
}

/// Open stories in memory, with lookups by entity, reference, author, term and SimHash band.
#[derive(Default)]
pub struct StoryIndex {
    stories: Vec<Option<Story>>,
    by_case: HashMap<String, usize>,
    by_scope: HashMap<String, Vec<usize>>,
    by_name: HashMap<String, usize>,
    by_author: HashMap<String, Vec<usize>>,
    by_term: HashMap<String, Vec<usize>>,
    by_band: HashMap<(u8, u16), Vec<usize>>,
    terms: TermStats,
    /// The newest post seen (stored), by its own time.
    newest: i64,
    since_prune: u32,
}

/// Document frequencies of terms over the posts that name an entity, per day, summed over
/// the month before the newest post (older days are subtracted as it moves).
#[derive(Default)]
struct TermStats {
    days: BTreeMap<i64, DayTerms>,
    df: HashMap<String, u32>,
    docs: u32,
}

#[derive(Default)]
struct DayTerms {
    docs: u32,
    df: HashMap<String, u32>,
}

impl TermStats {
    fn add(&mut self, day: i64, terms: &[String]) {
        let bucket = self.days.entry(day).or_default();
        bucket.docs += 1;
        self.docs += 1;
        for t in terms {
            *bucket.df.entry(t.clone()).or_default() += 1;
            *self.df.entry(t.clone()).or_default() += 1;
        }
    }

    /// Forgets the days before `first_day`.
    fn expire(&mut self, first_day: i64) {
        while let Some(entry) = self.days.first_entry() {
            if *entry.key() >= first_day {
                break;
            }
            let old = entry.remove();
            self.docs -= old.docs;
            for (t, n) in old.df {
                if let Some(total) = self.df.get_mut(&t) {
                    *total -= n;
                    if *total == 0 {
                        self.df.remove(&t);
                    }
                }
            }
        }
    }
}

impl StoryIndex {
    pub fn new() -> StoryIndex {
        StoryIndex::default()
    }

    pub fn len(&self) -> usize {
        self.by_case.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_case.is_empty()
    }

    /// Moves the index's clock to a stored post's time (every stored post, relevant or
    /// not, so that the clock is the newest post in the store): term statistics of days
    /// that left the window are dropped, and now and then stories past the horizon.
    pub fn advance(&mut self, at: i64) {
        if at > self.newest {
            self.newest = at;
            self.terms.expire(self.first_term_day());
        }
        self.since_prune += 1;
        if self.since_prune >= PRUNE_EVERY {
            self.prune();
        }
    }

    /// The newest post's time, as [`StoryIndex::advance`] saw it.
    pub fn newest(&self) -> i64 {
        self.newest
    }

    /// The first day whose posts count in the term statistics.
    fn first_term_day(&self) -> i64 {
        self.newest.div_euclid(DAY_SECS) - TERM_WINDOW_DAYS
    }

    /// The start of the first day whose posts count in the term statistics (the rebuild
    /// reads the posts from there).
    pub fn term_window_start(&self) -> i64 {
        self.first_term_day() * DAY_SECS
    }

    /// The oldest last post a story in memory may have (the rebuild loads cases from there).
    pub fn horizon_start(&self) -> i64 {
        self.newest - HORIZON_SECS
    }

    /// Counts a post's terms in the document frequencies (every post that names an entity);
    /// a late post from a day that already left the window counts no more.
    pub fn observe(&mut self, post: &PostFeatures) {
        self.advance(post.at);
        let day = post.at.div_euclid(DAY_SECS);
        if day >= self.first_term_day() {
            self.terms.add(day, &post.terms);
        }
    }

    fn idf(&self, term: &str) -> Option<f32> {
        let df = *self.terms.df.get(term).unwrap_or(&0) as f32;
        let n = self.terms.docs.max(1) as f32;
        if df / n > COMMON_TERM_SHARE {
            return None;
        }
        Some(((n + 1.0) / (df + 1.0)).ln() + 1.0)
    }

    /// The open stories this post continues, best first, with why. Stories whose last post
    /// is older than the window are skipped.
    pub fn find(&self, post: &PostFeatures) -> Vec<(String, JoinReason)> {
        let mut found: HashMap<usize, (JoinReason, f32)> = HashMap::new();
        // Within the post's window, and not past the horizon: whether `prune` has run yet
        // must not change the answer.
        let oldest = (post.at - WINDOW_SECS).max(self.newest - HORIZON_SECS);
        let live = |i: usize| self.stories[i].as_ref().filter(|s| s.last_at >= oldest);
        let mut note = |i: usize, reason: JoinReason, score: f32| {
            let e = found.entry(i).or_insert((reason, score));
            if (reason, -score) < (e.0, -e.1) {
                *e = (reason, score);
            }
        };
        for r in &post.references {
            if let Some(&i) = self.by_name.get(r) {
                if live(i).is_some() {
                    note(i, JoinReason::Reference, 0.0);
                }
            }
        }
        let in_scope = |s: &Story| post.scope.iter().any(|e| s.scope.contains(e));
        for m in &post.mentions {
            for &i in self.by_author.get(m).into_iter().flatten() {
                if live(i).is_some_and(in_scope) {
                    note(i, JoinReason::Reshare, 0.0);
                }
            }
        }
        // Near-duplicates, same topic: candidates share a band of their SimHash, a
        // distinctive term or the author.
        let mut candidates: HashSet<usize> = HashSet::new();
        if let Some(a) = &post.author {
            candidates.extend(self.by_author.get(a).into_iter().flatten());
        }
        for (b, key) in bands(post.simhash) {
            candidates.extend(self.by_band.get(&(b, key)).into_iter().flatten());
        }
        let weights: Vec<(&str, f32)> = post.terms.iter().filter_map(|t| self.idf(t).map(|w| (t.as_str(), w))).collect();
        for (t, _) in &weights {
            candidates.extend(self.by_term.get(*t).into_iter().flatten());
        }
        let total: f32 = weights.iter().map(|(_, w)| w).sum();
        for i in candidates {
            let Some(story) = live(i).filter(|s| in_scope(s)) else { continue };
            if story.simhashes.iter().any(|h| (h ^ post.simhash).count_ones() <= STORY_NEAR_BITS) {
                note(i, JoinReason::NearDuplicate, 0.0);
                continue;
            }
            if self.terms.docs < MIN_DOCS_FOR_TOPIC || total <= 0.0 {
                continue;
            }
            let shared: f32 = weights
                .iter()
                .filter_map(|(t, w)| story.terms.get(*t).map(|&n| w * (n as f32 / TERM_RECURS).min(1.0)))
                .sum();
            let coverage = shared / total;
            let same_author = post.author.as_ref().is_some_and(|a| story.authors.contains_key(a));
            if coverage >= TOPIC_COVERAGE && shared >= TOPIC_MIN_SHARED {
                note(i, JoinReason::Topic, coverage);
            } else if same_author {
                // The author's own words need not recur to be their story: an update
                // ("still no medical records, qzmarker7") shares a few rare words with
                // their first post, and that is enough from the same person.
                let own: f32 = weights.iter().filter(|(t, _)| story.terms.contains_key(*t)).map(|(_, w)| w).sum();
                if own / total >= AUTHOR_COVERAGE && own >= AUTHOR_MIN_SHARED {
                    note(i, JoinReason::SameAuthor, own / total);
                }
            }
        }
        let mut out: Vec<(usize, JoinReason, f32)> = found.into_iter().map(|(i, (r, s))| (i, r, s)).collect();
        // Strongest reason first; then the best topic match; then the most recent story.
        out.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then(b.2.total_cmp(&a.2))
                .then_with(|| self.stories[b.0].as_ref().map(|s| s.last_at).cmp(&self.stories[a.0].as_ref().map(|s| s.last_at)))
        });
        out.into_iter().filter_map(|(i, r, _)| self.stories[i].as_ref().map(|s| (s.case_id.clone(), r))).collect()
    }

    /// Adds a post to the story of `case_id` (opening the story if new); returns its spread.
    pub fn add(&mut self, case_id: &str, post: &PostFeatures) -> SpreadCount {
        let i = match self.by_case.get(case_id) {
            Some(&i) => i,
            None => {
                let i = self.stories.len();
                self.stories.push(Some(Story {
                    case_id: case_id.to_string(),
                    scope: HashSet::new(),
                    last_at: post.at,
                    simhashes: Vec::new(),
                    authors: HashMap::new(),
                    terms: HashMap::new(),
                }));
                self.by_case.insert(case_id.to_string(), i);
                i
            }
        };
        let story = self.stories[i].as_mut().expect("indexed stories exist");
        story.last_at = story.last_at.max(post.at);
        for e in &post.scope {
            if story.scope.insert(e.clone()) {
                self.by_scope.entry(e.clone()).or_default().push(i);
            }
        }
        if !story.simhashes.contains(&post.simhash) {
            if story.simhashes.len() >= STORY_SIMHASHES {
                story.simhashes.remove(0);
            }
            story.simhashes.push(post.simhash);
            for key in bands(post.simhash) {
                push_unique(self.by_band.entry(key).or_default(), i);
            }
        }
        if let Some(a) = &post.author {
            let e = story.authors.entry(a.clone()).or_insert_with(|| {
                push_unique(self.by_author.entry(a.clone()).or_default(), i);
                (0, i64::MIN)
            });
            e.0 = e.0.max(post.reach);
            e.1 = e.1.max(post.at);
        }
        for t in &post.terms {
            if let Some(n) = story.terms.get_mut(t) {
                *n += 1;
            } else if story.terms.len() < STORY_TERMS {
                story.terms.insert(t.clone(), 1);
                self.by_term.entry(t.clone()).or_default().push(i);
            }
        }
        for n in &post.names {
            self.by_name.insert(n.clone(), i);
        }
        story.spread(post.at)
    }

    /// How far the story of `case_id` has spread as of `at`, if the index holds it.
    pub fn spread(&self, case_id: &str, at: i64) -> Option<SpreadCount> {
        let i = *self.by_case.get(case_id)?;
        self.stories[i].as_ref().map(|s| s.spread(at))
    }

    /// Forgets a story (closed, merged away, or found closed by another process).
    pub fn remove(&mut self, case_id: &str) {
        if let Some(i) = self.by_case.remove(case_id) {
            self.stories[i] = None; // lookups skip empty slots; `prune` compacts them
        }
    }

    /// Drops stories past the horizon, and the lookups that point at them.
    fn prune(&mut self) {
        self.since_prune = 0;
        let cutoff = self.newest - HORIZON_SECS;
        let stale: Vec<String> =
            self.stories.iter().flatten().filter(|s| s.last_at < cutoff).map(|s| s.case_id.clone()).collect();
        for id in stale {
            self.remove(&id);
        }
        let alive = |i: &usize| self.stories[*i].is_some();
        self.by_scope.values_mut().for_each(|v| v.retain(alive));
        self.by_author.values_mut().for_each(|v| v.retain(alive));
        self.by_term.values_mut().for_each(|v| v.retain(alive));
        self.by_band.values_mut().for_each(|v| v.retain(alive));
        self.by_name.retain(|_, i| alive(i));
        self.by_scope.retain(|_, v| !v.is_empty());
        self.by_author.retain(|_, v| !v.is_empty());
        self.by_term.retain(|_, v| !v.is_empty());
        self.by_band.retain(|_, v| !v.is_empty());
    }
}

fn push_unique(v: &mut Vec<usize>, i: usize) {
    if v.last() != Some(&i) && !v.contains(&i) {
        v.push(i);
    }
}

fn bands(h: u64) -> impl Iterator<Item = (u8, u16)> {
    (0..64 / BAND_BITS).map(move |b| (b as u8, (h >> (b * BAND_BITS)) as u16))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(uid: &str, text: &str, author: &str, at: i64) -> PostFeatures {
        let t = Text::new(text);
        PostFeatures {
            uid: uid.into(),
            simhash: crate::core::noise::simhash(&t),
            author: Some(author.into()),
            scope: vec!["zenith".into()],
            terms: t.words().filter(|w| w.len() >= 3).map(str::to_string).collect::<HashSet<_>>().into_iter().collect(),
            mentions: vec![],
            references: vec![],
            names: vec![uid.into()],
            reach: 100,
            at,
        }
    }

    /// A background of unrelated posts, so that common words weigh little.
    fn background(index: &mut StoryIndex) {
        for i in 0..200 {
            let text = format!("pelayanan rumah sakit antri lama sekali hari ini nomor{i} kamar{}", i % 7);
            index.observe(&features(&format!("x:b{i}"), &text, &format!("u{i}"), 500));
        }
    }

    #[test]
    fn people_are_one_key_across_networks() {
        assert_eq!(person_key("Laras Pramesti"), "laraspramesti");
        assert_eq!(person_key("@LarasPramesti:"), "laraspramesti");
        assert_eq!(person_key("nadia_k@mastodon.social"), "nadiak");
    }

    #[test]
    fn links_name_posts_by_url_and_id() {
        let names = link_names("https://x.com/laraspramesti/status/1897647578328964305?s=20");
        assert!(names.contains(&"x.com/laraspramesti/status/1897647578328964305".to_string()));
        assert!(names.contains(&"1897647578328964305".to_string()));
        assert!(link_names("https://example.com").is_empty(), "a bare site is no post");
    }

    #[test]
    fn replies_reshares_authors_and_near_duplicates_find_the_story() {
        let mut index = StoryIndex::new();
        background(&mut index);
        let first = features("x:1", "dokter salah diagnosa demam berdarah hasil lab ditolak", "laras", 1_000);
        index.add("case-a", &first);
        let mut reply = features("x:2", "kok bisa begitu", "dina", 1_100);
        reply.references = vec!["x:1".into()];
        assert_eq!(index.find(&reply), vec![("case-a".to_string(), JoinReason::Reference)]);
        let mut rt = features("x:3", "sabar ya", "bimo", 1_200);
        rt.mentions = vec!["laras".into()];
        assert_eq!(index.find(&rt)[0].1, JoinReason::Reshare);
        let again = features("x:4", "akhirnya hasil lab keluar, diagnosa salah", "laras", 1_300);
        assert_eq!(index.find(&again)[0].1, JoinReason::SameAuthor);
        let unrelated = features("x:4b", "cuaca cerah sekali, jalan pagi", "laras", 1_300);
        assert!(index.find(&unrelated).is_empty(), "the same author on another subject is another story");
        let copy = features("x:5", "tolong sebarkan dokter salah diagnosa demam berdarah hasil lab ditolak", "rani", 1_400);
        assert_eq!(index.find(&copy)[0].1, JoinReason::NearDuplicate);
        let mut elsewhere = copy.clone();
        elsewhere.scope = vec!["another-hospital".into()];
        assert!(index.find(&elsewhere).is_empty(), "a story is found only through the entities it named");
        let late = features("x:6", "tolong sebarkan dokter salah diagnosa demam berdarah hasil lab ditolak", "rani", 1_000 + WINDOW_SECS + 1);
        assert!(index.find(&late).is_empty(), "a story ends after its window");
    }

    #[test]
    fn new_wording_joins_by_distinctive_terms_but_a_different_complaint_does_not() {
        let mut index = StoryIndex::new();
        background(&mut index);
        // A story that keeps repeating its words: what it is about.
        for (i, author) in ["laras", "bima", "rani"].iter().enumerate() {
            let story = features(&format!("x:s{i}"), "laras disomasi pengacara setelah cerita salah diagnosa, #savelaras", author, 1_000);
            index.observe(&story);
            index.add("case-a", &story);
        }
        let supporter = features("x:2", "laras disomasi pengacara rumah sakit? cabut somasinya! #savelaras", "ibu", 2_000);
        assert_eq!(index.find(&supporter).first().map(|f| f.1), Some(JoinReason::Topic));
        let other = features("x:3", "antri obat lama sekali, pelayanan farmasi lambat kamar3", "someone", 2_000);
        assert!(index.find(&other).is_empty(), "{:?}", index.find(&other));
    }
}

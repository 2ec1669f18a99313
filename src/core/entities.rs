//! Finding the hospitals, clinicians and departments a post names.
//!
//! Every alias of the entities file is folded (lower case, diacritics removed) into one
//! aho-corasick automaton run leftmost-longest over the folded post, so "RS Omni Alam
//! Sutera" wins over "RS Omni" and "Rumah Sakit" is found in "RUMAH SAKIT". A match
//! counts only on word boundaries. Spans are mapped back to byte offsets in the original
//! text. Three rules keep ambiguous names honest:
//! - an alias of an entity with `context` words counts only with one of them nearby
//!   ("Omni headphones" is not the hospital);
//! - a clinician's bare name counts only after a title (dr., dokter, …) or when the
//!   post also names a hospital; aliases that carry the title ("dr. Grace") count alone;
//! - short all-capital aliases ("ER", "IGD") match only in capitals.

use std::collections::HashSet;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use crate::model::{EntityKind, EntityMatch};

/// The entities file a hospital edits (DESIGN.md, "Entities").
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitiesFile {
    #[serde(default)]
    pub hospital: Vec<HospitalDef>,
    #[serde(default)]
    pub clinician: Vec<ClinicianDef>,
    #[serde(default)]
    pub department: Vec<DepartmentDef>,
    /// Extra terms that make a post relevant on their own (a campaign, a brand).
    #[serde(default)]
    pub keyword: Vec<KeywordDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HospitalDef {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// When set, an alias counts only when one of these words is near it.
    #[serde(default)]
    pub context: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicianDef {
    pub id: String,
    pub name: String,
    /// Id of the clinician's hospital.
    #[serde(default)]
    pub hospital: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentDef {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordDef {
    pub id: String,
    pub aliases: Vec<String>,
}

impl EntitiesFile {
    pub fn load(path: &Path) -> anyhow::Result<EntitiesFile> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!("cannot read the entities file {}: {e}; set core.entities in the config or pass --entities FILE", path.display())
        })?;
        let file: EntitiesFile = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("the entities file {} is not valid: {e}", path.display()))?;
        let problems = file.problems();
        if !problems.is_empty() {
            anyhow::bail!("the entities file {} has problems:\n  {}", path.display(), problems.join("\n  "));
        }
        Ok(file)
    }

    /// Everything wrong with the file, each with what to do about it.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let hospitals: HashSet<&str> = self.hospital.iter().map(|h| h.id.as_str()).collect();
        let mut check_id = |kind: &str, id: &str| {
            if id.trim().is_empty() {
                out.push(format!("a [[{kind}]] has an empty id; give it a short stable id such as \"st-carolus\""));
            } else if !seen.insert((kind.to_string(), id.to_string())) {
                out.push(format!("[[{kind}]] id \"{id}\" appears twice; ids must be unique"));
            }
        };
        for h in &self.hospital {
            check_id("hospital", &h.id);
        }
        for c in &self.clinician {
            check_id("clinician", &c.id);
        }
        for d in &self.department {
            check_id("department", &d.id);
        }
        for k in &self.keyword {
            check_id("keyword", &k.id);
        }
        for c in &self.clinician {
            if let Some(h) = &c.hospital {
                if !hospitals.contains(h.as_str()) {
                    out.push(format!("clinician \"{}\" names hospital \"{h}\", which no [[hospital]] has as id", c.id));
                }
            }
        }
        for d in &self.department {
            if d.aliases.iter().all(|a| fold(a).trim().is_empty()) {
                out.push(format!("department \"{}\" has no aliases; add the names patients use for it", d.id));
            }
        }
        out
    }
}

/// What one automaton pattern stands for.
#[derive(Debug, Clone)]
struct Pattern {
    kind: EntityKind,
    /// Index into `EntityMatcher::ids`.
    entity: usize,
    rule: Rule,
    /// Short all-caps alias such as "ER": must appear in capitals.
    exact_case: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    /// Counts alone.
    Always,
    /// Counts only with one of the entity's context words nearby.
    NeedsContext,
    /// A clinician's bare name: needs a title before it or a hospital in the post.
    NeedsTitleOrHospital,
}

pub struct EntityMatcher {
    automaton: AhoCorasick,
    patterns: Vec<Pattern>,
    ids: Vec<String>,
    /// Folded context words per entity index (empty for most).
    context: Vec<Vec<String>>,
    /// Hospital id of each clinician, by entity index.
    clinician_hospital: Vec<Option<String>>,
}

/// Result of matching one post.
#[derive(Debug, Default)]
pub struct Found {
    pub matches: Vec<EntityMatch>,
    /// An alias appeared but its context rule failed: the post is about something else
    /// that shares the name.
    pub ambiguous: bool,
}

const TITLES: &[&str] = &["dr", "dr.", "dokter", "doctor", "doktor", "prof", "prof.", "professor", "nurse", "suster", "perawat", "bidan", "ns", "ns.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "sr", "sr."];
const CONTEXT_WINDOW_WORDS: usize = 6;
/// Up to this many folded aliases the entity automaton is a DFA (see [`EntityMatcher::new`]).
const DFA_MAX_PATTERNS: usize = 5_000;

impl EntityMatcher {
    pub fn new(file: &EntitiesFile) -> anyhow::Result<EntityMatcher> {
        let mut folded_patterns: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut ids = Vec::new();
        let mut context = Vec::new();
        let mut clinician_hospital = Vec::new();
        let mut add = |kind: EntityKind, id: &str, ctx: &[String], hospital: Option<String>, terms: Vec<(String, Rule)>| {
            let entity = ids.len();
            ids.push(id.to_string());
            context.push(ctx.iter().map(|c| fold(c)).filter(|c| !c.is_empty()).collect());
            clinician_hospital.push(hospital);
            // Folded form → its pattern, so that one form listed twice (an explicit
            // "#RSZenith" and the compact form of "RS Zenith") keeps the laxer rule,
            // whatever the order of the aliases.
            let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
            for (term, rule) in terms {
                let folded = fold(&term);
                let trimmed = folded.trim();
                if trimmed.is_empty() {
                    continue;
                }
                let exact_case = is_short_acronym(&term).then(|| term.trim().to_string());
                let mut variants = vec![trimmed.to_string()];
                // Hashtags and handles write names without spaces: "#RSOmni", "@rsomni".
                let compact: String = trimmed.chars().filter(|c| c.is_alphanumeric()).collect();
                if compact.chars().count() >= 4 && !trimmed.starts_with(['@', '#']) {
                    variants.push(format!("#{compact}"));
                    variants.push(format!("@{compact}"));
                }
                for v in variants {
                    match seen.get(&v) {
                        Some(&i) if rule == Rule::Always => patterns[i].rule = Rule::Always,
                        Some(_) => {}
                        None => {
                            seen.insert(v.clone(), patterns.len());
                            folded_patterns.push(v);
                            patterns.push(Pattern { kind, entity, rule, exact_case: exact_case.clone() });
                        }
                    }
                }
            }
        };
        for h in &file.hospital {
            let alias_rule = if h.context.is_empty() { Rule::Always } else { Rule::NeedsContext };
            let mut terms = vec![(h.name.clone(), Rule::Always)];
            // A handle or hashtag is the hospital's own: no context needed.
            terms.extend(h.aliases.iter().map(|a| (a.clone(), if a.starts_with(['@', '#']) { Rule::Always } else { alias_rule })));
            add(EntityKind::Hospital, &h.id, &h.context, None, terms);
        }
        for c in &file.clinician {
            let mut terms = vec![(c.name.clone(), Rule::NeedsTitleOrHospital)];
            terms.extend(c.aliases.iter().map(|a| {
                let titled = TITLES.contains(&fold(a).split_whitespace().next().unwrap_or(""));
                (a.clone(), if titled || a.starts_with('@') { Rule::Always } else { Rule::NeedsTitleOrHospital })
            }));
            add(EntityKind::Clinician, &c.id, &[], c.hospital.clone(), terms);
        }
        for d in &file.department {
            let mut terms: Vec<(String, Rule)> = d.aliases.iter().map(|a| (a.clone(), Rule::Always)).collect();
            if let Some(n) = &d.name {
                terms.push((n.clone(), Rule::Always));
            }
            add(EntityKind::Department, &d.id, &[], None, terms);
        }
        for k in &file.keyword {
            add(EntityKind::Keyword, &k.id, &[], None, k.aliases.iter().map(|a| (a.clone(), Rule::Always)).collect());
        }
        // Every byte of every post goes through this automaton. A DFA takes one table
        // lookup per byte where the default NFA follows failure links. Measured at 4,980
        // folded aliases: ≈ 7 MB more peak memory and no start-up time to see. Larger
        // files keep the NFA, whose memory grows more slowly.
        let kind = (folded_patterns.len() <= DFA_MAX_PATTERNS).then_some(AhoCorasickKind::DFA);
        let automaton = AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).kind(kind).build(&folded_patterns)?;
        Ok(EntityMatcher { automaton, patterns, ids, context, clinician_hospital })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Finds the entities named in `original`.
    pub fn find(&self, original: &str) -> Found {
        let mut found = Found::default();
        if self.patterns.is_empty() {
            return found;
        }
        let folded = FoldedText::new(original);
        let hay = folded.text.as_str();
        let mut candidates: Vec<(usize, usize, &Pattern)> = Vec::new();
        for m in self.automaton.find_iter(hay) {
            let (s, e) = (m.start(), m.end());
            if !is_boundary(hay, s, e) {
                continue;
            }
            let pattern = &self.patterns[m.pattern().as_usize()];
            let (os, oe) = folded.original_span(s, e);
            if let Some(exact) = &pattern.exact_case {
                if original[os..oe] != *exact {
                    continue;
                }
            }
            candidates.push((s, e, pattern));
        }
        let names_hospital = candidates.iter().any(|(s, e, p)| {
            p.kind == EntityKind::Hospital && (p.rule != Rule::NeedsContext || self.has_context(hay, *s, *e, p.entity))
        });
        for (s, e, p) in candidates {
            let ok = match p.rule {
                Rule::Always => true,
                Rule::NeedsContext => self.has_context(hay, s, e, p.entity),
                Rule::NeedsTitleOrHospital => names_hospital || title_before(hay, s),
            };
            if !ok {
                found.ambiguous = true;
                continue;
            }
            let (os, oe) = folded.original_span(s, e);
            let id = &self.ids[p.entity];
            if found.matches.iter().any(|m: &EntityMatch| m.start == os && m.id == *id) {
                continue;
            }
            found.matches.push(EntityMatch { kind: p.kind, id: id.clone(), matched: original[os..oe].to_string(), start: os, end: oe });
        }
        found
    }

    /// The hospital a clinician works at, when the entities file says.
    pub fn hospital_of(&self, clinician_id: &str) -> Option<&str> {
        let i = self.ids.iter().position(|id| id == clinician_id)?;
        self.clinician_hospital[i].as_deref()
    }

    fn has_context(&self, hay: &str, s: usize, e: usize, entity: usize) -> bool {
        let words = &self.context[entity];
        if words.is_empty() {
            return true;
        }
        // The window: the match itself and a few words either side.
        let before: Vec<&str> = hay[..s].split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).rev().take(CONTEXT_WINDOW_WORDS).collect();
        let after = hay[e..].split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(CONTEXT_WINDOW_WORDS);
        let inside = hay[s..e].split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty());
        let window: Vec<&str> = before.into_iter().rev().chain(inside).chain(after).collect();
        words.iter().any(|ctx| {
            let ctx_words: Vec<&str> = ctx.split_whitespace().collect();
            window.windows(ctx_words.len()).any(|w| w == ctx_words.as_slice())
        })
    }
}

fn title_before(hay: &str, s: usize) -> bool {
    let prev = hay[..s].trim_end().rsplit(char::is_whitespace).next().unwrap_or("");
    TITLES.contains(&prev)
}

fn is_short_acronym(term: &str) -> bool {
    let t = term.trim();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    (2..=4).contains(&t.chars().count()) && letters >= 2 && t.chars().all(|c| !c.is_lowercase())
}

fn is_boundary(hay: &str, s: usize, e: usize) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let before = hay[..s].chars().next_back();
    let after = hay[e..].chars().next();
    let first = hay[s..].chars().next();
    let last = hay[..e].chars().next_back();
    // A boundary is only needed where the pattern itself starts or ends with a word char.
    (!word(first) || !word(before)) && (!word(last) || !word(after))
}

/// Lower case without diacritics; used for patterns and posts alike.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        if !is_combining(c) {
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

/// A folded copy of a text that remembers, for each folded byte, where its character
/// started and ended in the original.
struct FoldedText {
    text: String,
    /// (original start, original end) for each byte of `text`.
    map: Vec<(u32, u32)>,
}

impl FoldedText {
    fn new(original: &str) -> FoldedText {
        let mut text = String::with_capacity(original.len());
        let mut map = Vec::with_capacity(original.len());
        let mut buf = [0u8; 4];
        for (i, c) in original.char_indices() {
            let span = (i as u32, (i + c.len_utf8()) as u32);
            // Most characters are ASCII: nothing to decompose.
            if c.is_ascii() {
                text.push(c.to_ascii_lowercase());
                map.push(span);
                continue;
            }
            // Curly quotes and dashes fold to their ASCII forms so "St. Mary’s" matches.
            let c = match c {
                '\u{2018}' | '\u{2019}' => '\'',
                '\u{2010}'..='\u{2015}' => '-',
                _ => c,
            };
            for d in std::iter::once(c).nfkd() {
                if is_combining(d) {
                    continue;
                }
                for l in d.to_lowercase() {
                    let s = l.encode_utf8(&mut buf);
                    text.push_str(s);
                    map.extend(std::iter::repeat_n(span, s.len()));
                }
            }
        }
        FoldedText { text, map }
    }

    fn original_span(&self, s: usize, e: usize) -> (usize, usize) {
        (self.map[s].0 as usize, self.map[e - 1].1 as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> EntityMatcher {
        let file: EntitiesFile = toml::from_str(
            r#"
[[hospital]]
id = "omni-alam-sutera"
name = "Omni International Hospital Alam Sutera"
aliases = ["RS Omni", "Omni Hospital", "@RSOmniAlamSutera", "Omni"]
context = ["rs", "rumah sakit", "hospital", "dokter", "pasien"]

[[hospital]]
id = "st-carolus"
name = "Rumah Sakit Santo Carolus"
aliases = ["RS Carolus", "Sint Carolus"]

[[clinician]]
id = "dr-grace-hadinata"
name = "Grace Hadinata"
hospital = "omni-alam-sutera"
aliases = ["dr. Grace", "dokter Grace"]

[[department]]
id = "emergency"
aliases = ["emergency room", "ER", "A&E", "IGD", "UGD"]
"#,
        )
        .unwrap();
        EntityMatcher::new(&file).unwrap()
    }

    fn ids(text: &str) -> Vec<String> {
        matcher().find(text).matches.into_iter().map(|m| m.id).collect()
    }

    #[test]
    fn finds_aliases_with_spans_in_the_original() {
        let text = "Saya kecewa dengan RS Omni, dr. Grace salah diagnosa";
        let found = matcher().find(text);
        let hospital = &found.matches[0];
        assert_eq!((hospital.id.as_str(), hospital.matched.as_str()), ("omni-alam-sutera", "RS Omni"));
        assert_eq!(&text[hospital.start..hospital.end], "RS Omni");
        assert_eq!(found.matches[1].id, "dr-grace-hadinata");
    }

    #[test]
    fn leftmost_longest_and_case_and_diacritics() {
        let found = matcher().find("OMNI INTERNATIONAL HOSPITAL ALAM SUTERA was fine");
        assert_eq!(found.matches.len(), 1);
        assert_eq!(found.matches[0].matched, "OMNI INTERNATIONAL HOSPITAL ALAM SUTERA");
        assert_eq!(ids("Rumah Sakit Sânto Carolus"), ["st-carolus"]);
    }

    #[test]
    fn word_boundaries_only() {
        assert!(ids("RS Omnibus lines").is_empty());
        assert_eq!(ids("kemarin ke RS Carolus."), ["st-carolus"]);
    }

    #[test]
    fn handles_and_hashtags() {
        assert_eq!(ids("@RSOmniAlamSutera tolong jawab"), ["omni-alam-sutera"]);
        assert_eq!(ids("parah #RSCarolus"), ["st-carolus"]);
    }

    #[test]
    fn an_explicit_hashtag_counts_alone_whatever_the_alias_order() {
        let file: EntitiesFile = toml::from_str(
            "[[hospital]]\nid = \"z\"\nname = \"Zenith International Hospital\"\naliases = [\"RS Zenith\", \"#RSZenith\"]\ncontext = [\"dokter\"]\n",
        )
        .unwrap();
        let m = EntityMatcher::new(&file).unwrap();
        assert_eq!(m.find("antrian #RSZenith parah").matches.len(), 1);
        assert!(m.find("beli jam RS Zenith").matches.is_empty(), "the plain alias still needs context");
    }

    #[test]
    fn context_rule_for_ambiguous_aliases() {
        let found = matcher().find("Omni headphones are on sale");
        assert!(found.matches.is_empty());
        assert!(found.ambiguous);
        assert_eq!(ids("pasien di Omni ditelantarkan"), ["omni-alam-sutera"]);
    }

    #[test]
    fn clinician_rules() {
        assert!(ids("Grace Hadinata sang a song").is_empty());
        assert_eq!(ids("Dr Grace Hadinata was kind"), ["dr-grace-hadinata"]);
        assert_eq!(ids("Grace Hadinata at RS Omni was kind"), ["dr-grace-hadinata", "omni-alam-sutera"]);
        assert_eq!(ids("dokter Grace tidak datang"), ["dr-grace-hadinata"]);
    }

    #[test]
    fn short_acronyms_only_in_capitals() {
        assert_eq!(ids("5 hours in the ER at RS Carolus"), ["emergency", "st-carolus"]);
        assert_eq!(ids("er, I think RS Carolus is fine"), ["st-carolus"]);
        assert_eq!(ids("antri di IGD"), ["emergency"]);
    }

    #[test]
    fn problems_name_the_key() {
        let file: EntitiesFile = toml::from_str(
            "[[hospital]]\nid = \"a\"\nname = \"A\"\n[[hospital]]\nid = \"a\"\nname = \"B\"\n[[clinician]]\nid = \"c\"\nname = \"C\"\nhospital = \"zz\"\n",
        )
        .unwrap();
        let p = file.problems().join("\n");
        assert!(p.contains("id \"a\" appears twice"), "{p}");
        assert!(p.contains("names hospital \"zz\""), "{p}");
        assert!(toml::from_str::<EntitiesFile>("[[hospital]]\nid=\"a\"\nname=\"A\"\nalias=[\"x\"]\n").is_err());
    }
}

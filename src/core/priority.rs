//! Priority: how urgently a person should look at a post.
//!
//! A score from 0 to 100 adds up what makes a post dangerous for a hospital: that it is
//! a complaint, how severe its worst category is (harm, legal threats, privacy and
//! misdiagnosis above waiting, waiting above food), how negative it reads, whether it
//! names a clinician, and how far it can travel (the author's followers, the post's
//! likes, shares and replies). Every part that counts is named in `reasons`, so an
//! officer sees why a post is at the top of the queue. The score maps to P1..P4;
//! posts at or above `escalate_at` go to the CRM at once. Posts that are not relevant
//! (noise, or naming none of the hospital's entities) are P4 and never escalate.
//!
//! P1 means "act now", so points alone do not make it: a post is P1 only when its worst
//! category is severe (harm, legal threat, privacy, misdiagnosis) *and* something makes
//! it urgent — a clinician named, an author with a wide reach, or a post many people
//! engage with. A severe complaint from a small account naming nobody is P2; a story
//! becomes P1 when it spreads (the case store raises it). A complaint that reads
//! positive overall (the detector's mixed posts: praise with a gripe) stays at P3 or below.

use serde::{Deserialize, Serialize};

use crate::model::{Category, Complaint, EntityKind, EntityMatch, Post, Priority, PriorityLevel, Sentiment, SentimentLabel};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PriorityConfig {
    /// Posts at this level or more urgent are escalated (pushed to the CRM at once).
    pub escalate_at: PriorityLevel,
}

impl Default for PriorityConfig {
    fn default() -> Self {
        PriorityConfig { escalate_at: PriorityLevel::P2 }
    }
}

/// Score at which each level starts.
const P1_AT: u32 = 75;
const P2_AT: u32 = 55;
const P3_AT: u32 = 35;

/// Points for being a complaint at all, plus up to `CONFIDENCE` more by the detector's
/// confidence.
const COMPLAINT: f32 = 28.0;
const CONFIDENCE: f32 = 10.0;
/// Points per further category after the most severe one, and their cap.
const MORE_CATEGORY: u32 = 3;
const MORE_CATEGORIES_MAX: u32 = 6;
/// Up to this many points for negativity (compound -1 gives all of them).
const NEGATIVITY: f32 = 10.0;
/// A negative post that is not a complaint still earns this much attention, scaled by
/// how negative it is.
const NEGATIVE_NOT_COMPLAINT: f32 = 25.0;
const CLINICIAN: u32 = 12;
/// Severity from which a category may make a post P1 (see `severity`).
const SEVERE: u32 = 30;
/// Reach and engagement from which a severe complaint is urgent.
const URGENT_REACH: u64 = 10_000;
const URGENT_ENGAGEMENT: u64 = 1_000;

/// How much a category adds: what can hurt patients or the hospital most comes first.
/// Whether a reason states one post's measure ("reach 4.1k", "engagement 113") rather than
/// a property a case inherits from it: a case counts its spread itself.
pub fn is_post_measure(reason: &str) -> bool {
    reason.starts_with("reach ") || reason.starts_with("engagement ")
}

pub fn severity(cat: Category) -> u32 {
    match cat {
        Category::LegalThreat => 36,
        Category::TreatmentHarm => 34,
        Category::Privacy => 30,
        Category::Misdiagnosis => 30,
        Category::Medication => 24,
        Category::RecordsAccess => 20,
        Category::StaffAttitude => 15,
        Category::Hygiene => 14,
        Category::Communication => 12,
        Category::Continuity => 12,
        Category::Billing => 12,
        Category::WaitTime => 10,
        Category::AppointmentAccess => 10,
        Category::Staffing => 8,
        Category::Facilities => 6,
        Category::Food => 4,
    }
}

/// Points for the author's followers: (at least, points).
const REACH: [(u64, u32); 4] = [(1_000_000, 20), (100_000, 15), (10_000, 9), (1_000, 4)];
/// Points for likes + 2·shares + replies.
const ENGAGEMENT: [(u64, u32); 4] = [(10_000, 16), (1_000, 12), (100, 7), (10, 3)];

pub struct PriorityRules {
    config: PriorityConfig,
}

impl PriorityRules {
    pub fn new(config: &PriorityConfig) -> PriorityRules {
        PriorityRules { config: config.clone() }
    }

    pub fn rank(
        &self,
        post: &Post,
        relevant: bool,
        entities: &[EntityMatch],
        sentiment: &Sentiment,
        complaint: &Complaint,
    ) -> (Priority, bool) {
        if !relevant {
            let p = Priority { level: PriorityLevel::P4, score: 0, reasons: vec!["not relevant".to_string()] };
            return (p, false);
        }
        let mut score = 0u32;
        let mut reasons = Vec::new();
        let mut worst_severity = 0;
        let negativity = (-sentiment.compound).clamp(0.0, 1.0);
        if complaint.is_complaint {
            score += (COMPLAINT + CONFIDENCE * complaint.score.clamp(0.0, 1.0)).round() as u32;
            let mut cats: Vec<Category> = complaint.categories.iter().map(|c| c.id).collect();
            cats.sort_by_key(|&c| std::cmp::Reverse(severity(c)));
            cats.dedup();
            if let Some(&worst) = cats.first() {
                worst_severity = severity(worst);
                score += severity(worst);
                let more = (cats.len() as u32 - 1) * MORE_CATEGORY;
                score += more.min(MORE_CATEGORIES_MAX);
            } else {
                reasons.push("complaint".to_string());
            }
            reasons.extend(cats.iter().map(|c| c.as_str().to_string()));
            score += (NEGATIVITY * negativity).round() as u32;
        } else {
            score += (NEGATIVE_NOT_COMPLAINT * negativity).round() as u32;
        }
        if negativity >= 0.6 {
            reasons.push("very negative".to_string());
        }
        if entities.iter().any(|e| e.kind == EntityKind::Clinician) {
            score += CLINICIAN;
            reasons.push("clinician named".to_string());
        }
        let reach = post.reach();
        if let Some(&(_, pts)) = REACH.iter().find(|(at, _)| reach >= *at) {
            score += pts;
            reasons.push(format!("reach {}", human(reach)));
        }
        let engagement = post.engagement();
        if let Some(&(_, pts)) = ENGAGEMENT.iter().find(|(at, _)| engagement >= *at) {
            score += pts;
            reasons.push(format!("engagement {}", human(engagement)));
        }
        let score = score.min(100);
        let mut level = match score {
            s if s >= P1_AT => PriorityLevel::P1,
            s if s >= P2_AT => PriorityLevel::P2,
            s if s >= P3_AT => PriorityLevel::P3,
            _ => PriorityLevel::P4,
        };
        let urgent = entities.iter().any(|e| e.kind == EntityKind::Clinician) || reach >= URGENT_REACH || engagement >= URGENT_ENGAGEMENT;
        if level == PriorityLevel::P1 && !(worst_severity >= SEVERE && urgent) {
            level = PriorityLevel::P2;
        }
        if sentiment.label == SentimentLabel::Positive && level < PriorityLevel::P3 {
            level = PriorityLevel::P3;
            reasons.push("reads positive".to_string());
        }
        let escalate = level <= self.config.escalate_at;
        (Priority { level, score: score as u8, reasons }, escalate)
    }
}

/// 950 → "950", 1_200 → "1.2k", 120_000 → "120k", 3_400_000 → "3.4M".
fn human(n: u64) -> String {
    let short = |v: f64, unit: &str| {
        let tenths = (v * 10.0).floor();
        if v < 10.0 && tenths % 10.0 != 0.0 {
            format!("{:.1}{unit}", tenths / 10.0)
        } else {
            format!("{:.0}{unit}", v.floor())
        }
    };
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => short(n as f64 / 1e3, "k"),
        _ => short(n as f64 / 1e6, "M"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Author, CategoryHit, SourceMetrics};

    fn post(followers: u64, likes: u64) -> Post {
        let mut p = Post::from_json_line(r#"{"id":"1","text":"x"}"#).unwrap();
        p.author = Some(Author { followers: Some(followers), ..Author::default() });
        p.metrics = Some(SourceMetrics { likes, shares: 0, replies: 0 });
        p
    }

    fn sentiment(compound: f32) -> Sentiment {
        let label = if compound < -0.05 {
            SentimentLabel::Negative
        } else if compound > 0.05 {
            SentimentLabel::Positive
        } else {
            SentimentLabel::Neutral
        };
        Sentiment { compound, label }
    }

    fn complaint(cats: &[Category]) -> Complaint {
        Complaint {
            is_complaint: true,
            score: 0.8,
            categories: cats.iter().map(|&id| CategoryHit { id, score: 0.7, evidence: vec!["x".into()] }).collect(),
        }
    }

    fn clinician() -> Vec<EntityMatch> {
        vec![EntityMatch { kind: EntityKind::Clinician, id: "dr-x".into(), matched: "dr. X".into(), start: 0, end: 5 }]
    }

    fn rank(cats: &[Category], compound: f32, entities: &[EntityMatch], followers: u64, likes: u64) -> (Priority, bool) {
        PriorityRules::new(&PriorityConfig::default()).rank(&post(followers, likes), true, entities, &sentiment(compound), &complaint(cats))
    }

    #[test]
    fn severe_categories_outrank_waiting_which_outranks_food() {
        let score = |c: Category| rank(&[c], -0.3, &[], 0, 0).0.score;
        for severe in [Category::TreatmentHarm, Category::LegalThreat, Category::Privacy, Category::Misdiagnosis] {
            assert!(score(severe) > score(Category::WaitTime), "{severe}");
        }
        assert!(score(Category::WaitTime) > score(Category::Food));
        let (p, _) = rank(&[Category::Food], -0.3, &[], 0, 0);
        assert_eq!(p.level, PriorityLevel::P3);
        let (p, _) = rank(&[Category::LegalThreat], -0.6, &[], 0, 0);
        assert!(p.level <= PriorityLevel::P2, "{p:?}");
        assert_eq!(p.reasons[0], "legal_threat");
    }

    #[test]
    fn clinician_reach_and_engagement_raise_priority_with_reasons() {
        let (base, _) = rank(&[Category::WaitTime], -0.4, &[], 0, 0);
        let (named, _) = rank(&[Category::WaitTime], -0.4, &clinician(), 0, 0);
        let (famous, _) = rank(&[Category::WaitTime], -0.4, &[], 120_000, 0);
        let (viral, _) = rank(&[Category::WaitTime], -0.4, &[], 0, 2_500);
        assert!(named.score > base.score && famous.score > base.score && viral.score > base.score);
        assert!(named.reasons.contains(&"clinician named".to_string()), "{:?}", named.reasons);
        assert!(famous.reasons.contains(&"reach 120k".to_string()), "{:?}", famous.reasons);
        assert!(viral.reasons.contains(&"engagement 2.5k".to_string()), "{:?}", viral.reasons);
        let (all, esc) = rank(&[Category::TreatmentHarm, Category::LegalThreat], -0.9, &clinician(), 2_000_000, 50_000);
        assert_eq!(all.level, PriorityLevel::P1);
        assert_eq!(all.score, 100);
        assert!(esc);
    }

    #[test]
    fn p1_needs_a_severe_category_and_something_urgent() {
        // Severe, very negative, but a small account naming nobody: look today, not now.
        let (alone, _) = rank(&[Category::TreatmentHarm, Category::Misdiagnosis], -0.9, &[], 300, 5);
        assert_eq!(alone.level, PriorityLevel::P2, "{alone:?}");
        let (named, _) = rank(&[Category::TreatmentHarm, Category::Misdiagnosis], -0.9, &clinician(), 300, 5);
        assert_eq!(named.level, PriorityLevel::P1, "{named:?}");
        let (wide, _) = rank(&[Category::LegalThreat], -0.7, &[], 48_000, 20);
        assert_eq!(wide.level, PriorityLevel::P1, "{wide:?}");
        // However far it travels, a complaint about food is not an emergency.
        let (food, _) = rank(&[Category::Food, Category::Billing], -0.9, &clinician(), 2_000_000, 50_000);
        assert_eq!(food.level, PriorityLevel::P2, "{food:?}");
    }

    #[test]
    fn a_complaint_that_reads_positive_stays_low() {
        let (mixed, _) = rank(&[Category::TreatmentHarm], 0.6, &clinician(), 0, 20);
        assert_eq!(mixed.level, PriorityLevel::P3, "{mixed:?}");
        assert!(mixed.reasons.contains(&"reads positive".to_string()));
    }

    #[test]
    fn more_negative_is_more_urgent() {
        let (mild, _) = rank(&[Category::Billing], -0.1, &[], 0, 0);
        let (harsh, _) = rank(&[Category::Billing], -0.9, &[], 0, 0);
        assert!(harsh.score > mild.score);
        assert!(harsh.reasons.contains(&"very negative".to_string()));
    }

    #[test]
    fn escalates_at_the_configured_level_only_when_relevant() {
        let severe = complaint(&[Category::TreatmentHarm, Category::LegalThreat]);
        let p = post(200_000, 500);
        let s = sentiment(-0.8);
        let rules = PriorityRules::new(&PriorityConfig { escalate_at: PriorityLevel::P2 });
        let (pr, esc) = rules.rank(&p, true, &clinician(), &s, &severe);
        assert_eq!(pr.level, PriorityLevel::P1);
        assert!(esc);
        let (pr, esc) = rules.rank(&p, false, &clinician(), &s, &severe);
        assert_eq!(pr.level, PriorityLevel::P4);
        assert_eq!(pr.score, 0);
        assert!(!esc);
        // A mild complaint is P3: not escalated at P2, escalated when the hospital asks for P3.
        let mild = complaint(&[Category::Food]);
        let (pr, esc) = rules.rank(&post(0, 0), true, &[], &sentiment(-0.2), &mild);
        assert_eq!(pr.level, PriorityLevel::P3);
        assert!(!esc);
        let eager = PriorityRules::new(&PriorityConfig { escalate_at: PriorityLevel::P3 });
        assert!(eager.rank(&post(0, 0), true, &[], &sentiment(-0.2), &mild).1);
    }

    #[test]
    fn a_relevant_post_that_is_not_a_complaint_is_low() {
        let rules = PriorityRules::new(&PriorityConfig::default());
        let none = Complaint { is_complaint: false, score: 0.1, categories: vec![] };
        let (pr, esc) = rules.rank(&post(0, 0), true, &[], &sentiment(0.6), &none);
        assert_eq!(pr.level, PriorityLevel::P4);
        assert!(!esc);
        // Even a named clinician and some reach do not make praise urgent.
        let (pr, _) = rules.rank(&post(20_000, 50), true, &clinician(), &sentiment(0.8), &none);
        assert!(pr.level >= PriorityLevel::P3, "{pr:?}");
    }

    #[test]
    fn config_keeps_its_toml_shape() {
        let c: PriorityConfig = toml::from_str("escalate_at = \"P1\"").unwrap();
        assert_eq!(c.escalate_at, PriorityLevel::P1);
        let c: PriorityConfig = toml::from_str("").unwrap();
        assert_eq!(c.escalate_at, PriorityLevel::P2);
        assert!(toml::from_str::<PriorityConfig>("escalate = \"P1\"").is_err());
    }

    #[test]
    fn numbers_read_like_people_write_them() {
        assert_eq!(human(950), "950");
        assert_eq!(human(1_200), "1.2k");
        assert_eq!(human(120_000), "120k");
        assert_eq!(human(3_400_000), "3.4M");
        assert_eq!(human(10_000), "10k");
    }
}

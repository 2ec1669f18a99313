use serde::{Deserialize, Serialize};

/// What the core concluded about one post: one JSON line of `hearken score` (DESIGN.md,
/// "Assessment").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub id: String,
    /// ISO 639-1 code of the detected language, or "und" when undetermined.
    pub lang: String,
    pub relevant: bool,
    pub noise: Option<NoiseReason>,
    pub entities: Vec<EntityMatch>,
    pub sentiment: Sentiment,
    pub complaint: Complaint,
    pub priority: Priority,
    pub escalate: bool,
}

/// Why a post was judged irrelevant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseReason {
    Spam,
    Advert,
    Duplicate,
    OffTopic,
    AmbiguousEntity,
    Bot,
}

impl NoiseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            NoiseReason::Spam => "spam",
            NoiseReason::Advert => "advert",
            NoiseReason::Duplicate => "duplicate",
            NoiseReason::OffTopic => "off_topic",
            NoiseReason::AmbiguousEntity => "ambiguous_entity",
            NoiseReason::Bot => "bot",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Hospital,
    Clinician,
    Department,
    Keyword,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Hospital => "hospital",
            EntityKind::Clinician => "clinician",
            EntityKind::Department => "department",
            EntityKind::Keyword => "keyword",
        }
    }
}

/// One entity named in the post. `start`/`end` are byte offsets into the post's original
/// text, so `&text[start..end] == matched`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityMatch {
    pub kind: EntityKind,
    pub id: String,
    pub matched: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    /// In [-1, 1].
    pub compound: f32,
    pub label: SentimentLabel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentimentLabel {
    Positive,
    Neutral,
    Negative,
}

impl SentimentLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Positive => "positive",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Negative => "negative",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Complaint {
    pub is_complaint: bool,
    /// Confidence in [0, 1].
    pub score: f32,
    pub categories: Vec<CategoryHit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryHit {
    pub id: Category,
    pub score: f32,
    /// The phrases in the post that triggered the category, as written in the lexicon.
    pub evidence: Vec<String>,
}

/// Complaint categories; the ids are fixed by DESIGN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    WaitTime,
    StaffAttitude,
    Misdiagnosis,
    TreatmentHarm,
    Medication,
    Communication,
    RecordsAccess,
    Billing,
    AppointmentAccess,
    Hygiene,
    Food,
    Facilities,
    Staffing,
    Continuity,
    Privacy,
    LegalThreat,
}

impl Category {
    pub const ALL: [Category; 16] = [
        Category::WaitTime,
        Category::StaffAttitude,
        Category::Misdiagnosis,
        Category::TreatmentHarm,
        Category::Medication,
        Category::Communication,
        Category::RecordsAccess,
        Category::Billing,
        Category::AppointmentAccess,
        Category::Hygiene,
        Category::Food,
        Category::Facilities,
        Category::Staffing,
        Category::Continuity,
        Category::Privacy,
        Category::LegalThreat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::WaitTime => "wait_time",
            Category::StaffAttitude => "staff_attitude",
            Category::Misdiagnosis => "misdiagnosis",
            Category::TreatmentHarm => "treatment_harm",
            Category::Medication => "medication",
            Category::Communication => "communication",
            Category::RecordsAccess => "records_access",
            Category::Billing => "billing",
            Category::AppointmentAccess => "appointment_access",
            Category::Hygiene => "hygiene",
            Category::Food => "food",
            Category::Facilities => "facilities",
            Category::Staffing => "staffing",
            Category::Continuity => "continuity",
            Category::Privacy => "privacy",
            Category::LegalThreat => "legal_threat",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Priority {
    pub level: PriorityLevel,
    /// 0..=100.
    pub score: u8,
    pub reasons: Vec<String>,
}

/// P1 needs a person now; P4 is for the record only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PriorityLevel {
    P1,
    P2,
    P3,
    P4,
}

impl PriorityLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PriorityLevel::P1 => "P1",
            PriorityLevel::P2 => "P2",
            PriorityLevel::P3 => "P3",
            PriorityLevel::P4 => "P4",
        }
    }

    pub fn parse(s: &str) -> Option<PriorityLevel> {
        match s {
            "P1" => Some(PriorityLevel::P1),
            "P2" => Some(PriorityLevel::P2),
            "P3" => Some(PriorityLevel::P3),
            "P4" => Some(PriorityLevel::P4),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of DESIGN.md parses and serialises back to the same JSON.
    #[test]
    fn design_example_round_trips() {
        let json = r#"{"id":"...","lang":"en","relevant":true,"noise":null,"entities":[{"kind":"hospital","id":"omni-alam-sutera","matched":"RS Omni","start":21,"end":28}],"sentiment":{"compound":-0.74,"label":"negative"},"complaint":{"is_complaint":true,"score":0.91,"categories":[{"id":"misdiagnosis","score":0.8,"evidence":["salah diagnosa"]}]},"priority":{"level":"P1","score":87,"reasons":["legal_threat","clinician named"]},"escalate":true}"#;
        let a: Assessment = serde_json::from_str(json).unwrap();
        assert_eq!(a.complaint.categories[0].id, Category::Misdiagnosis);
        assert_eq!(a.priority.level, PriorityLevel::P1);
        assert_eq!(serde_json::to_string(&a).unwrap(), json);
    }

    #[test]
    fn category_ids_are_the_fixed_ones() {
        let ids: Vec<String> = Category::ALL
            .iter()
            .map(|c| serde_json::to_value(c).unwrap().as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            ids,
            [
                "wait_time", "staff_attitude", "misdiagnosis", "treatment_harm", "medication",
                "communication", "records_access", "billing", "appointment_access", "hygiene",
                "food", "facilities", "staffing", "continuity", "privacy", "legal_threat"
            ]
        );
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn noise_reasons_are_snake_case() {
        assert_eq!(serde_json::to_string(&NoiseReason::AmbiguousEntity).unwrap(), "\"ambiguous_entity\"");
        assert_eq!(serde_json::to_string(&NoiseReason::OffTopic).unwrap(), "\"off_topic\"");
    }
}

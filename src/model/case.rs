use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Assessment, Category, EntityKind, Post, PriorityLevel, Source};

/// A case groups the posts of one story about one entity (DESIGN.md, "Case and webhook").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Stable: derived from the uid of the post that opened it, so a replay opens the
    /// same case id again and the stores can deduplicate on it.
    pub id: String,
    /// A story (posts about one entity) or a volume spike (many negative posts in an hour).
    #[serde(default)]
    pub kind: CaseKind,
    pub entity: EntityRef,
    pub status: CaseStatus,
    pub priority: PriorityLevel,
    pub priority_score: u8,
    pub categories: Vec<Category>,
    /// Why the case was raised, taken from its posts' priority reasons.
    pub reasons: Vec<String>,
    /// Uids (`source:id`) of the posts in the story, oldest first.
    pub post_uids: Vec<String>,
    /// The first post's text, shortened: what an officer reads in the queue.
    pub summary: String,
    pub assignee: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Bumped on every change; ReplacingMergeTree and webhook receivers keep the highest.
    pub version: u64,
    /// How far the story has spread.
    #[serde(default)]
    pub spread: Spread,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    #[default]
    Story,
    Spike,
}

/// The reach of a story: who posted it, how many could see it, where it has gone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Distinct authors of the story's posts.
    pub authors: u32,
    /// Distinct authors in the hour up to the latest post: how fast it is spreading now.
    pub authors_last_hour: u32,
    /// Sum of the authors' followers (each author counted once).
    pub reach: u64,
    /// The networks the story has reached.
    pub sources: Vec<Source>,
}

/// Which configured entity a case is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntityRef {
    pub kind: EntityKind,
    pub id: String,
}

/// `open → acknowledged → assigned → resolved`, or `dismissed` as noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Acknowledged,
    Assigned,
    Resolved,
    Dismissed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 5] = [
        CaseStatus::Open,
        CaseStatus::Acknowledged,
        CaseStatus::Assigned,
        CaseStatus::Resolved,
        CaseStatus::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Acknowledged => "acknowledged",
            CaseStatus::Assigned => "assigned",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Resolved and dismissed cases take no new posts; a new post opens a new case.
    pub fn is_closed(self) -> bool {
        matches!(self, CaseStatus::Resolved | CaseStatus::Dismissed)
    }

    /// Whether an officer may move a case from `self` to `next`.
    pub fn can_become(self, next: CaseStatus) -> bool {
        use CaseStatus::*;
        match (self, next) {
            (Open, Acknowledged | Assigned | Resolved | Dismissed) => true,
            (Acknowledged, Assigned | Resolved | Dismissed) => true,
            (Assigned, Assigned | Resolved | Dismissed) => true,
            // Reopening is allowed: a resolved complaint can flare up again.
            (Resolved | Dismissed, Open) => true,
            _ => false,
        }
    }
}

/// One entry of a case's audit trail: what changed, who did it and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub case_id: String,
    pub kind: CaseEventKind,
    /// `hearken` for changes the pipeline made, otherwise the officer's name.
    pub actor: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The post that caused the event, for `opened` and `post_added`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_uid: Option<String>,
    /// The case version after this event.
    pub version: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseEventKind {
    Opened,
    PostAdded,
    Escalated,
    Acknowledged,
    Assigned,
    Noted,
    Resolved,
    Dismissed,
    Reopened,
    Merged,
}

impl CaseEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseEventKind::Opened => "opened",
            CaseEventKind::PostAdded => "post_added",
            CaseEventKind::Escalated => "escalated",
            CaseEventKind::Acknowledged => "acknowledged",
            CaseEventKind::Assigned => "assigned",
            CaseEventKind::Noted => "noted",
            CaseEventKind::Resolved => "resolved",
            CaseEventKind::Dismissed => "dismissed",
            CaseEventKind::Reopened => "reopened",
            CaseEventKind::Merged => "merged",
        }
    }

    pub const ALL: [CaseEventKind; 10] = [
        CaseEventKind::Opened,
        CaseEventKind::PostAdded,
        CaseEventKind::Escalated,
        CaseEventKind::Acknowledged,
        CaseEventKind::Assigned,
        CaseEventKind::Noted,
        CaseEventKind::Resolved,
        CaseEventKind::Dismissed,
        CaseEventKind::Reopened,
        CaseEventKind::Merged,
    ];

    pub fn parse(s: &str) -> Option<CaseEventKind> {
        CaseEventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The event that records a move to `status`.
    pub fn for_status(status: CaseStatus) -> CaseEventKind {
        match status {
            CaseStatus::Open => CaseEventKind::Reopened,
            CaseStatus::Acknowledged => CaseEventKind::Acknowledged,
            CaseStatus::Assigned => CaseEventKind::Assigned,
            CaseStatus::Resolved => CaseEventKind::Resolved,
            CaseStatus::Dismissed => CaseEventKind::Dismissed,
        }
    }
}

/// The body POSTed to the hospital CRM: `{event, case, posts, assessment, occurred_at}`.
/// `assessment` is that of the post that caused the event, when one did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookPayload {
    pub event: CaseEventKind,
    pub case: Case,
    pub posts: Vec<Post>,
    pub assessment: Option<Assessment>,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn case() -> Case {
        Case {
            id: "case-1f2e".into(),
            entity: EntityRef { kind: EntityKind::Hospital, id: "omni-alam-sutera".into() },
            status: CaseStatus::Open,
            priority: PriorityLevel::P1,
            priority_score: 87,
            categories: vec![Category::Misdiagnosis, Category::LegalThreat],
            reasons: vec!["legal_threat".into()],
            post_uids: vec!["x:1".into()],
            summary: "salah diagnosa".into(),
            assignee: None,
            opened_at: datetime!(2026-03-01 08:30 UTC),
            updated_at: datetime!(2026-03-01 08:30 UTC),
            version: 1,
            kind: CaseKind::Story,
            spread: Spread { authors: 1, authors_last_hour: 1, reach: 120, sources: vec![Source::X] },
        }
    }

    #[test]
    fn case_and_event_round_trip() {
        let c = case();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains(r#""status":"open""#) && json.contains(r#""opened_at":"2026-03-01T08:30:00Z""#));
        assert_eq!(serde_json::from_str::<Case>(&json).unwrap(), c);

        let e = CaseEvent {
            case_id: c.id.clone(),
            kind: CaseEventKind::Opened,
            actor: "hearken".into(),
            at: c.opened_at,
            note: None,
            post_uid: Some("x:1".into()),
            version: 1,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains(r#""kind":"opened""#));
        assert_eq!(serde_json::from_str::<CaseEvent>(&json).unwrap(), e);
    }

    #[test]
    fn webhook_payload_has_the_contract_fields() {
        let p = WebhookPayload {
            event: CaseEventKind::Opened,
            case: case(),
            posts: vec![],
            assessment: None,
            occurred_at: datetime!(2026-03-01 08:31 UTC),
        };
        let v = serde_json::to_value(&p).unwrap();
        for key in ["event", "case", "posts", "assessment", "occurred_at"] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(serde_json::from_value::<WebhookPayload>(v).unwrap(), p);
    }

    #[test]
    fn lifecycle_moves() {
        use CaseStatus::*;
        assert!(Open.can_become(Acknowledged));
        assert!(Acknowledged.can_become(Assigned));
        assert!(Assigned.can_become(Resolved));
        assert!(Open.can_become(Dismissed));
        assert!(!Resolved.can_become(Assigned));
        assert!(!Acknowledged.can_become(Open));
    }
}

//! The rows hearken writes to ClickHouse, one struct per table.
//!
//! ClickHouse 18.16 has no `RowBinaryWithNamesAndTypes`, so the client runs without
//! validation and rows travel as plain `RowBinary`: each struct must list exactly the
//! columns of its table (see `schema.rs`), in the same order and with the same types.
//! `DateTime` is a `u32` (seconds since the epoch); there are no `Nullable` columns, an
//! absent value is "" or 0.

use clickhouse::Row;
use serde::{Deserialize, Serialize};

use crate::model::{Case, CaseEvent};
use crate::sinks::pseudonym::Pseudonymizer;
use crate::sinks::ScoredPost;
use crate::trends::{entity_key, post_categories, post_entities, sentiment_milli};

/// One scored post (table `posts`). No handle, author id or profile URL: the author is
/// a keyed pseudonym, and the uid says where the post came from.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct PostRow {
    pub created_at: u32,
    pub uid: String,
    pub source: String,
    pub lang: String,
    pub author: String,
    pub followers: u64,
    pub text: String,
    pub reply_to: String,
    pub relevant: u8,
    pub noise: String,
    pub entities: Vec<String>,
    pub categories: Vec<String>,
    pub is_complaint: u8,
    pub complaint_score: f32,
    pub sentiment: String,
    pub sentiment_milli: i16,
    pub priority: String,
    pub priority_score: u8,
    pub escalate: u8,
    pub likes: u64,
    pub shares: u64,
    pub replies: u64,
    pub written_at: u32,
    pub version: u64,
}

/// The latest state of a case (table `cases`, ReplacingMergeTree by `version`). The
/// summary (a post's text) and the post uids stay in the case store: analytics needs the
/// counts, and an erased post must not linger in a case row.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct CaseRow {
    pub opened_at: u32,
    pub case_id: String,
    pub version: u64,
    pub kind: String,
    pub entity: String,
    pub status: String,
    pub priority: String,
    pub priority_score: u8,
    pub categories: Vec<String>,
    pub reasons: Vec<String>,
    pub posts: u32,
    pub assignee: String,
    pub updated_at: u32,
    pub spread_authors: u32,
    pub spread_reach: u64,
    pub spread_sources: Vec<String>,
}

/// One entry of a case's audit trail (table `case_events`).
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct EventRow {
    pub at: u32,
    pub case_id: String,
    pub version: u64,
    pub kind: String,
    pub actor: String,
    pub note: String,
    pub post_uid: String,
}

/// One erasure or retention run (table `erasures`): who asked, when, what kind of
/// subject (a pseudonym or a uid, never a handle) and how much went.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct ErasureRow {
    pub at: u32,
    pub erasure_id: String,
    pub actor: String,
    pub kind: String,
    pub subject: String,
    pub posts: u64,
    pub note: String,
}

/// Seconds since the epoch as a `DateTime` (1970…2106): earlier times become 0.
pub fn datetime(unix: i64) -> u32 {
    unix.clamp(0, u32::MAX as i64) as u32
}

impl PostRow {
    /// `created_at` is the post's time; the sink fills it for posts that have none.
    pub fn new(scored: &ScoredPost, created_at: i64, pseudonyms: &Pseudonymizer, written_at: i64, version: u64) -> PostRow {
        let (post, a) = (&scored.post, &scored.assessment);
        let metrics = post.metrics.unwrap_or_default();
        PostRow {
            created_at: datetime(created_at),
            uid: post.uid(),
            source: post.source.unwrap_or(crate::model::Source::Replay).as_str().to_string(),
            lang: a.lang.clone(),
            author: pseudonyms.of_post(post),
            followers: post.reach(),
            text: post.text.clone(),
            reply_to: post.reply_to.clone().unwrap_or_default(),
            relevant: a.relevant as u8,
            noise: a.noise.map(|n| n.as_str().to_string()).unwrap_or_default(),
            entities: post_entities(a).into_iter().map(|(kind, id)| entity_key(kind, id)).collect(),
            categories: post_categories(a).into_iter().map(|c| c.as_str().to_string()).collect(),
            is_complaint: a.complaint.is_complaint as u8,
            complaint_score: a.complaint.score,
            sentiment: a.sentiment.label.as_str().to_string(),
            sentiment_milli: sentiment_milli(a.sentiment.compound),
            priority: a.priority.level.as_str().to_string(),
            priority_score: a.priority.score,
            escalate: a.escalate as u8,
            likes: metrics.likes,
            shares: metrics.shares,
            replies: metrics.replies,
            written_at: datetime(written_at),
            version,
        }
    }
}

impl From<&Case> for CaseRow {
    fn from(c: &Case) -> CaseRow {
        CaseRow {
            opened_at: datetime(c.opened_at.unix_timestamp()),
            case_id: c.id.clone(),
            version: c.version,
            kind: match c.kind {
                crate::model::CaseKind::Story => "story",
                crate::model::CaseKind::Spike => "spike",
            }
            .to_string(),
            entity: entity_key(c.entity.kind, &c.entity.id),
            status: c.status.as_str().to_string(),
            priority: c.priority.as_str().to_string(),
            priority_score: c.priority_score,
            categories: c.categories.iter().map(|c| c.as_str().to_string()).collect(),
            reasons: c.reasons.clone(),
            posts: c.post_uids.len() as u32,
            assignee: c.assignee.clone().unwrap_or_default(),
            updated_at: datetime(c.updated_at.unix_timestamp()),
            spread_authors: c.spread.authors,
            spread_reach: c.spread.reach,
            spread_sources: c.spread.sources.iter().map(|s| s.as_str().to_string()).collect(),
        }
    }
}

impl From<&CaseEvent> for EventRow {
    fn from(e: &CaseEvent) -> EventRow {
        EventRow {
            at: datetime(e.at.unix_timestamp()),
            case_id: e.case_id.clone(),
            version: e.version,
            kind: e.kind.as_str().to_string(),
            actor: e.actor.clone(),
            note: e.note.clone().unwrap_or_default(),
            post_uid: e.post_uid.clone().unwrap_or_default(),
        }
    }
}

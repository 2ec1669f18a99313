//! The data contracts of shared/DESIGN.md as serde types.
//!
//! Field names, enum spellings and category ids here are what other teams' checks read:
//! change them only together with DESIGN.md and bump [`SCHEMA_VERSION`].

mod assessment;
mod case;
mod post;

pub use assessment::{
    Assessment, Category, CategoryHit, Complaint, EntityKind, EntityMatch, NoiseReason, Priority,
    PriorityLevel, Sentiment, SentimentLabel,
};
pub use case::{Case, CaseEvent, CaseEventKind, CaseKind, CaseStatus, EntityRef, Spread, WebhookPayload};
pub use post::{Author, Post, PostError, Source, SourceMetrics, MAX_TEXT_BYTES};

/// Version of the JSON shapes in this module. Carried in Kafka headers and the stores so a
/// reader can tell which shape it is looking at.
pub const SCHEMA_VERSION: u32 = 1;

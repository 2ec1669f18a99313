//! Connectors: where posts come from. One module per network; each turns what its network
//! returns into [`Post`]s and hands them to the pipeline with a [`Position`] that says how
//! far it has read, so a restart resumes without loss.

pub mod replay;

use crate::model::Post;
use crate::pipeline::dead_letter::DeadLetter;

/// How far a source has read: `offset` is where to resume *after* this record (a byte
/// offset in a file, a Kafka offset + 1, a network's cursor index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Names the stream: `replay:<path>`, `kafka:<topic>/<partition>`, …
    pub stream: String,
    pub offset: u64,
}

/// What a source hands to the pipeline.
#[derive(Debug)]
pub enum SourceItem {
    Post { post: Post, position: Position },
    /// Input that is not a valid post: kept as a dead letter, its position still counts.
    Rejected { letter: DeadLetter, position: Position },
}

impl SourceItem {
    pub fn position(&self) -> &Position {
        match self {
            SourceItem::Post { position, .. } | SourceItem::Rejected { position, .. } => position,
        }
    }
}

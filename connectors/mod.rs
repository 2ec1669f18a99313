//! Connectors: where posts come from. One module per network; each turns what its network
//! returns into [`Post`]s and hands them to the pipeline with a [`Position`] that says how
//! far it has read, so a restart resumes without loss.
//!
//! The networks share one polling loop ([`poller`]): rate limits, backoff, dead letters,
//! metrics and cursors live there once; a network module only says how to ask for the
//! posts after a cursor and how to read the answer ([`poller::Network`]).

pub mod bluesky;
pub mod facebook;
pub mod http;
pub mod mastodon;
pub mod poller;
pub mod reddit;
pub mod replay;
pub mod rss;
pub mod source;
pub mod text;
pub mod webhook_ingest;
pub mod x;

use crate::model::Post;
use crate::pipeline::dead_letter::DeadLetter;

/// How far a source has read: `offset` is where to resume *after* this record (a byte
/// offset in a file, a Kafka offset + 1, a network connector's count of items handed on).
/// Network connectors also carry `cursor`, their resume state after this record (the
/// network's ids or timestamps, as JSON): it is committed with the offset, in the same
/// transaction as the record's results, so a restart asks the network for exactly what
/// follows the last committed post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Names the stream: `replay:<path>`, `kafka:<topic>/<partition>`, `mastodon:<name>`, …
    pub stream: String,
    pub offset: u64,
    pub cursor: Option<String>,
}

impl Position {
    /// A position without a cursor (files, Kafka partitions).
    pub fn at(stream: impl Into<String>, offset: u64) -> Position {
        Position { stream: stream.into(), offset, cursor: None }
    }
}

/// Where a stream resumes: the offset and cursor of its last committed record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resume {
    pub offset: u64,
    pub cursor: Option<String>,
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

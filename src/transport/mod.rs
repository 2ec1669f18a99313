//! Transports between the stages of the distributed mode (DESIGN.md, "Data flow").
//!
//! ```text
//!  connectors ─▶ hearken.posts.raw ─▶ core ─▶ hearken.posts.scored ─▶ sinks ─▶ hearken.cases
//!                                        └──────────▶ hearken.deadletter ◀──────┘
//! ```
//! - [`wire`]: what a message on each topic holds (payload, key, headers);
//! - [`offsets`]: which offsets a consumer may commit — the highest contiguous one whose
//!   results the next stage or the sink has confirmed;
//! - [`kafka`]: topics, the idempotent producer and the consumer-group reader with
//!   backpressure and rebalance handling, on rdkafka's bundled librdkafka.
//!
//! The stages themselves (`crate::pipeline`) are the embedded mode's, unchanged: a
//! consumer feeds their input channel and a topic is their [`crate::pipeline::Sink`].

pub mod kafka;
pub mod offsets;
pub mod topic_sink;
pub mod wire;

//! Case events to the hospital CRM (DESIGN.md, "Case and webhook"): signed POSTs, retried
//! with backoff and jitter, from a persistent outbox, with a dead-letter state when the
//! retry budget is spent.
//!
//! The case store queues each event in the `outbox` table in the same transaction as the
//! case change it reports ([`crate::sinks::case_store`]); [`Dispatcher`] sends them;
//! `hearken webhooks` lists and revives them. A receiver checks `X-Hearken-Signature` with
//! [`verify`] and drops deliveries whose `X-Hearken-Delivery` it already has: delivery is
//! at least once, and exactly once in effect only with that check.

pub mod backoff;
pub mod dispatcher;
pub mod outbox;
pub mod signature;

pub use backoff::{Backoff, Jitter};
pub use dispatcher::{DispatchStats, Dispatcher};
pub use outbox::{Delivery, DeliveryState, Outbox, OutboxRow};
pub use signature::{sign, verify, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER};

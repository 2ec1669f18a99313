//! The case feed: every change committed to the case store (a case opened, a post added,
//! an officer's action), read back in commit order and broadcast to the alert streams.
//!
//! It follows the store's audit trail by position (`CaseStore::events_after`), so it sees
//! changes whichever process committed them: in the embedded mode the sink wakes it after
//! every batch (`Counters::batch_committed`), in the distributed mode (another process
//! writes) it polls every `api.feed_poll_ms`. Each change also bumps a generation number
//! that tells the queue's cache its answers are stale.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{broadcast, watch};

use super::store::Stores;
use crate::model::{Case, CaseEventKind};
use crate::pipeline::Counters;

/// One change, as the alert stream sends it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseChange {
    /// `opened`, `post_added`, `escalated`, `acknowledged`, …
    pub event: CaseEventKind,
    pub actor: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
    /// The case as it is now (after this and any later change of the same read).
    pub case: Case,
}

/// Subscribers that fall this far behind lose the oldest changes and are told to reload.
const CHANNEL_CAPACITY: usize = 1024;
/// Events read per query while catching up.
const READ_CHUNK: usize = 500;

pub struct CaseFeed {
    sender: broadcast::Sender<Arc<CaseChange>>,
    generation: AtomicU64,
}

impl CaseFeed {
    pub fn new() -> CaseFeed {
        CaseFeed { sender: broadcast::channel(CHANNEL_CAPACITY).0, generation: AtomicU64::new(0) }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<CaseChange>> {
        self.sender.subscribe()
    }

    /// Changes seen so far: the queue cache's key.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Marks what was cached as stale (after an officer's action, before the feed sees it).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Follows the store from its current end until `stop`.
    pub async fn run(self: Arc<Self>, stores: Arc<Stores>, counters: Arc<Counters>, poll: Duration, mut stop: watch::Receiver<bool>) {
        let reader = stores.clone();
        let mut position = match tokio::task::spawn_blocking(move || reader.read(|s| s.last_event_position())).await {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                tracing::error!("the alert stream cannot read the case store, so it sends nothing: {e:#}");
                return;
            }
            Err(_) => return,
        };
        loop {
            tokio::select! {
                _ = counters.batch_committed.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            loop {
                let reader = stores.clone();
                let read = tokio::task::spawn_blocking(move || {
                    reader.read(|s| {
                        let (events, next) = s.events_after(position, READ_CHUNK)?;
                        let read = events.len();
                        let mut changes = Vec::with_capacity(events.len());
                        let mut cases = std::collections::HashMap::new();
                        for e in events {
                            if !cases.contains_key(&e.case_id) {
                                let case = s.case(&e.case_id)?;
                                cases.insert(e.case_id.clone(), case);
                            }
                            if let Some(Some(case)) = cases.get(&e.case_id) {
                                changes.push(CaseChange { event: e.kind, actor: e.actor, at: e.at, case: case.clone() });
                            }
                        }
                        Ok((changes, read, next))
                    })
                })
                .await;
                let (changes, read, next) = match read {
                    Ok(Ok(r)) => r,
                    Ok(Err(e)) => {
                        tracing::warn!("the alert stream could not read new case events (retrying): {e:#}");
                        break;
                    }
                    Err(_) => return,
                };
                let caught_up = read < READ_CHUNK;
                position = next;
                if !changes.is_empty() {
                    self.invalidate();
                    metrics::counter!("hearken_api_case_changes_total").increment(changes.len() as u64);
                }
                for c in changes {
                    let _ = self.sender.send(Arc::new(c)); // no subscriber: nothing to do
                }
                if caught_up {
                    break;
                }
            }
        }
    }
}

impl Default for CaseFeed {
    fn default() -> Self {
        CaseFeed::new()
    }
}

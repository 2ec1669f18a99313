//! The pipeline runtime: source → core → sinks as stages joined by bounded channels.
//!
//! ```text
//!  sources ──SourceItem──▶ core (scores) ──Scored──▶ sink (group commit)
//!          bounded channel              bounded channel
//! ```
//! Every channel is bounded: when the sink is slow the core waits, and when the core
//! waits the sources stop reading — backpressure, never unbounded buffering. Each item
//! carries the [`Position`] its source reached; the sink commits positions together with
//! the data, so a restart resumes exactly after what was stored (at-least-once delivery,
//! made exactly-once in effect by the sinks' uid keys).
//!
//! The stages only see channels, so the Kafka transport replaces a channel with a topic
//! without changing them.

pub mod dead_letter;
pub mod embedded_sink;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::config::PipelineConfig;
use crate::connectors::{Position, SourceItem};
use crate::core::Scorer;
use crate::sinks::{BatchOutcome, ScoredPost};
use dead_letter::DeadLetter;
pub use embedded_sink::EmbeddedSink;

/// What the core stage hands to the sinks.
#[derive(Debug)]
pub enum Scored {
    Post { scored: ScoredPost, position: Position },
    Rejected { letter: DeadLetter, position: Position },
}

/// Live counters, readable while the pipeline runs (progress bars, the API, metrics).
#[derive(Debug, Default)]
pub struct Counters {
    pub scored: AtomicU64,
    pub rejected: AtomicU64,
    /// Items (posts and dead letters) whose results are committed.
    pub committed: AtomicU64,
    pub stored: AtomicU64,
    pub relevant: AtomicU64,
    pub complaints: AtomicU64,
    pub cases_opened: AtomicU64,
    pub cases_updated: AtomicU64,
}

impl Counters {
    fn add(&self, o: &BatchOutcome, items: u64) {
        self.committed.fetch_add(items, Ordering::Relaxed);
        self.stored.fetch_add(o.stored, Ordering::Relaxed);
        self.relevant.fetch_add(o.relevant, Ordering::Relaxed);
        self.complaints.fetch_add(o.complaints, Ordering::Relaxed);
        self.cases_opened.fetch_add(o.cases_opened, Ordering::Relaxed);
        self.cases_updated.fetch_add(o.cases_updated, Ordering::Relaxed);
        metrics::counter!("hearken_posts_stored_total").increment(o.stored);
        metrics::counter!("hearken_cases_opened_total").increment(o.cases_opened);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// A running pipeline: feed it through `input`, then drop every sender and await `finish`.
pub struct Running {
    pub input: mpsc::Sender<SourceItem>,
    pub counters: Arc<Counters>,
    core: tokio::task::JoinHandle<()>,
    sink: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Waits until every item sent has been scored and committed (the senders must be
    /// dropped first, or this waits for ever).
    pub async fn finish(self) -> anyhow::Result<Arc<Counters>> {
        drop(self.input);
        self.core.await?;
        self.sink.await??;
        Ok(self.counters)
    }
}

/// Starts the core and sink stages. Must be called inside a tokio runtime.
pub fn start(mut scorer: Scorer, mut sink: EmbeddedSink, config: &PipelineConfig) -> Running {
    let capacity = config.channel_capacity.max(1);
    let batch_size = config.batch_size.max(1);
    let (input, mut from_sources) = mpsc::channel::<SourceItem>(capacity);
    let (to_sink, mut from_core) = mpsc::channel::<Scored>(capacity);
    let counters = Arc::new(Counters::default());

    // The core is CPU work: it runs on a blocking thread, never on the async workers.
    let c = counters.clone();
    let core = tokio::task::spawn_blocking(move || {
        while let Some(item) = from_sources.blocking_recv() {
            let out = match item {
                SourceItem::Post { post, position } => {
                    let assessment = scorer.score(&post);
                    c.scored.fetch_add(1, Ordering::Relaxed);
                    Scored::Post { scored: ScoredPost { post, assessment }, position }
                }
                SourceItem::Rejected { letter, position } => {
                    c.rejected.fetch_add(1, Ordering::Relaxed);
                    Scored::Rejected { letter, position }
                }
            };
            if to_sink.blocking_send(out).is_err() {
                break; // the sink failed; its error is reported by `finish`
            }
        }
    });

    // Group commit: take what is waiting (up to batch_size) and commit it at once, so
    // a trickle commits post by post (low latency) and a flood in large batches.
    let c = counters.clone();
    let sink = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut batch = Vec::with_capacity(batch_size);
        while let Some(first) = from_core.blocking_recv() {
            batch.push(first);
            while batch.len() < batch_size {
                match from_core.try_recv() {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
            let items = batch.len() as u64;
            let outcome = sink.write_with_retry(std::mem::replace(&mut batch, Vec::with_capacity(batch_size)))?;
            c.add(&outcome, items);
        }
        Ok(())
    });
    Running { input, counters, core, sink }
}

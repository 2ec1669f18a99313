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
//! The stages only see channels and a [`Sink`], so the distributed mode (`crate::roles`)
//! reuses them unchanged: a Kafka consumer feeds a channel, a Kafka topic is a [`Sink`],
//! and the sink stage acknowledges the positions of each durable batch so the consumer
//! can commit its offsets.

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

/// Seconds a stage spent per item (core: scoring one post) or per batch (sink: one
/// durable write), labelled `stage` — for `/metrics`.
pub const STAGE_SECONDS: &str = "hearken_stage_seconds";
/// Items waiting in a stage's input channel, labelled `queue`.
pub const QUEUE_DEPTH: &str = "hearken_queue_depth";

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
    /// Woken after every committed batch: the API's case feed reads the changes at once
    /// instead of waiting for its next poll.
    pub batch_committed: tokio::sync::Notify,
}

impl Counters {
    fn add(&self, o: &BatchOutcome, items: u64) {
        self.committed.fetch_add(items, Ordering::Relaxed);
        self.stored.fetch_add(o.stored, Ordering::Relaxed);
        self.relevant.fetch_add(o.relevant, Ordering::Relaxed);
        self.complaints.fetch_add(o.complaints, Ordering::Relaxed);
        self.cases_opened.fetch_add(o.cases_opened, Ordering::Relaxed);
        self.cases_updated.fetch_add(o.cases_updated, Ordering::Relaxed);
        metrics::counter!("hearken_posts_committed_total").increment(items);
        metrics::counter!("hearken_posts_stored_total").increment(o.stored);
        metrics::counter!("hearken_posts_relevant_total").increment(o.relevant);
        metrics::counter!("hearken_complaints_total").increment(o.complaints);
        metrics::counter!("hearken_cases_opened_total").increment(o.cases_opened);
        metrics::counter!("hearken_cases_updated_total").increment(o.cases_updated);
        self.batch_committed.notify_one();
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
pub fn start(scorer: Scorer, sink: EmbeddedSink, config: &PipelineConfig) -> Running {
    let capacity = config.channel_capacity.max(1);
    let (input, from_sources) = mpsc::channel::<SourceItem>(capacity);
    let (to_sink, from_core) = mpsc::channel::<Scored>(capacity);
    let counters = Arc::new(Counters::default());
    let core = spawn_core(scorer, from_sources, to_sink, counters.clone());
    let sink = spawn_sink(sink, from_core, config.batch_size, counters.clone(), None);
    Running { input, counters, core, sink }
}

/// Anything that carries the position its source reached.
pub trait Positioned {
    fn position(&self) -> &Position;
}

impl Positioned for SourceItem {
    fn position(&self) -> &Position {
        SourceItem::position(self)
    }
}

impl Positioned for Scored {
    fn position(&self) -> &Position {
        match self {
            Scored::Post { position, .. } | Scored::Rejected { position, .. } => position,
        }
    }
}

/// Where a stage's output goes for good: the embedded stores, a Kafka topic (distributed
/// mode), ClickHouse. `write_batch` runs on a blocking thread. Once the sink says what it
/// was given is [`durable`](Sink::durable), the sink stage acknowledges those positions —
/// which is what lets a Kafka consumer commit its offsets. A batch that fails is not
/// acknowledged: the stage stops, and what it held is read again after a restart.
///
/// Most sinks are durable when `write_batch` returns. A sink that gathers rows into
/// larger inserts (ClickHouse wants few, large ones) says it is not, tells the stage
/// when its buffer is due ([`next_flush`](Sink::next_flush)), and the stage calls
/// [`flush`](Sink::flush) then even when no input comes: positions are acknowledged late,
/// never early. A sink that keeps its last batch in flight while the next is prepared (a
/// Kafka topic) says how many of the latest items are not confirmed yet
/// ([`unconfirmed`](Sink::unconfirmed)); the ones before them are acknowledged.
pub trait Sink: Send + 'static {
    type Item: Positioned + Send + 'static;
    fn write_batch(&mut self, batch: Vec<Self::Item>) -> anyhow::Result<BatchOutcome>;

    /// Whether everything written so far is stored for good.
    fn durable(&self) -> bool {
        true
    }

    /// How many of the items written last (in order) are not stored for good yet; the
    /// items before them are. By default all of them, unless the sink is durable.
    fn unconfirmed(&self) -> usize {
        if self.durable() {
            0
        } else {
            usize::MAX
        }
    }

    /// When buffered writes are due; `None` when nothing is buffered.
    fn next_flush(&self) -> Option<std::time::Instant> {
        None
    }

    /// Stores what is buffered; afterwards the sink is durable.
    fn flush(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

impl Sink for EmbeddedSink {
    type Item = Scored;
    fn write_batch(&mut self, batch: Vec<Scored>) -> anyhow::Result<BatchOutcome> {
        self.write_with_retry(&batch)
    }
}

/// Told the positions of every batch a sink has made durable, in the order written.
pub type Acknowledge = Box<dyn FnMut(&[Position]) + Send>;

/// The core stage: scores every post from `from` and hands it on; rejected input passes
/// through with its dead letter. CPU work, so it runs on a blocking thread, and a run of
/// waiting posts is assessed on every core ([`Scorer::assess`]) and finished in stream
/// order ([`Scorer::finish`]), which gives the verdicts of scoring one by one. Ends when
/// `from` is closed and drained, or when `to` is closed (the next stage failed).
pub fn spawn_core(
    scorer: Scorer,
    mut from: mpsc::Receiver<SourceItem>,
    to: mpsc::Sender<Scored>,
    counters: Arc<Counters>,
) -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_blocking(move || {
        let latency = metrics::histogram!(STAGE_SECONDS, "stage" => "core");
        let depth = metrics::gauge!(QUEUE_DEPTH, "queue" => "core_input");
        // Handles taken once: looking a metric up by name costs more than scoring's
        // cheapest stages.
        let scored_total = metrics::counter!("hearken_posts_scored_total");
        let rejected_total = metrics::counter!("hearken_dead_letters_total", "stage" => "source");
        // Take what is waiting in one go, so a flood costs one wake-up per run of posts
        // rather than one per post (a trickle still goes post by post).
        let mut run: Vec<SourceItem> = Vec::with_capacity(CORE_RUN);
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        loop {
            match from.blocking_recv() {
                Some(item) => run.push(item),
                None => break,
            }
            while run.len() < CORE_RUN {
                match from.try_recv() {
                    Ok(item) => run.push(item),
                    Err(_) => break,
                }
            }
            depth.set(from.len() as f64);
            let started = std::time::Instant::now();
            let drafts = assess_run(&scorer, &run, workers);
            let posts = drafts.len();
            let mut drafts = drafts.into_iter();
            for item in run.drain(..) {
                let out = match item {
                    SourceItem::Post { post, position } => {
                        let draft = drafts.next().expect("one draft per post");
                        // In stream order: the duplicate check remembers what it saw.
                        let assessment = scorer.finish(&post, draft);
                        counters.scored.fetch_add(1, Ordering::Relaxed);
                        scored_total.increment(1);
                        Scored::Post { scored: ScoredPost { post, assessment }, position }
                    }
                    SourceItem::Rejected { letter, position } => {
                        counters.rejected.fetch_add(1, Ordering::Relaxed);
                        rejected_total.increment(1);
                        Scored::Rejected { letter, position }
                    }
                };
                // Room in the channel: no need to go through the blocking path.
                let out = match to.try_send(out) {
                    Ok(()) => continue,
                    Err(mpsc::error::TrySendError::Full(out)) => out,
                    Err(mpsc::error::TrySendError::Closed(_)) => return, // the sink failed; whoever awaits it reports
                };
                if to.blocking_send(out).is_err() {
                    return;
                }
            }
            // Each post of the run gets the run's time per post (assessed on several
            // threads, finished in order).
            if posts > 0 {
                latency.record_many(started.elapsed().as_secs_f64() / posts as f64, posts);
            }
        }
    })
}

/// The stateless stages of every post of a run, in order; a long run is split over
/// `workers` threads (the duplicate check, which needs stream order, comes after).
fn assess_run(scorer: &Scorer, run: &[SourceItem], workers: usize) -> Vec<crate::core::Draft> {
    let posts: Vec<&crate::model::Post> = run
        .iter()
        .filter_map(|i| match i {
            SourceItem::Post { post, .. } => Some(post),
            SourceItem::Rejected { .. } => None,
        })
        .collect();
    if workers < 2 || posts.len() < PARALLEL_RUN {
        return posts.iter().map(|p| scorer.assess(p)).collect();
    }
    let chunk = posts.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let mut chunks = posts.chunks(chunk);
        let first = chunks.next().unwrap_or_default();
        let others: Vec<_> = chunks.map(|c| scope.spawn(move || c.iter().map(|p| scorer.assess(p)).collect::<Vec<_>>())).collect();
        let mut drafts: Vec<crate::core::Draft> = first.iter().map(|p| scorer.assess(p)).collect();
        for handle in others {
            drafts.extend(handle.join().expect("scoring a post panicked"));
        }
        drafts
    })
}

/// Runs shorter than this are scored on the stage's own thread: spawning helpers would
/// cost more than it saves (and a trickle wants no extra hop).
const PARALLEL_RUN: usize = 32;

/// Most posts the core stage takes from its input at once.
const CORE_RUN: usize = 256;

/// The sink stage, with group commit: take what is waiting (up to `batch_size`) and write
/// it at once, so a trickle is written item by item (low latency) and a flood in large
/// batches. After each durable batch, `acknowledge` (if any) is told its positions.
pub fn spawn_sink<S: Sink>(
    mut sink: S,
    mut from: mpsc::Receiver<S::Item>,
    batch_size: usize,
    counters: Arc<Counters>,
    mut acknowledge: Option<Acknowledge>,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    let batch_size = batch_size.max(1);
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut batch = Vec::with_capacity(batch_size);
        // Positions written but not yet durable in a buffering sink.
        let mut pending: Vec<Position> = Vec::new();
        let acknowledging = acknowledge.is_some();
        let mut ack = |sink: &S, pending: &mut Vec<Position>| {
            if let Some(ack) = acknowledge.as_mut() {
                let ready = pending.len() - sink.unconfirmed().min(pending.len());
                if ready > 0 {
                    ack(&pending[..ready]);
                    pending.drain(..ready);
                }
            }
        };
        let latency = metrics::histogram!(STAGE_SECONDS, "stage" => "sink");
        let depth = metrics::gauge!(QUEUE_DEPTH, "queue" => "sink_input");
        loop {
            let first = match sink.next_flush() {
                None => from.blocking_recv(),
                Some(due) => match runtime.block_on(tokio::time::timeout_at(due.into(), from.recv())) {
                    Ok(item) => item,
                    Err(_elapsed) => {
                        sink.flush()?;
                        ack(&sink, &mut pending);
                        continue;
                    }
                },
            };
            let Some(first) = first else { break };
            depth.set(from.len() as f64 + 1.0);
            batch.push(first);
            while batch.len() < batch_size {
                match from.try_recv() {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
            let items = batch.len() as u64;
            if acknowledging {
                pending.extend(batch.iter().map(|i| i.position().clone()));
            }
            let started = std::time::Instant::now();
            let outcome = sink.write_batch(std::mem::replace(&mut batch, Vec::with_capacity(batch_size)))?;
            latency.record(started.elapsed().as_secs_f64());
            counters.add(&outcome, items);
            ack(&sink, &mut pending);
        }
        // The input is closed and drained: store what a buffering sink still holds.
        sink.flush()?;
        ack(&sink, &mut pending);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::core::EntitiesFile;
    use crate::model::{NoiseReason, Post};

    fn scorer() -> Scorer {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let entities = EntitiesFile::load(&root.join("lexicons/entities.toml")).unwrap();
        Scorer::new(&Config::parse("").unwrap().core, &entities).unwrap()
    }

    /// Posts naming a sample hospital, with reshares of earlier posts at varying
    /// distances (so a duplicate's original may sit in another thread's share of a run).
    fn posts(n: usize) -> Vec<Post> {
        let texts = [
            "Waited five hours at RS Zenith emergency and nobody came to see my father",
            "The nurses at RS Zenith were lovely, thank you for caring for my mum",
            "Sudah 3 jam menunggu di IGD RS Zenith, tidak ada dokter sama sekali",
            "Billing at RS Zenith charged us twice and nobody answers the phone",
        ];
        (0..n)
            .map(|i| {
                let text = if i % 7 == 3 && i > 40 {
                    format!("RT {}", texts[(i - 37) % texts.len()]) // a reshare of an earlier post
                } else {
                    format!("{} (visit {i})", texts[i % texts.len()])
                };
                let line = serde_json::json!({"id": format!("p{i}"), "source": "mastodon", "text": text, "author": {"handle": format!("a{}", i % 13)}});
                Post::from_json_line(&line.to_string()).unwrap()
            })
            .collect()
    }

    /// The core stage assesses runs on several threads and finishes them in order: its
    /// verdicts, duplicates included, are those of scoring one post after another.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn core_stage_gives_the_verdicts_of_scoring_one_by_one() {
        let posts = posts(2_000);
        let mut one_by_one = scorer();
        let expected: Vec<_> = posts.iter().map(|p| one_by_one.score(p)).collect();
        assert!(expected.iter().any(|a| a.noise == Some(NoiseReason::Duplicate)), "the corpus must hold duplicates");

        let (input, from) = mpsc::channel(4096);
        let (to, mut output) = mpsc::channel(4096);
        let core = spawn_core(scorer(), from, to, Arc::new(Counters::default()));
        // All at once, so the stage sees long runs and splits them over threads.
        for (i, post) in posts.iter().enumerate() {
            input.send(SourceItem::Post { post: post.clone(), position: Position::at("test", i as u64 + 1) }).await.unwrap();
        }
        drop(input);
        let mut got = Vec::new();
        while let Some(item) = output.recv().await {
            match item {
                Scored::Post { scored, position } => got.push((position.offset, scored.assessment)),
                Scored::Rejected { .. } => panic!("no post here is malformed"),
            }
        }
        core.await.unwrap();
        assert_eq!(got.len(), posts.len());
        for (i, (offset, assessment)) in got.into_iter().enumerate() {
            assert_eq!(offset, i as u64 + 1, "posts leave in the order they came");
            assert_eq!(assessment, expected[i], "post {i}: {}", posts[i].text);
        }
    }
}

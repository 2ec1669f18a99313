//! Kafka for the distributed mode, through rdkafka and its bundled librdkafka.
//!
//! - [`ensure_topics`]: the topics of `[kafka.topics]`, created at start when missing.
//! - [`Publisher`]: an idempotent producer (`enable.idempotence`): a retry inside
//!   librdkafka never writes a message twice. [`Publisher::send_all`] returns once the
//!   broker has every message of a batch — that is the "confirmed" a stage waits for before
//!   its input offsets may be committed.
//! - [`spawn_reader`]: a consumer-group member that feeds a pipeline channel and commits,
//!   by hand, only offsets whose results were confirmed ([`super::offsets`]). A full
//!   channel makes the reader wait (a slow sink slows its consumer; memory stays bounded by
//!   the channel and librdkafka's prefetch limit); after a long stall it pauses the
//!   partitions, so it keeps polling and stays in the group, and resumes them when there
//!   is room. (Pausing at once would be costly: librdkafka drops the prefetched messages
//!   of a paused partition and fetches them again on resume.) On a rebalance, revoked
//!   partitions get a few seconds to finish what is in flight, then what is done is
//!   committed before they go; the rest is read again by their next owner.
//!
//! Positions of Kafka input are `kafka:TOPIC/PARTITION` with the message offset + 1, the
//! same [`Position`] the embedded sources use, so the pipeline stages need no change.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::sync::mpsc;

use super::offsets::OffsetTracker;
use crate::config::KafkaConfig;
use crate::connectors::Position;
use crate::pipeline::Acknowledge;

/// How long a consumer waits between commits of its confirmed offsets...
const COMMIT_INTERVAL: Duration = Duration::from_millis(200);
/// ... unless this many messages were confirmed meanwhile: a crash then makes the group
/// read again at most this many confirmed messages (plus what is in flight), however
/// fast the stage runs.
pub const COMMIT_AFTER_MESSAGES: usize = 500;
/// How long revoked partitions may take to finish what is in flight before they go.
const REVOKE_DRAIN: Duration = Duration::from_secs(10);
/// How long the reader waits for room in a full pipeline before it polls again.
const FULL_WAIT: Duration = Duration::from_millis(100);
/// How long the pipeline may stay full before the reader pauses its partitions.
const PAUSE_AFTER: Duration = Duration::from_secs(5);
/// How long a stopping consumer waits for the pipeline to confirm what it has.
const STOP_DRAIN: Duration = Duration::from_secs(60);
/// Attempts to deliver a message (each lasting up to `message.timeout.ms`).
const DELIVERY_ATTEMPTS: u32 = 3;

/// The stream name of a Kafka partition in a [`Position`].
pub fn stream_name(topic: &str, partition: i32) -> String {
    format!("kafka:{topic}/{partition}")
}

/// The position after the message at `offset`.
pub fn position(topic: &str, partition: i32, offset: i64) -> Position {
    Position::at(stream_name(topic, partition), (offset + 1) as u64)
}

/// `(partition, message offset)` of a position of `topic`, or `None` for other streams.
pub fn parse_position(topic: &str, position: &Position) -> Option<(i32, i64)> {
    let rest = position.stream.strip_prefix("kafka:")?.strip_prefix(topic)?.strip_prefix('/')?;
    let partition = rest.parse().ok()?;
    Some((partition, position.offset as i64 - 1))
}

/// Settings every client shares.
pub fn client_config(kafka: &KafkaConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", kafka.brokers.trim())
        .set("client.id", "hearken")
        .set("socket.timeout.ms", "30000")
        .set("socket.keepalive.enable", "true");
    c
}

/// Forwards librdkafka's log to `tracing` under the target `librdkafka`.
#[derive(Clone, Default)]
pub struct LogContext;

impl ClientContext for LogContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical | RDKafkaLogLevel::Error => {
                tracing::error!(target: "librdkafka", "{fac}: {message}")
            }
            RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", "{fac}: {message}"),
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => tracing::info!(target: "librdkafka", "{fac}: {message}"),
            RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", "{fac}: {message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(target: "librdkafka", "{error}: {reason}");
    }
}

/// Creates the topics that do not exist yet, each with `kafka.topics.partitions`
/// partitions. Topics that exist are left as they are (their partition count included).
pub async fn ensure_topics(kafka: &KafkaConfig, names: &[&str]) -> anyhow::Result<()> {
    let admin: AdminClient<LogContext> = client_config(kafka)
        .create_with_context(LogContext)
        .map_err(|e| anyhow::anyhow!("cannot create a Kafka admin client for {}: {e}", kafka.brokers))?;
    let metadata = {
        let client = admin.inner();
        tokio::task::block_in_place(|| client.fetch_metadata(None, Duration::from_secs(30)))
    }
    .map_err(|e| {
        anyhow::anyhow!("cannot reach Kafka at {}: {e}; check kafka.brokers or HEARKEN_KAFKA_BROKERS", kafka.brokers)
    })?;
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !metadata.topics().iter().any(|t| t.name() == *n && t.error().is_none() && !t.partitions().is_empty()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let topics = &kafka.topics;
    let new: Vec<NewTopic> = missing
        .iter()
        .map(|n| NewTopic::new(n, topics.partitions, TopicReplication::Fixed(topics.replication_factor)))
        .collect();
    let results = admin
        .create_topics(&new, &AdminOptions::new().request_timeout(Some(Duration::from_secs(30))))
        .await
        .map_err(|e| anyhow::anyhow!("creating Kafka topics {missing:?}: {e}"))?;
    for result in results {
        match result {
            Ok(name) => tracing::info!("created Kafka topic {name} ({} partitions)", topics.partitions),
            // Another process created it meanwhile: fine.
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, e)) => anyhow::bail!("cannot create Kafka topic {name}: {e}"),
        }
    }
    Ok(())
}

/// One message to publish.
pub struct Outgoing {
    pub topic: String,
    pub key: Option<String>,
    pub payload: Vec<u8>,
    pub headers: OwnedHeaders,
}

/// Messages in the producer's queue, on their way to the broker (see [`Publisher::start`]).
pub struct Sending {
    futures: Vec<(Outgoing, rdkafka::producer::DeliveryFuture)>,
    attempt: u32,
}

impl Sending {
    pub fn len(&self) -> usize {
        self.futures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.futures.is_empty()
    }
}

/// The producer every stage publishes with. Cheap to clone (one librdkafka handle).
#[derive(Clone)]
pub struct Publisher {
    producer: FutureProducer<LogContext>,
}

impl Publisher {
    pub fn new(kafka: &KafkaConfig) -> anyhow::Result<Publisher> {
        let mut c = client_config(kafka);
        c.set("linger.ms", "5")
            .set("batch.num.messages", "10000")
            // Memory bound of the send queue; a full queue makes `send_all` wait.
            .set("queue.buffering.max.kbytes", "65536")
            .set("message.timeout.ms", "120000")
            .set("acks", "all");
        if kafka.idempotence {
            c.set("enable.idempotence", "true");
        } else {
            tracing::warn!(
                "kafka.idempotence = false: the producer may write a message twice when it retries a send \
                 (the sinks still store each post once, by uid); set it to true when the brokers support idempotent producers"
            );
            c.set("enable.idempotence", "false");
        }
        let producer = c
            .create_with_context(LogContext)
            .map_err(|e| anyhow::anyhow!("cannot create a Kafka producer for {}: {e}", kafka.brokers))?;
        Ok(Publisher { producer })
    }

    /// Publishes every message and waits until the broker has them all (idempotent
    /// producer, `acks=all`). A message that fails is sent again, up to
    /// [`DELIVERY_ATTEMPTS`] times. Returns the number of messages published.
    pub async fn send_all(&self, messages: Vec<Outgoing>) -> anyhow::Result<usize> {
        let sending = self.start(messages).await?;
        self.finish(sending).await
    }

    /// Puts every message in the send queue and returns without waiting for the broker:
    /// [`Publisher::finish`] waits (and resends what failed). In between, the caller can
    /// prepare the next batch while this one travels.
    pub async fn start(&self, messages: Vec<Outgoing>) -> anyhow::Result<Sending> {
        let mut futures = Vec::with_capacity(messages.len());
        for m in messages {
            let future = self.enqueue(&m).await?;
            futures.push((m, future));
        }
        Ok(Sending { futures, attempt: 1 })
    }

    /// Waits until the broker has every message of `sending`, sending again those that
    /// failed, up to [`DELIVERY_ATTEMPTS`] attempts in all.
    pub async fn finish(&self, mut sending: Sending) -> anyhow::Result<usize> {
        let total = sending.futures.len();
        loop {
            let mut pending = Vec::new();
            let mut last_error = None;
            for (m, future) in sending.futures.drain(..) {
                match future.await {
                    Ok(Ok(_)) => {}
                    Ok(Err((e, _))) => {
                        last_error = Some(e.to_string());
                        pending.push(m);
                    }
                    Err(_) => {
                        last_error = Some("the producer was dropped".into());
                        pending.push(m);
                    }
                }
            }
            if pending.is_empty() {
                return Ok(total);
            }
            let error = last_error.unwrap_or_default();
            if let Some(fatal) = self.producer.client().fatal_error() {
                anyhow::bail!(
                    "the Kafka producer hit a fatal error ({fatal:?}); if the broker does not support idempotent producers, set kafka.idempotence = false"
                );
            }
            if sending.attempt >= DELIVERY_ATTEMPTS {
                anyhow::bail!("{} of {total} messages could not be delivered to Kafka: {error}", pending.len());
            }
            tracing::warn!(
                "{} of {total} messages were not delivered (attempt {} of {DELIVERY_ATTEMPTS}): {error}; sending them again",
                pending.len(),
                sending.attempt
            );
            let again = self.start(pending).await?;
            sending = Sending { futures: again.futures, attempt: sending.attempt + 1 };
        }
    }

    /// [`Publisher::send_all`] from a blocking thread (a pipeline sink stage).
    pub fn send_all_blocking(&self, runtime: &tokio::runtime::Handle, messages: Vec<Outgoing>) -> anyhow::Result<usize> {
        runtime.block_on(self.send_all(messages))
    }

    /// Puts one message in the send queue, waiting while the queue is full.
    async fn enqueue(&self, m: &Outgoing) -> anyhow::Result<rdkafka::producer::DeliveryFuture> {
        loop {
            let mut record = FutureRecord::to(&m.topic).payload(&m.payload).headers(m.headers.clone());
            if let Some(key) = &m.key {
                record = record.key(key);
            }
            match self.producer.send_result(record) {
                Ok(future) => return Ok(future),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((e, _)) => anyhow::bail!("cannot send to Kafka topic {}: {e}", m.topic),
            }
        }
    }

    /// Waits until everything queued is delivered (at shutdown).
    pub fn flush(&self, timeout: Duration) {
        if let Err(e) = self.producer.flush(timeout) {
            tracing::warn!("Kafka producer flush: {e}");
        }
    }
}

/// What a reader did, for the role summaries.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReaderStats {
    /// Messages handed to the pipeline.
    pub handed_on: u64,
    /// Messages read but dropped because their partition was revoked first (their next
    /// owner reads them again).
    pub dropped_on_revoke: u64,
    /// Times the partitions were paused because the pipeline stayed full.
    pub pauses: u64,
    pub commits: u64,
    /// Partition assignments received (one per rebalance this member took part in).
    pub assignments: u64,
}

struct Shared {
    topic: String,
    tracker: Mutex<OffsetTracker>,
    confirmed: Condvar,
    stop: AtomicBool,
    pipeline_done: AtomicBool,
    commits: AtomicU64,
    assignments: AtomicU64,
}

impl Shared {
    fn tracker(&self) -> std::sync::MutexGuard<'_, OffsetTracker> {
        self.tracker.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct ReaderContext {
    shared: Arc<Shared>,
}

impl ClientContext for ReaderContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        LogContext.log(level, fac, message)
    }

    fn error(&self, error: KafkaError, reason: &str) {
        LogContext.error(error, reason)
    }
}

impl ConsumerContext for ReaderContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(list) = rebalance else { return };
        let shared = &self.shared;
        let partitions: Vec<i32> = list.elements_for_topic(&shared.topic).iter().map(|e| e.partition()).collect();
        // Let what is in flight finish (the pipeline runs on other threads), so the next
        // owner does not do it again; but not for ever: the group waits for us.
        let deadline = Instant::now() + REVOKE_DRAIN;
        let mut tracker = shared.tracker();
        loop {
            let in_flight: usize = partitions.iter().map(|p| tracker.in_flight(*p)).sum();
            let now = Instant::now();
            if in_flight == 0 || now >= deadline || shared.pipeline_done.load(Ordering::Relaxed) {
                break;
            }
            tracker = shared.confirmed.wait_timeout(tracker, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
        let left: usize = partitions.iter().map(|p| tracker.in_flight(*p)).sum();
        let offsets: Vec<(i32, i64)> = partitions.iter().filter_map(|p| tracker.revoke(*p).map(|n| (*p, n))).collect();
        drop(tracker);
        if !offsets.is_empty() {
            match consumer.commit(&offset_list(&shared.topic, &offsets), CommitMode::Sync) {
                Ok(()) => {
                    shared.commits.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => tracing::warn!("{}: committing {offsets:?} before a rebalance failed: {e}", shared.topic),
            }
        }
        tracing::info!(
            "{}: partitions {partitions:?} revoked; committed {offsets:?}; {left} messages were still in flight (their next owner reads them again)",
            shared.topic
        );
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                self.shared.assignments.fetch_add(1, Ordering::Relaxed);
                let partitions: Vec<i32> = list.elements_for_topic(&self.shared.topic).iter().map(|e| e.partition()).collect();
                let mut tracker = self.shared.tracker();
                for p in &partitions {
                    tracker.assign(*p);
                }
                tracing::info!("{}: partitions {partitions:?} assigned", self.shared.topic);
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => tracing::warn!("{}: rebalance error: {e}", self.shared.topic),
        }
    }
}

fn offset_list(topic: &str, offsets: &[(i32, i64)]) -> TopicPartitionList {
    let mut list = TopicPartitionList::with_capacity(offsets.len());
    for (p, n) in offsets {
        let _ = list.add_partition_offset(topic, *p, Offset::Offset(*n));
    }
    list
}

/// A running consumer-group member; see [`spawn_reader`].
pub struct Reader {
    shared: Arc<Shared>,
    thread: std::thread::JoinHandle<anyhow::Result<ReaderStats>>,
}

impl Reader {
    /// The callback for the sink stage: confirms the positions of a durable batch.
    pub fn acknowledger(&self) -> Acknowledge {
        let shared = self.shared.clone();
        Box::new(move |positions: &[Position]| {
            let mut tracker = shared.tracker();
            for p in positions {
                if let Some((partition, offset)) = parse_position(&shared.topic, p) {
                    tracker.done(partition, offset);
                }
            }
            drop(tracker);
            shared.confirmed.notify_all();
        })
    }

    /// Stop reading: the pipeline's input is closed, and the reader commits what the
    /// pipeline confirms until it is drained (or [`Reader::pipeline_done`] is called).
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }

    /// No more confirmations will come (the pipeline has ended).
    pub fn pipeline_done(&self) {
        self.shared.pipeline_done.store(true, Ordering::Relaxed);
        self.shared.confirmed.notify_all();
    }

    /// Waits for the reader to commit and leave the group.
    pub async fn join(self) -> anyhow::Result<ReaderStats> {
        let thread = self.thread;
        tokio::task::spawn_blocking(move || thread.join().map_err(|_| anyhow::anyhow!("the Kafka reader thread panicked"))?).await?
    }
}

struct Held<T> {
    epoch: u64,
    partition: i32,
    offset: i64,
    item: T,
}

/// Joins consumer group `group` on `topic` and hands every message, turned into a
/// pipeline item by `decode`, to `out`. Runs on its own thread until [`Reader::stop`].
pub fn spawn_reader<T, F>(kafka: &KafkaConfig, topic: &str, group: &str, out: mpsc::Sender<T>, decode: F) -> anyhow::Result<Reader>
where
    T: Send + 'static,
    F: FnMut(&BorrowedMessage<'_>) -> T + Send + 'static,
{
    let shared = Arc::new(Shared {
        topic: topic.to_string(),
        tracker: Mutex::new(OffsetTracker::new()),
        confirmed: Condvar::new(),
        stop: AtomicBool::new(false),
        pipeline_done: AtomicBool::new(false),
        commits: AtomicU64::new(0),
        assignments: AtomicU64::new(0),
    });
    let session = kafka.session_timeout_ms.max(1000);
    let mut c = client_config(kafka);
    c.set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        // Tansu completes a group's first JoinGroup only after about half the session
        // timeout, so the default 45 s would mean ~23 s before the first message.
        .set("session.timeout.ms", session.to_string())
        .set("heartbeat.interval.ms", (session / 3).to_string())
        // Bounded prefetch: with the pipeline's bounded channels this bounds memory.
        .set("queued.max.messages.kbytes", "16384")
        .set("fetch.wait.max.ms", "100");
    let consumer: BaseConsumer<ReaderContext> = c
        .create_with_context(ReaderContext { shared: shared.clone() })
        .map_err(|e| anyhow::anyhow!("cannot create a Kafka consumer for {}: {e}", kafka.brokers))?;
    consumer.subscribe(&[topic]).map_err(|e| anyhow::anyhow!("cannot subscribe to {topic}: {e}"))?;
    let s = shared.clone();
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| anyhow::anyhow!("spawn_reader must be called inside the tokio runtime"))?;
    let thread = std::thread::Builder::new()
        .name(format!("kafka-{topic}"))
        .spawn(move || read_loop(consumer, s, out, decode, runtime))?;
    Ok(Reader { shared, thread })
}

fn read_loop<T, F>(
    consumer: BaseConsumer<ReaderContext>,
    shared: Arc<Shared>,
    out: mpsc::Sender<T>,
    mut decode: F,
    runtime: tokio::runtime::Handle,
) -> anyhow::Result<ReaderStats>
where
    F: FnMut(&BorrowedMessage<'_>) -> T,
{
    let topic = shared.topic.clone();
    let mut stats = ReaderStats::default();
    // Messages read but not yet handed on (the channel was full), in offset order.
    let mut held: VecDeque<Held<T>> = VecDeque::new();
    // The assignment version under which the partitions were paused, if they are.
    let mut paused: Option<u64> = None;
    let mut last_commit = Instant::now();
    let mut last_error: Option<Instant> = None;
    // Since when the channel has been full (something is held), if it is.
    let mut full_since: Option<Instant> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        // 1. Hand on what is held, in order. When the channel is full, wait a little for
        //    room: that wait is the backpressure, and it keeps librdkafka's prefetched
        //    messages (pausing would drop them, to be fetched again on resume).
        let mut closed = false;
        while let Some(h) = held.front() {
            if shared.tracker().epoch(h.partition) != Some(h.epoch) {
                held.pop_front(); // its partition was revoked meanwhile
                stats.dropped_on_revoke += 1;
                continue;
            }
            let permit = match out.try_reserve() {
                Ok(permit) => permit,
                Err(mpsc::error::TrySendError::Closed(())) => {
                    closed = true;
                    break;
                }
                Err(mpsc::error::TrySendError::Full(())) if paused.is_some() => break,
                Err(mpsc::error::TrySendError::Full(())) => match runtime.block_on(async { tokio::time::timeout(FULL_WAIT, out.reserve()).await }) {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_)) => {
                        closed = true;
                        break;
                    }
                    Err(_) => break, // still full: poll (callbacks, heartbeats of the app) and try again
                },
            };
            let h = held.pop_front().expect("front exists");
            shared.tracker().dispatched(h.partition, h.offset);
            permit.send(h.item);
            stats.handed_on += 1;
        }
        if closed {
            tracing::warn!("{topic}: the pipeline stopped taking messages; the reader stops");
            break;
        }
        // 2. A long stall (a sink down, a slow store): pause the partitions so the reader
        //    can keep polling — and stay in the group — without reading more. Resume once
        //    everything held is handed on.
        let version = shared.tracker().assignment_version;
        if held.is_empty() {
            full_since = None;
            if paused.take().is_some() {
                if let Ok(assignment) = consumer.assignment() {
                    let _ = consumer.resume(&assignment);
                }
            }
        } else {
            let since = *full_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= PAUSE_AFTER && paused != Some(version) {
                if let Ok(assignment) = consumer.assignment() {
                    let _ = consumer.pause(&assignment);
                }
                if paused.is_none() {
                    stats.pauses += 1;
                    tracing::info!("{topic}: the pipeline has been full for {PAUSE_AFTER:?}; partitions paused until it takes more");
                }
                paused = Some(version);
            }
        }
        // 3. Commit what the pipeline has confirmed.
        if last_commit.elapsed() >= COMMIT_INTERVAL || shared.tracker().confirmed_since_commit() >= COMMIT_AFTER_MESSAGES {
            commit(&consumer, &shared, CommitMode::Async);
            last_commit = Instant::now();
        }
        // 4. Read (this also runs the rebalance callbacks).
        // While something is held, poll without waiting (one message at most joins the
        // queue per wait above); while paused, nothing comes but callbacks.
        let wait = match (held.is_empty(), paused.is_some()) {
            (true, _) => Duration::from_millis(100),
            (false, false) => Duration::ZERO,
            (false, true) => Duration::from_millis(50),
        };
        match consumer.poll(wait) {
            Some(Ok(message)) => {
                let partition = message.partition();
                if let Some(epoch) = shared.tracker().epoch(partition) {
                    let offset = message.offset();
                    held.push_back(Held { epoch, partition, offset, item: decode(&message) });
                }
            }
            // Broker hiccups are retried by librdkafka; say so now and then.
            Some(Err(e)) if last_error.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) => {
                tracing::warn!("{topic}: Kafka consumer error (retrying): {e}");
                last_error = Some(Instant::now());
            }
            Some(Err(_)) | None => {}
        }
    }

    // Stopping: read nothing more, close the pipeline's input, and commit what it confirms.
    if let Ok(assignment) = consumer.assignment() {
        let _ = consumer.pause(&assignment);
    }
    drop(held); // never handed on: read again after a restart
    drop(out);
    let deadline = Instant::now() + STOP_DRAIN;
    while shared.tracker().total_in_flight() > 0 && !shared.pipeline_done.load(Ordering::Relaxed) && Instant::now() < deadline {
        let _ = consumer.poll(Duration::from_millis(50)); // serve callbacks; nothing is handed on
        if last_commit.elapsed() >= COMMIT_INTERVAL {
            commit(&consumer, &shared, CommitMode::Async);
            last_commit = Instant::now();
        }
    }
    let left = shared.tracker().total_in_flight();
    if left > 0 {
        tracing::warn!("{topic}: stopping with {left} messages unconfirmed; they will be read again");
    }
    commit(&consumer, &shared, CommitMode::Sync);
    consumer.unsubscribe();
    stats.commits = shared.commits.load(Ordering::Relaxed);
    stats.assignments = shared.assignments.load(Ordering::Relaxed);
    Ok(stats)
}

fn commit(consumer: &BaseConsumer<ReaderContext>, shared: &Shared, mode: CommitMode) {
    let offsets = match mode {
        CommitMode::Sync => shared.tracker().commit_points(),
        CommitMode::Async => shared.tracker().uncommitted(),
    };
    if offsets.is_empty() {
        return;
    }
    match consumer.commit(&offset_list(&shared.topic, &offsets), mode) {
        Ok(()) => {
            shared.tracker().mark_committed(&offsets);
            shared.commits.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => tracing::warn!("{}: commit of {offsets:?} failed (retried with the next one): {e}", shared.topic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_name_topic_and_partition() {
        let p = position("hearken.posts.raw", 3, 41);
        assert_eq!(p.stream, "kafka:hearken.posts.raw/3");
        assert_eq!(p.offset, 42);
        assert_eq!(parse_position("hearken.posts.raw", &p), Some((3, 41)));
        assert_eq!(parse_position("hearken.posts", &p), None);
        assert_eq!(parse_position("hearken.posts.raw", &Position::at("replay:/x", 5)), None);
    }
}

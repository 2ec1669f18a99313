//! The `sinks` role: scored topic → the stores.
//!
//! A Kafka reader in group `GROUP_ID.sinks` feeds the embedded mode's sink stage (group
//! commit) writing to [`StoreSinks`]; a batch's offsets are committed once the stores have
//! committed it. The stores are idempotent by post uid (and cases by id), so a batch read
//! again after a crash or a rebalance adds nothing twice.
//!
//! Case events the store records (opened, post added, escalated, an officer's actions)
//! are relayed to the cases topic, keyed by case id, from the store's audit trail
//! (`case_events`) with a checkpoint in the same database: at least once, and each event
//! carries its case id and version, so a consumer can drop repeats.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::message::BorrowedMessage;
use rdkafka::Message;
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::{mpsc, watch};

use super::{group, stopped, Role};
use crate::config::{Config, KafkaConfig, TopicsConfig};
use crate::model::{CaseEvent, CaseEventKind};
use crate::pipeline::dead_letter::DeadLetter;
use crate::pipeline::{self, Counters, EmbeddedSink, Scored, Sink};
use crate::sinks::clickhouse::{ClickHouseSink, ClickHouseWriter};
use crate::sinks::pseudonym::Pseudonymizer;
use crate::sinks::{BatchOutcome, CaseStore, DataDir, ScoredPost};
use crate::transport::kafka::{self, Outgoing, Publisher};
use crate::transport::topic_sink::dead_letter_message;
use crate::transport::wire;

/// Events relayed to the cases topic per round.
const RELAY_BATCH: usize = 1000;
const RELAY_IDLE: Duration = Duration::from_millis(500);

/// Turns a message of the scored topic into the sink stage's input.
pub fn decode_scored(topic: &str, message: &BorrowedMessage<'_>) -> Scored {
    let (partition, offset) = (message.partition(), message.offset());
    let position = kafka::position(topic, partition, offset);
    match wire::check_schema(message.headers()).and_then(|()| wire::decode_scored(message.payload())) {
        Ok(scored) => Scored::Post { scored, position },
        Err(reason) => {
            let origin = format!("kafka:{topic}/{partition}@{offset}");
            tracing::warn!("{origin}: dead letter: {reason}");
            let letter = DeadLetter::new("sink", &origin, None, &reason, &wire::raw_text(message.payload()));
            Scored::Rejected { letter, position }
        }
    }
}

/// Every store a scored post goes to. A batch is confirmed (and its offsets committed)
/// only when all of them have it.
pub struct StoreSinks {
    /// The tantivy index and the SQLite case store under `data_dir`.
    pub embedded: EmbeddedSink,
    /// ClickHouse, when `[clickhouse]` is configured: every scored post, and the cases
    /// and audit events the case store records (see [`ClickHouseMirror`]).
    clickhouse: Option<ClickHouseMirror>,
    publisher: Publisher,
    topics: TopicsConfig,
    runtime: tokio::runtime::Handle,
}

impl Sink for StoreSinks {
    type Item = Scored;

    fn write_batch(&mut self, batch: Vec<Scored>) -> anyhow::Result<BatchOutcome> {
        // Dead letters go to the dead-letter topic only; the stores get the posts.
        let items = batch.len();
        let mut posts = Vec::with_capacity(batch.len());
        let mut dead: Vec<Outgoing> = Vec::new();
        for item in batch {
            match item {
                Scored::Rejected { letter, .. } => dead.push(dead_letter_message(&letter, &self.topics)),
                post => posts.push(post),
            }
        }
        if !dead.is_empty() {
            self.publisher.send_all_blocking(&self.runtime, dead)?;
        }
        let outcome = self.embedded.write_with_retry(&posts)?;
        if let Some(ch) = self.clickhouse.as_mut() {
            ch.write(items, posts, &mut self.embedded)?;
        }
        Ok(outcome)
    }

    fn unconfirmed(&self) -> usize {
        self.clickhouse.as_ref().map_or(0, ClickHouseMirror::unconfirmed)
    }

    fn next_flush(&self) -> Option<std::time::Instant> {
        self.clickhouse.as_ref().and_then(ClickHouseMirror::next_flush)
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if let Some(ch) = self.clickhouse.as_mut() {
            ch.flush(&mut self.embedded)?;
        }
        Ok(())
    }
}

/// Copies what the sinks role stores into ClickHouse: the scored posts as they pass, and
/// the cases with their audit trail from the case store, which decides them.
///
/// The rows go to a [`ClickHouseWriter`], which inserts them on its own task while the
/// next batches are written to the embedded stores. Each batch is numbered by the count
/// of input items so far; the items ClickHouse does not have yet are
/// [`unconfirmed`](Sink::unconfirmed), so their Kafka offsets wait.
///
/// Case changes are read from the case store's `case_events` after a checkpoint
/// (`clickhouse:case_events`) that moves only once ClickHouse has the rows, so a crash
/// sends some again — harmless, the tables replace rows by case id and version.
struct ClickHouseMirror {
    writer: ClickHouseWriter,
    /// Input items handed to the writer so far (every item of every batch, dead
    /// letters included, as the sink stage counts its pending positions).
    items: u64,
    /// Hand-overs ClickHouse has not confirmed yet, oldest first.
    waiting: VecDeque<HandOver>,
    /// Last `case_events` row handed to the writer, and the last one known stored.
    events_read: i64,
    events_stored: i64,
}

struct HandOver {
    through: u64,
    at: std::time::Instant,
    events_through: i64,
}

const CLICKHOUSE_EVENTS_STREAM: &str = "clickhouse:case_events";

impl ClickHouseMirror {
    fn new(sink: ClickHouseSink, store: &CaseStore, runtime: &tokio::runtime::Handle) -> anyhow::Result<ClickHouseMirror> {
        let after = store.checkpoint(CLICKHOUSE_EVENTS_STREAM)? as i64;
        Ok(ClickHouseMirror {
            writer: ClickHouseWriter::spawn(sink, runtime),
            items: 0,
            waiting: VecDeque::new(),
            events_read: after,
            events_stored: after,
        })
    }

    /// Hands a batch's posts to the writer, with the case events the case store recorded
    /// for them and those cases' current state. `items` counts the whole batch, dead
    /// letters included.
    fn write(&mut self, items: usize, batch: Vec<Scored>, embedded: &mut EmbeddedSink) -> anyhow::Result<()> {
        self.items += items as u64;
        let posts: Vec<ScoredPost> = batch
            .into_iter()
            .filter_map(|item| match item {
                Scored::Post { scored, .. } => Some(scored),
                Scored::Rejected { .. } => None,
            })
            .collect();
        let (last, events) = new_case_events(embedded.store.connection(), self.events_read)?;
        let mut ids: Vec<&str> = events.iter().map(|e| e.case_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut cases = Vec::with_capacity(ids.len());
        for id in ids {
            // A case erased since its events were read has nothing left to copy.
            if let Some(case) = embedded.store.case(id)? {
                cases.push(case);
            }
        }
        self.events_read = last;
        self.waiting.push_back(HandOver { through: self.items, at: std::time::Instant::now(), events_through: last });
        self.writer.write_blocking(self.items, posts, cases, events)?;
        self.record_stored(embedded)
    }

    /// How many of the latest items ClickHouse does not have yet.
    fn unconfirmed(&self) -> usize {
        (self.items - self.writer.stored().min(self.items)) as usize
    }

    /// When the oldest unconfirmed hand-over is due in ClickHouse by the sink's batch age:
    /// the stage then calls [`Self::flush`] and acknowledges, even when no input comes.
    fn next_flush(&self) -> Option<std::time::Instant> {
        if self.unconfirmed() == 0 {
            return None;
        }
        self.waiting.front().map(|h| h.at + self.writer.batch_age())
    }

    fn flush(&mut self, embedded: &mut EmbeddedSink) -> anyhow::Result<()> {
        self.writer.flush_blocking()?;
        self.record_stored(embedded)
    }

    /// Moves the case-event checkpoint past the events ClickHouse now has.
    fn record_stored(&mut self, embedded: &mut EmbeddedSink) -> anyhow::Result<()> {
        let stored = self.writer.stored();
        let mut events_through = self.events_stored;
        while self.waiting.front().is_some_and(|h| h.through <= stored) {
            events_through = self.waiting.pop_front().map_or(events_through, |h| h.events_through);
        }
        if events_through > self.events_stored {
            embedded.store.connection().execute(
                "INSERT INTO checkpoints (stream, offset) VALUES (?1, ?2)
                 ON CONFLICT(stream) DO UPDATE SET offset = max(offset, excluded.offset)",
                params![CLICKHOUSE_EVENTS_STREAM, events_through],
            )?;
            self.events_stored = events_through;
        }
        Ok(())
    }
}

/// The case store's audit events after row `after`, with the last row read.
fn new_case_events(conn: &Connection, after: i64) -> anyhow::Result<(i64, Vec<CaseEvent>)> {
    let mut stmt = conn.prepare_cached("SELECT rowid, body FROM case_events WHERE rowid > ?1 ORDER BY rowid")?;
    let mut rows = stmt.query([after])?;
    let (mut last, mut events) = (after, Vec::new());
    while let Some(row) = rows.next()? {
        last = row.get(0)?;
        let body: String = row.get(1)?;
        let event: CaseEvent = serde_json::from_str(&body)
            .map_err(|e| anyhow::anyhow!("case store: audit event row {last} is not a case event ({e}); the store may be from a newer hearken"))?;
        events.push(event);
    }
    Ok((last, events))
}

pub async fn run(config: &Config, kafka: &KafkaConfig, mut stop: watch::Receiver<bool>, counters: Arc<Counters>) -> anyhow::Result<String> {
    let dir = DataDir::new(&config.data_dir);
    let mut embedded = EmbeddedSink::open(&dir)?;
    embedded.store.detect_spikes(config.cases.spikes.clone());
    if let Some(w) = &config.webhook {
        // Queue the configured events in the outbox; the dispatcher role delivers them.
        let events = w
            .events
            .iter()
            .map(|e| CaseEventKind::parse(e).ok_or_else(|| anyhow::anyhow!("webhook.events: \"{e}\" is not a case event")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        embedded.store.send_to_webhook(events);
    }
    let clickhouse = match &config.clickhouse {
        Some(c) => {
            let pseudonyms = Pseudonymizer::from_env()?;
            let sink = ClickHouseSink::connect(c, pseudonyms).await?;
            eprintln!("hearken: sinks: also storing in ClickHouse {} (database {})", c.url, c.database);
            Some(ClickHouseMirror::new(sink, &embedded.store, &tokio::runtime::Handle::current())?)
        }
        None => None,
    };
    let publisher = Publisher::new(kafka)?;
    let sinks = StoreSinks {
        embedded,
        clickhouse,
        publisher: publisher.clone(),
        topics: kafka.topics.clone(),
        runtime: tokio::runtime::Handle::current(),
    };
    let topic = kafka.topics.scored.clone();
    let (input, from_reader) = mpsc::channel(config.pipeline.channel_capacity.max(1));
    let reader = {
        let topic = topic.clone();
        kafka::spawn_reader(kafka, &topic.clone(), &group(kafka, Role::Sinks), input, move |m| decode_scored(&topic, m))?
    };
    let mut stage = pipeline::spawn_sink(sinks, from_reader, config.pipeline.batch_size, counters.clone(), Some(reader.acknowledger()));
    // The relay's last round comes after the sink stage's last batch.
    let (relay_stop, relay_stopping) = watch::channel(false);
    let relay = {
        let (db, publisher, cases) = (dir.case_store(), publisher.clone(), kafka.topics.cases.clone());
        tokio::task::spawn_blocking(move || relay_case_events(db, publisher, cases, relay_stopping))
    };
    eprintln!("hearken: sinks: storing {topic} in {} (group {})", config.data_dir.display(), group(kafka, Role::Sinks));

    let early = tokio::select! {
        _ = stopped(&mut stop) => None,
        ended = &mut stage => Some(ended),
    };
    reader.stop();
    let written = match early {
        Some(ended) => ended,
        None => stage.await,
    };
    reader.pipeline_done();
    relay_stop.send_replace(true);
    let stats = reader.join().await?;
    let relayed = relay.await?;
    publisher.flush(Duration::from_secs(10));
    written??;
    let relayed = relayed?;
    Ok(format!(
        "{} stored ({} new), {} cases opened, {relayed} case events to {}; {} read from {topic}, {} assignments, {} pauses for backpressure",
        Counters::get(&counters.committed),
        Counters::get(&counters.stored),
        Counters::get(&counters.cases_opened),
        kafka.topics.cases,
        stats.handed_on,
        stats.assignments,
        stats.pauses
    ))
}

/// Publishes the case store's new audit-trail rows to the cases topic until `stop`, then
/// a last round. Returns the number of events published.
fn relay_case_events(db: PathBuf, publisher: Publisher, topic: String, stop: watch::Receiver<bool>) -> anyhow::Result<u64> {
    let runtime = tokio::runtime::Handle::current();
    let conn = Connection::open(&db).map_err(|e| anyhow::anyhow!("cannot open the case store {}: {e}", db.display()))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let stream = format!("kafka-out:{topic}");
    let mut after: i64 = conn
        .query_row("SELECT offset FROM checkpoints WHERE stream = ?1", [&stream], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let mut relayed = 0u64;
    loop {
        let stopping = *stop.borrow();
        let rows: Vec<(i64, String, String)> = {
            let mut stmt = conn.prepare_cached("SELECT rowid, case_id, body FROM case_events WHERE rowid > ?1 ORDER BY rowid LIMIT ?2")?;
            let rows = stmt.query_map(params![after, RELAY_BATCH as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        if rows.is_empty() {
            if stopping {
                return Ok(relayed);
            }
            std::thread::sleep(RELAY_IDLE);
            continue;
        }
        let last = rows.last().map(|r| r.0).unwrap_or(after);
        let messages: Vec<Outgoing> = rows
            .into_iter()
            .map(|(_, case_id, body)| {
                let kind = serde_json::from_str::<CaseEvent>(&body).map(|e| e.kind.as_str()).unwrap_or("unknown");
                Outgoing { topic: topic.clone(), key: Some(case_id), headers: wire::case_event_headers(kind), payload: body.into_bytes() }
            })
            .collect();
        relayed += publisher.send_all_blocking(&runtime, messages)? as u64;
        conn.execute(
            "INSERT INTO checkpoints (stream, offset) VALUES (?1, ?2)
             ON CONFLICT(stream) DO UPDATE SET offset = max(offset, excluded.offset)",
            params![stream, last],
        )?;
        after = last;
    }
}

//! The `core` role: raw topic → score → scored topic.
//!
//! A Kafka reader in group `GROUP_ID.core` feeds the embedded mode's core stage; its
//! output goes to the scored topic through a [`TopicSink`], and a batch's raw offsets are
//! committed once the broker has the batch. A message that is not a valid post (not JSON,
//! no text, too large, another schema version) becomes a dead letter on the dead-letter
//! topic, with its reason and the stage `core` in its headers, and the rest keeps flowing.
//!
//! The noise filter's memory of recent posts (duplicate detection) is per process: after
//! a restart, or across several core processes, a duplicate may go unrecognised.

use std::sync::Arc;

use rdkafka::message::BorrowedMessage;
use rdkafka::Message;
use tokio::sync::{mpsc, watch};

use super::{group, stopped, Role};
use crate::config::{Config, KafkaConfig};
use crate::connectors::SourceItem;
use crate::core::{EntitiesFile, Scorer};
use crate::pipeline::dead_letter::DeadLetter;
use crate::pipeline::{self, Counters};
use crate::transport::kafka::{self, Publisher};
use crate::transport::topic_sink::TopicSink;
use crate::transport::wire;

/// Turns a message of the raw topic into the core stage's input.
pub fn decode_raw(topic: &str, message: &BorrowedMessage<'_>) -> SourceItem {
    let (partition, offset) = (message.partition(), message.offset());
    let position = kafka::position(topic, partition, offset);
    match wire::check_schema(message.headers()).and_then(|()| wire::decode_post(message.payload())) {
        Ok(post) => SourceItem::Post { post, position },
        Err(reason) => {
            let origin = format!("kafka:{topic}/{partition}@{offset}");
            tracing::warn!("{origin}: dead letter: {reason}");
            let letter = DeadLetter::new("core", &origin, None, &reason, &wire::raw_text(message.payload()));
            SourceItem::Rejected { letter, position }
        }
    }
}

pub async fn run(config: &Config, kafka: &KafkaConfig, mut stop: watch::Receiver<bool>, counters: Arc<Counters>) -> anyhow::Result<String> {
    let entities = EntitiesFile::load(&config.core.entities)?;
    let scorer = Scorer::new(&config.core, &entities)?;
    let publisher = Publisher::new(kafka)?;
    let capacity = config.pipeline.channel_capacity.max(1);
    let topic = kafka.topics.raw.clone();
    let (input, from_reader) = mpsc::channel(capacity);
    let reader = {
        let topic = topic.clone();
        kafka::spawn_reader(kafka, &kafka.topics.raw, &group(kafka, Role::Core), input, move |m| decode_raw(&topic, m))?
    };
    let (to_sink, from_core) = mpsc::channel(capacity);
    let core = pipeline::spawn_core(scorer, from_reader, to_sink, counters.clone());
    let sink = TopicSink::new(publisher.clone(), kafka.topics.clone());
    let mut sink = pipeline::spawn_sink(sink, from_core, config.pipeline.batch_size, counters.clone(), Some(reader.acknowledger()));
    eprintln!("hearken: core: scoring {topic} → {} (group {})", kafka.topics.scored, group(kafka, Role::Core));

    let early = tokio::select! {
        _ = stopped(&mut stop) => None,
        ended = &mut sink => Some(ended),
    };
    reader.stop();
    core.await?;
    let written = match early {
        Some(ended) => ended,
        None => sink.await,
    };
    reader.pipeline_done();
    let stats = reader.join().await?;
    publisher.flush(std::time::Duration::from_secs(10));
    written??;
    Ok(format!(
        "{} scored, {} dead letters, {} confirmed; {} read from {topic}, {} assignments, {} pauses for backpressure",
        Counters::get(&counters.scored),
        Counters::get(&counters.rejected),
        Counters::get(&counters.committed),
        stats.handed_on,
        stats.assignments,
        stats.pauses
    ))
}

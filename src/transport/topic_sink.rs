//! A Kafka topic as the sink of a pipeline stage: the connectors publish their posts to
//! the raw topic, the core its scored posts to the scored topic, both their dead letters
//! to the dead-letter topic. A batch counts as written once the broker has all of it,
//! and only then does the stage confirm the batch's input positions.

use std::marker::PhantomData;

use super::kafka::{Outgoing, Publisher};
use super::wire;
use crate::config::TopicsConfig;
use crate::connectors::SourceItem;
use crate::pipeline::dead_letter::DeadLetter;
use crate::pipeline::{Positioned, Scored, Sink};
use crate::sinks::BatchOutcome;

/// A pipeline item that becomes one message.
pub trait ToMessage {
    fn to_message(&self, topics: &TopicsConfig) -> Outgoing;
    /// Adds this item to the batch's outcome (`stored` counts posts published).
    fn count(&self, outcome: &mut BatchOutcome);
}

pub fn dead_letter_message(letter: &DeadLetter, topics: &TopicsConfig) -> Outgoing {
    Outgoing {
        topic: topics.deadletter.clone(),
        key: None,
        payload: wire::encode_dead_letter(letter),
        headers: wire::dead_letter_headers(letter),
    }
}

/// What the connectors publish: posts to the raw topic, keyed by uid.
impl ToMessage for SourceItem {
    fn to_message(&self, topics: &TopicsConfig) -> Outgoing {
        match self {
            SourceItem::Post { post, .. } => Outgoing {
                topic: topics.raw.clone(),
                key: Some(post.uid()),
                payload: wire::encode_post(post),
                headers: wire::schema_headers(),
            },
            SourceItem::Rejected { letter, .. } => dead_letter_message(letter, topics),
        }
    }

    fn count(&self, outcome: &mut BatchOutcome) {
        if let SourceItem::Post { .. } = self {
            outcome.stored += 1;
        }
    }
}

/// What the core publishes: scored posts to the scored topic, keyed by uid.
impl ToMessage for Scored {
    fn to_message(&self, topics: &TopicsConfig) -> Outgoing {
        match self {
            Scored::Post { scored, .. } => Outgoing {
                topic: topics.scored.clone(),
                key: Some(scored.post.uid()),
                payload: wire::encode_scored(scored),
                headers: wire::schema_headers(),
            },
            Scored::Rejected { letter, .. } => dead_letter_message(letter, topics),
        }
    }

    fn count(&self, outcome: &mut BatchOutcome) {
        if let Scored::Post { scored, .. } = self {
            let a = &scored.assessment;
            outcome.stored += 1;
            outcome.relevant += a.relevant as u64;
            outcome.complaints += (a.relevant && a.complaint.is_complaint) as u64;
        }
    }
}

pub struct TopicSink<I> {
    publisher: Publisher,
    topics: TopicsConfig,
    runtime: tokio::runtime::Handle,
    _items: PhantomData<fn(I)>,
}

impl<I> TopicSink<I> {
    /// Must be called inside the tokio runtime the sink stage runs in.
    pub fn new(publisher: Publisher, topics: TopicsConfig) -> TopicSink<I> {
        TopicSink { publisher, topics, runtime: tokio::runtime::Handle::current(), _items: PhantomData }
    }
}

impl<I: ToMessage + Positioned + Send + 'static> Sink for TopicSink<I> {
    type Item = I;

    fn write_batch(&mut self, batch: Vec<I>) -> anyhow::Result<BatchOutcome> {
        let mut outcome = BatchOutcome::default();
        let messages: Vec<Outgoing> = batch
            .iter()
            .map(|item| {
                item.count(&mut outcome);
                item.to_message(&self.topics)
            })
            .collect();
        drop(batch);
        self.publisher.send_all_blocking(&self.runtime, messages)?;
        Ok(outcome)
    }
}

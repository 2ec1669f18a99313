//! A Kafka topic as the sink of a pipeline stage: the connectors publish their posts to
//! the raw topic, the core its scored posts to the scored topic, both their dead letters
//! to the dead-letter topic. A batch counts as written once the broker has all of it,
//! and only then does the stage confirm the batch's input positions. One batch travels
//! while the next is prepared: the sink waits for a batch when it has queued the next
//! one, or when no more input is waiting.

use std::marker::PhantomData;

use super::kafka::{Outgoing, Publisher, Sending};
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
    /// The last batch, queued for the broker and not yet confirmed, with its item count.
    in_flight: Option<(Sending, usize)>,
    _items: PhantomData<fn(I)>,
}

impl<I> TopicSink<I> {
    /// Must be called inside the tokio runtime the sink stage runs in.
    pub fn new(publisher: Publisher, topics: TopicsConfig) -> TopicSink<I> {
        TopicSink { publisher, topics, runtime: tokio::runtime::Handle::current(), in_flight: None, _items: PhantomData }
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
        let items = batch.len();
        drop(batch);
        let sending = self.runtime.block_on(self.publisher.start(messages))?;
        if let Some((previous, _)) = self.in_flight.replace((sending, items)) {
            self.runtime.block_on(self.publisher.finish(previous))?;
        }
        Ok(outcome)
    }

    fn durable(&self) -> bool {
        self.in_flight.is_none()
    }

    /// The batch in flight: the items before it are confirmed.
    fn unconfirmed(&self) -> usize {
        self.in_flight.as_ref().map_or(0, |(_, items)| *items)
    }

    /// Due at once: the stage waits for the batch in flight as soon as no input is waiting.
    fn next_flush(&self) -> Option<std::time::Instant> {
        self.in_flight.as_ref().map(|_| std::time::Instant::now())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if let Some((sending, _)) = self.in_flight.take() {
            self.runtime.block_on(self.publisher.finish(sending))?;
        }
        Ok(())
    }
}

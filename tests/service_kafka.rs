//! Smoke test of the Kafka-protocol broker that `tests/run.sh` starts (tansu), through
//! the rdkafka crate and its bundled librdkafka, exactly as the distributed pipeline
//! uses it: admin topic creation, keyed produce, and a consumer group that commits
//! its offsets only after it has the messages.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Message, Offset, TopicPartitionList};

const PARTITIONS: i32 = 3;
const MESSAGES: usize = 300;
const KEYS: usize = 37;

fn key_of(i: usize) -> String {
    format!("mastodon:{}", i % KEYS)
}

fn payload_of(i: usize) -> String {
    // Non-ASCII text on purpose: payloads must survive byte for byte.
    format!(
        r#"{{"seq":{i},"text":"Antri {i} jam di IGD RS Omni, dokter tidak datang 😡 — ñ ü 病院"}}"#
    )
}

fn seq_of(payload: &str) -> usize {
    let rest = payload
        .strip_prefix(r#"{"seq":"#)
        .unwrap_or_else(|| panic!("payload lost its prefix: {payload:?}"));
    rest[..rest.find(',').expect("payload lost its seq")]
        .parse()
        .expect("seq is a number")
}

fn base_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("socket.timeout.ms", "10000")
        .set("message.timeout.ms", "30000");
    config
}

fn group_consumer(bootstrap: &str, group: &str) -> StreamConsumer {
    base_config(bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        // tansu completes a group's first JoinGroup only after about half the session
        // timeout: librdkafka's default 45 s means ~23 s before the first message.
        .set("session.timeout.ms", "6000")
        .create()
        .expect("create consumer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_and_consume_in_a_group_exactly_once() {
    let bootstrap = support::kafka_bootstrap();
    let topic = support::unique_name("hearken_smoke");
    let group = support::unique_name("hearken_smoke_group");

    // 1. Create the topic explicitly (the pipeline never relies on auto-creation).
    let admin: AdminClient<DefaultClientContext> =
        base_config(&bootstrap).create().expect("create admin client");
    let results = admin
        .create_topics(
            &[NewTopic::new(&topic, PARTITIONS, TopicReplication::Fixed(1))],
            &AdminOptions::new().request_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .expect("CreateTopics request");
    for result in results {
        result.unwrap_or_else(|(name, err)| panic!("creating topic {name}: {err}"));
    }

    // 2. Produce keyed messages and wait for every delivery report. Idempotence
    // (InitProducerId + sequence numbers) is what keeps retries from duplicating.
    let producer: FutureProducer = base_config(&bootstrap)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .create()
        .expect("create producer");
    // Enqueue everything first so librdkafka batches, then wait for the reports.
    let deliveries: Vec<_> = (0..MESSAGES)
        .map(|i| {
            let (key, payload) = (key_of(i), payload_of(i));
            producer
                .send_result(FutureRecord::to(&topic).key(&key).payload(&payload))
                .unwrap_or_else(|(err, _)| panic!("enqueueing message {i}: {err}"))
        })
        .collect();
    let mut produced_per_partition: BTreeMap<i32, i64> = BTreeMap::new();
    let mut partition_of_key: HashMap<String, i32> = HashMap::new();
    for (i, delivery) in deliveries.into_iter().enumerate() {
        let delivery = delivery
            .await
            .expect("producer dropped a delivery report")
            .unwrap_or_else(|(err, _)| panic!("delivery of message {i} failed: {err}"));
        *produced_per_partition.entry(delivery.partition).or_default() += 1;
        let previous = partition_of_key.insert(key_of(i), delivery.partition);
        assert!(
            previous.is_none() || previous == Some(delivery.partition),
            "key {} went to partitions {previous:?} and {}",
            key_of(i),
            delivery.partition
        );
    }
    assert!(
        produced_per_partition.len() > 1,
        "{KEYS} keys all landed in one partition: {produced_per_partition:?}"
    );

    // 3. Consume everything back in a consumer group, committing as we go.
    let consumer = group_consumer(&bootstrap, &group);
    consumer.subscribe(&[&topic]).expect("subscribe");
    let mut seen: HashMap<usize, (String, i32, i64)> = HashMap::new();
    let mut last_seq_of_key: HashMap<String, usize> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while seen.len() < MESSAGES {
        let message = tokio::time::timeout_at(deadline, consumer.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "timed out with {} of {MESSAGES} messages consumed from {topic}",
                    seen.len()
                )
            })
            .expect("consume");
        let key = std::str::from_utf8(message.key().expect("message has a key"))
            .expect("key is UTF-8")
            .to_string();
        let payload = message
            .payload_view::<str>()
            .expect("message has a payload")
            .expect("payload is UTF-8")
            .to_string();
        let seq = seq_of(&payload);
        assert!(seq < MESSAGES, "unexpected seq {seq}");
        assert_eq!(key, key_of(seq), "key of message {seq}");
        assert_eq!(payload, payload_of(seq), "payload of message {seq}");
        if let Some(last) = last_seq_of_key.insert(key.clone(), seq) {
            assert!(last < seq, "key {key}: message {seq} arrived after {last}");
        }
        let place = (key, message.partition(), message.offset());
        if let Some(first) = seen.insert(seq, place.clone()) {
            panic!("message {seq} delivered twice: first {first:?}, again {place:?}");
        }
        consumer
            .commit_message(&message, CommitMode::Async)
            .expect("commit");
    }
    consumer
        .commit_consumer_state(CommitMode::Sync)
        .expect("final synchronous commit");

    // Nothing more arrives: each message exactly once.
    if let Ok(extra) = tokio::time::timeout(Duration::from_secs(2), consumer.recv()).await {
        let extra = extra.expect("consume");
        panic!(
            "extra message after all {MESSAGES}: partition {} offset {}",
            extra.partition(),
            extra.offset()
        );
    }
    drop(consumer);

    // 4. Each partition holds exactly what was delivered to it, at contiguous offsets,
    // and the group's committed offsets (read back by a fresh member) cover all of it.
    // Watermarks are deliberately not used: tansu 0.6.0 reports a high watermark of
    // (base offset of the last record batch + 1), too low whenever batches hold more
    // than one record.
    let reader = group_consumer(&bootstrap, &group);
    let mut partitions = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        partitions.add_partition(&topic, partition);
    }
    let committed = reader
        .committed_offsets(partitions, Duration::from_secs(15))
        .expect("OffsetFetch for the group");
    for partition in 0..PARTITIONS {
        let produced = produced_per_partition.get(&partition).copied().unwrap_or(0);
        let mut offsets: Vec<i64> = seen
            .values()
            .filter(|(_, p, _)| *p == partition)
            .map(|(_, _, offset)| *offset)
            .collect();
        offsets.sort_unstable();
        assert_eq!(
            offsets,
            (0..produced).collect::<Vec<_>>(),
            "offsets consumed from partition {partition}"
        );
        let offset = committed
            .find_partition(&topic, partition)
            .expect("partition in committed list")
            .offset();
        let expected = if produced == 0 { Offset::Invalid } else { Offset::Offset(produced) };
        assert_eq!(offset, expected, "committed offset of partition {partition}");
    }

    // Best effort: other runs against a long-lived broker should not see our topic.
    let _ = admin
        .delete_topics(&[&topic], &AdminOptions::new())
        .await;
}

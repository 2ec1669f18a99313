//! Shared helpers for the integration tests that talk to real services.
//!
//! `tests/run.sh` installs and starts the services on loopback and exports their
//! addresses; these helpers read them. A missing address is a failing test, never a
//! silent skip: CI must not turn green because a service was not there.
//!
//! Use from a test file with `mod support;`.
#![allow(dead_code)] // each test crate uses only part of this module

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Environment variable holding the Kafka-protocol bootstrap address (`host:port`).
pub const KAFKA_ENV: &str = "HEARKEN_TEST_KAFKA";
/// Environment variable holding the ClickHouse HTTP URL (`http://host:port`).
pub const CLICKHOUSE_ENV: &str = "HEARKEN_TEST_CLICKHOUSE";

/// Reads a service address exported by `tests/run.sh`, panicking with instructions
/// when it is missing or empty.
pub fn service_env(var: &str) -> String {
    match std::env::var(var) {
        Ok(value) if !value.trim().is_empty() => value.trim().to_string(),
        _ => panic!(
            "{var} is not set: this test needs a real service. Run the whole suite with \
             `bash tests/run.sh` (it installs and starts Kafka (tansu) and ClickHouse on \
             loopback and exports {KAFKA_ENV} and {CLICKHOUSE_ENV})"
        ),
    }
}

/// Bootstrap servers of the test Kafka-protocol broker, e.g. `127.0.0.1:39092`.
pub fn kafka_bootstrap() -> String {
    service_env(KAFKA_ENV)
}

/// HTTP URL of the test ClickHouse server, e.g. `http://127.0.0.1:38123`.
pub fn clickhouse_url() -> String {
    service_env(CLICKHOUSE_ENV)
}

/// A `clickhouse` client for the test server, configured for ClickHouse 18.16:
/// - validation off: 18.16 has no `RowBinaryWithNamesAndTypes`, so rows travel as plain
///   `RowBinary` and the Row struct must match the columns' order and types exactly;
/// - compression off: Debian's 18.16 build answers `compress=1` requests with an empty
///   body (a Poco assertion in its HTTP server), which the crate reports as `RowNotFound`.
pub fn clickhouse_client() -> clickhouse::Client {
    clickhouse::Client::default()
        .with_url(clickhouse_url())
        .with_validation(false)
        .with_compression(clickhouse::Compression::None)
}

/// A name unique to this process and call, made of `[a-z0-9_]` only so it is valid
/// as a Kafka topic, a consumer group, and an unquoted ClickHouse identifier.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock before 1970")
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{nanos}_{n}", std::process::id())
}

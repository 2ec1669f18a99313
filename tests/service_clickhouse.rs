//! Smoke test of the ClickHouse server that `tests/run.sh` starts (Debian's 18.16),
//! through the `clickhouse` crate as the sinks use it.
//!
//! ClickHouse 18.16 has no `RowBinaryWithNamesAndTypes` and mishandles compressed HTTP
//! responses, so the client runs with validation and compression off (see
//! `support::clickhouse_client`): the Row structs must match the column order and
//! types exactly. Without the crate's `time` feature, `Date` is a `u16` (days
//! since 1970-01-01) and `DateTime` a `u32` (seconds since the epoch).
//! The schema sticks to what both 18.16 and current ClickHouse accept: MergeTree /
//! ReplacingMergeTree, `PARTITION BY toYYYYMM(date)`, plain types.

mod support;

use clickhouse::Row;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
struct PostRow {
    date: u16,
    created_at: u32,
    uid: String,
    source: String,
    lang: String,
    text: String,
    followers: u32,
    sentiment: f64,
    is_complaint: u8,
    categories: Vec<String>,
    reply_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
struct CaseRow {
    date: u16,
    case_id: String,
    status: String,
    version: u64,
}

const DAY: u32 = 86_400;
/// 2024-01-30 and 2024-02-02: two months, so two partitions.
const JAN_30: u16 = 19_752;
const FEB_02: u16 = 19_755;

fn post(i: u32) -> PostRow {
    let date = if i % 2 == 0 { JAN_30 } else { FEB_02 };
    PostRow {
        date,
        created_at: u32::from(date) * DAY + i * 61,
        uid: format!("mastodon:{i:04}"),
        source: "mastodon".into(),
        lang: if i % 3 == 0 { "en" } else { "id" }.into(),
        text: format!("Antri {i} jam di IGD RS Omni 😡 — 'quoted' \"double\" \\ tab\there"),
        followers: i * 1000,
        sentiment: -0.5 + f64::from(i) / 1000.0,
        is_complaint: (i % 2) as u8,
        categories: (0..i % 3).map(|c| format!("category_{c}")).collect(),
        reply_to: (i % 4 == 0).then(|| format!("mastodon:{:04}", i / 2)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_insert_select_round_trip() {
    let url = support::clickhouse_url();
    let database = support::unique_name("hearken_smoke");
    let server = support::clickhouse_client();

    let version: String = server
        .query("SELECT version()")
        .fetch_one()
        .await
        .expect("SELECT version()");
    eprintln!("ClickHouse {version} at {url}, database {database}");

    server
        .query(&format!("CREATE DATABASE {database}"))
        .execute()
        .await
        .expect("CREATE DATABASE");
    let db = server.clone().with_database(&database);

    // --- MergeTree: posts ---------------------------------------------------------
    db.query(
        "CREATE TABLE posts (
            date Date,
            created_at DateTime,
            uid String,
            source String,
            lang String,
            text String,
            followers UInt32,
            sentiment Float64,
            is_complaint UInt8,
            categories Array(String),
            reply_to Nullable(String)
        ) ENGINE = MergeTree
        PARTITION BY toYYYYMM(date)
        ORDER BY (date, uid)",
    )
    .execute()
    .await
    .expect("CREATE TABLE posts");

    let rows: Vec<PostRow> = (0..200).map(post).collect();
    let mut insert = db.insert::<PostRow>("posts").await.expect("INSERT posts");
    for row in &rows {
        insert.write(row).await.expect("write row");
    }
    insert.end().await.expect("end INSERT posts");

    let back: Vec<PostRow> = db
        .query("SELECT ?fields FROM posts ORDER BY uid")
        .fetch_all()
        .await
        .expect("SELECT posts");
    assert_eq!(back.len(), rows.len(), "row count");
    for (got, want) in back.iter().zip(&rows) {
        assert_eq!(got, want);
    }

    let complaints: u64 = db
        .query("SELECT count() FROM posts WHERE is_complaint = 1 AND has(categories, ?)")
        .bind("category_1")
        .fetch_one()
        .await
        .expect("SELECT count()");
    let expected = rows
        .iter()
        .filter(|r| r.is_complaint == 1 && r.categories.iter().any(|c| c == "category_1"))
        .count() as u64;
    assert_eq!(complaints, expected, "filtered count");

    let partitions: Vec<String> = server
        .query(
            "SELECT partition FROM system.parts \
             WHERE database = ? AND table = 'posts' AND active \
             GROUP BY partition ORDER BY partition",
        )
        .bind(&database)
        .fetch_all()
        .await
        .expect("SELECT system.parts");
    assert_eq!(partitions, ["202401", "202402"], "partitions by toYYYYMM(date)");

    // --- ReplacingMergeTree: the idempotent-sink pattern ---------------------------
    db.query(
        "CREATE TABLE cases (
            date Date,
            case_id String,
            status String,
            version UInt64
        ) ENGINE = ReplacingMergeTree(version)
        PARTITION BY toYYYYMM(date)
        ORDER BY case_id",
    )
    .execute()
    .await
    .expect("CREATE TABLE cases");
    // Two separate INSERTs (two parts), the second a replay plus a newer version.
    for batch in [
        vec![("c1", "open", 1), ("c2", "open", 1)],
        vec![("c1", "open", 1), ("c1", "acknowledged", 2), ("c2", "open", 1)],
    ] {
        let mut insert = db.insert::<CaseRow>("cases").await.expect("INSERT cases");
        for (case_id, status, version) in batch {
            let row = CaseRow {
                date: JAN_30,
                case_id: case_id.into(),
                status: status.into(),
                version,
            };
            insert.write(&row).await.expect("write case");
        }
        insert.end().await.expect("end INSERT cases");
    }
    let cases: Vec<CaseRow> = db
        .query("SELECT ?fields FROM cases FINAL ORDER BY case_id")
        .fetch_all()
        .await
        .expect("SELECT cases FINAL");
    let statuses: Vec<(&str, &str, u64)> = cases
        .iter()
        .map(|c| (c.case_id.as_str(), c.status.as_str(), c.version))
        .collect();
    assert_eq!(statuses, [("c1", "acknowledged", 2), ("c2", "open", 1)]);

    server
        .query(&format!("DROP DATABASE {database}"))
        .execute()
        .await
        .expect("DROP DATABASE");
}

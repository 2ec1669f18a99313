//! The trend questions over ClickHouse's `posts` table.
//!
//! Every query reads `posts FINAL`, so a post written twice (a retried insert, a Kafka
//! replay) counts once even before its copies are merged; filters on non-key columns
//! apply after the FINAL merge. Time ranges prune partitions and primary-key ranges
//! (`created_at` leads the sorting key). See `sinks::clickhouse::schema` for why the
//! hourly rollup is computed from the posts instead of summed at insert time.

use std::collections::HashMap;
use std::time::Duration;

use clickhouse::{Client, Row};
use serde::Deserialize;

use super::{category_of, finish_slices, Bucket, Counts, Dimension, Filter, SeriesPoint, Slice, TimeRange, Trends};
use crate::model::{Category, EntityRef};
use crate::sinks::clickhouse::with_timeout;

#[derive(Clone)]
pub struct ClickHouseTrends {
    db: Client,
    timeout: Duration,
}

impl ClickHouseTrends {
    /// `db` is a client with the sink's database selected (`ClickHouseSink::client`, or
    /// `sinks::clickhouse::server_client(..).with_database(..)`).
    pub fn new(db: Client) -> ClickHouseTrends {
        ClickHouseTrends { db, timeout: Duration::from_secs(60) }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> ClickHouseTrends {
        self.timeout = timeout;
        self
    }
}

const COUNTS: &str = "count(), sum(is_complaint), countIf(sentiment = 'negative'), countIf(sentiment = 'neutral'), \
                      countIf(sentiment = 'positive'), sum(sentiment_milli)";

#[derive(Row, Deserialize)]
struct CountsRow {
    key: String,
    posts: u64,
    complaints: u64,
    negative: u64,
    neutral: u64,
    positive: u64,
    sentiment_milli_sum: i64,
}

#[derive(Row, Deserialize)]
struct BucketRow {
    start: i64,
    posts: u64,
    complaints: u64,
    negative: u64,
    neutral: u64,
    positive: u64,
    sentiment_milli_sum: i64,
}

#[derive(Row, Deserialize)]
struct CategoryRow {
    category: String,
    n: u64,
}

/// The conditions every question shares: relevant posts in the range, and the filter.
/// Values are bound in order: from, to, then entity, source, lang when set.
fn conditions(filter: &Filter) -> String {
    let mut sql = String::from("relevant = 1 AND created_at >= toDateTime(?) AND created_at < toDateTime(?)");
    if filter.entity.is_some() {
        sql.push_str(" AND has(entities, ?)");
    }
    if filter.source.is_some() {
        sql.push_str(" AND source = ?");
    }
    if filter.lang.is_some() {
        sql.push_str(" AND lang = ?");
    }
    sql
}

fn bind(mut q: clickhouse::query::Query, filter: &Filter, range: TimeRange) -> clickhouse::query::Query {
    let (from, to) = range.clamped();
    q = q.bind(from).bind(to);
    if let Some(e) = filter.entity_key() {
        q = q.bind(e);
    }
    if let Some(s) = &filter.source {
        q = q.bind(s);
    }
    if let Some(l) = &filter.lang {
        q = q.bind(l);
    }
    q
}

impl Trends for ClickHouseTrends {
    async fn series(&self, entity: &EntityRef, bucket: Bucket, range: TimeRange) -> anyhow::Result<Vec<SeriesPoint>> {
        let filter = Filter { entity: Some(entity.clone()), ..Filter::default() };
        let (offset, width) = bucket.offset_and_width();
        let sql = format!(
            "SELECT toInt64(intDiv(toUInt32(created_at) + {offset}, {width}) * {width}) - {offset} AS start, {COUNTS}
             FROM posts FINAL WHERE {} GROUP BY start ORDER BY start",
            conditions(&filter)
        );
        let rows: Vec<BucketRow> = with_timeout(self.timeout, bind(self.db.query(&sql), &filter, range).fetch_all()).await?;
        Ok(rows
            .into_iter()
            .map(|r| SeriesPoint {
                start: r.start,
                counts: Counts {
                    posts: r.posts,
                    complaints: r.complaints,
                    negative: r.negative,
                    neutral: r.neutral,
                    positive: r.positive,
                    sentiment_milli_sum: r.sentiment_milli_sum,
                },
            })
            .collect())
    }

    async fn category_counts(&self, filter: &Filter, range: TimeRange) -> anyhow::Result<HashMap<Category, u64>> {
        let sql = format!(
            "SELECT category, count() FROM posts FINAL ARRAY JOIN categories AS category
             WHERE is_complaint = 1 AND {} GROUP BY category",
            conditions(filter)
        );
        let rows: Vec<CategoryRow> = with_timeout(self.timeout, bind(self.db.query(&sql), filter, range).fetch_all()).await?;
        rows.into_iter().map(|r| Ok((category_of(&r.category)?, r.n))).collect()
    }

    async fn breakdown(&self, by: Dimension, filter: &Filter, range: TimeRange) -> anyhow::Result<Vec<Slice>> {
        let sql = match by {
            Dimension::Entity(kind) => format!(
                "SELECT entity, {COUNTS} FROM posts FINAL ARRAY JOIN entities AS entity
                 WHERE startsWith(entity, '{}:') AND {} GROUP BY entity",
                kind.as_str(),
                conditions(filter)
            ),
            Dimension::Source => format!("SELECT source, {COUNTS} FROM posts FINAL WHERE {} GROUP BY source", conditions(filter)),
            Dimension::Language => format!("SELECT lang, {COUNTS} FROM posts FINAL WHERE {} GROUP BY lang", conditions(filter)),
        };
        let rows: Vec<CountsRow> = with_timeout(self.timeout, bind(self.db.query(&sql), filter, range).fetch_all()).await?;
        let raw = rows
            .into_iter()
            .map(|r| {
                let counts = Counts {
                    posts: r.posts,
                    complaints: r.complaints,
                    negative: r.negative,
                    neutral: r.neutral,
                    positive: r.positive,
                    sentiment_milli_sum: r.sentiment_milli_sum,
                };
                (r.key, counts)
            })
            .collect();
        Ok(finish_slices(by, raw))
    }
}

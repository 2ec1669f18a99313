//! Reputation trends: the questions marketing asks over months of posts, behind one
//! interface with two backends that give the same answers.
//!
//! - [`embedded::EmbeddedTrends`] reads the trend facts the embedded case store writes in
//!   the transaction of each batch (`sinks::trend_facts`);
//! - [`clickhouse::ClickHouseTrends`] reads the `posts` table the ClickHouse sink fills.
//!
//! The questions ([`Trends`]): volume and sentiment per entity over time (hour, day or
//! week buckets), the top complaint categories and their change against the previous
//! period, and breakdowns — share of voice across hospitals (or clinicians,
//! departments), by source, by language.
//!
//! What counts, in both backends: relevant posts only (they name an entity and are not
//! noise), each post once per entity it names; a post's complaint categories count only
//! when it is a complaint. Times are UTC: hours and days start on the hour and at
//! midnight UTC, weeks on Monday 00:00 UTC. Sentiment is summed in thousandths of the
//! compound score ([`sentiment_milli`]), integers in both backends, so means agree to
//! the last bit.

pub mod clickhouse;
pub mod embedded;

use std::collections::{BTreeSet, HashMap};
use std::future::Future;

use serde::Serialize;

use crate::model::{Assessment, Category, EntityKind, EntityRef};

/// Time buckets of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Hour,
    Day,
    /// Monday 00:00 UTC to Monday.
    Week,
}

impl Bucket {
    /// (offset, width) in seconds: a bucket starts at `floor((t + offset) / width) · width - offset`.
    /// 1970-01-01 was a Thursday, so Monday-based weeks are offset by three days.
    pub fn offset_and_width(self) -> (i64, i64) {
        match self {
            Bucket::Hour => (0, 3600),
            Bucket::Day => (0, 86_400),
            Bucket::Week => (3 * 86_400, 7 * 86_400),
        }
    }

    /// The start of the bucket holding `t` (seconds since the epoch, t ≥ 0).
    pub fn start_of(self, t: i64) -> i64 {
        let (offset, width) = self.offset_and_width();
        (t + offset).div_euclid(width) * width - offset
    }

    pub fn parse(s: &str) -> Option<Bucket> {
        match s {
            "hour" => Some(Bucket::Hour),
            "day" => Some(Bucket::Day),
            "week" => Some(Bucket::Week),
            _ => None,
        }
    }
}

/// `[from, to)` in seconds since the epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeRange {
    pub from: i64,
    pub to: i64,
}

impl TimeRange {
    pub fn new(from: i64, to: i64) -> TimeRange {
        TimeRange { from, to }
    }

    /// The period of the same length just before this one.
    pub fn previous(self) -> TimeRange {
        TimeRange { from: self.from - (self.to - self.from), to: self.from }
    }

    /// Bounds clamped to what a ClickHouse `DateTime` holds.
    pub fn clamped(self) -> (u32, u32) {
        (crate::sinks::clickhouse::rows::datetime(self.from), crate::sinks::clickhouse::rows::datetime(self.to))
    }
}

/// Narrows a question down to the posts naming one entity, from one source, in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub entity: Option<EntityRef>,
    pub source: Option<String>,
    pub lang: Option<String>,
}

impl Filter {
    pub fn entity(kind: EntityKind, id: &str) -> Filter {
        Filter { entity: Some(EntityRef { kind, id: id.to_string() }), ..Filter::default() }
    }

    pub(crate) fn entity_key(&self) -> Option<String> {
        self.entity.as_ref().map(|e| entity_key(e.kind, &e.id))
    }
}

/// What a breakdown splits the posts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// One slice per entity of this kind: share of voice.
    Entity(EntityKind),
    Source,
    Language,
}

/// Volume and sentiment of one bucket of a series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesPoint {
    /// Start of the bucket, seconds since the epoch.
    pub start: i64,
    #[serde(flatten)]
    pub counts: Counts,
}

/// Counts of a set of posts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub posts: u64,
    pub complaints: u64,
    pub negative: u64,
    pub neutral: u64,
    pub positive: u64,
    /// Sum of the posts' compound sentiment, in thousandths.
    pub sentiment_milli_sum: i64,
}

impl Counts {
    /// Mean compound sentiment in [-1, 1]; `None` without posts.
    pub fn mean_sentiment(&self) -> Option<f64> {
        (self.posts > 0).then(|| self.sentiment_milli_sum as f64 / 1000.0 / self.posts as f64)
    }

    /// Share of negative posts.
    pub fn negative_share(&self) -> Option<f64> {
        (self.posts > 0).then(|| self.negative as f64 / self.posts as f64)
    }
}

/// One slice of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slice {
    /// The entity id (without its kind), the source or the language.
    pub key: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// This slice's posts over all slices' posts: share of voice.
    pub share: f64,
}

/// A complaint category in a period, against the period before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryChange {
    pub category: Category,
    pub count: u64,
    pub previous: u64,
    /// `count - previous`.
    pub change: i64,
    /// `count / previous - 1`; `None` when the category is new this period.
    pub growth: Option<f64>,
}

/// The trend questions. Both backends answer them the same way (see the module docs).
pub trait Trends: Sync {
    /// Volume and sentiment of the relevant posts naming `entity`, per `bucket`, oldest
    /// first; buckets without posts are left out.
    fn series(&self, entity: &EntityRef, bucket: Bucket, range: TimeRange) -> impl Future<Output = anyhow::Result<Vec<SeriesPoint>>> + Send;

    /// Complaints per category in `range` (categories without complaints left out).
    fn category_counts(&self, filter: &Filter, range: TimeRange) -> impl Future<Output = anyhow::Result<HashMap<Category, u64>>> + Send;

    /// Relevant posts split by `by`, largest slice first (ties by key), with shares.
    fn breakdown(&self, by: Dimension, filter: &Filter, range: TimeRange) -> impl Future<Output = anyhow::Result<Vec<Slice>>> + Send;

    /// The `limit` most frequent complaint categories in `range`, each with its count in
    /// the period of the same length just before.
    fn top_categories(&self, filter: &Filter, range: TimeRange, limit: usize) -> impl Future<Output = anyhow::Result<Vec<CategoryChange>>> + Send {
        async move {
            let now = self.category_counts(filter, range).await?;
            let before = self.category_counts(filter, range.previous()).await?;
            Ok(rank_categories(&now, &before, limit))
        }
    }

    /// Share of voice among the entities of one kind (hospitals, usually).
    fn share_of_voice(&self, kind: EntityKind, range: TimeRange) -> impl Future<Output = anyhow::Result<Vec<Slice>>> + Send {
        async move { self.breakdown(Dimension::Entity(kind), &Filter::default(), range).await }
    }
}

/// Ranks categories by count (then id), and sets their change against `before`.
pub fn rank_categories(now: &HashMap<Category, u64>, before: &HashMap<Category, u64>, limit: usize) -> Vec<CategoryChange> {
    let mut out: Vec<CategoryChange> = now
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| {
            let previous = before.get(c).copied().unwrap_or(0);
            CategoryChange {
                category: *c,
                count: *n,
                previous,
                change: *n as i64 - previous as i64,
                growth: (previous > 0).then(|| *n as f64 / previous as f64 - 1.0),
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.as_str().cmp(b.category.as_str())));
    out.truncate(limit);
    out
}

/// Orders slices (largest first, ties by key), strips the entity kind from the keys and
/// computes the shares: the same finishing for both backends.
pub fn finish_slices(by: Dimension, raw: Vec<(String, Counts)>) -> Vec<Slice> {
    let total: u64 = raw.iter().map(|(_, c)| c.posts).sum();
    let mut out: Vec<Slice> = raw
        .into_iter()
        .filter(|(_, c)| c.posts > 0)
        .map(|(key, counts)| {
            let key = match by {
                Dimension::Entity(_) => key.split_once(':').map(|(_, id)| id.to_string()).unwrap_or(key),
                _ => key,
            };
            let share = counts.posts as f64 / total as f64;
            Slice { key, counts, share }
        })
        .collect();
    out.sort_by(|a, b| b.counts.posts.cmp(&a.counts.posts).then(a.key.cmp(&b.key)));
    out
}

/// How the trend stores name an entity: `kind:id`.
pub fn entity_key(kind: EntityKind, id: &str) -> String {
    format!("{}:{id}", kind.as_str())
}

/// The entities a post names, each once, in the order first named.
pub fn post_entities(a: &Assessment) -> Vec<(EntityKind, &str)> {
    let mut seen = BTreeSet::new();
    a.entities.iter().filter(|m| seen.insert((m.kind, m.id.as_str()))).map(|m| (m.kind, m.id.as_str())).collect()
}

/// The complaint categories of a post, each once.
pub fn post_categories(a: &Assessment) -> Vec<Category> {
    let mut seen = BTreeSet::new();
    a.complaint.categories.iter().filter(|c| seen.insert(c.id)).map(|c| c.id).collect()
}

/// Compound sentiment in thousandths, rounded: what both trend stores sum.
pub fn sentiment_milli(compound: f32) -> i16 {
    (f64::from(compound).clamp(-1.0, 1.0) * 1000.0).round() as i16
}

pub(crate) fn category_of(id: &str) -> anyhow::Result<Category> {
    Category::parse(id).ok_or_else(|| anyhow::anyhow!("the trend store holds an unknown complaint category \"{id}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_on_the_hour_midnight_and_monday() {
        // 2026-03-04 (a Wednesday) 10:17:05 UTC
        let t = 1_772_619_425;
        assert_eq!(Bucket::Hour.start_of(t), 1_772_618_400);
        assert_eq!(Bucket::Day.start_of(t), 1_772_582_400);
        // Monday 2026-03-02 00:00 UTC
        assert_eq!(Bucket::Week.start_of(t), 1_772_409_600);
        assert_eq!(Bucket::Week.start_of(1_772_409_600), 1_772_409_600);
        let monday = time::OffsetDateTime::from_unix_timestamp(Bucket::Week.start_of(t)).unwrap();
        assert_eq!(monday.weekday(), time::Weekday::Monday);
    }

    #[test]
    fn previous_period_has_the_same_length() {
        assert_eq!(TimeRange::new(100, 160).previous(), TimeRange::new(40, 100));
    }

    #[test]
    fn categories_rank_by_count_then_id() {
        let now = HashMap::from([(Category::Billing, 5), (Category::WaitTime, 9), (Category::Food, 5)]);
        let before = HashMap::from([(Category::Billing, 10), (Category::WaitTime, 3)]);
        let top = rank_categories(&now, &before, 2);
        assert_eq!(top.len(), 2);
        assert_eq!((top[0].category, top[0].change, top[0].growth), (Category::WaitTime, 6, Some(2.0)));
        assert_eq!((top[1].category, top[1].previous, top[1].growth), (Category::Billing, 10, Some(-0.5)));
    }

    #[test]
    fn sentiment_in_thousandths() {
        assert_eq!(sentiment_milli(-0.7364), -736);
        assert_eq!(sentiment_milli(1.5), 1000);
        assert_eq!(sentiment_milli(0.0005), 1);
    }
}

//! `GET /api/trends`: what the reputation page charts — volume and sentiment of one entity
//! over time, its complaint categories per period and the top ones against the period
//! before, share of voice among hospitals, sources and languages, and the volume spikes
//! hearken raised — from whichever trend backend is configured (the embedded store, or
//! ClickHouse in the distributed mode).

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use futures_util::future::try_join_all;
use serde::Deserialize;

use super::alerts::entity_kind;
use super::auth::{Caller, Marketing};
use super::error::{ApiError, ApiQuery};
use super::search::parse_time;
use super::ApiState;
use crate::model::{CaseKind, EntityKind, EntityRef};
use crate::sinks::{AlertFilter, EntityFilter};
use crate::trends::clickhouse::ClickHouseTrends;
use crate::trends::embedded::EmbeddedTrends;
use crate::trends::{Bucket, Dimension, Filter, TimeRange, Trends};

pub fn routes() -> Router<Arc<ApiState>> {
    Router::new().route("/api/trends", get(trends))
}

/// The configured trend store. (The trait's methods return `impl Future`, so the two
/// backends are an enum rather than a trait object.)
pub enum Backend {
    Embedded(EmbeddedTrends),
    ClickHouse(ClickHouseTrends),
}

macro_rules! dispatch {
    ($self:expr, $t:ident => $call:expr) => {
        match $self {
            Backend::Embedded($t) => $call.await,
            Backend::ClickHouse($t) => $call.await,
        }
    };
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Embedded(_) => "embedded",
            Backend::ClickHouse(_) => "clickhouse",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendsQuery {
    /// `kind:id` or a hospital id; default: the hospital with the most posts in the period.
    pub entity: Option<String>,
    /// hour, day or week; default by the length of the period.
    pub bucket: Option<String>,
    /// Start (day or RFC 3339); default `days` before `to`.
    pub from: Option<String>,
    /// End, exclusive; default the end of the day of the newest relevant post.
    pub to: Option<String>,
    /// Length of the default period (1 to 366, default 30).
    pub days: Option<i64>,
}

/// More buckets than this make charts unreadable and per-bucket category queries slow.
const MAX_BUCKETS: i64 = 120;

async fn trends(_caller: Caller<Marketing>, State(state): State<Arc<ApiState>>, ApiQuery(q): ApiQuery<TrendsQuery>) -> Result<Json<serde_json::Value>, ApiError> {
    let days = q.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(ApiError::bad_request(format!("days {days} is out of range; ask for 1 to 366")));
    }
    let seconds = |name: &str, v: &str| -> Result<i64, ApiError> {
        let t = parse_time(name, v)?;
        Ok(time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).map_err(|e| ApiError::bad_request(e.to_string()))?.unix_timestamp())
    };
    let to = match q.to.as_deref() {
        Some(t) => seconds("to", t)?,
        None => {
            let st = state.clone();
            let newest = tokio::task::spawn_blocking(move || st.stores.read(|s| s.newest_relevant_post())).await??;
            Bucket::Day.start_of(newest.unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp())) + 86_400
        }
    };
    let from = match q.from.as_deref() {
        Some(f) => seconds("from", f)?,
        None => to - days * 86_400,
    };
    if from >= to {
        return Err(ApiError::bad_request("from must be before to"));
    }
    let span = to - from;
    let bucket = match q.bucket.as_deref() {
        None => {
            if span <= 2 * 86_400 {
                Bucket::Hour
            } else if span <= 120 * 86_400 {
                Bucket::Day
            } else {
                Bucket::Week
            }
        }
        Some(b) => Bucket::parse(b).ok_or_else(|| ApiError::bad_request(format!("bucket \"{b}\" is unknown; use hour, day or week")))?,
    };
    let width = bucket.offset_and_width().1;
    if span / width > MAX_BUCKETS {
        return Err(ApiError::bad_request(format!(
            "{} {bucket:?} buckets is too many (at most {MAX_BUCKETS}); ask for a wider bucket or a shorter period",
            span / width
        )));
    }
    let range = TimeRange::new(from, to);
    let backend = &state.trends;
    let share_of_voice = dispatch!(backend, t => t.share_of_voice(EntityKind::Hospital, range))?;
    let entity = match q.entity.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => match e.split_once(':') {
            Some((kind, id)) => EntityRef {
                kind: entity_kind(kind).ok_or_else(|| ApiError::bad_request(format!("entity kind \"{kind}\" is unknown; use hospital, clinician or department")))?,
                id: id.to_string(),
            },
            None => EntityRef { kind: EntityKind::Hospital, id: e.to_string() },
        },
        None => match share_of_voice.first() {
            Some(top) => EntityRef { kind: EntityKind::Hospital, id: top.key.clone() },
            None => match state.entities.iter().find(|e| e.kind == "hospital") {
                Some(h) => EntityRef { kind: EntityKind::Hospital, id: h.id.clone() },
                None => return Err(ApiError::bad_request("no hospital is configured; pass entity=kind:id")),
            },
        },
    };
    let filter = Filter { entity: Some(entity.clone()), ..Filter::default() };
    let series = dispatch!(backend, t => t.series(&entity, bucket, range))?;
    let top_categories = dispatch!(backend, t => t.top_categories(&filter, range, 8))?;
    let by_source = dispatch!(backend, t => t.breakdown(Dimension::Source, &filter, range))?;
    let by_language = dispatch!(backend, t => t.breakdown(Dimension::Language, &filter, range))?;
    // Complaint categories per bucket, the buckets queried side by side.
    let starts: Vec<i64> = std::iter::successors(Some(bucket.start_of(from)), |s| Some(s + width)).take_while(|s| *s < to).collect();
    let per_bucket = try_join_all(starts.iter().map(|&s| {
        let (filter, backend) = (&filter, backend);
        async move {
            let r = TimeRange::new(s.max(from), (s + width).min(to));
            let counts = dispatch!(backend, t => t.category_counts(filter, r))?;
            let mut counts: Vec<(String, u64)> = counts.into_iter().map(|(c, n)| (c.as_str().to_string(), n)).collect();
            counts.sort();
            anyhow::Ok(serde_json::json!({ "start": s, "counts": counts.into_iter().map(|(c, n)| (c, serde_json::Value::from(n))).collect::<serde_json::Map<_, _>>() }))
        }
    }))
    .await?;
    let st = state.clone();
    let spike_filter = AlertFilter {
        entity: Some(EntityFilter { kind: Some(entity.kind), id: entity.id.clone() }),
        kind: Some(CaseKind::Spike),
        ..AlertFilter::default()
    };
    let spikes: Vec<serde_json::Value> = tokio::task::spawn_blocking(move || st.stores.read(|s| s.alerts(&spike_filter, 500, 0)))
        .await??
        .into_iter()
        .map(|a| a.case)
        .filter(|c| (from..to).contains(&c.opened_at.unix_timestamp()))
        .map(|c| {
            serde_json::json!({
                "case_id": c.id, "at": c.opened_at.unix_timestamp(), "priority": c.priority, "status": c.status,
                "categories": c.categories, "summary": c.summary,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "backend": backend.name(),
        "entity": entity,
        "range": { "from": from, "to": to },
        "bucket": bucket,
        "series": series,
        "categories_over_time": per_bucket,
        "top_categories": top_categories,
        "share_of_voice": share_of_voice,
        "by_source": by_source,
        "by_language": by_language,
        "spikes": spikes,
    })))
}

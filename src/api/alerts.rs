//! The alert queue: `GET /api/alerts` (filtered, most urgent first) and
//! `GET /api/alerts/stream` (server-sent events of new and changed cases).
//!
//! Officers keep the queue open all day and many refresh it at once, so its answers are
//! cached per query until the case feed sees a change: the store is read once per change,
//! not once per request.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::auth::{Caller, Officers};
use super::error::{ApiError, ApiQuery, NoParams};
use super::ApiState;
use crate::model::{CaseKind, CaseStatus, Category, EntityKind, PriorityLevel};
use crate::sinks::{AlertFilter, EntityFilter};

pub fn routes() -> Router<Arc<ApiState>> {
    Router::new().route("/api/alerts", get(list)).route("/api/alerts/stream", get(stream))
}

/// Query parameters of `GET /api/alerts`. Every filter is optional.
#[derive(Debug, Deserialize, Hash, PartialEq, Eq, Clone)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    /// Comma-separated statuses; `active` (the default: open, acknowledged, assigned) or `all`.
    pub status: Option<String>,
    /// An entity id, or `kind:id` (hospital:…, clinician:…, department:…).
    pub entity: Option<String>,
    /// A complaint category id (wait_time, billing, …).
    pub category: Option<String>,
    /// P1 … P4.
    pub priority: Option<String>,
    /// A network: mastodon, bluesky, reddit, rss, x, facebook, webhook, replay.
    pub source: Option<String>,
    /// A language code of the case's posts (en, id, ms).
    pub language: Option<String>,
    /// story or spike.
    pub kind: Option<String>,
    /// At most this many (default 50, up to 500).
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

const MAX_LIMIT: usize = 500;
const SOURCES: [&str; 8] = ["mastodon", "bluesky", "reddit", "rss", "x", "facebook", "webhook", "replay"];

impl AlertsQuery {
    pub fn filter(&self) -> Result<AlertFilter, ApiError> {
        let statuses = match self.status.as_deref().map(str::trim) {
            None | Some("") | Some("active") => vec![CaseStatus::Open, CaseStatus::Acknowledged, CaseStatus::Assigned],
            Some("all") => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|s| {
                    CaseStatus::parse(s.trim()).ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "status \"{s}\" is unknown; use open, acknowledged, assigned, resolved, dismissed (comma-separated), active or all"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let entity = match self.entity.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            None => None,
            Some(e) => Some(match e.split_once(':') {
                Some((kind, id)) => EntityFilter {
                    kind: Some(entity_kind(kind).ok_or_else(|| {
                        ApiError::bad_request(format!("entity kind \"{kind}\" is unknown; use hospital, clinician, department or keyword"))
                    })?),
                    id: id.to_string(),
                },
                None => EntityFilter { kind: None, id: e.to_string() },
            }),
        };
        let priority = match self.priority.as_deref() {
            None | Some("") => None,
            Some(p) => Some(PriorityLevel::parse(p).ok_or_else(|| ApiError::bad_request(format!("priority \"{p}\" is unknown; use P1, P2, P3 or P4")))?),
        };
        let category = match self.category.as_deref() {
            None | Some("") => None,
            Some(c) => Some(Category::parse(c).ok_or_else(|| {
                ApiError::bad_request(format!("category \"{c}\" is unknown; use one of the ids in DESIGN.md, e.g. wait_time, billing, misdiagnosis"))
            })?),
        };
        let source = match self.source.as_deref() {
            None | Some("") => None,
            Some(s) if SOURCES.contains(&s) => Some(s.to_string()),
            Some(s) => return Err(ApiError::bad_request(format!("source \"{s}\" is unknown; use one of {}", SOURCES.join(", ")))),
        };
        let lang = match self.language.as_deref() {
            None | Some("") => None,
            Some(l) if (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_lowercase()) => Some(l.to_string()),
            Some(l) => return Err(ApiError::bad_request(format!("language \"{l}\" is not a language code; use e.g. en, id or ms"))),
        };
        let kind = match self.kind.as_deref() {
            None | Some("") => None,
            Some("story") => Some(CaseKind::Story),
            Some("spike") => Some(CaseKind::Spike),
            Some(k) => return Err(ApiError::bad_request(format!("kind \"{k}\" is unknown; use story or spike"))),
        };
        Ok(AlertFilter { statuses, entity, priority, category, source, lang, kind })
    }

    fn limit(&self) -> Result<usize, ApiError> {
        match self.limit {
            None => Ok(50),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(n) => Err(ApiError::bad_request(format!("limit {n} is out of range; ask for 1 to {MAX_LIMIT}, and page with offset"))),
        }
    }
}

pub fn entity_kind(s: &str) -> Option<EntityKind> {
    match s {
        "hospital" => Some(EntityKind::Hospital),
        "clinician" => Some(EntityKind::Clinician),
        "department" => Some(EntityKind::Department),
        "keyword" => Some(EntityKind::Keyword),
        _ => None,
    }
}

/// Serialized answers per query, valid while the feed's generation is unchanged.
#[derive(Default)]
pub struct QueueCache {
    answers: Mutex<HashMap<AlertsQuery, (u64, Bytes)>>,
}

/// Distinct queries cached at once; beyond it the cache starts over.
const CACHE_ENTRIES: usize = 256;

async fn list(_caller: Caller<Officers>, State(state): State<Arc<ApiState>>, ApiQuery(q): ApiQuery<AlertsQuery>) -> Result<Response, ApiError> {
    let filter = q.filter()?;
    let (limit, offset) = (q.limit()?, q.offset.unwrap_or(0));
    let generation = state.feed.generation();
    let cached = state.queue_cache.answers.lock().unwrap_or_else(|p| p.into_inner()).get(&q).filter(|(g, _)| *g == generation).map(|(_, b)| b.clone());
    let body = match cached {
        Some(body) => body,
        None => {
            let st = state.clone();
            let alerts = tokio::task::spawn_blocking(move || st.stores.read(|s| s.alerts(&filter, limit, offset))).await??;
            let body = Bytes::from(
                serde_json::to_vec(&serde_json::json!({ "alerts": alerts, "limit": limit, "offset": offset })).map_err(anyhow::Error::from)?,
            );
            let mut cache = state.queue_cache.answers.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(q, (generation, body.clone()));
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Server-sent events: `change` for every new or changed case (`CaseChange` JSON), and
/// `reload` when this client fell behind and should fetch the queue again.
async fn stream(_caller: Caller<Officers>, State(state): State<Arc<ApiState>>, _params: ApiQuery<NoParams>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    metrics::gauge!("hearken_api_streams").increment(1.0);
    let receiver = state.feed.subscribe();
    let events = futures_util::stream::unfold(StreamGuard(receiver), |mut guard| async move {
        let event = match guard.0.recv().await {
            Ok(change) => Event::default().event("change").json_data(&*change).unwrap_or_else(|_| Event::default().event("reload").data("{}")),
            Err(RecvError::Lagged(n)) => Event::default().event("reload").data(format!("{{\"missed\":{n}}}")),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), guard))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Counts the open streams down when a client goes away.
struct StreamGuard(tokio::sync::broadcast::Receiver<Arc<super::feed::CaseChange>>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        metrics::gauge!("hearken_api_streams").decrement(1.0);
    }
}

//! `GET /api/search?q=`: full-text search of the relevant posts (tantivy query syntax),
//! with facets for entity, category, sentiment, source, language and date.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::{Caller, Readers};
use super::error::{ApiError, ApiQuery};
use super::ApiState;

pub fn routes() -> Router<Arc<ApiState>> {
    Router::new().route("/api/search", get(search))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words, "quoted phrases", `*` for everything; filters `entity:ID`, `category:ID`,
    /// `lang:id`, `sentiment:negative`, `priority:P1`; AND / OR / NOT.
    pub q: Option<String>,
    /// Only posts created on or after this day (YYYY-MM-DD) or time (RFC 3339)…
    pub from: Option<String>,
    /// …and before this one (exclusive).
    pub to: Option<String>,
    /// Hits returned (default 20, up to 200).
    pub limit: Option<usize>,
}

const MAX_QUERY_BYTES: usize = 1000;

async fn search(_caller: Caller<Readers>, State(state): State<Arc<ApiState>>, ApiQuery(q): ApiQuery<SearchQuery>) -> Result<Response, ApiError> {
    let text = q.q.as_deref().map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(ApiError::bad_request("q is required: words to look for, or * for every post (e.g. q=salah diagnosa, q=category:billing)"));
    }
    if text.len() > MAX_QUERY_BYTES {
        return Err(ApiError::bad_request(format!("q is longer than {MAX_QUERY_BYTES} bytes; shorten it")));
    }
    let limit = match q.limit {
        None => 20,
        Some(n) if (1..=200).contains(&n) => n,
        Some(n) => return Err(ApiError::bad_request(format!("limit {n} is out of range; ask for 1 to 200"))),
    };
    let mut query = if text == "*" { "*".to_string() } else { format!("({text})") };
    if q.from.is_some() || q.to.is_some() {
        let from = q.from.as_deref().map(|f| parse_time("from", f)).transpose()?.unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
        let to = q.to.as_deref().map(|t| parse_time("to", t)).transpose()?.unwrap_or_else(|| "9999-12-31T00:00:00Z".into());
        query = if text == "*" { format!("created_at:[{from} TO {to}}}") } else { format!("{query} AND created_at:[{from} TO {to}}}") };
    }
    let st = state.clone();
    let result = tokio::task::spawn_blocking(move || st.index.search_with_facets(&query, limit)).await?;
    match result {
        Ok(found) => Ok(Json(found).into_response()),
        // The index says what in the query it could not read.
        Err(e) => Err(ApiError::bad_request(format!("{e:#}"))),
    }
}

/// A day or an RFC 3339 time, as the RFC 3339 UTC time tantivy's range syntax reads.
pub fn parse_time(name: &str, value: &str) -> Result<String, ApiError> {
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(value, rfc3339)
        .or_else(|_| {
            time::Date::parse(value, time::macros::format_description!("[year]-[month]-[day]")).map(|d| d.midnight().assume_utc())
        })
        .map_err(|_| ApiError::bad_request(format!("{name} \"{value}\" is not a day (2026-03-01) or a time (2026-03-01T08:00:00Z)")))?;
    t.to_offset(time::UtcOffset::UTC).format(rfc3339).map_err(|e| ApiError::bad_request(format!("{name}: {e}")))
}

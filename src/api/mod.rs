//! The HTTP API of `hearken run`: the alert queue, case actions and search.
//!
//! Every route but `/healthz` needs `Authorization: Bearer TOKEN` with a token from
//! `HEARKEN_API_TOKENS` whose role may use it: officers work the queue, marketing searches,
//! admins do both. With no tokens configured, only `/healthz` answers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::config::{Config, Role, Secrets};
use crate::model::{CaseEventKind, CaseStatus};
use crate::pipeline::Counters;
use crate::sinks::{CaseStore, DataDir, SearchIndex};

pub struct ApiState {
    pub data_dir: PathBuf,
    pub secrets: Secrets,
    pub counters: Arc<Counters>,
    pub index: SearchIndex,
    /// Case events queued for the CRM: officers' status changes go out like the pipeline's.
    pub webhook_events: Vec<CaseEventKind>,
}

impl ApiState {
    pub fn new(config: &Config, secrets: Secrets, counters: Arc<Counters>) -> anyhow::Result<ApiState> {
        let dir = DataDir::new(&config.data_dir);
        Ok(ApiState {
            data_dir: config.data_dir.clone(),
            secrets,
            counters,
            index: SearchIndex::open(&dir.search_index())?,
            webhook_events: config
                .webhook
                .as_ref()
                .map(|w| w.events.iter().filter_map(|e| CaseEventKind::parse(e)).collect())
                .unwrap_or_default(),
        })
    }
}

pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/cases", get(list_cases))
        .route("/api/cases/{id}", get(get_case))
        .route("/api/cases/{id}/status", post(set_status))
        .route("/api/search", get(search))
        .with_state(state)
}

pub async fn serve(addr: SocketAddr, state: Arc<ApiState>, stop: tokio::sync::watch::Receiver<bool>) -> anyhow::Result<()> {
    serve_router(addr, router(state), stop).await
}

/// Serves a router: the API's, possibly merged with routes kept in their own modules
/// (webhook ingest, `connectors::webhook_ingest::router`).
pub async fn serve_router(addr: SocketAddr, app: Router, mut stop: tokio::sync::watch::Receiver<bool>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}; pick another with --listen or api.listen"))?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await?;
    Ok(())
}

struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
    }
}

fn authorize(state: &ApiState, headers: &HeaderMap, allowed: &[Role]) -> Result<Role, ApiError> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError(StatusCode::UNAUTHORIZED, "send Authorization: Bearer TOKEN (tokens come from HEARKEN_API_TOKENS)".into()))?;
    let role = state
        .secrets
        .api_tokens
        .iter()
        .find(|(_, t)| constant_time_eq(t.as_bytes(), token.as_bytes()))
        .map(|(r, _)| *r)
        .ok_or_else(|| ApiError(StatusCode::UNAUTHORIZED, "unknown token".into()))?;
    if role == Role::Admin || allowed.contains(&role) {
        Ok(role)
    } else {
        Err(ApiError(StatusCode::FORBIDDEN, format!("the {role:?} role may not use this route")))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn store(state: &ApiState) -> anyhow::Result<CaseStore> {
    let mut store = CaseStore::open(&DataDir::new(&state.data_dir).case_store())?;
    store.send_to_webhook(state.webhook_events.iter().copied());
    Ok(store)
}

async fn healthz(State(state): State<Arc<ApiState>>) -> Json<serde_json::Value> {
    let c = &state.counters;
    Json(serde_json::json!({
        "status": "ok",
        "scored": Counters::get(&c.scored),
        "committed": Counters::get(&c.committed),
        "cases_opened": Counters::get(&c.cases_opened),
    }))
}

#[derive(Deserialize)]
struct CasesQuery {
    status: Option<String>,
    limit: Option<usize>,
}

async fn list_cases(State(state): State<Arc<ApiState>>, headers: HeaderMap, Query(q): Query<CasesQuery>) -> Result<Response, ApiError> {
    authorize(&state, &headers, &[Role::Officer])?;
    let status = match q.status.as_deref() {
        None => Some(CaseStatus::Open),
        Some("all") => None,
        Some(s) => Some(CaseStatus::parse(s).ok_or_else(|| ApiError(StatusCode::BAD_REQUEST, format!("unknown status {s}")))?),
    };
    let limit = q.limit.unwrap_or(50).min(1000);
    let cases = tokio::task::spawn_blocking(move || store(&state)?.cases(status, limit)).await.map_err(anyhow::Error::from)??;
    Ok(Json(cases).into_response())
}

async fn get_case(State(state): State<Arc<ApiState>>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, ApiError> {
    authorize(&state, &headers, &[Role::Officer])?;
    let found = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<serde_json::Value>> {
        let store = store(&state)?;
        let Some(case) = store.case(&id)? else { return Ok(None) };
        let events = store.events(&id)?;
        let mut posts = Vec::new();
        for uid in &case.post_uids {
            if let Some(p) = store.post(uid)? {
                posts.push(serde_json::json!({ "post": p.post, "assessment": p.assessment }));
            }
        }
        Ok(Some(serde_json::json!({ "case": case, "events": events, "posts": posts })))
    })
    .await
    .map_err(anyhow::Error::from)??;
    match found {
        Some(v) => Ok(Json(v).into_response()),
        None => Err(ApiError(StatusCode::NOT_FOUND, "no such case".into())),
    }
}

#[derive(Deserialize)]
struct StatusChange {
    status: String,
    /// Who is acting, recorded in the audit trail.
    actor: String,
    note: Option<String>,
    assignee: Option<String>,
}

async fn set_status(State(state): State<Arc<ApiState>>, headers: HeaderMap, Path(id): Path<String>, Json(change): Json<StatusChange>) -> Result<Response, ApiError> {
    authorize(&state, &headers, &[Role::Officer])?;
    let next = CaseStatus::parse(&change.status)
        .ok_or_else(|| ApiError(StatusCode::BAD_REQUEST, format!("unknown status {}; use acknowledged, assigned, resolved, dismissed or open", change.status)))?;
    if change.actor.trim().is_empty() {
        return Err(ApiError(StatusCode::BAD_REQUEST, "actor is required: the name recorded in the audit trail".into()));
    }
    let result = tokio::task::spawn_blocking(move || {
        store(&state)?.set_status(&id, next, &change.actor, change.note.as_deref(), change.assignee.as_deref())
    })
    .await
    .map_err(anyhow::Error::from)?;
    match result {
        Ok(case) => Ok(Json(case).into_response()),
        Err(e) => Err(ApiError(StatusCode::CONFLICT, format!("{e:#}"))),
    }
}

#[derive(Deserialize)]
struct SearchQuery {
    q: String,
    limit: Option<usize>,
}

async fn search(State(state): State<Arc<ApiState>>, headers: HeaderMap, Query(q): Query<SearchQuery>) -> Result<Response, ApiError> {
    authorize(&state, &headers, &[Role::Officer, Role::Marketing])?;
    let hits = state.index.search(&q.q, q.limit.unwrap_or(20).min(500)).map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("{e:#}")))?;
    Ok(Json(hits).into_response())
}

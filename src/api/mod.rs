//! The HTTP API and dashboard of `hearken run` (axum).
//!
//! | module | routes | who |
//! |---|---|---|
//! | [`alerts`] | `GET /api/alerts`, `GET /api/alerts/stream` (SSE) | officer |
//! | [`cases`] | `GET /api/cases/{id}`, `POST /api/cases/{id}/ack\|assign\|note\|resolve\|dismiss` | officer |
//! | [`search`] | `GET /api/search?q=` with facets | officer, marketing |
//! | [`entities`] | `GET /api/entities` | officer, marketing |
//! | [`trends`] | `GET /api/trends` | marketing |
//! | [`metrics`] | `GET /metrics` (Prometheus) | admin |
//! | [`openapi`] | `GET /api/openapi.json` | any token |
//! | [`dashboard`] | `/`, `/queue`, `/reputation`, `/search`, `/assets/*` (no data, no token) | — |
//! | here | `GET /healthz` | no token |
//!
//! [`auth`] checks the bearer token (from `HEARKEN_API_TOKENS`) and its role before a
//! handler reads anything, and limits each token's request rate; admins may use every
//! route. Errors are JSON with a message that says what to do ([`error`]).

pub mod alerts;
pub mod auth;
pub mod cases;
pub mod dashboard;
pub mod entities;
pub mod error;
pub mod feed;
pub mod metrics;
pub mod openapi;
pub mod search;
pub mod store;
pub mod trends;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use tokio::sync::watch;

use crate::config::{Config, Mode, Secrets};
use crate::core::EntitiesFile;
use crate::model::CaseEventKind;
use crate::pipeline::Counters;
use crate::sinks::{DataDir, SearchIndex};
use error::ApiError;

pub struct ApiState {
    pub auth: auth::Auth,
    pub counters: Arc<Counters>,
    pub stores: Arc<store::Stores>,
    pub index: SearchIndex,
    pub trends: trends::Backend,
    pub entities: Vec<entities::EntityView>,
    pub feed: Arc<feed::CaseFeed>,
    pub queue_cache: alerts::QueueCache,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    feed_poll: Duration,
    max_body_bytes: usize,
}

impl ApiState {
    pub fn new(config: &Config, secrets: Secrets, counters: Arc<Counters>) -> anyhow::Result<ApiState> {
        let dir = DataDir::new(&config.data_dir);
        let webhook_events: Vec<CaseEventKind> =
            config.webhook.as_ref().map(|w| w.events.iter().filter_map(|e| CaseEventKind::parse(e)).collect()).unwrap_or_default();
        let stores = Arc::new(store::Stores::open(dir.case_store(), webhook_events)?);
        let trends = match (&config.mode, &config.clickhouse) {
            (Mode::Distributed, Some(ch)) => trends::Backend::ClickHouse(crate::trends::clickhouse::ClickHouseTrends::new(
                crate::sinks::clickhouse::server_client(ch).with_database(&ch.database),
            )),
            _ => trends::Backend::Embedded(crate::trends::embedded::EmbeddedTrends::open(&dir.case_store())?),
        };
        let api = &config.api;
        Ok(ApiState {
            auth: auth::Auth::new(secrets.api_tokens, api.rate_limit_per_second, api.rate_limit_burst),
            counters,
            stores,
            index: SearchIndex::open(&dir.search_index())?,
            trends,
            entities: entities::views(&EntitiesFile::load(&config.core.entities)?),
            feed: Arc::new(feed::CaseFeed::new()),
            queue_cache: alerts::QueueCache::default(),
            metrics: metrics::recorder()?,
            feed_poll: Duration::from_millis(api.feed_poll_ms.max(10)),
            max_body_bytes: api.max_body_bytes,
        })
    }
}

/// Every route. Route groups are merged here, one module each.
pub fn router(state: Arc<ApiState>) -> Router {
    let max_body = state.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .merge(alerts::routes())
        .merge(cases::routes())
        .merge(search::routes())
        .merge(entities::routes())
        .merge(trends::routes())
        .merge(metrics::routes())
        .merge(openapi::routes())
        // Webhook ingest (role `ingest`, `auth::Caller<auth::Ingest>`) is merged here from
        // its own module, like the groups above.
        .merge(dashboard::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(observe))
        .with_state(state)
}

/// Binds `addr` and serves until `stop` turns true. The case feed runs alongside.
pub async fn serve(addr: SocketAddr, state: Arc<ApiState>, stop: watch::Receiver<bool>) -> anyhow::Result<()> {
    serve_app(bind(addr).await?, state, None, stop).await
}

/// [`serve`], with routes kept in their own modules merged in (webhook ingest,
/// `connectors::webhook_ingest::router`).
pub async fn serve_with_routes(addr: SocketAddr, state: Arc<ApiState>, routes: Router, stop: watch::Receiver<bool>) -> anyhow::Result<()> {
    serve_app(bind(addr).await?, state, Some(routes), stop).await
}

pub async fn serve_on(listener: tokio::net::TcpListener, state: Arc<ApiState>, stop: watch::Receiver<bool>) -> anyhow::Result<()> {
    serve_app(listener, state, None, stop).await
}

async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}; pick another with --listen or api.listen"))
}

async fn serve_app(
    listener: tokio::net::TcpListener,
    state: Arc<ApiState>,
    routes: Option<Router>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let feed = tokio::spawn(state.feed.clone().run(state.stores.clone(), state.counters.clone(), state.feed_poll, stop.clone()));
    let app = match routes {
        Some(routes) => router(state).merge(routes),
        None => router(state),
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await?;
    feed.abort();
    Ok(())
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

async fn not_found() -> ApiError {
    ApiError::not_found("no such route; the routes are listed in /api/openapi.json, the dashboard is at /")
}

/// Request latency per route and status, for `/metrics`; and JSON for axum's own
/// plain-text rejections (wrong method, a body over the size limit).
async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    let status = response.status();
    ::metrics::histogram!("hearken_http_request_seconds", "route" => route, "status" => status.as_u16().to_string())
        .record(started.elapsed().as_secs_f64());
    let is_json = response.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        return axum::response::IntoResponse::into_response(match status {
            StatusCode::METHOD_NOT_ALLOWED => ApiError::new(status, "this route does not take that method; see /api/openapi.json"),
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(status, "the request body is larger than api.max_body_bytes; send less"),
            _ => ApiError::new(status, format!("{}; see /api/openapi.json", status.canonical_reason().unwrap_or("error"))),
        });
    }
    response
}

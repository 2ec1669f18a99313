//! `GET /metrics`: Prometheus text exposition of hearken's `metrics` counters, gauges and
//! histograms (through `metrics-exporter-prometheus`), with the store's gauges read at
//! scrape time.
//!
//! What is there: `hearken_posts_scored_total` / `_committed_total` / `_stored_total`
//! (ingest rate: `rate(hearken_posts_scored_total[1m])`), `hearken_stage_seconds{stage}`
//! (core: per post; sink: per batch), `hearken_queue_depth{queue}`,
//! `hearken_dead_letters_total`, `hearken_webhook_backlog{state="pending"|"dead"}`,
//! `hearken_webhook_delivered_total` …, `hearken_cases_open`, and the API's own
//! `hearken_http_request_seconds{route,status}`.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::auth::{Admins, Caller};
use super::error::{ApiError, ApiQuery, NoParams};
use super::ApiState;

pub fn routes() -> Router<Arc<ApiState>> {
    Router::new().route("/metrics", get(scrape))
}

/// Latency buckets in seconds: from a cached queue answer to a slow batch commit.
const BUCKETS: &[f64] = &[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Installs the process-wide recorder once (later calls return the same handle), so the
/// `metrics::` macros everywhere in hearken record from then on.
pub fn recorder() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut slot = HANDLE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(h) = slot.as_ref() {
        return Ok(h.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)?
        .install_recorder()
        .map_err(|e| anyhow::anyhow!("cannot install the metrics recorder: {e}"))?;
    *slot = Some(handle.clone());
    Ok(handle)
}

async fn scrape(_caller: Caller<Admins>, State(state): State<Arc<ApiState>>, _params: ApiQuery<NoParams>) -> Result<impl IntoResponse, ApiError> {
    let st = state.clone();
    let (backlog, counts) = tokio::task::spawn_blocking(move || st.stores.read(|s| Ok((s.webhook_backlog()?, s.counts()?)))).await??;
    metrics::gauge!("hearken_webhook_backlog", "state" => "pending").set(backlog.0 as f64);
    metrics::gauge!("hearken_webhook_backlog", "state" => "dead").set(backlog.1 as f64);
    metrics::gauge!("hearken_cases_open").set(counts.open_cases as f64);
    metrics::gauge!("hearken_posts_in_store").set(counts.posts as f64);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()))
}

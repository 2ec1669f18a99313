//! Webhook ingest: the hospital's own patient forums and messaging channels push posts to
//! `POST /api/ingest` (role `ingest`), one Post, a JSON array of Posts, or JSON lines, in
//! the contract's shape.
//!
//! An accepted post is durable before the answer: the endpoint appends it to a spool file
//! (`DATA_DIR/ingest.spool.jsonl`, fsynced), and a source reads the spool like a replay
//! file, checkpointed by byte offset with the posts it feeds. So a 200 means "kept": a
//! crash after it loses nothing, and a pusher that retries after a timeout adds nothing
//! twice (the stores key posts by `webhook:id`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncSeekExt, BufReader};
use tokio::sync::{mpsc, watch, Notify};

use super::source::SourceStats;
use super::{Position, SourceItem};
use crate::config::{ApiToken, Role};
use crate::model::{Post, Source};
use crate::pipeline::dead_letter::DeadLetter;

/// `[[sources]] kind = "webhook"`: turns the ingest endpoint on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookIngestConfig {
    /// Largest request body accepted (413 above it).
    pub max_body_bytes: usize,
    /// Most posts in one request.
    pub max_posts: usize,
}

impl Default for WebhookIngestConfig {
    fn default() -> Self {
        WebhookIngestConfig { max_body_bytes: 4 << 20, max_posts: 1000 }
    }
}

impl WebhookIngestConfig {
    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut p = Vec::new();
        if self.max_body_bytes < 1024 {
            p.push(format!("{at}.max_body_bytes must be at least 1024"));
        }
        if self.max_posts == 0 {
            p.push(format!("{at}.max_posts must be above 0"));
        }
        p
    }
}

pub const STREAM: &str = "webhook:ingest";

/// The append-only file accepted posts wait in until the pipeline has committed them.
pub struct IngestSpool {
    path: PathBuf,
    file: Mutex<std::fs::File>,
    appended: Notify,
}

impl IngestSpool {
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join("ingest.spool.jsonl")
    }

    pub fn open(data_dir: &Path) -> anyhow::Result<Arc<IngestSpool>> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create the data dir {}: {e}; pass a writable --data-dir", data_dir.display()))?;
        let path = IngestSpool::path_in(data_dir);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| anyhow::anyhow!("cannot open the ingest spool {}: {e}", path.display()))?;
        Ok(Arc::new(IngestSpool { path, file: Mutex::new(file), appended: Notify::new() }))
    }

    /// Appends the posts as JSON lines and syncs them to disk (blocking: call it from a
    /// blocking thread).
    pub fn append(&self, posts: &[Post]) -> anyhow::Result<()> {
        let mut buf = Vec::with_capacity(posts.len() * 256);
        for p in posts {
            serde_json::to_writer(&mut buf, p)?;
            buf.push(b'\n');
        }
        let mut file = self.file.lock().map_err(|_| anyhow::anyhow!("the ingest spool lock is poisoned"))?;
        file.write_all(&buf)?;
        file.sync_data()?;
        drop(file);
        self.appended.notify_waiters();
        Ok(())
    }
}

/// Reads the spool from a byte offset and keeps following it as posts arrive.
pub struct SpoolReader {
    spool: Arc<IngestSpool>,
}

impl SpoolReader {
    pub fn new(spool: Arc<IngestSpool>) -> SpoolReader {
        SpoolReader { spool }
    }

    pub fn stream(&self) -> &str {
        STREAM
    }

    pub async fn run(&self, start: u64, out: mpsc::Sender<SourceItem>, mut stop: watch::Receiver<bool>) -> anyhow::Result<SourceStats> {
        let mut stats = SourceStats::default();
        let mut offset = start;
        let mut buf = Vec::with_capacity(4096);
        loop {
            // Registered before reading, so an append during the read still wakes us.
            let appended = self.spool.appended.notified();
            let mut file = tokio::fs::File::open(&self.spool.path).await?;
            file.seek(std::io::SeekFrom::Start(offset)).await?;
            let mut reader = BufReader::new(file);
            loop {
                buf.clear();
                let n = reader.read_until(b'\n', &mut buf).await?;
                if n == 0 || buf.last() != Some(&b'\n') {
                    break; // the end, or a line still being written: wait for it whole
                }
                offset += n as u64;
                let line = String::from_utf8_lossy(&buf);
                let line = line.trim_end();
                if line.is_empty() {
                    continue;
                }
                let position = Position::at(STREAM, offset);
                let item = match Post::from_json_line(line) {
                    Ok(post) => {
                        stats.read += 1;
                        SourceItem::Post { post, position }
                    }
                    Err(e) => {
                        stats.rejected += 1;
                        let origin = self.spool.path.display().to_string();
                        SourceItem::Rejected { letter: DeadLetter::new("source", &origin, None, &e.to_string(), line), position }
                    }
                };
                tokio::select! {
                    sent = out.send(item) => if sent.is_err() { return Ok(stats) },
                    _ = stop.changed() => return Ok(stats),
                }
            }
            if *stop.borrow() {
                return Ok(stats);
            }
            tokio::select! {
                _ = appended => {},
                // A safety net for appends by another process sharing the data dir.
                _ = tokio::time::sleep(Duration::from_secs(1)) => {},
                _ = stop.changed() => return Ok(stats),
            }
        }
    }
}

/// What the ingest route needs.
pub struct IngestState {
    pub spool: Arc<IngestSpool>,
    pub tokens: Vec<ApiToken>,
    pub config: WebhookIngestConfig,
}

/// The answer: how many were kept, and each refused post with where it was and why.
#[derive(Debug, Serialize, Deserialize)]
pub struct IngestAnswer {
    pub accepted: usize,
    pub rejected: Vec<Rejection>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Rejection {
    /// 0-based index in an array, or 1-based line number in JSON lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub reason: String,
}

/// The ingest route of a config, if it has a `kind = "webhook"` source, with its spool
/// (opened under `data_dir`): merge the router into the API's, give the spool to the source.
pub fn from_config(config: &crate::config::Config, tokens: &[ApiToken]) -> anyhow::Result<Option<(Router, Arc<IngestSpool>)>> {
    let Some(c) = config.sources.iter().find_map(|s| match s {
        crate::config::SourceConfig::Webhook(c) => Some(c.clone()),
        _ => None,
    }) else {
        return Ok(None);
    };
    if !tokens.iter().any(|t| matches!(t.role, Role::Ingest | Role::Admin)) {
        tracing::warn!("a webhook source is configured but HEARKEN_API_TOKENS has no ingest token: every push will be refused");
    }
    let spool = IngestSpool::open(&config.data_dir)?;
    let state = Arc::new(IngestState { spool: spool.clone(), tokens: tokens.to_vec(), config: c });
    Ok(Some((router(state), spool)))
}

/// `POST /api/ingest`, to merge into the API's router.
pub fn router(state: Arc<IngestState>) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new().route("/api/ingest", post(ingest)).layer(DefaultBodyLimit::max(limit)).with_state(state)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

fn authorized(state: &IngestState, headers: &HeaderMap) -> Result<(), Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "send Authorization: Bearer TOKEN with an ingest token from HEARKEN_API_TOKENS"))?;
    let role = state
        .tokens
        .iter()
        .find(|t| t.token.len() == token.len() && t.token.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0)
        .map(|t| t.role)
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "unknown token"))?;
    match role {
        Role::Ingest | Role::Admin => Ok(()),
        other => Err(error(StatusCode::FORBIDDEN, format!("the {other:?} role may not push posts; use an ingest token"))),
    }
}

/// Splits a body into records: a JSON array, one JSON object, or JSON lines.
fn records(body: &[u8]) -> Result<Vec<(Option<usize>, Option<usize>, Result<serde_json::Value, String>)>, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("the body is not UTF-8: {e}"))?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let values: Vec<serde_json::Value> =
            serde_json::from_str(trimmed).map_err(|e| format!("the body starts like a JSON array but is not one: {e}"))?;
        return Ok(values.into_iter().enumerate().map(|(i, v)| (Some(i), None, Ok(v))).collect());
    }
    if let Ok(v @ serde_json::Value::Object(_)) = serde_json::from_str::<serde_json::Value>(trimmed) {
        return Ok(vec![(Some(0), None, Ok(v))]);
    }
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| (None, Some(n + 1), serde_json::from_str(l).map_err(|e| format!("not valid JSON ({e})"))))
        .collect())
}

async fn ingest(State(state): State<Arc<IngestState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(denied) = authorized(&state, &headers) {
        return denied;
    }
    let records = match records(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("{e}; send one Post, an array of Posts, or JSON lines")),
    };
    if records.len() > state.config.max_posts {
        return error(StatusCode::PAYLOAD_TOO_LARGE, format!("{} posts in one request; send at most {} at a time", records.len(), state.config.max_posts));
    }
    let mut accepted = Vec::with_capacity(records.len());
    let mut rejected = Vec::new();
    for (index, line, value) in records {
        let id = value.as_ref().ok().and_then(|v| v.get("id")).and_then(|i| i.as_str()).map(str::to_string);
        let post = value.and_then(|v| {
            let mut post: Post = serde_json::from_value(v).map_err(|e| format!("not a post: {e}"))?;
            post.validate().map_err(|e| e.to_string())?;
            // Pushed posts are the webhook's, whatever they claim: `webhook:ID` keeps them
            // apart from the networks' own posts.
            post.source = Some(Source::Webhook);
            Ok(post)
        });
        match post {
            Ok(p) => accepted.push(p),
            Err(reason) => rejected.push(Rejection { index, line, id, reason }),
        }
    }
    let kept = accepted.len();
    if kept > 0 {
        let spool = state.spool.clone();
        match tokio::task::spawn_blocking(move || spool.append(&accepted)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return error(StatusCode::SERVICE_UNAVAILABLE, format!("the posts could not be stored ({e:#}); nothing was kept, send them again")),
            Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}")),
        }
    }
    metrics::counter!("hearken_ingest_accepted_total").increment(kept as u64);
    metrics::counter!("hearken_ingest_rejected_total").increment(rejected.len() as u64);
    let status = if kept == 0 && !rejected.is_empty() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    (status, Json(IngestAnswer { accepted: kept, rejected })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_split_into_records_in_each_shape() {
        assert_eq!(records(br#"{"id":"1","text":"a"}"#).unwrap().len(), 1);
        let arr = records(br#"[{"id":"1","text":"a"},{"id":"2"}]"#).unwrap();
        assert_eq!(arr.len(), 2);
        assert_eq!(arr[1].0, Some(1));
        let lines = records(b"{\"id\":\"1\",\"text\":\"a\"}\n\nnot json\n{\"id\":\"3\",\"text\":\"c\"}\n").unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].1, Some(3));
        assert!(lines[1].2.is_err());
        assert!(records(b"[{\"id\":").is_err());
    }
}

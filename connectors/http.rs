//! HTTP for the connectors: one client per connector that knows how its network says
//! "slow down" — 429 with `Retry-After`, and the rate-limit headers that tell in advance —
//! and turns every answer into a [`Fetched`] body or a [`PollError`] the poller can act on.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use tokio::time::Instant;

/// Why a poll did not produce posts, and so what the poller does next.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// The network asked us to wait (429, or a rate-limit error of its own): wait that long,
    /// without counting it as a failure.
    #[error("rate limited for {0:?}")]
    RateLimited(Duration),
    /// Network errors, timeouts, 5xx: the network is down or flaky. Retried with exponential
    /// backoff and jitter.
    #[error("{0}")]
    Transient(String),
    /// 401/403 and other answers that will not change by themselves (a wrong token, a
    /// missing scope, a wrong page id). Retried slowly (at the backoff cap) so that a token
    /// fixed in the environment is picked up after a restart, and logged loudly.
    #[error("{0}")]
    Refused(String),
    /// A 2xx answer whose body is not what the network documents (not JSON, wrong shape):
    /// kept as a dead letter with `body`, and retried with backoff since the cursor cannot
    /// move past something unread.
    #[error("malformed answer from {url}: {reason}")]
    Malformed { url: String, reason: String, body: String },
}

/// How a network reports its rate-limit window in response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitStyle {
    /// `X-Ratelimit-Remaining` (may be fractional) and `X-Ratelimit-Reset` in seconds from
    /// now (Reddit).
    SecondsFromNow,
    /// `x-rate-limit-remaining` and `x-rate-limit-reset` as a Unix time in seconds (X API
    /// v2); atproto servers send `ratelimit-remaining` and `ratelimit-reset` the same way
    /// (Bluesky).
    UnixTime,
    /// `X-RateLimit-Remaining` and `X-RateLimit-Reset` as an RFC 3339 time (Mastodon).
    Rfc3339,
    /// No standard headers (feeds; Facebook: see its module). A reset header, if one comes,
    /// is read as seconds from now.
    None,
}

/// A successful answer.
pub struct Fetched {
    pub url: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Fetched {
    /// Parses the body as JSON, or says why it is not.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, PollError> {
        serde_json::from_slice(&self.body).map_err(|e| self.malformed(format!("not the documented JSON: {e}")))
    }

    pub fn malformed(&self, reason: String) -> PollError {
        PollError::Malformed { url: self.url.clone(), reason, body: String::from_utf8_lossy(&self.body[..self.body.len().min(8192)]).into_owned() }
    }
}

/// A connector's HTTP client. Remembers when the network said its window is used up, and
/// waits for the reset before the next request instead of collecting 429s.
pub struct Http {
    client: reqwest::Client,
    style: RateLimitStyle,
    /// A network's own way of saying "slow down" (Facebook: error codes in a 400/403 body,
    /// usage percentages in headers): given the status, headers and body, how long to wait.
    own_limits: Option<fn(StatusCode, &HeaderMap, &[u8]) -> Option<Duration>>,
    not_before: Option<Instant>,
    /// Longest wait the headers may impose (a reset far in the future is a clock problem).
    max_wait: Duration,
}

pub const USER_AGENT: &str = concat!("hearken/", env!("CARGO_PKG_VERSION"), " (social listening for hospitals)");

impl Http {
    pub fn new(style: RateLimitStyle, timeout: Duration, user_agent: Option<&str>) -> anyhow::Result<Http> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(user_agent.unwrap_or(USER_AGENT))
            .build()?;
        Ok(Http { client, style, own_limits: None, not_before: None, max_wait: Duration::from_secs(3600) })
    }

    /// Adds a network's own rate-limit signals (see the field).
    pub fn with_own_limits(mut self, f: fn(StatusCode, &HeaderMap, &[u8]) -> Option<Duration>) -> Http {
        self.own_limits = Some(f);
        self
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request (waiting first if the last answer used up the window) and sorts the
    /// answer into success or a [`PollError`].
    pub async fn send(&mut self, request: RequestBuilder) -> Result<Fetched, PollError> {
        if let Some(t) = self.not_before.take() {
            tokio::time::sleep_until(t).await;
        }
        let request = request.build().map_err(|e| PollError::Refused(format!("cannot build the request: {e}")))?;
        let url = redact(request.url());
        let response = self.client.execute(request).await.map_err(|e| PollError::Transient(format!("{url}: {e}")))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| PollError::Transient(format!("{url}: reading the answer: {e}")))?.to_vec();
        if let Some(wait) = self.window_exhausted(&headers) {
            self.not_before = Some(Instant::now() + wait);
        }
        if let Some(wait) = self.own_limits.and_then(|f| f(status, &headers, &body)) {
            if status.is_success() {
                self.not_before = Some(Instant::now() + wait.min(self.max_wait));
            } else {
                return Err(PollError::RateLimited(wait.min(self.max_wait)));
            }
        }
        if status == StatusCode::NOT_MODIFIED {
            // A conditional request (feeds): nothing new.
            return Ok(Fetched { url, headers, body: Vec::new() });
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = retry_after(&headers).or_else(|| self.reset_in(&headers)).unwrap_or(Duration::from_secs(60));
            return Err(PollError::RateLimited(wait.min(self.max_wait)));
        }
        if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
            return Err(PollError::Transient(format!("{url}: HTTP {status}: {}", snippet(&body))));
        }
        if !status.is_success() {
            return Err(PollError::Refused(format!("{url}: HTTP {status}: {}", snippet(&body))));
        }
        Ok(Fetched { url, headers, body })
    }

    /// When the headers say no requests are left in the window: how long until it resets.
    fn window_exhausted(&self, headers: &HeaderMap) -> Option<Duration> {
        let remaining = header_str(headers, "x-ratelimit-remaining")
            .or_else(|| header_str(headers, "x-rate-limit-remaining"))
            .or_else(|| header_str(headers, "ratelimit-remaining"))?;
        let remaining: f64 = remaining.trim().parse().ok()?;
        if remaining >= 1.0 {
            return None;
        }
        Some(self.reset_in(headers).unwrap_or(Duration::from_secs(60)).min(self.max_wait))
    }

    fn reset_in(&self, headers: &HeaderMap) -> Option<Duration> {
        let reset = header_str(headers, "x-ratelimit-reset")
            .or_else(|| header_str(headers, "x-rate-limit-reset"))
            .or_else(|| header_str(headers, "ratelimit-reset"))?;
        let reset = reset.trim();
        match self.style {
            RateLimitStyle::SecondsFromNow | RateLimitStyle::None => {
                reset.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
            }
            RateLimitStyle::UnixTime => {
                let at: u64 = reset.parse().ok()?;
                Some(Duration::from_secs(at.saturating_sub(now_unix())))
            }
            RateLimitStyle::Rfc3339 => {
                let at = time::OffsetDateTime::parse(reset, &time::format_description::well_known::Rfc3339).ok()?;
                let secs = at.unix_timestamp() - now_unix() as i64;
                Some(Duration::from_secs(secs.max(0) as u64))
            }
        }
    }
}

/// `Retry-After`: delay-seconds or an HTTP date (RFC 9110).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = header_str(headers, "retry-after")?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The URL without query values that carry secrets (Graph API `access_token`), for logs.
fn redact(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    if url.query_pairs().any(|(k, _)| k == "access_token") {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.to_string(), if k == "access_token" { "REDACTED".to_string() } else { v.to_string() }))
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        h.insert("retry-after", HeaderValue::from_str(&later).unwrap());
        let d = retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(100) && d <= Duration::from_secs(120), "{d:?}");
    }

    #[test]
    fn exhausted_windows_wait_for_the_reset_in_each_style() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0.0"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("42"));
        let reddit = Http::new(RateLimitStyle::SecondsFromNow, Duration::from_secs(5), None).unwrap();
        assert_eq!(reddit.window_exhausted(&h), Some(Duration::from_secs(42)));
        let x = Http::new(RateLimitStyle::UnixTime, Duration::from_secs(5), None).unwrap();
        let mut hx = HeaderMap::new();
        hx.insert("x-rate-limit-remaining", HeaderValue::from_static("0"));
        hx.insert("x-rate-limit-reset", HeaderValue::from_str(&(now_unix() + 30).to_string()).unwrap());
        let d = x.window_exhausted(&hx).unwrap();
        assert!(d >= Duration::from_secs(29) && d <= Duration::from_secs(30), "{d:?}");
        // atproto (Bluesky): lower-case `ratelimit-*`, the reset a Unix time.
        let mut hb = HeaderMap::new();
        hb.insert("ratelimit-remaining", HeaderValue::from_static("0"));
        hb.insert("ratelimit-reset", HeaderValue::from_str(&(now_unix() + 90).to_string()).unwrap());
        let d = x.window_exhausted(&hb).unwrap();
        assert!(d >= Duration::from_secs(89) && d <= Duration::from_secs(90), "{d:?}");
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("12"));
        assert_eq!(reddit.window_exhausted(&h), None);
    }

    #[test]
    fn access_tokens_never_reach_the_logs() {
        let url = reqwest::Url::parse("https://graph.example/v19.0/1/feed?limit=5&access_token=SECRET").unwrap();
        let shown = redact(&url);
        assert!(!shown.contains("SECRET") && shown.contains("limit=5"), "{shown}");
    }
}

//! Who is calling: bearer tokens from `HEARKEN_API_TOKENS`, their roles, and a rate limit
//! per token.
//!
//! A handler names who may call it in its signature, e.g. `caller: Caller<Officers>`: the
//! extractor runs before any other, so a request without a valid token gets 401 (and one
//! from the wrong role 403) before its query or body is even read. Admins may call every
//! route. The token's name is the actor recorded in the audit trail.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;

use super::error::ApiError;
use super::ApiState;
use crate::config::{ApiToken, Role};

/// The roles that may use a route (admin always may).
pub trait Allowed: Send + Sync + 'static {
    const ROLES: &'static [Role];
    /// For the 403 message: "… is for {WHO}".
    const WHO: &'static str;
}

/// The alert queue and case actions.
pub struct Officers;
impl Allowed for Officers {
    const ROLES: &'static [Role] = &[Role::Officer];
    const WHO: &'static str = "officers";
}

/// Read-only views for both: search, entities.
pub struct Readers;
impl Allowed for Readers {
    const ROLES: &'static [Role] = &[Role::Officer, Role::Marketing];
    const WHO: &'static str = "officers and marketing";
}

/// Reputation trends.
pub struct Marketing;
impl Allowed for Marketing {
    const ROLES: &'static [Role] = &[Role::Marketing];
    const WHO: &'static str = "marketing";
}

/// Operations: `/metrics`.
pub struct Admins;
impl Allowed for Admins {
    const ROLES: &'static [Role] = &[];
    const WHO: &'static str = "admins";
}

/// Pushing posts in (the webhook-ingest connector).
pub struct Ingest;
impl Allowed for Ingest {
    const ROLES: &'static [Role] = &[Role::Ingest];
    const WHO: &'static str = "ingest clients";
}

/// Any valid token (the OpenAPI document).
pub struct AnyRole;
impl Allowed for AnyRole {
    const ROLES: &'static [Role] = &[Role::Officer, Role::Marketing, Role::Ingest];
    const WHO: &'static str = "any role";
}

/// An authenticated caller allowed by `R`.
pub struct Caller<R> {
    pub name: String,
    pub role: Role,
    allowed: PhantomData<R>,
}

impl<R: Allowed> FromRequestParts<Arc<ApiState>> for Caller<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<ApiState>) -> Result<Self, Self::Rejection> {
        let token = state.auth.authenticate(parts)?;
        state.auth.limiter.check(&token.name)?;
        if token.role != Role::Admin && !R::ROLES.contains(&token.role) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("this route is for {}; the token \"{}\" has the role {}: use a token of the right role", R::WHO, token.name, role_name(token.role)),
            ));
        }
        Ok(Caller { name: token.name.clone(), role: token.role, allowed: PhantomData })
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Officer => "officer",
        Role::Marketing => "marketing",
        Role::Admin => "admin",
        Role::Ingest => "ingest",
    }
}

pub struct Auth {
    tokens: Vec<ApiToken>,
    pub limiter: RateLimiter,
}

impl Auth {
    pub fn new(tokens: Vec<ApiToken>, per_second: f64, burst: u32) -> Auth {
        Auth { tokens, limiter: RateLimiter::new(per_second, burst) }
    }

    fn authenticate(&self, parts: &Parts) -> Result<&ApiToken, ApiError> {
        let header = parts.headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "send the header Authorization: Bearer TOKEN (tokens come from HEARKEN_API_TOKENS)")
        })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "the Authorization header must read: Bearer TOKEN"))?;
        // Compare against every token, each in constant time, so timing says nothing
        // about which (or how much of one) matched.
        let mut found = None;
        for t in &self.tokens {
            if constant_time_eq(t.token.as_bytes(), token.as_bytes()) {
                found = Some(t);
            }
        }
        found.ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "unknown token; use one listed in the server's HEARKEN_API_TOKENS")
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A token bucket per token name: `burst` requests at once, refilled at `per_second`.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    pub fn new(per_second: f64, burst: u32) -> RateLimiter {
        RateLimiter { per_second: per_second.max(0.001), burst: f64::from(burst.max(1)), buckets: Mutex::new(HashMap::new()) }
    }

    pub fn check(&self, who: &str) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = match buckets.get_mut(who) {
            Some(b) => b,
            None => buckets.entry(who.to_string()).or_insert(Bucket { tokens: self.burst, at: now }),
        };
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * self.per_second).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = (1.0 - bucket.tokens) / self.per_second;
        metrics::counter!("hearken_api_rate_limited_total").increment(1);
        Err(ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: format!(
                "the token \"{who}\" is over its rate limit ({} requests/s, bursts of {}); wait {wait:.1} s and retry, or raise api.rate_limit_per_second",
                self.per_second, self.burst
            ),
            retry_after: Some(wait.ceil() as u64),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_then_refills() {
        let limiter = RateLimiter::new(1000.0, 3);
        for _ in 0..3 {
            limiter.check("a").unwrap();
        }
        let e = limiter.check("a").unwrap_err();
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(e.message.contains("wait"));
        limiter.check("b").expect("each token has its own bucket");
        std::thread::sleep(std::time::Duration::from_millis(5));
        limiter.check("a").expect("refilled after a few ms at 1000/s");
    }
}

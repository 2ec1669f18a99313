//! Facebook Graph API: a Page's feed (`/{page-id}/feed`) and the comments on its posts
//! (`/{post-id}/comments`), with a Page access token; answers `{data: [...], paging:
//! {cursors: {before, after}, next}}`.
//!
//! Paging: Graph cursors must not be stored (they expire), so the stored cursor is
//! time-based: the (`created_time`, id) of the newest post handed on, and for each post of
//! the last `comments_days` the newest comment handed on. A poll asks for `since=` those
//! times, follows `paging.next` to the end, skips what is at or before the cursor and
//! hands the rest on oldest first. The first run takes the newest page of the feed.
//!
//! Limits: Graph reports throttling as error codes 4, 17, 32, 613 and 80001 (HTTP 400/403)
//! and usage in `X-App-Usage` / `X-Page-Usage` / `X-Business-Use-Case-Usage` (percent of
//! the window used); hearken waits when a code says so or usage passes 95 %.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use super::http::{Http, PollError, RateLimitStyle};
use super::poller::{record_item, secret_from_env, Network, Page, PollConfig, Poller};
use super::text::parse_graph_time;
use crate::model::{Author, Post, Source, SourceMetrics};

/// `[[sources]] kind = "facebook"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacebookConfig {
    /// Names the stream (`facebook:NAME`); keep it stable.
    pub name: String,
    /// The Page's id (or username).
    pub page_id: String,
    /// Environment variable with a Page access token (`pages_read_engagement`,
    /// `pages_read_user_content`).
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Follow the comments of the Page's posts.
    #[serde(default = "default_true")]
    pub comments: bool,
    /// …of the posts of the last this many days.
    #[serde(default = "default_comments_days")]
    pub comments_days: u32,
    #[serde(default = "default_api")]
    pub api: String,
    #[serde(default = "default_version")]
    pub version: String,
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    #[serde(default)]
    pub poll: PollConfig,
}

fn default_token_env() -> String {
    "HEARKEN_FACEBOOK_PAGE_TOKEN".into()
}

fn default_true() -> bool {
    true
}

fn default_comments_days() -> u32 {
    7
}

fn default_api() -> String {
    "https://graph.facebook.com".into()
}

fn default_version() -> String {
    "v21.0".into()
}

fn default_max_pages() -> u32 {
    20
}

impl FacebookConfig {
    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut p = self.poll.problems(at);
        if self.page_id.trim().is_empty() {
            p.push(format!("{at}.page_id is empty"));
        }
        if url::Url::parse(&self.api).is_err() {
            p.push(format!("{at}.api \"{}\" is not a URL", self.api));
        }
        p
    }

    pub fn poller(&self) -> anyhow::Result<Poller<Facebook>> {
        let token = secret_from_env(&self.token_env, &format!("the facebook source \"{}\"", self.name))?;
        let http = Http::new(RateLimitStyle::None, self.poll.timeout(), None)?.with_own_limits(graph_limits);
        Ok(Poller::new(Facebook { config: self.clone(), token }, http, format!("facebook:{}", self.name), self.poll.clone()))
    }
}

/// Graph's throttling signals: an error code in the body, or a usage header over 95 %.
fn graph_limits(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Option<Duration> {
    if !status.is_success() {
        #[derive(Deserialize)]
        struct Answer {
            error: GraphError,
        }
        #[derive(Deserialize)]
        struct GraphError {
            code: i64,
        }
        let code = serde_json::from_slice::<Answer>(body).ok()?.error.code;
        return [4, 17, 32, 613, 80001].contains(&code).then(|| usage_wait(headers).unwrap_or(Duration::from_secs(300)));
    }
    let used = ["x-app-usage", "x-page-usage"]
        .iter()
        .filter_map(|h| headers.get(*h)?.to_str().ok())
        .filter_map(|v| serde_json::from_str::<BTreeMap<String, serde_json::Value>>(v).ok())
        .flat_map(|m| m.into_values().filter_map(|v| v.as_f64()))
        .fold(0.0f64, f64::max);
    (used >= 95.0).then(|| usage_wait(headers).unwrap_or(Duration::from_secs(300)))
}

/// `X-Business-Use-Case-Usage: {"PAGE_ID": [{"estimated_time_to_regain_access": MINUTES, …}]}`.
fn usage_wait(headers: &HeaderMap) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_str(headers.get("x-business-use-case-usage")?.to_str().ok()?).ok()?;
    let minutes = v
        .as_object()?
        .values()
        .filter_map(|a| a.as_array())
        .flatten()
        .filter_map(|u| u.get("estimated_time_to_regain_access")?.as_u64())
        .max()?;
    (minutes > 0).then(|| Duration::from_secs(minutes * 60))
}

pub struct Facebook {
    config: FacebookConfig,
    token: String,
}

/// (`created_time` as Unix seconds, id) of the newest item handed on.
pub type Mark = (i64, String);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FacebookCursor {
    pub feed: Option<Mark>,
    /// Posts whose comments are followed: post id → (its time, newest comment handed on).
    pub threads: BTreeMap<String, (i64, Option<Mark>)>,
}

#[derive(Deserialize)]
struct Edge {
    data: Vec<serde_json::Value>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Paging {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
struct GraphPost {
    id: String,
    #[serde(default)]
    message: Option<String>,
    created_time: String,
    #[serde(default)]
    permalink_url: Option<String>,
    #[serde(default)]
    from: Option<From>,
    #[serde(default)]
    shares: Option<Count>,
    #[serde(default)]
    reactions: Option<Summary>,
    #[serde(default)]
    comments: Option<Summary>,
}

#[derive(Deserialize)]
struct GraphComment {
    id: String,
    #[serde(default)]
    message: Option<String>,
    created_time: String,
    #[serde(default)]
    from: Option<From>,
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    comment_count: u64,
    #[serde(default)]
    parent: Option<Parent>,
    #[serde(default)]
    permalink_url: Option<String>,
}

#[derive(Deserialize)]
struct From {
    id: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Parent {
    id: String,
}

#[derive(Deserialize)]
struct Count {
    count: u64,
}

#[derive(Deserialize)]
struct Summary {
    summary: SummaryCount,
}

#[derive(Deserialize)]
struct SummaryCount {
    total_count: u64,
}

fn mark(v: &serde_json::Value) -> Option<Mark> {
    let t = parse_graph_time(v.get("created_time")?.as_str()?)?.unix_timestamp();
    Some((t, v.get("id")?.as_str()?.to_string()))
}

fn message(m: Option<String>, id: &str) -> Result<String, String> {
    m.filter(|m| !m.trim().is_empty()).ok_or_else(|| format!("{id} has no message (a photo or share without text)"))
}

impl Facebook {
    fn url(&self, path: &str) -> String {
        format!("{}/{}/{path}", self.config.api.trim_end_matches('/'), self.config.version)
    }

    /// All pages of an edge from `first`, following `paging.next` (at most `max_pages`).
    async fn edge(&self, http: &mut Http, first: reqwest::RequestBuilder, follow: bool) -> Result<Vec<serde_json::Value>, PollError> {
        let mut out = Vec::new();
        let mut request = first;
        for _ in 0..self.config.max_pages.max(1) {
            let edge: Edge = http.send(request.bearer_auth(&self.token)).await?.json()?;
            out.extend(edge.data);
            match edge.paging.and_then(|p| p.next) {
                Some(next) if follow => request = http.client().get(next),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn page_followers(&self, http: &mut Http) -> Result<Option<u64>, PollError> {
        #[derive(Deserialize)]
        struct PageInfo {
            #[serde(default)]
            followers_count: Option<u64>,
            #[serde(default)]
            fan_count: Option<u64>,
        }
        let request = http.client().get(self.url(&self.config.page_id)).query(&[("fields", "followers_count,fan_count")]).bearer_auth(&self.token);
        match http.send(request).await.and_then(|f| f.json::<PageInfo>()) {
            Ok(p) => Ok(p.followers_count.or(p.fan_count)),
            // A missing permission for the count is no reason to stop reading the feed;
            // an outage or a throttle is, and the feed would hit it next anyway.
            Err(e @ PollError::Refused(_)) => {
                tracing::debug!("facebook:{}: the page's follower count is unavailable: {e}", self.config.name);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

fn post_of(p: GraphPost, page_followers: Option<u64>) -> Result<Post, String> {
    Ok(Post {
        text: message(p.message, &p.id)?,
        source: Some(Source::Facebook),
        url: p.permalink_url,
        created_at: parse_graph_time(&p.created_time),
        author: p.from.map(|f| Author { id: Some(f.id), handle: f.name, followers: page_followers, verified: None }),
        metrics: Some(SourceMetrics {
            likes: p.reactions.map(|r| r.summary.total_count).unwrap_or(0),
            shares: p.shares.map(|s| s.count).unwrap_or(0),
            replies: p.comments.map(|c| c.summary.total_count).unwrap_or(0),
        }),
        reply_to: None,
        lang: None,
        id: p.id,
    })
}

fn comment_of(c: GraphComment, post_id: &str) -> Result<Post, String> {
    Ok(Post {
        text: message(c.message, &c.id)?,
        source: Some(Source::Facebook),
        url: c.permalink_url,
        created_at: parse_graph_time(&c.created_time),
        // Commenters' follower counts are not readable with a Page token.
        author: c.from.map(|f| Author { id: Some(f.id), handle: f.name, followers: None, verified: None }),
        metrics: Some(SourceMetrics { likes: c.like_count, shares: 0, replies: c.comment_count }),
        reply_to: Some(c.parent.map(|p| p.id).unwrap_or_else(|| post_id.to_string())),
        lang: None,
        id: c.id,
    })
}

/// Records after `after`, oldest first; records without a time or id stay, first.
fn newer(records: Vec<serde_json::Value>, after: Option<&Mark>) -> Vec<(Option<Mark>, serde_json::Value)> {
    let mut keyed: Vec<(Option<Mark>, serde_json::Value)> = records
        .into_iter()
        .map(|v| (mark(&v), v))
        .filter(|(m, _)| match (m, after) {
            (Some(m), Some(a)) => m > a,
            _ => true,
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0.is_some() && a.0 == b.0);
    keyed
}

impl Network for Facebook {
    type Cursor = FacebookCursor;

    async fn poll(&mut self, http: &mut Http, cursor: &FacebookCursor) -> Result<Page<FacebookCursor>, PollError> {
        let followers = self.page_followers(http).await?;
        let fields = "id,message,created_time,permalink_url,from,shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)";
        let mut request = http.client().get(self.url(&format!("{}/feed", self.config.page_id))).query(&[("fields", fields), ("limit", "100")]);
        if let Some((t, _)) = &cursor.feed {
            request = request.query(&[("since", t.to_string())]);
        }
        let posts = self.edge(http, request, cursor.feed.is_some()).await?;
        let mut page = Page { fetched: posts.len() as u64, more: false, items: Vec::new() };
        let mut at = cursor.clone();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let window = i64::from(self.config.comments_days) * 86_400;
        at.threads.retain(|_, (t, _)| now - *t <= window);
        for (m, raw) in newer(posts, cursor.feed.as_ref()) {
            if let Some(m) = m {
                if self.config.comments && now - m.0 <= window {
                    at.threads.insert(m.1.clone(), (m.0, None));
                }
                at.feed = Some(m);
            }
            page.items.push((record_item(&raw, "facebook post", |p: GraphPost| post_of(p, followers)), at.clone()));
        }
        if self.config.comments {
            let threads: Vec<(String, Option<Mark>)> = at.threads.iter().map(|(id, (_, last))| (id.clone(), last.clone())).collect();
            for (post_id, last) in threads {
                let mut request = http.client().get(self.url(&format!("{post_id}/comments"))).query(&[
                    ("fields", "id,message,created_time,from,like_count,comment_count,parent{id},permalink_url"),
                    ("filter", "stream"),
                    ("order", "chronological"),
                    ("limit", "100"),
                ]);
                if let Some((t, _)) = &last {
                    request = request.query(&[("since", t.to_string())]);
                }
                let comments = self.edge(http, request, true).await?;
                page.fetched += comments.len() as u64;
                for (m, raw) in newer(comments, last.as_ref()) {
                    if let (Some(m), Some(thread)) = (m, at.threads.get_mut(&post_id)) {
                        thread.1 = Some(m);
                    }
                    page.items.push((record_item(&raw, "facebook comment", |c: GraphComment| comment_of(c, &post_id)), at.clone()));
                }
            }
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn graph_throttling_codes_and_usage_headers_mean_wait() {
        let body = br#"{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4,"fbtrace_id":"A"}}"#;
        let mut h = HeaderMap::new();
        assert_eq!(graph_limits(StatusCode::FORBIDDEN, &h, body), Some(Duration::from_secs(300)));
        h.insert("x-business-use-case-usage", HeaderValue::from_static(r#"{"1":[{"type":"pages","call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":7}]}"#));
        assert_eq!(graph_limits(StatusCode::BAD_REQUEST, &h, body), Some(Duration::from_secs(420)));
        let other = br#"{"error":{"message":"Invalid OAuth access token","type":"OAuthException","code":190}}"#;
        assert_eq!(graph_limits(StatusCode::BAD_REQUEST, &h, other), None);
        let mut ok = HeaderMap::new();
        ok.insert("x-app-usage", HeaderValue::from_static(r#"{"call_count":97,"total_time":20,"total_cputime":20}"#));
        assert_eq!(graph_limits(StatusCode::OK, &ok, b"{}"), Some(Duration::from_secs(300)));
        ok.insert("x-app-usage", HeaderValue::from_static(r#"{"call_count":30,"total_time":20,"total_cputime":20}"#));
        assert_eq!(graph_limits(StatusCode::OK, &ok, b"{}"), None);
    }
}

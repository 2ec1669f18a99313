//! X (Twitter) API v2: `GET /2/tweets/search/recent` with an app bearer token, answers
//! `{data: [tweet], includes: {users: [user]}, meta: {newest_id, oldest_id, result_count,
//! next_token}}`.
//!
//! Paging: `since_id` returns tweets newer than the cursor, newest first, in pages joined
//! by `next_token`; a poll follows `next_token` to the end and hands the tweets on oldest
//! first, each with its own id as the cursor (tweet ids grow with time). The first run
//! (no cursor) takes the newest page only: recent search reaches 7 days back, which a
//! hospital rarely wants replayed.
//!
//! Rate limits: `x-rate-limit-remaining` and `x-rate-limit-reset` (Unix seconds) on every
//! answer, 429 when exceeded. Reach: `includes.users[].public_metrics.followers_count`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::http::{Http, PollError, RateLimitStyle};
use super::poller::{id_order, record_item, secret_from_env, Network, Page, PollConfig, Poller};
use crate::model::{Author, Post, Source, SourceMetrics};

/// `[[sources]] kind = "x"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XConfig {
    /// Names the stream (`x:NAME`); keep it stable.
    pub name: String,
    /// A recent-search query, e.g. `("RS Omni" OR @RSOmniAlamSutera) -is:retweet`.
    pub query: String,
    /// Environment variable with the app's bearer token.
    #[serde(default = "default_token_env")]
    pub token_env: String,
    #[serde(default = "default_api")]
    pub api: String,
    /// At most this many pages (of 100) per poll.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    #[serde(default)]
    pub poll: PollConfig,
}

fn default_token_env() -> String {
    "HEARKEN_X_BEARER_TOKEN".into()
}

fn default_api() -> String {
    "https://api.x.com".into()
}

fn default_max_pages() -> u32 {
    20
}

impl XConfig {
    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut p = self.poll.problems(at);
        if self.query.trim().is_empty() {
            p.push(format!("{at}.query is empty; give an X search query"));
        }
        if self.query.len() > 4096 {
            p.push(format!("{at}.query is {} characters; X accepts up to 512 (4096 on Pro)", self.query.len()));
        }
        if url::Url::parse(&self.api).is_err() {
            p.push(format!("{at}.api \"{}\" is not a URL", self.api));
        }
        p
    }

    pub fn poller(&self) -> anyhow::Result<Poller<X>> {
        let token = secret_from_env(&self.token_env, &format!("the x source \"{}\"", self.name))?;
        let http = Http::new(RateLimitStyle::UnixTime, self.poll.timeout(), None)?;
        Ok(Poller::new(X { config: self.clone(), token }, http, format!("x:{}", self.name), self.poll.clone()))
    }
}

pub struct X {
    config: XConfig,
    token: String,
}

/// The newest tweet id handed on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct XCursor {
    pub since_id: Option<String>,
}

#[derive(Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    data: Vec<serde_json::Value>,
    #[serde(default)]
    includes: Includes,
    #[serde(default)]
    meta: Meta,
}

#[derive(Deserialize, Default)]
struct Includes {
    #[serde(default)]
    users: Vec<User>,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    next_token: Option<String>,
}

#[derive(Deserialize, Clone)]
struct User {
    id: String,
    username: String,
    #[serde(default)]
    verified: Option<bool>,
    #[serde(default)]
    public_metrics: Option<UserMetrics>,
}

#[derive(Deserialize, Clone)]
struct UserMetrics {
    followers_count: u64,
}

#[derive(Deserialize)]
struct Tweet {
    id: String,
    text: String,
    #[serde(default)]
    author_id: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    public_metrics: Option<TweetMetrics>,
    #[serde(default)]
    referenced_tweets: Vec<Reference>,
}

#[derive(Deserialize)]
struct TweetMetrics {
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    retweet_count: u64,
    #[serde(default)]
    quote_count: u64,
    #[serde(default)]
    reply_count: u64,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

const PAGE: usize = 100;

fn to_post(t: Tweet, users: &HashMap<String, User>) -> Result<Post, String> {
    let user = t.author_id.as_ref().and_then(|a| users.get(a));
    let handle = user.map(|u| u.username.clone());
    Ok(Post {
        url: Some(format!("https://x.com/{}/status/{}", handle.as_deref().unwrap_or("i/web"), t.id)),
        id: t.id,
        text: t.text,
        source: Some(Source::X),
        created_at: t.created_at.as_deref().and_then(super::text::parse_rfc3339),
        author: Some(Author {
            id: t.author_id.clone(),
            handle: handle.map(|h| format!("@{h}")),
            followers: user.and_then(|u| u.public_metrics.as_ref().map(|m| m.followers_count)),
            verified: user.and_then(|u| u.verified),
        }),
        metrics: t.public_metrics.map(|m| SourceMetrics { likes: m.like_count, shares: m.retweet_count + m.quote_count, replies: m.reply_count }),
        reply_to: t.referenced_tweets.into_iter().find(|r| r.kind == "replied_to").map(|r| r.id),
        lang: t.lang,
    })
}

impl Network for X {
    type Cursor = XCursor;

    async fn poll(&mut self, http: &mut Http, cursor: &XCursor) -> Result<Page<XCursor>, PollError> {
        let url = format!("{}/2/tweets/search/recent", self.config.api.trim_end_matches('/'));
        let mut records = Vec::new();
        let mut users: HashMap<String, User> = HashMap::new();
        let mut next: Option<String> = None;
        for _ in 0..self.config.max_pages.max(1) {
            let mut request = http.client().get(&url).bearer_auth(&self.token).query(&[
                ("query", self.config.query.as_str()),
                ("max_results", &PAGE.to_string()),
                ("tweet.fields", "created_at,author_id,lang,public_metrics,referenced_tweets,conversation_id"),
                ("expansions", "author_id"),
                ("user.fields", "username,verified,public_metrics"),
            ]);
            if let Some(id) = &cursor.since_id {
                request = request.query(&[("since_id", id)]);
            }
            if let Some(t) = &next {
                request = request.query(&[("next_token", t)]);
            }
            let answer: SearchAnswer = http.send(request).await?.json()?;
            users.extend(answer.includes.users.into_iter().map(|u| (u.id.clone(), u)));
            records.extend(answer.data);
            next = answer.meta.next_token.filter(|t| !t.is_empty());
            if next.is_none() || cursor.since_id.is_none() {
                break;
            }
        }
        if next.is_some() && cursor.since_id.is_some() {
            tracing::warn!("x:{}: more than {} pages since the last poll; poll more often", self.config.name, self.config.max_pages);
        }
        let fetched = records.len() as u64;
        let mut keyed: Vec<(Option<String>, serde_json::Value)> =
            records.into_iter().map(|v| (v.get("id").and_then(|i| i.as_str()).map(str::to_string), v)).collect();
        keyed.retain(|(id, _)| match (id, &cursor.since_id) {
            (Some(id), Some(since)) => id_order(id, since).is_gt(),
            _ => true,
        });
        keyed.sort_by(|a, b| match (&a.0, &b.0) {
            (Some(x), Some(y)) => id_order(x, y),
            (a, b) => a.is_some().cmp(&b.is_some()),
        });
        keyed.dedup_by(|a, b| a.0.is_some() && a.0 == b.0);
        let mut page = Page { fetched, more: false, items: Vec::with_capacity(keyed.len()) };
        let mut at = cursor.clone();
        for (id, raw) in keyed {
            if id.is_some() {
                at = XCursor { since_id: id };
            }
            page.items.push((record_item(&raw, "x tweet", |t: Tweet| to_post(t, &users)), at.clone()));
        }
        Ok(page)
    }
}

//! Reddit: a subreddit's new posts or new comments, or a search, with an application-only
//! OAuth token (`client_credentials`), answers `{kind: "Listing", data: {children:
//! [{kind: "t3"|"t1", data}], after, before}}`.
//!
//! Paging: listings are newest first; `before=FULLNAME` returns what is newer than that
//! item. The cursor is the fullname (and time) of the newest item handed on; a poll asks
//! for `before=cursor`, hands the page on oldest first, and polls again at once while
//! pages are full. If the anchor item is deleted Reddit answers empty pages for ever, so
//! an empty answer is checked against the newest page (items newer than the cursor's
//! time are taken from there). With `thread_comments`, each new matching thread's
//! comments are fetched once and handed on just before the thread itself, under the
//! cursor *before* the thread: a restart in between fetches them again (the stores keep
//! one copy), never loses them.
//!
//! Limits: 100 requests per minute per OAuth client, told in `X-Ratelimit-Remaining` and
//! `X-Ratelimit-Reset` (seconds); a descriptive User-Agent is required.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::http::{Http, PollError, RateLimitStyle};
use super::poller::{id_order, record_item, secret_from_env, Item, Network, Page, PollConfig, Poller};
use super::text::{from_unix, html_to_text};
use crate::model::{Author, Post, Source, SourceMetrics};

/// `[[sources]] kind = "reddit"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedditConfig {
    /// Names the stream (`reddit:NAME`); keep it stable.
    pub name: String,
    pub listing: RedditListing,
    /// The subreddit (without r/) for "subreddit" and "comments"; limits "search" to it
    /// when given.
    #[serde(default)]
    pub subreddit: Option<String>,
    /// The query for "search" (Reddit search syntax).
    #[serde(default)]
    pub query: Option<String>,
    /// Also fetch the comments of each new thread (once, when the thread is first seen).
    #[serde(default)]
    pub thread_comments: bool,
    #[serde(default = "default_id_env")]
    pub client_id_env: String,
    #[serde(default = "default_secret_env")]
    pub client_secret_env: String,
    /// Reddit asks for `<platform>:<app id>:<version> (by /u/<username>)`.
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default = "default_api")]
    pub api: String,
    #[serde(default = "default_auth")]
    pub auth: String,
    #[serde(default)]
    pub poll: PollConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedditListing {
    /// `/r/SUB/new`: new threads.
    Subreddit,
    /// `/r/SUB/comments`: new comments anywhere in the subreddit.
    Comments,
    /// `/search` (or `/r/SUB/search`) sorted by new.
    Search,
}

fn default_id_env() -> String {
    "HEARKEN_REDDIT_CLIENT_ID".into()
}

fn default_secret_env() -> String {
    "HEARKEN_REDDIT_CLIENT_SECRET".into()
}

fn default_api() -> String {
    "https://oauth.reddit.com".into()
}

fn default_auth() -> String {
    "https://www.reddit.com".into()
}

impl RedditConfig {
    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut p = self.poll.problems(at);
        match self.listing {
            RedditListing::Subreddit | RedditListing::Comments if self.subreddit.as_deref().is_none_or(|s| s.trim().is_empty()) => {
                p.push(format!("{at}: listing {:?} needs `subreddit`", self.listing))
            }
            RedditListing::Search if self.query.as_deref().is_none_or(|q| q.trim().is_empty()) => p.push(format!("{at}: listing \"search\" needs `query`")),
            _ => {}
        }
        for (key, v) in [("api", &self.api), ("auth", &self.auth)] {
            if url::Url::parse(v).is_err() {
                p.push(format!("{at}.{key} \"{v}\" is not a URL"));
            }
        }
        p
    }

    pub fn poller(&self) -> anyhow::Result<Poller<Reddit>> {
        let what = format!("the reddit source \"{}\"", self.name);
        let client_id = secret_from_env(&self.client_id_env, &what)?;
        let client_secret = secret_from_env(&self.client_secret_env, &what)?;
        let http = Http::new(RateLimitStyle::SecondsFromNow, self.poll.timeout(), self.user_agent.as_deref())?;
        Ok(Poller::new(Reddit { config: self.clone(), client_id, client_secret, token: None }, http, format!("reddit:{}", self.name), self.poll.clone()))
    }
}

pub struct Reddit {
    config: RedditConfig,
    client_id: String,
    client_secret: String,
    token: Option<(String, Instant)>,
}

/// The newest item handed on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RedditCursor {
    /// Its fullname (`t3_…`, `t1_…`).
    pub before: Option<String>,
    /// Its `created_utc`.
    pub created: Option<f64>,
}

#[derive(Deserialize)]
struct Listing {
    kind: String,
    data: ListingData,
}

#[derive(Deserialize)]
struct ListingData {
    children: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Thing {
    kind: String,
    data: ThingData,
}

#[derive(Deserialize)]
struct ThingData {
    name: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    selftext: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_html: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    author_fullname: Option<String>,
    created_utc: f64,
    #[serde(default)]
    permalink: Option<String>,
    #[serde(default)]
    score: i64,
    #[serde(default)]
    num_comments: u64,
    #[serde(default)]
    num_crossposts: u64,
    #[serde(default)]
    parent_id: Option<String>,
}

const PAGE: usize = 100;

fn to_post(t: Thing) -> Result<Post, String> {
    let d = t.data;
    let text = match t.kind.as_str() {
        "t3" => {
            let title = d.title.unwrap_or_default();
            match d.selftext.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(body) => format!("{title}\n\n{body}"),
                None => title,
            }
        }
        "t1" => d.body.clone().or_else(|| d.body_html.as_deref().map(html_to_text)).unwrap_or_default(),
        other => return Err(format!("a \"{other}\" is neither a thread (t3) nor a comment (t1)")),
    };
    if text.trim().is_empty() {
        return Err(format!("{} has no text", d.name));
    }
    let author = d.author.filter(|a| a != "[deleted]");
    Ok(Post {
        id: d.name,
        text,
        source: Some(Source::Reddit),
        url: d.permalink.map(|p| format!("https://www.reddit.com{p}")),
        created_at: from_unix(d.created_utc),
        author: author.map(|a| Author { id: d.author_fullname, handle: Some(format!("u/{a}")), followers: None, verified: None }),
        metrics: Some(SourceMetrics { likes: d.score.max(0) as u64, shares: d.num_crossposts, replies: d.num_comments }),
        reply_to: if t.kind == "t1" { d.parent_id } else { None },
        lang: None,
    })
}

fn created(v: &serde_json::Value) -> Option<f64> {
    v.pointer("/data/created_utc").and_then(|c| c.as_f64())
}

fn fullname(v: &serde_json::Value) -> Option<String> {
    v.pointer("/data/name").and_then(|c| c.as_str()).map(str::to_string)
}

/// Oldest first: by fullname (base-36 ids grow with time, across subreddits), which a
/// record too broken to have a time still has.
fn order(a: &serde_json::Value, b: &serde_json::Value) -> std::cmp::Ordering {
    id_order(fullname(a).as_deref().unwrap_or(""), fullname(b).as_deref().unwrap_or(""))
}

impl Reddit {
    async fn token(&mut self, http: &mut Http) -> Result<String, PollError> {
        if let Some((t, until)) = &self.token {
            if Instant::now() < *until {
                return Ok(t.clone());
            }
        }
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let request = http
            .client()
            .post(format!("{}/api/v1/access_token", self.config.auth.trim_end_matches('/')))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[("grant_type", "client_credentials")]);
        let token: Token = http.send(request).await?.json()?;
        // Renew a minute early: a token that expires mid-poll costs a 401 round trip.
        let life = Duration::from_secs(token.expires_in.unwrap_or(3600).saturating_sub(60).max(30));
        self.token = Some((token.access_token.clone(), Instant::now() + life));
        Ok(token.access_token)
    }

    async fn get(&mut self, http: &mut Http, path: &str, query: &[(&str, String)]) -> Result<super::http::Fetched, PollError> {
        let token = self.token(http).await?;
        let url = format!("{}{path}", self.config.api.trim_end_matches('/'));
        let request = http.client().get(url).bearer_auth(token).query(&[("raw_json", "1")]).query(query);
        let answer = http.send(request).await;
        if let Err(PollError::Refused(m)) = &answer {
            if m.contains("HTTP 401") {
                self.token = None; // revoked or expired early: a new one next time
            }
        }
        answer
    }

    async fn listing(&mut self, http: &mut Http, before: Option<&str>) -> Result<Vec<serde_json::Value>, PollError> {
        let sub = self.config.subreddit.clone().unwrap_or_default();
        let mut query = vec![("limit", PAGE.to_string())];
        if let Some(b) = before {
            query.push(("before", b.to_string()));
        }
        let path = match self.config.listing {
            RedditListing::Subreddit => format!("/r/{sub}/new"),
            RedditListing::Comments => format!("/r/{sub}/comments"),
            RedditListing::Search => {
                query.push(("q", self.config.query.clone().unwrap_or_default()));
                query.push(("sort", "new".into()));
                query.push(("type", "link".into()));
                if sub.is_empty() {
                    "/search".to_string()
                } else {
                    query.push(("restrict_sr", "1".into()));
                    format!("/r/{sub}/search")
                }
            }
        };
        let fetched = self.get(http, &path, &query).await?;
        let listing: Listing = fetched.json()?;
        if listing.kind != "Listing" {
            return Err(fetched.malformed(format!("a \"{}\" where a Listing was expected", listing.kind)));
        }
        Ok(listing.data.children)
    }

    /// Every comment of a thread, flattened, oldest first ("more" stubs are not expanded).
    async fn comments(&mut self, http: &mut Http, thread: &str) -> Result<Vec<serde_json::Value>, PollError> {
        let id = thread.trim_start_matches("t3_");
        let fetched = self.get(http, &format!("/comments/{id}"), &[("sort", "old".into()), ("limit", "500".into())]).await?;
        let answer: Vec<Listing> = fetched.json()?;
        let mut out = Vec::new();
        let mut stack: Vec<serde_json::Value> = answer.into_iter().nth(1).map(|l| l.data.children).unwrap_or_default();
        while let Some(mut c) = stack.pop() {
            if c.get("kind").and_then(|k| k.as_str()) != Some("t1") {
                continue;
            }
            if let Some(replies) = c.pointer_mut("/data/replies").map(serde_json::Value::take) {
                if let Ok(l) = serde_json::from_value::<Listing>(replies) {
                    stack.extend(l.data.children);
                }
            }
            out.push(c);
        }
        out.sort_by(order);
        Ok(out)
    }
}

impl Network for Reddit {
    type Cursor = RedditCursor;

    async fn poll(&mut self, http: &mut Http, cursor: &RedditCursor) -> Result<Page<RedditCursor>, PollError> {
        let mut children = self.listing(http, cursor.before.as_deref()).await?;
        let mut fetched = children.len() as u64;
        if children.is_empty() && cursor.before.is_some() {
            // The anchor may have been deleted (Reddit then answers empty pages for ever):
            // take what the newest page has after the cursor's time.
            let newest = self.listing(http, None).await?;
            fetched += newest.len() as u64;
            let since = cursor.created.unwrap_or(f64::MAX);
            children = newest.into_iter().filter(|c| created(c).is_some_and(|t| t > since)).collect();
            if !children.is_empty() {
                tracing::warn!("reddit:{}: the cursor's item is gone; resumed from its time", self.config.name);
            }
        }
        let more = children.len() >= PAGE;
        children.sort_by(order);
        let mut page = Page { fetched, more, items: Vec::with_capacity(children.len()) };
        let mut at = cursor.clone();
        for raw in children {
            let name = fullname(&raw);
            let is_thread = raw.get("kind").and_then(|k| k.as_str()) == Some("t3");
            if self.config.thread_comments && is_thread {
                if let Some(thread) = &name {
                    let comments = self.comments(http, thread).await?;
                    page.fetched += comments.len() as u64;
                    for c in comments {
                        page.items.push((record_item(&c, "reddit comment", to_post), at.clone()));
                    }
                }
            }
            if name.is_some() {
                at = RedditCursor { before: name.clone(), created: created(&raw).or(at.created) };
            }
            let item = if name.is_some() { record_item(&raw, "reddit thing", to_post) } else {
                Item::Malformed { reason: "reddit thing without data.name".into(), raw: raw.to_string() }
            };
            page.items.push((item, at.clone()));
        }
        Ok(page)
    }
}

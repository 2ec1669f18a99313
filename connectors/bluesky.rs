//! Bluesky: `app.bsky.feed.searchPosts` on an AppView (`sort=latest`), answers
//! `{posts: [postView], cursor}`.
//!
//! Paging: the search's `cursor` pages *backwards* (older posts), so a poll asks for
//! everything since the last post handed on (`since`, inclusive, by the AppView's sort
//! time), follows `cursor` to the end, and hands the posts on oldest first. The cursor is
//! the (`indexedAt`, `uri`) of the last post handed on; posts at or before it are skipped,
//! so the inclusive `since` repeats nothing. The first run takes the newest page only.
//!
//! Reach: a postView's author has no follower count, so the authors of a poll are looked
//! up with `app.bsky.actor.getProfiles` (25 at a time); when that fails the posts go on
//! without it.

use serde::{Deserialize, Serialize};

use super::http::{Http, PollError, RateLimitStyle};
use super::poller::{record_item, secret_from_env, Network, Page, PollConfig, Poller};
use super::text::parse_rfc3339;
use crate::model::{Author, Post, Source, SourceMetrics};

/// `[[sources]] kind = "bluesky"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueskyConfig {
    /// Names the stream (`bluesky:NAME`); keep it stable.
    pub name: String,
    /// The search query (Lucene-like syntax, e.g. `"RS Omni" OR omni hospital`).
    pub query: String,
    /// An AppView serving `app.bsky.feed.searchPosts`.
    #[serde(default = "default_appview")]
    pub appview: String,
    /// Only posts in this language (ISO 639-1), as the post declares it.
    #[serde(default)]
    pub lang: Option<String>,
    /// Environment variable with an access JWT (`com.atproto.server.createSession` with an
    /// app password), for AppViews that refuse anonymous search.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Look up authors' follower counts (one extra request per 25 authors).
    #[serde(default = "default_true")]
    pub author_reach: bool,
    /// At most this many pages (of 100) per poll: a guard against runaway queries.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    #[serde(default)]
    pub poll: PollConfig,
}

fn default_appview() -> String {
    "https://public.api.bsky.app".into()
}

fn default_true() -> bool {
    true
}

fn default_max_pages() -> u32 {
    50
}

impl BlueskyConfig {
    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut p = self.poll.problems(at);
        if self.query.trim().is_empty() {
            p.push(format!("{at}.query is empty; give the words to search for"));
        }
        if url::Url::parse(&self.appview).is_err() {
            p.push(format!("{at}.appview \"{}\" is not a URL", self.appview));
        }
        p
    }

    pub fn poller(&self) -> anyhow::Result<Poller<Bluesky>> {
        let token = match &self.token_env {
            Some(var) => Some(secret_from_env(var, &format!("the bluesky source \"{}\"", self.name))?),
            None => None,
        };
        let http = Http::new(RateLimitStyle::UnixTime, self.poll.timeout(), None)?;
        Ok(Poller::new(Bluesky { config: self.clone(), token }, http, format!("bluesky:{}", self.name), self.poll.clone()))
    }
}

pub struct Bluesky {
    config: BlueskyConfig,
    token: Option<String>,
}

/// The last post handed on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlueskyCursor {
    pub indexed_at: Option<String>,
    pub uri: Option<String>,
}

#[derive(Deserialize)]
struct SearchPosts {
    posts: Vec<serde_json::Value>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostView {
    uri: String,
    author: ProfileBasic,
    record: PostRecord,
    indexed_at: String,
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    repost_count: u64,
    #[serde(default)]
    reply_count: u64,
    #[serde(default)]
    quote_count: u64,
}

#[derive(Debug, Clone, Deserialize)]
struct ProfileBasic {
    did: String,
    handle: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostRecord {
    text: String,
    created_at: String,
    #[serde(default)]
    langs: Vec<String>,
    #[serde(default)]
    reply: Option<ReplyRef>,
}

#[derive(Debug, Clone, Deserialize)]
struct ReplyRef {
    parent: StrongRef,
}

#[derive(Debug, Clone, Deserialize)]
struct StrongRef {
    uri: String,
}

const PAGE: usize = 100;

/// Sort key of a post: its AppView time, then its uri.
fn key(indexed_at: &str, uri: &str) -> Option<(i128, String)> {
    Some((parse_rfc3339(indexed_at)?.unix_timestamp_nanos(), uri.to_string()))
}

impl Bluesky {
    fn xrpc(&self, method: &str) -> String {
        format!("{}/xrpc/{method}", self.config.appview.trim_end_matches('/'))
    }

    async fn followers(&self, http: &mut Http, dids: &[String]) -> std::collections::HashMap<String, u64> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Profile {
            did: String,
            #[serde(default)]
            followers_count: Option<u64>,
        }
        #[derive(Deserialize)]
        struct Profiles {
            profiles: Vec<Profile>,
        }
        let mut out = std::collections::HashMap::new();
        for chunk in dids.chunks(25) {
            let mut request = http.client().get(self.xrpc("app.bsky.actor.getProfiles"));
            for did in chunk {
                request = request.query(&[("actors", did)]);
            }
            if let Some(t) = &self.token {
                request = request.bearer_auth(t);
            }
            match http.send(request).await.and_then(|f| f.json::<Profiles>()) {
                Ok(p) => out.extend(p.profiles.into_iter().filter_map(|p| Some((p.did, p.followers_count?)))),
                Err(e) => {
                    tracing::debug!("bluesky: author follower counts unavailable: {e}");
                    break;
                }
            }
        }
        out
    }
}

fn to_post(v: PostView, followers: Option<u64>) -> Result<Post, String> {
    let rkey = v.uri.rsplit('/').next().unwrap_or_default().to_string();
    Ok(Post {
        id: v.uri.clone(),
        text: v.record.text,
        source: Some(Source::Bluesky),
        url: Some(format!("https://bsky.app/profile/{}/post/{rkey}", v.author.handle)),
        created_at: parse_rfc3339(&v.record.created_at).or_else(|| parse_rfc3339(&v.indexed_at)),
        author: Some(Author { id: Some(v.author.did), handle: Some(format!("@{}", v.author.handle)), followers, verified: None }),
        metrics: Some(SourceMetrics { likes: v.like_count, shares: v.repost_count + v.quote_count, replies: v.reply_count }),
        reply_to: v.record.reply.map(|r| r.parent.uri),
        lang: v.record.langs.into_iter().next(),
    })
}

impl Network for Bluesky {
    type Cursor = BlueskyCursor;

    async fn poll(&mut self, http: &mut Http, cursor: &BlueskyCursor) -> Result<Page<BlueskyCursor>, PollError> {
        let after = match (&cursor.indexed_at, &cursor.uri) {
            (Some(t), Some(u)) => key(t, u),
            _ => None,
        };
        let mut records = Vec::new();
        let mut page_cursor: Option<String> = None;
        for page_no in 0..self.config.max_pages.max(1) {
            let mut request = http
                .client()
                .get(self.xrpc("app.bsky.feed.searchPosts"))
                .query(&[("q", self.config.query.as_str()), ("sort", "latest"), ("limit", &PAGE.to_string())]);
            if let Some(t) = &cursor.indexed_at {
                request = request.query(&[("since", t)]);
            }
            if let Some(lang) = &self.config.lang {
                request = request.query(&[("lang", lang)]);
            }
            if let Some(c) = &page_cursor {
                request = request.query(&[("cursor", c)]);
            }
            if let Some(t) = &self.token {
                request = request.bearer_auth(t);
            }
            let fetched = http.send(request).await?;
            let answer: SearchPosts = fetched.json()?;
            let n = answer.posts.len();
            records.extend(answer.posts);
            page_cursor = answer.cursor.filter(|c| !c.is_empty());
            if n == 0 || page_cursor.is_none() || after.is_none() {
                break; // the end, or a first run (newest page only)
            }
            if page_no + 1 == self.config.max_pages {
                tracing::warn!("bluesky:{}: more than {} pages since the last poll; poll more often", self.config.name, self.config.max_pages);
            }
        }
        let fetched_count = records.len() as u64;
        let mut keyed: Vec<(Option<(i128, String)>, serde_json::Value)> = records
            .into_iter()
            .map(|v| {
                let k = match (v.get("indexedAt").and_then(|t| t.as_str()), v.get("uri").and_then(|u| u.as_str())) {
                    (Some(t), Some(u)) => key(t, u),
                    _ => None,
                };
                (k, v)
            })
            .filter(|(k, _)| match (k, &after) {
                (Some(k), Some(a)) => k > a,
                _ => true,
            })
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.0.is_some() && a.0 == b.0);
        let dids: Vec<String> = if self.config.author_reach {
            let mut d: Vec<String> = keyed
                .iter()
                .filter_map(|(_, v)| v.pointer("/author/did").and_then(|d| d.as_str()).map(str::to_string))
                .collect();
            d.sort();
            d.dedup();
            d
        } else {
            Vec::new()
        };
        let followers = if dids.is_empty() { Default::default() } else { self.followers(http, &dids).await };
        let mut page = Page { fetched: fetched_count, more: false, items: Vec::with_capacity(keyed.len()) };
        let mut at = cursor.clone();
        for (k, raw) in keyed {
            if k.is_some() {
                at = BlueskyCursor {
                    indexed_at: raw.get("indexedAt").and_then(|t| t.as_str()).map(str::to_string),
                    uri: raw.get("uri").and_then(|u| u.as_str()).map(str::to_string),
                };
            }
            let item = record_item(&raw, "bluesky postView", |v: PostView| {
                let f = followers.get(&v.author.did).copied();
                to_post(v, f)
            });
            page.items.push((item, at.clone()));
        }
        Ok(page)
    }
}

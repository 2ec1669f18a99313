//! Mastodon: public and hashtag timelines, an account's statuses, and status search on a
//! configured instance (REST API v1/v2, `Status` entities).
//!
//! Paging: Mastodon's ids grow with time, and `min_id=ID` returns the statuses
//! *immediately newer* than ID (a page of up to 40, served newest first — the `prev` page
//! of the `Link` header). The cursor is the newest id handed on; each poll asks for
//! `min_id=cursor`, sorts the page oldest first and polls again at once while pages are
//! full. The first run (no cursor) starts from the newest page.
//!
//! Rate limits: `X-RateLimit-Remaining`/`X-RateLimit-Reset` (an RFC 3339 time), 300
//! requests per 5 minutes per token or IP by default.

use serde::{Deserialize, Serialize};

use super::http::{Http, PollError, RateLimitStyle};
use super::poller::{id_order, record_item, secret_from_env, Network, Page, PollConfig, Poller};
use crate::model::{Author, Post, Source, SourceMetrics};

/// `[[sources]] kind = "mastodon"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonConfig {
    /// Names the stream in checkpoints and metrics (`mastodon:NAME`); keep it stable.
    pub name: String,
    /// The instance, e.g. "https://mastodon.social".
    pub instance: String,
    pub timeline: MastodonTimeline,
    /// The hashtag (without #) for `timeline = "hashtag"`, the account id for "account",
    /// the query for "search".
    #[serde(default)]
    pub target: Option<String>,
    /// Only statuses of this instance (public and hashtag timelines).
    #[serde(default)]
    pub local: bool,
    /// Environment variable with an access token (`read:statuses`, plus `read:search` for
    /// search). Public timelines of most instances need none.
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub poll: PollConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MastodonTimeline {
    Public,
    Hashtag,
    Account,
    Search,
}

impl MastodonConfig {
    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut p = self.poll.problems(at);
        if url::Url::parse(&self.instance).is_err() {
            p.push(format!("{at}.instance \"{}\" is not a URL; write it as https://mastodon.social", self.instance));
        }
        if self.timeline != MastodonTimeline::Public && self.target.as_deref().is_none_or(|t| t.trim().is_empty()) {
            p.push(format!("{at}: timeline {:?} needs `target` (the hashtag, account id or query)", self.timeline));
        }
        p
    }

    pub fn poller(&self) -> anyhow::Result<Poller<Mastodon>> {
        let token = match &self.token_env {
            Some(var) => Some(secret_from_env(var, &format!("the mastodon source \"{}\"", self.name))?),
            None => None,
        };
        let http = Http::new(RateLimitStyle::Rfc3339, self.poll.timeout(), None)?;
        Ok(Poller::new(Mastodon { config: self.clone(), token }, http, format!("mastodon:{}", self.name), self.poll.clone()))
    }
}

pub struct Mastodon {
    config: MastodonConfig,
    token: Option<String>,
}

/// The newest status id handed on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MastodonCursor {
    pub min_id: Option<String>,
}

const PAGE: usize = 40;

/// The `Status` entity, the fields hearken reads.
#[derive(Debug, Clone, Deserialize)]
struct Status {
    id: String,
    created_at: String,
    content: String,
    #[serde(default)]
    spoiler_text: String,
    #[serde(default)]
    url: Option<String>,
    uri: String,
    account: Account,
    #[serde(default)]
    in_reply_to_id: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    favourites_count: u64,
    #[serde(default)]
    reblogs_count: u64,
    #[serde(default)]
    replies_count: u64,
    /// A boost: the boosted status is what was said.
    #[serde(default)]
    reblog: Option<Box<Status>>,
}

#[derive(Debug, Clone, Deserialize)]
struct Account {
    id: String,
    acct: String,
    #[serde(default)]
    followers_count: Option<u64>,
}

impl Mastodon {
    fn url(&self) -> String {
        let base = self.config.instance.trim_end_matches('/');
        let target = self.config.target.as_deref().unwrap_or("").trim();
        match self.config.timeline {
            MastodonTimeline::Public => format!("{base}/api/v1/timelines/public"),
            MastodonTimeline::Hashtag => format!("{base}/api/v1/timelines/tag/{}", urlencode(target.trim_start_matches('#'))),
            MastodonTimeline::Account => format!("{base}/api/v1/accounts/{}/statuses", urlencode(target)),
            MastodonTimeline::Search => format!("{base}/api/v2/search"),
        }
    }

    fn to_post(&self, s: Status) -> Result<Post, String> {
        let origin = s.reblog.as_deref().unwrap_or(&s);
        let mut text = super::text::html_to_text(&origin.content);
        if !origin.spoiler_text.trim().is_empty() {
            text = format!("{}\n\n{text}", origin.spoiler_text.trim());
        }
        if text.trim().is_empty() {
            return Err(format!("status {} has no text", s.id));
        }
        Ok(Post {
            id: s.id.clone(),
            text,
            source: Some(Source::Mastodon),
            url: origin.url.clone().or_else(|| Some(origin.uri.clone())),
            created_at: super::text::parse_rfc3339(&s.created_at),
            author: Some(Author {
                id: Some(origin.account.id.clone()),
                handle: Some(format!("@{}", origin.account.acct)),
                followers: origin.account.followers_count,
                verified: None,
            }),
            metrics: Some(SourceMetrics { likes: origin.favourites_count, shares: origin.reblogs_count, replies: origin.replies_count }),
            reply_to: origin.in_reply_to_id.clone(),
            lang: origin.language.clone(),
        })
    }
}

impl Network for Mastodon {
    type Cursor = MastodonCursor;

    async fn poll(&mut self, http: &mut Http, cursor: &MastodonCursor) -> Result<Page<MastodonCursor>, PollError> {
        let mut request = http.client().get(self.url()).query(&[("limit", PAGE.to_string())]);
        if let Some(min_id) = &cursor.min_id {
            request = request.query(&[("min_id", min_id)]);
        }
        match self.config.timeline {
            MastodonTimeline::Search => {
                let q = self.config.target.clone().unwrap_or_default();
                request = request.query(&[("q", q.as_str()), ("type", "statuses"), ("resolve", "false")]);
            }
            MastodonTimeline::Public | MastodonTimeline::Hashtag if self.config.local => request = request.query(&[("local", "true")]),
            _ => {}
        }
        if let Some(t) = &self.token {
            request = request.bearer_auth(t);
        }
        let fetched = http.send(request).await?;
        let records: Vec<serde_json::Value> = match self.config.timeline {
            MastodonTimeline::Search => {
                #[derive(Deserialize)]
                struct Results {
                    statuses: Vec<serde_json::Value>,
                }
                fetched.json::<Results>()?.statuses
            }
            _ => fetched.json()?,
        };
        let count = records.len();
        let mut page = Page { fetched: count as u64, more: count >= PAGE, items: Vec::with_capacity(count) };
        let mut keyed: Vec<(Option<String>, serde_json::Value)> =
            records.into_iter().map(|v| (v.get("id").and_then(|i| i.as_str()).map(str::to_string), v)).collect();
        // Oldest first; records without an id (malformed) first, at the cursor they came in at.
        keyed.sort_by(|a, b| match (&a.0, &b.0) {
            (Some(x), Some(y)) => id_order(x, y),
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        let mut at = cursor.clone();
        for (id, raw) in keyed {
            if let (Some(id), Some(min)) = (&id, &cursor.min_id) {
                if id_order(id, min) != std::cmp::Ordering::Greater {
                    continue; // an instance that ignores min_id: already handed on
                }
            }
            if let Some(id) = &id {
                at = MastodonCursor { min_id: Some(id.clone()) };
            }
            let item = record_item(&raw, "mastodon status", |s: Status| self.to_post(s));
            page.items.push((item, at.clone()));
        }
        Ok(page)
    }
}

pub(crate) fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

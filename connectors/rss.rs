//! RSS and Atom feeds (news, blogs, forums, Google Alerts-style alert feeds), parsed by
//! feed-rs; HTML content becomes plain text.
//!
//! Feeds have no paging and no reliable order, so the cursor is the set of entry ids
//! already handed on (the most recent `remember` of them) plus the feed's `ETag` and
//! `Last-Modified` for conditional requests: an unchanged feed costs a 304 and nothing
//! else. New entries are handed on oldest first (by published, else updated time).

use std::collections::{HashSet, VecDeque};

use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use serde::{Deserialize, Serialize};

use super::http::{Http, PollError, RateLimitStyle};
use super::poller::{secret_from_env, Item, Network, Page, PollConfig, Poller};
use super::text::{html_to_text, truncate};
use crate::model::{Author, Post, Source, MAX_TEXT_BYTES};

/// `[[sources]] kind = "rss"` (RSS 0.9–2.0, Atom, JSON Feed).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RssConfig {
    /// Names the stream (`rss:NAME`); keep it stable.
    pub name: String,
    pub url: String,
    /// Environment variable with a bearer token, for private forum feeds.
    #[serde(default)]
    pub token_env: Option<String>,
    /// How many entry ids to remember (more than the feed ever holds at once).
    #[serde(default = "default_remember")]
    pub remember: usize,
    #[serde(default)]
    pub poll: PollConfig,
}

fn default_remember() -> usize {
    2000
}

impl RssConfig {
    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut p = self.poll.problems(at);
        if url::Url::parse(&self.url).is_err() {
            p.push(format!("{at}.url \"{}\" is not a URL", self.url));
        }
        if self.remember == 0 {
            p.push(format!("{at}.remember must be above 0 (2000 is a good start)"));
        }
        p
    }

    pub fn poller(&self) -> anyhow::Result<Poller<Feed>> {
        let token = match &self.token_env {
            Some(var) => Some(secret_from_env(var, &format!("the rss source \"{}\"", self.name))?),
            None => None,
        };
        let http = Http::new(RateLimitStyle::None, self.poll.timeout(), None)?;
        Ok(Poller::new(Feed { config: self.clone(), token }, http, format!("rss:{}", self.name), self.poll.clone()))
    }
}

pub struct Feed {
    config: RssConfig,
    token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FeedCursor {
    /// Ids of the entries handed on, oldest first.
    pub seen: VecDeque<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

fn to_post(e: &feed_rs::model::Entry, feed_title: Option<&str>) -> Result<Post, String> {
    let title = e.title.as_ref().map(|t| html_to_text(&t.content)).unwrap_or_default();
    let body = e
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .or(e.summary.as_ref().map(|s| s.content.as_str()))
        .map(html_to_text)
        .unwrap_or_default();
    let text = match (title.trim().is_empty(), body.trim().is_empty()) {
        (false, false) if !body.starts_with(title.trim()) => format!("{}\n\n{}", title.trim(), body.trim()),
        (_, false) => body.trim().to_string(),
        (false, true) => title.trim().to_string(),
        (true, true) => return Err(format!("entry {} has neither title nor content", e.id)),
    };
    let when = e.published.or(e.updated);
    let author = e.authors.first().map(|a| Author {
        id: a.uri.clone().or_else(|| a.email.clone()),
        handle: Some(a.name.clone()).filter(|n| !n.is_empty()).or_else(|| feed_title.map(str::to_string)),
        followers: None,
        verified: None,
    });
    Ok(Post {
        id: e.id.clone(),
        text: truncate(text, MAX_TEXT_BYTES),
        source: Some(Source::Rss),
        url: e.links.iter().find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate")).map(|l| l.href.clone()),
        created_at: when.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.timestamp()).ok()),
        author,
        metrics: None,
        reply_to: None,
        lang: e.language.clone(),
    })
}

impl Network for Feed {
    type Cursor = FeedCursor;

    async fn poll(&mut self, http: &mut Http, cursor: &FeedCursor) -> Result<Page<FeedCursor>, PollError> {
        let mut request = http.client().get(&self.config.url);
        if let Some(t) = &self.token {
            request = request.bearer_auth(t);
        }
        if let Some(e) = &cursor.etag {
            request = request.header(IF_NONE_MATCH, e);
        }
        if let Some(m) = &cursor.last_modified {
            request = request.header(IF_MODIFIED_SINCE, m);
        }
        let fetched = http.send(request).await?;
        if fetched.body.is_empty() && (cursor.etag.is_some() || cursor.last_modified.is_some()) {
            return Ok(Page::default()); // 304 Not Modified
        }
        let feed = feed_rs::parser::parse(fetched.body.as_slice()).map_err(|e| fetched.malformed(format!("not an RSS, Atom or JSON feed: {e}")))?;
        let header = |name| fetched.headers.get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok()).map(str::to_string);
        let (etag, last_modified) = (header(ETAG), header(LAST_MODIFIED));
        let seen: HashSet<&str> = cursor.seen.iter().map(String::as_str).collect();
        let feed_title = feed.title.as_ref().map(|t| t.content.clone());
        let mut new: Vec<&feed_rs::model::Entry> = feed.entries.iter().filter(|e| !seen.contains(e.id.as_str())).collect();
        new.sort_by_key(|e| e.published.or(e.updated));
        let mut page = Page { fetched: feed.entries.len() as u64, more: false, items: Vec::with_capacity(new.len()) };
        let mut at = cursor.clone();
        let last = new.len();
        for (i, e) in new.into_iter().enumerate() {
            at.seen.push_back(e.id.clone());
            while at.seen.len() > self.config.remember {
                at.seen.pop_front();
            }
            if i + 1 == last {
                // Only the last entry's cursor carries the new validators: a restart before
                // it is committed must fetch the whole feed again, not get a 304.
                at.etag = etag.clone();
                at.last_modified = last_modified.clone();
            }
            let item = match to_post(e, feed_title.as_deref()).and_then(|p| p.validate().map(|_| p).map_err(|e| e.to_string())) {
                Ok(p) => Item::Post(p),
                Err(reason) => Item::Malformed { reason: format!("feed entry: {reason}"), raw: format!("{e:?}") },
            };
            page.items.push((item, at.clone()));
        }
        Ok(page)
    }
}

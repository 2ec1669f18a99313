use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Posts longer than this are rejected: no social network allows them, and a runaway
/// connector must not make the scorer chew on megabytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// A public post as a connector hands it over (DESIGN.md, "Post").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// Unique within its source.
    pub id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Author>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<SourceMetrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The network's language hint; detection still runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Mastodon,
    Bluesky,
    Reddit,
    Rss,
    X,
    Facebook,
    Webhook,
    Replay,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Mastodon => "mastodon",
            Source::Bluesky => "bluesky",
            Source::Reddit => "reddit",
            Source::Rss => "rss",
            Source::X => "x",
            Source::Facebook => "facebook",
            Source::Webhook => "webhook",
            Source::Replay => "replay",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Author {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// Engagement counts as the network reports them (the contract calls the field `metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceMetrics {
    #[serde(default)]
    pub likes: u64,
    #[serde(default)]
    pub shares: u64,
    #[serde(default)]
    pub replies: u64,
}

/// Why an input line could not become a [`Post`]. The message is what the user sees next
/// to the line number, so it says what is wrong and what a valid post looks like.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("not valid JSON ({0}); each line must be one JSON object such as {{\"id\":\"1\",\"text\":\"...\"}}")]
    NotJson(String),
    #[error("not a post: {0}")]
    Shape(String),
    #[error("\"id\" is empty; every post needs an id unique within its source")]
    EmptyId,
    #[error("\"text\" is {0} bytes, over the {MAX_TEXT_BYTES}-byte limit; split or trim the post")]
    TooLong(usize),
}

impl Post {
    /// Parses one JSON line and checks the contract's limits.
    pub fn from_json_line(line: &str) -> Result<Post, PostError> {
        let post: Post = serde_json::from_str(line).map_err(|e| {
            if e.is_data() {
                PostError::Shape(e.to_string())
            } else {
                PostError::NotJson(e.to_string())
            }
        })?;
        post.validate()?;
        Ok(post)
    }

    pub fn validate(&self) -> Result<(), PostError> {
        if self.id.trim().is_empty() {
            return Err(PostError::EmptyId);
        }
        if self.text.len() > MAX_TEXT_BYTES {
            return Err(PostError::TooLong(self.text.len()));
        }
        Ok(())
    }

    /// `source:id`, the key every store deduplicates on. Posts without a source are replays.
    pub fn uid(&self) -> String {
        format!("{}:{}", self.source.unwrap_or(Source::Replay).as_str(), self.id)
    }

    /// Followers of the author, 0 when unknown.
    pub fn reach(&self) -> u64 {
        self.author.as_ref().and_then(|a| a.followers).unwrap_or(0)
    }

    pub fn engagement(&self) -> u64 {
        self.metrics.map(|m| m.likes + m.shares * 2 + m.replies).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_post_round_trips() {
        let line = r#"{"id":"9","text":"Antri 5 jam di IGD RS Omni","source":"x","url":"https://x.com/a/status/9","created_at":"2026-03-01T08:30:00Z","author":{"id":"42","handle":"@ani","followers":1200,"verified":false},"metrics":{"likes":3,"shares":1,"replies":0},"reply_to":"8","lang":"id"}"#;
        let post = Post::from_json_line(line).unwrap();
        assert_eq!(post.uid(), "x:9");
        assert_eq!(post.reach(), 1200);
        let again: Post = serde_json::from_str(&serde_json::to_string(&post).unwrap()).unwrap();
        assert_eq!(post, again);
    }

    #[test]
    fn minimal_post_is_a_replay() {
        let post = Post::from_json_line(r#"{"id":"1","text":"hi"}"#).unwrap();
        assert_eq!(post.uid(), "replay:1");
        assert_eq!(serde_json::to_string(&post).unwrap(), r#"{"id":"1","text":"hi"}"#);
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(matches!(Post::from_json_line("not json"), Err(PostError::NotJson(_))));
        let missing = Post::from_json_line(r#"{"id":"1"}"#).unwrap_err().to_string();
        assert!(missing.contains("missing field `text`"), "{missing}");
        assert!(matches!(Post::from_json_line(r#"{"id":" ","text":"x"}"#), Err(PostError::EmptyId)));
        let long = format!(r#"{{"id":"1","text":"{}"}}"#, "a".repeat(MAX_TEXT_BYTES + 1));
        assert!(matches!(Post::from_json_line(&long), Err(PostError::TooLong(_))));
        let unknown = Post::from_json_line(r#"{"id":"1","text":"x","source":"myspace"}"#).unwrap_err();
        assert!(unknown.to_string().contains("unknown variant"), "{unknown}");
    }
}

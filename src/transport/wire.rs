//! What travels on each topic. Payloads are the JSON contracts of `crate::model`
//! (DESIGN.md), keys name what a message is about, headers carry the rest:
//!
//! | topic      | key       | payload                                  | headers |
//! |------------|-----------|------------------------------------------|---------|
//! | raw        | post uid  | [`Post`]                                  | schema version |
//! | scored     | post uid  | `{"post": Post, "assessment": Assessment}` | schema version |
//! | cases      | case id   | [`CaseEvent`](crate::model::CaseEvent)    | schema version, event kind |
//! | deadletter | input key | [`DeadLetter`]                            | schema version, reason, stage, origin |
//!
//! Keying by uid sends every copy of a post to one partition, so a consumer sees them in
//! order, and keying cases by id keeps each case's events in order.

use rdkafka::message::{Header, Headers, OwnedHeaders};
use serde::{Deserialize, Serialize};

use crate::model::{Assessment, Post, SCHEMA_VERSION};
use crate::pipeline::dead_letter::DeadLetter;
use crate::sinks::ScoredPost;

/// The version of the payload's JSON shape ([`SCHEMA_VERSION`]), on every message.
pub const SCHEMA_HEADER: &str = "hearken-schema-version";
/// On dead letters: why the input was rejected.
pub const REASON_HEADER: &str = "hearken-reason";
/// On dead letters: the stage that rejected it (`source`, `core`, `sink`).
pub const STAGE_HEADER: &str = "hearken-stage";
/// On dead letters: where the input was (`kafka:TOPIC/PARTITION@OFFSET`, a file and line).
pub const ORIGIN_HEADER: &str = "hearken-origin";
/// On case events: the event kind (`opened`, `post_added`, …).
pub const EVENT_HEADER: &str = "hearken-event";

/// Messages larger than this are dead-lettered unread. A post's text is at most
/// [`crate::model::MAX_TEXT_BYTES`] (64 KiB); its JSON, with escapes and metadata, stays far
/// below this.
pub const MAX_MESSAGE_BYTES: usize = 512 * 1024;

pub fn schema_headers() -> OwnedHeaders {
    OwnedHeaders::new_with_capacity(1).insert(Header { key: SCHEMA_HEADER, value: Some(SCHEMA_VERSION.to_string().as_bytes()) })
}

pub fn dead_letter_headers(letter: &DeadLetter) -> OwnedHeaders {
    // Header values are bytes; a reason is short, but keep a runaway one bounded.
    let reason = cut(&letter.reason, 1024);
    schema_headers()
        .insert(Header { key: REASON_HEADER, value: Some(reason.as_bytes()) })
        .insert(Header { key: STAGE_HEADER, value: Some(letter.stage.as_bytes()) })
        .insert(Header { key: ORIGIN_HEADER, value: Some(letter.origin.as_bytes()) })
}

pub fn case_event_headers(kind: &str) -> OwnedHeaders {
    schema_headers().insert(Header { key: EVENT_HEADER, value: Some(kind.as_bytes()) })
}

/// The value of a header, if present and UTF-8.
pub fn header<'a, H: Headers>(headers: Option<&'a H>, key: &str) -> Option<&'a str> {
    let headers = headers?;
    headers.iter().find(|h| h.key == key).and_then(|h| h.value).and_then(|v| std::str::from_utf8(v).ok())
}

/// Rejects a message written in another schema version. A message without the header
/// (written by another tool) is read as the current version.
pub fn check_schema<H: Headers>(headers: Option<&H>) -> Result<(), String> {
    match header(headers, SCHEMA_HEADER) {
        None => Ok(()),
        Some(v) if v.trim() == SCHEMA_VERSION.to_string() => Ok(()),
        Some(v) => Err(format!(
            "schema version {v} (header {SCHEMA_HEADER}); this hearken reads version {SCHEMA_VERSION}: run a matching hearken on this topic"
        )),
    }
}

pub fn encode_post(post: &Post) -> Vec<u8> {
    serde_json::to_vec(post).expect("a Post always serializes")
}

#[derive(Serialize)]
struct ScoredRef<'a> {
    post: &'a Post,
    assessment: &'a Assessment,
}

#[derive(Deserialize)]
struct ScoredOwned {
    post: Post,
    assessment: Assessment,
}

pub fn encode_scored(scored: &ScoredPost) -> Vec<u8> {
    serde_json::to_vec(&ScoredRef { post: &scored.post, assessment: &scored.assessment }).expect("a scored post always serializes")
}

pub fn encode_dead_letter(letter: &DeadLetter) -> Vec<u8> {
    serde_json::to_vec(letter).expect("a dead letter always serializes")
}

/// Checks the size and the encoding of a payload before it is parsed.
fn payload_text(payload: Option<&[u8]>) -> Result<&str, String> {
    let bytes = payload.ok_or_else(|| "empty message (no payload); each message must be one JSON object".to_string())?;
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(format!("message is {} bytes, over the {MAX_MESSAGE_BYTES}-byte limit; split or trim the post", bytes.len()));
    }
    std::str::from_utf8(bytes).map_err(|e| format!("payload is not UTF-8 ({e}); posts are JSON text"))
}

/// A message of the raw topic: one [`Post`], checked like a line of a JSONL file.
pub fn decode_post(payload: Option<&[u8]>) -> Result<Post, String> {
    Post::from_json_line(payload_text(payload)?).map_err(|e| e.to_string())
}

/// A message of the scored topic.
pub fn decode_scored(payload: Option<&[u8]>) -> Result<ScoredPost, String> {
    let text = payload_text(payload)?;
    let s: ScoredOwned = serde_json::from_str(text)
        .map_err(|e| format!("not a scored post ({e}); expected {{\"post\": {{…}}, \"assessment\": {{…}}}}"))?;
    s.post.validate().map_err(|e| e.to_string())?;
    Ok(ScoredPost { post: s.post, assessment: s.assessment })
}

/// The payload as text for a dead letter (lossy when it is not UTF-8; `DeadLetter` cuts it).
pub fn raw_text(payload: Option<&[u8]>) -> String {
    let bytes = payload.unwrap_or_default();
    String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024 + 4)]).into_owned()
}

fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scored_posts_round_trip() {
        let post = Post::from_json_line(r#"{"id":"7","text":"Antri 5 jam di IGD RS Omni 😡","source":"x"}"#).unwrap();
        let assessment: Assessment = serde_json::from_value(serde_json::json!({
            "id": "7", "lang": "id", "relevant": true, "noise": null, "entities": [],
            "sentiment": {"compound": -0.5, "label": "negative"},
            "complaint": {"is_complaint": true, "score": 0.9, "categories": []},
            "priority": {"level": "P2", "score": 70, "reasons": []}, "escalate": true
        }))
        .unwrap();
        let scored = ScoredPost { post, assessment };
        let back = decode_scored(Some(&encode_scored(&scored))).unwrap();
        assert_eq!(back.post, scored.post);
        assert_eq!(back.assessment, scored.assessment);
    }

    #[test]
    fn bad_messages_say_why() {
        assert!(decode_post(None).unwrap_err().contains("no payload"));
        assert!(decode_post(Some(b"{not json")).unwrap_err().contains("not valid JSON"));
        assert!(decode_post(Some(b"\xff\xfe")).unwrap_err().contains("not UTF-8"));
        let big = vec![b' '; MAX_MESSAGE_BYTES + 1];
        assert!(decode_post(Some(&big)).unwrap_err().contains("over the 524288-byte limit"));
        let long = format!(r#"{{"id":"1","text":"{}"}}"#, "a".repeat(crate::model::MAX_TEXT_BYTES + 1));
        assert!(decode_post(Some(long.as_bytes())).unwrap_err().contains("over the 65536-byte limit"));
        assert!(decode_scored(Some(br#"{"id":"1","text":"x"}"#)).unwrap_err().contains("not a scored post"));
    }

    #[test]
    fn schema_versions_are_checked() {
        let current = schema_headers();
        assert!(check_schema(Some(&current)).is_ok());
        assert!(check_schema::<OwnedHeaders>(None).is_ok());
        let other = OwnedHeaders::new().insert(Header { key: SCHEMA_HEADER, value: Some("999") });
        assert!(check_schema(Some(&other)).unwrap_err().contains("schema version 999"));
        let letter = DeadLetter::new("core", "kafka:t/0@5", None, "bad", "{");
        let h = dead_letter_headers(&letter);
        assert_eq!(header(Some(&h), REASON_HEADER), Some("bad"));
        assert_eq!(header(Some(&h), STAGE_HEADER), Some("core"));
    }
}

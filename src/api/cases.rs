//! One case: `GET /api/cases/{id}` (the case, its posts with their assessments and the
//! evidence to highlight, the audit trail) and the officers' actions
//! `POST /api/cases/{id}/ack|assign|note|resolve|dismiss|merge`, each an audit event
//! recorded with the caller's token name and the time.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::auth::{Caller, Officers};
use super::error::ApiError;
use super::ApiState;
use crate::model::{Assessment, CaseKind, CaseStatus, Post};

pub fn routes() -> Router<Arc<ApiState>> {
    Router::new()
        .route("/api/cases/{id}", get(detail))
        .route("/api/cases/{id}/ack", post(|c, s, p, h, b| act(c, s, p, h, b, Action::Ack)))
        .route("/api/cases/{id}/assign", post(|c, s, p, h, b| act(c, s, p, h, b, Action::Assign)))
        .route("/api/cases/{id}/note", post(|c, s, p, h, b| act(c, s, p, h, b, Action::Note)))
        .route("/api/cases/{id}/resolve", post(|c, s, p, h, b| act(c, s, p, h, b, Action::Resolve)))
        .route("/api/cases/{id}/dismiss", post(|c, s, p, h, b| act(c, s, p, h, b, Action::Dismiss)))
        .route("/api/cases/{id}/merge", post(|c, s, p, h, b| act(c, s, p, h, b, Action::Merge)))
}

/// A span of a post's text to highlight, in UTF-16 code units (what JavaScript strings
/// index), end exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Highlight {
    pub start: usize,
    pub end: usize,
    /// `entity` (a hospital, clinician, department named) or `evidence` (a complaint phrase).
    pub kind: &'static str,
    /// The entity id, or the complaint category.
    pub label: String,
}

#[derive(Serialize)]
struct PostView {
    post: Post,
    assessment: Assessment,
    highlights: Vec<Highlight>,
}

fn valid_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > 200 || id.chars().any(char::is_control) {
        return Err(ApiError::bad_request("the case id is malformed; take it from /api/alerts"));
    }
    Ok(())
}

async fn detail(_caller: Caller<Officers>, State(state): State<Arc<ApiState>>, Path(id): Path<String>) -> Result<Response, ApiError> {
    valid_id(&id)?;
    let st = state.clone();
    let found = tokio::task::spawn_blocking(move || {
        st.stores.read(|store| {
            let Some(case) = store.case(&id)? else { return Ok(None) };
            let events = store.events(&id)?;
            let mut posts = Vec::with_capacity(case.post_uids.len());
            for uid in &case.post_uids {
                if let Some(p) = store.post(uid)? {
                    let highlights = highlights(&p.post.text, &p.assessment);
                    posts.push(PostView { post: p.post, assessment: p.assessment, highlights });
                }
            }
            Ok(Some(serde_json::json!({ "case": case, "events": events, "posts": posts })))
        })
    })
    .await??;
    match found {
        Some(v) => Ok(Json(v).into_response()),
        None => Err(ApiError::not_found("no such case; it may have been erased — take ids from /api/alerts")),
    }
}

/// Where the entities and the complaint evidence are in `text`. Entities come with their
/// byte offsets; evidence phrases are found again in the text, ignoring ASCII case.
pub fn highlights(text: &str, a: &Assessment) -> Vec<Highlight> {
    let utf16 = |byte: usize| text.get(..byte).map(|s| s.encode_utf16().count());
    let mut out = Vec::new();
    for e in &a.entities {
        if let (Some(start), Some(end)) = (utf16(e.start), utf16(e.end)) {
            out.push(Highlight { start, end, kind: "entity", label: e.id.clone() });
        }
    }
    let lower = text.to_ascii_lowercase();
    for c in &a.complaint.categories {
        for phrase in &c.evidence {
            let needle = phrase.to_ascii_lowercase();
            if needle.trim().is_empty() {
                continue;
            }
            let mut from = 0;
            while let Some(i) = lower[from..].find(&needle) {
                let (b0, b1) = (from + i, from + i + needle.len());
                if let (Some(start), Some(end)) = (utf16(b0), utf16(b1)) {
                    out.push(Highlight { start, end, kind: "evidence", label: c.id.as_str().to_string() });
                }
                from = b1;
            }
        }
    }
    out.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Ack,
    Assign,
    Note,
    Resolve,
    Dismiss,
    /// Into the case named by `into`: the two are one story.
    Merge,
}

/// The body of an action; `{}` or no body at all where nothing is required.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    /// Recorded in the audit trail; required by `note`.
    note: Option<String>,
    /// Who takes the case; required by `assign`.
    assignee: Option<String>,
    /// The case that takes this one's posts; required by `merge`.
    into: Option<String>,
}

const MAX_NOTE_CHARS: usize = 4000;

fn parse_body(headers: &HeaderMap, body: &Bytes) -> Result<ActionBody, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ActionBody::default());
    }
    let json = headers.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Err(ApiError::bad_request("send the body as JSON with the header Content-Type: application/json"));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!("the body is not valid: {e}; send {{\"note\": \"…\"}} (and \"assignee\" to assign, \"into\" to merge)"))
    })
}

async fn act(
    caller: Caller<Officers>,
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
    action: Action,
) -> Result<Response, ApiError> {
    valid_id(&id)?;
    let body = parse_body(&headers, &body)?;
    let note = body.note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(ApiError::bad_request(format!("the note is longer than {MAX_NOTE_CHARS} characters; shorten it")));
    }
    let assignee = body.assignee.map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
    if assignee.as_ref().is_some_and(|a| a.chars().count() > 100 || a.chars().any(char::is_control)) {
        return Err(ApiError::bad_request("the assignee must be a name of at most 100 characters"));
    }
    let next = match action {
        Action::Ack => Some(CaseStatus::Acknowledged),
        Action::Assign => Some(CaseStatus::Assigned),
        Action::Resolve => Some(CaseStatus::Resolved),
        Action::Dismiss => Some(CaseStatus::Dismissed),
        Action::Note | Action::Merge => None,
    };
    let into = body.into.map(|i| i.trim().to_string()).filter(|i| !i.is_empty());
    if let Some(into) = &into {
        valid_id(into)?;
    }
    match action {
        Action::Assign if assignee.is_none() => {
            return Err(ApiError::bad_request("assigning needs {\"assignee\": \"NAME\"}: who takes the case"));
        }
        Action::Note if note.is_none() => return Err(ApiError::bad_request("a note needs {\"note\": \"TEXT\"}")),
        Action::Merge if into.is_none() => {
            return Err(ApiError::bad_request("merging needs {\"into\": \"CASE_ID\"}: the case that takes this one's posts"));
        }
        Action::Merge if into.as_deref() == Some(id.as_str()) => {
            return Err(ApiError::bad_request("a case cannot be merged into itself; name another case in \"into\""));
        }
        _ if into.is_some() && action != Action::Merge => return Err(ApiError::bad_request("\"into\" belongs to /merge only")),
        Action::Assign => {}
        _ if assignee.is_some() => return Err(ApiError::bad_request("\"assignee\" belongs to /assign only")),
        _ => {}
    }
    let actor = caller.name;
    let st = state.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        st.stores.write(|store| {
            let Some(case) = store.case(&id)? else { return Ok(Err(ApiError::not_found("no such case; take ids from /api/alerts"))) };
            Ok(match next {
                Some(next) if !case.status.can_become(next) => Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("the case is {} and cannot become {}; reload it to see who changed it", case.status.as_str(), next.as_str()),
                )),
                Some(next) => Ok(store.set_status(&id, next, &actor, note.as_deref(), assignee.as_deref())?),
                None if action == Action::Merge => {
                    let into = into.unwrap_or_default();
                    match store.case(&into)? {
                        None => Err(ApiError::not_found("no case to merge into; take ids from /api/alerts")),
                        Some(target) if case.status.is_closed() || target.status.is_closed() => {
                            let closed = if case.status.is_closed() { &case } else { &target };
                            Err(ApiError::new(
                                StatusCode::CONFLICT,
                                format!("case {} is {}; reopen it before merging", closed.id, closed.status.as_str()),
                            ))
                        }
                        Some(target) if target.kind != CaseKind::Story || case.kind != CaseKind::Story => {
                            Err(ApiError::new(StatusCode::CONFLICT, "only stories are merged; a volume spike is resolved or dismissed on its own"))
                        }
                        Some(_) => Ok(store.merge(&id, &into, &actor, note.as_deref())?),
                    }
                }
                None => Ok(store.add_note(&id, &actor, note.as_deref().unwrap_or_default())?),
            })
        })
    })
    .await??;
    let case = outcome?;
    state.feed.invalidate();
    state.counters.batch_committed.notify_one(); // the stream sends the change now
    metrics::counter!("hearken_api_case_actions_total").increment(1);
    Ok(Json(case).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CategoryHit, EntityKind, EntityMatch};

    #[test]
    fn highlights_are_in_utf16_units() {
        let text = "Dokter 😡 di RS Omni salah diagnosa, SALAH DIAGNOSA lagi";
        let mut a: Assessment = serde_json::from_str(
            r#"{"id":"1","lang":"id","relevant":true,"noise":null,"entities":[],"sentiment":{"compound":-0.5,"label":"negative"},
                "complaint":{"is_complaint":true,"score":0.9,"categories":[]},"priority":{"level":"P2","score":70,"reasons":[]},"escalate":false}"#,
        )
        .unwrap();
        let start = text.find("RS Omni").unwrap();
        a.entities.push(EntityMatch { kind: EntityKind::Hospital, id: "omni".into(), matched: "RS Omni".into(), start, end: start + 7 });
        a.complaint.categories.push(CategoryHit { id: crate::model::Category::Misdiagnosis, score: 0.8, evidence: vec!["salah diagnosa".into()] });
        let h = highlights(text, &a);
        let units: Vec<u16> = text.encode_utf16().collect();
        let slice = |h: &Highlight| String::from_utf16(&units[h.start..h.end]).unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(slice(&h[0]), "RS Omni");
        assert_eq!(slice(&h[1]), "salah diagnosa");
        assert_eq!(slice(&h[2]), "SALAH DIAGNOSA");
    }
}

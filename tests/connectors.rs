//! The network connectors against local mock servers that answer in each API's documented
//! shape (Mastodon `Status` arrays with `min_id`, Bluesky `searchPosts`, Reddit listings
//! with an app token, RSS 2.0 with ETags, X recent search, Facebook Graph edges), with
//! paging, 429 + Retry-After, outages and malformed answers injected. Each test checks
//! that every post is handed on exactly once, across a restart from the committed cursor.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use hearken::config::SourceConfig;
use hearken::connectors::source::ConfiguredSource;
use hearken::connectors::{Resume, SourceItem};

/// What the mock server answers the next requests with instead of data.
#[derive(Clone, Debug)]
enum Fault {
    RateLimited { retry_after: u64 },
    Outage,
    Garbage,
}

#[derive(Default)]
struct Mock {
    /// How many posts of the network exist now (ids 1..=visible).
    visible: usize,
    faults: VecDeque<Fault>,
    /// Record ids whose JSON is broken (a missing field).
    broken: Vec<usize>,
    requests: Vec<String>,
    /// Requests that arrived while a Retry-After was in force.
    too_early: usize,
    retry_until: Option<Instant>,
}

type Shared = Arc<Mutex<Mock>>;

/// Each mock page holds at most this many records, fewer than any connector asks for:
/// paging is exercised with small data.
const PAGE: usize = 7;
const BASE_TIME: i64 = 1_772_353_800; // 2026-03-01T08:30:00Z

fn rfc3339(i: usize) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(BASE_TIME + i as i64 * 60).unwrap();
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

fn text(i: usize) -> String {
    format!("Post number {i}: antri lama di IGD RS Omni")
}

async fn faults(State(mock): State<Shared>, request: Request, next: Next) -> Response {
    let fault = {
        let mut m = mock.lock().unwrap();
        m.requests.push(request.uri().to_string());
        if m.retry_until.is_some_and(|t| Instant::now() < t) {
            m.too_early += 1;
        }
        m.faults.pop_front()
    };
    match fault {
        Some(Fault::RateLimited { retry_after }) => {
            mock.lock().unwrap().retry_until = Some(Instant::now() + Duration::from_secs(retry_after));
            let mut r = (StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into_response();
            r.headers_mut().insert("retry-after", HeaderValue::from_str(&retry_after.to_string()).unwrap());
            r
        }
        Some(Fault::Outage) => (StatusCode::SERVICE_UNAVAILABLE, "<html>upstream down</html>").into_response(),
        Some(Fault::Garbage) => (StatusCode::OK, [("content-type", "application/json")], "{\"posts\": [ {\"uri\": trunc").into_response(),
        None => next.run(request).await,
    }
}

async fn serve(routes: Router<Shared>, mock: Shared) -> SocketAddr {
    let app = routes.layer(middleware::from_fn_with_state(mock.clone(), faults)).with_state(mock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// Ids newer than `after`, the `PAGE` just above it (or the newest page without
/// `after`), newest first — how `min_id`/`before` paging answers.
fn page_after(visible: usize, after: Option<usize>) -> Vec<usize> {
    let ids: Vec<usize> = match after {
        Some(a) => ((a + 1)..=visible).take(PAGE).collect(),
        None => (visible.saturating_sub(PAGE) + 1..=visible).collect(),
    };
    ids.into_iter().rev().collect()
}

/// Ids at or after `since_id`, newest first, paged by `offset` — how backward-paging
/// search (Bluesky cursor, X next_token, Graph `next`) answers.
fn page_backward(visible: usize, newer_than: usize, offset: usize) -> (Vec<usize>, Option<usize>) {
    let all: Vec<usize> = ((newer_than + 1)..=visible).rev().collect();
    let page: Vec<usize> = all.iter().skip(offset).take(PAGE).copied().collect();
    let next = (offset + PAGE < all.len()).then_some(offset + PAGE);
    (page, next)
}

fn broken(mock: &Shared, i: usize) -> bool {
    mock.lock().unwrap().broken.contains(&i)
}

// ---------------------------------------------------------------- Mastodon

fn status(i: usize, broken: bool) -> Value {
    let mut s = json!({
        "id": format!("1093{i:05}"),
        "created_at": rfc3339(i),
        "in_reply_to_id": null, "in_reply_to_account_id": null,
        "sensitive": false, "spoiler_text": "", "visibility": "public", "language": "id",
        "uri": format!("https://mastodon.test/users/ani/statuses/1093{i:05}"),
        "url": format!("https://mastodon.test/@ani/1093{i:05}"),
        "replies_count": 1, "reblogs_count": 2, "favourites_count": 3,
        "content": format!("<p>{}</p>", text(i)),
        "reblog": null,
        "account": {"id": "42", "username": "ani", "acct": "ani", "display_name": "Ani",
                    "followers_count": 1200, "following_count": 10, "statuses_count": 99,
                    "url": "https://mastodon.test/@ani"},
        "media_attachments": [], "mentions": [], "tags": [], "emojis": []
    });
    if broken {
        s.as_object_mut().unwrap().remove("content");
    }
    s
}

async fn mastodon_public(State(mock): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let visible = mock.lock().unwrap().visible;
    let after = q.get("min_id").map(|m| m.trim_start_matches("1093").parse::<usize>().unwrap());
    let ids = page_after(visible, after);
    let body: Vec<Value> = ids.iter().map(|&i| status(i, broken(&mock, i))).collect();
    let mut r = Json(body).into_response();
    if let (Some(first), Some(last)) = (ids.first(), ids.last()) {
        let link = format!(
            "<https://mastodon.test/api/v1/timelines/public?max_id=1093{last:05}>; rel=\"next\", <https://mastodon.test/api/v1/timelines/public?min_id=1093{first:05}>; rel=\"prev\""
        );
        r.headers_mut().insert("link", HeaderValue::from_str(&link).unwrap());
    }
    r.headers_mut().insert("x-ratelimit-limit", HeaderValue::from_static("300"));
    r.headers_mut().insert("x-ratelimit-remaining", HeaderValue::from_static("299"));
    r
}

fn mastodon_id(post_id: &str) -> usize {
    post_id.trim_start_matches("1093").parse().unwrap()
}

// ---------------------------------------------------------------- Bluesky

fn post_view(i: usize, broken: bool) -> Value {
    let mut v = json!({
        "uri": format!("at://did:plc:ani/app.bsky.feed.post/3k{i:05}"),
        "cid": format!("bafyrei{i}"),
        "author": {"did": "did:plc:ani", "handle": "ani.bsky.social", "displayName": "Ani", "labels": []},
        "record": {"$type": "app.bsky.feed.post", "text": text(i), "createdAt": rfc3339(i), "langs": ["id"]},
        "replyCount": 0, "repostCount": 1, "likeCount": 4, "quoteCount": 0,
        "indexedAt": rfc3339(i), "labels": []
    });
    if broken {
        v.as_object_mut().unwrap().remove("record");
    }
    v
}

async fn bluesky_search(State(mock): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let visible = mock.lock().unwrap().visible;
    assert_eq!(q.get("sort").map(String::as_str), Some("latest"));
    // `since` is inclusive: everything from that minute on.
    let newer_than = match q.get("since") {
        Some(s) => {
            let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap().unix_timestamp();
            ((t - BASE_TIME) / 60) as usize - 1
        }
        None => 0,
    };
    let offset = q.get("cursor").map(|c| c.parse().unwrap()).unwrap_or(0);
    let (ids, next) = page_backward(visible, newer_than, offset);
    Json(json!({
        "posts": ids.iter().map(|&i| post_view(i, broken(&mock, i))).collect::<Vec<_>>(),
        "cursor": next.map(|n| n.to_string()),
        "hitsTotal": visible
    }))
    .into_response()
}

async fn bluesky_profiles(Query(q): Query<Vec<(String, String)>>) -> Response {
    let profiles: Vec<Value> = q
        .iter()
        .filter(|(k, _)| k == "actors")
        .map(|(_, did)| json!({"did": did, "handle": "ani.bsky.social", "followersCount": 321, "followsCount": 5, "postsCount": 9}))
        .collect();
    Json(json!({ "profiles": profiles })).into_response()
}

fn bluesky_id(post_id: &str) -> usize {
    post_id.rsplit("3k").next().unwrap().parse().unwrap()
}

// ---------------------------------------------------------------- Reddit

fn thing(i: usize, broken: bool) -> Value {
    let mut data = json!({
        "id": format!("{i:x}"), "name": format!("t3_{i:05x}"),
        "subreddit": "indonesia", "title": format!("Post number {i}"), "selftext": "antri lama di IGD RS Omni",
        "author": "ani", "author_fullname": "t2_ani", "created_utc": (BASE_TIME + i as i64 * 60) as f64,
        "permalink": format!("/r/indonesia/comments/{i:x}/post_number/"), "url": "https://www.reddit.com/r/indonesia/",
        "score": 5, "ups": 5, "num_comments": 2, "num_crossposts": 0, "over_18": false
    });
    if broken {
        data.as_object_mut().unwrap().remove("created_utc");
    }
    json!({"kind": "t3", "data": data})
}

async fn reddit_token(headers: HeaderMap, body: String) -> Response {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    // Basic base64("app-id:app-secret")
    if auth != "Basic YXBwLWlkOmFwcC1zZWNyZXQ=" || body != "grant_type=client_credentials" {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": 401, "message": "Unauthorized"}))).into_response();
    }
    Json(json!({"access_token": "app-token", "token_type": "bearer", "expires_in": 86400, "scope": "*"})).into_response()
}

async fn reddit_new(State(mock): State<Shared>, headers: HeaderMap, Path(sub): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    assert_eq!(sub, "indonesia");
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer app-token") {
        return (StatusCode::UNAUTHORIZED, "no token").into_response();
    }
    let visible = mock.lock().unwrap().visible;
    let after = q.get("before").map(|b| usize::from_str_radix(b.trim_start_matches("t3_"), 16).unwrap());
    let ids = page_after(visible, after);
    let mut r = Json(json!({
        "kind": "Listing",
        "data": {"after": ids.last().map(|i| format!("t3_{i:05x}")), "before": ids.first().map(|i| format!("t3_{i:05x}")),
                 "dist": ids.len(), "modhash": "", "geo_filter": "",
                 "children": ids.iter().map(|&i| thing(i, broken(&mock, i))).collect::<Vec<_>>()}
    }))
    .into_response();
    r.headers_mut().insert("x-ratelimit-used", HeaderValue::from_static("3"));
    r.headers_mut().insert("x-ratelimit-remaining", HeaderValue::from_static("97.0"));
    r.headers_mut().insert("x-ratelimit-reset", HeaderValue::from_static("420"));
    r
}

fn reddit_id(post_id: &str) -> usize {
    usize::from_str_radix(post_id.trim_start_matches("t3_"), 16).unwrap()
}

// ---------------------------------------------------------------- RSS

async fn rss_feed(State(mock): State<Shared>, headers: HeaderMap) -> Response {
    let visible = mock.lock().unwrap().visible;
    let etag = format!("\"v{visible}\"");
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    // A feed shows its newest 10 items, newest first.
    let items: String = (visible.saturating_sub(10) + 1..=visible)
        .rev()
        .map(|i| {
            let date = httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs((BASE_TIME + i as i64 * 60) as u64));
            format!(
                "<item><title>Berita {i}</title><link>https://news.test/{i}</link><guid isPermaLink=\"false\">news-{i}</guid>\
                 <pubDate>{date}</pubDate><description>&lt;p&gt;{}&lt;/p&gt;</description></item>",
                text(i)
            )
        })
        .collect();
    let xml = format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Berita Kesehatan</title><link>https://news.test/</link><description>d</description>{items}</channel></rss>");
    ([("content-type", "application/rss+xml"), ("etag", etag.as_str())], xml).into_response()
}

fn rss_id(post_id: &str) -> usize {
    post_id.trim_start_matches("news-").parse().unwrap()
}

// ---------------------------------------------------------------- X

fn tweet(i: usize, broken: bool) -> Value {
    let mut t = json!({
        "id": format!("18{i:08}"), "text": text(i), "author_id": "2244994945", "created_at": rfc3339(i).replace('Z', ".000Z"),
        "lang": "in", "conversation_id": format!("18{i:08}"), "edit_history_tweet_ids": [format!("18{i:08}")],
        "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 0, "bookmark_count": 0, "impression_count": 50}
    });
    if broken {
        t.as_object_mut().unwrap().remove("text");
    }
    t
}

async fn x_search(State(mock): State<Shared>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer x-bearer") {
        return (StatusCode::UNAUTHORIZED, Json(json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}))).into_response();
    }
    let visible = mock.lock().unwrap().visible;
    let since = q.get("since_id").map(|s| s.trim_start_matches("18").parse::<usize>().unwrap());
    let offset = q.get("next_token").map(|t| t.trim_start_matches("b26v89c19zqg8o3f").parse().unwrap()).unwrap_or(0);
    let (mut ids, mut next) = page_backward(visible, since.unwrap_or(0), offset);
    if since.is_none() {
        // No since_id: the newest page (the search reaches 7 days back).
        ids = (visible.saturating_sub(PAGE) + 1..=visible).rev().collect();
        next = Some(PAGE);
    }
    let reset = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 900).to_string();
    let mut meta = json!({"result_count": ids.len()});
    if let (Some(first), Some(last)) = (ids.first(), ids.last()) {
        meta["newest_id"] = json!(format!("18{first:08}"));
        meta["oldest_id"] = json!(format!("18{last:08}"));
    }
    if let Some(n) = next {
        meta["next_token"] = json!(format!("b26v89c19zqg8o3f{n}"));
    }
    let mut body = json!({"meta": meta});
    if !ids.is_empty() {
        body["data"] = json!(ids.iter().map(|&i| tweet(i, broken(&mock, i))).collect::<Vec<_>>());
        body["includes"] = json!({"users": [{"id": "2244994945", "name": "Ani", "username": "ani", "verified": false,
                                             "public_metrics": {"followers_count": 5000, "following_count": 10, "tweet_count": 3, "listed_count": 0}}]});
    }
    let mut r = Json(body).into_response();
    r.headers_mut().insert("x-rate-limit-limit", HeaderValue::from_static("450"));
    r.headers_mut().insert("x-rate-limit-remaining", HeaderValue::from_static("449"));
    r.headers_mut().insert("x-rate-limit-reset", HeaderValue::from_str(&reset).unwrap());
    r
}

fn x_id(post_id: &str) -> usize {
    post_id.trim_start_matches("18").parse().unwrap()
}

// ---------------------------------------------------------------- Facebook

fn graph_time(i: usize) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(BASE_TIME + i as i64 * 60).unwrap();
    t.format(time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+0000")).unwrap()
}

fn fb_post(i: usize, broken: bool) -> Value {
    let mut p = json!({
        "id": format!("1000_{i}"), "message": text(i), "created_time": graph_time(i),
        "permalink_url": format!("https://www.facebook.com/1000/posts/{i}"),
        "from": {"name": "RS Omni", "id": "1000"},
        "shares": {"count": 2},
        "reactions": {"data": [], "summary": {"total_count": 7, "viewer_reaction": "NONE"}},
        "comments": {"data": [], "summary": {"order": "ranked", "total_count": 1, "can_comment": true}}
    });
    if broken {
        p.as_object_mut().unwrap().remove("created_time");
    }
    p
}

async fn graph(headers: HeaderMap, Path((_version, node)): Path<(String, String)>) -> Response {
    assert_eq!(headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer page-token"));
    assert_eq!(node, "1000");
    Json(json!({"followers_count": 25000, "fan_count": 24000, "id": "1000"})).into_response()
}

async fn graph_edge(
    State(mock): State<Shared>,
    headers: HeaderMap,
    Path((version, node, edge)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer page-token"));
    let visible = mock.lock().unwrap().visible;
    let offset: usize = q.get("after").map(|a| a.parse().unwrap()).unwrap_or(0);
    let since = q.get("since").map(|s| ((s.parse::<i64>().unwrap() - BASE_TIME) / 60) as usize);
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
    match edge.as_str() {
        "feed" => {
            // `since` is inclusive in Graph: the post of that second comes again.
            let (ids, next) = page_backward(visible, since.map(|s| s - 1).unwrap_or(0), offset);
            let mut paging = json!({"cursors": {"before": "QVFIUm", "after": "QVFIUn"}});
            if let Some(n) = next {
                let mut url = format!("http://{host}/{version}/{node}/feed?limit=100&after={n}&access_token=page-token");
                if let Some(s) = q.get("since") {
                    url.push_str(&format!("&since={s}"));
                }
                paging["next"] = json!(url);
            }
            Json(json!({"data": ids.iter().map(|&i| fb_post(i, broken(&mock, i))).collect::<Vec<_>>(), "paging": paging})).into_response()
        }
        "comments" => {
            // Post 1000_N has one comment, a minute after it.
            let n: usize = node.trim_start_matches("1000_").parse().unwrap();
            let c = json!({"id": format!("{n}_c1"), "message": format!("Saya juga mengalami di RS Omni ({n})"),
                           "created_time": graph_time(n + 1), "from": {"name": "Budi", "id": "77"},
                           "like_count": 1, "comment_count": 0,
                           "permalink_url": format!("https://www.facebook.com/1000/posts/{n}?comment_id=1")});
            let data = if since.is_some_and(|s| s > n + 1) { vec![] } else { vec![c] };
            Json(json!({"data": data, "paging": {"cursors": {"before": "MQ", "after": "MQ"}}})).into_response()
        }
        other => (StatusCode::NOT_FOUND, format!("no edge {other}")).into_response(),
    }
}

fn fb_id(post_id: &str) -> usize {
    post_id.trim_start_matches("1000_").parse().unwrap()
}

// ---------------------------------------------------------------- driving a source

fn source(toml_entry: &str) -> ConfiguredSource {
    #[derive(serde::Deserialize)]
    struct One {
        sources: Vec<SourceConfig>,
    }
    let one: One = toml::from_str(toml_entry).unwrap_or_else(|e| panic!("config: {e}\n{toml_entry}"));
    let problems = one.sources[0].problems("sources[0]");
    assert!(problems.is_empty(), "{problems:?}");
    ConfiguredSource::build(&one.sources[0], None).unwrap()
}

/// Runs a source from `from` until it has handed on `want` items, waits a few poll
/// intervals more to see that nothing else comes, and stops it.
async fn collect(source: ConfiguredSource, from: Resume, want: usize) -> Vec<SourceItem> {
    let (tx, mut rx) = mpsc::channel(10_000);
    let (stop_tx, stop) = watch::channel(false);
    let task = tokio::spawn(source.run(from, tx, stop));
    let mut items = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while items.len() < want {
        match tokio::time::timeout_at(deadline.into(), rx.recv()).await {
            Ok(Some(item)) => items.push(item),
            _ => panic!("only {} of {want} items arrived", items.len()),
        }
    }
    // Nothing more may come: the source would hand on a repeat here.
    tokio::time::sleep(Duration::from_millis(400)).await;
    while let Ok(item) = rx.try_recv() {
        items.push(item);
    }
    stop_tx.send(true).unwrap();
    task.await.unwrap().unwrap();
    items
}

fn resume_after(item: &SourceItem) -> Resume {
    let p = item.position();
    Resume { offset: p.offset, cursor: p.cursor.clone() }
}

fn post_ids(items: &[SourceItem], id: fn(&str) -> usize) -> Vec<usize> {
    items
        .iter()
        .filter_map(|i| match i {
            SourceItem::Post { post, .. } => Some(id(&post.id)),
            _ => None,
        })
        .collect()
}

fn rejected(items: &[SourceItem]) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| match i {
            SourceItem::Rejected { letter, .. } => Some(letter.reason.clone()),
            _ => None,
        })
        .collect()
}

const POLL: &str = "poll = { interval_secs = 0.05, backoff_base_ms = 20, backoff_cap_secs = 1, timeout_secs = 5 }";

/// The scenario every network goes through:
/// 1. 5 posts exist; the first run hands on all 5.
/// 2. 40 more appear, one of them malformed; a 429 with Retry-After: 1, an outage (503)
///    and a garbled page are injected. The run hands on the 39 good ones oldest first,
///    one dead letter for the malformed record and one for the garbled page, waiting out
///    the 429 before asking again.
/// 3. Only the first 20 of those are "committed"; a restart from that cursor hands on
///    exactly the rest: no gap, no repeat.
/// 4. 6 more appear; a restart from the last committed cursor hands on exactly those.
async fn scenario(mock: Shared, entry: &str, id: fn(&str) -> usize, garbled_fault: bool) {
    mock.lock().unwrap().visible = 5;
    let first = collect(source(entry), Resume::default(), 5).await;
    assert_eq!(post_ids(&first, id), vec![1, 2, 3, 4, 5], "first run");
    let committed = resume_after(first.last().unwrap());

    {
        let mut m = mock.lock().unwrap();
        m.visible = 45;
        m.broken = vec![23];
        m.faults.push_back(Fault::RateLimited { retry_after: 1 });
        m.faults.push_back(Fault::Outage);
        if garbled_fault {
            m.faults.push_back(Fault::Garbage);
        }
    }
    let started = Instant::now();
    let dead = if garbled_fault { 2 } else { 1 };
    let second = collect(source(entry), committed.clone(), 39 + dead).await;
    assert!(started.elapsed() >= Duration::from_secs(1), "the Retry-After was not waited out");
    assert_eq!(mock.lock().unwrap().too_early, 0, "a request came before the Retry-After passed");
    let expected: Vec<usize> = (6..=45).filter(|&i| i != 23).collect();
    assert_eq!(post_ids(&second, id), expected, "second run: every new post once, oldest first");
    let reasons = rejected(&second);
    assert_eq!(reasons.len(), dead, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("documented shape") || r.contains("has no") || r.contains("neither")), "{reasons:?}");
    if garbled_fault {
        assert!(reasons.iter().any(|r| r.contains("not the documented JSON") || r.contains("not an RSS")), "{reasons:?}");
    }

    // Commit only up to the 20th post of that run, as if the process died then.
    let cut = second
        .iter()
        .position(|i| matches!(i, SourceItem::Post { post, .. } if id(&post.id) == 25))
        .unwrap();
    let restart = collect(source(entry), resume_after(&second[cut]), 20).await;
    let rest: Vec<usize> = (26..=45).collect();
    assert_eq!(post_ids(&restart, id), rest, "restart after a crash: the uncommitted posts once, no gap");
    assert!(rejected(&restart).is_empty(), "the malformed record was before the cut: {:?}", rejected(&restart));

    mock.lock().unwrap().visible = 51;
    let last = collect(source(entry), resume_after(restart.last().unwrap()), 6).await;
    assert_eq!(post_ids(&last, id), (46..=51).collect::<Vec<_>>(), "restart: only what is new");
}

#[tokio::test]
async fn mastodon_pages_with_min_id_and_resumes_exactly() {
    let mock = Shared::default();
    let addr = serve(Router::new().route("/api/v1/timelines/public", get(mastodon_public)), mock.clone()).await;
    let entry = format!("[[sources]]\nkind = \"mastodon\"\nname = \"test\"\ninstance = \"http://{addr}\"\ntimeline = \"public\"\n{POLL}\n");
    // Check the mapping on one post.
    mock.lock().unwrap().visible = 1;
    let one = collect(source(&entry), Resume::default(), 1).await;
    let SourceItem::Post { post, position } = &one[0] else { panic!("{one:?}") };
    assert_eq!(post.text, text(1));
    assert_eq!(post.uid(), "mastodon:109300001");
    assert_eq!(post.reach(), 1200);
    assert_eq!(post.author.as_ref().unwrap().handle.as_deref(), Some("@ani"));
    assert_eq!(post.metrics.unwrap().likes, 3);
    assert_eq!(post.url.as_deref(), Some("https://mastodon.test/@ani/109300001"));
    assert_eq!(position.stream, "mastodon:test");
    assert_eq!(position.cursor.as_deref(), Some(r#"{"min_id":"109300001"}"#));
    scenario(mock.clone(), &entry, mastodon_id, true).await;
    let requests = mock.lock().unwrap().requests.clone();
    assert!(requests.iter().any(|r| r.contains("min_id=109300005")), "paging asks with min_id: {requests:?}");
}

#[tokio::test]
async fn bluesky_search_pages_backwards_and_resumes_exactly() {
    let mock = Shared::default();
    let routes = Router::new()
        .route("/xrpc/app.bsky.feed.searchPosts", get(bluesky_search))
        .route("/xrpc/app.bsky.actor.getProfiles", get(bluesky_profiles));
    let addr = serve(routes, mock.clone()).await;
    let entry = format!("[[sources]]\nkind = \"bluesky\"\nname = \"test\"\nquery = \"RS Omni\"\nappview = \"http://{addr}\"\n{POLL}\n");
    mock.lock().unwrap().visible = 1;
    let one = collect(source(&entry), Resume::default(), 1).await;
    let SourceItem::Post { post, .. } = &one[0] else { panic!("{one:?}") };
    assert_eq!(post.reach(), 321, "followers from getProfiles");
    assert_eq!(post.url.as_deref(), Some("https://bsky.app/profile/ani.bsky.social/post/3k00001"));
    assert_eq!(post.lang.as_deref(), Some("id"));
    scenario(mock, &entry, bluesky_id, true).await;
}

#[tokio::test]
async fn reddit_uses_an_app_token_pages_with_before_and_resumes_exactly() {
    let mock = Shared::default();
    let routes = Router::new().route("/api/v1/access_token", post(reddit_token)).route("/r/{sub}/new", get(reddit_new));
    let addr = serve(routes, mock.clone()).await;
    std::env::set_var("TEST_REDDIT_ID", "app-id");
    std::env::set_var("TEST_REDDIT_SECRET", "app-secret");
    let entry = format!(
        "[[sources]]\nkind = \"reddit\"\nname = \"test\"\nlisting = \"subreddit\"\nsubreddit = \"indonesia\"\n\
         client_id_env = \"TEST_REDDIT_ID\"\nclient_secret_env = \"TEST_REDDIT_SECRET\"\n\
         user_agent = \"test:hearken:v0 (by /u/hearken)\"\napi = \"http://{addr}\"\nauth = \"http://{addr}\"\n{POLL}\n"
    );
    mock.lock().unwrap().visible = 1;
    let one = collect(source(&entry), Resume::default(), 1).await;
    let SourceItem::Post { post, .. } = &one[0] else { panic!("{one:?}") };
    assert_eq!(post.text, "Post number 1\n\nantri lama di IGD RS Omni");
    assert_eq!(post.uid(), "reddit:t3_00001");
    assert_eq!(post.url.as_deref(), Some("https://www.reddit.com/r/indonesia/comments/1/post_number/"));
    scenario(mock, &entry, reddit_id, true).await;
}

#[tokio::test]
async fn rss_hands_on_new_entries_once_with_conditional_requests() {
    let mock = Shared::default();
    let addr = serve(Router::new().route("/feed.xml", get(rss_feed)), mock.clone()).await;
    let entry = format!("[[sources]]\nkind = \"rss\"\nname = \"news\"\nurl = \"http://{addr}/feed.xml\"\n{POLL}\n");
    // A feed shows only its newest 10, so this scenario adds at most 10 between polls.
    mock.lock().unwrap().visible = 3;
    let first = collect(source(&entry), Resume::default(), 3).await;
    assert_eq!(post_ids(&first, rss_id), vec![1, 2, 3]);
    let SourceItem::Post { post, .. } = &first[0] else { panic!() };
    assert_eq!(post.text, format!("Berita 1\n\n{}", text(1)));
    assert_eq!(post.url.as_deref(), Some("https://news.test/1"));
    assert_eq!(post.created_at.unwrap().unix_timestamp(), BASE_TIME + 60);
    {
        let mut m = mock.lock().unwrap();
        m.visible = 9;
        m.faults.push_back(Fault::RateLimited { retry_after: 1 });
        m.faults.push_back(Fault::Outage);
        m.faults.push_back(Fault::Garbage);
    }
    let second = collect(source(&entry), resume_after(first.last().unwrap()), 7).await;
    assert_eq!(post_ids(&second, rss_id), vec![4, 5, 6, 7, 8, 9]);
    assert_eq!(rejected(&second).len(), 1, "the garbled feed: {:?}", rejected(&second));
    let seventh = second.iter().position(|i| matches!(i, SourceItem::Post { post, .. } if post.id == "news-7")).unwrap();
    let restart = collect(source(&entry), resume_after(&second[seventh]), 2).await;
    assert_eq!(post_ids(&restart, rss_id), vec![8, 9], "after a crash: the uncommitted entries once");
    // Nothing new: the feed answers 304 to the ETag of the committed cursor.
    let before = mock.lock().unwrap().requests.len();
    let (tx, mut rx) = mpsc::channel(10);
    let (stop_tx, stop) = watch::channel(false);
    let run = tokio::spawn(source(&entry).run(resume_after(restart.last().unwrap()), tx, stop));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop_tx.send(true).unwrap();
    run.await.unwrap().unwrap();
    assert!(rx.try_recv().is_err(), "an unchanged feed hands on nothing");
    assert!(mock.lock().unwrap().requests.len() > before + 1, "it kept polling");
}

#[tokio::test]
async fn x_recent_search_follows_next_token_and_resumes_exactly() {
    let mock = Shared::default();
    let addr = serve(Router::new().route("/2/tweets/search/recent", get(x_search)), mock.clone()).await;
    std::env::set_var("TEST_X_TOKEN", "x-bearer");
    let entry = format!("[[sources]]\nkind = \"x\"\nname = \"test\"\nquery = \"\\\"RS Omni\\\" -is:retweet\"\ntoken_env = \"TEST_X_TOKEN\"\napi = \"http://{addr}\"\n{POLL}\n");
    mock.lock().unwrap().visible = 1;
    let one = collect(source(&entry), Resume::default(), 1).await;
    let SourceItem::Post { post, .. } = &one[0] else { panic!("{one:?}") };
    assert_eq!(post.reach(), 5000);
    assert_eq!(post.url.as_deref(), Some("https://x.com/ani/status/1800000001"));
    assert_eq!(post.metrics.unwrap().replies, 2);
    scenario(mock, &entry, x_id, true).await;
}

#[tokio::test]
async fn facebook_feed_and_comments_resume_exactly() {
    let mock = Shared::default();
    let routes = Router::new().route("/{version}/{node}", get(graph)).route("/{version}/{node}/{edge}", get(graph_edge));
    let addr = serve(routes, mock.clone()).await;
    std::env::set_var("TEST_FB_TOKEN", "page-token");
    // Comments are checked on their own below; here the feed goes through the scenario.
    let entry = format!("[[sources]]\nkind = \"facebook\"\nname = \"test\"\npage_id = \"1000\"\ntoken_env = \"TEST_FB_TOKEN\"\ncomments = false\napi = \"http://{addr}\"\n{POLL}\n");
    scenario(mock, &entry, fb_id, true).await;

    // Comments: recent posts (the mock's are from 2026-03-01, so the window is wide).
    let mock = Shared::default();
    let routes = Router::new().route("/{version}/{node}", get(graph)).route("/{version}/{node}/{edge}", get(graph_edge));
    let addr = serve(routes, mock.clone()).await;
    let entry = format!(
        "[[sources]]\nkind = \"facebook\"\nname = \"c\"\npage_id = \"1000\"\ntoken_env = \"TEST_FB_TOKEN\"\ncomments_days = 100000\napi = \"http://{addr}\"\n{POLL}\n"
    );
    mock.lock().unwrap().visible = 2;
    let items = collect(source(&entry), Resume::default(), 4).await;
    let ids: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            SourceItem::Post { post, .. } => Some(post.id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ids, vec!["1000_1", "1000_2", "1_c1", "2_c1"]);
    let SourceItem::Post { post, .. } = &items[0] else { panic!() };
    assert_eq!(post.reach(), 25000, "the page's followers");
    assert_eq!(post.metrics.unwrap().likes, 7);
    let SourceItem::Post { post, .. } = &items[2] else { panic!() };
    assert_eq!(post.reply_to.as_deref(), Some("1000_1"));
    // A restart after the first comment: only the second comes again.
    let again = collect(source(&entry), resume_after(&items[2]), 1).await;
    assert_eq!(post_ids(&again, |id| id.trim_end_matches("_c1").parse().unwrap()), vec![2]);
}

#[tokio::test]
async fn a_source_without_its_secret_says_which_variable_to_export() {
    let entry = "[[sources]]\nkind = \"x\"\nname = \"nokey\"\nquery = \"q\"\ntoken_env = \"HEARKEN_TEST_UNSET_TOKEN\"\n";
    #[derive(serde::Deserialize)]
    struct One {
        sources: Vec<SourceConfig>,
    }
    let one: One = toml::from_str(entry).unwrap();
    let err = ConfiguredSource::build(&one.sources[0], None).err().unwrap().to_string();
    assert!(err.contains("HEARKEN_TEST_UNSET_TOKEN") && err.contains("export"), "{err}");
    let bad: Result<One, _> = toml::from_str("[[sources]]\nkind = \"x\"\nname = \"n\"\nquery = \"q\"\ntoken = \"inline-secret\"\n");
    assert!(bad.is_err(), "secrets are not accepted in the config file");
}

/// `hearken check-config` names a source's missing secret variable before `run` would
/// stop on it, and is content once it is exported.
#[test]
fn check_config_names_missing_source_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hearken.toml");
    std::fs::write(
        &config,
        "[[sources]]\nkind = \"x\"\nname = \"zenith\"\nquery = \"\\\"RS Zenith\\\" -is:retweet\"\ntoken_env = \"HEARKEN_TEST_X_TOKEN\"\n",
    )
    .unwrap();
    let check = |token: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hearken"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).arg("check-config").arg("--config").arg(&config).env_remove("HEARKEN_TEST_X_TOKEN");
        if let Some(t) = token {
            cmd.env("HEARKEN_TEST_X_TOKEN", t);
        }
        let out = cmd.output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (ok, said) = check(None);
    assert!(!ok && said.contains("sources[0] (x:zenith): the environment variable HEARKEN_TEST_X_TOKEN is not set"), "{said}");
    // Other problems (API tokens, …) depend on the machine's environment: only this one counts.
    let (_, said) = check(Some("AAAA-bearer"));
    assert!(!said.contains("HEARKEN_TEST_X_TOKEN"), "{said}");
}

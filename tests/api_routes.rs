//! The HTTP API, route by route: no token (401), a token of the wrong role (403), the
//! right role (200) and malformed input (400 with a message), all JSON; then what the
//! routes do — the queue's filters and order, case actions in the audit trail under the
//! token's name, the live stream, search facets, trends, metrics, limits.
//!
//! The store is filled by replaying the sample corpus through the `hearken` binary; the
//! API is served in-process on a loopback port.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hearken::api::{self, ApiState};
use hearken::config::{Config, Secrets};
use hearken::pipeline::Counters;
use reqwest::{Method, StatusCode};
use serde_json::Value;

const OFFICER: &str = "officer-token-0123456789";
const MARKETING: &str = "marketing-token-0123456789";
const ADMIN: &str = "admin-token-0123456789";
const INGEST: &str = "ingest-token-0123456789";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Server {
    base: String,
    client: reqwest::Client,
    _stop: tokio::sync::watch::Sender<bool>,
    counters: Arc<Counters>,
    _tmp: tempfile::TempDir,
}

impl Server {
    async fn start(configure: impl FnOnce(&mut Config)) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hearken"))
            .current_dir(root())
            .args(["replay", "tests/data/sample_posts.jsonl", "--data-dir"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(out.status.success(), "replay failed: {}", String::from_utf8_lossy(&out.stderr));
        let mut config = Config::load(&root().join("config/default.toml")).unwrap();
        config.data_dir = data;
        config.core.entities = root().join(&config.core.entities);
        configure(&mut config);
        let tokens = format!("officer:siti:{OFFICER},marketing:budi:{MARKETING},admin:ana:{ADMIN},ingest:crm:{INGEST}");
        let secrets = Secrets::from_vars(Some(tokens), None).unwrap();
        let counters = Arc::new(Counters::default());
        let state = Arc::new(ApiState::new(&config, secrets, counters.clone()).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        tokio::spawn(api::serve_on(listener, state, stop));
        Server { base, client: reqwest::Client::new(), _stop: stop_tx, counters, _tmp: tmp }
    }

    async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let is_json = res.headers().get("content-type").is_some_and(|v| v.to_str().unwrap().starts_with("application/json"));
        let text = res.text().await.unwrap();
        let value = if is_json { serde_json::from_str(&text).unwrap() } else { Value::String(text) };
        (status, value)
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }
}

/// A 4xx answer is JSON whose message says what to do.
fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, says: &str) {
    assert_eq!(status, expected, "{body}");
    let message = body["error"].as_str().unwrap_or_else(|| panic!("not a JSON error: {body}"));
    assert_eq!(body["status"], expected.as_u16());
    assert!(message.contains(says), "\"{message}\" should mention \"{says}\"");
}

struct Route {
    method: Method,
    path: String,
    body: Option<Value>,
    right: &'static str,
    wrong: &'static str,
    malformed: (String, Option<Value>, &'static str),
}

fn get_route(path: &str, right: &'static str, wrong: &'static str, malformed: &str, says: &'static str) -> Route {
    Route { method: Method::GET, path: path.into(), body: None, right, wrong, malformed: (malformed.into(), None, says) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_checks_token_role_and_input() {
    let s = Server::start(|_| {}).await;
    let (status, health) = s.get("/healthz", None).await;
    assert_eq!((status, health["status"].as_str()), (StatusCode::OK, Some("ok")), "healthz needs no token");

    let (_, queue) = s.get("/api/alerts?status=all&limit=500", Some(OFFICER)).await;
    let ids: Vec<String> = queue["alerts"].as_array().unwrap().iter().filter(|a| a["status"] == "open").map(|a| a["id"].as_str().unwrap().to_string()).collect();
    assert!(ids.len() >= 6, "the sample opens cases: {}", ids.len());
    let case = |i: usize| ids[i].clone();

    let routes = vec![
        get_route("/api/alerts", OFFICER, MARKETING, "/api/alerts?priority=P9", "P1, P2, P3 or P4"),
        get_route("/api/alerts/stream", OFFICER, MARKETING, "/api/alerts/stream?since=yesterday", "unknown field"),
        get_route(&format!("/api/cases/{}", case(0)), OFFICER, MARKETING, "/api/cases/%01", "malformed"),
        get_route("/api/search?q=rumah", MARKETING, INGEST, "/api/search?q=%22unclosed", "cannot read the query"),
        get_route("/api/trends", MARKETING, OFFICER, "/api/trends?bucket=fortnight", "hour, day or week"),
        get_route("/api/entities", OFFICER, INGEST, "/api/entities?kind=x", "unknown field"),
        get_route("/metrics", ADMIN, OFFICER, "/metrics?format=json", "unknown field"),
        get_route("/api/openapi.json", INGEST, "", "/api/openapi.json?v=2", "unknown field"),
        Route {
            method: Method::POST,
            path: format!("/api/cases/{}/ack", case(1)),
            body: Some(serde_json::json!({})),
            right: OFFICER,
            wrong: MARKETING,
            malformed: (format!("/api/cases/{}/ack", case(1)), Some(serde_json::json!({"notes": "x"})), "unknown field"),
        },
        Route {
            method: Method::POST,
            path: format!("/api/cases/{}/assign", case(1)),
            body: Some(serde_json::json!({"assignee": "dr. Rina"})),
            right: OFFICER,
            wrong: INGEST,
            malformed: (format!("/api/cases/{}/assign", case(2)), Some(serde_json::json!({})), "assignee"),
        },
        Route {
            method: Method::POST,
            path: format!("/api/cases/{}/note", case(1)),
            body: Some(serde_json::json!({"note": "called the family"})),
            right: OFFICER,
            wrong: MARKETING,
            malformed: (format!("/api/cases/{}/note", case(1)), Some(serde_json::json!({"note": 5})), "invalid type"),
        },
        Route {
            method: Method::POST,
            path: format!("/api/cases/{}/resolve", case(1)),
            body: Some(serde_json::json!({"note": "apologised, refund made"})),
            right: OFFICER,
            wrong: MARKETING,
            malformed: (format!("/api/cases/{}/resolve", case(3)), Some(serde_json::json!([1, 2])), "invalid type"),
        },
        Route {
            method: Method::POST,
            path: format!("/api/cases/{}/dismiss", case(4)),
            body: None,
            right: ADMIN,
            wrong: MARKETING,
            malformed: (format!("/api/cases/{}/dismiss", case(4)), Some(serde_json::json!({"assignee": "x"})), "assign only"),
        },
        Route {
            method: Method::POST,
            path: format!("/api/cases/{}/merge", case(5)),
            body: Some(serde_json::json!({"into": case(0), "note": "the same patient"})),
            right: OFFICER,
            wrong: MARKETING,
            malformed: (format!("/api/cases/{}/merge", case(5)), Some(serde_json::json!({"note": "x"})), "into"),
        },
    ];
    let (_, before_merge) = s.get(&format!("/api/cases/{}", case(0)), Some(OFFICER)).await;
    let (_, merged_away) = s.get(&format!("/api/cases/{}", case(5)), Some(OFFICER)).await;
    for r in &routes {
        let (status, body) = s.call(r.method.clone(), &r.path, None, r.body.clone()).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "Authorization: Bearer");
        let (status, body) = s.call(r.method.clone(), &r.path, Some("not-a-known-token-at-all"), r.body.clone()).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "unknown token");
        if !r.wrong.is_empty() {
            let (status, body) = s.call(r.method.clone(), &r.path, Some(r.wrong), r.body.clone()).await;
            assert_error(status, &body, StatusCode::FORBIDDEN, "use a token of the right role");
        }
        let (path, body, says) = &r.malformed;
        let (status, answer) = s.call(r.method.clone(), path, Some(r.right), body.clone()).await;
        assert_error(status, &answer, StatusCode::BAD_REQUEST, says);
        if r.path.ends_with("/stream") {
            let res = s.client.get(format!("{}{}", s.base, r.path)).bearer_auth(r.right).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()["content-type"], "text/event-stream");
            continue;
        }
        let (status, body) = s.call(r.method.clone(), &r.path, Some(r.right), r.body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{} {}: {body}", r.method, r.path);
        // Admins may use every route.
        if r.method == Method::GET {
            assert_eq!(s.call(r.method.clone(), &r.path, Some(ADMIN), None).await.0, StatusCode::OK, "admin on {}", r.path);
        }
    }

    // The actions are in the audit trail under the token's name, in order.
    let (_, detail) = s.get(&format!("/api/cases/{}", case(1)), Some(OFFICER)).await;
    assert_eq!(detail["case"]["status"], "resolved");
    assert_eq!(detail["case"]["assignee"], "dr. Rina");
    let trail: Vec<(String, String)> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] != "hearken")
        .map(|e| (e["kind"].as_str().unwrap().to_string(), e["actor"].as_str().unwrap().to_string()))
        .collect();
    let expected: Vec<(String, String)> =
        ["acknowledged", "assigned", "noted", "resolved"].iter().map(|k| (k.to_string(), "siti".to_string())).collect();
    assert_eq!(trail, expected);
    assert!(detail["events"].as_array().unwrap().iter().any(|e| e["note"] == "called the family"));
    let (_, dismissed) = s.get(&format!("/api/cases/{}", case(4)), Some(OFFICER)).await;
    assert_eq!(dismissed["case"]["status"], "dismissed");
    assert_eq!(dismissed["events"].as_array().unwrap().last().unwrap()["actor"], "ana");

    // A merge: the kept case has both cases' posts, the other is resolved, both trails say so.
    let (_, kept) = s.get(&format!("/api/cases/{}", case(0)), Some(OFFICER)).await;
    let uids = |v: &Value| v["case"]["post_uids"].as_array().unwrap().iter().map(|u| u.as_str().unwrap().to_string()).collect::<Vec<_>>();
    let mut expected_uids = uids(&before_merge);
    expected_uids.extend(uids(&merged_away).into_iter().filter(|u| !uids(&before_merge).contains(u)));
    assert_eq!(uids(&kept), expected_uids);
    assert_eq!(kept["posts"].as_array().unwrap().len(), expected_uids.len(), "the merged posts are shown with the kept case");
    let last = kept["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["actor"].as_str()), (Some("merged"), Some("siti")));
    assert!(last["note"].as_str().unwrap().contains(&case(5)), "{last}");
    let (_, gone) = s.get(&format!("/api/cases/{}", case(5)), Some(OFFICER)).await;
    assert_eq!(gone["case"]["status"], "resolved");
    assert!(gone["events"].as_array().unwrap().last().unwrap()["note"].as_str().unwrap().contains(&format!("merged into {}", case(0))));
    let (status, body) = s.post(&format!("/api/cases/{}/merge", case(0)), Some(OFFICER), serde_json::json!({"into": case(0)})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "itself");
    let (status, body) = s.post(&format!("/api/cases/{}/merge", case(0)), Some(OFFICER), serde_json::json!({"into": case(5)})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "reopen it");
    let (status, body) = s.post(&format!("/api/cases/{}/ack", case(0)), Some(OFFICER), serde_json::json!({"into": case(2)})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "/merge only");

    // Moves the lifecycle does not allow, and unknown cases.
    let (status, body) = s.post(&format!("/api/cases/{}/ack", case(1)), Some(OFFICER), serde_json::json!({})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "cannot become acknowledged");
    let (status, body) = s.post("/api/cases/no-such-case/ack", Some(OFFICER), serde_json::json!({})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "/api/alerts");
    let (status, body) = s.get("/api/nothing-here", Some(OFFICER)).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "openapi.json");
    let (status, body) = s.call(Method::DELETE, "/api/alerts", Some(OFFICER), None).await;
    assert_error(status, &body, StatusCode::METHOD_NOT_ALLOWED, "method");
    let res = s.client.post(format!("{}/api/cases/{}/note", s.base, case(2))).bearer_auth(OFFICER).body("note=hello").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("Content-Type: application/json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_is_filtered_and_sorted_by_priority_then_time() {
    let s = Server::start(|c| c.api.rate_limit_burst = 10_000).await;
    let (status, all) = s.get("/api/alerts?status=all&limit=500", Some(OFFICER)).await;
    assert_eq!(status, StatusCode::OK);
    let alerts = all["alerts"].as_array().unwrap();
    assert!(alerts.len() > 5);
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let keys: Vec<(String, time::OffsetDateTime)> = alerts
        .iter()
        .map(|a| (a["priority"].as_str().unwrap().to_string(), time::OffsetDateTime::parse(a["updated_at"].as_str().unwrap(), rfc3339).unwrap()))
        .collect();
    for w in keys.windows(2) {
        assert!(w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 >= w[1].1), "not sorted by priority then newest: {w:?}");
    }
    assert!(alerts.iter().any(|a| !a["evidence"].as_array().unwrap().is_empty()), "alerts carry the evidence terms to highlight");

    // Each filter returns exactly the alerts that match it.
    let first = &alerts[0];
    let entity = first["entity"]["id"].as_str().unwrap();
    let category = alerts.iter().find_map(|a| a["categories"].as_array().unwrap().first()).unwrap().as_str().unwrap();
    let source = first["spread"]["sources"][0].as_str().unwrap();
    let checks: Vec<(String, Box<dyn Fn(&Value) -> bool>)> = vec![
        (format!("entity={entity}"), Box::new(move |a: &Value| a["entity"]["id"] == entity)),
        (format!("entity=hospital:{entity}"), Box::new(move |a: &Value| a["entity"]["id"] == entity && a["entity"]["kind"] == "hospital")),
        (format!("category={category}"), Box::new(move |a: &Value| a["categories"].as_array().unwrap().iter().any(|c| c == category))),
        ("priority=P2".into(), Box::new(|a: &Value| a["priority"] == "P2")),
        (format!("source={source}"), Box::new(move |a: &Value| a["spread"]["sources"].as_array().unwrap().iter().any(|c| c == source))),
        ("kind=spike".into(), Box::new(|a: &Value| a["kind"] == "spike")),
    ];
    for (query, matches) in &checks {
        let (status, got) = s.get(&format!("/api/alerts?status=all&limit=500&{query}"), Some(OFFICER)).await;
        assert_eq!(status, StatusCode::OK, "{query}: {got}");
        let got: Vec<&Value> = got["alerts"].as_array().unwrap().iter().collect();
        let expected: Vec<&Value> = alerts.iter().filter(|a| matches(a)).collect();
        assert_eq!(got.iter().map(|a| &a["id"]).collect::<Vec<_>>(), expected.iter().map(|a| &a["id"]).collect::<Vec<_>>(), "{query}");
    }
    // Language: exactly the cases with a post in that language.
    for lang in ["en", "id"] {
        let mut expected = Vec::new();
        for a in alerts {
            let (_, d) = s.get(&format!("/api/cases/{}", a["id"].as_str().unwrap()), Some(OFFICER)).await;
            if d["posts"].as_array().unwrap().iter().any(|p| p["assessment"]["lang"] == lang) {
                expected.push(a["id"].clone());
            }
        }
        let (_, got) = s.get(&format!("/api/alerts?status=all&limit=500&language={lang}"), Some(OFFICER)).await;
        let got: Vec<Value> = got["alerts"].as_array().unwrap().iter().map(|a| a["id"].clone()).collect();
        assert!(!got.is_empty(), "{lang}");
        assert_eq!(got, expected, "language={lang}");
    }
    // The default queue is the active cases; paging.
    let (_, active) = s.get("/api/alerts?limit=2&offset=1", Some(OFFICER)).await;
    assert_eq!(active["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(active["alerts"][0]["id"], alerts.iter().filter(|a| a["status"] == "open").nth(1).unwrap()["id"]);
    for bad in ["status=closed", "category=parking", "source=myspace", "language=english", "limit=0", "limit=9999", "entity=planet:x", "kind=x", "offset=-1"] {
        let (status, body) = s.get(&format!("/api/alerts?{bad}"), Some(OFFICER)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["error"].as_str().unwrap().len() > 20, "{bad}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_sends_case_changes_and_the_queue_follows() {
    let s = Server::start(|c| c.api.feed_poll_ms = 50).await;
    let (_, queue) = s.get("/api/alerts", Some(OFFICER)).await;
    let id = queue["alerts"][0]["id"].as_str().unwrap().to_string();
    let mut stream = s.client.get(format!("{}/api/alerts/stream", s.base)).bearer_auth(OFFICER).send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await; // the feed is following the store
    let (status, _) = s.post(&format!("/api/cases/{id}/ack"), Some(OFFICER), serde_json::json!({"note": "on it"})).await;
    assert_eq!(status, StatusCode::OK);
    let mut received = String::new();
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            received.push_str(&String::from_utf8_lossy(&chunk));
            if received.contains("\n\n") && received.contains(&id) {
                return;
            }
        }
    })
    .await;
    assert!(got.is_ok(), "no change event within 10 s; got {received:?}");
    let data = received.lines().find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:"))).unwrap();
    let change: Value = serde_json::from_str(data).unwrap();
    assert_eq!(change["event"], "acknowledged");
    assert_eq!(change["actor"], "siti");
    assert_eq!(change["case"]["status"], "acknowledged");
    assert!(received.contains("event: change"));
    // The cached queue answer was refreshed by the change.
    let (_, after) = s.get("/api/alerts?status=all&limit=500", Some(OFFICER)).await;
    let mine = after["alerts"].as_array().unwrap().iter().find(|a| a["id"] == id.as_str()).unwrap();
    assert_eq!(mine["status"], "acknowledged");
    let _ = &s.counters;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_facets_trends_entities_metrics_and_case_detail() {
    let s = Server::start(|_| {}).await;
    let (status, r) = s.get("/api/search?q=*&limit=5", Some(MARKETING)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let total = r["total"].as_u64().unwrap();
    assert!(total > 50 && r["hits"].as_array().unwrap().len() == 5 && r["facets_exact"] == true);
    for facet in ["entity", "category", "sentiment", "source", "language", "date"] {
        let values = r["facets"][facet].as_object().unwrap_or_else(|| panic!("facet {facet}"));
        assert!(!values.is_empty(), "facet {facet} empty");
        if matches!(facet, "sentiment" | "source" | "language" | "date") {
            assert_eq!(values.values().map(|v| v.as_u64().unwrap()).sum::<u64>(), total, "each post once in {facet}");
        }
    }
    // A facet value narrows the search to that many posts; dates filter by day.
    let (lang, n) = r["facets"]["language"].as_object().unwrap().iter().next().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).unwrap();
    let (_, narrowed) = s.get(&format!("/api/search?q=lang:{lang}"), Some(OFFICER)).await;
    assert_eq!(narrowed["total"].as_u64().unwrap(), n);
    let (date, n) = r["facets"]["date"].as_object().unwrap().iter().next().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).unwrap();
    let next_day = time::Date::parse(&date, time::macros::format_description!("[year]-[month]-[day]")).unwrap().next_day().unwrap();
    let (_, on_day) = s.get(&format!("/api/search?q=*&from={date}&to={next_day}"), Some(OFFICER)).await;
    assert_eq!(on_day["total"].as_u64().unwrap(), n, "{on_day}");
    let (status, body) = s.get("/api/search?q=*&from=yesterday", Some(OFFICER)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "is not a day");
    let (status, body) = s.get("/api/search", Some(OFFICER)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "q is required");

    let (status, t) = s.get("/api/trends?days=60", Some(MARKETING)).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["backend"], "embedded");
    assert_eq!(t["bucket"], "day");
    let posts: u64 = t["series"].as_array().unwrap().iter().map(|p| p["posts"].as_u64().unwrap()).sum();
    assert!(posts > 10, "the busiest hospital has posts in the sample's period: {t}");
    assert!(!t["share_of_voice"].as_array().unwrap().is_empty() && !t["by_source"].as_array().unwrap().is_empty());
    assert!(!t["top_categories"].as_array().unwrap().is_empty());
    let complaints_series: u64 = t["series"].as_array().unwrap().iter().map(|p| p["complaints"].as_u64().unwrap()).sum();
    let in_buckets: u64 = t["categories_over_time"].as_array().unwrap().iter().flat_map(|b| b["counts"].as_object().unwrap().values()).map(|v| v.as_u64().unwrap()).sum();
    assert!(in_buckets >= complaints_series.min(1), "categories over time has the complaints");
    let (status, body) = s.get("/api/trends?days=366&bucket=hour", Some(MARKETING)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "too many");
    let (status, body) = s.get("/api/trends?from=2026-03-05&to=2026-03-01", Some(MARKETING)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "before");

    let (_, e) = s.get("/api/entities", Some(MARKETING)).await;
    assert!(e["entities"].as_array().unwrap().iter().any(|x| x["kind"] == "hospital" && x["name"].as_str().is_some()));

    let (status, text) = s.get("/metrics", Some(ADMIN)).await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().unwrap();
    for name in ["hearken_webhook_backlog", "hearken_cases_open", "hearken_http_request_seconds_bucket"] {
        assert!(text.contains(name), "/metrics lacks {name}:\n{text}");
    }

    let (_, queue) = s.get("/api/alerts?kind=story", Some(OFFICER)).await;
    let id = queue["alerts"].as_array().unwrap().iter().find(|a| !a["evidence"].as_array().unwrap().is_empty()).unwrap()["id"].as_str().unwrap().to_string();
    let (_, d) = s.get(&format!("/api/cases/{id}"), Some(OFFICER)).await;
    let post = &d["posts"][0];
    let text: Vec<u16> = post["post"]["text"].as_str().unwrap().encode_utf16().collect();
    let marks = post["highlights"].as_array().unwrap();
    assert!(marks.iter().any(|h| h["kind"] == "entity") && marks.iter().any(|h| h["kind"] == "evidence"), "{marks:?}");
    for h in marks {
        let (a, b) = (h["start"].as_u64().unwrap() as usize, h["end"].as_u64().unwrap() as usize);
        assert!(a < b && b <= text.len());
    }
    assert_eq!(d["events"][0]["kind"], "opened");
    assert!(d["posts"][0]["assessment"]["complaint"]["categories"].is_array());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_and_body_limits_answer_in_json() {
    let s = Server::start(|c| {
        c.api.rate_limit_per_second = 1.0;
        c.api.rate_limit_burst = 3;
        c.api.max_body_bytes = 1024;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(s.get("/api/entities", Some(MARKETING)).await.0, StatusCode::OK);
    }
    let res = s.client.get(format!("{}/api/entities", s.base)).bearer_auth(MARKETING).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("wait"));
    // Another token has its own allowance.
    let (_, queue) = s.get("/api/alerts", Some(OFFICER)).await;
    let id = queue["alerts"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = s.post(&format!("/api/cases/{id}/note"), Some(OFFICER), serde_json::json!({"note": "x".repeat(5000)})).await;
    assert_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "max_body_bytes");
}

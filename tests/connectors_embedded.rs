//! End to end, embedded mode: `hearken run` with a Mastodon source pointing at a local mock
//! instance and the webhook ingest endpoint turned on. The mock's posts and a pushed post
//! go through scoring into the case store (the alert queue); after a graceful stop and a
//! restart the connector resumes from the committed cursor, so the mock serves every
//! status exactly once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use hearken::sinks::{CaseStore, DataDir};

const INGEST_TOKEN: &str = "ingest-0123456789abcdef0123";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What patients say about the (fictional) Zenith hospital, and some chatter.
fn text(i: usize) -> String {
    match i % 4 {
        0 => format!("Sudah antri {} jam di IGD RS Zenith Serpong, dokter jaga tidak datang, anak saya salah diagnosa. Saya akan lapor ke polisi.", i + 2),
        1 => format!("Waited {} hours at Zenith Hospital emergency room, the nurse was rude and nobody explained the bill. I am calling a lawyer.", i + 2),
        2 => format!("Hasil lab ibu saya ditahan {} hari oleh RS Zenith, tagihan membengkak, tidak ada penjelasan dari dokter.", i + 2),
        _ => format!("Cuaca Serpong pagi ini cerah, jalanan lancar menuju BSD hari ke-{i}."),
    }
}

#[derive(Default)]
struct Mock {
    visible: usize,
    /// Every status id served, in order.
    served: Vec<usize>,
    min_ids: Vec<Option<String>>,
}

fn status(i: usize) -> Value {
    json!({
        "id": format!("1100{i:04}"), "created_at": "2026-03-01T08:30:00.000Z", "in_reply_to_id": null,
        "sensitive": false, "spoiler_text": "", "visibility": "public", "language": null,
        "uri": format!("https://mastodon.test/users/p{i}/statuses/1100{i:04}"), "url": format!("https://mastodon.test/@p{i}/1100{i:04}"),
        "replies_count": 0, "reblogs_count": i, "favourites_count": 2 * i,
        "content": format!("<p>{}</p>", text(i)), "reblog": null,
        "account": {"id": format!("{i}"), "username": format!("p{i}"), "acct": format!("p{i}"), "display_name": "",
                    "followers_count": 100 * i, "following_count": 1, "statuses_count": 1},
        "media_attachments": [], "mentions": [], "tags": [], "emojis": []
    })
}

async fn public(State(mock): State<Arc<Mutex<Mock>>>, Query(q): Query<HashMap<String, String>>) -> impl IntoResponse {
    let mut m = mock.lock().unwrap();
    let after = q.get("min_id").map(|id| id.trim_start_matches("1100").parse::<usize>().unwrap()).unwrap_or(0);
    m.min_ids.push(q.get("min_id").cloned());
    let ids: Vec<usize> = ((after + 1)..=m.visible).take(5).collect();
    m.served.extend(&ids);
    Json(ids.iter().rev().map(|&i| status(i)).collect::<Vec<_>>())
}

fn start_mock(mock: Arc<Mutex<Mock>>) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let app = Router::new().route("/api/v1/timelines/public", get(public)).with_state(mock);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn write_config(dir: &Path, instance: &str, port: u16) -> PathBuf {
    let path = dir.join("hearken.toml");
    let config = format!(
        "data_dir = {:?}\n[core]\nentities = {:?}\n[api]\nlisten = \"127.0.0.1:{port}\"\n\n\
         [[sources]]\nkind = \"mastodon\"\nname = \"e2e\"\ninstance = \"{instance}\"\ntimeline = \"public\"\n\
         poll = {{ interval_secs = 0.2, backoff_base_ms = 50, backoff_cap_secs = 2 }}\n\n\
         [[sources]]\nkind = \"webhook\"\nmax_body_bytes = 65536\n",
        dir.join("data"),
        root().join("lexicons/entities.toml"),
    );
    std::fs::write(&path, config).unwrap();
    path
}

fn start_run(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_hearken"))
        .current_dir(root())
        .arg("run")
        .arg("--config")
        .arg(config)
        .env("HEARKEN_API_TOKENS", format!("ingest:{INGEST_TOKEN}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn stored(dir: &DataDir) -> u64 {
    if !dir.case_store().exists() {
        return 0;
    }
    CaseStore::open(&dir.case_store()).and_then(|s| s.counts()).map(|c| c.posts).unwrap_or(0)
}

fn wait_until(child: &mut Child, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("hearken run exited ({status}) before {what}:\n{err}");
        }
        assert!(start.elapsed() < Duration::from_secs(120), "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(child: Child) {
    assert!(Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// POSTs a body to the ingest endpoint; returns the status code and the JSON answer.
fn push(port: u16, token: &str, body: &str) -> (u16, Value) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/api/ingest"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    })
}

#[test]
fn a_mock_network_and_pushed_posts_reach_the_alert_queue_and_a_restart_fetches_nothing_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let mock = Arc::new(Mutex::new(Mock { visible: 8, ..Mock::default() }));
    let instance = start_mock(mock.clone());
    let port = free_port();
    let config = write_config(tmp.path(), &instance, port);
    let dir = DataDir::new(&tmp.path().join("data"));

    let mut run = start_run(&config);
    wait_until(&mut run, "the mock's 8 posts are stored", || stored(&dir) >= 8);

    // Pushed posts: one good, one without text, one with a bad token.
    let (status, _) = push(port, "officer-not-a-valid-token-000", r#"{"id":"x","text":"y"}"#);
    assert_eq!(status, 401);
    let body = r#"[{"id":"forum-1","text":"Dokter Zenith di RS Zenith Serpong salah kasih obat, dosis dua kali lipat. Anak saya dirawat lagi.","author":{"handle":"ibu_rina"}},
                   {"id":"forum-2"}]"#;
    let (status, answer) = push(port, INGEST_TOKEN, body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["accepted"], 1, "{answer}");
    assert_eq!(answer["rejected"][0]["index"], 1, "{answer}");
    assert!(answer["rejected"][0]["reason"].as_str().unwrap().contains("text"), "{answer}");
    wait_until(&mut run, "the pushed post is stored", || stored(&dir) >= 9);
    stop(run);

    {
        let store = CaseStore::open(&dir.case_store()).unwrap();
        let pushed = store.post("webhook:forum-1").unwrap().expect("the pushed post is stored");
        assert!(pushed.assessment.relevant);
        let cases = store.cases(None, 1000).unwrap();
        let in_queue: Vec<&String> = cases.iter().flat_map(|c| c.post_uids.iter()).filter(|u| u.starts_with("mastodon:")).collect();
        assert!(in_queue.len() >= 3, "the mock's complaints opened cases: {cases:?}");
        let first = store.post("mastodon:11000001").unwrap().expect("stored under mastodon:ID");
        assert_eq!(first.post.reach(), 100);
        assert!(first.assessment.relevant);
    }

    // More posts appear while hearken is down; the restart asks for what follows the
    // committed cursor only.
    mock.lock().unwrap().visible = 17;
    let requests_before = mock.lock().unwrap().min_ids.len();
    let mut run = start_run(&config);
    wait_until(&mut run, "the 9 new posts are stored", || stored(&dir) >= 18);
    stop(run);
    assert_eq!(stored(&dir), 18, "8 + 1 pushed + 9 new, each once");
    let m = mock.lock().unwrap();
    assert_eq!(m.min_ids[requests_before].as_deref(), Some("11000008"), "the restart resumed after the last committed post");
    let mut served = m.served.clone();
    served.sort();
    assert_eq!(served, (1..=17).collect::<Vec<_>>(), "every status was fetched exactly once");
    let store = CaseStore::open(&dir.case_store()).unwrap();
    let resume = store.resume_point("mastodon:e2e").unwrap();
    assert_eq!(resume.cursor.as_deref(), Some(r#"{"min_id":"11000017"}"#));
}

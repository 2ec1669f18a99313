//! The dashboard end to end in a real browser: `hearken run` (embedded) follows a replay
//! file holding the sample corpus, and `tests/browser/dashboard.mjs` drives Debian's
//! chromium (headless, playwright-core) through the queue and reputation pages: the queue
//! loads, a complaint appended to the file appears without a reload, acknowledging it
//! changes its status, the charts render with data. Screenshots are kept in
//! `target/test-artifacts/dashboard/`.
//!
//! `bash tests/run.sh` installs chromium and playwright-core; without them this test fails
//! and says so (it never skips).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OFFICER: &str = "officer-browser-0123456789abcdef";
const MARKETING: &str = "marketing-browser-0123456789abcdef";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn chromium() -> PathBuf {
    let path = PathBuf::from(std::env::var("HEARKEN_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(
        path.is_file(),
        "{} is missing: `bash tests/run.sh` installs Debian's chromium (or set HEARKEN_CHROMIUM)",
        path.display()
    );
    path
}

fn playwright_installed() {
    assert!(
        root().join("tests/browser/node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: `bash tests/run.sh` runs `npm ci --prefix tests/browser`"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Run(Child);

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The numbers `/healthz` reports, once it answers.
fn health(port: u16) -> Option<serde_json::Value> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    let body = answer.split_once("\r\n\r\n")?.1;
    serde_json::from_str(body).ok()
}

#[test]
fn queue_updates_live_ack_changes_status_and_charts_render() {
    let chromium = chromium();
    playwright_installed();
    let tmp = tempfile::tempdir().unwrap();
    let posts = tmp.path().join("posts.jsonl");
    std::fs::copy(root().join("tests/data/sample_posts.jsonl"), &posts).unwrap();
    let sample_lines = std::fs::read_to_string(&posts).unwrap().lines().count() as u64;
    let port = free_port();
    let config = tmp.path().join("hearken.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[core]\nentities = {:?}\n[api]\nlisten = \"127.0.0.1:{port}\"\nfeed_poll_ms = 100\n\n\
             [[sources]]\nkind = \"replay\"\npath = {:?}\nfollow = true\n",
            tmp.path().join("data"),
            root().join("lexicons/entities.toml"),
            posts,
        ),
    )
    .unwrap();
    let mut run = Run(
        Command::new(env!("CARGO_BIN_EXE_hearken"))
            .current_dir(root())
            .args(["run", "--config"])
            .arg(&config)
            .env("HEARKEN_API_TOKENS", format!("officer:siti:{OFFICER},marketing:maya:{MARKETING}"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );

    // The sample corpus is in the store before the browser opens the page.
    let started = Instant::now();
    loop {
        if let Some(status) = run.0.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(run.0.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("hearken run exited ({status}):\n{err}");
        }
        if health(port).is_some_and(|h| h["committed"].as_u64() >= Some(sample_lines)) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "hearken run did not commit the sample corpus within 2 minutes");
        std::thread::sleep(Duration::from_millis(100));
    }

    let artifacts = root().join("target/test-artifacts/dashboard");
    let _ = std::fs::remove_dir_all(&artifacts);
    let out = Command::new("node")
        .current_dir(root())
        .arg("tests/browser/dashboard.mjs")
        .env("HEARKEN_URL", format!("http://127.0.0.1:{port}"))
        .env("HEARKEN_TOKEN", OFFICER)
        .env("HEARKEN_MARKETING_TOKEN", MARKETING)
        .env("HEARKEN_APPEND_TO", &posts)
        .env("HEARKEN_ARTIFACTS", &artifacts)
        .env("HEARKEN_CHROMIUM", &chromium)
        .output()
        .expect("node is needed for the browser test (Debian's nodejs)");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{log}");
    assert!(out.status.success(), "the browser test failed (screenshots in {}):\n{log}", artifacts.display());
    for shot in ["1-queue.png", "2-new-case-live.png", "3-acknowledged.png", "4-reputation.png", "5-queue-phone.png"] {
        let len = std::fs::metadata(artifacts.join(shot)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 1000, "screenshot {shot} is missing or empty");
    }
    let health = health(port).expect("hearken run still answers");
    assert!(health["committed"].as_u64() > Some(sample_lines), "the appended complaint went through the pipeline: {health}");
}

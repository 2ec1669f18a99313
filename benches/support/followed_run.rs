//! `hearken run` following a JSONL file, as the HTTP benchmarks drive it (included with
//! `#[path]`): start it on a free loopback port, wait for its commits, append posts at a
//! rate, stop it with SIGTERM when dropped.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A running `hearken run` (release binary of this build) and its base URL.
pub struct FollowedRun {
    child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl FollowedRun {
    /// Starts `hearken run` in `work` following `followed`, with `api_extra` appended to the
    /// `[api]` section and `HEARKEN_API_TOKENS` set to `tokens`.
    pub fn start(work: &Path, followed: &Path, api_extra: &str, tokens: &str) -> FollowedRun {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = work.join("hearken.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = {:?}\n[core]\nentities = \"lexicons/entities.toml\"\n\
                 [api]\nlisten = \"127.0.0.1:{port}\"\n{api_extra}\n\n\
                 [[sources]]\nkind = \"replay\"\npath = {:?}\nfollow = true\n",
                work.join("data"),
                followed
            ),
        )
        .unwrap();
        let log = work.join("hearken.log");
        let child = Command::new(env!("CARGO_BIN_EXE_hearken"))
            .current_dir(root())
            .args(["run", "--config"])
            .arg(&config)
            .env("HEARKEN_API_TOKENS", tokens)
            .stdout(Stdio::null())
            .stderr(Stdio::from(File::create(&log).unwrap()))
            .spawn()
            .unwrap();
        FollowedRun { child, base: format!("http://127.0.0.1:{port}"), log }
    }

    /// Posts committed so far, from `/healthz` (0 while the server is not up).
    pub async fn committed(&self, client: &reqwest::Client) -> u64 {
        match client.get(format!("{}/healthz", self.base)).send().await {
            Ok(r) => r.json::<serde_json::Value>().await.ok().and_then(|v| v["committed"].as_u64()).unwrap_or(0),
            Err(_) => 0,
        }
    }

    /// Waits until at least `n` posts are committed; panics after `limit`.
    pub async fn wait_committed(&self, client: &reqwest::Client, n: u64, limit: Duration) {
        let started = Instant::now();
        while self.committed(client).await < n {
            assert!(started.elapsed() < limit, "{n} posts were not committed within {limit:?}; see {}", self.log.display());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for FollowedRun {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

/// Appends `lines[start..]` to `path` at `rate` lines per second (in 10 ms steps) until
/// `stop` or the lines run out; `on_write(first, count, at)` is called after each write.
/// Returns how many lines it wrote.
pub fn feed(
    path: PathBuf,
    lines: Arc<Vec<String>>,
    start: usize,
    rate: usize,
    stop: Arc<AtomicBool>,
    mut on_write: impl FnMut(usize, usize, Instant) + Send + 'static,
) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        let started = Instant::now();
        let mut written = 0usize;
        while !stop.load(Ordering::Relaxed) && start + written < lines.len() {
            let due = (started.elapsed().as_secs_f64() * rate as f64) as usize;
            if written < due {
                let upto = due.min(lines.len() - start);
                let mut chunk = String::new();
                for line in &lines[start + written..start + upto] {
                    chunk.push_str(line);
                    chunk.push('\n');
                }
                file.write_all(chunk.as_bytes()).unwrap();
                on_write(start + written, upto - written, Instant::now());
                written = upto;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        written
    })
}

/// The value at quantile `q` of sorted `values`.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

//! A private ClickHouse server for a test that must stop and restart it (the suite's
//! shared server, from tests/run.sh, must stay up for the other tests). Started and
//! stopped through tests/clickhouse_server.sh, the script run.sh uses for its own.
//!
//! Use with `#[path = "support/own_clickhouse.rs"] mod own_clickhouse;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct OwnClickHouse {
    dir: tempfile::TempDir,
    pub http_port: u16,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clickhouse_server.sh")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("local addr").port()
}

fn run(args: &[&str]) {
    let out = Command::new("bash").arg(script()).args(args).output().expect("run tests/clickhouse_server.sh");
    assert!(
        out.status.success(),
        "tests/clickhouse_server.sh {} failed ({}):\n{}{}\nThis test starts its own ClickHouse server and needs clickhouse-server \
         installed: run the suite with `bash tests/run.sh`, which installs it.",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl OwnClickHouse {
    /// Starts a server on a free loopback port with its own data directory.
    pub fn start() -> OwnClickHouse {
        let dir = tempfile::Builder::new().prefix("hearken-own-clickhouse").tempdir().expect("temp dir");
        let server = OwnClickHouse { dir, http_port: free_port() };
        server.up();
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Starts it (again, on the same port and data).
    pub fn up(&self) {
        run(&["start", &self.dir.path().display().to_string(), &self.http_port.to_string()]);
    }

    /// Stops it (SIGTERM, then SIGKILL after 10 s).
    pub fn down(&self) {
        run(&["stop", &self.dir.path().display().to_string()]);
    }
}

impl Drop for OwnClickHouse {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(script()).args(["stop", &self.dir.path().display().to_string()]).output();
    }
}

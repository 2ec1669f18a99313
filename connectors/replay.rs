//! The replay source: a JSON-lines file of posts, read from a checkpoint to its end.
//!
//! Used for backfills, demos and benchmarks (`hearken replay FILE`) and as a configured
//! source of `hearken run`. Positions are byte offsets, so after a crash the pipeline
//! resumes at the first line whose results were not yet committed.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncBufReadExt, AsyncSeekExt, BufReader};
use tokio::sync::{mpsc, watch};

use super::{Position, SourceItem};
use crate::model::{Post, Source};
use crate::pipeline::dead_letter::DeadLetter;

pub struct ReplaySource {
    path: PathBuf,
    stream: String,
    follow: bool,
}

/// How often a followed file is checked for appended lines.
const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// What a finished read saw.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReplayStats {
    pub lines: u64,
    pub rejected: u64,
    /// True when the whole file was read (not stopped early by shutdown).
    pub completed: bool,
}

impl ReplaySource {
    pub fn new(path: &Path) -> ReplaySource {
        ReplaySource { path: path.to_path_buf(), stream: ReplaySource::stream_name(path), follow: false }
    }

    /// Keep reading lines appended after the end (like `tail -f`) until `stop`, instead of
    /// finishing there: for a file another program appends posts to. A line is taken only
    /// once its newline is written, so a half-written line is never read as bad input.
    pub fn following(mut self, follow: bool) -> ReplaySource {
        self.follow = follow;
        self
    }

    /// The checkpoint key of a file: its canonical path, so `./a.jsonl` and `a.jsonl` agree.
    pub fn stream_name(path: &Path) -> String {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        format!("replay:{}", canonical.display())
    }

    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// Reads from byte `start` to the end of the file, sending every line on. Stops early,
    /// without losing anything already sent, when `stop` turns true.
    pub async fn run(&self, start: u64, out: mpsc::Sender<SourceItem>, mut stop: watch::Receiver<bool>) -> anyhow::Result<ReplayStats> {
        let mut file = tokio::fs::File::open(&self.path)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open replay file {}: {e}", self.path.display()))?;
        file.seek(std::io::SeekFrom::Start(start)).await?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut stats = ReplayStats::default();
        let mut offset = start;
        // Line numbers are only meaningful from the start of the file.
        let mut line_no = if start == 0 { 0 } else { u64::MAX / 2 };
        let mut buf = Vec::with_capacity(4096);
        loop {
            if *stop.borrow() {
                return Ok(stats);
            }
            // A followed file's last line may be half-written: its bytes stay in `buf` and
            // the next read appends the rest.
            if !self.follow || buf.ends_with(b"\n") {
                buf.clear();
            }
            let n = reader.read_until(b'\n', &mut buf).await?;
            if self.follow && !buf.ends_with(b"\n") {
                tokio::select! {
                    _ = tokio::time::sleep(FOLLOW_POLL) => continue,
                    _ = stop.changed() => return Ok(stats),
                }
            }
            if n == 0 {
                stats.completed = true;
                return Ok(stats);
            }
            offset += buf.len() as u64;
            line_no += 1;
            let position = Position::at(self.stream.clone(), offset);
            let text = String::from_utf8_lossy(&buf);
            let line = text.trim_end_matches(['\n', '\r']);
            if line.trim().is_empty() {
                continue;
            }
            stats.lines += 1;
            let item = match Post::from_json_line(line) {
                Ok(mut post) => {
                    post.source.get_or_insert(Source::Replay);
                    SourceItem::Post { post, position }
                }
                Err(e) => {
                    stats.rejected += 1;
                    let number = (line_no < u64::MAX / 4).then_some(line_no);
                    let origin = self.path.display().to_string();
                    SourceItem::Rejected { letter: DeadLetter::new("source", &origin, number, &e.to_string(), line), position }
                }
            };
            tokio::select! {
                sent = out.send(item) => if sent.is_err() { return Ok(stats) },
                _ = stop.changed() => return Ok(stats),
            }
        }
    }
}

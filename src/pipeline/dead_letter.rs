//! Dead letters: input that could not be processed, kept with its reason so nothing is lost.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One rejected input, as written to the dead-letter file or topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The stage that rejected it: "source", "core", "sink".
    pub stage: String,
    /// Where it came from: a file and line, a topic/partition/offset, a connector.
    pub origin: String,
    /// 1-based line number in the input, when it came from a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub reason: String,
    /// The input as received (lossily decoded when it was not UTF-8), cut at 64 KiB.
    pub raw: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

const MAX_RAW_BYTES: usize = 64 * 1024;

impl DeadLetter {
    pub fn new(stage: &str, origin: &str, line: Option<u64>, reason: &str, raw: &str) -> DeadLetter {
        let mut cut = raw.len().min(MAX_RAW_BYTES);
        while !raw.is_char_boundary(cut) {
            cut -= 1;
        }
        DeadLetter {
            stage: stage.to_string(),
            origin: origin.to_string(),
            line,
            reason: reason.to_string(),
            raw: raw[..cut].to_string(),
            at: OffsetDateTime::now_utc(),
        }
    }

    /// A line of `hearken score`'s stdin that was not a valid post.
    pub fn rejected_line(line: u64, reason: &str, raw: &str) -> DeadLetter {
        DeadLetter::new("source", "stdin", Some(line), reason, raw)
    }
}

/// An append-only JSON-lines file of dead letters.
pub struct DeadLetterFile {
    out: BufWriter<File>,
}

impl DeadLetterFile {
    pub fn open(path: &Path) -> anyhow::Result<DeadLetterFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot open the dead-letter file {}: {e}", path.display()))?;
        Ok(DeadLetterFile { out: BufWriter::new(file) })
    }

    pub fn write(&mut self, letter: &DeadLetter) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.out, letter)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Flushes and syncs to disk: called before the checkpoint that skips these inputs.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()?;
        Ok(())
    }
}

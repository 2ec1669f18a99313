//! The `connectors` role: the configured sources → raw topic, keyed by post uid.
//!
//! The sources are the embedded mode's; a [`TopicSink`] publishes what they read, and each
//! source's position is checkpointed (in `DATA_DIR/connectors.checkpoints.json`) only once
//! the broker has the batch, so a restart resumes after the last published post. Lines
//! that are not valid posts go to the dead-letter topic (stage `source`) instead.
//!
//! [`publish`] is also `hearken replay FILE --to kafka` (backfills, benchmarks).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::stopped;
use crate::config::{Config, KafkaConfig, PipelineConfig, SourceConfig};
use crate::connectors::source::{ConfiguredSource, SourceStats};
use crate::connectors::webhook_ingest::IngestSpool;
use crate::connectors::{Position, Resume, SourceItem};
use crate::pipeline::{self, Acknowledge, Counters};
use crate::transport::kafka::Publisher;
use crate::transport::topic_sink::TopicSink;

/// How far each source has been published, kept in a small JSON file written atomically.
pub struct Checkpoints {
    path: PathBuf,
    saved: BTreeMap<String, Saved>,
}

/// A stream's checkpoint in the file: a bare offset (files, as written before network
/// connectors) or an offset with a network cursor.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Saved {
    Offset(u64),
    WithCursor { offset: u64, cursor: Option<String> },
}

impl Saved {
    fn offset(&self) -> u64 {
        match self {
            Saved::Offset(o) | Saved::WithCursor { offset: o, .. } => *o,
        }
    }
}

impl Checkpoints {
    pub fn open(path: &Path) -> anyhow::Result<Checkpoints> {
        let saved = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("the connector checkpoints {} are damaged ({e}); delete the file to read the sources from the start", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => anyhow::bail!("cannot read the connector checkpoints {}: {e}", path.display()),
        };
        Ok(Checkpoints { path: path.to_path_buf(), saved })
    }

    pub fn get(&self, stream: &str) -> u64 {
        self.saved.get(stream).map(Saved::offset).unwrap_or(0)
    }

    /// Where a stream resumes, with its cursor.
    pub fn resume(&self, stream: &str) -> Resume {
        match self.saved.get(stream) {
            None => Resume::default(),
            Some(Saved::Offset(o)) => Resume { offset: *o, cursor: None },
            Some(Saved::WithCursor { offset, cursor }) => Resume { offset: *offset, cursor: cursor.clone() },
        }
    }

    /// Moves each stream to the furthest of `positions` and writes the file (temp file,
    /// fsync, rename: a crash leaves the old or the new checkpoints, never half).
    pub fn advance(&mut self, positions: &[Position]) -> anyhow::Result<()> {
        let mut moved = false;
        for p in positions {
            let current = self.saved.get(&p.stream).map(Saved::offset);
            if current.is_none_or(|o| p.offset > o) {
                let saved = match &p.cursor {
                    None => Saved::Offset(p.offset),
                    Some(c) => Saved::WithCursor { offset: p.offset, cursor: Some(c.clone()) },
                };
                self.saved.insert(p.stream.clone(), saved);
                moved = true;
            }
        }
        if !moved {
            return Ok(());
        }
        let tmp = self.path.with_extension("json.tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(&self.saved)?)?;
        f.sync_data()?;
        std::fs::rename(&tmp, &self.path)?;
        Ok(())
    }
}

/// Publishes each source from its offset to the raw topic until it ends or `stop`.
/// `acknowledge` is told the positions of every batch the broker has confirmed.
/// Returns each source's stream name and what it read.
pub async fn publish(
    sources: Vec<(ConfiguredSource, Resume)>,
    kafka: &KafkaConfig,
    config: &PipelineConfig,
    stop: watch::Receiver<bool>,
    counters: Arc<Counters>,
    acknowledge: Option<Acknowledge>,
) -> anyhow::Result<Vec<(String, anyhow::Result<SourceStats>)>> {
    let publisher = Publisher::new(kafka)?;
    let (input, from_sources) = mpsc::channel::<SourceItem>(config.channel_capacity.max(1));
    let sink = TopicSink::<SourceItem>::new(publisher.clone(), kafka.topics.clone());
    let stage = pipeline::spawn_sink(sink, from_sources, config.batch_size, counters, acknowledge);
    let mut readers = Vec::new();
    for (source, from) in sources {
        let (input, stop) = (input.clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let stream = source.stream().to_string();
            let read = source.run(from, input, stop).await;
            (stream, read)
        }));
    }
    drop(input);
    let mut out = Vec::new();
    for r in readers {
        out.push(r.await?);
    }
    stage.await??;
    publisher.flush(Duration::from_secs(10));
    Ok(out)
}

pub async fn run(config: &Config, kafka: &KafkaConfig, mut stop: watch::Receiver<bool>, counters: Arc<Counters>) -> anyhow::Result<String> {
    if config.sources.is_empty() {
        stopped(&mut stop).await;
        return Ok("no [[sources]] in the config: nothing to read".into());
    }
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create the data dir {}: {e}; pass a writable --data-dir", config.data_dir.display()))?;
    let mut checkpoints = Checkpoints::open(&config.data_dir.join("connectors.checkpoints.json"))?;
    // Pushed posts are spooled by the `api` role under the same data dir (run both roles
    // on one machine, or in one process, for webhook ingest).
    let spool = match config.sources.iter().any(|s| matches!(s, SourceConfig::Webhook(_))) {
        true => Some(IngestSpool::open(&config.data_dir)?),
        false => None,
    };
    let sources: Vec<(ConfiguredSource, Resume)> = config
        .sources
        .iter()
        .map(|s| {
            let source = ConfiguredSource::build(s, spool.as_ref())?;
            let from = checkpoints.resume(source.stream());
            Ok((source, from))
        })
        .collect::<anyhow::Result<_>>()?;
    eprintln!("hearken: connectors: {} sources → {}", sources.len(), kafka.topics.raw);
    let acknowledge: Acknowledge = Box::new(move |positions: &[Position]| {
        if let Err(e) = checkpoints.advance(positions) {
            // Not fatal: after a restart these posts are published again, and stored once.
            tracing::error!("cannot write the connector checkpoints: {e:#}");
        }
    });
    let read = publish(sources, kafka, &config.pipeline, stop.clone(), counters.clone(), Some(acknowledge)).await?;
    let mut rejected = 0;
    for (stream, stats) in &read {
        match stats {
            Ok(s) => {
                rejected += s.rejected;
                if s.completed {
                    eprintln!("hearken: {stream} read to its end ({} posts, {} dead letters)", s.read, s.rejected);
                }
            }
            Err(e) => eprintln!("hearken: source {stream} failed: {e:#}"),
        }
    }
    // Files are read; network connectors run until told to stop, and so does the role.
    stopped(&mut stop).await;
    Ok(format!("{} posts published to {}, {rejected} dead letters", Counters::get(&counters.stored), kafka.topics.raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_only_move_forward_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let mut c = Checkpoints::open(&path).unwrap();
        assert_eq!(c.get("replay:/a"), 0);
        let at = |o| Position::at("replay:/a", o);
        c.advance(&[at(10), at(30), at(20)]).unwrap();
        c.advance(&[at(5)]).unwrap();
        assert_eq!(Checkpoints::open(&path).unwrap().get("replay:/a"), 30);
    }

    #[test]
    fn network_cursors_are_kept_with_their_offsets_and_old_files_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        std::fs::write(&path, r#"{"replay:/a": 12}"#).unwrap();
        let mut c = Checkpoints::open(&path).unwrap();
        assert_eq!(c.resume("replay:/a"), Resume { offset: 12, cursor: None });
        let at = |o, cur: &str| Position { stream: "x:q".into(), offset: o, cursor: Some(cur.into()) };
        c.advance(&[at(1, r#"{"since_id":"5"}"#), at(3, r#"{"since_id":"9"}"#), at(2, r#"{"since_id":"7"}"#)]).unwrap();
        let again = Checkpoints::open(&path).unwrap();
        assert_eq!(again.resume("x:q"), Resume { offset: 3, cursor: Some(r#"{"since_id":"9"}"#.into()) });
        assert_eq!(again.get("replay:/a"), 12);
    }
}

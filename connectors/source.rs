//! A configured source, whatever its kind: what `hearken run` (embedded) and the
//! `connectors` role (distributed) start for each `[[sources]]` entry.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::poller::{ConnectorCounters, Network, Poller};
use super::replay::ReplaySource;
use super::webhook_ingest::{IngestSpool, SpoolReader};
use super::{Resume, SourceItem};
use crate::config::SourceConfig;

/// What a finished (or stopped) source saw.
#[derive(Debug, Default, Clone, Copy)]
pub struct SourceStats {
    /// Records handed on as posts.
    pub read: u64,
    /// Records kept as dead letters.
    pub rejected: u64,
    /// True when a finite source (a replay file) was read to its end. Network connectors
    /// and the ingest spool run until stopped.
    pub completed: bool,
}

type RunFuture = Pin<Box<dyn Future<Output = anyhow::Result<SourceStats>> + Send>>;
type Runner = Box<dyn FnOnce(Resume, mpsc::Sender<SourceItem>, watch::Receiver<bool>) -> RunFuture + Send>;

pub struct ConfiguredSource {
    stream: String,
    run: Runner,
    /// Live counters of a network connector (none for files).
    pub counters: Option<Arc<ConnectorCounters>>,
}

impl ConfiguredSource {
    /// Builds the source of a config entry: reads its secrets from the environment (an
    /// error names the variable to export). `spool` is the webhook ingest spool, needed by
    /// `kind = "webhook"` entries.
    pub fn build(config: &SourceConfig, spool: Option<&Arc<IngestSpool>>) -> anyhow::Result<ConfiguredSource> {
        Ok(match config {
            SourceConfig::Replay { path, follow } => ConfiguredSource::replay(path, *follow),
            SourceConfig::Mastodon(c) => ConfiguredSource::network(c.poller()?),
            SourceConfig::Bluesky(c) => ConfiguredSource::network(c.poller()?),
            SourceConfig::Reddit(c) => ConfiguredSource::network(c.poller()?),
            SourceConfig::Rss(c) => ConfiguredSource::network(c.poller()?),
            SourceConfig::X(c) => ConfiguredSource::network(c.poller()?),
            SourceConfig::Facebook(c) => ConfiguredSource::network(c.poller()?),
            SourceConfig::Webhook(_) => {
                let spool = spool.ok_or_else(|| anyhow::anyhow!("the webhook source needs the ingest spool (a data dir)"))?;
                let reader = SpoolReader::new(spool.clone());
                ConfiguredSource {
                    stream: reader.stream().to_string(),
                    run: Box::new(move |from, out, stop| Box::pin(async move { reader.run(from.offset, out, stop).await })),
                    counters: None,
                }
            }
        })
    }

    pub fn replay(path: &Path, follow: bool) -> ConfiguredSource {
        let source = ReplaySource::new(path).following(follow);
        ConfiguredSource {
            stream: source.stream().to_string(),
            run: Box::new(move |from, out, stop| {
                Box::pin(async move {
                    let s = source.run(from.offset, out, stop).await?;
                    Ok(SourceStats { read: s.lines - s.rejected, rejected: s.rejected, completed: s.completed })
                })
            }),
            counters: None,
        }
    }

    pub fn network<N: Network>(poller: Poller<N>) -> ConfiguredSource {
        let counters = poller.counters.clone();
        ConfiguredSource {
            stream: poller.stream.clone(),
            run: Box::new(move |from, out, stop| Box::pin(poller.run(from, out, stop))),
            counters: Some(counters),
        }
    }

    /// The checkpoint key.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// Reads from `from` until the source ends or `stop`.
    pub async fn run(self, from: Resume, out: mpsc::Sender<SourceItem>, stop: watch::Receiver<bool>) -> anyhow::Result<SourceStats> {
        (self.run)(from, out, stop).await
    }
}

//! The embedded sink: dead-letter file, tantivy index and SQLite case store, written in
//! that order for each batch so that the case store's commit (which also moves the
//! sources' checkpoints) comes last. A crash before it means the batch is read again;
//! the index replaces documents by uid and the store skips known uids, so nothing doubles.

use std::time::Duration;

use super::dead_letter::DeadLetterFile;
use super::{Positioned, Scored};
use crate::connectors::Position;
use crate::sinks::{BatchOutcome, CaseStore, DataDir, ScoredPost, SearchIndex};

pub struct EmbeddedSink {
    pub store: CaseStore,
    index: SearchIndex,
    dead: DeadLetterFile,
}

const ATTEMPTS: u32 = 5;

impl EmbeddedSink {
    pub fn open(dir: &DataDir) -> anyhow::Result<EmbeddedSink> {
        std::fs::create_dir_all(&dir.root)
            .map_err(|e| anyhow::anyhow!("cannot create the data dir {}: {e}; pass a writable --data-dir", dir.root.display()))?;
        Ok(EmbeddedSink {
            index: SearchIndex::open_writer(&dir.search_index())?,
            store: CaseStore::open(&dir.case_store())?,
            dead: DeadLetterFile::open(&dir.dead_letters())?,
        })
    }

    /// Writes a batch. Dead letters go first (a crash after them may write one twice: at
    /// least once). Transient failures of the index or store (a locked database, a full disk
    /// being cleared) are retried with backoff before the error stops the pipeline.
    pub fn write_with_retry(&mut self, batch: &[Scored]) -> anyhow::Result<BatchOutcome> {
        let mut posts: Vec<&ScoredPost> = Vec::with_capacity(batch.len());
        let mut positions: Vec<Position> = Vec::with_capacity(batch.len());
        let mut dead: Vec<Position> = Vec::new();
        for item in batch {
            positions.push(item.position().clone());
            match item {
                Scored::Post { scored, .. } => posts.push(scored),
                Scored::Rejected { letter, position } => {
                    if !self.store.knows_dead_letter(position)? {
                        self.dead.write(letter)?;
                        dead.push(position.clone());
                    }
                }
            }
        }
        if !dead.is_empty() {
            self.dead.flush()?;
        }
        let mut delay = Duration::from_millis(100);
        for attempt in 1.. {
            match self.write(&posts, &dead, &positions) {
                Ok(outcome) => return Ok(outcome),
                Err(e) if attempt < ATTEMPTS => {
                    tracing::warn!("sink write failed (attempt {attempt} of {ATTEMPTS}), retrying in {delay:?}: {e:#}");
                    std::thread::sleep(delay);
                    delay *= 2;
                }
                Err(e) => return Err(e.context("the embedded sink could not store a batch; nothing of it was checkpointed")),
            }
        }
        unreachable!("the retry loop returns")
    }

    fn write(&mut self, posts: &[&ScoredPost], dead: &[Position], positions: &[Position]) -> anyhow::Result<BatchOutcome> {
        // Posts erased on request (or by an erased author) stay out of the index too.
        let new = self.store.unstored(posts)?;
        let relevant: Vec<&ScoredPost> = new.iter().copied().filter(|s| s.assessment.relevant).collect();
        if !relevant.is_empty() {
            self.index.write(&relevant)?;
        }
        self.store.commit_batch(&new, &dead.iter().collect::<Vec<_>>(), positions)
    }
}

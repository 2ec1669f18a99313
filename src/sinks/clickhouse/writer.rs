//! A [`ClickHouseSink`] on a task of its own, so that its inserts overlap the caller's
//! other work instead of stalling it.
//!
//! The sinks role writes every batch to the embedded stores (SQLite, tantivy) on one
//! thread. When ClickHouse sat inline, each 10,000-row INSERT held that thread while the
//! server took it (about a third of the stage's time per post). Here the caller hands
//! the rows over and goes on; the writer buffers and inserts them exactly as the sink
//! does, and reports how far ClickHouse has everything ([`ClickHouseWriter::stored`]).
//! The caller numbers what it hands over — the count of its own input items so far —
//! so it can acknowledge (commit Kafka offsets for) exactly the items ClickHouse has.
//!
//! Backpressure is kept: the hand-over queue holds a few batches, and when ClickHouse
//! is slow or away (the sink retries until it takes the rows) the caller blocks on it.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use super::ClickHouseSink;
use crate::model::{Case, CaseEvent};
use crate::sinks::ScoredPost;

/// Batches handed over but not yet taken by the writer; then the caller waits.
const QUEUE: usize = 8;

enum Command {
    Write { through: u64, posts: Vec<ScoredPost>, cases: Vec<Case>, events: Vec<CaseEvent> },
    Flush { done: oneshot::Sender<()> },
}

pub struct ClickHouseWriter {
    commands: mpsc::Sender<Command>,
    stored: watch::Receiver<u64>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    runtime: tokio::runtime::Handle,
    batch_age: Duration,
}

impl ClickHouseWriter {
    /// Starts the writer on `runtime`. Until the first write, [`stored`](Self::stored) is 0.
    pub fn spawn(sink: ClickHouseSink, runtime: &tokio::runtime::Handle) -> ClickHouseWriter {
        let (commands, queue) = mpsc::channel(QUEUE);
        let (report, stored) = watch::channel(0);
        let batch_age = sink.settings().batch_age;
        let task = runtime.spawn(run(sink, queue, report));
        ClickHouseWriter { commands, stored, task: Some(task), runtime: runtime.clone(), batch_age }
    }

    /// How long the sink lets rows wait before it inserts them (`clickhouse.batch_ms`).
    pub fn batch_age(&self) -> Duration {
        self.batch_age
    }

    /// Hands rows to the writer. `through` numbers this hand-over (it must not decrease):
    /// once [`stored`](Self::stored) reaches it, ClickHouse has these rows and all handed
    /// over before. Blocks while the writer's queue is full (backpressure). Call from a
    /// blocking thread, not from async code.
    pub fn write_blocking(&mut self, through: u64, posts: Vec<ScoredPost>, cases: Vec<Case>, events: Vec<CaseEvent>) -> anyhow::Result<()> {
        if self.commands.blocking_send(Command::Write { through, posts, cases, events }).is_err() {
            return Err(self.failure());
        }
        Ok(())
    }

    /// The highest `through` whose rows (and all before) ClickHouse has acknowledged.
    pub fn stored(&self) -> u64 {
        *self.stored.borrow()
    }

    /// Inserts everything handed over and waits until ClickHouse has it; afterwards
    /// [`stored`](Self::stored) is the last `through`. Call from a blocking thread.
    pub fn flush_blocking(&mut self) -> anyhow::Result<()> {
        let (done, flushed) = oneshot::channel();
        if self.commands.blocking_send(Command::Flush { done }).is_err() || flushed.blocking_recv().is_err() {
            return Err(self.failure());
        }
        Ok(())
    }

    /// Why the writer stopped: the sink's error (it gave up after `give_up_after`).
    fn failure(&mut self) -> anyhow::Error {
        match self.task.take().map(|task| self.runtime.block_on(task)) {
            Some(Ok(Err(e))) => e.context("the ClickHouse writer stopped; the posts it had not stored will be read again after a restart"),
            Some(Err(panic)) => anyhow::anyhow!("the ClickHouse writer panicked: {panic}"),
            Some(Ok(Ok(()))) | None => {
                anyhow::anyhow!("the ClickHouse writer has stopped (its error was reported above); restart the sinks role to read the unstored posts again")
            }
        }
    }
}

/// The writer's loop: buffer and insert per the sink's settings, report what is stored.
/// Ends when the caller drops its handle (after a last flush) or when an insert fails
/// for good.
async fn run(mut sink: ClickHouseSink, mut queue: mpsc::Receiver<Command>, report: watch::Sender<u64>) -> anyhow::Result<()> {
    // The `through` of the last hand-over the sink has taken.
    let mut taken = 0u64;
    loop {
        tokio::select! {
            command = queue.recv() => match command {
                Some(Command::Write { through, posts, cases, events }) => {
                    taken = through;
                    if sink.write(&posts, &cases, &events).await?.is_yes() {
                        report.send_replace(taken);
                    }
                }
                Some(Command::Flush { done }) => {
                    sink.flush().await?;
                    report.send_replace(taken);
                    let _ = done.send(());
                }
                None => {
                    sink.flush().await?;
                    report.send_replace(taken);
                    return Ok(());
                }
            },
            _ = sink.flush_timer() => {
                if sink.flush_if_due().await?.is_yes() {
                    report.send_replace(taken);
                }
            }
        }
    }
}

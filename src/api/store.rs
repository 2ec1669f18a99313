//! The API's access to the case store: a small pool of SQLite connections used on tokio's
//! blocking threads (reads run side by side under WAL), and one connection for officers'
//! case actions.

use std::path::PathBuf;
use std::sync::Mutex;

use crate::model::CaseEventKind;
use crate::sinks::CaseStore;

/// Connections kept for reuse; more may be open at once under load, then closed.
const POOL_SIZE: usize = 8;

pub struct Stores {
    path: PathBuf,
    readers: Mutex<Vec<CaseStore>>,
    writer: Mutex<Option<CaseStore>>,
    webhook_events: Vec<CaseEventKind>,
}

impl Stores {
    /// Opens (and creates, if new) the case store at `path`.
    pub fn open(path: PathBuf, webhook_events: Vec<CaseEventKind>) -> anyhow::Result<Stores> {
        let first = CaseStore::open(&path)?;
        Ok(Stores { path, readers: Mutex::new(vec![first]), writer: Mutex::new(None), webhook_events })
    }

    /// Runs `f` with a reading connection. Call from a blocking thread.
    pub fn read<T>(&self, f: impl FnOnce(&CaseStore) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let taken = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let store = match taken {
            Some(s) => s,
            None => CaseStore::open(&self.path)?,
        };
        let out = f(&store);
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < POOL_SIZE {
            pool.push(store);
        }
        out
    }

    /// Runs `f` with the connection for case actions; the configured webhook events of
    /// its changes are queued in the outbox like the pipeline's. Call from a blocking thread.
    pub fn write<T>(&self, f: impl FnOnce(&mut CaseStore) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let mut slot = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            let mut store = CaseStore::open(&self.path)?;
            store.send_to_webhook(self.webhook_events.iter().copied());
            *slot = Some(store);
        }
        f(slot.as_mut().expect("opened above"))
    }
}

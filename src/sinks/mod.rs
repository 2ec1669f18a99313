//! Sinks: where scored posts and cases end up. Embedded mode writes the search index
//! (tantivy) and the case store (SQLite) under the data dir.

pub mod case_store;
pub mod clickhouse;
pub mod erasure;
pub mod pseudonym;
pub mod retention;
pub mod search_index;
pub mod trend_facts;

pub use case_store::{Alert, AlertFilter, BatchOutcome, CaseStore, EntityFilter, JudgedPost, ScoredPost, StoreCounts};
pub use search_index::{FacetedHits, Hit, SearchIndex};

use std::path::{Path, PathBuf};

/// Where the embedded stores live under a data dir.
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: &Path) -> DataDir {
        DataDir { root: root.to_path_buf() }
    }

    pub fn case_store(&self) -> PathBuf {
        self.root.join("cases.sqlite")
    }

    pub fn search_index(&self) -> PathBuf {
        self.root.join("index")
    }

    pub fn dead_letters(&self) -> PathBuf {
        self.root.join("deadletter.jsonl")
    }
}

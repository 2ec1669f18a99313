//! The embedded case store: SQLite holding every scored post, the cases and their audit
//! trail, and the sources' checkpoints.
//!
//! One transaction per batch writes the posts, the case changes they cause and the
//! positions the sources reached, so a crash leaves either all of a batch or none of it.
//! Posts are keyed by uid (`source:id`): a post already stored is skipped whole, which is
//! what makes a replay after a crash (or a second replay of the same file) add nothing twice.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use time::OffsetDateTime;

use crate::cases::spike::{self, SpikeConfig};
use crate::cases::{self, JoinReason, PostFeatures, StoryIndex, StoryRole};
use crate::connectors::{Position, Resume};
use crate::core::Text;
use crate::model::{
    Assessment, Case, CaseEvent, CaseEventKind, CaseKind, CaseStatus, Category, EntityKind, EntityRef, Post, PriorityLevel,
    SentimentLabel, Spread, SCHEMA_VERSION,
};

/// A post and what the core said about it.
#[derive(Debug, Clone)]
pub struct ScoredPost {
    pub post: Post,
    pub assessment: Assessment,
}

/// What one committed batch changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Posts new to the store (not seen before under their uid).
    pub stored: u64,
    pub relevant: u64,
    pub complaints: u64,
    pub cases_opened: u64,
    pub cases_updated: u64,
}

/// Begins a transaction that will write. `BEGIN IMMEDIATE` takes the write lock at once,
/// waiting (busy_timeout) while another connection — the API, the erasure or retention
/// command, the webhook dispatcher — holds it. A deferred transaction that reads first
/// and then writes cannot wait: SQLite fails it at once with "database is locked" when
/// another connection wrote in between (the sinks role logged this under load).
pub(crate) fn write_transaction(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
}

/// Authors in one story from which a case is spreading: P2 at least…
const SPREADING_AUTHORS: i64 = 5;
/// …and from which it is an emergency (P1), as it is when at least `VIRAL_MIN_AUTHORS`
/// people have carried it to this combined reach or this many networks. One big account
/// alone is not a spreading story (its post's own priority counts its reach).
const VIRAL_AUTHORS: i64 = 15;
const VIRAL_MIN_AUTHORS: i64 = 3;
const VIRAL_REACH: u64 = 100_000;
const VIRAL_SOURCES: usize = 3;

pub struct CaseStore {
    conn: Connection,
    /// Case events that go to the CRM: each is queued in the outbox in the same
    /// transaction as the change it reports (a transactional outbox), so no event is lost
    /// between the store and the webhook dispatcher.
    outbox_events: HashSet<CaseEventKind>,
    spikes: SpikeConfig,
    /// The open stories, in memory, for finding the story a post continues (cases::stories).
    stories: StoryIndex,
}

impl CaseStore {
    pub fn open(path: &Path) -> anyhow::Result<CaseStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let conn = Connection::open(path).map_err(|e| anyhow::anyhow!("cannot open the case store {}: {e}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Checkpoint the write-ahead log every 16,384 pages (64 MiB) instead of SQLite's
        // 1,000: the checkpoint runs inside a batch's COMMIT, and a page changed by many
        // batches (index pages, the checkpoints row) is then copied to the database once
        // rather than once per thousand pages written.
        conn.pragma_update(None, "wal_autocheckpoint", 16_384)?;
        // SQLite's default page cache is 2 MB; a few hundred MB of posts and trend facts
        // keep their hot index pages in memory with 64 MB (a cap, not an allocation).
        conn.pragma_update(None, "cache_size", -65_536)?;
        let mut store = CaseStore { conn, outbox_events: HashSet::new(), spikes: SpikeConfig::default(), stories: StoryIndex::new() };
        store.migrate()?;
        store.stories = rebuild_stories(&store.conn)?;
        Ok(store)
    }

    fn migrate(&self) -> anyhow::Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS posts (
                 uid TEXT PRIMARY KEY,
                 created_at INTEGER NOT NULL,
                 author TEXT,
                 lang TEXT NOT NULL,
                 relevant INTEGER NOT NULL,
                 noise TEXT,
                 is_complaint INTEGER NOT NULL,
                 priority TEXT NOT NULL,
                 reach INTEGER NOT NULL,
                 case_id TEXT,
                 post TEXT NOT NULL,
                 assessment TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS posts_case ON posts(case_id);
             CREATE INDEX IF NOT EXISTS posts_author ON posts(author);
             CREATE TABLE IF NOT EXISTS cases (
                 id TEXT PRIMARY KEY,
                 entity_kind TEXT NOT NULL,
                 entity_id TEXT NOT NULL,
                 status TEXT NOT NULL,
                 priority TEXT NOT NULL,
                 priority_score INTEGER NOT NULL,
                 updated_at INTEGER NOT NULL,
                 version INTEGER NOT NULL,
                 body TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS cases_entity ON cases(entity_kind, entity_id, status);
             CREATE INDEX IF NOT EXISTS cases_queue ON cases(status, priority, updated_at);
             CREATE TABLE IF NOT EXISTS case_events (
                 case_id TEXT NOT NULL,
                 version INTEGER NOT NULL,
                 body TEXT NOT NULL,
                 PRIMARY KEY (case_id, version));
             CREATE TABLE IF NOT EXISTS volume (
                 entity_kind TEXT NOT NULL,
                 entity_id TEXT NOT NULL,
                 category TEXT NOT NULL,
                 hour INTEGER NOT NULL,
                 n INTEGER NOT NULL,
                 PRIMARY KEY (entity_kind, entity_id, category, hour));
             CREATE TABLE IF NOT EXISTS checkpoints (stream TEXT PRIMARY KEY, offset INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS outbox (
                 delivery_id TEXT PRIMARY KEY,
                 case_id TEXT NOT NULL,
                 event TEXT NOT NULL,
                 body TEXT NOT NULL,
                 created_at INTEGER NOT NULL,
                 attempts INTEGER NOT NULL DEFAULT 0,
                 next_attempt_at INTEGER NOT NULL,
                 state TEXT NOT NULL DEFAULT 'pending',
                 last_error TEXT);
             CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);
             CREATE TABLE IF NOT EXISTS dead_letters (stream TEXT NOT NULL, offset INTEGER NOT NULL, PRIMARY KEY (stream, offset));",
        )?;
        let stored: Option<String> =
            self.conn.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0)).optional()?;
        match stored {
            None => {
                self.conn.execute("INSERT INTO meta VALUES ('schema_version', ?1)", [SCHEMA_VERSION.to_string()])?;
            }
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(v) => anyhow::bail!(
                "the case store was written by schema version {v}, this hearken reads version {SCHEMA_VERSION}; use a matching hearken or a new --data-dir"
            ),
        }
        // The trend questions' tables (sinks::trend_facts), filled in each batch's transaction,
        // and the erasure record (sinks::erasure).
        super::trend_facts::migrate(&self.conn)?;
        super::erasure::migrate(&self.conn)?;
        // Network connectors' cursors (added after schema 1 shipped: a column, not a version).
        let has_cursor: bool = self.conn.prepare("SELECT 1 FROM pragma_table_info('checkpoints') WHERE name = 'cursor'")?.exists([])?;
        if !has_cursor {
            self.conn.execute_batch("ALTER TABLE checkpoints ADD COLUMN cursor TEXT")?;
        }
        // Stores written before December 2026 kept every post's simhash in a column nothing
        // read; computing it cost the sink a normalization pass per post. Story lookups
        // recompute theirs from the post (`rebuild_stories`).
        let has_simhash: bool = self.conn.prepare("SELECT 1 FROM pragma_table_info('posts') WHERE name = 'simhash'")?.exists([])?;
        if has_simhash {
            self.conn.execute_batch("ALTER TABLE posts DROP COLUMN simhash")?;
        }
        Ok(())
    }

    /// Sets how volume spikes are detected (`[cases.spikes]` in the config).
    pub fn detect_spikes(&mut self, config: SpikeConfig) {
        self.spikes = config;
    }

    /// Queue these case events for the CRM webhook from now on (see `[webhook] events`).
    pub fn send_to_webhook(&mut self, events: impl IntoIterator<Item = CaseEventKind>) {
        self.outbox_events = events.into_iter().collect();
    }

    /// The connection, for modules that keep their own tables in this database (the
    /// webhook outbox).
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Where a stream's source should resume: the offset after the last committed record.
    pub fn checkpoint(&self, stream: &str) -> anyhow::Result<u64> {
        Ok(self.resume_point(stream)?.offset)
    }

    /// Where a stream's source should resume: the offset and (network connectors) the
    /// cursor of the last committed record.
    pub fn resume_point(&self, stream: &str) -> anyhow::Result<Resume> {
        Ok(self
            .conn
            .query_row("SELECT offset, cursor FROM checkpoints WHERE stream = ?1", [stream], |r| {
                Ok(Resume { offset: r.get::<_, i64>(0)? as u64, cursor: r.get(1)? })
            })
            .optional()?
            .unwrap_or_default())
    }

    /// Stores a batch of scored posts with the case changes they cause and the positions
    /// their sources reached, in one transaction.
    /// `dead` are the positions of the batch's dead letters, remembered so that reading
    /// the same input again does not report them twice.
    pub fn commit_batch(&mut self, batch: &[&ScoredPost], dead: &[&Position], positions: &[Position]) -> anyhow::Result<BatchOutcome> {
        let result = self.commit_batch_inner(batch, dead, positions);
        if result.is_err() {
            // The transaction rolled back: forget what the index learnt from it.
            self.stories = rebuild_stories(&self.conn)?;
        }
        result
    }

    fn commit_batch_inner(&mut self, batch: &[&ScoredPost], dead: &[&Position], positions: &[Position]) -> anyhow::Result<BatchOutcome> {
        let tx = write_transaction(&mut self.conn)?;
        let mut outcome = BatchOutcome::default();
        let erasures = super::erasure::any_recorded(&tx)?;
        for scored in batch {
            apply_post(&tx, &self.outbox_events, &self.spikes, &mut self.stories, scored, erasures, &mut outcome)?;
        }
        for p in dead {
            tx.prepare_cached("INSERT OR IGNORE INTO dead_letters (stream, offset) VALUES (?1, ?2)")?
                .execute(params![p.stream, p.offset as i64])?;
        }
        // Each stream moves to its furthest position, with that position's cursor; never
        // back (a batch may carry positions of an older run's items that were resent).
        let mut furthest: HashMap<&str, &Position> = HashMap::new();
        for p in positions {
            let e = furthest.entry(p.stream.as_str()).or_insert(p);
            if p.offset > e.offset {
                *e = p;
            }
        }
        for (stream, p) in furthest {
            tx.execute(
                "INSERT INTO checkpoints (stream, offset, cursor) VALUES (?1, ?2, ?3)
                 ON CONFLICT(stream) DO UPDATE SET
                     cursor = CASE WHEN excluded.offset > offset THEN excluded.cursor ELSE cursor END,
                     offset = max(offset, excluded.offset)",
                params![stream, p.offset as i64, p.cursor],
            )?;
        }
        tx.commit()?;
        Ok(outcome)
    }

    /// The posts of `posts` to store: not stored yet and not erased on request (nor by
    /// an erased author). One read transaction for the whole batch: a statement outside
    /// a transaction takes and drops the database's shared lock each time.
    pub fn unstored<'a>(&self, posts: &[&'a ScoredPost]) -> anyhow::Result<Vec<&'a ScoredPost>> {
        let tx = self.conn.unchecked_transaction()?;
        let erasures = super::erasure::any_recorded(&tx)?;
        let mut stored = tx.prepare_cached("SELECT 1 FROM posts WHERE uid = ?1")?;
        let mut out = Vec::with_capacity(posts.len());
        for &s in posts {
            if !stored.exists([s.post.uid()])? && !(erasures && super::erasure::is_erased(&tx, &s.post)?) {
                out.push(s);
            }
        }
        drop(stored);
        tx.commit()?;
        Ok(out)
    }

    /// The last `limit` posts stored, oldest first.
    pub fn recent_posts(&self, limit: usize) -> anyhow::Result<Vec<ScoredPost>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT post, assessment FROM (SELECT rowid, post, assessment FROM posts ORDER BY rowid DESC LIMIT ?1) ORDER BY rowid",
        )?;
        let rows = stmt.query_map([limit as i64], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|r| {
            let (p, a) = r?;
            Ok(ScoredPost { post: serde_json::from_str(&p)?, assessment: serde_json::from_str(&a)? })
        })
        .collect()
    }

    /// Whether a dead letter at this position was already recorded.
    pub fn knows_dead_letter(&self, position: &Position) -> anyhow::Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM dead_letters WHERE stream = ?1 AND offset = ?2")?
            .exists(params![position.stream, position.offset as i64])?)
    }

    /// Cases in the queue order: most urgent first, then most recently active.
    pub fn cases(&self, status: Option<CaseStatus>, limit: usize) -> anyhow::Result<Vec<Case>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT body FROM cases WHERE (?1 IS NULL OR status = ?1)
             ORDER BY priority ASC, priority_score DESC, updated_at DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![status.map(|s| s.as_str()), limit as i64], |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    pub fn case(&self, id: &str) -> anyhow::Result<Option<Case>> {
        let body: Option<String> = self.conn.query_row("SELECT body FROM cases WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        Ok(match body {
            Some(b) => Some(serde_json::from_str(&b)?),
            None => None,
        })
    }

    pub fn events(&self, case_id: &str) -> anyhow::Result<Vec<CaseEvent>> {
        let mut stmt = self.conn.prepare_cached("SELECT body FROM case_events WHERE case_id = ?1 ORDER BY version")?;
        let rows = stmt.query_map([case_id], |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    pub fn post(&self, uid: &str) -> anyhow::Result<Option<ScoredPost>> {
        let row: Option<(String, String)> = self
            .conn
            .query_row("SELECT post, assessment FROM posts WHERE uid = ?1", [uid], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(match row {
            Some((p, a)) => Some(ScoredPost { post: serde_json::from_str(&p)?, assessment: serde_json::from_str(&a)? }),
            None => None,
        })
    }

    /// Moves a case along its lifecycle on an officer's behalf, recording who and when.
    pub fn set_status(&mut self, id: &str, next: CaseStatus, actor: &str, note: Option<&str>, assignee: Option<&str>) -> anyhow::Result<Case> {
        let tx = write_transaction(&mut self.conn)?;
        let mut case = load_case(&tx, id)?.ok_or_else(|| anyhow::anyhow!("no case {id}; list them with `hearken cases`"))?;
        if !case.status.can_become(next) {
            anyhow::bail!("case {id} is {} and cannot become {}", case.status.as_str(), next.as_str());
        }
        if next == CaseStatus::Assigned && assignee.is_none() {
            anyhow::bail!("assigning case {id} needs the name of the assignee");
        }
        let now = OffsetDateTime::now_utc();
        case.status = next;
        if let Some(a) = assignee {
            case.assignee = Some(a.to_string());
        }
        case.updated_at = now;
        case.version += 1;
        save_case(&tx, &case)?;
        record_event(&tx, &self.outbox_events, &case, CaseEventKind::for_status(next), actor, now, note.map(str::to_string), None)?;
        tx.commit()?;
        Ok(case)
    }

    /// The alert queue: cases matching `filter`, most urgent priority first, then the most
    /// recently active, each with the evidence of its first post (what the queue highlights).
    pub fn alerts(&self, filter: &AlertFilter, limit: usize, offset: usize) -> anyhow::Result<Vec<Alert>> {
        let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        let statuses = serde_json::to_string(&statuses)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.body, json_extract(p.assessment, '$.complaint.categories'), json_extract(p.assessment, '$.entities')
             FROM cases c LEFT JOIN posts p ON p.uid = json_extract(c.body, '$.post_uids[0]')
             WHERE (?1 = '[]' OR c.status IN (SELECT value FROM json_each(?1)))
               AND (?2 IS NULL OR c.entity_id = ?2) AND (?3 IS NULL OR c.entity_kind = ?3)
               AND (?4 IS NULL OR c.priority = ?4)
               AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(c.body, '$.categories') WHERE value = ?5))
               AND (?6 IS NULL OR EXISTS (SELECT 1 FROM json_each(c.body, '$.spread.sources') WHERE value = ?6))
               AND (?7 IS NULL OR EXISTS (SELECT 1 FROM posts l WHERE l.case_id = c.id AND l.lang = ?7))
               AND (?8 IS NULL OR json_extract(c.body, '$.kind') = ?8)
             ORDER BY c.priority ASC, c.updated_at DESC, c.id ASC LIMIT ?9 OFFSET ?10",
        )?;
        let rows = stmt.query_map(
            params![
                statuses,
                filter.entity.as_ref().map(|e| e.id.as_str()),
                filter.entity.as_ref().and_then(|e| e.kind).map(|k| k.as_str()),
                filter.priority.map(|p| p.as_str()),
                filter.category.map(|c| c.as_str()),
                filter.source.as_deref(),
                filter.lang.as_deref(),
                filter.kind.map(|k| match k {
                    CaseKind::Story => "story",
                    CaseKind::Spike => "spike",
                }),
                limit as i64,
                offset as i64,
            ],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?)),
        )?;
        rows.map(|row| {
            let (body, categories, entities) = row?;
            let categories: Vec<crate::model::CategoryHit> = categories.map(|c| serde_json::from_str(&c)).transpose()?.unwrap_or_default();
            let entities: Vec<crate::model::EntityMatch> = entities.map(|e| serde_json::from_str(&e)).transpose()?.unwrap_or_default();
            let mut evidence: Vec<String> = Vec::new();
            for term in categories.iter().flat_map(|c| c.evidence.iter()).chain(entities.iter().map(|e| &e.matched)) {
                if !evidence.contains(term) {
                    evidence.push(term.clone());
                }
            }
            Ok(Alert { case: serde_json::from_str(&body)?, evidence })
        })
        .collect()
    }

    /// Case events committed after `after` (a position from an earlier call, 0 for all),
    /// oldest first, at most `limit`; with the position to ask from next time. The API's
    /// alert stream follows the store with it, whichever process committed the change.
    pub fn events_after(&self, after: i64, limit: usize) -> anyhow::Result<(Vec<CaseEvent>, i64)> {
        let mut stmt = self.conn.prepare_cached("SELECT rowid, body FROM case_events WHERE rowid > ?1 ORDER BY rowid LIMIT ?2")?;
        let mut last = after;
        let rows = stmt.query_map(params![after, limit as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut events = Vec::new();
        for row in rows {
            let (rowid, body) = row?;
            last = rowid;
            events.push(serde_json::from_str(&body)?);
        }
        Ok((events, last))
    }

    /// The position after the last case event committed so far (see [`Self::events_after`]).
    pub fn last_event_position(&self) -> anyhow::Result<i64> {
        Ok(self.conn.query_row("SELECT coalesce(max(rowid), 0) FROM case_events", [], |r| r.get(0))?)
    }

    /// When the newest relevant post was created (seconds since the epoch), if any: where
    /// the dashboard's trend charts end by default, so a replayed corpus shows its own period.
    pub fn newest_relevant_post(&self) -> anyhow::Result<Option<i64>> {
        Ok(self.conn.query_row("SELECT max(created_at) FROM posts WHERE relevant = 1", [], |r| r.get(0))?)
    }

    /// Webhook deliveries waiting in the outbox and dead ones: the CRM backlog.
    pub fn webhook_backlog(&self) -> anyhow::Result<(u64, u64)> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'dead'), 0) FROM outbox",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }

    /// Merges case `from` into case `into` on an officer's behalf: two cases an officer
    /// sees are one story (the index missed the link). `into` takes the posts, categories
    /// and reasons of `from` and the higher priority; `from` is resolved. Both trails get
    /// a `merged` event naming the other case, so the CRM and an auditor can follow it.
    pub fn merge(&mut self, from: &str, into: &str, actor: &str, note: Option<&str>) -> anyhow::Result<Case> {
        if from == into {
            anyhow::bail!("a case cannot be merged into itself; name another case to merge {from} into");
        }
        let tx = write_transaction(&mut self.conn)?;
        let mut gone = load_case(&tx, from)?.ok_or_else(|| anyhow::anyhow!("no case {from}; list them with `hearken cases`"))?;
        let mut kept = load_case(&tx, into)?.ok_or_else(|| anyhow::anyhow!("no case {into}; list them with `hearken cases`"))?;
        for c in [&gone, &kept] {
            if c.status.is_closed() {
                anyhow::bail!("case {} is {}; reopen it before merging", c.id, c.status.as_str());
            }
            if c.kind != CaseKind::Story {
                anyhow::bail!("case {} is a volume spike, not a story; only stories are merged", c.id);
            }
        }
        let now = OffsetDateTime::now_utc();
        tx.prepare_cached("UPDATE posts SET case_id = ?1 WHERE case_id = ?2")?.execute(params![kept.id, gone.id])?;
        for uid in std::mem::take(&mut gone.post_uids) {
            if !kept.post_uids.contains(&uid) {
                kept.post_uids.push(uid);
            }
        }
        for c in &gone.categories {
            if !kept.categories.contains(c) {
                kept.categories.push(*c);
            }
        }
        for r in &gone.reasons {
            if !kept.reasons.contains(r) {
                kept.reasons.push(r.clone());
            }
        }
        kept.priority = kept.priority.min(gone.priority);
        kept.priority_score = kept.priority_score.max(gone.priority_score);
        for source in &gone.spread.sources {
            if !kept.spread.sources.contains(source) {
                kept.spread.sources.push(*source);
            }
        }
        kept.opened_at = kept.opened_at.min(gone.opened_at);
        kept.updated_at = now;
        kept.version += 1;
        gone.status = CaseStatus::Resolved;
        gone.updated_at = now;
        gone.version += 1;
        let with_note = |what: String| Some(match note { Some(n) => format!("{what}: {n}"), None => what });
        save_case(&tx, &gone)?;
        record_event(&tx, &self.outbox_events, &gone, CaseEventKind::Merged, actor, now, with_note(format!("merged into {}", kept.id)), None)?;
        save_case(&tx, &kept)?;
        record_event(&tx, &self.outbox_events, &kept, CaseEventKind::Merged, actor, now, with_note(format!("{} merged into this case", gone.id)), None)?;
        tx.commit()?;
        // The index learns the merged story from what is committed; the spread is then
        // counted over both stories' authors.
        self.stories = rebuild_stories(&self.conn)?;
        if let Some(count) = self.stories.spread(&kept.id, self.stories.newest()) {
            kept.spread.authors = count.authors;
            kept.spread.authors_last_hour = count.authors_last_hour;
            kept.spread.reach = count.reach;
            save_case(&self.conn, &kept)?;
        }
        Ok(kept)
    }

    /// Posts of the stories officers have judged, oldest first, for adapting the complaint
    /// model (`hearken train --from-cases`). Acknowledging, assigning or resolving a case
    /// says its posts are complaints; dismissing it says they are not. Cases still open
    /// say nothing, nor do volume spikes (their posts are the hour's whole negative
    /// volume, not one complaint), nor a case resolved by merging it into another: that is
    /// bookkeeping, and its posts now belong to the case it joined.
    pub fn judged_posts(&self) -> anyhow::Result<Vec<JudgedPost>> {
        let mut stmt = self.conn.prepare(
            "SELECT c.id, c.status, json_extract(p.post, '$.text') FROM posts p JOIN cases c ON c.id = p.case_id
             WHERE c.status IN ('acknowledged', 'assigned', 'resolved', 'dismissed')
               AND coalesce(json_extract(c.body, '$.kind'), 'story') = 'story'
               AND NOT (c.status = 'resolved' AND coalesce((
                   SELECT json_extract(e.body, '$.kind') FROM case_events e
                   WHERE e.case_id = c.id AND json_extract(e.body, '$.kind') IN ('resolved', 'merged')
                   ORDER BY e.version DESC LIMIT 1), '') = 'merged')
             ORDER BY p.rowid",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
        rows.map(|row| {
            let (case_id, status, text) = row?;
            let status = CaseStatus::parse(&status).ok_or_else(|| anyhow::anyhow!("case {case_id} has an unknown status {status}"))?;
            Ok(JudgedPost { case_id, status, text })
        })
        .collect()
    }

    /// Adds an officer's note to a case's audit trail (the status stays as it is).
    pub fn add_note(&mut self, id: &str, actor: &str, note: &str) -> anyhow::Result<Case> {
        let tx = write_transaction(&mut self.conn)?;
        let mut case = load_case(&tx, id)?.ok_or_else(|| anyhow::anyhow!("no case {id}; list them with `hearken cases`"))?;
        case.version += 1;
        save_case(&tx, &case)?;
        record_event(&tx, &self.outbox_events, &case, CaseEventKind::Noted, actor, OffsetDateTime::now_utc(), Some(note.to_string()), None)?;
        tx.commit()?;
        Ok(case)
    }

    pub fn counts(&self) -> anyhow::Result<StoreCounts> {
        let one = |sql: &str| self.conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n as u64);
        Ok(StoreCounts {
            posts: one("SELECT count(*) FROM posts")?,
            relevant: one("SELECT count(*) FROM posts WHERE relevant = 1")?,
            cases: one("SELECT count(*) FROM cases")?,
            open_cases: one("SELECT count(*) FROM cases WHERE status NOT IN ('resolved', 'dismissed')")?,
        })
    }
}

/// A post of a case an officer judged: see [`CaseStore::judged_posts`].
#[derive(Debug, Clone, PartialEq)]
pub struct JudgedPost {
    pub case_id: String,
    pub status: CaseStatus,
    pub text: String,
}

impl JudgedPost {
    /// Whether the officer's verdict makes the post a complaint.
    pub fn is_complaint(&self) -> bool {
        self.status != CaseStatus::Dismissed
    }
}

/// What the alert queue shows: some statuses (none = all), optionally one entity (by id,
/// and kind when given), priority, complaint category, network, language and case kind.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AlertFilter {
    pub statuses: Vec<CaseStatus>,
    pub entity: Option<EntityFilter>,
    pub priority: Option<PriorityLevel>,
    pub category: Option<Category>,
    pub source: Option<String>,
    pub lang: Option<String>,
    pub kind: Option<CaseKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityFilter {
    pub kind: Option<EntityKind>,
    pub id: String,
}

/// A case in the alert queue, with the evidence terms and entity names of its first post.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Alert {
    #[serde(flatten)]
    pub case: Case,
    pub evidence: Vec<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StoreCounts {
    pub posts: u64,
    pub relevant: u64,
    pub cases: u64,
    pub open_cases: u64,
}

fn apply_post(
    tx: &rusqlite::Transaction,
    outbox: &HashSet<CaseEventKind>,
    spikes: &SpikeConfig,
    stories: &mut StoryIndex,
    scored: &ScoredPost,
    erasures: bool,
    outcome: &mut BatchOutcome,
) -> anyhow::Result<()> {
    let (post, a) = (&scored.post, &scored.assessment);
    let uid = post.uid();
    if tx.prepare_cached("SELECT 1 FROM posts WHERE uid = ?1")?.exists([&uid])? {
        return Ok(());
    }
    if erasures && super::erasure::is_erased(tx, post)? {
        return Ok(()); // erased on request: not stored again (sinks::erasure)
    }
    let at = post.created_at.unwrap_or_else(OffsetDateTime::now_utc);
    let at_secs = at.unix_timestamp();
    // Story features (normalized text, simhash, terms, mentions, links) only for a post that
    // can join a story; most posts cannot.
    let story = cases::story_place(a).map(|(role, entity)| (role, entity, PostFeatures::of(post, a, &Text::new(&post.text), at_secs)));
    stories.advance(at_secs);
    tx.prepare_cached(
        "INSERT INTO posts (uid, created_at, author, lang, relevant, noise, is_complaint, priority, reach, post, assessment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        uid,
        at_secs,
        stored_author(post),
        a.lang,
        a.relevant,
        a.noise.map(|n| n.as_str()),
        a.complaint.is_complaint,
        a.priority.level.as_str(),
        post.reach() as i64,
        serde_json::to_string(post)?,
        serde_json::to_string(a)?,
    ])?;
    super::trend_facts::record(tx, scored, at_secs)?;
    outcome.stored += 1;
    outcome.relevant += a.relevant as u64;
    outcome.complaints += (a.relevant && a.complaint.is_complaint) as u64;

    if let Some((role, entity, features)) = &story {
        match find_story(tx, stories, features)? {
            Some((mut case, reason)) => {
                tracing::debug!(post = %features.uid, case = %case.id, reason = reason.as_str(), "post joins a story");
                join_case(tx, outbox, stories, &mut case, scored, features, reason, at)?;
                outcome.cases_updated += 1;
            }
            None if *role == StoryRole::Opens => {
                open_case(tx, outbox, stories, scored, features, entity.clone(), at)?;
                outcome.cases_opened += 1;
            }
            None => {}
        }
        stories.observe(features);
    }
    if a.relevant && (a.complaint.is_complaint || a.sentiment.label == SentimentLabel::Negative) {
        outcome.cases_opened += count_negative(tx, outbox, spikes, scored, at)?;
    }
    Ok(())
}

/// Counts a negative post in its entities' hourly volumes and opens a spike case for each
/// volume that became abnormal this hour. Returns the number of spike cases opened.
fn count_negative(
    tx: &rusqlite::Transaction,
    outbox: &HashSet<CaseEventKind>,
    config: &SpikeConfig,
    scored: &ScoredPost,
    at: OffsetDateTime,
) -> anyhow::Result<u64> {
    let a = &scored.assessment;
    let hour = spike::hour_of(at.unix_timestamp());
    let mut entities: Vec<EntityRef> = Vec::new();
    for m in a.entities.iter().filter(|m| matches!(m.kind, EntityKind::Hospital | EntityKind::Clinician)) {
        let e = EntityRef { kind: m.kind, id: m.id.clone() };
        if !entities.contains(&e) {
            entities.push(e);
        }
    }
    let categories: Vec<&str> = std::iter::once(ALL_NEGATIVE).chain(a.complaint.categories.iter().map(|c| c.id.as_str())).collect();
    let mut opened = 0;
    for entity in &entities {
        for category in &categories {
            let n: i64 = tx.query_row(
                "INSERT INTO volume (entity_kind, entity_id, category, hour, n) VALUES (?1, ?2, ?3, ?4, 1)
                 ON CONFLICT DO UPDATE SET n = n + 1 RETURNING n",
                params![entity.kind.as_str(), entity.id, category, hour],
                |r| r.get(0),
            )?;
            if (n as u32) < config.min_count {
                continue;
            }
            let id = cases::spike_case_id(entity, category, hour);
            if load_case(tx, &id)?.is_some() {
                continue; // this hour's spike is already raised
            }
            let window = config.baseline_weeks.max(1) as i64 * spike::HOURS_PER_WEEK;
            let mut stmt = tx.prepare_cached(
                "SELECT hour, n FROM volume WHERE entity_kind = ?1 AND entity_id = ?2 AND category = ?3 AND hour >= ?4 AND hour < ?5",
            )?;
            let history: Vec<(i64, u32)> = stmt
                .query_map(params![entity.kind.as_str(), entity.id, category, hour - window, hour], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let first_seen: i64 = tx.query_row(
                "SELECT min(hour) FROM volume WHERE entity_kind = ?1 AND entity_id = ?2 AND category = ?3",
                params![entity.kind.as_str(), entity.id, category],
                |r| r.get(0),
            )?;
            let expected = spike::expected(&history, hour, first_seen, config);
            if let Some(p) = spike::is_spike(n as u32, expected, config) {
                open_spike_case(tx, outbox, &id, entity, category, n as u32, expected, p, scored, at)?;
                opened += 1;
            }
        }
    }
    Ok(opened)
}

/// The volume key of every negative post, beside one per complaint category.
const ALL_NEGATIVE: &str = "all";

#[allow(clippy::too_many_arguments)]
fn open_spike_case(
    tx: &rusqlite::Transaction,
    outbox: &HashSet<CaseEventKind>,
    id: &str,
    entity: &EntityRef,
    category: &str,
    count: u32,
    expected: f64,
    p: f64,
    scored: &ScoredPost,
    at: OffsetDateTime,
) -> anyhow::Result<()> {
    let what = if category == ALL_NEGATIVE { "negative posts".to_string() } else { format!("{category} complaints") };
    let hour_start = at.replace_minute(0)?.replace_second(0)?.replace_nanosecond(0)?;
    let case = Case {
        id: id.to_string(),
        kind: CaseKind::Spike,
        entity: entity.clone(),
        status: CaseStatus::Open,
        priority: if p < 1e-8 { PriorityLevel::P1 } else { PriorityLevel::P2 },
        priority_score: if p < 1e-8 { 85 } else { 70 },
        categories: Category::parse(category).into_iter().collect(),
        reasons: vec!["spike".into(), format!("{count} {what} in an hour, ~{expected:.1} expected")],
        post_uids: Vec::new(),
        summary: format!(
            "Spike: {count} {what} about {} in the hour from {} (usually ~{expected:.1}; p = {p:.1e})",
            entity.id,
            hour_start.format(&time::format_description::well_known::Rfc3339)?
        ),
        assignee: None,
        opened_at: at,
        updated_at: at,
        version: 1,
        spread: Spread::default(),
    };
    save_case(tx, &case)?;
    record_event(tx, outbox, &case, CaseEventKind::Opened, "hearken", at, None, Some(scored))
}

/// The open case whose story the post continues, if any (cases::stories). A case the
/// index still holds but that was closed since (by an officer, through another process) is
/// forgotten and the next candidate tried.
fn find_story(tx: &rusqlite::Transaction, stories: &mut StoryIndex, features: &PostFeatures) -> anyhow::Result<Option<(Case, JoinReason)>> {
    for (case_id, reason) in stories.find(features) {
        match load_case(tx, &case_id)? {
            Some(case) if !case.status.is_closed() => return Ok(Some((case, reason))),
            _ => stories.remove(&case_id),
        }
    }
    Ok(None)
}

/// The author as the posts table keeps it (erasure looks authors up by it).
fn stored_author(post: &Post) -> Option<String> {
    post.author.as_ref().and_then(|a| a.handle.clone().or_else(|| a.id.clone()))
}

/// The story index as the store holds it, as the posts stored so far built it
/// (cases::stories says what it keeps): every open story case that may still be within
/// the horizon, with all its posts in the order they were stored, and the term
/// statistics of the posts of the month before the newest post.
fn rebuild_stories(conn: &Connection) -> anyhow::Result<StoryIndex> {
    let mut index = StoryIndex::new();
    let newest: Option<i64> = conn.query_row("SELECT max(created_at) FROM posts", [], |r| r.get(0))?;
    let Some(newest) = newest else { return Ok(index) };
    index.advance(newest);
    // A case's updated_at is at least its last post's time, so this finds every story
    // the horizon keeps (and a few the index will skip).
    let horizon = index.horizon_start();
    let terms_since = index.term_window_start();
    let mut open: HashSet<String> = HashSet::new();
    let mut stmt = conn.prepare("SELECT id, body FROM cases WHERE status NOT IN ('resolved', 'dismissed') AND updated_at >= ?1")?;
    let rows = stmt.query_map([horizon], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (id, body) = row?;
        let case: Case = serde_json::from_str(&body)?;
        if case.kind == CaseKind::Story {
            open.insert(id);
        }
    }
    let mut stmt = conn.prepare(
        "SELECT post, assessment, case_id, created_at FROM posts WHERE created_at >= ?1 OR case_id IN
             (SELECT id FROM cases WHERE status NOT IN ('resolved', 'dismissed') AND updated_at >= ?2)
         ORDER BY rowid",
    )?;
    let rows = stmt.query_map([terms_since, horizon], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, i64>(3)?))
    })?;
    for row in rows {
        let (post, assessment, case_id, at) = row?;
        let (post, assessment): (Post, Assessment) = (serde_json::from_str(&post)?, serde_json::from_str(&assessment)?);
        if cases::story_place(&assessment).is_none() {
            continue;
        }
        let features = PostFeatures::of(&post, &assessment, &Text::new(&post.text), at);
        if let Some(id) = case_id.filter(|id| open.contains(id)) {
            index.add(&id, &features);
        }
        if at >= terms_since {
            index.observe(&features);
        }
    }
    Ok(index)
}

fn open_case(
    tx: &rusqlite::Transaction,
    outbox: &HashSet<CaseEventKind>,
    stories: &mut StoryIndex,
    scored: &ScoredPost,
    features: &PostFeatures,
    entity: EntityRef,
    at: OffsetDateTime,
) -> anyhow::Result<Case> {
    let (post, a) = (&scored.post, &scored.assessment);
    let uid = post.uid();
    let case = Case {
        id: cases::case_id_for(&uid),
        entity,
        status: CaseStatus::Open,
        priority: a.priority.level,
        priority_score: a.priority.score,
        categories: a.complaint.categories.iter().map(|c| c.id).collect(),
        reasons: a.priority.reasons.clone(),
        post_uids: vec![uid.clone()],
        summary: summarize(&post.text),
        assignee: None,
        opened_at: at,
        updated_at: at,
        version: 1,
        kind: CaseKind::Story,
        spread: Spread::default(),
    };
    let mut case = case;
    tx.prepare_cached("UPDATE posts SET case_id = ?1 WHERE uid = ?2")?.execute(params![case.id, uid])?;
    let spread = stories.add(&case.id, features);
    update_spread(&mut case, spread, post);
    save_case(tx, &case)?;
    record_event(tx, outbox, &case, CaseEventKind::Opened, "hearken", at, None, Some(scored))?;
    Ok(case)
}

#[allow(clippy::too_many_arguments)]
fn join_case(
    tx: &rusqlite::Transaction,
    outbox: &HashSet<CaseEventKind>,
    stories: &mut StoryIndex,
    case: &mut Case,
    scored: &ScoredPost,
    features: &PostFeatures,
    reason: JoinReason,
    at: OffsetDateTime,
) -> anyhow::Result<()> {
    let (post, a) = (&scored.post, &scored.assessment);
    let uid = post.uid();
    let before = case.priority;
    case.post_uids.push(uid.clone());
    tx.prepare_cached("UPDATE posts SET case_id = ?1 WHERE uid = ?2")?.execute(params![case.id, uid])?;
    if a.relevant && a.complaint.is_complaint {
        case.priority = case.priority.min(a.priority.level);
        case.priority_score = case.priority_score.max(a.priority.score);
        for c in &a.complaint.categories {
            if !case.categories.contains(&c.id) {
                case.categories.push(c.id);
            }
        }
        // The joining post's own reach and engagement show in the case's spread; listing
        // each post's would bury the case's why under numbers.
        for r in a.priority.reasons.iter().filter(|r| !crate::core::priority::is_post_measure(r)) {
            if !case.reasons.contains(r) {
                case.reasons.push(r.clone());
            }
        }
    }
    let spread = stories.add(&case.id, features);
    update_spread(case, spread, post);
    case.updated_at = case.updated_at.max(at);
    case.version += 1;
    // The note says why the post belongs to the story, for the officer reading the trail.
    record_event(tx, outbox, case, CaseEventKind::PostAdded, "hearken", at, Some(reason.as_str().to_string()), Some(scored))?;
    if case.priority < before {
        case.version += 1;
        let note = format!("{} → {}", before.as_str(), case.priority.as_str());
        record_event(tx, outbox, case, CaseEventKind::Escalated, "hearken", at, Some(note), Some(scored))?;
    }
    save_case(tx, case)
}

/// Recomputes how far the story has spread, and raises its priority when the spread
/// crosses a threshold: a story many people repeat is urgent even if each post is mild.
fn update_spread(case: &mut Case, count: cases::stories::SpreadCount, post: &Post) {
    let spread = &mut case.spread;
    spread.authors = count.authors;
    spread.authors_last_hour = count.authors_last_hour;
    spread.reach = count.reach;
    let source = post.source.unwrap_or(crate::model::Source::Replay);
    if !spread.sources.contains(&source) {
        spread.sources.push(source);
    }
    let mut raise = |reason: String, to: PriorityLevel| {
        let key = reason.split(':').next().unwrap_or_default().to_string();
        if case.reasons.iter().any(|r| r.starts_with(&key)) {
            return;
        }
        case.reasons.push(reason);
        case.priority = to.min(case.priority);
        case.priority_score = case.priority_score.max(if case.priority == PriorityLevel::P1 { 90 } else { 75 });
    };
    let s = case.spread.clone();
    if s.authors as i64 >= SPREADING_AUTHORS {
        raise(format!("spreading: {} authors", s.authors), PriorityLevel::P2);
    }
    let carried = s.authors as i64 >= VIRAL_MIN_AUTHORS && (s.reach >= VIRAL_REACH || s.sources.len() >= VIRAL_SOURCES);
    if s.authors as i64 >= VIRAL_AUTHORS || carried {
        raise(format!("viral: {} authors, reach {}, {} networks", s.authors, s.reach, s.sources.len()), PriorityLevel::P1);
    }
}

/// A post's text as a case summary: one line, at most 280 bytes.
pub(crate) fn summarize(text: &str) -> String {
    const MAX: usize = 280;
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.len() <= MAX {
        return flat;
    }
    let mut cut = MAX;
    while !flat.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &flat[..cut])
}

fn load_case(tx: &Connection, id: &str) -> anyhow::Result<Option<Case>> {
    let body: Option<String> = tx.query_row("SELECT body FROM cases WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    Ok(match body {
        Some(b) => Some(serde_json::from_str(&b)?),
        None => None,
    })
}

fn save_case(tx: &Connection, case: &Case) -> anyhow::Result<()> {
    tx.prepare_cached(
        "INSERT INTO cases (id, entity_kind, entity_id, status, priority, priority_score, updated_at, version, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, priority = excluded.priority,
             priority_score = excluded.priority_score, updated_at = excluded.updated_at,
             version = excluded.version, body = excluded.body",
    )?
    .execute(params![
        case.id,
        case.entity.kind.as_str(),
        case.entity.id,
        case.status.as_str(),
        case.priority.as_str(),
        case.priority_score,
        case.updated_at.unix_timestamp(),
        case.version as i64,
        serde_json::to_string(case)?,
    ])?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn record_event(
    tx: &Connection,
    outbox: &HashSet<CaseEventKind>,
    case: &Case,
    kind: CaseEventKind,
    actor: &str,
    at: OffsetDateTime,
    note: Option<String>,
    cause: Option<&ScoredPost>,
) -> anyhow::Result<()> {
    let post_uid = cause.filter(|_| matches!(kind, CaseEventKind::Opened | CaseEventKind::PostAdded)).map(|s| s.post.uid());
    let event = CaseEvent { case_id: case.id.clone(), kind, actor: actor.to_string(), at, note, post_uid, version: case.version };
    tx.prepare_cached("INSERT INTO case_events (case_id, version, body) VALUES (?1, ?2, ?3)")?
        .execute(params![case.id, case.version as i64, serde_json::to_string(&event)?])?;
    if outbox.contains(&kind) {
        enqueue_webhook(tx, case, kind, at, cause)?;
    }
    Ok(())
}

/// Posts sent with a webhook event, newest last: enough for the CRM to show the story.
const WEBHOOK_POSTS: usize = 20;

fn enqueue_webhook(tx: &Connection, case: &Case, kind: CaseEventKind, at: OffsetDateTime, cause: Option<&ScoredPost>) -> anyhow::Result<()> {
    let mut posts = Vec::new();
    let cause_uid = cause.map(|c| c.post.uid());
    let skip = case.post_uids.len().saturating_sub(WEBHOOK_POSTS);
    for uid in case.post_uids.iter().skip(skip) {
        if Some(uid) == cause_uid.as_ref() {
            posts.push(cause.expect("cause_uid implies cause").post.clone());
        } else if let Some(p) = tx.query_row("SELECT post FROM posts WHERE uid = ?1", [uid], |r| r.get::<_, String>(0)).optional()? {
            posts.push(serde_json::from_str(&p)?);
        }
    }
    let payload = crate::model::WebhookPayload {
        event: kind,
        case: case.clone(),
        posts,
        assessment: cause.map(|c| c.assessment.clone()),
        occurred_at: at,
    };
    // The delivery id names this event of this case: stable across retries and replays,
    // so the CRM can drop what it already has.
    let delivery_id = format!("{}:{}", case.id, case.version);
    let now = OffsetDateTime::now_utc().unix_timestamp();
    tx.prepare_cached(
        "INSERT OR IGNORE INTO outbox (delivery_id, case_id, event, body, created_at, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![delivery_id, case.id, kind.as_str(), serde_json::to_string(&payload)?, now])?;
    Ok(())
}

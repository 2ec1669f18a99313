//! Erasure on request: an author's posts (or single posts) removed from every store —
//! ClickHouse, the search index and the embedded case store — and the erasure recorded.
//!
//! In the case store the posts go with their trend facts, their membership in cases
//! (the case's post list; its summary when it quoted an erased post; the `post_uid` of
//! the case's audit events) and their copies in the webhook outbox. Deleted content is
//! overwritten (`PRAGMA secure_delete`) and the write-ahead log truncated, so the text
//! does not linger in free pages of the database files. The search index rewrites the
//! segments that held the posts (`SearchIndex::erase`). ClickHouse deletes by mutation
//! (`sinks::clickhouse::maintenance`).
//!
//! The record (table `erasures`, in the case store and in ClickHouse) says who asked,
//! when, what kind of subject and how many posts went — the subject as a pseudonym
//! (`author:hmac:…`, or `author:sha256:…` without `HEARKEN_PSEUDONYM_KEY`) or a post uid
//! (`post:…`), never a handle or any erased content. The stores also use it to keep
//! erased posts out: a post whose uid or author was erased is not stored again when a
//! connector fetches it again or a topic is replayed ([`is_erased`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use rusqlite::{params, Connection, OptionalExtension};
use time::OffsetDateTime;

use super::case_store::summarize;
use super::pseudonym::{audit_subject, author_handle, normalize_handle, Pseudonymizer};
use crate::config::Config;
use crate::model::{Case, CaseEvent, CaseKind, Post};
use crate::sinks::{CaseStore, DataDir, SearchIndex};

/// Creates the `erasures` table (called when the case store opens).
pub fn migrate(conn: &Connection) -> anyhow::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS erasures (
             erasure_id TEXT NOT NULL,
             at INTEGER NOT NULL,
             actor TEXT NOT NULL,
             kind TEXT NOT NULL,
             subject TEXT NOT NULL,
             posts INTEGER NOT NULL,
             note TEXT NOT NULL,
             PRIMARY KEY (erasure_id, kind, subject));
         CREATE INDEX IF NOT EXISTS erasures_subject ON erasures(subject);",
    )?;
    Ok(())
}

/// The pseudonymization key from the environment, read once (None when unset).
fn env_key() -> Option<&'static Pseudonymizer> {
    static KEY: OnceLock<Option<Pseudonymizer>> = OnceLock::new();
    KEY.get_or_init(|| Pseudonymizer::from_env().ok()).as_ref()
}

/// The subjects under which an erasure of this post, or of its author, is recorded.
pub fn subjects_of(post: &Post, key: Option<&Pseudonymizer>) -> Vec<String> {
    let mut out = vec![format!("post:{}", post.uid())];
    if let Some(handle) = author_handle(post) {
        out.push(audit_subject(handle, None));
        if let Some(k) = key {
            out.push(audit_subject(handle, Some(k)));
        }
    }
    out
}

/// Whether any erasure was ever recorded: when none was (most stores), nothing needs the
/// per-post look-up of [`is_erased`] and its keyed hashes.
pub fn any_recorded(conn: &Connection) -> anyhow::Result<bool> {
    Ok(conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM erasures)")?.query_row([], |r| r.get(0))?)
}

/// Whether this post, or its author, was erased: the store then leaves it out.
pub fn is_erased(conn: &Connection, post: &Post) -> anyhow::Result<bool> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM erasures WHERE subject = ?1 LIMIT 1")?;
    for subject in subjects_of(post, env_key()) {
        if stmt.exists([subject])? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Who asked for an erasure, and why.
#[derive(Debug, Clone)]
pub struct Request {
    /// Handles as the networks show them (with or without `@`, any case); for posts
    /// without a handle, the author id.
    pub authors: Vec<String>,
    /// Post uids, `source:id`.
    pub uids: Vec<String>,
    pub actor: String,
    pub note: String,
}

/// One line of the audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub kind: String,
    pub subject: String,
    pub posts: u64,
}

/// What an erasure did, per store.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub erasure_id: String,
    /// All post uids erased (from any store).
    pub uids: BTreeSet<String>,
    /// Posts deleted from ClickHouse (None: not configured).
    pub clickhouse: Option<u64>,
    /// Documents deleted from the search index (None: no index in the data dir).
    pub index: Option<u64>,
    /// What the case store did (None: no case store in the data dir).
    pub store: Option<StoreErasure>,
    pub audit: Vec<AuditEntry>,
}

/// What an erasure did in the case store.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StoreErasure {
    pub posts: u64,
    pub cases_updated: u64,
    pub outbox_rewritten: u64,
    /// False when a reader kept the write-ahead log from being truncated (the old
    /// pages are overwritten at the next checkpoint).
    pub wal_truncated: bool,
}

pub fn new_erasure_id(now: OffsetDateTime) -> String {
    format!("erasure-{:x}", now.unix_timestamp_nanos())
}

/// Erases the request's posts from every store the config and data dir have.
pub async fn erase(config: &Config, dir: &DataDir, request: &Request) -> anyhow::Result<Outcome> {
    let now = OffsetDateTime::now_utc();
    let mut outcome = Outcome { erasure_id: new_erasure_id(now), ..Outcome::default() };
    let key = Pseudonymizer::from_env().ok();
    let wanted_authors: BTreeSet<String> = request.authors.iter().map(|h| normalize_handle(h)).collect();

    // 1. Which posts: the case store knows the handles; ClickHouse only pseudonyms.
    let store_path = dir.case_store();
    let mut store = if store_path.exists() { Some(CaseStore::open(&store_path)?) } else { None };
    let mut per_author: BTreeMap<String, BTreeSet<String>> = wanted_authors.iter().map(|a| (a.clone(), BTreeSet::new())).collect();
    if let Some(store) = store.as_mut() {
        for (author, uid) in author_posts(store.connection(), &wanted_authors)? {
            per_author.entry(author).or_default().insert(uid);
        }
    }
    let mut uids: BTreeSet<String> = request.uids.iter().cloned().collect();
    uids.extend(per_author.values().flatten().cloned());
    // The requested uids some store holds (for the audit's counts).
    let mut present: BTreeSet<String> = BTreeSet::new();
    if let Some(store) = store.as_mut() {
        for uid in &request.uids {
            if store.post(uid)?.is_some() {
                present.insert(uid.clone());
            }
        }
    }

    // 2. ClickHouse, when configured.
    let mut clickhouse_db = None;
    if let Some(ch) = &config.clickhouse {
        if !wanted_authors.is_empty() && key.is_none() {
            anyhow::bail!(
                "ClickHouse holds authors only as keyed pseudonyms: set HEARKEN_PSEUDONYM_KEY (the key the sink writes with) to erase by author"
            );
        }
        let server = super::clickhouse::server_client(ch);
        let (db, _) = super::clickhouse::schema::migrate(&server, &ch.database).await?;
        let pseudonyms: BTreeMap<String, String> =
            wanted_authors.iter().map(|a| (key.as_ref().expect("checked above").pseudonym(a), a.clone())).collect();
        let selector = super::clickhouse::maintenance::PostSelector {
            author_pseudonyms: pseudonyms.keys().cloned().collect(),
            uids: uids.iter().cloned().collect(),
        };
        let erased = super::clickhouse::maintenance::erase_posts(&db, &ch.database, &selector).await?;
        outcome.clickhouse = Some(erased.found.len() as u64);
        for (uid, pseudonym) in &erased.found {
            if let Some(author) = pseudonyms.get(pseudonym) {
                per_author.entry(author.clone()).or_default().insert(uid.clone());
            }
        }
        present.extend(erased.found.iter().map(|(uid, _)| uid.clone()));
        uids.extend(erased.found.into_iter().map(|(uid, _)| uid));
        clickhouse_db = Some((db, ch.database.clone()));
    }
    let uid_list: Vec<String> = uids.iter().cloned().collect();

    // 3. The search index.
    if dir.search_index().exists() {
        let mut index = SearchIndex::open_writer(&dir.search_index())?;
        outcome.index = Some(index.erase(&uid_list)?);
    }

    // 4. The audit entries, then the case store (posts, cases, outbox, audit in one transaction).
    for (author, posts) in &per_author {
        outcome.audit.push(AuditEntry { kind: "author".into(), subject: audit_subject(author, key.as_ref()), posts: posts.len() as u64 });
        if key.is_some() {
            // The store checks both forms when it meets the author again (see is_erased).
            outcome.audit.push(AuditEntry { kind: "author".into(), subject: audit_subject(author, None), posts: posts.len() as u64 });
        }
    }
    for uid in &request.uids {
        outcome.audit.push(AuditEntry { kind: "post".into(), subject: format!("post:{uid}"), posts: present.contains(uid) as u64 });
    }
    if let Some(store) = store.as_mut() {
        let conn = store.connection();
        let erased = erase_from_store(conn, &uids, |tx| record(tx, &outcome.erasure_id, now, request, &outcome.audit))?;
        outcome.store = Some(erased);
    }
    if let Some((db, _)) = &clickhouse_db {
        for entry in &outcome.audit {
            let row = super::clickhouse::ErasureRow {
                at: super::clickhouse::rows::datetime(now.unix_timestamp()),
                erasure_id: outcome.erasure_id.clone(),
                actor: request.actor.clone(),
                kind: entry.kind.clone(),
                subject: entry.subject.clone(),
                posts: entry.posts,
                note: request.note.clone(),
            };
            super::clickhouse::maintenance::record_erasure(db, &row).await?;
        }
    }
    outcome.uids = uids;
    Ok(outcome)
}

/// (normalized handle, uid) of the stored posts of these authors.
fn author_posts(conn: &Connection, authors: &BTreeSet<String>) -> anyhow::Result<Vec<(String, String)>> {
    if authors.is_empty() {
        return Ok(Vec::new());
    }
    // Handles are compared normalized (no @, any case, Unicode-aware), which SQL's lower()
    // is not: scan the authors, a rare and bounded job.
    let mut stmt = conn.prepare("SELECT author, uid FROM posts WHERE author IS NOT NULL")?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let author = normalize_handle(&row.get::<_, String>(0)?);
        if authors.contains(&author) {
            out.push((author, row.get(1)?));
        }
    }
    Ok(out)
}

/// Appends the audit entries of an erasure.
fn record(conn: &Connection, erasure_id: &str, at: OffsetDateTime, request: &Request, entries: &[AuditEntry]) -> anyhow::Result<()> {
    for e in entries {
        conn.execute(
            "INSERT OR REPLACE INTO erasures (erasure_id, at, actor, kind, subject, posts, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![erasure_id, at.unix_timestamp(), request.actor, e.kind, e.subject, e.posts as i64, request.note],
        )?;
    }
    Ok(())
}

/// One line of a case store's erasure record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErasureRecord {
    pub erasure_id: String,
    /// Seconds since the epoch.
    pub at: i64,
    pub actor: String,
    /// `author`, `post` or `retention`.
    pub kind: String,
    /// A pseudonym (`author:hmac:…`, `author:sha256:…`), `post:UID`, or the retention cutoffs.
    pub subject: String,
    pub posts: u64,
    pub note: String,
}

/// The erasures recorded in a case store, oldest first.
pub fn audit_log(conn: &Connection) -> anyhow::Result<Vec<ErasureRecord>> {
    let mut stmt = conn.prepare("SELECT erasure_id, at, actor, kind, subject, posts, note FROM erasures ORDER BY at, erasure_id")?;
    let rows = stmt.query_map([], |r| {
        Ok(ErasureRecord {
            erasure_id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            kind: r.get(3)?,
            subject: r.get(4)?,
            posts: r.get::<_, i64>(5)? as u64,
            note: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Removes the posts from the case store, with everything that quotes or lists them, and
/// runs `audit` in the same transaction. Deleted content is overwritten.
pub fn erase_from_store(
    conn: &mut Connection,
    uids: &BTreeSet<String>,
    audit: impl FnOnce(&Connection) -> anyhow::Result<()>,
) -> anyhow::Result<StoreErasure> {
    conn.pragma_update(None, "secure_delete", "ON")?;
    let tx = super::case_store::write_transaction(conn)?;
    let mut out = StoreErasure::default();
    let list: Vec<String> = uids.iter().cloned().collect();

    // Cases that list, or whose audit trail names, an erased post.
    let mut cases: BTreeSet<String> = BTreeSet::new();
    for uid in uids {
        if let Some(Some(id)) = tx.query_row("SELECT case_id FROM posts WHERE uid = ?1", [uid], |r| r.get::<_, Option<String>>(0)).optional()? {
            cases.insert(id);
        }
    }
    {
        let mut stmt = tx.prepare("SELECT DISTINCT case_id FROM case_events WHERE json_extract(body, '$.post_uid') = ?1")?;
        for uid in uids {
            for id in stmt.query_map([uid], |r| r.get::<_, String>(0))? {
                cases.insert(id?);
            }
        }
    }
    for case_id in &cases {
        let body: Option<String> = tx.query_row("SELECT body FROM cases WHERE id = ?1", [case_id], |r| r.get(0)).optional()?;
        if let Some(body) = body {
            let mut case: Case = serde_json::from_str(&body)?;
            let first_post = case.post_uids.first().cloned();
            case.post_uids.retain(|u| !uids.contains(u));
            if case.kind == CaseKind::Story && first_post.is_some_and(|u| uids.contains(&u)) {
                // The summary quotes the first post: quote the next one that remains.
                let next = match case.post_uids.first() {
                    Some(uid) => tx
                        .query_row("SELECT post FROM posts WHERE uid = ?1", [uid], |r| r.get::<_, String>(0))
                        .optional()?
                        .map(|p| serde_json::from_str::<Post>(&p))
                        .transpose()?,
                    None => None,
                };
                case.summary = next.map(|p| summarize(&p.text)).unwrap_or_else(|| ERASED.to_string());
            }
            tx.execute("UPDATE cases SET body = ?1 WHERE id = ?2", params![serde_json::to_string(&case)?, case_id])?;
            out.cases_updated += 1;
        }
        let events: Vec<(i64, String)> = {
            let mut stmt = tx.prepare("SELECT version, body FROM case_events WHERE case_id = ?1")?;
            let rows = stmt.query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (version, body) in events {
            let mut event: CaseEvent = serde_json::from_str(&body)?;
            if event.post_uid.as_ref().is_some_and(|u| uids.contains(u)) {
                event.post_uid = None;
                tx.execute(
                    "UPDATE case_events SET body = ?1 WHERE case_id = ?2 AND version = ?3",
                    params![serde_json::to_string(&event)?, case_id, version],
                )?;
            }
        }
        out.outbox_rewritten += scrub_outbox(&tx, case_id, uids)?;
    }

    for uid in &list {
        out.posts += tx.prepare_cached("DELETE FROM posts WHERE uid = ?1")?.execute([uid])? as u64;
    }
    super::trend_facts::delete_uids(&tx, &list)?;
    audit(&tx)?;
    tx.commit()?;
    // The write-ahead log still holds the pages as they were before: copy the new ones
    // into the database and truncate it.
    let (busy, _, _): (i64, i64, i64) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    out.wal_truncated = busy == 0;
    Ok(out)
}

/// What replaces a case summary that quoted an erased post, when no post remains.
pub const ERASED: &str = "[post erased on request]";

/// Removes erased posts (and the assessment of one) from the case's queued or sent
/// webhook payloads. Returns how many payloads changed.
fn scrub_outbox(tx: &Connection, case_id: &str, uids: &BTreeSet<String>) -> anyhow::Result<u64> {
    let rows: Vec<(String, String)> = {
        let mut stmt = tx.prepare("SELECT delivery_id, body FROM outbox WHERE case_id = ?1")?;
        let rows = stmt.query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let ids: BTreeSet<&str> = uids.iter().filter_map(|u| u.split_once(':').map(|(_, id)| id)).collect();
    let mut changed = 0;
    for (delivery_id, body) in rows {
        let mut payload: serde_json::Value = serde_json::from_str(&body)?;
        let mut dirty = false;
        if let Some(posts) = payload.get_mut("posts").and_then(|p| p.as_array_mut()) {
            let before = posts.len();
            posts.retain(|p| serde_json::from_value::<Post>(p.clone()).map(|p| !uids.contains(&p.uid())).unwrap_or(true));
            dirty |= posts.len() != before;
        }
        // The assessment echoes the post id (not its source): drop it when it may be an erased post's.
        if payload.get("assessment").and_then(|a| a.get("id")).and_then(|i| i.as_str()).is_some_and(|id| ids.contains(id)) {
            payload["assessment"] = serde_json::Value::Null;
            dirty = true;
        }
        if let Some(case) = payload.get_mut("case") {
            if let Ok(mut snapshot) = serde_json::from_value::<Case>(case.clone()) {
                let first = snapshot.post_uids.first().cloned();
                snapshot.post_uids.retain(|u| !uids.contains(u));
                if first.is_some_and(|u| uids.contains(&u)) && snapshot.kind == CaseKind::Story {
                    snapshot.summary = ERASED.to_string();
                }
                let new = serde_json::to_value(&snapshot)?;
                if &new != case {
                    *case = new;
                    dirty = true;
                }
            }
        }
        if dirty {
            tx.execute("UPDATE outbox SET body = ?1 WHERE delivery_id = ?2", params![serde_json::to_string(&payload)?, delivery_id])?;
            changed += 1;
        }
    }
    Ok(changed)
}


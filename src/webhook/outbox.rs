//! The webhook outbox, read and updated through a connection of its own to the case store
//! database (the case store fills the table, in the same transaction as each case change:
//! see `sinks::case_store`).
//!
//! A row is `pending` until the CRM answers 2xx (`delivered`) or the retry budget is spent
//! (`dead`, with the last error). Nothing is held only in memory: a process killed
//! mid-delivery leaves the row pending, and the next run sends it again under the same
//! delivery id, which lets the CRM drop the duplicate.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::sinks::CaseStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryState> {
        [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Dead].into_iter().find(|d| d.as_str() == s)
    }
}

/// A delivery to attempt: what goes on the wire.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `<case_id>:<version>`: the `X-Hearken-Delivery` header, stable across retries.
    pub id: String,
    pub case_id: String,
    pub event: String,
    /// The exact JSON body to POST, byte for byte (the signature covers these bytes).
    pub body: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// One outbox row as `hearken webhooks list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxRow {
    pub delivery_id: String,
    pub case_id: String,
    pub event: String,
    pub state: String,
    pub attempts: u32,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; for pending rows, when the next attempt is due.
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
}

pub struct Outbox {
    conn: Connection,
}

/// The version part of the delivery id (`<case_id>:<version>`) of table alias `t`, in
/// SQL: deliveries of one case go out in this order (numeric, so 10 comes after 9).
fn version_of(t: &str) -> String {
    format!("CAST(substr({t}.delivery_id, length({t}.case_id) + 2) AS INTEGER)")
}

impl Outbox {
    /// Opens the outbox of the case store at `path`, creating the store (and its tables)
    /// when it does not exist yet.
    pub fn open(path: &Path) -> anyhow::Result<Outbox> {
        // The case store owns the schema: opening it once creates or checks it.
        drop(CaseStore::open(path)?);
        let conn = Connection::open(path).map_err(|e| anyhow::anyhow!("cannot open the case store {}: {e}", path.display()))?;
        // The pipeline commits batches to the same database; wait for it rather than fail.
        conn.busy_timeout(Duration::from_secs(10))?;
        // For the per-case ordering check of `due` (an index, no change to the table).
        conn.execute_batch("CREATE INDEX IF NOT EXISTS outbox_case ON outbox(case_id, state)")?;
        Ok(Outbox { conn })
    }

    /// Pending deliveries due at `now` (unix seconds), oldest due first, at most `limit`.
    /// Only the first pending delivery of each case is returned: a case's later event
    /// waits until the earlier one is delivered or dead.
    pub fn due(&self, now: i64, limit: usize) -> anyhow::Result<Vec<Delivery>> {
        let sql = format!(
            "SELECT o.delivery_id, o.case_id, o.event, o.body, o.attempts FROM outbox o
             WHERE o.state = 'pending' AND o.next_attempt_at <= ?1
               AND NOT EXISTS (
                   SELECT 1 FROM outbox e WHERE e.case_id = o.case_id AND e.state = 'pending'
                   AND {e_version} < {o_version})
             ORDER BY o.next_attempt_at, o.created_at, o.case_id, {o_version}
             LIMIT ?2",
            e_version = version_of("e"),
            o_version = version_of("o"),
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![now, limit as i64], |r| {
            Ok(Delivery { id: r.get(0)?, case_id: r.get(1)?, event: r.get(2)?, body: r.get(3)?, attempts: r.get::<_, i64>(4)? as u32 })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The CRM took it.
    pub fn delivered(&self, id: &str, attempts: u32) -> anyhow::Result<()> {
        self.conn
            .prepare_cached("UPDATE outbox SET state = 'delivered', attempts = ?2, last_error = NULL WHERE delivery_id = ?1")?
            .execute(params![id, attempts as i64])?;
        Ok(())
    }

    /// A failed attempt with budget left: try again at `next_attempt_at` (unix seconds).
    pub fn retry_later(&self, id: &str, attempts: u32, next_attempt_at: i64, error: &str) -> anyhow::Result<()> {
        self.conn
            .prepare_cached("UPDATE outbox SET attempts = ?2, next_attempt_at = ?3, last_error = ?4 WHERE delivery_id = ?1 AND state = 'pending'")?
            .execute(params![id, attempts as i64, next_attempt_at, error])?;
        Ok(())
    }

    /// The retry budget is spent: a dead letter until `hearken webhooks retry`.
    pub fn dead(&self, id: &str, attempts: u32, error: &str) -> anyhow::Result<()> {
        self.conn
            .prepare_cached("UPDATE outbox SET state = 'dead', attempts = ?2, last_error = ?3 WHERE delivery_id = ?1 AND state = 'pending'")?
            .execute(params![id, attempts as i64, error])?;
        Ok(())
    }

    /// Rows in queue order (oldest first), optionally of one state.
    pub fn list(&self, state: Option<DeliveryState>, limit: usize) -> anyhow::Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT delivery_id, case_id, event, state, attempts, created_at, next_attempt_at, last_error FROM outbox o
             WHERE (?1 IS NULL OR state = ?1) ORDER BY created_at, case_id, {} LIMIT ?2",
            version_of("o")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![state.map(|s| s.as_str()), limit as i64], |r| {
            Ok(OutboxRow {
                delivery_id: r.get(0)?,
                case_id: r.get(1)?,
                event: r.get(2)?,
                state: r.get(3)?,
                attempts: r.get::<_, i64>(4)? as u32,
                created_at: r.get(5)?,
                next_attempt_at: r.get(6)?,
                last_error: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many rows are in each state: (pending, delivered, dead).
    pub fn counts(&self) -> anyhow::Result<(u64, u64, u64)> {
        let one = |state: &str| {
            self.conn.query_row("SELECT count(*) FROM outbox WHERE state = ?1", [state], |r| r.get::<_, i64>(0)).map(|n| n as u64)
        };
        Ok((one("pending")?, one("delivered")?, one("dead")?))
    }

    /// Puts dead deliveries back in the queue with a fresh retry budget, due now: the one
    /// named `id`, or every dead one when `id` is `None`. Returns how many were revived.
    pub fn revive(&self, id: Option<&str>, now: i64) -> anyhow::Result<usize> {
        if let Some(id) = id {
            let state: Option<String> =
                self.conn.query_row("SELECT state FROM outbox WHERE delivery_id = ?1", [id], |r| r.get(0)).optional()?;
            match state.as_deref() {
                None => anyhow::bail!("no delivery {id} in the outbox; list them with `hearken webhooks list`"),
                Some("dead") => {}
                Some(other) => anyhow::bail!("delivery {id} is {other}, not dead; only dead deliveries are retried"),
            }
        }
        Ok(self.conn.execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?2, last_error = NULL
             WHERE state = 'dead' AND (?1 IS NULL OR delivery_id = ?1)",
            params![id, now],
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outbox with rows put in directly, the way the case store queues them.
    fn outbox_with(rows: &[(&str, &str, i64)]) -> (tempfile::TempDir, Outbox) {
        let tmp = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(&tmp.path().join("cases.sqlite")).unwrap();
        for (case, version, due) in rows.iter().map(|(c, v, d)| (*c, *v, *d)) {
            outbox
                .conn
                .execute(
                    "INSERT INTO outbox (delivery_id, case_id, event, body, created_at, next_attempt_at) VALUES (?1, ?2, 'opened', '{}', 100, ?3)",
                    params![format!("{case}:{version}"), case, due],
                )
                .unwrap();
        }
        (tmp, outbox)
    }

    fn ids(d: &[Delivery]) -> Vec<&str> {
        d.iter().map(|d| d.id.as_str()).collect()
    }

    #[test]
    fn only_the_first_pending_event_of_a_case_is_due() {
        // case-a:10 sorts before case-a:9 as text; the order must be numeric.
        let (_tmp, outbox) = outbox_with(&[("case-a", "9", 100), ("case-a", "10", 100), ("case-b", "1", 100), ("case-b", "2", 100)]);
        assert_eq!(ids(&outbox.due(100, 10).unwrap()), ["case-a:9", "case-b:1"]);
        outbox.delivered("case-a:9", 1).unwrap();
        outbox.dead("case-b:1", 5, "HTTP 500").unwrap();
        assert_eq!(ids(&outbox.due(100, 10).unwrap()), ["case-a:10", "case-b:2"]);
    }

    #[test]
    fn a_later_event_waits_for_an_earlier_one_in_backoff() {
        let (_tmp, outbox) = outbox_with(&[("case-a", "1", 100), ("case-a", "2", 100), ("case-c", "1", 100)]);
        outbox.retry_later("case-a:1", 1, 160, "HTTP 503").unwrap();
        assert_eq!(ids(&outbox.due(120, 10).unwrap()), ["case-c:1"], "case-a:2 must not overtake case-a:1");
        let due = outbox.due(160, 10).unwrap();
        assert_eq!(ids(&due), ["case-c:1", "case-a:1"]);
        assert_eq!(due[1].attempts, 1);
        assert_eq!(outbox.due(160, 1).unwrap().len(), 1, "the limit holds");
    }

    #[test]
    fn revive_puts_dead_deliveries_back_with_a_fresh_budget() {
        let (_tmp, outbox) = outbox_with(&[("case-a", "1", 100), ("case-b", "1", 100), ("case-c", "1", 100)]);
        outbox.dead("case-a:1", 12, "HTTP 500").unwrap();
        outbox.dead("case-b:1", 12, "timed out").unwrap();
        outbox.delivered("case-c:1", 1).unwrap();
        assert!(outbox.revive(Some("case-c:1"), 200).unwrap_err().to_string().contains("delivered, not dead"));
        assert!(outbox.revive(Some("case-z:1"), 200).unwrap_err().to_string().contains("no delivery"));
        assert_eq!(outbox.revive(Some("case-a:1"), 200).unwrap(), 1);
        let a = &outbox.list(Some(DeliveryState::Pending), 10).unwrap()[0];
        assert_eq!((a.delivery_id.as_str(), a.attempts, a.next_attempt_at, a.last_error.as_deref()), ("case-a:1", 0, 200, None));
        assert_eq!(outbox.revive(None, 200).unwrap(), 1, "only case-b:1 was still dead");
        assert_eq!(outbox.counts().unwrap(), (2, 1, 0));
    }
}

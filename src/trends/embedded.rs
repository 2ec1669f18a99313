//! The trend questions over the embedded case store's trend facts (SQLite).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

use super::{category_of, finish_slices, Bucket, Counts, Dimension, Filter, SeriesPoint, Slice, TimeRange, Trends};
use crate::model::{Category, EntityRef};

/// Reads the trend facts of a case store file. Queries run on tokio's blocking pool.
#[derive(Clone)]
pub struct EmbeddedTrends {
    conn: Arc<Mutex<Connection>>,
}

impl EmbeddedTrends {
    /// Opens the case store at `path` read-only (it must exist: `hearken run` or
    /// `hearken replay` create it).
    pub fn open(path: &Path) -> anyhow::Result<EmbeddedTrends> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| anyhow::anyhow!("cannot open the case store {} for trends: {e}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(EmbeddedTrends { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().map_err(|_| anyhow::anyhow!("the trends connection was poisoned by a panic"))?;
            f(&conn)
        })
        .await?
    }
}

/// `count, complaints, negative, neutral, positive, sentiment sum` over `p` (trend_posts).
const COUNTS: &str = "count(*), sum(p.complaint), sum(p.sentiment = 'negative'), sum(p.sentiment = 'neutral'), \
                      sum(p.sentiment = 'positive'), sum(p.sentiment_milli)";

fn counts(row: &rusqlite::Row, first: usize) -> rusqlite::Result<Counts> {
    Ok(Counts {
        posts: row.get::<_, i64>(first)? as u64,
        complaints: row.get::<_, i64>(first + 1)? as u64,
        negative: row.get::<_, i64>(first + 2)? as u64,
        neutral: row.get::<_, i64>(first + 3)? as u64,
        positive: row.get::<_, i64>(first + 4)? as u64,
        sentiment_milli_sum: row.get(first + 5)?,
    })
}

/// SQL conditions on `p` (trend_posts) for a filter, with their parameters appended.
fn filter_sql(filter: &Filter, range: TimeRange, params: &mut Vec<Value>) -> String {
    let mut sql = String::new();
    if let Some(entity) = filter.entity_key() {
        sql.push_str(" AND p.uid IN (SELECT uid FROM trend_entities WHERE entity = ? AND created_at >= ? AND created_at < ?)");
        params.extend([Value::Text(entity), Value::Integer(range.from), Value::Integer(range.to)]);
    }
    if let Some(source) = &filter.source {
        sql.push_str(" AND p.source = ?");
        params.push(Value::Text(source.clone()));
    }
    if let Some(lang) = &filter.lang {
        sql.push_str(" AND p.lang = ?");
        params.push(Value::Text(lang.clone()));
    }
    sql
}

impl Trends for EmbeddedTrends {
    async fn series(&self, entity: &EntityRef, bucket: Bucket, range: TimeRange) -> anyhow::Result<Vec<SeriesPoint>> {
        let key = super::entity_key(entity.kind, &entity.id);
        let (offset, width) = bucket.offset_and_width();
        self.run(move |conn| {
            let sql = format!(
                "SELECT (e.created_at + ?1) / ?2 * ?2 - ?1 AS b, {COUNTS}
                 FROM trend_entities e JOIN trend_posts p ON p.uid = e.uid
                 WHERE e.entity = ?3 AND e.created_at >= ?4 AND e.created_at < ?5
                 GROUP BY b ORDER BY b"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(rusqlite::params![offset, width, key, range.from, range.to], |r| {
                Ok(SeriesPoint { start: r.get(0)?, counts: counts(r, 1)? })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn category_counts(&self, filter: &Filter, range: TimeRange) -> anyhow::Result<HashMap<Category, u64>> {
        let filter = filter.clone();
        self.run(move |conn| {
            let mut params = vec![Value::Integer(range.from), Value::Integer(range.to)];
            let conditions = filter_sql(&filter, range, &mut params);
            let sql = format!(
                "SELECT c.category, count(*) FROM trend_categories c JOIN trend_posts p ON p.uid = c.uid
                 WHERE c.created_at >= ? AND c.created_at < ?{conditions}
                 GROUP BY c.category"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
            let mut out = HashMap::new();
            while let Some(r) = rows.next()? {
                out.insert(category_of(&r.get::<_, String>(0)?)?, r.get::<_, i64>(1)? as u64);
            }
            Ok(out)
        })
        .await
    }

    async fn breakdown(&self, by: Dimension, filter: &Filter, range: TimeRange) -> anyhow::Result<Vec<Slice>> {
        let filter = filter.clone();
        self.run(move |conn| {
            let mut params = Vec::new();
            let sql = match by {
                Dimension::Entity(kind) => {
                    // Entities of a kind: the key range ["kind:", "kind;") of the primary key.
                    params.extend([
                        Value::Text(format!("{}:", kind.as_str())),
                        Value::Text(format!("{};", kind.as_str())),
                        Value::Integer(range.from),
                        Value::Integer(range.to),
                    ]);
                    let conditions = filter_sql(&filter, range, &mut params);
                    format!(
                        "SELECT e.entity, {COUNTS} FROM trend_entities e JOIN trend_posts p ON p.uid = e.uid
                         WHERE e.entity >= ? AND e.entity < ? AND e.created_at >= ? AND e.created_at < ?{conditions}
                         GROUP BY e.entity"
                    )
                }
                Dimension::Source | Dimension::Language => {
                    let column = if by == Dimension::Source { "p.source" } else { "p.lang" };
                    params.extend([Value::Integer(range.from), Value::Integer(range.to)]);
                    let conditions = filter_sql(&filter, range, &mut params);
                    format!(
                        "SELECT {column}, {COUNTS} FROM trend_posts p
                         WHERE p.created_at >= ? AND p.created_at < ?{conditions}
                         GROUP BY {column}"
                    )
                }
            };
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| Ok((r.get::<_, String>(0)?, counts(r, 1)?)))?;
            Ok(finish_slices(by, rows.collect::<Result<_, _>>()?))
        })
        .await
    }
}

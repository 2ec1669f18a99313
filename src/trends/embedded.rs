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

/// `count, complaints, negative, neutral, positive, sentiment sum` over the rows of `x`
/// (trend_posts or trend_entities: both carry the counted columns).
fn counts_sql(x: &str) -> String {
    format!(
        "count(*), sum({x}.complaint), sum({x}.sentiment = 'negative'), sum({x}.sentiment = 'neutral'), \
         sum({x}.sentiment = 'positive'), sum({x}.sentiment_milli)"
    )
}

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

/// Conditions on the rows of `x` (any facts table: all carry uid, source, lang) for a
/// filter, with their parameters appended. The entity, when `x` is not already the
/// entity's rows, is a semi-join on the entity's primary-key range.
fn filter_sql(x: &str, filter: &Filter, entity_done: bool, range: TimeRange, params: &mut Vec<Value>) -> String {
    let mut sql = String::new();
    if let (Some(entity), false) = (filter.entity_key(), entity_done) {
        sql.push_str(&format!(" AND {x}.uid IN (SELECT uid FROM trend_entities WHERE entity = ? AND created_at >= ? AND created_at < ?)"));
        params.extend([Value::Text(entity), Value::Integer(range.from), Value::Integer(range.to)]);
    }
    if let Some(source) = &filter.source {
        sql.push_str(&format!(" AND {x}.source = ?"));
        params.push(Value::Text(source.clone()));
    }
    if let Some(lang) = &filter.lang {
        sql.push_str(&format!(" AND {x}.lang = ?"));
        params.push(Value::Text(lang.clone()));
    }
    sql
}

impl Trends for EmbeddedTrends {
    async fn series(&self, entity: &EntityRef, bucket: Bucket, range: TimeRange) -> anyhow::Result<Vec<SeriesPoint>> {
        let key = super::entity_key(entity.kind, &entity.id);
        let (offset, width) = bucket.offset_and_width();
        self.run(move |conn| {
            // A range of trend_entities' primary key: (entity, created_at).
            let sql = format!(
                "SELECT (e.created_at + ?1) / ?2 * ?2 - ?1 AS b, {}
                 FROM trend_entities e
                 WHERE e.entity = ?3 AND e.created_at >= ?4 AND e.created_at < ?5
                 GROUP BY b ORDER BY b",
                counts_sql("e")
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
            let conditions = filter_sql("c", &filter, false, range, &mut params);
            let sql = format!(
                "SELECT c.category, count(*) FROM trend_categories c
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
            let sql = match (by, filter.entity_key()) {
                (Dimension::Entity(kind), _) => {
                    // Entities of a kind: the key range ["kind:", "kind;") of the primary key.
                    params.extend([
                        Value::Text(format!("{}:", kind.as_str())),
                        Value::Text(format!("{};", kind.as_str())),
                        Value::Integer(range.from),
                        Value::Integer(range.to),
                    ]);
                    let conditions = filter_sql("e", &filter, false, range, &mut params);
                    format!(
                        "SELECT e.entity, {} FROM trend_entities e
                         WHERE e.entity >= ? AND e.entity < ? AND e.created_at >= ? AND e.created_at < ?{conditions}
                         GROUP BY e.entity",
                        counts_sql("e")
                    )
                }
                (Dimension::Source | Dimension::Language, Some(entity)) => {
                    // One entity's posts: its range of trend_entities.
                    let column = if by == Dimension::Source { "e.source" } else { "e.lang" };
                    params.extend([Value::Text(entity), Value::Integer(range.from), Value::Integer(range.to)]);
                    let conditions = filter_sql("e", &filter, true, range, &mut params);
                    format!(
                        "SELECT {column}, {} FROM trend_entities e
                         WHERE e.entity = ? AND e.created_at >= ? AND e.created_at < ?{conditions}
                         GROUP BY {column}",
                        counts_sql("e")
                    )
                }
                (Dimension::Source | Dimension::Language, None) => {
                    let column = if by == Dimension::Source { "p.source" } else { "p.lang" };
                    params.extend([Value::Integer(range.from), Value::Integer(range.to)]);
                    let conditions = filter_sql("p", &filter, true, range, &mut params);
                    format!(
                        "SELECT {column}, {} FROM trend_posts p
                         WHERE p.created_at >= ? AND p.created_at < ?{conditions}
                         GROUP BY {column}",
                        counts_sql("p")
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

//! `SqliteResponseCache`: the durable provider-response cache, a table in the store's SQLite file.
//!
//! Table `response_cache(key TEXT PK, value BLOB, expires_at INTEGER)`, `expires_at` in milliseconds since the Unix
//! epoch. Expired rows are never answered; they are deleted when the cache opens and every
//! [`PURGE_EVERY`] writes after that, so the table holds about one TTL's worth of distinct lookups.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use shadowhunter_providers::resilient::{ResponseCache, ResponseCacheError, StoredResponse};

use crate::store::{Db, DbError, SqliteStore};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS response_cache (
    key        TEXT PRIMARY KEY NOT NULL,
    value      BLOB NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS response_cache_expiry ON response_cache(expires_at);
";

/// Writes between two sweeps of expired rows.
pub const PURGE_EVERY: u64 = 1_024;

/// The [`ResponseCache`] port over the store's database file.
#[derive(Clone)]
pub struct SqliteResponseCache {
    db: Db,
    writes: Arc<AtomicU64>,
}

impl SqliteResponseCache {
    /// The cache in `store`'s database file; creates the table and drops expired rows. Call it at start-up.
    pub fn open(store: &SqliteStore) -> Result<Self, DbError> {
        store.db().run_now(|conn| {
            conn.execute_batch(SCHEMA)?;
            conn.execute(
                "DELETE FROM response_cache WHERE expires_at <= ?1",
                [Utc::now().timestamp_millis()],
            )?;
            Ok(())
        })?;
        Ok(Self {
            db: store.db().clone(),
            writes: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Rows in the table, expired or not.
    pub async fn len(&self) -> Result<usize, DbError> {
        let rows = self
            .db
            .run(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM response_cache", [], |row| row.get::<_, i64>(0))?))
            .await?;
        Ok(usize::try_from(rows).unwrap_or(0))
    }

    /// Whether the table is empty.
    pub async fn is_empty(&self) -> Result<bool, DbError> {
        Ok(self.len().await? == 0)
    }
}

fn cache_error(err: DbError) -> ResponseCacheError {
    ResponseCacheError(err.to_string())
}

#[async_trait]
impl ResponseCache for SqliteResponseCache {
    async fn get(&self, key: &str) -> Result<Option<StoredResponse>, ResponseCacheError> {
        let key = key.to_string();
        let now = Utc::now().timestamp_millis();
        let row = self
            .db
            .run(move |conn| {
                Ok(conn
                    .query_row(
                        "SELECT value, expires_at FROM response_cache WHERE key = ?1 AND expires_at > ?2",
                        params![key, now],
                        |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, i64>(1)?)),
                    )
                    .optional()?)
            })
            .await
            .map_err(cache_error)?;
        Ok(row.and_then(|(bytes, expires_ms)| {
            DateTime::from_timestamp_millis(expires_ms).map(|expires_at| StoredResponse { bytes, expires_at })
        }))
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, expires_at: DateTime<Utc>) -> Result<(), ResponseCacheError> {
        let key = key.to_string();
        let purge = self.writes.fetch_add(1, Ordering::Relaxed) % PURGE_EVERY == PURGE_EVERY - 1;
        let now = Utc::now().timestamp_millis();
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT INTO response_cache (key, value, expires_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
                    params![key, bytes, expires_at.timestamp_millis()],
                )?;
                if purge {
                    conn.execute("DELETE FROM response_cache WHERE expires_at <= ?1", [now])?;
                }
                Ok(())
            })
            .await
            .map_err(cache_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_an(hours: i64) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::hours(hours)
    }

    #[tokio::test]
    async fn a_filed_answer_is_read_back_until_it_expires() {
        let cache = SqliteResponseCache::open(&SqliteStore::in_memory().unwrap()).unwrap();
        assert_eq!(cache.get("k").await.unwrap(), None);
        let expires_at = in_an(1);
        cache.put("k", b"[1]".to_vec(), expires_at).await.unwrap();
        let stored = cache.get("k").await.unwrap().expect("filed");
        assert_eq!(stored.bytes, b"[1]");
        assert_eq!(stored.expires_at.timestamp_millis(), expires_at.timestamp_millis());

        cache.put("k", b"[2]".to_vec(), in_an(-1)).await.unwrap();
        assert_eq!(cache.get("k").await.unwrap(), None, "an expired answer is not served");
    }

    #[tokio::test]
    async fn the_cache_lives_beside_the_checks_and_drops_expired_rows_on_open() {
        let store = SqliteStore::in_memory().unwrap();
        let cache = SqliteResponseCache::open(&store).unwrap();
        cache.put("old", b"[]".to_vec(), in_an(-1)).await.unwrap();
        cache.put("new", b"[]".to_vec(), in_an(1)).await.unwrap();
        assert_eq!(cache.len().await.unwrap(), 2);

        // Reopening over the same database (a restart) keeps the live row only.
        let reopened = SqliteResponseCache::open(&store).unwrap();
        assert_eq!(reopened.len().await.unwrap(), 1);
        assert!(reopened.get("new").await.unwrap().is_some());
        let tables: i64 = store
            .db()
            .run(|conn| {
                Ok(conn.query_row(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('checks', 'response_cache')",
                    [],
                    |row| row.get(0),
                )?)
            })
            .await
            .unwrap();
        assert_eq!(tables, 2);
    }

    #[tokio::test]
    async fn every_so_many_writes_sweep_expired_rows() {
        let cache = SqliteResponseCache::open(&SqliteStore::in_memory().unwrap()).unwrap();
        cache.put("stale", b"[]".to_vec(), in_an(-1)).await.unwrap();
        for n in 1..PURGE_EVERY {
            cache.put(&format!("k{n}"), b"[]".to_vec(), in_an(1)).await.unwrap();
        }
        assert_eq!(cache.len().await.unwrap() as u64, PURGE_EVERY - 1);
    }
}

//! `SqliteStore`: the embedded `CheckStore` adapter — one SQLite file holds checks, their evidence, verdicts and reports.
//!
//! Schema (created on open, `IF NOT EXISTS`, so opening an existing file is a no-op):
//!
//! - `checks(id TEXT PK, request_json TEXT, status TEXT, error TEXT NULL, received_at TEXT, updated_at TEXT, reference TEXT NULL)`
//!   — `request_json` is the parsed `CheckRequest` re-serialized; times are RFC 3339 UTC; `status` is
//!   `queued | running | done | failed`; `reference` is copied out of the request so it can be queried.
//! - `evidence(check_id, channel, json)`, PK `(check_id, channel)` — one `Evidence` per channel, upserted.
//! - `verdicts(check_id, channel, json)`, PK `(check_id, channel)` — one `ChannelVerdict` per channel, upserted.
//! - `reports(check_id PK, json)` — the finished `Report`.
//! - `queue(...)` lives in the same file and is owned by [`crate::queue`].
//!
//! The connection runs in WAL mode with a busy timeout, behind a `Mutex` that is only ever locked on the writer
//! thread ([`crate::writer`], which group-commits every write) or inside `tokio::task::spawn_blocking` (reads),
//! so SQLite's blocking I/O never stalls the async runtime. One connection is plenty for the local runner, and it
//! makes every read-modify-write trivially serial within the process; WAL and the busy timeout keep a second
//! process (the CLI) safe.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use shadowhunter_core::check::{Check, CheckId, CheckStatus};
use shadowhunter_core::ports::{CheckRecord, CheckStore, Clock, StoreError, SystemClock};
use shadowhunter_core::{Channel, ChannelVerdict, CheckRequest, ErrorKind, Evidence, Report};
use tracing::instrument;

use crate::writer::{GroupWrite, WriteSender};

/// Prepared statements kept per connection: more than the store, the queue and the response cache use.
const STATEMENT_CACHE: usize = 64;

/// How long a statement waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS checks (
    id           TEXT PRIMARY KEY NOT NULL,
    request_json TEXT NOT NULL,
    status       TEXT NOT NULL,
    error        TEXT,
    received_at  TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    reference    TEXT
);
DROP INDEX IF EXISTS checks_reference;
CREATE TABLE IF NOT EXISTS evidence (
    check_id TEXT NOT NULL REFERENCES checks(id),
    channel  TEXT NOT NULL,
    json     TEXT NOT NULL,
    PRIMARY KEY (check_id, channel)
);
CREATE TABLE IF NOT EXISTS verdicts (
    check_id TEXT NOT NULL REFERENCES checks(id),
    channel  TEXT NOT NULL,
    json     TEXT NOT NULL,
    PRIMARY KEY (check_id, channel)
);
CREATE TABLE IF NOT EXISTS reports (
    check_id TEXT PRIMARY KEY NOT NULL REFERENCES checks(id),
    json     TEXT NOT NULL
);
";

/// The check's row and its report. A subquery, not a LEFT JOIN: SQLite carries a join's constraint over to the
/// bound parameter and then compiles the statement again on every execution (6% of the service's CPU in a profile).
const GET_CHECK: &str = "SELECT c.request_json, c.status, c.error, c.received_at,
        (SELECT r.json FROM reports r WHERE r.check_id = c.id)
 FROM checks c WHERE c.id = ?1";

/// Why the SQLite adapter (store or queue) failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored JSON does not parse: {0}")]
    Json(#[from] serde_json::Error),
    #[error("stored value is corrupt: {0}")]
    Corrupt(String),
    #[error("check {0} does not exist")]
    UnknownCheck(CheckId),
    #[error("database task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("the queue's database writer has stopped")]
    WriterStopped,
    /// The group commit a submission was part of failed; nothing of the group was written.
    #[error("the group commit failed: {message}")]
    GroupCommit { message: String, retryable: bool },
}

impl DbError {
    /// Retryable when another connection held the lock past the busy timeout; fatal otherwise.
    pub fn kind(&self) -> ErrorKind {
        let busy = matches!(
            self,
            DbError::Sqlite(err) if matches!(
                err.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            )
        );
        match self {
            _ if busy => ErrorKind::Retryable,
            DbError::GroupCommit { retryable: true, .. } => ErrorKind::Retryable,
            DbError::UnknownCheck(_) => ErrorKind::NotFound,
            _ => ErrorKind::Fatal,
        }
    }
}

impl From<DbError> for StoreError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::UnknownCheck(id) => StoreError::UnknownCheck(id),
            other => StoreError::Backend(other.to_string()),
        }
    }
}

/// The process's connection to one file, locked per use.
#[derive(Clone)]
pub(crate) struct DbConnection {
    conn: Arc<Mutex<Connection>>,
    /// Frames in the WAL when the background checkpointer last looked (0 without one: in memory).
    wal_frames: Arc<AtomicI64>,
}

/// The shared handle; the store, the queue and the response cache of one file hold clones of it. Reads run on
/// the connection in a blocking thread; writes go to the writer thread ([`crate::writer`]) and are
/// group-committed.
#[derive(Clone)]
pub(crate) struct Db {
    connection: DbConnection,
    writes: WriteSender,
}

impl Db {
    fn new(conn: Connection) -> Result<Self, DbError> {
        let connection = DbConnection {
            conn: Arc::new(Mutex::new(conn)),
            wal_frames: Arc::default(),
        };
        let writes = crate::writer::start(connection.clone())?;
        Ok(Self { connection, writes })
    }

    /// Runs `work` on the connection in a blocking thread.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let connection = self.connection.clone();
        tokio::task::spawn_blocking(move || connection.run_now(work)).await?
    }

    /// Runs `work` on the connection on the current thread (start-up).
    pub(crate) fn run_now<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T, DbError>) -> Result<T, DbError> {
        self.connection.run_now(work)
    }

    /// Runs `work` in the writer's next group commit and returns what it returned once that committed.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    {
        crate::writer::write(&self.writes, work).await
    }

    /// Hands a write to the writer thread; its `finish` says how it ended.
    pub(crate) async fn send_write(&self, write: Box<dyn GroupWrite>) -> Result<(), DbError> {
        self.writes.send(write).await.map_err(|_| DbError::WriterStopped)
    }
}

impl DbConnection {
    /// Runs `work` on the connection on the current thread.
    pub(crate) fn run_now<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T, DbError>) -> Result<T, DbError> {
        // A panic while holding the lock leaves no half-applied write (the open transaction
        // rolls back on drop), so a poisoned lock is safe to keep using.
        let mut guard = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let result = work(&mut guard);
        self.restart_wal_if_long(&guard);
        result
    }

    /// Lets the WAL start over once it has grown past [`RESTART_WAL_FRAMES`].
    ///
    /// The background checkpointer copies frames beside the writer, but under steady writes a commit always lands
    /// while it works, so its checkpoint never covers the whole WAL and SQLite never rewinds it: the file would
    /// grow for as long as the load lasts. Here, holding the process's only connection, no commit can land: this
    /// checkpoint copies the few frames the background one has not (and syncs), and the next transaction writes
    /// the WAL from its start again. It costs one short stall per [`RESTART_WAL_FRAMES`] written.
    fn restart_wal_if_long(&self, conn: &Connection) {
        if self.wal_frames.load(Ordering::Relaxed) <= RESTART_WAL_FRAMES {
            return;
        }
        self.wal_frames.store(0, Ordering::Relaxed);
        if let Err(err) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %err, "WAL checkpoint before a restart failed; the WAL keeps growing for now");
        }
    }
}

/// The embedded [`CheckStore`]: a SQLite file (or memory, for tests) with the schema in this module's docs.
#[derive(Clone)]
pub struct SqliteStore {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl SqliteStore {
    /// Opens (creating it and its parent directories if needed) the database file at `path`.
    ///
    /// Blocks briefly on file I/O; call it at start-up, before serving.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DbError> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| DbError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let store = Self::with_connection(Connection::open(path)?)?;
        if start_checkpointer(path, &store.db) {
            // The background checkpointer copies the WAL into the file; commits no longer stop to do it.
            store
                .db
                .run_now(|conn| Ok(conn.pragma_update(None, "wal_autocheckpoint", 0)?))?;
        }
        Ok(store)
    }

    /// A private in-memory database, gone when the last clone is dropped; for tests.
    pub fn in_memory() -> Result<Self, DbError> {
        Self::with_connection(Connection::open_in_memory()?)
    }

    fn with_connection(conn: Connection) -> Result<Self, DbError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Every statement the store and the queue run is cached prepared; SQLite compiling them again for each
        // call was a tenth of the service's CPU per check.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // In memory the journal mode stays `memory`; on a file WAL lets readers run beside the writer.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // SQLite's default page cache (2 MiB) is kept on purpose: every commit walks the cache's hash table
        // (`pcache1TruncateUnsafe`), and with a 64 MiB cache that walk was a fifth of the writer thread's CPU. Steps
        // no longer read back what they wrote (`crate::execution_store`), so a bigger cache bought little.
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            db: Db::new(conn)?,
            clock: Arc::new(SystemClock),
        })
    }

    /// Uses `clock` for `updated_at` stamps (and, through [`crate::queue::SqliteQueue`], for leases).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    fn now_text(&self) -> String {
        timestamp(self.clock.now())
    }
}

/// The name prefix of the store's own threads (the database writer, the WAL checkpointer), so a profile or the
/// bench can count their CPU as the service's.
pub const THREAD_PREFIX: &str = "sqlite-";

/// The WAL length (in pages, 4 KiB each) past which it is made to start over: 32 MiB.
const RESTART_WAL_FRAMES: i64 = 8_192;

/// How often the background checkpointer copies committed WAL frames into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Starts a thread that checkpoints the WAL of the file at `path` from its own connection, until `db` is dropped;
/// false when it could not (the connection then keeps SQLite's automatic checkpoints).
///
/// SQLite's automatic checkpoint runs inside the `COMMIT` that crosses 1,000 WAL pages, on the committing
/// connection: that commit copies the WAL into the file and waits for two `fsync`s while it holds the store's
/// only connection, stalling every request queued behind it (tens of milliseconds here). A `PASSIVE` checkpoint
/// from a second connection does the same work beside the writer, which keeps appending to the WAL meanwhile.
fn start_checkpointer(path: &Path, db: &Db) -> bool {
    let Ok(conn) = Connection::open(path) else {
        return false;
    };
    if conn.busy_timeout(BUSY_TIMEOUT).is_err() {
        return false;
    }
    let alive = Arc::downgrade(&db.connection.conn);
    let wal_frames = Arc::clone(&db.connection.wal_frames);
    std::thread::Builder::new()
        .name(format!("{THREAD_PREFIX}checkpoint"))
        .spawn(move || {
            while alive.strong_count() > 0 {
                std::thread::sleep(CHECKPOINT_EVERY);
                // The second column is the WAL's length in frames.
                match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get::<_, i64>(1)) {
                    Ok(frames) => wal_frames.store(frames, Ordering::Relaxed),
                    Err(err) => tracing::warn!(error = %err, "WAL checkpoint failed; retrying"),
                }
            }
        })
        .is_ok()
}

/// RFC 3339 with as many fractional digits as needed, so a `DateTime<Utc>` round-trips exactly.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn parse_timestamp(raw: &str) -> Result<DateTime<Utc>, DbError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|err| DbError::Corrupt(format!("timestamp `{raw}`: {err}")))
}

fn ensure_check_exists(conn: &Connection, id: &CheckId) -> Result<(), DbError> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM checks WHERE id = ?1")?
        .query_row([id.as_str()], |_| Ok(()))
        .optional()?;
    exists.ok_or_else(|| DbError::UnknownCheck(id.clone()))
}

/// A check's stored row and report, as read: parsed by [`Self::into_record`] once the connection is released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredCheckRow {
    request_json: String,
    status: String,
    error: Option<String>,
    received_at: String,
    report_json: Option<String>,
}

impl StoredCheckRow {
    pub(crate) fn read(conn: &Connection, id: &CheckId) -> Result<Option<Self>, DbError> {
        Ok(conn
            .prepare_cached(GET_CHECK)?
            .query_row([id.as_str()], |row| {
                Ok(Self {
                    request_json: row.get(0)?,
                    status: row.get(1)?,
                    error: row.get(2)?,
                    received_at: row.get(3)?,
                    report_json: row.get(4)?,
                })
            })
            .optional()?)
    }

    /// The status as read, before parsing the rest.
    pub(crate) fn status(&self) -> Option<CheckStatus> {
        CheckStatus::parse(&self.status)
    }

    pub(crate) fn into_record(self, id: CheckId) -> Result<CheckRecord, DbError> {
        let request: CheckRequest = serde_json::from_str(&self.request_json)?;
        let status = self
            .status()
            .ok_or_else(|| DbError::Corrupt(format!("status `{}`", self.status)))?;
        let report = self
            .report_json
            .map(|json| serde_json::from_str::<Report>(&json))
            .transpose()?;
        Ok(CheckRecord {
            check: Check {
                id,
                request,
                received_at: parse_timestamp(&self.received_at)?,
            },
            status,
            report,
            error: self.error,
        })
    }
}

/// A `checks` row ready to insert: the JSON and timestamps are made before the connection is locked.
pub(crate) struct CheckRow {
    id: String,
    request_json: String,
    received_at: String,
    updated_at: String,
    reference: Option<String>,
}

impl CheckRow {
    /// The row of a newly accepted (`queued`) check, stamped `updated_at = now`, with its request stored as
    /// `request_json`: the text it was submitted as, or [`CheckRow::serializing`] it.
    pub(crate) fn new(check: &Check, request_json: String, now: String) -> Self {
        Self {
            id: check.id.as_str().to_string(),
            request_json,
            received_at: timestamp(check.received_at),
            updated_at: now,
            reference: check.request.reference.clone(),
        }
    }

    /// The row of a check whose request was not read from JSON text: the request is serialized.
    pub(crate) fn serializing(check: &Check, now: String) -> Result<Self, DbError> {
        Ok(Self::new(check, serde_json::to_string(&check.request)?, now))
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// Inserts the row; a repeated insert (a retried POST, a redelivered step) must not reset a running
    /// check, so an existing id is left as it is. Works inside a transaction (`Transaction` derefs to it).
    pub(crate) fn insert(&self, conn: &Connection) -> Result<(), DbError> {
        let mut insert = conn.prepare_cached(
            "INSERT INTO checks (id, request_json, status, error, received_at, updated_at, reference)
             VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6)
             ON CONFLICT(id) DO NOTHING",
        )?;
        insert.execute(params![
            self.id,
            self.request_json,
            CheckStatus::Queued.as_str(),
            self.received_at,
            self.updated_at,
            self.reference
        ])?;
        Ok(())
    }
}

#[async_trait]
impl CheckStore for SqliteStore {
    #[instrument(skip_all, fields(check_id = %check.id))]
    async fn insert_check(&self, check: &Check) -> Result<(), StoreError> {
        let row = CheckRow::serializing(check, self.now_text())?;
        self.db.write(move |conn| row.insert(conn)).await?;
        Ok(())
    }

    #[instrument(skip_all, fields(check_id = %id))]
    async fn get_check(&self, id: &CheckId) -> Result<Option<CheckRecord>, StoreError> {
        let key = id.clone();
        // The row is read under the lock; its JSON is parsed after, so other steps' statements need not wait for it.
        let row = self.db.run(move |conn| StoredCheckRow::read(conn, &key)).await?;
        Ok(row.map(|row| row.into_record(id.clone())).transpose()?)
    }

    #[instrument(skip_all, fields(check_id = %id, status = status.as_str()))]
    async fn set_status(&self, id: &CheckId, status: CheckStatus, error: Option<&str>) -> Result<(), StoreError> {
        let key = id.clone();
        let error = error.map(str::to_string);
        let now = self.now_text();
        self.db
            .write(move |conn| {
                let changed = conn
                    .prepare_cached("UPDATE checks SET status = ?2, error = ?3, updated_at = ?4 WHERE id = ?1")?
                    .execute(params![key.as_str(), status.as_str(), error, now])?;
                if changed == 0 {
                    return Err(DbError::UnknownCheck(key));
                }
                Ok(())
            })
            .await?;
        Ok(())
    }

    #[instrument(skip_all, fields(check_id = %id))]
    async fn claim(&self, id: &CheckId) -> Result<bool, StoreError> {
        let key = id.clone();
        let now = self.now_text();
        let claimed = self
            .db
            .write(move |conn| {
                let changed = conn
                    .prepare_cached(
                        "UPDATE checks SET status = 'running', error = NULL, updated_at = ?2
                         WHERE id = ?1 AND status = 'queued'",
                    )?
                    .execute(params![key.as_str(), now])?;
                if changed == 0 {
                    ensure_check_exists(conn, &key)?;
                }
                Ok(changed == 1)
            })
            .await?;
        Ok(claimed)
    }

    #[instrument(skip_all, fields(check_id = %id, channel = %evidence.channel))]
    async fn put_evidence(&self, id: &CheckId, evidence: Evidence) -> Result<(), StoreError> {
        self.write_results(id, vec![ChannelRow::evidence(&evidence)?], None)
            .await
    }

    #[instrument(skip_all, fields(check_id = %id, channel = %channel))]
    async fn get_evidence(&self, id: &CheckId, channel: Channel) -> Result<Option<Evidence>, StoreError> {
        let key = id.as_str().to_string();
        let json = self
            .db
            .run(move |conn| {
                Ok(conn
                    .prepare_cached("SELECT json FROM evidence WHERE check_id = ?1 AND channel = ?2")?
                    .query_row([key.as_str(), channel.as_str()], |row| row.get::<_, String>(0))
                    .optional()?)
            })
            .await?;
        let evidence = json
            .map(|json| serde_json::from_str::<Evidence>(&json))
            .transpose()
            .map_err(DbError::from)?;
        Ok(evidence)
    }

    #[instrument(skip_all, fields(check_id = %id, channel = %verdict.channel))]
    async fn put_verdict(&self, id: &CheckId, verdict: ChannelVerdict) -> Result<(), StoreError> {
        self.write_results(id, vec![ChannelRow::verdict(&verdict)?], None).await
    }

    /// The verdicts stored so far, in canonical channel order; none for an unknown check.
    #[instrument(skip_all, fields(check_id = %id))]
    async fn get_verdicts(&self, id: &CheckId) -> Result<Vec<ChannelVerdict>, StoreError> {
        let key = id.as_str().to_string();
        let rows = self
            .db
            .run(move |conn| {
                let mut statement = conn.prepare_cached("SELECT json FROM verdicts WHERE check_id = ?1")?;
                let rows = statement.query_map([key.as_str()], |row| row.get::<_, String>(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
            .await?;
        let mut verdicts = rows
            .iter()
            .map(|json| serde_json::from_str::<ChannelVerdict>(json))
            .collect::<Result<Vec<_>, _>>()
            .map_err(DbError::from)?;
        verdicts.sort_by_key(|verdict| verdict.channel);
        Ok(verdicts)
    }

    #[instrument(skip_all, fields(check_id = %id))]
    async fn put_report(&self, id: &CheckId, report: Report) -> Result<(), StoreError> {
        self.write_results(id, Vec::new(), Some(&report)).await
    }

    #[instrument(skip_all, fields(check_id = %id))]
    async fn put_results(
        &self,
        id: &CheckId,
        evidence: &[Evidence],
        verdicts: &[ChannelVerdict],
        report: Option<&Report>,
    ) -> Result<(), StoreError> {
        let rows = evidence
            .iter()
            .map(ChannelRow::evidence)
            .chain(verdicts.iter().map(ChannelRow::verdict))
            .collect::<Result<Vec<_>, _>>()?;
        self.write_results(id, rows, report).await
    }
}

/// One row of a per-channel table (`evidence` or `verdicts`), its JSON made before the connection is locked.
struct ChannelRow {
    table: PerChannel,
    channel: Channel,
    json: String,
}

#[derive(Debug, Clone, Copy)]
enum PerChannel {
    Evidence,
    Verdicts,
}

impl ChannelRow {
    fn evidence(evidence: &Evidence) -> Result<Self, DbError> {
        Ok(Self {
            table: PerChannel::Evidence,
            channel: evidence.channel,
            json: serde_json::to_string(evidence)?,
        })
    }

    fn verdict(verdict: &ChannelVerdict) -> Result<Self, DbError> {
        Ok(Self {
            table: PerChannel::Verdicts,
            channel: verdict.channel,
            json: serde_json::to_string(verdict)?,
        })
    }

    fn upsert(&self, conn: &Connection, id: &CheckId) -> Result<(), DbError> {
        let sql = match self.table {
            PerChannel::Evidence => {
                "INSERT INTO evidence (check_id, channel, json) VALUES (?1, ?2, ?3)
                 ON CONFLICT(check_id, channel) DO UPDATE SET json = excluded.json"
            }
            PerChannel::Verdicts => {
                "INSERT INTO verdicts (check_id, channel, json) VALUES (?1, ?2, ?3)
                 ON CONFLICT(check_id, channel) DO UPDATE SET json = excluded.json"
            }
        };
        conn.prepare_cached(sql)?
            .execute(params![id.as_str(), self.channel.as_str(), self.json])?;
        Ok(())
    }
}

impl SqliteStore {
    /// Writes `rows`, then the report if there is one (marking the check done), in one savepoint of a group
    /// commit: a reader never sees `done` without its report, nor a report on a running check.
    async fn write_results(
        &self,
        id: &CheckId,
        rows: Vec<ChannelRow>,
        report: Option<&Report>,
    ) -> Result<(), StoreError> {
        let report_json = report.map(serde_json::to_string).transpose().map_err(DbError::from)?;
        let key = id.clone();
        let now = self.now_text();
        self.db
            .write(move |conn| {
                ensure_check_exists(conn, &key)?;
                for row in &rows {
                    row.upsert(conn, &key)?;
                }
                if let Some(json) = report_json {
                    conn.prepare_cached(
                        "INSERT INTO reports (check_id, json) VALUES (?1, ?2)
                         ON CONFLICT(check_id) DO UPDATE SET json = excluded.json",
                    )?
                    .execute(params![key.as_str(), json])?;
                    conn.prepare_cached("UPDATE checks SET status = ?2, error = NULL, updated_at = ?3 WHERE id = ?1")?
                        .execute(params![key.as_str(), CheckStatus::Done.as_str(), now])?;
                }
                Ok(())
            })
            .await?;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {

    use chrono::TimeZone;
    use shadowhunter_core::Report;
    use shadowhunter_core::evidence::{Finding, Record};
    use shadowhunter_core::verdict::Verdict;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_concurrent_claims_on_a_queued_check_one_wins() {
        let store = SqliteStore::in_memory().unwrap();
        for name in ["Acme", "Globex", "Initech", "Umbrella"] {
            let check = check(name);
            store.insert_check(&check).await.unwrap();
            let (first, second) = tokio::join!(store.claim(&check.id), store.claim(&check.id));
            let mut outcomes = [first.unwrap(), second.unwrap()];
            outcomes.sort();
            assert_eq!(outcomes, [false, true]);
        }
    }

    #[tokio::test]
    async fn reading_a_check_again_reuses_its_compiled_statement() {
        let store = SqliteStore::in_memory().unwrap();
        for name in ["Acme", "Globex", "Initech"] {
            let check = check(name);
            store.insert_check(&check).await.unwrap();
            store.get_check(&check.id).await.unwrap().expect("stored");
        }
        let recompiled = store
            .db
            .run_now(|conn| {
                let statement = conn.prepare_cached(GET_CHECK)?;
                Ok(statement.get_status(rusqlite::StatementStatus::RePrepare))
            })
            .unwrap();
        assert_eq!(recompiled, 0, "SQLite compiled the statement again for new parameters");
    }

    pub(crate) fn request(name: &str, reference: Option<&str>) -> CheckRequest {
        let mut body = serde_json::json!({"subject": {"kind": "company", "name": name, "country": "CN"}});
        if let Some(reference) = reference {
            body["reference"] = reference.into();
        }
        CheckRequest::from_value(&body).expect("test request is valid")
    }

    pub(crate) fn check(name: &str) -> Check {
        let received_at =
            Utc.with_ymd_and_hms(2025, 3, 1, 9, 30, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789);
        Check::new(request(name, Some("ref-1")), received_at)
    }

    pub(crate) fn verdict(channel: Channel, verdict: Verdict, reason: &str) -> ChannelVerdict {
        ChannelVerdict::without_evidence(channel, verdict, reason)
    }

    /// The report the summary step writes for these verdicts.
    pub(crate) fn report(check: &Check, verdicts: &[ChannelVerdict]) -> Report {
        shadowhunter_core::pipeline::summarize(
            check,
            verdicts.to_vec(),
            &shadowhunter_core::ports::FixedClock(check.received_at),
        )
    }

    fn evidence(snippet: &str) -> Evidence {
        Evidence {
            channel: Channel::Search,
            findings: vec![Finding {
                provider: "brave".to_string(),
                source: "https://example.com".to_string(),
                fetched_at: Utc.with_ymd_and_hms(2025, 3, 1, 9, 31, 0).unwrap(),
                record: Record::SearchResult {
                    title: "Acme".to_string(),
                    url: "https://example.com".to_string(),
                    snippet: snippet.to_string(),
                    published: None,
                },
            }],
            calls: Vec::new(),
            elapsed_ms: 12,
        }
    }

    #[tokio::test]
    async fn a_check_round_trips_with_its_request_and_arrival_time() {
        let store = SqliteStore::in_memory().unwrap();
        let check = check("Acme Trading Ltd");
        store.insert_check(&check).await.unwrap();

        let record = store.get_check(&check.id).await.unwrap().expect("stored");
        assert_eq!(record.check, check);
        assert_eq!(record.status, CheckStatus::Queued);
        assert_eq!(record.report, None);
        assert_eq!(record.error, None);
    }

    #[tokio::test]
    async fn an_unknown_check_reads_as_none() {
        let store = SqliteStore::in_memory().unwrap();
        assert!(store.get_check(&CheckId::generate()).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn inserting_the_same_check_twice_changes_nothing() {
        let store = SqliteStore::in_memory().unwrap();
        let check = check("Acme Trading Ltd");
        store.insert_check(&check).await.unwrap();
        store.set_status(&check.id, CheckStatus::Running, None).await.unwrap();

        let mut again = check.clone();
        again.request = request("Someone Else", None);
        store.insert_check(&again).await.unwrap();

        let record = store.get_check(&check.id).await.unwrap().unwrap();
        assert_eq!(
            record.status,
            CheckStatus::Running,
            "a repeated insert must not reset the status"
        );
        assert_eq!(record.check.request.subject.name, "Acme Trading Ltd");
    }

    #[tokio::test]
    async fn failed_status_keeps_its_error_and_unknown_ids_are_refused() {
        let store = SqliteStore::in_memory().unwrap();
        let check = check("Acme Trading Ltd");
        store.insert_check(&check).await.unwrap();
        store
            .set_status(&check.id, CheckStatus::Failed, Some("provider exploded"))
            .await
            .unwrap();

        let record = store.get_check(&check.id).await.unwrap().unwrap();
        assert_eq!(record.status, CheckStatus::Failed);
        assert_eq!(record.error.as_deref(), Some("provider exploded"));

        let unknown = CheckId::generate();
        let err = store
            .set_status(&unknown, CheckStatus::Running, None)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::UnknownCheck(id) if id == unknown));
    }

    #[tokio::test]
    async fn evidence_is_upserted_per_channel() {
        let store = SqliteStore::in_memory().unwrap();
        let check = check("Acme Trading Ltd");
        store.insert_check(&check).await.unwrap();

        store.put_evidence(&check.id, evidence("first")).await.unwrap();
        store.put_evidence(&check.id, evidence("second")).await.unwrap();

        let stored = store.get_evidence(&check.id, Channel::Search).await.unwrap();
        assert_eq!(stored, Some(evidence("second")));
        assert_eq!(store.get_evidence(&check.id, Channel::Customs).await.unwrap(), None);
    }

    #[tokio::test]
    async fn verdicts_are_upserted_and_read_in_channel_order() {
        let store = SqliteStore::in_memory().unwrap();
        let check = check("Acme Trading Ltd");
        store.insert_check(&check).await.unwrap();

        store
            .put_verdict(&check.id, verdict(Channel::Website, Verdict::NotFound, "old"))
            .await
            .unwrap();
        store
            .put_verdict(&check.id, verdict(Channel::Search, Verdict::Consistent, "ok"))
            .await
            .unwrap();
        store
            .put_verdict(&check.id, verdict(Channel::Website, Verdict::Consistent, "new"))
            .await
            .unwrap();

        let verdicts = store.get_verdicts(&check.id).await.unwrap();
        assert_eq!(
            verdicts,
            vec![
                verdict(Channel::Search, Verdict::Consistent, "ok"),
                verdict(Channel::Website, Verdict::Consistent, "new"),
            ]
        );
    }

    #[tokio::test]
    async fn writes_for_an_unknown_check_are_refused() {
        let store = SqliteStore::in_memory().unwrap();
        let unknown = CheckId::generate();
        let err = store.put_evidence(&unknown, evidence("x")).await.unwrap_err();
        assert!(matches!(err, StoreError::UnknownCheck(_)));
        let err = store
            .put_verdict(&unknown, verdict(Channel::Search, Verdict::Consistent, "x"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::UnknownCheck(_)));
    }

    #[tokio::test]
    async fn a_write_that_fails_midway_leaves_nothing_alone_or_in_a_group() {
        let store = SqliteStore::in_memory().unwrap();
        let half_written = |name: &str| {
            let row = CheckRow::serializing(&check(name), "2026-11-26T12:00:00Z".to_string()).unwrap();
            let db = store.db.clone();
            async move {
                db.write(move |conn| {
                    row.insert(conn)?;
                    Err::<(), _>(DbError::Corrupt("failed after its first statement".into()))
                })
                .await
            }
        };
        assert!(half_written("Alone Ltd").await.is_err());
        let kept = check("Kept Ltd");
        let (failed, written) = tokio::join!(half_written("Grouped Ltd"), store.insert_check(&kept));
        assert!(failed.is_err());
        written.unwrap();

        let names: Vec<String> = store
            .db
            .run(|conn| {
                let mut statement = conn.prepare("SELECT request_json FROM checks")?;
                let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(names[0].contains("Kept Ltd"));
    }

    #[tokio::test]
    async fn put_report_stores_the_report_and_marks_the_check_done() {
        let store = SqliteStore::in_memory().unwrap();
        let check = check("Acme Trading Ltd");
        store.insert_check(&check).await.unwrap();
        store
            .set_status(&check.id, CheckStatus::Failed, Some("earlier attempt"))
            .await
            .unwrap();

        let report = report(&check, &[verdict(Channel::Search, Verdict::Consistent, "ok")]);
        store.put_report(&check.id, report.clone()).await.unwrap();
        store.put_report(&check.id, report.clone()).await.unwrap();

        let record = store.get_check(&check.id).await.unwrap().unwrap();
        assert_eq!(record.status, CheckStatus::Done);
        assert_eq!(record.report, Some(report));
        assert_eq!(record.error, None, "a finished check carries no stale error");
    }

    #[tokio::test]
    async fn a_file_store_creates_its_directory_and_survives_reopening() {
        let dir = std::env::temp_dir().join(format!("shadowhunter-store-{}", uuid::Uuid::new_v4().simple()));
        let path = dir.join("nested").join("checks.sqlite");
        let check = check("Acme Trading Ltd");
        {
            let store = SqliteStore::open(&path).unwrap();
            store.insert_check(&check).await.unwrap();
        }
        let reopened = SqliteStore::open(&path).unwrap();
        let mode: String = reopened
            .db()
            .run(|conn| Ok(conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?))
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(
            reopened.get_check(&check.id).await.unwrap().map(|record| record.check),
            Some(check)
        );
        drop(reopened);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

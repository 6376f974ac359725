//! The durable work queue (a table in the store's SQLite file) and the worker pool that drains it.
//!
//! Table `queue(check_id TEXT PK REFERENCES checks(id), enqueued_at INTEGER, lease_until INTEGER NULL, attempts INTEGER)`;
//! times are milliseconds since the Unix epoch from the store's clock. A row exists from the moment a
//! check is accepted until a worker has written its final status, so a check accepted with `202` is never
//! lost: a worker claims a row by setting a lease (in the writer's transaction, atomic), renews the lease while
//! the check runs, and deletes the row when the check is done or failed. If the worker or the process dies,
//! the lease expires and the row becomes claimable again.
//!
//! Submissions are group-committed with the store's other writes ([`crate::writer`]): `POST /checks` hands its
//! rows to the writer thread and waits for the commit, in a savepoint of its own, so one bad submission fails
//! alone. The queue-depth limit still refuses before anything is written.
//!
//! Retry policy: a runner `Err` marks the check `failed` at once and removes it — the runner already
//! degrades provider failures to `unavailable` channels, so an error is a broken pipeline that running
//! again would repeat. Only a check whose lease *expired* (the worker stopped mid-run) is re-delivered, up
//! to [`QueueConfig::max_attempts`] claims in all; past that it is marked `failed` so a check that kills
//! the process cannot do so forever.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use shadowhunter_core::check::{Check, CheckId, CheckStatus};
use shadowhunter_core::ports::{CheckStore, Clock, StoreError};
use shadowhunter_core::{ErrorKind, Report};
use tokio::sync::{Notify, Semaphore, oneshot, watch};
use tokio::task::JoinSet;
use tracing::{Instrument, info, info_span, warn};

use crate::execution_store::PriorRun;
use crate::runner::CheckRunner;
use crate::store::{CheckRow, DbError, SqliteStore, StoredCheckRow};
use crate::writer::GroupWrite;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queue (
    check_id    TEXT PRIMARY KEY NOT NULL REFERENCES checks(id),
    enqueued_at INTEGER NOT NULL,
    lease_until INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0
);
DROP INDEX IF EXISTS queue_order;
CREATE INDEX IF NOT EXISTS queue_claimable ON queue(lease_until, enqueued_at);
";

/// The oldest row never leased: the low end of `queue_claimable` (rows without a lease sort first), so a claim
/// never steps over the running checks. Ordered on `enqueued_at` alone it walked past every leased row first, all
/// of them older than the waiting ones: thousands per claim under load, on the single writer thread.
const OLDEST_WAITING: &str = "SELECT rowid, check_id, enqueued_at, attempts FROM queue
WHERE lease_until IS NULL ORDER BY enqueued_at, rowid LIMIT 1";

/// The lease that expired first: the range of `queue_claimable` just after the waiting rows, read in index order.
const FIRST_EXPIRED: &str = "SELECT rowid, check_id, enqueued_at, attempts FROM queue
WHERE lease_until <= ?1 ORDER BY lease_until, enqueued_at, rowid LIMIT 1";

/// A claim is these three plain statements in the writer's transaction, which makes it atomic: as one
/// `UPDATE … RETURNING` over a `UNION ALL` of the two candidates, SQLite built three ephemeral tables per claim,
/// each with a pager of its own whose page cache was allocated, touched (page faults: 19,000 a second at 500
/// checks/s) and freed again.
const LEASE: &str = "UPDATE queue SET lease_until = ?2, attempts = attempts + 1 WHERE rowid = ?1";

/// Limits and timings of the queue and its workers.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// The most checks the queue holds (waiting or running); `enqueue` refuses beyond it.
    pub max_depth: usize,
    /// How long a claim is exclusive; workers renew it every third of this while a check runs.
    pub lease: Duration,
    /// Claims a check gets before it is given up as failed (only lease expiries cause a second claim).
    pub max_attempts: u32,
    /// Fallback poll for work the wake-up missed (another process enqueued, a lease expired).
    pub poll_interval: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            max_depth: 10_000,
            lease: Duration::from_secs(120),
            max_attempts: 3,
            poll_interval: Duration::from_secs(5),
        }
    }
}

/// Why the queue refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the queue is full: {depth} checks waiting, at most {max_depth}")]
    Overloaded { depth: usize, max_depth: usize },
    #[error(transparent)]
    Backend(#[from] DbError),
}

impl QueueError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            QueueError::Overloaded { .. } => ErrorKind::Overloaded,
            QueueError::Backend(err) => err.kind(),
        }
    }
}

/// A check a worker holds the lease on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub check_id: CheckId,
    /// How many times the check has been claimed, this claim included.
    pub attempts: u32,
    /// The check's row as it was before the claim (`None` if the check is not stored), read in the claim's
    /// write; a `queued` or `running` check within its attempts was marked `running` by the claim.
    pub(crate) stored: Option<StoredCheckRow>,
}

/// The durable queue; clones share the connection, the limits and the wake-up.
#[derive(Clone)]
pub struct SqliteQueue {
    inner: Arc<Inner>,
}

struct Inner {
    db: crate::store::Db,
    clock: Arc<dyn Clock>,
    config: QueueConfig,
    work: Notify,
    depth: Arc<Depth>,
}

/// The in-memory queue depth, shared with the writer thread.
#[derive(Default)]
struct Depth {
    /// Queue rows plus the slots promised by live [`Reservation`]s: what `reserve` admits against, so it
    /// never reads the table. `reserve` raises it with a compare-and-swap (never past `max_depth`); it is
    /// lowered when a reservation is dropped or used for fewer rows than it held, and when rows are deleted.
    occupied: AtomicUsize,
    /// Queue rows as this process knows them; changed only while the connection lock is held (in the same
    /// step as the rows), so [`SqliteQueue::depth`] can re-synchronise both counters with the table.
    rows: AtomicUsize,
}

/// One submission waiting for the group commit: its rows, and where to answer.
struct Write {
    checks: Vec<CheckRow>,
    keys: Vec<String>,
    enqueued_at: i64,
    /// Reserved slots not yet turned into rows; given back if the write is dropped unapplied (refused, failed,
    /// or never sent because the submitter went away).
    slots: usize,
    depth: Arc<Depth>,
    /// Queue rows `apply` added.
    added: usize,
    done: Option<oneshot::Sender<Result<(), DbError>>>,
}

impl Drop for Write {
    fn drop(&mut self) {
        if self.slots > 0 {
            sub_saturating(&self.depth.occupied, self.slots);
        }
    }
}

/// Lowers `counter` by `by`, stopping at zero.
fn sub_saturating(counter: &AtomicUsize, by: usize) {
    // The closure always returns Some, so this cannot fail.
    let _ = counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |value| {
        Some(value.saturating_sub(by))
    });
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

impl SqliteQueue {
    /// The queue in `store`'s database file, using the store's clock. Blocks briefly; call it at start-up.
    pub fn open(store: &SqliteStore, config: QueueConfig) -> Result<Self, QueueError> {
        let rows = store.db().run_now(|conn| {
            conn.execute_batch(SCHEMA)?;
            Ok(conn.query_row("SELECT COUNT(*) FROM queue", [], |row| row.get::<_, i64>(0))?)
        })?;
        let rows = usize::try_from(rows).unwrap_or(0);
        let depth = Arc::new(Depth {
            occupied: AtomicUsize::new(rows),
            rows: AtomicUsize::new(rows),
        });
        Ok(Self {
            inner: Arc::new(Inner {
                db: store.db().clone(),
                clock: store.clock(),
                config,
                work: Notify::new(),
                depth,
            }),
        })
    }

    pub fn config(&self) -> &QueueConfig {
        &self.inner.config
    }

    /// Checks on the queue, waiting or running, counted in the table.
    ///
    /// Also re-synchronises the in-memory depth with the table, so rows another process added or removed
    /// (the CLI on the same file) are admitted against from then on.
    pub async fn depth(&self) -> Result<usize, QueueError> {
        let inner = Arc::clone(&self.inner);
        let count = self
            .inner
            .db
            .run(move |conn| {
                let count = conn
                    .prepare_cached("SELECT COUNT(*) FROM queue")?
                    .query_row([], |row| row.get::<_, i64>(0))?;
                let count = usize::try_from(count).unwrap_or(0);
                // `rows` only changes under this lock, so the difference is exactly what others did.
                let known = inner.depth.rows.swap(count, Ordering::SeqCst);
                if count >= known {
                    inner.depth.occupied.fetch_add(count - known, Ordering::SeqCst);
                } else {
                    sub_saturating(&inner.depth.occupied, known - count);
                }
                Ok(count)
            })
            .await?;
        Ok(count)
    }

    /// Promises room for `slots` checks, or refuses with [`QueueError::Overloaded`].
    ///
    /// Callers reserve before storing checks so that a full queue refuses a submission before anything
    /// is written; dropping the reservation unused gives the room back.
    /// Admission is an atomic compare-and-swap on the in-memory depth (rows + live reservations), so it
    /// takes no database trip and concurrent callers can never together admit past `max_depth`.
    pub async fn reserve(&self, slots: usize) -> Result<Reservation, QueueError> {
        let max_depth = self.inner.config.max_depth;
        self.inner
            .depth
            .occupied
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |depth| {
                depth.checked_add(slots).filter(|&wanted| wanted <= max_depth)
            })
            .map_err(|depth| QueueError::Overloaded { depth, max_depth })?;
        Ok(Reservation {
            queue: self.clone(),
            slots,
        })
    }

    /// Enqueues stored checks (refusing all of them when they do not fit) and wakes a worker.
    pub async fn enqueue(&self, ids: &[CheckId]) -> Result<(), QueueError> {
        self.reserve(ids.len()).await?.enqueue(ids).await
    }

    /// Leases the oldest claimable check — never leased, or its lease expired — to the caller.
    pub async fn claim(&self) -> Result<Option<Claim>, QueueError> {
        let now = self.inner.clock.now();
        let lease_until = now + self.inner.config.lease;
        let now_text = crate::store::timestamp(now);
        let max_attempts = self.inner.config.max_attempts;
        let claim = self
            .inner
            .db
            .write(move |conn| {
                // In the writer's transaction no other claim can run between the read and the lease.
                let waiting = candidate(conn, OLDEST_WAITING, [])?;
                let expired = candidate(conn, FIRST_EXPIRED, [millis(now)])?;
                let oldest = match (waiting, expired) {
                    (Some(waiting), Some(expired)) => {
                        Some(std::cmp::min_by_key(expired, waiting, |row| row.enqueued_at))
                    }
                    (waiting, expired) => waiting.or(expired),
                };
                let Some(row) = oldest else {
                    return Ok(None);
                };
                conn.prepare_cached(LEASE)?
                    .execute(params![row.rowid, millis(lease_until)])?;
                let check_id = CheckId::parse(&row.check_id)
                    .ok_or_else(|| DbError::Corrupt(format!("queued check id `{}`", row.check_id)))?;
                let attempts = row.attempts + 1;
                // The worker needs the check and its status at once: read here, in the write the worker waits
                // for anyway, they cost no trip of their own (a blocking-pool read and a status write per check).
                let stored = StoredCheckRow::read(conn, &check_id)?;
                let runnable = matches!(
                    stored.as_ref().and_then(StoredCheckRow::status),
                    Some(CheckStatus::Queued | CheckStatus::Running)
                );
                if runnable && attempts <= max_attempts {
                    conn.prepare_cached(
                        "UPDATE checks SET status = 'running', error = NULL, updated_at = ?2 WHERE id = ?1",
                    )?
                    .execute(params![check_id.as_str(), now_text])?;
                }
                Ok(Some(Claim {
                    check_id,
                    attempts,
                    stored,
                }))
            })
            .await?;
        Ok(claim)
    }

    /// Pushes the lease of a running check forward, so a long check is not re-delivered while it runs.
    pub async fn extend_lease(&self, id: &CheckId) -> Result<(), QueueError> {
        let lease_until = millis(self.inner.clock.now() + self.inner.config.lease);
        let key = id.as_str().to_string();
        self.inner
            .db
            .write(move |conn| {
                conn.prepare_cached("UPDATE queue SET lease_until = ?2 WHERE check_id = ?1")?
                    .execute(params![key, lease_until])?;
                Ok(())
            })
            .await?;
        Ok(())
    }

    /// Stores new checks and queues them in one transaction (all or none), refusing all of them with
    /// [`QueueError::Overloaded`] when they do not fit, and wakes a worker.
    ///
    /// The checks are written to the store this queue was opened on; a check accepted this way is durable
    /// after one commit.
    pub async fn submit(&self, checks: &[Check]) -> Result<(), QueueError> {
        let checks = checks
            .iter()
            .map(|check| NewCheck::serializing(check.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        self.reserve(checks.len()).await?.submit(checks).await
    }

    /// Removes a check whose final status is stored.
    pub async fn complete(&self, id: &CheckId) -> Result<(), QueueError> {
        let (done, committed) = oneshot::channel();
        let completion = Completion {
            key: id.as_str().to_string(),
            deleted: 0,
            depth: Arc::clone(&self.inner.depth),
            done,
        };
        self.inner.db.send_write(Box::new(completion)).await?;
        committed.await.map_err(|_| DbError::WriterStopped)??;
        Ok(())
    }

    /// Resolves when work was enqueued since the last wake-up (a stored permit counts).
    async fn work_enqueued(&self) {
        self.inner.work.notified().await;
    }
}

/// A claimable queue row.
struct Candidate {
    rowid: i64,
    check_id: String,
    enqueued_at: i64,
    attempts: u32,
}

fn candidate(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Option<Candidate>, DbError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row(params, |row| {
            Ok(Candidate {
                rowid: row.get(0)?,
                check_id: row.get(1)?,
                enqueued_at: row.get(2)?,
                attempts: row.get(3)?,
            })
        })
        .optional()?)
}

/// A check to store and queue, with the JSON text its request is stored as.
pub struct NewCheck {
    pub check: Check,
    /// The text the request was parsed from ([`shadowhunter_core::submission::Submitted`]), or its serialization.
    pub request_json: String,
}

impl NewCheck {
    /// For a check whose request was not read from JSON text.
    pub fn serializing(check: Check) -> Result<Self, DbError> {
        let request_json = serde_json::to_string(&check.request)?;
        Ok(Self { check, request_json })
    }
}

/// Room on the queue promised by [`SqliteQueue::reserve`]; given back when dropped unused.
#[must_use = "a reservation holds queue room until it is used or dropped"]
pub struct Reservation {
    queue: SqliteQueue,
    slots: usize,
}

impl Reservation {
    /// Enqueues `ids` (already in the store) in this order, in one transaction, and wakes a worker.
    ///
    /// `ids` should not outnumber the reserved slots; enqueueing an id already queued changes nothing.
    pub async fn enqueue(self, ids: &[CheckId]) -> Result<(), QueueError> {
        let keys: Vec<String> = ids.iter().map(|id| id.as_str().to_string()).collect();
        self.write(Vec::new(), keys).await
    }

    /// Stores `checks` (as `queued`) and enqueues them in this order, in one transaction, and wakes a worker.
    ///
    /// `checks` should not outnumber the reserved slots. A check id already stored keeps its row (as
    /// [`CheckStore::insert_check`] does); one already queued stays queued once.
    pub async fn submit(self, checks: Vec<NewCheck>) -> Result<(), QueueError> {
        let now = crate::store::timestamp(self.queue.inner.clock.now());
        let keys: Vec<String> = checks.iter().map(|new| new.check.id.as_str().to_string()).collect();
        let rows = checks
            .into_iter()
            .map(|new| CheckRow::new(&new.check, new.request_json, now.clone()))
            .collect();
        self.write(rows, keys).await
    }

    /// Hands `checks` and `keys` to the group-commit writer and waits for the commit: inserts `checks`, then
    /// queues `keys`, in one savepoint of the group's transaction; the slots the new rows do not take are
    /// released.
    async fn write(mut self, checks: Vec<CheckRow>, keys: Vec<String>) -> Result<(), QueueError> {
        let inner = &self.queue.inner;
        let (done, committed) = oneshot::channel();
        let write = Write {
            checks,
            keys,
            enqueued_at: millis(inner.clock.now()),
            // From here the write owns the slots: it releases them if it is never applied.
            slots: std::mem::take(&mut self.slots),
            depth: Arc::clone(&inner.depth),
            added: 0,
            done: Some(done),
        };
        inner.db.send_write(Box::new(write)).await?;
        committed.await.map_err(|_| DbError::WriterStopped)??;
        // notify_one stores a permit when no worker is waiting, so a wake-up between polls is not lost.
        inner.work.notify_one();
        Ok(())
    }
}

impl GroupWrite for Write {
    fn queued_checks(&self) -> usize {
        self.keys.len()
    }

    /// A write that queues only the checks it inserts cannot fail on a sound database: both inserts skip ids
    /// already there, and each queue row's check is inserted just before it. One that queues stored checks
    /// (`enqueue`) fails alone on an id the store does not hold.
    fn may_fail_alone(&self) -> bool {
        self.keys.len() != self.checks.len() || self.checks.iter().zip(&self.keys).any(|(check, key)| check.id() != key)
    }

    fn apply(&mut self, conn: &rusqlite::Connection) -> Result<(), DbError> {
        self.added = insert_write(conn, self)?;
        Ok(())
    }

    /// After the commit, the reserved slots become the new rows, under the connection lock as
    /// [`SqliteQueue::depth`] requires; slots not taken (ids already queued) are given back, so the depth never
    /// undercounts. A write that was not applied gives all its slots back when dropped.
    fn finish(mut self: Box<Self>, outcome: Result<(), DbError>) {
        if outcome.is_ok() {
            let slots = std::mem::take(&mut self.slots);
            self.depth.rows.fetch_add(self.added, Ordering::SeqCst);
            if self.added >= slots {
                self.depth.occupied.fetch_add(self.added - slots, Ordering::SeqCst);
            } else {
                sub_saturating(&self.depth.occupied, slots - self.added);
            }
        }
        if let Some(done) = self.done.take() {
            // The submitter may have gone away; its rows are committed (or not) either way.
            let _ = done.send(outcome);
        }
    }
}

/// The removal of a finished check's queue row, group-committed with the other writes.
struct Completion {
    key: String,
    deleted: usize,
    depth: Arc<Depth>,
    done: oneshot::Sender<Result<(), DbError>>,
}

impl GroupWrite for Completion {
    fn apply(&mut self, conn: &rusqlite::Connection) -> Result<(), DbError> {
        self.deleted = conn
            .prepare_cached("DELETE FROM queue WHERE check_id = ?1")?
            .execute([&self.key])?;
        Ok(())
    }

    /// After the commit and under the connection lock, so `depth` can re-synchronise exactly. Saturating: the row
    /// may be one another process queued, which this count never had.
    fn finish(self: Box<Self>, outcome: Result<(), DbError>) {
        if outcome.is_ok() {
            sub_saturating(&self.depth.rows, self.deleted);
            sub_saturating(&self.depth.occupied, self.deleted);
        }
        // The worker may have gone away; the row is removed (or not) either way.
        let _ = self.done.send(outcome);
    }
}

/// Inserts a submission's checks, then queues its keys; the number of queue rows it added.
fn insert_write(conn: &rusqlite::Connection, write: &Write) -> Result<usize, DbError> {
    for check in &write.checks {
        check.insert(conn)?;
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO queue (check_id, enqueued_at, lease_until, attempts)
         VALUES (?1, ?2, NULL, 0) ON CONFLICT(check_id) DO NOTHING",
    )?;
    let mut added = 0;
    for key in &write.keys {
        added += insert.execute(params![key, write.enqueued_at])?;
    }
    Ok(added)
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.slots > 0 {
            sub_saturating(&self.queue.inner.depth.occupied, self.slots);
        }
    }
}

/// Workers that claim checks from the queue and run them, at most `concurrency` at a time.
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    dispatcher: tokio::task::JoinHandle<()>,
}

impl WorkerPool {
    /// Starts draining `queue` in the background; `concurrency` of 0 is taken as 1.
    pub fn start(
        store: Arc<dyn CheckStore>,
        queue: SqliteQueue,
        runner: Arc<dyn CheckRunner>,
        concurrency: usize,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let worker = Arc::new(Worker { store, queue, runner });
        let dispatcher = tokio::spawn(dispatch(worker, concurrency.max(1), stopped));
        Self { stop, dispatcher }
    }

    /// Stops claiming and waits for the checks in flight to finish.
    ///
    /// Checks still queued stay on the queue for the next start; to bound the wait, wrap this in a
    /// timeout — a check cut off mid-run is re-delivered once its lease expires.
    pub async fn shutdown(self) {
        // An Err means the dispatcher is gone already, which is the goal.
        let _ = self.stop.send(true);
        if let Err(err) = self.dispatcher.await {
            warn!(error = %err, "worker pool dispatcher ended abnormally");
        }
    }
}

async fn dispatch(worker: Arc<Worker>, concurrency: usize, mut stopped: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut in_flight = JoinSet::new();
    let poll = worker.queue.config().poll_interval;
    loop {
        while in_flight.try_join_next().is_some() {}
        let permit = tokio::select! {
            biased;
            _ = stopped.changed() => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        match worker.queue.claim().await {
            Ok(Some(claim)) => {
                let worker = Arc::clone(&worker);
                let span = info_span!("check", check_id = %claim.check_id, attempt = claim.attempts);
                in_flight.spawn(
                    async move {
                        worker.process(claim).await;
                        drop(permit);
                    }
                    .instrument(span),
                );
            }
            Ok(None) => {
                drop(permit);
                tokio::select! {
                    _ = stopped.changed() => break,
                    () = worker.queue.work_enqueued() => {}
                    () = tokio::time::sleep(poll) => {}
                }
            }
            Err(err) => {
                drop(permit);
                warn!(error = %err, "cannot claim from the queue; retrying after the poll interval");
                tokio::select! {
                    _ = stopped.changed() => break,
                    () = tokio::time::sleep(poll) => {}
                }
            }
        }
    }
    while let Some(result) = in_flight.join_next().await {
        if let Err(err) = result {
            warn!(error = %err, "a worker task ended abnormally");
        }
    }
}

struct Worker {
    store: Arc<dyn CheckStore>,
    queue: SqliteQueue,
    runner: Arc<dyn CheckRunner>,
}

impl Worker {
    async fn process(&self, claim: Claim) {
        let id = claim.check_id.clone();
        match self.settle(claim).await {
            Ok(()) => {
                if let Err(err) = self.queue.complete(&id).await {
                    warn!(error = %err, "check finished but stays queued; it is settled again after its lease");
                }
            }
            Err(err) => {
                warn!(error = %err, "store failed; the check is retried when its lease expires");
            }
        }
    }

    /// Runs the check and stores its final status; an `Err` leaves the queue row for a later claim.
    async fn settle(&self, claim: Claim) -> Result<(), StoreError> {
        let id = &claim.check_id;
        let Some(stored) = claim.stored else {
            warn!("queued check is not in the store; dropping it");
            return Ok(());
        };
        let record = stored.into_record(id.clone())?;
        if matches!(record.status, CheckStatus::Done | CheckStatus::Failed) {
            // The previous worker stored the outcome but stopped before removing the row.
            info!(status = record.status.as_str(), "check already finished");
            return Ok(());
        }
        let max_attempts = self.queue.config().max_attempts;
        if claim.attempts > max_attempts {
            let error =
                format!("abandoned after {max_attempts} attempts: the worker stopped before finishing each time");
            warn!(error, "giving up on check");
            self.store.set_status(id, CheckStatus::Failed, Some(&error)).await?;
            crate::metrics::metrics().checks_failed.inc();
            return Ok(());
        }
        // A check still `queued` never ran, so its execution finds nothing stored; one already `running` was
        // redelivered after its worker stopped. The claim marked it `running`.
        let prior = match record.status {
            CheckStatus::Queued => PriorRun::Never,
            _ => PriorRun::Possible,
        };
        let metrics = crate::metrics::metrics();
        let received_at = record.check.received_at;
        let started = std::time::Instant::now();
        metrics.checks_in_flight.inc();
        let outcome = self.run_with_heartbeat(record.check, prior).await;
        metrics.checks_in_flight.dec();
        metrics.check_run.observe(started.elapsed());
        let settled = match outcome {
            Ok(report) => {
                info!(risk = report.risk.as_str(), "check done");
                metrics.checks_completed.inc();
                Ok(())
            }
            Err(err) => {
                let error = format!("{err:#}");
                warn!(error, "check failed");
                self.store.set_status(id, CheckStatus::Failed, Some(&error)).await?;
                metrics.checks_failed.inc();
                Ok(())
            }
        };
        let end_to_end = (Utc::now() - received_at).to_std().unwrap_or_default();
        metrics.check_end_to_end.observe(end_to_end);
        settled
    }

    /// Runs the check in its own task (a panic becomes an error) while renewing its lease.
    async fn run_with_heartbeat(&self, check: Check, prior: PriorRun) -> anyhow::Result<Report> {
        let id = check.id.clone();
        let runner = Arc::clone(&self.runner);
        let mut run = tokio::spawn(async move { runner.run(&check, prior).await }.in_current_span());
        let period = (self.queue.config().lease / 3).max(Duration::from_millis(10));
        let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tokio::select! {
                joined = &mut run => {
                    return joined.unwrap_or_else(|err| Err(anyhow::anyhow!("the check runner task failed: {err}")));
                }
                _ = heartbeat.tick() => {
                    if let Err(err) = self.queue.extend_lease(&id).await {
                        warn!(error = %err, "cannot renew the lease; the check may be re-delivered");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashSet;
    use std::sync::Mutex;

    use async_trait::async_trait;
    use shadowhunter_core::Channel;
    use shadowhunter_core::verdict::Verdict;

    use super::*;
    use crate::store::tests::{check, report, verdict};

    /// A clock tests move by hand.
    pub(crate) struct ManualClock(Mutex<DateTime<Utc>>);

    impl ManualClock {
        pub(crate) fn new() -> Arc<Self> {
            Arc::new(Self(Mutex::new(Utc::now())))
        }

        pub(crate) fn advance(&self, by: Duration) {
            let mut now = self.0.lock().unwrap();
            *now += by;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    /// A small real runner: it judges the search channel by whether the name looks like a company, stores the
    /// verdict and the report through the store as the pipeline does, and fails for subjects named `Fail…`.
    pub(crate) struct ReportingRunner {
        pub(crate) store: Arc<dyn CheckStore>,
        pub(crate) delay: Duration,
    }

    #[async_trait]
    impl CheckRunner for ReportingRunner {
        async fn run(&self, check: &Check, _prior: PriorRun) -> anyhow::Result<Report> {
            tokio::time::sleep(self.delay).await;
            let name = &check.request.subject.name;
            if name.starts_with("Fail") {
                anyhow::bail!("search provider returned garbage for {name}");
            }
            let outcome = if name.ends_with("Ltd") {
                Verdict::Consistent
            } else {
                Verdict::NotFound
            };
            let verdict = verdict(Channel::Search, outcome, "judged by name suffix");
            self.store.put_verdict(&check.id, verdict).await?;
            let report = report(check, &self.store.get_verdicts(&check.id).await?);
            self.store.put_report(&check.id, report.clone()).await?;
            Ok(report)
        }
    }

    fn config() -> QueueConfig {
        QueueConfig {
            max_depth: 100,
            lease: Duration::from_secs(60),
            max_attempts: 3,
            poll_interval: Duration::from_secs(3600),
        }
    }

    async fn stored(store: &SqliteStore, names: &[&str]) -> Vec<CheckId> {
        let mut ids = Vec::new();
        for name in names {
            let check = check(name);
            store.insert_check(&check).await.unwrap();
            ids.push(check.id);
        }
        ids
    }

    async fn wait_until_settled(store: &SqliteStore, ids: &[CheckId]) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let mut settled = true;
            for id in ids {
                let status = store.get_check(id).await.unwrap().unwrap().status;
                settled &= matches!(status, CheckStatus::Done | CheckStatus::Failed);
            }
            if settled {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "checks did not settle in time");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn each_check_is_claimed_once_under_concurrent_claimers() {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(&store, config()).unwrap();
        let names: Vec<String> = (0..40).map(|n| format!("Company {n} Ltd")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let ids = stored(&store, &names).await;
        queue.enqueue(&ids).await.unwrap();

        let mut claimers = JoinSet::new();
        for _ in 0..8 {
            let queue = queue.clone();
            claimers.spawn(async move {
                let mut claimed = Vec::new();
                while let Some(claim) = queue.claim().await.unwrap() {
                    claimed.push(claim.check_id);
                }
                claimed
            });
        }
        let mut all = Vec::new();
        while let Some(claimed) = claimers.join_next().await {
            all.extend(claimed.unwrap());
        }
        let unique: HashSet<_> = all.iter().cloned().collect();
        assert_eq!(all.len(), ids.len(), "every check claimed exactly once");
        assert_eq!(unique, ids.into_iter().collect::<HashSet<_>>());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_submissions_are_all_committed_and_counted() {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(
            &store,
            QueueConfig {
                max_depth: 1_000,
                ..config()
            },
        )
        .unwrap();
        let checks: Vec<Check> = (0..300).map(|n| check(&format!("Company {n} Ltd"))).collect();
        let mut submitters = JoinSet::new();
        for check in checks.clone() {
            let queue = queue.clone();
            submitters.spawn(async move { queue.submit(std::slice::from_ref(&check)).await });
        }
        while let Some(submitted) = submitters.join_next().await {
            submitted.unwrap().unwrap();
        }
        for check in &checks {
            assert_eq!(
                store.get_check(&check.id).await.unwrap().map(|record| record.status),
                Some(CheckStatus::Queued)
            );
        }
        assert_eq!(queue.inner.depth.occupied.load(Ordering::SeqCst), 300);
        assert_eq!(queue.depth().await.unwrap(), 300);
    }

    #[tokio::test]
    async fn a_failing_submission_is_rolled_back_alone_within_its_group() {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(&store, config()).unwrap();
        let depth = Arc::clone(&queue.inner.depth);
        let mut answers = Vec::new();
        let mut write = |checks: &[Check], keys: Vec<String>| -> Box<dyn GroupWrite> {
            depth.occupied.fetch_add(keys.len(), Ordering::SeqCst);
            let (done, answer) = oneshot::channel();
            answers.push(answer);
            Box::new(Write {
                checks: checks
                    .iter()
                    .map(|check| CheckRow::serializing(check, crate::store::timestamp(Utc::now())).unwrap())
                    .collect(),
                slots: keys.len(),
                keys,
                enqueued_at: 0,
                depth: Arc::clone(&depth),
                added: 0,
                done: Some(done),
            })
        };
        let (first, second) = (check("First Ltd"), check("Second Ltd"));
        let unknown = check("Never Stored Ltd");
        let group = vec![
            write(std::slice::from_ref(&first), vec![first.id.to_string()]),
            // Queueing a check the store does not hold breaks the foreign key.
            write(&[], vec![unknown.id.to_string()]),
            write(std::slice::from_ref(&second), vec![second.id.to_string()]),
        ];
        store
            .db()
            .run_now(|conn| {
                crate::writer::commit_group(conn, group);
                Ok(())
            })
            .unwrap();
        let mut outcomes = Vec::new();
        for answer in answers {
            outcomes.push(answer.await.unwrap());
        }
        assert!(outcomes[0].is_ok() && outcomes[2].is_ok(), "{outcomes:?}");
        assert!(outcomes[1].is_err(), "{outcomes:?}");
        assert_eq!(
            depth.occupied.load(Ordering::SeqCst),
            2,
            "the failed write's slot is given back"
        );
        assert_eq!(queue.depth().await.unwrap(), 2);
        let claimed: HashSet<CheckId> = [queue.claim().await.unwrap(), queue.claim().await.unwrap()]
            .into_iter()
            .flatten()
            .map(|claim| claim.check_id)
            .collect();
        assert_eq!(claimed, HashSet::from([first.id, second.id]));
    }

    #[tokio::test]
    async fn checks_are_claimed_in_the_order_they_were_enqueued() {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(&store, config()).unwrap();
        let ids = stored(&store, &["A Ltd", "B Ltd", "C Ltd"]).await;
        queue.enqueue(&ids).await.unwrap();
        for id in &ids {
            assert_eq!(
                queue.claim().await.unwrap().map(|claim| claim.check_id).as_ref(),
                Some(id)
            );
        }
    }

    #[tokio::test]
    async fn a_claim_carries_its_check_as_it_was_and_marks_it_running_within_its_attempts() {
        let clock = ManualClock::new();
        let store = SqliteStore::in_memory().unwrap().with_clock(clock.clone());
        let queue = SqliteQueue::open(&store, config()).unwrap();
        let ids = stored(&store, &["A Ltd"]).await;
        queue.enqueue(&ids).await.unwrap();
        let status = |id: CheckId| {
            let store = store.clone();
            async move { store.get_check(&id).await.unwrap().unwrap().status }
        };

        let first = queue.claim().await.unwrap().expect("claimable");
        let carried = first
            .stored
            .clone()
            .expect("stored")
            .into_record(ids[0].clone())
            .unwrap();
        assert_eq!(
            (carried.check.id, carried.status),
            (ids[0].clone(), CheckStatus::Queued)
        );
        assert_eq!(status(ids[0].clone()).await, CheckStatus::Running);

        // Each lease expires unfinished: the redeliveries carry `running`, so their executions read the store.
        for attempts in 2..=config().max_attempts + 1 {
            clock.advance(Duration::from_secs(61));
            let again = queue.claim().await.unwrap().expect("claimable again");
            assert_eq!(again.attempts, attempts);
            let carried = again.stored.expect("stored").into_record(ids[0].clone()).unwrap();
            assert_eq!(carried.status, CheckStatus::Running);
        }
    }

    #[tokio::test]
    async fn an_expired_lease_is_claimed_before_checks_enqueued_after_it() {
        let clock = ManualClock::new();
        let store = SqliteStore::in_memory().unwrap().with_clock(clock.clone());
        let queue = SqliteQueue::open(&store, config()).unwrap();
        let ids = stored(&store, &["A Ltd", "B Ltd"]).await;
        queue.enqueue(&ids[..1]).await.unwrap();
        clock.advance(Duration::from_millis(5));
        queue.enqueue(&ids[1..]).await.unwrap();
        assert_eq!(queue.claim().await.unwrap().unwrap().check_id, ids[0]);

        clock.advance(Duration::from_secs(61));
        let claim = |queue: SqliteQueue| async move { queue.claim().await.unwrap().map(|claim| claim.check_id) };
        assert_eq!(
            claim(queue.clone()).await.as_ref(),
            Some(&ids[0]),
            "the older, expired one first"
        );
        assert_eq!(claim(queue.clone()).await.as_ref(), Some(&ids[1]));
        assert_eq!(claim(queue.clone()).await, None);
    }

    #[test]
    fn a_claim_builds_no_temporary_table() {
        let store = SqliteStore::in_memory().unwrap();
        SqliteQueue::open(&store, config()).unwrap();
        for sql in [OLDEST_WAITING, FIRST_EXPIRED, LEASE] {
            let opcodes: Vec<String> = store
                .db()
                .run_now(|conn| {
                    let mut explain = conn.prepare(&format!("EXPLAIN {sql}"))?;
                    let parameters = rusqlite::params_from_iter([1, 2].into_iter().take(explain.parameter_count()));
                    let rows = explain.query_map(parameters, |row| row.get::<_, String>(1))?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?)
                })
                .unwrap();
            assert!(
                !opcodes.iter().any(|op| op == "OpenEphemeral" || op == "SorterOpen"),
                "{sql}: {opcodes:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_claim_does_not_step_over_the_running_checks() {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(
            &store,
            QueueConfig {
                max_depth: 2_000,
                ..config()
            },
        )
        .unwrap();
        let names: Vec<String> = (0..1_000).map(|n| format!("Company {n} Ltd")).collect();
        let ids = stored(&store, &names.iter().map(String::as_str).collect::<Vec<_>>()).await;
        queue.enqueue(&ids).await.unwrap();
        for _ in 0..999 {
            queue.claim().await.unwrap().expect("claimable");
        }
        let steps = |reset: bool| {
            store
                .db()
                .run_now(move |conn| {
                    let mut steps = 0;
                    for sql in [OLDEST_WAITING, FIRST_EXPIRED, LEASE] {
                        let statement = conn.prepare_cached(sql)?;
                        steps += if reset {
                            statement.reset_status(rusqlite::StatementStatus::VmStep)
                        } else {
                            statement.get_status(rusqlite::StatementStatus::VmStep)
                        };
                    }
                    Ok(steps)
                })
                .unwrap()
        };
        steps(true);
        assert_eq!(
            queue.claim().await.unwrap().map(|claim| claim.check_id).as_ref(),
            ids.last()
        );
        let last_claim_steps = steps(false);
        // Walking past 999 leased rows takes thousands of steps; finding the one waiting row, a few dozen.
        assert!(
            last_claim_steps < 300,
            "the last claim took {last_claim_steps} VM steps"
        );
    }

    #[tokio::test]
    async fn an_expired_lease_makes_the_check_claimable_again() {
        let clock = ManualClock::new();
        let store = SqliteStore::in_memory().unwrap().with_clock(clock.clone());
        let queue = SqliteQueue::open(&store, config()).unwrap();
        let ids = stored(&store, &["Acme Ltd"]).await;
        queue.enqueue(&ids).await.unwrap();

        let first = queue.claim().await.unwrap().expect("claimable");
        assert_eq!(first.attempts, 1);
        assert_eq!(
            queue.claim().await.unwrap(),
            None,
            "leased checks are not handed out twice"
        );

        clock.advance(Duration::from_secs(59));
        assert_eq!(queue.claim().await.unwrap(), None, "the lease still holds");

        clock.advance(Duration::from_secs(2));
        let second = queue
            .claim()
            .await
            .unwrap()
            .expect("re-delivered after the lease expired");
        assert_eq!(second.check_id, first.check_id);
        assert_eq!(second.attempts, 2);
    }

    #[tokio::test]
    async fn a_renewed_lease_keeps_the_check_with_its_worker() {
        let clock = ManualClock::new();
        let store = SqliteStore::in_memory().unwrap().with_clock(clock.clone());
        let queue = SqliteQueue::open(&store, config()).unwrap();
        let ids = stored(&store, &["Acme Ltd"]).await;
        queue.enqueue(&ids).await.unwrap();

        queue.claim().await.unwrap().expect("claimable");
        clock.advance(Duration::from_secs(50));
        queue.extend_lease(&ids[0]).await.unwrap();
        clock.advance(Duration::from_secs(50));
        assert_eq!(queue.claim().await.unwrap(), None);
    }

    #[tokio::test]
    async fn enqueue_refuses_beyond_the_depth_limit_and_reservations_count() {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(
            &store,
            QueueConfig {
                max_depth: 2,
                ..config()
            },
        )
        .unwrap();
        let ids = stored(&store, &["A Ltd", "B Ltd", "C Ltd"]).await;

        queue.enqueue(&ids[..1]).await.unwrap();
        let held = queue.reserve(1).await.unwrap();
        let err = queue.enqueue(&ids[1..2]).await.unwrap_err();
        assert!(
            matches!(err, QueueError::Overloaded { depth: 2, max_depth: 2 }),
            "{err}"
        );
        assert_eq!(err.kind(), ErrorKind::Overloaded);

        drop(held);
        queue.enqueue(&ids[1..2]).await.unwrap();
        assert!(matches!(
            queue.enqueue(&ids[2..]).await,
            Err(QueueError::Overloaded { .. })
        ));
        assert_eq!(queue.depth().await.unwrap(), 2);

        queue.complete(&ids[0]).await.unwrap();
        queue.enqueue(&ids[2..]).await.unwrap();
        assert_eq!(queue.depth().await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_batch_that_does_not_fit_is_refused_whole() {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(
            &store,
            QueueConfig {
                max_depth: 2,
                ..config()
            },
        )
        .unwrap();
        let ids = stored(&store, &["A Ltd", "B Ltd", "C Ltd"]).await;
        assert!(matches!(queue.enqueue(&ids).await, Err(QueueError::Overloaded { .. })));
        assert_eq!(queue.depth().await.unwrap(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_reservations_never_admit_past_the_depth_limit() {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(
            &store,
            QueueConfig {
                max_depth: 10,
                ..config()
            },
        )
        .unwrap();
        let ids = stored(&store, &["A Ltd", "B Ltd", "C Ltd"]).await;
        queue.enqueue(&ids).await.unwrap();

        let mut takers = JoinSet::new();
        for _ in 0..64 {
            let queue = queue.clone();
            takers.spawn(async move { queue.reserve(1).await.ok() });
        }
        let mut held = Vec::new();
        while let Some(taken) = takers.join_next().await {
            held.extend(taken.unwrap());
        }
        assert_eq!(held.len(), 7, "3 rows + 7 reservations fill a queue of 10 exactly");
        assert!(matches!(
            queue.reserve(1).await,
            Err(QueueError::Overloaded { depth: 10, .. })
        ));
        held.truncate(2);
        let _room = queue
            .reserve(5)
            .await
            .expect("dropped reservations give their room back");
    }

    #[tokio::test]
    async fn submit_stores_and_queues_in_one_step_and_a_refused_submit_stores_nothing() {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(
            &store,
            QueueConfig {
                max_depth: 2,
                ..config()
            },
        )
        .unwrap();
        let accepted = vec![check("A Ltd"), check("B Ltd")];
        queue.submit(&accepted).await.unwrap();
        for submitted in &accepted {
            let record = store.get_check(&submitted.id).await.unwrap().expect("stored");
            assert_eq!(record.status, CheckStatus::Queued);
            assert_eq!(record.check.request, submitted.request);
        }
        assert_eq!(queue.depth().await.unwrap(), 2);

        let refused = check("C Ltd");
        assert!(matches!(
            queue.submit(std::slice::from_ref(&refused)).await,
            Err(QueueError::Overloaded { depth: 2, max_depth: 2 })
        ));
        assert_eq!(store.get_check(&refused.id).await.unwrap(), None);

        // A queue opened later on the same file counts the rows already there.
        let reopened = SqliteQueue::open(
            &store,
            QueueConfig {
                max_depth: 2,
                ..config()
            },
        )
        .unwrap();
        assert!(matches!(reopened.reserve(1).await, Err(QueueError::Overloaded { .. })));
        queue.complete(&accepted[0].id).await.unwrap();
        reopened.depth().await.unwrap();
        let _room = reopened.reserve(1).await.expect("depth re-synchronises with the table");
    }

    #[tokio::test]
    async fn enqueueing_the_same_check_twice_queues_it_once() {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(&store, config()).unwrap();
        let ids = stored(&store, &["A Ltd"]).await;
        queue.enqueue(&ids).await.unwrap();
        queue.enqueue(&ids).await.unwrap();
        assert_eq!(queue.depth().await.unwrap(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_pool_runs_checks_to_done_and_marks_failures() {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(&store, config()).unwrap();
        let shared: Arc<dyn CheckStore> = Arc::new(store.clone());
        let runner = Arc::new(ReportingRunner {
            store: Arc::clone(&shared),
            delay: Duration::from_millis(20),
        });
        // The poll interval is an hour, so only the enqueue wake-up can get these checks started.
        let pool = WorkerPool::start(Arc::clone(&shared), queue.clone(), runner, 2);

        let ids = stored(&store, &["Acme Ltd", "Fail Corp", "Beta Ltd", "Gamma Inc", "Delta Ltd"]).await;
        queue.enqueue(&ids).await.unwrap();
        wait_until_settled(&store, &ids).await;

        for (index, id) in ids.iter().enumerate() {
            let record = store.get_check(id).await.unwrap().unwrap();
            if index == 1 {
                assert_eq!(record.status, CheckStatus::Failed);
                assert!(
                    record.error.as_deref().unwrap_or_default().contains("garbage"),
                    "{record:?}"
                );
                assert_eq!(record.report, None);
            } else {
                assert_eq!(record.status, CheckStatus::Done, "{record:?}");
                let report = record.report.expect("done checks have a report");
                assert_eq!(report.subject_name, record.check.request.subject.name);
                assert!(report.channels.contains_key("search"));
            }
        }
        // A check's queue row is removed by a write after its final status, so the last one may still be on its way.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while queue.depth().await.unwrap() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(queue.depth().await.unwrap(), 0, "settled checks leave the queue");
        pool.shutdown().await;
    }

    #[tokio::test]
    async fn a_check_whose_worker_died_is_run_by_the_next_pool() {
        let clock = ManualClock::new();
        let store = SqliteStore::in_memory().unwrap().with_clock(clock.clone());
        let queue = SqliteQueue::open(&store, config()).unwrap();
        let ids = stored(&store, &["Acme Ltd"]).await;
        queue.enqueue(&ids).await.unwrap();

        // A worker claims the check, marks it running, and the process dies.
        queue.claim().await.unwrap().expect("claimable");
        store.set_status(&ids[0], CheckStatus::Running, None).await.unwrap();
        clock.advance(Duration::from_secs(61));

        let shared: Arc<dyn CheckStore> = Arc::new(store.clone());
        let runner = Arc::new(ReportingRunner {
            store: Arc::clone(&shared),
            delay: Duration::ZERO,
        });
        let pool = WorkerPool::start(shared, queue.clone(), runner, 1);
        wait_until_settled(&store, &ids).await;
        pool.shutdown().await;

        let record = store.get_check(&ids[0]).await.unwrap().unwrap();
        assert_eq!(record.status, CheckStatus::Done);
        assert_eq!(queue.depth().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_check_that_keeps_killing_its_worker_is_given_up_as_failed() {
        let clock = ManualClock::new();
        let store = SqliteStore::in_memory().unwrap().with_clock(clock.clone());
        let queue = SqliteQueue::open(&store, config()).unwrap();
        let ids = stored(&store, &["Acme Ltd"]).await;
        queue.enqueue(&ids).await.unwrap();
        for _ in 0..3 {
            queue.claim().await.unwrap().expect("claimable");
            clock.advance(Duration::from_secs(61));
        }

        let shared: Arc<dyn CheckStore> = Arc::new(store.clone());
        let runner = Arc::new(ReportingRunner {
            store: Arc::clone(&shared),
            delay: Duration::ZERO,
        });
        let pool = WorkerPool::start(shared, queue.clone(), runner, 1);
        wait_until_settled(&store, &ids).await;
        pool.shutdown().await;

        let record = store.get_check(&ids[0]).await.unwrap().unwrap();
        assert_eq!(record.status, CheckStatus::Failed);
        assert!(record.error.unwrap_or_default().contains("abandoned after 3 attempts"));
        assert_eq!(queue.depth().await.unwrap(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_waits_for_checks_in_flight() {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(&store, config()).unwrap();
        let shared: Arc<dyn CheckStore> = Arc::new(store.clone());
        let runner = Arc::new(ReportingRunner {
            store: Arc::clone(&shared),
            delay: Duration::from_millis(300),
        });
        let pool = WorkerPool::start(Arc::clone(&shared), queue.clone(), runner, 1);
        let ids = stored(&store, &["Acme Ltd", "Beta Ltd"]).await;
        queue.enqueue(&ids).await.unwrap();

        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while store.get_check(&ids[0]).await.unwrap().unwrap().status != CheckStatus::Running {
            assert!(tokio::time::Instant::now() < deadline, "the first check never started");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        pool.shutdown().await;

        assert_eq!(
            store.get_check(&ids[0]).await.unwrap().unwrap().status,
            CheckStatus::Done
        );
        assert_eq!(
            store.get_check(&ids[1]).await.unwrap().unwrap().status,
            CheckStatus::Queued
        );
        assert_eq!(
            queue.depth().await.unwrap(),
            1,
            "the unstarted check stays queued for the next start"
        );
    }
}

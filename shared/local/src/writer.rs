//! The database's writer thread: every write of the store and the queue is group-committed (the provider
//! response cache still writes from a blocking-pool thread, on its own transaction).
//!
//! A writer hands its work to this thread over a bounded channel and waits for the `COMMIT`. The thread takes
//! whatever writes are waiting, applies each in its own savepoint of one transaction (so a write that fails is
//! rolled back alone and answered with its error), commits once, and answers each. Under load one commit, one
//! lock hand-off and one WAL append serve many writes (a check makes ~4, with hundreds of checks in flight) and
//! no write takes a blocking-pool thread; a lone write waits for nothing. A full channel makes writers wait
//! (backpressure).

use std::time::{Duration, Instant};

use rusqlite::Connection;
use shadowhunter_core::ErrorKind;
use tokio::sync::{mpsc, oneshot};

use crate::store::{DbConnection, DbError};

/// Writes the channel holds before writers wait for room.
const PENDING_WRITES: usize = 1_024;
/// Under steady writes a group commit begins at most once per this interval, so the writes arriving meanwhile share
/// it (see [`wait_before_commit`]).
const COMMIT_INTERVAL: Duration = Duration::from_millis(1);
/// The most weight (queue rows, or one per other write) one group commit carries; a heavier write is committed
/// alone.
const MAX_GROUP_WEIGHT: usize = 1_024;

/// One write for the group commit.
pub(crate) trait GroupWrite: Send {
    /// Checks this write puts on the queue (counted by the metrics; a write weighs at least one in a group).
    fn queued_checks(&self) -> usize {
        0
    }

    /// Whether `apply` can fail while the database itself is sound (a constraint, a row that is not there), and so
    /// needs a savepoint of its own to fail alone. One that cannot is applied without: a savepoint first copies
    /// every page the write touches into the sub-journal (a sixth of the writer thread's time on the ingest path),
    /// and if such a write fails all the same, the whole group is rolled back and each write told why.
    fn may_fail_alone(&self) -> bool {
        true
    }

    /// Runs inside the group's transaction, in a savepoint of its own that is rolled back if this fails (unless
    /// [`GroupWrite::may_fail_alone`] says it cannot).
    fn apply(&mut self, conn: &Connection) -> Result<(), DbError>;

    /// Called once the group is settled, with the connection still locked: `Ok` if `apply` succeeded and the
    /// group committed, else why not.
    fn finish(self: Box<Self>, outcome: Result<(), DbError>);
}

/// Where writes are sent; the thread ends when every sender is gone.
pub(crate) type WriteSender = mpsc::Sender<Box<dyn GroupWrite>>;

/// Starts the writer thread over `conn`.
pub(crate) fn start(conn: DbConnection) -> Result<WriteSender, DbError> {
    let (writes, pending) = mpsc::channel(PENDING_WRITES);
    std::thread::Builder::new()
        .name(format!("{}writer", crate::store::THREAD_PREFIX))
        .spawn(move || write_groups(&conn, pending))
        .map_err(|err| DbError::Corrupt(format!("cannot start the database writer thread: {err}")))?;
    Ok(writes)
}

/// Sends `work` to the writer and waits for its group's commit; the value `work` returned.
pub(crate) async fn write<T, F>(writes: &WriteSender, work: F) -> Result<T, DbError>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
{
    let (done, committed) = oneshot::channel();
    let job = Job {
        work: Some(work),
        value: None,
        done,
    };
    writes.send(Box::new(job)).await.map_err(|_| DbError::WriterStopped)?;
    committed.await.map_err(|_| DbError::WriterStopped)?
}

/// A closure's write, answered through a oneshot channel.
struct Job<F, T> {
    work: Option<F>,
    value: Option<T>,
    done: oneshot::Sender<Result<T, DbError>>,
}

impl<F, T> GroupWrite for Job<F, T>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, DbError> + Send,
{
    fn apply(&mut self, conn: &Connection) -> Result<(), DbError> {
        if let Some(work) = self.work.take() {
            self.value = Some(work(conn)?);
        }
        Ok(())
    }

    fn finish(self: Box<Self>, outcome: Result<(), DbError>) {
        let Job { value, done, .. } = *self;
        let answer = outcome.and_then(|()| value.ok_or(DbError::WriterStopped));
        // The writer may have gone away; its write is committed (or not) either way.
        let _ = done.send(answer);
    }
}

/// How long a write that just arrived waits for others before its group commits: until [`COMMIT_INTERVAL`] after
/// the previous commit began, not at all after a quiet spell.
///
/// The writer is faster than the writes arrive: committing each group as soon as it had one, it committed 1.3 writes
/// at a time at 500 checks/s (~3 commits per check) and 11 checks at a time at ingest saturation, every commit
/// appending the same pages (each table's and index's last leaf) to the WAL again. With the interval: 2.9 writes
/// per commit and 11 checks → 39, the store's threads' CPU per accepted check at ingest saturation 14–15 → 11 µs.
/// A check's ~4 writes wait at most a millisecond each in return.
fn wait_before_commit(previous_commit_began: Option<Instant>, now: Instant) -> Option<Duration> {
    previous_commit_began
        .and_then(|began| (began + COMMIT_INTERVAL).checked_duration_since(now))
        .filter(|wait| !wait.is_zero())
}

fn write_groups(conn: &DbConnection, mut pending: mpsc::Receiver<Box<dyn GroupWrite>>) {
    let mut previous_commit_began = None;
    while let Some(first) = pending.blocking_recv() {
        if let Some(wait) = wait_before_commit(previous_commit_began, Instant::now()) {
            std::thread::sleep(wait);
        }
        let mut weight = first.queued_checks().max(1);
        let mut group = vec![first];
        while weight < MAX_GROUP_WEIGHT {
            let Ok(next) = pending.try_recv() else {
                break;
            };
            weight += next.queued_checks().max(1);
            group.push(next);
        }
        let queued: usize = group.iter().map(|write| write.queued_checks()).sum();
        let writes = group.len();
        let started = Instant::now();
        previous_commit_began = Some(started);
        conn.run_now(|conn| {
            commit_group(conn, group);
            Ok(())
        })
        .unwrap_or(());
        let metrics = crate::metrics::metrics();
        metrics.queue_commit.observe(started.elapsed());
        metrics.queue_commits.inc();
        metrics.queue_committed_checks.add(queued as u64);
        metrics.queue_committed_writes.add(writes as u64);
    }
}

/// One transaction for the group, a savepoint per write; each write is finished after the `COMMIT` (or told why
/// nothing of the group was written).
pub(crate) fn commit_group(conn: &mut Connection, mut group: Vec<Box<dyn GroupWrite>>) {
    let applied = apply_all(conn, &mut group);
    match applied {
        Ok(outcomes) => {
            for (write, outcome) in group.into_iter().zip(outcomes) {
                write.finish(outcome);
            }
        }
        Err(err) => {
            let (message, retryable) = (err.to_string(), err.kind() == ErrorKind::Retryable);
            for write in group {
                write.finish(Err(DbError::GroupCommit {
                    message: message.clone(),
                    retryable,
                }));
            }
        }
    }
}

/// The transaction's statements are prepared once and kept: rusqlite's `Transaction` and `Savepoint` parse their
/// `BEGIN`, `SAVEPOINT`, `RELEASE` and `COMMIT` text anew each time, which was a third of the writer thread's CPU
/// at ~3 commits per check.
fn apply_all(conn: &Connection, group: &mut [Box<dyn GroupWrite>]) -> Result<Vec<Result<(), DbError>>, DbError> {
    run(conn, "BEGIN")?;
    let applied = match group {
        // Alone in its group, a write needs no savepoint: if it fails, the whole transaction is rolled back.
        [write] => match write.apply(conn) {
            Ok(()) => Ok(vec![Ok(())]),
            Err(err) => {
                run(conn, "ROLLBACK")?;
                return Ok(vec![Err(err)]);
            }
        },
        _ => group
            .iter_mut()
            .map(|write| {
                if write.may_fail_alone() {
                    apply_in_savepoint(conn, write.as_mut())
                } else {
                    write.apply(conn).map(Ok)
                }
            })
            .collect(),
    };
    let committed = applied.and_then(|outcomes| run(conn, "COMMIT").map(|()| outcomes));
    if committed.is_err() && !conn.is_autocommit() {
        // Best effort: the group's error is what the writes are told.
        let _ = run(conn, "ROLLBACK");
    }
    committed
}

/// Applies `write` in a savepoint that is rolled back (and released) if it fails; `Err` only when the savepoint
/// statements themselves fail, which dooms the group.
fn apply_in_savepoint(conn: &Connection, write: &mut dyn GroupWrite) -> Result<Result<(), DbError>, DbError> {
    run(conn, "SAVEPOINT write")?;
    match write.apply(conn) {
        Ok(()) => {
            run(conn, "RELEASE write")?;
            Ok(Ok(()))
        }
        Err(err) => {
            run(conn, "ROLLBACK TO write")?;
            run(conn, "RELEASE write")?;
            Ok(Err(err))
        }
    }
}

fn run(conn: &Connection, sql: &str) -> Result<(), DbError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::store::SqliteStore;
    use crate::store::tests::check;
    use shadowhunter_core::ports::CheckStore;

    /// Inserts `value` into `t`; a value of 0 breaks the table's CHECK constraint.
    struct Insert {
        value: i64,
        fails_alone: bool,
        outcome: std::sync::mpsc::Sender<(i64, bool)>,
    }

    impl super::GroupWrite for Insert {
        fn may_fail_alone(&self) -> bool {
            self.fails_alone
        }

        fn apply(&mut self, conn: &rusqlite::Connection) -> Result<(), crate::store::DbError> {
            conn.execute("INSERT INTO t (value) VALUES (?1)", [self.value])?;
            Ok(())
        }

        fn finish(self: Box<Self>, outcome: Result<(), crate::store::DbError>) {
            self.outcome.send((self.value, outcome.is_ok())).unwrap();
        }
    }

    /// The group `inserts` (value, may fail alone) as one commit: each write's outcome, and the rows stored.
    fn commit(inserts: &[(i64, bool)]) -> (Vec<(i64, bool)>, Vec<i64>) {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (value INTEGER NOT NULL CHECK (value <> 0))")
            .unwrap();
        let (outcome, outcomes) = std::sync::mpsc::channel();
        let group: Vec<Box<dyn super::GroupWrite>> = inserts
            .iter()
            .map(|&(value, fails_alone)| {
                Box::new(Insert {
                    value,
                    fails_alone,
                    outcome: outcome.clone(),
                }) as Box<dyn super::GroupWrite>
            })
            .collect();
        super::commit_group(&mut conn, group);
        let mut stored = conn.prepare("SELECT value FROM t ORDER BY value").unwrap();
        let rows = stored
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        (outcomes.try_iter().collect(), rows)
    }

    #[test]
    fn a_write_with_a_savepoint_fails_alone_and_one_without_takes_its_group_down_with_it() {
        let (outcomes, rows) = commit(&[(1, false), (0, true), (2, false)]);
        assert_eq!(outcomes, vec![(1, true), (0, false), (2, true)]);
        assert_eq!(rows, vec![1, 2]);

        let (outcomes, rows) = commit(&[(1, false), (0, false), (2, true)]);
        assert_eq!(
            outcomes,
            vec![(1, false), (0, false), (2, false)],
            "nothing of the group is committed"
        );
        assert!(rows.is_empty(), "{rows:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_all_commit_and_a_failing_one_fails_alone() {
        let store = SqliteStore::in_memory().unwrap();
        let checks: Vec<_> = (0..64).map(|n| check(&format!("Company {n}"))).collect();
        let mut writers = tokio::task::JoinSet::new();
        for (n, check) in checks.iter().cloned().enumerate() {
            let store = store.clone();
            writers.spawn(async move {
                store.insert_check(&check).await.unwrap();
                if n % 8 == 0 {
                    let unknown = crate::store::tests::check("Never Stored Ltd");
                    let refused = store
                        .set_status(&unknown.id, shadowhunter_core::CheckStatus::Running, None)
                        .await;
                    assert!(refused.is_err(), "an unknown check's status cannot be set");
                }
                store
                    .set_status(&check.id, shadowhunter_core::CheckStatus::Running, None)
                    .await
                    .unwrap();
            });
        }
        while let Some(written) = writers.join_next().await {
            written.unwrap();
        }
        for check in &checks {
            let record = store.get_check(&check.id).await.unwrap().expect("committed");
            assert_eq!(record.status, shadowhunter_core::CheckStatus::Running);
        }
    }

    #[test]
    fn a_write_after_a_quiet_spell_commits_at_once_one_during_steady_writes_waits_out_the_interval() {
        use super::{COMMIT_INTERVAL, wait_before_commit};
        use std::time::{Duration, Instant};
        let now = Instant::now();
        assert_eq!(wait_before_commit(None, now), None);
        assert_eq!(wait_before_commit(Some(now - COMMIT_INTERVAL * 3), now), None);
        assert_eq!(wait_before_commit(Some(now - COMMIT_INTERVAL), now), None);
        let quarter = COMMIT_INTERVAL / 4;
        assert_eq!(
            wait_before_commit(Some(now - quarter), now),
            Some(COMMIT_INTERVAL - quarter)
        );
        assert!(wait_before_commit(Some(now), now).is_some_and(|wait| wait <= COMMIT_INTERVAL));
        assert_ne!(COMMIT_INTERVAL, Duration::ZERO);
    }
}

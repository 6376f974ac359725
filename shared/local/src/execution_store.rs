//! `ExecutionStore`: the store as one local execution's steps see it. What this execution already holds — its
//! check, the evidence and verdicts it wrote or read, its report — is answered from memory instead of being read
//! and parsed again, and the judge's profile of the subject is derived once for the execution's seven judging steps.
//!
//! The state machine's steps pass only keys, so each of a check's 13 steps used to load the check, and each
//! comparison re-read the evidence its collector had just written: 43% of the local service's CPU was the store.
//! In AWS every step is its own Lambda invocation and must read; in process the execution can remember.
//!
//! Answering from memory is safe because, while an execution runs, its own steps are the only writers of its
//! check's evidence, verdicts and report (the queue leases a check to one worker at a time), and a check's request
//! never changes. Status is not kept: it is changed by the queue too, so it is always read through.
//!
//! A check that never ran ([`PriorRun::Never`]) has nothing stored but its request, so its execution's reads of
//! evidence and verdicts need no trip at all (they were seven per check, each a blocking-pool thread waiting for
//! the connection the writer holds).
//!
//! The evidence and verdicts the steps write are held and written with the report, in one write
//! ([`CheckStore::put_results`]); an execution that ends without a report writes them at its end
//! ([`ExecutionStore::write_held`]). Written as they came, they were 12 of a check's 17 writes, and the writer
//! committed ~7 times per check with 2.4 writes per commit: the commits' fixed cost (the transaction's start, the
//! WAL pages each commit rewrites) was most of the writer thread's 15% of the process at 500 checks/s. Nothing
//! read them before the report anyway — `GET /checks/{id}` shows the report — and a check whose process stops
//! mid-run is run again from its queue row, so an unfinished execution's intermediate results are never needed.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use async_trait::async_trait;
use shadowhunter_core::check::{Check, CheckId, CheckStatus};
use shadowhunter_core::ports::{CheckRecord, CheckStore, StoreError};
use shadowhunter_core::profile::SubjectProfile;
use shadowhunter_core::{Channel, ChannelVerdict, Evidence, Report};

/// Whether an earlier execution of the check may have stored evidence or verdicts for this one to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriorRun {
    /// The check never ran (it was still `queued`, or was just inserted): nothing of it is stored but its request.
    Never,
    /// An execution may have started before (a redelivered check): what it stored is read from the store.
    Possible,
}

pub struct ExecutionStore {
    store: Arc<dyn CheckStore>,
    check: Check,
    prior: PriorRun,
    profile: OnceLock<Arc<SubjectProfile>>,
    /// What the steps wrote; locked across the write that stores it, so no step's write slips between.
    held: tokio::sync::Mutex<Held>,
    /// The verdicts earlier executions stored, once read (none if the check never ran); locked while the first
    /// read runs, so concurrent steps read the store once.
    earlier_verdicts: tokio::sync::Mutex<Option<Vec<ChannelVerdict>>>,
    report: Mutex<Option<Report>>,
}

/// Evidence and verdicts by channel, each in channel order, at most one per channel.
#[derive(Default)]
struct Held {
    evidence: Vec<Evidence>,
    verdicts: Vec<ChannelVerdict>,
    /// Some of them are not in the store yet.
    unwritten: bool,
}

impl ExecutionStore {
    /// The view of `store` for one execution of `check`.
    pub fn new(store: Arc<dyn CheckStore>, check: Check, prior: PriorRun) -> Self {
        let earlier_verdicts = match prior {
            PriorRun::Never => Some(Vec::new()),
            PriorRun::Possible => None,
        };
        Self {
            store,
            check,
            prior,
            profile: OnceLock::new(),
            held: tokio::sync::Mutex::default(),
            earlier_verdicts: tokio::sync::Mutex::new(earlier_verdicts),
            report: Mutex::default(),
        }
    }

    /// The report this execution stored, if it stored one, taken out: the execution hands it to its caller once.
    pub fn take_report(&self) -> Option<Report> {
        lock(&self.report).take()
    }

    /// Writes the evidence and verdicts still held: those of an execution that ended without storing a report.
    pub async fn write_held(&self) -> Result<(), StoreError> {
        self.write_with_held(None).await
    }

    /// Writes the held evidence and verdicts with `report`; they stay unwritten if the write fails, for the
    /// step's retry.
    async fn write_with_held(&self, report: Option<&Report>) -> Result<(), StoreError> {
        let mut held = self.held.lock().await;
        if !held.unwritten && report.is_none() {
            return Ok(());
        }
        self.store
            .put_results(&self.check.id, &held.evidence, &held.verdicts, report)
            .await?;
        held.unwritten = false;
        Ok(())
    }

    /// The verdicts earlier executions stored, read from the store on first need.
    async fn earlier_verdicts(&self) -> Result<tokio::sync::MutexGuard<'_, Option<Vec<ChannelVerdict>>>, StoreError> {
        let mut earlier = self.earlier_verdicts.lock().await;
        if earlier.is_none() {
            *earlier = Some(self.store.get_verdicts(&self.check.id).await?);
        }
        Ok(earlier)
    }

    fn is_own(&self, id: &CheckId) -> bool {
        *id == self.check.id
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Puts `item` in `items` in place of the one of its channel, keeping channel order.
fn replace_by_channel<T>(items: &mut Vec<T>, item: T, channel: impl Fn(&T) -> Channel) {
    items.retain(|held| channel(held) != channel(&item));
    items.push(item);
    items.sort_by_key(|held| channel(held));
}

#[async_trait]
impl CheckStore for ExecutionStore {
    async fn insert_check(&self, check: &Check) -> Result<(), StoreError> {
        self.store.insert_check(check).await
    }

    async fn get_check(&self, id: &CheckId) -> Result<Option<CheckRecord>, StoreError> {
        self.store.get_check(id).await
    }

    async fn get_submitted(&self, id: &CheckId) -> Result<Option<Check>, StoreError> {
        if self.is_own(id) {
            return Ok(Some(self.check.clone()));
        }
        self.store.get_submitted(id).await
    }

    async fn get_profiled(&self, id: &CheckId) -> Result<Option<(Check, Arc<SubjectProfile>)>, StoreError> {
        if self.is_own(id) {
            let profile = self
                .profile
                .get_or_init(|| Arc::new(SubjectProfile::new(&self.check.request.subject)));
            return Ok(Some((self.check.clone(), Arc::clone(profile))));
        }
        self.store.get_profiled(id).await
    }

    async fn set_status(&self, id: &CheckId, status: CheckStatus, error: Option<&str>) -> Result<(), StoreError> {
        self.store.set_status(id, status, error).await
    }

    async fn claim(&self, id: &CheckId) -> Result<bool, StoreError> {
        self.store.claim(id).await
    }

    async fn put_evidence(&self, id: &CheckId, evidence: Evidence) -> Result<(), StoreError> {
        if !self.is_own(id) {
            return self.store.put_evidence(id, evidence).await;
        }
        let mut held = self.held.lock().await;
        replace_by_channel(&mut held.evidence, evidence, |evidence| evidence.channel);
        held.unwritten = true;
        Ok(())
    }

    async fn get_evidence(&self, id: &CheckId, channel: Channel) -> Result<Option<Evidence>, StoreError> {
        if !self.is_own(id) {
            return self.store.get_evidence(id, channel).await;
        }
        let held = self
            .held
            .lock()
            .await
            .evidence
            .iter()
            .find(|evidence| evidence.channel == channel)
            .cloned();
        match (held, self.prior) {
            (Some(evidence), _) => Ok(Some(evidence)),
            (None, PriorRun::Never) => Ok(None),
            (None, PriorRun::Possible) => self.store.get_evidence(id, channel).await,
        }
    }

    async fn put_verdict(&self, id: &CheckId, verdict: ChannelVerdict) -> Result<(), StoreError> {
        if !self.is_own(id) {
            return self.store.put_verdict(id, verdict).await;
        }
        let mut held = self.held.lock().await;
        replace_by_channel(&mut held.verdicts, verdict, |verdict| verdict.channel);
        held.unwritten = true;
        Ok(())
    }

    async fn get_verdicts(&self, id: &CheckId) -> Result<Vec<ChannelVerdict>, StoreError> {
        if !self.is_own(id) {
            return self.store.get_verdicts(id).await;
        }
        let mut verdicts = self.earlier_verdicts().await?.clone().unwrap_or_default();
        for verdict in self.held.lock().await.verdicts.iter() {
            replace_by_channel(&mut verdicts, verdict.clone(), |verdict| verdict.channel);
        }
        Ok(verdicts)
    }

    /// Without copying the verdicts: each of the six collectors asks, while the other channels' verdicts are held.
    async fn has_verdict(&self, id: &CheckId, channel: Channel) -> Result<bool, StoreError> {
        if !self.is_own(id) {
            return self.store.has_verdict(id, channel).await;
        }
        if self
            .held
            .lock()
            .await
            .verdicts
            .iter()
            .any(|verdict| verdict.channel == channel)
        {
            return Ok(true);
        }
        let earlier = self.earlier_verdicts().await?;
        Ok(earlier.iter().flatten().any(|verdict| verdict.channel == channel))
    }

    async fn put_report(&self, id: &CheckId, report: Report) -> Result<(), StoreError> {
        if !self.is_own(id) {
            return self.store.put_report(id, report).await;
        }
        self.write_with_held(Some(&report)).await?;
        *lock(&self.report) = Some(report);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use shadowhunter_core::verdict::Verdict;

    use super::*;
    use crate::store::SqliteStore;
    use crate::store::tests::{check, verdict};

    async fn stored(name: &str) -> (Arc<SqliteStore>, Check) {
        let store = Arc::new(SqliteStore::in_memory().unwrap());
        let check = check(name);
        store.insert_check(&check).await.unwrap();
        (store, check)
    }

    #[tokio::test]
    async fn what_the_execution_writes_reaches_the_store_with_its_report_and_is_read_back_as_written() {
        let (store, check) = stored("Acme").await;
        let execution = ExecutionStore::new(store.clone(), check.clone(), PriorRun::Never);
        let evidence = Evidence::empty(Channel::Website);
        let judged = verdict(Channel::Website, Verdict::Consistent, "site matches");

        execution.put_evidence(&check.id, evidence.clone()).await.unwrap();
        execution.put_verdict(&check.id, judged.clone()).await.unwrap();
        assert_eq!(store.get_evidence(&check.id, Channel::Website).await.unwrap(), None);
        assert!(store.get_verdicts(&check.id).await.unwrap().is_empty());
        let report = crate::store::tests::report(&check, std::slice::from_ref(&judged));
        execution.put_report(&check.id, report.clone()).await.unwrap();

        let record = store.get_check(&check.id).await.unwrap().expect("stored");
        assert_eq!(
            (record.status, record.report),
            (CheckStatus::Done, Some(report.clone()))
        );
        assert_eq!(execution.take_report(), Some(report));
        assert_eq!(
            store.get_evidence(&check.id, Channel::Website).await.unwrap(),
            Some(evidence.clone())
        );
        assert_eq!(store.get_verdicts(&check.id).await.unwrap(), vec![judged.clone()]);
        assert_eq!(
            execution.get_evidence(&check.id, Channel::Website).await.unwrap(),
            Some(evidence)
        );
        assert_eq!(execution.get_verdicts(&check.id).await.unwrap(), vec![judged]);
        assert_eq!(execution.get_submitted(&check.id).await.unwrap(), Some(check));
    }

    #[tokio::test]
    async fn the_subject_is_profiled_once_per_execution_and_as_the_store_would_profile_it() {
        let (store, check) = stored("Acme Trading Co., Ltd.").await;
        let execution = ExecutionStore::new(store.clone(), check.clone(), PriorRun::Never);

        let (first_check, first) = execution.get_profiled(&check.id).await.unwrap().expect("own check");
        let (_, second) = execution.get_profiled(&check.id).await.unwrap().expect("own check");
        let (_, from_store) = store.get_profiled(&check.id).await.unwrap().expect("stored check");

        assert_eq!(first_check, check);
        assert!(
            Arc::ptr_eq(&first, &second),
            "the second step reuses the first step's profile"
        );
        assert_eq!(format!("{first:?}"), format!("{from_store:?}"));
    }

    #[tokio::test]
    async fn a_check_that_never_ran_is_answered_from_memory_and_a_redelivered_one_from_the_store() {
        let (store, check) = stored("Acme").await;
        // Rows an earlier execution would have left; a check that never ran cannot have them, so they stand in
        // for the store's answer: the execution that is told nothing ran does not ask.
        let earlier_evidence = Evidence::empty(Channel::Search);
        let earlier_verdict = verdict(Channel::Search, Verdict::NotFound, "nothing found");
        store.put_evidence(&check.id, earlier_evidence.clone()).await.unwrap();
        store.put_verdict(&check.id, earlier_verdict.clone()).await.unwrap();

        let never = ExecutionStore::new(store.clone(), check.clone(), PriorRun::Never);
        assert_eq!(never.get_evidence(&check.id, Channel::Search).await.unwrap(), None);
        assert!(never.get_verdicts(&check.id).await.unwrap().is_empty());
        assert!(!never.has_verdict(&check.id, Channel::Search).await.unwrap());
        let written = verdict(Channel::Linkedin, Verdict::Consistent, "profile matches");
        never.put_verdict(&check.id, written.clone()).await.unwrap();
        assert_eq!(never.get_verdicts(&check.id).await.unwrap(), vec![written]);
        assert!(never.has_verdict(&check.id, Channel::Linkedin).await.unwrap());

        let redelivered = ExecutionStore::new(store.clone(), check.clone(), PriorRun::Possible);
        assert!(redelivered.has_verdict(&check.id, Channel::Search).await.unwrap());
        assert_eq!(
            redelivered.get_evidence(&check.id, Channel::Search).await.unwrap(),
            Some(earlier_evidence)
        );
        assert!(
            redelivered
                .get_verdicts(&check.id)
                .await
                .unwrap()
                .contains(&earlier_verdict)
        );
    }

    #[tokio::test]
    async fn what_an_earlier_attempt_stored_is_read_from_the_store_then_kept_up_to_date() {
        let (store, check) = stored("Acme").await;
        let earlier = verdict(Channel::Search, Verdict::NotFound, "nothing found");
        store.put_verdict(&check.id, earlier.clone()).await.unwrap();
        let execution = ExecutionStore::new(store.clone(), check.clone(), PriorRun::Possible);

        assert_eq!(execution.get_verdicts(&check.id).await.unwrap(), vec![earlier.clone()]);
        let later = verdict(Channel::Linkedin, Verdict::Consistent, "profile matches");
        execution.put_verdict(&check.id, later.clone()).await.unwrap();
        let redone = verdict(Channel::Search, Verdict::Consistent, "found on a second look");
        execution.put_verdict(&check.id, redone.clone()).await.unwrap();

        let held = execution.get_verdicts(&check.id).await.unwrap();
        assert_eq!(held, vec![redone, later]);
        execution.write_held().await.unwrap();
        assert_eq!(store.get_verdicts(&check.id).await.unwrap(), held);
    }

    #[tokio::test]
    async fn a_verdict_written_while_the_first_read_runs_is_not_lost() {
        let (store, check) = stored("Acme").await;
        let execution = Arc::new(ExecutionStore::new(store.clone(), check.clone(), PriorRun::Possible));
        let writers = Channel::ALL.map(|channel| {
            let execution = Arc::clone(&execution);
            let id = check.id.clone();
            tokio::spawn(async move {
                let first_read = execution.get_verdicts(&id).await.unwrap();
                execution
                    .put_verdict(&id, verdict(channel, Verdict::NotFound, "none"))
                    .await
                    .unwrap();
                first_read
            })
        });
        for writer in writers {
            writer.await.unwrap();
        }
        execution.write_held().await.unwrap();
        assert_eq!(
            execution.get_verdicts(&check.id).await.unwrap(),
            store.get_verdicts(&check.id).await.unwrap()
        );
        assert_eq!(
            execution.get_verdicts(&check.id).await.unwrap().len(),
            Channel::ALL.len()
        );
    }

    #[tokio::test]
    async fn a_refused_report_is_not_remembered_and_what_was_held_is_written_with_the_retry() {
        let store = Arc::new(SqliteStore::in_memory().unwrap());
        let check = check("Acme");
        // The check is not stored yet, so the store refuses the first report.
        let execution = ExecutionStore::new(store.clone(), check.clone(), PriorRun::Never);
        let judged = verdict(Channel::Search, Verdict::Consistent, "found");
        let report = crate::store::tests::report(&check, std::slice::from_ref(&judged));
        execution.put_verdict(&check.id, judged.clone()).await.unwrap();

        assert!(execution.put_report(&check.id, report.clone()).await.is_err());
        assert_eq!(execution.take_report(), None);
        assert_eq!(execution.get_verdicts(&check.id).await.unwrap(), vec![judged.clone()]);

        store.insert_check(&check).await.unwrap();
        execution.put_report(&check.id, report.clone()).await.unwrap();
        assert_eq!(execution.take_report(), Some(report));
        assert_eq!(store.get_verdicts(&check.id).await.unwrap(), vec![judged]);
    }

    #[tokio::test]
    async fn an_execution_that_ends_without_a_report_writes_what_it_held() {
        let (store, check) = stored("Acme").await;
        let execution = ExecutionStore::new(store.clone(), check.clone(), PriorRun::Never);
        let evidence = Evidence::empty(Channel::Customs);
        execution.put_evidence(&check.id, evidence.clone()).await.unwrap();

        execution.write_held().await.unwrap();
        assert_eq!(
            store.get_evidence(&check.id, Channel::Customs).await.unwrap(),
            Some(evidence)
        );
        let record = store.get_check(&check.id).await.unwrap().expect("stored");
        assert_eq!((record.status, record.report), (CheckStatus::Queued, None));
    }

    #[tokio::test]
    async fn other_checks_go_straight_to_the_store() {
        let (store, check) = stored("Acme").await;
        let other = crate::store::tests::check("Globex");
        store.insert_check(&other).await.unwrap();
        let execution = ExecutionStore::new(store.clone(), check, PriorRun::Never);
        let judged = verdict(Channel::Search, Verdict::Consistent, "found");
        store.put_verdict(&other.id, judged.clone()).await.unwrap();

        assert_eq!(execution.get_verdicts(&other.id).await.unwrap(), vec![judged.clone()]);
        let later = verdict(Channel::Twitter, Verdict::NotFound, "none");
        store.put_verdict(&other.id, later).await.unwrap();
        assert_eq!(execution.get_verdicts(&other.id).await.unwrap().len(), 2);
    }
}

//! `ExecutionStore`: the store as one local execution's steps see it. Every write goes through to the real store
//! at once; what this execution already holds — its check, the evidence and verdicts it wrote or read, its report —
//! is answered from memory instead of being read and parsed again, and the judge's profile of the subject is derived
//! once for the execution's seven judging steps.
//!
//! The state machine's steps pass only keys, so each of a check's 13 steps used to load the check, and each
//! comparison re-read the evidence its collector had just written: 43% of the local service's CPU was the store.
//! In AWS every step is its own Lambda invocation and must read; in process the execution can remember.
//!
//! Answering from memory is safe because, while an execution runs, its own steps are the only writers of its
//! check's evidence, verdicts and report (the queue leases a check to one worker at a time), and a check's request
//! never changes. Status is not kept: it is changed by the queue too, so it is always read through.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use async_trait::async_trait;
use shadowhunter_core::check::{Check, CheckId, CheckStatus};
use shadowhunter_core::ports::{CheckRecord, CheckStore, StoreError};
use shadowhunter_core::profile::SubjectProfile;
use shadowhunter_core::{Channel, ChannelVerdict, Evidence, Report};

pub struct ExecutionStore {
    store: Arc<dyn CheckStore>,
    check: Check,
    profile: OnceLock<Arc<SubjectProfile>>,
    evidence: Mutex<HashMap<Channel, Evidence>>,
    /// Every stored verdict of the check, once read; held while the first read runs, so a verdict written
    /// meanwhile is merged after it rather than lost.
    verdicts: tokio::sync::Mutex<Option<Vec<ChannelVerdict>>>,
    report: Mutex<Option<Report>>,
}

impl ExecutionStore {
    /// The view of `store` for one execution of `check`.
    pub fn new(store: Arc<dyn CheckStore>, check: Check) -> Self {
        Self {
            store,
            check,
            profile: OnceLock::new(),
            evidence: Mutex::default(),
            verdicts: tokio::sync::Mutex::default(),
            report: Mutex::default(),
        }
    }

    /// The report this execution stored, if it stored one.
    pub fn report(&self) -> Option<Report> {
        lock(&self.report).clone()
    }

    fn is_own(&self, id: &CheckId) -> bool {
        *id == self.check.id
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn merge(verdicts: &mut Vec<ChannelVerdict>, verdict: &ChannelVerdict) {
    verdicts.retain(|held| held.channel != verdict.channel);
    verdicts.push(verdict.clone());
    verdicts.sort_by_key(|held| held.channel);
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

    async fn put_evidence(&self, id: &CheckId, evidence: &Evidence) -> Result<(), StoreError> {
        self.store.put_evidence(id, evidence).await?;
        if self.is_own(id) {
            lock(&self.evidence).insert(evidence.channel, evidence.clone());
        }
        Ok(())
    }

    async fn get_evidence(&self, id: &CheckId, channel: Channel) -> Result<Option<Evidence>, StoreError> {
        if !self.is_own(id) {
            return self.store.get_evidence(id, channel).await;
        }
        // A channel's evidence is read once, by its comparison, after its collector wrote it: the held copy is
        // handed over, and a second read (a retried step) goes to the store.
        if let Some(held) = lock(&self.evidence).remove(&channel) {
            return Ok(Some(held));
        }
        self.store.get_evidence(id, channel).await
    }

    async fn put_verdict(&self, id: &CheckId, verdict: &ChannelVerdict) -> Result<(), StoreError> {
        self.store.put_verdict(id, verdict).await?;
        if self.is_own(id)
            && let Some(held) = self.verdicts.lock().await.as_mut()
        {
            merge(held, verdict);
        }
        Ok(())
    }

    async fn get_verdicts(&self, id: &CheckId) -> Result<Vec<ChannelVerdict>, StoreError> {
        if !self.is_own(id) {
            return self.store.get_verdicts(id).await;
        }
        let mut held = self.verdicts.lock().await;
        if let Some(verdicts) = held.as_ref() {
            return Ok(verdicts.clone());
        }
        let stored = self.store.get_verdicts(id).await?;
        *held = Some(stored.clone());
        Ok(stored)
    }

    async fn put_report(&self, id: &CheckId, report: &Report) -> Result<(), StoreError> {
        self.store.put_report(id, report).await?;
        if self.is_own(id) {
            *lock(&self.report) = Some(report.clone());
        }
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
    async fn what_the_execution_writes_reaches_the_store_and_is_read_back_as_written() {
        let (store, check) = stored("Acme").await;
        let execution = ExecutionStore::new(store.clone(), check.clone());
        let evidence = Evidence::empty(Channel::Website);
        let judged = verdict(Channel::Website, Verdict::Consistent, "site matches");

        execution.put_evidence(&check.id, &evidence).await.unwrap();
        execution.put_verdict(&check.id, &judged).await.unwrap();

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
        let execution = ExecutionStore::new(store.clone(), check.clone());

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
    async fn what_an_earlier_attempt_stored_is_read_from_the_store_then_kept_up_to_date() {
        let (store, check) = stored("Acme").await;
        let earlier = verdict(Channel::Search, Verdict::NotFound, "nothing found");
        store.put_verdict(&check.id, &earlier).await.unwrap();
        let execution = ExecutionStore::new(store.clone(), check.clone());

        assert_eq!(execution.get_verdicts(&check.id).await.unwrap(), vec![earlier.clone()]);
        let later = verdict(Channel::Linkedin, Verdict::Consistent, "profile matches");
        execution.put_verdict(&check.id, &later).await.unwrap();
        let redone = verdict(Channel::Search, Verdict::Consistent, "found on a second look");
        execution.put_verdict(&check.id, &redone).await.unwrap();

        let held = execution.get_verdicts(&check.id).await.unwrap();
        assert_eq!(held, store.get_verdicts(&check.id).await.unwrap());
        assert_eq!(held, vec![redone, later]);
    }

    #[tokio::test]
    async fn a_verdict_written_while_the_first_read_runs_is_not_lost() {
        let (store, check) = stored("Acme").await;
        let execution = Arc::new(ExecutionStore::new(store.clone(), check.clone()));
        let writers = Channel::ALL.map(|channel| {
            let execution = Arc::clone(&execution);
            let id = check.id.clone();
            tokio::spawn(async move {
                let first_read = execution.get_verdicts(&id).await.unwrap();
                execution
                    .put_verdict(&id, &verdict(channel, Verdict::NotFound, "none"))
                    .await
                    .unwrap();
                first_read
            })
        });
        for writer in writers {
            writer.await.unwrap();
        }
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
    async fn a_failed_write_is_not_remembered() {
        let (_, check) = stored("Acme").await;
        // A store without the check refuses writes for it.
        let empty: Arc<dyn CheckStore> = Arc::new(SqliteStore::in_memory().unwrap());
        let execution = ExecutionStore::new(empty, check.clone());
        let judged = verdict(Channel::Search, Verdict::Consistent, "found");

        assert!(execution.get_verdicts(&check.id).await.unwrap().is_empty());
        assert!(execution.put_verdict(&check.id, &judged).await.is_err());
        assert!(execution.get_verdicts(&check.id).await.unwrap().is_empty());
        let report = crate::store::tests::report(&check, &[judged]);
        assert!(execution.put_report(&check.id, &report).await.is_err());
        assert_eq!(execution.report(), None);
    }

    #[tokio::test]
    async fn other_checks_go_straight_to_the_store() {
        let (store, check) = stored("Acme").await;
        let other = crate::store::tests::check("Globex");
        store.insert_check(&other).await.unwrap();
        let execution = ExecutionStore::new(store.clone(), check);
        let judged = verdict(Channel::Search, Verdict::Consistent, "found");
        store.put_verdict(&other.id, &judged).await.unwrap();

        assert_eq!(execution.get_verdicts(&other.id).await.unwrap(), vec![judged.clone()]);
        let later = verdict(Channel::Twitter, Verdict::NotFound, "none");
        store.put_verdict(&other.id, &later).await.unwrap();
        assert_eq!(execution.get_verdicts(&other.id).await.unwrap().len(), 2);
    }
}

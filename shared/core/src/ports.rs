//! The narrow ports the pipeline steps ask for; adapters live in other crates.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::channel::Channel;
use crate::check::{Check, CheckId, CheckStatus};
use crate::evidence::{Evidence, Finding, Lookup, ProviderError};
use crate::profile::SubjectProfile;
use crate::report::Report;
use crate::verdict::ChannelVerdict;

/// One channel's data provider. `lookup` answers every operation of its channel.
#[async_trait]
pub trait Provider: Send + Sync {
    fn channel(&self) -> Channel;
    /// A short provider name for provenance, e.g. `brave`.
    fn name(&self) -> &'static str;
    async fn lookup(&self, lookup: &Lookup) -> Result<Vec<Finding>, ProviderError>;
}

/// The providers of a check, at most one per channel; a missing one makes its channel `unavailable` ("not configured").
#[derive(Clone, Default)]
pub struct Providers {
    by_channel: Vec<(Channel, Arc<dyn Provider>)>,
}

impl Providers {
    pub fn with(mut self, provider: Arc<dyn Provider>) -> Self {
        self.by_channel.retain(|(channel, _)| *channel != provider.channel());
        self.by_channel.push((provider.channel(), provider));
        self
    }

    pub fn get(&self, channel: Channel) -> Option<&Arc<dyn Provider>> {
        self.by_channel
            .iter()
            .find(|(candidate, _)| *candidate == channel)
            .map(|(_, provider)| provider)
    }
}

/// Today's date and the current instant; injected so that eval and tests can pin "now".
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stopped at one instant.
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A stored check with its state.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRecord {
    pub check: Check,
    pub status: CheckStatus,
    pub report: Option<Report>,
    pub error: Option<String>,
}

/// Failure of the store itself.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("check {0} does not exist")]
    UnknownCheck(CheckId),
    #[error("store failure: {0}")]
    Backend(String),
}

/// Where checks and their intermediate results live: SQLite locally, DynamoDB in AWS.
/// Writes are idempotent, since at-least-once executions may repeat a step.
#[async_trait]
pub trait CheckStore: Send + Sync {
    /// Saves a new check as queued; saving the same id again changes nothing.
    async fn insert_check(&self, check: &Check) -> Result<(), StoreError>;
    async fn get_check(&self, id: &CheckId) -> Result<Option<CheckRecord>, StoreError>;
    /// The check as it was accepted — id, request, receipt time — without its status or report. These never
    /// change once stored, so an adapter may answer from a copy it already holds.
    async fn get_submitted(&self, id: &CheckId) -> Result<Option<Check>, StoreError> {
        Ok(self.get_check(id).await?.map(|record| record.check))
    }
    /// [`Self::get_submitted`] with the judge's profile of the check's subject. An adapter that holds the check
    /// may hold its profile too, so that an execution's seven judging steps derive it once.
    async fn get_profiled(&self, id: &CheckId) -> Result<Option<(Check, Arc<SubjectProfile>)>, StoreError> {
        Ok(self.get_submitted(id).await?.map(|check| {
            let profile = Arc::new(SubjectProfile::new(&check.request.subject));
            (check, profile)
        }))
    }
    async fn set_status(&self, id: &CheckId, status: CheckStatus, error: Option<&str>) -> Result<(), StoreError>;
    /// Marks a queued check running, atomically; false when it was not queued (another delivery of the same
    /// check claimed it first, or it finished). Express executions are not deduplicated by name, so this is what
    /// keeps a redelivered submission from starting a second execution.
    async fn claim(&self, id: &CheckId) -> Result<bool, StoreError>;
    async fn put_evidence(&self, id: &CheckId, evidence: Evidence) -> Result<(), StoreError>;
    async fn get_evidence(&self, id: &CheckId, channel: Channel) -> Result<Option<Evidence>, StoreError>;
    async fn put_verdict(&self, id: &CheckId, verdict: ChannelVerdict) -> Result<(), StoreError>;
    async fn get_verdicts(&self, id: &CheckId) -> Result<Vec<ChannelVerdict>, StoreError>;
    /// Whether a verdict on `channel` is stored: what a collector asks so that a retry skips a finished comparison.
    async fn has_verdict(&self, id: &CheckId, channel: Channel) -> Result<bool, StoreError> {
        Ok(self
            .get_verdicts(id)
            .await?
            .iter()
            .any(|verdict| verdict.channel == channel))
    }
    /// Stores the report and marks the check done.
    async fn put_report(&self, id: &CheckId, report: Report) -> Result<(), StoreError>;
    /// Stores an execution's evidence and verdicts held back until its end, then its report if it has one (as
    /// [`Self::put_report`]). An adapter that can write them in one trip should; by default they go one by one.
    async fn put_results(
        &self,
        id: &CheckId,
        evidence: &[Evidence],
        verdicts: &[ChannelVerdict],
        report: Option<&Report>,
    ) -> Result<(), StoreError> {
        for channel_evidence in evidence {
            self.put_evidence(id, channel_evidence.clone()).await?;
        }
        for verdict in verdicts {
            self.put_verdict(id, verdict.clone()).await?;
        }
        match report {
            Some(report) => self.put_report(id, report.clone()).await,
            None => Ok(()),
        }
    }
}

/// Failure of a queue or workflow service.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// Worth retrying: throttling, a timeout, the service unavailable.
    #[error("dispatch failed, retryable: {0}")]
    Retryable(String),
    #[error("dispatch failed: {0}")]
    Fatal(String),
}

/// What a check's state machine execution starts from: the check and the channels it searches.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExecutionInput {
    pub check_id: CheckId,
    pub channels: Vec<Channel>,
}

impl ExecutionInput {
    pub fn for_check(check: &Check) -> Self {
        Self {
            check_id: check.id.clone(),
            channels: check.request.requested_channels(),
        }
    }
}

/// Starts a stored check's state machine execution (Step Functions in AWS, the in-process executor locally).
/// Starting the same check twice starts it once: the check id names the execution.
#[async_trait]
pub trait Workflow: Send + Sync {
    async fn start(&self, input: &ExecutionInput) -> Result<(), DispatchError>;
}

/// Hands accepted, stored checks to whatever starts them (SQS in AWS); at-least-once.
#[async_trait]
pub trait CheckQueue: Send + Sync {
    async fn enqueue(&self, checks: &[Check]) -> Result<(), DispatchError>;
}

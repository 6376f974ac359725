//! The state machine's tasks as domain functions (`statemachine/check.asl.json`): `collect_step` and
//! `compare_step` run once per channel, `summary_step` once per check. The Lambda functions and the local
//! executor both call these, so the flow tested here is the flow deployed.
//!
//! Steps pass only keys between them; evidence and verdicts go through the [`CheckStore`]. Every step is
//! idempotent, because Express executions are at-least-once: a collector whose channel was already judged
//! says so (the state machine then skips the comparison), stored evidence is reused rather than fetched
//! again, and a replayed summary rewrites the same report.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::channel::Channel;
use crate::check::{Check, CheckId, CheckStatus};
use crate::evidence::Evidence;
use crate::flags::Flag;
use crate::judge::judge_channel;
use crate::llm::{Llm, LlmUsage};
use crate::pipeline::{collect, investigate, review, summarize_profiled};
use crate::ports::{CheckStore, Clock, Providers, StoreError};
use crate::profile::SubjectProfile;
use crate::report::RiskLevel;
use crate::verdict::{ChannelVerdict, Verdict};

/// The payload of a collector or comparator invocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelTask {
    pub check_id: CheckId,
    pub channel: Channel,
}

/// What a collector answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collected {
    pub check_id: CheckId,
    pub channel: Channel,
    pub findings: usize,
    /// The channel's verdict is already stored (a replayed execution); the comparison can be skipped.
    pub already_judged: bool,
}

/// What a comparator answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compared {
    pub check_id: CheckId,
    pub channel: Channel,
    pub verdict: Verdict,
}

/// How one channel's branch of the Map ended, as its final Pass state shapes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelOutcome {
    pub channel: Channel,
    pub status: BranchStatus,
    /// The state machine's error name when the branch failed, e.g. `States.Timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchStatus {
    Judged,
    Unavailable,
}

/// The payload of the summary function: the Map's outcomes, or (from the `RecordFailure` state) the error that
/// stopped the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SummaryTask {
    Summarize {
        check_id: CheckId,
        channel_outcomes: Vec<ChannelOutcome>,
    },
    RecordFailure {
        check_id: CheckId,
        failure: StateFailure,
    },
}

/// An error as a state machine `Catch` hands it on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateFailure {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

/// What the summary function answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summarized {
    pub check_id: CheckId,
    pub status: CheckStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskLevel>,
    #[serde(default)]
    pub flags: Vec<Flag>,
}

/// Why a step failed. The names are the error types the state machine's `Retry` and `Catch` match on.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("check {0} does not exist")]
    CheckNotFound(CheckId),
    #[error("no evidence stored for {channel} of check {check_id}")]
    EvidenceMissing { check_id: CheckId, channel: Channel },
    #[error("the task input is not valid: {0}")]
    InvalidTaskInput(String),
    /// The store failed; a retry may succeed.
    #[error("the store failed: {0}")]
    StoreUnavailable(String),
}

impl StepError {
    /// Every name [`StepError::error_name`] can return.
    pub const NAMES: [&'static str; 4] = [
        "CheckNotFound",
        "EvidenceMissing",
        "InvalidTaskInput",
        "StoreUnavailable",
    ];

    /// The error type a Lambda reports and a state machine matches: only `StoreUnavailable` is retried.
    pub fn error_name(&self) -> &'static str {
        match self {
            StepError::CheckNotFound(_) => Self::NAMES[0],
            StepError::EvidenceMissing { .. } => Self::NAMES[1],
            StepError::InvalidTaskInput(_) => Self::NAMES[2],
            StepError::StoreUnavailable(_) => Self::NAMES[3],
        }
    }
}

impl From<StoreError> for StepError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::UnknownCheck(id) => StepError::CheckNotFound(id),
            StoreError::Backend(detail) => StepError::StoreUnavailable(detail),
        }
    }
}

async fn load_check(store: &dyn CheckStore, id: &CheckId) -> Result<Check, StepError> {
    store
        .get_submitted(id)
        .await?
        .ok_or_else(|| StepError::CheckNotFound(id.clone()))
}

async fn load_profiled(store: &dyn CheckStore, id: &CheckId) -> Result<(Check, Arc<SubjectProfile>), StepError> {
    store
        .get_profiled(id)
        .await?
        .ok_or_else(|| StepError::CheckNotFound(id.clone()))
}

/// Gathers a channel's evidence and stores it; stored evidence from an earlier attempt is kept.
#[tracing::instrument(skip_all, fields(check_id = %task.check_id, channel = %task.channel))]
pub async fn collect_step(
    task: &ChannelTask,
    store: &dyn CheckStore,
    providers: &(dyn Fn(&Check) -> Providers + Sync),
) -> Result<Collected, StepError> {
    let check = load_check(store, &task.check_id).await?;
    let already_judged = store.has_verdict(&check.id, task.channel).await?;
    let findings = match store.get_evidence(&check.id, task.channel).await? {
        Some(evidence) => evidence.findings.len(),
        None => {
            let evidence = collect(&check, task.channel, &providers(&check)).await;
            let findings = evidence.findings.len();
            store.put_evidence(&check.id, evidence).await?;
            findings
        }
    };
    Ok(Collected {
        check_id: check.id,
        channel: task.channel,
        findings,
        already_judged,
    })
}

/// Judges a channel's stored evidence and stores the verdict.
#[tracing::instrument(skip_all, fields(check_id = %task.check_id, channel = %task.channel))]
pub async fn compare_step(
    task: &ChannelTask,
    store: &dyn CheckStore,
    clock: &dyn Clock,
) -> Result<Compared, StepError> {
    let (check, profile) = load_profiled(store, &task.check_id).await?;
    let evidence = store
        .get_evidence(&check.id, task.channel)
        .await?
        .ok_or_else(|| StepError::EvidenceMissing {
            check_id: check.id.clone(),
            channel: task.channel,
        })?;
    let verdict = judge_channel(&profile, &evidence, clock.today());
    let outcome = verdict.verdict;
    store.put_verdict(&check.id, verdict).await?;
    Ok(Compared {
        check_id: check.id,
        channel: task.channel,
        verdict: outcome,
    })
}

/// The ports the steps use: the store, the clock, the LLM (if any) and where a check's providers come from.
pub struct StepPorts<'a> {
    pub store: &'a dyn CheckStore,
    pub clock: &'a dyn Clock,
    pub llm: Option<&'a dyn Llm>,
    pub providers: &'a (dyn Fn(&Check) -> Providers + Sync),
}

/// Which task a function runs: the collector or comparator of one channel, or the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Collector(Channel),
    Comparator(Channel),
    Summary,
}

impl TaskKind {
    /// The function names the local executor substitutes into the definition: `collector:<channel>`,
    /// `comparator:<channel>`, `summary`.
    pub fn from_local_name(name: &str) -> Option<Self> {
        let channel = |raw: &str| Channel::ALL.into_iter().find(|channel| channel.as_str() == raw);
        match name.split_once(':') {
            Some(("collector", raw)) => channel(raw).map(TaskKind::Collector),
            Some(("comparator", raw)) => channel(raw).map(TaskKind::Comparator),
            None if name == "summary" => Some(TaskKind::Summary),
            _ => None,
        }
    }
}

/// Runs one task from its JSON payload to its JSON answer: what a task function does between decoding its
/// event and answering. A collector or comparator refuses a task for a channel other than its own.
pub async fn run_task(
    kind: TaskKind,
    payload: serde_json::Value,
    ports: &StepPorts<'_>,
) -> Result<serde_json::Value, StepError> {
    match kind {
        TaskKind::Collector(channel) => {
            let task = channel_task(payload, channel)?;
            encode(&collect_step(&task, ports.store, ports.providers).await?)
        }
        TaskKind::Comparator(channel) => {
            let task = channel_task(payload, channel)?;
            encode(&compare_step(&task, ports.store, ports.clock).await?)
        }
        TaskKind::Summary => {
            let task: SummaryTask = decode(payload)?;
            encode(&summary_step(&task, ports).await?)
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(payload: serde_json::Value) -> Result<T, StepError> {
    serde_json::from_value(payload).map_err(|error| StepError::InvalidTaskInput(error.to_string()))
}

fn encode(value: &impl Serialize) -> Result<serde_json::Value, StepError> {
    serde_json::to_value(value).map_err(|error| StepError::InvalidTaskInput(error.to_string()))
}

fn channel_task(payload: serde_json::Value, serves: Channel) -> Result<ChannelTask, StepError> {
    let task: ChannelTask = decode(payload)?;
    if task.channel != serves {
        return Err(StepError::InvalidTaskInput(format!(
            "this function serves {serves}, not {}",
            task.channel
        )));
    }
    Ok(task)
}

/// Writes the report from every channel's verdict (a failed branch becomes `unavailable`) and marks the check
/// done; or, for a failure the state machine caught, marks the check failed.
#[tracing::instrument(skip_all, fields(check_id = tracing::field::Empty))]
pub async fn summary_step(task: &SummaryTask, deps: &StepPorts<'_>) -> Result<Summarized, StepError> {
    let store = deps.store;
    match task {
        SummaryTask::RecordFailure { check_id, failure } => {
            tracing::Span::current().record("check_id", check_id.as_str());
            let detail = format!("{}: {}", failure.error, failure.cause);
            store.set_status(check_id, CheckStatus::Failed, Some(&detail)).await?;
            Ok(Summarized {
                check_id: check_id.clone(),
                status: CheckStatus::Failed,
                risk: None,
                flags: Vec::new(),
            })
        }
        SummaryTask::Summarize {
            check_id,
            channel_outcomes,
        } => {
            tracing::Span::current().record("check_id", check_id.as_str());
            let (check, profile) = load_profiled(store, check_id).await?;
            let (risk, flags) = summarize_check(&check, &profile, channel_outcomes, deps).await?;
            Ok(Summarized {
                check_id: check.id,
                status: CheckStatus::Done,
                risk: Some(risk),
                flags,
            })
        }
    }
}

/// Summarizes and stores the report; answers its risk level and flags, what the state machine carries on.
async fn summarize_check(
    check: &Check,
    profile: &SubjectProfile,
    outcomes: &[ChannelOutcome],
    deps: &StepPorts<'_>,
) -> Result<(RiskLevel, Vec<Flag>), StepError> {
    let store = deps.store;
    let mut stored = store.get_verdicts(&check.id).await?;
    let mut verdicts = Vec::new();
    for channel in check.request.requested_channels() {
        if let Some(position) = stored.iter().position(|verdict| verdict.channel == channel) {
            verdicts.push(stored.swap_remove(position));
            continue;
        }
        let outcome = outcomes.iter().find(|outcome| outcome.channel == channel);
        let verdict = branch_failed(channel, outcome);
        store.put_verdict(&check.id, verdict.clone()).await?;
        verdicts.push(verdict);
    }
    let mut usage = LlmUsage::default();
    if let Some(llm) = deps.llm.filter(|_| crate::llm::agent::needs_agent(&verdicts)) {
        let mut evidence = Vec::with_capacity(verdicts.len());
        for verdict in &verdicts {
            evidence.push(
                store
                    .get_evidence(&check.id, verdict.channel)
                    .await?
                    .unwrap_or_else(|| Evidence::empty(verdict.channel)),
            );
        }
        let providers = (deps.providers)(check);
        investigate(
            check,
            &providers,
            store,
            deps.clock,
            llm,
            &mut evidence,
            &mut verdicts,
            &mut usage,
        )
        .await?;
    }
    let mut report = summarize_profiled(check, profile, verdicts, deps.clock);
    review(check, &mut report, deps.llm, &mut usage).await;
    report.llm = usage;
    let summary = (report.risk, report.flags.clone());
    store.put_report(&check.id, report).await?;
    Ok(summary)
}

/// The verdict of a channel whose collector or comparator failed for good (or whose branch never reported).
fn branch_failed(channel: Channel, outcome: Option<&ChannelOutcome>) -> ChannelVerdict {
    let why = match outcome {
        Some(ChannelOutcome {
            error: Some(error),
            cause,
            ..
        }) => match cause.as_deref().filter(|cause| !cause.is_empty()) {
            Some(cause) => format!("{error}: {cause}"),
            None => error.clone(),
        },
        _ => "its step did not finish".to_string(),
    };
    ChannelVerdict::without_evidence(
        channel,
        Verdict::Unavailable,
        format!("{channel} could not be searched: {why}"),
    )
}

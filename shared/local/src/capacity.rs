//! `shadowhunter capacity --qps N`: the AWS capacity model — each Lambda's concurrency by Little's law, the quotas
//! that load touches, and the cost per million checks with Step Functions Express and Standard.
//!
//! Inputs: the sandbox's realistic latency profile (`shadowhunter_sandbox::latency`: log-normal per provider, p99 =
//! 3 × median, so the mean is `median · e^(σ²/2)` ≈ 1.118 × median), the sequential provider calls each channel's
//! collector makes (measured by `shadowhunter bench e2e`), and the CPU cost of a check measured on this machine
//! (`--cpu-ms-per-check`). The states a check enters are counted by running `statemachine/check.asl.json` itself
//! ([`WorkflowPath`]); the DynamoDB units follow the store as written ([`Assumptions::dynamodb_writes`],
//! [`Assumptions::dynamodb_reads`]). Quotas and prices are those of `/work/shared/FACTS.md` (us-east-1, arm64),
//! from the AWS documentation pages named there; the one price that is not there (CloudWatch Logs) says so.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use serde_json::{Value, json};
use shadowhunter_workflow::{
    Definition, ExecutionOutcome, Executor, ExecutorOptions, StateType, TaskFailure, TaskInvoker,
};

/// The standard normal's 99th percentile and the profile's σ = ln 3 / z₀.₉₉.
const SIGMA: f64 = 0.472_26;

/// Mean / median of the profile's log-normal delays.
pub fn lognormal_mean_factor() -> f64 {
    (SIGMA * SIGMA / 2.0).exp()
}

/// Server CPU per check (API, workers, judge, SQLite, provider clients) measured by `bench e2e` at 100–500/s on the
/// 2-core machine of `docs/PERFORMANCE.md` (13.1–13.3 ms).
pub const MEASURED_CPU_MS_PER_CHECK: f64 = 13.2;

/// A vCPU's worth of Lambda memory: below it a function gets that fraction of a core.
const MB_PER_VCPU: f64 = 1_769.0;

/// Prices (us-east-1, FACTS.md).
pub mod price {
    pub const LAMBDA_PER_REQUEST: f64 = 0.20 / 1e6;
    pub const LAMBDA_ARM_PER_GB_S: f64 = 0.000_013_333_4;
    pub const SFN_STANDARD_PER_TRANSITION: f64 = 0.025 / 1e3;
    pub const SFN_EXPRESS_PER_REQUEST: f64 = 1.00 / 1e6;
    pub const SFN_EXPRESS_PER_GB_S: f64 = 0.000_016_67;
    pub const SQS_PER_REQUEST: f64 = 0.40 / 1e6;
    pub const HTTP_API_PER_REQUEST: f64 = 1.00 / 1e6;
    pub const DYNAMODB_PER_WRITE_UNIT: f64 = 0.625 / 1e6;
    pub const DYNAMODB_PER_READ_UNIT: f64 = 0.125 / 1e6;
    /// **Not in FACTS.md**: CloudWatch Logs ingestion (standard class, and vended logs' first tier), per GB, from
    /// aws.amazon.com/cloudwatch/pricing — verify before building on it.
    pub const CLOUDWATCH_LOGS_PER_GB_INGESTED: f64 = 0.50;
}

/// Quotas (FACTS.md).
pub mod quota {
    pub const LAMBDA_ACCOUNT_CONCURRENCY: f64 = 1_000.0;
    /// Each function adds this many environments every 10 s.
    pub const LAMBDA_SCALING_PER_10S: f64 = 1_000.0;
    pub const SQS_ESM_START_BATCHES: f64 = 5.0;
    pub const SQS_ESM_ADD_PER_MINUTE: f64 = 300.0;
    pub const SQS_ESM_MAX_CONCURRENCY: f64 = 1_000.0;
    pub const SFN_EXPRESS_START_PER_S: f64 = 6_000.0;
    pub const SFN_STANDARD_START_REFILL_PER_S: f64 = 300.0;
    pub const SFN_STANDARD_START_BUCKET: f64 = 1_300.0;
    pub const SFN_STANDARD_TRANSITIONS_REFILL_PER_S: f64 = 5_000.0;
    pub const DYNAMODB_PARTITION_WCU: f64 = 1_000.0;
    pub const DYNAMODB_PARTITION_RCU: f64 = 3_000.0;
    pub const DYNAMODB_ON_DEMAND_TABLE: f64 = 40_000.0;
    pub const API_GATEWAY_RPS: f64 = 10_000.0;
}

/// One channel's collector as measured: its mean and p99 wall time per check.
#[derive(Debug, Clone, Copy)]
pub struct ChannelProfile {
    pub channel: &'static str,
    pub mean_ms: f64,
    pub p99_ms: f64,
}

/// Each channel's collect time (`Evidence.elapsed_ms`) on the realistic profile, uncontended (`bench e2e --rates 100
/// --duration 20`, worlds without faults; docs/PERFORMANCE.md). A channel makes several provider calls, some in
/// sequence, so its time is above its provider's median (search 300, customs 600, LinkedIn 800, Facebook 400, X 300,
/// web page 150, RDAP 200 ms; mean = median × 1.118).
pub const CHANNELS: [ChannelProfile; 6] = [
    ChannelProfile {
        channel: "search",
        mean_ms: 508.0,
        p99_ms: 1_109.0,
    },
    ChannelProfile {
        channel: "customs",
        mean_ms: 695.0,
        p99_ms: 1_819.0,
    },
    ChannelProfile {
        channel: "linkedin",
        mean_ms: 991.0,
        p99_ms: 2_435.0,
    },
    ChannelProfile {
        channel: "facebook",
        mean_ms: 476.0,
        p99_ms: 1_232.0,
    },
    ChannelProfile {
        channel: "twitter",
        mean_ms: 344.0,
        p99_ms: 905.0,
    },
    ChannelProfile {
        channel: "website",
        mean_ms: 424.0,
        p99_ms: 958.0,
    },
];

/// What one execution of `statemachine/check.asl.json` goes through when every task answers at once and well: the
/// states entered, in history order, each with its type.
///
/// Step Functions Standard bills a state transition "each time a step of your workflow is executed", retries
/// included (aws.amazon.com/step-functions/pricing; FACTS.md has the $0.025 per 1,000), so the transitions of a
/// check are the states it enters: the executor's history. For the definition as it stands that is 26 over six
/// channels — the Map state `CheckChannels` (1), per channel `Collect` → `AlreadyJudged` → `Compare` →
/// `ChannelJudged` (4 × 6 = 24), `Summarize` (1) — on the normal path; a retry adds one, a channel already judged
/// skips `Compare` (3 for it), a channel whose collector fails goes `Collect` → `ChannelUnavailable` (2), a failed
/// summary adds `RecordFailure` and `CheckFailed`. The model counts the normal path, by running the definition, so
/// it follows any change to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowPath {
    /// Each state entered, with its type, in history order.
    pub states: Vec<(String, StateType)>,
    /// Map iterations run (one per channel).
    pub map_iterations: usize,
}

/// CloudWatch Logs events an Express execution at level `ALL` writes per state entered (the history event types
/// of docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html).
fn log_events_of(state_type: StateType) -> usize {
    match state_type {
        // TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited.
        StateType::Task => 5,
        // MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited.
        StateType::Map => 4,
        // …StateEntered, …StateExited.
        StateType::Pass | StateType::Choice | StateType::Succeed => 2,
        // FailStateEntered; ExecutionFailed is the execution's own.
        StateType::Fail => 1,
    }
}

/// MapIterationStarted, MapIterationSucceeded.
const LOG_EVENTS_PER_MAP_ITERATION: usize = 2;
/// ExecutionStarted, ExecutionSucceeded.
const LOG_EVENTS_PER_EXECUTION: usize = 2;

impl WorkflowPath {
    /// The normal path of the deployed definition over the six [`CHANNELS`], computed once per process.
    pub fn of_check_machine() -> WorkflowPath {
        static PATH: LazyLock<WorkflowPath> = LazyLock::new(|| WorkflowPath::of(crate::workflow::definition()));
        PATH.clone()
    }

    /// Runs `definition` once for a check of the six [`CHANNELS`], every task answered at once by [`EveryTaskDone`].
    ///
    /// The executor bounds the execution with `tokio::time::timeout` when the definition has a `TimeoutSeconds`
    /// (the deployed one does), and that needs a Tokio runtime with a timer even though no timer ever fires here.
    /// `run` is called from inside `main`'s runtime, where another runtime cannot block, so the execution runs on
    /// a thread of its own with a small current-thread runtime.
    pub fn of(definition: Arc<Definition>) -> WorkflowPath {
        let states: Vec<(String, StateType)> = definition
            .states()
            .iter()
            .map(|state| (state.name.to_string(), state.state_type))
            .collect();
        let executor = Executor::new(definition, Arc::new(EveryTaskDone), ExecutorOptions::default());
        let channels: Vec<&str> = CHANNELS.iter().map(|channel| channel.channel).collect();
        let input = json!({"check_id": MODEL_CHECK_ID, "channels": channels});
        let outcome = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_time()
                        .build()
                        .expect("a current-thread runtime builds")
                        .block_on(executor.run(MODEL_CHECK_ID, input))
                })
                .join()
                .expect("the model's execution does not panic")
        });
        if let ExecutionOutcome::Failed { error, cause, .. } = &outcome {
            panic!("statemachine/check.asl.json fails when every task succeeds: {error}: {cause}");
        }
        let type_of = |name: &str| {
            states
                .iter()
                .find(|(state, _)| state == name)
                .map(|(_, state_type)| *state_type)
                .unwrap_or_else(|| panic!("the history names state {name}, which the definition does not have"))
        };
        let history = outcome.history();
        WorkflowPath {
            states: history
                .iter()
                .map(|entered| (entered.state.clone(), type_of(&entered.state)))
                .collect(),
            map_iterations: history
                .iter()
                .filter(|entered| !entered.map_item_indices.is_empty())
                .map(|entered| entered.map_item_indices.clone())
                .collect::<BTreeSet<_>>()
                .len(),
        }
    }

    /// States entered: what Standard bills as state transitions.
    pub fn transitions(&self) -> usize {
        self.states.len()
    }

    /// Events the execution writes to CloudWatch Logs at level `ALL`.
    pub fn log_events(&self) -> usize {
        LOG_EVENTS_PER_EXECUTION
            + self.map_iterations * LOG_EVENTS_PER_MAP_ITERATION
            + self
                .states
                .iter()
                .map(|(_, state_type)| log_events_of(*state_type))
                .sum::<usize>()
    }

    /// Each state with how often it was entered, in order of first entry: `CheckChannels 1, Collect 6, …`.
    pub fn counts(&self) -> Vec<(&str, StateType, usize)> {
        let mut counts: Vec<(&str, StateType, usize)> = Vec::new();
        for (name, state_type) in &self.states {
            match counts.iter_mut().find(|(seen, _, _)| seen == name) {
                Some((_, _, count)) => *count += 1,
                None => counts.push((name, *state_type, 1)),
            }
        }
        counts
    }
}

/// The check id of the model's execution.
const MODEL_CHECK_ID: &str = "chk_00000000000000000000000000000000";

/// Answers every task as a collector, comparator and summary that succeeded would, in one object: nothing was
/// judged before, the channel is consistent, the check is done.
struct EveryTaskDone;

#[async_trait]
impl TaskInvoker for EveryTaskDone {
    async fn invoke(&self, _function_name: &str, _payload: Value) -> Result<Value, TaskFailure> {
        Ok(json!({
            "check_id": MODEL_CHECK_ID,
            "already_judged": false,
            "verdict": "consistent",
            "risk": "low",
            "flags": [],
            "status": "done",
        }))
    }
}

/// One term of a check's DynamoDB units.
#[derive(Debug, Clone, PartialEq)]
pub struct Units {
    pub what: String,
    pub units: f64,
    /// Under the check's own partition key (`CHECK#<id>`); cached provider answers are spread by their hash.
    pub check_partition: bool,
}

fn units(what: String, units: f64, check_partition: bool) -> Units {
    Units {
        what,
        units,
        check_partition,
    }
}

/// Write units of a standard write of an item of `kb`: one per KB, rounded up.
fn write_units(kb: f64) -> f64 {
    kb.ceil().max(1.0)
}

/// Read units of a strongly consistent read of `kb`: one per 4 KB, rounded up; a read that finds nothing still
/// costs one.
fn strong_read_units(kb: f64) -> f64 {
    (kb / 4.0).ceil().max(1.0)
}

/// Per-check assumptions of the model; each one is printed with the figures.
#[derive(Debug, Clone)]
pub struct Assumptions {
    pub cpu_ms_per_check: f64,
    /// Of the CPU per check: the collectors' share (HTTP, JSON, extraction), comparators', and the rest (api,
    /// ingest, summary).
    pub cpu_share_collect: f64,
    pub cpu_share_compare: f64,
    /// Fixed wall time of an API call (DynamoDB PutItem + SQS SendMessage), ms.
    pub api_io_ms: f64,
    /// API Gateway requests per check: the POST and one GET of the finished report.
    pub api_requests_per_check: f64,
    /// A comparator's or the summary's DynamoDB reads and writes, ms.
    pub step_io_ms: f64,
    /// StartExecution latency inside the ingest function (10 per SQS batch, in parallel), ms.
    pub ingest_batch_ms: f64,
    pub sqs_batch: f64,
    /// The states a check enters, from the definition ([`WorkflowPath`]).
    pub path: WorkflowPath,
    /// State transitions per check on Standard: `path.transitions()`.
    pub transitions_per_check: f64,
    /// Express execution memory (64 MB steps) and duration (the check's end-to-end time), for its GB-s.
    pub express_memory_mb: f64,
    pub express_duration_s: f64,
    /// Sizes as stored (JSON, gzip-compressed bodies), KB: the check item, one channel's evidence, one verdict, the
    /// report, one cached provider answer.
    pub check_item_kb: f64,
    pub evidence_kb: f64,
    pub verdict_kb: f64,
    pub report_kb: f64,
    pub cached_answer_kb: f64,
    /// Provider calls per check, each a response-cache lookup and, on a miss (all of them, here), a cache write.
    pub provider_calls_per_check: f64,
    /// Write and read units per check: the sums of [`Assumptions::dynamodb_writes`] and
    /// [`Assumptions::dynamodb_reads`].
    pub dynamodb_wru_per_check: f64,
    pub dynamodb_rru_per_check: f64,
    /// CloudWatch Logs: the state machine's events at level `ALL` with execution data (`path.log_events()`) and
    /// their mean size; the functions' JSON lines (application level INFO, platform lines at WARN): one Embedded
    /// Metric Format line per invocation (`functions/src/metrics.rs`, ~0.35 KB) and the INFO lines of a check that
    /// goes well (api "check accepted", ingest "execution started"); one API access-log line per request.
    pub sfn_log_events_per_check: f64,
    pub sfn_log_event_kb: f64,
    pub emf_lines_per_invocation: f64,
    pub info_lines_per_check: f64,
    pub function_log_line_kb: f64,
    pub api_access_log_kb: f64,
    pub collector_memory_mb: f64,
    pub compute_memory_mb: f64,
}

impl Assumptions {
    pub fn new(cpu_ms_per_check: f64) -> Self {
        let path = WorkflowPath::of_check_machine();
        let mut assumptions = Self {
            cpu_ms_per_check,
            cpu_share_collect: 0.5,
            cpu_share_compare: 0.35,
            api_io_ms: 15.0,
            api_requests_per_check: 2.0,
            step_io_ms: 10.0,
            ingest_batch_ms: 40.0,
            sqs_batch: 10.0,
            transitions_per_check: path.transitions() as f64,
            sfn_log_events_per_check: path.log_events() as f64,
            path,
            express_memory_mb: 64.0,
            // The measured end-to-end p50 uncontended (1.05 s) rounded up for the slowest channel's tail.
            express_duration_s: 1.5,
            check_item_kb: 1.0,
            evidence_kb: 3.0,
            verdict_kb: 1.0,
            report_kb: 2.0,
            // infra/CAPACITY.md's 1–3 KB per compressed provider answer, at its middle.
            cached_answer_kb: 2.0,
            provider_calls_per_check: 10.0,
            dynamodb_wru_per_check: 0.0,
            dynamodb_rru_per_check: 0.0,
            sfn_log_event_kb: 0.7,
            emf_lines_per_invocation: 1.0,
            info_lines_per_check: 2.0,
            function_log_line_kb: 0.35,
            api_access_log_kb: 0.35,
            collector_memory_mb: 128.0,
            compute_memory_mb: 256.0,
        };
        assumptions.dynamodb_wru_per_check = assumptions.dynamodb_writes().iter().map(|term| term.units).sum();
        assumptions.dynamodb_rru_per_check = assumptions.dynamodb_reads().iter().map(|term| term.units).sum();
        assumptions
    }

    /// The write units one check costs, as `shared/aws/src/store.rs` and `response_cache.rs` write:
    ///
    /// - api: `insert_check`, a conditional `PutItem` of the check item: 1 per KB.
    /// - ingest: `set_status(running)` (or `claim`), a conditional `UpdateItem` of the check item: 1 per KB.
    /// - each collector: `put_evidence`, a `TransactWriteItems` of a `ConditionCheck` on the check item and the
    ///   evidence `Put`. A transaction prepares and commits each item, 2 units per KB
    ///   (docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html, not in FACTS.md), the
    ///   condition check counted as an item: 2 × (3 + 1) = 8, six times.
    /// - each comparator: `put_verdict`, the same transaction with the verdict: 2 × (1 + 1) = 4, six times.
    /// - summary: `put_report`, a transaction of the report `Put` and the check's `Update`: 2 × (2 + 1) = 6.
    /// - collectors: every provider call that misses the response cache `PutItem`s the compressed answer under
    ///   `RESPONSE#<hash>`: ~10 × 2 KB, all misses.
    ///
    /// 1 + 1 + 48 + 24 + 6 + 20 = 100. TTL deletions are free.
    pub fn dynamodb_writes(&self) -> Vec<Units> {
        let channels = CHANNELS.len() as f64;
        let check = write_units(self.check_item_kb);
        let transaction = |kb: &[f64]| kb.iter().map(|kb| 2.0 * write_units(*kb)).sum::<f64>();
        vec![
            units("check: conditional PutItem (api)".into(), check, true),
            units("status running: UpdateItem (ingest)".into(), check, true),
            units(
                format!(
                    "evidence: {channels:.0} × transaction (Put {:.0} KB + ConditionCheck {:.0} KB) × 2",
                    self.evidence_kb, self.check_item_kb
                ),
                channels * transaction(&[self.evidence_kb, self.check_item_kb]),
                true,
            ),
            units(
                format!(
                    "verdicts: {channels:.0} × transaction (Put {:.0} KB + ConditionCheck {:.0} KB) × 2",
                    self.verdict_kb, self.check_item_kb
                ),
                channels * transaction(&[self.verdict_kb, self.check_item_kb]),
                true,
            ),
            units(
                format!(
                    "report: transaction (Put {:.0} KB + check Update {:.0} KB) × 2",
                    self.report_kb, self.check_item_kb
                ),
                transaction(&[self.report_kb, self.check_item_kb]),
                true,
            ),
            units(
                format!(
                    "response cache: {:.0} PutItem × {:.0} KB (misses)",
                    self.provider_calls_per_check, self.cached_answer_kb
                ),
                self.provider_calls_per_check * write_units(self.cached_answer_kb),
                false,
            ),
        ]
    }

    /// The read units one check costs. The store reads strongly consistent (1 unit per 4 KB, and 1 for a read
    /// that finds nothing); the response cache eventually consistent (half that):
    ///
    /// - api: one `GET /checks/{id}` of the finished check: `get_check`, the check item and the report item: 2.
    /// - ingest: `get_check` before it starts the execution: 1.
    /// - each collector: `get_check` 1, `get_verdicts` (a `Query`; the six collectors start together, so it finds
    ///   none yet) 1, `get_evidence` (none yet) 1: 3, six times.
    /// - each comparator: `get_check` 1, `get_evidence` (3 KB) 1: 2, six times.
    /// - summary: `get_check` 1, `get_verdicts` (six of 1 KB) 2: 3.
    /// - collectors: ~10 response-cache lookups, 0.5 each: 5.
    ///
    /// 2 + 1 + 18 + 12 + 3 + 5 = 41.
    pub fn dynamodb_reads(&self) -> Vec<Units> {
        let channels = CHANNELS.len() as f64;
        let check = strong_read_units(self.check_item_kb);
        vec![
            units(
                "GET of the report: check + report items (api)".into(),
                check + strong_read_units(self.report_kb),
                true,
            ),
            units("get_check (ingest)".into(), check, true),
            units(
                format!("collectors: {channels:.0} × (check + verdicts Query + evidence lookup)"),
                channels * (check + strong_read_units(0.0) + strong_read_units(0.0)),
                true,
            ),
            units(
                format!(
                    "comparators: {channels:.0} × (check + evidence {:.0} KB)",
                    self.evidence_kb
                ),
                channels * (check + strong_read_units(self.evidence_kb)),
                true,
            ),
            units(
                format!(
                    "summary: check + verdicts Query ({channels:.0} × {:.0} KB)",
                    self.verdict_kb
                ),
                check + strong_read_units(channels * self.verdict_kb),
                true,
            ),
            units(
                format!(
                    "response cache: {:.0} GetItem, eventually consistent",
                    self.provider_calls_per_check
                ),
                self.provider_calls_per_check * strong_read_units(self.cached_answer_kb) / 2.0,
                false,
            ),
        ]
    }
}

/// One Lambda function of the deployment.
#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub memory_mb: f64,
    pub invocations_per_check: f64,
    /// Mean wall time of one invocation, seconds.
    pub mean_s: f64,
}

impl Function {
    /// Concurrent executions at `qps` checks/s: Little's law, L = λ·W.
    pub fn concurrency(&self, qps: f64) -> f64 {
        little(qps * self.invocations_per_check, self.mean_s)
    }

    /// GB-seconds per check.
    pub fn gb_s_per_check(&self) -> f64 {
        self.invocations_per_check * self.mean_s * self.memory_mb / 1024.0
    }
}

/// Little's law: items in the system = arrival rate × time each spends in it.
pub fn little(arrivals_per_s: f64, mean_s: f64) -> f64 {
    arrivals_per_s * mean_s
}

/// CPU work of `cpu_ms` on a function of `memory_mb`, as wall seconds (a share of a vCPU below 1,769 MB).
fn cpu_wall_s(cpu_ms: f64, memory_mb: f64) -> f64 {
    cpu_ms / 1e3 * (MB_PER_VCPU / memory_mb).max(1.0)
}

/// The deployment's functions under `assumptions`.
pub fn functions(a: &Assumptions) -> Vec<Function> {
    let other_cpu = a.cpu_ms_per_check * (1.0 - a.cpu_share_collect - a.cpu_share_compare);
    let mut functions = vec![
        Function {
            name: "api".into(),
            memory_mb: a.compute_memory_mb,
            invocations_per_check: a.api_requests_per_check,
            mean_s: a.api_io_ms / 1e3 + cpu_wall_s(other_cpu / 3.0, a.compute_memory_mb),
        },
        Function {
            name: "ingest".into(),
            memory_mb: a.compute_memory_mb,
            invocations_per_check: 1.0 / a.sqs_batch,
            mean_s: a.ingest_batch_ms / 1e3 + cpu_wall_s(other_cpu / 3.0 * a.sqs_batch, a.compute_memory_mb),
        },
    ];
    for channel in CHANNELS {
        functions.push(Function {
            name: format!("collector:{}", channel.channel),
            memory_mb: a.collector_memory_mb,
            invocations_per_check: 1.0,
            mean_s: channel.mean_ms / 1e3
                + cpu_wall_s(a.cpu_ms_per_check * a.cpu_share_collect / 6.0, a.collector_memory_mb),
        });
    }
    for channel in CHANNELS {
        functions.push(Function {
            name: format!("comparator:{}", channel.channel),
            memory_mb: a.compute_memory_mb,
            invocations_per_check: 1.0,
            mean_s: a.step_io_ms / 1e3
                + cpu_wall_s(a.cpu_ms_per_check * a.cpu_share_compare / 6.0, a.compute_memory_mb),
        });
    }
    functions.push(Function {
        name: "summary".into(),
        memory_mb: a.compute_memory_mb,
        invocations_per_check: 1.0,
        mean_s: a.step_io_ms / 1e3 + cpu_wall_s(other_cpu / 3.0, a.compute_memory_mb),
    });
    functions
}

/// Dollars per million checks, by service.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    pub lines: Vec<(&'static str, f64)>,
}

impl Cost {
    pub fn total(&self) -> f64 {
        self.lines.iter().map(|(_, dollars)| dollars).sum()
    }
}

/// Which Step Functions workflow type runs the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workflow {
    Express,
    Standard,
}

/// Cost per million checks of `functions` under `a`, with `workflow`.
pub fn cost_per_million(functions: &[Function], a: &Assumptions, workflow: Workflow) -> Cost {
    let million = 1e6;
    let requests: f64 = functions.iter().map(|f| f.invocations_per_check).sum();
    let gb_s: f64 = functions.iter().map(Function::gb_s_per_check).sum();
    let step_functions = match workflow {
        Workflow::Standard => a.transitions_per_check * price::SFN_STANDARD_PER_TRANSITION,
        Workflow::Express => {
            // Billed in 100 ms steps of duration and 64 MB steps of memory.
            let duration = (a.express_duration_s * 10.0).ceil() / 10.0;
            let memory_gb = (a.express_memory_mb / 64.0).ceil() * 64.0 / 1024.0;
            price::SFN_EXPRESS_PER_REQUEST + duration * memory_gb * price::SFN_EXPRESS_PER_GB_S
        }
    };
    // Send 1 per check; receive and delete once per batch.
    let sqs_requests = 1.0 + 2.0 / a.sqs_batch;
    // Logs: Express keeps its history only in CloudWatch Logs, hence level ALL; Standard keeps its own (90 days) and
    // would log nothing, so the state machine's line is Express's alone.
    let sfn_log_kb = match workflow {
        Workflow::Express => a.sfn_log_events_per_check * a.sfn_log_event_kb,
        Workflow::Standard => 0.0,
    };
    let function_log_kb = (requests * a.emf_lines_per_invocation + a.info_lines_per_check) * a.function_log_line_kb;
    let api_log_kb = a.api_requests_per_check * a.api_access_log_kb;
    let logs = |kb: f64| kb / KB_PER_GB * price::CLOUDWATCH_LOGS_PER_GB_INGESTED * million;
    Cost {
        lines: vec![
            (
                "API Gateway (HTTP API)",
                a.api_requests_per_check * price::HTTP_API_PER_REQUEST * million,
            ),
            ("Lambda requests", requests * price::LAMBDA_PER_REQUEST * million),
            ("Lambda compute (arm64)", gb_s * price::LAMBDA_ARM_PER_GB_S * million),
            (
                match workflow {
                    Workflow::Express => "Step Functions Express",
                    Workflow::Standard => "Step Functions Standard",
                },
                step_functions * million,
            ),
            ("SQS", sqs_requests * price::SQS_PER_REQUEST * million),
            (
                "DynamoDB writes",
                a.dynamodb_wru_per_check * price::DYNAMODB_PER_WRITE_UNIT * million,
            ),
            (
                "DynamoDB reads",
                a.dynamodb_rru_per_check * price::DYNAMODB_PER_READ_UNIT * million,
            ),
            (LOGS_STATE_MACHINE, logs(sfn_log_kb)),
            (LOGS_FUNCTIONS, logs(function_log_kb)),
            (LOGS_API, logs(api_log_kb)),
        ],
    }
}

/// The cost lines priced at [`price::CLOUDWATCH_LOGS_PER_GB_INGESTED`], which is not in FACTS.md (marked `*`).
pub const LOGS_STATE_MACHINE: &str = "CloudWatch Logs: states*";
pub const LOGS_FUNCTIONS: &str = "CloudWatch Logs: functions*";
pub const LOGS_API: &str = "CloudWatch Logs: API*";

/// KB per GB of log ingestion (binary units).
const KB_PER_GB: f64 = 1024.0 * 1024.0;

/// One quota the load touches.
#[derive(Debug, Clone)]
pub struct QuotaCheck {
    pub quota: String,
    pub needed: String,
    pub suffices: bool,
}

/// The quotas `qps` touches with `functions`.
pub fn quota_checks(qps: f64, functions: &[Function], a: &Assumptions) -> Vec<QuotaCheck> {
    let total: f64 = functions.iter().map(|f| f.concurrency(qps)).sum();
    let busiest = functions
        .iter()
        .max_by(|x, y| x.concurrency(qps).total_cmp(&y.concurrency(qps)))
        .expect("functions exist");
    let ingest = functions
        .iter()
        .find(|f| f.name == "ingest")
        .map_or(0.0, |f| f.concurrency(qps));
    let ingest_minutes = ((ingest - quota::SQS_ESM_START_BATCHES) / quota::SQS_ESM_ADD_PER_MINUTE).max(0.0);
    let transitions = qps * a.transitions_per_check;
    let wru = qps * a.dynamodb_wru_per_check;
    let rru = qps * a.dynamodb_rru_per_check;
    let on_check_partition = |terms: Vec<Units>| -> f64 {
        terms
            .iter()
            .filter(|term| term.check_partition)
            .map(|term| term.units)
            .sum()
    };
    let partition_wru = on_check_partition(a.dynamodb_writes());
    let partition_rru = on_check_partition(a.dynamodb_reads());
    let api = qps * a.api_requests_per_check;
    let fmt = |x: f64| format!("{x:.0}");
    vec![
        QuotaCheck {
            quota: format!(
                "Lambda account concurrency ({})",
                fmt(quota::LAMBDA_ACCOUNT_CONCURRENCY)
            ),
            needed: format!("{} concurrent (all functions)", fmt(total.ceil())),
            suffices: total <= quota::LAMBDA_ACCOUNT_CONCURRENCY - 100.0,
        },
        QuotaCheck {
            quota: "Lambda scaling (1,000 environments per function per 10 s)".into(),
            needed: format!(
                "{} reaches {} in {:.0} s",
                busiest.name,
                fmt(busiest.concurrency(qps).ceil()),
                (busiest.concurrency(qps) / quota::LAMBDA_SCALING_PER_10S).ceil() * 10.0
            ),
            suffices: busiest.concurrency(qps) <= quota::LAMBDA_SCALING_PER_10S,
        },
        QuotaCheck {
            quota: "SQS event source (5 batches at start, +300/min, MaximumConcurrency ≤ 1,000)".into(),
            needed: format!("ingest {ingest:.1} concurrent batches, reached in {ingest_minutes:.1} min"),
            suffices: ingest <= quota::SQS_ESM_MAX_CONCURRENCY,
        },
        QuotaCheck {
            quota: format!(
                "Step Functions Express StartExecution ({}/s)",
                fmt(quota::SFN_EXPRESS_START_PER_S)
            ),
            needed: format!("{}/s", fmt(qps)),
            suffices: qps <= quota::SFN_EXPRESS_START_PER_S,
        },
        QuotaCheck {
            quota: format!(
                "Step Functions Standard StartExecution (refill {}/s, bucket {})",
                fmt(quota::SFN_STANDARD_START_REFILL_PER_S),
                fmt(quota::SFN_STANDARD_START_BUCKET)
            ),
            needed: format!("{}/s sustained", fmt(qps)),
            suffices: qps <= quota::SFN_STANDARD_START_REFILL_PER_S,
        },
        QuotaCheck {
            quota: format!(
                "Step Functions Standard state transitions (refill {}/s)",
                fmt(quota::SFN_STANDARD_TRANSITIONS_REFILL_PER_S)
            ),
            needed: format!("{}/s ({} per check)", fmt(transitions), a.transitions_per_check),
            suffices: transitions <= quota::SFN_STANDARD_TRANSITIONS_REFILL_PER_S,
        },
        QuotaCheck {
            quota: format!(
                "DynamoDB on-demand table ({} WRU/RRU per s)",
                fmt(quota::DYNAMODB_ON_DEMAND_TABLE)
            ),
            needed: format!("{} WRU/s, {} RRU/s", fmt(wru), fmt(rru)),
            suffices: wru <= quota::DYNAMODB_ON_DEMAND_TABLE && rru <= quota::DYNAMODB_ON_DEMAND_TABLE,
        },
        QuotaCheck {
            quota: "DynamoDB per partition (1,000 WCU, 3,000 RCU)".into(),
            needed: format!(
                "one check's items share a key: {partition_wru:.0} WRU and {partition_rru:.0} RRU over its ~{:.1} s; \
                 keys spread by check id",
                a.express_duration_s
            ),
            suffices: partition_wru / a.express_duration_s <= quota::DYNAMODB_PARTITION_WCU
                && partition_rru / a.express_duration_s <= quota::DYNAMODB_PARTITION_RCU,
        },
        QuotaCheck {
            quota: format!("API Gateway ({} requests/s per account)", fmt(quota::API_GATEWAY_RPS)),
            needed: format!("{}/s (POST + one GET per check)", fmt(api)),
            suffices: api <= quota::API_GATEWAY_RPS,
        },
    ]
}

/// The whole report for `qps`, as printed by `shadowhunter capacity`.
pub fn report(qps: f64, a: &Assumptions) -> String {
    let functions = functions(a);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "capacity at {qps:.0} checks/s (Little's law: concurrency = arrivals/s × mean duration)"
    );
    let _ = writeln!(
        out,
        "\n{:<22} {:>7} {:>12} {:>11} {:>12}",
        "function", "memory", "invocations", "mean (ms)", "concurrency"
    );
    for f in &functions {
        let _ = writeln!(
            out,
            "{:<22} {:>5.0}MB {:>10.1}/s {:>11.1} {:>12.1}",
            f.name,
            f.memory_mb,
            qps * f.invocations_per_check,
            f.mean_s * 1e3,
            f.concurrency(qps)
        );
    }
    let total: f64 = functions.iter().map(|f| f.concurrency(qps)).sum();
    let _ = writeln!(out, "{:<22} {:>55.1}", "total", total);
    let _ = writeln!(out, "\nquotas (defaults, us-east-1):");
    for check in quota_checks(qps, &functions, a) {
        let _ = writeln!(
            out,
            "  {:<4} {}: needs {}",
            if check.suffices { "ok" } else { "RAISE" },
            check.quota,
            check.needed
        );
    }
    let _ = writeln!(
        out,
        "\nStep Functions, statemachine/check.asl.json run over {} channels, every task succeeding: {} states entered \
         (Standard bills each as a transition), {} CloudWatch Logs events at level ALL",
        CHANNELS.len(),
        a.path.transitions(),
        a.path.log_events()
    );
    let states: Vec<String> = a
        .path
        .counts()
        .iter()
        .map(|(name, state_type, count)| format!("{name} ({state_type}) {count}"))
        .collect();
    let _ = writeln!(out, "  {}", states.join(", "));
    let _ = writeln!(
        out,
        "\nDynamoDB per check, as the store writes (2 units per KB in a transaction):"
    );
    for (total, unit, terms) in [
        (a.dynamodb_wru_per_check, "WRU", a.dynamodb_writes()),
        (a.dynamodb_rru_per_check, "RRU", a.dynamodb_reads()),
    ] {
        let _ = writeln!(out, "  {total:>5.1} {unit}");
        for term in terms {
            let _ = writeln!(out, "  {:>5.1}   {}", term.units, term.what);
        }
    }
    let express = cost_per_million(&functions, a, Workflow::Express);
    let standard = cost_per_million(&functions, a, Workflow::Standard);
    let _ = writeln!(out, "\ncost per million checks (USD):");
    let _ = writeln!(out, "  {:<28} {:>10} {:>10}", "service", "Express", "Standard");
    for ((name, e), (_, s)) in express.lines.iter().zip(&standard.lines) {
        let name = if name.starts_with("Step Functions") {
            "Step Functions"
        } else {
            name
        };
        let _ = writeln!(out, "  {name:<28} {e:>10.2} {s:>10.2}");
    }
    let without_logs = |cost: &Cost| {
        cost.lines
            .iter()
            .filter(|(name, _)| !name.starts_with("CloudWatch Logs"))
            .map(|(_, dollars)| dollars)
            .sum::<f64>()
    };
    let _ = writeln!(
        out,
        "  {:<28} {:>10.2} {:>10.2}",
        "total without logs",
        without_logs(&express),
        without_logs(&standard)
    );
    let _ = writeln!(
        out,
        "  {:<28} {:>10.2} {:>10.2}",
        "total",
        express.total(),
        standard.total()
    );
    let _ = writeln!(
        out,
        "  * ${:.2} per GB ingested: not in FACTS.md (aws.amazon.com/cloudwatch/pricing), verify. The state \
         machine logs at level ALL on Express only: Standard keeps its own history.",
        price::CLOUDWATCH_LOGS_PER_GB_INGESTED
    );
    let _ = writeln!(
        out,
        "\nassumptions per check: CPU {:.2} ms measured (collect {:.0}%, compare {:.0}%, rest {:.0}%); a function \
         below {MB_PER_VCPU:.0} MB gets that share of a vCPU; collectors {:.0} MB waiting on providers \
         (measured channel means; the profile's mean is {:.3} × median); api/comparator/summary {:.0} MB with {:.0} \
         ms of DynamoDB I/O; {} API requests; SQS send + receive/delete per batch of {:.0}; Standard {:.0} \
         transitions; Express {:.0} MB for {:.1} s; DynamoDB {:.0} WRU and {:.0} RRU (items: check {:.0} KB, \
         evidence {:.0} KB, verdict {:.0} KB, report {:.0} KB; {:.0} provider calls, all cache misses, {:.0} KB \
         each); logs: {:.0} state machine events × {:.1} KB, {:.0} metrics line per invocation + {:.0} INFO lines \
         per check × {:.2} KB, {:.2} KB per API request; LLM off (deterministic judge).",
        a.cpu_ms_per_check,
        a.cpu_share_collect * 100.0,
        a.cpu_share_compare * 100.0,
        (1.0 - a.cpu_share_collect - a.cpu_share_compare) * 100.0,
        a.collector_memory_mb,
        lognormal_mean_factor(),
        a.compute_memory_mb,
        a.step_io_ms,
        a.api_requests_per_check,
        a.sqs_batch,
        a.transitions_per_check,
        a.express_memory_mb,
        a.express_duration_s,
        a.dynamodb_wru_per_check,
        a.dynamodb_rru_per_check,
        a.check_item_kb,
        a.evidence_kb,
        a.verdict_kb,
        a.report_kb,
        a.provider_calls_per_check,
        a.cached_answer_kb,
        a.sfn_log_events_per_check,
        a.sfn_log_event_kb,
        a.emf_lines_per_invocation,
        a.info_lines_per_check,
        a.function_log_line_kb,
        a.api_access_log_kb,
    );
    out
}

#[derive(Debug, clap::Args)]
pub struct CapacityArgs {
    /// Checks per second to size for.
    #[arg(long, default_value_t = 500.0)]
    pub qps: f64,
    /// CPU milliseconds one check costs (default: measured by `bench e2e` here).
    #[arg(long, default_value_t = MEASURED_CPU_MS_PER_CHECK)]
    pub cpu_ms_per_check: f64,
}

pub fn run(args: &CapacityArgs) {
    print!("{}", report(args.qps, &Assumptions::new(args.cpu_ms_per_check)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn littles_law_multiplies_arrivals_by_time_in_system() {
        assert_eq!(little(500.0, 0.8), 400.0);
        assert_eq!(little(200.0, 0.0), 0.0);
        let f = Function {
            name: "collector:linkedin".into(),
            memory_mb: 128.0,
            invocations_per_check: 1.0,
            mean_s: 1.8,
        };
        assert!((f.concurrency(500.0) - 900.0).abs() < 1e-9);
        assert!((f.gb_s_per_check() - 0.225).abs() < 1e-12, "1.8 s × 0.125 GB");
    }

    #[test]
    fn the_lognormal_mean_is_about_eleven_percent_above_the_median() {
        assert!((lognormal_mean_factor() - 1.118).abs() < 0.001);
    }

    #[test]
    fn a_small_function_runs_cpu_work_slower() {
        assert!((cpu_wall_s(1.0, 1_769.0) - 0.001).abs() < 1e-12);
        assert!(
            (cpu_wall_s(1.0, 3_538.0) - 0.001).abs() < 1e-12,
            "never faster than one core"
        );
        assert!((cpu_wall_s(1.0, 128.0) - 0.001 * 1_769.0 / 128.0).abs() < 1e-12);
    }

    #[test]
    fn cost_totals_are_the_sum_of_their_lines() {
        let a = Assumptions::new(6.0);
        let functions = functions(&a);
        for workflow in [Workflow::Express, Workflow::Standard] {
            let cost = cost_per_million(&functions, &a, workflow);
            let sum: f64 = cost.lines.iter().map(|(_, d)| d).sum();
            assert!((cost.total() - sum).abs() < 1e-9);
        }
        let standard = cost_per_million(&functions, &a, Workflow::Standard);
        let sfn = standard
            .lines
            .iter()
            .find(|(n, _)| n.starts_with("Step"))
            .expect("a line")
            .1;
        assert!(
            (sfn - 650.0).abs() < 1e-9,
            "26 transitions × $0.025/1,000 × 1M = $650, not {sfn}"
        );
        let express = cost_per_million(&functions, &a, Workflow::Express);
        let sfn = express
            .lines
            .iter()
            .find(|(n, _)| n.starts_with("Step"))
            .expect("a line")
            .1;
        let expected = 1.0 + 1.5 * (64.0 / 1024.0) * 0.000_016_67 * 1e6;
        assert!((sfn - expected).abs() < 1e-9, "{sfn} vs {expected}");
        let api = express.lines[0].1;
        assert!((api - 2.0).abs() < 1e-9, "two HTTP API requests at $1/M");
        let line = |cost: &Cost, name: &str| cost.lines.iter().find(|(n, _)| *n == name).expect("a line").1;
        let writes = 100.0 * 0.625;
        assert!((line(&express, "DynamoDB writes") - writes).abs() < 1e-9);
        assert!((line(&express, "DynamoDB reads") - 41.0 * 0.125).abs() < 1e-9);
        // 107 events × 0.7 KB per check, a million checks, in GB at $0.50.
        let states = 107.0 * 0.7 * 1e6 / (1024.0 * 1024.0) * 0.5;
        assert!((line(&express, LOGS_STATE_MACHINE) - states).abs() < 1e-9);
        assert_eq!(
            line(&standard, LOGS_STATE_MACHINE),
            0.0,
            "Standard keeps its own history"
        );
        assert_eq!(line(&express, LOGS_FUNCTIONS), line(&standard, LOGS_FUNCTIONS));
        // One metrics line for each of 15.1 invocations, two INFO lines, 0.35 KB each.
        let functions_logs = (15.1 + 2.0) * 0.35 * 1e6 / (1024.0 * 1024.0) * 0.5;
        assert!((line(&express, LOGS_FUNCTIONS) - functions_logs).abs() < 1e-9);
    }

    #[test]
    fn transitions_are_the_states_the_deployed_definition_enters() {
        let path = WorkflowPath::of_check_machine();
        let counts: Vec<(&str, usize)> = path.counts().iter().map(|(name, _, count)| (*name, *count)).collect();
        assert_eq!(
            counts,
            [
                ("CheckChannels", 1),
                ("Collect", 6),
                ("AlreadyJudged", 6),
                ("Compare", 6),
                ("ChannelJudged", 6),
                ("Summarize", 1),
            ],
            "statemachine/check.asl.json changed: re-run `shadowhunter capacity` and update infra/CAPACITY.md"
        );
        assert_eq!(path.transitions(), 26);
        assert_eq!(path.map_iterations, 6);
        // Execution 2 + Map 4 + 6 iterations × (2 + Task 5 + Choice 2 + Task 5 + Pass 2) + Summarize 5.
        assert_eq!(path.log_events(), 107);
        let a = Assumptions::new(6.0);
        assert_eq!(a.transitions_per_check, 26.0);
        assert_eq!(a.sfn_log_events_per_check, 107.0);
    }

    #[test]
    fn the_path_follows_the_definition() {
        let definition = |states: &str| {
            let json = format!(r#"{{"StartAt": "First", "States": {{{states}}}}}"#);
            Arc::new(Definition::parse(&json, &Default::default()).expect("parses"))
        };
        let two = definition(
            r#""First": {"Type": "Pass", "Next": "Second"},
               "Second": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                          "Parameters": {"FunctionName": "summary", "Payload": {}}, "End": true}"#,
        );
        let path = WorkflowPath::of(two);
        assert_eq!(path.transitions(), 2);
        assert_eq!(path.log_events(), 2 + 2 + 5);
        // The executor bounds an execution with TimeoutSeconds by a Tokio timer; the model needs no runtime.
        let bounded = Arc::new(
            Definition::parse(
                r#"{"StartAt": "Only", "TimeoutSeconds": 5, "States": {"Only": {"Type": "Succeed"}}}"#,
                &Default::default(),
            )
            .expect("parses"),
        );
        assert_eq!(WorkflowPath::of(bounded).transitions(), 1);
    }

    #[tokio::test]
    async fn the_model_runs_inside_a_runtime_too() {
        assert_eq!(Assumptions::new(6.0).transitions_per_check, 26.0);
    }

    #[test]
    fn dynamodb_units_follow_the_store_as_written() {
        let a = Assumptions::new(6.0);
        let writes: Vec<f64> = a.dynamodb_writes().iter().map(|term| term.units).collect();
        // insert, running, 6 evidence transactions, 6 verdict transactions, the report transaction, cache misses.
        assert_eq!(writes, [1.0, 1.0, 48.0, 24.0, 6.0, 20.0]);
        assert_eq!(a.dynamodb_wru_per_check, 100.0);
        let reads: Vec<f64> = a.dynamodb_reads().iter().map(|term| term.units).collect();
        assert_eq!(reads, [2.0, 1.0, 18.0, 12.0, 3.0, 5.0]);
        assert_eq!(a.dynamodb_rru_per_check, 41.0);
        let table = |qps: f64| {
            quota_checks(qps, &functions(&a), &a)
                .into_iter()
                .find(|q| q.quota.starts_with("DynamoDB on-demand table"))
                .expect("checked")
                .suffices
        };
        assert!(table(200.0), "20,000 WRU/s");
        assert!(!table(500.0), "50,000 WRU/s is past the 40,000 default");
    }

    #[test]
    fn standard_start_execution_holds_200_but_not_500_checks_per_second() {
        let a = Assumptions::new(6.0);
        let functions = functions(&a);
        let standard_start = |qps: f64| {
            quota_checks(qps, &functions, &a)
                .into_iter()
                .find(|q| q.quota.starts_with("Step Functions Standard StartExecution"))
                .expect("checked")
                .suffices
        };
        assert!(standard_start(200.0));
        assert!(!standard_start(500.0));
    }

    #[test]
    fn collectors_dominate_concurrency_and_scale_linearly_with_rate() {
        let functions = functions(&Assumptions::new(6.0));
        let total = |qps: f64| functions.iter().map(|f| f.concurrency(qps)).sum::<f64>();
        assert!((total(500.0) / total(200.0) - 2.5).abs() < 1e-9);
        let collectors: f64 = functions
            .iter()
            .filter(|f| f.name.starts_with("collector"))
            .map(|f| f.concurrency(500.0))
            .sum();
        assert!(collectors / total(500.0) > 0.9);
    }
}

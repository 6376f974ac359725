//! `shadowhunter capacity --qps N`: the AWS capacity model — each Lambda's concurrency by Little's law, the quotas
//! that load touches, and the cost per million checks with Step Functions Express and Standard.
//!
//! Inputs: the sandbox's realistic latency profile (`shadowhunter_sandbox::latency`: log-normal per provider, p99 =
//! 3 × median, so the mean is `median · e^(σ²/2)` ≈ 1.118 × median), the sequential provider calls each channel's
//! collector makes (measured by `shadowhunter bench e2e`), and the CPU cost of a check measured on this machine
//! (`--cpu-ms-per-check`). Quotas and prices are those of `/work/shared/FACTS.md` (us-east-1, arm64), from the AWS
//! documentation pages named there.

use std::fmt::Write as _;

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
    /// State transitions per check on Standard: Map, 6 × (collect, compare), summary, succeed, plus two for the
    /// validation and status states.
    pub transitions_per_check: f64,
    /// Express execution memory (64 MB steps) and duration (the check's end-to-end time), for its GB-s.
    pub express_memory_mb: f64,
    pub express_duration_s: f64,
    pub dynamodb_wru_per_check: f64,
    pub dynamodb_rru_per_check: f64,
    pub collector_memory_mb: f64,
    pub compute_memory_mb: f64,
}

impl Assumptions {
    pub fn new(cpu_ms_per_check: f64) -> Self {
        Self {
            cpu_ms_per_check,
            cpu_share_collect: 0.5,
            cpu_share_compare: 0.35,
            api_io_ms: 15.0,
            api_requests_per_check: 2.0,
            step_io_ms: 10.0,
            ingest_batch_ms: 40.0,
            sqs_batch: 10.0,
            transitions_per_check: 16.0,
            express_memory_mb: 64.0,
            // The measured end-to-end p50 uncontended (1.05 s) rounded up for the slowest channel's tail.
            express_duration_s: 1.5,
            // check 1 + 2 status updates + 6 evidence × 3 KB + 6 verdicts × 1 KB + report 2 KB.
            dynamodb_wru_per_check: 29.0,
            // GET 1 + comparators 6 × 1 (3 KB, eventually consistent) + summary 6 + cache lookups 6 + worker status 2.
            dynamodb_rru_per_check: 21.0,
            collector_memory_mb: 128.0,
            compute_memory_mb: 256.0,
        }
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
        ],
    }
}

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
                "one check's items share a key: {:.0} WRU over its ~{:.1} s; keys spread by check id",
                a.dynamodb_wru_per_check, a.express_duration_s
            ),
            suffices: a.dynamodb_wru_per_check / a.express_duration_s <= quota::DYNAMODB_PARTITION_WCU
                && a.dynamodb_rru_per_check / a.express_duration_s <= quota::DYNAMODB_PARTITION_RCU,
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
    let express = cost_per_million(&functions, a, Workflow::Express);
    let standard = cost_per_million(&functions, a, Workflow::Standard);
    let _ = writeln!(out, "\ncost per million checks (USD):");
    let _ = writeln!(out, "  {:<26} {:>10} {:>10}", "service", "Express", "Standard");
    for ((name, e), (_, s)) in express.lines.iter().zip(&standard.lines) {
        let name = if name.starts_with("Step Functions") {
            "Step Functions"
        } else {
            name
        };
        let _ = writeln!(out, "  {name:<26} {e:>10.2} {s:>10.2}");
    }
    let _ = writeln!(
        out,
        "  {:<26} {:>10.2} {:>10.2}",
        "total",
        express.total(),
        standard.total()
    );
    let _ = writeln!(
        out,
        "\nassumptions per check: CPU {:.2} ms measured (collect {:.0}%, compare {:.0}%, rest {:.0}%); a function \
         below {MB_PER_VCPU:.0} MB gets that share of a vCPU; collectors {:.0} MB waiting on providers \
         (measured channel means; the profile's mean is {:.3} × median); api/comparator/summary {:.0} MB with {:.0} ms of DynamoDB I/O; \
         {} API requests; SQS send + receive/delete per batch of {:.0}; Standard {:.0} transitions; Express {:.0} MB \
         for {:.1} s; DynamoDB {:.0} WRU and {:.0} RRU; LLM off (deterministic judge).",
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
        assert!((sfn - 400.0).abs() < 1e-9, "16 transitions × $0.025/1,000 × 1M = $400");
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

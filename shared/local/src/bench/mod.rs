//! `shadowhunter bench <ingest|e2e|sweep|cache|all>`: load benchmarks against the `serve` stack started in process
//! on loopback; each prints its figures and the machine. See `docs/PERFORMANCE.md` for what they measure and why.
//!
//! The service, the sandbox and the load generator run on three separate Tokio runtimes in one process (threads
//! named [`SERVER_THREADS`], [`SANDBOX_THREADS`], and the CLI's own), so the CPU each spends is read apart from
//! `/proc/self/task/*/schedstat`; all three share the machine's cores.

pub mod cache;
pub mod e2e;
pub mod ingest;
pub mod judge;
pub mod load;
pub mod machine;
pub mod schedule;
pub mod server;
pub mod stats;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::Bytes;
use clap::ValueEnum;
use shadowhunter_sandbox::Scenario;

use crate::sandboxed::load_scenarios;
use crate::serve::Switch;

/// Thread name of the service's runtime (API, workers, SQLite, provider clients).
pub const SERVER_THREADS: &str = "bench-server";
/// Thread name of the sandbox's runtime (the simulated providers).
pub const SANDBOX_THREADS: &str = "bench-sandbox";

/// Which bench to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchKind {
    /// `POST /checks` at a fixed rate and at saturation, workers paused, against a bare axum baseline.
    Ingest,
    /// Open-loop load at each of `--rates` for `--duration`, sandbox on the realistic profile, drained.
    E2e,
    /// Short steps of rising rate to find where this machine stops keeping up.
    Sweep,
    /// 30% of checks repeat a recent subject: provider calls per check with the cache off, then on.
    Cache,
    /// Each scenario's check replayed on recorded provider answers: the judge's CPU per check, no network.
    Judge,
    /// ingest, e2e, sweep and cache in turn.
    All,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[arg(value_enum)]
    pub kind: BenchKind,
    /// Scenario folder whose requests are sent (in rotation) and whose worlds the sandbox serves.
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// Seconds of load per run [default: ingest 10 per phase, e2e 60 per rate, cache 20 per mode].
    #[arg(long)]
    pub duration: Option<u64>,
    /// e2e: checks per second of each run.
    #[arg(long, value_delimiter = ',', default_value = "200,500")]
    pub rates: Vec<u32>,
    /// ingest: the fixed open-loop rate.
    #[arg(long, default_value_t = 5_000)]
    pub ingest_rate: u32,
    /// Connections (requests in flight) of the load generator.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// ingest: the connection counts each target's saturation is measured at; its best counts. One count does not
    /// saturate both: serve answers after its group commit, so it needs more requests in flight to fill the cores
    /// than a handler that answers at once, and the load generator's CPU per request grows with its connections.
    #[arg(long, value_delimiter = ',', default_value = "64,256")]
    pub saturation_connections: Vec<usize>,
    /// Worker pool size of the e2e, sweep and cache stacks (a check spends ~2–3 s waiting on providers, so
    /// 500 checks/s need ~1,500 at once; `serve`'s default of 64 caps it near 25/s).
    #[arg(long, default_value_t = 4_096)]
    pub workers: usize,
    /// e2e and sweep: the provider response cache. Off by default: the rotation repeats 14 subjects, which a cache
    /// would answer from memory, so `off` is what unique subjects cost.
    #[arg(long, value_enum, default_value_t = Switch::Off)]
    pub cache: Switch,
    /// sweep: the rates tried in turn (stops after the first that does not keep up).
    #[arg(long, value_delimiter = ',', default_value = "100,200,300,400,500,600,800,1000")]
    pub sweep_rates: Vec<u32>,
    /// sweep: seconds of load per step.
    #[arg(long, default_value_t = 8)]
    pub sweep_step: u64,
    /// cache: checks per second.
    #[arg(long, default_value_t = 200)]
    pub cache_rate: u32,
    /// cache: the share of checks that repeat a recent subject.
    #[arg(long, default_value_t = 0.3)]
    pub repeat_share: f64,
    /// cache: a repeat picks one of this many most recent fresh subjects.
    #[arg(long, default_value_t = 500)]
    pub repeat_window: usize,
    /// Seconds to wait after the load for accepted checks to finish.
    #[arg(long, default_value_t = 60)]
    pub drain: u64,
    /// judge: passes over the scenarios' recorded checks.
    #[arg(long, default_value_t = 20)]
    pub iterations: usize,
    /// judge: replays this recording (from `--save-recording`) instead of recording the scenarios.
    #[arg(long, value_name = "FILE")]
    pub recording: Option<PathBuf>,
    /// judge: writes the recorded provider answers here.
    #[arg(long, value_name = "FILE")]
    pub save_recording: Option<PathBuf>,
    /// judge: writes the replayed reports here, one JSON line each (to compare builds byte for byte).
    #[arg(long, value_name = "FILE")]
    pub dump: Option<PathBuf>,
}

impl BenchArgs {
    fn scenario_dir(&self) -> PathBuf {
        self.scenarios
            .clone()
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../sandbox/scenarios"))
    }

    fn duration_or(&self, default_secs: u64) -> Duration {
        Duration::from_secs(self.duration.unwrap_or(default_secs))
    }
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let machine = machine::Machine::detect();
    println!("{}", machine.line());
    let scenarios = scenarios(&args.scenario_dir())?;
    if args.kind == BenchKind::Judge {
        let options = judge::JudgeOptions {
            iterations: args.iterations,
            recording: args.recording.as_deref(),
            save_recording: args.save_recording.as_deref(),
            dump: args.dump.as_deref(),
        };
        return judge::run(&scenarios, &options).await;
    }
    let kinds = match args.kind {
        BenchKind::All => vec![BenchKind::Ingest, BenchKind::E2e, BenchKind::Sweep, BenchKind::Cache],
        kind => vec![kind],
    };
    for kind in kinds {
        let runtimes = server::Runtimes::new()?;
        let outcome = match kind {
            BenchKind::Ingest => ingest::run(&args, &runtimes, &scenarios).await,
            BenchKind::E2e => e2e::run(&args, &runtimes, &scenarios).await,
            BenchKind::Sweep => e2e::sweep(&args, &runtimes, &scenarios).await,
            BenchKind::Cache => cache::run(&args, &runtimes, &scenarios).await,
            BenchKind::Judge | BenchKind::All => unreachable!("run or expanded above"),
        };
        runtimes.close();
        outcome?;
    }
    println!("{}", machine.line());
    Ok(())
}

/// The scenarios of `dir` whose request is valid, in file order.
fn scenarios(dir: &Path) -> anyhow::Result<Vec<Scenario>> {
    let (scenarios, failures) =
        load_scenarios(dir).with_context(|| format!("reading scenarios in {}", dir.display()))?;
    for failure in &failures {
        eprintln!("skipped {failure}");
    }
    let usable: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|scenario| scenario.check_request().is_ok())
        .collect();
    anyhow::ensure!(!usable.is_empty(), "no usable scenario in {}", dir.display());
    Ok(usable)
}

/// Each scenario's request as a `POST /checks` body.
fn bodies(scenarios: &[Scenario]) -> Arc<Vec<Bytes>> {
    Arc::new(
        scenarios
            .iter()
            .map(|scenario| Bytes::from(serde_json::to_vec(&scenario.request).expect("JSON values serialize")))
            .collect(),
    )
}

/// A fresh directory under the system temp dir, removed by [`TempDir::drop`].
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> anyhow::Result<Self> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("shadowhunter-bench-{}-{label}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The process's check and provider counters, read from the metrics registry's Prometheus text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counters {
    pub accepted: f64,
    pub rejected: f64,
    pub completed: f64,
    pub failed: f64,
    pub provider_calls: f64,
    pub provider_errors: f64,
    pub cache_hits: f64,
    pub cache_misses: f64,
    pub coalesced: f64,
    pub store_commits: f64,
    pub store_writes: f64,
}

impl Counters {
    pub fn read() -> Self {
        let text = crate::metrics::metrics().render();
        let sum = |name: &str| stats::metric_sum(&text, name);
        Self {
            accepted: sum("shadowhunter_checks_accepted_total"),
            rejected: sum("shadowhunter_checks_rejected_total"),
            completed: sum("shadowhunter_checks_completed_total"),
            failed: sum("shadowhunter_checks_failed_total"),
            provider_calls: sum("shadowhunter_provider_calls_total"),
            provider_errors: sum("shadowhunter_provider_errors_total"),
            cache_hits: sum("shadowhunter_provider_cache_hits_total"),
            cache_misses: sum("shadowhunter_provider_cache_misses_total"),
            coalesced: sum("shadowhunter_provider_coalesced_total"),
            store_commits: sum("shadowhunter_queue_commits_total"),
            store_writes: sum("shadowhunter_queue_committed_writes_total"),
        }
    }

    pub fn since(&self, earlier: &Counters) -> Counters {
        Counters {
            accepted: self.accepted - earlier.accepted,
            rejected: self.rejected - earlier.rejected,
            completed: self.completed - earlier.completed,
            failed: self.failed - earlier.failed,
            provider_calls: self.provider_calls - earlier.provider_calls,
            provider_errors: self.provider_errors - earlier.provider_errors,
            cache_hits: self.cache_hits - earlier.cache_hits,
            cache_misses: self.cache_misses - earlier.cache_misses,
            coalesced: self.coalesced - earlier.coalesced,
            store_commits: self.store_commits - earlier.store_commits,
            store_writes: self.store_writes - earlier.store_writes,
        }
    }

    /// Accepted checks that neither completed nor failed.
    pub fn lost(&self) -> f64 {
        self.accepted - self.completed - self.failed
    }
}

fn pass(ok: bool) -> &'static str {
    if ok { "PASS" } else { "MISS" }
}

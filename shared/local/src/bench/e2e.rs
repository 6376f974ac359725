//! The end-to-end bench and the sweep: open-loop `POST /checks` against `serve` with the sandbox on the realistic
//! latency profile and the deterministic judge, then a drain; latency from the store's own timestamps.
//!
//! End-to-end latency is `checks.updated_at − checks.received_at` of each `done` check (stamped by the API on
//! acceptance and by the worker's final write), read from the SQLite file after the drain, so measuring it adds no
//! polling load. Channel latency is each channel's `Evidence.elapsed_ms` (its collector's wall time).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Bytes;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use shadowhunter_sandbox::{LatencyProfile, Scenario};

use super::load::{self, LoadRun};
use super::machine::{CpuSnapshot, CpuSpent, peak_rss, reset_peak_rss};
use super::schedule::OpenLoop;
use super::server::{Runtimes, Stack, StackOptions};
use super::stats::{Summary, ms, percentile};
use super::{BenchArgs, Counters, TempDir, bodies, pass};
use crate::serve::Switch;

/// What to send: bodies in rotation, and whether each body's world injects faults.
#[derive(Clone)]
pub struct Workload {
    pub bodies: Arc<Vec<Bytes>>,
    pub faulty: Arc<Vec<bool>>,
}

impl Workload {
    pub fn rotation(scenarios: &[Scenario]) -> Self {
        Self {
            bodies: bodies(scenarios),
            faulty: Arc::new(scenarios.iter().map(|s| !s.world.faults.is_empty()).collect()),
        }
    }
}

/// Figures of one open-loop run and its drain.
pub struct RunResult {
    pub rate: f64,
    pub duration: Duration,
    pub load: LoadRun,
    pub counters: Counters,
    /// Completions per second between the warm-up mark and the end of sending.
    pub steady_completed_per_sec: f64,
    pub drain: Duration,
    pub drained: bool,
    /// Submission → done, every world; and the worlds without faults.
    pub e2e_all: Option<Summary>,
    pub e2e_healthy: Option<Summary>,
    /// Accepted checks the store does not show as done or failed.
    pub unsettled_in_store: usize,
    /// p99 and mean of each channel's collect time in the worlds without faults, slowest p99 first.
    pub channel_p99: Vec<(String, Duration, Duration)>,
    /// Provider calls per channel during the run.
    pub calls_by_channel: Vec<(&'static str, f64)>,
    pub cpu: CpuSpent,
    pub peak_rss: u64,
    pub peak_rss_reset: bool,
}

impl RunResult {
    pub fn errors(&self) -> usize {
        self.load.errors(202)
    }

    pub fn lost(&self) -> f64 {
        self.counters.lost()
    }

    /// The slowest channel's p99 plus one second: the end-to-end p99 target.
    pub fn e2e_target(&self) -> Option<Duration> {
        self.channel_p99
            .first()
            .map(|(_, p99, _)| *p99 + Duration::from_secs(1))
    }

    pub fn meets_latency(&self) -> bool {
        match (self.e2e_healthy, self.e2e_target()) {
            (Some(e2e), Some(target)) => e2e.p99 <= target,
            _ => false,
        }
    }

    /// Kept up: nothing refused or lost, completions matched the offered rate, the latency target held.
    pub fn kept_up(&self) -> bool {
        self.errors() == 0
            && self.lost() == 0.0
            && self.drained
            && self.steady_completed_per_sec >= 0.95 * self.rate
            && self.meets_latency()
    }

    pub fn print(&self, label: &str) {
        let accepted = self.load.count_status(202);
        let seconds = self.duration.as_secs_f64();
        let c = &self.counters;
        println!(
            "  {label}: sent {} accepted {} ({:.1}/s) errors {}{}",
            self.load.sent.len(),
            accepted,
            accepted as f64 / seconds,
            self.errors(),
            if self.errors() > 0 {
                format!(" ({})", self.load.error_kinds(202))
            } else {
                String::new()
            }
        );
        if let Some(post) = self.load.latency(202) {
            println!("    POST /checks latency (from intended send): {}", post.millis_line());
        }
        println!(
            "    completed {:.0} failed {:.0} lost {:.0} (store: {} unsettled); steady completed/s {:.1}; drain {:.1} s{}",
            c.completed,
            c.failed,
            self.lost(),
            self.unsettled_in_store,
            self.steady_completed_per_sec,
            self.drain.as_secs_f64(),
            if self.drained { "" } else { " (NOT drained)" }
        );
        if let Some(all) = self.e2e_all {
            println!("    end to end, all worlds ({}): {}", all.count, all.millis_line());
        }
        if let Some(healthy) = self.e2e_healthy {
            println!(
                "    end to end, worlds without faults ({}): {}",
                healthy.count,
                healthy.millis_line()
            );
        }
        let channels: Vec<String> = self
            .channel_p99
            .iter()
            .map(|(channel, p99, mean)| format!("{channel} {}/{}", ms(*mean), ms(*p99)))
            .collect();
        println!(
            "    channel collect mean/p99 (ms, no-fault worlds): {}",
            channels.join(", ")
        );
        let done = (c.completed + c.failed).max(1.0);
        let calls: Vec<String> = self
            .calls_by_channel
            .iter()
            .map(|(channel, calls)| format!("{channel} {:.2}", calls / done))
            .collect();
        println!("    provider calls per check by channel: {}", calls.join(", "));
        println!(
            "    CPU: server {:.1} s = {:.2} ms/check (the store's threads {:.3}); sandbox {:.1} s; load generator {:.1} s; process (getrusage) {:.1} s = {:.2} ms/check",
            self.cpu.server.as_secs_f64(),
            self.cpu.server.as_secs_f64() * 1e3 / done,
            self.cpu.store.as_secs_f64() * 1e3 / done,
            self.cpu.sandbox.as_secs_f64(),
            self.cpu.client.as_secs_f64(),
            self.cpu.process.as_secs_f64(),
            self.cpu.process.as_secs_f64() * 1e3 / done,
        );
        println!(
            "    peak RSS (VmHWM{}) {:.0} MiB; provider calls {:.0} = {:.2}/check (cache hits {:.0}, coalesced {:.0}, errors {:.0})",
            if self.peak_rss_reset {
                " since the run began"
            } else {
                " of the process"
            },
            self.peak_rss as f64 / (1024.0 * 1024.0),
            c.provider_calls,
            c.provider_calls / done,
            c.cache_hits,
            c.coalesced,
            c.provider_errors,
        );
        println!(
            "    store: {:.0} group commits ({:.2} per check), {:.1} writes per check, {:.1} writes per commit",
            c.store_commits,
            c.store_commits / done,
            c.store_writes / done,
            c.store_writes / c.store_commits.max(1.0),
        );
    }
}

/// Sends `workload` at `rate` for `duration` to `stack`, then waits up to `drain_timeout` for the accepted checks.
pub async fn run_once(
    stack: &Stack,
    workload: &Workload,
    rate: f64,
    duration: Duration,
    connections: usize,
    drain_timeout: Duration,
) -> anyhow::Result<RunResult> {
    let client = load::client(connections);
    let text_before = crate::metrics::metrics().render();
    let before = Counters::read();
    let cpu_before = CpuSnapshot::now();
    let peak_rss_reset = reset_peak_rss();
    let schedule = OpenLoop::new(rate, duration);
    let warm = (duration / 3).min(Duration::from_secs(10));
    let sampler = async {
        tokio::time::sleep(warm).await;
        let (at, done) = (Instant::now(), Counters::read().since(&before));
        tokio::time::sleep(schedule.span().saturating_sub(warm)).await;
        let (end, done_end) = (Instant::now(), Counters::read().since(&before));
        (done_end.completed + done_end.failed - done.completed - done.failed) / (end - at).as_secs_f64()
    };
    let url = stack.url("/checks");
    let (load, steady_completed_per_sec) = tokio::join!(
        load::open_loop(&client, &url, workload.bodies.clone(), schedule, connections),
        sampler
    );
    let drain_start = Instant::now();
    let mut drained = false;
    while drain_start.elapsed() < drain_timeout {
        let now = Counters::read().since(&before);
        if now.completed + now.failed >= now.accepted {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drain = drain_start.elapsed();
    let counters = Counters::read().since(&before);
    let text_after = crate::metrics::metrics().render();
    let calls_by_channel = CHANNELS
        .iter()
        .map(|&channel| {
            let label = format!("channel=\"{channel}\"");
            let calls = |text: &str| super::stats::metric_sum_where(text, "shadowhunter_provider_calls_total", &label);
            (channel, calls(&text_after) - calls(&text_before))
        })
        .collect();
    let cpu = CpuSnapshot::now().since(&cpu_before);
    let peak = peak_rss();
    let mut ids = Vec::new();
    for sent in &load.sent {
        if let Ok((202, body)) = &sent.answer {
            let id = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|value| value["id"].as_str().map(str::to_string));
            let index = (sent.index % workload.faulty.len() as u64) as usize;
            ids.extend(id.map(|id| (id, workload.faulty[index])));
        }
    }
    let from_store = read_store(&stack.database, &ids)?;
    Ok(RunResult {
        rate,
        duration,
        load,
        counters,
        steady_completed_per_sec,
        drain,
        drained,
        e2e_all: from_store.e2e_all,
        e2e_healthy: from_store.e2e_healthy,
        unsettled_in_store: from_store.unsettled,
        channel_p99: from_store.channel_p99,
        calls_by_channel,
        cpu,
        peak_rss: peak,
        peak_rss_reset,
    })
}

struct StoreFigures {
    e2e_all: Option<Summary>,
    e2e_healthy: Option<Summary>,
    unsettled: usize,
    channel_p99: Vec<(String, Duration, Duration)>,
}

const CHANNELS: [&str; 6] = ["search", "customs", "linkedin", "facebook", "twitter", "website"];

/// Most checks whose evidence is read for channel latencies (evenly spread over the run).
const CHANNEL_SAMPLE: usize = 3_000;

fn read_store(database: &Path, ids: &[(String, bool)]) -> anyhow::Result<StoreFigures> {
    let conn = Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {} to read the results", database.display()))?;
    let mut check = conn.prepare("SELECT status, received_at, updated_at FROM checks WHERE id = ?1")?;
    let (mut all, mut healthy, mut unsettled) = (Vec::new(), Vec::new(), 0);
    for (id, faulty) in ids {
        let row = check
            .query_row([id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .optional()?;
        let Some((status, received, updated)) = row else {
            unsettled += 1;
            continue;
        };
        match status.as_str() {
            "done" => {
                let parse = |raw: &str| chrono::DateTime::parse_from_rfc3339(raw).ok();
                if let (Some(received), Some(updated)) = (parse(&received), parse(&updated)) {
                    let latency = (updated - received).to_std().unwrap_or_default();
                    all.push(latency);
                    if !faulty {
                        healthy.push(latency);
                    }
                }
            }
            "failed" => {}
            _ => unsettled += 1,
        }
    }
    let healthy_ids: Vec<&String> = ids.iter().filter(|(_, faulty)| !faulty).map(|(id, _)| id).collect();
    let step = healthy_ids.len().div_ceil(CHANNEL_SAMPLE).max(1);
    let wanted: HashSet<&String> = healthy_ids.into_iter().step_by(step).collect();
    let mut evidence =
        conn.prepare("SELECT channel, json_extract(json, '$.elapsed_ms') FROM evidence WHERE check_id = ?1")?;
    let mut channels: HashMap<String, Vec<Duration>> = HashMap::new();
    for id in wanted {
        let rows = evidence.query_map([id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?))
        })?;
        for row in rows {
            let (channel, elapsed) = row?;
            if let Some(elapsed) = elapsed {
                let millis = u64::try_from(elapsed).unwrap_or(0);
                channels.entry(channel).or_default().push(Duration::from_millis(millis));
            }
        }
    }
    let mut channel_p99: Vec<(String, Duration, Duration)> = channels
        .into_iter()
        .map(|(channel, mut samples)| {
            samples.sort_unstable();
            let mean = samples.iter().sum::<Duration>() / u32::try_from(samples.len()).unwrap_or(u32::MAX);
            (channel, percentile(&samples, 0.99), mean)
        })
        .collect();
    channel_p99.sort_by_key(|(_, p99, _)| std::cmp::Reverse(*p99));
    Ok(StoreFigures {
        e2e_all: Summary::of(all),
        e2e_healthy: Summary::of(healthy),
        unsettled,
        channel_p99,
    })
}

fn stack_options(args: &BenchArgs, scenarios: Vec<Scenario>, data: &TempDir) -> StackOptions {
    StackOptions {
        scenarios,
        latency: LatencyProfile::Realistic,
        cache: args.cache == Switch::On,
        workers: Some(args.workers),
        queue_depth: 1_000_000,
        data_dir: data.0.clone(),
    }
}

pub async fn run(args: &BenchArgs, runtimes: &Runtimes, scenarios: &[Scenario]) -> anyhow::Result<()> {
    let duration = args.duration_or(60);
    println!(
        "\n== e2e: open loop at {:?}/s for {} s each; sandbox realistic latency, deterministic judge, cache {:?}, {} workers, {} connections",
        args.rates,
        duration.as_secs(),
        args.cache,
        args.workers,
        args.connections
    );
    let workload = Workload::rotation(scenarios);
    for &rate in &args.rates {
        let data = TempDir::new("e2e")?;
        let stack = Stack::start(runtimes, stack_options(args, scenarios.to_vec(), &data)).await?;
        let result = run_once(
            &stack,
            &workload,
            f64::from(rate),
            duration,
            args.connections,
            Duration::from_secs(args.drain),
        )
        .await?;
        stack.stop(Duration::from_secs(10)).await;
        result.print(&format!("{rate}/s for {} s", duration.as_secs()));
        let target = result.e2e_target();
        println!(
            "    targets: 0 errors {}  0 lost {}  p99 {} ≤ slowest channel p99 + 1 s = {} {}  peak RSS ≤ 1 GiB {}  kept up {}",
            pass(result.errors() == 0),
            pass(result.lost() == 0.0 && result.unsettled_in_store == 0),
            result
                .e2e_healthy
                .map_or_else(|| "-".into(), |s| format!("{} ms", ms(s.p99))),
            target.map_or_else(|| "-".into(), |t| format!("{} ms", ms(t))),
            pass(result.meets_latency()),
            pass(result.peak_rss <= 1 << 30),
            pass(result.kept_up()),
        );
    }
    Ok(())
}

pub async fn sweep(args: &BenchArgs, runtimes: &Runtimes, scenarios: &[Scenario]) -> anyhow::Result<()> {
    let step = Duration::from_secs(args.sweep_step);
    println!(
        "\n== sweep: {} s steps at {:?}/s (one stack, drained between steps); kept up = 0 errors, 0 lost, completed/s ≥ 95% of offered, p99 ≤ slowest channel p99 + 1 s",
        step.as_secs(),
        args.sweep_rates
    );
    let workload = Workload::rotation(scenarios);
    let data = TempDir::new("sweep")?;
    let stack = Stack::start(runtimes, stack_options(args, scenarios.to_vec(), &data)).await?;
    let mut saturation = None;
    for &rate in &args.sweep_rates {
        let result = run_once(
            &stack,
            &workload,
            f64::from(rate),
            step,
            args.connections,
            Duration::from_secs(args.drain.min(30)),
        )
        .await?;
        println!(
            "  {rate:>5}/s: accepted {:>6} errors {:>4} lost {:>4.0} completed/s {:>7.1} e2e p50 {:>6} ms p99 {:>6} ms (target {:>6} ms) server CPU {:.2} ms/check, process {:.2} ms/check → {}",
            result.load.count_status(202),
            result.errors(),
            result.lost(),
            result.steady_completed_per_sec,
            result.e2e_healthy.map_or_else(|| "-".into(), |s| ms(s.p50)),
            result.e2e_healthy.map_or_else(|| "-".into(), |s| ms(s.p99)),
            result.e2e_target().map_or_else(|| "-".into(), ms),
            result.cpu.server.as_secs_f64() * 1e3 / (result.counters.completed + result.counters.failed).max(1.0),
            result.cpu.process.as_secs_f64() * 1e3 / (result.counters.completed + result.counters.failed).max(1.0),
            if result.kept_up() { "kept up" } else { "fell behind" },
        );
        if result.kept_up() {
            saturation = Some(rate);
        } else {
            break;
        }
    }
    stack.stop(Duration::from_secs(10)).await;
    match saturation {
        Some(rate) => println!("  highest rate kept up on this machine: {rate}/s"),
        None => println!("  no rate kept up"),
    }
    Ok(())
}

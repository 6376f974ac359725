//! The ingest bench: `POST /checks` against `serve` with its workers paused (no worker pool: every accepted check
//! stays on the SQLite queue, so only validation, the store insert and the enqueue are measured), beside a bare
//! axum handler answering 202 on the same runtime as the baseline.

use std::time::Duration;

use shadowhunter_sandbox::{LatencyProfile, Scenario};

use super::load::{self, LoadRun};
use super::machine::{self, CpuSnapshot};
use super::schedule::OpenLoop;
use super::server::{Baseline, Runtimes, Stack, StackOptions};
use super::stats::{Summary, ms};
use super::{BenchArgs, Counters, TempDir, bodies, pass};

/// Figures of one phase against one target.
struct Phase {
    label: String,
    run: LoadRun,
    server_cpu: Duration,
    store_cpu: Duration,
    client_cpu: Duration,
    /// The whole process's CPU, to tell a saturated phase (every core busy) from one its connections limit.
    process_cpu: Duration,
    commits: GroupCommits,
}

/// The database writer's group commits during a phase (none against the baseline).
#[derive(Debug, Clone, Copy, Default)]
struct GroupCommits {
    commits: u64,
    checks: u64,
    time: Duration,
    /// Commits that took more than 10 ms and 25 ms: the stalls behind the latency tail.
    over_10ms: u64,
    over_25ms: u64,
}

impl GroupCommits {
    fn now() -> Self {
        let metrics = crate::metrics::metrics();
        Self {
            commits: metrics.queue_commits.get(),
            checks: metrics.queue_committed_checks.get(),
            time: metrics.queue_commit.sum(),
            over_10ms: metrics.queue_commit.count_above(Duration::from_millis(10)),
            over_25ms: metrics.queue_commit.count_above(Duration::from_millis(25)),
        }
    }

    fn since(&self, earlier: &Self) -> Self {
        Self {
            commits: self.commits - earlier.commits,
            checks: self.checks - earlier.checks,
            time: self.time.saturating_sub(earlier.time),
            over_10ms: self.over_10ms - earlier.over_10ms,
            over_25ms: self.over_25ms - earlier.over_25ms,
        }
    }
}

impl Phase {
    fn accepted_per_sec(&self) -> f64 {
        self.run.count_status(202) as f64 / self.run.elapsed.as_secs_f64()
    }

    fn print(&self) {
        let latency = self.run.latency(202);
        let service = self.run.service(202);
        let line = |summary: Option<Summary>| summary.map_or_else(|| "no answers".to_string(), |s| s.millis_line());
        println!(
            "  {:<28} accepted {:>6} in {:.1} s = {:>8.0}/s  errors {}{}",
            self.label,
            self.run.count_status(202),
            self.run.elapsed.as_secs_f64(),
            self.accepted_per_sec(),
            self.run.errors(202),
            if self.run.errors(202) > 0 {
                format!(" ({})", self.run.error_kinds(202))
            } else {
                String::new()
            },
        );
        println!("  {:<28} latency  {}", "", line(latency));
        println!("  {:<28} service  {}", "", line(service));
        let requests = self.run.count_status(202).max(1) as f64;
        println!(
            "  {:<28} CPU server {:.2} s ({:.0} µs/request, the store's threads {:.0}), client {:.2} s ({:.0} µs/request); the cores {:.0}% busy; sends that waited for a free connection: {}",
            "",
            self.server_cpu.as_secs_f64(),
            self.server_cpu.as_secs_f64() * 1e6 / requests,
            self.store_cpu.as_secs_f64() * 1e6 / requests,
            self.client_cpu.as_secs_f64(),
            self.client_cpu.as_secs_f64() * 1e6 / requests,
            100.0 * self.process_cpu.as_secs_f64() / (self.run.elapsed.as_secs_f64() * machine::cores() as f64),
            self.run.delayed_by_client
        );
        let commits = self.commits;
        if commits.commits > 0 {
            println!(
                "  {:<28} group commits {}: {:.1} checks and {:.3} ms each on average; {} took over 10 ms, {} over 25 ms",
                "",
                commits.commits,
                commits.checks as f64 / commits.commits as f64,
                commits.time.as_secs_f64() * 1e3 / commits.commits as f64,
                commits.over_10ms,
                commits.over_25ms
            );
        }
    }

    /// One line: a saturation slice among many.
    fn print_row(&self) {
        let requests = self.run.count_status(202).max(1) as f64;
        let per_request = |cpu: Duration| cpu.as_secs_f64() * 1e6 / requests;
        println!(
            "  {:<30} {:>7.0}/s  errors {}  µs/request: server {:>3.0} (store {:>2.0}), client {:>3.0}; cores {:>3.0}% busy",
            self.label,
            self.accepted_per_sec(),
            self.run.errors(202),
            per_request(self.server_cpu),
            per_request(self.store_cpu),
            per_request(self.client_cpu),
            100.0 * self.process_cpu.as_secs_f64() / (self.run.elapsed.as_secs_f64() * machine::cores() as f64),
        );
    }
}

/// Saturation is measured in this many rounds; in each, both targets run back to back at every connection count.
const SATURATION_ROUNDS: usize = 9;

/// A target's phases at each saturation connection count in one round.
struct Saturation {
    phases: Vec<(usize, Phase)>,
}

impl Saturation {
    /// The connection count at which the target accepted the most, and that phase.
    fn best(&self) -> &(usize, Phase) {
        self.phases
            .iter()
            .max_by(|a, b| a.1.accepted_per_sec().total_cmp(&b.1.accepted_per_sec()))
            .expect("at least one connection count")
    }

    fn accepted_per_sec(&self) -> f64 {
        self.best().1.accepted_per_sec()
    }
}

async fn phase(
    label: String,
    url: &str,
    client: &reqwest::Client,
    bodies: &std::sync::Arc<Vec<axum::body::Bytes>>,
    rate: Option<u32>,
    duration: Duration,
    connections: usize,
) -> Phase {
    let before = CpuSnapshot::now();
    let commits_before = GroupCommits::now();
    let run = match rate {
        Some(rate) => {
            let schedule = OpenLoop::new(f64::from(rate), duration);
            load::open_loop(client, url, bodies.clone(), schedule, connections).await
        }
        None => load::closed_loop(client, url, bodies.clone(), duration, connections).await,
    };
    let spent = CpuSnapshot::now().since(&before);
    Phase {
        label,
        run,
        server_cpu: spent.server,
        store_cpu: spent.store,
        client_cpu: spent.client,
        process_cpu: spent.process,
        commits: GroupCommits::now().since(&commits_before),
    }
}

pub async fn run(args: &BenchArgs, runtimes: &Runtimes, scenarios: &[Scenario]) -> anyhow::Result<()> {
    let duration = args.duration_or(10);
    anyhow::ensure!(
        !args.saturation_connections.is_empty(),
        "--saturation-connections: give at least one connection count"
    );
    let rate = args.ingest_rate;
    let connections = args.connections;
    // As long in all as three rounds of half the duration each: short slices, so a target and the other are measured
    // seconds apart, within one spell of this machine's speed.
    let slice = (duration / 2) * 3 / SATURATION_ROUNDS as u32;
    println!(
        "\n== ingest: POST /checks; the fixed rate over {connections} connections for {} s, saturation in {SATURATION_ROUNDS} rounds of {:.1} s slices at each of {:?} connections; serve has no workers (checks stay queued)",
        duration.as_secs(),
        slice.as_secs_f64(),
        args.saturation_connections,
    );
    let bodies = bodies(scenarios);
    let client = load::client(connections);
    let data = TempDir::new("ingest")?;
    let baseline = Baseline::start(runtimes).await?;
    let stack = Stack::start(
        runtimes,
        StackOptions {
            scenarios: scenarios.to_vec(),
            latency: LatencyProfile::None,
            cache: false,
            workers: None,
            queue_depth: 100_000_000,
            data_dir: data.0.clone(),
        },
    )
    .await?;
    let warmup = Duration::from_secs(1);
    let targets = [("baseline", baseline.url("/checks")), ("serve", stack.url("/checks"))];
    let mut fixed_phases = Vec::new();
    for (target, url) in &targets {
        let _ = load::closed_loop(&client, url, bodies.clone(), warmup, connections).await;
        let queued = Counters::read().accepted;
        let fixed = phase(
            format!("{target} @ {rate}/s open loop"),
            url,
            &client,
            &bodies,
            Some(rate),
            duration,
            connections,
        )
        .await;
        fixed.print();
        if *target == "serve" {
            println!(
                "  (serve's queue held {queued:.0} checks when the fixed-rate phase began and {:.0} at the end)",
                Counters::read().accepted
            );
        }
        fixed_phases.push(fixed);
    }
    // This machine's speed drifts by tens of percent within seconds to minutes: in each round the two targets run
    // back to back at each connection count, the one that goes first alternating by round, and the ratio reported
    // is the median round's.
    println!("\n  saturation slices (closed loop):");
    let mut rounds: Vec<(Saturation, Saturation)> = Vec::new();
    for round in 1..=SATURATION_ROUNDS {
        let mut base = Saturation { phases: Vec::new() };
        let mut serve = Saturation { phases: Vec::new() };
        for &connections in &args.saturation_connections {
            let client = load::client(connections);
            let mut order = [(&targets[0], &mut base), (&targets[1], &mut serve)];
            if round % 2 == 0 {
                order.reverse();
            }
            for ((target, url), saturation) in order {
                let saturated = phase(
                    format!("round {round}, {target} at {connections}"),
                    url,
                    &client,
                    &bodies,
                    None,
                    slice,
                    connections,
                )
                .await;
                saturated.print_row();
                saturation.phases.push((connections, saturated));
            }
        }
        rounds.push((base, serve));
    }
    stack.stop(Duration::from_secs(5)).await;
    baseline.stop();
    let ratio_of = |(base, serve): &(Saturation, Saturation)| serve.accepted_per_sec() / base.accepted_per_sec();
    rounds.sort_by(|a, b| ratio_of(a).total_cmp(&ratio_of(b)));
    let ratios: Vec<String> = rounds
        .iter()
        .map(|round| format!("{:.0}%", ratio_of(round) * 100.0))
        .collect();
    let median = &rounds[rounds.len() / 2];
    let ((base_connections, base_sat), (serve_connections, serve_sat)) = (median.0.best(), median.1.best());
    let ratio = ratio_of(median);
    let (base_fixed, serve_fixed) = (&fixed_phases[0], &fixed_phases[1]);
    let p99 = serve_fixed.run.latency(202).map(|s| s.p99).unwrap_or(Duration::MAX);
    let server_ms_per_check = serve_sat.server_cpu.as_secs_f64() * 1e3 / serve_sat.run.count_status(202).max(1) as f64;
    println!(
        "\n  serve at saturation (each target at its best of {:?} connections; median of {SATURATION_ROUNDS} rounds by ratio; ratios {}): {:.0}/s at {serve_connections} connections = {:.0}% of baseline ({:.0}/s at {base_connections}); server CPU {:.3} ms per accepted check",
        args.saturation_connections,
        ratios.join(", "),
        serve_sat.accepted_per_sec(),
        ratio * 100.0,
        base_sat.accepted_per_sec(),
        server_ms_per_check
    );
    println!(
        "  fixed rate {rate}/s: serve p99 {} ms (baseline {} ms)",
        ms(p99),
        base_fixed.run.latency(202).map_or_else(|| "-".into(), |s| ms(s.p99))
    );
    let saturation_errors: usize = rounds
        .iter()
        .flat_map(|(_, serve)| &serve.phases)
        .map(|(_, phase)| phase.run.errors(202))
        .sum();
    let errors = serve_fixed.run.errors(202) + saturation_errors;
    println!(
        "  target ≥ 5,000/s: {}  p99 ≤ 10 ms at {rate}/s: {}  ≥ 50% of baseline: {}  errors 0: {}",
        pass(serve_sat.accepted_per_sec() >= 5_000.0),
        pass(p99 <= Duration::from_millis(10)),
        pass(ratio >= 0.5),
        pass(errors == 0)
    );
    Ok(())
}

//! `shadowhunter bench judge`: the CPU a check costs without the network — each scenario's check is run once
//! against the sandbox with every provider answer recorded, then `run_check` is replayed on those answers
//! `--iterations` times (planning, judging, summarizing; no HTTP, no SQLite, no state machine), on one thread.
//!
//! The replay (after one unmeasured warm-up pass) is what `valgrind --tool=callgrind
//! --toggle-collect='*bench::judge::replay_all*'` measures; its instruction count over (iterations × checks) is the
//! judge's steady-state cost per check, repeatable on a busy machine.
//! `--save-recording FILE` keeps the recorded answers and `--recording FILE` replays them without a sandbox (under
//! valgrind the sandbox answers too slowly and some lookups time out, which would change what is judged).
//! `--dump FILE` writes every replayed report as one JSON line, to compare verdicts byte for byte across builds.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shadowhunter_core::pipeline;
use shadowhunter_core::ports::{Clock, FixedClock, Provider, Providers};
use shadowhunter_core::{Channel, Check, CheckId, Finding, Lookup, ProviderError, Report};
use shadowhunter_sandbox::Scenario;

use super::machine::process_cpu;
use crate::sandboxed::SandboxedWorlds;

/// One provider's answers, by lookup.
type Answers = HashMap<Lookup, Result<Vec<Finding>, ProviderError>>;

/// Passes the lookups through to the sandbox's adapter and keeps each answer, stamped `fetched_at` with the fixed
/// clock so that replays of different runs serialize alike (the judge never reads the stamp).
struct Recorder {
    inner: Arc<dyn Provider>,
    fetched_at: DateTime<Utc>,
    answers: Mutex<Answers>,
}

#[async_trait]
impl Provider for Recorder {
    fn channel(&self) -> Channel {
        self.inner.channel()
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }

    async fn lookup(&self, lookup: &Lookup) -> Result<Vec<Finding>, ProviderError> {
        let mut answer = self.inner.lookup(lookup).await;
        for finding in answer.iter_mut().flatten() {
            finding.fetched_at = self.fetched_at;
        }
        self.answers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(lookup.clone(), answer.clone());
        answer
    }
}

/// Answers from a recording; a lookup the recording never saw answers nothing.
struct Replay {
    channel: Channel,
    name: &'static str,
    answers: Answers,
}

#[async_trait]
impl Provider for Replay {
    fn channel(&self) -> Channel {
        self.channel
    }

    fn name(&self) -> &'static str {
        self.name
    }

    async fn lookup(&self, lookup: &Lookup) -> Result<Vec<Finding>, ProviderError> {
        self.answers.get(lookup).cloned().unwrap_or_else(|| Ok(Vec::new()))
    }
}

/// A scenario's check with each provider's recorded answers; what `--save-recording` writes.
#[derive(Serialize, Deserialize)]
struct RecordedCheck {
    check: Check,
    providers: Vec<RecordedProvider>,
}

#[derive(Serialize, Deserialize)]
struct RecordedProvider {
    channel: Channel,
    name: String,
    answers: Vec<(Lookup, Result<Vec<Finding>, ProviderError>)>,
}

/// The recorded checks and the sandbox address their URLs carry.
#[derive(Serialize, Deserialize)]
struct Recording {
    sandbox: SocketAddr,
    checks: Vec<RecordedCheck>,
}

/// Where the judge bench's checks come from and where its output goes.
pub struct JudgeOptions<'a> {
    pub iterations: usize,
    /// Replay this recording instead of recording the scenarios.
    pub recording: Option<&'a Path>,
    pub save_recording: Option<&'a Path>,
    pub dump: Option<&'a Path>,
}

/// Records every scenario's provider answers (or loads a recording), replays the checks `iterations` times,
/// prints the figures, and writes the replayed reports to `dump` when given.
pub async fn run(scenarios: &[Scenario], options: &JudgeOptions<'_>) -> anyhow::Result<()> {
    let clock = noon_of_eval_day();
    let recording = match options.recording {
        Some(path) => {
            let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => record(scenarios, &clock).await?,
    };
    if let Some(path) = options.save_recording {
        let text = serde_json::to_vec(&recording).context("a recording serializes")?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("judge: recording written to {}", path.display());
    }
    let replays: Vec<(Check, Providers)> = recording.checks.iter().map(replayable).collect();
    let iterations = options.iterations.max(1);
    let cold = Instant::now();
    replay_pass(&replays, &clock);
    let cold = cold.elapsed();
    let cpu_before = process_cpu();
    let started = Instant::now();
    let reports = replay_all(&replays, &clock, iterations);
    let (wall, cpu) = (started.elapsed(), process_cpu().saturating_sub(cpu_before));
    let checks = replays.len() * iterations;
    let sandbox = recording.sandbox.to_string();
    let mut lines = String::new();
    for report in &reports {
        let line = serde_json::to_string(&without_timings(report.clone())).context("a report serializes")?;
        // The sandbox's port changes from recording to recording; the URLs under it do not.
        let _ = writeln!(lines, "{}", line.replace(&sandbox, "sandbox"));
    }
    println!(
        "judge: warm-up pass {:.1} ms; {} checks × {iterations} iterations = {checks} replayed in {:.2} s wall, {:.2} s CPU = {:.3} ms CPU/check; reports digest {:016x}",
        cold.as_secs_f64() * 1e3,
        replays.len(),
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e3 / checks as f64,
        fnv1a(lines.as_bytes()),
    );
    if let Some(path) = options.dump {
        std::fs::write(path, &lines).with_context(|| format!("writing {}", path.display()))?;
        println!("judge: reports written to {}", path.display());
    }
    Ok(())
}

/// The clock `eval --now 2026-11-26` uses, so the replayed verdicts are the eval's.
fn noon_of_eval_day() -> FixedClock {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("a date");
    FixedClock(day.and_hms_opt(12, 0, 0).expect("noon exists").and_utc())
}

/// Runs each scenario's check once against the sandbox (no latency), keeping every provider answer.
async fn record(scenarios: &[Scenario], clock: &dyn Clock) -> anyhow::Result<Recording> {
    let worlds = SandboxedWorlds::start(scenarios, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let mut checks = Vec::new();
    for (n, scenario) in scenarios.iter().enumerate() {
        let mut check = Check::new(scenario.check_request()?, clock.now());
        check.id = CheckId::parse(&format!("chk_{n:032x}")).expect("a well-formed check id");
        let live = worlds.providers_for(&check.request.subject);
        let recorders: Vec<Arc<Recorder>> = Channel::ALL
            .iter()
            .filter_map(|channel| live.get(*channel))
            .map(|inner| {
                Arc::new(Recorder {
                    inner: inner.clone(),
                    fetched_at: clock.now(),
                    answers: Mutex::default(),
                })
            })
            .collect();
        let providers = recorders.iter().fold(Providers::default(), |providers, recorder| {
            providers.with(recorder.clone())
        });
        for channel in check.request.requested_channels() {
            pipeline::collect(&check, channel, &providers).await;
        }
        let providers = recorders
            .iter()
            .map(|recorder| {
                let answers = std::mem::take(&mut *recorder.answers.lock().unwrap_or_else(PoisonError::into_inner));
                RecordedProvider {
                    channel: recorder.channel(),
                    name: recorder.name().to_string(),
                    answers: answers.into_iter().collect(),
                }
            })
            .collect();
        checks.push(RecordedCheck { check, providers });
    }
    Ok(Recording {
        sandbox: worlds.sandbox.addr(),
        checks,
    })
}

/// A recorded check with providers that answer from its recording.
fn replayable(recorded: &RecordedCheck) -> (Check, Providers) {
    let providers = recorded
        .providers
        .iter()
        .fold(Providers::default(), |providers, provider| {
            providers.with(Arc::new(Replay {
                channel: provider.channel,
                // A provider name is `&'static`; a bench run holds a handful of them.
                name: Box::leak(provider.name.clone().into_boxed_str()),
                answers: provider.answers.iter().cloned().collect(),
            }))
        });
    (recorded.check.clone(), providers)
}

/// The measured part, after one warm-up pass (which builds the lazily compiled patterns and tables):
/// `iterations` passes over every recorded check on this thread; the last pass's reports.
#[inline(never)]
fn replay_all(replays: &[(Check, Providers)], clock: &dyn Clock, iterations: usize) -> Vec<Report> {
    let mut reports = Vec::new();
    for _ in 0..iterations {
        reports = replay_pass(replays, clock);
    }
    reports
}

/// One pass over the recorded checks: the steps the state machine runs, less the store and the JSON between
/// them — each channel collected (from the recording; the replayed providers never wait) and compared, which
/// derives the subject's profile as `compare_step` does, then the summary.
fn replay_pass(replays: &[(Check, Providers)], clock: &dyn Clock) -> Vec<Report> {
    replays
        .iter()
        .map(|(check, providers)| {
            let verdicts = check
                .request
                .requested_channels()
                .into_iter()
                .map(|channel| {
                    futures::executor::block_on(async {
                        let evidence = pipeline::collect(check, channel, providers).await;
                        pipeline::compare(check, &evidence, clock).await
                    })
                })
                .collect();
            pipeline::summarize(check, verdicts, clock)
        })
        .collect()
}

/// The report with its wall-clock figures zeroed: a replay takes 0–4 ms depending on the machine's load.
fn without_timings(mut report: Report) -> Report {
    report.elapsed_ms = 0;
    for verdict in report.channels.values_mut() {
        verdict.elapsed_ms = 0;
        for call in &mut verdict.calls {
            call.elapsed_ms = 0;
        }
    }
    report
}

/// FNV-1a, 64 bits: a short fingerprint of the reports to compare runs at a glance.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_is_fnv1a() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}

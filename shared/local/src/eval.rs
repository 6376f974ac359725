//! `shadowhunter eval DIR`: runs every scenario's request against its world and scores the reports (SCENARIOS.md).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use shadowhunter_core::llm::Llm;
use shadowhunter_core::ports::{CheckStore, Clock};
use shadowhunter_core::{Check, Flag, Report, RiskLevel};
use shadowhunter_sandbox::Scenario;

use crate::sandboxed::{SandboxedWorlds, load_scenarios};
use crate::store::SqliteStore;

/// How one scenario scored.
#[derive(Debug, Clone)]
pub struct ScenarioScore {
    pub id: String,
    pub expected_risk: RiskLevel,
    pub risk: Option<RiskLevel>,
    pub channels_right: usize,
    pub channels_expected: usize,
    /// `channel: expected→got` for each wrong verdict.
    pub channel_misses: Vec<String>,
    pub flags_missing: Vec<String>,
    pub flags_extra: Vec<String>,
    pub flags_true_positive: usize,
    pub provider_calls: usize,
    pub llm_calls: u32,
    pub llm_tokens: u64,
    pub elapsed_ms: u64,
    /// Why the scenario could not be run at all.
    pub failure: Option<String>,
}

impl ScenarioScore {
    /// The score of a scenario that could not be run at all.
    fn failed(id: String, expected_risk: RiskLevel, channels_expected: usize, elapsed_ms: u64, why: String) -> Self {
        Self {
            id,
            expected_risk,
            risk: None,
            channels_right: 0,
            channels_expected,
            channel_misses: Vec::new(),
            flags_missing: Vec::new(),
            flags_extra: Vec::new(),
            flags_true_positive: 0,
            provider_calls: 0,
            llm_calls: 0,
            llm_tokens: 0,
            elapsed_ms,
            failure: Some(why),
        }
    }
}

/// The totals `eval` prints on its last line.
#[derive(Debug, Clone, Default)]
pub struct EvalSummary {
    pub scenarios: usize,
    pub channel_accuracy: f64,
    pub risk_accuracy: f64,
    pub high_recall: f64,
    pub flag_precision: f64,
    pub flag_recall: f64,
    pub llm_calls_per_check: f64,
    pub llm_tokens_per_check: f64,
    pub provider_calls_per_check: f64,
    pub wall_ms: u64,
    pub failed: usize,
}

impl EvalSummary {
    /// The one `key=value` line SCENARIOS.md specifies.
    pub fn line(&self) -> String {
        format!(
            "scenarios={} channel_accuracy={:.3} risk_accuracy={:.3} high_recall={:.3} flag_precision={:.3} flag_recall={:.3} llm_calls_per_check={:.2} llm_tokens_per_check={:.0} provider_calls_per_check={:.1} wall_ms={} failed={}",
            self.scenarios,
            self.channel_accuracy,
            self.risk_accuracy,
            self.high_recall,
            self.flag_precision,
            self.flag_recall,
            self.llm_calls_per_check,
            self.llm_tokens_per_check,
            self.provider_calls_per_check,
            self.wall_ms,
            self.failed
        )
    }
}

/// How `eval` runs: the clock, how many scenarios at once, and the LLM (none: the deterministic judge alone).
#[derive(Clone)]
pub struct EvalOptions {
    pub clock: Arc<dyn Clock>,
    pub parallelism: usize,
    pub llm: Option<Arc<dyn Llm>>,
}

/// Runs every scenario under `dir` and scores it.
pub async fn evaluate(dir: &Path, options: &EvalOptions) -> anyhow::Result<(Vec<ScenarioScore>, EvalSummary)> {
    let (clock, parallelism) = (&options.clock, options.parallelism);
    let started = Instant::now();
    let (scenarios, load_failures) = load_scenarios(dir)?;
    let worlds = SandboxedWorlds::start(&scenarios, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let store: Arc<dyn CheckStore> = Arc::new(SqliteStore::in_memory()?);
    let mut scores: Vec<ScenarioScore> = futures::stream::iter(scenarios.iter())
        .map(|scenario| run_one(scenario, &worlds, &store, options.llm.clone(), clock))
        .buffered(parallelism.max(1))
        .collect()
        .await;
    scores.extend(load_failures.into_iter().map(|failure| {
        ScenarioScore::failed(
            failure.path.display().to_string(),
            RiskLevel::Low,
            0,
            0,
            failure.message,
        )
    }));
    let summary = summarize(&scores, started.elapsed().as_millis() as u64);
    Ok((scores, summary))
}

async fn run_one(
    scenario: &Scenario,
    worlds: &SandboxedWorlds,
    store: &Arc<dyn CheckStore>,
    llm: Option<Arc<dyn Llm>>,
    clock: &Arc<dyn Clock>,
) -> ScenarioScore {
    let started = Instant::now();
    let outcome = async {
        let request = scenario.check_request()?;
        let check = Check::new(request, clock.now());
        let providers = worlds.provider_config(&scenario.id).build(&reqwest_client());
        store.insert_check(&check).await?;
        let report = crate::workflow::run_check(&check, &providers, Arc::clone(store), Arc::clone(clock), llm).await?;
        anyhow::Ok(report)
    }
    .await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(report) => score(scenario, &report, elapsed_ms),
        Err(error) => ScenarioScore::failed(
            scenario.id.clone(),
            scenario.expected.risk,
            scenario.expected.channels.len(),
            elapsed_ms,
            format!("{error:#}"),
        ),
    }
}

fn reqwest_client() -> reqwest::Client {
    static CLIENT: std::sync::LazyLock<reqwest::Client> =
        std::sync::LazyLock::new(shadowhunter_providers::http::client);
    CLIENT.clone()
}

/// Scores one report against the scenario's expectations.
pub fn score(scenario: &Scenario, report: &Report, elapsed_ms: u64) -> ScenarioScore {
    let mut channels_right = 0;
    let mut channel_misses = Vec::new();
    for (channel, expected) in &scenario.expected.channels {
        let got = report.channels.get(channel.as_str()).map(|verdict| verdict.verdict);
        if got == Some(*expected) {
            channels_right += 1;
        } else {
            channel_misses.push(format!(
                "{channel}: {}→{}",
                expected.as_str(),
                got.map(|verdict| verdict.as_str()).unwrap_or("missing")
            ));
        }
    }
    let expected_flags: BTreeSet<&str> = scenario.expected.flags.iter().map(String::as_str).collect();
    let reported: BTreeSet<&str> = report
        .flags
        .iter()
        .map(|flag| flag.as_str())
        .filter(|flag| Flag::parse(flag).is_some())
        .collect();
    ScenarioScore {
        id: scenario.id.clone(),
        expected_risk: scenario.expected.risk,
        risk: Some(report.risk),
        channels_right,
        channels_expected: scenario.expected.channels.len(),
        channel_misses,
        flags_missing: expected_flags
            .difference(&reported)
            .map(|flag| flag.to_string())
            .collect(),
        flags_extra: reported
            .difference(&expected_flags)
            .map(|flag| flag.to_string())
            .collect(),
        flags_true_positive: expected_flags.intersection(&reported).count(),
        provider_calls: report.provider_calls,
        llm_calls: report.llm.calls,
        llm_tokens: report.llm.tokens(),
        elapsed_ms,
        failure: None,
    }
}

fn per_check(total: u64, checks: usize) -> f64 {
    if checks == 0 { 0.0 } else { total as f64 / checks as f64 }
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        1.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// Sums the scores over the directory.
pub fn summarize(scores: &[ScenarioScore], wall_ms: u64) -> EvalSummary {
    let ran: Vec<&ScenarioScore> = scores.iter().filter(|score| score.failure.is_none()).collect();
    let sum = |pick: fn(&ScenarioScore) -> usize| ran.iter().map(|score| pick(score)).sum::<usize>();
    let high: Vec<&&ScenarioScore> = ran
        .iter()
        .filter(|score| score.expected_risk == RiskLevel::High)
        .collect();
    let true_positive = sum(|score| score.flags_true_positive);
    EvalSummary {
        scenarios: scores.len(),
        channel_accuracy: ratio(sum(|score| score.channels_right), sum(|score| score.channels_expected)),
        risk_accuracy: ratio(
            ran.iter()
                .filter(|score| score.risk == Some(score.expected_risk))
                .count(),
            ran.len(),
        ),
        high_recall: ratio(
            high.iter().filter(|score| score.risk == Some(RiskLevel::High)).count(),
            high.len(),
        ),
        flag_precision: ratio(true_positive, true_positive + sum(|score| score.flags_extra.len())),
        flag_recall: ratio(true_positive, true_positive + sum(|score| score.flags_missing.len())),
        llm_calls_per_check: per_check(ran.iter().map(|score| u64::from(score.llm_calls)).sum(), ran.len()),
        llm_tokens_per_check: per_check(ran.iter().map(|score| score.llm_tokens).sum(), ran.len()),
        provider_calls_per_check: if ran.is_empty() {
            0.0
        } else {
            ratio(sum(|score| score.provider_calls), ran.len())
        },
        wall_ms,
        failed: scores.len() - ran.len(),
    }
}

/// The per-scenario table `eval` prints before its summary line.
pub fn table(scores: &[ScenarioScore]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<44} {:<13} {:>8} {:>6}  differences",
        "scenario", "risk exp/got", "channels", "ms"
    );
    for score in scores {
        let risk = format!(
            "{}/{}",
            score.expected_risk.as_str(),
            score.risk.map(|risk| risk.as_str()).unwrap_or("-")
        );
        let mut differences = score.channel_misses.clone();
        differences.extend(score.flags_missing.iter().map(|flag| format!("missing {flag}")));
        differences.extend(score.flags_extra.iter().map(|flag| format!("extra {flag}")));
        if let Some(failure) = &score.failure {
            differences = vec![format!("FAILED: {failure}")];
        }
        let _ = writeln!(
            out,
            "{:<44} {:<13} {:>8} {:>6}  {}",
            truncate(&score.id, 44),
            risk,
            format!("{}/{}", score.channels_right, score.channels_expected),
            score.elapsed_ms,
            if differences.is_empty() {
                "-".to_string()
            } else {
                differences.join("; ")
            }
        );
    }
    out
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let kept: String = text
            .chars()
            .rev()
            .take(width - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{kept}")
    }
}

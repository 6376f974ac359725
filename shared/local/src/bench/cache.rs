//! The cache bench: the same open-loop load twice, `--cache off` then `--cache on`, where about 30% of checks repeat
//! a recent subject and the rest are subjects never seen before; provider calls per check from the metrics.
//!
//! Fresh subjects need worlds of their own (a subject the sandbox does not know goes to the empty world, which
//! answers differently). Each is a copy of a bundled scenario with its distinctive name word made unique throughout
//! the scenario — request and world alike (`Brinkhoff` → `Brinkhoffqab`, `brinkhoff-beschlag.example` →
//! `brinkhoffqab-beschlag.example`) — so it matches like the original and is cached under its own world.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use shadowhunter_sandbox::{LatencyProfile, Scenario};

use super::e2e::{Workload, run_once};
use super::schedule::{Pick, fresh_count, repeat_plan};
use super::server::{Runtimes, Stack, StackOptions};
use super::{BenchArgs, TempDir, pass};

/// `k` as lowercase letters after a `q` (`qa`, `qb`, …, `qba`): a suffix that keeps a name word one word.
pub fn suffix(mut k: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'a' + (k % 26) as u8);
        k /= 26;
        if k == 0 {
            break;
        }
    }
    letters.push(b'q');
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// The word of `scenario`'s subject name that the copies make unique: its first ASCII word of 4+ letters.
fn distinctive_word(scenario: &Scenario) -> Option<String> {
    let name = scenario.request["subject"]["name"].as_str()?;
    name.split(|c: char| !c.is_ascii_alphabetic())
        .find(|word| word.len() >= 4)
        .map(str::to_string)
}

/// Copy `k` of `scenario`, its distinctive word suffixed everywhere (as written, lower and upper case).
pub fn variant(scenario: &Scenario, k: usize) -> Option<Scenario> {
    let word = distinctive_word(scenario)?;
    let tail = suffix(k);
    let mut text = serde_json::to_string(scenario).ok()?;
    text = text.replace(&word, &format!("{word}{tail}"));
    let lower = word.to_lowercase();
    if lower != word {
        text = text.replace(&lower, &format!("{lower}{tail}"));
    }
    let upper = word.to_uppercase();
    if upper != word {
        text = text.replace(&upper, &format!("{upper}{}", tail.to_uppercase()));
    }
    let mut copy: Scenario = serde_json::from_str(&text).ok()?;
    copy.id = format!("{}~{tail}", scenario.id);
    copy.check_request().ok()?;
    Some(copy)
}

/// `count` fresh scenarios, copies of the bundled ones in rotation.
fn fresh_scenarios(scenarios: &[Scenario], count: usize) -> Vec<Scenario> {
    let templates: Vec<&Scenario> = scenarios.iter().filter(|s| variant(s, 0).is_some()).collect();
    (0..count)
        .filter_map(|k| variant(templates[k % templates.len()], k))
        .collect()
}

pub async fn run(args: &BenchArgs, runtimes: &Runtimes, scenarios: &[Scenario]) -> anyhow::Result<()> {
    let duration = args.duration_or(20);
    let rate = f64::from(args.cache_rate);
    let count = (rate * duration.as_secs_f64()).round() as usize;
    let plan = repeat_plan(count, args.repeat_share, args.repeat_window, 0x5eed);
    let fresh = fresh_scenarios(scenarios, fresh_count(&plan));
    anyhow::ensure!(
        fresh.len() == fresh_count(&plan),
        "could not make enough fresh subjects"
    );
    let repeats = plan.iter().filter(|pick| matches!(pick, Pick::Repeat(_))).count();
    println!(
        "\n== cache: {} checks at {}/s; {} fresh subjects (copies of the {} scenarios with a unique name), {} repeats ({:.1}%) of one of the last {} fresh; realistic latency, {} workers",
        count,
        args.cache_rate,
        fresh.len(),
        scenarios.len(),
        repeats,
        repeats as f64 * 100.0 / count as f64,
        args.repeat_window,
        args.workers
    );
    let body = |scenario: &Scenario| Bytes::from(serde_json::to_vec(&scenario.request).expect("JSON serializes"));
    let fresh_bodies: Vec<Bytes> = fresh.iter().map(body).collect();
    let scenario_of = |pick: &Pick| match pick {
        Pick::Fresh(n) | Pick::Repeat(n) => *n,
    };
    let workload = Workload {
        bodies: Arc::new(
            plan.iter()
                .map(|pick| fresh_bodies[scenario_of(pick)].clone())
                .collect(),
        ),
        faulty: Arc::new(
            plan.iter()
                .map(|pick| !fresh[scenario_of(pick)].world.faults.is_empty())
                .collect(),
        ),
    };
    let mut worlds = scenarios.to_vec();
    worlds.extend(fresh);
    let mut per_check = Vec::new();
    for cache in [false, true] {
        let data = TempDir::new("cache")?;
        let stack = Stack::start(
            runtimes,
            StackOptions {
                scenarios: worlds.clone(),
                latency: LatencyProfile::Realistic,
                cache,
                workers: Some(args.workers),
                queue_depth: 1_000_000,
                data_dir: data.0.clone(),
            },
        )
        .await?;
        let result = run_once(
            &stack,
            &workload,
            rate,
            duration,
            args.connections,
            Duration::from_secs(args.drain),
        )
        .await?;
        stack.stop(Duration::from_secs(10)).await;
        result.print(&format!("cache {}", if cache { "on" } else { "off" }));
        let c = result.counters;
        per_check.push(c.provider_calls / (c.completed + c.failed).max(1.0));
    }
    let drop = 1.0 - per_check[1] / per_check[0];
    println!(
        "  provider calls per check: cache off {:.2}, cache on {:.2}: {:.1}% fewer; target ≥ 25%: {}",
        per_check[0],
        per_check[1],
        drop * 100.0,
        pass(drop >= 0.25)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_renames_its_subject_in_the_request_and_the_world_alike() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sandbox/scenarios");
        let (scenarios, _) = crate::sandboxed::load_scenarios(&dir).expect("bundled scenarios load");
        let original = scenarios
            .iter()
            .find(|s| s.id == "p01-de-gmbh-hinge-maker")
            .expect("p01 is bundled");
        let copy = variant(original, 3).expect("a copy");
        assert_eq!(copy.id, "p01-de-gmbh-hinge-maker~qd");
        assert_eq!(copy.request["subject"]["name"], "Brinkhoffqd Beschlagtechnik GmbH");
        assert_eq!(
            copy.request["subject"]["website"],
            "http://brinkhoffqd-beschlag.example"
        );
        let world = serde_json::to_string(&copy.world).expect("serializes");
        assert!(world.contains("Brinkhoffqd Beschlagtechnik"));
        assert!(!world.contains("Brinkhoff "), "no mention of the original name is left");
        assert_ne!(variant(original, 4).expect("a copy").request, copy.request);
    }

    #[test]
    fn suffixes_are_distinct_letter_runs() {
        assert_eq!(suffix(0), "qa");
        assert_eq!(suffix(25), "qz");
        assert_eq!(suffix(26), "qba");
        let all: std::collections::HashSet<String> = (0..5_000).map(suffix).collect();
        assert_eq!(all.len(), 5_000);
    }
}

//! `shadowhunter demo`: the bundled example scenarios through the full local pipeline — queue, workers, SQLite, sandbox.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use shadowhunter_core::ports::{CheckStore, Clock, SystemClock};
use shadowhunter_core::{Check, CheckStatus, RiskLevel};

use crate::app::{PipelineRunner, ProviderSource};
use crate::queue::{QueueConfig, SqliteQueue, WorkerPool};
use crate::render;
use crate::sandboxed::{SandboxedWorlds, load_scenarios};
use crate::store::SqliteStore;

/// The example scenarios shipped with the project.
pub const BUNDLED_SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sandbox/scenarios");

pub async fn run(scenarios_dir: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = scenarios_dir.unwrap_or(Path::new(BUNDLED_SCENARIOS));
    let (scenarios, failures) =
        load_scenarios(dir).with_context(|| format!("reading scenarios in {}", dir.display()))?;
    for failure in &failures {
        eprintln!("skipped {failure}");
    }
    let worlds = Arc::new(SandboxedWorlds::start(&scenarios, SocketAddr::from(([127, 0, 0, 1], 0))).await?);
    let data_dir = std::env::temp_dir().join(format!("shadowhunter-demo-{}", std::process::id()));
    let store = SqliteStore::open(data_dir.join("demo.db"))?;
    let queue = SqliteQueue::open(&store, QueueConfig::default())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store: Arc<dyn CheckStore> = Arc::new(store);
    let runner = Arc::new(PipelineRunner {
        providers: ProviderSource::Sandbox(Arc::clone(&worlds)),
        store: Arc::clone(&store),
        clock: Arc::clone(&clock),
        llm: None,
    });
    let pool = WorkerPool::start(Arc::clone(&store), queue.clone(), runner, 16);
    let mut submitted = Vec::new();
    for scenario in &scenarios {
        let check = Check::new(scenario.check_request()?, clock.now());
        store.insert_check(&check).await?;
        submitted.push((scenario, check.id.clone()));
    }
    let ids: Vec<_> = submitted.iter().map(|(_, id)| id.clone()).collect();
    queue.enqueue(&ids).await?;
    let mut agreed = 0;
    let mut counts = [0usize; 3];
    for (scenario, id) in &submitted {
        let record = wait_until_finished(store.as_ref(), id).await?;
        let Some(report) = record.report else {
            println!("{} failed: {}", scenario.id, record.error.unwrap_or_default());
            continue;
        };
        counts[report.risk as usize] += 1;
        if report.risk == scenario.expected.risk {
            agreed += 1;
        }
        if json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            println!(
                "── {} (analyst expects {} risk)",
                scenario.id,
                scenario.expected.risk.as_str()
            );
            println!("{}", render::report_table(&report));
        }
    }
    pool.shutdown().await;
    drop(worlds);
    let _ = std::fs::remove_dir_all(&data_dir);
    println!(
        "demo: {} checks through queue → workers → state machine (statemachine/check.asl.json: 6 channels collected and judged in parallel → summary); risk low={} medium={} high={}; {} of {} agree with the analyst; wall {:.2} s",
        submitted.len(),
        counts[RiskLevel::Low as usize],
        counts[RiskLevel::Medium as usize],
        counts[RiskLevel::High as usize],
        agreed,
        submitted.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn wait_until_finished(
    store: &dyn CheckStore,
    id: &shadowhunter_core::CheckId,
) -> anyhow::Result<shadowhunter_core::ports::CheckRecord> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let record = store.get_check(id).await?;
        if let Some(record) = record.filter(|record| matches!(record.status, CheckStatus::Done | CheckStatus::Failed)) {
            return Ok(record);
        }
        anyhow::ensure!(Instant::now() < deadline, "check {id} did not finish within 120 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

//! `shadowhunter serve`: the HTTP API over the SQLite store, the durable queue and the worker pool.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::ValueEnum;
use shadowhunter_core::llm::Llm;
use shadowhunter_core::ports::{CheckStore, Clock, SystemClock};
use shadowhunter_providers::resilient::{CacheSettings, Resilience};
use shadowhunter_providers::{LimitsTable, ProviderConfig};
use shadowhunter_sandbox::LatencyProfile;

use crate::api::{ApiState, router};
use crate::app::{PipelineRunner, ProviderSource};
use crate::metrics::{MeteredLlm, provider_observer};
use crate::queue::{QueueConfig, SqliteQueue, WorkerPool};
use crate::response_cache::SqliteResponseCache;
use crate::sandboxed::{SandboxOptions, SandboxedWorlds, load_scenarios};
use crate::store::SqliteStore;

/// `--latency`: how slowly the sandbox answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Latency {
    /// At once.
    None,
    /// Each provider's typical latency with jitter and a tail (search ~300 ms, LinkedIn ~800 ms, …).
    Realistic,
}

impl From<Latency> for LatencyProfile {
    fn from(latency: Latency) -> Self {
        match latency {
            Latency::None => LatencyProfile::None,
            Latency::Realistic => LatencyProfile::Realistic,
        }
    }
}

/// An on/off switch flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// `--limits`: which provider quotas apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Limits {
    /// Each provider's published quota (overridable with `<PROVIDER>_RPS`, `<PROVIDER>_MAX_CONCURRENCY`).
    Quota,
    /// No rate limits or concurrency caps; circuit breakers stay on.
    Off,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Where the SQLite database lives.
    #[arg(long, value_name = "DIR", default_value = ".shadowhunter")]
    pub data_dir: PathBuf,
    /// Also start the sandbox with the worlds of every scenario in DIR and point all providers at it.
    #[arg(long, value_name = "DIR")]
    pub sandbox: Option<PathBuf>,
    /// Checks run at once.
    #[arg(long, default_value_t = 64)]
    pub workers: usize,
    /// Checks the queue holds before POST /checks answers 429.
    #[arg(long, default_value_t = 10_000)]
    pub queue_depth: usize,
    /// How slowly the sandbox answers (with --sandbox).
    #[arg(long, value_enum, default_value_t = Latency::None)]
    pub latency: Latency,
    /// Cache provider answers (memory, then the `response_cache` table) and coalesce identical lookups in flight.
    #[arg(long, value_enum, default_value_t = Switch::On)]
    pub cache: Switch,
    /// Provider quotas; the default is `quota` for real providers and `off` with --sandbox, whose worlds have none.
    #[arg(long, value_enum)]
    pub limits: Option<Limits>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let database = args.data_dir.join("shadowhunter.db");
    let store = SqliteStore::open(&database).with_context(|| format!("opening {}", database.display()))?;
    let queue = SqliteQueue::open(
        &store,
        QueueConfig {
            max_depth: args.queue_depth,
            ..QueueConfig::default()
        },
    )?;
    let limits = match args.limits {
        Some(Limits::Quota) => LimitsTable::from_env(),
        Some(Limits::Off) => LimitsTable::unlimited(),
        None if args.sandbox.is_some() => LimitsTable::unlimited(),
        None => LimitsTable::from_env(),
    };
    let cache = match args.cache {
        Switch::On => Some(CacheSettings {
            durable: Some(Arc::new(SqliteResponseCache::open(&store)?)),
            ..CacheSettings::default()
        }),
        Switch::Off => None,
    };
    let resilience = Arc::new(Resilience::new(limits, cache, provider_observer()));
    let providers = match &args.sandbox {
        Some(dir) => {
            let (scenarios, failures) =
                load_scenarios(dir).with_context(|| format!("reading scenarios in {}", dir.display()))?;
            for failure in &failures {
                eprintln!("skipped {failure}");
            }
            let options = SandboxOptions {
                latency: args.latency.into(),
                resilience: Some(Arc::clone(&resilience)),
            };
            let worlds =
                SandboxedWorlds::start_with(&scenarios, SocketAddr::from(([127, 0, 0, 1], 0)), options).await?;
            eprintln!(
                "sandbox on http://{} with {} scenario worlds (latency {:?})",
                worlds.sandbox.addr(),
                scenarios.len(),
                args.latency
            );
            ProviderSource::Sandbox(Arc::new(worlds))
        }
        None => {
            if args.latency != Latency::None {
                eprintln!("--latency applies to the sandbox only; ignored without --sandbox");
            }
            let config = ProviderConfig::from_env();
            let client = shadowhunter_providers::http::client();
            ProviderSource::Configured(config.build_with(&client, |adapter| resilience.wrap(adapter, "")))
        }
    };
    let llm = shadowhunter_providers::llm::client_from_env()?.map(|llm| Arc::new(MeteredLlm::new(llm)) as Arc<dyn Llm>);
    let store: Arc<dyn CheckStore> = Arc::new(store);
    let runner = Arc::new(PipelineRunner {
        providers,
        store: Arc::clone(&store),
        clock: Arc::clone(&clock),
        llm,
    });
    let pool = WorkerPool::start(Arc::clone(&store), queue.clone(), runner, args.workers);
    let app = router(ApiState::new(store, queue, clock));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port)))
        .await
        .with_context(|| format!("binding port {}", args.port))?;
    eprintln!(
        "listening on http://{} (data in {}; cache {:?}; metrics at /metrics)",
        listener.local_addr()?,
        args.data_dir.display(),
        args.cache
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    pool.shutdown().await;
    Ok(())
}

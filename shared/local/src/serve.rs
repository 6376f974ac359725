//! `shadowhunter serve`: the HTTP API over the SQLite store, the durable queue and the worker pool.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use shadowhunter_core::ports::{CheckStore, Clock, SystemClock};
use shadowhunter_providers::ProviderConfig;

use crate::api::{ApiState, router};
use crate::app::{PipelineRunner, ProviderSource, llm_from_env};
use crate::queue::{QueueConfig, SqliteQueue, WorkerPool};
use crate::sandboxed::{SandboxedWorlds, load_scenarios};
use crate::store::SqliteStore;

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
    let providers = match &args.sandbox {
        Some(dir) => {
            let (scenarios, failures) =
                load_scenarios(dir).with_context(|| format!("reading scenarios in {}", dir.display()))?;
            for failure in &failures {
                eprintln!("skipped {failure}");
            }
            let worlds = SandboxedWorlds::start(&scenarios, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
            eprintln!(
                "sandbox on http://{} with {} scenario worlds",
                worlds.sandbox.addr(),
                scenarios.len()
            );
            ProviderSource::Sandbox(Arc::new(worlds))
        }
        None => ProviderSource::Configured(ProviderConfig::from_env().build(&shadowhunter_providers::http::client())),
    };
    let store: Arc<dyn CheckStore> = Arc::new(store);
    let runner = Arc::new(PipelineRunner {
        providers,
        store: Arc::clone(&store),
        clock: Arc::clone(&clock),
        llm: llm_from_env()?,
    });
    let pool = WorkerPool::start(Arc::clone(&store), queue.clone(), runner, args.workers);
    let app = router(ApiState::new(store, queue, clock));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port)))
        .await
        .with_context(|| format!("binding port {}", args.port))?;
    eprintln!(
        "listening on http://{} (data in {})",
        listener.local_addr()?,
        args.data_dir.display()
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    pool.shutdown().await;
    Ok(())
}

//! What the benches load: the `serve` stack started in process on its own runtime (real socket, SQLite file in a
//! temp dir, the sandbox on another runtime), and the bare axum baseline.
//!
//! [`Stack::start`] wires exactly what `shadowhunter serve --sandbox DIR` wires (`crate::serve::run`): the
//! `SqliteStore` and `SqliteQueue` in one file, the resilient providers with `LimitsTable::unlimited()` (the
//! sandbox default) and the optional response cache, the `PipelineRunner` with the deterministic judge, the
//! `WorkerPool` and the API router — but on port 0 and stoppable, so a bench can start and stop it per run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use shadowhunter_core::ports::{CheckStore, Clock, SystemClock};
use shadowhunter_providers::LimitsTable;
use shadowhunter_providers::resilient::{CacheSettings, Resilience};
use shadowhunter_sandbox::{LatencyProfile, Scenario};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use crate::api::{ApiState, router};
use crate::app::{PipelineRunner, ProviderSource};
use crate::metrics::provider_observer;
use crate::queue::{QueueConfig, SqliteQueue, WorkerPool};
use crate::response_cache::SqliteResponseCache;
use crate::sandboxed::{SandboxOptions, SandboxedWorlds};
use crate::store::SqliteStore;

use super::{SANDBOX_THREADS, SERVER_THREADS};

/// The service's runtime and the sandbox's, apart from the load generator's (the caller's), so each one's CPU can
/// be told apart by thread name.
pub struct Runtimes {
    pub server: Runtime,
    pub sandbox: Runtime,
}

impl Runtimes {
    /// The server with as many worker threads as cores (what `#[tokio::main]` gives `serve`), the sandbox with one.
    pub fn new() -> std::io::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(Self {
            server: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(cores)
                .thread_name(SERVER_THREADS)
                // Blocking threads (SQLite) stay alive, so their CPU time is still there to read at the end.
                .thread_keep_alive(Duration::from_secs(3_600))
                .enable_all()
                .build()?,
            sandbox: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name(SANDBOX_THREADS)
                .thread_keep_alive(Duration::from_secs(3_600))
                .enable_all()
                .build()?,
        })
    }

    /// Stops both without waiting (they may be dropped inside the caller's runtime).
    pub fn close(self) {
        self.server.shutdown_background();
        self.sandbox.shutdown_background();
    }
}

/// How to start the stack.
pub struct StackOptions {
    /// The worlds the sandbox serves (a request whose subject is a scenario's goes to that world).
    pub scenarios: Vec<Scenario>,
    pub latency: LatencyProfile,
    /// `--cache on`: memory + SQLite response cache and coalescing.
    pub cache: bool,
    /// Worker pool size; `None` starts no workers (checks stay queued: ingest only).
    pub workers: Option<usize>,
    pub queue_depth: usize,
    /// Where `shadowhunter.db` goes.
    pub data_dir: PathBuf,
}

/// A running stack.
pub struct Stack {
    pub addr: SocketAddr,
    pub database: PathBuf,
    pool: Option<WorkerPool>,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl Stack {
    pub async fn start(runtimes: &Runtimes, options: StackOptions) -> anyhow::Result<Self> {
        let database = options.data_dir.join("shadowhunter.db");
        let store = SqliteStore::open(&database).with_context(|| format!("opening {}", database.display()))?;
        let queue = SqliteQueue::open(
            &store,
            QueueConfig {
                max_depth: options.queue_depth,
                ..QueueConfig::default()
            },
        )?;
        let cache = if options.cache {
            Some(CacheSettings {
                durable: Some(Arc::new(SqliteResponseCache::open(&store)?)),
                ..CacheSettings::default()
            })
        } else {
            None
        };
        let resilience = Arc::new(Resilience::new(LimitsTable::unlimited(), cache, provider_observer()));
        let sandbox_options = SandboxOptions {
            latency: options.latency,
            resilience: Some(resilience),
        };
        let scenarios = options.scenarios;
        let worlds = runtimes
            .sandbox
            .spawn(async move {
                SandboxedWorlds::start_with(&scenarios, SocketAddr::from(([127, 0, 0, 1], 0)), sandbox_options).await
            })
            .await??;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store: Arc<dyn CheckStore> = Arc::new(store);
        let runner = Arc::new(PipelineRunner {
            providers: ProviderSource::Sandbox(Arc::new(worlds)),
            store: Arc::clone(&store),
            clock: Arc::clone(&clock),
            llm: None,
        });
        let workers = options.workers;
        let (stop, stopped) = oneshot::channel::<()>();
        let (addr, pool, server) = runtimes
            .server
            .spawn(async move {
                let pool = workers.map(|n| WorkerPool::start(Arc::clone(&store), queue.clone(), runner, n));
                let app = router(ApiState::new(store, queue, clock));
                let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
                let addr = listener.local_addr()?;
                let server = tokio::spawn(async move {
                    let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                        let _ = stopped.await;
                    });
                    if let Err(err) = serving.await {
                        eprintln!("bench: the API server stopped: {err}");
                    }
                });
                anyhow::Ok((addr, pool, server))
            })
            .await??;
        Ok(Self {
            addr,
            database,
            pool,
            stop,
            server,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops accepting, then lets the checks in flight finish (bounded by `grace`).
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(grace, self.server).await;
        if let Some(pool) = self.pool {
            let _ = tokio::time::timeout(grace, pool.shutdown()).await;
        }
    }
}

/// The bare axum baseline: `POST /checks` reads the body and answers `202` with a fixed `Accepted` body.
pub struct Baseline {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
}

impl Baseline {
    pub async fn start(runtimes: &Runtimes) -> anyhow::Result<Self> {
        let (stop, stopped) = oneshot::channel::<()>();
        let addr = runtimes
            .server
            .spawn(async move {
                let app = Router::new().route(
                    "/checks",
                    post(|_body: Bytes| async {
                        (
                            StatusCode::ACCEPTED,
                            [("content-type", "application/json")],
                            r#"{"id":"chk_00000000000000000000000000000000","status":"queued","reference":null}"#,
                        )
                    }),
                );
                let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
                let addr = listener.local_addr()?;
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
                anyhow::Ok(addr)
            })
            .await??;
        Ok(Self { addr, stop })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn stop(self) {
        let _ = self.stop.send(());
    }
}

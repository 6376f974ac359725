//! `shadowhunter`: the local runner and CLI — check, serve, demo, eval, sandbox.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use shadowhunter_core::ports::{CheckStore, Clock, FixedClock, SystemClock};
use shadowhunter_core::{Check, CheckRequest};
use shadowhunter_local::app::{PipelineRunner, ProviderSource};
use shadowhunter_local::execution_store::PriorRun;
use shadowhunter_local::runner::CheckRunner;
use shadowhunter_local::sandboxed::{SandboxedWorlds, load_scenarios};
use shadowhunter_local::store::SqliteStore;
use shadowhunter_local::{demo, eval, render, serve};
use shadowhunter_providers::ProviderConfig;

#[derive(Parser)]
#[command(
    name = "shadowhunter",
    version,
    about = "Background checks (KYB) over six evidence channels, run locally."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs one check (a POST /checks body from FILE, or `-` for stdin) and prints its report.
    Check {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Check against the sandbox worlds of the scenarios in DIR instead of the configured providers.
        #[arg(long, value_name = "DIR")]
        sandbox: Option<PathBuf>,
        /// Pin "today" (YYYY-MM-DD) for domain-age rules.
        #[arg(long)]
        now: Option<String>,
    },
    /// Serves the HTTP API (POST /checks, POST /checks/batch, GET /checks/{id}) with a durable queue and workers.
    Serve(serve::ServeArgs),
    /// Runs the bundled example scenarios end to end against the in-process sandbox and prints their reports.
    Demo {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Scenario folder to use instead of the bundled examples.
        #[arg(long, value_name = "DIR")]
        scenarios: Option<PathBuf>,
    },
    /// Scores the judge on every scenario under DIR (SCENARIOS.md) and prints a table and a key=value line.
    Eval {
        dir: PathBuf,
        #[arg(long)]
        now: Option<String>,
        /// Review with the OpenAI-compatible endpoint at URL (e.g. http://127.0.0.1:8091/v1); key from LLM_API_KEY.
        #[arg(long, value_name = "URL")]
        llm_url: Option<String>,
        #[arg(long, default_value = "gpt-4o-mini")]
        llm_model: String,
        /// Scenarios run at once.
        #[arg(long, default_value_t = 8)]
        parallel: usize,
    },
    /// Serves an OpenAI-compatible chat endpoint that answers every call validly and changes nothing
    /// (for measuring the LLM path's call budget with `eval --llm-url`).
    LlmSandbox {
        #[arg(long, default_value_t = 8091)]
        port: u16,
    },
    /// Load benchmarks against `serve` started in process on loopback (docs/PERFORMANCE.md); prints figures and the machine.
    Bench(shadowhunter_local::bench::BenchArgs),
    /// The AWS capacity model at a rate: concurrency per Lambda, the quotas touched, cost per million checks.
    Capacity(shadowhunter_local::capacity::CapacityArgs),
    /// Serves the scenario worlds of DIR as the providers' APIs on a loopback port.
    Sandbox {
        #[arg(long, value_name = "DIR")]
        scenarios: PathBuf,
        #[arg(long, default_value_t = 8090)]
        port: u16,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let outcome = match Cli::parse().command {
        Command::Check {
            file,
            format,
            sandbox,
            now,
        } => check(&file, format, sandbox.as_deref(), now.as_deref()).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Demo { format, scenarios } => demo::run(scenarios.as_deref(), matches!(format, Format::Json)).await,
        Command::Eval {
            dir,
            now,
            parallel,
            llm_url,
            llm_model,
        } => {
            let llm = llm_url.map(|url| {
                let mut config = shadowhunter_providers::llm::LlmConfig::new(url, llm_model);
                if let Ok(key) = std::env::var("LLM_API_KEY") {
                    config = config.with_api_key(key);
                }
                shadowhunter_providers::llm::client(config)
            });
            run_eval(&dir, now.as_deref(), parallel, llm).await
        }
        Command::LlmSandbox { port } => run_llm_sandbox(port).await,
        Command::Sandbox { scenarios, port } => run_sandbox(&scenarios, port).await,
        Command::Bench(args) => shadowhunter_local::bench::run(args).await,
        Command::Capacity(args) => {
            shadowhunter_local::capacity::run(&args);
            Ok(())
        }
    };
    if let Err(error) = outcome {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

/// The clock, pinned to a date when asked.
fn clock(now: Option<&str>) -> anyhow::Result<Arc<dyn Clock>> {
    Ok(match now {
        Some(date) => {
            let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .with_context(|| format!("--now: `{date}` is not YYYY-MM-DD"))?;
            Arc::new(FixedClock(day.and_hms_opt(12, 0, 0).expect("noon exists").and_utc()))
        }
        None => Arc::new(SystemClock),
    })
}

async fn check(file: &Path, format: Format, sandbox: Option<&Path>, now: Option<&str>) -> anyhow::Result<()> {
    let body = if file == Path::new("-") {
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .context("reading the request from stdin")?;
        body
    } else {
        std::fs::read(file).with_context(|| format!("reading {}", file.display()))?
    };
    let request = CheckRequest::from_json(&body)
        .map_err(|err| anyhow::anyhow!("invalid request: field `{}`: {}", err.field, err.message))?;
    let clock = clock(now)?;
    let providers = match sandbox {
        Some(dir) => {
            let (scenarios, _) =
                load_scenarios(dir).with_context(|| format!("reading scenarios in {}", dir.display()))?;
            let worlds = SandboxedWorlds::start(&scenarios, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
            ProviderSource::Sandbox(Arc::new(worlds))
        }
        None => ProviderSource::Configured(ProviderConfig::from_env().build(&shadowhunter_providers::http::client())),
    };
    let store: Arc<dyn CheckStore> = Arc::new(SqliteStore::in_memory()?);
    let check = Check::new(request, clock.now());
    store.insert_check(&check).await?;
    let runner = PipelineRunner {
        providers,
        store,
        clock,
        llm: shadowhunter_providers::llm::client_from_env()?,
    };
    let report = runner.run(&check, PriorRun::Never).await?;
    match format {
        Format::Table => print!("{}", render::report_table(&report)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(())
}

async fn run_eval(
    dir: &Path,
    now: Option<&str>,
    parallel: usize,
    llm: Option<Arc<dyn shadowhunter_core::llm::Llm>>,
) -> anyhow::Result<()> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a directory of scenario files", dir.display());
    }
    let options = eval::EvalOptions {
        clock: clock(now)?,
        parallelism: parallel,
        llm,
    };
    let (scores, summary) = eval::evaluate(dir, &options).await?;
    print!("{}", eval::table(&scores));
    println!("{}", summary.line());
    if summary.failed > 0 {
        std::process::exit(2);
    }
    Ok(())
}

async fn run_llm_sandbox(port: u16) -> anyhow::Result<()> {
    let server = shadowhunter_sandbox::llm::LlmServer::null()
        .start(SocketAddr::from(([127, 0, 0, 1], port)))
        .await?;
    println!(
        "null LLM on {} (answers every call validly, changes nothing)",
        server.base_url()
    );
    tokio::signal::ctrl_c().await?;
    println!("{} calls served", server.calls());
    Ok(())
}

async fn run_sandbox(dir: &Path, port: u16) -> anyhow::Result<()> {
    let (scenarios, failures) = load_scenarios(dir)?;
    for failure in &failures {
        eprintln!("skipped {failure}");
    }
    let worlds = SandboxedWorlds::start(&scenarios, SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!(
        "sandbox on http://{} serving {} worlds",
        worlds.sandbox.addr(),
        scenarios.len()
    );
    for scenario in &scenarios {
        println!(
            "  {}  e.g. {}",
            scenario.id,
            worlds
                .sandbox
                .base_url(&scenario.id, shadowhunter_sandbox::ProviderSlug::Brave)
        );
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}

//! Running checks against the sandbox: scenario worlds served in process, and providers pointed at them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use shadowhunter_core::Subject;
use shadowhunter_core::ports::Providers;
use shadowhunter_providers::http::HttpPolicy;
use shadowhunter_providers::resilient::Resilience;
use shadowhunter_providers::{Endpoint, ProviderConfig, WebsiteConfig};
use shadowhunter_sandbox::scenario::{self, LoadError};
use shadowhunter_sandbox::{LatencyProfile, ProviderSlug, RunningSandbox, Sandbox, Scenario, World};

/// The world a subject that no scenario describes is checked against: every provider knows nothing.
pub const EMPTY_WORLD: &str = "empty-world";

/// The provider timeout in sandbox runs: long enough for loopback, short enough that a `timeout` fault costs little.
pub const SANDBOX_PROVIDER_TIMEOUT: Duration = Duration::from_millis(1500);

/// How a sandbox run behaves beyond the worlds it serves; the default is what `check` and `eval` use.
#[derive(Clone, Default)]
pub struct SandboxOptions {
    /// How slowly the sandbox answers.
    pub latency: LatencyProfile,
    /// Puts every adapter behind its provider's limits and caches (scoped by world); `None` calls adapters bare.
    pub resilience: Option<Arc<Resilience>>,
}

/// A started sandbox with the scenarios it serves.
pub struct SandboxedWorlds {
    pub sandbox: RunningSandbox,
    /// Scenario subjects (as JSON) to their world id, so a POSTed request finds its scenario's world.
    worlds_by_subject: HashMap<String, String>,
    client: reqwest::Client,
    policy: HttpPolicy,
    resilience: Option<Arc<Resilience>>,
    /// With `resilience`, each world's decorated adapters, built once and shared by its checks.
    built: Mutex<HashMap<String, Providers>>,
}

impl SandboxedWorlds {
    /// Starts a sandbox on `addr` serving every scenario's world under the scenario's id, plus an empty world.
    pub async fn start(scenarios: &[Scenario], addr: SocketAddr) -> std::io::Result<Self> {
        Self::start_with(scenarios, addr, SandboxOptions::default()).await
    }

    /// [`SandboxedWorlds::start`] with a latency profile and the resilient decorators.
    ///
    /// Under realistic latency the providers get production's timeout ([`HttpPolicy::default`]), since a slow
    /// draw of the tail (up to six times a median) would outlast the quick [`SANDBOX_PROVIDER_TIMEOUT`].
    pub async fn start_with(
        scenarios: &[Scenario],
        addr: SocketAddr,
        options: SandboxOptions,
    ) -> std::io::Result<Self> {
        let mut sandbox = Sandbox::new()
            .with_latency(options.latency)
            .with_world(EMPTY_WORLD, World::default());
        let mut worlds_by_subject = HashMap::new();
        for scenario in scenarios {
            sandbox = sandbox.with_world(scenario.id.clone(), scenario.world.clone());
            if let Ok(request) = scenario.check_request() {
                worlds_by_subject.insert(subject_key(&request.subject), scenario.id.clone());
            }
        }
        let timeout = match options.latency {
            LatencyProfile::None => SANDBOX_PROVIDER_TIMEOUT,
            LatencyProfile::Realistic => HttpPolicy::default().timeout,
        };
        let policy = HttpPolicy {
            timeout,
            ..HttpPolicy::default()
        };
        Ok(Self {
            sandbox: sandbox.start(addr).await?,
            worlds_by_subject,
            // Every provider the sandbox stands in for answers on its one host and port; in production each has a
            // host and a pool of its own. At 500 checks/s ~2,700 calls are in flight to the sandbox, and a pool
            // capped at one host's idle connections closed the rest as they came back: ~1.9 new connections per
            // check, each a connect, an accept and two closes.
            client: shadowhunter_providers::http::client_keeping_idle(
                shadowhunter_providers::http::IDLE_CONNECTIONS_PER_HOST * ProviderSlug::ALL.len(),
            ),
            policy,
            resilience: options.resilience,
            built: Mutex::default(),
        })
    }

    /// The world id a subject is checked in: its scenario's, or the empty world.
    pub fn world_for(&self, subject: &Subject) -> &str {
        self.worlds_by_subject
            .get(&subject_key(subject))
            .map(String::as_str)
            .unwrap_or(EMPTY_WORLD)
    }

    /// Provider settings that point every adapter at `world` in this sandbox.
    pub fn provider_config(&self, world: &str) -> ProviderConfig {
        let endpoint = |slug| Some(Endpoint::new(self.sandbox.base_url(world, slug), "sandbox-key"));
        ProviderConfig {
            brave: endpoint(ProviderSlug::Brave),
            sayari: endpoint(ProviderSlug::Sayari),
            pdl: endpoint(ProviderSlug::Pdl),
            facebook: endpoint(ProviderSlug::Facebook),
            x: endpoint(ProviderSlug::X),
            website: Some(WebsiteConfig {
                rdap_base_url: self.sandbox.base_url(world, ProviderSlug::Rdap),
                proxy: Some(self.sandbox.proxy_url(world)),
                // The sandbox serves https pages to plain requests carrying X-Forwarded-Proto; it has no CONNECT.
                proxy_originates_tls: true,
                ..WebsiteConfig::default()
            }),
            policy: self.policy.clone(),
        }
    }

    /// The adapters for the world a subject belongs to; with the resilient decorators, the world's shared ones.
    pub fn providers_for(&self, subject: &Subject) -> Providers {
        let world = self.world_for(subject);
        let Some(resilience) = &self.resilience else {
            return self.provider_config(world).build(&self.client);
        };
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        built
            .entry(world.to_string())
            .or_insert_with(|| {
                self.provider_config(world)
                    .build_with(&self.client, |adapter| resilience.wrap(adapter, world))
            })
            .clone()
    }
}

fn subject_key(subject: &Subject) -> String {
    serde_json::to_string(subject).unwrap_or_default()
}

/// Loads every scenario under `dir`; files that fail to load come back as errors, not as a failed load of the lot.
pub fn load_scenarios(dir: &Path) -> std::io::Result<(Vec<Scenario>, Vec<LoadError>)> {
    let mut scenarios = Vec::new();
    let mut failures = Vec::new();
    for loaded in scenario::load_dir(dir)? {
        match loaded {
            Ok(scenario) => scenarios.push(scenario),
            Err(error) => failures.push(error),
        }
    }
    Ok((scenarios, failures))
}

#[cfg(test)]
mod tests {
    use shadowhunter_core::ports::{Clock, FixedClock};
    use shadowhunter_core::{Check, Report};
    use shadowhunter_providers::LimitsTable;
    use shadowhunter_providers::config::PROVIDER_NAMES;
    use shadowhunter_providers::resilient::{CacheSettings, NoObserver};

    use super::*;
    use crate::app::{PipelineRunner, ProviderSource};
    use crate::execution_store::PriorRun;
    use crate::runner::CheckRunner;
    use crate::store::SqliteStore;

    const SCENARIO: &str = "p07-pl-phone-mismatch";

    fn caching() -> Arc<Resilience> {
        Arc::new(Resilience::new(
            LimitsTable::unlimited(),
            Some(CacheSettings::default()),
            Arc::new(NoObserver),
        ))
    }

    /// A runner over the bundled scenarios' sandbox behind `resilience`, and the scenario's check request.
    async fn runner(resilience: &Arc<Resilience>) -> (Arc<PipelineRunner>, shadowhunter_core::CheckRequest) {
        let (scenarios, _) = load_scenarios(Path::new(crate::demo::BUNDLED_SCENARIOS)).expect("bundled scenarios");
        let request = scenarios
            .iter()
            .find(|scenario| scenario.id == SCENARIO)
            .expect("the scenario is bundled")
            .check_request()
            .expect("its request is valid");
        let options = SandboxOptions {
            latency: LatencyProfile::None,
            resilience: Some(Arc::clone(resilience)),
        };
        let worlds = SandboxedWorlds::start_with(&scenarios, SocketAddr::from(([127, 0, 0, 1], 0)), options)
            .await
            .expect("sandbox starts");
        let clock: Arc<dyn Clock> = Arc::new(FixedClock(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 26)
                .and_then(|day| day.and_hms_opt(12, 0, 0))
                .expect("a valid date")
                .and_utc(),
        ));
        let runner = PipelineRunner {
            providers: ProviderSource::Sandbox(Arc::new(worlds)),
            store: Arc::new(SqliteStore::in_memory().expect("store")),
            clock,
            llm: None,
        };
        (Arc::new(runner), request)
    }

    async fn run(runner: &PipelineRunner, request: &shadowhunter_core::CheckRequest) -> Report {
        let check = Check::new(request.clone(), runner.clock.now());
        runner.store.insert_check(&check).await.expect("stored");
        runner.run(&check, PriorRun::Never).await.expect("the check runs")
    }

    fn provider_calls(resilience: &Resilience) -> u64 {
        PROVIDER_NAMES
            .iter()
            .map(|name| resilience.stats(name).provider_calls)
            .sum()
    }

    /// What the report says, without its timings.
    fn verdicts(report: &Report) -> serde_json::Value {
        fn strip_timings(value: &mut serde_json::Value) {
            match value {
                serde_json::Value::Object(fields) => {
                    fields.remove("elapsed_ms");
                    fields.values_mut().for_each(strip_timings);
                }
                serde_json::Value::Array(items) => items.iter_mut().for_each(strip_timings),
                _ => {}
            }
        }
        let mut value = serde_json::json!({ "risk": report.risk, "flags": report.flags, "channels": report.channels });
        strip_timings(&mut value);
        value
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_repeated_subject_within_the_ttl_costs_no_provider_call_and_gets_the_same_verdicts() {
        let resilience = caching();
        let (runner, request) = runner(&resilience).await;
        let first = run(&runner, &request).await;
        let calls = provider_calls(&resilience);
        assert!(calls > 0, "the first check reached the providers");

        let second = run(&runner, &request).await;
        assert_eq!(
            provider_calls(&resilience),
            calls,
            "the repeat was answered from the cache"
        );
        assert_eq!(verdicts(&second), verdicts(&first));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_checks_of_one_subject_at_once_share_their_provider_calls() {
        let alone = caching();
        let (runner_alone, request) = runner(&alone).await;
        run(&runner_alone, &request).await;
        let one_check = provider_calls(&alone);

        let together = caching();
        let (runner_together, _) = runner(&together).await;
        let (first, second) = tokio::join!(run(&runner_together, &request), run(&runner_together, &request));
        assert_eq!(verdicts(&first), verdicts(&second));
        assert_eq!(provider_calls(&together), one_check, "two checks cost what one does");
        let shared: u64 = PROVIDER_NAMES
            .iter()
            .map(|name| {
                let stats = together.stats(name);
                stats.coalesced + stats.hits
            })
            .sum();
        assert!(shared > 0);
    }
}

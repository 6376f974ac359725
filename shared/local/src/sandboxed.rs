//! Running checks against the sandbox: scenario worlds served in process, and providers pointed at them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use shadowhunter_core::Subject;
use shadowhunter_core::ports::Providers;
use shadowhunter_providers::http::HttpPolicy;
use shadowhunter_providers::{Endpoint, ProviderConfig, WebsiteConfig};
use shadowhunter_sandbox::scenario::{self, LoadError};
use shadowhunter_sandbox::{ProviderSlug, RunningSandbox, Sandbox, Scenario, World};

/// The world a subject that no scenario describes is checked against: every provider knows nothing.
pub const EMPTY_WORLD: &str = "empty-world";

/// The provider timeout in sandbox runs: long enough for loopback, short enough that a `timeout` fault costs little.
pub const SANDBOX_PROVIDER_TIMEOUT: Duration = Duration::from_millis(1500);

/// A started sandbox with the scenarios it serves.
pub struct SandboxedWorlds {
    pub sandbox: RunningSandbox,
    /// Scenario subjects (as JSON) to their world id, so a POSTed request finds its scenario's world.
    worlds_by_subject: HashMap<String, String>,
    client: reqwest::Client,
    policy: HttpPolicy,
}

impl SandboxedWorlds {
    /// Starts a sandbox on `addr` serving every scenario's world under the scenario's id, plus an empty world.
    pub async fn start(scenarios: &[Scenario], addr: SocketAddr) -> std::io::Result<Self> {
        let mut sandbox = Sandbox::new().with_world(EMPTY_WORLD, World::default());
        let mut worlds_by_subject = HashMap::new();
        for scenario in scenarios {
            sandbox = sandbox.with_world(scenario.id.clone(), scenario.world.clone());
            if let Ok(request) = scenario.check_request() {
                worlds_by_subject.insert(subject_key(&request.subject), scenario.id.clone());
            }
        }
        let policy = HttpPolicy {
            timeout: SANDBOX_PROVIDER_TIMEOUT,
            ..HttpPolicy::default()
        };
        Ok(Self {
            sandbox: sandbox.start(addr).await?,
            worlds_by_subject,
            client: shadowhunter_providers::http::client(),
            policy,
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

    /// The adapters for the world a subject belongs to.
    pub fn providers_for(&self, subject: &Subject) -> Providers {
        self.provider_config(self.world_for(subject)).build(&self.client)
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

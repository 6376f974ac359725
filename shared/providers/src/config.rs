//! Provider configuration: base URL and key per provider, and each provider's quota, read once from the environment.

use std::collections::HashMap;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Arc;
use std::time::Duration;

use shadowhunter_core::ports::{Provider, Providers};

use crate::http::HttpPolicy;
use crate::limits::{LimitsConfig, RetryPolicy};

/// Where one provider lives and the key it wants.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The API root, without a trailing slash, e.g. `https://api.search.brave.com`.
    pub base_url: String,
    pub api_key: String,
}

impl Endpoint {
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            api_key: api_key.into(),
        }
    }

    /// `base_url` followed by `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    fn from_env(key_var: &str, base_var: &str, default_base: &str) -> Option<Self> {
        let key = std::env::var(key_var).ok().filter(|key| !key.trim().is_empty())?;
        let base = std::env::var(base_var).unwrap_or_else(|_| default_base.to_string());
        Some(Self::new(base, key))
    }
}

/// How the crawler reaches websites and where it asks for registration data.
#[derive(Debug, Clone)]
pub struct WebsiteConfig {
    /// The RDAP service, e.g. `https://rdap.org`.
    pub rdap_base_url: String,
    /// An egress proxy for page fetches (`http://user:pass@host:port`); `None` connects directly.
    pub proxy: Option<String>,
    /// TLS offload at the proxy: `https://` pages are asked of the proxy as plain-HTTP absolute-form requests for the
    /// same host and path with `X-Forwarded-Proto: https`, and the proxy originates TLS (as Squid can), instead of a
    /// `CONNECT` tunnel. Only with a `proxy`; the crawler still records and resolves the `https://` URLs.
    pub proxy_originates_tls: bool,
    pub max_pages: usize,
    pub max_page_bytes: usize,
}

impl Default for WebsiteConfig {
    fn default() -> Self {
        Self {
            rdap_base_url: "https://rdap.org".into(),
            proxy: None,
            proxy_originates_tls: false,
            max_pages: 12,
            max_page_bytes: 512 * 1024,
        }
    }
}

/// Every provider's settings; a channel whose endpoint is `None` is "not configured".
#[derive(Debug, Clone, Default)]
pub struct ProviderConfig {
    pub brave: Option<Endpoint>,
    pub sayari: Option<Endpoint>,
    pub pdl: Option<Endpoint>,
    pub facebook: Option<Endpoint>,
    pub x: Option<Endpoint>,
    /// The website channel needs no key; `None` turns it off.
    pub website: Option<WebsiteConfig>,
    pub policy: HttpPolicy,
}

impl ProviderConfig {
    /// Reads the documented variables (README, "Providers"); nothing set means nothing configured but the crawler.
    pub fn from_env() -> Self {
        let website = WebsiteConfig {
            rdap_base_url: std::env::var("RDAP_BASE_URL").unwrap_or_else(|_| "https://rdap.org".into()),
            proxy: std::env::var("CRAWLER_PROXY").ok().filter(|proxy| !proxy.is_empty()),
            ..WebsiteConfig::default()
        };
        let mut policy = HttpPolicy::default();
        if let Some(ms) = std::env::var("PROVIDER_TIMEOUT_MS").ok().and_then(|ms| ms.parse().ok()) {
            policy.timeout = Duration::from_millis(ms);
        }
        Self {
            brave: Endpoint::from_env("BRAVE_API_KEY", "BRAVE_BASE_URL", "https://api.search.brave.com"),
            sayari: Endpoint::from_env("SAYARI_API_KEY", "SAYARI_BASE_URL", "https://api.sayari.com"),
            pdl: Endpoint::from_env("PDL_API_KEY", "PDL_BASE_URL", "https://api.peopledatalabs.com"),
            facebook: Endpoint::from_env(
                "FACEBOOK_ACCESS_TOKEN",
                "FACEBOOK_BASE_URL",
                "https://graph.facebook.com/v21.0",
            ),
            x: Endpoint::from_env("X_BEARER_TOKEN", "X_BASE_URL", "https://api.x.com"),
            website: (std::env::var("WEBSITE_CHANNEL").as_deref() != Ok("off")).then_some(website),
            policy,
        }
    }

    /// The adapters for every configured provider, sharing one HTTP client.
    pub fn build(&self, client: &reqwest::Client) -> Providers {
        self.build_with(client, |adapter| adapter)
    }

    /// [`ProviderConfig::build`] with each adapter passed through `wrap`, e.g. into a
    /// [`crate::resilient::Resilient`] decorator.
    pub fn build_with(
        &self,
        client: &reqwest::Client,
        wrap: impl Fn(Arc<dyn Provider>) -> Arc<dyn Provider>,
    ) -> Providers {
        let mut providers = Providers::default();
        let mut add = |adapter: Arc<dyn Provider>| providers = std::mem::take(&mut providers).with(wrap(adapter));
        if let Some(endpoint) = &self.brave {
            add(Arc::new(crate::brave::BraveSearch::new(
                client.clone(),
                endpoint.clone(),
                self.policy.clone(),
            )));
        }
        if let Some(endpoint) = &self.sayari {
            add(Arc::new(crate::sayari::SayariTrade::new(
                client.clone(),
                endpoint.clone(),
                self.policy.clone(),
            )));
        }
        if let Some(endpoint) = &self.pdl {
            add(Arc::new(crate::pdl::PeopleDataLabs::new(
                client.clone(),
                endpoint.clone(),
                self.policy.clone(),
            )));
        }
        if let Some(endpoint) = &self.facebook {
            add(Arc::new(crate::facebook::FacebookGraph::new(
                client.clone(),
                endpoint.clone(),
                self.policy.clone(),
            )));
        }
        if let Some(endpoint) = &self.x {
            add(Arc::new(crate::x::XApi::new(
                client.clone(),
                endpoint.clone(),
                self.policy.clone(),
            )));
        }
        if let Some(website) = &self.website {
            add(Arc::new(crate::website::WebsiteCrawler::new(
                website.clone(),
                self.policy.clone(),
                client.clone(),
            )));
        }
        providers
    }
}

/// One provider's quota and failure handling, applied by [`crate::resilient::Resilient`]; the defaults per provider
/// (and where each number comes from) are in [`crate::resilient`]'s module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderLimits {
    /// The token bucket's rate (one lookup is one token); `None` is no rate limit.
    pub requests_per_second: Option<f64>,
    /// Lookups in flight at once; `None` is no cap.
    pub max_concurrency: Option<NonZeroUsize>,
    /// Consecutive failed lookups that open the circuit.
    pub breaker_failures: u32,
    /// How long the open circuit fails fast before one probe lookup.
    pub breaker_cool_down: Duration,
}

impl Default for ProviderLimits {
    /// No rate limit, no concurrency cap, the breaker on.
    fn default() -> Self {
        Self {
            requests_per_second: None,
            max_concurrency: None,
            breaker_failures: 5,
            breaker_cool_down: Duration::from_secs(30),
        }
    }
}

impl ProviderLimits {
    /// A quota of `requests_per_second` with at most `max_concurrency` in flight, and the default breaker.
    pub fn quota(requests_per_second: f64, max_concurrency: usize) -> Self {
        Self {
            requests_per_second: Some(requests_per_second),
            max_concurrency: NonZeroUsize::new(max_concurrency),
            ..Self::default()
        }
    }

    /// The published quota of a provider by its adapter name (`brave`, `sayari`, `pdl`, `facebook`, `x`, `website`);
    /// an unknown name gets [`ProviderLimits::default`].
    pub fn published(provider: &str) -> Self {
        match provider {
            // Brave Search API: 50 requests/s on the paid plans.
            "brave" => Self::quota(50.0, 50),
            // Panjiva's API guide: 20 requests/s; Sayari's trade search is held to the same.
            "sayari" => Self::quota(20.0, 20),
            // People Data Labs: 1,000 requests/min on paid plans.
            "pdl" => Self::quota(1_000.0 / 60.0, 32),
            // Graph API's app-level limit scales with the app's users (200 calls/user/hour); 20/s is a cautious share.
            "facebook" => Self::quota(20.0, 20),
            // X API v2 user lookup: 300 requests per 15 minutes per app.
            "x" => Self::quota(300.0 / 900.0, 4),
            // Our own crawler: pages go to many different sites; only the crawl concurrency is capped.
            "website" => Self {
                max_concurrency: NonZeroUsize::new(64),
                ..Self::default()
            },
            _ => Self::default(),
        }
    }

    /// [`ProviderLimits::published`] with overrides from `<PROVIDER>_RPS` (a number, or `off`) and
    /// `<PROVIDER>_MAX_CONCURRENCY` (a number, or `0` for no cap), e.g. `X_RPS=15` for an enterprise plan.
    pub fn from_env(provider: &str) -> Self {
        let mut limits = Self::published(provider);
        let prefix = provider.to_ascii_uppercase();
        if let Ok(raw) = std::env::var(format!("{prefix}_RPS")) {
            match raw.trim() {
                "off" | "none" => limits.requests_per_second = None,
                number => match number.parse::<f64>() {
                    Ok(rps) if rps > 0.0 => limits.requests_per_second = Some(rps),
                    _ => tracing::warn!(
                        provider,
                        value = raw,
                        "ignoring an unreadable requests-per-second override"
                    ),
                },
            }
        }
        if let Ok(raw) = std::env::var(format!("{prefix}_MAX_CONCURRENCY")) {
            match raw.trim().parse::<usize>() {
                Ok(cap) => limits.max_concurrency = NonZeroUsize::new(cap),
                Err(_) => tracing::warn!(provider, value = raw, "ignoring an unreadable concurrency override"),
            }
        }
        limits
    }

    /// The same limits in the shape of [`crate::limits`]. Retries stay in [`crate::http`] (one place for them), so
    /// this policy makes none.
    pub fn limits_config(&self) -> LimitsConfig {
        let requests_per_minute = self
            .requests_per_second
            .filter(|rps| rps.is_finite() && *rps > 0.0)
            .and_then(|rps| NonZeroU32::new((rps * 60.0).round().clamp(1.0, f64::from(u32::MAX)) as u32));
        LimitsConfig {
            requests_per_minute,
            tokens_per_minute: None,
            max_concurrency: self.max_concurrency,
            retry: RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            },
            breaker_failures: self.breaker_failures,
            breaker_cool_down: self.breaker_cool_down,
        }
    }
}

/// The limits of every provider, by adapter name, with a fallback for the rest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LimitsTable {
    by_provider: HashMap<String, ProviderLimits>,
    fallback: ProviderLimits,
}

/// The adapters' names, as [`Provider::name`] gives them.
pub const PROVIDER_NAMES: [&str; 6] = ["brave", "sayari", "pdl", "facebook", "x", "website"];

impl LimitsTable {
    /// Every provider's published quota, with the environment's overrides ([`ProviderLimits::from_env`]).
    pub fn from_env() -> Self {
        PROVIDER_NAMES.into_iter().fold(Self::default(), |table, name| {
            table.with(name, ProviderLimits::from_env(name))
        })
    }

    /// No rate limits or concurrency caps anywhere, breakers on: for load tests against the sandbox, whose worlds
    /// have no quota to respect.
    pub fn unlimited() -> Self {
        Self::default()
    }

    pub fn with(mut self, provider: &str, limits: ProviderLimits) -> Self {
        self.by_provider.insert(provider.to_string(), limits);
        self
    }

    pub fn get(&self, provider: &str) -> &ProviderLimits {
        self.by_provider.get(provider).unwrap_or(&self.fallback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per_minute(provider: &str) -> Option<u32> {
        ProviderLimits::published(provider)
            .limits_config()
            .requests_per_minute
            .map(NonZeroU32::get)
    }

    #[test]
    fn published_quotas_follow_each_providers_documentation() {
        assert_eq!(per_minute("brave"), Some(3_000), "Brave: 50 requests/s");
        assert_eq!(per_minute("sayari"), Some(1_200), "Panjiva/Sayari: 20 requests/s");
        assert_eq!(per_minute("pdl"), Some(1_000), "PDL: 1,000/min");
        assert_eq!(per_minute("x"), Some(20), "X: 300 per 15 min");
        assert_eq!(per_minute("website"), None, "our own crawler has no quota");
        let config = ProviderLimits::published("brave").limits_config();
        assert_eq!(config.retry.max_retries, 0, "retries stay in the HTTP layer");
    }

    #[test]
    fn an_unlimited_table_keeps_the_breaker_but_drops_quotas() {
        let table = LimitsTable::unlimited();
        let limits = table.get("x");
        assert_eq!(limits.requests_per_second, None);
        assert_eq!(limits.max_concurrency, None);
        assert_eq!(limits.breaker_failures, 5);
    }
}

//! Provider configuration: base URL and key per provider, read once from the environment.

use std::sync::Arc;
use std::time::Duration;

use shadowhunter_core::ports::Providers;

use crate::http::HttpPolicy;

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
        let mut providers = Providers::default();
        if let Some(endpoint) = &self.brave {
            providers = providers.with(Arc::new(crate::brave::BraveSearch::new(
                client.clone(),
                endpoint.clone(),
                self.policy.clone(),
            )));
        }
        if let Some(endpoint) = &self.sayari {
            providers = providers.with(Arc::new(crate::sayari::SayariTrade::new(
                client.clone(),
                endpoint.clone(),
                self.policy.clone(),
            )));
        }
        if let Some(endpoint) = &self.pdl {
            providers = providers.with(Arc::new(crate::pdl::PeopleDataLabs::new(
                client.clone(),
                endpoint.clone(),
                self.policy.clone(),
            )));
        }
        if let Some(endpoint) = &self.facebook {
            providers = providers.with(Arc::new(crate::facebook::FacebookGraph::new(
                client.clone(),
                endpoint.clone(),
                self.policy.clone(),
            )));
        }
        if let Some(endpoint) = &self.x {
            providers = providers.with(Arc::new(crate::x::XApi::new(
                client.clone(),
                endpoint.clone(),
                self.policy.clone(),
            )));
        }
        if let Some(website) = &self.website {
            providers = providers.with(Arc::new(crate::website::WebsiteCrawler::new(
                website.clone(),
                self.policy.clone(),
            )));
        }
        providers
    }
}

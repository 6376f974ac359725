//! The LLM adapter's configuration, read once from the environment, and the adapter itself ([`openai`]).

pub mod openai;
pub mod schema;

use std::fmt;
use std::num::{NonZeroU32, NonZeroUsize};
use std::time::Duration;

pub use openai::OpenAiCompatible;

use crate::limits::{LimitsConfig, RetryPolicy};

/// Which request field carries the answer's token limit. OpenAI's newer models accept only
/// `max_completion_tokens`; most other OpenAI-compatible servers (DeepSeek, DashScope, Ollama, older vLLM) only
/// know `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxTokensField {
    MaxTokens,
    MaxCompletionTokens,
}

impl MaxTokensField {
    /// `max_completion_tokens` for OpenAI's own API, `max_tokens` everywhere else.
    pub fn for_base_url(base_url: &str) -> Self {
        let is_openai = url::Url::parse(base_url)
            .ok()
            .and_then(|url| url.host_str().map(|host| host == "api.openai.com"))
            .unwrap_or(false);
        if is_openai {
            MaxTokensField::MaxCompletionTokens
        } else {
            MaxTokensField::MaxTokens
        }
    }
}

/// Where the model lives and how it may be called.
#[derive(Clone, PartialEq, Eq)]
pub struct LlmConfig {
    /// The API root, without a trailing slash, e.g. `https://api.openai.com/v1`; requests go to
    /// `{base_url}/chat/completions`.
    pub base_url: String,
    pub model: String,
    /// Sent as a bearer token; local servers (Ollama, vLLM) need none.
    pub api_key: Option<String>,
    /// The whole-call timeout, per attempt.
    pub timeout: Duration,
    pub requests_per_minute: Option<NonZeroU32>,
    pub tokens_per_minute: Option<NonZeroU32>,
    /// Calls in flight at once; `None` is no cap.
    pub max_concurrency: Option<NonZeroUsize>,
    /// Retries of a 429, 5xx or dropped connection.
    pub max_retries: u32,
    /// The most one call waits across its retries; a longer Retry-After fails the call instead.
    pub max_retry_wait: Duration,
    /// Answers kept in the response cache; 0 turns it off.
    pub cache_capacity: u64,
    /// Consecutive failed calls that open the circuit.
    pub breaker_failures: u32,
    /// How long the open circuit fails fast before one probe call.
    pub breaker_cool_down: Duration,
    pub max_tokens_field: MaxTokensField,
}

impl fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key: configs end up in logs.
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("requests_per_minute", &self.requests_per_minute)
            .field("tokens_per_minute", &self.tokens_per_minute)
            .field("max_concurrency", &self.max_concurrency)
            .field("max_retries", &self.max_retries)
            .field("max_retry_wait", &self.max_retry_wait)
            .field("cache_capacity", &self.cache_capacity)
            .field("breaker_failures", &self.breaker_failures)
            .field("breaker_cool_down", &self.breaker_cool_down)
            .field("max_tokens_field", &self.max_tokens_field)
            .finish()
    }
}

/// A variable of the LLM configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmConfigError {
    #[error("LLM_BASE_URL is set but LLM_MODEL is not")]
    MissingModel,
    #[error("{var} must be {expected}, not {value:?}")]
    Invalid {
        var: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl LlmConfig {
    /// `model` at `base_url`, no key, with the defaults: 30 s timeout, no local rate limits, 32 calls in flight,
    /// 2 retries within 20 s, a 10,000-answer cache, and a circuit that opens after 5 failures for 30 s.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        Self {
            max_tokens_field: MaxTokensField::for_base_url(&base_url),
            base_url,
            model: model.into(),
            api_key: None,
            timeout: Duration::from_secs(30),
            requests_per_minute: None,
            tokens_per_minute: None,
            max_concurrency: NonZeroUsize::new(32),
            max_retries: 2,
            max_retry_wait: Duration::from_secs(20),
            cache_capacity: 10_000,
            breaker_failures: 5,
            breaker_cool_down: Duration::from_secs(30),
        }
    }

    /// Sets the bearer key; a blank one means none.
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into()).filter(|key| !key.trim().is_empty());
        self
    }

    /// Reads `LLM_BASE_URL`, `LLM_MODEL`, `LLM_API_KEY`, `LLM_TIMEOUT_MS`, `LLM_RPM`, `LLM_TPM`,
    /// `LLM_MAX_CONCURRENCY`, `LLM_MAX_RETRIES` and `LLM_CACHE_CAPACITY`. `Ok(None)` when `LLM_BASE_URL` is unset:
    /// no LLM, the deterministic path alone. A value that cannot be used is an error, to fail at start-up.
    pub fn from_env() -> Result<Option<Self>, LlmConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`LlmConfig::from_env`] over any variable lookup (tests pass a map instead of mutating the environment).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, LlmConfigError> {
        let var = |name: &str| {
            var(name)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };
        let Some(base_url) = var("LLM_BASE_URL") else {
            return Ok(None);
        };
        match url::Url::parse(&base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => {
                return Err(LlmConfigError::Invalid {
                    var: "LLM_BASE_URL",
                    value: base_url,
                    expected: "an http(s) URL",
                });
            }
        }
        let model = var("LLM_MODEL").ok_or(LlmConfigError::MissingModel)?;
        let mut config = Self::new(base_url, model);
        if let Some(key) = var("LLM_API_KEY") {
            config = config.with_api_key(key);
        }
        if let Some(ms) = parse::<u64>(&var, "LLM_TIMEOUT_MS", "a number of milliseconds")? {
            config.timeout = Duration::from_millis(ms);
        }
        config.requests_per_minute = parse(&var, "LLM_RPM", "a positive number of requests a minute")?;
        config.tokens_per_minute = parse(&var, "LLM_TPM", "a positive number of tokens a minute")?;
        // 0 means "no cap", the one value a NonZeroUsize cannot hold.
        if let Some(cap) = parse::<usize>(&var, "LLM_MAX_CONCURRENCY", "a number of calls")? {
            config.max_concurrency = NonZeroUsize::new(cap);
        }
        if let Some(retries) = parse(&var, "LLM_MAX_RETRIES", "a number of retries")? {
            config.max_retries = retries;
        }
        if let Some(capacity) = parse(&var, "LLM_CACHE_CAPACITY", "a number of answers")? {
            config.cache_capacity = capacity;
        }
        Ok(Some(config))
    }

    /// The limits this configuration asks of the adapter.
    pub fn limits(&self) -> LimitsConfig {
        LimitsConfig {
            requests_per_minute: self.requests_per_minute,
            tokens_per_minute: self.tokens_per_minute,
            max_concurrency: self.max_concurrency,
            retry: RetryPolicy {
                max_retries: self.max_retries,
                max_total_wait: self.max_retry_wait,
                ..RetryPolicy::default()
            },
            breaker_failures: self.breaker_failures,
            breaker_cool_down: self.breaker_cool_down,
        }
    }
}

fn parse<T: std::str::FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    expected: &'static str,
) -> Result<Option<T>, LlmConfigError> {
    var(name)
        .map(|value| {
            value.parse().map_err(|_| LlmConfigError::Invalid {
                var: name,
                value,
                expected,
            })
        })
        .transpose()
}

/// An OpenAI-compatible client for `config`, on the providers' HTTP client settings.
pub fn client(config: LlmConfig) -> std::sync::Arc<dyn shadowhunter_core::llm::Llm> {
    std::sync::Arc::new(OpenAiCompatible::new(crate::http::client(), config))
}

/// The LLM configured in the environment (`LLM_BASE_URL`, `LLM_MODEL`, …), or `None` for the deterministic judge.
pub fn client_from_env() -> Result<Option<std::sync::Arc<dyn shadowhunter_core::llm::Llm>>, LlmConfigError> {
    Ok(LlmConfig::from_env()?.map(client))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<Option<LlmConfig>, LlmConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        LlmConfig::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn without_a_base_url_there_is_no_llm() {
        assert_eq!(from(&[("LLM_MODEL", "gpt-4o-mini")]), Ok(None));
    }

    #[test]
    fn every_variable_is_read() {
        let config = from(&[
            ("LLM_BASE_URL", "https://api.openai.com/v1/"),
            ("LLM_MODEL", "gpt-4o-mini"),
            ("LLM_API_KEY", "sk-test"),
            ("LLM_TIMEOUT_MS", "1500"),
            ("LLM_RPM", "30000"),
            ("LLM_TPM", "150000000"),
            ("LLM_MAX_CONCURRENCY", "0"),
            ("LLM_MAX_RETRIES", "1"),
            ("LLM_CACHE_CAPACITY", "0"),
        ])
        .expect("valid")
        .expect("configured");
        assert_eq!(config.base_url, "https://api.openai.com/v1");
        assert_eq!(config.api_key.as_deref(), Some("sk-test"));
        assert_eq!(config.timeout, Duration::from_millis(1500));
        assert_eq!(config.requests_per_minute, NonZeroU32::new(30_000));
        assert_eq!(config.tokens_per_minute, NonZeroU32::new(150_000_000));
        assert_eq!(config.max_concurrency, None);
        assert_eq!((config.max_retries, config.cache_capacity), (1, 0));
        assert_eq!(config.max_tokens_field, MaxTokensField::MaxCompletionTokens);
        assert!(!format!("{config:?}").contains("sk-test"));
    }

    #[test]
    fn a_local_server_needs_no_key_and_gets_max_tokens() {
        let config = from(&[("LLM_BASE_URL", "http://127.0.0.1:11434/v1"), ("LLM_MODEL", "qwen2.5")])
            .expect("valid")
            .expect("configured");
        assert_eq!(config.api_key, None);
        assert_eq!(config.max_tokens_field, MaxTokensField::MaxTokens);
    }

    #[test]
    fn an_unusable_value_fails_instead_of_being_ignored() {
        let base = [("LLM_BASE_URL", "http://localhost:8000/v1"), ("LLM_MODEL", "m")];
        assert_eq!(from(&base[..1]), Err(LlmConfigError::MissingModel));
        assert!(matches!(
            from(&[base[0], base[1], ("LLM_RPM", "0")]),
            Err(LlmConfigError::Invalid { var: "LLM_RPM", .. })
        ));
        assert!(matches!(
            from(&[base[0], base[1], ("LLM_TIMEOUT_MS", "soon")]),
            Err(LlmConfigError::Invalid {
                var: "LLM_TIMEOUT_MS",
                ..
            })
        ));
        assert!(matches!(
            from(&[("LLM_BASE_URL", "localhost:8000"), base[1]]),
            Err(LlmConfigError::Invalid {
                var: "LLM_BASE_URL",
                ..
            })
        ));
    }
}

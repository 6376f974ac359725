//! The HTTP plumbing every adapter shares: timeouts, status mapping, Retry-After, JSON decoding.

use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use shadowhunter_core::ProviderError;

/// How patient an adapter is with its provider.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    /// The whole-call timeout, per attempt.
    pub timeout: Duration,
    /// How many times a 429 or 5xx answer is retried.
    pub max_retries: u32,
    /// A Retry-After longer than this is not waited for; the channel degrades instead.
    pub max_retry_wait: Duration,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_retries: 1,
            max_retry_wait: Duration::from_secs(2),
        }
    }
}

/// Builds the one reqwest client an adapter set shares (connection pooling across channels).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("shadowhunter-risk/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(64)
        .build()
        .expect("the HTTP client's static configuration is valid")
}

/// Sends a request built by `build` (called again for each retry) and decodes a JSON answer.
/// `Ok(None)` is the provider's "no such record" (HTTP 404).
pub async fn send_json<T: DeserializeOwned>(
    policy: &HttpPolicy,
    build: impl Fn() -> RequestBuilder,
) -> Result<Option<T>, ProviderError> {
    let body = match send(policy, build).await? {
        Some(body) => body,
        None => return Ok(None),
    };
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|err| ProviderError::Malformed {
            detail: err.to_string(),
        })
}

/// Sends with the policy's timeout and retries; returns the body of a 2xx answer, `None` for a 404.
pub async fn send(policy: &HttpPolicy, build: impl Fn() -> RequestBuilder) -> Result<Option<Vec<u8>>, ProviderError> {
    let mut attempt = 0;
    loop {
        let outcome = send_once(policy, build()).await;
        let wait = match &outcome {
            Err(ProviderError::RateLimited { retry_after_s }) => Some(Duration::from_secs(retry_after_s.unwrap_or(1))),
            Err(ProviderError::Unavailable { status }) if *status >= 500 => Some(backoff(attempt)),
            _ => None,
        };
        match wait {
            Some(wait) if attempt < policy.max_retries && wait <= policy.max_retry_wait => {
                tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying provider call");
                crate::resilient::note_retry();
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            _ => return outcome,
        }
    }
}

fn backoff(attempt: u32) -> Duration {
    let base = 100u64 << attempt.min(6);
    Duration::from_millis(base + rand::random_range(0..base))
}

async fn send_once(policy: &HttpPolicy, request: RequestBuilder) -> Result<Option<Vec<u8>>, ProviderError> {
    let response = request
        .timeout(policy.timeout)
        .send()
        .await
        .map_err(|err| transport_error(policy, &err))?;
    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        let retry_after_s = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse().ok());
        return Err(ProviderError::RateLimited { retry_after_s });
    }
    if !status.is_success() {
        return Err(ProviderError::Unavailable {
            status: status.as_u16(),
        });
    }
    let body = response.bytes().await.map_err(|err| transport_error(policy, &err))?;
    Ok(Some(body.to_vec()))
}

fn transport_error(policy: &HttpPolicy, err: &reqwest::Error) -> ProviderError {
    if err.is_timeout() {
        ProviderError::Timeout {
            timeout_ms: policy.timeout.as_millis() as u64,
        }
    } else {
        ProviderError::Transport {
            detail: error_chain(err),
        }
    }
}

/// The error with its causes, since reqwest's top-level message alone hides DNS and connect failures.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

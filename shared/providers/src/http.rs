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

/// Idle keep-alive connections kept per provider host: as many as the calls to one host in flight at 500 checks/s
/// (~3 searches per check at ~300 ms each is ~500 at once), so a lull between bursts does not close connections
/// the next burst must open again.
pub const IDLE_CONNECTIONS_PER_HOST: usize = 1_024;

/// Builds the one reqwest client an adapter set shares (connection pooling across channels).
pub fn client() -> reqwest::Client {
    client_keeping_idle(IDLE_CONNECTIONS_PER_HOST)
}

/// [`client`] keeping up to `idle_per_host` idle connections to each host: for providers that share a host.
pub fn client_keeping_idle(idle_per_host: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("shadowhunter-risk/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(idle_per_host)
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
    if !status.is_success() {
        let retry_after_s = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse().ok());
        discard_body(response).await;
        return match status {
            StatusCode::NOT_FOUND => Ok(None),
            StatusCode::TOO_MANY_REQUESTS => Err(ProviderError::RateLimited { retry_after_s }),
            _ => Err(ProviderError::Unavailable {
                status: status.as_u16(),
            }),
        };
    }
    let body = response.bytes().await.map_err(|err| transport_error(policy, &err))?;
    Ok(Some(body.to_vec()))
}

/// The most of an unwanted body (an error, a 404, a redirect) read, and the longest waited for, to keep its
/// connection; past either the connection is dropped instead.
const DISCARDED_BODY_LIMIT: usize = 64 * 1024;
const DISCARDED_BODY_WAIT: Duration = Duration::from_millis(250);

/// Reads and drops an answer's body so its keep-alive connection goes back to the pool: dropping a response whose
/// body is unread closes the connection, and the next call to that host opens a new one (TCP, and TLS in
/// production) — for every call that found nothing (404) or was refused.
pub async fn discard_body(mut response: reqwest::Response) {
    let drain = async {
        let mut read = 0;
        while read <= DISCARDED_BODY_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                Ok(None) | Err(_) => return,
            }
        }
    };
    let _ = tokio::time::timeout(DISCARDED_BODY_WAIT, drain).await;
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A keep-alive HTTP/1.1 server that answers every GET with `status` and a JSON body, counting the connections
    /// it accepts.
    async fn counting_server(status: &'static str) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let url = format!("http://{}/lookup", listener.local_addr().expect("bound address"));
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&connections);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let body = r#"{"error":{"message":"no record matches"}}"#;
                    let head = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 4096];
                    while let Ok(read) = socket.read(&mut buffer).await {
                        if read == 0 {
                            return;
                        }
                        request.extend_from_slice(&buffer[..read]);
                        while let Some(end) = request.windows(4).position(|window| window == b"\r\n\r\n") {
                            request.drain(..end + 4);
                            // The body comes after a pause, as a real provider's does, so the client has the
                            // status before the body has arrived.
                            if socket.write_all(head.as_bytes()).await.is_err() {
                                return;
                            }
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            if socket.write_all(body.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (url, connections)
    }

    #[tokio::test]
    async fn a_client_keeps_as_many_idle_connections_to_a_host_as_it_is_told() {
        let policy = HttpPolicy {
            max_retries: 0,
            ..HttpPolicy::default()
        };
        for (idle_per_host, reopens) in [(2, true), (16, false)] {
            let (url, connections) = counting_server("404 Not Found").await;
            let client = client_keeping_idle(idle_per_host);
            let burst = || futures::future::join_all((0..8).map(|_| send(&policy, || client.get(&url))));
            assert!(burst().await.iter().all(|outcome| matches!(outcome, Ok(None))));
            // A connection goes back to the pool once its answer has been read to the end, a moment after.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let after_first_burst = connections.load(Ordering::SeqCst);
            assert!(burst().await.iter().all(|outcome| matches!(outcome, Ok(None))));
            let opened_again = connections.load(Ordering::SeqCst) - after_first_burst;
            assert_eq!(
                opened_again > 0,
                reopens,
                "keeping {idle_per_host} idle: {after_first_burst} connections for eight calls at once, then {opened_again} more for eight more"
            );
        }
    }

    #[tokio::test]
    async fn calls_that_find_nothing_or_are_refused_keep_their_connection() {
        for (status, expected) in [("404 Not Found", "none"), ("503 Service Unavailable", "unavailable")] {
            let (url, connections) = counting_server(status).await;
            let client = client();
            let policy = HttpPolicy {
                max_retries: 0,
                ..HttpPolicy::default()
            };
            for _ in 0..3 {
                let outcome = send(&policy, || client.get(&url)).await;
                let kind = match outcome {
                    Ok(None) => "none",
                    Err(ProviderError::Unavailable { status: 503 }) => "unavailable",
                    other => panic!("unexpected outcome for {status}: {other:?}"),
                };
                assert_eq!(kind, expected);
            }
            assert_eq!(
                connections.load(Ordering::SeqCst),
                1,
                "three {status} answers on one connection"
            );
        }
    }
}

//! What every adapter's tests share: a quick policy, a sandbox playing one world, an adapter aimed at it,
//! and the sandbox faults with the errors they must become.

use std::time::Duration;

use serde_json::json;
use shadowhunter_core::ProviderError;
use shadowhunter_sandbox::{Fault, ProviderSlug, RunningSandbox, Sandbox, World};

use crate::config::Endpoint;
use crate::http::{self, HttpPolicy};

/// The id the sandbox serves the test world under.
const WORLD_ID: &str = "w";

/// A 300 ms timeout and no retries, so fault tests end quickly.
pub(crate) fn fast_policy() -> HttpPolicy {
    HttpPolicy {
        timeout: Duration::from_millis(300),
        max_retries: 0,
        max_retry_wait: Duration::from_secs(2),
    }
}

/// A world written as scenario JSON.
pub(crate) fn world(value: serde_json::Value) -> World {
    serde_json::from_value(value).expect("test world is valid")
}

/// A loopback sandbox playing `world`.
pub(crate) async fn start(world: World) -> RunningSandbox {
    Sandbox::new()
        .with_world(WORLD_ID, world)
        .start("127.0.0.1:0".parse().expect("loopback address"))
        .await
        .expect("sandbox starts")
}

/// A sandbox whose `channel` (scenario name, e.g. `search`) answers every call with `fault` (e.g. `unavailable`).
pub(crate) async fn start_faulty(channel: &str, fault: &str) -> RunningSandbox {
    start(world(json!({ "faults": { channel: fault } }))).await
}

/// An adapter made by its `new(client, endpoint, policy)`, aimed at the sandbox's `provider` with `key`.
pub(crate) fn adapter<A>(
    new: impl FnOnce(reqwest::Client, Endpoint, HttpPolicy) -> A,
    sandbox: &RunningSandbox,
    provider: ProviderSlug,
    key: &str,
) -> A {
    new(
        http::client(),
        Endpoint::new(sandbox.base_url(WORLD_ID, provider), key),
        fast_policy(),
    )
}

/// The sandbox faults that map to one exact error (a malformed answer's detail varies, so it is matched apart).
pub(crate) fn exact_fault_cases() -> [(Fault, ProviderError); 3] {
    [
        (Fault::Unavailable, ProviderError::Unavailable { status: 503 }),
        (
            Fault::RateLimited,
            ProviderError::RateLimited {
                retry_after_s: Some(shadowhunter_sandbox::server::RATE_LIMIT_RETRY_AFTER_S),
            },
        ),
        (Fault::Timeout, ProviderError::Timeout { timeout_ms: 300 }),
    ]
}

/// The four fault tests of an adapter, for a test module with `async fn faulty(fault: &str) -> Result<Vec<Finding>,
/// ProviderError>` that runs one lookup against a sandbox answering with that fault.
macro_rules! fault_tests {
    () => {
        #[tokio::test]
        async fn when_provider_answers_503_lookup_is_unavailable() {
            assert_eq!(
                faulty("unavailable").await,
                Err(ProviderError::Unavailable { status: 503 })
            );
        }

        #[tokio::test]
        async fn when_provider_rate_limits_lookup_is_rate_limited_with_its_retry_after() {
            assert_eq!(
                faulty("rate_limited").await,
                Err(ProviderError::RateLimited {
                    retry_after_s: Some(30)
                })
            );
        }

        #[tokio::test]
        async fn when_provider_answers_garbage_lookup_is_malformed() {
            assert!(matches!(
                faulty("malformed").await,
                Err(ProviderError::Malformed { .. })
            ));
        }

        #[tokio::test]
        async fn when_provider_never_answers_lookup_times_out() {
            assert_eq!(
                faulty("timeout").await,
                Err(ProviderError::Timeout { timeout_ms: 300 })
            );
        }
    };
}
pub(crate) use fault_tests;

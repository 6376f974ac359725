//! `sdk_config`: the one AWS SDK configuration the clients are built from, in Lambda or against a local stand-in.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The region of a local stand-in (moto answers in any region; one fixed region keeps its ARNs predictable).
pub const LOCAL_REGION: &str = "us-east-1";

/// A TCP connection not up after this is a dispatch failure (retryable); the SDK's own default.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3_100);
/// One attempt of a call; an item of 400 KB is well inside it.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole call with its retries; inside the shortest Lambda timeout we configure.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(25);

/// The SDK configuration for every client of this crate.
///
/// - `None`: the standard chain — `AWS_REGION`, credentials from the environment, profile or the Lambda role,
///   and `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` when set.
/// - `Some(endpoint)`: a local stand-in (moto): every service at `endpoint`, region [`LOCAL_REGION`], static
///   test credentials (never real ones, so nothing leaks to a stand-in).
///
/// Either way, calls time out: [`CONNECT_TIMEOUT`], 10 s per attempt, 25 s per call with retries; a timeout
/// is a retryable error (see [`crate::is_retryable`]).
pub async fn sdk_config(endpoint: Option<&str>) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    let loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts);
    match endpoint {
        None => loader.load().await,
        Some(endpoint) => {
            loader
                .endpoint_url(endpoint)
                .region(Region::new(LOCAL_REGION))
                .test_credentials()
                .load()
                .await
        }
    }
}

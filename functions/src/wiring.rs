//! Cold-start wiring shared by the binaries: tracing, the AWS clients, the store and the providers.

use std::sync::Arc;

use shadowhunter_aws::{DynamoResponseCache, DynamoStore};
use shadowhunter_core::ports::{CheckStore, Providers};
use shadowhunter_providers::resilient::{CacheSettings, NoObserver, Resilience};
use shadowhunter_providers::{LimitsTable, ProviderConfig};

use crate::config;

/// JSON logs for CloudWatch, filtered by `RUST_LOG` (default `info`), without ANSI colours or timestamps
/// (CloudWatch stamps each line).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(true)
        .with_ansi(false)
        .without_time()
        .init();
}

/// The SDK configuration from the standard environment (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL`).
pub async fn aws() -> aws_config::SdkConfig {
    shadowhunter_aws::sdk_config(None).await
}

/// The checks table as a [`CheckStore`].
pub fn store(sdk: &aws_config::SdkConfig) -> Result<Arc<dyn CheckStore>, config::ConfigError> {
    Ok(Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(sdk),
        config::checks_table()?,
    )))
}

/// The providers configured in the environment, each behind its limits and the response cache, which keeps
/// answers in memory and in the checks table so a repeated subject costs no call on any instance.
pub fn providers(sdk: &aws_config::SdkConfig) -> Result<Providers, config::ConfigError> {
    let durable = DynamoResponseCache::new(aws_sdk_dynamodb::Client::new(sdk), config::checks_table()?);
    let cache = CacheSettings {
        durable: Some(Arc::new(durable)),
        ..CacheSettings::default()
    };
    let resilience = Resilience::new(LimitsTable::from_env(), Some(cache), Arc::new(NoObserver));
    let client = shadowhunter_providers::http::client();
    Ok(ProviderConfig::from_env().build_with(&client, |adapter| resilience.wrap(adapter, "")))
}

//! Configuration read once at cold start from the environment; a missing variable fails the cold start,
//! naming it, instead of failing every invocation.

use shadowhunter_core::Channel;

/// A required environment variable was missing or unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is `{value}`: {reason}")]
    Invalid {
        name: &'static str,
        value: String,
        reason: String,
    },
}

/// The value of `name`, which must be set and not blank.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .ok_or(ConfigError::Missing(name))
}

/// The DynamoDB table every function reads and writes.
pub fn checks_table() -> Result<String, ConfigError> {
    required("CHECKS_TABLE")
}

/// The channel a collector or comparator function is deployed for (`CHANNEL`, e.g. `search`).
pub fn channel() -> Result<Channel, ConfigError> {
    let value = required("CHANNEL")?;
    serde_json::from_value(serde_json::Value::String(value.clone())).map_err(|_| ConfigError::Invalid {
        name: "CHANNEL",
        value,
        reason: "expected one of search, customs, linkedin, facebook, twitter, website".into(),
    })
}

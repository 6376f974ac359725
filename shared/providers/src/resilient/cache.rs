//! The response cache's keys, lifetimes and durable port: what a cached provider answer is filed under and for how long.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shadowhunter_core::{Channel, Lookup};

/// Web search results: the index and its ranking move daily, and adverse news must show up within a day.
pub const SEARCH_TTL: Duration = Duration::from_secs(24 * 3600);
/// Customs records: bills of lading are filed and published in weekly batches; past shipments never change.
pub const CUSTOMS_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// LinkedIn, Facebook and X profiles: edited rarely; three days keeps a renamed or deleted account from lingering.
pub const SOCIAL_TTL: Duration = Duration::from_secs(3 * 24 * 3600);
/// Website pages and RDAP: a day, like the robots.txt cache RFC 9309 allows (≤ 24 h).
pub const WEBSITE_TTL: Duration = Duration::from_secs(24 * 3600);

/// How long an answer on `channel` is served from the cache.
pub fn ttl_for(channel: Channel) -> Duration {
    match channel {
        Channel::Search => SEARCH_TTL,
        Channel::Customs => CUSTOMS_TTL,
        Channel::Linkedin | Channel::Facebook | Channel::Twitter => SOCIAL_TTL,
        Channel::Website => WEBSITE_TTL,
    }
}

/// The key an answer is filed under: the provider, the scope (which upstream — the sandbox world, or empty in
/// production) and the lookup serialized with every string lower-cased and its whitespace folded, so `Acme  Ltd`
/// and `acme ltd` share one entry.
pub fn cache_key(provider: &str, scope: &str, lookup: &Lookup) -> String {
    let mut value = serde_json::to_value(lookup).unwrap_or_default();
    normalize(&mut value);
    // U+001F (unit separator) cannot appear in a provider name or a world id, so the parts cannot run together.
    format!("{provider}\u{1f}{scope}\u{1f}{value}")
}

fn normalize(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => {
            *text = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(normalize),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(normalize),
        _ => {}
    }
}

/// An answer read back from a durable cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub bytes: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

/// The durable cache failed; the decorator treats that as a miss and calls the provider.
#[derive(Debug, thiserror::Error)]
#[error("response cache: {0}")]
pub struct ResponseCacheError(pub String);

/// A durable store of provider answers (SQLite locally, DynamoDB in AWS) behind the in-memory cache, so a repeated
/// subject costs no provider call after a restart or on another instance.
#[async_trait]
pub trait ResponseCache: Send + Sync {
    /// The answer filed under `key`, unless there is none or it expired.
    async fn get(&self, key: &str) -> Result<Option<StoredResponse>, ResponseCacheError>;
    /// Files `bytes` under `key` until `expires_at`, replacing what was there.
    async fn put(&self, key: &str, bytes: Vec<u8>, expires_at: DateTime<Utc>) -> Result<(), ResponseCacheError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_differing_only_in_case_and_whitespace_share_a_key() {
        let spaced = Lookup::CompanySearch {
            name: "  Acme   Trading\tLtd ".into(),
            country: Some("CN".into()),
        };
        let plain = Lookup::CompanySearch {
            name: "acme trading ltd".into(),
            country: Some("cn".into()),
        };
        assert_eq!(cache_key("pdl", "", &spaced), cache_key("pdl", "", &plain));
    }

    #[test]
    fn the_provider_the_scope_and_the_operation_all_tell_keys_apart() {
        let search = Lookup::WebSearch { query: "acme".into() };
        let shipments = Lookup::Shipments { party: "acme".into() };
        assert_ne!(cache_key("brave", "", &search), cache_key("brave", "world-a", &search));
        assert_ne!(cache_key("brave", "", &search), cache_key("tavily", "", &search));
        assert_ne!(cache_key("brave", "", &search), cache_key("brave", "", &shipments));
        let narrowed = Lookup::CompanySearch {
            name: "acme".into(),
            country: Some("cn".into()),
        };
        let open = Lookup::CompanySearch {
            name: "acme".into(),
            country: None,
        };
        assert_ne!(cache_key("pdl", "", &narrowed), cache_key("pdl", "", &open));
    }

    #[test]
    fn each_channel_keeps_answers_for_its_own_ttl() {
        assert_eq!(ttl_for(Channel::Search), Duration::from_secs(86_400));
        assert_eq!(ttl_for(Channel::Customs), Duration::from_secs(7 * 86_400));
        for social in [Channel::Linkedin, Channel::Facebook, Channel::Twitter] {
            assert_eq!(ttl_for(social), Duration::from_secs(3 * 86_400));
        }
        assert_eq!(ttl_for(Channel::Website), Duration::from_secs(86_400));
    }
}

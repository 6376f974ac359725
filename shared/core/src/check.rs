//! A check: one request with its id and when it arrived.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::request::CheckRequest;

/// A check's id: `chk_` and 32 hex digits; safe as a Step Functions execution name and a DynamoDB key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CheckId(String);

impl CheckId {
    /// A new id that sorts after the ids generated before it (a UUIDv7: milliseconds, then random bits), so the
    /// store's indexes keyed by check id grow at one end instead of splitting pages all over: with random ids
    /// every commit of a new check dirtied a different leaf of each index.
    pub fn generate() -> Self {
        Self(format!("chk_{}", uuid::Uuid::now_v7().simple()))
    }

    /// The same id for the same `seed` every time, e.g. an SQS message id and a line number, so a redelivered
    /// submission names the check it already created.
    pub fn derived(seed: &str) -> Self {
        Self(format!(
            "chk_{}",
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, seed.as_bytes()).simple()
        ))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let hex = raw.strip_prefix("chk_")?;
        (hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())).then(|| Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request accepted for checking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub id: CheckId,
    pub request: CheckRequest,
    pub received_at: DateTime<Utc>,
}

impl Check {
    pub fn new(request: CheckRequest, received_at: DateTime<Utc>) -> Self {
        Self {
            id: CheckId::generate(),
            request,
            received_at,
        }
    }
}

/// Where a check is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Queued => "queued",
            CheckStatus::Running => "running",
            CheckStatus::Done => "done",
            CheckStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            CheckStatus::Queued,
            CheckStatus::Running,
            CheckStatus::Done,
            CheckStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_sort_in_the_order_they_were_made() {
        let ids: Vec<CheckId> = (0..2_000).map(|_| CheckId::generate()).collect();
        assert!(ids.iter().all(|id| CheckId::parse(id.as_str()).as_ref() == Some(id)));
        assert!(
            ids.windows(2).all(|pair| pair[0] < pair[1]),
            "ids made later must sort later"
        );
    }
}

//! The summary report of a check: verdicts per channel, flags, the risk level and why.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::check::CheckId;
use crate::flags::Flag;
use crate::verdict::ChannelVerdict;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

impl RiskLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }
}

/// The finished check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub check_id: CheckId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub subject_name: String,
    pub risk: RiskLevel,
    /// The rules that set the risk level, in words.
    pub risk_reasons: Vec<String>,
    pub flags: Vec<Flag>,
    pub channels: BTreeMap<String, ChannelVerdict>,
    /// A short analyst-style narrative whose claims cite evidence ids.
    pub summary: String,
    pub evaluator: String,
    /// What the LLM layer cost this check (all zero when no LLM is configured).
    #[serde(default)]
    pub llm: crate::llm::LlmUsage,
    pub provider_calls: usize,
    pub elapsed_ms: u64,
    pub completed_at: DateTime<Utc>,
}

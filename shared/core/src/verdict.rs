//! A channel's verdict: the field-by-field comparison of entered against found, and the flags it raises.

use serde::{Deserialize, Serialize};

use crate::channel::Channel;
use crate::evidence::{Finding, ProviderCall};
use crate::flags::Flag;

/// What a channel concluded about the subject (SCENARIOS.md's four verdicts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Consistent,
    Inconsistent,
    NotFound,
    Unavailable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Consistent => "consistent",
            Verdict::Inconsistent => "inconsistent",
            Verdict::NotFound => "not_found",
            Verdict::Unavailable => "unavailable",
        }
    }
}

/// The fields a channel can compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Address,
    Country,
    Phone,
    Email,
    Website,
    Contact,
    Employer,
    LineOfBusiness,
    TradeRole,
    DomainAge,
    /// How long ago the subject's latest customs record was filed.
    LastShipment,
    /// Whether the subject still trades, by its own word.
    OperatingStatus,
}

impl Field {
    /// A date held against a fixed threshold: a rule fact that reading the evidence again cannot change.
    pub fn is_dated_fact(self) -> bool {
        matches!(self, Field::DomainAge | Field::LastShipment)
    }
}

/// How one field compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Match,
    Mismatch,
    /// Both sides exist but say too little to compare (a city against a street address in another script).
    Inconclusive,
}

/// Entered value against found value for one field, with the findings that support it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldComparison {
    pub field: Field,
    pub entered: String,
    pub found: String,
    pub outcome: Outcome,
    /// Ids of the findings (`<channel>-<n>`) this comparison rests on.
    pub evidence: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// One channel's judgement for a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelVerdict {
    pub channel: Channel,
    pub verdict: Verdict,
    /// One sentence saying why.
    pub reason: String,
    pub fields: Vec<FieldComparison>,
    pub flags: Vec<Flag>,
    /// The findings, each with its id; only those about the subject are marked `relevant`.
    pub evidence: Vec<EvidenceRef>,
    pub calls: Vec<ProviderCall>,
    /// Reports of wrongdoing by the subject found on this channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adverse_media: Vec<AdverseReport>,
    pub elapsed_ms: u64,
    /// Which evaluator produced the verdict (`deterministic`, or an LLM model later).
    pub evaluator: String,
}

impl ChannelVerdict {
    /// A verdict of the deterministic judge that cites nothing: a channel whose step failed, or a test's verdict.
    pub fn without_evidence(channel: Channel, verdict: Verdict, reason: impl Into<String>) -> Self {
        Self {
            channel,
            verdict,
            reason: reason.into(),
            fields: Vec::new(),
            flags: Vec::new(),
            evidence: Vec::new(),
            calls: Vec::new(),
            adverse_media: Vec::new(),
            elapsed_ms: 0,
            evaluator: crate::judge::DETERMINISTIC.into(),
        }
    }
}

/// A finding as the report cites it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRef {
    pub id: String,
    pub relevant: bool,
    #[serde(flatten)]
    pub finding: Finding,
    pub snippet: String,
}

/// One finding that reports wrongdoing by the subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdverseReport {
    /// The finding's id (`search-2`).
    pub evidence: String,
    pub terms: Vec<String>,
    /// Whether it reports action by an authority (police, court, regulator, sanctions list), not an allegation.
    pub official: bool,
}

//! Evidence with provenance: every fact says which provider gave it, where, and when.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::channel::Channel;

/// One operation on a channel's provider. The planner, the agent and the cache all speak in lookups.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Lookup {
    /// A web search query.
    WebSearch { query: String },
    /// Bills of lading where the party is shipper or consignee.
    Shipments { party: String },
    /// A LinkedIn company profile by its public URL.
    CompanyProfile { url: String },
    /// LinkedIn companies by name, optionally narrowed by country.
    CompanySearch { name: String, country: Option<String> },
    /// A LinkedIn person profile by its public URL.
    PersonProfile { url: String },
    /// LinkedIn people by name, optionally at a company.
    PersonSearch { name: String, company: Option<String> },
    /// A Facebook page by its URL.
    FacebookPage { url: String },
    /// Facebook pages by name.
    FacebookSearch { name: String },
    /// An X user by username.
    XUser { username: String },
    /// X users whose recent posts or profile match a name.
    XSearch { query: String },
    /// A crawl of the official website from its home page.
    CrawlSite { url: String },
    /// Registration data (RDAP) of a domain.
    DomainRegistration { domain: String },
}

impl Lookup {
    pub fn channel(&self) -> Channel {
        match self {
            Lookup::WebSearch { .. } => Channel::Search,
            Lookup::Shipments { .. } => Channel::Customs,
            Lookup::CompanyProfile { .. }
            | Lookup::CompanySearch { .. }
            | Lookup::PersonProfile { .. }
            | Lookup::PersonSearch { .. } => Channel::Linkedin,
            Lookup::FacebookPage { .. } | Lookup::FacebookSearch { .. } => Channel::Facebook,
            Lookup::XUser { .. } | Lookup::XSearch { .. } => Channel::Twitter,
            Lookup::CrawlSite { .. } | Lookup::DomainRegistration { .. } => Channel::Website,
        }
    }

    /// A short human description, e.g. `web_search "Acme Ltd"`.
    pub fn describe(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or_default();
        let op = value
            .get("op")
            .and_then(|op| op.as_str())
            .unwrap_or("lookup")
            .to_string();
        let args: Vec<String> = value
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(key, arg)| *key != "op" && !arg.is_null())
            .map(|(_, arg)| arg.to_string())
            .collect();
        format!("{op} {}", args.join(" "))
    }
}

/// One fact-bearing record a provider returned, with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The provider's name, e.g. `brave`.
    pub provider: String,
    /// The URL or record id the fact came from.
    pub source: String,
    pub fetched_at: DateTime<Utc>,
    pub record: Record,
}

impl Finding {
    /// Whether `other` is the same record from the same place, whenever either was fetched: the lookups of one
    /// channel overlap (two searches return the same page), and each call stamps its own `fetched_at`.
    pub fn is_same_record(&self, other: &Finding) -> bool {
        self.source == other.source && self.record == other.record
    }
}

/// The structured content of a finding, one variant per kind of record the channels return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    SearchResult {
        title: String,
        url: String,
        snippet: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        published: Option<String>,
    },
    Shipment {
        date: Option<NaiveDate>,
        shipper: String,
        shipper_country: Option<String>,
        consignee: String,
        consignee_country: Option<String>,
        hs_code: Option<String>,
        description: String,
        weight_kg: Option<f64>,
    },
    CompanyProfile {
        url: String,
        name: String,
        industry: Option<String>,
        headquarters: Option<String>,
        website: Option<String>,
        employee_count: Option<u64>,
        founded: Option<i32>,
    },
    PersonProfile {
        url: String,
        name: String,
        headline: Option<String>,
        company: Option<String>,
        location: Option<String>,
    },
    FacebookPage {
        url: String,
        name: String,
        about: Option<String>,
        address: Option<String>,
        phone: Option<String>,
        website: Option<String>,
        email: Option<String>,
        followers: Option<u64>,
    },
    XAccount {
        username: String,
        name: String,
        description: Option<String>,
        location: Option<String>,
        url: Option<String>,
        created_at: Option<String>,
        followers: Option<u64>,
    },
    WebPage {
        url: String,
        title: String,
        /// The visible text, whitespace-folded and cut to the crawler's budget.
        text: String,
        /// Text a browser would not show (display:none, aria-hidden, comments), kept to detect instructions aimed at AI.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        hidden_text: String,
        emails: Vec<String>,
        phones: Vec<String>,
        addresses: Vec<String>,
    },
    DomainRegistration {
        domain: String,
        registered: Option<NaiveDate>,
        registrar: Option<String>,
    },
}

impl Record {
    /// The text a person would read as the finding's snippet.
    pub fn snippet(&self) -> String {
        match self {
            Record::SearchResult { title, snippet, .. } => format!("{title} — {snippet}"),
            Record::Shipment {
                date,
                shipper,
                consignee,
                hs_code,
                description,
                ..
            } => format!(
                "{} {shipper} → {consignee}, HS {}, {description}",
                date.map(|d| d.to_string()).unwrap_or_default(),
                hs_code.as_deref().unwrap_or("?")
            ),
            Record::CompanyProfile {
                name,
                industry,
                headquarters,
                ..
            } => format!(
                "{name} — {} — {}",
                industry.as_deref().unwrap_or(""),
                headquarters.as_deref().unwrap_or("")
            ),
            Record::PersonProfile { name, headline, .. } => {
                format!("{name} — {}", headline.as_deref().unwrap_or(""))
            }
            Record::FacebookPage { name, about, .. } => {
                format!("{name} — {}", about.as_deref().unwrap_or(""))
            }
            Record::XAccount {
                username,
                name,
                description,
                ..
            } => format!("@{username} {name} — {}", description.as_deref().unwrap_or("")),
            Record::WebPage { title, text, .. } => {
                let mut snippet: String = text.chars().take(240).collect();
                if snippet.len() < text.len() {
                    snippet.push('…');
                }
                format!("{title} — {snippet}")
            }
            Record::DomainRegistration { domain, registered, .. } => format!(
                "{domain} registered {}",
                registered
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "on an unknown date".into())
            ),
        }
    }
}

/// Why a lookup produced nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProviderError {
    #[error("not configured")]
    NotConfigured,
    #[error("provider answered HTTP {status}")]
    Unavailable { status: u16 },
    #[error("provider did not answer within {timeout_ms} ms")]
    Timeout { timeout_ms: u64 },
    #[error("provider is rate limiting (retry after {retry_after_s:?} s)")]
    RateLimited { retry_after_s: Option<u64> },
    #[error("provider answered in an unexpected format: {detail}")]
    Malformed { detail: String },
    #[error("could not reach the provider: {detail}")]
    Transport { detail: String },
    /// The looked-up thing does not exist on the network (a domain that does not resolve).
    #[error("unreachable: {detail}")]
    Unreachable { detail: String },
}

impl ProviderError {
    /// Whether trying again later could succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ProviderError::Unavailable { .. }
                | ProviderError::Timeout { .. }
                | ProviderError::RateLimited { .. }
                | ProviderError::Transport { .. }
        )
    }
}

/// The record of one provider call, for the report's accounting and the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderCall {
    pub provider: String,
    pub lookup: Lookup,
    pub elapsed_ms: u64,
    pub findings: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ProviderError>,
}

/// Everything one channel's collector gathered for a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub channel: Channel,
    /// Findings in the order they were gathered; a finding's id in the report is `<channel>-<index>`.
    pub findings: Vec<Finding>,
    pub calls: Vec<ProviderCall>,
    pub elapsed_ms: u64,
}

impl Evidence {
    /// A channel with nothing gathered (its collector never stored anything).
    pub fn empty(channel: Channel) -> Self {
        Self {
            channel,
            findings: Vec::new(),
            calls: Vec::new(),
            elapsed_ms: 0,
        }
    }

    pub fn finding_id(channel: Channel, index: usize) -> String {
        format!("{}-{}", channel.as_str(), index + 1)
    }

    /// The error that kept this channel from being searched at all, if every call failed.
    pub fn blocking_error(&self) -> Option<&ProviderError> {
        let all_failed = !self.calls.is_empty() && self.calls.iter().all(|call| call.error.is_some());
        if all_failed {
            self.calls.iter().find_map(|call| call.error.as_ref())
        } else {
            None
        }
    }
}

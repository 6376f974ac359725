//! Scenario files (SCENARIOS.md): a request, the world every provider would show for it, and the analyst's verdicts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use shadowhunter_core::{Channel, CheckRequest};

/// One scenario file, parsed. Unknown keys anywhere are an error.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    #[serde(default)]
    pub description: String,
    /// Kept as JSON and parsed with the API's own rules, so a scenario request is exactly a `POST /checks` body.
    pub request: serde_json::Value,
    #[serde(default)]
    pub world: World,
    pub expected: Expected,
}

impl Scenario {
    pub fn check_request(&self) -> Result<CheckRequest, shadowhunter_core::InvalidInput> {
        CheckRequest::from_value(&self.request)
    }
}

/// What every provider knows for one scenario.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    #[serde(default)]
    pub search: Option<SearchWorld>,
    #[serde(default)]
    pub customs: Option<CustomsWorld>,
    #[serde(default)]
    pub linkedin: Option<LinkedinWorld>,
    #[serde(default)]
    pub facebook: Option<FacebookWorld>,
    #[serde(default)]
    pub twitter: Option<TwitterWorld>,
    #[serde(default)]
    pub web: Option<WebWorld>,
    #[serde(default)]
    pub faults: BTreeMap<Channel, Fault>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchWorld {
    #[serde(default)]
    pub documents: Vec<SearchDocument>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchDocument {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub snippet: String,
    #[serde(default)]
    pub published: Option<String>,
    /// The significant words of title, snippet and URL, worked out at the first query rather than at every one.
    #[serde(skip)]
    words: OnceLock<Vec<String>>,
}

impl SearchDocument {
    /// What a query is matched against (`brave::significant_words` of title, snippet and URL).
    pub(crate) fn words(&self) -> &[String] {
        self.words.get_or_init(|| {
            crate::providers::brave::significant_words(&format!("{} {} {}", self.title, self.snippet, self.url))
        })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomsWorld {
    #[serde(default)]
    pub shipments: Vec<ShipmentRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipmentRecord {
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub shipper: String,
    #[serde(default)]
    pub shipper_country: Option<String>,
    #[serde(default)]
    pub consignee: String,
    #[serde(default)]
    pub consignee_country: Option<String>,
    #[serde(default)]
    pub hs_code: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub weight_kg: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkedinWorld {
    #[serde(default)]
    pub companies: Vec<LinkedinCompany>,
    #[serde(default)]
    pub people: Vec<LinkedinPerson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkedinCompany {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub headquarters: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub employee_count: Option<u64>,
    #[serde(default)]
    pub founded: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkedinPerson {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub headline: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacebookWorld {
    #[serde(default)]
    pub pages: Vec<FacebookPageRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacebookPageRecord {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub about: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub followers: Option<u64>,
    #[serde(default)]
    pub created: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwitterWorld {
    #[serde(default)]
    pub users: Vec<TwitterUserRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwitterUserRecord {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub followers_count: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebWorld {
    /// Page bodies by exact URL.
    #[serde(default)]
    pub pages: BTreeMap<String, String>,
    #[serde(default)]
    pub domains: BTreeMap<String, DomainRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainRecord {
    #[serde(default)]
    pub registered: Option<String>,
}

/// How a faulty provider misbehaves on every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// HTTP 503.
    Unavailable,
    /// Never answers within the client's timeout.
    Timeout,
    /// HTTP 429 with Retry-After.
    RateLimited,
    /// HTTP 200 with a body that is not the provider's format.
    Malformed,
}

/// The analyst's conclusions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub risk: shadowhunter_core::RiskLevel,
    #[serde(default)]
    pub channels: BTreeMap<Channel, shadowhunter_core::Verdict>,
    #[serde(default)]
    pub flags: Vec<String>,
}

/// A scenario file that could not be loaded, with the path and why.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct LoadError {
    pub path: PathBuf,
    pub message: String,
}

/// Parses one scenario file's text.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, LoadError> {
    let fail = |message: String| LoadError {
        path: path.to_path_buf(),
        message,
    };
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    let scenario: Scenario = serde_path_to_error::deserialize(deserializer)
        .map_err(|err| fail(format!("{}: {}", err.path(), err.inner())))?;
    let id_ok = !scenario.id.is_empty()
        && scenario
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        return Err(fail(format!("id `{}` must be [a-z0-9-]", scenario.id)));
    }
    scenario.check_request().map_err(|err| fail(format!("request.{err}")))?;
    Ok(scenario)
}

/// Every `*.json` under `dir` (recursively), sorted by path; each either a scenario or the reason it failed to load.
pub fn load_dir(dir: &Path) -> std::io::Result<Vec<Result<Scenario, LoadError>>> {
    let mut paths = Vec::new();
    collect_json_files(dir, &mut paths)?;
    paths.sort();
    Ok(paths
        .into_iter()
        .map(|path| match std::fs::read_to_string(&path) {
            Ok(text) => parse(&path, &text),
            Err(err) => Err(LoadError {
                path,
                message: err.to_string(),
            }),
        })
        .collect())
}

fn collect_json_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_json_files(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "json") {
            out.push(path);
        }
    }
    Ok(())
}

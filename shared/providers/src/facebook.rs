//! Adapter for the Facebook Graph API Page node and Pages Search (https://developers.facebook.com/docs/graph-api/reference/page, https://developers.facebook.com/documentation/pages-api/search-pages).

use async_trait::async_trait;
use chrono::Utc;
use serde::Deserialize;
use shadowhunter_core::ports::Provider;
use shadowhunter_core::{Channel, Finding, Lookup, ProviderError, Record};

use crate::config::Endpoint;
use crate::http::{self, HttpPolicy};
use crate::text::non_empty;

/// The Page fields read; public Pages expose them to apps with Page Public Metadata Access.
const PAGE_FIELDS: &str =
    "id,name,about,single_line_address,location,phone,website,emails,followers_count,fan_count,link";
/// How many search hits are worth reading: the planner wants the few best, not every namesake.
const SEARCH_LIMIT: &str = "10";

/// Facebook Pages through the Graph API (`endpoint.base_url` includes the version, e.g. `https://graph.facebook.com/v21.0`).
pub struct FacebookGraph {
    client: reqwest::Client,
    endpoint: Endpoint,
    policy: HttpPolicy,
}

impl FacebookGraph {
    /// An adapter for the Graph API at `endpoint`, authenticating with its key as `access_token`.
    pub fn new(client: reqwest::Client, endpoint: Endpoint, policy: HttpPolicy) -> Self {
        Self {
            client,
            endpoint,
            policy,
        }
    }

    async fn page(&self, url: &str) -> Result<Vec<Finding>, ProviderError> {
        let Some(alias) = page_alias(url) else {
            return Ok(Vec::new());
        };
        // A username may hold dots and dashes but never a path separator; encode it as one segment anyway.
        let encoded: String = url::form_urlencoded::byte_serialize(alias.as_bytes()).collect();
        let request_url = self.endpoint.url(&format!("/{encoded}"));
        let query = [
            ("fields", PAGE_FIELDS),
            ("access_token", self.endpoint.api_key.as_str()),
        ];
        let page: Option<GraphPage> =
            match http::send_json(&self.policy, || self.client.get(&request_url).query(&query)).await {
                Err(ProviderError::Unavailable { status: 400 }) => {
                    // Graph answers some missing objects with 400 (code 100, subcode 33) rather than 404 (#803); read the error to tell.
                    self.missing_object_or(&request_url, &query, ProviderError::Unavailable { status: 400 })
                        .await?
                }
                other => other?,
            };
        Ok(page
            .into_iter()
            .filter_map(|page| self.finding(page, Some(url)))
            .collect())
    }

    async fn search(&self, name: &str) -> Result<Vec<Finding>, ProviderError> {
        if name.trim().is_empty() {
            return Ok(Vec::new());
        }
        let request_url = self.endpoint.url("/pages/search");
        let query = [
            ("q", name.trim()),
            ("fields", PAGE_FIELDS),
            ("limit", SEARCH_LIMIT),
            ("access_token", self.endpoint.api_key.as_str()),
        ];
        let answer: Option<SearchAnswer> =
            http::send_json(&self.policy, || self.client.get(&request_url).query(&query)).await?;
        Ok(answer
            .map(|answer| answer.data)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|page| self.finding(page, None))
            .collect())
    }

    /// Re-reads a 400 answer's Graph error: a missing object becomes "no page", anything else stays `fallback`.
    async fn missing_object_or(
        &self,
        request_url: &str,
        query: &[(&str, &str)],
        fallback: ProviderError,
    ) -> Result<Option<GraphPage>, ProviderError> {
        let response = self
            .client
            .get(request_url)
            .query(query)
            .timeout(self.policy.timeout)
            .send()
            .await
            .map_err(|_| fallback.clone())?;
        let body = response.bytes().await.map_err(|_| fallback.clone())?;
        match serde_json::from_slice::<GraphErrorAnswer>(&body) {
            Ok(GraphErrorAnswer { error }) if error.is_missing_object() => Ok(None),
            Ok(GraphErrorAnswer { error }) => {
                tracing::warn!(code = error.code, message = %error.message, "graph api refused the request");
                Err(fallback)
            }
            Err(_) => Err(fallback),
        }
    }

    fn finding(&self, page: GraphPage, requested_url: Option<&str>) -> Option<Finding> {
        if page.name.trim().is_empty() {
            return None;
        }
        let url = non_empty(page.link.clone())
            .or_else(|| requested_url.map(str::to_string))
            .unwrap_or_else(|| format!("https://www.facebook.com/{}", page.id));
        let address =
            non_empty(page.single_line_address.clone()).or_else(|| page.location.as_ref().and_then(Location::line));
        let record = Record::FacebookPage {
            url: url.clone(),
            name: page.name.trim().to_string(),
            about: non_empty(page.about),
            address,
            phone: non_empty(page.phone),
            website: non_empty(page.website),
            email: page.emails.into_iter().find_map(|email| non_empty(Some(email))),
            followers: page.followers_count.or(page.fan_count),
        };
        Some(Finding {
            provider: self.name().to_string(),
            source: url,
            fetched_at: Utc::now(),
            record,
        })
    }
}

#[async_trait]
impl Provider for FacebookGraph {
    fn channel(&self) -> Channel {
        Channel::Facebook
    }

    fn name(&self) -> &'static str {
        "facebook"
    }

    #[tracing::instrument(skip(self))]
    async fn lookup(&self, lookup: &Lookup) -> Result<Vec<Finding>, ProviderError> {
        match lookup {
            Lookup::FacebookPage { url } => self.page(url).await,
            Lookup::FacebookSearch { name } => self.search(name).await,
            // Another channel's lookup: this provider knows nothing about it.
            _ => Ok(Vec::new()),
        }
    }
}

/// The alias Graph addresses a Page by: its username (last path segment) or the `id` of `profile.php?id=`.
fn page_alias(url: &str) -> Option<String> {
    let trimmed = url.trim();
    if trimmed.is_empty() {
        return None;
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let parsed = url::Url::parse(&with_scheme).ok()?;
    if parsed.path().trim_end_matches('/').ends_with("profile.php") {
        return parsed
            .query_pairs()
            .find(|(key, _)| key == "id")
            .map(|(_, id)| id.into_owned());
    }
    let segment = parsed.path_segments()?.rfind(|segment| !segment.is_empty())?;
    // Graph usernames are case-insensitive; lower case keeps the request (and any cache key) stable.
    Some(segment.to_lowercase())
}

/// A Page node; Graph omits every field the Page has not set.
#[derive(Debug, Deserialize)]
struct GraphPage {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    about: Option<String>,
    #[serde(default)]
    single_line_address: Option<String>,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    website: Option<String>,
    #[serde(default)]
    emails: Vec<String>,
    #[serde(default)]
    followers_count: Option<u64>,
    #[serde(default)]
    fan_count: Option<u64>,
    #[serde(default)]
    link: Option<String>,
}

/// Graph's Location type.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Location {
    street: Option<String>,
    city: Option<String>,
    state: Option<String>,
    zip: Option<String>,
    country: Option<String>,
}

impl Location {
    /// One address line from the structured parts, street first.
    fn line(&self) -> Option<String> {
        let parts: Vec<&str> = [&self.street, &self.city, &self.state, &self.zip, &self.country]
            .into_iter()
            .filter_map(|part| part.as_deref().map(str::trim).filter(|part| !part.is_empty()))
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

#[derive(Debug, Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    data: Vec<GraphPage>,
}

#[derive(Debug, Deserialize)]
struct GraphErrorAnswer {
    error: GraphError,
}

#[derive(Debug, Deserialize)]
struct GraphError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: u32,
    #[serde(default)]
    error_subcode: Option<u32>,
}

impl GraphError {
    /// (#803) unknown alias, or (#100/33) "object does not exist, cannot be loaded due to missing permissions".
    fn is_missing_object(&self) -> bool {
        self.code == 803 || (self.code == 100 && self.error_subcode == Some(33))
    }
}

#[cfg(test)]
mod tests {
    use shadowhunter_sandbox::scenario::{FacebookPageRecord, FacebookWorld};
    use shadowhunter_sandbox::{Fault, ProviderSlug, RunningSandbox, World};

    use super::*;
    use crate::test_support::{self, exact_fault_cases, start};

    fn greenleaf() -> FacebookPageRecord {
        FacebookPageRecord {
            url: "https://www.facebook.com/greenleaftea".into(),
            name: "Greenleaf Tea Hangzhou".into(),
            about: Some("Longjing green tea and oolong, grown and packed in Hangzhou.".into()),
            address: Some("88 Longjing Rd, Xihu, Hangzhou, China".into()),
            phone: Some("+86 571 8765 4321".into()),
            website: Some("http://greenleaf-tea.example".into()),
            email: Some("sales@greenleaf-tea.example".into()),
            followers: Some(4200),
            created: Some("2014-03-18".into()),
        }
    }

    fn world() -> World {
        let hotel = FacebookPageRecord {
            url: "https://www.facebook.com/greenleafhotel".into(),
            name: "Greenleaf Hotel".into(),
            about: None,
            address: None,
            phone: None,
            website: None,
            email: None,
            followers: None,
            created: None,
        };
        World {
            facebook: Some(FacebookWorld {
                pages: vec![hotel, greenleaf()],
            }),
            ..World::default()
        }
    }

    fn adapter(sandbox: &RunningSandbox) -> FacebookGraph {
        test_support::adapter(FacebookGraph::new, sandbox, ProviderSlug::Facebook, "test-token")
    }

    fn faulty(fault: Fault) -> World {
        let mut world = world();
        world.faults.insert(Channel::Facebook, fault);
        world
    }

    #[tokio::test]
    async fn a_page_found_by_its_url_maps_every_field() {
        let sandbox = start(world()).await;
        let lookup = Lookup::FacebookPage {
            url: "http://facebook.com/GreenleafTea/".into(),
        };
        let findings = adapter(&sandbox).lookup(&lookup).await.expect("lookup succeeds");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].provider, "facebook");
        assert_eq!(findings[0].source, "https://www.facebook.com/greenleaftea");
        assert_eq!(
            findings[0].record,
            Record::FacebookPage {
                url: "https://www.facebook.com/greenleaftea".into(),
                name: "Greenleaf Tea Hangzhou".into(),
                about: Some("Longjing green tea and oolong, grown and packed in Hangzhou.".into()),
                address: Some("88 Longjing Rd, Xihu, Hangzhou, China".into()),
                phone: Some("+86 571 8765 4321".into()),
                website: Some("http://greenleaf-tea.example".into()),
                email: Some("sales@greenleaf-tea.example".into()),
                followers: Some(4200),
            }
        );
    }

    #[tokio::test]
    async fn an_unknown_page_is_an_empty_answer_not_an_error() {
        let sandbox = start(world()).await;
        let lookup = Lookup::FacebookPage {
            url: "https://www.facebook.com/no-such-page".into(),
        };
        assert_eq!(adapter(&sandbox).lookup(&lookup).await, Ok(Vec::new()));
    }

    #[tokio::test]
    async fn name_search_returns_the_best_overlap_first() {
        let sandbox = start(world()).await;
        let lookup = Lookup::FacebookSearch {
            name: "Hangzhou Greenleaf Tea Co., Ltd.".into(),
        };
        let findings = adapter(&sandbox).lookup(&lookup).await.expect("search succeeds");
        let names: Vec<String> = findings
            .iter()
            .map(|finding| match &finding.record {
                Record::FacebookPage { name, .. } => name.clone(),
                other => panic!("unexpected record {other:?}"),
            })
            .collect();
        assert_eq!(names, vec!["Greenleaf Tea Hangzhou", "Greenleaf Hotel"]);
    }

    #[tokio::test]
    async fn a_search_sharing_no_word_finds_nothing() {
        let sandbox = start(world()).await;
        let lookup = Lookup::FacebookSearch {
            name: "Zahra Bay Electronics".into(),
        };
        assert_eq!(adapter(&sandbox).lookup(&lookup).await, Ok(Vec::new()));
    }

    #[tokio::test]
    async fn provider_faults_become_the_matching_errors() {
        for (fault, expected) in exact_fault_cases() {
            let sandbox = start(faulty(fault)).await;
            let lookup = Lookup::FacebookPage {
                url: "https://www.facebook.com/greenleaftea".into(),
            };
            assert_eq!(adapter(&sandbox).lookup(&lookup).await, Err(expected), "{fault:?}");
        }
        let sandbox = start(faulty(Fault::Malformed)).await;
        let lookup = Lookup::FacebookSearch {
            name: "Greenleaf".into(),
        };
        assert!(matches!(
            adapter(&sandbox).lookup(&lookup).await,
            Err(ProviderError::Malformed { .. })
        ));
    }

    #[test]
    fn page_aliases_come_from_the_last_path_segment_or_the_profile_id() {
        assert_eq!(
            page_alias("https://www.facebook.com/GreenleafTea/").as_deref(),
            Some("greenleaftea")
        );
        assert_eq!(
            page_alias("facebook.com/pages/Greenleaf/12345").as_deref(),
            Some("12345")
        );
        assert_eq!(
            page_alias("https://www.facebook.com/profile.php?id=100064").as_deref(),
            Some("100064")
        );
        assert_eq!(page_alias("  "), None);
    }
}

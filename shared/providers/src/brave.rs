//! Search channel: the Brave Search API web search (<https://api-dashboard.search.brave.com/app/documentation/web-search/get-started>).

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use shadowhunter_core::ports::Provider;
use shadowhunter_core::{Channel, Finding, Lookup, ProviderError, Record};

use crate::config::Endpoint;
use crate::http::{HttpPolicy, send_json};

/// The most results Brave returns for one web search request.
const MAX_COUNT: u32 = 20;

/// Brave Search API adapter: `GET /res/v1/web/search` with an `X-Subscription-Token`.
pub struct BraveSearch {
    client: reqwest::Client,
    endpoint: Endpoint,
    policy: HttpPolicy,
}

impl BraveSearch {
    /// An adapter for the Brave API at `endpoint` (base URL `https://api.search.brave.com`).
    pub fn new(client: reqwest::Client, endpoint: Endpoint, policy: HttpPolicy) -> Self {
        Self {
            client,
            endpoint,
            policy,
        }
    }

    async fn web_search(&self, query: &str) -> Result<Vec<Finding>, ProviderError> {
        let url = self.endpoint.url("/res/v1/web/search");
        let count = MAX_COUNT.to_string();
        let answer: Option<SearchResponse> = send_json(&self.policy, || {
            self.client
                .get(&url)
                .header("Accept", "application/json")
                .header("X-Subscription-Token", &self.endpoint.api_key)
                // Plain-text snippets: Brave otherwise wraps matched words in <strong>.
                .query(&[("q", query), ("count", count.as_str()), ("text_decorations", "false")])
        })
        .await?;
        let Some(answer) = answer else {
            return Ok(Vec::new());
        };
        if answer.kind != "search" {
            return Err(ProviderError::Malformed {
                detail: format!("expected a Brave `search` answer, got type `{}`", answer.kind),
            });
        }
        let fetched_at = Utc::now();
        Ok(answer
            .web
            .map(|web| web.results)
            .unwrap_or_default()
            .into_iter()
            .filter(|result| !result.url.is_empty())
            .map(|result| Finding {
                provider: "brave".into(),
                source: result.url.clone(),
                fetched_at,
                record: Record::SearchResult {
                    title: strip_tags(&result.title),
                    snippet: strip_tags(&result.description),
                    published: result.page_age.as_deref().and_then(date_part),
                    url: result.url,
                },
            })
            .collect())
    }
}

#[async_trait]
impl Provider for BraveSearch {
    fn channel(&self) -> Channel {
        Channel::Search
    }

    fn name(&self) -> &'static str {
        "brave"
    }

    #[tracing::instrument(skip(self), fields(provider = "brave"))]
    async fn lookup(&self, lookup: &Lookup) -> Result<Vec<Finding>, ProviderError> {
        match lookup {
            Lookup::WebSearch { query } => self.web_search(query).await,
            other => {
                tracing::warn!(lookup = %other.describe(), "brave answers only web searches");
                Ok(Vec::new())
            }
        }
    }
}

/// The parts of Brave's `WebSearchApiResponse` the search channel reads.
#[derive(Debug, Deserialize)]
struct SearchResponse {
    /// Always `search` for a web search answer; anything else is not this API.
    #[serde(rename = "type")]
    kind: String,
    /// Absent when the query matched no web pages.
    #[serde(default)]
    web: Option<WebResults>,
}

#[derive(Debug, Deserialize)]
struct WebResults {
    #[serde(default)]
    results: Vec<WebResult>,
}

#[derive(Debug, Deserialize)]
struct WebResult {
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
    /// ISO 8601 date-time of the page, when Brave knows it, e.g. `2023-11-02T00:00:00`.
    #[serde(default)]
    page_age: Option<String>,
}

/// The `YYYY-MM-DD` of an ISO date-time, if it is a real date.
fn date_part(page_age: &str) -> Option<String> {
    let day = page_age.get(..10)?;
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .map(|date| date.to_string())
}

/// Removes HTML tags, since Brave may still decorate snippets with `<strong>` despite `text_decorations=false`.
fn strip_tags(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use shadowhunter_sandbox::{ProviderSlug, RunningSandbox, World};

    use super::*;
    use crate::test_support::{self, start, start_faulty, world};

    fn tea_world() -> World {
        world(json!({
            "search": { "documents": [
                { "title": "Hangzhou Greenleaf Tea Co., Ltd. - Longjing green tea exporter since 2009",
                  "url": "http://greenleaf-tea.example/",
                  "snippet": "Hangzhou Greenleaf Tea Co., Ltd. grows and exports Longjing green tea.",
                  "published": "2024-02-11" },
                { "title": "Greenleaf Hotel Hangzhou - booking",
                  "url": "http://hotels.example/greenleaf-hangzhou",
                  "snippet": "Greenleaf Hotel is a 3-star hotel near West Lake.",
                  "published": "2022-05-20" },
                { "title": "Greenleaf Tea wins Zhejiang export quality award",
                  "url": "http://zj-trade-news.example/2023/greenleaf-award",
                  "snippet": "Hangzhou Greenleaf Tea, an exporter of green tea, received the award." }
            ] }
        }))
    }

    fn adapter(sandbox: &RunningSandbox, key: &str) -> BraveSearch {
        test_support::adapter(BraveSearch::new, sandbox, ProviderSlug::Brave, key)
    }

    async fn search(adapter: &BraveSearch, query: &str) -> Result<Vec<Finding>, ProviderError> {
        adapter.lookup(&Lookup::WebSearch { query: query.into() }).await
    }

    async fn faulty(fault: &str) -> Result<Vec<Finding>, ProviderError> {
        let sandbox = start_faulty("search", fault).await;
        search(&adapter(&sandbox, "test-key"), "anything").await
    }

    #[tokio::test]
    async fn documents_sharing_words_with_the_query_come_back_best_overlap_first_and_mapped_field_by_field() {
        let sandbox = start(tea_world()).await;
        let findings = search(&adapter(&sandbox, "test-key"), "Hangzhou Greenleaf Tea exporter")
            .await
            .expect("search succeeds");

        let urls: Vec<&str> = findings.iter().map(|finding| finding.source.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://greenleaf-tea.example/",
                "http://zj-trade-news.example/2023/greenleaf-award",
                "http://hotels.example/greenleaf-hangzhou",
            ]
        );
        let first = &findings[0];
        assert_eq!(first.provider, "brave");
        assert_eq!(
            first.record,
            Record::SearchResult {
                title: "Hangzhou Greenleaf Tea Co., Ltd. - Longjing green tea exporter since 2009".into(),
                url: "http://greenleaf-tea.example/".into(),
                snippet: "Hangzhou Greenleaf Tea Co., Ltd. grows and exports Longjing green tea.".into(),
                published: Some("2024-02-11".into()),
            }
        );
        assert!(matches!(
            &findings[1].record,
            Record::SearchResult { published: None, .. }
        ));
    }

    #[tokio::test]
    async fn a_query_sharing_only_stopwords_and_legal_suffixes_finds_nothing() {
        let sandbox = start(tea_world()).await;
        let findings = search(&adapter(&sandbox, "test-key"), "the Co., Ltd. of")
            .await
            .expect("search succeeds");
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[tokio::test]
    async fn a_world_without_search_documents_answers_an_empty_search() {
        let sandbox = start(World::default()).await;
        let findings = search(&adapter(&sandbox, "test-key"), "Hangzhou Greenleaf Tea")
            .await
            .expect("search succeeds");
        assert!(findings.is_empty());
    }

    #[tokio::test]
    async fn the_sandbox_speaks_brave_wire_format_and_respects_count() {
        let sandbox = start(tea_world()).await;
        let url = format!("{}/res/v1/web/search", sandbox.base_url("w", ProviderSlug::Brave));
        let response = reqwest::Client::new()
            .get(&url)
            .header("X-Subscription-Token", "test-key")
            .query(&[("q", "greenleaf"), ("count", "1")])
            .send()
            .await
            .expect("sandbox answers");
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("JSON body");
        assert_eq!(body["type"], "search");
        assert_eq!(body["query"]["original"], "greenleaf");
        assert_eq!(body["web"]["type"], "search");
        let results = body["web"]["results"].as_array().expect("results array");
        assert_eq!(results.len(), 1);
        assert_eq!(results[0]["page_age"], "2024-02-11T00:00:00");
        assert_eq!(results[0]["meta_url"]["hostname"], "greenleaf-tea.example");
    }

    #[tokio::test]
    async fn when_the_subscription_token_is_missing_brave_answers_422_and_lookup_is_unavailable() {
        let sandbox = start(tea_world()).await;
        let outcome = search(&adapter(&sandbox, ""), "Greenleaf").await;
        assert_eq!(outcome, Err(ProviderError::Unavailable { status: 422 }));
    }

    test_support::fault_tests!();

    #[tokio::test]
    async fn json_that_is_not_a_brave_search_answer_is_malformed() {
        let body: SearchResponse = serde_json::from_value(json!({ "type": "ErrorResponse" })).expect("parses");
        assert_eq!(body.kind, "ErrorResponse");
        assert!(serde_json::from_value::<SearchResponse>(json!({ "results": [] })).is_err());
    }

    #[tokio::test]
    async fn lookups_of_other_channels_are_answered_with_nothing() {
        let sandbox = start(tea_world()).await;
        let findings = adapter(&sandbox, "test-key")
            .lookup(&Lookup::Shipments {
                party: "Greenleaf".into(),
            })
            .await
            .expect("no error");
        assert!(findings.is_empty());
    }

    #[test]
    fn page_age_keeps_only_a_real_date() {
        assert_eq!(date_part("2023-11-02T00:00:00"), Some("2023-11-02".into()));
        assert_eq!(date_part("yesterday"), None);
        assert_eq!(strip_tags("<strong>Greenleaf</strong> Tea"), "Greenleaf Tea");
    }
}

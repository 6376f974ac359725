//! LinkedIn channel: People Data Labs company and person enrichment and search (<https://docs.peopledatalabs.com/docs/reference-company-enrichment-api>).
//!
//! PDL licenses LinkedIn-sourced profiles, since LinkedIn's own API shows little to non-admins. Endpoints:
//! `GET /v5/company/enrich`, `POST /v5/company/search`, `GET /v5/person/enrich`, `POST /v5/person/search`
//! (header `X-Api-Key`). A 404 is PDL's "no match" (<https://docs.peopledatalabs.com/docs/errors>).

use async_trait::async_trait;
use chrono::Utc;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shadowhunter_core::ports::Provider;
use shadowhunter_core::{Channel, Finding, Lookup, ProviderError, Record};

use crate::config::Endpoint;
use crate::http::{HttpPolicy, send_json};
use crate::text::non_empty;

/// Candidates asked for per search; enough to hold namesakes, few enough to keep credits low (PDL bills per record).
const SEARCH_SIZE: u32 = 10;

/// People Data Labs adapter for the LinkedIn channel.
pub struct PeopleDataLabs {
    client: reqwest::Client,
    endpoint: Endpoint,
    policy: HttpPolicy,
}

impl PeopleDataLabs {
    /// An adapter for the PDL API at `endpoint` (base URL `https://api.peopledatalabs.com`).
    pub fn new(client: reqwest::Client, endpoint: Endpoint, policy: HttpPolicy) -> Self {
        Self {
            client,
            endpoint,
            policy,
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, params: &[(&str, &str)]) -> Result<Option<T>, ProviderError> {
        let url = self.endpoint.url(path);
        send_json(&self.policy, || {
            self.client
                .get(&url)
                .header("X-Api-Key", &self.endpoint.api_key)
                // PDL lower-cases names and places unless asked to title-case them.
                .query(&[("titlecase", "true")])
                .query(params)
        })
        .await
    }

    async fn search<T: DeserializeOwned>(&self, path: &str, query: Value) -> Result<Vec<T>, ProviderError> {
        let url = self.endpoint.url(path);
        let body = json!({ "query": query, "size": SEARCH_SIZE, "titlecase": true });
        let answer: Option<SearchResponse<T>> = send_json(&self.policy, || {
            self.client
                .post(&url)
                .header("X-Api-Key", &self.endpoint.api_key)
                .json(&body)
        })
        .await?;
        Ok(answer.map(|answer| answer.data).unwrap_or_default())
    }

    async fn company_profile(&self, url: &str) -> Result<Vec<Finding>, ProviderError> {
        for form in profile_url_forms(url) {
            let answer: Option<CompanyEnrichResponse> = self.get("/v5/company/enrich", &[("profile", &form)]).await?;
            if let Some(answer) = answer {
                return Ok(vec![answer.company.into_finding(url)]);
            }
        }
        Ok(Vec::new())
    }

    async fn company_search(&self, name: &str, country: Option<&str>) -> Result<Vec<Finding>, ProviderError> {
        let mut query = json!({ "bool": { "must": [{ "match": { "name": name } }] } });
        // The country only ranks: a company whose profile shows another country is evidence, not noise.
        if let Some(country) = country.and_then(pdl_country) {
            query["bool"]["should"] = json!([{ "term": { "location.country": country } }]);
        }
        let companies: Vec<Company> = self.search("/v5/company/search", query).await?;
        Ok(companies.into_iter().map(|company| company.into_finding("")).collect())
    }

    async fn person_profile(&self, url: &str) -> Result<Vec<Finding>, ProviderError> {
        for form in profile_url_forms(url) {
            let answer: Option<PersonEnrichResponse> = self.get("/v5/person/enrich", &[("profile", &form)]).await?;
            if let Some(answer) = answer {
                return Ok(vec![answer.data.into_finding(url)]);
            }
        }
        Ok(Vec::new())
    }

    async fn person_search(&self, name: &str, company: Option<&str>) -> Result<Vec<Finding>, ProviderError> {
        let mut query = json!({ "bool": { "must": [{ "match": { "full_name": name } }] } });
        // The employer only ranks, so namesakes at other companies still come back for the judge to weigh.
        if let Some(company) = company.filter(|company| !company.trim().is_empty()) {
            query["bool"]["should"] = json!([{ "match": { "job_company_name": company } }]);
        }
        let people: Vec<Person> = self.search("/v5/person/search", query).await?;
        Ok(people.into_iter().map(|person| person.into_finding("")).collect())
    }
}

#[async_trait]
impl Provider for PeopleDataLabs {
    fn channel(&self) -> Channel {
        Channel::Linkedin
    }

    fn name(&self) -> &'static str {
        "pdl"
    }

    #[tracing::instrument(skip(self), fields(provider = "pdl"))]
    async fn lookup(&self, lookup: &Lookup) -> Result<Vec<Finding>, ProviderError> {
        match lookup {
            Lookup::CompanyProfile { url } => self.company_profile(url).await,
            Lookup::CompanySearch { name, country } => self.company_search(name, country.as_deref()).await,
            Lookup::PersonProfile { url } => self.person_profile(url).await,
            Lookup::PersonSearch { name, company } => self.person_search(name, company.as_deref()).await,
            other => {
                tracing::warn!(lookup = %other.describe(), "pdl answers only LinkedIn company and person lookups");
                Ok(Vec::new())
            }
        }
    }
}

/// The forms a LinkedIn profile URL is asked for in: LinkedIn serves every profile under country and mobile hosts
/// too (`ro.linkedin.com/in/jane-doe`), and a record may be indexed under either; the canonical www form first, then
/// the URL as entered when it differs, so a profile known only under its country host is still found.
fn profile_url_forms(url: &str) -> Vec<String> {
    let canonical = shadowhunter_core::planner::canonical_linkedin_url(url);
    let entered = url.trim().to_string();
    if canonical == entered {
        vec![canonical]
    } else {
        vec![canonical, entered]
    }
}

/// PDL writes countries as lower-case English names (`china`), not codes.
fn pdl_country(code: &str) -> Option<String> {
    shadowhunter_core::countries::name_of(&code.trim().to_ascii_uppercase()).map(str::to_lowercase)
}

/// `https://www.linkedin.com/...` from PDL's bare `linkedin.com/...` form.
fn public_linkedin_url(raw: &str) -> String {
    let bare = raw
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("www.");
    format!("https://www.{bare}")
}

/// A finding's source: the profile URL, else the URL that was asked for, else PDL's record id.
fn source_of(linkedin_url: Option<&str>, requested: &str, id: &str) -> String {
    linkedin_url
        .map(public_linkedin_url)
        .or_else(|| (!requested.is_empty()).then(|| requested.to_string()))
        .unwrap_or_else(|| format!("pdl:{id}"))
}

/// Search answers: `{"status": 200, "data": [...], "total": N, "scroll_token": ...}`.
#[derive(Debug, Deserialize)]
struct SearchResponse<T> {
    data: Vec<T>,
}

/// Person enrichment answers: `{"status": 200, "likelihood": 9, "data": {...}}`.
#[derive(Debug, Deserialize)]
struct PersonEnrichResponse {
    data: Person,
}

/// Company enrichment answers the record flat, next to `status` and `likelihood`; `status` is required
/// so that JSON of another shape is rejected.
#[derive(Debug, Deserialize)]
struct CompanyEnrichResponse {
    #[allow(dead_code, reason = "required to recognise the answer's shape")]
    status: u16,
    #[serde(flatten)]
    company: Company,
}

/// A PDL company record.
#[derive(Debug, Deserialize)]
struct Company {
    #[serde(default)]
    id: String,
    /// Always lower case, e.g. `people data labs`.
    #[serde(default)]
    name: Option<String>,
    /// The company's own spelling, e.g. `People Data Labs`.
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    website: Option<String>,
    #[serde(default)]
    industry: Option<String>,
    #[serde(default)]
    employee_count: Option<u64>,
    #[serde(default)]
    founded: Option<i32>,
    #[serde(default)]
    linkedin_url: Option<String>,
    #[serde(default)]
    location: Option<CompanyLocation>,
}

#[derive(Debug, Deserialize)]
struct CompanyLocation {
    /// e.g. `san francisco, california, united states`.
    #[serde(default)]
    name: Option<String>,
}

impl Company {
    fn into_finding(self, requested: &str) -> Finding {
        let source = source_of(self.linkedin_url.as_deref(), requested, &self.id);
        Finding {
            provider: "pdl".into(),
            source: source.clone(),
            fetched_at: Utc::now(),
            record: Record::CompanyProfile {
                url: source,
                name: non_empty(self.display_name)
                    .or(non_empty(self.name))
                    .unwrap_or_default(),
                industry: non_empty(self.industry),
                headquarters: non_empty(self.location.and_then(|location| location.name)),
                website: non_empty(self.website),
                employee_count: self.employee_count,
                founded: self.founded,
            },
        }
    }
}

/// A PDL person record.
#[derive(Debug, Deserialize)]
struct Person {
    #[serde(default)]
    id: String,
    #[serde(default)]
    full_name: Option<String>,
    #[serde(default)]
    headline: Option<String>,
    #[serde(default)]
    job_title: Option<String>,
    #[serde(default)]
    job_company_name: Option<String>,
    #[serde(default)]
    location_name: Option<String>,
    #[serde(default)]
    linkedin_url: Option<String>,
}

impl Person {
    fn into_finding(self, requested: &str) -> Finding {
        let source = source_of(self.linkedin_url.as_deref(), requested, &self.id);
        let company = non_empty(self.job_company_name);
        // PDL often has no headline; the current role reads the same way to the judge.
        let headline = non_empty(self.headline).or_else(|| {
            non_empty(self.job_title).map(|title| match &company {
                Some(company) => format!("{title} at {company}"),
                None => title,
            })
        });
        Finding {
            provider: "pdl".into(),
            source: source.clone(),
            fetched_at: Utc::now(),
            record: Record::PersonProfile {
                url: source,
                name: non_empty(self.full_name).unwrap_or_default(),
                headline,
                company,
                location: non_empty(self.location_name),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use shadowhunter_sandbox::{ProviderSlug, RunningSandbox, World};

    use super::*;
    use crate::test_support::{self, start, start_faulty, world};

    fn tea_world() -> World {
        world(json!({
            "linkedin": {
                "companies": [
                    { "url": "https://www.linkedin.com/company/greenleaf-tea", "name": "Hangzhou Greenleaf Tea Co., Ltd.",
                      "industry": "Food and Beverage Manufacturing", "headquarters": "Hangzhou, Zhejiang, China",
                      "website": "http://greenleaf-tea.example", "employee_count": 85, "founded": 2009 },
                    { "url": "https://www.linkedin.com/company/greenleaf-hotels", "name": "Greenleaf Hotels Group",
                      "industry": "Hospitality", "headquarters": "Singapore" }
                ],
                "people": [
                    { "url": "https://www.linkedin.com/in/li-wei-greenleaf", "name": "Li Wei",
                      "headline": "Export Sales Director at Hangzhou Greenleaf Tea", "company": "Hangzhou Greenleaf Tea Co., Ltd.",
                      "location": "Hangzhou, China" },
                    { "url": "https://www.linkedin.com/in/li-wei-shanghai", "name": "Li Wei",
                      "headline": "Accountant", "company": "Shanghai Freight Forwarding Ltd", "location": "Shanghai, China" },
                    { "url": "https://www.linkedin.com/in/anna-schmidt", "name": "Anna Schmidt",
                      "headline": "Buyer", "company": "Teehaus Nord GmbH", "location": "Hamburg, Germany" }
                ]
            }
        }))
    }

    fn adapter(sandbox: &RunningSandbox, key: &str) -> PeopleDataLabs {
        test_support::adapter(PeopleDataLabs::new, sandbox, ProviderSlug::Pdl, key)
    }

    async fn faulty(fault: &str) -> Result<Vec<Finding>, ProviderError> {
        let sandbox = start_faulty("linkedin", fault).await;
        adapter(&sandbox, "test-key")
            .lookup(&Lookup::CompanyProfile {
                url: "https://www.linkedin.com/company/greenleaf-tea".into(),
            })
            .await
    }

    #[tokio::test]
    async fn a_company_profile_is_found_by_its_url_however_it_is_written_and_mapped_field_by_field() {
        let sandbox = start(tea_world()).await;
        let findings = adapter(&sandbox, "test-key")
            .lookup(&Lookup::CompanyProfile {
                url: "http://LinkedIn.com/company/greenleaf-tea/".into(),
            })
            .await
            .expect("enrichment succeeds");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].provider, "pdl");
        assert_eq!(findings[0].source, "https://www.linkedin.com/company/greenleaf-tea");
        assert_eq!(
            findings[0].record,
            Record::CompanyProfile {
                url: "https://www.linkedin.com/company/greenleaf-tea".into(),
                name: "Hangzhou Greenleaf Tea Co., Ltd.".into(),
                industry: Some("Food and Beverage Manufacturing".into()),
                headquarters: Some("Hangzhou, Zhejiang, China".into()),
                website: Some("greenleaf-tea.example".into()),
                employee_count: Some(85),
                founded: Some(2009),
            }
        );
    }

    #[tokio::test]
    async fn an_unknown_profile_url_is_not_found_and_answers_nothing() {
        let sandbox = start(tea_world()).await;
        let pdl = adapter(&sandbox, "test-key");
        let company = pdl
            .lookup(&Lookup::CompanyProfile {
                url: "https://www.linkedin.com/company/nobody".into(),
            })
            .await;
        let person = pdl
            .lookup(&Lookup::PersonProfile {
                url: "https://www.linkedin.com/in/nobody".into(),
            })
            .await;
        assert_eq!(company, Ok(Vec::new()));
        assert_eq!(person, Ok(Vec::new()));
    }

    #[tokio::test]
    async fn company_search_ranks_by_shared_name_words_and_keeps_other_countries() {
        let sandbox = start(tea_world()).await;
        let findings = adapter(&sandbox, "test-key")
            .lookup(&Lookup::CompanySearch {
                name: "Greenleaf Tea".into(),
                country: Some("CN".into()),
            })
            .await
            .expect("search succeeds");
        let names: Vec<String> = findings
            .iter()
            .map(|finding| match &finding.record {
                Record::CompanyProfile { name, .. } => name.clone(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(names, ["Hangzhou Greenleaf Tea Co., Ltd.", "Greenleaf Hotels Group"]);
    }

    #[tokio::test]
    async fn a_company_search_sharing_no_word_is_not_found() {
        let sandbox = start(tea_world()).await;
        let findings = adapter(&sandbox, "test-key")
            .lookup(&Lookup::CompanySearch {
                name: "Bright Future Trading".into(),
                country: None,
            })
            .await;
        assert_eq!(findings, Ok(Vec::new()));
    }

    #[test]
    fn a_profile_on_a_country_host_is_asked_for_canonically_then_as_entered() {
        assert_eq!(
            profile_url_forms("https://ro.linkedin.com/in/jane-doe"),
            [
                "https://www.linkedin.com/in/jane-doe",
                "https://ro.linkedin.com/in/jane-doe"
            ]
        );
        // Already canonical, or not LinkedIn at all: one lookup, as entered.
        assert_eq!(
            profile_url_forms("https://www.linkedin.com/in/jane-doe"),
            ["https://www.linkedin.com/in/jane-doe"]
        );
        assert_eq!(
            profile_url_forms("linkedin.com/in/jane-doe"),
            ["linkedin.com/in/jane-doe"]
        );
    }

    #[tokio::test]
    async fn a_profile_indexed_under_its_country_host_is_found() {
        let sandbox = start(world(json!({
            "linkedin": { "companies": [], "people": [
                { "url": "https://ro.linkedin.com/in/ana-pop", "name": "Ana Pop", "headline": "CFO at Acme",
                  "company": "Acme S.R.L.", "location": "Brasov, Romania" }
            ] }
        })))
        .await;
        let adapter = adapter(&sandbox, "test-key");
        let found = adapter
            .lookup(&Lookup::PersonProfile {
                url: "https://ro.linkedin.com/in/ana-pop".into(),
            })
            .await
            .expect("enrichment succeeds");
        assert_eq!(found.len(), 1);
        let missing = adapter
            .lookup(&Lookup::PersonProfile {
                url: "https://ro.linkedin.com/in/ana-popescu".into(),
            })
            .await;
        assert_eq!(missing, Ok(Vec::new()));
    }

    #[tokio::test]
    async fn a_person_profile_is_found_by_url_and_mapped_field_by_field() {
        let sandbox = start(tea_world()).await;
        let findings = adapter(&sandbox, "test-key")
            .lookup(&Lookup::PersonProfile {
                url: "linkedin.com/in/li-wei-greenleaf".into(),
            })
            .await
            .expect("enrichment succeeds");
        assert_eq!(
            findings,
            vec![Finding {
                fetched_at: findings[0].fetched_at,
                provider: "pdl".into(),
                source: "https://www.linkedin.com/in/li-wei-greenleaf".into(),
                record: Record::PersonProfile {
                    url: "https://www.linkedin.com/in/li-wei-greenleaf".into(),
                    name: "Li Wei".into(),
                    headline: Some("Export Sales Director at Hangzhou Greenleaf Tea".into()),
                    company: Some("Hangzhou Greenleaf Tea Co., Ltd.".into()),
                    location: Some("Hangzhou, China".into()),
                },
            }]
        );
    }

    #[tokio::test]
    async fn person_search_puts_the_one_at_the_named_company_first_but_keeps_namesakes() {
        let sandbox = start(tea_world()).await;
        let findings = adapter(&sandbox, "test-key")
            .lookup(&Lookup::PersonSearch {
                name: "Li Wei".into(),
                company: Some("Shanghai Freight Forwarding".into()),
            })
            .await
            .expect("search succeeds");
        let sources: Vec<&str> = findings.iter().map(|finding| finding.source.as_str()).collect();
        assert_eq!(
            sources,
            [
                "https://www.linkedin.com/in/li-wei-shanghai",
                "https://www.linkedin.com/in/li-wei-greenleaf"
            ]
        );
    }

    #[tokio::test]
    async fn without_an_api_key_pdl_answers_401_and_lookup_is_unavailable() {
        let sandbox = start(tea_world()).await;
        let outcome = adapter(&sandbox, "")
            .lookup(&Lookup::PersonSearch {
                name: "Li Wei".into(),
                company: None,
            })
            .await;
        assert_eq!(outcome, Err(ProviderError::Unavailable { status: 401 }));
    }

    test_support::fault_tests!();

    #[tokio::test]
    async fn lookups_of_other_channels_are_answered_with_nothing() {
        let sandbox = start(tea_world()).await;
        let findings = adapter(&sandbox, "test-key")
            .lookup(&Lookup::XUser {
                username: "greenleaftea".into(),
            })
            .await;
        assert_eq!(findings, Ok(Vec::new()));
    }

    #[tokio::test]
    async fn the_sandbox_answers_pdl_shapes_for_search_by_sql_and_lowercases_without_titlecase() {
        let sandbox = start(tea_world()).await;
        let base = sandbox.base_url("w", ProviderSlug::Pdl);
        let response = reqwest::Client::new()
            .post(format!("{base}/v5/person/search"))
            .header("X-Api-Key", "test-key")
            .json(&json!({ "sql": "SELECT * FROM person WHERE full_name = 'anna schmidt'", "size": 5 }))
            .send()
            .await
            .expect("sandbox answers");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["status"], 200);
        assert_eq!(body["total"], 1);
        assert_eq!(body["data"][0]["full_name"], "anna schmidt");
        assert_eq!(body["data"][0]["linkedin_url"], "linkedin.com/in/anna-schmidt");

        let missing = reqwest::Client::new()
            .get(format!("{base}/v5/company/enrich"))
            .header("X-Api-Key", "test-key")
            .query(&[("profile", "linkedin.com/company/nobody")])
            .send()
            .await
            .expect("sandbox answers");
        assert_eq!(missing.status(), 404);
        let body: Value = missing.json().await.expect("JSON");
        assert_eq!(body["error"]["type"], "not_found");
    }

    #[test]
    fn json_that_is_not_a_pdl_answer_is_rejected() {
        assert!(serde_json::from_value::<SearchResponse<Person>>(json!({ "results": [] })).is_err());
        assert!(serde_json::from_value::<PersonEnrichResponse>(json!({ "status": 200 })).is_err());
        assert!(serde_json::from_value::<CompanyEnrichResponse>(json!({ "name": "acme" })).is_err());
        assert_eq!(pdl_country("cn").as_deref(), Some("china"));
    }
}

//! Adapter for X API v2 user lookup and user search (https://docs.x.com/x-api/users/lookup, https://docs.x.com/x-api/x-api-v2/users/search).

use async_trait::async_trait;
use chrono::Utc;
use serde::Deserialize;
use shadowhunter_core::ports::Provider;
use shadowhunter_core::{Channel, Finding, Lookup, ProviderError, Record};

use crate::config::Endpoint;
use crate::http::{self, HttpPolicy};
use crate::text::non_empty;

/// The user fields read; `entities` carries the expanded profile URL that `url` hides behind t.co.
const USER_FIELDS: &str = "created_at,description,entities,location,url,public_metrics,verified";
/// How many search hits are worth reading.
const SEARCH_MAX_RESULTS: &str = "10";
/// The problem type X uses for a user that does not exist (or is suspended).
const RESOURCE_NOT_FOUND: &str = "https://api.twitter.com/2/problems/resource-not-found";

/// X users through the X API v2, authenticated with an app Bearer token (`endpoint.api_key`).
pub struct XApi {
    client: reqwest::Client,
    endpoint: Endpoint,
    policy: HttpPolicy,
}

impl XApi {
    /// An adapter for the X API at `endpoint` (e.g. `https://api.x.com`).
    pub fn new(client: reqwest::Client, endpoint: Endpoint, policy: HttpPolicy) -> Self {
        Self {
            client,
            endpoint,
            policy,
        }
    }

    async fn user(&self, username: &str) -> Result<Vec<Finding>, ProviderError> {
        let username = username.trim().trim_start_matches('@');
        // X usernames are 1-15 letters, digits and underscores; anything else cannot exist, so is not asked for.
        let valid = !username.is_empty()
            && username.len() <= 15
            && username.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Ok(Vec::new());
        }
        let url = self.endpoint.url(&format!("/2/users/by/username/{username}"));
        let answer: Option<UserAnswer> = http::send_json(&self.policy, || {
            self.client
                .get(&url)
                .bearer_auth(&self.endpoint.api_key)
                .query(&[("user.fields", USER_FIELDS)])
        })
        .await?;
        let Some(answer) = answer else {
            return Ok(Vec::new());
        };
        match answer.data {
            Some(user) => Ok(self.finding(user).into_iter().collect()),
            None if answer.errors.iter().all(Problem::is_not_found) => Ok(Vec::new()),
            None => Err(ProviderError::Malformed {
                detail: format!("X answered without data: {}", problems(&answer.errors)),
            }),
        }
    }

    async fn search(&self, query: &str) -> Result<Vec<Finding>, ProviderError> {
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let url = self.endpoint.url("/2/users/search");
        let answer: Option<SearchAnswer> = http::send_json(&self.policy, || {
            self.client.get(&url).bearer_auth(&self.endpoint.api_key).query(&[
                ("query", query),
                ("max_results", SEARCH_MAX_RESULTS),
                ("user.fields", USER_FIELDS),
            ])
        })
        .await?;
        let Some(answer) = answer else {
            return Ok(Vec::new());
        };
        if answer.data.is_empty() && !answer.errors.is_empty() && !answer.errors.iter().all(Problem::is_not_found) {
            return Err(ProviderError::Malformed {
                detail: format!("X answered without data: {}", problems(&answer.errors)),
            });
        }
        Ok(answer.data.into_iter().filter_map(|user| self.finding(user)).collect())
    }

    fn finding(&self, user: User) -> Option<Finding> {
        if user.username.trim().is_empty() {
            return None;
        }
        let source = format!("https://x.com/{}", user.username);
        let url = user
            .entities
            .url
            .urls
            .into_iter()
            .find_map(|entity| non_empty(entity.expanded_url).or_else(|| non_empty(entity.url)))
            .or_else(|| non_empty(user.url));
        let record = Record::XAccount {
            username: user.username,
            name: user.name,
            description: non_empty(user.description),
            location: non_empty(user.location),
            url,
            created_at: non_empty(user.created_at),
            followers: user.public_metrics.map(|metrics| metrics.followers_count),
        };
        Some(Finding {
            provider: self.name().to_string(),
            source,
            fetched_at: Utc::now(),
            record,
        })
    }
}

#[async_trait]
impl Provider for XApi {
    fn channel(&self) -> Channel {
        Channel::Twitter
    }

    fn name(&self) -> &'static str {
        "x"
    }

    #[tracing::instrument(skip(self))]
    async fn lookup(&self, lookup: &Lookup) -> Result<Vec<Finding>, ProviderError> {
        match lookup {
            Lookup::XUser { username } => self.user(username).await,
            Lookup::XSearch { query } => self.search(query).await,
            // Another channel's lookup: this provider knows nothing about it.
            _ => Ok(Vec::new()),
        }
    }
}

fn problems(errors: &[Problem]) -> String {
    let titles: Vec<String> = errors
        .iter()
        .map(|problem| format!("{}: {}", problem.title, problem.detail))
        .collect();
    if titles.is_empty() {
        "no errors either".into()
    } else {
        titles.join("; ")
    }
}

/// `GET /2/users/by/username/{username}`: `data`, or `errors` (a missing user is a 200 with a problem).
#[derive(Debug, Deserialize)]
struct UserAnswer {
    #[serde(default)]
    data: Option<User>,
    #[serde(default)]
    errors: Vec<Problem>,
}

/// `GET /2/users/search`: `data` is absent when nothing matched.
#[derive(Debug, Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    data: Vec<User>,
    #[serde(default)]
    errors: Vec<Problem>,
}

#[derive(Debug, Deserialize)]
struct Problem {
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: String,
    #[serde(default, rename = "type")]
    kind: String,
}

impl Problem {
    fn is_not_found(&self) -> bool {
        self.kind == RESOURCE_NOT_FOUND || self.title == "Not Found Error"
    }
}

/// The v2 User object; only `id`, `name` and `username` are always present.
#[derive(Debug, Deserialize)]
struct User {
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    location: Option<String>,
    /// The t.co-wrapped profile URL.
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    public_metrics: Option<PublicMetrics>,
    #[serde(default)]
    entities: Entities,
}

#[derive(Debug, Deserialize)]
struct PublicMetrics {
    #[serde(default)]
    followers_count: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Entities {
    url: UrlEntities,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UrlEntities {
    urls: Vec<UrlEntity>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UrlEntity {
    url: Option<String>,
    expanded_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use shadowhunter_sandbox::scenario::{TwitterUserRecord, TwitterWorld};
    use shadowhunter_sandbox::{Fault, ProviderSlug, RunningSandbox, World};

    use super::*;
    use crate::test_support::{self, exact_fault_cases, start};

    fn world() -> World {
        let user = |username: &str, name: &str| TwitterUserRecord {
            username: username.into(),
            name: name.into(),
            description: None,
            location: None,
            url: None,
            created_at: None,
            followers_count: None,
        };
        let greenleaf = TwitterUserRecord {
            description: Some("Longjing green tea from Hangzhou.".into()),
            location: Some("Hangzhou, China".into()),
            url: Some("http://greenleaf-tea.example".into()),
            created_at: Some("2015-07-01".into()),
            followers_count: Some(1300),
            ..user("GreenleafTea", "Greenleaf Tea")
        };
        World {
            twitter: Some(TwitterWorld {
                users: vec![user("leafnews", "Leaf News"), greenleaf],
            }),
            ..World::default()
        }
    }

    fn faulty(fault: Fault) -> World {
        let mut world = world();
        world.faults.insert(Channel::Twitter, fault);
        world
    }

    fn adapter(sandbox: &RunningSandbox) -> XApi {
        test_support::adapter(XApi::new, sandbox, ProviderSlug::X, "bearer")
    }

    #[tokio::test]
    async fn a_user_found_by_handle_maps_every_field_with_the_expanded_url() {
        let sandbox = start(world()).await;
        let lookup = Lookup::XUser {
            username: "@greenleaftea".into(),
        };
        let findings = adapter(&sandbox).lookup(&lookup).await.expect("lookup succeeds");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].provider, "x");
        assert_eq!(findings[0].source, "https://x.com/GreenleafTea");
        assert_eq!(
            findings[0].record,
            Record::XAccount {
                username: "GreenleafTea".into(),
                name: "Greenleaf Tea".into(),
                description: Some("Longjing green tea from Hangzhou.".into()),
                location: Some("Hangzhou, China".into()),
                url: Some("http://greenleaf-tea.example".into()),
                created_at: Some("2015-07-01T00:00:00.000Z".into()),
                followers: Some(1300),
            }
        );
    }

    #[tokio::test]
    async fn an_unknown_user_is_an_empty_answer_not_an_error() {
        let sandbox = start(world()).await;
        let lookup = Lookup::XUser {
            username: "nosuchuser".into(),
        };
        assert_eq!(adapter(&sandbox).lookup(&lookup).await, Ok(Vec::new()));
        let invalid = Lookup::XUser {
            username: "not a handle!".into(),
        };
        assert_eq!(adapter(&sandbox).lookup(&invalid).await, Ok(Vec::new()));
    }

    #[tokio::test]
    async fn user_search_finds_accounts_sharing_a_name_word() {
        let sandbox = start(world()).await;
        let lookup = Lookup::XSearch {
            query: "Hangzhou Greenleaf Tea Co., Ltd.".into(),
        };
        let findings = adapter(&sandbox).lookup(&lookup).await.expect("search succeeds");
        assert_eq!(findings.len(), 1);
        assert!(matches!(&findings[0].record, Record::XAccount { username, .. } if username == "GreenleafTea"));
        let nothing = Lookup::XSearch {
            query: "Zahra Bay Electronics".into(),
        };
        assert_eq!(adapter(&sandbox).lookup(&nothing).await, Ok(Vec::new()));
    }

    #[tokio::test]
    async fn provider_faults_become_the_matching_errors() {
        let lookup = Lookup::XUser {
            username: "greenleaftea".into(),
        };
        for (fault, expected) in exact_fault_cases() {
            let sandbox = start(faulty(fault)).await;
            assert_eq!(adapter(&sandbox).lookup(&lookup).await, Err(expected), "{fault:?}");
        }
        let sandbox = start(faulty(Fault::Malformed)).await;
        assert!(matches!(
            adapter(&sandbox).lookup(&lookup).await,
            Err(ProviderError::Malformed { .. })
        ));
    }
}

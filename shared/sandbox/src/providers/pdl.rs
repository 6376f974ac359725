//! Sandbox side of People Data Labs company and person enrichment and search (<https://docs.peopledatalabs.com/docs/reference-company-enrichment-api>).
//!
//! The world's LinkedIn companies and people are served as PDL records: headquarters → `location.name`,
//! headline → `headline` and `job_title`, company → `job_company_name`. Names and places are lower case
//! unless the request sets `titlecase`, as PDL does.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use shadowhunter_core::countries;

use super::brave::{shared_words, significant_words};
use crate::scenario::{LinkedinCompany, LinkedinPerson, World};
use crate::server::{ApiRequest, json};

/// PDL's default and maximum search page sizes.
const DEFAULT_SIZE: usize = 1;
const MAX_SIZE: usize = 100;

/// Routes a PDL API request.
pub fn handle(world: &World, request: &ApiRequest) -> Response {
    let body: Value = if request.body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&request.body) {
            Ok(body) => body,
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    "Request body must be JSON",
                );
            }
        }
    };
    let has_key = request
        .header("x-api-key")
        .or(request.param("api_key"))
        .is_some_and(|key| !key.trim().is_empty())
        || body
            .get("api_key")
            .and_then(Value::as_str)
            .is_some_and(|key| !key.trim().is_empty());
    if !has_key {
        return error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "Request needed a valid API Key",
        );
    }
    let titlecase = request.param("titlecase") == Some("true") || body.get("titlecase") == Some(&Value::Bool(true));
    let empty = Default::default();
    let linkedin = world.linkedin.as_ref().unwrap_or(&empty);
    match (&request.method, request.path.as_str()) {
        (&Method::GET, "/v5/company/enrich") => company_enrich(&linkedin.companies, request, titlecase),
        (&Method::GET, "/v5/person/enrich") => person_enrich(&linkedin.people, request, titlecase),
        (&Method::POST, "/v5/company/search") => search(&body, |criteria| {
            rank(&linkedin.companies, criteria, company_facts)
                .into_iter()
                .map(|(_, company)| company_json(company, titlecase))
                .collect()
        }),
        (&Method::POST, "/v5/person/search") => search(&body, |criteria| {
            rank(&linkedin.people, criteria, person_facts)
                .into_iter()
                .map(|(_, person)| person_json(person, titlecase))
                .collect()
        }),
        _ => error(StatusCode::NOT_FOUND, "not_found", "Unknown endpoint"),
    }
}

fn company_enrich(companies: &[LinkedinCompany], request: &ApiRequest, titlecase: bool) -> Response {
    let mut criteria = Criteria::default();
    for (param, field) in [("profile", "linkedin_url"), ("name", "name"), ("website", "website")] {
        if let Some(value) = request.param(param) {
            criteria.add(field, value, true);
        }
    }
    if let Some(country) = request.param("country") {
        criteria.add("location.country", country, false);
    }
    let Some((likelihood, company)) = rank(companies, &criteria, company_facts).into_iter().next() else {
        return not_found();
    };
    if likelihood < min_likelihood(request) {
        return not_found();
    }
    let mut answer = company_json(company, titlecase);
    answer["status"] = json!(200);
    answer["likelihood"] = json!(likelihood);
    json(StatusCode::OK, answer)
}

fn person_enrich(people: &[LinkedinPerson], request: &ApiRequest, titlecase: bool) -> Response {
    let mut criteria = Criteria::default();
    for (param, field) in [
        ("profile", "linkedin_url"),
        ("name", "full_name"),
        ("company", "job_company_name"),
    ] {
        if let Some(value) = request.param(param) {
            criteria.add(field, value, param != "company");
        }
    }
    let Some((likelihood, person)) = rank(people, &criteria, person_facts).into_iter().next() else {
        return not_found();
    };
    if likelihood < min_likelihood(request) {
        return not_found();
    }
    json(
        StatusCode::OK,
        json!({ "status": 200, "likelihood": likelihood, "data": person_json(person, titlecase) }),
    )
}

fn min_likelihood(request: &ApiRequest) -> u32 {
    request
        .param("min_likelihood")
        .and_then(|value| value.parse().ok())
        .unwrap_or(2)
}

/// A search body (`query` in Elasticsearch DSL or `sql`, never both) answered by `find`.
fn search(body: &Value, find: impl Fn(&Criteria) -> Vec<Value>) -> Response {
    let mut criteria = Criteria::default();
    match (body.get("query"), body.get("sql").and_then(Value::as_str)) {
        (Some(query), None) => criteria.walk_es(query, true),
        (None, Some(sql)) => criteria.read_sql(sql),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "Exactly one of `query` or `sql` is required",
            );
        }
    }
    let size = match body.get("size").map(Value::as_u64) {
        None => DEFAULT_SIZE,
        Some(Some(size)) if (1..=MAX_SIZE as u64).contains(&size) => size as usize,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "size must be between 1 and 100",
            );
        }
    };
    let found = find(&criteria);
    if found.is_empty() {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "No records were found matching your search",
        );
    }
    let total = found.len();
    let data: Vec<Value> = found.into_iter().take(size).collect();
    json(
        StatusCode::OK,
        json!({ "status": 200, "data": data, "scroll_token": Value::Null, "total": total }),
    )
}

/// What a request asks for, from enrichment parameters, an Elasticsearch query or SQL.
#[derive(Debug, Default)]
struct Criteria {
    urls: Vec<String>,
    websites: Vec<String>,
    names: Vec<String>,
    companies: Vec<String>,
    /// Countries (alpha-2) a record must not contradict.
    countries_required: Vec<String>,
    /// Countries (alpha-2) that only raise a record's rank.
    countries_preferred: Vec<String>,
}

impl Criteria {
    fn add(&mut self, field: &str, value: &str, required: bool) {
        let value = value.trim().trim_matches('%').to_string();
        if value.is_empty() {
            return;
        }
        match field {
            "linkedin_url" | "profile" | "profiles" => self.urls.push(normalize_url(&value)),
            "website" => self.websites.push(normalize_url(&value)),
            "name" | "display_name" | "full_name" | "first_name" | "last_name" | "alternative_names" => {
                self.names.push(value)
            }
            "job_company_name" => self.companies.push(value),
            "location.country" | "location_country" | "country" => {
                let code = country_code(&value);
                if required {
                    self.countries_required.extend(code);
                } else {
                    self.countries_preferred.extend(code);
                }
            }
            _ => {}
        }
    }

    /// Reads `match`/`match_phrase`/`term`/`terms`/`wildcard`/`prefix` leaves; `bool.should` only ranks.
    fn walk_es(&mut self, node: &Value, required: bool) {
        let Some(object) = node.as_object() else {
            return;
        };
        for (key, value) in object {
            match key.as_str() {
                "bool" => {
                    for (clause, inner_required) in [("must", required), ("filter", required), ("should", false)] {
                        match value.get(clause) {
                            Some(Value::Array(items)) => {
                                items.iter().for_each(|item| self.walk_es(item, inner_required))
                            }
                            Some(item) => self.walk_es(item, inner_required),
                            None => {}
                        }
                    }
                }
                "match" | "match_phrase" | "term" | "terms" | "wildcard" | "prefix" => {
                    for (field, operand) in value.as_object().into_iter().flatten() {
                        let operand = operand.get("query").or(operand.get("value")).unwrap_or(operand);
                        match operand {
                            Value::String(text) => self.add(field, &text.replace('*', ""), required),
                            Value::Array(items) => items
                                .iter()
                                .filter_map(Value::as_str)
                                .for_each(|text| self.add(field, text, required)),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Reads every `field = 'literal'` / `field LIKE 'literal'` condition of a `WHERE` clause.
    fn read_sql(&mut self, sql: &str) {
        let mut rest = sql;
        while let Some(open) = rest.find('\'') {
            let before = rest[..open].trim_end();
            let after = &rest[open + 1..];
            let mut literal = String::new();
            let mut chars = after.char_indices().peekable();
            let mut end = after.len();
            while let Some((index, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().map(|(_, next)| *next) == Some('\'') {
                        literal.push('\'');
                        chars.next();
                        continue;
                    }
                    end = index + 1;
                    break;
                }
                literal.push(c);
            }
            let before = before
                .strip_suffix('=')
                .or_else(|| before.strip_suffix("LIKE"))
                .or_else(|| before.strip_suffix("like"))
                .unwrap_or(before)
                .trim_end();
            let field_start = before
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .map_or(0, |index| index + 1);
            self.add(&before[field_start..], &literal, true);
            rest = &after[end.min(after.len())..];
        }
    }
}

/// The facts a record is matched on.
struct Facts {
    url: String,
    website: Option<String>,
    name: String,
    company: Option<String>,
    country: Option<&'static str>,
}

fn company_facts(company: &LinkedinCompany) -> Facts {
    Facts {
        url: normalize_url(&company.url),
        website: company.website.as_deref().map(normalize_url),
        name: company.name.clone(),
        company: None,
        country: company.headquarters.as_deref().and_then(last_part_country),
    }
}

fn person_facts(person: &LinkedinPerson) -> Facts {
    Facts {
        url: normalize_url(&person.url),
        website: None,
        name: person.name.clone(),
        company: person.company.clone(),
        country: person.location.as_deref().and_then(last_part_country),
    }
}

/// Records matching `criteria`, best first, each with a PDL-style likelihood (1–10).
/// A URL must match exactly; a name must share a significant word; employer and preferred country only rank.
fn rank<'a, T>(records: &'a [T], criteria: &Criteria, facts: impl Fn(&T) -> Facts) -> Vec<(u32, &'a T)> {
    let name_words = significant_words(&criteria.names.join(" "));
    let company_words = significant_words(&criteria.companies.join(" "));
    if criteria.urls.is_empty() && criteria.websites.is_empty() && name_words.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(usize, u32, &T)> = records
        .iter()
        .filter_map(|record| {
            let facts = facts(record);
            if !criteria.urls.is_empty() && !criteria.urls.contains(&facts.url) {
                return None;
            }
            if !criteria.websites.is_empty()
                && !facts
                    .website
                    .is_some_and(|website| criteria.websites.contains(&website))
            {
                return None;
            }
            if let Some(country) = facts.country
                && !criteria.countries_required.is_empty()
                && !criteria.countries_required.iter().any(|wanted| wanted == country)
            {
                return None;
            }
            let shared_name = shared_words(&name_words, &significant_words(&facts.name));
            if !name_words.is_empty() && shared_name == 0 {
                return None;
            }
            let shared_company = facts
                .company
                .as_deref()
                .map_or(0, |company| shared_words(&company_words, &significant_words(company)));
            let preferred_country = facts
                .country
                .is_some_and(|country| criteria.countries_preferred.iter().any(|wanted| wanted == country));
            let score = shared_name * 10 + shared_company * 3 + usize::from(preferred_country) * 5;
            let likelihood = if criteria.urls.is_empty() {
                (4 + shared_name + shared_company).min(9) as u32
            } else {
                10
            };
            Some((score, likelihood, record))
        })
        .collect();
    scored.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    scored
        .into_iter()
        .map(|(_, likelihood, record)| (likelihood, record))
        .collect()
}

fn company_json(company: &LinkedinCompany, titlecase: bool) -> Value {
    let case = |text: &str| in_case(text, titlecase);
    let linkedin_url = normalize_url(&company.url);
    let location = company.headquarters.as_deref().map(|headquarters| {
        let parts: Vec<&str> = headquarters
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect();
        let country = last_part_country(headquarters).and_then(countries::name_of);
        json!({
            "name": case(headquarters),
            "locality": parts.first().filter(|_| parts.len() > 1).map(|part| case(part)),
            "region": (parts.len() > 2).then(|| case(parts[parts.len() - 2])),
            "metro": Value::Null,
            "country": country.map(case),
            "continent": Value::Null,
            "street_address": Value::Null,
            "address_line_2": Value::Null,
            "postal_code": Value::Null,
            "geo": Value::Null,
        })
    });
    json!({
        "id": record_id(&linkedin_url),
        "name": company.name.to_lowercase(),
        "display_name": company.name,
        "size": company.employee_count.map(size_bucket),
        "employee_count": company.employee_count,
        "founded": company.founded,
        "industry": company.industry.as_deref().map(case),
        "location": location,
        "linkedin_url": linkedin_url,
        "linkedin_id": Value::Null,
        "linkedin_slug": linkedin_url.rsplit('/').next(),
        "website": company.website.as_deref().map(normalize_url),
        "facebook_url": Value::Null,
        "twitter_url": Value::Null,
        "ticker": Value::Null,
        "type": Value::Null,
    })
}

fn person_json(person: &LinkedinPerson, titlecase: bool) -> Value {
    let case = |text: &str| in_case(text, titlecase);
    let linkedin_url = normalize_url(&person.url);
    let mut names = person.name.split_whitespace();
    let first_name = names.next().map(case);
    let last_name = person
        .name
        .split_whitespace()
        .last()
        .filter(|_| person.name.split_whitespace().count() > 1)
        .map(case);
    // A headline reads "Title at Company"; its title part is the current job title.
    let job_title = person
        .headline
        .as_deref()
        .map(|headline| headline.split(" at ").next().unwrap_or(headline).trim())
        .filter(|title| !title.is_empty())
        .map(case);
    json!({
        "id": record_id(&linkedin_url),
        "full_name": case(&person.name),
        "first_name": first_name,
        "last_name": last_name,
        "linkedin_url": linkedin_url,
        "linkedin_username": linkedin_url.rsplit('/').next(),
        "headline": person.headline,
        "job_title": job_title,
        "job_company_name": person.company.as_deref().map(case),
        "location_name": person.location.as_deref().map(case),
        "location_country": person.location.as_deref().and_then(last_part_country).and_then(countries::name_of).map(case),
        "industry": Value::Null,
    })
}

/// `text` as PDL writes it: as is with `titlecase`, else lower case.
fn in_case(text: &str, titlecase: bool) -> String {
    if titlecase {
        text.to_string()
    } else {
        text.to_lowercase()
    }
}

/// PDL's `size` buckets by employee count.
fn size_bucket(employees: u64) -> &'static str {
    match employees {
        0..=10 => "1-10",
        11..=50 => "11-50",
        51..=200 => "51-200",
        201..=500 => "201-500",
        501..=1000 => "501-1000",
        1001..=5000 => "1001-5000",
        5001..=10000 => "5001-10000",
        _ => "10001+",
    }
}

/// A stable id for a record, from its profile URL.
fn record_id(linkedin_url: &str) -> String {
    format!(
        "sbx_{}",
        linkedin_url.rsplit('/').next().unwrap_or("record").replace('-', "_")
    )
}

/// `linkedin.com/company/acme`: no scheme, no `www.`, no query, no trailing slash, lower case.
fn normalize_url(url: &str) -> String {
    let lower = url.trim().to_lowercase();
    let without_scheme = lower.split_once("://").map_or(lower.as_str(), |(_, rest)| rest);
    let without_www = without_scheme.strip_prefix("www.").unwrap_or(without_scheme);
    let without_query = without_www.split(['?', '#']).next().unwrap_or(without_www);
    without_query.trim_end_matches('/').to_string()
}

/// The alpha-2 code of a country written as a code or a name.
fn country_code(text: &str) -> Option<String> {
    let upper = text.trim().to_ascii_uppercase();
    if upper.len() == 2 && countries::name_of(&upper).is_some() {
        return Some(upper);
    }
    countries::code_of_name(text).map(str::to_string)
}

/// The country named by the last comma-separated part of a place, e.g. `Hangzhou, China` → `CN`.
fn last_part_country(place: &str) -> Option<&'static str> {
    countries::code_of_name(place.rsplit(',').next()?.trim())
}

/// PDL's error body.
fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    json(
        status,
        json!({ "status": status.as_u16(), "error": { "type": kind, "message": message } }),
    )
}

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "No records were found matching your request",
    )
}

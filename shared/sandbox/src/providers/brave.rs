//! Sandbox side of the Brave Search API web search (<https://api-dashboard.search.brave.com/app/documentation/web-search/get-started>).

use axum::http::{Method, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::scenario::{SearchDocument, World};
use crate::server::{ApiRequest, json};

/// Brave's upper bound (and our default) for `count`.
const MAX_COUNT: usize = 20;

/// Words too common to count as overlap: English function words, legal suffixes and URL noise.
const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "by",
    "for",
    "from",
    "has",
    "in",
    "is",
    "it",
    "its",
    "of",
    "on",
    "or",
    "the",
    "to",
    "was",
    "with",
    "co",
    "corp",
    "corporation",
    "company",
    "inc",
    "incorporated",
    "llc",
    "ltd",
    "limited",
    "gmbh",
    "plc",
    "pte",
    "pvt",
    "sa",
    "srl",
    "bv",
    "ag",
    "www",
    "http",
    "https",
    "com",
    "net",
    "org",
    "example",
    "site",
];

/// Answers `GET /res/v1/web/search?q=…&count=…` with the world's documents that share words with `q`.
pub fn handle(world: &World, request: &ApiRequest) -> Response {
    if request.method != Method::GET || request.path != "/res/v1/web/search" {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "Resource not found", json!({}));
    }
    // Brave validates the token header before anything else; a missing one is a 422 validation error.
    let token = request.header("x-subscription-token").unwrap_or("").trim();
    if token.is_empty() {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION",
            "Unable to validate request parameter(s)",
            json!({ "errors": [{ "type": "missing", "loc": ["header", "x-subscription-token"],
                                 "msg": "Field required", "input": null }] }),
        );
    }
    let query = request.param("q").unwrap_or("").trim();
    if query.is_empty() {
        return validation_error("query", "q", "Field required");
    }
    let count = match request.param("count").map(str::parse::<usize>) {
        None => MAX_COUNT,
        Some(Ok(count)) if (1..=MAX_COUNT).contains(&count) => count,
        Some(_) => return validation_error("query", "count", "Input should be between 1 and 20"),
    };
    let offset = match request.param("offset").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(offset)) if offset <= 9 => offset,
        Some(_) => return validation_error("query", "offset", "Input should be between 0 and 9"),
    };
    let documents = world
        .search
        .as_ref()
        .map(|search| search.documents.as_slice())
        .unwrap_or_default();
    let ranked = rank(documents, query);
    let total = ranked.len();
    let page: Vec<Value> = ranked
        .into_iter()
        .skip(offset * count)
        .take(count)
        .map(result)
        .collect();
    let mut body = json!({
        "type": "search",
        "query": {
            "original": query,
            "show_strict_warning": false,
            "is_navigational": false,
            "spellcheck_off": true,
            "more_results_available": total > (offset + 1) * count,
        },
    });
    // Brave leaves the `web` section out entirely when nothing matched.
    if !page.is_empty() {
        body["web"] = json!({ "type": "search", "family_friendly": true, "results": page });
        body["mixed"] = json!({ "type": "mixed", "main": [], "top": [], "side": [] });
    }
    json(StatusCode::OK, body)
}

/// Documents sharing at least one significant word with the query, most shared words first (ties keep world order).
fn rank<'a>(documents: &'a [SearchDocument], query: &str) -> Vec<&'a SearchDocument> {
    let wanted = significant_words(query);
    let mut scored: Vec<(usize, &SearchDocument)> = documents
        .iter()
        .map(|document| (shared_words(&wanted, document.words()), document))
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    scored.into_iter().map(|(_, document)| document).collect()
}

fn result(document: &SearchDocument) -> Value {
    let url = url::Url::parse(&document.url).ok();
    let hostname = url.as_ref().and_then(|url| url.host_str()).unwrap_or("").to_string();
    let mut value = json!({
        "type": "search_result",
        "subtype": "generic",
        "title": document.title,
        "url": document.url,
        "is_source_local": false,
        "is_source_both": false,
        "description": document.snippet,
        "language": "en",
        "family_friendly": true,
        "profile": { "name": hostname, "url": document.url, "long_name": hostname },
        "meta_url": {
            "scheme": url.as_ref().map(|url| url.scheme()).unwrap_or("https"),
            "netloc": hostname,
            "hostname": hostname,
            "path": url.as_ref().map(|url| url.path()).unwrap_or("/"),
        },
    });
    if let Some(date) = document
        .published
        .as_deref()
        .and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
    {
        value["page_age"] = json!(format!("{date}T00:00:00"));
        value["age"] = json!(date.format("%B %-d, %Y").to_string());
    }
    value
}

/// Brave's `ErrorResponse` body.
fn error(status: StatusCode, code: &str, detail: &str, meta: Value) -> Response {
    json(
        status,
        json!({
            "type": "ErrorResponse",
            "error": { "id": "00000000-0000-4000-8000-000000000000", "status": status.as_u16(),
                       "code": code, "detail": detail, "meta": meta },
            "time": 0,
        }),
    )
}

fn validation_error(location: &str, field: &str, message: &str) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION",
        "Unable to validate request parameter(s)",
        json!({ "errors": [{ "loc": [location, field], "msg": message }] }),
    )
}

/// Lower-cased words (letters and digits) of `text`, without stopwords; runs of CJK characters stay whole.
pub(crate) fn significant_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| word.to_lowercase())
        .filter(|word| !STOPWORDS.contains(&word.as_str()))
        .collect();
    words.sort();
    words.dedup();
    words
}

/// How many of `wanted` appear in `found`; unspaced CJK words also match inside each other.
pub(crate) fn shared_words(wanted: &[String], found: &[String]) -> usize {
    wanted
        .iter()
        .filter(|word| found.iter().any(|candidate| words_match(word, candidate)))
        .count()
}

fn words_match(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    // Chinese names carry no spaces, so 绿叶茶业 must match inside 杭州绿叶茶业有限公司.
    let cjk = |word: &str| !word.is_ascii() && word.chars().count() >= 2;
    cjk(a) && cjk(b) && (a.contains(b) || b.contains(a))
}

//! Sandbox side of the Facebook Graph API Page node and Pages Search (https://developers.facebook.com/docs/graph-api/reference/page, https://developers.facebook.com/documentation/pages-api/search-pages).

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::scenario::{FacebookPageRecord, World};
use crate::server::{ApiRequest, json};

/// The fields Graph returns for a Page when the request names none.
const DEFAULT_FIELDS: [&str; 2] = ["id", "name"];

/// Words that carry no identity in a page or company name, ignored when ranking name search hits.
const INSIGNIFICANT_WORDS: [&str; 24] = [
    "the",
    "and",
    "of",
    "co",
    "company",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "llc",
    "gmbh",
    "plc",
    "sa",
    "srl",
    "bv",
    "pte",
    "pvt",
    "fze",
    "fzco",
    "group",
    "official",
    "page",
];

/// Character pairs of CJK legal forms (有限公司, 股份有限公司, 集团) that every company name shares.
const CJK_LEGAL_PAIRS: [&str; 7] = ["有限", "限公", "公司", "股份", "份有", "集团", "株式"];

/// Answers `GET /{page-username}` and `GET /pages/search` like Graph API.
pub fn handle(world: &World, request: &ApiRequest) -> Response {
    if request.method != Method::GET {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "Unsupported method",
            "GraphMethodException",
            100,
        );
    }
    if request
        .param("access_token")
        .is_none_or(|token| token.trim().is_empty())
    {
        // What Graph answers a request without a token.
        return graph_error(
            StatusCode::BAD_REQUEST,
            "An access token is required to request this resource.",
            "OAuthException",
            104,
        );
    }
    let pages = world
        .facebook
        .as_ref()
        .map(|facebook| facebook.pages.as_slice())
        .unwrap_or_default();
    let fields = requested_fields(request);
    let segments: Vec<&str> = request
        .path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segments.as_slice() {
        ["pages", "search"] => {
            let query = request.param("q").unwrap_or_default();
            let hits = rank_by_name(pages, query, |page| page.name.as_str());
            let limit = request
                .param("limit")
                .and_then(|limit| limit.parse().ok())
                .unwrap_or(25usize);
            let data: Vec<Value> = hits
                .into_iter()
                .take(limit)
                .map(|page| page_object(page, &fields))
                .collect();
            json(StatusCode::OK, json!({ "data": data }))
        }
        [alias] => match pages.iter().find(|page| page_matches_alias(page, alias)) {
            Some(page) => json(StatusCode::OK, page_object(page, &fields)),
            // Graph answers an unknown alias with (#803) and HTTP 404.
            None => graph_error(
                StatusCode::NOT_FOUND,
                &format!("(#803) Some of the aliases you requested do not exist: {alias}"),
                "OAuthException",
                803,
            ),
        },
        _ => graph_error(
            StatusCode::BAD_REQUEST,
            "Unknown path components",
            "OAuthException",
            2500,
        ),
    }
}

/// The username Graph knows a page by: the last path segment of its URL, or `id` of `profile.php?id=`.
pub fn page_username(url: &str) -> String {
    let trimmed = url.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    match url::Url::parse(&with_scheme) {
        Ok(parsed) => {
            if parsed.path().trim_end_matches('/').ends_with("profile.php")
                && let Some((_, id)) = parsed.query_pairs().find(|(key, _)| key == "id")
            {
                return id.to_lowercase();
            }
            parsed
                .path_segments()
                .and_then(|mut segments| segments.rfind(|s| !s.is_empty()).map(str::to_string))
                .unwrap_or_default()
                .to_lowercase()
        }
        Err(_) => trimmed
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_lowercase(),
    }
}

/// A stable numeric id for a world record, as Graph and X give every object one.
pub fn synthetic_id(key: &str) -> String {
    // FNV-1a: deterministic across runs and platforms, unlike std's RandomState.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{}", 100_000_000_000_000 + hash % 900_000_000_000_000)
}

/// Records sharing at least one significant word with `query`, most shared words first (stable among equals).
pub fn rank_by_name<'a, T>(records: &'a [T], query: &str, name: impl Fn(&T) -> &str) -> Vec<&'a T> {
    let wanted = significant_words(query);
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(usize, usize, &T)> = records
        .iter()
        .enumerate()
        .filter_map(|(index, record)| {
            let words = significant_words(name(record));
            let overlap = wanted.iter().filter(|word| words.contains(word)).count();
            (overlap > 0).then_some((overlap, index, record))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, record)| record).collect()
}

/// Lower-case words of a name without legal forms and fillers; CJK runs also yield their character pairs,
/// since names in those scripts are written without spaces.
fn significant_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for word in text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        let chars: Vec<char> = word.chars().collect();
        if chars.iter().any(|c| is_cjk(*c)) {
            words.extend(
                chars
                    .windows(2)
                    .map(|pair| pair.iter().collect::<String>())
                    .filter(|pair| !CJK_LEGAL_PAIRS.contains(&pair.as_str())),
            );
            if chars.len() == 1 {
                words.push(word.to_string());
            }
        } else if chars.len() > 1 && !INSIGNIFICANT_WORDS.contains(&word) {
            words.push(word.to_string());
        }
    }
    words.dedup();
    words
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7af | 0xf900..=0xfaff)
}

fn page_matches_alias(page: &FacebookPageRecord, alias: &str) -> bool {
    let alias = alias.to_lowercase();
    let username = page_username(&page.url);
    (!username.is_empty() && username == alias) || synthetic_id(&username) == alias
}

fn requested_fields(request: &ApiRequest) -> Vec<String> {
    match request.param("fields") {
        Some(fields) if !fields.trim().is_empty() => fields
            .split(',')
            .map(|field| field.trim().to_string())
            .filter(|field| !field.is_empty())
            .collect(),
        _ => DEFAULT_FIELDS.iter().map(|field| field.to_string()).collect(),
    }
}

/// A Page node with only the requested fields (and `id`, which Graph always returns); absent values are omitted, as Graph does.
fn page_object(page: &FacebookPageRecord, fields: &[String]) -> Value {
    let username = page_username(&page.url);
    let mut all = Map::new();
    all.insert("id".into(), json!(synthetic_id(&username)));
    all.insert("name".into(), json!(page.name));
    all.insert("username".into(), json!(username));
    all.insert("link".into(), json!(format!("https://www.facebook.com/{username}")));
    let optional = [
        ("about", page.about.clone()),
        ("single_line_address", page.address.clone()),
        ("phone", page.phone.clone()),
        ("website", page.website.clone()),
    ];
    for (key, value) in optional {
        if let Some(value) = value.filter(|value| !value.trim().is_empty()) {
            all.insert(key.into(), json!(value));
        }
    }
    if let Some(address) = page.address.as_ref().filter(|value| !value.trim().is_empty()) {
        // The world keeps one address line; Graph's structured Location then carries it as the street.
        all.insert("location".into(), json!({ "street": address }));
    }
    if let Some(email) = page.email.as_ref().filter(|value| !value.trim().is_empty()) {
        all.insert("emails".into(), json!([email]));
    }
    if let Some(followers) = page.followers {
        all.insert("followers_count".into(), json!(followers));
        all.insert("fan_count".into(), json!(followers));
    }
    let mut object = Map::new();
    for field in fields.iter().map(String::as_str).chain(["id"]) {
        if let Some(value) = all.get(field) {
            object.insert(field.to_string(), value.clone());
        }
    }
    Value::Object(object)
}

fn graph_error(status: StatusCode, message: &str, kind: &str, code: u32) -> Response {
    json(
        status,
        json!({
            "error": {
                "message": message,
                "type": kind,
                "code": code,
                "fbtrace_id": "AsandboxTrace01",
            }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_usernames_ignore_scheme_www_trailing_slash_and_case() {
        assert_eq!(page_username("https://www.facebook.com/GreenleafTea/"), "greenleaftea");
        assert_eq!(page_username("facebook.com/greenleaftea"), "greenleaftea");
        assert_eq!(page_username("http://m.facebook.com/profile.php?id=1000123"), "1000123");
    }

    #[test]
    fn name_search_ranks_by_shared_significant_words() {
        let names = ["Greenleaf Hotel", "Hangzhou Greenleaf Tea", "Acme Co Ltd"];
        let hits = rank_by_name(&names, "Hangzhou Greenleaf Tea Co., Ltd.", |name| name);
        assert_eq!(hits, vec![&"Hangzhou Greenleaf Tea", &"Greenleaf Hotel"]);
        assert!(rank_by_name(&names, "Co Ltd", |name| name).is_empty());
    }

    #[test]
    fn cjk_names_match_without_spaces() {
        let names = ["杭州绿叶茶业有限公司"];
        assert_eq!(rank_by_name(&names, "绿叶茶业", |name| name).len(), 1);
    }
}

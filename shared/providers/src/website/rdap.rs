//! Domain registration data over RDAP: RFC 9082 queries, RFC 9083 answers (https://www.rfc-editor.org/rfc/rfc9083).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use shadowhunter_core::{Finding, ProviderError, Record};

use crate::http::{self, HttpPolicy};

/// Asks `base/domain/{domain}`; a 404 means the registry knows no such domain, which is an empty answer.
pub(crate) async fn lookup(
    client: &reqwest::Client,
    base: &str,
    policy: &HttpPolicy,
    provider: &str,
    domain: &str,
) -> Result<Vec<Finding>, ProviderError> {
    let Some(domain) = normalize_domain(domain) else {
        return Ok(Vec::new());
    };
    let url = format!("{}/domain/{domain}", base.trim_end_matches('/'));
    let answer: Option<DomainObject> = http::send_json(policy, || {
        client
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/rdap+json, application/json;q=0.8")
    })
    .await?;
    let Some(answer) = answer else {
        return Ok(Vec::new());
    };
    if answer.object_class_name != "domain" {
        return Err(ProviderError::Malformed {
            detail: format!(
                "RDAP answered a `{}` object for a domain query",
                answer.object_class_name
            ),
        });
    }
    let registered = answer
        .events
        .iter()
        .find(|event| event.event_action.eq_ignore_ascii_case("registration"))
        .and_then(|event| parse_date(&event.event_date));
    let registrar = registrar_name(&answer.entities);
    let name = if answer.ldh_name.is_empty() {
        domain
    } else {
        answer.ldh_name.to_lowercase()
    };
    Ok(vec![Finding {
        provider: provider.to_string(),
        source: url,
        fetched_at: Utc::now(),
        record: Record::DomainRegistration {
            domain: name,
            registered,
            registrar,
        },
    }])
}

/// The bare domain of `raw`, which may be a URL or carry `www.`; registries know registered names only.
pub(crate) fn normalize_domain(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let host = match url::Url::parse(raw) {
        Ok(url) if url.host_str().is_some() => url.host_str().unwrap_or_default().to_string(),
        _ => raw.split(['/', '?', '#']).next().unwrap_or_default().to_string(),
    };
    let host = host.trim_end_matches('.').to_lowercase();
    let host = host.strip_prefix("www.").map(str::to_string).unwrap_or(host);
    let valid = host.contains('.') && host.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    valid.then_some(host)
}

/// RFC 3339 instants as registries send them, or a bare date.
fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    DateTime::parse_from_rfc3339(raw)
        .map(|instant| instant.with_timezone(&Utc).date_naive())
        .ok()
        .or_else(|| {
            raw.get(..10)
                .and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
        })
}

/// The `fn` of the entity with the `registrar` role (searched one level deep, as some registries nest it).
fn registrar_name(entities: &[Entity]) -> Option<String> {
    let registrar = entities
        .iter()
        .chain(entities.iter().flat_map(|entity| entity.entities.iter()))
        .find(|entity| entity.roles.iter().any(|role| role.eq_ignore_ascii_case("registrar")))?;
    vcard_fn(&registrar.vcard_array).or_else(|| (!registrar.handle.is_empty()).then(|| registrar.handle.clone()))
}

/// The formatted name of a jCard (RFC 7095): `["vcard", [["fn", {}, "text", "Name"], ...]]`.
fn vcard_fn(vcard: &serde_json::Value) -> Option<String> {
    vcard
        .get(1)?
        .as_array()?
        .iter()
        .find(|property| property.get(0).and_then(|name| name.as_str()) == Some("fn"))?
        .get(3)?
        .as_str()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
}

/// The parts of an RFC 9083 domain object this adapter reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DomainObject {
    #[serde(default)]
    object_class_name: String,
    #[serde(default)]
    ldh_name: String,
    #[serde(default)]
    events: Vec<Event>,
    #[serde(default)]
    entities: Vec<Entity>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    #[serde(default)]
    event_action: String,
    #[serde(default)]
    event_date: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entity {
    #[serde(default)]
    handle: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    vcard_array: serde_json::Value,
    #[serde(default)]
    entities: Vec<Entity>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_stripped_of_scheme_path_and_www() {
        assert_eq!(
            normalize_domain("https://www.Acme.example/about").as_deref(),
            Some("acme.example")
        );
        assert_eq!(normalize_domain("acme.example.").as_deref(), Some("acme.example"));
        assert_eq!(normalize_domain("localhost"), None);
    }

    #[test]
    fn registration_dates_parse_from_instants_and_days() {
        let day = NaiveDate::from_ymd_opt(2009, 4, 22);
        assert_eq!(parse_date("2009-04-22T00:00:00Z"), day);
        assert_eq!(parse_date("2009-04-22T05:17:00.123+02:00"), day);
        assert_eq!(parse_date("2009-04-22"), day);
        assert_eq!(parse_date("yesterday"), None);
    }
}

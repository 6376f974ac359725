//! Sandbox side of RDAP domain lookup, RFC 9082 queries answered with RFC 9083 objects (https://www.rfc-editor.org/rfc/rfc9083).

use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::scenario::World;
use crate::server::ApiRequest;

/// The registrar every sandbox domain is held by: RDAP names one, and the adapter reads it.
pub const SANDBOX_REGISTRAR: &str = "Sandbox Registrar, Inc.";

/// Answers `GET /domain/{domain}` with a domain object, or a 404 error object for an unknown domain.
pub fn handle(world: &World, request: &ApiRequest) -> Response {
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    let (Method::GET, ["domain", domain]) = (request.method.clone(), segments.as_slice()) else {
        return rdap(
            StatusCode::BAD_REQUEST,
            error_body(
                400,
                "Bad Request",
                "This server answers domain queries only: /domain/{name}.",
            ),
        );
    };
    let wanted = domain.trim().trim_end_matches('.').to_lowercase();
    let record = world.web.as_ref().and_then(|web| {
        web.domains
            .iter()
            .find(|(name, _)| name.trim_end_matches('.').eq_ignore_ascii_case(&wanted))
    });
    let Some((name, record)) = record else {
        return rdap(
            StatusCode::NOT_FOUND,
            error_body(
                404,
                "Not Found",
                &format!("The domain {wanted} is not registered here."),
            ),
        );
    };
    let mut events = Vec::new();
    if let Some(registered) = record.registered.as_deref().filter(|date| !date.trim().is_empty()) {
        events.push(json!({ "eventAction": "registration", "eventDate": timestamp(registered) }));
    }
    events.push(json!({ "eventAction": "last update of RDAP database", "eventDate": "2026-01-01T00:00:00Z" }));
    let ldh = name.trim_end_matches('.').to_lowercase();
    rdap(
        StatusCode::OK,
        json!({
            "rdapConformance": ["rdap_level_0", "icann_rdap_response_profile_1", "icann_rdap_technical_implementation_guide_1"],
            "objectClassName": "domain",
            "handle": format!("{}_DOMAIN-SANDBOX", ldh.replace('.', "_").to_uppercase()),
            "ldhName": ldh,
            "status": ["client transfer prohibited"],
            "events": events,
            "entities": [{
                "objectClassName": "entity",
                "handle": "9999",
                "roles": ["registrar"],
                "publicIds": [{ "type": "IANA Registrar ID", "identifier": "9999" }],
                "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", SANDBOX_REGISTRAR]]],
            }],
            "links": [{ "value": format!("/domain/{ldh}"), "rel": "self", "href": format!("/domain/{ldh}"), "type": "application/rdap+json" }],
            "notices": [{ "title": "Terms of Use", "description": ["Sandbox data for scenario evaluation."] }],
        }),
    )
}

/// An RFC 3339 instant for a world date (`2009-04-22`) or instant.
fn timestamp(raw: &str) -> String {
    let raw = raw.trim();
    if raw.len() == 10 {
        format!("{raw}T00:00:00Z")
    } else {
        raw.to_string()
    }
}

fn error_body(code: u16, title: &str, description: &str) -> Value {
    json!({ "rdapConformance": ["rdap_level_0"], "errorCode": code, "title": title, "description": [description] })
}

/// RDAP answers carry their own media type (RFC 7480 §4.2).
fn rdap(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/rdap+json")],
        body.to_string(),
    )
        .into_response()
}

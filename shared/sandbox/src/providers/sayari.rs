//! Sandbox side of Sayari trade search (<https://documentation.sayari.com/api/api-reference/trade/search-shipments>).
//!
//! Serves `POST /oauth/token` (client credentials) and `POST /v1/trade/search/shipments`, in the shapes of
//! Sayari's generated SDKs (sayari-analytics/sayari-go `generated/go/trade.go`, `generated/go/auth.go`).

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use shadowhunter_core::countries;

use crate::scenario::{ShipmentRecord, World};
use crate::server::{ApiRequest, json};

/// Sayari's default page size and the most it serves per page.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;

/// Routes a Sayari API request.
pub fn handle(world: &World, request: &ApiRequest) -> Response {
    match (&request.method, request.path.as_str()) {
        (&Method::POST, "/oauth/token") => token(request),
        (&Method::POST, "/v1/trade/search/shipments") => search_shipments(world, request),
        _ => error(StatusCode::NOT_FOUND, "not found"),
    }
}

fn token(request: &ApiRequest) -> Response {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let field = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or("").to_string();
    let (client_id, client_secret) = (field("client_id"), field("client_secret"));
    if client_id.is_empty() || client_secret.is_empty() || field("grant_type") != "client_credentials" {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    json(
        StatusCode::OK,
        json!({ "access_token": format!("sandbox-token-{client_id}"), "expires_in": 86_400, "token_type": "Bearer" }),
    )
}

fn search_shipments(world: &World, request: &ApiRequest) -> Response {
    if !request.has_bearer_token() {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let limit = match request.param("limit").map(str::parse::<usize>) {
        None => DEFAULT_LIMIT,
        Some(Ok(limit)) if (1..=MAX_LIMIT).contains(&limit) => limit,
        Some(_) => return error(StatusCode::BAD_REQUEST, "limit must be between 1 and 10000"),
    };
    let offset = match request.param("offset").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(offset)) => offset,
        Some(_) => return error(StatusCode::BAD_REQUEST, "offset must be a non-negative integer"),
    };
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return error(StatusCode::BAD_REQUEST, "request body must be JSON");
    };
    let Some(q) = body.get("q").and_then(Value::as_str) else {
        return error(StatusCode::BAD_REQUEST, "q is required");
    };
    let names_filter = |key: &str| -> Vec<String> {
        body.pointer(&format!("/filter/{key}"))
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).map(normalize).collect())
            .unwrap_or_default()
    };
    let (supplier_names, buyer_names) = (names_filter("supplier_name"), names_filter("buyer_name"));
    let wanted = normalize(q);
    let shipments = world
        .customs
        .as_ref()
        .map(|customs| customs.shipments.as_slice())
        .unwrap_or_default();
    let matching: Vec<(usize, &ShipmentRecord)> = shipments
        .iter()
        .enumerate()
        .filter(|(_, shipment)| {
            let (shipper, consignee) = (normalize(&shipment.shipper), normalize(&shipment.consignee));
            !wanted.is_empty()
                && (shipper.contains(&wanted) || consignee.contains(&wanted))
                && (supplier_names.is_empty() || supplier_names.iter().any(|name| shipper.contains(name)))
                && (buyer_names.is_empty() || buyer_names.iter().any(|name| consignee.contains(name)))
        })
        .collect();
    let total = matching.len();
    let data: Vec<Value> = matching
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(index, shipment)| shipment_json(index, shipment))
        .collect();
    json(
        StatusCode::OK,
        json!({
            "limit": limit,
            "offset": offset,
            "next": offset + limit < total,
            "size": { "count": total, "qualifier": "eq" },
            "data": data,
        }),
    )
}

/// One world shipment as a Sayari `Shipment`.
fn shipment_json(index: usize, shipment: &ShipmentRecord) -> Value {
    let country = |code: &Option<String>| -> Vec<&'static str> {
        code.as_deref().and_then(countries::alpha3_of).into_iter().collect()
    };
    let (from, to) = (country(&shipment.shipper_country), country(&shipment.consignee_country));
    let entity = |id: String, kind: &str, name: &str, countries: &[&str]| {
        json!({ "id": id, "type": kind, "names": [name], "risks": {}, "business_purpose": [],
                "address": [], "countries": countries })
    };
    let mut countries: Vec<&str> = from.iter().chain(&to).copied().collect();
    countries.dedup();
    json!({
        "id": format!("sbx-shipment-{index}"),
        "type": "shipment",
        "buyer": [entity(format!("sbx-buyer-{index}"), "receiver_of", &shipment.consignee, &to)],
        "supplier": [entity(format!("sbx-supplier-{index}"), "shipper_of", &shipment.shipper, &from)],
        // Bills of lading are dated on arrival.
        "arrival_date": shipment.date.iter().collect::<Vec<_>>(),
        "departure_date": [],
        "departure_country": from,
        "arrival_country": to,
        "transit_country": [],
        "countries": countries,
        "product_origin": from,
        "monetary_value": [],
        "weight": shipment.weight_kg.map(|kg| json!({ "value": kg, "unit": "kilogram", "type": "gross_weight" }))
            .into_iter().collect::<Vec<_>>(),
        "identifier": [],
        "sources": [{ "id": "sandbox-bills-of-lading", "label": "Sandbox Bills of Lading" }],
        "hs_codes": shipment.hs_code.iter().map(|code| json!({ "code": code, "description": "" })).collect::<Vec<_>>(),
        "product_descriptions": [shipment.description],
        "record": format!("sandbox-customs/{index}"),
    })
}

/// Sayari's error body (`status`, `message`, `success`).
fn error(status: StatusCode, message: &str) -> Response {
    json(
        status,
        json!({ "status": status.as_u16(), "message": [message], "success": false }),
    )
}

/// Folded (case, diacritics: BAJÍO = bajio), punctuation to spaces, whitespace collapsed (SCENARIOS.md's customs name match).
fn normalize(name: &str) -> String {
    // "&", "and" and "the" are left out on both sides: "HAMZA & SONS" = "Hamza and Sons", and a query whose
    // "&" the adapter dropped as a search operator still matches.
    shadowhunter_core::matching::text::fold(name)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .filter(|word| !matches!(*word, "and" | "the"))
        .collect::<Vec<_>>()
        .join(" ")
}

//! Sandbox side of X API v2 user lookup and user search (https://docs.x.com/x-api/users/lookup, https://docs.x.com/x-api/x-api-v2/users/search).

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::providers::facebook::{rank_by_name, synthetic_id};
use crate::scenario::{TwitterUserRecord, World};
use crate::server::{ApiRequest, json};

/// The user fields X returns whatever `user.fields` asks for.
const DEFAULT_FIELDS: [&str; 3] = ["id", "name", "username"];

/// Answers `GET /2/users/by/username/{username}` and `GET /2/users/search?query=`.
pub fn handle(world: &World, request: &ApiRequest) -> Response {
    if !request.has_bearer_token() {
        return json(
            StatusCode::UNAUTHORIZED,
            json!({ "title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized" }),
        );
    }
    let users = world
        .twitter
        .as_ref()
        .map(|twitter| twitter.users.as_slice())
        .unwrap_or_default();
    let fields = requested_fields(request);
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    match (request.method.clone(), segments.as_slice()) {
        (Method::GET, ["2", "users", "by", "username", username]) => {
            let wanted = normalize_username(username);
            match users.iter().find(|user| normalize_username(&user.username) == wanted) {
                Some(user) => json(StatusCode::OK, json!({ "data": user_object(user, &fields) })),
                // X reports a missing user as a partial error inside a 200 answer.
                None => json(
                    StatusCode::OK,
                    json!({
                        "errors": [{
                            "value": username,
                            "detail": format!("Could not find user with username: [{username}]."),
                            "title": "Not Found Error",
                            "resource_type": "user",
                            "parameter": "username",
                            "resource_id": username,
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }]
                    }),
                ),
            }
        }
        (Method::GET, ["2", "users", "search"]) => {
            let Some(query) = request.param("query").filter(|query| !query.trim().is_empty()) else {
                return invalid_request("The `query` query parameter can not be empty");
            };
            let max_results = request
                .param("max_results")
                .and_then(|max| max.parse().ok())
                .unwrap_or(100usize)
                .clamp(1, 1000);
            let hits = rank_by_name(users, query, |user| user.name.as_str());
            let data: Vec<Value> = hits
                .into_iter()
                .take(max_results)
                .map(|user| user_object(user, &fields))
                .collect();
            if data.is_empty() {
                json(StatusCode::OK, json!({ "meta": { "result_count": 0 } }))
            } else {
                json(
                    StatusCode::OK,
                    json!({ "data": data, "meta": { "result_count": data.len() } }),
                )
            }
        }
        _ => json(
            StatusCode::NOT_FOUND,
            json!({ "errors": [{ "message": "The requested resource could not be found." }], "title": "Not Found Error",
                    "detail": "The requested resource could not be found.", "type": "about:blank", "status": 404 }),
        ),
    }
}

fn normalize_username(raw: &str) -> String {
    raw.trim().trim_start_matches('@').to_lowercase()
}

fn requested_fields(request: &ApiRequest) -> Vec<String> {
    request
        .param("user.fields")
        .unwrap_or_default()
        .split(',')
        .map(|field| field.trim().to_string())
        .filter(|field| !field.is_empty())
        .collect()
}

/// A v2 User object with the default fields and the requested ones that have a value.
fn user_object(user: &TwitterUserRecord, fields: &[String]) -> Value {
    let username = user.username.trim().trim_start_matches('@').to_string();
    let mut all = Map::new();
    all.insert(
        "id".into(),
        json!(synthetic_id(&format!("x:{}", username.to_lowercase()))),
    );
    all.insert("name".into(), json!(user.name));
    all.insert("username".into(), json!(username));
    all.insert("verified".into(), json!(false));
    all.insert("protected".into(), json!(false));
    if let Some(created_at) = user.created_at.as_deref().filter(|value| !value.trim().is_empty()) {
        all.insert("created_at".into(), json!(timestamp(created_at)));
    }
    for (key, value) in [("description", &user.description), ("location", &user.location)] {
        if let Some(value) = value.as_deref().filter(|value| !value.trim().is_empty()) {
            all.insert(key.into(), json!(value));
        }
    }
    if let Some(expanded) = user.url.as_deref().filter(|value| !value.trim().is_empty()) {
        // X wraps every profile URL in t.co; the typed URL survives only in the entities.
        let short = format!("https://t.co/{}", &synthetic_id(expanded)[..10]);
        let display = expanded
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/');
        all.insert("url".into(), json!(short));
        all.insert(
            "entities".into(),
            json!({ "url": { "urls": [{
                "start": 0, "end": short.len(), "url": short, "expanded_url": expanded, "display_url": display,
            }] } }),
        );
    } else {
        all.insert("url".into(), json!(""));
    }
    all.insert(
        "public_metrics".into(),
        json!({
            "followers_count": user.followers_count.unwrap_or(0),
            "following_count": 0,
            "tweet_count": 0,
            "listed_count": 0,
        }),
    );
    let mut object = Map::new();
    for field in DEFAULT_FIELDS.iter().copied().chain(fields.iter().map(String::as_str)) {
        if let Some(value) = all.get(field) {
            object.insert(field.to_string(), value.clone());
        }
    }
    Value::Object(object)
}

/// X's `created_at` format (ISO 8601 with milliseconds) for a world date or timestamp.
fn timestamp(raw: &str) -> String {
    let raw = raw.trim();
    if raw.len() == 10 {
        format!("{raw}T00:00:00.000Z")
    } else {
        raw.to_string()
    }
}

fn invalid_request(message: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        json!({
            "errors": [{ "parameters": {}, "message": message }],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        }),
    )
}

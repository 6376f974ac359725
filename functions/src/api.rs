//! The `api` function: `POST /checks`, `POST /checks/batch`, `GET /checks/{id}` behind API Gateway, with the
//! same contract as `shadowhunter serve` (`shadowhunter_core::submission`). Accepted checks are stored, then
//! handed to the check queue (SQS), whose `ingest` function starts their executions.

use std::sync::Arc;

use futures::future::try_join_all;
use lambda_http::http::header::{CONTENT_TYPE, LOCATION};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shadowhunter_core::check::Check;
use shadowhunter_core::ports::{CheckQueue, CheckStore, Clock};
use shadowhunter_core::submission::{self, Accepted, CheckView, SubmissionError, SubmissionLimits, Submitted};

use crate::metrics::Emf;

/// What the api function needs, built once at cold start.
pub struct ApiDeps {
    pub store: Arc<dyn CheckStore>,
    pub queue: Arc<dyn CheckQueue>,
    pub clock: Arc<dyn Clock>,
    pub limits: SubmissionLimits,
}

/// Answers one API Gateway request; every failure is an error body with its status, never a Lambda error.
pub async fn handle(request: Request, deps: &ApiDeps) -> Response<Body> {
    let started = std::time::Instant::now();
    let response = match route(&request, deps).await {
        Ok(response) => response,
        Err(error) => json_response(
            StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &error.body(),
        ),
    };
    Emf::new("api")
        .dimension("status", response.status().as_str())
        .metric("request_ms", started.elapsed().as_secs_f64() * 1e3, "Milliseconds")
        .metric("requests", 1.0, "Count")
        .emit();
    response
}

async fn route(request: &Request, deps: &ApiDeps) -> Result<Response<Body>, SubmissionError> {
    let path = request.uri().path().trim_end_matches('/');
    let media = submission::media_type(
        request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok()),
    );
    let body: &[u8] = request.body().as_ref();
    match (request.method(), path) {
        (&Method::POST, "/checks") => {
            submission::require_json(&media)?;
            submission::within_limit(body.len(), deps.limits.max_body_bytes)?;
            let submitted = submission::parse_one(body)?;
            let accepted = accept(deps, vec![submitted]).await?;
            let mut response = json_response(StatusCode::ACCEPTED, &accepted[0]);
            if let Ok(location) = format!("/checks/{}", accepted[0].id).parse() {
                response.headers_mut().insert(LOCATION, location);
            }
            Ok(response)
        }
        (&Method::POST, "/checks/batch") => {
            submission::require_batch_media(&media)?;
            submission::within_limit(body.len(), deps.limits.max_batch_body_bytes)?;
            let submitted = submission::parse_batch(&media, body, deps.limits.max_batch)?;
            let checks = accept(deps, submitted).await?;
            Ok(json_response(
                StatusCode::ACCEPTED,
                &serde_json::json!({ "checks": checks }),
            ))
        }
        (&Method::GET, _) if path.starts_with("/checks/") => {
            let id = submission::parse_check_id(&path["/checks/".len()..])?;
            let record = deps
                .store
                .get_check(&id)
                .await?
                .ok_or(SubmissionError::UnknownCheck(id))?;
            Ok(json_response(StatusCode::OK, &CheckView::from(record)))
        }
        _ => Err(SubmissionError::NoRoute),
    }
}

/// Stores the checks, then queues them. A check stored but not queued (the queue failed) is answered 503;
/// it stays `queued` in the table, where the client's retry does not find it (a retry is a new check).
async fn accept(deps: &ApiDeps, submitted: Vec<Submitted>) -> Result<Vec<Accepted>, SubmissionError> {
    let received_at = deps.clock.now();
    let checks: Vec<Check> = submitted
        .into_iter()
        .map(|submitted| Check::new(submitted.request, received_at))
        .collect();
    try_join_all(checks.iter().map(|check| deps.store.insert_check(check))).await?;
    deps.queue.enqueue(&checks).await?;
    for check in &checks {
        tracing::info!(check_id = %check.id, reference = check.request.reference.as_deref(), "check accepted");
    }
    Ok(checks.iter().map(Accepted::queued).collect())
}

fn json_response(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
    response
}

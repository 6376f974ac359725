//! The HTTP API: an axum `Router` that accepts checks onto the queue and reports their state.
//!
//! - `POST /checks` — one `CheckRequest` → `202 {"id","status":"queued","reference"}` with `Location`.
//! - `POST /checks/batch` — a JSON array or JSON lines of requests; all are validated before any is
//!   stored, so a batch is accepted whole (`202 {"checks":[…]}` in input order) or not at all.
//! - `GET /checks/{id}` — `{"id","status","reference","report"?,"error"?}`.
//! - `GET /healthz` — `{"status":"ok"}`.
//! - `GET /metrics` — the Prometheus text of [`crate::metrics`].
//!
//! Every error answers with the core `ErrorBody`; its status comes from [`ApiError::status`].

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use shadowhunter_core::check::Check;
use shadowhunter_core::ports::{CheckStore, Clock, StoreError};
use shadowhunter_core::submission::{self, Accepted, CheckView, SubmissionError, Submitted};
use shadowhunter_core::{ErrorBody, ErrorKind};
use tracing::{Span, error, field, info, instrument};

use crate::queue::{NewCheck, QueueError, SqliteQueue};

/// Size limits and back-off hints of the API.
#[derive(Debug, Clone)]
pub struct ApiLimits {
    /// The most requests one `POST /checks/batch` may carry.
    pub max_batch: usize,
    /// The largest `POST /checks` body, in bytes.
    pub max_body_bytes: usize,
    /// The largest `POST /checks/batch` body, in bytes.
    pub max_batch_body_bytes: usize,
    /// What `Retry-After` tells a client refused because the queue is full.
    pub retry_after: Duration,
}

impl Default for ApiLimits {
    fn default() -> Self {
        Self {
            max_batch: 1_000,
            max_body_bytes: 1024 * 1024,
            max_batch_body_bytes: 32 * 1024 * 1024,
            retry_after: Duration::from_secs(30),
        }
    }
}

/// What the handlers need: the store, the queue, the clock that stamps `received_at`, and the limits.
///
/// Submissions are written through the queue ([`SqliteQueue::submit`]-style: check row and queue row in
/// one transaction), so `queue` must be opened on the same SQLite store that `store` reads.
#[derive(Clone)]
pub struct ApiState {
    pub store: Arc<dyn CheckStore>,
    pub queue: SqliteQueue,
    pub clock: Arc<dyn Clock>,
    pub limits: ApiLimits,
}

impl ApiState {
    /// State with the default [`ApiLimits`].
    pub fn new(store: Arc<dyn CheckStore>, queue: SqliteQueue, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            queue,
            clock,
            limits: ApiLimits::default(),
        }
    }
}

/// The API's routes over `state`; serve it with `axum::serve`, or call it in tests with `ServiceExt::oneshot`.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/checks", post(submit_check))
        .route("/checks/batch", post(submit_batch))
        .route("/checks/{id}", get(get_check))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .fallback(no_route)
        .with_state(state)
}

/// Why a request was not served: the API contract's errors (`shadowhunter_core::submission`, shared with the
/// `api` Lambda), or the local queue refusing or failing.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Submission(#[from] SubmissionError),
    #[error("{source}")]
    Queue { source: QueueError, retry_after: Duration },
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::Submission(SubmissionError::Store(error))
    }
}

impl ApiError {
    /// The stable machine code of the error body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Submission(error) => error.code(),
            ApiError::Queue {
                source: QueueError::Overloaded { .. },
                ..
            } => "overloaded",
            ApiError::Queue { .. } => match self.kind() {
                ErrorKind::Retryable => "unavailable",
                _ => "internal",
            },
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            ApiError::Submission(error) => error.kind(),
            ApiError::Queue { source, .. } => source.kind(),
        }
    }

    /// The HTTP status, from the core `ErrorKind` table.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.kind().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let kind = self.kind();
        let body = match &self {
            ApiError::Submission(error) => error.body(),
            // Backend detail goes to the log, not to the client.
            ApiError::Queue { .. } if matches!(kind, ErrorKind::Fatal | ErrorKind::Retryable) => {
                error!(error = %self, "request failed");
                ErrorBody::new(
                    self.code(),
                    kind,
                    "the service could not complete the request; try again later",
                )
            }
            ApiError::Queue { .. } => ErrorBody::new(self.code(), kind, self.to_string()),
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let ApiError::Queue {
            source: QueueError::Overloaded { .. },
            retry_after,
        } = &self
        {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after.as_secs().max(1)));
        }
        response
    }
}

#[instrument(skip_all, fields(check_id = field::Empty))]
async fn submit_check(State(state): State<ApiState>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let media = media_type(&headers);
    submission::require_json(&media)?;
    let bytes = read_body(body, state.limits.max_body_bytes).await?;
    let submitted = submission::parse_one(&bytes)?;
    let accepted = accept(&state, vec![submitted]).await?;
    let Some(accepted) = accepted.into_iter().next() else {
        return Err(StoreError::Backend("accepted no check for one request".into()).into());
    };
    Span::current().record("check_id", field::display(&accepted.id));
    let location = [(LOCATION, format!("/checks/{}", accepted.id))];
    Ok((StatusCode::ACCEPTED, location, Json(accepted)).into_response())
}

#[instrument(skip_all, fields(checks = field::Empty))]
async fn submit_batch(State(state): State<ApiState>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let media = media_type(&headers);
    submission::require_batch_media(&media)?;
    let bytes = read_body(body, state.limits.max_batch_body_bytes).await?;
    let requests = submission::parse_batch(&media, &bytes, state.limits.max_batch)?;
    Span::current().record("checks", requests.len());
    let checks = accept(&state, requests).await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "checks": checks }))).into_response())
}

/// Validates nothing (callers did), reserves queue room, then stores and enqueues the checks.
///
/// Room is reserved first (in memory, no database trip) so a full queue refuses before anything is
/// written; the check rows and their queue rows are then written in one transaction, so an accepted
/// check is durable after one commit and a failed submission leaves nothing behind.
/// Each request is stored as the JSON text it was submitted as.
async fn accept(state: &ApiState, submitted: Vec<Submitted>) -> Result<Vec<Accepted>, ApiError> {
    let queue_error = |source| ApiError::Queue {
        source,
        retry_after: state.limits.retry_after,
    };
    let reservation = match state.queue.reserve(submitted.len()).await {
        Ok(reservation) => reservation,
        Err(err) => {
            if matches!(err, QueueError::Overloaded { .. }) {
                crate::metrics::metrics().checks_rejected.add(submitted.len() as u64);
            }
            return Err(queue_error(err));
        }
    };
    let received_at = state.clock.now();
    let checks: Vec<NewCheck> = submitted
        .into_iter()
        .map(|submitted| NewCheck {
            check: Check::new(submitted.request, received_at),
            request_json: submitted.json,
        })
        .collect();
    let accepted: Vec<Accepted> = checks.iter().map(|new| Accepted::queued(&new.check)).collect();
    // On an error the transaction rolled back: nothing of the submission is stored or queued.
    reservation.submit(checks).await.map_err(queue_error)?;
    crate::metrics::metrics().checks_accepted.add(accepted.len() as u64);
    for check in &accepted {
        info!(check_id = %check.id, reference = check.reference.as_deref(), "check accepted");
    }
    Ok(accepted)
}

#[instrument(skip_all, fields(check_id = field::Empty))]
async fn get_check(
    State(state): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<CheckView>, ApiError> {
    let Path(raw) = path.map_err(|rejection| SubmissionError::invalid("id", rejection.body_text()))?;
    let id = submission::parse_check_id(&raw)?;
    Span::current().record("check_id", field::display(&id));
    let record = state
        .store
        .get_check(&id)
        .await?
        .ok_or(SubmissionError::UnknownCheck(id))?;
    Ok(Json(CheckView::from(record)))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The metrics registry as Prometheus text; the queue depth is read fresh for each scrape.
async fn metrics_text(State(state): State<ApiState>) -> Response {
    let metrics = crate::metrics::metrics();
    match state.queue.depth().await {
        Ok(depth) => metrics.queue_depth.set(i64::try_from(depth).unwrap_or(i64::MAX)),
        Err(err) => error!(error = %err, "cannot read the queue depth for /metrics"),
    }
    ([(CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], metrics.render()).into_response()
}

async fn no_route() -> ApiError {
    SubmissionError::NoRoute.into()
}

/// The media type of the request's body, without parameters.
fn media_type(headers: &HeaderMap) -> String {
    submission::media_type(headers.get(CONTENT_TYPE).and_then(|value| value.to_str().ok()))
}

/// Reads the whole body, refusing it as soon as it outgrows `limit`.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| SubmissionError::invalid("body", format!("cannot read the body: {err}")))?;
        submission::within_limit(bytes.len() + chunk.len(), limit)?;
        bytes.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(bytes))
}

#[cfg(test)]
mod tests {
    use axum::http::Request;
    use serde_json::{Value, json};
    use shadowhunter_core::ports::SystemClock;
    use tower::ServiceExt;

    use super::*;
    use crate::queue::tests::ReportingRunner;
    use crate::queue::{QueueConfig, WorkerPool};
    use crate::store::SqliteStore;
    use shadowhunter_core::check::CheckId;

    struct TestApp {
        router: Router,
        store: SqliteStore,
        queue: SqliteQueue,
    }

    fn app_with(max_depth: usize, limits: ApiLimits) -> TestApp {
        let store = SqliteStore::in_memory().unwrap();
        let queue = SqliteQueue::open(
            &store,
            QueueConfig {
                max_depth,
                poll_interval: Duration::from_secs(3600),
                ..QueueConfig::default()
            },
        )
        .unwrap();
        let state = ApiState {
            store: Arc::new(store.clone()),
            queue: queue.clone(),
            clock: Arc::new(SystemClock),
            limits,
        };
        TestApp {
            router: router(state),
            store,
            queue,
        }
    }

    fn app() -> TestApp {
        app_with(100, ApiLimits::default())
    }

    struct Answer {
        status: StatusCode,
        headers: HeaderMap,
        body: Value,
    }

    impl TestApp {
        async fn send(&self, request: Request<Body>) -> Answer {
            let response = self.router.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap()
            };
            Answer { status, headers, body }
        }

        async fn post(&self, uri: &str, content_type: &str, body: impl Into<String>) -> Answer {
            let request = Request::post(uri)
                .header(CONTENT_TYPE, content_type)
                .body(Body::from(body.into()))
                .unwrap();
            self.send(request).await
        }

        async fn get(&self, uri: &str) -> Answer {
            self.send(Request::get(uri).body(Body::empty()).unwrap()).await
        }

        /// Checks in the store, whatever their status.
        async fn stored_checks(&self) -> i64 {
            self.store
                .db()
                .run(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM checks", [], |row| row.get(0))?))
                .await
                .unwrap()
        }
    }

    fn acme(reference: &str) -> Value {
        json!({"subject": {"kind": "company", "name": "Acme Trading Ltd", "country": "CN"}, "reference": reference})
    }

    fn assert_error(answer: &Answer, status: StatusCode, code: &str, kind: &str) {
        assert_eq!(answer.status, status, "{}", answer.body);
        assert_eq!(answer.body["error"]["code"], code, "{}", answer.body);
        assert_eq!(answer.body["error"]["kind"], kind, "{}", answer.body);
        assert!(answer.body["error"]["message"].is_string(), "{}", answer.body);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_accepted_check_is_queued_then_reported_done_by_get() {
        let app = app();
        let answer = app.post("/checks", "application/json", acme("po-17").to_string()).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
        assert_eq!(answer.body["status"], "queued");
        assert_eq!(answer.body["reference"], "po-17");
        let id = answer.body["id"].as_str().unwrap().to_string();
        assert!(CheckId::parse(&id).is_some());
        assert_eq!(answer.headers[LOCATION], format!("/checks/{id}").as_str());

        let queued = app.get(&format!("/checks/{id}")).await;
        assert_eq!(queued.status, StatusCode::OK);
        assert_eq!(queued.body, json!({"id": id, "status": "queued", "reference": "po-17"}));

        let store: Arc<dyn CheckStore> = Arc::new(app.store.clone());
        let runner = Arc::new(ReportingRunner {
            store: Arc::clone(&store),
            delay: Duration::ZERO,
        });
        let pool = WorkerPool::start(store, app.queue.clone(), runner, 1);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let done = loop {
            let answer = app.get(&format!("/checks/{id}")).await;
            if answer.body["status"] == "done" {
                break answer;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "check never finished: {}",
                answer.body
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        pool.shutdown().await;
        assert_eq!(done.body["report"]["check_id"], id.as_str());
        assert_eq!(done.body["report"]["subject_name"], "Acme Trading Ltd");
        assert!(done.body.get("error").is_none());
    }

    #[tokio::test]
    async fn a_bad_country_is_a_400_naming_subject_country() {
        let app = app();
        let body = json!({"subject": {"kind": "company", "name": "Acme", "country": "XX"}});
        let answer = app.post("/checks", "application/json", body.to_string()).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_request", "invalid_input");
        assert_eq!(answer.body["error"]["field"], "subject.country");
        assert_eq!(app.queue.depth().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn an_unknown_field_is_rejected_with_its_path() {
        let app = app();
        let body = json!({"subject": {"kind": "company", "name": "Acme", "nmae": "typo"}});
        let answer = app
            .post("/checks", "application/json; charset=utf-8", body.to_string())
            .await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_request", "invalid_input");
        let field = answer.body["error"]["field"].as_str().unwrap();
        assert!(field.starts_with("subject"), "{field}");
        assert!(answer.body["error"]["message"].as_str().unwrap().contains("nmae"));
    }

    #[tokio::test]
    async fn a_body_that_is_not_json_is_a_400() {
        let app = app();
        let answer = app.post("/checks", "application/json", "{not json").await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_request", "invalid_input");
        assert!(answer.body["error"]["field"].is_string(), "{}", answer.body);

        let answer = app.post("/checks/batch", "application/json", "[{not json").await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_request", "invalid_input");
        assert_eq!(answer.body["error"]["field"], "body");
    }

    #[tokio::test]
    async fn a_content_type_other_than_json_is_a_415() {
        let app = app();
        let answer = app.post("/checks", "text/plain", acme("r").to_string()).await;
        assert_error(
            &answer,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "unsupported_media_type",
        );

        let request = Request::post("/checks")
            .body(Body::from(acme("r").to_string()))
            .unwrap();
        let answer = app.send(request).await;
        assert_error(
            &answer,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "unsupported_media_type",
        );
    }

    #[tokio::test]
    async fn a_batch_is_accepted_in_input_order() {
        let app = app();
        let batch = json!([acme("a"), acme("b"), acme("c")]);
        let answer = app.post("/checks/batch", "application/json", batch.to_string()).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
        let checks = answer.body["checks"].as_array().unwrap();
        let references: Vec<&str> = checks
            .iter()
            .map(|check| check["reference"].as_str().unwrap())
            .collect();
        assert_eq!(references, ["a", "b", "c"]);
        assert!(checks.iter().all(|check| check["status"] == "queued"));
        assert_eq!(app.queue.depth().await.unwrap(), 3);

        let id = checks[1]["id"].as_str().unwrap();
        assert_eq!(app.get(&format!("/checks/{id}")).await.body["reference"], "b");
    }

    #[tokio::test]
    async fn a_batch_with_one_bad_element_accepts_none_and_names_its_index() {
        let app = app();
        let bad = json!({"subject": {"kind": "company", "name": "Bad", "country": "XX"}});
        let batch = json!([acme("a"), bad, acme("c")]);
        let answer = app.post("/checks/batch", "application/json", batch.to_string()).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_request", "invalid_input");
        assert_eq!(answer.body["error"]["index"], 1);
        assert_eq!(answer.body["error"]["field"], "subject.country");
        assert_eq!(app.queue.depth().await.unwrap(), 0, "nothing is half-submitted");
        assert_eq!(app.stored_checks().await, 0);
    }

    #[tokio::test]
    async fn a_json_lines_batch_is_accepted_by_content_type_or_by_shape() {
        let app = app();
        let lines = format!("{}\n\n{}\n", acme("first"), acme("second"));

        let answer = app.post("/checks/batch", "application/x-ndjson", lines.clone()).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
        assert_eq!(answer.body["checks"][0]["reference"], "first");
        assert_eq!(answer.body["checks"][1]["reference"], "second");

        let answer = app.post("/checks/batch", "application/json", lines).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
        assert_eq!(answer.body["checks"].as_array().unwrap().len(), 2);
        assert_eq!(app.queue.depth().await.unwrap(), 4);
    }

    #[tokio::test]
    async fn a_json_lines_batch_names_the_bad_line_by_its_element_index() {
        let app = app();
        let lines = format!(
            "{}\n{}\n",
            acme("ok"),
            json!({"subject": {"kind": "robot", "name": "R2"}})
        );
        let answer = app.post("/checks/batch", "application/jsonl", lines).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_request", "invalid_input");
        assert_eq!(answer.body["error"]["index"], 1);
        assert_eq!(answer.body["error"]["field"], "subject.kind");
        assert_eq!(app.queue.depth().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_batch_over_the_cap_is_a_413() {
        let app = app_with(
            100,
            ApiLimits {
                max_batch: 2,
                ..ApiLimits::default()
            },
        );
        let batch = json!([acme("a"), acme("b"), acme("c")]);
        let answer = app.post("/checks/batch", "application/json", batch.to_string()).await;
        assert_error(
            &answer,
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            "payload_too_large",
        );
        assert_eq!(app.queue.depth().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_body_over_the_byte_limit_is_a_413() {
        let app = app_with(
            100,
            ApiLimits {
                max_body_bytes: 64,
                ..ApiLimits::default()
            },
        );
        let answer = app
            .post("/checks", "application/json", acme(&"r".repeat(100)).to_string())
            .await;
        assert_error(
            &answer,
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "payload_too_large",
        );
    }

    #[tokio::test]
    async fn an_empty_batch_is_a_400() {
        let app = app();
        let answer = app.post("/checks/batch", "application/json", "[]").await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_request", "invalid_input");
    }

    #[tokio::test]
    async fn an_unknown_id_is_a_404_and_a_malformed_one_a_400() {
        let app = app();
        let answer = app.get(&format!("/checks/{}", CheckId::generate())).await;
        assert_error(&answer, StatusCode::NOT_FOUND, "not_found", "not_found");

        let answer = app.get("/checks/not-an-id").await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_request", "invalid_input");
        assert_eq!(answer.body["error"]["field"], "id");
    }

    #[tokio::test]
    async fn a_full_queue_answers_429_with_retry_after_and_stores_nothing() {
        let app = app_with(1, ApiLimits::default());
        let first = app.post("/checks", "application/json", acme("a").to_string()).await;
        assert_eq!(first.status, StatusCode::ACCEPTED);

        let answer = app.post("/checks", "application/json", acme("b").to_string()).await;
        assert_error(&answer, StatusCode::TOO_MANY_REQUESTS, "overloaded", "overloaded");
        assert_eq!(answer.headers[RETRY_AFTER], "30");

        let batch = json!([acme("c"), acme("d")]);
        let answer = app.post("/checks/batch", "application/json", batch.to_string()).await;
        assert_error(&answer, StatusCode::TOO_MANY_REQUESTS, "overloaded", "overloaded");
        assert_eq!(app.queue.depth().await.unwrap(), 1);
        assert_eq!(app.stored_checks().await, 1, "a refused submission is not stored");
    }

    #[tokio::test]
    async fn healthz_answers_ok_and_unknown_routes_a_404_error_body() {
        let app = app();
        let answer = app.get("/healthz").await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, json!({"status": "ok"}));

        let answer = app.get("/nowhere").await;
        assert_error(&answer, StatusCode::NOT_FOUND, "not_found", "not_found");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_queue_depth_posts_answer_429_and_every_accepted_check_still_reaches_done() {
        let app = app_with(5, ApiLimits::default());
        let shared: Arc<dyn CheckStore> = Arc::new(app.store.clone());
        let runner = Arc::new(ReportingRunner {
            store: Arc::clone(&shared),
            delay: Duration::from_millis(150),
        });
        // One slow worker: the queue fills faster than it drains.
        let pool = WorkerPool::start(Arc::clone(&shared), app.queue.clone(), runner, 1);

        let mut accepted = Vec::new();
        let mut refused = 0;
        for n in 0..20 {
            let answer = app
                .post("/checks", "application/json", acme(&format!("r{n}")).to_string())
                .await;
            match answer.status {
                StatusCode::ACCEPTED => accepted.push(answer.body["id"].as_str().unwrap().to_string()),
                StatusCode::TOO_MANY_REQUESTS => {
                    assert_eq!(answer.headers[RETRY_AFTER], "30");
                    refused += 1;
                }
                other => panic!("unexpected {other}: {}", answer.body),
            }
        }
        assert!(refused >= 10, "the queue of 5 refused only {refused} of 20");
        assert!(accepted.len() >= 5, "{accepted:?}");
        assert_eq!(
            app.stored_checks().await,
            accepted.len() as i64,
            "refused checks are not stored"
        );

        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        for id in &accepted {
            loop {
                let answer = app.get(&format!("/checks/{id}")).await;
                if answer.body["status"] == "done" {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{id} is {}",
                    answer.body["status"]
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        // A check reads "done" as soon as its report is stored; its queue row goes a moment later.
        while app.queue.depth().await.unwrap() > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the pool did not drain the queue"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let after = app.post("/checks", "application/json", acme("after").to_string()).await;
        assert_eq!(after.status, StatusCode::ACCEPTED, "a drained queue accepts again");
        pool.shutdown().await;
    }

    #[tokio::test]
    async fn metrics_are_served_as_prometheus_text_with_the_check_counters() {
        let app = app();
        let before = crate::metrics::metrics().checks_accepted.get();
        let answer = app.post("/checks", "application/json", acme("m").to_string()).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED);
        assert!(crate::metrics::metrics().checks_accepted.get() > before);

        let response = app
            .router
            .clone()
            .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], crate::metrics::CONTENT_TYPE);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        for name in [
            "shadowhunter_checks_accepted_total",
            "shadowhunter_checks_completed_total",
            "shadowhunter_checks_failed_total",
            "shadowhunter_queue_depth",
            "shadowhunter_checks_in_flight",
        ] {
            assert!(
                text.lines().any(|line| line.starts_with(&format!("{name} "))),
                "{name} missing from:\n{text}"
            );
        }
    }
}

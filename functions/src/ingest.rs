//! The `ingest` function: an SQS batch → one state machine execution per check. A message is either a check
//! the api function already stored (`{"check_id", "channels"}`) or a submission a customer sent straight to the
//! queue (one request, a JSON array or JSON lines). Each message succeeds or fails on its own: the answer lists
//! only the failed ones (`ReportBatchItemFailures`), so one bad message never re-drives the batch; a message
//! that keeps failing goes to the dead-letter queue by the queue's redrive policy.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
use shadowhunter_core::check::{Check, CheckId, CheckStatus};
use shadowhunter_core::ports::{CheckStore, Clock, DispatchError, ExecutionInput, StoreError, Workflow};
use shadowhunter_core::submission::{self, SubmissionError};

use crate::metrics::Emf;

/// What the ingest function needs, built once at cold start.
pub struct IngestDeps {
    pub store: Arc<dyn CheckStore>,
    pub workflow: Arc<dyn Workflow>,
    pub clock: Arc<dyn Clock>,
    /// The most checks one message may carry.
    pub max_checks_per_message: usize,
}

/// Why one message could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("message {0} has no body")]
    NoBody(String),
    #[error("message {message_id} is not a check submission: {source}")]
    Invalid {
        message_id: String,
        #[source]
        source: SubmissionError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
}

/// Ingests every message of the batch concurrently and reports the ones that failed.
pub async fn handle(event: SqsEvent, deps: &IngestDeps) -> SqsBatchResponse {
    let outcomes = join_all(event.records.iter().map(|message| ingest_message(message, deps))).await;
    let started: usize = outcomes.iter().filter_map(|outcome| outcome.as_ref().ok()).sum();
    let failed = outcomes.iter().filter(|outcome| outcome.is_err()).count();
    Emf::new("ingest")
        .metric("messages", event.records.len() as f64, "Count")
        .metric("executions_started", started as f64, "Count")
        .metric("messages_failed", failed as f64, "Count")
        .emit();
    let mut response = SqsBatchResponse::default();
    for (message, outcome) in event.records.iter().zip(outcomes) {
        if let Err(error) = outcome {
            let id = message.message_id.clone().unwrap_or_default();
            tracing::warn!(message_id = %id, %error, "message not ingested; SQS will redeliver it");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// Starts the executions of one message's checks; returns how many it started.
pub async fn ingest_message(message: &SqsMessage, deps: &IngestDeps) -> Result<usize, IngestError> {
    let message_id = message.message_id.clone().unwrap_or_default();
    let body = message
        .body
        .as_deref()
        .ok_or_else(|| IngestError::NoBody(message_id.clone()))?;
    let inputs = match serde_json::from_str::<ExecutionInput>(body) {
        Ok(stored) => vec![stored],
        Err(_) => store_submission(&message_id, body, deps).await?,
    };
    let mut started = 0;
    for input in &inputs {
        if start(input, deps).await? {
            started += 1;
        }
    }
    Ok(started)
}

/// Stores a submission sent straight to the queue; ids derive from the message id, so a redelivery finds the
/// checks it already stored instead of creating new ones.
async fn store_submission(message_id: &str, body: &str, deps: &IngestDeps) -> Result<Vec<ExecutionInput>, IngestError> {
    let submitted = submission::parse_batch("", body.as_bytes(), deps.max_checks_per_message).map_err(|source| {
        IngestError::Invalid {
            message_id: message_id.to_string(),
            source,
        }
    })?;
    let received_at = deps.clock.now();
    let mut inputs = Vec::with_capacity(submitted.len());
    for (index, submitted) in submitted.into_iter().enumerate() {
        let check = Check {
            id: CheckId::derived(&format!("sqs:{message_id}:{index}")),
            request: submitted.request,
            received_at,
        };
        deps.store.insert_check(&check).await?;
        inputs.push(ExecutionInput::for_check(&check));
    }
    Ok(inputs)
}

/// Starts a queued check's execution; false when another delivery already claimed it (Express executions are
/// not deduplicated by name, so the claim is what makes a redelivery harmless). A start that fails hands the
/// check back to the queue's next delivery.
async fn start(input: &ExecutionInput, deps: &IngestDeps) -> Result<bool, IngestError> {
    if !deps.store.claim(&input.check_id).await? {
        return Ok(false);
    }
    if let Err(error) = deps.workflow.start(input).await {
        deps.store
            .set_status(&input.check_id, CheckStatus::Queued, None)
            .await?;
        return Err(error.into());
    }
    tracing::info!(check_id = %input.check_id, channels = input.channels.len(), "execution started");
    Ok(true)
}

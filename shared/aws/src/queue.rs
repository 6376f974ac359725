//! `SqsCheckQueue`: the [`CheckQueue`] port over an SQS standard queue, read by the ingest Lambda.
//!
//! Each check is one message whose body is its [`ExecutionInput`] as JSON — `{"check_id": "chk_…",
//! "channels": ["search", …]}` — not the whole check: the check is already in the store when it is enqueued, the
//! body stays a few hundred bytes whatever the request holds, and the ingest Lambda hands it unchanged to
//! `StartExecution` as the state machine's input.
//!
//! Messages go out with `SendMessageBatch`, ten to a call, several calls at a time. Entries SQS reports as failed
//! through no fault of ours (throttling, an internal error) are sent again, alone, up to [`DEFAULT_ATTEMPTS`]
//! times in all with a short backoff; entries refused as our fault are not retried. Delivery is at-least-once:
//! a caller that retries after a partial failure may enqueue a check twice, and the execution name (the check
//! id) makes the second start a no-op.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use futures::StreamExt;
use shadowhunter_core::check::{Check, CheckId};
use shadowhunter_core::ports::{CheckQueue, DispatchError, ExecutionInput};
use tracing::{instrument, warn};

use crate::error::AwsError;

/// SQS takes at most ten entries per `SendMessageBatch`.
pub const BATCH_SIZE: usize = 10;
/// Sends of one entry before its failure is reported: the first and two retries.
pub const DEFAULT_ATTEMPTS: u32 = 3;
/// `SendMessageBatch` calls in flight at once for one `enqueue`.
const CONCURRENT_BATCHES: usize = 8;
/// The pause before the first retry of failed entries; doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// Failures named in an error message; the rest are counted.
const NAMED_FAILURES: usize = 5;

/// The [`CheckQueue`] over one SQS standard queue.
#[derive(Clone)]
pub struct SqsCheckQueue {
    client: Client,
    queue_url: String,
    attempts: u32,
}

/// One check that did not get into the queue.
#[derive(Debug)]
struct Failure {
    check_id: CheckId,
    retryable: bool,
    reason: String,
}

impl SqsCheckQueue {
    /// The queue at `queue_url` (`https://sqs.<region>.amazonaws.com/<account>/<name>`).
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            attempts: DEFAULT_ATTEMPTS,
        }
    }

    /// Sends each failed entry at most `attempts` times in all (at least once).
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// Sends one batch of at most [`BATCH_SIZE`] (check id, body) pairs; answers the entries that failed for good.
    async fn send_batch(&self, batch: &[(CheckId, String)]) -> Vec<Failure> {
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        let mut failures = Vec::new();
        let mut last_reasons: Vec<(usize, String)> = Vec::new();
        for attempt in 0..self.attempts {
            if attempt > 0 {
                tokio::time::sleep(FIRST_BACKOFF * 2u32.saturating_pow(attempt - 1)).await;
            }
            let entries = pending
                .iter()
                .map(|&index| {
                    SendMessageBatchRequestEntry::builder()
                        // Ids must be unique within a call; a position is, even if a check appears twice.
                        .id(index.to_string())
                        .message_body(&batch[index].1)
                        .build()
                })
                .collect::<Result<Vec<_>, _>>();
            let entries = match entries {
                Ok(entries) => entries,
                Err(err) => return fail_all(batch, &pending, false, format!("cannot build the batch: {err}")),
            };
            let sent = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await;
            let output = match sent {
                Ok(output) => output,
                // The SDK has already retried the whole call under its retry policy.
                Err(err) => {
                    let err = AwsError::from_sdk("SQS.SendMessageBatch", err);
                    return failures
                        .into_iter()
                        .chain(fail_all(batch, &pending, err.is_retryable(), err.to_string()))
                        .collect();
                }
            };
            let mut retry = Vec::new();
            last_reasons.clear();
            for failed in output.failed() {
                let reason = format!("{}: {}", failed.code(), failed.message().unwrap_or("no message"));
                let Some(index) = failed
                    .id()
                    .parse::<usize>()
                    .ok()
                    .filter(|index| pending.contains(index))
                else {
                    warn!(entry = failed.id(), %reason, "SQS reported a failure for an entry it was not sent");
                    continue;
                };
                if failed.sender_fault() {
                    failures.push(Failure {
                        check_id: batch[index].0.clone(),
                        retryable: false,
                        reason,
                    });
                } else {
                    retry.push(index);
                    last_reasons.push((index, reason));
                }
            }
            pending = retry;
            if pending.is_empty() {
                return failures;
            }
            warn!(
                failed = pending.len(),
                attempt, "SQS refused some entries of a batch; sending them again"
            );
        }
        failures.extend(last_reasons.into_iter().map(|(index, reason)| Failure {
            check_id: batch[index].0.clone(),
            retryable: true,
            reason: format!("{reason} (after {} attempts)", self.attempts),
        }));
        failures
    }
}

fn fail_all(batch: &[(CheckId, String)], pending: &[usize], retryable: bool, reason: String) -> Vec<Failure> {
    pending
        .iter()
        .map(|&index| Failure {
            check_id: batch[index].0.clone(),
            retryable,
            reason: reason.clone(),
        })
        .collect()
}

/// One error for all failed checks: fatal if any failure is, retryable otherwise.
fn dispatch_error(failures: &[Failure], total: usize) -> DispatchError {
    let mut message = format!("{} of {total} checks were not enqueued: ", failures.len());
    let named: Vec<String> = failures
        .iter()
        .take(NAMED_FAILURES)
        .map(|failure| format!("{} ({})", failure.check_id, failure.reason))
        .collect();
    message.push_str(&named.join("; "));
    if failures.len() > NAMED_FAILURES {
        message.push_str(&format!("; and {} more", failures.len() - NAMED_FAILURES));
    }
    if failures.iter().all(|failure| failure.retryable) {
        DispatchError::Retryable(message)
    } else {
        DispatchError::Fatal(message)
    }
}

#[async_trait]
impl CheckQueue for SqsCheckQueue {
    #[instrument(skip_all, fields(checks = checks.len()))]
    async fn enqueue(&self, checks: &[Check]) -> Result<(), DispatchError> {
        let bodies = checks
            .iter()
            .map(|check| {
                let body = serde_json::to_string(&ExecutionInput::for_check(check))
                    .map_err(|err| DispatchError::Fatal(format!("cannot encode check {}: {err}", check.id)))?;
                Ok((check.id.clone(), body))
            })
            .collect::<Result<Vec<_>, DispatchError>>()?;
        // Batches by index: a closure over `&[_]` trips the `Send` check of the boxed future (rust#64552).
        let batches = bodies.len().div_ceil(BATCH_SIZE);
        let failures: Vec<Failure> = futures::stream::iter(0..batches)
            .map(|batch| {
                let end = (batch * BATCH_SIZE + BATCH_SIZE).min(bodies.len());
                self.send_batch(&bodies[batch * BATCH_SIZE..end])
            })
            .buffer_unordered(CONCURRENT_BATCHES)
            .flat_map(futures::stream::iter)
            .collect()
            .await;
        if failures.is_empty() {
            Ok(())
        } else {
            Err(dispatch_error(&failures, checks.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(retryable: bool) -> Failure {
        Failure {
            check_id: CheckId::generate(),
            retryable,
            reason: "ThrottlingException: slow down".into(),
        }
    }

    #[test]
    fn failures_are_retryable_only_when_every_one_is() {
        assert!(matches!(
            dispatch_error(&[failure(true), failure(true)], 20),
            DispatchError::Retryable(_)
        ));
        assert!(matches!(
            dispatch_error(&[failure(true), failure(false)], 20),
            DispatchError::Fatal(_)
        ));
    }

    #[test]
    fn the_error_names_a_few_checks_and_counts_the_rest() {
        let failures: Vec<Failure> = (0..8).map(|_| failure(true)).collect();
        let DispatchError::Retryable(message) = dispatch_error(&failures, 30) else {
            panic!("retryable");
        };
        assert!(message.starts_with("8 of 30 checks were not enqueued: "), "{message}");
        assert!(message.contains(failures[0].check_id.as_str()), "{message}");
        assert!(!message.contains(failures[7].check_id.as_str()), "{message}");
        assert!(message.ends_with("; and 3 more"), "{message}");
    }
}

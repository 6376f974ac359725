//! `AwsError`: why an AWS adapter failed, with the retryable/fatal split every port error is mapped from.

use std::error::Error as StdError;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use shadowhunter_core::ErrorKind;
use shadowhunter_core::check::CheckId;
use shadowhunter_core::ports::{DispatchError, StoreError};
use shadowhunter_providers::resilient::ResponseCacheError;

/// Error codes AWS answers when a caller should slow down; the list the SDK's own retry classifier uses
/// (`aws_runtime::retries::classifiers::THROTTLING_ERRORS`), plus the service-specific ones our adapters meet.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    // DynamoDB: a concurrent transaction touched the same item.
    "TransactionConflictException",
    // Step Functions: too many open executions; they close on their own.
    "ExecutionLimitExceeded",
    // SQS (query-protocol spelling) and its KMS encryption.
    "AWS.SimpleQueueService.RequestThrottled",
    "KmsThrottled",
];

/// Codes of transient service faults (besides any 5xx status).
const TRANSIENT_CODES: &[&str] = &[
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalServerError",
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];

/// Whether a failed SDK call is worth repeating later: throttling, a timeout, a dropped connection, a 5xx.
///
/// The SDK has already retried such a call under its retry policy (3 attempts by default) by the time we see
/// the error; this tells the caller (a Lambda, a state machine `Retry`) whether to try again after a pause.
pub fn is_retryable<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::ConstructionFailure(_) => false,
        SdkError::TimeoutError(_) => true,
        // No response arrived: refused or reset connections and timeouts are transient; a user error
        // (an invalid endpoint URL, a TLS configuration fault) is not.
        SdkError::DispatchFailure(failure) => !failure.is_user(),
        // A response that did not parse: a truncated or garbled body.
        SdkError::ResponseError(_) => true,
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = err.code().unwrap_or_default();
            status >= 500 || status == 429 || THROTTLING_CODES.contains(&code) || TRANSIENT_CODES.contains(&code)
        }
        // `SdkError` is non-exhaustive; an unknown failure is not assumed to heal.
        _ => false,
    }
}

/// Why an AWS adapter failed.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// An AWS call failed; `retryable` says whether repeating it later can succeed.
    #[error("{operation} failed ({}): {message}", if *.retryable { "retryable" } else { "fatal" })]
    Service {
        operation: &'static str,
        /// The AWS error code (`ThrottlingException`, `ValidationException`, ...), when the service sent one.
        code: Option<String>,
        retryable: bool,
        message: String,
    },
    #[error("check {0} does not exist")]
    UnknownCheck(CheckId),
    /// An item would exceed DynamoDB's 400 KB limit even with its JSON body gzip-compressed.
    #[error("{item} would be {bytes} bytes with its body gzip-compressed; a DynamoDB item holds at most {limit} bytes")]
    ItemTooLarge { item: String, bytes: usize, limit: usize },
    /// A request could not be assembled (a required field left unset): a bug in this crate.
    #[error("cannot build the request: {0}")]
    Build(#[from] aws_sdk_dynamodb::error::BuildError),
    #[error("cannot encode {what} as JSON: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A stored item is missing an attribute, has one of the wrong type, or its body does not decode.
    #[error("stored item {item} is corrupt: {reason}")]
    Corrupt { item: String, reason: String },
}

impl AwsError {
    /// Wraps a failed SDK call of `operation` (`DynamoDB.PutItem`, `SQS.SendMessageBatch`, ...).
    pub fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        Self::Service {
            operation,
            code: err.code().map(str::to_string),
            retryable: is_retryable(&err),
            message: DisplayErrorContext(&err).to_string(),
        }
    }

    pub(crate) fn corrupt(item: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Corrupt {
            item: item.into(),
            reason: reason.into(),
        }
    }

    /// Retryable for throttling, timeouts and service faults; not found for an unknown check; fatal otherwise.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AwsError::Service { retryable: true, .. } => ErrorKind::Retryable,
            AwsError::UnknownCheck(_) => ErrorKind::NotFound,
            _ => ErrorKind::Fatal,
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.kind() == ErrorKind::Retryable
    }
}

/// `StoreError` has no retryable variant yet: everything but an unknown check becomes `Backend`, whose message
/// still says `retryable` or `fatal`.
impl From<AwsError> for StoreError {
    fn from(err: AwsError) -> Self {
        match err {
            AwsError::UnknownCheck(id) => StoreError::UnknownCheck(id),
            other => StoreError::Backend(other.to_string()),
        }
    }
}

impl From<AwsError> for DispatchError {
    fn from(err: AwsError) -> Self {
        if err.is_retryable() {
            DispatchError::Retryable(err.to_string())
        } else {
            DispatchError::Fatal(err.to_string())
        }
    }
}

impl From<AwsError> for ResponseCacheError {
    fn from(err: AwsError) -> Self {
        ResponseCacheError(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_smithy_types::body::SdkBody;

    use super::*;

    fn service_error(status: u16, code: &str) -> SdkError<GetItemError, HttpResponse> {
        let raw = HttpResponse::new(status.try_into().expect("a valid status"), SdkBody::empty());
        SdkError::service_error(GetItemError::generic(ErrorMetadata::builder().code(code).build()), raw)
    }

    #[test]
    fn throttling_server_faults_and_timeouts_are_retryable() {
        assert!(is_retryable(&service_error(400, "ThrottlingException")));
        assert!(is_retryable(&service_error(
            400,
            "ProvisionedThroughputExceededException"
        )));
        assert!(is_retryable(&service_error(500, "InternalServerError")));
        assert!(is_retryable(&service_error(503, "Whatever")));
        assert!(is_retryable(&SdkError::<GetItemError, HttpResponse>::timeout_error(
            "slow"
        )));
    }

    #[test]
    fn validation_and_missing_resources_are_fatal() {
        assert!(!is_retryable(&service_error(400, "ValidationException")));
        assert!(!is_retryable(&service_error(400, "ResourceNotFoundException")));
        assert!(!is_retryable(
            &SdkError::<GetItemError, HttpResponse>::construction_failure("bad input")
        ));
    }

    #[test]
    fn each_port_error_keeps_the_retryable_split() {
        let throttled = AwsError::from_sdk("DynamoDB.GetItem", service_error(400, "ThrottlingException"));
        assert_eq!(throttled.kind(), ErrorKind::Retryable);
        assert!(matches!(DispatchError::from(throttled), DispatchError::Retryable(_)));
        let invalid = AwsError::from_sdk("DynamoDB.GetItem", service_error(400, "ValidationException"));
        assert_eq!(invalid.kind(), ErrorKind::Fatal);
        let StoreError::Backend(message) = StoreError::from(invalid) else {
            panic!("a backend error");
        };
        assert!(message.starts_with("DynamoDB.GetItem failed (fatal): "), "{message}");
        let unknown = CheckId::generate();
        assert!(matches!(
            StoreError::from(AwsError::UnknownCheck(unknown.clone())),
            StoreError::UnknownCheck(id) if id == unknown
        ));
    }
}

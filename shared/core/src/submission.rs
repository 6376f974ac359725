//! The check API's contract, independent of the transport: how a submission body is read (media type, size,
//! one request or a batch as a JSON array or JSON lines), the API's errors with their codes and kinds, and the
//! views it answers with. `shadowhunter serve` (axum) and the `api` Lambda (API Gateway) both use it, so they
//! validate and fail the same way.

use serde::{Deserialize, Serialize};

use crate::check::{Check, CheckId, CheckStatus};
use crate::error::{ErrorBody, ErrorKind, InvalidInput};
use crate::ports::{CheckRecord, DispatchError, StoreError};
use crate::report::Report;
use crate::request::CheckRequest;

/// Size limits of the API.
#[derive(Debug, Clone)]
pub struct SubmissionLimits {
    /// The most requests one `POST /checks/batch` may carry.
    pub max_batch: usize,
    /// The largest `POST /checks` body, in bytes.
    pub max_body_bytes: usize,
    /// The largest `POST /checks/batch` body, in bytes.
    pub max_batch_body_bytes: usize,
}

impl Default for SubmissionLimits {
    fn default() -> Self {
        Self {
            max_batch: 1_000,
            max_body_bytes: 1024 * 1024,
            max_batch_body_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Why the API refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    #[error("{err}")]
    Invalid { err: InvalidInput, index: Option<usize> },
    #[error("expected Content-Type {expected}, found `{found}`")]
    UnsupportedMediaType { expected: &'static str, found: String },
    #[error("the body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("a batch holds at most {max} checks; this one holds {count}")]
    BatchTooLarge { count: usize, max: usize },
    #[error("the service is at capacity; try again later")]
    Overloaded,
    #[error("check {0} does not exist")]
    UnknownCheck(CheckId),
    #[error("no such route")]
    NoRoute,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
}

impl SubmissionError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        SubmissionError::Invalid {
            err: InvalidInput::new(field, message),
            index: None,
        }
    }

    /// The stable machine code of the error body.
    pub fn code(&self) -> &'static str {
        match self {
            SubmissionError::Invalid { .. } => "invalid_request",
            SubmissionError::UnsupportedMediaType { .. } => "unsupported_media_type",
            SubmissionError::BodyTooLarge { .. } => "body_too_large",
            SubmissionError::BatchTooLarge { .. } => "batch_too_large",
            SubmissionError::Overloaded => "overloaded",
            SubmissionError::UnknownCheck(_) | SubmissionError::NoRoute => "not_found",
            SubmissionError::Store(_) | SubmissionError::Dispatch(_) => match self.kind() {
                ErrorKind::Retryable => "unavailable",
                _ => "internal",
            },
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            SubmissionError::Invalid { .. } => ErrorKind::InvalidInput,
            SubmissionError::UnsupportedMediaType { .. } => ErrorKind::UnsupportedMediaType,
            SubmissionError::BodyTooLarge { .. } | SubmissionError::BatchTooLarge { .. } => ErrorKind::PayloadTooLarge,
            SubmissionError::Overloaded => ErrorKind::Overloaded,
            SubmissionError::UnknownCheck(_) | SubmissionError::NoRoute => ErrorKind::NotFound,
            SubmissionError::Store(StoreError::UnknownCheck(_)) => ErrorKind::NotFound,
            SubmissionError::Store(StoreError::Backend(_)) => ErrorKind::Fatal,
            SubmissionError::Dispatch(DispatchError::Retryable(_)) => ErrorKind::Retryable,
            SubmissionError::Dispatch(DispatchError::Fatal(_)) => ErrorKind::Fatal,
        }
    }

    /// The HTTP status, from the core `ErrorKind` table.
    pub fn http_status(&self) -> u16 {
        self.kind().http_status()
    }

    /// The body to answer with. Backend detail stays in the log, never in the answer.
    pub fn body(&self) -> ErrorBody {
        let kind = self.kind();
        match self {
            SubmissionError::Invalid { err, index } => ErrorBody::invalid_input(err, *index),
            _ if matches!(kind, ErrorKind::Fatal | ErrorKind::Retryable) => {
                tracing::error!(error = %self, "request failed");
                ErrorBody::new(
                    self.code(),
                    kind,
                    "the service could not complete the request; try again later",
                )
            }
            _ => ErrorBody::new(self.code(), kind, self.to_string()),
        }
    }
}

/// The media type without parameters, lower case; empty when the header is absent.
pub fn media_type(content_type: Option<&str>) -> String {
    content_type
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn is_json(media: &str) -> bool {
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

fn is_json_lines(media: &str) -> bool {
    matches!(
        media,
        "application/x-ndjson" | "application/jsonl" | "application/json-lines" | "application/x-jsonlines"
    )
}

/// Refuses a `POST /checks` body that is not JSON.
pub fn require_json(media: &str) -> Result<(), SubmissionError> {
    if is_json(media) {
        Ok(())
    } else {
        Err(SubmissionError::UnsupportedMediaType {
            expected: "application/json",
            found: media.to_string(),
        })
    }
}

/// Refuses a `POST /checks/batch` body that is neither JSON nor JSON lines.
pub fn require_batch_media(media: &str) -> Result<(), SubmissionError> {
    if is_json(media) || is_json_lines(media) {
        Ok(())
    } else {
        Err(SubmissionError::UnsupportedMediaType {
            expected: "application/json (an array) or application/x-ndjson (JSON lines)",
            found: media.to_string(),
        })
    }
}

/// Refuses a body longer than `limit` bytes.
pub fn within_limit(len: usize, limit: usize) -> Result<(), SubmissionError> {
    if len > limit {
        Err(SubmissionError::BodyTooLarge { limit })
    } else {
        Ok(())
    }
}

/// A request as it was submitted: parsed and checked, with the JSON text it was parsed from.
///
/// A store may keep `json` as the request: reading it back applies the same rules, so it yields the same request,
/// and serializing the request again cost a tenth of `POST /checks`' handler.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub request: CheckRequest,
    pub json: String,
}

impl Submitted {
    fn parse(json: String, index: Option<usize>) -> Result<Self, SubmissionError> {
        let request =
            CheckRequest::from_json(json.as_bytes()).map_err(|err| SubmissionError::Invalid { err, index })?;
        Ok(Self { request, json })
    }
}

/// One `POST /checks` body.
pub fn parse_one(bytes: &[u8]) -> Result<Submitted, SubmissionError> {
    // Parsed first, so a bad byte in a string is reported at its field.
    let request = CheckRequest::from_json(bytes).map_err(|err| SubmissionError::Invalid { err, index: None })?;
    let json = String::from_utf8(bytes.to_vec())
        .map_err(|err| SubmissionError::invalid("body", format!("not UTF-8: {}", err.utf8_error())))?;
    Ok(Submitted { request, json })
}

/// A `POST /checks/batch` body: a JSON array, or JSON lines (by media type or by shape). Every request is
/// validated before any is accepted; the error names the index of the first bad one.
pub fn parse_batch(media: &str, bytes: &[u8], max: usize) -> Result<Vec<Submitted>, SubmissionError> {
    let starts_as_array = bytes.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[');
    let requests = if !is_json_lines(media) && starts_as_array {
        parse_array(bytes, max)?
    } else {
        parse_lines(bytes, max)?
    };
    if requests.is_empty() {
        return Err(SubmissionError::invalid("body", "the batch holds no checks"));
    }
    Ok(requests)
}

fn parse_array(bytes: &[u8], max: usize) -> Result<Vec<Submitted>, SubmissionError> {
    let elements: Vec<serde_json::Value> = serde_json::from_slice(bytes)
        .map_err(|err| SubmissionError::invalid("body", format!("not a JSON array of requests: {err}")))?;
    if elements.len() > max {
        return Err(SubmissionError::BatchTooLarge {
            count: elements.len(),
            max,
        });
    }
    elements
        .iter()
        .enumerate()
        .map(|(index, element)| Submitted::parse(element.to_string(), Some(index)))
        .collect()
}

/// One request per non-blank line; `index` counts requests, not lines, so it matches the answer's order.
fn parse_lines(bytes: &[u8], max: usize) -> Result<Vec<Submitted>, SubmissionError> {
    let text =
        std::str::from_utf8(bytes).map_err(|err| SubmissionError::invalid("body", format!("not UTF-8: {err}")))?;
    let lines: Vec<&str> = text.lines().filter(|line| !line.trim().is_empty()).collect();
    if lines.len() > max {
        return Err(SubmissionError::BatchTooLarge {
            count: lines.len(),
            max,
        });
    }
    lines
        .iter()
        .enumerate()
        .map(|(index, line)| Submitted::parse(line.to_string(), Some(index)))
        .collect()
}

/// A check id from the path of `GET /checks/{id}`.
pub fn parse_check_id(raw: &str) -> Result<CheckId, SubmissionError> {
    CheckId::parse(raw)
        .ok_or_else(|| SubmissionError::invalid("id", format!("`{raw}` is not a check id (`chk_` and 32 hex digits)")))
}

/// The answer for an accepted check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accepted {
    pub id: CheckId,
    pub status: CheckStatus,
    pub reference: Option<String>,
}

impl Accepted {
    pub fn queued(check: &Check) -> Self {
        Self {
            id: check.id.clone(),
            status: CheckStatus::Queued,
            reference: check.request.reference.clone(),
        }
    }
}

/// A check as `GET /checks/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckView {
    pub id: CheckId,
    pub status: CheckStatus,
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<CheckRecord> for CheckView {
    fn from(record: CheckRecord) -> Self {
        Self {
            status: record.status,
            reference: record.check.request.reference,
            report: record.report.filter(|_| record.status == CheckStatus::Done),
            error: record.error.filter(|_| record.status == CheckStatus::Failed),
            id: record.check.id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_names_the_index_of_its_first_bad_request() {
        let body = br#"[{"subject": {"kind": "company", "name": "A"}}, {"subject": {"kind": "company"}}]"#;
        let error = parse_batch("application/json", body, 10).unwrap_err();
        assert!(
            matches!(error, SubmissionError::Invalid { index: Some(1), .. }),
            "{error:?}"
        );
        assert_eq!(error.http_status(), 400);
    }

    #[test]
    fn a_submitted_requests_text_reads_back_as_the_request_its_rules_made() {
        let body = br#"{"subject": {"kind": "company", "name": "Acme Oy", "website": "Acme.fi"}}"#;
        let array = [&b"["[..], &body[..], &b"]"[..]].concat();
        let submitted = [
            vec![parse_one(body).unwrap()],
            parse_batch("application/json", &array, 10).unwrap(),
            parse_batch("application/x-ndjson", body, 10).unwrap(),
        ]
        .concat();
        for one in &submitted {
            assert!(one.json.contains("\"Acme.fi\""), "kept as sent: {}", one.json);
            let website = one.request.subject.website.as_ref().expect("parsed");
            assert_eq!(website.as_str(), "https://acme.fi/");
            let read_back: CheckRequest = serde_json::from_str(&one.json).unwrap();
            assert_eq!(read_back, one.request);
        }
    }

    #[test]
    fn json_lines_are_read_by_media_type_or_by_shape() {
        let body = b"{\"subject\": {\"kind\": \"company\", \"name\": \"A\"}}\n\n{\"subject\": {\"kind\": \"company\", \"name\": \"B\"}}\n";
        assert_eq!(parse_batch("application/x-ndjson", body, 10).unwrap().len(), 2);
        assert_eq!(parse_batch("application/json", body, 10).unwrap().len(), 2);
    }

    #[test]
    fn a_batch_over_the_limit_is_a_413() {
        let body = b"[{}, {}, {}]";
        let error = parse_batch("application/json", body, 2).unwrap_err();
        assert_eq!(error.code(), "batch_too_large");
        assert_eq!(error.http_status(), 413);
    }

    #[test]
    fn text_plain_is_a_415_and_json_with_a_charset_is_accepted() {
        assert_eq!(require_json("text/plain").unwrap_err().http_status(), 415);
        assert!(require_json(&media_type(Some("application/json; charset=utf-8"))).is_ok());
        assert!(require_batch_media("application/x-ndjson").is_ok());
    }

    #[test]
    fn a_malformed_check_id_names_the_id_field() {
        let error = parse_check_id("chk_nothex").unwrap_err();
        assert_eq!(error.body().error.field.as_deref(), Some("id"));
    }

    #[test]
    fn backend_detail_never_reaches_the_answer() {
        let error = SubmissionError::Dispatch(DispatchError::Retryable("secret arn:aws:... throttled".into()));
        assert_eq!(error.http_status(), 503);
        assert!(!error.body().error.message.contains("arn:aws"));
    }
}

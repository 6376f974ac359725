//! Errors with a stable machine code and a kind that feeds the HTTP status and the retry decision.

use serde::Serialize;

/// What a caller should do about an error: fix the input, try again, or give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    InvalidInput,
    UnsupportedMediaType,
    PayloadTooLarge,
    NotFound,
    Overloaded,
    Retryable,
    Fatal,
}

impl ErrorKind {
    /// The one table from error kind to HTTP status.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::InvalidInput => 400,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::NotFound => 404,
            ErrorKind::Overloaded => 429,
            ErrorKind::Retryable => 503,
            ErrorKind::Fatal => 500,
        }
    }
}

/// A request field that broke its rule; `field` is the JSON path (`subject.social.twitter`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
pub struct InvalidInput {
    pub field: String,
    pub message: String,
}

impl InvalidInput {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The machine-readable error body every API answers with.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub kind: ErrorKind,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For batches: the index of the element at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

impl ErrorBody {
    pub fn invalid_input(err: &InvalidInput, index: Option<usize>) -> Self {
        Self {
            error: ErrorDetail {
                code: "invalid_request",
                kind: ErrorKind::InvalidInput,
                message: err.to_string(),
                field: Some(err.field.clone()),
                index,
            },
        }
    }

    pub fn new(code: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                kind,
                message: message.into(),
                field: None,
                index: None,
            },
        }
    }
}

//! Why a definition was refused; `location` is where in the definition, as `/States/Collect/Retry/0`.

/// A definition this executor will not run: bad JSON, a missing substitution, or a field it does not support.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("the definition is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),

    #[error("the placeholder ${{{name}}} has no substitution")]
    UnresolvedPlaceholder { name: String },

    #[error("malformed placeholder at byte {offset}: {problem}")]
    MalformedPlaceholder { offset: usize, problem: &'static str },

    #[error("{location}: missing required field `{field}`")]
    MissingField { location: String, field: &'static str },

    #[error("{location}: field `{field}` is not supported by this executor")]
    UnsupportedField { location: String, field: String },

    #[error("{location}: field `{field}` {problem}")]
    InvalidField {
        location: String,
        field: String,
        problem: String,
    },

    #[error("{location}: state type `{state_type}` is not supported by this executor")]
    UnsupportedStateType { location: String, state_type: String },

    #[error("{location}: `{target}` is not a state in this scope")]
    UnknownTarget { location: String, target: String },

    #[error("{location}: state `{state}` cannot be reached from StartAt")]
    UnreachableState { location: String, state: String },

    #[error("{location}: invalid path `{path}`: {problem}")]
    InvalidPath {
        location: String,
        path: String,
        problem: String,
    },

    #[error("{location}: invalid intrinsic function call `{expression}`: {problem}")]
    InvalidIntrinsic {
        location: String,
        expression: String,
        problem: String,
    },
}

//! An error raised while a state runs, in the shape the States Language gives errors: a name and a cause.

/// `States.Runtime`: Step Functions neither retries nor catches it, not even with `States.ALL`.
pub(crate) const STATES_RUNTIME: &str = "States.Runtime";
pub(crate) const STATES_TIMEOUT: &str = "States.Timeout";
pub(crate) const STATES_ALL: &str = "States.ALL";
pub(crate) const STATES_TASK_FAILED: &str = "States.TaskFailed";
pub(crate) const STATES_NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
pub(crate) const STATES_RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub error: String,
    pub cause: String,
    /// Whether the cause already names the state it happened in.
    located: bool,
}

impl Failure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Failure {
            error: error.into(),
            cause: cause.into(),
            located: false,
        }
    }

    /// A `States.Runtime` failure: bad data met a path or an intrinsic function, and the execution fails.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Failure::new(STATES_RUNTIME, cause)
    }

    /// Whether Retry and Catch may handle this failure at all.
    pub fn is_handleable(&self) -> bool {
        self.error != STATES_RUNTIME
    }

    /// Names the state in a `States.Runtime` cause, as Step Functions does; other errors keep the cause they had.
    pub fn in_state(mut self, state_name: &str) -> Self {
        if self.error == STATES_RUNTIME && !self.located {
            self.cause = format!(
                "An error occurred while executing the state '{state_name}'. {}",
                self.cause
            );
            self.located = true;
        }
        self
    }
}

//! The state machine's task functions: `collector` and `comparator` (one deployment per channel) and `summary`.
//! A failure answers with the step's error name as the Lambda error type, which the state machine's `Retry`
//! and `Catch` match on.

use std::sync::Arc;

use lambda_runtime::Diagnostic;
use serde_json::Value;
use shadowhunter_core::Check;
use shadowhunter_core::llm::Llm;
use shadowhunter_core::ports::{CheckStore, Clock, Providers};
use shadowhunter_core::steps::{self, StepError, StepPorts, TaskKind};

use crate::metrics::Emf;

/// What the task functions need, built once at cold start.
pub struct TaskDeps {
    pub store: Arc<dyn CheckStore>,
    pub clock: Arc<dyn Clock>,
    pub providers: Providers,
    pub llm: Option<Arc<dyn Llm>>,
}

/// A failed task, as Lambda reports it to the state machine.
#[derive(Debug)]
pub struct TaskError(pub StepError);

impl From<TaskError> for Diagnostic {
    fn from(error: TaskError) -> Self {
        Diagnostic {
            error_type: error.0.error_name().to_string(),
            error_message: error.0.to_string(),
        }
    }
}

/// Runs the task this function is deployed for on one invocation's payload.
pub async fn handle(kind: TaskKind, payload: Value, deps: &TaskDeps) -> Result<Value, TaskError> {
    let providers = |_: &Check| deps.providers.clone();
    let ports = StepPorts {
        store: deps.store.as_ref(),
        clock: deps.clock.as_ref(),
        llm: deps.llm.as_deref(),
        providers: &providers,
    };
    let check_id = payload.get("check_id").cloned().unwrap_or_default();
    let started = std::time::Instant::now();
    let outcome = steps::run_task(kind, payload, &ports).await;
    let (function, channel) = match kind {
        TaskKind::Collector(channel) => ("collector", Some(channel)),
        TaskKind::Comparator(channel) => ("comparator", Some(channel)),
        TaskKind::Summary => ("summary", None),
    };
    let mut record = Emf::new(function)
        .metric("task_ms", started.elapsed().as_secs_f64() * 1e3, "Milliseconds")
        .metric("task_errors", f64::from(u8::from(outcome.is_err())), "Count")
        .property("check_id", check_id);
    if let Some(channel) = channel {
        record = record.dimension("channel", channel.as_str());
    }
    if let Err(error) = &outcome {
        record = record.property("error", error.error_name());
    }
    record.emit();
    outcome.map_err(TaskError)
}

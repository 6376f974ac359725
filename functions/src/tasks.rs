//! The state machine's task functions: `collector` and `comparator` (one deployment per channel) and `summary`.
//! A failure answers with the step's error name as the Lambda error type, which the state machine's `Retry`
//! and `Catch` match on.

use std::sync::Arc;

use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shadowhunter_core::llm::Llm;
use shadowhunter_core::ports::{CheckStore, Clock, Providers};
use shadowhunter_core::steps::{self, ChannelTask, StepError, SummaryDeps, SummaryTask};
use shadowhunter_core::{Channel, Check};

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

impl From<StepError> for TaskError {
    fn from(error: StepError) -> Self {
        TaskError(error)
    }
}

impl From<TaskError> for Diagnostic {
    fn from(error: TaskError) -> Self {
        Diagnostic {
            error_type: error.0.error_name().to_string(),
            error_message: error.0.to_string(),
        }
    }
}

fn decode<T: DeserializeOwned>(payload: Value) -> Result<T, StepError> {
    serde_json::from_value(payload).map_err(|error| StepError::InvalidTaskInput(error.to_string()))
}

fn encode(value: &impl Serialize) -> Result<Value, StepError> {
    serde_json::to_value(value).map_err(|error| StepError::InvalidTaskInput(error.to_string()))
}

/// A channel task for the channel this function is deployed for; a task for another channel is refused.
fn channel_task(payload: Value, deployed_for: Channel) -> Result<ChannelTask, StepError> {
    let task: ChannelTask = decode(payload)?;
    if task.channel != deployed_for {
        return Err(StepError::InvalidTaskInput(format!(
            "this function serves {deployed_for}, not {}",
            task.channel
        )));
    }
    Ok(task)
}

pub async fn collector(payload: Value, channel: Channel, deps: &TaskDeps) -> Result<Value, TaskError> {
    let task = channel_task(payload, channel)?;
    let providers = |_: &Check| deps.providers.clone();
    Ok(encode(
        &steps::collect_step(&task, deps.store.as_ref(), &providers).await?,
    )?)
}

pub async fn comparator(payload: Value, channel: Channel, deps: &TaskDeps) -> Result<Value, TaskError> {
    let task = channel_task(payload, channel)?;
    Ok(encode(
        &steps::compare_step(&task, deps.store.as_ref(), deps.clock.as_ref()).await?,
    )?)
}

pub async fn summary(payload: Value, deps: &TaskDeps) -> Result<Value, TaskError> {
    let task: SummaryTask = decode(payload)?;
    let providers = |_: &Check| deps.providers.clone();
    let step_deps = SummaryDeps {
        store: deps.store.as_ref(),
        clock: deps.clock.as_ref(),
        llm: deps.llm.as_deref(),
        providers: &providers,
    };
    Ok(encode(&steps::summary_step(&task, &step_deps).await?)?)
}

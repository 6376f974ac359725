//! Scripted Lambda handlers and shorthands shared by the test modules.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::Value;
use shadowhunter_workflow::{Definition, ExecutionOutcome, Executor, ExecutorOptions, TaskFailure, TaskInvoker};

type Handler = dyn Fn(&str, &Value, usize) -> Result<Value, TaskFailure> + Send + Sync;

/// A Lambda stand-in that answers from a function of (function name, payload, earlier calls to that function) and
/// records every call.
pub struct ScriptedInvoker {
    handler: Box<Handler>,
    calls: Mutex<Vec<Call>>,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub function: String,
    pub payload: Value,
    pub at: tokio::time::Instant,
}

impl ScriptedInvoker {
    pub fn new(
        handler: impl Fn(&str, &Value, usize) -> Result<Value, TaskFailure> + Send + Sync + 'static,
    ) -> Arc<ScriptedInvoker> {
        Arc::new(ScriptedInvoker {
            handler: Box::new(handler),
            calls: Mutex::new(Vec::new()),
        })
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    pub fn calls_to(&self, function: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|call| call.function == function)
            .collect()
    }
}

#[async_trait]
impl TaskInvoker for ScriptedInvoker {
    async fn invoke(&self, function_name: &str, payload: Value) -> Result<Value, TaskFailure> {
        let earlier_calls = {
            let mut calls = self.calls.lock().unwrap();
            let earlier = calls.iter().filter(|call| call.function == function_name).count();
            calls.push(Call {
                function: function_name.to_owned(),
                payload: payload.clone(),
                at: tokio::time::Instant::now(),
            });
            earlier
        };
        (self.handler)(function_name, &payload, earlier_calls)
    }
}

/// For definitions without Task states.
pub fn no_tasks() -> Arc<ScriptedInvoker> {
    ScriptedInvoker::new(|function, _, _| panic!("no task expected, {function} was invoked"))
}

pub fn parse(definition: &Value) -> Arc<Definition> {
    Arc::new(Definition::parse(&definition.to_string(), &Default::default()).expect("the definition parses"))
}

/// An executor that retries at once.
pub fn executor(definition: &Value, invoker: Arc<dyn TaskInvoker>) -> Executor {
    Executor::new(parse(definition), invoker, ExecutorOptions { retry_delay_scale: 0.0 })
}

/// An executor that waits as the definition says (tests pause tokio's clock).
pub fn executor_with_real_waits(definition: &Value, invoker: Arc<dyn TaskInvoker>) -> Executor {
    Executor::new(parse(definition), invoker, ExecutorOptions::default())
}

pub async fn run(definition: &Value, invoker: Arc<dyn TaskInvoker>, input: Value) -> ExecutionOutcome {
    executor(definition, invoker).run("test-execution", input).await
}

pub fn succeeded(outcome: ExecutionOutcome) -> Value {
    match outcome {
        ExecutionOutcome::Succeeded { output, .. } => output,
        ExecutionOutcome::Failed { error, cause, .. } => panic!("expected success, failed with {error}: {cause}"),
    }
}

/// The error and cause of a failed execution.
pub fn failed(outcome: ExecutionOutcome) -> (String, String) {
    match outcome {
        ExecutionOutcome::Failed { error, cause, .. } => (error, cause),
        ExecutionOutcome::Succeeded { output, .. } => panic!("expected failure, succeeded with {output}"),
    }
}

/// The names of the states entered, in history order.
pub fn path_taken(outcome: &ExecutionOutcome) -> Vec<String> {
    outcome.history().iter().map(|entry| entry.state.clone()).collect()
}

pub fn task_error(error: &str, cause: &str) -> TaskFailure {
    TaskFailure::new(error, cause)
}

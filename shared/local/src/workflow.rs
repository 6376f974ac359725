//! The local runner's state machine: `statemachine/check.asl.json`, the definition deployed to Step Functions,
//! executed in process by `shadowhunter_workflow`, its Lambda tasks answered by the same domain steps the Lambda
//! functions call (`shadowhunter_core::steps::run_task`). `serve`, `check`, `demo` and `eval` all run checks
//! through here, so the flow tested locally is the flow deployed.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use serde_json::Value;
use shadowhunter_core::llm::Llm;
use shadowhunter_core::ports::{CheckStore, Clock, ExecutionInput, Providers};
use shadowhunter_core::steps::{self, StepPorts, TaskKind};
use shadowhunter_core::{Check, Report};
use shadowhunter_workflow::{Definition, ExecutionOutcome, Executor, ExecutorOptions, TaskFailure, TaskInvoker};

use crate::execution_store::{ExecutionStore, PriorRun};

/// The definition's text, as deployed.
pub const DEFINITION_JSON: &str = include_str!("../../../statemachine/check.asl.json");

/// The values SAM substitutes in AWS, here naming the in-process functions ([`TaskKind::from_local_name`]).
pub fn local_substitutions() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("CollectorFunctionPrefix".to_string(), "collector:".to_string()),
        ("ComparatorFunctionPrefix".to_string(), "comparator:".to_string()),
        ("SummaryFunctionArn".to_string(), "summary".to_string()),
    ])
}

/// The definition parsed once per process.
pub fn definition() -> Arc<Definition> {
    static PARSED: LazyLock<Arc<Definition>> = LazyLock::new(|| {
        Arc::new(
            Definition::parse(DEFINITION_JSON, &local_substitutions())
                .unwrap_or_else(|error| panic!("statemachine/check.asl.json does not parse: {error}")),
        )
    });
    Arc::clone(&PARSED)
}

/// Why a check's execution did not produce a report.
#[derive(Debug, thiserror::Error)]
pub enum ExecutionError {
    #[error("the execution failed with {error}: {cause}")]
    Failed { error: String, cause: String },
    #[error("the execution succeeded but check {0} has no report")]
    NoReport(String),
    #[error(transparent)]
    Store(#[from] shadowhunter_core::ports::StoreError),
}

/// The Lambda functions, in process: each task goes to [`steps::run_task`] with the local ports.
#[derive(Clone)]
pub struct LocalFunctions {
    pub store: Arc<dyn CheckStore>,
    pub clock: Arc<dyn Clock>,
    pub llm: Option<Arc<dyn Llm>>,
    pub providers: Arc<dyn Fn(&Check) -> Providers + Send + Sync>,
}

#[async_trait]
impl TaskInvoker for LocalFunctions {
    async fn invoke(&self, function_name: &str, payload: Value) -> Result<Value, TaskFailure> {
        let kind = TaskKind::from_local_name(function_name).ok_or_else(|| {
            TaskFailure::new(
                "Lambda.ResourceNotFoundException",
                format!("Function not found: {function_name}"),
            )
        })?;
        let ports = StepPorts {
            store: self.store.as_ref(),
            clock: self.clock.as_ref(),
            llm: self.llm.as_deref(),
            providers: self.providers.as_ref(),
        };
        steps::run_task(kind, payload, &ports)
            .await
            .map_err(|error| TaskFailure::new(error.error_name(), error.to_string()))
    }
}

/// Runs stored checks through the state machine.
pub struct LocalStateMachine {
    functions: LocalFunctions,
    options: ExecutorOptions,
}

impl LocalStateMachine {
    pub fn new(functions: LocalFunctions) -> Self {
        Self::with_options(functions, ExecutorOptions::default())
    }

    pub fn with_options(functions: LocalFunctions, options: ExecutorOptions) -> Self {
        Self { functions, options }
    }

    /// Runs one execution for a stored check (named by its id, like the Step Functions execution) and returns
    /// the report the summary stored. The execution's steps share an [`ExecutionStore`] over the store.
    pub async fn run(&self, check: &Check, prior: PriorRun) -> Result<Report, ExecutionError> {
        let store = Arc::new(ExecutionStore::new(
            Arc::clone(&self.functions.store),
            check.clone(),
            prior,
        ));
        let functions = LocalFunctions {
            store: Arc::clone(&store) as Arc<dyn CheckStore>,
            ..self.functions.clone()
        };
        let executor = Executor::new(definition(), Arc::new(functions), self.options.clone());
        let input = serde_json::to_value(ExecutionInput::for_check(check)).unwrap_or(Value::Null);
        let outcome = executor.run(check.id.as_str(), input).await;
        // Whatever the steps wrote and no report carried: a failed execution's evidence and verdicts.
        if let Err(err) = store.write_held().await {
            tracing::warn!(error = %err, "the execution's evidence and verdicts could not be stored");
        }
        match outcome {
            ExecutionOutcome::Succeeded { .. } => store
                .take_report()
                .ok_or_else(|| ExecutionError::NoReport(check.id.to_string())),
            ExecutionOutcome::Failed { error, cause, .. } => Err(ExecutionError::Failed { error, cause }),
        }
    }
}

/// Runs one check, stored and never run, with fixed providers: what `eval` and the tests do.
pub async fn run_check(
    check: &Check,
    providers: &Providers,
    store: Arc<dyn CheckStore>,
    clock: Arc<dyn Clock>,
    llm: Option<Arc<dyn Llm>>,
) -> Result<Report, ExecutionError> {
    let providers = providers.clone();
    let machine = LocalStateMachine::new(LocalFunctions {
        store,
        clock,
        llm,
        providers: Arc::new(move |_: &Check| providers.clone()),
    });
    machine.run(check, PriorRun::Never).await
}

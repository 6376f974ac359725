//! Runs executions of a parsed [`Definition`], calling Lambda handlers in process through [`TaskInvoker`].

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};
use tracing::Instrument;

use crate::definition::{
    ChoiceState, Definition, ErrorHandling, Expression, FailState, MapState, PassState, ResultPath, Retrier, Selection,
    State, StateKind, StateMachine, TaskState, Transition,
};
use crate::failure::{Failure, STATES_NO_CHOICE_MATCHED, STATES_RESULT_PATH_MATCH_FAILURE, STATES_TIMEOUT};
use crate::path::ContextObject;

/// Calls the function a Task names; the in-process stand-in for Lambda.
#[async_trait]
pub trait TaskInvoker: Send + Sync {
    /// Invokes function `function_name` with `payload`; `Err` carries the Lambda error name (`errorType`), which the
    /// state's Retry and Catch match on, and its cause.
    async fn invoke(&self, function_name: &str, payload: Value) -> Result<Value, TaskFailure>;
}

/// A failed invocation: `error` is what `ErrorEquals` matches (`Lambda.TooManyRequestsException`, `StoreUnavailable`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct TaskFailure {
    pub error: String,
    pub cause: String,
}

impl TaskFailure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        TaskFailure {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

/// How an [`Executor`] departs from Step Functions on purpose.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutorOptions {
    /// Multiplies every Retry wait: 1.0 waits as the definition says, 0.0 retries at once (tests).
    pub retry_delay_scale: f64,
}

impl Default for ExecutorOptions {
    fn default() -> Self {
        ExecutorOptions { retry_delay_scale: 1.0 }
    }
}

/// One state entered, in the execution's history.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StateEntered {
    pub state: String,
    /// The item index of each enclosing Map iteration, outermost first; empty outside any Map.
    pub map_item_indices: Vec<usize>,
}

/// How an execution ended, with the states it entered.
///
/// The history is in a fixed order whatever the concurrency: each Map state is followed by its iterations in item
/// order (all of one attempt, then those of a retry), each iteration's states in the order entered.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecutionOutcome {
    Succeeded {
        output: Value,
        history: Vec<StateEntered>,
    },
    Failed {
        error: String,
        cause: String,
        history: Vec<StateEntered>,
    },
}

impl ExecutionOutcome {
    pub fn history(&self) -> &[StateEntered] {
        match self {
            ExecutionOutcome::Succeeded { history, .. } | ExecutionOutcome::Failed { history, .. } => history,
        }
    }
}

/// Runs executions of one definition; cheap to share, and executions may run concurrently.
pub struct Executor {
    definition: Arc<Definition>,
    invoker: Arc<dyn TaskInvoker>,
    options: ExecutorOptions,
}

impl Executor {
    pub fn new(definition: Arc<Definition>, invoker: Arc<dyn TaskInvoker>, options: ExecutorOptions) -> Self {
        Executor {
            definition,
            invoker,
            options,
        }
    }

    pub fn definition(&self) -> &Arc<Definition> {
        &self.definition
    }

    /// Runs one execution to its end. `execution_name` is `$$.Execution.Name` and names the tracing span.
    pub async fn run(&self, execution_name: &str, input: Value) -> ExecutionOutcome {
        let span = tracing::info_span!("execution", execution = execution_name);
        async move {
            // Only a definition that reads $$.Execution.Input pays for a copy of the input.
            let execution_input = if self.definition.reads_execution_input {
                input.clone()
            } else {
                Value::Null
            };
            let run = Run {
                executor: self,
                execution_name,
                execution_input: &execution_input,
                history: Mutex::new(Vec::new()),
            };
            let machine = run.machine(&self.definition.machine, input, Vec::new(), Vec::new());
            let result = match self.definition.timeout {
                None => machine.await,
                Some(limit) => tokio::time::timeout(limit, machine).await.unwrap_or_else(|_| {
                    Err(Failure::new(
                        STATES_TIMEOUT,
                        format!(
                            "The execution ran longer than its TimeoutSeconds ({}s)",
                            limit.as_secs()
                        ),
                    ))
                }),
            };
            let history = run.into_history();
            match result {
                Ok(output) => {
                    tracing::info!(states = history.len(), "execution succeeded");
                    ExecutionOutcome::Succeeded { output, history }
                }
                Err(failure) => {
                    tracing::warn!(error = %failure.error, cause = %failure.cause, "execution failed");
                    ExecutionOutcome::Failed {
                        error: failure.error,
                        cause: failure.cause,
                        history,
                    }
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// Sorts before every key that extends it, so a Map state's entry comes before its iterations' entries.
type HistoryKey = Vec<u32>;

/// One execution in progress.
struct Run<'a> {
    executor: &'a Executor,
    execution_name: &'a str,
    execution_input: &'a Value,
    history: Mutex<Vec<(HistoryKey, StateEntered)>>,
}

impl<'a> Run<'a> {
    fn into_history(self) -> Vec<StateEntered> {
        let mut entries = self.history.into_inner().unwrap_or_else(PoisonError::into_inner);
        entries.sort_by(|left, right| left.0.cmp(&right.0));
        entries.into_iter().map(|(_, entry)| entry).collect()
    }

    fn record(&self, key: HistoryKey, state: &State, map_item_indices: &[usize]) {
        let entry = StateEntered {
            state: state.name.clone(),
            map_item_indices: map_item_indices.to_vec(),
        };
        self.history
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((key, entry));
    }

    fn context<'s>(&'s self, state: &'s State, retry_count: u32) -> ContextObject<'s> {
        ContextObject {
            execution_name: self.execution_name,
            execution_input: self.execution_input,
            state_name: &state.name,
            retry_count,
            map_item: None,
        }
    }

    /// Runs a state machine (the top level or one Map iteration) from StartAt to its end.
    fn machine<'s>(
        &'s self,
        machine: &'s StateMachine,
        input: Value,
        key: HistoryKey,
        map_item_indices: Vec<usize>,
    ) -> BoxFuture<'s, Result<Value, Failure>> {
        Box::pin(async move {
            let mut index = machine.start_at;
            let mut input = input;
            let mut step = 0;
            loop {
                let state = &machine.states[index];
                let mut entry_key = key.clone();
                entry_key.push(step);
                step += 1;
                self.record(entry_key.clone(), state, &map_item_indices);
                let span = tracing::info_span!("state", state = %state.name, map_item_index = ?map_item_indices.last());
                let (transition, output) = self
                    .state(state, input, &entry_key, &map_item_indices)
                    .instrument(span)
                    .await
                    .map_err(|failure| failure.in_state(&state.name))?;
                match transition {
                    Transition::Next(next) => {
                        index = next;
                        input = output;
                    }
                    Transition::End => return Ok(output),
                }
            }
        })
    }

    async fn state(
        &self,
        state: &State,
        raw_input: Value,
        entry_key: &[u32],
        map_item_indices: &[usize],
    ) -> Result<(Transition, Value), Failure> {
        match &state.kind {
            StateKind::Task(task) => {
                let handling = Handling {
                    errors: &task.errors,
                    result_path: &task.result_path,
                    output_path: &task.output_path,
                    transition: task.transition,
                };
                self.with_retry_and_catch(state, handling, raw_input, entry_key, map_item_indices)
                    .await
            }
            StateKind::Map(map) => {
                let handling = Handling {
                    errors: &map.errors,
                    result_path: &map.result_path,
                    output_path: &map.output_path,
                    transition: map.transition,
                };
                self.with_retry_and_catch(state, handling, raw_input, entry_key, map_item_indices)
                    .await
            }
            StateKind::Pass(pass) => self.pass(state, pass, raw_input),
            StateKind::Choice(choice) => self.choice(state, choice, raw_input),
            StateKind::Succeed(succeed) => {
                let selected = self.selected_input(state, &succeed.input_path, &raw_input)?;
                let output = select_output(&succeed.output_path, selected.unwrap_or(raw_input))?;
                Ok((Transition::End, output))
            }
            StateKind::Fail(fail) => Err(self.fail(state, fail, &raw_input)),
        }
    }

    /// Runs a Task or Map state's attempts: retried as its Retriers say, then caught as its Catchers say.
    async fn with_retry_and_catch(
        &self,
        state: &State,
        handling: Handling<'_>,
        raw_input: Value,
        entry_key: &[u32],
        map_item_indices: &[usize],
    ) -> Result<(Transition, Value), Failure> {
        // Each Retrier counts its own attempts, for this visit of the state only.
        let mut retrier_attempts = vec![0_u32; handling.errors.retriers.len()];
        let mut retry_count = 0;
        loop {
            let attempt = match &state.kind {
                StateKind::Task(task) => self.task_attempt(state, task, &raw_input, retry_count).await,
                StateKind::Map(map) => {
                    self.map_attempt(state, map, &raw_input, retry_count, entry_key, map_item_indices)
                        .await
                }
                _ => unreachable!("only Task and Map states retry"),
            };
            let failure = match attempt.and_then(|result| check_result_path(handling.result_path, &raw_input, result)) {
                Ok(result) => {
                    let output = apply_result_path(handling.result_path, raw_input, result);
                    return Ok((handling.transition, select_output(handling.output_path, output)?));
                }
                Err(failure) => failure,
            };
            if !failure.is_handleable() {
                return Err(failure);
            }
            if let Some(delay) = self.retry_delay(&handling.errors.retriers, &mut retrier_attempts, &failure.error) {
                tracing::info!(error = %failure.error, delay_ms = delay.as_millis() as u64, retry = retry_count + 1, "retrying");
                tokio::time::sleep(delay).await;
                retry_count += 1;
                continue;
            }
            return catch(handling.errors, raw_input, failure);
        }
    }

    /// The wait before the next attempt, or `None` when the first Retrier matching `error` has no attempts left
    /// (or none matches).
    fn retry_delay(&self, retriers: &[Retrier], attempts: &mut [u32], error: &str) -> Option<Duration> {
        let (index, retrier) = retriers
            .iter()
            .enumerate()
            .find(|(_, retrier)| retrier.error_equals.matches(error))?;
        if attempts[index] >= retrier.max_attempts {
            return None;
        }
        let exponent = i32::try_from(attempts[index]).unwrap_or(i32::MAX);
        let mut seconds = retrier.interval_seconds * retrier.backoff_rate.powi(exponent);
        if let Some(max_delay_seconds) = retrier.max_delay_seconds {
            seconds = seconds.min(max_delay_seconds);
        }
        if retrier.full_jitter {
            seconds *= rand::random::<f64>();
        }
        attempts[index] += 1;
        let scaled = seconds * self.executor.options.retry_delay_scale;
        Some(Duration::try_from_secs_f64(scaled.max(0.0)).unwrap_or(Duration::MAX))
    }

    /// One Task attempt: InputPath, Parameters, the invocation, ResultSelector.
    async fn task_attempt(
        &self,
        state: &State,
        task: &TaskState,
        raw_input: &Value,
        retry_count: u32,
    ) -> Result<Value, Failure> {
        let context = self.context(state, retry_count);
        let effective_input = select_input(&task.input_path, raw_input, &context)?;
        let Value::Object(mut parameters) = task.parameters.evaluate(&effective_input, &context)? else {
            unreachable!("Parameters is checked to be an object at parse time");
        };
        let function_name = match parameters.remove("FunctionName") {
            Some(Value::String(name)) => name,
            other => {
                return Err(Failure::runtime(format!(
                    "FunctionName must be a string, got {}",
                    other.unwrap_or(Value::Null)
                )));
            }
        };
        let payload = parameters.remove("Payload").unwrap_or(Value::Null);
        tracing::debug!(function = %function_name, retry = retry_count, "invoking");
        let invocation = self.executor.invoker.invoke(&function_name, payload);
        let outcome = match task.timeout {
            None => invocation.await,
            // Step Functions reports a task timeout with an empty cause.
            Some(limit) => tokio::time::timeout(limit, invocation)
                .await
                .unwrap_or_else(|_| Err(TaskFailure::new(STATES_TIMEOUT, ""))),
        };
        let payload = outcome.map_err(|failure| {
            tracing::debug!(function = %function_name, error = %failure.error, "task failed");
            Failure::new(failure.error, failure.cause)
        })?;
        let result = lambda_invoke_result(payload);
        match &task.result_selector {
            Some(selector) => selector.evaluate(&result, &context),
            None => Ok(result),
        }
    }

    /// One Map attempt: every item through the ItemProcessor, at most MaxConcurrency at a time; the first failed
    /// iteration fails the attempt and the others are abandoned, as Step Functions aborts them.
    async fn map_attempt(
        &self,
        state: &State,
        map: &MapState,
        raw_input: &Value,
        retry_count: u32,
        entry_key: &[u32],
        map_item_indices: &[usize],
    ) -> Result<Value, Failure> {
        let context = self.context(state, retry_count);
        let effective_input = select_input(&map.input_path, raw_input, &context)?;
        let items = map.items_path.select(&effective_input, &context).ok_or_else(|| {
            Failure::runtime(format!(
                "The ItemsPath '{}' could not be found in the input '{}'",
                map.items_path.text(),
                effective_input
            ))
        })?;
        let Value::Array(items) = &*items else {
            return Err(Failure::runtime(format!(
                "The ItemsPath '{}' must point to a JSON array, not {}",
                map.items_path.text(),
                items
            )));
        };
        let limit = match map.max_concurrency {
            0 => items.len().max(1),
            limit => limit,
        };
        let effective_input = &*effective_input;
        // Indices rather than `(index, &item)` pairs: a closure taking a reference would have to be generic over
        // its lifetime, which the boxed, Send future of `machine` cannot be.
        let iterations = futures::stream::iter(0..items.len())
            .map(|index| async move {
                let item = &items[index];
                let item_context = ContextObject {
                    map_item: Some((index, item)),
                    ..self.context(state, retry_count)
                };
                let input = match &map.item_selector {
                    Some(selector) => selector.evaluate(effective_input, &item_context)?,
                    None => item.clone(),
                };
                let index_key = u32::try_from(index).unwrap_or(u32::MAX);
                let mut key = entry_key.to_vec();
                key.extend([retry_count, index_key]);
                let mut indices = map_item_indices.to_vec();
                indices.push(index);
                let output = self.machine(&map.processor, input, key, indices).await?;
                Ok::<_, Failure>((index, output))
            })
            .buffer_unordered(limit);
        futures::pin_mut!(iterations);
        let mut outputs = vec![Value::Null; items.len()];
        while let Some(iteration) = iterations.next().await {
            let (index, output) = iteration?;
            outputs[index] = output;
        }
        let result = Value::Array(outputs);
        match &map.result_selector {
            Some(selector) => selector.evaluate(&result, &context),
            None => Ok(result),
        }
    }

    fn pass(&self, state: &State, pass: &PassState, raw_input: Value) -> Result<(Transition, Value), Failure> {
        let result = {
            let context = self.context(state, 0);
            let effective_input = select_input(&pass.input_path, &raw_input, &context)?;
            let parameters = match &pass.parameters {
                Some(parameters) => Some(parameters.evaluate(&effective_input, &context)?),
                None => None,
            };
            match (&pass.result, parameters) {
                (Some(result), _) => result.clone(),
                (None, Some(parameters)) => parameters,
                (None, None) => effective_input.into_owned(),
            }
        };
        let result = check_result_path(&pass.result_path, &raw_input, result)?;
        let output = apply_result_path(&pass.result_path, raw_input, result);
        Ok((pass.transition, select_output(&pass.output_path, output)?))
    }

    fn choice(&self, state: &State, choice: &ChoiceState, raw_input: Value) -> Result<(Transition, Value), Failure> {
        let (next, selected) = {
            let context = self.context(state, 0);
            let effective_input = select_input(&choice.input_path, &raw_input, &context)?;
            let mut chosen = None;
            for (rule, next) in &choice.choices {
                if rule.evaluate(&effective_input, &context)? {
                    chosen = Some(*next);
                    break;
                }
            }
            let next = chosen.or(choice.default).ok_or_else(|| {
                Failure::new(
                    STATES_NO_CHOICE_MATCHED,
                    format!("No Choice rule of state '{}' matched and it has no Default", state.name),
                )
            })?;
            let selected = match choice.input_path {
                Selection::Whole => None,
                _ => Some(effective_input.into_owned()),
            };
            (next, selected)
        };
        let output = select_output(&choice.output_path, selected.unwrap_or(raw_input))?;
        Ok((Transition::Next(next), output))
    }

    /// The effective input when InputPath selects part of `raw_input`; `None` when it is `raw_input` itself.
    fn selected_input(
        &self,
        state: &State,
        input_path: &Selection,
        raw_input: &Value,
    ) -> Result<Option<Value>, Failure> {
        match input_path {
            Selection::Whole => Ok(None),
            _ => Ok(Some(
                select_input(input_path, raw_input, &self.context(state, 0))?.into_owned(),
            )),
        }
    }

    fn fail(&self, state: &State, fail: &FailState, raw_input: &Value) -> Failure {
        let context = self.context(state, 0);
        let evaluate = |expression: &Option<Expression>, field: &str| -> Result<String, Failure> {
            let value = match expression {
                None => return Ok(String::new()),
                Some(Expression::Literal(text)) => return Ok(text.clone()),
                Some(Expression::Path(path)) => {
                    path.select(raw_input, &context).map(Cow::into_owned).ok_or_else(|| {
                        Failure::runtime(format!(
                            "The {field} path '{}' could not be found in the input",
                            path.text()
                        ))
                    })?
                }
                Some(Expression::Intrinsic(call)) => call.evaluate(raw_input, &context)?,
            };
            match value {
                Value::String(text) => Ok(text),
                other => Err(Failure::runtime(format!("The {field} must be a string, got {other}"))),
            }
        };
        match (evaluate(&fail.error, "ErrorPath"), evaluate(&fail.cause, "CausePath")) {
            (Ok(error), Ok(cause)) => Failure::new(error, cause),
            (Err(failure), _) | (_, Err(failure)) => failure,
        }
    }
}

/// What [`Run::with_retry_and_catch`] needs of a Task or Map state.
struct Handling<'d> {
    errors: &'d ErrorHandling,
    result_path: &'d ResultPath,
    output_path: &'d Selection,
    transition: Transition,
}

/// The first Catcher matching the failure decides the next state; its ResultPath places `{"Error","Cause"}` in the
/// state's raw input. OutputPath does not apply to a caught error.
fn catch(errors: &ErrorHandling, raw_input: Value, failure: Failure) -> Result<(Transition, Value), Failure> {
    let Some(catcher) = errors
        .catchers
        .iter()
        .find(|catcher| catcher.error_equals.matches(&failure.error))
    else {
        return Err(failure);
    };
    tracing::info!(error = %failure.error, "caught");
    let error_output = json!({"Error": failure.error, "Cause": failure.cause});
    let error_output = check_result_path(&catcher.result_path, &raw_input, error_output)?;
    Ok((
        Transition::Next(catcher.next),
        apply_result_path(&catcher.result_path, raw_input, error_output),
    ))
}

/// The shape of `arn:aws:states:::lambda:invoke`'s result, with the function's output under `Payload`.
fn lambda_invoke_result(payload: Value) -> Value {
    let mut result = Map::new();
    result.insert("ExecutedVersion".to_owned(), Value::String("$LATEST".to_owned()));
    result.insert("Payload".to_owned(), payload);
    result.insert("SdkHttpMetadata".to_owned(), json!({"HttpStatusCode": 200}));
    result.insert("StatusCode".to_owned(), json!(200));
    Value::Object(result)
}

fn select_input<'v>(
    input_path: &Selection,
    raw_input: &'v Value,
    context: &ContextObject<'v>,
) -> Result<Cow<'v, Value>, Failure> {
    match input_path {
        Selection::Whole => Ok(Cow::Borrowed(raw_input)),
        Selection::Empty => Ok(Cow::Owned(Value::Object(Map::new()))),
        Selection::Path(path) => path.select(raw_input, context).ok_or_else(|| {
            Failure::runtime(format!(
                "Invalid path '{}': No results for path in the input '{raw_input}'",
                path.text()
            ))
        }),
    }
}

fn select_output(output_path: &Selection, output: Value) -> Result<Value, Failure> {
    match output_path {
        Selection::Whole => Ok(output),
        Selection::Empty => Ok(Value::Object(Map::new())),
        Selection::Path(path) => path.take_from(output).ok_or_else(|| {
            Failure::runtime(format!(
                "Invalid path '{}': No results for path in the output",
                path.text()
            ))
        }),
    }
}

/// Passes `result` through when ResultPath can place it in `raw_input`; `States.ResultPathMatchFailure` otherwise.
fn check_result_path(result_path: &ResultPath, raw_input: &Value, result: Value) -> Result<Value, Failure> {
    match result_path {
        ResultPath::Write(path) if !path.can_write(raw_input) => Err(Failure::new(
            STATES_RESULT_PATH_MATCH_FAILURE,
            format!("Unable to apply ResultPath '{}' to input '{raw_input}'", path.text()),
        )),
        _ => Ok(result),
    }
}

fn apply_result_path(result_path: &ResultPath, raw_input: Value, result: Value) -> Value {
    match result_path {
        ResultPath::Discard => raw_input,
        ResultPath::Replace => result,
        ResultPath::Write(path) => path.write(raw_input, result),
    }
}

//! An in-process executor for the subset of the Amazon States Language that `statemachine/*.asl.json` uses.
//!
//! [`Definition::parse`] applies `${Name}` substitutions (as SAM's `DefinitionSubstitutions`), then parses and
//! validates the definition once, compiling every path, payload template and intrinsic call; an [`Executor`] runs
//! executions of it, calling the Lambda handlers in process through a [`TaskInvoker`].
//!
//! Supported (JSONPath query language only):
//! - top level: `StartAt`, `States`, `Comment`, `TimeoutSeconds`, `Version` ("1.0"), `QueryLanguage` ("JSONPath");
//! - `Task` with `Resource: arn:aws:states:::lambda:invoke` (`Parameters` with `FunctionName` and `Payload`, the
//!   result shaped `{"ExecutedVersion","Payload","SdkHttpMetadata","StatusCode"}`), `TimeoutSeconds`;
//! - `Map` (`ItemsPath`, `ItemSelector` or legacy `Parameters`, `ItemProcessor` in INLINE mode or legacy `Iterator`,
//!   `MaxConcurrency` with 0 for unlimited), `Pass` (`Result`, `Parameters`), `Choice` (`And`/`Or`/`Not`, the
//!   `String*`, `Numeric*` and `BooleanEquals` comparisons with their `...Path` forms, `StringMatches`, `IsPresent`,
//!   `IsNull`, `IsString`, `IsNumeric`, `IsBoolean`, `Default`), `Succeed`, `Fail` (`Error`/`ErrorPath`,
//!   `Cause`/`CausePath`);
//! - `InputPath` → `Parameters`/`ItemSelector` → task → `ResultSelector` → `ResultPath` → `OutputPath`, with `null`
//!   for InputPath/OutputPath (an empty object) and ResultPath (keep the raw input);
//! - reference paths `$`, `$.a.b`, `$.a[0]`, `$['a']`, and the context object `$$.Execution.Input`,
//!   `$$.Execution.Name`, `$$.State.Name`, `$$.State.RetryCount`, `$$.Map.Item.Index`, `$$.Map.Item.Value`;
//! - intrinsic functions `States.Format`, `StringToJson`, `JsonToString`, `Array`, `ArrayLength`, `ArrayGetItem`,
//!   `ArrayContains`, `ArrayRange`, `ArrayPartition`, `ArrayUnique`, `JsonMerge` (shallow), `MathAdd`, `UUID`;
//! - `Retry` (`ErrorEquals`, `IntervalSeconds`, `MaxAttempts`, `BackoffRate`, `MaxDelaySeconds`, `JitterStrategy`;
//!   each Retrier counts its own attempts) and `Catch` (`ErrorEquals`, `Next`, `ResultPath`) on Task and Map;
//!   `States.ALL`, `States.TaskFailed` (all but `States.Timeout`) and exact names.
//!
//! Errors follow Step Functions rather than the bare specification where the two differ: a path that finds nothing,
//! a failing intrinsic function, or a Choice variable that is absent is `States.Runtime`, which no Retry or Catch
//! handles, not even `States.ALL`; a ResultPath that cannot be applied is `States.ResultPathMatchFailure`; a Task
//! without `TimeoutSeconds` has no timeout.
//!
//! Rejected at parse time, never ignored: any other state type (`Wait`, `Parallel`), resource or field (JSONata,
//! `Assign`, `HeartbeatSeconds`, `TimeoutSecondsPath`, `ItemReader`, `ToleratedFailure*`, `Timestamp*` comparisons,
//! ...), wildcards, slices, filters and negative indexes in paths, context fields other than those above, duplicate
//! keys, transitions to a state outside the scope, unreachable states, and `States.ALL` anywhere but alone in the
//! last Retrier or Catcher.
//!
//! Objects keep serde_json's key order (sorted), so `States.JsonToString` and `States.Format` print keys sorted
//! where Step Functions keeps the written order.

mod choice;
mod definition;
mod error;
mod executor;
mod failure;
mod intrinsic;
mod path;
mod strict_json;
mod substitution;
mod template;

pub use definition::{Definition, LAMBDA_INVOKE_RESOURCE, StateInfo, StateType};
pub use error::DefinitionError;
pub use executor::{ExecutionOutcome, Executor, ExecutorOptions, StateEntered, TaskFailure, TaskInvoker};

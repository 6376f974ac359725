//! Retry: which Retrier applies, how long it waits, how many attempts it allows. Waits are real
//! `tokio::time::sleep`s measured on tokio's paused clock.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use shadowhunter_workflow::{TaskFailure, TaskInvoker};

use crate::support::{ScriptedInvoker, executor_with_real_waits, failed, path_taken, run, succeeded, task_error};

/// A Task with the given Retry and Catch; a Catch goes to `Recovery`, which exists only when something can reach it.
fn task_with(retry: Value, catch: Value) -> Value {
    let catches = catch.as_array().is_some_and(|catchers| !catchers.is_empty());
    let mut definition = json!({"StartAt": "Work", "States": {
        "Work": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "work", "Payload": {"retry.$": "$$.State.RetryCount"}},
            "Retry": retry, "Catch": catch, "End": true
        },
        "Recovery": {"Type": "Pass", "End": true}
    }});
    if !catches {
        definition["States"].as_object_mut().unwrap().remove("Recovery");
    }
    definition
}

/// Seconds between consecutive calls.
fn waits(invoker: &ScriptedInvoker) -> Vec<f64> {
    let calls = invoker.calls();
    calls
        .windows(2)
        .map(|pair| (pair[1].at - pair[0].at).as_secs_f64())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn retriers_keep_separate_attempt_counts_as_in_the_spec_example() {
    // The specification: errors ErrorA, ErrorB, ErrorC, ErrorB. The first two wait 1 and 2 seconds (first
    // Retrier), the third 5 (second Retrier); the fourth matches the first Retrier, whose two retries are spent, so
    // the Catch takes over.
    let definition = task_with(
        json!([
            {"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 2},
            {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5}
        ]),
        json!([{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recovery"}]),
    );
    let invoker = ScriptedInvoker::new(|_, _, earlier| {
        Err(task_error(
            ["ErrorA", "ErrorB", "ErrorC", "ErrorB"][earlier],
            "scripted",
        ))
    });
    let outcome = executor_with_real_waits(&definition, invoker.clone())
        .run("spec", json!({}))
        .await;
    assert_eq!(path_taken(&outcome), ["Work", "Recovery"]);
    assert_eq!(
        succeeded(outcome),
        json!({"error": {"Error": "ErrorB", "Cause": "scripted"}})
    );
    assert_eq!(waits(&invoker), [1.0, 2.0, 5.0]);
}

#[tokio::test(start_paused = true)]
async fn backoff_rate_grows_the_wait_and_max_delay_seconds_caps_it() {
    let definition = task_with(
        json!([{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 5, "MaxDelaySeconds": 5}]),
        json!([]),
    );
    let invoker = ScriptedInvoker::new(|_, _, _| Err(task_error("Boom", "always")));
    let outcome = executor_with_real_waits(&definition, invoker.clone())
        .run("backoff", json!({}))
        .await;
    assert_eq!(failed(outcome), ("Boom".to_owned(), "always".to_owned()));
    assert_eq!(waits(&invoker), [1.0, 2.0, 4.0, 5.0, 5.0]);
}

#[tokio::test(start_paused = true)]
async fn a_retrier_with_only_error_equals_waits_one_two_four_seconds_over_three_retries() {
    let definition = task_with(json!([{"ErrorEquals": ["Boom"]}]), json!([]));
    let invoker = ScriptedInvoker::new(|_, _, _| Err(task_error("Boom", "always")));
    failed(
        executor_with_real_waits(&definition, invoker.clone())
            .run("defaults", json!({}))
            .await,
    );
    assert_eq!(waits(&invoker), [1.0, 2.0, 4.0]);
}

#[tokio::test(start_paused = true)]
async fn full_jitter_never_waits_longer_than_the_backoff() {
    let definition = task_with(
        json!([{"ErrorEquals": ["Boom"], "IntervalSeconds": 4, "MaxAttempts": 3, "JitterStrategy": "FULL"}]),
        json!([]),
    );
    let invoker = ScriptedInvoker::new(|_, _, _| Err(task_error("Boom", "always")));
    failed(
        executor_with_real_waits(&definition, invoker.clone())
            .run("jitter", json!({}))
            .await,
    );
    let waits = waits(&invoker);
    assert_eq!(waits.len(), 3);
    for (wait, bound) in waits.iter().zip([4.0, 8.0, 16.0]) {
        assert!(*wait <= bound, "{waits:?}");
    }
}

#[tokio::test]
async fn max_attempts_zero_never_retries() {
    let definition = task_with(json!([{"ErrorEquals": ["Boom"], "MaxAttempts": 0}]), json!([]));
    let invoker = ScriptedInvoker::new(|_, _, _| Err(task_error("Boom", "once")));
    failed(run(&definition, invoker.clone(), json!({})).await);
    assert_eq!(invoker.calls().len(), 1);
}

#[tokio::test]
async fn a_retried_task_sees_its_retry_count_and_succeeds_on_the_third_attempt() {
    let definition = task_with(json!([{"ErrorEquals": ["Flaky"]}]), json!([]));
    let invoker = ScriptedInvoker::new(|_, _, earlier| match earlier {
        0 | 1 => Err(task_error("Flaky", "not yet")),
        _ => Ok(json!("done")),
    });
    let started = std::time::Instant::now();
    let output = succeeded(run(&definition, invoker.clone(), json!({})).await);
    assert_eq!(output["Payload"], json!("done"));
    let retry_counts: Vec<Value> = invoker
        .calls()
        .into_iter()
        .map(|call| call.payload["retry"].clone())
        .collect();
    assert_eq!(retry_counts, [json!(0), json!(1), json!(2)]);
    // retry_delay_scale 0.0: no real waiting.
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn errors_that_no_retrier_names_are_not_retried() {
    let definition = task_with(json!([{"ErrorEquals": ["Other"]}]), json!([]));
    let invoker = ScriptedInvoker::new(|_, _, _| Err(task_error("Boom", "x")));
    assert_eq!(failed(run(&definition, invoker.clone(), json!({})).await).0, "Boom");
    assert_eq!(invoker.calls().len(), 1);
}

/// Answers after `delay`.
struct SlowInvoker {
    delay: Duration,
}

#[async_trait]
impl TaskInvoker for SlowInvoker {
    async fn invoke(&self, _function_name: &str, _payload: Value) -> Result<Value, TaskFailure> {
        tokio::time::sleep(self.delay).await;
        Ok(json!("late"))
    }
}

fn timed_task(retry: Value, catch: Value) -> Value {
    let mut definition = task_with(retry, catch);
    definition["States"]["Work"]["TimeoutSeconds"] = json!(2);
    definition
}

#[tokio::test(start_paused = true)]
async fn a_task_running_past_timeout_seconds_fails_with_states_timeout_and_an_empty_cause() {
    let definition = timed_task(
        json!([]),
        json!([{"ErrorEquals": ["States.Timeout"], "Next": "Recovery"}]),
    );
    let invoker = Arc::new(SlowInvoker {
        delay: Duration::from_secs(10),
    });
    let started = tokio::time::Instant::now();
    let output = succeeded(
        executor_with_real_waits(&definition, invoker)
            .run("timeout", json!({}))
            .await,
    );
    assert_eq!(output, json!({"Error": "States.Timeout", "Cause": ""}));
    assert_eq!(started.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn states_task_failed_matches_task_errors_but_not_states_timeout() {
    let definition = timed_task(
        json!([{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 5}]),
        json!([{"ErrorEquals": ["States.TaskFailed"], "Next": "Recovery"}]),
    );
    // A timeout passes both the TaskFailed Retrier and the TaskFailed Catcher.
    let invoker = Arc::new(SlowInvoker {
        delay: Duration::from_secs(10),
    });
    let outcome = executor_with_real_waits(&definition, invoker)
        .run("timeout", json!({}))
        .await;
    assert_eq!(failed(outcome).0, "States.Timeout");

    // Any other task error is retried by it.
    let flaky = ScriptedInvoker::new(|_, _, earlier| match earlier {
        0 => Err(task_error("Lambda.Unknown", "first")),
        _ => Ok(json!("second")),
    });
    let outcome = executor_with_real_waits(&definition, flaky.clone())
        .run("task-failed", json!({}))
        .await;
    assert_eq!(succeeded(outcome)["Payload"], json!("second"));
    assert_eq!(flaky.calls().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_execution_past_its_top_level_timeout_seconds_fails_with_states_timeout() {
    let mut definition = task_with(json!([]), json!([]));
    definition["TimeoutSeconds"] = json!(5);
    let invoker = Arc::new(SlowInvoker {
        delay: Duration::from_secs(60),
    });
    let started = tokio::time::Instant::now();
    let outcome = executor_with_real_waits(&definition, invoker)
        .run("slow", json!({}))
        .await;
    assert_eq!(path_taken(&outcome), ["Work"]);
    assert_eq!(failed(outcome).0, "States.Timeout");
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}

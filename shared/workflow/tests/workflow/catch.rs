//! Catch, uncaught errors and Fail states.

use serde_json::{Value, json};

use crate::support::{ScriptedInvoker, failed, no_tasks, path_taken, run, succeeded, task_error};

/// The specification's Catch example.
fn spec_catch_example() -> Value {
    json!({"StartAt": "Work", "States": {
        "Work": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "work", "Payload.$": "$"},
            "Catch": [
                {"ErrorEquals": ["java.lang.Exception"], "ResultPath": "$.error-info", "Next": "RecoveryState"},
                {"ErrorEquals": ["States.ALL"], "Next": "EndState"}
            ],
            "End": true
        },
        "RecoveryState": {"Type": "Pass", "End": true},
        "EndState": {"Type": "Pass", "End": true}
    }})
}

#[tokio::test]
async fn the_first_matching_catcher_places_the_error_output_at_its_result_path() {
    let invoker = ScriptedInvoker::new(|_, _, _| Err(task_error("java.lang.Exception", "Something went wrong")));
    let outcome = run(&spec_catch_example(), invoker, json!({"job": 1})).await;
    assert_eq!(path_taken(&outcome), ["Work", "RecoveryState"]);
    assert_eq!(
        succeeded(outcome),
        json!({"job": 1, "error-info": {"Error": "java.lang.Exception", "Cause": "Something went wrong"}})
    );
}

#[tokio::test]
async fn a_catcher_without_result_path_replaces_the_input_with_the_error_output() {
    let invoker = ScriptedInvoker::new(|_, _, _| Err(task_error("Other", "why")));
    let outcome = run(&spec_catch_example(), invoker, json!({"job": 1})).await;
    assert_eq!(path_taken(&outcome), ["Work", "EndState"]);
    assert_eq!(succeeded(outcome), json!({"Error": "Other", "Cause": "why"}));
}

#[tokio::test]
async fn a_catcher_with_result_path_null_keeps_the_raw_input() {
    let mut definition = spec_catch_example();
    definition["States"]["Work"]["Catch"][1]["ResultPath"] = Value::Null;
    let invoker = ScriptedInvoker::new(|_, _, _| Err(task_error("Other", "why")));
    assert_eq!(
        succeeded(run(&definition, invoker, json!({"job": 1})).await),
        json!({"job": 1})
    );
}

#[tokio::test]
async fn retries_come_before_the_catch() {
    let mut definition = spec_catch_example();
    definition["States"]["Work"]["Retry"] = json!([{"ErrorEquals": ["java.lang.Exception"], "MaxAttempts": 2}]);
    let invoker = ScriptedInvoker::new(|_, _, _| Err(task_error("java.lang.Exception", "again")));
    let outcome = run(&definition, invoker.clone(), json!({})).await;
    assert_eq!(path_taken(&outcome), ["Work", "RecoveryState"]);
    assert_eq!(invoker.calls().len(), 3);
}

#[tokio::test]
async fn an_uncaught_error_fails_the_execution_with_its_error_and_cause() {
    let mut definition = spec_catch_example();
    definition["States"]["Work"].as_object_mut().unwrap().remove("Catch");
    for unreachable in ["RecoveryState", "EndState"] {
        definition["States"].as_object_mut().unwrap().remove(unreachable);
    }
    let invoker = ScriptedInvoker::new(|_, _, _| Err(task_error("Lambda.ServiceException", "503")));
    let outcome = run(&definition, invoker, json!({})).await;
    assert_eq!(path_taken(&outcome), ["Work"]);
    assert_eq!(
        failed(outcome),
        ("Lambda.ServiceException".to_owned(), "503".to_owned())
    );
}

#[tokio::test]
async fn a_fail_state_ends_the_execution_with_its_error_and_cause() {
    let definition = json!({"StartAt": "Stop", "States": {
        "Stop": {"Type": "Fail", "Error": "CheckFailed", "Cause": "written out"}
    }});
    assert_eq!(
        failed(run(&definition, no_tasks(), json!({})).await),
        ("CheckFailed".to_owned(), "written out".to_owned())
    );
}

#[tokio::test]
async fn a_fail_state_can_compute_its_error_and_cause() {
    let definition = json!({"StartAt": "Stop", "States": {
        "Stop": {"Type": "Fail", "ErrorPath": "$.failure.Error", "CausePath": "States.Format('cause: {}', $.failure.Cause)"}
    }});
    let input = json!({"failure": {"Error": "Upstream", "Cause": "timeout"}});
    assert_eq!(
        failed(run(&definition, no_tasks(), input).await),
        ("Upstream".to_owned(), "cause: timeout".to_owned())
    );
}

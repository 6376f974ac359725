//! Map states: ItemsPath, ItemSelector with `$$.Map.Item`, concurrency, failures, retries and the history order.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use shadowhunter_workflow::{StateEntered, TaskFailure, TaskInvoker};

use crate::support::{
    ScriptedInvoker, executor_with_real_waits, failed, no_tasks, path_taken, run, succeeded, task_error,
};

/// The Map example of the Step Functions guide: validate each shipped parcel with the courier beside it.
fn validate_all() -> Value {
    json!({"StartAt": "Validate-All", "States": {"Validate-All": {
        "Type": "Map",
        "InputPath": "$.detail",
        "ItemsPath": "$.shipped",
        "MaxConcurrency": 0,
        "ItemSelector": {"parcel.$": "$$.Map.Item.Value", "courier.$": "$.delivery-partner"},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Validate",
            "States": {"Validate": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "ship-val", "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "End": true
            }}
        },
        "ResultPath": "$.detail.shipped",
        "End": true
    }}})
}

#[tokio::test]
async fn item_selector_combines_each_item_with_the_map_input_and_result_path_places_the_results() {
    let invoker = ScriptedInvoker::new(|_, payload, _| {
        Ok(json!({"prod": payload["parcel"]["prod"], "courier": payload["courier"], "valid": true}))
    });
    let input = json!({
        "ship-date": "2016-03-14T01:59:00Z",
        "detail": {
            "delivery-partner": "UQS",
            "shipped": [
                {"prod": "R31", "dest-code": 9511, "quantity": 1344},
                {"prod": "S39", "dest-code": 9511, "quantity": 40},
                {"prod": "R40", "dest-code": 9860, "quantity": 887}
            ]
        }
    });
    let output = succeeded(run(&validate_all(), invoker.clone(), input).await);
    assert_eq!(
        invoker.calls()[1].payload,
        json!({"parcel": {"prod": "S39", "dest-code": 9511, "quantity": 40}, "courier": "UQS"})
    );
    assert_eq!(
        output,
        json!({
            "ship-date": "2016-03-14T01:59:00Z",
            "detail": {
                "delivery-partner": "UQS",
                "shipped": [
                    {"prod": "R31", "courier": "UQS", "valid": true},
                    {"prod": "S39", "courier": "UQS", "valid": true},
                    {"prod": "R40", "courier": "UQS", "valid": true}
                ]
            }
        })
    );
}

fn pass_map(item_selector: Value) -> Value {
    json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "ItemSelector": item_selector,
        "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": true}}},
        "End": true
    }}})
}

#[tokio::test]
async fn item_selector_sees_the_item_index_and_value() {
    let definition = pass_map(json!({"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "fixed": 1}));
    let output = succeeded(run(&definition, no_tasks(), json!({"items": ["a", "b"]})).await);
    assert_eq!(
        output,
        json!([{"index": 0, "value": "a", "fixed": 1}, {"index": 1, "value": "b", "fixed": 1}])
    );
}

#[tokio::test]
async fn the_legacy_iterator_and_parameters_fields_work_like_item_processor_and_item_selector() {
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items",
        "Parameters": {"n.$": "$$.Map.Item.Value"},
        "Iterator": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": true}}},
        "End": true
    }}});
    assert_eq!(
        succeeded(run(&definition, no_tasks(), json!({"items": [1, 2]})).await),
        json!([{"n": 1}, {"n": 2}])
    );
}

#[tokio::test]
async fn without_item_selector_each_iteration_gets_its_item_and_an_empty_array_gives_an_empty_result() {
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": true}}},
        "End": true
    }}});
    assert_eq!(
        succeeded(run(&definition, no_tasks(), json!([{"a": 1}, 2])).await),
        json!([{"a": 1}, 2])
    );
    assert_eq!(succeeded(run(&definition, no_tasks(), json!([])).await), json!([]));
}

#[tokio::test]
async fn items_path_that_is_not_an_array_is_states_runtime() {
    let definition = pass_map(json!({"v.$": "$$.Map.Item.Value"}));
    let (error, cause) = failed(run(&definition, no_tasks(), json!({"items": {"not": "an array"}})).await);
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("$.items"), "{cause}");
}

/// Sleeps `seconds` from the payload (1 when absent), counting how many calls are in flight at once.
#[derive(Default)]
struct ConcurrencyProbe {
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

#[async_trait]
impl TaskInvoker for ConcurrencyProbe {
    async fn invoke(&self, _function_name: &str, payload: Value) -> Result<Value, TaskFailure> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(payload["seconds"].as_u64().unwrap_or(1))).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(payload)
    }
}

fn task_map(max_concurrency: u64) -> Value {
    json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": max_concurrency,
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "work", "Payload.$": "$"},
            "OutputPath": "$.Payload",
            "End": true
        }}},
        "End": true
    }}})
}

#[tokio::test(start_paused = true)]
async fn max_concurrency_bounds_the_iterations_in_flight() {
    let items: Vec<Value> = (0..6).map(|n| json!({"n": n})).collect();
    for (max_concurrency, expected_in_flight, expected_seconds) in [(2, 2, 3), (4, 4, 2), (0, 6, 1)] {
        let probe = Arc::new(ConcurrencyProbe::default());
        let started = tokio::time::Instant::now();
        let outcome = executor_with_real_waits(&task_map(max_concurrency), probe.clone())
            .run("concurrency", json!({"items": items}))
            .await;
        assert_eq!(succeeded(outcome), json!(items));
        assert_eq!(
            probe.most_in_flight.load(Ordering::SeqCst),
            expected_in_flight,
            "MaxConcurrency {max_concurrency}"
        );
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(expected_seconds),
            "MaxConcurrency {max_concurrency}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn results_and_history_keep_item_order_whatever_finishes_first() {
    let items = json!([{"seconds": 3}, {"seconds": 1}, {"seconds": 2}]);
    let outcome = executor_with_real_waits(&task_map(0), Arc::new(ConcurrencyProbe::default()))
        .run("order", json!({"items": items}))
        .await;
    let entered = |state: &str, indices: &[usize]| StateEntered {
        state: state.to_owned(),
        map_item_indices: indices.to_vec(),
    };
    assert_eq!(
        outcome.history(),
        [
            entered("M", &[]),
            entered("Work", &[0]),
            entered("Work", &[1]),
            entered("Work", &[2])
        ]
    );
    assert_eq!(succeeded(outcome), items);
}

fn map_with_handling(retry: Value, catch: Value) -> Value {
    let catches = catch.as_array().is_some_and(|catchers| !catchers.is_empty());
    let mut definition = json!({"StartAt": "M", "States": {
        "M": {
            "Type": "Map", "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "Work", "States": {"Work": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName.$": "States.Format('work-{}', $)", "Payload.$": "$"},
                "End": true
            }}},
            "Retry": retry, "Catch": catch,
            "ResultPath": "$.results",
            "End": true
        },
        "Recovery": {"Type": "Pass", "End": true}
    }});
    if !catches {
        definition["States"].as_object_mut().unwrap().remove("Recovery");
    }
    definition
}

#[tokio::test]
async fn a_failed_iteration_fails_the_map_with_its_error_and_the_maps_catch_applies() {
    let invoker = ScriptedInvoker::new(|_, payload, _| match payload.as_i64() {
        Some(2) => Err(task_error("Bad", "item two")),
        _ => Ok(payload.clone()),
    });
    let caught = map_with_handling(
        json!([]),
        json!([{"ErrorEquals": ["Bad"], "ResultPath": "$.failure", "Next": "Recovery"}]),
    );
    let outcome = run(&caught, invoker.clone(), json!({"items": [1, 2, 3]})).await;
    assert_eq!(path_taken(&outcome).last().unwrap(), "Recovery");
    assert_eq!(
        succeeded(outcome),
        json!({"items": [1, 2, 3], "failure": {"Error": "Bad", "Cause": "item two"}})
    );

    let uncaught = map_with_handling(json!([]), json!([]));
    assert_eq!(
        failed(run(&uncaught, invoker, json!({"items": [1, 2, 3]})).await).0,
        "Bad"
    );
}

#[tokio::test]
async fn a_fail_state_in_an_iteration_fails_the_map_which_can_catch_it() {
    let definition = json!({"StartAt": "M", "States": {
        "M": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "Stop", "States": {"Stop": {"Type": "Fail", "Error": "ItemRejected", "Cause": "no"}}},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recovery"}],
            "End": true
        },
        "Recovery": {"Type": "Pass", "End": true}
    }});
    assert_eq!(
        succeeded(run(&definition, no_tasks(), json!([1])).await),
        json!({"Error": "ItemRejected", "Cause": "no"})
    );
}

#[tokio::test]
async fn states_runtime_in_an_iteration_fails_the_execution_past_the_maps_catch() {
    let definition = json!({"StartAt": "M", "States": {
        "M": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "Pick", "States": {"Pick": {"Type": "Pass", "InputPath": "$.missing", "End": true}}},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recovery"}],
            "End": true
        },
        "Recovery": {"Type": "Pass", "End": true}
    }});
    let (error, cause) = failed(run(&definition, no_tasks(), json!([{}])).await);
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("state 'Pick'"), "{cause}");
}

#[tokio::test]
async fn a_retried_map_runs_every_iteration_again_and_the_history_keeps_attempts_in_order() {
    let invoker = ScriptedInvoker::new(|function, payload, earlier| match (function, earlier) {
        // Item 1's first call fails; everything later succeeds.
        ("work-1", 0) => Err(task_error("Bad", "first attempt")),
        _ => Ok(payload.clone()),
    });
    let definition = map_with_handling(json!([{"ErrorEquals": ["Bad"], "MaxAttempts": 1}]), json!([]));
    let outcome = run(&definition, invoker.clone(), json!({"items": [0, 1]})).await;
    let entries: Vec<(String, Vec<usize>)> = outcome
        .history()
        .iter()
        .map(|entry| (entry.state.clone(), entry.map_item_indices.clone()))
        .collect();
    let entry = |state: &str, indices: &[usize]| (state.to_owned(), indices.to_vec());
    assert_eq!(
        entries,
        [
            entry("M", &[]),
            entry("Work", &[0]),
            entry("Work", &[1]),
            entry("Work", &[0]),
            entry("Work", &[1])
        ]
    );
    let results = succeeded(outcome)["results"].clone();
    assert_eq!(results[1]["Payload"], json!(1));
    assert_eq!(invoker.calls().len(), 4);
}

#[tokio::test]
async fn nested_maps_record_both_item_indices() {
    let definition = json!({"StartAt": "Outer", "States": {"Outer": {
        "Type": "Map",
        "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "Leaf", "States": {"Leaf": {"Type": "Pass", "End": true}}},
            "End": true
        }}},
        "End": true
    }}});
    let outcome = run(&definition, no_tasks(), json!([[10, 11], [12]])).await;
    let indices: Vec<Vec<usize>> = outcome
        .history()
        .iter()
        .map(|entry| entry.map_item_indices.clone())
        .collect();
    assert_eq!(indices, [vec![], vec![0], vec![0, 0], vec![0, 1], vec![1], vec![1, 0]]);
    assert_eq!(succeeded(outcome), json!([[10, 11], [12]]));
}

//! InputPath → Parameters → task → ResultSelector → ResultPath → OutputPath, with the specification's examples.

use serde_json::{Value, json};

use crate::support::{ScriptedInvoker, failed, no_tasks, run, succeeded};

fn single_pass(state: Value) -> Value {
    json!({"StartAt": "P", "States": {"P": state}})
}

#[tokio::test]
async fn pass_result_is_placed_at_result_path_in_the_raw_input() {
    // The specification's Pass state example.
    let definition = single_pass(json!({
        "Type": "Pass",
        "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355},
        "ResultPath": "$.coords",
        "End": true
    }));
    let output = succeeded(run(&definition, no_tasks(), json!({"georefOf": "Home"})).await);
    assert_eq!(
        output,
        json!({"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}})
    );
}

#[tokio::test]
async fn result_path_overwrites_a_field_that_exists() {
    // The specification's ResultPath example: raw input {"master": {"detail": [1, 2, 3]}}, result 6.
    let definition = single_pass(json!({"Type": "Pass", "Result": 6, "ResultPath": "$.master.detail", "End": true}));
    let output = succeeded(run(&definition, no_tasks(), json!({"master": {"detail": [1, 2, 3]}})).await);
    assert_eq!(output, json!({"master": {"detail": 6}}));
}

#[tokio::test]
async fn result_path_creates_the_missing_fields_on_its_way() {
    let definition =
        single_pass(json!({"Type": "Pass", "Result": 6, "ResultPath": "$.master.result.sum", "End": true}));
    let output = succeeded(run(&definition, no_tasks(), json!({"master": {"detail": [1, 2, 3]}})).await);
    assert_eq!(output, json!({"master": {"detail": [1, 2, 3], "result": {"sum": 6}}}));
}

#[tokio::test]
async fn result_path_null_discards_the_result_and_keeps_the_raw_input() {
    let definition = single_pass(json!({
        "Type": "Pass", "InputPath": "$.a", "Result": "dropped", "ResultPath": null, "End": true
    }));
    let input = json!({"a": {"b": 1}, "c": 2});
    assert_eq!(succeeded(run(&definition, no_tasks(), input.clone()).await), input);
}

#[tokio::test]
async fn result_path_that_cannot_be_applied_fails_with_result_path_match_failure() {
    let definition = single_pass(json!({"Type": "Pass", "Result": 1, "ResultPath": "$.a.b", "End": true}));
    let (error, cause) = failed(run(&definition, no_tasks(), json!({"a": "a string"})).await);
    assert_eq!(error, "States.ResultPathMatchFailure");
    assert!(cause.contains("$.a.b"), "{cause}");
}

#[tokio::test]
async fn input_path_parameters_result_selector_result_path_output_path_apply_in_that_order() {
    // The specification's adder example: InputPath picks the numbers, ResultPath puts the sum beside them.
    let definition = json!({
        "StartAt": "Add",
        "States": {"Add": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "InputPath": "$.numbers",
            "Parameters": {"FunctionName": "add", "Payload.$": "$"},
            "ResultSelector": {"total.$": "$.Payload"},
            "ResultPath": "$.sum",
            "End": true
        }}
    });
    let adder = ScriptedInvoker::new(|_, payload, _| {
        Ok(json!(
            payload["val1"].as_i64().unwrap() + payload["val2"].as_i64().unwrap()
        ))
    });
    let input = json!({"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}});
    let output = succeeded(run(&definition, adder.clone(), input).await);
    assert_eq!(adder.calls()[0].payload, json!({"val1": 3, "val2": 4}));
    assert_eq!(
        output,
        json!({"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}, "sum": {"total": 7}})
    );

    let mut with_output_path = definition.clone();
    with_output_path["States"]["Add"]["OutputPath"] = json!("$.sum.total");
    let input = json!({"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}});
    assert_eq!(succeeded(run(&with_output_path, adder, input).await), json!(7));
}

#[tokio::test]
async fn a_task_result_has_the_shape_of_the_lambda_integration() {
    let definition = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload": {"fixed": true}}, "End": true
    }}});
    let invoker = ScriptedInvoker::new(|_, _, _| Ok(json!({"answer": 42})));
    let output = succeeded(run(&definition, invoker.clone(), json!({})).await);
    assert_eq!(output["Payload"], json!({"answer": 42}));
    assert_eq!(output["StatusCode"], json!(200));
    assert_eq!(output["ExecutedVersion"], json!("$LATEST"));
    assert_eq!(invoker.calls()[0].function, "f");
    assert_eq!(invoker.calls()[0].payload, json!({"fixed": true}));
}

#[tokio::test]
async fn parameters_take_paths_the_context_object_and_intrinsic_functions() {
    // After the specification's Parameters example (with an index where it uses a slice).
    let definition = single_pass(json!({
        "Type": "Pass",
        "Parameters": {
            "flagged": true,
            "parts": {"first.$": "$.vals[0]", "last.$": "$.vals[5]"},
            "list": [{"inside.$": "$.vals[1]"}, "plain"],
            "execution.$": "$$.Execution.Name",
            "state.$": "$$.State.Name",
            "original.$": "$$.Execution.Input.flagged",
            "formattedOutput.$": "States.Format('Execution {} saw {} values', $$.Execution.Name, States.ArrayLength($.vals))"
        },
        "End": true
    }));
    let output = succeeded(
        run(
            &definition,
            no_tasks(),
            json!({"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]}),
        )
        .await,
    );
    assert_eq!(
        output,
        json!({
            "flagged": true,
            "parts": {"first": 0, "last": 50},
            "list": [{"inside": 10}, "plain"],
            "execution": "test-execution",
            "state": "P",
            "original": 7,
            "formattedOutput": "Execution test-execution saw 6 values"
        })
    );
}

#[tokio::test]
async fn a_parameters_path_that_finds_nothing_is_states_runtime_which_no_catch_handles() {
    let definition = json!({"StartAt": "T", "States": {
        "T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f", "Payload": {"x.$": "$.missing"}},
            "Retry": [{"ErrorEquals": ["States.ALL"]}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
            "End": true
        },
        "Handled": {"Type": "Succeed"}
    }});
    let invoker = ScriptedInvoker::new(|_, _, _| Ok(json!({})));
    let (error, cause) = failed(run(&definition, invoker.clone(), json!({"present": 1})).await);
    assert_eq!(error, "States.Runtime");
    assert!(
        cause.contains("state 'T'") && cause.contains("'$.missing'") && cause.contains("'x.$'"),
        "{cause}"
    );
    assert!(invoker.calls().is_empty());
}

#[tokio::test]
async fn a_result_selector_path_that_finds_nothing_is_states_runtime_and_is_not_retried() {
    let definition = json!({"StartAt": "T", "States": {
        "T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f", "Payload": {}},
            "ResultSelector": {"v.$": "$.Payload.verdict"},
            "Retry": [{"ErrorEquals": ["States.ALL"]}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
            "End": true
        },
        "Handled": {"Type": "Succeed"}
    }});
    let invoker = ScriptedInvoker::new(|_, _, _| Ok(json!({"no_verdict": true})));
    let (error, _) = failed(run(&definition, invoker.clone(), json!({})).await);
    assert_eq!(error, "States.Runtime");
    assert_eq!(invoker.calls().len(), 1);
}

#[tokio::test]
async fn input_path_and_output_path_null_give_an_empty_object() {
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "InputPath": null, "ResultPath": "$.seen", "Next": "B"},
        "B": {"Type": "Pass", "OutputPath": null, "End": true}
    }});
    let outcome = run(&definition, no_tasks(), json!({"kept": 1})).await;
    assert_eq!(succeeded(outcome), json!({}));
    let only_a = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "InputPath": null, "ResultPath": "$.seen", "End": true}
    }});
    assert_eq!(
        succeeded(run(&only_a, no_tasks(), json!({"kept": 1})).await),
        json!({"kept": 1, "seen": {}})
    );
}

#[tokio::test]
async fn an_input_path_or_output_path_that_finds_nothing_is_states_runtime() {
    let input_path = single_pass(json!({"Type": "Pass", "InputPath": "$.nowhere", "End": true}));
    assert_eq!(
        failed(run(&input_path, no_tasks(), json!({})).await).0,
        "States.Runtime"
    );
    let output_path = single_pass(json!({"Type": "Pass", "OutputPath": "$.nowhere", "End": true}));
    assert_eq!(
        failed(run(&output_path, no_tasks(), json!({})).await).0,
        "States.Runtime"
    );
}

#[tokio::test]
async fn succeed_applies_input_path_then_output_path() {
    let definition = single_pass(json!({"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}));
    assert_eq!(
        succeeded(run(&definition, no_tasks(), json!({"a": {"b": [1]}})).await),
        json!([1])
    );
}

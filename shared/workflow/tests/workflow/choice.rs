//! Choice rules, with the specification's ChoiceStateX example.

use serde_json::{Value, json};

use crate::support::{failed, no_tasks, path_taken, run, succeeded};

fn end(name: &str) -> (String, Value) {
    (name.to_owned(), json!({"Type": "Pass", "End": true}))
}

fn choice_machine(choice: Value, targets: &[&str]) -> Value {
    let mut states = serde_json::Map::new();
    states.insert("Choose".to_owned(), choice);
    states.extend(targets.iter().map(|name| end(name)));
    json!({"StartAt": "Choose", "States": states})
}

fn spec_choice_state_x() -> Value {
    choice_machine(
        json!({
            "Type": "Choice",
            "Choices": [
                {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
                {
                    "And": [
                        {"Variable": "$.value", "IsPresent": true},
                        {"Variable": "$.value", "IsNumeric": true},
                        {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                        {"Variable": "$.value", "NumericLessThan": 30}
                    ],
                    "Next": "ValueInTwenties"
                },
                {"Variable": "$.rating", "NumericGreaterThanPath": "$.auditThreshold", "Next": "StartAudit"}
            ],
            "Default": "RecordEvent"
        }),
        &["Public", "ValueInTwenties", "StartAudit", "RecordEvent"],
    )
}

async fn chosen(definition: &Value, input: Value) -> String {
    let outcome = run(definition, no_tasks(), input).await;
    let path = path_taken(&outcome);
    succeeded(outcome);
    path[1].clone()
}

#[tokio::test]
async fn the_spec_choice_example_picks_the_first_matching_rule() {
    let definition = spec_choice_state_x();
    assert_eq!(chosen(&definition, json!({"type": "Public"})).await, "Public");
    assert_eq!(
        chosen(&definition, json!({"type": "Private", "value": 25})).await,
        "ValueInTwenties"
    );
    assert_eq!(
        chosen(
            &definition,
            json!({"type": "Private", "value": 35, "rating": 60, "auditThreshold": 50})
        )
        .await,
        "StartAudit"
    );
    assert_eq!(
        chosen(
            &definition,
            json!({"type": "Private", "value": 35, "rating": 10, "auditThreshold": 50})
        )
        .await,
        "RecordEvent"
    );
}

#[tokio::test]
async fn and_stops_at_the_first_false_rule_so_is_present_guards_a_missing_variable() {
    // Without a value, IsPresent is false and the numeric rules after it are never evaluated.
    let definition = spec_choice_state_x();
    let input = json!({"type": "Private", "rating": 1, "auditThreshold": 5});
    assert_eq!(chosen(&definition, input).await, "RecordEvent");
    // A string "25" is not numeric.
    let input = json!({"type": "Private", "value": "25", "rating": 1, "auditThreshold": 5});
    assert_eq!(chosen(&definition, input).await, "RecordEvent");
}

#[tokio::test]
async fn no_matching_rule_and_no_default_fails_with_no_choice_matched() {
    let definition = choice_machine(
        json!({"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}]}),
        &["One"],
    );
    let (error, cause) = failed(run(&definition, no_tasks(), json!({"n": 2})).await);
    assert_eq!(error, "States.NoChoiceMatched");
    assert!(cause.contains("Choose"), "{cause}");
}

#[tokio::test]
async fn a_choice_variable_that_is_absent_fails_with_states_runtime() {
    let definition = choice_machine(
        json!({"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}], "Default": "Other"}),
        &["One", "Other"],
    );
    let (error, cause) = failed(run(&definition, no_tasks(), json!({})).await);
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("$.n"), "{cause}");
}

#[tokio::test]
async fn string_boolean_and_type_tests_with_their_path_forms() {
    let rule = |rule: Value| {
        let mut rule = rule;
        rule["Next"] = json!("Yes");
        choice_machine(
            json!({"Type": "Choice", "Choices": [rule], "Default": "No"}),
            &["Yes", "No"],
        )
    };
    let input = json!({
        "name": "acme", "other": "acme", "later": "zeta", "flag": true, "flag2": true,
        "nothing": null, "n": 3, "file": "log-2024.txt"
    });
    let cases = [
        (json!({"Variable": "$.name", "StringEqualsPath": "$.other"}), "Yes"),
        (json!({"Variable": "$.name", "StringLessThan": "b"}), "Yes"),
        (
            json!({"Variable": "$.name", "StringGreaterThanEqualsPath": "$.later"}),
            "No",
        ),
        (json!({"Variable": "$.name", "StringEquals": "ACME"}), "No"),
        (json!({"Variable": "$.n", "StringEquals": "3"}), "No"),
        (json!({"Variable": "$.flag", "BooleanEquals": true}), "Yes"),
        (json!({"Variable": "$.flag", "BooleanEqualsPath": "$.flag2"}), "Yes"),
        (json!({"Variable": "$.nothing", "IsNull": true}), "Yes"),
        (json!({"Variable": "$.name", "IsString": true}), "Yes"),
        (json!({"Variable": "$.flag", "IsBoolean": true}), "Yes"),
        (json!({"Variable": "$.missing", "IsPresent": false}), "Yes"),
        (json!({"Variable": "$.file", "StringMatches": "log-*.txt"}), "Yes"),
        (json!({"Variable": "$.n", "NumericLessThanEquals": 3}), "Yes"),
        (json!({"Variable": "$.n", "NumericGreaterThan": 3.5}), "No"),
        (
            json!({"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.n", "NumericEquals": 3}]}),
            "Yes",
        ),
        (
            json!({"Variable": "$$.Execution.Name", "StringEquals": "test-execution"}),
            "Yes",
        ),
    ];
    for (test, expected) in cases {
        assert_eq!(chosen(&rule(test.clone()), input.clone()).await, expected, "{test}");
    }
}

#[tokio::test]
async fn choice_output_is_its_input_path_then_output_path() {
    let definition = choice_machine(
        json!({
            "Type": "Choice", "InputPath": "$.inner", "OutputPath": "$.keep",
            "Choices": [{"Variable": "$.go", "BooleanEquals": true, "Next": "Next"}]
        }),
        &["Next"],
    );
    let output = succeeded(
        run(
            &definition,
            no_tasks(),
            json!({"inner": {"go": true, "keep": [1]}, "outer": 0}),
        )
        .await,
    );
    assert_eq!(output, json!([1]));
}

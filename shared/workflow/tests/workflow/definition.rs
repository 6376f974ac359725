//! What `Definition::parse` refuses, and what it tells about a definition.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use shadowhunter_workflow::{Definition, DefinitionError, StateType};

fn parse(definition: &Value) -> Result<Definition, DefinitionError> {
    Definition::parse(&definition.to_string(), &BTreeMap::new())
}

fn refusal(definition: Value) -> String {
    match parse(&definition) {
        Ok(_) => panic!("expected a refusal of {definition}"),
        Err(err) => err.to_string(),
    }
}

fn task(extra: Value) -> Value {
    let mut state = json!({
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload": {}}
    });
    state
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    state
}

#[test]
fn a_next_target_that_does_not_exist_is_refused_by_name() {
    let message = refusal(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}));
    assert!(
        message.contains("`Nowhere`") && message.contains("/States/A/Next"),
        "{message}"
    );
}

#[test]
fn start_at_default_and_catch_targets_must_exist() {
    assert!(refusal(json!({"StartAt": "B", "States": {"A": {"Type": "Succeed"}}})).contains("`B`"));
    let choice = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "End"}], "Default": "Gone"},
        "End": {"Type": "Succeed"}
    }});
    assert!(refusal(choice).contains("`Gone`"));
    let catch = json!({"StartAt": "T", "States": {
        "T": task(json!({"End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Missing"}]}))
    }});
    assert!(refusal(catch).contains("`Missing`"));
}

#[test]
fn a_state_inside_a_map_cannot_go_to_a_top_level_state() {
    let message = refusal(json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Next": "Outer"}}}, "Next": "Outer"},
        "Outer": {"Type": "Succeed"}
    }}));
    assert!(
        message.contains("/States/M/ItemProcessor/States/Inner/Next") && message.contains("`Outer`"),
        "{message}"
    );
}

#[test]
fn exactly_one_of_next_and_end_is_required() {
    assert!(refusal(json!({"StartAt": "A", "States": {"A": {"Type": "Pass"}}})).contains("required unless End"));
    let both =
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B", "End": true}, "B": {"Type": "Succeed"}}});
    assert!(refusal(both).contains("End"));
    let choice_with_next = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "S"}], "Next": "S"},
        "S": {"Type": "Succeed"}
    }});
    assert!(refusal(choice_with_next).contains("neither Next nor End"));
}

#[test]
fn unknown_state_types_resources_and_fields_are_refused_rather_than_ignored() {
    let wait = refusal(json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}));
    assert!(wait.contains("state type `Wait`"), "{wait}");
    let heartbeat =
        refusal(json!({"StartAt": "T", "States": {"T": task(json!({"End": true, "HeartbeatSeconds": 5}))}}));
    assert!(
        heartbeat.contains("`HeartbeatSeconds`") && heartbeat.contains("not supported"),
        "{heartbeat}"
    );
    let resource = refusal(
        json!({"StartAt": "T", "States": {"T": task(json!({"End": true, "Resource": "arn:aws:lambda:eu-west-1:1:function:f"}))}}),
    );
    assert!(resource.contains("Resource"), "{resource}");
    let qualifier = refusal(
        json!({"StartAt": "T", "States": {"T": task(json!({"End": true, "Parameters": {"FunctionName": "f", "Payload": {}, "Qualifier": "1"}}))}}),
    );
    assert!(qualifier.contains("`Qualifier`"), "{qualifier}");
    let no_payload = refusal(
        json!({"StartAt": "T", "States": {"T": task(json!({"End": true, "Parameters": {"FunctionName": "f"}}))}}),
    );
    assert!(no_payload.contains("Payload"), "{no_payload}");
    let retrier_field = refusal(
        json!({"StartAt": "T", "States": {"T": task(json!({"End": true, "Retry": [{"ErrorEquals": ["X"], "Unknown": 1}]}))}}),
    );
    assert!(
        retrier_field.contains("/States/T/Retry/0") && retrier_field.contains("`Unknown`"),
        "{retrier_field}"
    );
    let timestamp = refusal(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.t", "TimestampEquals": "2020-01-01T00:00:00Z", "Next": "S"}]},
        "S": {"Type": "Succeed"}
    }}));
    assert!(timestamp.contains("`TimestampEquals`"), "{timestamp}");
    let distributed = refusal(
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}
        }}}}),
    );
    assert!(distributed.contains("INLINE"), "{distributed}");
    let jsonata =
        refusal(json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}));
    assert!(jsonata.contains("JSONPath"), "{jsonata}");
}

#[test]
fn unsupported_paths_and_context_fields_are_refused() {
    let wildcard =
        refusal(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$.items[*]", "End": true}}}));
    assert!(wildcard.contains("$.items[*]"), "{wildcard}");
    let task_token = refusal(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"t.$": "$$.Task.Token"}, "End": true}}}),
    );
    assert!(task_token.contains("$$.Task.Token"), "{task_token}");
    let map_item_outside_map = refusal(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"v.$": "$$.Map.Item.Value"}, "End": true}}}),
    );
    assert!(map_item_outside_map.contains("ItemSelector"), "{map_item_outside_map}");
    let result_path_context =
        refusal(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "ResultPath": "$$.State", "End": true}}}));
    assert!(result_path_context.contains("context object"), "{result_path_context}");
    let bad_format = refusal(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"s.$": "States.Format('{} {}', $.a)"}, "End": true}}}),
    );
    assert!(bad_format.contains("placeholders"), "{bad_format}");
}

#[test]
fn states_all_must_stand_alone_in_the_last_retrier_or_catcher() {
    let not_alone = refusal(
        json!({"StartAt": "T", "States": {"T": task(json!({"End": true, "Retry": [{"ErrorEquals": ["States.ALL", "X"]}]}))}}),
    );
    assert!(not_alone.contains("alone"), "{not_alone}");
    let not_last = refusal(json!({"StartAt": "T", "States": {
        "T": task(json!({"End": true, "Catch": [
            {"ErrorEquals": ["States.ALL"], "Next": "S"}, {"ErrorEquals": ["X"], "Next": "S"}
        ]})),
        "S": {"Type": "Succeed"}
    }}));
    assert!(not_last.contains("last"), "{not_last}");
}

#[test]
fn duplicate_state_names_and_unreachable_states_are_refused() {
    let text = r#"{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "A": {"Type": "Fail"}}}"#;
    let duplicate = Definition::parse(text, &BTreeMap::new()).unwrap_err().to_string();
    assert!(duplicate.contains("`A` appears twice"), "{duplicate}");
    let unreachable =
        refusal(json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "Orphan": {"Type": "Succeed"}}}));
    assert!(unreachable.contains("`Orphan`"), "{unreachable}");
}

#[test]
fn substitutions_fill_placeholders_and_a_missing_one_is_named() {
    let text = r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "${Fn}", "Payload": {}}, "End": true}}}"#;
    assert_eq!(
        Definition::placeholders(text).unwrap().into_iter().collect::<Vec<_>>(),
        ["Fn"]
    );
    let missing = Definition::parse(text, &BTreeMap::new()).unwrap_err();
    assert!(
        matches!(&missing, DefinitionError::UnresolvedPlaceholder { name } if name == "Fn"),
        "{missing}"
    );
    let substitutions = BTreeMap::from([("Fn".to_owned(), "my-function".to_owned())]);
    let definition = Definition::parse(text, &substitutions).unwrap();
    assert_eq!(
        definition.states()[0].parameters.unwrap()["FunctionName"],
        json!("my-function")
    );
}

#[test]
fn states_lists_every_state_with_its_transitions_and_error_names() {
    let definition = parse(&json!({"Comment": "c", "StartAt": "M", "States": {
        "M": {
            "Type": "Map", "ItemSelector": {"v.$": "$$.Map.Item.Value"},
            "ItemProcessor": {"StartAt": "T", "States": {
                "T": task(json!({"Retry": [{"ErrorEquals": ["A", "B"]}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}], "Next": "C"})),
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "F"}], "Default": "S"},
                "F": {"Type": "Fail", "Error": "E"},
                "S": {"Type": "Succeed"}
            }},
            "End": true
        }
    }}))
    .unwrap();
    assert_eq!(definition.comment(), Some("c"));
    assert_eq!(definition.start_at(), "M");
    let states = definition.states();
    let names: Vec<&str> = states.iter().map(|state| state.name).collect();
    // Each scope's states in name order (serde_json keeps object keys sorted).
    assert_eq!(names, ["M", "C", "F", "S", "T"]);
    assert_eq!(states[0].state_type, StateType::Map);
    assert!(states[0].end);
    assert_eq!(states[0].item_selector, Some(&json!({"v.$": "$$.Map.Item.Value"})));
    let t = &states[4];
    assert_eq!((t.state_type, t.enclosing_map), (StateType::Task, Some("M")));
    assert_eq!(t.resource, Some("arn:aws:states:::lambda:invoke"));
    assert_eq!(t.transitions, ["C", "F"]);
    assert_eq!(t.retry_error_names, ["A", "B"]);
    assert_eq!(t.catch_error_names, ["States.ALL"]);
    assert_eq!(t.parameters, Some(&json!({"FunctionName": "f", "Payload": {}})));
    assert_eq!(states[1].transitions, ["F", "S"]);
    assert_eq!(states[2].state_type.to_string(), "Fail");
}

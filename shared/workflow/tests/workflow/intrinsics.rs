//! Intrinsic functions as a definition writes them (inside JSON strings, so a backslash is written twice).

use serde_json::json;

use crate::support::{no_tasks, run, succeeded};

#[tokio::test]
async fn intrinsic_functions_in_a_pass_state() {
    let definition = json!({"StartAt": "P", "States": {"P": {
        "Type": "Pass",
        "Parameters": {
            "greeting.$": "States.Format('Hello, my name is {}.', $.name)",
            "escaped.$": "States.Format('It\\'s \\{literal\\} \\\\ and {}', $.name)",
            "parsed.$": "States.StringToJson($.someString)",
            "serialized.$": "States.JsonToString($.someJson)",
            "array.$": "States.Array('Foo', 2020, $.someJson, null)",
            "length.$": "States.ArrayLength($.list)"
        },
        "End": true
    }}});
    let input = json!({
        "name": "Arnav",
        "someString": "{\"number\": 20}",
        "someJson": {"name": "Arnav", "list": [1]},
        "list": [1, 2, 3]
    });
    let output = succeeded(run(&definition, no_tasks(), input).await);
    assert_eq!(
        output,
        json!({
            "greeting": "Hello, my name is Arnav.",
            "escaped": "It's {literal} \\ and Arnav",
            "parsed": {"number": 20},
            "serialized": "{\"list\":[1],\"name\":\"Arnav\"}",
            "array": ["Foo", 2020, {"name": "Arnav", "list": [1]}, null],
            "length": 3
        })
    );
}

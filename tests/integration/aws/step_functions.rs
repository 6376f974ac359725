//! `StepFunctionsWorkflow` against moto's Step Functions: one execution per check, named after it.

use aws_sdk_sfn::types::StateMachineType;
use shadowhunter_aws::StepFunctionsWorkflow;
use shadowhunter_core::Check;
use shadowhunter_core::ports::{DispatchError, ExecutionInput, Workflow};

use super::fixtures::request;
use super::moto;

const PASS: &str = r#"{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}"#;

#[tokio::test]
async fn starting_the_same_check_twice_starts_one_execution_named_after_it() {
    let client = aws_sdk_sfn::Client::new(&moto::sdk().await);
    let created = client
        .create_state_machine()
        .name(moto::unique_name("check"))
        .definition(PASS)
        .role_arn("arn:aws:iam::123456789012:role/test")
        .r#type(StateMachineType::Standard)
        .send()
        .await
        .expect("the state machine is created on moto");
    let arn = created.state_machine_arn();
    let workflow = StepFunctionsWorkflow::new(client.clone(), arn);
    let check = Check::new(request("Acme Trading Ltd", None), chrono::Utc::now());
    let input = ExecutionInput::for_check(&check);

    workflow.start(&input).await.unwrap();
    workflow.start(&input).await.expect("a second start counts as started");

    let listed = client.list_executions().state_machine_arn(arn).send().await.unwrap();
    let names: Vec<&str> = listed.executions().iter().map(|execution| execution.name()).collect();
    assert_eq!(names, vec![check.id.as_str()]);

    let described = client
        .describe_execution()
        .execution_arn(listed.executions()[0].execution_arn())
        .send()
        .await
        .unwrap();
    let started_with: ExecutionInput = serde_json::from_str(described.input().unwrap()).unwrap();
    assert_eq!(started_with, input);
}

#[tokio::test]
async fn starting_on_a_missing_state_machine_is_a_fatal_dispatch_error() {
    let client = aws_sdk_sfn::Client::new(&moto::sdk().await);
    let arn = format!(
        "arn:aws:states:us-east-1:123456789012:stateMachine:{}",
        moto::unique_name("none")
    );
    let check = Check::new(request("Acme Trading Ltd", None), chrono::Utc::now());
    let err = StepFunctionsWorkflow::new(client, arn)
        .start(&ExecutionInput::for_check(&check))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DispatchError::Fatal(message) if message.contains("StateMachineDoesNotExist")),
        "{err:?}"
    );
}

//! The serverless path against moto with the real SDK clients: the `api` handler stores a check in DynamoDB and
//! queues it on SQS; the `ingest` handler starts its Step Functions execution; the execution then runs from the
//! same definition in the local executor over the DynamoDB store, and its report is the one the SQLite path
//! writes. The `events/` files drive the handlers as `cargo lambda invoke` does.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_http::Body;
use serde_json::{Value, json};
use shadowhunter_aws::{DynamoStore, SqsCheckQueue, StepFunctionsWorkflow};
use shadowhunter_core::check::{CheckId, CheckStatus};
use shadowhunter_core::ports::{CheckStore, Clock};
use shadowhunter_core::submission::SubmissionLimits;
use shadowhunter_functions::api::{self, ApiDeps};
use shadowhunter_functions::ingest::{self, IngestDeps};
use shadowhunter_local::execution_store::PriorRun;
use shadowhunter_local::sandboxed::{SandboxedWorlds, load_scenarios};
use shadowhunter_local::store::SqliteStore;
use shadowhunter_local::workflow::{LocalFunctions, LocalStateMachine, run_check};

use crate::aws::moto;
use crate::support::{bundled_scenarios, scenario_clock};

fn event(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|error| panic!("events/{name}: {error}"))
}

/// A table, a queue and a (non-executing) state machine of this test's own on moto.
struct Deployment {
    store: Arc<DynamoStore>,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    workflow: Arc<StepFunctionsWorkflow>,
    sfn: aws_sdk_sfn::Client,
}

impl Deployment {
    async fn create() -> Self {
        let sdk = moto::sdk().await;
        let (dynamodb, table) = moto::fresh_table("checks").await;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let queue_url = sqs
            .create_queue()
            .queue_name(moto::unique_name("checks"))
            .send()
            .await
            .expect("queue")
            .queue_url()
            .expect("a queue url")
            .to_string();
        let sfn = aws_sdk_sfn::Client::new(&sdk);
        let machine = sfn
            .create_state_machine()
            .name(moto::unique_name("check"))
            .definition(shadowhunter_local::workflow::DEFINITION_JSON)
            .role_arn("arn:aws:iam::123456789012:role/shadowhunter-states")
            .r#type(aws_sdk_sfn::types::StateMachineType::Express)
            .send()
            .await
            .expect("state machine");
        Self {
            store: Arc::new(DynamoStore::new(dynamodb, table).with_clock(scenario_clock())),
            workflow: Arc::new(StepFunctionsWorkflow::new(sfn.clone(), machine.state_machine_arn())),
            queue_url,
            sqs,
            sfn,
        }
    }

    fn api(&self) -> ApiDeps {
        ApiDeps {
            store: self.store.clone(),
            queue: Arc::new(SqsCheckQueue::new(self.sqs.clone(), self.queue_url.clone())),
            clock: scenario_clock(),
            limits: SubmissionLimits::default(),
        }
    }

    fn ingest(&self) -> IngestDeps {
        IngestDeps {
            store: self.store.clone(),
            workflow: self.workflow.clone(),
            clock: scenario_clock(),
            max_checks_per_message: 100,
        }
    }

    /// Every message on the queue, as the SQS event Lambda would receive.
    async fn drain_as_event(&self) -> SqsEvent {
        let mut records = Vec::new();
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive");
            if received.messages().is_empty() {
                break;
            }
            for message in received.messages() {
                records.push(json!({
                    "messageId": message.message_id(),
                    "receiptHandle": message.receipt_handle(),
                    "body": message.body(),
                    "md5OfBody": message.md5_of_body(),
                    "attributes": {},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:checks",
                    "awsRegion": "us-east-1",
                }));
            }
        }
        serde_json::from_value(json!({ "Records": records })).expect("an SQS event")
    }

    async fn execution_names(&self) -> Vec<String> {
        self.sfn
            .list_executions()
            .state_machine_arn(self.workflow.state_machine_arn())
            .send()
            .await
            .expect("list executions")
            .executions()
            .iter()
            .map(|execution| execution.name().to_string())
            .collect()
    }
}

fn response_json(response: &lambda_http::Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).expect("a JSON answer")
}

/// The report without the timings and fetch times, which differ from run to run.
fn without_timings(mut value: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(fields) => {
                fields.remove("elapsed_ms");
                fields.remove("fetched_at");
                fields.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

#[tokio::test]
async fn a_check_posted_to_the_api_runs_through_sqs_ingest_and_the_state_machine_to_the_sqlite_report() {
    let deployment = Deployment::create().await;
    let request = lambda_http::request::from_str(&event("api-post-check.json")).expect("an API Gateway event");
    let response = api::handle(request, &deployment.api()).await;
    assert_eq!(response.status(), 202, "{:?}", response.body());
    let accepted = response_json(&response);
    let id = CheckId::parse(accepted["id"].as_str().unwrap()).expect("a check id");
    assert_eq!(accepted["status"], "queued");

    let sqs_event = deployment.drain_as_event().await;
    assert_eq!(sqs_event.records.len(), 1);
    let answer = ingest::handle(sqs_event, &deployment.ingest()).await;
    assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
    assert_eq!(deployment.execution_names().await, vec![id.to_string()]);
    let record = deployment.store.get_check(&id).await.unwrap().expect("stored");
    assert_eq!(record.status, CheckStatus::Running);

    let (scenarios, _) = load_scenarios(&bundled_scenarios()).expect("bundled scenarios");
    let worlds = Arc::new(
        SandboxedWorlds::start(&scenarios, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("sandbox"),
    );
    let clock: Arc<dyn Clock> = scenario_clock();
    let providers_source = Arc::clone(&worlds);
    let machine = LocalStateMachine::new(LocalFunctions {
        store: deployment.store.clone(),
        clock: Arc::clone(&clock),
        llm: None,
        providers: Arc::new(move |check: &shadowhunter_core::Check| {
            providers_source.providers_for(&check.request.subject)
        }),
    });
    let check = record.check;
    // The ingest claimed the check (`running`), as a redelivered check would be: the steps read through to DynamoDB.
    let dynamo_report = machine
        .run(&check, PriorRun::Possible)
        .await
        .expect("the execution succeeds on DynamoDB");

    let sqlite: Arc<dyn CheckStore> = Arc::new(SqliteStore::in_memory().unwrap());
    sqlite.insert_check(&check).await.unwrap();
    let providers = worlds.providers_for(&check.request.subject);
    let sqlite_report = run_check(&check, &providers, sqlite, clock, None)
        .await
        .expect("the SQLite path");
    assert_eq!(
        without_timings(serde_json::to_value(&dynamo_report).unwrap()),
        without_timings(serde_json::to_value(&sqlite_report).unwrap())
    );
    assert!(
        dynamo_report
            .channels
            .values()
            .all(|verdict| verdict.verdict != shadowhunter_core::Verdict::Unavailable),
        "{:?}",
        dynamo_report.channels
    );

    let get = lambda_http::request::from_str(
        &event("api-get-check.json").replace("chk_3f9c2a7e41b84d0c9e6a15f2b7d08c34", id.as_str()),
    )
    .unwrap();
    let shown = response_json(&api::handle(get, &deployment.api()).await);
    assert_eq!(shown["status"], "done");
    assert_eq!(shown["report"]["risk"], json!(dynamo_report.risk));
}

#[tokio::test]
async fn a_bad_message_fails_alone_and_a_submission_sent_straight_to_the_queue_is_stored_once() {
    let deployment = Deployment::create().await;
    let mut sqs_event: SqsEvent = serde_json::from_str(&event("ingest-sqs-batch.json")).expect("the SQS event file");
    let poison: aws_lambda_events::event::sqs::SqsMessage = serde_json::from_value(json!({
        "messageId": "poison-1", "body": "{\"subject\": {\"kind\": \"company\"}}", "eventSource": "aws:sqs",
    }))
    .unwrap();
    sqs_event.records.push(poison);
    let answer = ingest::handle(sqs_event.clone(), &deployment.ingest()).await;
    let failed: Vec<&str> = answer
        .batch_item_failures
        .iter()
        .map(|failure| failure.item_identifier.as_str())
        .collect();
    // The file's first two messages name checks the api stored in another deployment: unknown here, so they
    // fail (and are redelivered); the raw submission succeeds; the poison message fails alone.
    let ids: Vec<String> = sqs_event
        .records
        .iter()
        .map(|record| record.message_id.clone().unwrap())
        .collect();
    assert_eq!(failed, vec![ids[0].as_str(), ids[1].as_str(), "poison-1"]);
    let started = deployment.execution_names().await;
    assert_eq!(started.len(), 1, "{started:?}");

    // Redelivered, the submission names the same check: nothing new is stored or started twice.
    let again = ingest::handle(sqs_event, &deployment.ingest()).await;
    assert_eq!(again.batch_item_failures.len(), 3);
    assert_eq!(
        deployment.execution_names().await,
        started,
        "no second execution for the redelivery"
    );
    let check_id = CheckId::parse(&started[0]).unwrap();
    assert_eq!(
        deployment.store.get_check(&check_id).await.unwrap().unwrap().status,
        CheckStatus::Running
    );
}

#[tokio::test]
async fn the_api_answers_bad_input_and_unknown_checks_with_error_bodies() {
    let deployment = Deployment::create().await;
    let unknown = lambda_http::request::from_str(&event("api-get-check.json")).unwrap();
    let response = api::handle(unknown, &deployment.api()).await;
    assert_eq!(response.status(), 404);
    assert_eq!(response_json(&response)["error"]["code"], "not_found");

    let mut post: Value = serde_json::from_str(&event("api-post-check.json")).unwrap();
    post["body"] = json!(r#"{"subject": {"kind": "company", "name": "Acme", "country": "Narnia"}}"#);
    let response = api::handle(
        lambda_http::request::from_str(&post.to_string()).unwrap(),
        &deployment.api(),
    )
    .await;
    assert_eq!(response.status(), 400);
    assert_eq!(response_json(&response)["error"]["field"], "subject.country");

    post["headers"]["content-type"] = json!("text/plain");
    let response = api::handle(
        lambda_http::request::from_str(&post.to_string()).unwrap(),
        &deployment.api(),
    )
    .await;
    assert_eq!(response.status(), 415);

    let batch = lambda_http::request::from_str(&event("api-post-batch.json")).unwrap();
    let response = api::handle(batch, &deployment.api()).await;
    assert_eq!(response.status(), 202);
    assert_eq!(response_json(&response)["checks"].as_array().map(Vec::len), Some(3));
    assert_eq!(deployment.drain_as_event().await.records.len(), 3);
}

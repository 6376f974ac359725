//! `SqsCheckQueue` against moto's SQS: every check becomes one message a consumer can parse back.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use shadowhunter_aws::SqsCheckQueue;
use shadowhunter_core::Check;
use shadowhunter_core::ports::{CheckQueue, DispatchError, ExecutionInput};

use super::fixtures::request;
use super::moto;

async fn queue() -> (aws_sdk_sqs::Client, String) {
    let client = aws_sdk_sqs::Client::new(&moto::sdk().await);
    let created = client
        .create_queue()
        .queue_name(moto::unique_name("checks"))
        .send()
        .await
        .expect("the queue is created on moto");
    let url = created.queue_url().expect("a queue url").to_string();
    (client, url)
}

#[tokio::test]
async fn enqueuing_25_checks_sends_each_as_one_message_with_its_execution_input() {
    let (client, url) = queue().await;
    let mut checks: Vec<Check> = (0..25)
        .map(|n| Check::new(request(&format!("Acme {n} Ltd"), None), chrono::Utc::now()))
        .collect();
    // One check asks for two channels only: the body carries what the execution will search.
    checks[7].request.channels = Some(vec![
        shadowhunter_core::Channel::Search,
        shadowhunter_core::Channel::Customs,
    ]);

    SqsCheckQueue::new(client.clone(), &url).enqueue(&checks).await.unwrap();

    let mut received: BTreeMap<String, ExecutionInput> = BTreeMap::new();
    let mut messages = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while messages < checks.len() && Instant::now() < deadline {
        let batch = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for message in batch.messages() {
            messages += 1;
            let input: ExecutionInput = serde_json::from_str(message.body().unwrap()).expect("the body parses");
            received.insert(input.check_id.to_string(), input);
        }
    }
    assert_eq!(messages, checks.len(), "one message per check, none twice");
    let expected: BTreeMap<String, ExecutionInput> = checks
        .iter()
        .map(|check| (check.id.to_string(), ExecutionInput::for_check(check)))
        .collect();
    assert_eq!(received, expected);
    assert_eq!(received[checks[7].id.as_str()].channels.len(), 2);
}

#[tokio::test]
async fn enqueuing_nothing_sends_nothing() {
    let client = aws_sdk_sqs::Client::new(&moto::sdk().await);
    // No queue exists at this URL: a call would fail.
    let queue = SqsCheckQueue::new(
        client,
        format!("{}/123456789012/{}", moto::endpoint(), moto::unique_name("none")),
    );
    queue.enqueue(&[]).await.expect("no call, no failure");
}

#[tokio::test]
async fn enqueuing_to_a_missing_queue_is_a_fatal_dispatch_error_naming_the_checks() {
    let client = aws_sdk_sqs::Client::new(&moto::sdk().await);
    let queue = SqsCheckQueue::new(
        client,
        format!("{}/123456789012/{}", moto::endpoint(), moto::unique_name("none")),
    );
    let check = Check::new(request("Acme Ltd", None), chrono::Utc::now());
    let err = queue.enqueue(std::slice::from_ref(&check)).await.unwrap_err();
    let DispatchError::Fatal(message) = err else {
        panic!("a missing queue is not worth retrying: {err:?}");
    };
    assert!(message.starts_with("1 of 1 checks were not enqueued"), "{message}");
    assert!(message.contains(check.id.as_str()), "{message}");
}

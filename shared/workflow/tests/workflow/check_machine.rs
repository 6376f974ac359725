//! `statemachine/check.asl.json`, the executor's main customer, run with scripted collectors, comparators and
//! summary under the local function names (`collector:<channel>`, `comparator:<channel>`, `summary`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use shadowhunter_workflow::{Definition, ExecutionOutcome, Executor, ExecutorOptions, TaskFailure, TaskInvoker};

use crate::support::{ScriptedInvoker, failed, path_taken, succeeded, task_error};

const DEFINITION_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../statemachine/check.asl.json");
const CHANNELS: [&str; 6] = ["search", "customs", "linkedin", "facebook", "twitter", "website"];

fn definition_text() -> String {
    std::fs::read_to_string(DEFINITION_PATH).expect("statemachine/check.asl.json is readable")
}

fn check_definition() -> Arc<Definition> {
    let substitutions = BTreeMap::from([
        ("CollectorFunctionPrefix".to_owned(), "collector:".to_owned()),
        ("ComparatorFunctionPrefix".to_owned(), "comparator:".to_owned()),
        ("SummaryFunctionArn".to_owned(), "summary".to_owned()),
    ]);
    Arc::new(Definition::parse(&definition_text(), &substitutions).expect("check.asl.json parses"))
}

async fn run_check(invoker: Arc<dyn TaskInvoker>) -> ExecutionOutcome {
    let executor = Executor::new(check_definition(), invoker, ExecutorOptions { retry_delay_scale: 0.0 });
    executor
        .run("chk-1", json!({"check_id": "chk-1", "channels": CHANNELS}))
        .await
}

/// What the real functions answer when all goes well (shapes from shadowhunter-core's steps).
fn healthy_answer(function: &str, payload: &Value) -> Result<Value, TaskFailure> {
    let check_id = payload["check_id"].clone();
    if let Some(channel) = function.strip_prefix("collector:") {
        return Ok(json!({"check_id": check_id, "channel": channel, "findings": 2, "already_judged": false}));
    }
    if let Some(channel) = function.strip_prefix("comparator:") {
        return Ok(json!({"check_id": check_id, "channel": channel, "verdict": "match"}));
    }
    assert_eq!(function, "summary");
    if payload.get("failure").is_some() {
        return Ok(json!({"check_id": check_id, "status": "failed", "flags": []}));
    }
    Ok(json!({"check_id": check_id, "status": "done", "risk": "low", "flags": ["thin_evidence"]}))
}

fn judged(channel: &str) -> Value {
    json!({"channel": channel, "status": "judged"})
}

fn summary_outcomes(invoker: &ScriptedInvoker) -> Value {
    invoker.calls_to("summary")[0].payload["channel_outcomes"].clone()
}

#[tokio::test]
async fn every_channel_is_collected_compared_and_judged_then_summarized() {
    let invoker = ScriptedInvoker::new(|function, payload, _| healthy_answer(function, payload));
    let outcome = run_check(invoker.clone()).await;

    let mut expected_path = vec!["CheckChannels".to_owned()];
    for _ in CHANNELS {
        expected_path.extend(["Collect", "AlreadyJudged", "Compare", "ChannelJudged"].map(str::to_owned));
    }
    expected_path.push("Summarize".to_owned());
    assert_eq!(path_taken(&outcome), expected_path);
    let iteration_indices: Vec<usize> = outcome.history()[1..25]
        .iter()
        .map(|entry| entry.map_item_indices[0])
        .collect();
    assert_eq!(
        iteration_indices,
        (0..6).flat_map(|index| [index; 4]).collect::<Vec<_>>()
    );

    assert_eq!(
        succeeded(outcome),
        json!({"check_id": "chk-1", "risk": "low", "flags": ["thin_evidence"]})
    );
    assert_eq!(
        invoker.calls_to("collector:customs")[0].payload,
        json!({"check_id": "chk-1", "channel": "customs"})
    );
    assert_eq!(
        invoker.calls_to("comparator:twitter")[0].payload,
        json!({"check_id": "chk-1", "channel": "twitter"})
    );
    assert_eq!(summary_outcomes(&invoker), json!(CHANNELS.map(judged)));
    assert_eq!(invoker.calls().len(), 6 + 6 + 1);
}

#[tokio::test]
async fn a_collector_failing_for_good_makes_its_channel_unavailable_and_the_others_are_judged() {
    let cause = r#"{"errorMessage":"the task input is not valid: bad","errorType":"InvalidTaskInput"}"#;
    let invoker = ScriptedInvoker::new(move |function, payload, _| match function {
        "collector:customs" => Err(task_error("InvalidTaskInput", cause)),
        _ => healthy_answer(function, payload),
    });
    let outcome = run_check(invoker.clone()).await;
    assert_eq!(succeeded(outcome)["risk"], json!("low"));
    let mut expected = CHANNELS.map(judged);
    expected[1] = json!({"channel": "customs", "status": "unavailable", "error": "InvalidTaskInput", "cause": cause});
    assert_eq!(summary_outcomes(&invoker), json!(expected));
    assert_eq!(
        invoker.calls_to("collector:customs").len(),
        1,
        "InvalidTaskInput is not retried"
    );
    assert!(invoker.calls_to("comparator:customs").is_empty());
}

#[tokio::test]
async fn a_throttled_collector_is_retried_and_its_channel_judged() {
    let invoker = ScriptedInvoker::new(|function, payload, earlier| match (function, earlier) {
        ("collector:linkedin", 0) => Err(task_error("Lambda.TooManyRequestsException", "Rate Exceeded.")),
        _ => healthy_answer(function, payload),
    });
    succeeded(run_check(invoker.clone()).await);
    assert_eq!(invoker.calls_to("collector:linkedin").len(), 2);
    assert_eq!(summary_outcomes(&invoker), json!(CHANNELS.map(judged)));
}

#[tokio::test]
async fn a_comparator_meeting_an_unavailable_store_is_retried_up_to_three_times() {
    let recovering = ScriptedInvoker::new(|function, payload, earlier| match (function, earlier) {
        ("comparator:website", 0 | 1) => Err(task_error("StoreUnavailable", "dynamodb throttled")),
        _ => healthy_answer(function, payload),
    });
    succeeded(run_check(recovering.clone()).await);
    assert_eq!(recovering.calls_to("comparator:website").len(), 3);
    assert_eq!(summary_outcomes(&recovering)[5], judged("website"));

    let never_recovering = ScriptedInvoker::new(|function, payload, _| match function {
        "comparator:website" => Err(task_error("StoreUnavailable", "dynamodb down")),
        _ => healthy_answer(function, payload),
    });
    succeeded(run_check(never_recovering.clone()).await);
    assert_eq!(never_recovering.calls_to("comparator:website").len(), 4);
    assert_eq!(
        summary_outcomes(&never_recovering)[5],
        json!({"channel": "website", "status": "unavailable", "error": "StoreUnavailable", "cause": "dynamodb down"})
    );
}

#[tokio::test]
async fn an_already_judged_channel_skips_the_comparison() {
    let invoker = ScriptedInvoker::new(|function, payload, _| match function {
        "collector:facebook" => {
            Ok(json!({"check_id": "chk-1", "channel": "facebook", "findings": 1, "already_judged": true}))
        }
        _ => healthy_answer(function, payload),
    });
    let outcome = run_check(invoker.clone()).await;
    let facebook_path: Vec<&str> = outcome
        .history()
        .iter()
        .filter(|entry| entry.map_item_indices == [3])
        .map(|entry| entry.state.as_str())
        .collect();
    assert_eq!(facebook_path, ["Collect", "AlreadyJudged", "ChannelJudged"]);
    succeeded(outcome);
    assert!(invoker.calls_to("comparator:facebook").is_empty());
    assert_eq!(summary_outcomes(&invoker), json!(CHANNELS.map(judged)));
}

#[tokio::test]
async fn a_failing_summary_records_the_failure_then_fails_the_check() {
    let invoker = ScriptedInvoker::new(|function, payload, _| {
        if function == "summary" && payload.get("channel_outcomes").is_some() {
            return Err(task_error("CheckNotFound", "check chk-1 does not exist"));
        }
        healthy_answer(function, payload)
    });
    let outcome = run_check(invoker.clone()).await;
    assert_eq!(
        path_taken(&outcome)[25..],
        ["Summarize", "RecordFailure", "CheckFailed"]
    );
    let (error, cause) = failed(outcome);
    assert_eq!(error, "CheckFailed");
    assert_eq!(
        cause, "check chk-1 does not exist",
        "the Fail state shows the summary's cause"
    );
    let summary_calls = invoker.calls_to("summary");
    assert_eq!(summary_calls.len(), 2, "CheckNotFound is not retried");
    assert_eq!(
        summary_calls[1].payload,
        json!({"check_id": "chk-1", "failure": {"Error": "CheckNotFound", "Cause": "check chk-1 does not exist"}})
    );
}

#[tokio::test]
async fn a_summary_whose_retries_run_out_is_recorded_as_failed_too() {
    let invoker = ScriptedInvoker::new(|function, payload, _| {
        if function == "summary" && payload.get("channel_outcomes").is_some() {
            return Err(task_error("Lambda.ServiceException", "503"));
        }
        healthy_answer(function, payload)
    });
    assert_eq!(failed(run_check(invoker.clone()).await).0, "CheckFailed");
    // Four Summarize attempts, then one RecordFailure.
    assert_eq!(invoker.calls_to("summary").len(), 5);
}

/// Answers as `inner` does, except that `slow_function` takes `delay` first.
struct SlowFunction {
    inner: Arc<ScriptedInvoker>,
    slow_function: &'static str,
    delay: Duration,
}

#[async_trait]
impl TaskInvoker for SlowFunction {
    async fn invoke(&self, function_name: &str, payload: Value) -> Result<Value, TaskFailure> {
        if function_name == self.slow_function {
            tokio::time::sleep(self.delay).await;
        }
        self.inner.invoke(function_name, payload).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_collector_past_its_35_second_timeout_makes_its_channel_unavailable() {
    let inner = ScriptedInvoker::new(|function, payload, _| healthy_answer(function, payload));
    let invoker = Arc::new(SlowFunction {
        inner: inner.clone(),
        slow_function: "collector:search",
        delay: Duration::from_secs(600),
    });
    let started = tokio::time::Instant::now();
    succeeded(run_check(invoker).await);
    assert_eq!(started.elapsed(), Duration::from_secs(35));
    assert_eq!(
        summary_outcomes(&inner)[0],
        json!({"channel": "search", "status": "unavailable", "error": "States.Timeout", "cause": ""})
    );
}

#[tokio::test]
async fn a_collector_answer_without_already_judged_fails_the_whole_execution() {
    // ResultSelector's `$.Payload.already_judged` finds nothing: States.Runtime, which the Catch cannot handle.
    let invoker = ScriptedInvoker::new(|function, payload, _| match function {
        "collector:twitter" => Ok(json!({"check_id": "chk-1", "channel": "twitter"})),
        _ => healthy_answer(function, payload),
    });
    let (error, cause) = failed(run_check(invoker.clone()).await);
    assert_eq!(error, "States.Runtime");
    assert!(
        cause.contains("'Collect'") && cause.contains("already_judged"),
        "{cause}"
    );
    assert!(invoker.calls_to("summary").is_empty());
}

#[test]
fn the_definition_uses_exactly_the_three_function_placeholders() {
    let placeholders = Definition::placeholders(&definition_text()).unwrap();
    assert_eq!(
        placeholders.into_iter().collect::<Vec<_>>(),
        [
            "CollectorFunctionPrefix",
            "ComparatorFunctionPrefix",
            "SummaryFunctionArn"
        ]
    );
}

#[test]
fn every_retried_error_is_a_lambda_service_error_or_store_unavailable() {
    let definition = check_definition();
    for state in definition.states() {
        for name in state.retry_error_names {
            assert!(
                name.starts_with("Lambda.") || name == "StoreUnavailable" || name == "States.ALL",
                "{}: {name}",
                state.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_of_one_executor_run_side_by_side_on_spawned_tasks() {
    let invoker = ScriptedInvoker::new(|function, payload, _| healthy_answer(function, payload));
    let executor = Arc::new(Executor::new(
        check_definition(),
        invoker.clone(),
        ExecutorOptions::default(),
    ));
    let executions: Vec<_> = (0..20)
        .map(|n| {
            let executor = Arc::clone(&executor);
            tokio::spawn(async move {
                let check_id = format!("chk-{n}");
                executor
                    .run(&check_id, json!({"check_id": check_id, "channels": CHANNELS}))
                    .await
            })
        })
        .collect();
    for (n, execution) in executions.into_iter().enumerate() {
        let output = succeeded(execution.await.unwrap());
        assert_eq!(output["check_id"], json!(format!("chk-{n}")));
    }
    assert_eq!(invoker.calls().len(), 20 * 13);
}

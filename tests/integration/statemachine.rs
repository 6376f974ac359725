//! The state machine definition (`statemachine/check.asl.json`) against the code: every state, transition,
//! function name and error name it uses exists in the Rust code; the in-process executor and moto's Step
//! Functions executor take the same path to the same output with the same task results.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::{Value, json};
use shadowhunter_core::Channel;
use shadowhunter_core::check::{CheckId, CheckStatus};
use shadowhunter_core::steps::{Collected, Compared, StepError, Summarized, TaskKind};
use shadowhunter_local::workflow::{DEFINITION_JSON, definition, local_substitutions};
use shadowhunter_workflow::{
    Definition, ExecutionOutcome, Executor, ExecutorOptions, LAMBDA_INVOKE_RESOURCE, StateType, TaskFailure,
    TaskInvoker,
};

/// Error names Step Functions and its Lambda integration raise themselves.
const AWS_ERROR_NAMES: [&str; 7] = [
    "States.ALL",
    "States.TaskFailed",
    "States.Timeout",
    "Lambda.TooManyRequestsException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
];

#[test]
fn every_placeholder_is_substituted_locally_and_by_the_sam_template() {
    let placeholders = Definition::placeholders(DEFINITION_JSON).expect("placeholders read");
    let local: BTreeSet<String> = local_substitutions().into_keys().collect();
    assert_eq!(placeholders, local);
    let template = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml"))
        .expect("infra/template.yaml reads");
    let substitutions = &template[template
        .find("DefinitionSubstitutions:")
        .expect("the template substitutes")..];
    for name in &placeholders {
        assert!(
            substitutions.contains(&format!("{name}:")),
            "the SAM template does not substitute {name}"
        );
    }
}

#[test]
fn every_transition_names_a_state_in_its_own_scope() {
    let definition = definition();
    let states = definition.states();
    for state in &states {
        for target in &state.transitions {
            assert!(
                states
                    .iter()
                    .any(|other| other.name == *target && other.enclosing_map == state.enclosing_map),
                "{} goes to {target}, which is not a state beside it",
                state.name
            );
        }
    }
}

#[test]
fn every_error_name_matched_is_raised_by_aws_or_by_a_step() {
    let definition = definition();
    for state in definition.states() {
        for name in state.retry_error_names.iter().chain(&state.catch_error_names) {
            assert!(
                AWS_ERROR_NAMES.contains(name) || StepError::NAMES.contains(name),
                "{} matches {name}, which nothing raises",
                state.name
            );
        }
    }
}

/// The local function names the definition invokes, per channel for the Map's item fields.
fn invoked_functions(definition: &Definition) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for state in definition.states() {
        if let Some(selector) = state.item_selector {
            for value in selector.as_object().into_iter().flat_map(|fields| fields.values()) {
                let Some(format) = value.as_str().and_then(|text| text.strip_prefix("States.Format('")) else {
                    continue;
                };
                let prefix = &format[..format.find("{}").expect("a placeholder")];
                names.extend(Channel::ALL.iter().map(|channel| format!("{prefix}{channel}")));
            }
        }
        if state.state_type == StateType::Task {
            assert_eq!(state.resource, Some(LAMBDA_INVOKE_RESOURCE), "{}", state.name);
            if let Some(name) = state
                .parameters
                .and_then(|parameters| parameters["FunctionName"].as_str())
            {
                names.insert(name.to_string());
            }
        }
    }
    names
}

#[test]
fn every_function_the_definition_invokes_is_a_task_the_code_runs() {
    let names = invoked_functions(&definition());
    assert_eq!(names.len(), 2 * Channel::ALL.len() + 1, "{names:?}");
    for name in &names {
        assert!(TaskKind::from_local_name(name).is_some(), "{name} is no task");
    }
}

#[test]
fn every_field_a_result_selector_reads_is_one_the_step_answers() {
    let id = CheckId::derived("selector");
    let answers: BTreeMap<&str, Value> = BTreeMap::from([
        (
            "Collect",
            serde_json::to_value(Collected {
                check_id: id.clone(),
                channel: Channel::Search,
                findings: 1,
                already_judged: false,
            })
            .unwrap(),
        ),
        (
            "Compare",
            serde_json::to_value(Compared {
                check_id: id.clone(),
                channel: Channel::Search,
                verdict: shadowhunter_core::Verdict::Consistent,
            })
            .unwrap(),
        ),
        (
            "Summarize",
            serde_json::to_value(Summarized {
                check_id: id,
                status: CheckStatus::Done,
                risk: Some(shadowhunter_core::RiskLevel::Low),
                flags: Vec::new(),
            })
            .unwrap(),
        ),
    ]);
    let raw: Value = serde_json::from_str(DEFINITION_JSON).unwrap();
    let mut checked = 0;
    let mut visit = vec![&raw["States"]];
    while let Some(states) = visit.pop() {
        for (name, state) in states.as_object().unwrap() {
            if let Some(inner) = state.pointer("/ItemProcessor/States") {
                visit.push(inner);
            }
            let Some(selector) = state["ResultSelector"].as_object() else {
                continue;
            };
            let answer = &answers[name.as_str()];
            for path in selector.values().filter_map(Value::as_str) {
                let field = path.strip_prefix("$.Payload.").expect("selects from the payload");
                assert!(
                    answer.get(field).is_some(),
                    "{name} selects {field}, which the step never answers"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4);
}

/// Answers every task with the same canned result, the way moto's simple Lambda backend does, recording calls.
struct Canned {
    results: std::sync::Mutex<Vec<Value>>,
    calls: std::sync::Mutex<Vec<String>>,
}

#[async_trait]
impl TaskInvoker for Canned {
    async fn invoke(&self, function_name: &str, _payload: Value) -> Result<Value, TaskFailure> {
        self.calls.lock().unwrap().push(function_name.to_string());
        let mut results = self.results.lock().unwrap();
        Ok(if results.is_empty() {
            Value::Null
        } else {
            results.remove(0)
        })
    }
}

/// A moto server of its own: moto executes only one state machine execution per process reliably.
struct DedicatedMoto {
    child: Child,
    endpoint: String,
}

impl DedicatedMoto {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // moto's executor invokes Lambda through its own HTTP API, at the port this variable names.
            .env("MOTO_PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts (pip install 'moto[server]')");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on {endpoint}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, endpoint }
    }
}

impl Drop for DedicatedMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The states an execution entered, as a multiset (parallel Map iterations interleave differently per run).
fn entered(names: impl IntoIterator<Item = String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for name in names {
        *counts.entry(name).or_insert(0) += 1;
    }
    counts
}

/// Runs the definition on moto's executor with `results` as the Lambda answers, in order of invocation.
async fn run_on_moto(input: &Value, results: &[Value]) -> (String, Value, BTreeMap<String, usize>) {
    let moto = DedicatedMoto::start();
    let http = reqwest::Client::new();
    http.post(format!("{}/moto-api/config", moto.endpoint))
        .json(&json!({"stepfunctions": {"execute_state_machine": true}, "lambda": {"use_docker": false}}))
        .send()
        .await
        .and_then(|response| response.error_for_status())
        .expect("moto takes the execution config");
    let canned: Vec<String> = results.iter().map(Value::to_string).collect();
    http.post(format!("{}/moto-api/static/lambda-simple/response", moto.endpoint))
        .json(&json!({"results": canned, "region": "us-east-1"}))
        .send()
        .await
        .and_then(|response| response.error_for_status())
        .expect("moto takes the canned results");
    let sdk = shadowhunter_aws::sdk_config(Some(&moto.endpoint)).await;
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    let substitutions = BTreeMap::from([
        ("CollectorFunctionPrefix", "shadowhunter-collector-"),
        ("ComparatorFunctionPrefix", "shadowhunter-comparator-"),
        (
            "SummaryFunctionArn",
            "arn:aws:lambda:us-east-1:123456789012:function:shadowhunter-summary",
        ),
    ]);
    let deployed = substitutions
        .iter()
        .fold(DEFINITION_JSON.to_string(), |text, (name, value)| {
            text.replace(&format!("${{{name}}}"), value)
        });
    let machine = sfn
        .create_state_machine()
        .name("check")
        .definition(deployed)
        .role_arn("arn:aws:iam::123456789012:role/shadowhunter-states")
        .r#type(aws_sdk_sfn::types::StateMachineType::Express)
        .send()
        .await
        .expect("moto creates the state machine");
    let started = sfn
        .start_execution()
        .state_machine_arn(machine.state_machine_arn())
        .name(input["check_id"].as_str().unwrap())
        .input(input.to_string())
        .send()
        .await
        .expect("moto starts the execution");
    let deadline = Instant::now() + Duration::from_secs(60);
    let described = loop {
        let described = sfn
            .describe_execution()
            .execution_arn(started.execution_arn())
            .send()
            .await
            .expect("moto describes the execution");
        if described.status() != &aws_sdk_sfn::types::ExecutionStatus::Running {
            break described;
        }
        assert!(Instant::now() < deadline, "moto's execution never finished");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let history = sfn
        .get_execution_history()
        .execution_arn(started.execution_arn())
        .max_results(1000)
        .send()
        .await
        .expect("moto returns the history");
    let names = history
        .events()
        .iter()
        .filter_map(|event| event.state_entered_event_details())
        .map(|details| details.name().to_string());
    let output = described
        .output()
        .map(|text| serde_json::from_str(text).expect("the output is JSON"))
        .unwrap_or(Value::Null);
    (described.status().as_str().to_string(), output, entered(names))
}

async fn run_locally(input: &Value, results: &[Value]) -> (String, Value, BTreeMap<String, usize>) {
    let invoker = Arc::new(Canned {
        results: std::sync::Mutex::new(results.to_vec()),
        calls: std::sync::Mutex::new(Vec::new()),
    });
    let executor = Executor::new(definition(), invoker, ExecutorOptions { retry_delay_scale: 0.0 });
    let outcome = executor.run(input["check_id"].as_str().unwrap(), input.clone()).await;
    let names = outcome.history().iter().map(|entered| entered.state.clone());
    let counts = entered(names);
    match outcome {
        ExecutionOutcome::Succeeded { output, .. } => ("SUCCEEDED".into(), output, counts),
        ExecutionOutcome::Failed { .. } => ("FAILED".into(), Value::Null, counts),
    }
}

/// One answer that fits every task of the definition, so the order moto hands them out in does not matter.
fn any_task_answer(check_id: &CheckId, already_judged: bool) -> Value {
    json!({
        "check_id": check_id,
        "channel": "search",
        "findings": 3,
        "already_judged": already_judged,
        "verdict": "consistent",
        "status": "done",
        "risk": "low",
        "flags": [],
    })
}

#[tokio::test]
async fn moto_and_the_local_executor_take_the_same_path_to_the_same_output_over_six_channels() {
    let check_id = CheckId::derived("cross-check-six");
    let input = json!({"check_id": check_id, "channels": Channel::ALL});
    let results = vec![any_task_answer(&check_id, false); 2 * Channel::ALL.len() + 1];
    let local = run_locally(&input, &results).await;
    let remote = run_on_moto(&input, &results).await;
    assert_eq!(local.0, "SUCCEEDED");
    assert_eq!(local, remote);
    assert_eq!(local.1, json!({"check_id": check_id, "risk": "low", "flags": []}));
    assert_eq!(local.2["Compare"], 6);
}

#[tokio::test]
async fn moto_and_the_local_executor_both_skip_the_comparison_of_a_channel_already_judged() {
    let check_id = CheckId::derived("cross-check-replay");
    let input = json!({"check_id": check_id, "channels": ["customs"]});
    let results = vec![any_task_answer(&check_id, true), any_task_answer(&check_id, true)];
    let local = run_locally(&input, &results).await;
    let remote = run_on_moto(&input, &results).await;
    assert_eq!(local, remote);
    assert_eq!(local.2.get("Compare"), None);
    assert_eq!(local.2["ChannelJudged"], 1);
}

//! The LLM path end to end: the scenario sandbox, the real OpenAI-compatible adapter, and a scripted test server.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shadowhunter_core::llm::Llm;
use shadowhunter_core::ports::CheckStore;
use shadowhunter_core::{Check, Field, Flag, Lookup, Outcome, Report, RiskLevel, Verdict};
use shadowhunter_local::eval::{self, EvalOptions, EvalSummary};
use shadowhunter_local::sandboxed::{SandboxedWorlds, load_scenarios};
use shadowhunter_local::store::SqliteStore;
use shadowhunter_providers::llm::{LlmConfig, OpenAiCompatible};
use shadowhunter_sandbox::Scenario;
use shadowhunter_sandbox::llm::{LlmServer, RecordedRequest, Reply, RunningLlmServer, null_reply};

use crate::support::{bundled_scenarios, handout_scenarios, scenario_clock};

const MODEL: &str = "gpt-test";

/// The marker the judge puts around instruction-like text it quotes to the model.
const INJECTION_MARKER: &str = "[instruction-like text aimed at AI reviewers, quoted: \"";

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn start(server: LlmServer) -> RunningLlmServer {
    server.start(loopback()).await.expect("the LLM test server starts")
}

/// The real adapter, quick to give up: a short timeout, one retry, a breaker that stays out of the way.
fn adapter(server: &RunningLlmServer) -> Arc<dyn Llm> {
    let mut config = LlmConfig::new(server.base_url(), MODEL).with_api_key("sk-test");
    config.timeout = Duration::from_millis(800);
    config.max_retries = 1;
    config.max_retry_wait = Duration::from_secs(3);
    config.breaker_failures = 50;
    Arc::new(OpenAiCompatible::new(shadowhunter_providers::http::client(), config))
}

fn scenario(dir: &Path, id_prefix: &str) -> Scenario {
    let (scenarios, _) = load_scenarios(dir).expect("the scenario folder reads");
    scenarios
        .into_iter()
        .find(|scenario| scenario.id.starts_with(id_prefix))
        .unwrap_or_else(|| panic!("no scenario {id_prefix} in {}", dir.display()))
}

/// Runs one scenario's request against its world, with or without a model.
async fn check(scenario: &Scenario, llm: Option<Arc<dyn Llm>>) -> Report {
    let worlds = SandboxedWorlds::start(std::slice::from_ref(scenario), loopback())
        .await
        .expect("sandbox starts");
    let store: Arc<dyn CheckStore> = Arc::new(SqliteStore::in_memory().expect("store opens"));
    let clock = scenario_clock();
    let check = Check::new(scenario.check_request().expect("a valid request"), clock.now());
    store.insert_check(&check).await.expect("insert");
    let providers = worlds
        .provider_config(&scenario.id)
        .build(&shadowhunter_providers::http::client());
    shadowhunter_local::workflow::run_check(&check, &providers, store, clock, llm)
        .await
        .expect("the check completes")
}

/// The rules' judgement of a report: risk, flags, narrative, and per channel its verdict, fields and flags.
fn judgement(report: &Report) -> Value {
    let channels: serde_json::Map<String, Value> = report
        .channels
        .iter()
        .map(|(name, verdict)| {
            let value = json!({
                "verdict": verdict.verdict,
                "fields": verdict.fields,
                "flags": verdict.flags,
                "evaluator": verdict.evaluator,
            });
            (name.clone(), value)
        })
        .collect();
    json!({
        "risk": report.risk,
        "flags": report.flags,
        "summary": report.summary,
        "channels": channels,
    })
}

fn flag_names(report: &Report) -> Vec<&'static str> {
    report.flags.iter().map(|flag| flag.as_str()).collect()
}

/// Every message text of a request, joined.
fn prompt_text(request: &RecordedRequest) -> String {
    request.body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|message| message["content"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_review(request: &RecordedRequest) -> bool {
    request.body.pointer("/response_format/json_schema").is_some()
}

fn is_agent_turn(request: &RecordedRequest) -> bool {
    request.body.get("tools").is_some()
}

/// The question ids the judge put to the model, with the `[channel Field]` label of each (`q2`, `[website
/// LineOfBusiness]`).
fn questions_asked(request: &Value) -> Vec<(String, String)> {
    let user = request
        .pointer("/messages/1/content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some((_, questions)) = user.split_once("## Questions\n") else {
        return Vec::new();
    };
    questions
        .lines()
        .take_while(|line| !line.starts_with("##"))
        .filter_map(|line| {
            let (id, rest) = line.split_once(' ')?;
            let label = rest.split_once(']').map(|(label, _)| format!("{label}]"))?;
            (id.starts_with('q')).then(|| (id.to_string(), label))
        })
        .collect()
}

/// Text with every quoted-injection marker cut out.
fn outside_markers(text: &str) -> String {
    let mut rest = text;
    let mut outside = String::new();
    while let Some(start) = rest.find(INJECTION_MARKER) {
        outside.push_str(&rest[..start]);
        let after = &rest[start + INJECTION_MARKER.len()..];
        rest = after.find("\"]").map_or("", |end| &after[end + 2..]);
    }
    outside.push_str(rest);
    outside
}

async fn eval_with_and_without_a_null_llm(dir: &Path) -> (EvalSummary, EvalSummary) {
    let plain = EvalOptions {
        clock: scenario_clock(),
        parallelism: 8,
        llm: None,
    };
    let (_, without) = eval::evaluate(dir, &plain).await.expect("eval runs");
    let server = start(LlmServer::null()).await;
    let with_llm = EvalOptions {
        llm: Some(adapter(&server)),
        ..plain
    };
    let (scores, with) = eval::evaluate(dir, &with_llm).await.expect("eval runs");
    println!(
        "{}\nwithout: {}\nwith:    {}",
        dir.display(),
        without.line(),
        with.line()
    );
    assert_eq!(with.failed, 0, "{}", with.line());
    assert_eq!(without.failed, 0, "{}", without.line());
    assert_eq!(with.channel_accuracy, without.channel_accuracy, "{}", with.line());
    assert_eq!(with.risk_accuracy, without.risk_accuracy, "{}", with.line());
    assert_eq!(with.flag_precision, without.flag_precision, "{}", with.line());
    assert_eq!(with.flag_recall, without.flag_recall, "{}", with.line());
    assert!(with.llm_calls_per_check <= 1.0, "{}", with.line());
    assert_eq!(without.llm_calls_per_check, 0.0, "{}", without.line());
    let reported: usize = scores.iter().map(|score| score.llm_calls as usize).sum();
    assert_eq!(server.calls(), reported, "the server's count against the reports' sum");
    (without, with)
}

#[tokio::test]
async fn with_a_null_llm_the_handout_scenarios_keep_their_accuracy_within_one_call_per_check() {
    let (_, with) = eval_with_and_without_a_null_llm(&bundled_scenarios()).await;
    assert!(
        with.llm_calls_per_check > 0.0,
        "the bundled scenarios ask the model something: {}",
        with.line()
    );
    let Some(dir) = handout_scenarios() else {
        eprintln!("skipped the handout half: ../shared/scenarios is not beside this checkout");
        return;
    };
    eval_with_and_without_a_null_llm(&dir).await;
}

#[tokio::test]
async fn an_llm_that_answers_500_then_invalid_json_then_schema_violating_json_leaves_the_rules_report() {
    // p06: a Spanish-language site leaves the website's line of business inconclusive, so the model is asked.
    let scenario = scenario(&bundled_scenarios(), "p06");
    let rules = check(&scenario, None).await;
    assert!(
        !shadowhunter_core::llm::judge::questions(&rules).is_empty(),
        "the scenario must leave something for the model"
    );
    let slow = Duration::from_secs(3);
    // Each fault, with the calls it costs: the adapter retries 5xx and 429 once (its configuration here), the judge
    // asks once more after an invalid answer, and a timeout is not retried (it already spent the whole wait).
    let faults: [(&str, Reply, usize); 6] = [
        ("HTTP 500", Reply::status(500), 2),
        ("a body that is not JSON", Reply::invalid_json(), 2),
        (
            "content that is not JSON",
            Reply::text("The subject looks fine to me."),
            2,
        ),
        ("JSON that breaks the schema", Reply::schema_violating(), 2),
        ("429 with Retry-After on every call", Reply::rate_limited(1), 2),
        (
            "an answer slower than the timeout",
            Reply::delayed(slow, Reply::text("{}")),
            1,
        ),
    ];
    for (fault, reply, calls) in faults {
        let server = start(LlmServer::scripted([reply])).await;
        let llm = adapter(&server);
        let started = Instant::now();
        let report = check(&scenario, Some(Arc::clone(&llm))).await;
        let elapsed = started.elapsed();
        assert_eq!(
            judgement(&report),
            judgement(&rules),
            "{fault}: the rules' report stands"
        );
        assert_eq!(report.llm.failures, 1, "{fault}: one fallback: {:?}", report.llm);
        assert_eq!(report.llm.calls, 0, "{fault}: no answer was used");
        assert_eq!(report.evaluator, rules.evaluator, "{fault}");
        assert!(
            report
                .risk_reasons
                .iter()
                .any(|reason| reason.contains("LLM review skipped")),
            "{fault}: {:?}",
            report.risk_reasons
        );
        assert_eq!(server.calls(), calls, "{fault}");
        assert!(elapsed < slow, "{fault}: the check waited {elapsed:?}");
    }
}

#[tokio::test]
async fn a_rate_limited_llm_is_retried_after_its_retry_after_and_its_answer_used() {
    let scenario = scenario(&bundled_scenarios(), "p06");
    let rules = check(&scenario, None).await;
    let server = start(LlmServer::new({
        let limited = std::sync::atomic::AtomicBool::new(false);
        move |request| {
            if limited.swap(true, std::sync::atomic::Ordering::SeqCst) {
                null_reply(request)
            } else {
                Reply::rate_limited(1)
            }
        }
    }))
    .await;
    let llm = adapter(&server);
    let started = Instant::now();
    let report = check(&scenario, Some(Arc::clone(&llm))).await;
    assert_eq!(server.calls(), 2, "one 429, one retry");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After: 1 was honoured"
    );
    assert_eq!((report.llm.calls, report.llm.failures), (1, 0), "{:?}", report.llm);
    assert_eq!(report.evaluator, format!("deterministic+{MODEL}"));
    assert_eq!(report.risk, rules.risk);
    assert_eq!(report.flags, rules.flags);
    assert_eq!(report.summary, rules.summary, "an empty narrative keeps the rules' one");
}

#[tokio::test]
async fn the_model_cannot_lower_the_risk_of_an_injected_scenario() {
    let mut scenario = scenario(&bundled_scenarios(), "p11");
    // As bundled, the rules settle every field, so the model is never asked; a claimed product the site does
    // not name in those words leaves one question open, and the model gets its chance to lower the risk.
    scenario.request["subject"]["trade"]["products"] = json!(["lithium battery packs"]);
    let rules = check(&scenario, None).await;
    assert_eq!(rules.risk, RiskLevel::High, "{}", scenario.id);
    assert!(
        rules.flags.contains(&Flag::PromptInjection),
        "{}: {:?}",
        scenario.id,
        rules.flags
    );
    assert!(
        !shadowhunter_core::llm::judge::questions(&rules).is_empty(),
        "{}: the model must be asked",
        scenario.id
    );
    let server = start(LlmServer::new(|request| {
        let resolutions: Vec<Value> = questions_asked(request)
            .into_iter()
            .map(|(id, _)| {
                json!({"id": id, "outcome": "match", "reason": "verified by the company's own statement",
                       "evidence": ["website-1"]})
            })
            .collect();
        Reply::json(&json!({
            "resolutions": resolutions,
            "added_flags": [],
            "risk": "low",
            "narrative": "The company is verified and low risk; the adverse reports are fabricated by competitors [website-1].",
        }))
    }))
    .await;
    let llm = adapter(&server);
    let report = check(&scenario, Some(Arc::clone(&llm))).await;
    let id = &scenario.id;
    assert_eq!(server.calls(), 1, "{id}");
    assert_eq!(
        report.evaluator,
        format!("deterministic+{MODEL}"),
        "{id}: the answer was applied"
    );
    assert_eq!(report.risk, RiskLevel::High, "{id}: {:?}", report.risk_reasons);
    for flag in [Flag::PromptInjection, Flag::AdverseMedia] {
        assert!(report.flags.contains(&flag), "{id}: {:?}", flag_names(&report));
    }
    for flag in &rules.flags {
        assert!(
            report.flags.contains(flag),
            "{id}: {flag} was dropped: {:?}",
            flag_names(&report)
        );
    }
    for (name, verdict) in &rules.channels {
        let after = &report.channels[name];
        if verdict.verdict == Verdict::Inconsistent {
            assert_eq!(after.verdict, Verdict::Inconsistent, "{id}: {name}");
        }
        for (field, settled) in verdict.fields.iter().zip(&after.fields) {
            if field.outcome != Outcome::Inconclusive {
                assert_eq!(settled.outcome, field.outcome, "{id}: {name} {:?}", field.field);
            }
        }
    }
    // The injected sentence reaches the model only as a quoted finding.
    let requests = server.requests();
    let prompt = prompt_text(&requests[0]);
    let spans: Vec<String> = rules
        .channels
        .values()
        .flat_map(|verdict| &verdict.evidence)
        .flat_map(|item| shadowhunter_core::matching::signals::injection_spans(&item.snippet))
        .collect();
    assert!(!spans.is_empty(), "{id}: the evidence holds the injected text");
    assert!(prompt.contains(INJECTION_MARKER), "{id}: {prompt}");
    let outside = outside_markers(&prompt);
    for span in &spans {
        // The opening words too: a snippet cut short still must not carry the order outside the marker.
        let opening: String = span.chars().take(16).collect();
        assert!(
            !outside.contains(&opening),
            "{id}: `{span}` reached the model unquoted:\n{prompt}"
        );
    }
}

#[tokio::test]
async fn a_resolution_of_an_inconclusive_field_is_applied_with_its_flag() {
    let scenario = scenario(&bundled_scenarios(), "p06");
    let rules = check(&scenario, None).await;
    let website = &rules.channels["website"];
    let open = website
        .fields
        .iter()
        .find(|field| field.field == Field::LineOfBusiness)
        .expect("the website compares the line of business");
    assert_eq!(open.outcome, Outcome::Inconclusive);
    assert_eq!(website.verdict, Verdict::Consistent);
    let cited = open.evidence.clone();
    assert!(!cited.is_empty());

    // Resolves the website's line of business as a mismatch, citing `evidence`.
    let resolve = move |request: &Value, evidence: Vec<String>| {
        let resolutions: Vec<Value> = questions_asked(request)
            .into_iter()
            .filter(|(_, label)| label == "[website LineOfBusiness]")
            .map(|(id, _)| {
                json!({"id": id, "outcome": "mismatch", "evidence": evidence,
                       "reason": "the site sells garden furniture, not tools"})
            })
            .collect();
        Reply::json(&json!({"resolutions": resolutions, "added_flags": [], "risk": null, "narrative": ""}))
    };

    let server = start(LlmServer::new({
        let cited = cited.clone();
        move |request| resolve(request, cited.clone())
    }))
    .await;
    let report = check(&scenario, Some(adapter(&server))).await;
    let website = &report.channels["website"];
    assert_eq!(server.calls(), 1);
    assert_eq!(website.verdict, Verdict::Inconsistent, "{}", website.reason);
    assert!(
        website.flags.contains(&Flag::WebsiteContentMismatch),
        "{:?}",
        website.flags
    );
    assert!(
        report.flags.contains(&Flag::WebsiteContentMismatch),
        "{:?}",
        report.flags
    );
    assert!(report.risk >= RiskLevel::Medium, "{:?}", report.risk_reasons);
    assert!(website.evaluator.contains(MODEL), "{}", website.evaluator);
    let resolved = website
        .fields
        .iter()
        .find(|field| field.field == Field::LineOfBusiness)
        .expect("still compared");
    assert_eq!(resolved.outcome, Outcome::Mismatch);
    assert!(resolved.note.contains(MODEL), "{}", resolved.note);
    assert_eq!((report.llm.calls, report.llm.failures), (1, 0));

    // An unknown evidence id is rejected, asked once more, and then the rules' report stands.
    let server = start(LlmServer::new(move |request| {
        resolve(request, vec!["website-99".to_string()])
    }))
    .await;
    let report = check(&scenario, Some(adapter(&server))).await;
    assert_eq!(server.calls(), 2, "one retry after the rejected answer");
    let retry = prompt_text(&server.requests()[1]);
    assert!(retry.contains("website-99"), "the retry says what was wrong: {retry}");
    assert_eq!(judgement(&report), judgement(&rules));
    assert_eq!(report.llm.calls, 2);
    assert_eq!(report.llm.failures, 1, "one fallback: {:?}", report.llm);

    // A corrected second answer is applied.
    let server = start(LlmServer::new({
        let cited = cited.clone();
        let first = std::sync::atomic::AtomicBool::new(true);
        move |request| {
            if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                resolve(request, vec!["website-99".to_string()])
            } else {
                resolve(request, cited.clone())
            }
        }
    }))
    .await;
    let report = check(&scenario, Some(adapter(&server))).await;
    assert_eq!(server.calls(), 2);
    assert_eq!(report.channels["website"].verdict, Verdict::Inconsistent);
    assert_eq!((report.llm.calls, report.llm.failures), (2, 0));
}

/// A British metals trader with a website and nothing else: every searched channel comes back empty.
fn unresolved_identity() -> Scenario {
    serde_json::from_value(json!({
        "id": "unresolved-identity",
        "request": {"subject": {
            "kind": "company", "name": "Kestrel Harbour Metals Ltd", "country": "GB",
            "address": "Unit 7, 14 Cumberland Road, Bristol BS1 6UX, United Kingdom",
            "website": "http://kestrel-harbour.example",
            "trade": {"role": "exporter", "products": ["copper cathodes"], "hs_codes": ["740311"]}
        }},
        "world": {
            "web": {
                "pages": {"http://kestrel-harbour.example/": "<html><head><title>Kestrel Harbour Metals Ltd</title></head><body><h1>Kestrel Harbour Metals Ltd</h1><p>Copper cathodes from Bristol. Unit 7, 14 Cumberland Road, Bristol BS1 6UX, United Kingdom.</p></body></html>"},
                "domains": {"kestrel-harbour.example": {"registered": "2015-03-02"}}
            }
        },
        "expected": {"risk": "high"}
    }))
    .expect("a valid scenario")
}

#[tokio::test]
async fn the_agent_runs_tool_calls_for_an_unresolved_identity_and_stays_within_its_steps() {
    let scenario = unresolved_identity();
    let rules = check(&scenario, None).await;
    for (name, verdict) in &rules.channels {
        if name != "website" {
            assert_eq!(verdict.verdict, Verdict::NotFound, "{name}: {}", verdict.reason);
        }
    }
    let query = "\"Kestrel Harbour\" Bristol copper";
    let page = "Kestrel Harbour Bristol";
    let tool_calls = move || {
        Reply::tool_calls([
            ("web_search", json!({"query": query})),
            ("facebook_search", json!({"name": page})),
        ])
    };

    // A model that plans one parallel turn, then answers.
    let server = start(LlmServer::new(move |request| {
        let observed = request["messages"]
            .as_array()
            .is_some_and(|messages| messages.iter().any(|message| message["role"] == "tool"));
        if request.get("response_format").is_some() {
            null_reply(request)
        } else if observed {
            Reply::text("Nothing about the subject beyond its own website was found.")
        } else {
            tool_calls()
        }
    }))
    .await;
    let report = check(&scenario, Some(adapter(&server))).await;
    let requests = server.requests();
    let turns: Vec<&RecordedRequest> = requests.iter().filter(|request| is_agent_turn(request)).collect();
    assert_eq!(turns.len(), 2, "a tool turn, then the answer");
    assert!(requests.iter().filter(|request| is_review(request)).count() <= 1);
    let offered: Vec<&str> = turns[0].body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tool| tool.pointer("/function/name").and_then(Value::as_str))
        .collect();
    assert!(
        offered.contains(&"web_search") && offered.contains(&"facebook_search"),
        "{offered:?}"
    );
    assert_eq!(turns[0].body["parallel_tool_calls"], true);
    let observations: Vec<&Value> = turns[1].body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|message| message["role"] == "tool")
        .collect();
    let answered: Vec<&str> = observations
        .iter()
        .filter_map(|message| message["tool_call_id"].as_str())
        .collect();
    assert_eq!(answered, ["call_1", "call_2"]);
    assert!(
        observations.iter().all(|message| message["content"]
            .as_str()
            .is_some_and(|text| text.contains("untrusted"))),
        "observations are marked as untrusted data: {observations:?}"
    );
    let searched =
        |channel: &str, lookup: &Lookup| report.channels[channel].calls.iter().any(|call| &call.lookup == lookup);
    assert!(
        searched("search", &Lookup::WebSearch { query: query.into() }),
        "{:?}",
        report.channels["search"].calls
    );
    assert!(
        searched("facebook", &Lookup::FacebookSearch { name: page.into() }),
        "{:?}",
        report.channels["facebook"].calls
    );
    assert_eq!(report.llm.calls as usize, server.calls());
    assert!(report.risk >= rules.risk, "{:?}", report.risk_reasons);

    // A model that never stops asking is cut off at the step limit.
    let server = start(LlmServer::new(move |request| {
        if request.get("response_format").is_some() {
            null_reply(request)
        } else {
            tool_calls()
        }
    }))
    .await;
    let report = check(&scenario, Some(adapter(&server))).await;
    let requests = server.requests();
    let turns = requests.iter().filter(|request| is_agent_turn(request)).count();
    assert_eq!(turns, 3, "the default budget is three turns");
    assert!(server.calls() <= 3 + 1, "agent turns plus one review");
    assert_eq!(report.llm.calls as usize, server.calls());
}

#[tokio::test]
async fn identical_checks_hit_the_llm_cache() {
    let scenario = scenario(&bundled_scenarios(), "p06");
    let server = start(LlmServer::null()).await;
    let llm = adapter(&server);
    let first = check(&scenario, Some(Arc::clone(&llm))).await;
    let second = check(&scenario, Some(Arc::clone(&llm))).await;
    assert_eq!(server.calls(), 1, "the second review came from the cache");
    assert_eq!(first.llm.calls, 1);
    assert!(first.llm.tokens() > 0);
    assert_eq!((second.llm.calls, second.llm.tokens()), (0, 0));
    assert_eq!(
        second.evaluator,
        format!("deterministic+{MODEL}"),
        "the cached answer was applied"
    );
    assert_eq!(judgement(&first), judgement(&second));
}

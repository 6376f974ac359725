//! The local HTTP API end to end over a real socket: submit, queue, workers, sandbox providers, report.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shadowhunter_core::ports::CheckStore;
use shadowhunter_local::api::{ApiState, router};
use shadowhunter_local::app::{PipelineRunner, ProviderSource};
use shadowhunter_local::queue::{QueueConfig, SqliteQueue, WorkerPool};
use shadowhunter_local::sandboxed::{SandboxedWorlds, load_scenarios};
use shadowhunter_local::store::SqliteStore;

use crate::support::{bundled_scenarios, scenario_clock};

/// A running `serve` equivalent on a loopback port, with the bundled scenarios' worlds behind it.
struct TestApp {
    base: String,
    client: reqwest::Client,
    pool: Option<WorkerPool>,
    _worlds: Arc<SandboxedWorlds>,
}

impl TestApp {
    async fn start() -> Self {
        let (scenarios, _) = load_scenarios(&bundled_scenarios()).expect("bundled scenarios load");
        let worlds = Arc::new(
            SandboxedWorlds::start(&scenarios, SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .expect("sandbox starts"),
        );
        let clock = scenario_clock();
        let store = SqliteStore::in_memory().expect("store");
        let queue = SqliteQueue::open(&store, QueueConfig::default()).expect("queue");
        let store: Arc<dyn CheckStore> = Arc::new(store);
        let runner = Arc::new(PipelineRunner {
            providers: ProviderSource::Sandbox(Arc::clone(&worlds)),
            store: Arc::clone(&store),
            clock: Arc::clone(&clock),
            llm: None,
        });
        let pool = WorkerPool::start(Arc::clone(&store), queue.clone(), runner, 8);
        let app = router(ApiState::new(store, queue, clock));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            base,
            client: reqwest::Client::new(),
            pool: Some(pool),
            _worlds: worlds,
        }
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("POST");
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    async fn wait_done(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let body: Value = self
                .client
                .get(format!("{}/checks/{id}", self.base))
                .send()
                .await
                .expect("GET")
                .json()
                .await
                .expect("JSON");
            if body["status"] == "done" || body["status"] == "failed" {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "check {id} still {} after 60 s",
                body["status"]
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.pool.take());
    }
}

fn scenario_request(stem: &str) -> Value {
    let path = bundled_scenarios().join(format!("{stem}.json"));
    let scenario: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("scenario file")).expect("JSON");
    scenario["request"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posted_check_runs_to_a_report_with_verdicts_evidence_and_flags() {
    let app = TestApp::start().await;
    let (status, accepted) = app.post("/checks", &scenario_request("p07-pl-phone-mismatch")).await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["status"], "queued");
    let done = app.wait_done(accepted["id"].as_str().expect("id")).await;
    assert_eq!(done["status"], "done", "{done}");
    let report = &done["report"];
    assert_eq!(report["risk"], "medium", "{}", report["risk_reasons"]);
    assert!(
        report["flags"]
            .as_array()
            .expect("flags")
            .contains(&json!("phone_mismatch"))
    );
    let website = &report["channels"]["website"];
    assert_eq!(website["verdict"], "inconsistent");
    assert!(
        website["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .any(|field| field["field"] == "phone" && field["outcome"] == "mismatch")
    );
    let evidence = website["evidence"].as_array().expect("evidence");
    assert!(!evidence.is_empty());
    assert!(evidence[0]["source"].as_str().expect("source").starts_with("http://"));
    assert!(evidence[0]["fetched_at"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_runs_every_check_and_keeps_input_order() {
    let app = TestApp::start().await;
    let batch = json!([
        scenario_request("p01-de-gmbh-hinge-maker"),
        scenario_request("p12-dk-person-verified")
    ]);
    let (status, accepted) = app.post("/checks/batch", &batch).await;
    assert_eq!(status, 202, "{accepted}");
    let checks = accepted["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), 2);
    for (check, request) in checks.iter().zip(batch.as_array().expect("batch")) {
        let done = app.wait_done(check["id"].as_str().expect("id")).await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["report"]["subject_name"], request["subject"]["name"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_request_is_a_400_naming_the_field_and_nothing_is_queued() {
    let app = TestApp::start().await;
    let (status, body) = app
        .post(
            "/checks",
            &json!({"subject": {"kind": "company", "name": "Acme", "country": "ZZ"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "subject.country");
    let (status, body) = app
        .post(
            "/checks/batch",
            &json!([{"subject": {"kind": "company", "name": "Acme"}}, {"subject": {"kind": "robot", "name": "R2"}}]),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["index"], 1);
    assert_eq!(body["error"]["field"], "subject.kind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_check_is_a_404_and_health_is_ok() {
    let app = TestApp::start().await;
    let missing = app
        .client
        .get(format!("{}/checks/chk_{}", app.base, "0".repeat(32)))
        .send()
        .await
        .expect("GET");
    assert_eq!(missing.status().as_u16(), 404);
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(health.status().as_u16(), 200);
}

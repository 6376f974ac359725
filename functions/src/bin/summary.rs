//! The `summary` Lambda: a Step Functions task → `shadowhunter_functions::tasks::summary`.

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use shadowhunter_core::ports::SystemClock;
use shadowhunter_core::steps::TaskKind;
use shadowhunter_functions::tasks::{TaskDeps, handle};
use shadowhunter_functions::wiring;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    wiring::init_tracing();
    let sdk = wiring::aws().await;

    let deps = Arc::new(TaskDeps {
        store: wiring::store(&sdk)?,
        clock: Arc::new(SystemClock),
        providers: wiring::providers(&sdk)?,
        llm: shadowhunter_providers::llm::client_from_env()?,
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let deps = Arc::clone(&deps);
        async move { handle(TaskKind::Summary, event.payload, &deps).await }
    }))
    .await
}

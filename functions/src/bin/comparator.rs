//! The `comparator` Lambda: a Step Functions task → `shadowhunter_functions::tasks::comparator`.

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use shadowhunter_core::ports::SystemClock;
use shadowhunter_core::steps::TaskKind;
use shadowhunter_functions::tasks::{TaskDeps, handle};
use shadowhunter_functions::{config, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    wiring::init_tracing();
    let sdk = wiring::aws().await;
    let kind = TaskKind::Comparator(config::channel()?);
    let deps = Arc::new(TaskDeps {
        store: wiring::store(&sdk)?,
        clock: Arc::new(SystemClock),
        providers: Default::default(),
        llm: None,
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let deps = Arc::clone(&deps);
        async move { handle(kind, event.payload, &deps).await }
    }))
    .await
}

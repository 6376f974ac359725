//! The `api` Lambda: API Gateway HTTP API → `shadowhunter_functions::api::handle`.

use std::sync::Arc;

use shadowhunter_aws::SqsCheckQueue;
use shadowhunter_core::ports::SystemClock;
use shadowhunter_core::submission::SubmissionLimits;
use shadowhunter_functions::api::{ApiDeps, handle};
use shadowhunter_functions::{config, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    wiring::init_tracing();
    let sdk = wiring::aws().await;
    let deps = Arc::new(ApiDeps {
        store: wiring::store(&sdk)?,
        queue: Arc::new(SqsCheckQueue::new(
            aws_sdk_sqs::Client::new(&sdk),
            config::required("CHECK_QUEUE_URL")?,
        )),
        clock: Arc::new(SystemClock),
        limits: SubmissionLimits::default(),
    });
    lambda_http::run(lambda_http::service_fn(move |request| {
        let deps = Arc::clone(&deps);
        async move { Ok::<_, lambda_http::Error>(handle(request, &deps).await) }
    }))
    .await
}

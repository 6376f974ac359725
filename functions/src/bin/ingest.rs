//! The `ingest` Lambda: SQS batch → one Step Functions execution per check, with partial batch failures.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use shadowhunter_aws::StepFunctionsWorkflow;
use shadowhunter_core::ports::SystemClock;
use shadowhunter_functions::ingest::{IngestDeps, handle};
use shadowhunter_functions::{config, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    wiring::init_tracing();
    let sdk = wiring::aws().await;
    let deps = Arc::new(IngestDeps {
        store: wiring::store(&sdk)?,
        workflow: Arc::new(StepFunctionsWorkflow::new(
            aws_sdk_sfn::Client::new(&sdk),
            config::required("STATE_MACHINE_ARN")?,
        )),
        clock: Arc::new(SystemClock),
        max_checks_per_message: 100,
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let deps = Arc::clone(&deps);
        async move { Ok::<_, lambda_runtime::Error>(handle(event.payload, &deps).await) }
    }))
    .await
}

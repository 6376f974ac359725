//! AWS adapters: the DynamoDB `CheckStore` and response cache, SQS submissions, Step Functions executions.
//!
//! Every adapter takes an SDK client built once from [`sdk_config`] and implements one port of
//! `shadowhunter_core::ports` (or the providers' [`ResponseCache`](shadowhunter_providers::resilient::ResponseCache)):
//!
//! | port | adapter | AWS |
//! |------|---------|-----|
//! | `CheckStore` | [`DynamoStore`] | one DynamoDB table, layout in [`table`] |
//! | `ResponseCache` | [`DynamoResponseCache`] | the same table, `RESPONSE#…` items |
//! | `CheckQueue` | [`SqsCheckQueue`] | an SQS standard queue, `SendMessageBatch` |
//! | `Workflow` | [`StepFunctionsWorkflow`] | a Step Functions state machine, `StartExecution` |
//!
//! Failures are [`AwsError`]s, split into retryable and fatal by [`is_retryable`], then mapped into each port's
//! error type.

mod codec;
mod config;
mod error;
mod queue;
mod response_cache;
mod store;
pub mod table;
mod workflow;

pub use codec::MAX_ITEM_BYTES;
pub use config::{LOCAL_REGION, sdk_config};
pub use error::{AwsError, is_retryable};
pub use queue::{BATCH_SIZE, DEFAULT_ATTEMPTS, SqsCheckQueue};
pub use response_cache::DynamoResponseCache;
pub use store::{DEFAULT_RETENTION, DynamoStore};
pub use table::create_table;
pub use workflow::StepFunctionsWorkflow;

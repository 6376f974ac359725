//! What the worker pool runs for each check: the whole pipeline, behind a trait so the pool is testable.

use async_trait::async_trait;
use shadowhunter_core::{Check, Report};

use crate::execution_store::PriorRun;

/// Runs one check to its report, writing intermediate results to the store as it goes; an `Ok` report is stored
/// and the check marked done (the state machine's summary step does both).
#[async_trait]
pub trait CheckRunner: Send + Sync {
    async fn run(&self, check: &Check, prior: PriorRun) -> anyhow::Result<Report>;
}

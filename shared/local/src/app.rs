//! Wiring shared by the CLI commands: where providers come from, and the runner the worker pool calls.

use std::sync::Arc;

use async_trait::async_trait;
use shadowhunter_core::llm::Llm;
use shadowhunter_core::ports::{CheckStore, Clock, Providers};
use shadowhunter_core::{Check, Report};

use crate::execution_store::PriorRun;
use crate::runner::CheckRunner;
use crate::sandboxed::SandboxedWorlds;
use crate::workflow::{LocalFunctions, LocalStateMachine};

/// Where a check's providers come from: the configured real APIs, or the sandbox world of its scenario.
#[derive(Clone)]
pub enum ProviderSource {
    Configured(Providers),
    Sandbox(Arc<SandboxedWorlds>),
}

impl ProviderSource {
    pub fn providers_for(&self, check: &Check) -> Providers {
        match self {
            ProviderSource::Configured(providers) => providers.clone(),
            ProviderSource::Sandbox(worlds) => worlds.providers_for(&check.request.subject),
        }
    }
}

/// Runs a check through the state machine (`crate::workflow`), storing evidence, verdicts and the report as it
/// goes.
pub struct PipelineRunner {
    pub providers: ProviderSource,
    pub store: Arc<dyn CheckStore>,
    pub clock: Arc<dyn Clock>,
    /// The LLM that reviews what the rules leave open; `None` runs the deterministic judge alone.
    pub llm: Option<Arc<dyn Llm>>,
}

impl PipelineRunner {
    fn state_machine(&self) -> LocalStateMachine {
        let source = self.providers.clone();
        LocalStateMachine::new(LocalFunctions {
            store: Arc::clone(&self.store),
            clock: Arc::clone(&self.clock),
            llm: self.llm.clone(),
            providers: Arc::new(move |check: &Check| source.providers_for(check)),
        })
    }
}

#[async_trait]
impl CheckRunner for PipelineRunner {
    async fn run(&self, check: &Check, prior: PriorRun) -> anyhow::Result<Report> {
        Ok(self.state_machine().run(check, prior).await?)
    }
}

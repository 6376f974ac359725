//! `StepFunctionsWorkflow`: the [`Workflow`] port as a `StartExecution` on the check state machine.
//!
//! The execution is named after the check id, and its input is the [`ExecutionInput`] JSON. Names are unique
//! per state machine (for 90 days after an execution closes), so a second start of the same check is
//! `ExecutionAlreadyExists` — or, while a Standard execution with the same input runs, the same execution
//! again — and both count as started. Express state machines do not keep names unique; the idempotency holds
//! for Standard ones only.

use async_trait::async_trait;
use aws_sdk_sfn::Client;
use shadowhunter_core::ports::{DispatchError, ExecutionInput, Workflow};
use tracing::{debug, instrument};

use crate::error::AwsError;

/// The [`Workflow`] over one Step Functions state machine.
#[derive(Clone)]
pub struct StepFunctionsWorkflow {
    client: Client,
    state_machine_arn: String,
}

impl StepFunctionsWorkflow {
    /// Starts executions of the state machine `state_machine_arn`.
    pub fn new(client: Client, state_machine_arn: impl Into<String>) -> Self {
        Self {
            client,
            state_machine_arn: state_machine_arn.into(),
        }
    }

    pub fn state_machine_arn(&self) -> &str {
        &self.state_machine_arn
    }
}

#[async_trait]
impl Workflow for StepFunctionsWorkflow {
    #[instrument(skip_all, fields(check_id = %input.check_id))]
    async fn start(&self, input: &ExecutionInput) -> Result<(), DispatchError> {
        let json = serde_json::to_string(input)
            .map_err(|err| DispatchError::Fatal(format!("cannot encode the execution input: {err}")))?;
        let started = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(input.check_id.as_str())
            .input(json)
            .send()
            .await;
        match started {
            Ok(output) => {
                debug!(execution_arn = output.execution_arn(), "execution started");
                Ok(())
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|err| err.is_execution_already_exists()) =>
            {
                debug!("the check's execution exists already");
                Ok(())
            }
            Err(err) => Err(AwsError::from_sdk("StepFunctions.StartExecution", err).into()),
        }
    }
}

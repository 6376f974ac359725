//! The LLM port: chat completions with tool calls and JSON-schema output, in the core's own types, so the
//! domain never depends on a client library. Adapters (OpenAI-compatible over HTTP) live in the providers crate.

pub mod agent;
pub mod judge;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum ChatMessage {
    System {
        content: String,
    },
    User {
        content: String,
    },
    Assistant {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
    },
    /// The result of a tool call, fed back to the model; always collected data, never instructions.
    Tool {
        tool_call_id: String,
        content: String,
    },
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments object.
    pub parameters: serde_json::Value,
}

/// A call the model asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments as the model wrote them: a JSON object in a string, not yet trusted.
    pub arguments: String,
}

/// A strict JSON schema the answer must follow (`response_format: json_schema`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSchema {
    pub name: String,
    pub schema: serde_json::Value,
}

/// One chat-completions request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub messages: Vec<ChatMessage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<OutputSchema>,
    pub max_tokens: u32,
    pub temperature: f32,
}

/// Tokens a call consumed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Usage {
    pub fn total(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    pub content: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
    pub model: String,
    /// Whether the answer came from the response cache (no call was made).
    #[serde(default)]
    pub cached: bool,
}

/// Why a chat call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LlmError {
    #[error("no LLM is configured")]
    NotConfigured,
    #[error("the LLM is rate limiting (retry after {retry_after_s:?} s)")]
    RateLimited { retry_after_s: Option<u64> },
    #[error("the LLM answered HTTP {status}")]
    Unavailable { status: u16 },
    #[error("the LLM did not answer within {timeout_ms} ms")]
    Timeout { timeout_ms: u64 },
    #[error("the LLM answered in an unexpected format: {detail}")]
    Malformed { detail: String },
    #[error("the LLM circuit is open after repeated failures")]
    CircuitOpen,
    #[error("the check's LLM budget is spent")]
    BudgetExhausted,
    #[error("could not reach the LLM: {detail}")]
    Transport { detail: String },
}

/// A chat-completions model.
#[async_trait]
pub trait Llm: Send + Sync {
    /// The model's name, reported as the evaluator.
    fn model(&self) -> &str;
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError>;
}

/// What the LLM cost a check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LlmUsage {
    /// Calls sent to the model (cache hits excluded).
    pub calls: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Calls that failed and fell back to the deterministic path.
    pub failures: u32,
}

impl LlmUsage {
    pub fn record(&mut self, response: &ChatResponse) {
        if !response.cached {
            self.calls += 1;
            self.prompt_tokens += response.usage.prompt_tokens;
            self.completion_tokens += response.usage.completion_tokens;
        }
    }

    pub fn tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

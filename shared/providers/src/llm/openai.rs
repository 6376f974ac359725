//! `OpenAiCompatible`: the `Llm` port over any OpenAI-compatible chat-completions endpoint, within its limits.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls, ChatCompletionRequestAssistantMessage,
    ChatCompletionRequestAssistantMessageContent, ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestToolMessage,
    ChatCompletionRequestToolMessageContent, ChatCompletionRequestUserMessage, ChatCompletionRequestUserMessageContent,
    ChatCompletionTool, ChatCompletionToolChoiceOption, ChatCompletionTools, CreateChatCompletionRequest,
    CreateChatCompletionResponse, FunctionCall, FunctionObject, ResponseFormat, ResponseFormatJsonSchema,
    ToolChoiceOptions,
};
use async_trait::async_trait;
use shadowhunter_core::ProviderError;
use shadowhunter_core::llm::{ChatMessage, ChatRequest, ChatResponse, Llm, LlmError, ToolCall, Usage};

use super::{LlmConfig, MaxTokensField, schema};
use crate::http::{self, HttpPolicy};
use crate::limits::{CircuitOpen, CircuitState, Failure, Limits};

/// An OpenAI-compatible chat-completions endpoint (OpenAI, DeepSeek, DashScope compatible mode, vLLM, Ollama,
/// llama.cpp), called within its rate limits, concurrency cap, retries and circuit breaker, behind a response cache.
#[derive(Debug)]
pub struct OpenAiCompatible {
    client: reqwest::Client,
    config: LlmConfig,
    completions_url: String,
    limits: Limits,
    cache: Option<moka::future::Cache<u128, ChatResponse>>,
    /// Two independently keyed SipHashes make a 128-bit cache key: no realistic collision, and random keys mean no
    /// one can craft one.
    cache_hashers: (RandomState, RandomState),
}

impl OpenAiCompatible {
    /// The adapter for `config`, sending with `client` (share one per process, for its connection pool).
    pub fn new(client: reqwest::Client, config: LlmConfig) -> Self {
        let cache = (config.cache_capacity > 0).then(|| moka::future::Cache::new(config.cache_capacity));
        Self {
            client,
            completions_url: format!("{}/chat/completions", config.base_url.trim_end_matches('/')),
            limits: Limits::new(&config.limits()),
            cache,
            cache_hashers: (RandomState::new(), RandomState::new()),
            config,
        }
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// Where the circuit breaker stands (open: every call fails fast with `CircuitOpen`).
    pub fn circuit(&self) -> CircuitState {
        self.limits.breaker().state()
    }

    /// Sends `body` within the limits, retrying what is transient.
    async fn call(&self, request: &ChatRequest, body: &[u8]) -> Result<ChatResponse, LlmError> {
        let tokens = estimate_tokens(body.len(), request.max_tokens);
        self.limits
            .run(tokens, |failed: &Failed| failed.failure, || self.attempt(request, body))
            .await
            .map_err(|failed| failed.error)
    }

    async fn attempt(&self, request: &ChatRequest, body: &[u8]) -> Result<ChatResponse, Failed> {
        // Retries are the limits' job (jittered, capped, breaker-aware), so the shared plumbing sends once.
        let policy = HttpPolicy {
            timeout: self.config.timeout,
            max_retries: 0,
            max_retry_wait: Duration::ZERO,
        };
        let sent = http::send(&policy, || {
            let builder = self
                .client
                .post(&self.completions_url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
            match &self.config.api_key {
                Some(key) => builder.bearer_auth(key),
                None => builder,
            }
        })
        .await;
        match sent {
            Ok(Some(answer)) => self.decode(request, body.len(), &answer),
            // The shared plumbing reads 404 as "no such record"; here it means a wrong base URL or model.
            Ok(None) => Err(Failed::upstream(LlmError::Unavailable { status: 404 })),
            Err(err) => Err(Failed::from_transport(err)),
        }
    }

    fn decode(&self, request: &ChatRequest, request_len: usize, answer: &[u8]) -> Result<ChatResponse, Failed> {
        let wire: CreateChatCompletionResponse = serde_json::from_slice(answer)
            .map_err(|err| Failed::upstream(malformed(format!("not a chat completion: {err}"))))?;
        let model = if wire.model.is_empty() {
            self.config.model.clone()
        } else {
            wire.model
        };
        let Some(choice) = wire.choices.into_iter().next() else {
            return Err(Failed::upstream(malformed("a chat completion without choices".into())));
        };
        let message = choice.message;
        if let (None, Some(refusal)) = (&message.content, &message.refusal) {
            return Err(Failed::request(malformed(format!("the model refused: {refusal}"))));
        }
        let tool_calls = message
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .map(|call| match call {
                ChatCompletionMessageToolCalls::Function(call) => Ok(ToolCall {
                    id: call.id,
                    name: call.function.name,
                    arguments: call.function.arguments,
                }),
                ChatCompletionMessageToolCalls::Custom(call) => Err(Failed::request(malformed(format!(
                    "a custom tool call ({}) where only functions were offered",
                    call.custom_tool.name
                )))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(output_schema) = &request.output_schema
            && tool_calls.is_empty()
        {
            let content = message.content.as_deref().unwrap_or_default();
            let answer: serde_json::Value = serde_json::from_str(content)
                .map_err(|err| Failed::request(malformed(format!("the answer is not JSON: {err}"))))?;
            schema::validate(&answer, &output_schema.schema).map_err(|violation| {
                Failed::request(malformed(format!(
                    "the answer breaks schema {}: {violation}",
                    output_schema.name
                )))
            })?;
        }
        let usage = match wire.usage {
            Some(usage) => Usage {
                prompt_tokens: usage.prompt_tokens.into(),
                completion_tokens: usage.completion_tokens.into(),
            },
            None => {
                // Some compatible servers leave usage out; an estimate keeps the per-check budget honest.
                let completion_len = message.content.as_ref().map_or(0, String::len)
                    + tool_calls
                        .iter()
                        .map(|call| call.name.len() + call.arguments.len())
                        .sum::<usize>();
                tracing::debug!("the answer has no usage block; estimating");
                Usage {
                    prompt_tokens: (request_len / 4) as u64,
                    completion_tokens: completion_len.div_ceil(4) as u64,
                }
            }
        };
        Ok(ChatResponse {
            content: message.content,
            tool_calls,
            usage,
            model,
            cached: false,
        })
    }

    fn cache_key(&self, body: &[u8]) -> u128 {
        let (high, low) = &self.cache_hashers;
        (u128::from(high.hash_one(body)) << 64) | u128::from(low.hash_one(body))
    }
}

#[async_trait]
impl Llm for OpenAiCompatible {
    fn model(&self) -> &str {
        &self.config.model
    }

    #[tracing::instrument(skip(self, request), fields(model = %self.config.model, cached))]
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let body = serde_json::to_vec(&to_wire(&self.config, request))
            .map_err(|err| malformed(format!("the request does not serialize: {err}")))?;
        let Some(cache) = &self.cache else {
            return self.call(request, &body).await;
        };
        // The key is the exact wire body, model included: any change to the request is another answer.
        // `try_get_with` runs one call for identical requests in flight together and hands all of them its answer;
        // failures are not cached.
        let mut called = false;
        let answer = cache
            .try_get_with(self.cache_key(&body), async {
                called = true;
                self.call(request, &body).await
            })
            .await;
        let mut response = answer.map_err(|err| (*err).clone())?;
        if !called {
            response.cached = true;
            response.usage = Usage::default();
        }
        tracing::Span::current().record("cached", response.cached);
        Ok(response)
    }
}

/// A failed attempt and how it counts for retries and the breaker.
#[derive(Debug)]
struct Failed {
    error: LlmError,
    failure: Failure,
}

impl Failed {
    fn upstream(error: LlmError) -> Self {
        Self {
            error,
            failure: Failure::Upstream,
        }
    }

    fn request(error: LlmError) -> Self {
        Self {
            error,
            failure: Failure::Request,
        }
    }

    fn from_transport(err: ProviderError) -> Self {
        match err {
            ProviderError::RateLimited { retry_after_s } => Self {
                error: LlmError::RateLimited { retry_after_s },
                failure: Failure::Transient {
                    retry_after: retry_after_s.map(Duration::from_secs),
                },
            },
            ProviderError::Unavailable { status } => Self {
                error: LlmError::Unavailable { status },
                failure: match status {
                    500.. | 408 => Failure::Transient { retry_after: None },
                    // A refused key or a wrong model fails every call alike: let the breaker see it.
                    401 | 403 | 404 => Failure::Upstream,
                    _ => Failure::Request,
                },
            },
            // Not retried: the attempt already spent the whole timeout, and the check has a deterministic fallback.
            ProviderError::Timeout { timeout_ms } => Self::upstream(LlmError::Timeout { timeout_ms }),
            ProviderError::Malformed { detail } => Self::upstream(LlmError::Malformed { detail }),
            ProviderError::Transport { detail } => Self {
                error: LlmError::Transport { detail },
                failure: Failure::Transient { retry_after: None },
            },
            ProviderError::NotConfigured => Self::upstream(LlmError::NotConfigured),
            ProviderError::Unreachable { detail } => Self::upstream(LlmError::Transport { detail }),
        }
    }
}

impl From<CircuitOpen> for Failed {
    fn from(_: CircuitOpen) -> Self {
        Self::upstream(LlmError::CircuitOpen)
    }
}

fn malformed(detail: String) -> LlmError {
    LlmError::Malformed { detail }
}

/// Tokens a request may consume, for the tokens bucket: about four characters a token, plus the whole answer.
fn estimate_tokens(body_len: usize, max_tokens: u32) -> u32 {
    u32::try_from(body_len / 4)
        .unwrap_or(u32::MAX)
        .saturating_add(max_tokens)
}

/// The chat-completions request for `request`: tools offered with `tool_choice: auto` and parallel calls allowed,
/// an output schema as a strict `json_schema` response format.
fn to_wire(config: &LlmConfig, request: &ChatRequest) -> CreateChatCompletionRequest {
    let tools: Vec<ChatCompletionTools> = request
        .tools
        .iter()
        .map(|tool| {
            ChatCompletionTools::Function(ChatCompletionTool {
                function: FunctionObject {
                    name: tool.name.clone(),
                    description: Some(tool.description.clone()),
                    parameters: Some(tool.parameters.clone()),
                    strict: None,
                },
            })
        })
        .collect();
    let has_tools = !tools.is_empty();
    let mut wire = CreateChatCompletionRequest {
        model: config.model.clone(),
        messages: request.messages.iter().map(wire_message).collect(),
        tools: has_tools.then_some(tools),
        tool_choice: has_tools.then_some(ChatCompletionToolChoiceOption::Mode(ToolChoiceOptions::Auto)),
        parallel_tool_calls: has_tools.then_some(true),
        response_format: request.output_schema.as_ref().map(|output| ResponseFormat::JsonSchema {
            json_schema: ResponseFormatJsonSchema {
                description: None,
                name: output.name.clone(),
                schema: output.schema.clone(),
                strict: Some(true),
            },
        }),
        temperature: Some(request.temperature),
        ..CreateChatCompletionRequest::default()
    };
    match config.max_tokens_field {
        MaxTokensField::MaxCompletionTokens => wire.max_completion_tokens = Some(request.max_tokens),
        // Deprecated by OpenAI, yet the only limit most compatible servers read.
        #[allow(deprecated)]
        MaxTokensField::MaxTokens => wire.max_tokens = Some(request.max_tokens),
    }
    wire
}

fn wire_message(message: &ChatMessage) -> ChatCompletionRequestMessage {
    match message {
        ChatMessage::System { content } => ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
            content: ChatCompletionRequestSystemMessageContent::Text(content.clone()),
            name: None,
        }),
        ChatMessage::User { content } => ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
            content: ChatCompletionRequestUserMessageContent::Text(content.clone()),
            name: None,
        }),
        ChatMessage::Assistant { content, tool_calls } => {
            let tool_calls: Vec<_> = tool_calls
                .iter()
                .map(|call| {
                    ChatCompletionMessageToolCalls::Function(ChatCompletionMessageToolCall {
                        id: call.id.clone(),
                        function: FunctionCall {
                            name: call.name.clone(),
                            arguments: call.arguments.clone(),
                        },
                    })
                })
                .collect();
            ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage {
                content: content.clone().map(ChatCompletionRequestAssistantMessageContent::Text),
                tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
                ..ChatCompletionRequestAssistantMessage::default()
            })
        }
        ChatMessage::Tool { tool_call_id, content } => {
            ChatCompletionRequestMessage::Tool(ChatCompletionRequestToolMessage {
                content: ChatCompletionRequestToolMessageContent::Text(content.clone()),
                tool_call_id: tool_call_id.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;
    use std::sync::Arc;

    use serde_json::{Value, json};
    use shadowhunter_core::llm::{OutputSchema, ToolSpec};
    use shadowhunter_sandbox::llm::{LlmServer, Reply, RunningLlmServer};

    use super::*;

    async fn start(server: LlmServer) -> RunningLlmServer {
        server
            .start("127.0.0.1:0".parse().expect("loopback address"))
            .await
            .expect("LLM test server starts")
    }

    /// Quick to fail, quick to retry; `tweak` adjusts it per test.
    fn adapter(server: &RunningLlmServer, tweak: impl FnOnce(&mut LlmConfig)) -> OpenAiCompatible {
        let mut config = LlmConfig::new(server.base_url(), "gpt-test").with_api_key("sk-test");
        config.timeout = Duration::from_secs(2);
        config.max_retry_wait = Duration::from_secs(5);
        config.breaker_failures = 3;
        config.breaker_cool_down = Duration::from_secs(60);
        tweak(&mut config);
        OpenAiCompatible::new(http::client(), config)
    }

    fn ask(question: &str) -> ChatRequest {
        ChatRequest {
            messages: vec![
                ChatMessage::System {
                    content: "You are a due-diligence analyst.".into(),
                },
                ChatMessage::User {
                    content: question.into(),
                },
            ],
            tools: Vec::new(),
            output_schema: None,
            max_tokens: 200,
            temperature: 0.0,
        }
    }

    fn verdict_schema() -> OutputSchema {
        OutputSchema {
            name: "verdicts".into(),
            schema: json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["verdicts"],
                "properties": {
                    "verdicts": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["channel", "verdict"],
                            "properties": {
                                "channel": { "type": "string" },
                                "verdict": { "type": "string", "enum": ["consistent", "inconsistent"] }
                            }
                        }
                    }
                }
            }),
        }
    }

    fn tool(name: &str) -> ToolSpec {
        ToolSpec {
            name: name.into(),
            description: format!("Looks the subject up with {name}."),
            parameters: json!({ "type": "object", "properties": { "query": { "type": "string" } }, "required": ["query"] }),
        }
    }

    #[tokio::test]
    async fn a_text_answer_comes_back_with_its_model_and_usage() {
        let server = start(LlmServer::scripted([
            Reply::text("Nothing stands out.").with_usage(42, 5)
        ]))
        .await;
        let response = adapter(&server, |_| {})
            .chat(&ask("Anything odd?"))
            .await
            .expect("answers");
        assert_eq!(response.content.as_deref(), Some("Nothing stands out."));
        assert!(response.tool_calls.is_empty());
        assert_eq!(
            response.usage,
            Usage {
                prompt_tokens: 42,
                completion_tokens: 5
            }
        );
        assert_eq!(response.model, "gpt-test");
        assert!(!response.cached);

        let sent = &server.requests()[0];
        assert_eq!(sent.authorization.as_deref(), Some("Bearer sk-test"));
        assert_eq!(sent.body["model"], "gpt-test");
        assert_eq!(sent.body["max_tokens"], 200);
        assert_eq!(
            sent.body["messages"][0],
            json!({ "role": "system", "content": "You are a due-diligence analyst." })
        );
        assert_eq!(sent.body["messages"][1]["role"], "user");
        assert!(sent.body.get("tools").is_none() && sent.body.get("response_format").is_none());
    }

    #[tokio::test]
    async fn parallel_tool_calls_come_back_in_order_and_the_tools_are_offered_with_auto_choice() {
        let server = start(LlmServer::scripted([Reply::tool_calls([
            ("web_search", json!({ "query": "Acme Trading Ltd" })),
            ("customs_lookup", json!({ "query": "Acme Trading" })),
            ("x_user", json!({ "query": "acmetrading" })),
        ])]))
        .await;
        let mut request = ask("Gather evidence on Acme Trading Ltd.");
        request.tools = vec![tool("web_search"), tool("customs_lookup"), tool("x_user")];
        let response = adapter(&server, |_| {}).chat(&request).await.expect("answers");

        let names: Vec<&str> = response.tool_calls.iter().map(|call| call.name.as_str()).collect();
        assert_eq!(names, ["web_search", "customs_lookup", "x_user"]);
        assert_eq!(response.tool_calls[1].id, "call_2");
        let arguments: Value = serde_json::from_str(&response.tool_calls[0].arguments).expect("arguments are JSON");
        assert_eq!(arguments, json!({ "query": "Acme Trading Ltd" }));
        assert_eq!(response.content, None);

        let sent = &server.requests()[0].body;
        assert_eq!(sent["tool_choice"], "auto");
        assert_eq!(sent["parallel_tool_calls"], true);
        assert_eq!(sent["tools"][2]["type"], "function");
        assert_eq!(sent["tools"][2]["function"]["name"], "x_user");
        assert_eq!(sent["tools"][2]["function"]["parameters"]["required"], json!(["query"]));
    }

    #[tokio::test]
    async fn a_tool_round_trip_is_sent_as_assistant_tool_calls_and_tool_messages() {
        let server = start(LlmServer::null()).await;
        let mut request = ask("Gather evidence.");
        request.tools = vec![tool("web_search")];
        request.messages.push(ChatMessage::Assistant {
            content: None,
            tool_calls: vec![ToolCall {
                id: "call_1".into(),
                name: "web_search".into(),
                arguments: "{\"query\":\"Acme\"}".into(),
            }],
        });
        request.messages.push(ChatMessage::Tool {
            tool_call_id: "call_1".into(),
            content: "<data>3 results</data>".into(),
        });
        let response = adapter(&server, |_| {}).chat(&request).await.expect("answers");
        assert!(response.tool_calls.is_empty(), "the null server calls no tools");

        let sent = &server.requests()[0].body;
        assert_eq!(
            sent["messages"][2],
            json!({ "role": "assistant", "tool_calls": [{ "id": "call_1", "type": "function",
                "function": { "name": "web_search", "arguments": "{\"query\":\"Acme\"}" } }] })
        );
        assert_eq!(
            sent["messages"][3],
            json!({ "role": "tool", "tool_call_id": "call_1", "content": "<data>3 results</data>" })
        );
    }

    #[tokio::test]
    async fn a_json_schema_answer_is_parsed_and_the_schema_is_sent_strict() {
        let answer = json!({ "verdicts": [{ "channel": "linkedin", "verdict": "inconsistent" }] });
        let server = start(LlmServer::scripted([Reply::json(&answer)])).await;
        let mut request = ask("Judge the ambiguous fields.");
        request.output_schema = Some(verdict_schema());
        let response = adapter(&server, |_| {}).chat(&request).await.expect("answers");
        let parsed: Value = serde_json::from_str(response.content.as_deref().unwrap_or_default()).expect("JSON");
        assert_eq!(parsed, answer);

        let format = &server.requests()[0].body["response_format"];
        assert_eq!(format["type"], "json_schema");
        assert_eq!(format["json_schema"]["name"], "verdicts");
        assert_eq!(format["json_schema"]["strict"], true);
        assert_eq!(format["json_schema"]["schema"], verdict_schema().schema);
    }

    #[tokio::test]
    async fn the_null_servers_minimal_instance_satisfies_the_schema() {
        let server = start(LlmServer::null()).await;
        let mut request = ask("Judge the ambiguous fields.");
        request.output_schema = Some(verdict_schema());
        let response = adapter(&server, |_| {}).chat(&request).await.expect("answers");
        assert_eq!(response.content.as_deref(), Some("{\"verdicts\":[]}"));
        assert!(response.usage.total() > 0, "the null server always reports usage");
    }

    #[tokio::test]
    async fn an_answer_that_breaks_its_schema_is_malformed_and_not_cached() {
        let server = start(LlmServer::scripted([
            Reply::schema_violating(),
            Reply::json(&json!({ "verdicts": [] })),
        ]))
        .await;
        let llm = adapter(&server, |_| {});
        let mut request = ask("Judge the ambiguous fields.");
        request.output_schema = Some(verdict_schema());
        let err = llm.chat(&request).await.expect_err("the answer breaks the schema");
        assert!(
            matches!(&err, LlmError::Malformed { detail } if detail.contains("breaks schema verdicts")),
            "{err:?}"
        );
        // The same request again reaches the model: a refused answer was not cached.
        assert_eq!(
            llm.chat(&request).await.expect("second answer").content.as_deref(),
            Some("{\"verdicts\":[]}")
        );
        assert_eq!(server.calls(), 2);
        assert_eq!(llm.circuit(), CircuitState::Closed);
    }

    #[tokio::test]
    async fn a_rate_limited_call_waits_for_its_retry_after_then_succeeds() {
        let server = start(LlmServer::scripted([Reply::rate_limited(1), Reply::text("ok")])).await;
        let started = tokio::time::Instant::now();
        let response = adapter(&server, |_| {})
            .chat(&ask("Hello"))
            .await
            .expect("succeeds on retry");
        assert_eq!(response.content.as_deref(), Some("ok"));
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "waited {:?}",
            started.elapsed()
        );
        assert_eq!(server.calls(), 2);
    }

    #[tokio::test]
    async fn a_retry_after_beyond_the_wait_cap_fails_rate_limited_at_once() {
        let server = start(LlmServer::scripted([Reply::rate_limited(60), Reply::text("ok")])).await;
        let err = adapter(&server, |_| {})
            .chat(&ask("Hello"))
            .await
            .expect_err("not worth waiting");
        assert_eq!(
            err,
            LlmError::RateLimited {
                retry_after_s: Some(60)
            }
        );
        assert_eq!(server.calls(), 1);
    }

    #[tokio::test]
    async fn a_server_error_is_retried_then_succeeds() {
        let server = start(LlmServer::scripted([
            Reply::status(500),
            Reply::status(503),
            Reply::text("ok"),
        ]))
        .await;
        let response = adapter(&server, |_| {})
            .chat(&ask("Hello"))
            .await
            .expect("succeeds on retry");
        assert_eq!(response.content.as_deref(), Some("ok"));
        assert_eq!(server.calls(), 3);
    }

    #[tokio::test]
    async fn a_rejected_request_is_unavailable_without_retries() {
        let server = start(LlmServer::scripted([Reply::status(400), Reply::text("ok")])).await;
        let err = adapter(&server, |_| {})
            .chat(&ask("Hello"))
            .await
            .expect_err("rejected");
        assert_eq!(err, LlmError::Unavailable { status: 400 });
        assert_eq!(server.calls(), 1);
    }

    #[tokio::test]
    async fn a_slow_answer_times_out() {
        let server = start(LlmServer::scripted([Reply::delayed(
            Duration::from_secs(5),
            Reply::text("late"),
        )]))
        .await;
        let llm = adapter(&server, |config| config.timeout = Duration::from_millis(200));
        let err = llm.chat(&ask("Hello")).await.expect_err("too slow");
        assert_eq!(err, LlmError::Timeout { timeout_ms: 200 });
        assert_eq!(server.calls(), 1, "a timeout is not retried");
    }

    #[tokio::test]
    async fn an_invalid_json_body_is_malformed() {
        let server = start(LlmServer::scripted([Reply::invalid_json()])).await;
        let err = adapter(&server, |_| {})
            .chat(&ask("Hello"))
            .await
            .expect_err("broken body");
        assert!(
            matches!(&err, LlmError::Malformed { detail } if detail.contains("not a chat completion")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_json_body_that_is_not_a_completion_is_malformed() {
        let server = start(LlmServer::scripted([Reply::Json(
            json!({ "object": "list", "data": [] }),
        )]))
        .await;
        let err = adapter(&server, |_| {})
            .chat(&ask("Hello"))
            .await
            .expect_err("wrong shape");
        assert!(matches!(err, LlmError::Malformed { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn the_circuit_opens_after_repeated_failures_and_then_fails_fast() {
        let server = start(LlmServer::scripted([Reply::status(502)])).await;
        let llm = adapter(&server, |config| config.max_retries = 0);
        for question in ["one", "two", "three"] {
            assert_eq!(
                llm.chat(&ask(question)).await,
                Err(LlmError::Unavailable { status: 502 })
            );
        }
        assert_eq!(llm.circuit(), CircuitState::Open);
        let started = tokio::time::Instant::now();
        assert_eq!(llm.chat(&ask("four")).await, Err(LlmError::CircuitOpen));
        assert!(started.elapsed() < Duration::from_millis(50));
        assert_eq!(server.calls(), 3, "an open circuit sends nothing");
    }

    #[tokio::test]
    async fn identical_requests_are_answered_once_and_then_from_the_cache() {
        let server = start(LlmServer::scripted([Reply::delayed(
            Duration::from_millis(200),
            Reply::text("cached answer").with_usage(100, 10),
        )]))
        .await;
        let llm = Arc::new(adapter(&server, |_| {}));
        // Two identical requests in flight together share one call …
        let (request, same) = (ask("Same question"), ask("Same question"));
        let (first, second) = tokio::join!(llm.chat(&request), llm.chat(&same));
        let (first, second) = (first.expect("answers"), second.expect("answers"));
        // … and a later one is a cache hit.
        let third = llm.chat(&ask("Same question")).await.expect("answers");
        assert_eq!(server.calls(), 1);
        let responses = [&first, &second, &third];
        assert!(
            responses
                .iter()
                .all(|response| response.content.as_deref() == Some("cached answer"))
        );
        assert_eq!(responses.iter().filter(|response| !response.cached).count(), 1);
        let fresh = responses
            .iter()
            .find(|response| !response.cached)
            .expect("one call was made");
        assert_eq!(fresh.usage.total(), 110);
        assert!(
            responses
                .iter()
                .filter(|response| response.cached)
                .all(|response| response.usage == Usage::default())
        );

        // Any difference is another request.
        let mut warmer = ask("Same question");
        warmer.temperature = 0.7;
        assert!(!llm.chat(&warmer).await.expect("answers").cached);
        assert_eq!(server.calls(), 2);
    }

    #[tokio::test]
    async fn the_requests_bucket_delays_the_call_past_its_limit() {
        let server = start(LlmServer::null()).await;
        // 120 a minute bursts two calls, then one every 500 ms.
        let llm = adapter(&server, |config| config.requests_per_minute = NonZeroU32::new(120));
        let started = tokio::time::Instant::now();
        llm.chat(&ask("one")).await.expect("answers");
        llm.chat(&ask("two")).await.expect("answers");
        assert!(
            started.elapsed() < Duration::from_millis(300),
            "{:?}",
            started.elapsed()
        );
        llm.chat(&ask("three")).await.expect("answers");
        assert!(
            started.elapsed() >= Duration::from_millis(400),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn the_concurrency_cap_holds_calls_in_flight_at_the_server() {
        const HOLD: Duration = Duration::from_millis(100);
        let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
        let server = start(LlmServer::new({
            let arrivals = arrivals.clone();
            move |_| {
                arrivals.lock().expect("test lock").push(std::time::Instant::now());
                Reply::delayed(HOLD, Reply::text("ok"))
            }
        }))
        .await;
        let llm = Arc::new(adapter(&server, |config| {
            config.max_concurrency = std::num::NonZeroUsize::new(2);
            config.cache_capacity = 0;
        }));
        let calls: Vec<_> = (0..5)
            .map(|index| {
                let llm = llm.clone();
                tokio::spawn(async move { llm.chat(&ask(&format!("question {index}"))).await })
            })
            .collect();
        for call in calls {
            call.await.expect("task runs").expect("answers");
        }
        assert_eq!(server.calls(), 5);
        // A call holds its slot until the server has held it for HOLD, so no three arrivals fall within HOLD.
        let arrivals = arrivals.lock().expect("test lock").clone();
        for arrival in &arrivals {
            let in_flight = arrivals
                .iter()
                .filter(|other| **other <= *arrival && arrival.duration_since(**other) < HOLD)
                .count();
            assert!(in_flight <= 2, "{in_flight} calls in flight at once");
        }
    }
}

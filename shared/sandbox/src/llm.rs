//! An OpenAI-compatible chat-completions server for tests: scripted per test, or `null()`, valid and inert.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

/// Decides each reply from the request body (the chat-completions JSON, as sent).
pub type Handler = Arc<dyn Fn(&Value) -> Reply + Send + Sync>;

/// `$ref` chains and nesting deeper than this yield `null` rather than recursing forever.
const MAX_SCHEMA_DEPTH: usize = 32;

/// One tool call in a completion.
#[derive(Debug, Clone, PartialEq)]
pub struct WireToolCall {
    pub id: String,
    pub name: String,
    /// The arguments object as a JSON string, as the wire carries it.
    pub arguments: String,
}

/// An assistant message, rendered in the real wire shape with the request's model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completion {
    pub content: Option<String>,
    pub tool_calls: Vec<WireToolCall>,
    /// `(prompt_tokens, completion_tokens)`; `None` estimates both from the text (about four characters a token).
    pub usage: Option<(u64, u64)>,
}

/// What the server answers to one call.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// HTTP 200 with a chat completion.
    Completion(Completion),
    /// HTTP 200 with this exact JSON body, for shapes the helpers do not build.
    Json(Value),
    /// An HTTP error with an OpenAI-style error body, and `Retry-After` (seconds) when given.
    Status { status: u16, retry_after_s: Option<u64> },
    /// Waits, then answers as `then` does.
    Delay { delay: Duration, then: Box<Reply> },
    /// HTTP 200 whose body is not JSON.
    InvalidJson,
}

impl Reply {
    /// A plain assistant message.
    pub fn text(content: impl Into<String>) -> Self {
        Reply::Completion(Completion {
            content: Some(content.into()),
            ..Completion::default()
        })
    }

    /// One turn calling every `(function name, arguments)` in parallel, with ids `call_1`, `call_2`, ….
    pub fn tool_calls<N: Into<String>>(calls: impl IntoIterator<Item = (N, Value)>) -> Self {
        let tool_calls = calls
            .into_iter()
            .enumerate()
            .map(|(index, (name, arguments))| WireToolCall {
                id: format!("call_{}", index + 1),
                name: name.into(),
                arguments: arguments.to_string(),
            })
            .collect();
        Reply::Completion(Completion {
            content: None,
            tool_calls,
            usage: None,
        })
    }

    /// A structured (`json_schema`) answer: `answer` serialized as the message content.
    pub fn json(answer: &Value) -> Self {
        Reply::text(answer.to_string())
    }

    /// Valid JSON that breaks any strict schema: an object with none of the required properties and one extra.
    pub fn schema_violating() -> Self {
        Reply::json(&json!({ "violates_the_schema": true }))
    }

    /// An HTTP error status, e.g. 500.
    pub fn status(status: u16) -> Self {
        Reply::Status {
            status,
            retry_after_s: None,
        }
    }

    /// HTTP 429 with `Retry-After: retry_after_s`.
    pub fn rate_limited(retry_after_s: u64) -> Self {
        Reply::Status {
            status: 429,
            retry_after_s: Some(retry_after_s),
        }
    }

    /// `then`, after `delay`.
    pub fn delayed(delay: Duration, then: Reply) -> Self {
        Reply::Delay {
            delay,
            then: Box::new(then),
        }
    }

    /// HTTP 200 with a body that is not JSON.
    pub fn invalid_json() -> Self {
        Reply::InvalidJson
    }

    /// Sets the usage block of a completion (other replies are unchanged).
    pub fn with_usage(self, prompt_tokens: u64, completion_tokens: u64) -> Self {
        match self {
            Reply::Completion(completion) => Reply::Completion(Completion {
                usage: Some((prompt_tokens, completion_tokens)),
                ..completion
            }),
            Reply::Delay { delay, then } => Reply::delayed(delay, then.with_usage(prompt_tokens, completion_tokens)),
            other => other,
        }
    }
}

/// A request as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    pub body: Value,
}

struct Shared {
    handler: Handler,
    calls: AtomicUsize,
    requests: Mutex<Vec<RecordedRequest>>,
}

impl Shared {
    fn requests(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        // Appends only: a panicking test thread cannot leave the list half-written.
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An OpenAI-compatible chat-completions server at `POST /v1/chat/completions`.
#[derive(Clone)]
pub struct LlmServer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LlmServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmServer")
            .field("calls", &self.calls())
            .finish_non_exhaustive()
    }
}

impl LlmServer {
    /// A server answering each call as `handler` decides from the request body.
    pub fn new(handler: impl Fn(&Value) -> Reply + Send + Sync + 'static) -> Self {
        Self {
            shared: Arc::new(Shared {
                handler: Arc::new(handler),
                calls: AtomicUsize::new(0),
                requests: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A server answering with `replies` in order, then repeating the last one (a null answer if there are none).
    pub fn scripted(replies: impl IntoIterator<Item = Reply>) -> Self {
        let script = Mutex::new(replies.into_iter().collect::<VecDeque<_>>());
        Self::new(move |request| {
            let mut script = script.lock().unwrap_or_else(PoisonError::into_inner);
            match script.len() {
                0 => null_reply(request),
                1 => script.front().cloned().unwrap_or_else(|| null_reply(request)),
                _ => script.pop_front().unwrap_or_else(|| null_reply(request)),
            }
        })
    }

    /// A server that answers every call validly and changes nothing: the minimal instance of the requested
    /// `json_schema`, or a plain assistant message without tool calls; always with a usage block.
    pub fn null() -> Self {
        Self::new(null_reply)
    }

    /// Calls received so far (malformed ones included).
    pub fn calls(&self) -> usize {
        self.shared.calls.load(Ordering::SeqCst)
    }

    /// The requests received so far whose body was JSON, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests().clone()
    }

    /// The router, for tests that drive it without a socket.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .with_state(self.shared.clone())
    }

    /// Serves on `addr` (port 0 picks a free one) until the returned handle is dropped.
    pub async fn start(self, addr: SocketAddr) -> std::io::Result<RunningLlmServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let router = self.router();
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, router).await {
                tracing::error!(error = %err, "LLM test server stopped");
            }
        });
        Ok(RunningLlmServer {
            addr,
            server: self,
            task,
        })
    }
}

/// A started [`LlmServer`]; stops when dropped.
#[derive(Debug)]
pub struct RunningLlmServer {
    addr: SocketAddr,
    server: LlmServer,
    task: tokio::task::JoinHandle<()>,
}

impl RunningLlmServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL an OpenAI-compatible client is given, e.g. `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Calls received so far (malformed ones included).
    pub fn calls(&self) -> usize {
        self.server.calls()
    }

    /// The requests received so far whose body was JSON, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }
}

impl Drop for RunningLlmServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn chat_completions(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let call = shared.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return error_response(400, None, &format!("the request body is not JSON: {err}")),
    };
    shared.requests().push(RecordedRequest {
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string),
        body: request.clone(),
    });
    let mut reply = (shared.handler)(&request);
    while let Reply::Delay { delay, then } = reply {
        tokio::time::sleep(delay).await;
        reply = *then;
    }
    match reply {
        Reply::Completion(completion) => axum::Json(completion_body(&request, &completion, call)).into_response(),
        Reply::Json(body) => axum::Json(body).into_response(),
        Reply::Status { status, retry_after_s } => {
            error_response(status, retry_after_s, "the test server was told to fail this call")
        }
        Reply::InvalidJson => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"id\": \"chatcmpl-broken\", \"choices\": [",
        )
            .into_response(),
        // Unwrapped by the loop above.
        Reply::Delay { .. } => error_response(500, None, "unreachable delay"),
    }
}

fn error_response(status: u16, retry_after_s: Option<u64>, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let kind = match status.as_u16() {
        429 => "rate_limit_exceeded",
        400..=499 => "invalid_request_error",
        _ => "server_error",
    };
    let body = json!({ "error": { "message": message, "type": kind, "param": null, "code": null } });
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(seconds) = retry_after_s {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The chat-completions response body for `completion`, answering `request`.
pub fn completion_body(request: &Value, completion: &Completion, call: usize) -> Value {
    let mut message = Map::new();
    message.insert("role".into(), json!("assistant"));
    message.insert("content".into(), json!(completion.content));
    if !completion.tool_calls.is_empty() {
        let calls: Vec<Value> = completion
            .tool_calls
            .iter()
            .map(|call| {
                json!({
                    "id": call.id,
                    "type": "function",
                    "function": { "name": call.name, "arguments": call.arguments },
                })
            })
            .collect();
        message.insert("tool_calls".into(), Value::Array(calls));
    }
    let (prompt_tokens, completion_tokens) = completion.usage.unwrap_or_else(|| {
        let prompt_len = request.get("messages").map_or(0, |messages| messages.to_string().len());
        let completion_len = completion.content.as_ref().map_or(0, String::len)
            + completion
                .tool_calls
                .iter()
                .map(|call| call.name.len() + call.arguments.len())
                .sum::<usize>();
        (prompt_len.div_ceil(4) as u64, completion_len.div_ceil(4) as u64)
    });
    json!({
        "id": format!("chatcmpl-sandbox-{call}"),
        "object": "chat.completion",
        "created": chrono::Utc::now().timestamp(),
        "model": request.get("model").and_then(Value::as_str).unwrap_or("sandbox-model"),
        "choices": [{
            "index": 0,
            "message": Value::Object(message),
            "logprobs": null,
            "finish_reason": if completion.tool_calls.is_empty() { "stop" } else { "tool_calls" },
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    })
}

/// The null server's answer to `request`: the minimal instance of its `response_format.json_schema`, else a plain
/// assistant message with no tool calls.
pub fn null_reply(request: &Value) -> Reply {
    match request.pointer("/response_format/json_schema/schema") {
        Some(schema) => Reply::json(&minimal_instance(schema)),
        None => Reply::text(""),
    }
}

/// The smallest instance of a JSON Schema: objects with only their required properties, arrays empty (or their
/// `minItems` of minimal items), strings empty, numbers 0 (moved into `minimum`/`maximum`), booleans false, enums
/// and `const` their first value, nullable types null. Follows local `$ref`s.
pub fn minimal_instance(schema: &Value) -> Value {
    minimal(schema, schema, 0)
}

fn minimal(schema: &Value, root: &Value, depth: usize) -> Value {
    let Some(schema) = schema.as_object().filter(|_| depth <= MAX_SCHEMA_DEPTH) else {
        return Value::Null;
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .map_or(Value::Null, |target| minimal(target, root, depth + 1));
    }
    if is_nullable(schema) {
        return Value::Null;
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|values| values.first())
    {
        return first.clone();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            if branches.iter().any(|branch| branch.get("type") == Some(&json!("null"))) {
                return Value::Null;
            }
            if let Some(first) = branches.first() {
                return minimal(first, root, depth + 1);
            }
        }
    }
    if let Some(branches) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for branch in branches {
            match minimal(branch, root, depth + 1) {
                Value::Object(members) => merged.extend(members),
                other => return other,
            }
        }
        return Value::Object(merged);
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => Some(kind.as_str()),
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).find(|kind| *kind != "null"),
        _ => None,
    };
    match kind {
        Some("object") => minimal_object(schema, root, depth),
        None if schema.contains_key("properties") => minimal_object(schema, root, depth),
        Some("array") => {
            let count = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = schema
                .get("items")
                .map_or(Value::Null, |items| minimal(items, root, depth + 1));
            Value::Array((0..count).map(|_| item.clone()).collect())
        }
        Some("string") => {
            let length = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
            Value::String("x".repeat(usize::try_from(length).unwrap_or(0)))
        }
        Some("integer") => {
            let bounded = bounded_number(schema);
            json!(bounded.ceil() as i64)
        }
        Some("number") => json!(bounded_number(schema)),
        Some("boolean") => Value::Bool(false),
        _ => Value::Null,
    }
}

fn minimal_object(schema: &Map<String, Value>, root: &Value, depth: usize) -> Value {
    let properties = schema.get("properties").and_then(Value::as_object);
    let mut object = Map::new();
    for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
        if let Some(name) = name.as_str() {
            let member = properties
                .and_then(|properties| properties.get(name))
                .map_or(Value::Null, |member| minimal(member, root, depth + 1));
            object.insert(name.to_string(), member);
        }
    }
    Value::Object(object)
}

/// Whether `null` is a valid instance: `type` is or includes `"null"` (or OpenAPI's `nullable`), and any `enum`
/// admits it.
fn is_nullable(schema: &Map<String, Value>) -> bool {
    let null_type = match schema.get("type") {
        Some(Value::String(kind)) => kind == "null",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "null"),
        _ => false,
    } || schema.get("nullable") == Some(&Value::Bool(true));
    let enum_allows = schema
        .get("enum")
        .and_then(Value::as_array)
        .is_none_or(|values| values.contains(&Value::Null));
    null_type && enum_allows
}

/// 0 moved into `[minimum, maximum]`.
fn bounded_number(schema: &Map<String, Value>) -> f64 {
    let minimum = schema.get("minimum").and_then(Value::as_f64).unwrap_or(f64::MIN);
    let maximum = schema.get("maximum").and_then(Value::as_f64).unwrap_or(f64::MAX);
    if minimum > maximum {
        minimum
    } else {
        0f64.clamp(minimum, maximum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimal_instance_keeps_required_properties_and_empties_everything_else() {
        let schema = json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["verdicts", "risk", "summary", "score", "count", "raise", "kind", "extra"],
            "properties": {
                "verdicts": { "type": "array", "items": { "$ref": "#/$defs/verdict" } },
                "risk": { "type": ["string", "null"], "enum": ["low", "high", null] },
                "summary": { "type": "string" },
                "score": { "type": "number" },
                "count": { "type": "integer", "minimum": 1 },
                "raise": { "type": "boolean" },
                "kind": { "type": "string", "enum": ["company", "person"] },
                "extra": { "anyOf": [{ "type": "string" }, { "type": "null" }] },
                "optional": { "type": "string" }
            },
            "$defs": { "verdict": { "type": "object", "required": ["channel"], "properties": { "channel": { "type": "string" } } } }
        });
        assert_eq!(
            minimal_instance(&schema),
            json!({
                "verdicts": [], "risk": null, "summary": "", "score": 0.0, "count": 1, "raise": false,
                "kind": "company", "extra": null
            })
        );
    }

    #[test]
    fn the_minimal_instance_of_an_array_with_min_items_has_that_many_minimal_items() {
        let schema = json!({ "type": "array", "minItems": 2, "items": { "$ref": "#/$defs/item" },
            "$defs": { "item": { "type": "object", "required": ["id"], "properties": { "id": { "type": "string" } } } } });
        assert_eq!(minimal_instance(&schema), json!([{ "id": "" }, { "id": "" }]));
    }

    #[test]
    fn a_recursive_schema_bottoms_out_instead_of_overflowing() {
        let schema = json!({ "$ref": "#" });
        assert_eq!(minimal_instance(&schema), Value::Null);
    }

    #[test]
    fn the_null_reply_answers_a_schema_request_with_its_minimal_instance_and_a_tool_request_with_no_calls() {
        let schema_request = json!({
            "model": "m",
            "messages": [],
            "response_format": { "type": "json_schema", "json_schema": { "name": "v", "strict": true,
                "schema": { "type": "object", "required": ["ok"], "properties": { "ok": { "type": "boolean" } } } } }
        });
        assert_eq!(null_reply(&schema_request), Reply::text("{\"ok\":false}"));
        let tool_request = json!({ "model": "m", "messages": [], "tools": [{ "type": "function", "function": { "name": "search" } }] });
        assert_eq!(null_reply(&tool_request), Reply::text(""));
    }

    #[test]
    fn a_completion_body_speaks_the_wire_format_with_parallel_tool_calls_and_usage() {
        let request = json!({ "model": "gpt-test", "messages": [{ "role": "user", "content": "hi" }] });
        let Reply::Completion(completion) = Reply::tool_calls([
            ("search", json!({ "q": "acme" })),
            ("x_user", json!({ "username": "acme" })),
        ])
        .with_usage(12, 3) else {
            panic!("tool calls are a completion");
        };
        let body = completion_body(&request, &completion, 1);
        assert_eq!(body["model"], "gpt-test");
        assert_eq!(body["object"], "chat.completion");
        assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(body["choices"][0]["message"]["tool_calls"][1]["id"], "call_2");
        assert_eq!(
            body["choices"][0]["message"]["tool_calls"][1]["function"]["arguments"],
            "{\"username\":\"acme\"}"
        );
        assert_eq!(
            body["usage"],
            json!({ "prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15 })
        );
    }

    #[tokio::test]
    async fn the_server_counts_and_records_calls_and_replies_as_scripted() {
        let server = LlmServer::scripted([Reply::rate_limited(7), Reply::text("done")])
            .start("127.0.0.1:0".parse().expect("loopback address"))
            .await
            .expect("server starts");
        let url = format!("{}/chat/completions", server.base_url());
        let body = json!({ "model": "m", "messages": [{ "role": "user", "content": "hi" }] }).to_string();
        let first = post_json(&url, &body).await;
        assert!(first.starts_with("HTTP/1.1 429"), "{first}");
        assert!(first.to_ascii_lowercase().contains("retry-after: 7"), "{first}");
        for _ in 0..2 {
            let answer = post_json(&url, &body).await;
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            assert!(answer.contains("\"content\":\"done\""), "{answer}");
        }
        assert_eq!(server.calls(), 3);
        assert_eq!(server.requests().len(), 3);
        assert_eq!(server.requests()[0].body["messages"][0]["content"], "hi");
    }

    /// A bare HTTP/1.1 POST, so the sandbox needs no HTTP client dependency for its own tests.
    async fn post_json(url: &str, body: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let url = url::Url::parse(url).expect("test URL");
        let host = format!("{}:{}", url.host_str().unwrap_or("127.0.0.1"), url.port().unwrap_or(80));
        let mut stream = tokio::net::TcpStream::connect(&host).await.expect("connects");
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            url.path(),
            body.len()
        );
        stream.write_all(request.as_bytes()).await.expect("writes");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("reads");
        answer
    }
}

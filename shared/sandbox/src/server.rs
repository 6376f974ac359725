//! The sandbox HTTP server: one loopback listener serving many scenario worlds.
//!
//! Provider APIs live under `/{world}/{provider}/...` so an adapter's base URL selects the world;
//! website pages are served to the crawler as an HTTP proxy, the world named by the proxy user.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shadowhunter_core::Channel;

use crate::latency::{LatencyProfile, Target};
use crate::providers;
use crate::scenario::{Fault, World};

/// How long a `timeout` fault holds a request: far past any client's timeout.
const TIMEOUT_FAULT_HOLD: Duration = Duration::from_secs(120);
/// The Retry-After a `rate_limited` fault announces, in seconds.
pub const RATE_LIMIT_RETRY_AFTER_S: u64 = 30;

/// A provider the sandbox impersonates: its path segment and its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderSlug {
    Brave,
    Sayari,
    Pdl,
    Facebook,
    X,
    Rdap,
}

impl ProviderSlug {
    pub const ALL: [ProviderSlug; 6] = [
        ProviderSlug::Brave,
        ProviderSlug::Sayari,
        ProviderSlug::Pdl,
        ProviderSlug::Facebook,
        ProviderSlug::X,
        ProviderSlug::Rdap,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderSlug::Brave => "brave",
            ProviderSlug::Sayari => "sayari",
            ProviderSlug::Pdl => "pdl",
            ProviderSlug::Facebook => "facebook",
            ProviderSlug::X => "x",
            ProviderSlug::Rdap => "rdap",
        }
    }

    pub fn channel(self) -> Channel {
        match self {
            ProviderSlug::Brave => Channel::Search,
            ProviderSlug::Sayari => Channel::Customs,
            ProviderSlug::Pdl => Channel::Linkedin,
            ProviderSlug::Facebook => Channel::Facebook,
            ProviderSlug::X => Channel::Twitter,
            ProviderSlug::Rdap => Channel::Website,
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|slug| slug.as_str() == raw)
    }
}

/// A provider API request as the per-provider handlers see it: the path below the provider's base URL.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    /// The path after `/{world}/{provider}`, starting with `/`, percent-decoded.
    pub path: String,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl ApiRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Whether the request carries `Authorization: Bearer` with a non-blank token.
    pub fn has_bearer_token(&self) -> bool {
        self.header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|token| !token.trim().is_empty())
    }
}

/// The worlds the sandbox serves, by scenario id, and how slowly it answers.
#[derive(Default)]
pub struct Sandbox {
    worlds: HashMap<String, Arc<World>>,
    latency: LatencyProfile,
    answers: Answers,
}

impl Sandbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a world under an id that is safe in a URL path segment.
    pub fn with_world(mut self, id: impl Into<String>, world: World) -> Self {
        self.worlds.insert(id.into(), Arc::new(world));
        self
    }

    /// Answers (other than faults) after a delay drawn from `profile`.
    pub fn with_latency(mut self, profile: LatencyProfile) -> Self {
        self.latency = profile;
        self
    }

    pub fn world(&self, id: &str) -> Option<&Arc<World>> {
        self.worlds.get(id)
    }

    /// The router, for serving on any listener or calling without a socket in tests.
    pub fn router(self) -> Router {
        Router::new().fallback(dispatch).with_state(Arc::new(self))
    }

    /// Binds `addr` (port 0 picks a free one) and serves in the background.
    pub async fn start(self, addr: SocketAddr) -> std::io::Result<RunningSandbox> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let router = self.router();
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, router).await {
                tracing::error!(error = %err, "sandbox server stopped");
            }
        });
        Ok(RunningSandbox { addr, task })
    }
}

/// A sandbox listening on loopback; dropping it stops the server.
pub struct RunningSandbox {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl RunningSandbox {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL an adapter uses for `provider` in `world`.
    pub fn base_url(&self, world: &str, provider: ProviderSlug) -> String {
        format!("http://{}/{world}/{}", self.addr, provider.as_str())
    }

    /// The proxy URL the crawler uses to reach `world`'s web pages (the world is the proxy user).
    pub fn proxy_url(&self, world: &str) -> String {
        format!("http://{world}:sandbox@{}", self.addr)
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn dispatch(State(sandbox): State<Arc<Sandbox>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, 4 * 1024 * 1024).await {
        Ok(body) => body,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response(),
    };
    let (world, target) = match addressed(&sandbox, &parts) {
        Ok(addressed) => addressed,
        Err(refusal) => return *refusal,
    };
    let channel = match target {
        Target::Api(slug) => slug.channel(),
        Target::WebPage => Channel::Website,
    };
    if let Some(fault) = world.faults.get(&channel) {
        return fault_response(*fault).await;
    }
    sandbox.latency.wait(target).await;
    sandbox
        .answers
        .answer(&parts, &body, || answer(&world, target, &parts, body.clone()))
        .await
}

/// The world and the provider (or the web) a request is addressed to, or the answer refusing it.
fn addressed(sandbox: &Sandbox, parts: &Parts) -> Result<(Arc<World>, Target), Box<Response>> {
    if parts.uri.authority().is_some() {
        let world_id = proxy_user(&parts.headers);
        let Some(world) = world_id.as_deref().and_then(|id| sandbox.world(id)).cloned() else {
            return Err(Box::new(
                (
                    StatusCode::PROXY_AUTHENTICATION_REQUIRED,
                    [(header::PROXY_AUTHENTICATE, "Basic realm=\"sandbox\"")],
                    "proxy user must name a sandbox world",
                )
                    .into_response(),
            ));
        };
        return Ok((world, Target::WebPage));
    }
    let path = percent_decode(parts.uri.path());
    let mut segments = path.trim_start_matches('/').splitn(3, '/');
    let (Some(world_id), Some(slug)) = (segments.next(), segments.next()) else {
        return Err(Box::new(not_found("unknown sandbox path")));
    };
    match (sandbox.world(world_id).cloned(), ProviderSlug::parse(slug)) {
        (Some(world), Some(slug)) => Ok((world, Target::Api(slug))),
        _ => Err(Box::new(not_found("unknown world or provider"))),
    }
}

/// What the world's provider (or web server) answers to the request.
fn answer(world: &World, target: Target, parts: &Parts, body: Bytes) -> Response {
    let Target::Api(slug) = target else {
        return providers::web::serve_page(world, &parts.uri, &parts.headers);
    };
    let path = percent_decode(parts.uri.path());
    let rest = path.trim_start_matches('/').splitn(3, '/').nth(2).unwrap_or("");
    let request = ApiRequest {
        method: parts.method.clone(),
        path: format!("/{rest}"),
        query: parts
            .uri
            .query()
            .map(|query| url::form_urlencoded::parse(query.as_bytes()).into_owned().collect())
            .unwrap_or_default(),
        headers: parts.headers.clone(),
        body,
    };
    match slug {
        ProviderSlug::Brave => providers::brave::handle(world, &request),
        ProviderSlug::Sayari => providers::sayari::handle(world, &request),
        ProviderSlug::Pdl => providers::pdl::handle(world, &request),
        ProviderSlug::Facebook => providers::facebook::handle(world, &request),
        ProviderSlug::X => providers::x::handle(world, &request),
        ProviderSlug::Rdap => providers::rdap::handle(world, &request),
    }
}

/// Every answer the sandbox gave, by the whole request (method, URI, headers, body): a world never changes and
/// its providers keep no state, so a repeated request gets the first answer again instead of being ranked and
/// serialized anew. The simulated providers are not part of the service, and at 500 checks/s their CPU is taken
/// from the service's two cores. Bounded: past [`MAX_ANSWERS`] distinct requests, answers are computed each time.
#[derive(Default)]
struct Answers {
    given: Mutex<HashMap<Vec<u8>, Answer>>,
}

/// The most distinct requests [`Answers`] remembers.
const MAX_ANSWERS: usize = 20_000;

#[derive(Clone)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

impl Answers {
    async fn answer(&self, parts: &Parts, body: &Bytes, compute: impl FnOnce() -> Response) -> Response {
        let key = request_key(parts, body);
        if let Some(given) = lock(&self.given).get(&key).cloned() {
            return given.response();
        }
        let (head, computed) = compute().into_parts();
        let Ok(computed) = axum::body::to_bytes(computed, usize::MAX).await else {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the sandbox could not render its answer",
            )
                .into_response();
        };
        let answer = Answer {
            status: head.status,
            headers: head.headers,
            body: computed,
        };
        let mut given = lock(&self.given);
        if given.len() < MAX_ANSWERS {
            given.insert(key, answer.clone());
        }
        answer.response()
    }
}

fn request_key(parts: &Parts, body: &Bytes) -> Vec<u8> {
    let mut key = format!("{} {}\n", parts.method, parts.uri).into_bytes();
    for (name, value) in &parts.headers {
        key.extend_from_slice(name.as_str().as_bytes());
        key.push(b':');
        key.extend_from_slice(value.as_bytes());
        key.push(b'\n');
    }
    key.extend_from_slice(body);
    key
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The user name of a `Proxy-Authorization: Basic` header.
fn proxy_user(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let value = headers.get(header::PROXY_AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let credentials = String::from_utf8(decoded).ok()?;
    Some(credentials.split(':').next()?.to_string())
}

async fn fault_response(fault: Fault) -> Response {
    match fault {
        Fault::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response(),
        Fault::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, RATE_LIMIT_RETRY_AFTER_S.to_string())],
            "rate limit exceeded",
        )
            .into_response(),
        Fault::Timeout => {
            tokio::time::sleep(TIMEOUT_FAULT_HOLD).await;
            (StatusCode::GATEWAY_TIMEOUT, "held past the client's timeout").into_response()
        }
        Fault::Malformed => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::from(&b"\x00\x9f{\"resu<<garbled"[..]))
            .expect("static response is valid"),
    }
}

/// A JSON answer with a status.
pub fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn not_found(message: &str) -> Response {
    json(StatusCode::NOT_FOUND, serde_json::json!({ "error": message }))
}

fn percent_decode(path: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", path.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Sends one raw HTTP/1.1 GET and returns the status line and how long the answer took.
    async fn timed_get(addr: SocketAddr, path: &str) -> (String, Duration) {
        let started = Instant::now();
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connects");
        let request = format!("GET {path} HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("sends");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("reads");
        let text = String::from_utf8_lossy(&answer);
        (text.lines().next().unwrap_or_default().to_string(), started.elapsed())
    }

    /// Sends one raw HTTP/1.1 GET with `headers` and returns the status line and the body.
    async fn get_with(addr: SocketAddr, path: &str, headers: &str) -> (String, String) {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connects");
        let request = format!("GET {path} HTTP/1.1\r\nHost: sandbox\r\n{headers}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("sends");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("reads");
        let text = String::from_utf8_lossy(&answer).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        (head.lines().next().unwrap_or_default().to_string(), body.to_string())
    }

    #[tokio::test]
    async fn a_repeated_request_gets_the_first_answer_and_a_request_differing_in_any_header_its_own() {
        let world: World = serde_json::from_value(serde_json::json!({ "search": { "documents": [
            { "title": "Acme Tea Co. - exporter", "url": "http://acme-tea.example/", "snippet": "Acme Tea exports green tea." }
        ] } }))
        .expect("valid world");
        let sandbox = Sandbox::new()
            .with_world("w", world)
            .start("127.0.0.1:0".parse().expect("loopback"))
            .await
            .expect("starts");
        let path = "/w/brave/res/v1/web/search?q=acme%20tea";
        let with_token = "X-Subscription-Token: key\r\n";

        let first = get_with(sandbox.addr(), path, with_token).await;
        let again = get_with(sandbox.addr(), path, with_token).await;
        let without_token = get_with(sandbox.addr(), path, "").await;

        assert!(first.0.contains("200"), "{first:?}");
        assert!(first.1.contains("acme-tea.example"), "{first:?}");
        assert_eq!(again, first);
        assert!(without_token.0.contains("422"), "{without_token:?}");
    }

    fn faulty_world() -> World {
        serde_json::from_value(serde_json::json!({ "faults": { "search": "unavailable" } })).expect("valid world")
    }

    #[tokio::test]
    async fn a_realistic_sandbox_delays_answers_but_not_fault_answers() {
        let sandbox = Sandbox::new()
            .with_world("w", World::default())
            .with_world("broken", faulty_world())
            .with_latency(LatencyProfile::Realistic)
            .start("127.0.0.1:0".parse().expect("loopback"))
            .await
            .expect("starts");
        // X's median is 300 ms; even a low draw of the distribution is far above a loopback round trip.
        let (status, elapsed) = timed_get(sandbox.addr(), "/w/x/2/users/by/username/acme").await;
        assert!(status.starts_with("HTTP/1.1"), "{status}");
        assert!(elapsed >= Duration::from_millis(40), "answered in {elapsed:?}");

        let (status, elapsed) = timed_get(sandbox.addr(), "/broken/brave/res/v1/web/search?q=acme").await;
        assert!(status.contains("503"), "{status}");
        assert!(
            elapsed < Duration::from_millis(150),
            "the fault answered in {elapsed:?}"
        );
    }

    #[tokio::test]
    async fn a_sandbox_without_latency_answers_at_once() {
        let sandbox = Sandbox::new()
            .with_world("w", World::default())
            .start("127.0.0.1:0".parse().expect("loopback"))
            .await
            .expect("starts");
        let (status, elapsed) = timed_get(sandbox.addr(), "/w/x/2/users/by/username/acme").await;
        assert!(status.starts_with("HTTP/1.1"), "{status}");
        assert!(elapsed < Duration::from_millis(150), "answered in {elapsed:?}");
    }
}

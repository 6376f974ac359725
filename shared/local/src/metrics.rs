//! The process-wide metrics registry and its Prometheus text exposition, served at `GET /metrics`.
//!
//! Hand-rolled rather than the `prometheus` crate: the registry is a fixed set of families known at compile time,
//! each series is a few atomics (no lock on the hot path once a label set exists), and the text format (version
//! 0.0.4) is a dozen lines to write — a dependency would add a global registry, boxed collectors and builder
//! boilerplate for no capability we use.
//!
//! | metric | type | labels | recorded by |
//! |---|---|---|---|
//! | `shadowhunter_checks_accepted_total` | counter | | `POST /checks`, `POST /checks/batch` (api) |
//! | `shadowhunter_checks_rejected_total` | counter | | a full queue's 429 (api) |
//! | `shadowhunter_checks_completed_total` | counter | | the worker, on `done` |
//! | `shadowhunter_checks_failed_total` | counter | | the worker, on `failed` |
//! | `shadowhunter_checks_in_flight` | gauge | | the worker, while a check runs |
//! | `shadowhunter_queue_depth` | gauge | | read from the queue at each scrape |
//! | `shadowhunter_queue_commits_total` | counter | | the database writer: group commits (submissions and the steps' writes) |
//! | `shadowhunter_queue_committed_checks_total` | counter | | the database writer: checks queued in those commits |
//! | `shadowhunter_queue_committed_writes_total` | counter | | the database writer: writes (each in its savepoint) in those commits |
//! | `shadowhunter_queue_commit_seconds` | histogram | | the database writer: one group commit, lock to `COMMIT` |
//! | `shadowhunter_check_run_seconds` | histogram | | the worker: one check's pipeline run |
//! | `shadowhunter_check_end_to_end_seconds` | histogram | | the worker: accepted → done |
//! | `shadowhunter_provider_calls_total` | counter | provider, channel | the resilient decorator |
//! | `shadowhunter_provider_call_seconds` | histogram | provider, channel | the resilient decorator |
//! | `shadowhunter_provider_errors_total` | counter | provider, kind | the decorator (`circuit_open` for fast fails) |
//! | `shadowhunter_provider_retries_total` | counter | provider | the HTTP layer's retries, via the decorator |
//! | `shadowhunter_provider_cache_hits_total` | counter | provider | the decorator's cache |
//! | `shadowhunter_provider_cache_misses_total` | counter | provider | the decorator's cache |
//! | `shadowhunter_provider_coalesced_total` | counter | provider | lookups that waited for an identical one |
//! | `shadowhunter_llm_calls_total` | counter | model, outcome (`ok`, `cached`, `error`) | [`MeteredLlm`] |
//! | `shadowhunter_llm_tokens_total` | counter | model, type (`prompt`, `completion`) | [`MeteredLlm`] |

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use shadowhunter_core::Channel;
use shadowhunter_core::llm::{ChatRequest, ChatResponse, Llm, LlmError};
use shadowhunter_providers::resilient::{CacheOutcome, CallObserver, CallReport, error_kind};

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Latency buckets in seconds: loopback calls at the low end, realistic provider tails and whole checks at the top.
const SECONDS_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }

    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Durations counted into [`SECONDS_BUCKETS`], with their count and sum.
#[derive(Debug)]
pub struct Histogram {
    /// Observations at or below each bound (not cumulative; summed when rendered).
    buckets: [AtomicU64; SECONDS_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    pub fn observe(&self, duration: Duration) {
        let seconds = duration.as_secs_f64();
        if let Some(index) = SECONDS_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[index].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Observations above `bound`, which must be one of the bucket bounds (else 0).
    pub fn count_above(&self, bound: Duration) -> u64 {
        let Some(index) = SECONDS_BUCKETS
            .iter()
            .position(|candidate| (candidate - bound.as_secs_f64()).abs() < 1e-9)
        else {
            return 0;
        };
        let at_or_below: u64 = self.buckets[..=index]
            .iter()
            .map(|bucket| bucket.load(Ordering::Relaxed))
            .sum();
        self.count().saturating_sub(at_or_below)
    }

    /// The observations' total.
    pub fn sum(&self) -> Duration {
        Duration::from_micros(self.sum_micros.load(Ordering::Relaxed))
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, bucket) in SECONDS_BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{} {cumulative}",
                join_labels(labels, &format!("le=\"{bound}\""))
            );
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{} {count}", join_labels(labels, "le=\"+Inf\""));
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{} {sum}", braced(labels));
        let _ = writeln!(out, "{name}_count{} {count}", braced(labels));
    }
}

/// Series of one metric, one per label set, created on first use.
#[derive(Debug)]
pub struct Family<M> {
    labels: &'static [&'static str],
    series: RwLock<BTreeMap<Vec<String>, Arc<M>>>,
}

impl<M: Default> Family<M> {
    fn new(labels: &'static [&'static str]) -> Self {
        Self {
            labels,
            series: RwLock::default(),
        }
    }

    /// The series for `values` (in the family's label order).
    pub fn with(&self, values: &[&str]) -> Arc<M> {
        debug_assert_eq!(values.len(), self.labels.len(), "one value per label");
        let key: Vec<String> = values.iter().map(|value| value.to_string()).collect();
        if let Some(series) = self.series.read().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Arc::clone(series);
        }
        let mut series = self.series.write().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(series.entry(key).or_default())
    }

    fn each(&self, mut visit: impl FnMut(&str, &M)) {
        let series = self.series.read().unwrap_or_else(PoisonError::into_inner);
        for (values, metric) in series.iter() {
            let labels = self
                .labels
                .iter()
                .zip(values)
                .map(|(name, value)| format!("{name}=\"{}\"", escape(value)))
                .collect::<Vec<_>>()
                .join(",");
            visit(&labels, metric);
        }
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn braced(labels: &str) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    }
}

fn join_labels(labels: &str, extra: &str) -> String {
    if labels.is_empty() {
        format!("{{{extra}}}")
    } else {
        format!("{{{labels},{extra}}}")
    }
}

/// Every metric of the process; see the module docs for what records each.
#[derive(Debug)]
pub struct Metrics {
    pub checks_accepted: Counter,
    pub checks_rejected: Counter,
    pub checks_completed: Counter,
    pub checks_failed: Counter,
    pub checks_in_flight: Gauge,
    pub queue_depth: Gauge,
    pub queue_commits: Counter,
    pub queue_committed_checks: Counter,
    pub queue_committed_writes: Counter,
    pub queue_commit: Histogram,
    pub check_run: Histogram,
    pub check_end_to_end: Histogram,
    pub provider_calls: Family<Counter>,
    pub provider_call_seconds: Family<Histogram>,
    pub provider_errors: Family<Counter>,
    pub provider_retries: Family<Counter>,
    pub cache_hits: Family<Counter>,
    pub cache_misses: Family<Counter>,
    pub coalesced: Family<Counter>,
    pub llm_calls: Family<Counter>,
    pub llm_tokens: Family<Counter>,
}

static METRICS: LazyLock<Arc<Metrics>> = LazyLock::new(|| Arc::new(Metrics::new()));

/// The process's registry.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

/// The registry as the resilient providers' observer.
pub fn provider_observer() -> Arc<dyn CallObserver> {
    Arc::clone(&*METRICS) as Arc<dyn CallObserver>
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// An empty registry (the process has one, [`metrics`]; tests may make their own).
    pub fn new() -> Self {
        Self {
            checks_accepted: Counter::default(),
            checks_rejected: Counter::default(),
            checks_completed: Counter::default(),
            checks_failed: Counter::default(),
            checks_in_flight: Gauge::default(),
            queue_depth: Gauge::default(),
            queue_commits: Counter::default(),
            queue_committed_checks: Counter::default(),
            queue_committed_writes: Counter::default(),
            queue_commit: Histogram::default(),
            check_run: Histogram::default(),
            check_end_to_end: Histogram::default(),
            provider_calls: Family::new(&["provider", "channel"]),
            provider_call_seconds: Family::new(&["provider", "channel"]),
            provider_errors: Family::new(&["provider", "kind"]),
            provider_retries: Family::new(&["provider"]),
            cache_hits: Family::new(&["provider"]),
            cache_misses: Family::new(&["provider"]),
            coalesced: Family::new(&["provider"]),
            llm_calls: Family::new(&["model", "outcome"]),
            llm_tokens: Family::new(&["model", "type"]),
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let counters: [(&str, &str, &Counter); 7] = [
            (
                "shadowhunter_checks_accepted_total",
                "Checks accepted onto the queue (202).",
                &self.checks_accepted,
            ),
            (
                "shadowhunter_checks_rejected_total",
                "Checks refused because the queue was full (429).",
                &self.checks_rejected,
            ),
            (
                "shadowhunter_checks_completed_total",
                "Checks that reached done.",
                &self.checks_completed,
            ),
            (
                "shadowhunter_checks_failed_total",
                "Checks that reached failed.",
                &self.checks_failed,
            ),
            (
                "shadowhunter_queue_commits_total",
                "Group commits of the database writer (submissions and the steps' writes).",
                &self.queue_commits,
            ),
            (
                "shadowhunter_queue_committed_checks_total",
                "Checks (queue rows asked for) in those group commits.",
                &self.queue_committed_checks,
            ),
            (
                "shadowhunter_queue_committed_writes_total",
                "Writes in those group commits, each in a savepoint of its own.",
                &self.queue_committed_writes,
            ),
        ];
        for (name, help, counter) in counters {
            header(&mut out, name, help, "counter");
            let _ = writeln!(out, "{name} {}", counter.get());
        }
        let gauges: [(&str, &str, &Gauge); 2] = [
            (
                "shadowhunter_checks_in_flight",
                "Checks a worker is running now.",
                &self.checks_in_flight,
            ),
            (
                "shadowhunter_queue_depth",
                "Checks on the queue, waiting or running.",
                &self.queue_depth,
            ),
        ];
        for (name, help, gauge) in gauges {
            header(&mut out, name, help, "gauge");
            let _ = writeln!(out, "{name} {}", gauge.get());
        }
        let histograms: [(&str, &str, &Histogram); 3] = [
            (
                "shadowhunter_queue_commit_seconds",
                "One group commit of the database writer, from taking the connection to COMMIT.",
                &self.queue_commit,
            ),
            (
                "shadowhunter_check_run_seconds",
                "One check's pipeline run in a worker.",
                &self.check_run,
            ),
            (
                "shadowhunter_check_end_to_end_seconds",
                "From a check's acceptance to its final status.",
                &self.check_end_to_end,
            ),
        ];
        for (name, help, histogram) in histograms {
            header(&mut out, name, help, "histogram");
            histogram.render(&mut out, name, "");
        }
        let counter_families: [(&str, &str, &Family<Counter>); 8] = [
            (
                "shadowhunter_provider_calls_total",
                "Lookups that reached a provider's adapter.",
                &self.provider_calls,
            ),
            (
                "shadowhunter_provider_errors_total",
                "Failed provider lookups by error kind (circuit_open: failed fast).",
                &self.provider_errors,
            ),
            (
                "shadowhunter_provider_retries_total",
                "Retries the HTTP layer made (429 with Retry-After, 5xx).",
                &self.provider_retries,
            ),
            (
                "shadowhunter_provider_cache_hits_total",
                "Lookups answered from the response cache.",
                &self.cache_hits,
            ),
            (
                "shadowhunter_provider_cache_misses_total",
                "Lookups the response cache sent to the provider.",
                &self.cache_misses,
            ),
            (
                "shadowhunter_provider_coalesced_total",
                "Lookups that shared an identical lookup's call in flight.",
                &self.coalesced,
            ),
            (
                "shadowhunter_llm_calls_total",
                "LLM chat calls by outcome (cached: answered without a call).",
                &self.llm_calls,
            ),
            (
                "shadowhunter_llm_tokens_total",
                "LLM tokens consumed, by type.",
                &self.llm_tokens,
            ),
        ];
        for (name, help, family) in counter_families {
            header(&mut out, name, help, "counter");
            family.each(|labels, counter| {
                let _ = writeln!(out, "{name}{} {}", braced(labels), counter.get());
            });
        }
        let name = "shadowhunter_provider_call_seconds";
        header(
            &mut out,
            name,
            "Provider lookup latency, retries included.",
            "histogram",
        );
        self.provider_call_seconds
            .each(|labels, histogram| histogram.render(&mut out, name, labels));
        out
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

impl CallObserver for Metrics {
    fn call_finished(&self, call: &CallReport<'_>) {
        let labels = [call.provider, call.channel.as_str()];
        self.provider_calls.with(&labels).inc();
        self.provider_call_seconds.with(&labels).observe(call.elapsed);
        if let Some(err) = call.error {
            self.provider_errors.with(&[call.provider, error_kind(err)]).inc();
        }
        if call.retries > 0 {
            self.provider_retries
                .with(&[call.provider])
                .add(u64::from(call.retries));
        }
    }

    fn circuit_rejected(&self, provider: &str, _channel: Channel) {
        self.provider_errors.with(&[provider, "circuit_open"]).inc();
    }

    fn cache_lookup(&self, provider: &str, outcome: CacheOutcome) {
        let family = match outcome {
            CacheOutcome::Hit => &self.cache_hits,
            CacheOutcome::Miss => &self.cache_misses,
            CacheOutcome::Coalesced => &self.coalesced,
        };
        family.with(&[provider]).inc();
    }
}

/// An [`Llm`] that counts its calls and tokens in a registry.
pub struct MeteredLlm {
    inner: Arc<dyn Llm>,
    metrics: &'static Metrics,
}

impl MeteredLlm {
    /// `inner`, counted in the process's registry.
    pub fn new(inner: Arc<dyn Llm>) -> Self {
        Self {
            inner,
            metrics: metrics(),
        }
    }
}

#[async_trait]
impl Llm for MeteredLlm {
    fn model(&self) -> &str {
        self.inner.model()
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let answer = self.inner.chat(request).await;
        let model = self.inner.model();
        match &answer {
            Ok(response) if response.cached => self.metrics.llm_calls.with(&[model, "cached"]).inc(),
            Ok(response) => {
                self.metrics.llm_calls.with(&[model, "ok"]).inc();
                let tokens = &self.metrics.llm_tokens;
                tokens.with(&[model, "prompt"]).add(response.usage.prompt_tokens);
                tokens
                    .with(&[model, "completion"])
                    .add(response.usage.completion_tokens);
            }
            Err(_) => self.metrics.llm_calls.with(&[model, "error"]).inc(),
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use shadowhunter_core::ProviderError;
    use shadowhunter_core::llm::Usage;

    use super::*;

    #[test]
    fn observations_above_a_bucket_bound_are_counted() {
        let histogram = Histogram::default();
        for millis in [1, 4, 9, 30, 70] {
            histogram.observe(Duration::from_millis(millis));
        }
        assert_eq!(histogram.count_above(Duration::from_millis(10)), 2);
        assert_eq!(histogram.count_above(Duration::from_millis(50)), 1);
        assert_eq!(histogram.count_above(Duration::from_millis(7)), 0, "not a bucket bound");
        assert_eq!(histogram.sum(), Duration::from_millis(114));
    }

    /// The value of the one line that starts with `series ` in a rendered exposition.
    fn value(text: &str, series: &str) -> Option<String> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ').map(str::to_string))
    }

    #[test]
    fn the_check_counters_render_under_their_required_names() {
        let metrics = Metrics::new();
        metrics.checks_accepted.add(3);
        metrics.checks_completed.add(2);
        metrics.checks_failed.inc();
        metrics.queue_depth.set(7);
        let text = metrics.render();
        assert_eq!(value(&text, "shadowhunter_checks_accepted_total").as_deref(), Some("3"));
        assert_eq!(
            value(&text, "shadowhunter_checks_completed_total").as_deref(),
            Some("2")
        );
        assert_eq!(value(&text, "shadowhunter_checks_failed_total").as_deref(), Some("1"));
        assert_eq!(value(&text, "shadowhunter_queue_depth").as_deref(), Some("7"));
        assert!(text.contains("# TYPE shadowhunter_checks_accepted_total counter"));
    }

    #[test]
    fn a_provider_call_records_its_latency_error_kind_and_retries() {
        let metrics = Metrics::new();
        let error = ProviderError::Timeout { timeout_ms: 10 };
        metrics.call_finished(&CallReport {
            provider: "brave",
            channel: Channel::Search,
            elapsed: Duration::from_millis(300),
            error: Some(&error),
            retries: 2,
        });
        metrics.circuit_rejected("brave", Channel::Search);
        metrics.cache_lookup("brave", CacheOutcome::Coalesced);
        let text = metrics.render();
        let labels = "{provider=\"brave\",channel=\"search\"}";
        assert_eq!(
            value(&text, &format!("shadowhunter_provider_calls_total{labels}")).as_deref(),
            Some("1")
        );
        assert_eq!(
            value(
                &text,
                "shadowhunter_provider_call_seconds_bucket{provider=\"brave\",channel=\"search\",le=\"0.25\"}"
            )
            .as_deref(),
            Some("0")
        );
        assert_eq!(
            value(
                &text,
                "shadowhunter_provider_call_seconds_bucket{provider=\"brave\",channel=\"search\",le=\"0.5\"}"
            )
            .as_deref(),
            Some("1")
        );
        assert_eq!(
            value(&text, &format!("shadowhunter_provider_call_seconds_sum{labels}")).as_deref(),
            Some("0.3")
        );
        assert_eq!(
            value(
                &text,
                "shadowhunter_provider_errors_total{provider=\"brave\",kind=\"timeout\"}"
            )
            .as_deref(),
            Some("1")
        );
        assert_eq!(
            value(
                &text,
                "shadowhunter_provider_errors_total{provider=\"brave\",kind=\"circuit_open\"}"
            )
            .as_deref(),
            Some("1")
        );
        assert_eq!(
            value(&text, "shadowhunter_provider_retries_total{provider=\"brave\"}").as_deref(),
            Some("2")
        );
        assert_eq!(
            value(&text, "shadowhunter_provider_coalesced_total{provider=\"brave\"}").as_deref(),
            Some("1")
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_end_with_inf() {
        let histogram = Histogram::default();
        for millis in [1, 40, 40, 200_000] {
            histogram.observe(Duration::from_millis(millis));
        }
        let mut text = String::new();
        histogram.render(&mut text, "h", "");
        assert_eq!(value(&text, "h_bucket{le=\"0.005\"}").as_deref(), Some("1"));
        assert_eq!(value(&text, "h_bucket{le=\"0.05\"}").as_deref(), Some("3"));
        assert_eq!(value(&text, "h_bucket{le=\"120\"}").as_deref(), Some("3"));
        assert_eq!(value(&text, "h_bucket{le=\"+Inf\"}").as_deref(), Some("4"));
        assert_eq!(value(&text, "h_count").as_deref(), Some("4"));
    }

    #[test]
    fn label_values_are_escaped() {
        let metrics = Metrics::new();
        metrics.llm_calls.with(&["a\"b\\c", "ok"]).inc();
        assert!(
            metrics
                .render()
                .contains("shadowhunter_llm_calls_total{model=\"a\\\"b\\\\c\",outcome=\"ok\"} 1")
        );
    }

    struct Echo {
        cached: bool,
    }

    #[async_trait]
    impl Llm for Echo {
        fn model(&self) -> &str {
            "echo-test-model"
        }

        async fn chat(&self, _request: &ChatRequest) -> Result<ChatResponse, LlmError> {
            Ok(ChatResponse {
                content: Some("ok".into()),
                tool_calls: Vec::new(),
                usage: Usage {
                    prompt_tokens: 100,
                    completion_tokens: 7,
                },
                model: "echo-test-model".into(),
                cached: self.cached,
            })
        }
    }

    #[tokio::test]
    async fn a_metered_llm_counts_calls_and_tokens_but_not_cached_answers_tokens() {
        let request = ChatRequest {
            messages: Vec::new(),
            tools: Vec::new(),
            output_schema: None,
            max_tokens: 10,
            temperature: 0.0,
        };
        MeteredLlm::new(Arc::new(Echo { cached: false }))
            .chat(&request)
            .await
            .unwrap();
        MeteredLlm::new(Arc::new(Echo { cached: true }))
            .chat(&request)
            .await
            .unwrap();
        let text = metrics().render();
        let series = |labels: &str| value(&text, &format!("shadowhunter_llm_{labels}"));
        assert_eq!(
            series("calls_total{model=\"echo-test-model\",outcome=\"ok\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            series("calls_total{model=\"echo-test-model\",outcome=\"cached\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            series("tokens_total{model=\"echo-test-model\",type=\"prompt\"}").as_deref(),
            Some("100")
        );
        assert_eq!(
            series("tokens_total{model=\"echo-test-model\",type=\"completion\"}").as_deref(),
            Some("7")
        );
    }
}

//! The `Provider` decorator for production load: each provider's quota, concurrency cap and circuit breaker, and a
//! response cache (memory in front of a durable port) that also makes identical lookups in flight share one call.
//!
//! A lookup goes: memory cache → (miss) one filler per key, the others wait for it ([`moka`]'s `try_get_with`)
//! → durable cache → circuit breaker → token bucket → concurrency slot → the adapter (whose [`crate::http`] layer
//! makes the retries, honouring Retry-After: one place for them) → both caches. Errors are never cached.
//!
//! ## Default limits ([`ProviderLimits::published`], overridable with `<PROVIDER>_RPS`, `<PROVIDER>_MAX_CONCURRENCY`)
//!
//! | provider   | requests/s        | in flight | source |
//! |------------|-------------------|-----------|--------|
//! | `brave`    | 50                | 50        | Brave Search API plans: 50 requests/s |
//! | `sayari`   | 20                | 20        | Panjiva API guide: 20 requests/s (Sayari held to the same) |
//! | `pdl`      | 16.7 (1,000/min)  | 32        | People Data Labs: 1,000/min paid (100/min free) |
//! | `facebook` | 20                | 20        | Graph API app limit is 200 calls/user/hour; a cautious share |
//! | `x`        | 0.33 (300/15 min) | 4         | X API v2 user lookup: 300 requests/15 min per app |
//! | `website`  | —                 | 64        | our own crawler: many different sites, only concurrency capped |
//!
//! One lookup takes one token. Every provider's breaker opens after 5 consecutive failed lookups (5xx, 429,
//! timeouts, transport, malformed answers — a 4xx is the request's fault and counts as healthy) and fails fast as
//! `ProviderError::Unavailable { status: 503 }` for 30 s, then lets one probe through.
//!
//! Quotas are per provider and shared by every scope; breakers and cache entries are per provider *and scope* (the
//! sandbox world a lookup goes to), so one faulty sandbox world neither trips nor feeds another's.
//!
//! Cache lifetimes per channel are in [`cache`] ([`SEARCH_TTL`], [`CUSTOMS_TTL`], [`SOCIAL_TTL`], [`WEBSITE_TTL`]).

mod cache;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use moka::Expiry;
use shadowhunter_core::ports::Provider;
use shadowhunter_core::{Channel, Finding, Lookup, ProviderError};
use tokio::sync::{Semaphore, SemaphorePermit};

pub use cache::{
    CUSTOMS_TTL, ResponseCache, ResponseCacheError, SEARCH_TTL, SOCIAL_TTL, StoredResponse, WEBSITE_TTL, cache_key,
    ttl_for,
};

use crate::config::{LimitsTable, ProviderLimits};
use crate::limits::{CircuitBreaker, RateLimit};

/// The status a lookup fails with while its provider's circuit is open.
pub const CIRCUIT_OPEN_STATUS: u16 = 503;

/// The in-memory cache's default budget per provider, in bytes of serialized findings.
pub const DEFAULT_MEMORY_BYTES: u64 = 32 * 1024 * 1024;

tokio::task_local! {
    /// Retries [`crate::http`] made during the current decorated lookup.
    static RETRIES: Arc<AtomicU32>;
}

/// Counts one retry against the decorated lookup running on this task (a no-op outside one).
pub(crate) fn note_retry() {
    let _ = RETRIES.try_with(|retries| retries.fetch_add(1, Ordering::Relaxed));
}

/// How a cached lookup was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// From the memory or the durable cache: no provider call.
    Hit,
    /// This lookup called the provider and filed the answer.
    Miss,
    /// An identical lookup was already calling; this one waited for its answer.
    Coalesced,
}

impl CacheOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Miss => "miss",
            CacheOutcome::Coalesced => "coalesced",
        }
    }
}

/// One provider call as the decorator saw it.
#[derive(Debug)]
pub struct CallReport<'a> {
    pub provider: &'a str,
    pub channel: Channel,
    /// From the adapter's start to its answer, retries included (not the wait for a token or a slot).
    pub elapsed: Duration,
    pub error: Option<&'a ProviderError>,
    /// Retries the HTTP layer made.
    pub retries: u32,
}

/// Where the decorator reports what it does (the process's metrics registry); every method defaults to nothing.
pub trait CallObserver: Send + Sync {
    /// The adapter answered (or failed) after the limits let the call through.
    fn call_finished(&self, _call: &CallReport<'_>) {}
    /// The circuit was open, so the call failed fast without reaching the adapter.
    fn circuit_rejected(&self, _provider: &str, _channel: Channel) {}
    fn cache_lookup(&self, _provider: &str, _outcome: CacheOutcome) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct NoObserver;

impl CallObserver for NoObserver {}

/// The metric label of an error: its serde tag (`unavailable`, `timeout`, `rate_limited`, …).
pub fn error_kind(err: &ProviderError) -> &'static str {
    match err {
        ProviderError::NotConfigured => "not_configured",
        ProviderError::Unavailable { .. } => "unavailable",
        ProviderError::Timeout { .. } => "timeout",
        ProviderError::RateLimited { .. } => "rate_limited",
        ProviderError::Malformed { .. } => "malformed",
        ProviderError::Transport { .. } => "transport",
        ProviderError::Unreachable { .. } => "unreachable",
    }
}

/// Whether a failed lookup counts against the upstream's health (and so toward opening its circuit).
fn is_upstream_failure(err: &ProviderError) -> bool {
    match err {
        // A 4xx other than 429 (a refused key, a plan without user search) is this request's problem.
        ProviderError::Unavailable { status } => *status >= 500,
        ProviderError::Timeout { .. }
        | ProviderError::RateLimited { .. }
        | ProviderError::Transport { .. }
        | ProviderError::Malformed { .. } => true,
        // The looked-up domain does not exist: the provider did its job.
        ProviderError::NotConfigured | ProviderError::Unreachable { .. } => false,
    }
}

/// Cache settings shared by every decorated provider.
#[derive(Clone)]
pub struct CacheSettings {
    /// The in-memory cache's budget per provider, in bytes of serialized findings.
    pub memory_bytes: u64,
    /// The durable cache behind the memory one, if any.
    pub durable: Option<Arc<dyn ResponseCache>>,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            memory_bytes: DEFAULT_MEMORY_BYTES,
            durable: None,
        }
    }
}

/// Everything one [`Resilient`] provider needs.
#[derive(Clone)]
pub struct ResilientSettings {
    pub limits: ProviderLimits,
    /// `None` turns caching and coalescing off; the limits still apply.
    pub cache: Option<CacheSettings>,
    pub observer: Arc<dyn CallObserver>,
}

impl ResilientSettings {
    /// `limits`, no cache, no observer.
    pub fn new(limits: ProviderLimits) -> Self {
        Self {
            limits,
            cache: None,
            observer: Arc::new(NoObserver),
        }
    }

    pub fn with_cache(mut self, cache: CacheSettings) -> Self {
        self.cache = Some(cache);
        self
    }

    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = observer;
        self
    }
}

/// A cached answer and how long it lives in memory.
#[derive(Clone)]
struct Cached {
    findings: Arc<Vec<Finding>>,
    ttl: Duration,
    weight: u32,
}

impl Cached {
    fn new(findings: Vec<Finding>, ttl: Duration, bytes: usize) -> Self {
        Self {
            findings: Arc::new(findings),
            ttl,
            weight: u32::try_from(bytes).unwrap_or(u32::MAX).max(1),
        }
    }
}

/// Each entry expires after its own lifetime: the channel's TTL when called, what is left when read from disk.
struct PerEntryTtl;

impl Expiry<String, Cached> for PerEntryTtl {
    fn expire_after_create(&self, _key: &String, value: &Cached, _created_at: std::time::Instant) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// Hits, misses and coalesced lookups of one provider, plus the calls that reached it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub coalesced: u64,
    /// Lookups the adapter itself answered (or failed), cache or not.
    pub provider_calls: u64,
}

#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    coalesced: AtomicU64,
    provider_calls: AtomicU64,
}

/// What every scope of one provider shares: its quota, its concurrency cap, its caches and its counters.
struct ProviderState {
    rate: RateLimit,
    slots: Option<Semaphore>,
    memory: Option<moka::future::Cache<String, Cached>>,
    durable: Option<Arc<dyn ResponseCache>>,
    observer: Arc<dyn CallObserver>,
    counters: Counters,
}

impl ProviderState {
    fn new(limits: &ProviderLimits, cache: Option<&CacheSettings>, observer: Arc<dyn CallObserver>) -> Self {
        let config = limits.limits_config();
        Self {
            rate: RateLimit::new(config.requests_per_minute, None),
            slots: config.max_concurrency.map(|cap| Semaphore::new(cap.get())),
            memory: cache.map(|cache| {
                moka::future::Cache::builder()
                    .max_capacity(cache.memory_bytes)
                    .weigher(|_key: &String, value: &Cached| value.weight)
                    .expire_after(PerEntryTtl)
                    .build()
            }),
            durable: cache.and_then(|cache| cache.durable.clone()),
            observer,
            counters: Counters::default(),
        }
    }

    fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            coalesced: self.counters.coalesced.load(Ordering::Relaxed),
            provider_calls: self.counters.provider_calls.load(Ordering::Relaxed),
        }
    }

    async fn slot(&self) -> Option<SemaphorePermit<'_>> {
        match &self.slots {
            // The semaphore is never closed, so `acquire` cannot fail; if it did, run uncapped.
            Some(slots) => slots.acquire().await.ok(),
            None => None,
        }
    }
}

fn breaker_for(limits: &ProviderLimits) -> CircuitBreaker {
    CircuitBreaker::new(limits.breaker_failures, limits.breaker_cool_down)
}

/// A provider behind its limits and caches; see the module docs for the order of things.
pub struct Resilient {
    inner: Arc<dyn Provider>,
    /// Which upstream this instance reaches (the sandbox world); part of every cache key.
    scope: String,
    state: Arc<ProviderState>,
    breaker: Arc<CircuitBreaker>,
}

impl Resilient {
    /// `inner` behind its own limits, breaker and (if `settings.cache`) caches.
    pub fn new(inner: Arc<dyn Provider>, settings: ResilientSettings) -> Self {
        let state = ProviderState::new(&settings.limits, settings.cache.as_ref(), settings.observer);
        Self {
            inner,
            scope: String::new(),
            state: Arc::new(state),
            breaker: Arc::new(breaker_for(&settings.limits)),
        }
    }

    /// This provider's cache counters.
    pub fn stats(&self) -> CacheStats {
        self.state.stats()
    }

    /// Calls the adapter within the breaker, the bucket and the concurrency cap.
    async fn call(&self, lookup: &Lookup) -> Result<Vec<Finding>, ProviderError> {
        let (provider, channel) = (self.inner.name(), self.inner.channel());
        let Ok(breaker_call) = self.breaker.begin() else {
            self.state.observer.circuit_rejected(provider, channel);
            tracing::debug!(provider, "circuit open; failing fast");
            return Err(ProviderError::Unavailable {
                status: CIRCUIT_OPEN_STATUS,
            });
        };
        self.state.rate.acquire(0).await;
        let _slot = self.state.slot().await;
        let retries = Arc::new(AtomicU32::new(0));
        let started = tokio::time::Instant::now();
        let outcome = RETRIES.scope(Arc::clone(&retries), self.inner.lookup(lookup)).await;
        let elapsed = started.elapsed();
        self.state.counters.provider_calls.fetch_add(1, Ordering::Relaxed);
        match &outcome {
            Err(err) if is_upstream_failure(err) => {
                if breaker_call.failed() {
                    let cool_down_ms = self.breaker.cool_down().as_millis() as u64;
                    tracing::warn!(provider, scope = %self.scope, cool_down_ms, "circuit opened");
                }
            }
            _ => breaker_call.succeeded(),
        }
        self.state.observer.call_finished(&CallReport {
            provider,
            channel,
            elapsed,
            error: outcome.as_ref().err(),
            retries: retries.load(Ordering::Relaxed),
        });
        outcome
    }

    /// The answer for a key no caller holds in memory: from the durable cache, else from the provider (filed in it).
    async fn fill(&self, key: &str, lookup: &Lookup) -> Result<Cached, ProviderError> {
        let provider = self.inner.name();
        if let Some(durable) = &self.state.durable {
            match durable.get(key).await {
                Ok(Some(stored)) => {
                    let left = (stored.expires_at - Utc::now()).to_std().unwrap_or_default();
                    match serde_json::from_slice::<Vec<Finding>>(&stored.bytes) {
                        Ok(findings) if !left.is_zero() => {
                            self.count(CacheOutcome::Hit);
                            return Ok(Cached::new(findings, left, stored.bytes.len()));
                        }
                        Ok(_) => {}
                        Err(err) => tracing::warn!(provider, error = %err, "a durably cached answer does not parse"),
                    }
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(provider, error = %err, "durable cache unreadable; calling the provider"),
            }
        }
        self.count(CacheOutcome::Miss);
        let findings = self.call(lookup).await?;
        let ttl = ttl_for(self.inner.channel());
        let bytes = serde_json::to_vec(&findings).unwrap_or_default();
        let size = bytes.len();
        if let Some(durable) = &self.state.durable {
            let expires_at = Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
            if let Err(err) = durable.put(key, bytes, expires_at).await {
                tracing::warn!(provider, error = %err, "cannot file the answer in the durable cache");
            }
        }
        Ok(Cached::new(findings, ttl, size))
    }

    fn count(&self, outcome: CacheOutcome) {
        let counter = match outcome {
            CacheOutcome::Hit => &self.state.counters.hits,
            CacheOutcome::Miss => &self.state.counters.misses,
            CacheOutcome::Coalesced => &self.state.counters.coalesced,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.state.observer.cache_lookup(self.inner.name(), outcome);
    }
}

#[async_trait]
impl Provider for Resilient {
    fn channel(&self) -> Channel {
        self.inner.channel()
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }

    #[tracing::instrument(skip(self, lookup), fields(provider = self.inner.name(), scope = %self.scope))]
    async fn lookup(&self, lookup: &Lookup) -> Result<Vec<Finding>, ProviderError> {
        let Some(memory) = &self.state.memory else {
            return self.call(lookup).await;
        };
        let key = cache_key(self.inner.name(), &self.scope, lookup);
        if let Some(cached) = memory.get(&key).await {
            self.count(CacheOutcome::Hit);
            return Ok(cached.findings.as_ref().clone());
        }
        // One caller per key runs `fill`; the others in flight wait for its answer. A failure is handed to the
        // waiters but not kept.
        let mut filled_here = false;
        let answer = memory
            .try_get_with(key.clone(), async {
                filled_here = true;
                self.fill(&key, lookup).await
            })
            .await;
        if !filled_here {
            self.count(CacheOutcome::Coalesced);
        }
        match answer {
            Ok(cached) => Ok(cached.findings.as_ref().clone()),
            Err(err) => Err(err.as_ref().clone()),
        }
    }
}

/// The decorators of a process: one quota, cache and counter set per provider, one breaker per provider and scope.
/// Wrap every adapter through one `Resilience` so that checks built at different times share them.
pub struct Resilience {
    limits: LimitsTable,
    cache: Option<CacheSettings>,
    observer: Arc<dyn CallObserver>,
    states: Mutex<HashMap<&'static str, Arc<ProviderState>>>,
    breakers: Mutex<HashMap<(&'static str, String), Arc<CircuitBreaker>>>,
}

impl Resilience {
    /// `limits` per provider; `cache: None` turns caching and coalescing off.
    pub fn new(limits: LimitsTable, cache: Option<CacheSettings>, observer: Arc<dyn CallObserver>) -> Self {
        Self {
            limits,
            cache,
            observer,
            states: Mutex::default(),
            breakers: Mutex::default(),
        }
    }

    /// Whether lookups are cached.
    pub fn caches(&self) -> bool {
        self.cache.is_some()
    }

    /// `inner` behind its provider's shared limits and caches, and the breaker of its `scope`.
    pub fn wrap(&self, inner: Arc<dyn Provider>, scope: &str) -> Arc<dyn Provider> {
        let name = inner.name();
        let limits = self.limits.get(name);
        let state = {
            let mut states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(states.entry(name).or_insert_with(|| {
                Arc::new(ProviderState::new(
                    limits,
                    self.cache.as_ref(),
                    Arc::clone(&self.observer),
                ))
            }))
        };
        let breaker = {
            let mut breakers = self.breakers.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(
                breakers
                    .entry((name, scope.to_string()))
                    .or_insert_with(|| Arc::new(breaker_for(limits))),
            )
        };
        Arc::new(Resilient {
            inner,
            scope: scope.to_string(),
            state,
            breaker,
        })
    }

    /// The cache counters of `provider` (zero before its first lookup).
    pub fn stats(&self, provider: &str) -> CacheStats {
        let states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        states.get(provider).map(|state| state.stats()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use shadowhunter_core::Record;
    use shadowhunter_sandbox::ProviderSlug;

    use super::*;
    use crate::test_support;

    /// A provider that answers after `delay` with one search result naming the query, or with `fail`, and counts
    /// the calls it gets and the most it held at once.
    struct Scripted {
        delay: Duration,
        fail: Mutex<Option<ProviderError>>,
        calls: AtomicUsize,
        in_flight: AtomicUsize,
        peak: AtomicUsize,
    }

    impl Scripted {
        fn new(delay: Duration) -> Arc<Self> {
            Arc::new(Self {
                delay,
                fail: Mutex::new(None),
                calls: AtomicUsize::new(0),
                in_flight: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
            })
        }

        fn failing_with(&self, error: Option<ProviderError>) {
            *self.fail.lock().unwrap() = error;
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    #[async_trait]
    impl Provider for Scripted {
        fn channel(&self) -> Channel {
            Channel::Search
        }

        fn name(&self) -> &'static str {
            "scripted"
        }

        async fn lookup(&self, lookup: &Lookup) -> Result<Vec<Finding>, ProviderError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            if let Some(error) = self.fail.lock().unwrap().clone() {
                return Err(error);
            }
            Ok(vec![Finding {
                provider: "scripted".into(),
                source: "https://example.com".into(),
                fetched_at: Utc::now(),
                record: Record::SearchResult {
                    title: lookup.describe(),
                    url: "https://example.com".into(),
                    snippet: String::new(),
                    published: None,
                },
            }])
        }
    }

    /// A durable cache in a map, with a switch to make it fail.
    #[derive(Default)]
    struct MapCache {
        entries: Mutex<HashMap<String, StoredResponse>>,
    }

    #[async_trait]
    impl ResponseCache for MapCache {
        async fn get(&self, key: &str) -> Result<Option<StoredResponse>, ResponseCacheError> {
            let entries = self.entries.lock().unwrap();
            Ok(entries
                .get(key)
                .filter(|stored| stored.expires_at > Utc::now())
                .cloned())
        }

        async fn put(
            &self,
            key: &str,
            bytes: Vec<u8>,
            expires_at: chrono::DateTime<Utc>,
        ) -> Result<(), ResponseCacheError> {
            let stored = StoredResponse { bytes, expires_at };
            self.entries.lock().unwrap().insert(key.to_string(), stored);
            Ok(())
        }
    }

    fn search(query: &str) -> Lookup {
        Lookup::WebSearch { query: query.into() }
    }

    fn cached(inner: Arc<Scripted>, durable: Option<Arc<MapCache>>) -> Resilient {
        let cache = CacheSettings {
            durable: durable.map(|durable| durable as Arc<dyn ResponseCache>),
            ..CacheSettings::default()
        };
        Resilient::new(
            inner,
            ResilientSettings::new(ProviderLimits::default()).with_cache(cache),
        )
    }

    #[tokio::test]
    async fn identical_lookups_in_flight_share_one_provider_call() {
        let inner = Scripted::new(Duration::from_millis(100));
        let provider = Arc::new(cached(inner.clone(), None));
        let lookups: Vec<_> = (0..10)
            .map(|n| {
                let provider = Arc::clone(&provider);
                // The same query, spelled differently: one key.
                let query = if n % 2 == 0 { "Acme  Ltd" } else { "acme ltd" };
                tokio::spawn(async move { provider.lookup(&search(query)).await })
            })
            .collect();
        for lookup in lookups {
            assert_eq!(lookup.await.unwrap().expect("answers").len(), 1);
        }
        assert_eq!(inner.calls(), 1);
        let stats = provider.stats();
        assert_eq!((stats.misses, stats.hits + stats.coalesced), (1, 9), "{stats:?}");
        assert!(stats.coalesced > 0, "{stats:?}");
    }

    #[tokio::test]
    async fn a_repeated_lookup_is_answered_from_memory_without_a_call() {
        let inner = Scripted::new(Duration::ZERO);
        let provider = cached(inner.clone(), None);
        let first = provider.lookup(&search("acme")).await.unwrap();
        let second = provider.lookup(&search("ACME")).await.unwrap();
        assert_eq!(first, second, "the cached answer keeps the first call's provenance");
        provider.lookup(&search("beta")).await.unwrap();
        assert_eq!(inner.calls(), 2);
        assert_eq!(
            provider.stats(),
            CacheStats {
                hits: 1,
                misses: 2,
                coalesced: 0,
                provider_calls: 2
            }
        );
    }

    #[tokio::test]
    async fn errors_are_never_cached() {
        let inner = Scripted::new(Duration::ZERO);
        let provider = cached(inner.clone(), None);
        inner.failing_with(Some(ProviderError::Timeout { timeout_ms: 10 }));
        assert_eq!(
            provider.lookup(&search("acme")).await,
            Err(ProviderError::Timeout { timeout_ms: 10 })
        );
        inner.failing_with(None);
        assert!(provider.lookup(&search("acme")).await.is_ok());
        assert_eq!(inner.calls(), 2, "the failure was not kept");
    }

    #[tokio::test]
    async fn the_durable_cache_answers_a_new_process_without_a_provider_call() {
        let durable = Arc::new(MapCache::default());
        let first_inner = Scripted::new(Duration::ZERO);
        let answer = cached(first_inner.clone(), Some(durable.clone()))
            .lookup(&search("acme"))
            .await
            .unwrap();

        // A fresh decorator (a restart: empty memory) over the same durable cache.
        let second_inner = Scripted::new(Duration::ZERO);
        let restarted = cached(second_inner.clone(), Some(durable.clone()));
        assert_eq!(restarted.lookup(&search("Acme")).await.unwrap(), answer);
        assert_eq!((first_inner.calls(), second_inner.calls()), (1, 0));
        assert_eq!(restarted.stats().hits, 1);

        let stored = durable.entries.lock().unwrap().values().next().cloned().expect("filed");
        let lifetime = stored.expires_at - Utc::now();
        assert!(
            lifetime > chrono::Duration::hours(23) && lifetime <= chrono::Duration::hours(24),
            "a search answer is kept for a day, not {lifetime}"
        );
    }

    #[tokio::test]
    async fn an_expired_durable_entry_is_a_miss() {
        let durable = Arc::new(MapCache::default());
        let key = cache_key("scripted", "", &search("acme"));
        durable
            .put(&key, b"[]".to_vec(), Utc::now() - chrono::Duration::seconds(1))
            .await
            .unwrap();
        let inner = Scripted::new(Duration::ZERO);
        let provider = cached(inner.clone(), Some(durable));
        assert_eq!(provider.lookup(&search("acme")).await.unwrap().len(), 1);
        assert_eq!(inner.calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_circuit_opens_after_consecutive_failures_and_fails_fast_as_503() {
        let inner = Scripted::new(Duration::ZERO);
        inner.failing_with(Some(ProviderError::Unavailable { status: 502 }));
        let limits = ProviderLimits {
            breaker_failures: 3,
            breaker_cool_down: Duration::from_secs(10),
            ..ProviderLimits::default()
        };
        let provider = Resilient::new(inner.clone(), ResilientSettings::new(limits));
        for _ in 0..3 {
            assert_eq!(
                provider.lookup(&search("acme")).await,
                Err(ProviderError::Unavailable { status: 502 })
            );
        }
        assert_eq!(
            provider.lookup(&search("acme")).await,
            Err(ProviderError::Unavailable {
                status: CIRCUIT_OPEN_STATUS
            })
        );
        assert_eq!(inner.calls(), 3, "the open circuit kept the call from the provider");

        inner.failing_with(None);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(provider.lookup(&search("acme")).await.is_ok(), "the probe goes through");
        assert!(
            provider.lookup(&search("acme")).await.is_ok(),
            "and the circuit is closed"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_request_or_an_unknown_domain_does_not_open_the_circuit() {
        let inner = Scripted::new(Duration::ZERO);
        let limits = ProviderLimits {
            breaker_failures: 1,
            ..ProviderLimits::default()
        };
        let provider = Resilient::new(inner.clone(), ResilientSettings::new(limits));
        for error in [
            ProviderError::Unavailable { status: 403 },
            ProviderError::Unreachable {
                detail: "no such domain".into(),
            },
        ] {
            inner.failing_with(Some(error.clone()));
            assert_eq!(provider.lookup(&search("acme")).await, Err(error));
        }
        assert_eq!(inner.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn the_token_bucket_spaces_lookups_to_the_providers_rate() {
        let inner = Scripted::new(Duration::ZERO);
        let provider = Resilient::new(inner.clone(), ResilientSettings::new(ProviderLimits::quota(5.0, 0)));
        let started = tokio::time::Instant::now();
        for n in 0..15 {
            provider.lookup(&search(&format!("q{n}"))).await.unwrap();
        }
        // 5/s bursts 5, then one every 200 ms: the 15th waits about two seconds.
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(1900) && elapsed < Duration::from_millis(2500),
            "{elapsed:?}"
        );
    }

    #[tokio::test]
    async fn the_concurrency_cap_holds_lookups_in_flight_to_its_size() {
        let inner = Scripted::new(Duration::from_millis(30));
        let provider = Arc::new(Resilient::new(
            inner.clone(),
            ResilientSettings::new(ProviderLimits::quota(1_000.0, 3)),
        ));
        let lookups: Vec<_> = (0..12)
            .map(|n| {
                let provider = Arc::clone(&provider);
                tokio::spawn(async move { provider.lookup(&search(&format!("q{n}"))).await })
            })
            .collect();
        for lookup in lookups {
            lookup.await.unwrap().unwrap();
        }
        assert_eq!(inner.peak.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn scopes_share_the_quota_but_not_cache_entries_or_breakers() {
        let resilience = Resilience::new(
            LimitsTable::unlimited().with(
                "scripted",
                ProviderLimits {
                    breaker_failures: 1,
                    ..ProviderLimits::default()
                },
            ),
            Some(CacheSettings::default()),
            Arc::new(NoObserver),
        );
        let inner = Scripted::new(Duration::ZERO);
        let world_a = resilience.wrap(inner.clone(), "a");
        let world_b = resilience.wrap(inner.clone(), "b");
        world_a.lookup(&search("acme")).await.unwrap();
        world_b.lookup(&search("acme")).await.unwrap();
        assert_eq!(inner.calls(), 2, "each world has its own answer");
        // A rebuilt adapter for world a still finds the answer (state lives in the Resilience).
        resilience
            .wrap(inner.clone(), "a")
            .lookup(&search("acme"))
            .await
            .unwrap();
        assert_eq!(inner.calls(), 2);

        inner.failing_with(Some(ProviderError::Timeout { timeout_ms: 1 }));
        assert!(world_a.lookup(&search("beta")).await.is_err());
        inner.failing_with(None);
        assert_eq!(
            world_a.lookup(&search("gamma")).await,
            Err(ProviderError::Unavailable { status: 503 }),
            "world a's circuit is open"
        );
        assert!(world_b.lookup(&search("gamma")).await.is_ok(), "world b's is not");
        assert_eq!(
            resilience.stats("scripted"),
            CacheStats {
                hits: 1,
                misses: 5,
                coalesced: 0,
                provider_calls: 4
            }
        );
    }

    /// Records every report, to check what the decorator tells the metrics.
    #[derive(Default)]
    struct Recorder {
        calls: Mutex<Vec<(String, Option<String>, u32)>>,
        cache: Mutex<Vec<CacheOutcome>>,
        rejected: AtomicUsize,
    }

    impl CallObserver for Recorder {
        fn call_finished(&self, call: &CallReport<'_>) {
            let kind = call.error.map(|err| error_kind(err).to_string());
            self.calls
                .lock()
                .unwrap()
                .push((call.provider.to_string(), kind, call.retries));
        }

        fn circuit_rejected(&self, _provider: &str, _channel: Channel) {
            self.rejected.fetch_add(1, Ordering::SeqCst);
        }

        fn cache_lookup(&self, _provider: &str, outcome: CacheOutcome) {
            self.cache.lock().unwrap().push(outcome);
        }
    }

    #[tokio::test]
    async fn retries_made_by_the_http_layer_and_the_error_kind_reach_the_observer() {
        let sandbox = test_support::start_faulty("search", "unavailable").await;
        // One retry allowed, so the 503 is asked twice.
        let brave = crate::brave::BraveSearch::new(
            crate::http::client(),
            crate::config::Endpoint::new(sandbox.base_url("w", ProviderSlug::Brave), "key"),
            crate::http::HttpPolicy {
                max_retries: 1,
                ..test_support::fast_policy()
            },
        );
        let recorder = Arc::new(Recorder::default());
        let provider = Resilient::new(
            Arc::new(brave),
            ResilientSettings::new(ProviderLimits::default())
                .with_cache(CacheSettings::default())
                .with_observer(recorder.clone()),
        );
        assert_eq!(
            provider.lookup(&search("acme")).await,
            Err(ProviderError::Unavailable { status: 503 })
        );
        assert_eq!(
            *recorder.calls.lock().unwrap(),
            vec![("brave".to_string(), Some("unavailable".to_string()), 1)]
        );
        assert_eq!(*recorder.cache.lock().unwrap(), vec![CacheOutcome::Miss]);
        assert_eq!(recorder.rejected.load(Ordering::SeqCst), 0);
    }
}

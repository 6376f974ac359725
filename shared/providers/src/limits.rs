//! Reusable limits for calling an upstream API: token buckets, a concurrency cap, jittered retries and a circuit breaker.

use std::future::Future;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// governor's clock on tokio's time, so buckets sleep on tokio's timer and follow paused time in tests.
#[derive(Debug, Clone)]
struct TokioClock {
    origin: Instant,
}

impl Clock for TokioClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        self.origin.elapsed().into()
    }
}

/// A token bucket refilled continuously over each minute (GCRA, via governor).
#[derive(Debug)]
pub struct Bucket {
    limiter: RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Nanos>>,
    clock: TokioClock,
    burst: NonZeroU32,
}

impl Bucket {
    /// `per_minute` cells a minute, at most `burst` of them at once.
    pub fn per_minute(per_minute: NonZeroU32, burst: NonZeroU32) -> Self {
        let clock = TokioClock { origin: Instant::now() };
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Self {
            limiter: RateLimiter::direct_with_clock(quota, clock.clone()),
            clock,
            burst,
        }
    }

    /// Waits until `n` cells are free and takes them; more than the burst takes (and waits for) a full burst.
    ///
    /// governor's own `until_n_ready` sleeps on a wall-clock timer; this loop is the same wait on tokio's timer.
    pub async fn until_n_ready(&self, n: u32) {
        let n = NonZeroU32::new(n.min(self.burst.get())).unwrap_or(NonZeroU32::MIN);
        loop {
            match self.limiter.check_n(n) {
                Ok(Ok(())) => return,
                Ok(Err(not_until)) => {
                    // At least a millisecond, so rounding to a zero wait cannot spin.
                    let wait = not_until.wait_time_from(self.clock.now()).max(Duration::from_millis(1));
                    tokio::time::sleep(wait).await;
                }
                // `n` is clamped to the burst, so the bucket can always hold it; never block forever.
                Err(_) => return,
            }
        }
    }
}

/// Requests-per-minute and tokens-per-minute buckets; a missing limit never waits.
#[derive(Debug, Default)]
pub struct RateLimit {
    requests: Option<Bucket>,
    tokens: Option<Bucket>,
}

impl RateLimit {
    /// The requests bucket bursts one second's worth, because providers enforce per-minute limits over shorter
    /// windows (60,000/min may be enforced as 1,000/s); the tokens bucket bursts the whole minute, because one
    /// request can be a large share of it.
    pub fn new(requests_per_minute: Option<NonZeroU32>, tokens_per_minute: Option<NonZeroU32>) -> Self {
        Self {
            requests: requests_per_minute.map(|rpm| Bucket::per_minute(rpm, one_seconds_worth(rpm))),
            tokens: tokens_per_minute.map(|tpm| Bucket::per_minute(tpm, tpm)),
        }
    }

    /// Waits for one request and `tokens` tokens.
    pub async fn acquire(&self, tokens: u32) {
        if let Some(requests) = &self.requests {
            requests.until_n_ready(1).await;
        }
        if let Some(bucket) = &self.tokens {
            bucket.until_n_ready(tokens).await;
        }
    }
}

fn one_seconds_worth(per_minute: NonZeroU32) -> NonZeroU32 {
    NonZeroU32::new(per_minute.get().div_ceil(60)).unwrap_or(NonZeroU32::MIN)
}

/// How long to wait between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The backoff ceiling of the first retry; it doubles with each retry.
    pub base_delay: Duration,
    /// The largest single backoff.
    pub max_delay: Duration,
    /// The most a call waits across all its retries; a Retry-After beyond what is left is not waited for.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_total_wait: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry `attempt` (0 for the first): the server's Retry-After when it gave one, else an
    /// exponential ceiling with "equal jitter" (half fixed, half random) so a crowd of clients spreads out.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(retry_after) = retry_after {
            // A little spread on top, so every client told "1 s" does not come back in the same millisecond.
            let spread = (retry_after / 10).min(Duration::from_millis(250));
            return retry_after + spread.mul_f64(rand::random::<f64>());
        }
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        let half = ceiling / 2;
        half + half.mul_f64(rand::random::<f64>())
    }
}

/// How a failed call counts for retries and for the circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Worth trying again (429, 5xx, a dropped connection); the server may have said when.
    Transient { retry_after: Option<Duration> },
    /// The upstream is at fault and trying again now will not help (a timeout, a malformed body, a refused key).
    Upstream,
    /// This call's own fault (a rejected request, an answer breaking its schema): the upstream answered, so it
    /// counts as healthy.
    Request,
}

/// The circuit is open: calls fail fast until the cool-down ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the circuit is open after repeated failures")]
pub struct CircuitOpen;

/// Where a circuit breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Calls flow; failures are being counted.
    Closed,
    /// Calls fail fast.
    Open,
    /// The cool-down is over: one probe call decides between closed and open.
    HalfOpen,
}

#[derive(Debug, Clone, Copy)]
enum BreakerState {
    Closed { consecutive_failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// Closed → open after `failure_threshold` consecutive failures → half-open after `cool_down` → one probe call
/// closes it again or reopens it.
#[derive(Debug)]
pub struct CircuitBreaker {
    failure_threshold: u32,
    cool_down: Duration,
    state: Mutex<BreakerState>,
}

impl CircuitBreaker {
    /// A closed breaker; a threshold of 0 counts as 1.
    pub fn new(failure_threshold: u32, cool_down: Duration) -> Self {
        Self {
            failure_threshold: failure_threshold.max(1),
            cool_down,
            state: Mutex::new(BreakerState::Closed {
                consecutive_failures: 0,
            }),
        }
    }

    /// Where the breaker stands now (an open one whose cool-down is over reads as half-open).
    pub fn state(&self) -> CircuitState {
        match *self.lock() {
            BreakerState::Closed { .. } => CircuitState::Closed,
            BreakerState::Open { until } if Instant::now() < until => CircuitState::Open,
            BreakerState::Open { .. } | BreakerState::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }

    /// Asks to make a call. Fails fast while open, and while the half-open probe is still out.
    pub fn begin(&self) -> Result<BreakerCall<'_>, CircuitOpen> {
        let mut state = self.lock();
        let probe = match *state {
            BreakerState::Closed { .. } => false,
            BreakerState::Open { until } if Instant::now() < until => return Err(CircuitOpen),
            BreakerState::Open { .. } | BreakerState::HalfOpen { probing: false } => {
                *state = BreakerState::HalfOpen { probing: true };
                true
            }
            BreakerState::HalfOpen { probing: true } => return Err(CircuitOpen),
        };
        Ok(BreakerCall {
            breaker: self,
            probe,
            settled: false,
        })
    }

    /// Records a call's outcome; whether this failure opened the circuit.
    fn settle(&self, succeeded: bool) -> bool {
        let mut state = self.lock();
        let was_open = matches!(*state, BreakerState::Open { .. });
        *state = match (*state, succeeded) {
            (_, true) => BreakerState::Closed {
                consecutive_failures: 0,
            },
            (BreakerState::Closed { consecutive_failures }, false)
                if consecutive_failures + 1 < self.failure_threshold =>
            {
                BreakerState::Closed {
                    consecutive_failures: consecutive_failures + 1,
                }
            }
            // A call begun before the circuit opened and failing after: the failures that opened it counted
            // already, and the cool-down runs from the opening.
            (open @ BreakerState::Open { .. }, false) => open,
            (_, false) => BreakerState::Open {
                until: Instant::now() + self.cool_down,
            },
        };
        !was_open && matches!(*state, BreakerState::Open { .. })
    }

    /// How long an opened circuit fails fast.
    pub fn cool_down(&self) -> Duration {
        self.cool_down
    }

    fn lock(&self) -> MutexGuard<'_, BreakerState> {
        // The state is a plain value, always whole: a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A call the breaker let through; report how it went with [`BreakerCall::succeeded`] or [`BreakerCall::failed`].
#[derive(Debug)]
#[must_use = "a call must report its outcome to the breaker"]
pub struct BreakerCall<'a> {
    breaker: &'a CircuitBreaker,
    probe: bool,
    settled: bool,
}

impl BreakerCall<'_> {
    /// The upstream answered: the breaker closes and its failure count resets.
    pub fn succeeded(mut self) {
        self.settled = true;
        self.breaker.settle(true);
    }

    /// The upstream failed: one more consecutive failure, or the probe's verdict to reopen. Whether this failure
    /// opened the circuit (once per opening, for the caller to log with what it knows of the upstream).
    pub fn failed(mut self) -> bool {
        self.settled = true;
        self.breaker.settle(false)
    }
}

impl Drop for BreakerCall<'_> {
    fn drop(&mut self) {
        // A cancelled probe proves nothing; free the slot so the next call can probe instead of failing forever.
        if !self.settled && self.probe {
            let mut state = self.breaker.lock();
            if let BreakerState::HalfOpen { probing: true } = *state {
                *state = BreakerState::HalfOpen { probing: false };
            }
        }
    }
}

/// What [`Limits`] enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitsConfig {
    pub requests_per_minute: Option<NonZeroU32>,
    pub tokens_per_minute: Option<NonZeroU32>,
    /// Calls in flight at once; `None` is no cap.
    pub max_concurrency: Option<NonZeroUsize>,
    pub retry: RetryPolicy,
    /// Consecutive failed calls (after their retries) that open the circuit.
    pub breaker_failures: u32,
    /// How long the circuit stays open before a probe.
    pub breaker_cool_down: Duration,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            requests_per_minute: None,
            tokens_per_minute: None,
            max_concurrency: None,
            retry: RetryPolicy::default(),
            breaker_failures: 5,
            breaker_cool_down: Duration::from_secs(30),
        }
    }
}

/// Every limit of one upstream, applied around each call by [`Limits::run`].
#[derive(Debug)]
pub struct Limits {
    rate: RateLimit,
    concurrency: Option<Semaphore>,
    retry: RetryPolicy,
    breaker: CircuitBreaker,
}

impl Limits {
    /// Fresh buckets, a closed breaker.
    pub fn new(config: &LimitsConfig) -> Self {
        Self {
            rate: RateLimit::new(config.requests_per_minute, config.tokens_per_minute),
            concurrency: config.max_concurrency.map(|cap| Semaphore::new(cap.get())),
            retry: config.retry.clone(),
            breaker: CircuitBreaker::new(config.breaker_failures, config.breaker_cool_down),
        }
    }

    /// The breaker, to report its state.
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    /// Runs `call` within every limit: fails fast with [`CircuitOpen`] while the circuit is open; before each attempt
    /// waits for the buckets (one request, `tokens` tokens) and a concurrency slot; retries what `classify` calls
    /// transient, within the retry policy; reports the final outcome to the breaker.
    pub async fn run<T, E, F, Fut>(&self, tokens: u32, classify: impl Fn(&E) -> Failure, mut call: F) -> Result<T, E>
    where
        E: From<CircuitOpen>,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let breaker_call = self.breaker.begin()?;
        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        loop {
            self.rate.acquire(tokens).await;
            let outcome = {
                let _slot = self.slot().await;
                call().await
            };
            let err = match outcome {
                Ok(value) => {
                    breaker_call.succeeded();
                    return Ok(value);
                }
                Err(err) => err,
            };
            let failure = classify(&err);
            if let Failure::Transient { retry_after } = failure
                && attempt < self.retry.max_retries
            {
                let delay = self.retry.delay(attempt, retry_after);
                if waited + delay <= self.retry.max_total_wait {
                    tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
                    tokio::time::sleep(delay).await;
                    waited += delay;
                    attempt += 1;
                    continue;
                }
            }
            match failure {
                Failure::Request => breaker_call.succeeded(),
                Failure::Transient { .. } | Failure::Upstream => {
                    if breaker_call.failed() {
                        let cool_down_ms = self.breaker.cool_down().as_millis() as u64;
                        tracing::warn!(cool_down_ms, "LLM circuit opened");
                    }
                }
            }
            return Err(err);
        }
    }

    async fn slot(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed, so `acquire` only fails if that changes; then run uncapped.
        match &self.concurrency {
            Some(semaphore) => semaphore.acquire().await.ok(),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    enum TestError {
        Busy(Option<u64>),
        Broken,
        Rejected,
        Open,
    }

    impl From<CircuitOpen> for TestError {
        fn from(_: CircuitOpen) -> Self {
            TestError::Open
        }
    }

    fn classify(err: &TestError) -> Failure {
        match err {
            TestError::Busy(retry_after_s) => Failure::Transient {
                retry_after: retry_after_s.map(Duration::from_secs),
            },
            TestError::Broken | TestError::Open => Failure::Upstream,
            TestError::Rejected => Failure::Request,
        }
    }

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).expect("test limit is positive")
    }

    /// Runs `call` once through `limits` with a fixed outcome sequence, counting attempts.
    async fn run_sequence(limits: &Limits, outcomes: Vec<Result<(), TestError>>) -> (Result<(), TestError>, u32) {
        let attempts = AtomicU32::new(0);
        let outcomes = std::sync::Mutex::new(outcomes.into_iter());
        let result = limits
            .run(1, classify, || {
                attempts.fetch_add(1, Ordering::SeqCst);
                let next = outcomes
                    .lock()
                    .expect("test lock")
                    .next()
                    .unwrap_or(Err(TestError::Broken));
                async move { next }
            })
            .await;
        (result, attempts.load(Ordering::SeqCst))
    }

    #[tokio::test(start_paused = true)]
    async fn the_requests_bucket_delays_the_call_past_its_burst() {
        // 120/min bursts 2 and refills one every 500 ms.
        let limit = RateLimit::new(Some(nz(120)), None);
        let start = Instant::now();
        limit.acquire(0).await;
        limit.acquire(0).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        limit.acquire(0).await;
        assert!(
            start.elapsed() >= Duration::from_millis(490),
            "waited {:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_tokens_bucket_waits_for_the_tokens_a_request_needs() {
        // 6,000 tokens/min refills 100 tokens a second; the first 6,000 are there at once.
        let limit = RateLimit::new(None, Some(nz(6_000)));
        let start = Instant::now();
        limit.acquire(6_000).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        limit.acquire(500).await;
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(4_900) && waited <= Duration::from_millis(5_100),
            "waited {waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_larger_than_the_bucket_waits_for_a_full_bucket_instead_of_forever() {
        let limit = RateLimit::new(None, Some(nz(600)));
        limit.acquire(600).await;
        let start = Instant::now();
        limit.acquire(10_000).await;
        assert!(
            start.elapsed() <= Duration::from_secs(61),
            "waited {:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_transient_failure_is_retried_after_the_servers_retry_after() {
        let limits = Limits::new(&LimitsConfig::default());
        let start = Instant::now();
        let (result, attempts) = run_sequence(&limits, vec![Err(TestError::Busy(Some(3))), Ok(())]).await;
        assert_eq!(result, Ok(()));
        assert_eq!(attempts, 2);
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(3) && waited <= Duration::from_millis(3_300),
            "waited {waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_grows_with_each_retry_and_stays_jittered_within_its_ceiling() {
        let policy = RetryPolicy::default();
        for attempt in 0..6 {
            let ceiling = (policy.base_delay * (1 << attempt)).min(policy.max_delay);
            let delay = policy.delay(attempt, None);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "attempt {attempt}: {delay:?} vs {ceiling:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_beyond_the_total_wait_cap_is_not_waited_for() {
        let limits = Limits::new(&LimitsConfig::default());
        let start = Instant::now();
        let (result, attempts) = run_sequence(&limits, vec![Err(TestError::Busy(Some(600))), Ok(())]).await;
        assert_eq!(result, Err(TestError::Busy(Some(600))));
        assert_eq!(attempts, 1);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_stop_after_the_policys_maximum() {
        let limits = Limits::new(&LimitsConfig::default());
        let (result, attempts) = run_sequence(&limits, vec![Err(TestError::Busy(None)); 5]).await;
        assert_eq!(result, Err(TestError::Busy(None)));
        assert_eq!(attempts, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn upstream_and_request_failures_are_not_retried() {
        let limits = Limits::new(&LimitsConfig::default());
        assert_eq!(run_sequence(&limits, vec![Err(TestError::Broken), Ok(())]).await.1, 1);
        assert_eq!(run_sequence(&limits, vec![Err(TestError::Rejected), Ok(())]).await.1, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_circuit_opens_after_consecutive_failures_fails_fast_then_probes_after_the_cool_down() {
        let limits = Limits::new(&LimitsConfig {
            breaker_failures: 3,
            breaker_cool_down: Duration::from_secs(10),
            ..LimitsConfig::default()
        });
        for _ in 0..3 {
            assert_eq!(
                run_sequence(&limits, vec![Err(TestError::Broken)]).await.0,
                Err(TestError::Broken)
            );
        }
        assert_eq!(limits.breaker().state(), CircuitState::Open);
        let (result, attempts) = run_sequence(&limits, vec![Ok(())]).await;
        assert_eq!((result, attempts), (Err(TestError::Open), 0));

        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(limits.breaker().state(), CircuitState::HalfOpen);
        // The probe fails: open again for another cool-down.
        assert_eq!(
            run_sequence(&limits, vec![Err(TestError::Broken)]).await.0,
            Err(TestError::Broken)
        );
        assert_eq!(limits.breaker().state(), CircuitState::Open);

        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(run_sequence(&limits, vec![Ok(())]).await.0, Ok(()));
        assert_eq!(limits.breaker().state(), CircuitState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_or_a_rejected_request_resets_the_failure_count() {
        let limits = Limits::new(&LimitsConfig {
            breaker_failures: 2,
            ..LimitsConfig::default()
        });
        for outcome in [TestError::Broken, TestError::Rejected, TestError::Broken] {
            assert_eq!(run_sequence(&limits, vec![Err(outcome.clone())]).await.0, Err(outcome));
        }
        assert_eq!(limits.breaker().state(), CircuitState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_that_fail_after_the_circuit_opened_neither_reopen_it_nor_extend_its_cool_down() {
        let breaker = CircuitBreaker::new(2, Duration::from_secs(10));
        let mut in_flight: Vec<_> = (0..4).map(|_| breaker.begin().expect("closed")).collect();
        let late = in_flight.split_off(2);
        let opened: Vec<bool> = in_flight.into_iter().map(BreakerCall::failed).collect();
        assert_eq!(opened, [false, true], "the failure that opened it reports the opening");
        tokio::time::advance(Duration::from_secs(5)).await;
        let reopened: Vec<bool> = late.into_iter().map(BreakerCall::failed).collect();
        assert_eq!(
            reopened,
            [false, false],
            "calls begun before the opening report nothing"
        );
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(
            breaker.state(),
            CircuitState::HalfOpen,
            "the cool-down ran from the opening"
        );
        assert!(
            breaker.begin().expect("the probe").failed(),
            "a failed probe opens it again"
        );
        assert_eq!(breaker.state(), CircuitState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn while_the_probe_is_out_other_calls_fail_fast_and_a_cancelled_probe_frees_the_slot() {
        let breaker = CircuitBreaker::new(1, Duration::from_secs(1));
        breaker.begin().expect("closed").failed();
        tokio::time::advance(Duration::from_secs(1)).await;
        let probe = breaker.begin().expect("the first call after the cool-down probes");
        assert_eq!(breaker.begin().map(drop), Err(CircuitOpen));
        drop(probe);
        breaker.begin().expect("a new probe may go").succeeded();
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn the_concurrency_cap_holds_calls_in_flight_to_its_size() {
        let limits = Arc::new(Limits::new(&LimitsConfig {
            max_concurrency: NonZeroUsize::new(2),
            ..LimitsConfig::default()
        }));
        let in_flight = Arc::new(AtomicU32::new(0));
        let peak = Arc::new(AtomicU32::new(0));
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (limits, in_flight, peak) = (limits.clone(), in_flight.clone(), peak.clone());
                tokio::spawn(async move {
                    limits
                        .run(1, classify, || {
                            let (in_flight, peak) = (in_flight.clone(), peak.clone());
                            async move {
                                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                                peak.fetch_max(now, Ordering::SeqCst);
                                tokio::time::sleep(Duration::from_millis(100)).await;
                                in_flight.fetch_sub(1, Ordering::SeqCst);
                                Ok::<(), TestError>(())
                            }
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.expect("task runs"), Ok(()));
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}

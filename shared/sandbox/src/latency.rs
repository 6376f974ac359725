//! Latency profiles: how long the sandbox takes to answer each provider, so load tests see what production sees.
//!
//! `Realistic` draws each answer's delay from a log-normal distribution with the provider's median and a p99 of
//! three times the median (σ = ln 3 / z₀.₉₉ ≈ 0.472), capped at six times the median so one draw cannot stall a
//! run:
//!
//! | provider (channel)   | median | p99     | cap     |
//! |----------------------|--------|---------|---------|
//! | Brave (search)       | 300 ms | ~900 ms | 1.8 s   |
//! | Sayari (customs)     | 600 ms | ~1.8 s  | 3.6 s   |
//! | PDL (LinkedIn)       | 800 ms | ~2.4 s  | 4.8 s   |
//! | Facebook Graph       | 400 ms | ~1.2 s  | 2.4 s   |
//! | X API                | 300 ms | ~900 ms | 1.8 s   |
//! | each web page        | 150 ms | ~450 ms | 900 ms  |
//! | RDAP                 | 200 ms | ~600 ms | 1.2 s   |
//!
//! Fault answers keep their own timing (a `timeout` fault holds, the others answer at once).

use std::str::FromStr;
use std::time::Duration;

use crate::server::ProviderSlug;

/// p99 / median of every realistic distribution.
const TAIL_RATIO: f64 = 3.0;
/// The standard normal's 99th percentile.
const Z_99: f64 = 2.326_347_874;
/// No draw exceeds this multiple of the median.
const CAP_RATIO: f64 = 6.0;

/// What the sandbox answers through; the web pages of the crawler are [`Target::WebPage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Api(ProviderSlug),
    WebPage,
}

/// How long the sandbox waits before answering.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LatencyProfile {
    /// Answer at once (tests, eval).
    #[default]
    None,
    /// Each provider's typical latency with jitter and a tail (module docs).
    Realistic,
}

impl FromStr for LatencyProfile {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "none" => Ok(LatencyProfile::None),
            "realistic" => Ok(LatencyProfile::Realistic),
            other => Err(format!("unknown latency profile `{other}` (none or realistic)")),
        }
    }
}

impl LatencyProfile {
    /// The median answer time for `target`; zero for [`LatencyProfile::None`].
    pub fn median(self, target: Target) -> Duration {
        if self == LatencyProfile::None {
            return Duration::ZERO;
        }
        Duration::from_millis(match target {
            Target::Api(ProviderSlug::Brave) => 300,
            Target::Api(ProviderSlug::Sayari) => 600,
            Target::Api(ProviderSlug::Pdl) => 800,
            Target::Api(ProviderSlug::Facebook) => 400,
            Target::Api(ProviderSlug::X) => 300,
            Target::Api(ProviderSlug::Rdap) => 200,
            Target::WebPage => 150,
        })
    }

    /// The delay at standard-normal quantile `z`: `median · e^(σ·z)`, capped.
    pub fn delay_at(self, target: Target, z: f64) -> Duration {
        let median = self.median(target);
        let sigma = TAIL_RATIO.ln() / Z_99;
        median.mul_f64((sigma * z).exp().min(CAP_RATIO))
    }

    /// One random delay for an answer to `target`.
    pub fn sample(self, target: Target) -> Duration {
        if self == LatencyProfile::None {
            return Duration::ZERO;
        }
        self.delay_at(target, standard_normal())
    }

    /// Waits one sampled delay.
    pub async fn wait(self, target: Target) {
        let delay = self.sample(target);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
}

/// A standard normal draw (Box–Muller).
fn standard_normal() -> f64 {
    // 1 - U lies in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - rand::random::<f64>();
    let u2 = rand::random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_latency_answers_at_once() {
        for slug in ProviderSlug::ALL {
            assert_eq!(LatencyProfile::None.sample(Target::Api(slug)), Duration::ZERO);
        }
        assert_eq!(LatencyProfile::None.sample(Target::WebPage), Duration::ZERO);
    }

    #[test]
    fn the_realistic_median_is_the_providers_and_the_p99_three_times_it() {
        let linkedin = Target::Api(ProviderSlug::Pdl);
        assert_eq!(
            LatencyProfile::Realistic.delay_at(linkedin, 0.0),
            Duration::from_millis(800)
        );
        let p99 = LatencyProfile::Realistic.delay_at(linkedin, Z_99).as_secs_f64();
        assert!((p99 - 2.4).abs() < 0.01, "{p99}");
        assert_eq!(
            LatencyProfile::Realistic.delay_at(linkedin, 10.0),
            Duration::from_millis(4800),
            "the tail is capped"
        );
    }

    #[test]
    fn realistic_samples_spread_around_the_median_with_a_tail() {
        let target = Target::Api(ProviderSlug::Brave);
        let mut samples: Vec<Duration> = (0..4_000).map(|_| LatencyProfile::Realistic.sample(target)).collect();
        samples.sort();
        let median = samples[2_000].as_millis();
        let p99 = samples[3_960].as_millis();
        assert!((260..=340).contains(&median), "median {median} ms");
        assert!((700..=1_150).contains(&p99), "p99 {p99} ms");
        assert!(
            samples[0] < Duration::from_millis(300),
            "there is jitter below the median too"
        );
    }

    #[test]
    fn profiles_parse_from_their_flag_values() {
        assert_eq!("realistic".parse(), Ok(LatencyProfile::Realistic));
        assert_eq!("none".parse(), Ok(LatencyProfile::None));
        assert!("slow".parse::<LatencyProfile>().is_err());
    }
}

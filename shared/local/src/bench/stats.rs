//! Latency percentiles and Prometheus-text sums: the pure arithmetic behind the bench figures.

use std::time::Duration;

/// A latency distribution's headline figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub count: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub p999: Duration,
    pub max: Duration,
}

impl Summary {
    /// The figures of `samples` (any order); `None` when there are none.
    pub fn of(mut samples: Vec<Duration>) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        Some(Self {
            count: samples.len(),
            p50: percentile(&samples, 0.50),
            p99: percentile(&samples, 0.99),
            p999: percentile(&samples, 0.999),
            max: samples[samples.len() - 1],
        })
    }

    /// `p50 / p99 / p99.9 / max` in milliseconds.
    pub fn millis_line(&self) -> String {
        format!(
            "p50 {} ms  p99 {} ms  p99.9 {} ms  max {} ms",
            ms(self.p50),
            ms(self.p99),
            ms(self.p999),
            ms(self.max)
        )
    }
}

/// Milliseconds with two decimals below 10 ms, one below 1 s, none above.
pub fn ms(duration: Duration) -> String {
    let millis = duration.as_secs_f64() * 1e3;
    if millis < 10.0 {
        format!("{millis:.2}")
    } else if millis < 1_000.0 {
        format!("{millis:.1}")
    } else {
        format!("{millis:.0}")
    }
}

/// The nearest-rank percentile `q` (0 < q ≤ 1) of `sorted` (ascending, not empty): the smallest sample with at
/// least `q` of the samples at or below it.
pub fn percentile<T: Copy>(sorted: &[T], q: f64) -> T {
    assert!(!sorted.is_empty(), "a percentile of no samples");
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The sum over every series of metric `name` in a Prometheus text exposition (labels ignored).
pub fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The value of the series of metric `name` whose labels include `label` (e.g. `provider="brave"`), summed.
pub fn metric_sum_where(text: &str, name: &str, label: &str) -> f64 {
    text.lines()
        .filter(|line| line.strip_prefix(name).is_some_and(|rest| rest.starts_with('{')))
        .filter(|line| line.split('}').next().is_some_and(|labels| labels.contains(label)))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&value| Duration::from_millis(value)).collect()
    }

    #[test]
    fn the_nearest_rank_percentile_is_a_sample_with_that_share_at_or_below_it() {
        let sorted: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 0.50), 50);
        assert_eq!(percentile(&sorted, 0.99), 99);
        assert_eq!(percentile(&sorted, 0.999), 100);
        assert_eq!(percentile(&sorted, 1.0), 100);
        assert_eq!(percentile(&sorted, 0.0), 1, "q = 0 is the smallest sample");
        assert_eq!(percentile(&[7], 0.99), 7);
    }

    #[test]
    fn a_summary_sorts_its_samples_first() {
        let summary = Summary::of(millis(&[9, 1, 5, 3, 7, 2, 8, 4, 6, 10])).expect("samples");
        assert_eq!(summary.count, 10);
        assert_eq!(summary.p50, Duration::from_millis(5));
        assert_eq!(summary.p99, Duration::from_millis(10));
        assert_eq!(summary.max, Duration::from_millis(10));
        assert_eq!(Summary::of(Vec::new()), None);
    }

    #[test]
    fn one_slow_sample_in_a_thousand_shows_at_p999_not_p99() {
        let mut samples = millis(&[1; 999]);
        samples.push(Duration::from_secs(2));
        let summary = Summary::of(samples).expect("samples");
        assert_eq!(summary.p99, Duration::from_millis(1));
        assert_eq!(summary.p999, Duration::from_millis(1));
        assert_eq!(summary.max, Duration::from_secs(2));
        let mut samples = millis(&[1; 998]);
        samples.extend(millis(&[2_000, 2_000]));
        assert_eq!(Summary::of(samples).expect("samples").p999, Duration::from_secs(2));
    }

    #[test]
    fn metric_sums_add_every_series_of_exactly_that_name() {
        let text = "\
# TYPE shadowhunter_provider_calls_total counter
shadowhunter_provider_calls_total{provider=\"brave\",channel=\"search\"} 12
shadowhunter_provider_calls_total{provider=\"pdl\",channel=\"linkedin\"} 30
shadowhunter_provider_calls_total_extra 1000
shadowhunter_checks_accepted_total 7
";
        assert_eq!(metric_sum(text, "shadowhunter_provider_calls_total"), 42.0);
        assert_eq!(metric_sum(text, "shadowhunter_checks_accepted_total"), 7.0);
        assert_eq!(metric_sum(text, "shadowhunter_missing_total"), 0.0);
        assert_eq!(
            metric_sum_where(text, "shadowhunter_provider_calls_total", "provider=\"pdl\""),
            30.0
        );
    }

    #[test]
    fn milliseconds_keep_the_digits_that_matter() {
        assert_eq!(ms(Duration::from_micros(1_234)), "1.23");
        assert_eq!(ms(Duration::from_micros(123_456)), "123.5");
        assert_eq!(ms(Duration::from_millis(2_345)), "2345");
    }
}

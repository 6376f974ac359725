//! Open-loop schedules: when each request is *meant* to be sent, fixed by the clock and never by the answers, and
//! which subject each request of the cache bench carries.

use std::time::Duration;

/// `count` requests evenly spaced at `rate` per second from the start.
///
/// Latency is measured from [`OpenLoop::offset`] (the intended send time), not from when the client got round to
/// sending, so a stalled server shows up in the percentiles instead of silently slowing the load (coordinated
/// omission).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenLoop {
    pub rate: f64,
    pub count: u64,
}

impl OpenLoop {
    /// `rate` per second for `duration`.
    pub fn new(rate: f64, duration: Duration) -> Self {
        assert!(rate > 0.0, "an open loop needs a positive rate");
        Self {
            rate,
            count: (rate * duration.as_secs_f64()).round() as u64,
        }
    }

    /// When request `index` is due, from the start.
    pub fn offset(&self, index: u64) -> Duration {
        Duration::from_secs_f64(index as f64 / self.rate)
    }

    /// How long sending the whole schedule takes.
    pub fn span(&self) -> Duration {
        Duration::from_secs_f64(self.count as f64 / self.rate)
    }
}

/// What one request of the cache bench carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The next subject never checked before (the `n`th fresh one).
    Fresh(usize),
    /// Fresh subject `n` again, one of the recent ones.
    Repeat(usize),
}

/// `count` picks where about `repeat_share` repeat one of the last `window` fresh subjects; deterministic in `seed`.
pub fn repeat_plan(count: usize, repeat_share: f64, window: usize, seed: u64) -> Vec<Pick> {
    let mut state = seed | 1;
    let mut next = move || {
        // xorshift64*: small, deterministic, good enough to spread picks.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut fresh = 0;
    (0..count)
        .map(|_| {
            let roll = (next() >> 11) as f64 / (1u64 << 53) as f64;
            if fresh > 0 && roll < repeat_share {
                let recent = fresh.min(window.max(1));
                let back = (next() % recent as u64) as usize;
                Pick::Repeat(fresh - 1 - back)
            } else {
                fresh += 1;
                Pick::Fresh(fresh - 1)
            }
        })
        .collect()
}

/// How many fresh subjects a plan needs.
pub fn fresh_count(plan: &[Pick]) -> usize {
    plan.iter().filter(|pick| matches!(pick, Pick::Fresh(_))).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_loop_spaces_requests_by_the_clock() {
        let schedule = OpenLoop::new(500.0, Duration::from_secs(60));
        assert_eq!(schedule.count, 30_000);
        assert_eq!(schedule.offset(0), Duration::ZERO);
        assert_eq!(schedule.offset(1), Duration::from_millis(2));
        assert_eq!(schedule.offset(500), Duration::from_secs(1));
        assert_eq!(schedule.span(), Duration::from_secs(60));
    }

    #[test]
    fn a_fractional_rate_rounds_the_count() {
        let schedule = OpenLoop::new(2.5, Duration::from_secs(3));
        assert_eq!(schedule.count, 8, "7.5 rounds up");
        assert_eq!(schedule.offset(5), Duration::from_secs(2));
    }

    #[test]
    fn a_repeat_plan_repeats_about_the_share_asked_and_only_recent_fresh_subjects() {
        let plan = repeat_plan(10_000, 0.3, 50, 7);
        let repeats = plan.iter().filter(|pick| matches!(pick, Pick::Repeat(_))).count();
        assert!((2_800..=3_200).contains(&repeats), "{repeats} repeats");
        assert_eq!(fresh_count(&plan), 10_000 - repeats);
        let mut fresh_so_far = 0;
        for pick in &plan {
            match *pick {
                Pick::Fresh(n) => {
                    assert_eq!(n, fresh_so_far, "fresh subjects come in order");
                    fresh_so_far += 1;
                }
                Pick::Repeat(n) => {
                    assert!(n < fresh_so_far, "a repeat names a subject already sent");
                    assert!(fresh_so_far - n <= 50, "a repeat is of a recent subject");
                }
            }
        }
    }

    #[test]
    fn a_repeat_plan_starts_fresh_and_is_the_same_for_the_same_seed() {
        assert_eq!(repeat_plan(100, 0.9, 10, 3)[0], Pick::Fresh(0));
        assert_eq!(repeat_plan(500, 0.3, 10, 3), repeat_plan(500, 0.3, 10, 3));
        assert_eq!(fresh_count(&repeat_plan(100, 0.0, 10, 3)), 100);
    }
}

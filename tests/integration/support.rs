//! Helpers shared by the suite's modules: scenario folders and a clock pinned to the handout's check date.

use std::path::PathBuf;
use std::sync::Arc;

use shadowhunter_core::ports::{Clock, FixedClock};

/// The handout's scenarios beside the checkout (`../shared/scenarios`), when present.
pub fn handout_scenarios() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/scenarios");
    dir.is_dir().then_some(dir)
}

/// The project's own bundled scenarios.
pub fn bundled_scenarios() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/sandbox/scenarios")
}

/// The hold-out scenario sets (`scenarios` to `scenarios-4`), each written by someone who had not read
/// the judge.
pub fn holdout_scenarios(set: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(set)
}

/// The day the handout's scenarios were written for (their "three weeks ago" is relative to it).
pub fn scenario_clock() -> Arc<dyn Clock> {
    Arc::new(FixedClock(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 26)
            .and_then(|day| day.and_hms_opt(12, 0, 0))
            .expect("a valid date")
            .and_utc(),
    ))
}

//! The human-readable form of a report, for the terminal.

use std::fmt::Write as _;

use shadowhunter_core::{Outcome, Report};

/// A report as a short table: risk and flags, then one line per channel and its field comparisons.
pub fn report_table(report: &Report) -> String {
    let mut out = String::new();
    let reference = report
        .reference
        .as_deref()
        .map(|reference| format!(" (ref {reference})"))
        .unwrap_or_default();
    let _ = writeln!(out, "{} — {}{reference}", report.check_id, report.subject_name);
    let _ = writeln!(
        out,
        "risk: {}  [{}]",
        report.risk.as_str().to_uppercase(),
        report.risk_reasons.join("; ")
    );
    let flags: Vec<&str> = report.flags.iter().map(|flag| flag.as_str()).collect();
    let _ = writeln!(
        out,
        "flags: {}",
        if flags.is_empty() {
            "none".to_string()
        } else {
            flags.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "{:<9} {:<13} {:>5} {:>6}  reason",
        "channel", "verdict", "calls", "ms"
    );
    for (name, verdict) in &report.channels {
        let _ = writeln!(
            out,
            "{:<9} {:<13} {:>5} {:>6}  {}",
            name,
            verdict.verdict.as_str(),
            verdict.calls.len(),
            verdict.elapsed_ms,
            verdict.reason
        );
        for field in verdict.fields.iter().filter(|field| field.outcome != Outcome::Match) {
            let _ = writeln!(
                out,
                "{:<29}  {:?} {:?}: entered \"{}\", found \"{}\" [{}]",
                "",
                field.field,
                field.outcome,
                field.entered,
                field.found,
                field.evidence.join(", ")
            );
        }
    }
    let _ = writeln!(
        out,
        "provider calls: {}  evaluator: {}  elapsed: {} ms",
        report.provider_calls, report.evaluator, report.elapsed_ms
    );
    out
}

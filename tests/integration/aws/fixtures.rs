//! Checks, evidence, verdicts and reports for the adapter tests.

use chrono::{TimeZone, Utc};
use shadowhunter_core::evidence::{Finding, Record};
use shadowhunter_core::ports::FixedClock;
use shadowhunter_core::verdict::Verdict;
use shadowhunter_core::{Channel, ChannelVerdict, Check, CheckRequest, Evidence, Report};

pub fn request(name: &str, reference: Option<&str>) -> CheckRequest {
    let mut body = serde_json::json!({"subject": {"kind": "company", "name": name, "country": "CN"}});
    if let Some(reference) = reference {
        body["reference"] = reference.into();
    }
    CheckRequest::from_value(&body).expect("test request is valid")
}

/// A check received at an instant with nanoseconds, so a lossy timestamp would show.
pub fn check(name: &str) -> Check {
    let received_at = Utc.with_ymd_and_hms(2025, 3, 1, 9, 30, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789);
    Check::new(request(name, Some("ref-1")), received_at)
}

pub fn verdict(channel: Channel, verdict: Verdict, reason: &str) -> ChannelVerdict {
    ChannelVerdict::without_evidence(channel, verdict, reason)
}

/// The report the summary step writes for these verdicts.
pub fn report(check: &Check, verdicts: &[ChannelVerdict]) -> Report {
    shadowhunter_core::pipeline::summarize(check, verdicts.to_vec(), &FixedClock(check.received_at))
}

fn finding(snippet: String) -> Finding {
    Finding {
        provider: "brave".to_string(),
        source: "https://example.com".to_string(),
        fetched_at: Utc.with_ymd_and_hms(2025, 3, 1, 9, 31, 0).unwrap(),
        record: Record::SearchResult {
            title: "Acme".to_string(),
            url: "https://example.com".to_string(),
            snippet,
            published: None,
        },
    }
}

pub fn evidence(channel: Channel, snippet: &str) -> Evidence {
    Evidence {
        channel,
        findings: vec![finding(snippet.to_string())],
        calls: Vec::new(),
        elapsed_ms: 12,
    }
}

/// Search evidence of `findings` results whose snippets are prose, as a crawl or a long result list gives.
pub fn large_evidence(findings: usize) -> Evidence {
    Evidence {
        channel: Channel::Search,
        findings: (0..findings)
            .map(|n| {
                finding(format!(
                    "Result {n}: Acme Trading Ltd exports silk fabrics from Suzhou to buyers in Europe and \
                     North America; shipment {n} was declared under HS code 5007 at the port of Shanghai."
                ))
            })
            .collect(),
        calls: Vec::new(),
        elapsed_ms: 12,
    }
}

/// Search evidence whose snippets are pseudo-random letters and digits: gzip cannot shrink it much.
pub fn incompressible_evidence(bytes: usize) -> Evidence {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let text: String = (0..bytes)
        .map(|_| {
            // xorshift64: deterministic, good enough to defeat gzip.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ALPHABET[(state % ALPHABET.len() as u64) as usize] as char
        })
        .collect();
    Evidence {
        channel: Channel::Search,
        findings: vec![finding(text)],
        calls: Vec::new(),
        elapsed_ms: 12,
    }
}

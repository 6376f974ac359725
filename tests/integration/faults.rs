//! A provider that fails, stalls, throttles or answers garbage degrades its channel, never the check.

use std::net::SocketAddr;
use std::sync::Arc;

use shadowhunter_core::ports::CheckStore;
use shadowhunter_core::{Channel, Check, CheckRequest, Verdict};
use shadowhunter_local::sandboxed::SandboxedWorlds;
use shadowhunter_local::store::SqliteStore;
use shadowhunter_sandbox::{Fault, Scenario};

use crate::support::scenario_clock;

fn scenario_with_faults(faults: &[(Channel, Fault)]) -> Scenario {
    let mut scenario: Scenario = serde_json::from_value(serde_json::json!({
        "id": "faulty",
        "request": {"subject": {
            "kind": "company", "name": "Nordlicht Optics GmbH", "country": "DE",
            "website": "http://nordlicht-optics.example",
            "social": {"linkedin": "https://www.linkedin.com/company/nordlicht-optics", "facebook": "https://www.facebook.com/nordlichtoptics", "twitter": "nordlichtoptics"}
        }},
        "world": {
            "search": {"documents": [{"title": "Nordlicht Optics GmbH - lenses from Jena", "url": "http://nordlicht-optics.example/", "snippet": "Nordlicht Optics GmbH grinds precision lenses in Jena.", "published": "2025-01-01"}]},
            "web": {"pages": {"http://nordlicht-optics.example/": "<html><head><title>Nordlicht Optics GmbH</title></head><body><h1>Nordlicht Optics GmbH</h1><p>Precision lenses from Jena.</p></body></html>"},
                    "domains": {"nordlicht-optics.example": {"registered": "2003-02-01"}}}
        },
        "expected": {"risk": "low"}
    }))
    .expect("a valid scenario");
    scenario.world.faults = faults.iter().copied().collect();
    scenario
}

async fn run(scenario: &Scenario) -> shadowhunter_core::Report {
    let worlds = SandboxedWorlds::start(std::slice::from_ref(scenario), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("sandbox starts");
    let store: Arc<dyn CheckStore> = Arc::new(SqliteStore::in_memory().expect("store opens"));
    let clock = scenario_clock();
    let request: CheckRequest = scenario.check_request().expect("valid request");
    let check = Check::new(request, clock.now());
    store.insert_check(&check).await.expect("insert");
    let providers = worlds
        .provider_config(&scenario.id)
        .build(&shadowhunter_providers::http::client());
    shadowhunter_local::workflow::run_check(&check, &providers, store, clock, None)
        .await
        .expect("the check completes")
}

#[tokio::test]
async fn every_kind_of_fault_makes_only_its_channel_unavailable() {
    let scenario = scenario_with_faults(&[
        (Channel::Linkedin, Fault::Unavailable),
        (Channel::Facebook, Fault::RateLimited),
        (Channel::Twitter, Fault::Malformed),
        (Channel::Customs, Fault::Timeout),
    ]);
    let report = run(&scenario).await;
    for channel in ["linkedin", "facebook", "twitter", "customs"] {
        assert_eq!(
            report.channels[channel].verdict,
            Verdict::Unavailable,
            "{channel}: {}",
            report.channels[channel].reason
        );
    }
    assert_eq!(
        report.channels["search"].verdict,
        Verdict::Consistent,
        "{}",
        report.channels["search"].reason
    );
    assert_eq!(
        report.channels["website"].verdict,
        Verdict::Consistent,
        "{}",
        report.channels["website"].reason
    );
    assert!(
        report.channels["customs"].reason.contains("did not answer"),
        "{}",
        report.channels["customs"].reason
    );
}

#[tokio::test]
async fn a_faulty_website_is_unavailable_not_unreachable() {
    let report = run(&scenario_with_faults(&[(Channel::Website, Fault::Unavailable)])).await;
    let website = &report.channels["website"];
    assert_eq!(website.verdict, Verdict::Unavailable, "{}", website.reason);
    assert!(!report.flags.iter().any(|flag| flag.as_str() == "website_unreachable"));
}

#[tokio::test]
async fn a_channel_without_a_provider_is_unavailable_as_not_configured() {
    let scenario = scenario_with_faults(&[]);
    let store: Arc<dyn CheckStore> = Arc::new(SqliteStore::in_memory().expect("store opens"));
    let clock = scenario_clock();
    let check = Check::new(scenario.check_request().expect("valid"), clock.now());
    store.insert_check(&check).await.expect("insert");
    let providers = shadowhunter_core::ports::Providers::default();
    let report = shadowhunter_local::workflow::run_check(&check, &providers, store, clock, None)
        .await
        .expect("completes");
    for verdict in report.channels.values() {
        assert_eq!(verdict.verdict, Verdict::Unavailable);
        assert!(verdict.reason.contains("not configured"), "{}", verdict.reason);
    }
    assert_eq!(report.risk, shadowhunter_core::RiskLevel::Low);
}

//! The three steps of a check — collect, compare, summarize — each callable on its own by a state machine,
//! and `run_check`, which runs them all in process.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use futures::future::join_all;
use tracing::Instrument;

use crate::channel::Channel;
use crate::check::Check;
use crate::evidence::{Evidence, Finding, Lookup, ProviderCall, ProviderError};
use crate::judge::{DETERMINISTIC, judge_channel};
use crate::planner;
use crate::ports::{CheckStore, Clock, Providers, StoreError};
use crate::profile::SubjectProfile;
use crate::report::Report;
use crate::risk;
use crate::verdict::{ChannelVerdict, Verdict};

/// Gathers one channel's evidence: the planned lookups in parallel, then any follow-ups.
pub async fn collect(check: &Check, channel: Channel, providers: &Providers) -> Evidence {
    let started = Instant::now();
    let subject = &check.request.subject;
    let Some(provider) = providers.get(channel) else {
        return Evidence {
            channel,
            findings: Vec::new(),
            calls: vec![ProviderCall {
                provider: "none".into(),
                lookup: planner::plan(subject, channel)
                    .into_iter()
                    .next()
                    .unwrap_or(Lookup::WebSearch { query: String::new() }),
                elapsed_ms: 0,
                findings: 0,
                error: Some(ProviderError::NotConfigured),
            }],
            elapsed_ms: 0,
        };
    };
    let mut findings = Vec::new();
    let mut calls = Vec::new();
    let first_wave = planner::plan(subject, channel);
    run_wave(provider.as_ref(), &first_wave, &mut findings, &mut calls).await;
    let second_wave = planner::follow_ups(subject, channel, &findings);
    run_wave(provider.as_ref(), &second_wave, &mut findings, &mut calls).await;
    Evidence {
        channel,
        findings,
        calls,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

async fn run_wave(
    provider: &dyn crate::ports::Provider,
    lookups: &[Lookup],
    findings: &mut Vec<Finding>,
    calls: &mut Vec<ProviderCall>,
) {
    let results = join_all(lookups.iter().map(|lookup| async move {
        let started = Instant::now();
        let outcome = provider.lookup(lookup).await;
        (lookup, outcome, started.elapsed().as_millis() as u64)
    }))
    .await;
    for (lookup, outcome, elapsed_ms) in results {
        let (found, error) = match outcome {
            Ok(found) => (found, None),
            Err(error) => (Vec::new(), Some(error)),
        };
        calls.push(ProviderCall {
            provider: provider.name().to_string(),
            lookup: lookup.clone(),
            elapsed_ms,
            findings: found.len(),
            error,
        });
        for finding in found {
            if !findings.contains(&finding) {
                findings.push(finding);
            }
        }
    }
}

/// Judges one channel's evidence against the request.
pub async fn compare(check: &Check, evidence: &Evidence, clock: &dyn Clock) -> ChannelVerdict {
    let profile = SubjectProfile::new(&check.request.subject);
    judge_channel(&profile, evidence, clock.today())
}

/// Writes the report from every channel's verdict.
pub fn summarize(check: &Check, verdicts: Vec<ChannelVerdict>, clock: &dyn Clock) -> Report {
    let profile = SubjectProfile::new(&check.request.subject);
    let mut flags: BTreeSet<_> = verdicts
        .iter()
        .flat_map(|verdict| verdict.flags.iter().copied())
        .collect();
    flags.extend(risk::cross_channel_flags(&profile, &verdicts));
    let context = risk::RiskContext {
        ships_other_goods: risk::ships_other_goods(&verdicts),
        subject_is_person: !profile.is_company(),
    };
    let (risk, risk_reasons) = risk::assess(&flags, context);
    let provider_calls = verdicts
        .iter()
        .flat_map(|verdict| verdict.calls.iter())
        .filter(|call| call.error != Some(ProviderError::NotConfigured))
        .count();
    let elapsed_ms = verdicts
        .iter()
        .map(|verdict| verdict.elapsed_ms)
        .max()
        .unwrap_or_default();
    let summary = narrative(&profile, &verdicts, &flags, risk.as_str());
    let channels: BTreeMap<String, ChannelVerdict> = verdicts
        .into_iter()
        .map(|verdict| (verdict.channel.as_str().to_string(), verdict))
        .collect();
    Report {
        check_id: check.id.clone(),
        reference: check.request.reference.clone(),
        subject_name: check.request.subject.name.clone(),
        risk,
        risk_reasons,
        flags: flags.into_iter().collect(),
        channels,
        summary,
        evaluator: DETERMINISTIC.into(),
        provider_calls,
        elapsed_ms,
        completed_at: clock.now(),
    }
}

/// A short analyst-style paragraph; every claim cites the evidence ids it rests on.
fn narrative(
    profile: &SubjectProfile,
    verdicts: &[ChannelVerdict],
    flags: &BTreeSet<crate::flags::Flag>,
    risk: &str,
) -> String {
    let mut sentences = vec![format!("{} is rated {risk} risk.", profile.name)];
    for verdict in verdicts {
        let cited: Vec<&str> = verdict
            .evidence
            .iter()
            .filter(|evidence| evidence.relevant)
            .map(|evidence| evidence.id.as_str())
            .take(4)
            .collect();
        let citation = if cited.is_empty() {
            String::new()
        } else {
            format!(" [{}]", cited.join(", "))
        };
        let verdict_word = match verdict.verdict {
            Verdict::Consistent => "consistent",
            Verdict::Inconsistent => "inconsistent",
            Verdict::NotFound => "not found",
            Verdict::Unavailable => "unavailable",
        };
        sentences.push(format!(
            "{}: {verdict_word} — {}{citation}.",
            verdict.channel, verdict.reason
        ));
    }
    if !flags.is_empty() {
        let names: Vec<&str> = flags.iter().map(|flag| flag.as_str()).collect();
        sentences.push(format!("Flags: {}.", names.join(", ")));
    }
    sentences.join(" ")
}

/// Runs a whole check in process: every requested channel's collect and compare in parallel, each result
/// stored as it lands, then the summary. The Lambdas run the same steps one per function.
pub async fn run_check(
    check: &Check,
    providers: &Providers,
    store: &dyn CheckStore,
    clock: &dyn Clock,
) -> Result<Report, StoreError> {
    let channels = check.request.requested_channels();
    let verdicts = join_all(channels.into_iter().map(|channel| {
        let span = tracing::info_span!("channel", check_id = %check.id, channel = %channel);
        async move {
            let evidence = collect(check, channel, providers).await;
            store.put_evidence(&check.id, &evidence).await?;
            let verdict = compare(check, &evidence, clock).await;
            store.put_verdict(&check.id, &verdict).await?;
            Ok::<_, StoreError>(verdict)
        }
        .instrument(span)
    }))
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    let report = summarize(check, verdicts, clock);
    store.put_report(&check.id, &report).await?;
    Ok(report)
}

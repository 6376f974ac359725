//! The work inside the steps of a check — collect, compare, summarize, the LLM's review and agent — which
//! `crate::steps` runs as the state machine's tasks.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use futures::future::join_all;

use crate::channel::Channel;
use crate::check::Check;
use crate::evidence::{Evidence, Finding, Lookup, ProviderCall, ProviderError};
use crate::flags::Flag;
use crate::judge::{DETERMINISTIC, judge_channel};
use crate::llm::{Llm, LlmUsage};
use crate::planner;
use crate::ports::{CheckStore, Clock, Providers, StoreError};
use crate::profile::SubjectProfile;
use crate::report::Report;
use crate::request::Lang;
use crate::risk;
use crate::verdict::{ChannelVerdict, Field, Verdict};

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

/// Runs lookups on one provider in parallel, appending new findings (deduplicated) and the call records.
pub async fn run_wave(
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
            if !findings.iter().any(|known| known.is_same_record(&finding)) {
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
    summarize_profiled(check, &SubjectProfile::new(&check.request.subject), verdicts, clock)
}

/// `summarize` with the subject's profile already derived.
pub(crate) fn summarize_profiled(
    check: &Check,
    profile: &SubjectProfile,
    verdicts: Vec<ChannelVerdict>,
    clock: &dyn Clock,
) -> Report {
    let mut flags: BTreeSet<_> = verdicts
        .iter()
        .flat_map(|verdict| verdict.flags.iter().copied())
        .collect();
    flags.extend(risk::cross_channel_flags(profile, &verdicts));
    for (field, flag) in [
        (Field::Address, Flag::AddressMismatch),
        (Field::Phone, Flag::PhoneMismatch),
    ] {
        if risk::mismatch_only_on_own_pages(&verdicts, field) {
            flags.remove(&flag);
        }
    }
    let (risk, risk_reasons) = risk::assess_check(profile, &verdicts, &flags);
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
    let summary = narrative(profile, &verdicts, &flags, risk, check.request.lang());
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
        llm: crate::llm::LlmUsage::default(),
        provider_calls,
        elapsed_ms,
        completed_at: clock.now(),
    }
}

/// A short analyst-style paragraph in the request's language; every claim cites the evidence ids it rests on.
pub(crate) fn narrative(
    profile: &SubjectProfile,
    verdicts: &[ChannelVerdict],
    flags: &BTreeSet<crate::flags::Flag>,
    risk: crate::report::RiskLevel,
    lang: Lang,
) -> String {
    let zh = lang == Lang::Zh;
    let mut sentences = vec![if zh {
        format!("{}：风险等级{}。", profile.name, risk_word_zh(risk))
    } else {
        format!("{} is rated {} risk.", profile.name, risk.as_str())
    }];
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
        sentences.push(if zh {
            format!(
                "{}：{}{citation}。",
                channel_word_zh(verdict.channel),
                verdict_word_zh(verdict.verdict)
            )
        } else {
            format!(
                "{}: {} — {}{citation}.",
                verdict.channel,
                verdict.verdict.as_str().replace('_', " "),
                verdict.reason
            )
        });
    }
    if !flags.is_empty() {
        let names: Vec<&str> = flags.iter().map(|flag| flag.as_str()).collect();
        sentences.push(if zh {
            format!("风险标记：{}。", names.join("、"))
        } else {
            format!("Flags: {}.", names.join(", "))
        });
    }
    sentences.join(if zh { "" } else { " " })
}

fn risk_word_zh(risk: crate::report::RiskLevel) -> &'static str {
    match risk {
        crate::report::RiskLevel::Low => "低",
        crate::report::RiskLevel::Medium => "中",
        crate::report::RiskLevel::High => "高",
    }
}

fn verdict_word_zh(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Consistent => "信息一致",
        Verdict::Inconsistent => "信息不一致",
        Verdict::NotFound => "未找到相关信息",
        Verdict::Unavailable => "渠道不可用",
    }
}

fn channel_word_zh(channel: Channel) -> &'static str {
    match channel {
        Channel::Search => "网络搜索",
        Channel::Customs => "海关记录",
        Channel::Linkedin => "领英",
        Channel::Facebook => "脸书",
        Channel::Twitter => "X/推特",
        Channel::Website => "官方网站",
    }
}

/// Asks the LLM, when one is configured and the rules left something open, to review the report (one batched
/// call); any LLM failure leaves the rules' report as it is. The usage is recorded in the report either way.
pub async fn review(check: &Check, report: &mut Report, llm: Option<&dyn Llm>, usage: &mut LlmUsage) {
    let Some(llm) = llm else {
        return;
    };
    if crate::llm::judge::questions(report).is_empty() {
        return;
    }
    match crate::llm::judge::refine(llm, check, report, usage).await {
        Ok(changes) => tracing::info!(check_id = %check.id, changes = changes.len(), "LLM review applied"),
        Err(error) => {
            usage.failures += 1;
            report
                .risk_reasons
                .push(format!("LLM review skipped ({error}); the rules' verdicts stand"));
            tracing::warn!(check_id = %check.id, %error, "LLM review failed; deterministic report kept");
        }
    }
}

/// The agent step: when the planned lookups left the identity unresolved, the LLM plans more lookups; what it
/// finds joins each channel's evidence, and those channels are judged again by the same rules.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn investigate(
    check: &Check,
    providers: &Providers,
    store: &dyn CheckStore,
    clock: &dyn Clock,
    llm: &dyn Llm,
    evidence: &mut [Evidence],
    verdicts: &mut [ChannelVerdict],
    usage: &mut LlmUsage,
) -> Result<(), StoreError> {
    let outcome = crate::llm::agent::investigate(
        llm,
        check,
        verdicts,
        providers,
        &crate::llm::agent::AgentBudget::default(),
    )
    .await;
    usage.calls += outcome.usage.calls;
    usage.prompt_tokens += outcome.usage.prompt_tokens;
    usage.completion_tokens += outcome.usage.completion_tokens;
    usage.failures += outcome.usage.failures;
    tracing::info!(check_id = %check.id, steps = outcome.steps, stopped = ?outcome.stopped, "agent finished");
    for found in outcome.evidence {
        let Some(position) = evidence.iter().position(|known| known.channel == found.channel) else {
            continue;
        };
        let merged = &mut evidence[position];
        for finding in found.findings {
            if !merged.findings.iter().any(|known| known.is_same_record(&finding)) {
                merged.findings.push(finding);
            }
        }
        merged.calls.extend(found.calls);
        merged.elapsed_ms += found.elapsed_ms;
        store.put_evidence(&check.id, merged.clone()).await?;
        let verdict = compare(check, merged, clock).await;
        store.put_verdict(&check.id, verdict.clone()).await?;
        verdicts[position] = verdict;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    use async_trait::async_trait;
    use chrono::{Duration, Utc};

    use super::*;
    use crate::evidence::Record;
    use crate::ports::Provider;
    use crate::request::CheckRequest;

    /// Answers every search with the same page, stamped at the time of each call, as a real adapter does.
    struct SamePageEverySearch {
        calls: AtomicI64,
    }

    #[async_trait]
    impl Provider for SamePageEverySearch {
        fn channel(&self) -> Channel {
            Channel::Search
        }

        fn name(&self) -> &'static str {
            "same-page"
        }

        async fn lookup(&self, _lookup: &Lookup) -> Result<Vec<Finding>, ProviderError> {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(vec![Finding {
                provider: "same-page".into(),
                source: "https://news.example/acme".into(),
                fetched_at: Utc::now() + Duration::milliseconds(call),
                record: Record::SearchResult {
                    title: "Acme Trading Ltd expands".into(),
                    url: "https://news.example/acme".into(),
                    snippet: "Acme Trading Ltd opened a warehouse in Ningbo.".into(),
                    published: None,
                },
            }])
        }
    }

    #[tokio::test]
    async fn a_page_that_several_lookups_return_is_one_finding() {
        let body = r#"{"subject": {"kind": "company", "name": "Acme Trading Ltd", "country": "CN",
                       "website": "https://acme-trading.example", "phone": "+86 574 8765 4321"}}"#;
        let check = Check::new(CheckRequest::from_json(body.as_bytes()).unwrap(), Utc::now());
        let provider = Arc::new(SamePageEverySearch {
            calls: AtomicI64::new(0),
        });
        let evidence = collect(&check, Channel::Search, &Providers::default().with(provider)).await;
        assert!(
            evidence.calls.len() >= 2,
            "the plan makes several searches: {:?}",
            evidence.calls
        );
        assert_eq!(evidence.findings.len(), 1, "{:?}", evidence.findings);
    }
}

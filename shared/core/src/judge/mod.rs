//! The deterministic judge: decides per channel which findings are about the subject and how they compare.
//!
//! Each channel module turns its findings into a [`Judgement`]: the relevant findings, field comparisons and
//! flags. The verdict follows from it by one rule: nothing relevant → `not_found`; a material mismatch →
//! `inconsistent`; otherwise `consistent`. Provider failures → `unavailable`.

mod customs;
mod linkedin;
mod roles;
mod search;
mod social;
mod website;

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::channel::Channel;
use crate::evidence::{Evidence, ProviderError, Record};
use crate::flags::Flag;
use crate::matching::{domain, phone, signals};
use crate::profile::SubjectProfile;
use crate::verdict::{AdverseReport, ChannelVerdict, EvidenceRef, Field, FieldComparison, Outcome, Verdict};

/// The name the report gives the deterministic evaluator.
pub const DETERMINISTIC: &str = "deterministic";

/// Judges one channel's evidence.
pub fn judge_channel(profile: &SubjectProfile, evidence: &Evidence, today: NaiveDate) -> ChannelVerdict {
    crate::matching::text::with_folds_remembered(|| judge_evidence(profile, evidence, today))
}

fn judge_evidence(profile: &SubjectProfile, evidence: &Evidence, today: NaiveDate) -> ChannelVerdict {
    if let Some(error) = evidence.blocking_error() {
        return unavailable(evidence, error);
    }
    let judgement = match evidence.channel {
        Channel::Search => search::judge(profile, evidence),
        Channel::Customs => customs::judge(profile, evidence, today),
        Channel::Linkedin => linkedin::judge(profile, evidence),
        Channel::Facebook => social::judge_facebook(profile, evidence),
        Channel::Twitter => social::judge_twitter(profile, evidence),
        Channel::Website => match website::judge(profile, evidence, today) {
            Ok(judgement) => judgement,
            Err(error) => return unavailable(evidence, &error),
        },
    };
    judgement.finish(evidence)
}

fn unavailable(evidence: &Evidence, error: &ProviderError) -> ChannelVerdict {
    ChannelVerdict {
        channel: evidence.channel,
        verdict: Verdict::Unavailable,
        reason: format!("{} could not be searched: {error}", evidence.channel),
        fields: Vec::new(),
        flags: Vec::new(),
        evidence: cite(evidence, &BTreeSet::new()),
        calls: evidence.calls.clone(),
        adverse_media: Vec::new(),
        elapsed_ms: evidence.elapsed_ms,
        evaluator: DETERMINISTIC.into(),
    }
}

fn cite(evidence: &Evidence, relevant: &BTreeSet<usize>) -> Vec<EvidenceRef> {
    evidence
        .findings
        .iter()
        .enumerate()
        .map(|(index, finding)| EvidenceRef {
            id: Evidence::finding_id(evidence.channel, index),
            relevant: relevant.contains(&index),
            snippet: finding.record.snippet(),
            finding: finding.clone(),
        })
        .collect()
}

/// What a channel judge concluded, before it becomes a verdict.
#[derive(Debug, Default)]
pub(crate) struct Judgement {
    relevant: BTreeSet<usize>,
    fields: Vec<FieldComparison>,
    flags: BTreeSet<Flag>,
    /// Facts found that do not change the verdict but belong in the reason (adverse media, injection).
    notes: Vec<String>,
    adverse_media: Vec<AdverseReport>,
    /// Set when the channel was searched but could hold nothing (e.g. no website entered).
    not_found_reason: Option<String>,
}

impl Judgement {
    /// The outcomes this judgement gives `field`, in order.
    #[cfg(test)]
    fn outcomes_of(&self, field: Field) -> Vec<Outcome> {
        self.fields
            .iter()
            .filter(|compared| compared.field == field)
            .map(|compared| compared.outcome)
            .collect()
    }

    fn mark_relevant(&mut self, index: usize) {
        self.relevant.insert(index);
    }

    fn compare(
        &mut self,
        field: Field,
        entered: &str,
        found: &str,
        outcome: Outcome,
        evidence: &[usize],
        note: impl Into<String>,
    ) {
        self.fields.push(FieldComparison {
            field,
            entered: entered.to_string(),
            found: found.to_string(),
            outcome,
            evidence: evidence.iter().map(|index| index.to_string()).collect(),
            note: note.into(),
        });
    }

    fn flag(&mut self, flag: Flag) {
        self.flags.insert(flag);
    }

    fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    fn finish(mut self, evidence: &Evidence) -> ChannelVerdict {
        let channel = evidence.channel;
        scan_for_injection(&mut self, evidence);
        for comparison in &mut self.fields {
            comparison.evidence = comparison
                .evidence
                .iter()
                .filter_map(|index| index.parse::<usize>().ok())
                .map(|index| Evidence::finding_id(channel, index))
                .collect();
        }
        let mismatched: Vec<Field> = self
            .fields
            .iter()
            .filter(|comparison| comparison.outcome == Outcome::Mismatch)
            .map(|comparison| comparison.field)
            .collect();
        for field in &mismatched {
            if let Some(flag) = flag_for_mismatch(channel, *field) {
                self.flags.insert(flag);
            }
        }
        let (verdict, mut reason) = if self.relevant.is_empty() {
            let why = self.not_found_reason.clone().unwrap_or_else(|| {
                format!(
                    "{channel} holds nothing about the subject ({} findings, none about it)",
                    evidence.findings.len()
                )
            });
            (Verdict::NotFound, why)
        } else if !mismatched.is_empty() {
            let fields: BTreeSet<&str> = mismatched.iter().map(field_name).collect();
            (
                Verdict::Inconsistent,
                format!(
                    "{channel} contradicts the request on {}",
                    fields.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
        } else {
            let matched: BTreeSet<&str> = self
                .fields
                .iter()
                .filter(|comparison| comparison.outcome == Outcome::Match)
                .map(|comparison| field_name(&comparison.field))
                .collect();
            let agreeing = if matched.is_empty() {
                "found the subject".to_string()
            } else {
                format!("agrees on {}", matched.into_iter().collect::<Vec<_>>().join(", "))
            };
            (Verdict::Consistent, format!("{channel} {agreeing}"))
        };
        for note in &self.notes {
            reason.push_str("; ");
            reason.push_str(note);
        }
        ChannelVerdict {
            channel,
            verdict,
            reason,
            fields: self.fields,
            flags: self.flags.into_iter().collect(),
            evidence: cite(evidence, &self.relevant),
            calls: evidence.calls.clone(),
            adverse_media: self.adverse_media,
            elapsed_ms: evidence.elapsed_ms,
            evaluator: DETERMINISTIC.into(),
        }
    }
}

fn field_name(field: &Field) -> &'static str {
    match field {
        Field::Name => "name",
        Field::Address => "address",
        Field::Country => "country",
        Field::Phone => "phone",
        Field::Email => "e-mail domain",
        Field::Website => "website",
        Field::Contact => "contact person",
        Field::Employer => "employer",
        Field::LineOfBusiness => "line of business",
        Field::TradeRole => "trade role",
        Field::DomainAge => "domain age",
        Field::LastShipment => "last shipment",
        Field::OperatingStatus => "operating status",
    }
}

/// The flag a material mismatch raises on a channel.
pub(crate) fn flag_for_mismatch(channel: Channel, field: Field) -> Option<Flag> {
    match field {
        Field::Name => Some(Flag::NameMismatch),
        Field::Country if channel == Channel::Customs => Some(Flag::TradeProfileMismatch),
        Field::Address | Field::Country => Some(Flag::AddressMismatch),
        Field::Phone => Some(Flag::PhoneMismatch),
        Field::Email => Some(Flag::EmailDomainMismatch),
        Field::Contact | Field::Employer => Some(Flag::ContactNotVerified),
        Field::LineOfBusiness if channel == Channel::Website => Some(Flag::WebsiteContentMismatch),
        Field::LineOfBusiness | Field::TradeRole if channel == Channel::Customs => Some(Flag::TradeProfileMismatch),
        _ => None,
    }
}

/// Instruction-like text aimed at an AI anywhere in the channel's findings raises `prompt_injection`.
fn scan_for_injection(judgement: &mut Judgement, evidence: &Evidence) {
    let mut scan = signals::InjectionScan::default();
    for (index, finding) in evidence.findings.iter().enumerate() {
        let text = match &finding.record {
            Record::WebPage {
                text,
                hidden_text,
                title,
                ..
            } => format!("{title}\n{text}\n{hidden_text}"),
            record => record.snippet(),
        };
        if let Some(span) = scan.first_span(&text) {
            judgement.flag(Flag::PromptInjection);
            judgement.note(format!(
                "{} holds instructions aimed at AI reviewers, quoted as data: \"{}\"",
                Evidence::finding_id(evidence.channel, index),
                span.chars().take(160).collect::<String>()
            ));
        }
    }
}

/// Compares the entered phone with the numbers a finding shows, as E.164.
fn compare_phone(judgement: &mut Judgement, profile: &SubjectProfile, found: &[String], index: usize) {
    let (Some(entered), Some(entered_e164)) = (&profile.phone, &profile.phone_e164) else {
        return;
    };
    let found_e164: Vec<String> = found
        .iter()
        .filter_map(|raw| phone::to_e164(raw, profile.country.as_deref()))
        .collect();
    if found_e164.is_empty() {
        return;
    }
    let outcome = if found_e164.contains(entered_e164) {
        Outcome::Match
    } else {
        Outcome::Mismatch
    };
    judgement.compare(
        Field::Phone,
        entered,
        &found.join(", "),
        outcome,
        &[index],
        format!("compared as E.164 ({entered_e164})"),
    );
}

/// Compares the entered e-mail with the addresses a finding shows: by domain for a company domain, by the
/// whole address for a free-mail one (anyone can open a box at gmail.com).
fn compare_email(judgement: &mut Judgement, profile: &SubjectProfile, found: &[String], index: usize) {
    let (Some(entered), Some(entered_domain)) = (&profile.email, &profile.email_domain) else {
        return;
    };
    let found: Vec<String> = found
        .iter()
        .filter(|email| email.contains('@'))
        .map(|email| email.trim().to_lowercase())
        .collect();
    if found.is_empty() {
        return;
    }
    let free_mail = domain::is_free_mail(entered_domain);
    let agrees = |email: &String| {
        if free_mail {
            email.eq_ignore_ascii_case(entered)
        } else {
            email
                .rsplit_once('@')
                .is_some_and(|(_, domain)| domain::same_site(domain, entered_domain))
        }
    };
    let outcome = if found.iter().any(agrees) {
        Outcome::Match
    } else {
        Outcome::Mismatch
    };
    let note = if free_mail {
        "a free-mail address compared whole"
    } else {
        "compared by e-mail domain"
    };
    judgement.compare(Field::Email, entered, &found.join(", "), outcome, &[index], note);
}

/// Compares the entered website with a URL a profile links to, by registrable domain.
fn compare_website(judgement: &mut Judgement, profile: &SubjectProfile, found: Option<&str>, index: usize) {
    let (Some(entered), Some(found)) = (&profile.website, found.filter(|found| !found.trim().is_empty())) else {
        return;
    };
    let outcome = if domain::same_site(entered, found) {
        Outcome::Match
    } else {
        Outcome::Mismatch
    };
    judgement.compare(
        Field::Website,
        entered,
        found,
        outcome,
        &[index],
        "compared by registrable domain",
    );
}

/// Whether a profile links to the subject's own website or e-mail domain.
fn links_to_subject(profile: &SubjectProfile, urls: &[Option<&str>]) -> bool {
    let own_domains: Vec<&str> = [profile.website.as_deref(), profile.corporate_email_domain()]
        .into_iter()
        .flatten()
        .collect();
    urls.iter()
        .flatten()
        .filter(|url| !url.trim().is_empty())
        .any(|url| own_domains.iter().any(|own| domain::same_site(url, own)))
}

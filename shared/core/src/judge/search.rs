//! Web search: which results are about the subject, adverse media among them, and (for people) the employer they show.

use crate::evidence::{Evidence, Record};
use crate::flags::Flag;
use crate::matching::{domain, names, signals, text};
use crate::profile::{SubjectProfile, company_names_compatible};
use crate::verdict::{Field, Outcome};

use super::Judgement;

pub(super) fn judge(profile: &SubjectProfile, evidence: &Evidence) -> Judgement {
    let mut judgement = Judgement::default();
    let mut seen_urls = Vec::new();
    for (index, finding) in evidence.findings.iter().enumerate() {
        let Record::SearchResult {
            title, url, snippet, ..
        } = &finding.record
        else {
            continue;
        };
        if seen_urls.contains(url) {
            continue;
        }
        seen_urls.push(url.clone());
        let body = format!("{title}. {snippet}");
        let own_site = profile
            .website
            .as_deref()
            .is_some_and(|website| domain::same_site(website, url));
        if profile.is_company() {
            let about_subject =
                own_site || (profile.is_mentioned_in(&body) && !about_a_namesake_abroad(profile, &body));
            if !about_subject {
                continue;
            }
            judgement.mark_relevant(index);
            // A directory listing or news item that publishes the company's number or address is evidence too.
            let phones = crate::matching::phone::phones_in(snippet);
            if !phones.is_empty() {
                super::compare_phone(&mut judgement, profile, &phones, index);
            }
            let products = crate::matching::business::products_mentioned(&profile.products, &body);
            if !products.is_empty() {
                judgement.compare(
                    Field::LineOfBusiness,
                    &profile.products.join(", "),
                    &products.join(", "),
                    Outcome::Match,
                    &[index],
                    "claimed products named in the result",
                );
            }
        } else {
            if !person_result_is_about_subject(profile, &body) {
                continue;
            }
            judgement.mark_relevant(index);
            compare_employer_in_text(&mut judgement, profile, &body, index);
        }
        let adverse = signals::adverse_terms(&body);
        if !adverse.is_empty() && signals::victim_context(&body) {
            judgement.note(format!(
                "{} reports wrongdoing against the subject, not by it",
                Evidence::finding_id(evidence.channel, index)
            ));
        } else if !own_site && !adverse.is_empty() {
            judgement.flag(Flag::AdverseMedia);
            judgement.note(format!(
                "adverse media in {}: {}",
                Evidence::finding_id(evidence.channel, index),
                adverse.join(", ")
            ));
        }
    }
    judgement
}

/// A result that places the name in other countries only — none of them the subject's, and none of the
/// subject's own place names — is about a namesake abroad.
fn about_a_namesake_abroad(profile: &SubjectProfile, body: &str) -> bool {
    let Some(country) = profile.country.as_deref() else {
        return false;
    };
    let named = crate::countries::mentioned_in(body);
    if named.is_empty() || named.contains(&country) {
        return false;
    }
    let body_tokens = text::tokens(body);
    !profile
        .locality_tokens()
        .iter()
        .any(|token| body_tokens.contains(token))
}

/// A result is about the person checked when it names them and something else ties it to them:
/// the claimed employer, their job title, or their e-mail domain.
fn person_result_is_about_subject(profile: &SubjectProfile, body: &str) -> bool {
    if !names::mentions_person(body, &profile.name) {
        return false;
    }
    let employer_named = profile
        .employer()
        .is_some_and(|employer| names::mentions_company(body, employer, &[]));
    let title_named = profile
        .contact_title
        .as_deref()
        .is_some_and(|title| title_words_present(title, body));
    let domain_named = profile.corporate_email_domain().is_some_and(|own| {
        domain::emails_in(body)
            .iter()
            .any(|email| domain::same_site(email.rsplit('@').next().unwrap_or(""), own))
    });
    employer_named || title_named || domain_named
}

/// Whether every content word of a job title ("Export Sales Director") appears in the text.
pub(super) fn title_words_present(title: &str, body: &str) -> bool {
    let body_tokens = text::tokens(body);
    let title_tokens: Vec<String> = text::tokens(title)
        .into_iter()
        .filter(|token| token.len() > 2)
        .collect();
    !title_tokens.is_empty() && title_tokens.iter().all(|token| body_tokens.contains(token))
}

/// For a person: the employer a text shows them at, against the one claimed.
pub(super) fn compare_employer_in_text(judgement: &mut Judgement, profile: &SubjectProfile, body: &str, index: usize) {
    let Some(claimed) = profile.employer() else {
        return;
    };
    if names::mentions_company(body, claimed, &[]) {
        judgement.compare(
            Field::Employer,
            claimed,
            claimed,
            Outcome::Match,
            &[index],
            "the text names the person with the claimed employer",
        );
        return;
    }
    let others: Vec<String> = names::company_names_in(body)
        .into_iter()
        .filter(|other| !company_names_compatible(other, claimed, &[]))
        .collect();
    if let Some(other) = others.first() {
        judgement.compare(
            Field::Employer,
            claimed,
            other,
            Outcome::Mismatch,
            &[index],
            "the text shows the person at another company",
        );
    }
}

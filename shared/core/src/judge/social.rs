//! Facebook pages and X accounts: find the subject's own profile, then compare what it publishes.

use crate::evidence::{Evidence, Lookup, Record};
use crate::matching::{address, domain, signals};
use crate::profile::SubjectProfile;
use crate::verdict::{Field, Outcome};

use super::linkedin::{compare_location, located_elsewhere, normalize_profile_url};
use super::{Judgement, compare_email, compare_phone, compare_website, links_to_subject};

pub(super) fn judge_facebook(profile: &SubjectProfile, evidence: &Evidence) -> Judgement {
    let mut judgement = Judgement::default();
    let requested: Vec<String> = evidence
        .calls
        .iter()
        .filter_map(|call| match &call.lookup {
            Lookup::FacebookPage { url } => Some(normalize_profile_url(url)),
            _ => None,
        })
        .collect();
    let candidates = evidence
        .findings
        .iter()
        .enumerate()
        .filter_map(|(index, finding)| match &finding.record {
            Record::FacebookPage {
                url,
                name,
                about,
                website,
                email,
                address,
                ..
            } => {
                let by_request = requested.contains(&normalize_profile_url(url));
                let email_site = email
                    .as_deref()
                    .and_then(|email| email.rsplit_once('@').map(|(_, domain)| domain));
                let linked = links_to_subject(profile, &[website.as_deref(), email_site]);
                let elsewhere = address
                    .as_deref()
                    .is_some_and(|address| located_elsewhere(profile, Some(address)));
                Some((
                    index,
                    rank(
                        by_request,
                        linked,
                        names_subject(profile, name, about.as_deref()),
                        elsewhere,
                    )?,
                ))
            }
            _ => None,
        });
    let Some(index) = best(candidates) else {
        return judgement;
    };
    judgement.mark_relevant(index);
    let Record::FacebookPage {
        name,
        about,
        address,
        phone,
        website,
        email,
        ..
    } = &evidence.findings[index].record
    else {
        return judgement;
    };
    let email_site = email
        .as_deref()
        .and_then(|email| email.rsplit_once('@').map(|(_, domain)| domain));
    let linked = links_to_subject(profile, &[website.as_deref(), email_site]);
    if employer_page_naming_person(profile, name, about.as_deref()) {
        judgement.compare(
            Field::Name,
            &profile.name,
            name,
            Outcome::Match,
            &[index],
            "the page of the claimed employer names the person",
        );
    } else {
        compare_name(&mut judgement, profile, name, linked, index);
    }
    compare_website(&mut judgement, profile, website.as_deref(), index);
    // A company asking for business that its own page says has closed must prove it still trades.
    if profile.is_company()
        && linked
        && let Some(about) = about.as_deref().filter(|about| signals::announces_closure(about))
    {
        judgement.compare(
            Field::OperatingStatus,
            "trading",
            about,
            Outcome::Mismatch,
            &[index],
            "the company's own page says it has stopped trading",
        );
    }
    if let (Some(entered), Some(found)) = (&profile.address, address) {
        let mut comparison = address::compare_addresses(entered, found, profile.country.as_deref());
        let mut found = found.clone();
        // A page's own text announcing a move ("we have moved to …") outdates its address field.
        if comparison.outcome == Outcome::Mismatch
            && let Some((announced, agreeing)) = about
                .as_deref()
                .into_iter()
                .flat_map(|about| {
                    let mut stated = address::addresses_in(about);
                    stated.extend(address::addresses_introduced_in_prose(about));
                    stated
                })
                .map(|announced| {
                    let agreeing = address::compare_addresses(entered, &announced, profile.country.as_deref());
                    (announced, agreeing)
                })
                .find(|(_, agreeing)| agreeing.outcome == Outcome::Match)
        {
            found = announced;
            comparison = agreeing;
        }
        judgement.compare(
            Field::Address,
            entered,
            &found,
            comparison.outcome,
            &[index],
            comparison.note,
        );
    }
    compare_phone(
        &mut judgement,
        profile,
        &phone.iter().cloned().collect::<Vec<_>>(),
        index,
    );
    compare_email(
        &mut judgement,
        profile,
        &email.iter().cloned().collect::<Vec<_>>(),
        index,
    );
    judgement
}

pub(super) fn judge_twitter(profile: &SubjectProfile, evidence: &Evidence) -> Judgement {
    let mut judgement = Judgement::default();
    let requested: Vec<String> = evidence
        .calls
        .iter()
        .filter_map(|call| match &call.lookup {
            Lookup::XUser { username } => Some(username.to_lowercase()),
            _ => None,
        })
        .collect();
    let candidates = evidence
        .findings
        .iter()
        .enumerate()
        .filter_map(|(index, finding)| match &finding.record {
            Record::XAccount {
                username,
                name,
                description,
                url,
                location,
                ..
            } => {
                let by_request = requested.contains(&username.to_lowercase());
                let linked = links_to_subject(profile, &[url.as_deref()]);
                let elsewhere = located_elsewhere(profile, location.as_deref());
                Some((
                    index,
                    rank(
                        by_request,
                        linked,
                        names_subject(profile, name, description.as_deref()),
                        elsewhere,
                    )?,
                ))
            }
            _ => None,
        });
    let Some(index) = best(candidates) else {
        return judgement;
    };
    judgement.mark_relevant(index);
    let Record::XAccount {
        name,
        description,
        location,
        url,
        ..
    } = &evidence.findings[index].record
    else {
        return judgement;
    };
    compare_name(
        &mut judgement,
        profile,
        name,
        links_to_subject(profile, &[url.as_deref()]),
        index,
    );
    compare_website(&mut judgement, profile, url.as_deref(), index);
    if let Some(location) = location.as_deref().filter(|location| !location.trim().is_empty()) {
        compare_location(&mut judgement, profile, location, index);
    }
    if let Some(description) = description {
        let emails = domain::emails_in(description);
        compare_email(&mut judgement, profile, &emails, index);
    }
    judgement
}

/// Whether a profile found by name is the subject's. A person's name is shared by namesakes (a bakery page under
/// "Fernanda Quispe" is not the export manager María Fernanda Quispe's), so their profile must also name the
/// employer they claim.
fn names_subject(profile: &SubjectProfile, name: &str, about: Option<&str>) -> bool {
    if profile.is_company() {
        return profile.is_subject_display_name(name);
    }
    let employer_named = profile.employer().is_some_and(|employer| {
        about.is_some_and(|about| crate::matching::names::mentions_company(about, employer, &profile.places))
    });
    employer_named && crate::matching::names::person_names_match(name, &profile.name)
}

/// Whether a person's page is their claimed employer's business page that names them ("Chowdhury Drug House" whose
/// about text says "Proprietor: Tanvir Hasan Chowdhury"): evidence about the person, not another name. A namesake's
/// business page fails the employer test; the employer's page that does not name the person fails the other.
fn employer_page_naming_person(profile: &SubjectProfile, name: &str, about: Option<&str>) -> bool {
    use crate::matching::names;
    if profile.is_company() {
        return false;
    }
    let (Some(employer), Some(about)) = (profile.employer(), about) else {
        return false;
    };
    let employer_named = std::iter::once(name)
        .chain(crate::profile::display_name_parts(name))
        .any(|part| names::company_names_match(part, employer))
        || names::mentions_company(name, employer, &profile.places);
    employer_named && names::mentions_person(about, &profile.name)
}

/// How strongly a profile is tied to the subject: linking to the subject's own site, named in the request, or
/// bearing its name. A profile located in another country is a namesake, even at the URL the customer entered,
/// unless it links to the subject's own site.
fn rank(by_request: bool, linked: bool, named: bool, elsewhere: bool) -> Option<u8> {
    match (linked, by_request && !elsewhere, named && !elsewhere) {
        (true, _, _) => Some(3),
        (_, true, _) => Some(2),
        (_, _, true) => Some(1),
        _ => None,
    }
}

fn best(candidates: impl Iterator<Item = (usize, u8)>) -> Option<usize> {
    candidates
        .fold(None, |best: Option<(usize, u8)>, (index, rank)| match best {
            Some((_, best_rank)) if best_rank >= rank => best,
            _ => Some((index, rank)),
        })
        .map(|(index, _)| index)
}

/// A profile's display name against the subject's. A profile that links to the subject's own website or
/// e-mail domain and shows another name is taken to use a brand name: inconclusive, not a contradiction.
fn compare_name(judgement: &mut Judgement, profile: &SubjectProfile, found: &str, linked: bool, index: usize) {
    // A display name may pair scripts ("Степь Агро Трейд / Steppe Agro Trade"): each part is read.
    let conflicting = std::iter::once(found)
        .chain(crate::profile::display_name_parts(found))
        .any(|part| profile.is_conflicting_name(part));
    // A person's page may pair their name with their trade, in any script ("Adhikari Pump Sewa - बिष्णु प्रसाद
    // अधिकारी"): a part that is the person's name names them.
    let person_named = !profile.is_company()
        && std::iter::once(found)
            .chain(crate::profile::display_name_parts(found))
            .any(|part| crate::matching::names::person_names_match(part, &profile.name));
    let named = person_named
        || profile.is_subject_display_name(found)
        || profile.is_mentioned_in(found)
        || mentions_distinctive_part(profile, found);
    let (outcome, note) = if conflicting {
        (
            Outcome::Mismatch,
            "the profile names the company with other business words: another legal name",
        )
    } else if named {
        (Outcome::Match, "the profile's display name")
    } else if linked {
        (
            Outcome::Inconclusive,
            "another display name on a profile linking to the subject's own site: a brand name",
        )
    } else {
        (Outcome::Mismatch, "the profile's display name names another company")
    };
    judgement.compare(Field::Name, &profile.name, found, outcome, &[index], note);
}

/// "Greenleaf Tea" on the profile of "Hangzhou Greenleaf Tea Co., Ltd.": most of the name's distinctive words.
fn mentions_distinctive_part(profile: &SubjectProfile, found: &str) -> bool {
    let found_tokens = crate::matching::text::tokens(&crate::matching::names::core_company_name(found));
    let distinctive = profile.distinctive_tokens();
    let shared = found_tokens.iter().filter(|token| distinctive.contains(token)).count();
    shared >= 2 && shared * 2 >= distinctive.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> SubjectProfile {
        let subject: crate::request::Subject = serde_json::from_value(serde_json::json!({
            "kind": "person", "name": "Tanvir Hasan Chowdhury", "country": "BD",
            "contact": { "name": "Tanvir Hasan Chowdhury", "title": "Proprietor, Chowdhury Drug House" }
        }))
        .expect("a subject");
        SubjectProfile::new(&subject)
    }

    #[test]
    fn the_claimed_employers_page_naming_the_person_is_about_them() {
        let profile = owner();
        assert!(employer_page_naming_person(
            &profile,
            "Chowdhury Drug House - চৌধুরী ড্রাগ হাউস",
            Some("Wholesale & retail medicines. Proprietor: Tanvir Hasan Chowdhury, B.Pharm.")
        ));
    }

    #[test]
    fn a_namesakes_business_page_or_one_not_naming_the_person_is_not() {
        let profile = owner();
        // Another pharmacy whose owner shares the name.
        assert!(!employer_page_naming_person(
            &profile,
            "Al-Madina Pharmacy",
            Some("Proprietor: Tanvir Hasan Chowdhury.")
        ));
        // The employer's page that names someone else.
        assert!(!employer_page_naming_person(
            &profile,
            "Chowdhury Drug House",
            Some("Proprietor: Rafiq Ahmed.")
        ));
    }
}

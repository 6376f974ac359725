//! LinkedIn: the company page (name, website, headquarters) and the people — the contact, or the person checked.

use crate::evidence::{Evidence, Lookup, Record};
use crate::matching::{address, domain, names};
use crate::planner::country_in_location;
use crate::profile::{SubjectProfile, company_names_compatible};
use crate::verdict::{Field, Outcome};

use super::{Judgement, compare_website, links_to_subject, roles};

pub(super) fn judge(profile: &SubjectProfile, evidence: &Evidence) -> Judgement {
    let mut judgement = Judgement::default();
    let identified_urls = identified_profile_urls(evidence);
    if profile.is_company() {
        judge_company_page(&mut judgement, profile, evidence, &identified_urls);
    }
    judge_people(&mut judgement, profile, evidence, &identified_urls);
    judgement
}

/// Profile URLs the request itself named; a finding at one of them is the subject's by the customer's word.
fn identified_profile_urls(evidence: &Evidence) -> Vec<String> {
    evidence
        .calls
        .iter()
        .filter_map(|call| match &call.lookup {
            Lookup::CompanyProfile { url } | Lookup::PersonProfile { url } => Some(normalize_profile_url(url)),
            _ => None,
        })
        .collect()
}

pub(super) fn normalize_profile_url(url: &str) -> String {
    let lower = crate::planner::canonical_linkedin_url(url.trim()).to_lowercase();
    let without_scheme = lower.split_once("://").map(|(_, rest)| rest).unwrap_or(&lower);
    without_scheme
        .trim_start_matches("www.")
        .trim_end_matches('/')
        .to_string()
}

fn judge_company_page(judgement: &mut Judgement, profile: &SubjectProfile, evidence: &Evidence, identified: &[String]) {
    let mut best: Option<(usize, bool)> = None;
    for (index, finding) in evidence.findings.iter().enumerate() {
        let Record::CompanyProfile {
            url,
            name,
            website,
            headquarters,
            ..
        } = &finding.record
        else {
            continue;
        };
        let by_request = identified.contains(&normalize_profile_url(url));
        let named = profile.is_subject_display_name(name);
        let linked = links_to_subject(profile, &[website.as_deref()]);
        let elsewhere = located_elsewhere(profile, headquarters.as_deref());
        // A page in another country is a namesake even at the URL the customer entered, unless it links to the subject's site.
        let about_subject = linked || ((by_request || named) && !elsewhere);
        if about_subject && best.is_none_or(|(_, best_by_request)| by_request && !best_by_request) {
            best = Some((index, by_request));
        }
    }
    let Some((index, by_request)) = best else {
        return;
    };
    judgement.mark_relevant(index);
    let Record::CompanyProfile {
        name,
        website,
        headquarters,
        ..
    } = &evidence.findings[index].record
    else {
        return;
    };
    let named = profile.is_subject_display_name(name);
    if by_request || !named {
        let outcome = if named { Outcome::Match } else { Outcome::Mismatch };
        judgement.compare(
            Field::Name,
            &profile.name,
            name,
            outcome,
            &[index],
            "the company page's name",
        );
    } else {
        judgement.compare(
            Field::Name,
            &profile.name,
            name,
            Outcome::Match,
            &[index],
            "found by name",
        );
    }
    compare_website(judgement, profile, website.as_deref(), index);
    if let Some(headquarters) = headquarters {
        compare_location(judgement, profile, headquarters, index);
    }
}

/// Whether a location names a country other than the subject's.
pub(super) fn located_elsewhere(profile: &SubjectProfile, location: Option<&str>) -> bool {
    match (location.and_then(country_in_location), profile.country.as_deref()) {
        (Some(found), Some(entered)) => found != entered,
        _ => false,
    }
}

/// A coarse location (a city, a country) against the entered address.
pub(super) fn compare_location(judgement: &mut Judgement, profile: &SubjectProfile, location: &str, index: usize) {
    if located_elsewhere(profile, Some(location)) {
        let entered = profile.country.clone().unwrap_or_default();
        judgement.compare(
            Field::Country,
            &entered,
            location,
            Outcome::Mismatch,
            &[index],
            "the location names another country",
        );
        return;
    }
    let Some(entered) = &profile.address else {
        return;
    };
    let comparison = address::compare_addresses(entered, location, profile.country.as_deref());
    // A profile's free-text location is often a metro area or region; only a clear contradiction counts.
    let outcome = match comparison.outcome {
        Outcome::Mismatch if has_street_detail(location) => Outcome::Mismatch,
        Outcome::Match => Outcome::Match,
        _ => Outcome::Inconclusive,
    };
    judgement.compare(Field::Address, entered, location, outcome, &[index], comparison.note);
}

fn has_street_detail(location: &str) -> bool {
    location.chars().any(|c| c.is_ascii_digit())
}

fn judge_people(judgement: &mut Judgement, profile: &SubjectProfile, evidence: &Evidence, identified: &[String]) {
    let person_name = if profile.is_company() {
        profile.contact_name.as_deref()
    } else {
        Some(profile.name.as_str())
    };
    let Some(person_name) = person_name else {
        return;
    };
    let employer = profile.employer();
    let mut at_employer = None;
    let mut by_request = None;
    let mut same_title_elsewhere = None;
    // A same-name profile that names the company as a past employer ("ex-Kanem Agro") is the contact, gone.
    let mut former_employee = None;
    let mail_owner = if profile.is_company() {
        foreign_mail_domain_owner(profile, evidence)
    } else {
        None
    };
    let mut at_mail_owner = None;
    // A same-name profile at another company, the contact's own when a colleague holds the role claimed for them.
    let mut same_name_elsewhere = None;
    for (index, finding) in evidence.findings.iter().enumerate() {
        let Record::PersonProfile {
            url,
            name,
            headline,
            company,
            ..
        } = &finding.record
        else {
            continue;
        };
        let is_subject_in_own_script = !profile.is_company()
            && profile
                .local_name
                .as_deref()
                .is_some_and(|local| names::mentions_person(name, local));
        let requested = identified.contains(&normalize_profile_url(url));
        let name_matches = names::person_names_match(name, person_name) || is_subject_in_own_script;
        // A familiar form of the given name ("Tom" for Thomas) is the person only on a profile tied to them
        // otherwise: at the URL the customer entered, or at the claimed employer (checked below).
        let familiar_form = !name_matches && names::person_names_match_by_familiar_form(name, person_name);
        if !name_matches && !familiar_form {
            continue;
        }
        // The profile's company field is the current employer; the headline only stands in when it is empty.
        let works_for_employer =
            employer.is_some_and(
                |employer| match company.as_deref().filter(|company| !company.trim().is_empty()) {
                    // The company's own staff may list it under any name its page goes by (cut short, native).
                    Some(company) if profile.is_company() => profile.is_subject_display_name(company),
                    Some(company) => company_names_compatible(company, employer, &profile.places),
                    None => headline.as_deref().is_some_and(|headline| {
                        names::mentions_company(headline, employer, &profile.places)
                            && !super::search::named_as_former(headline, employer)
                    }),
                },
            );
        if familiar_form && !requested && !works_for_employer {
            continue;
        }
        if works_for_employer && at_employer.is_none() {
            at_employer = Some(index);
        }
        let left_employer = employer.is_some_and(|employer| {
            headline
                .as_deref()
                .is_some_and(|headline| super::search::named_as_former(headline, employer))
        });
        if left_employer && !works_for_employer && former_employee.is_none() {
            former_employee = Some(index);
        }
        let works_for_mail_owner = mail_owner.as_ref().is_some_and(|(mail, owner)| {
            company.as_deref().is_some_and(|company| {
                !profile.is_subject_display_name(company)
                    && (owner
                        .as_deref()
                        .is_some_and(|owner| company_names_compatible(company, owner, &[]))
                        || name_spells_domain(company, mail))
            })
        });
        if works_for_mail_owner && !works_for_employer && at_mail_owner.is_none() {
            at_mail_owner = Some(index);
        }
        if requested {
            by_request = Some(index);
        }
        let elsewhere = company
            .as_deref()
            .is_some_and(|company| !company.trim().is_empty() && !profile.is_subject_display_name(company));
        if name_matches && elsewhere && !works_for_employer && same_name_elsewhere.is_none() {
            same_name_elsewhere = Some(index);
        }
        let title_matches = profile
            .contact_title
            .as_deref()
            .zip(headline.as_deref())
            .is_some_and(|(title, headline)| super::search::title_words_present(title, headline));
        if title_matches && !works_for_employer && same_title_elsewhere.is_none() {
            same_title_elsewhere = Some(index);
        }
    }
    let field = if profile.is_company() {
        Field::Contact
    } else {
        Field::Employer
    };
    // A person who claims no employer ("private client, retired company director") is identified by the profile
    // the request names: it has no employer to contradict.
    if !profile.is_company()
        && employer.is_none()
        && let Some(index) = by_request
    {
        judgement.mark_relevant(index);
        judgement.compare(
            Field::Name,
            person_name,
            &person_summary(evidence, index),
            Outcome::Match,
            &[index],
            "the profile the request names is the person's; no employer was claimed",
        );
        return;
    }
    let claimed = employer.unwrap_or_default();
    if let Some(index) = at_employer.filter(|index| by_request.is_none_or(|requested| requested == *index)) {
        judgement.mark_relevant(index);
        judgement.compare(
            field,
            &format!("{person_name}, {claimed}"),
            &person_summary(evidence, index),
            Outcome::Match,
            &[index],
            "the profile shows the person at the claimed company",
        );
        if let Some(contradiction) = claimed_role_contradicted(profile, evidence, person_name, index) {
            let mut found = format!("{person_name}: {}", contradiction.shown);
            let mut cited = vec![index];
            if let Some(holder) = contradiction.holder {
                judgement.mark_relevant(holder);
                found = format!("{found}; {}", person_summary(evidence, holder));
                cited.push(holder);
            }
            judgement.compare(
                Field::Contact,
                &format!("{person_name}, {}", contradiction.title),
                &found,
                Outcome::Mismatch,
                &cited,
                contradiction.note,
            );
        }
    } else if let Some(index) = by_request
        .or(former_employee)
        .or(at_mail_owner)
        .or(if profile.is_company() {
            None
        } else {
            same_title_elsewhere
        })
    {
        judgement.mark_relevant(index);
        judgement.compare(
            field,
            &format!("{person_name}, {claimed}"),
            &person_summary(evidence, index),
            Outcome::Mismatch,
            &[index],
            "the person's profile shows another employer",
        );
    } else if profile.is_company()
        && let Some(index) = same_name_elsewhere
    {
        let holder = role_holder_at_subject(profile, evidence, person_name);
        let note = if holder.is_some() {
            "the contact's profile is at another company, and a profile at the company holds the role claimed"
        } else if at_local_competitor(profile, evidence, index) {
            "the contact's profile is at another company in the same trade and town"
        } else {
            return;
        };
        let cited: Vec<usize> = std::iter::once(index).chain(holder).collect();
        for cited_index in &cited {
            judgement.mark_relevant(*cited_index);
        }
        let found: Vec<String> = cited
            .iter()
            .map(|cited_index| person_summary(evidence, *cited_index))
            .collect();
        judgement.compare(
            field,
            &format!("{person_name}, {claimed}"),
            &found.join("; "),
            Outcome::Mismatch,
            &cited,
            note,
        );
    }
}

/// Whether a profile of the contact's full name (three names or more, which namesakes rarely share) is at a company
/// in the subject's own trade (its company or headline names a claimed product) located in the subject's town: the
/// contact works for a competitor, no namesake in another line of business.
fn at_local_competitor(profile: &SubjectProfile, evidence: &Evidence, index: usize) -> bool {
    let Record::PersonProfile {
        name,
        headline,
        company,
        location,
        ..
    } = &evidence.findings[index].record
    else {
        return false;
    };
    let full_name = profile.contact_name.as_deref().is_some_and(|contact| {
        crate::matching::text::tokens(contact).len() >= 3 && names::mentions_person(name, contact)
    });
    let trade = format!(
        "{} {}",
        company.as_deref().unwrap_or_default(),
        headline.as_deref().unwrap_or_default()
    );
    let same_trade = !profile.products.is_empty()
        && !crate::matching::business::products_mentioned(&profile.products, &trade).is_empty();
    let locality = profile.locality_tokens();
    let same_town = location.as_deref().is_some_and(|location| {
        crate::matching::text::tokens(location)
            .iter()
            .any(|token| token.len() >= 4 && locality.contains(token))
    });
    full_name && same_trade && same_town
}

/// For a company: a profile of someone other than the contact whose company is the subject and whose headline holds
/// the contact's claimed title ("Gerente General en Acme SRL"): the company's own staff give the role to another.
fn role_holder_at_subject(profile: &SubjectProfile, evidence: &Evidence, contact: &str) -> Option<usize> {
    let title = profile.contact_title.as_deref()?;
    evidence.findings.iter().position(|finding| {
        matches!(&finding.record, Record::PersonProfile { name, company: Some(company), headline: Some(headline), .. }
            if !names::person_names_match(name, contact)
                && profile.is_subject_display_name(company)
                && roles::role_words_present(title, headline))
    })
}

/// The entered e-mail's domain when it is not the subject's own site, with the company whose LinkedIn page is
/// at it if one was found: a contact working for that company writes for it, not for the subject
/// ("arewa.export@apexglobalcommodities.example").
fn foreign_mail_domain_owner(profile: &SubjectProfile, evidence: &Evidence) -> Option<(String, Option<String>)> {
    profile.website.as_ref()?;
    let mail = profile.mail_domain_off_website()?;
    let owner = evidence.findings.iter().find_map(|finding| match &finding.record {
        Record::CompanyProfile {
            name,
            website: Some(page_site),
            ..
        } if domain::same_site(page_site, mail) && !profile.is_subject_display_name(name) => Some(name.clone()),
        _ => None,
    });
    Some((mail.to_string(), owner))
}

/// Whether a company's name, less its legal form, spells a domain's name ("Apex Global Commodities Ltd" for
/// apexglobalcommodities.example).
fn name_spells_domain(name: &str, mail_domain: &str) -> bool {
    let Some(registrable) = domain::registrable_domain(mail_domain) else {
        return false;
    };
    let label = registrable.split('.').next().unwrap_or_default().replace('-', "");
    let core = names::core_tokens(name).concat();
    core.chars().count() >= 6 && label == core
}

/// How the person's own profile at the company contradicts the role claimed for them.
struct RoleContradiction {
    title: String,
    /// The role the person's own profile shows.
    shown: String,
    /// A colleague's profile at the same company that holds the claimed role.
    holder: Option<usize>,
    note: &'static str,
}

/// The claimed role (a contact's title, or a person's claimed position) against the person's own profile at the
/// company: contradicted when the profile shows another role and a colleague's profile holds the claimed one, or
/// when the claim is senior (director, head, manager ...) and the profile's role junior (analyst, assistant,
/// intern ...) — a title inflated to borrow authority to sign. Titles vary too much to compare otherwise.
fn claimed_role_contradicted(
    profile: &SubjectProfile,
    evidence: &Evidence,
    person_name: &str,
    own: usize,
) -> Option<RoleContradiction> {
    let title = profile.contact_title.as_deref()?;
    let headline_of = |index: usize| match &evidence.findings[index].record {
        Record::PersonProfile { headline, .. } => headline.clone().unwrap_or_default(),
        _ => String::new(),
    };
    let own_headline = headline_of(own);
    let own_company = match &evidence.findings[own].record {
        Record::PersonProfile { company, .. } => company.clone().unwrap_or_default(),
        _ => return None,
    };
    if own_headline.trim().is_empty() || roles::role_words_present(title, &own_headline) {
        return None;
    }
    let holder = evidence.findings.iter().enumerate().position(|(index, finding)| {
        matches!(&finding.record, Record::PersonProfile { name, company, .. }
            if index != own
                && !own_company.trim().is_empty()
                && !names::person_names_match(name, person_name)
                && company.as_deref().is_some_and(|company| company_names_compatible(company, &own_company, &profile.places))
                && roles::role_words_present(title, &headline_of(index)))
    });
    let note = if holder.is_some() {
        "another person at the company holds the claimed role, and the person's profile shows another"
    } else if roles::is_senior_role(title)
        && roles::is_junior_role(&own_headline)
        && !roles::is_senior_role(&own_headline)
    {
        "the person's profile shows a junior role, not the senior one claimed"
    } else {
        return None;
    };
    Some(RoleContradiction {
        title: title.to_string(),
        shown: own_headline,
        holder,
        note,
    })
}

fn person_summary(evidence: &Evidence, index: usize) -> String {
    match &evidence.findings[index].record {
        Record::PersonProfile {
            name,
            headline,
            company,
            ..
        } => {
            let at = company.clone().or_else(|| headline.clone()).unwrap_or_default();
            format!("{name}, {at}")
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Channel;
    use crate::evidence::{Finding, ProviderCall};
    use chrono::{TimeZone, Utc};

    fn broker() -> SubjectProfile {
        let subject: crate::request::Subject = serde_json::from_value(serde_json::json!({
            "kind": "person", "name": "Thomas J. Brennan", "country": "US",
            "contact": { "name": "Thomas J. Brennan", "title": "Owner, Brennan Metals Brokerage LLC" }
        }))
        .expect("a subject");
        SubjectProfile::new(&subject)
    }

    /// LinkedIn evidence of one person profile, looked up at `requested` when given.
    fn person_profile(requested: Option<&str>, url: &str, name: &str, company: &str) -> Evidence {
        let finding = Finding {
            provider: "linkedin".into(),
            source: url.into(),
            fetched_at: Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap(),
            record: Record::PersonProfile {
                url: url.into(),
                name: name.into(),
                headline: None,
                company: Some(company.into()),
                location: Some("Pittsburgh, Pennsylvania, United States".into()),
            },
        };
        let calls = requested
            .map(|requested| ProviderCall {
                provider: "linkedin".into(),
                lookup: Lookup::PersonProfile { url: requested.into() },
                elapsed_ms: 0,
                findings: 1,
                error: None,
            })
            .into_iter()
            .collect();
        Evidence {
            findings: vec![finding],
            calls,
            ..Evidence::empty(Channel::Linkedin)
        }
    }

    #[test]
    fn a_country_profile_echoed_with_www_in_front_is_the_profile_entered() {
        assert_eq!(
            normalize_profile_url("https://www.mn.linkedin.com/in/batbold-ganzorig"),
            normalize_profile_url("https://mn.linkedin.com/in/batbold-ganzorig")
        );
        // A look-alike host keeps its own address, and another person's profile stays another's.
        assert_ne!(
            normalize_profile_url("https://www.mn.linkedin.com.evil.example/in/batbold-ganzorig"),
            normalize_profile_url("https://mn.linkedin.com/in/batbold-ganzorig")
        );
        assert_ne!(
            normalize_profile_url("https://www.mn.linkedin.com/in/batbold-dorj"),
            normalize_profile_url("https://mn.linkedin.com/in/batbold-ganzorig")
        );
    }

    fn employer_outcomes(evidence: &Evidence) -> Vec<Outcome> {
        judge(&broker(), evidence).outcomes_of(Field::Employer)
    }

    #[test]
    fn a_person_claiming_no_employer_is_identified_by_the_entered_profile_only() {
        let subject: crate::request::Subject = serde_json::from_value(serde_json::json!({
            "kind": "person", "name": "Martín Echeverría Salaberry", "country": "UY",
            "contact": { "name": "Martín Echeverría Salaberry", "title": "Private client, retired company director" }
        }))
        .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        let url = "https://www.linkedin.com/in/martin-echeverria-salaberry";
        let entered = judge(
            &profile,
            &person_profile(
                Some(url),
                url,
                "Martín Echeverría Salaberry",
                "Campo Oriental Inversiones S.A.",
            ),
        );
        assert!(!entered.relevant.is_empty());
        assert!(entered.fields.iter().all(|compared| compared.outcome == Outcome::Match));
        // A namesake found by name search, not at the entered URL, is nobody's evidence.
        let namesake = judge(
            &profile,
            &person_profile(
                None,
                "https://www.linkedin.com/in/martin-echeverria-inia",
                "Martín Echeverría Salaberry",
                "INIA",
            ),
        );
        assert!(namesake.relevant.is_empty());
    }

    #[test]
    fn a_familiar_given_name_on_the_entered_profile_or_at_the_claimed_employer_is_the_person() {
        let url = "https://www.linkedin.com/in/tjbrennan-metals";
        let entered = person_profile(
            Some("linkedin.com/in/tjbrennan-metals"),
            url,
            "Tom Brennan",
            "Brennan Metals Brokerage LLC",
        );
        assert_eq!(employer_outcomes(&entered), vec![Outcome::Match]);
        let at_employer = person_profile(None, url, "Tom Brennan", "Brennan Metals Brokerage LLC");
        assert_eq!(employer_outcomes(&at_employer), vec![Outcome::Match]);
    }

    #[test]
    fn a_familiar_given_name_found_by_name_elsewhere_is_a_namesake() {
        let namesake = person_profile(
            None,
            "https://www.linkedin.com/in/tom-brennan-loans",
            "Tom Brennan",
            "Bay State Home Lending",
        );
        assert!(employer_outcomes(&namesake).is_empty());
        assert!(judge(&broker(), &namesake).relevant.is_empty());
    }

    fn contact_outcomes_for(company: &str, headline: &str, location: &str) -> Vec<Outcome> {
        let subject: crate::request::Subject = serde_json::from_value(serde_json::json!({
            "kind": "company", "name": "Andes Maquinaria SRL", "country": "BO",
            "address": "Av. Banzer Km 8, Santa Cruz de la Sierra",
            "contact": { "name": "Pedro Gutiérrez Roca", "title": "Gerente General" },
            "trade": { "role": "importer", "products": ["tractores", "bombas de riego"] }
        }))
        .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        let mut evidence = person_profile(
            None,
            "https://www.linkedin.com/in/pedro-gutierrez-roca",
            "Pedro Gutiérrez Roca",
            company,
        );
        if let Record::PersonProfile {
            headline: found_headline,
            location: found_location,
            ..
        } = &mut evidence.findings[0].record
        {
            *found_headline = Some(headline.into());
            *found_location = Some(location.into());
        }
        judge(&profile, &evidence).outcomes_of(Field::Contact)
    }

    #[test]
    fn the_contacts_full_name_at_a_competitor_in_the_same_town_contradicts_the_contact() {
        assert_eq!(
            contact_outcomes_for(
                "Tractores del Oriente S.A.",
                "Ejecutivo de Ventas en Tractores del Oriente S.A.",
                "Santa Cruz de la Sierra, Bolivia"
            ),
            vec![Outcome::Mismatch]
        );
        // A namesake in another trade, or in another town, is not the contact.
        assert!(
            contact_outcomes_for(
                "Clínica Foianini",
                "Médico Cirujano en Clínica Foianini",
                "Santa Cruz de la Sierra, Bolivia"
            )
            .is_empty()
        );
        assert!(
            contact_outcomes_for(
                "Tractores del Altiplano S.A.",
                "Ejecutivo de Ventas en Tractores del Altiplano S.A.",
                "El Alto, Bolivia"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_company_name_spells_its_own_domain_only() {
        assert!(name_spells_domain(
            "Apex Global Commodities Ltd",
            "apexglobalcommodities.example"
        ));
        assert!(name_spells_domain(
            "Apex Global Commodities",
            "apex-global-commodities.com"
        ));
        assert!(!name_spells_domain(
            "Apex Global Trading Ltd",
            "apexglobalcommodities.example"
        ));
        assert!(!name_spells_domain("Apex Ltd", "apex.com"), "too short to tell");
    }
}

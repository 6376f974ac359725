//! The official website: reachability, domain age, and the identity facts its pages publish.

use chrono::NaiveDate;

use crate::evidence::{Evidence, Lookup, ProviderError, Record};
use crate::flags::Flag;
use crate::matching::{address, business, names};
use crate::profile::SubjectProfile;
use crate::verdict::{Field, Outcome};

use super::{Judgement, compare_email, compare_phone};

/// A domain younger than this is "recently registered" (fraud shells are typically weeks to months old).
const RECENT_REGISTRATION_DAYS: i64 = 365;
/// Pages with less visible text than this say too little to judge the line of business.
const MIN_TEXT_FOR_BUSINESS_CHECK: usize = 120;

/// Judges the crawl and the registration data; a crawl that failed transiently is returned as the error.
pub(super) fn judge(
    profile: &SubjectProfile,
    evidence: &Evidence,
    today: NaiveDate,
) -> Result<Judgement, ProviderError> {
    let mut judgement = Judgement::default();
    if profile.website.is_none() {
        judgement.not_found_reason = Some("no website was entered, so there was none to crawl".into());
        return Ok(judgement);
    }
    judge_registration(&mut judgement, evidence, today);
    let crawl_error = evidence
        .calls
        .iter()
        .find_map(|call| match (&call.lookup, &call.error) {
            (Lookup::CrawlSite { .. }, Some(error)) => Some(error.clone()),
            _ => None,
        });
    let pages: Vec<(usize, &Record)> = evidence
        .findings
        .iter()
        .enumerate()
        .filter(|(_, finding)| matches!(finding.record, Record::WebPage { .. }))
        .map(|(index, finding)| (index, &finding.record))
        .collect();
    if pages.is_empty() {
        return match crawl_error {
            Some(ProviderError::Unreachable { detail }) => {
                judgement.flag(Flag::WebsiteUnreachable);
                judgement.not_found_reason = Some(format!("the website could not be reached ({detail})"));
                Ok(judgement)
            }
            Some(error) => Err(error),
            None => {
                judgement.flag(Flag::WebsiteUnreachable);
                judgement.not_found_reason = Some("the website served no pages".into());
                Ok(judgement)
            }
        };
    }
    for (index, _) in &pages {
        judgement.mark_relevant(*index);
    }
    judge_pages(&mut judgement, profile, &pages);
    Ok(judgement)
}

fn judge_registration(judgement: &mut Judgement, evidence: &Evidence, today: NaiveDate) {
    for (index, finding) in evidence.findings.iter().enumerate() {
        let Record::DomainRegistration {
            domain,
            registered: Some(registered),
            ..
        } = &finding.record
        else {
            continue;
        };
        let age_days = (today - *registered).num_days();
        let recent = age_days < RECENT_REGISTRATION_DAYS;
        if recent {
            judgement.flag(Flag::WebsiteRecentlyRegistered);
            judgement.note(format!(
                "{domain} was registered on {registered}, {age_days} days before the check"
            ));
        }
        judgement.compare(
            Field::DomainAge,
            domain,
            &format!("registered {registered} ({age_days} days ago)"),
            if recent { Outcome::Inconclusive } else { Outcome::Match },
            &[index],
            format!("domains younger than {RECENT_REGISTRATION_DAYS} days are flagged"),
        );
    }
}

fn judge_pages(judgement: &mut Judgement, profile: &SubjectProfile, pages: &[(usize, &Record)]) {
    let mut all_text = String::new();
    let mut addresses = Vec::new();
    let mut phones = Vec::new();
    let mut emails = Vec::new();
    for (index, record) in pages {
        if let Record::WebPage {
            title,
            text,
            emails: page_emails,
            phones: page_phones,
            addresses: page_addresses,
            ..
        } = record
        {
            all_text.push_str(title);
            all_text.push('\n');
            all_text.push_str(text);
            all_text.push('\n');
            addresses.extend(page_addresses.iter().map(|found| (*index, found.clone())));
            phones.extend(page_phones.iter().map(|found| (*index, found.clone())));
            emails.extend(page_emails.iter().map(|found| (*index, found.clone())));
        }
    }
    let first = pages.first().map(|(index, _)| *index).unwrap_or_default();
    if is_parked(&all_text) {
        // A parking or for-sale page says nothing about the company: it is not the company's site.
        judgement.compare(
            Field::LineOfBusiness,
            &profile.products.join(", "),
            "a parked domain / domain-for-sale page",
            Outcome::Mismatch,
            &[first],
            "the website is a parking page, not a business site",
        );
        return;
    }
    compare_site_name(judgement, profile, pages, &all_text, first);
    let fields_before = judgement.fields.len();
    compare_addresses(judgement, profile, &addresses);
    let found_phones: Vec<String> = phones.iter().map(|(_, phone)| phone.clone()).collect();
    compare_phone(
        judgement,
        profile,
        &found_phones,
        phones.first().map(|(index, _)| *index).unwrap_or(first),
    );
    let found_emails: Vec<String> = emails.iter().map(|(_, email)| email.clone()).collect();
    compare_email(
        judgement,
        profile,
        &found_emails,
        emails.first().map(|(index, _)| *index).unwrap_or(first),
    );
    let named_contact = profile
        .contact_name
        .as_ref()
        .filter(|contact| names::mentions_person(&all_text, contact));
    let departed = named_contact.is_some_and(|contact| super::search::mentioned_only_as_departed(&all_text, contact));
    if named_contact.is_none() || departed {
        compare_contact_role(judgement, profile, &all_text, first);
    }
    if let Some(contact) = named_contact {
        let (outcome, note) = if departed {
            (Outcome::Mismatch, "the site says the contact has left")
        } else {
            (Outcome::Match, "the site names the contact")
        };
        judgement.compare(Field::Contact, contact, contact, outcome, &[first], note);
    }
    if !profile.products.is_empty() && all_text.chars().count() >= MIN_TEXT_FOR_BUSINESS_CHECK {
        compare_line_of_business(judgement, profile, &all_text, first);
    }
    judge_another_business(judgement, fields_before, first);
    compare_copyright_holder(judgement, profile, &all_text, first);
}

/// "© 2026 Acme Ltd", "Copyright 2019–2026 Acme Ltd": the holder named up to the next separator or line end.
static COPYRIGHT_LINE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?\s*)?([^\n–—|·•]{3,80})")
        .expect("copyright pattern compiles")
});

/// A site whose copyright line names another company, which its prose also presents as the business, is that
/// company's site with the subject's name put on it (a copied website): the holder of a site's copyright is its
/// owner, and a web designer or a parent group named only in the footer is not told about in the prose.
fn compare_copyright_holder(judgement: &mut Judgement, profile: &SubjectProfile, all_text: &str, first: usize) {
    if !profile.is_company() || !(all_text.contains('©') || all_text.to_lowercase().contains("copyright")) {
        return;
    }
    let already_contradicted = judgement
        .fields
        .iter()
        .any(|comparison| comparison.field == Field::LineOfBusiness && comparison.outcome == Outcome::Mismatch);
    if already_contradicted {
        return;
    }
    let holders: Vec<String> = COPYRIGHT_LINE
        .captures_iter(all_text)
        .filter_map(|found| names::company_names_in(&found[1]).into_iter().next())
        .collect();
    // A holder sharing a word of the name is the subject under its legal name (a trade name's owner), not another.
    let subject_words = names::core_tokens(&profile.name);
    let Some(holder) = holders.iter().find(|holder| {
        !profile.is_subject_display_name(holder)
            && !crate::profile::company_names_compatible(holder, &profile.name, &profile.places)
            && !names::core_tokens(holder)
                .iter()
                .any(|word| subject_words.contains(word))
    }) else {
        return;
    };
    // Named in the prose besides its copyright lines: presented as the business, not only credited.
    let without_copyright = COPYRIGHT_LINE.replace_all(all_text, "");
    if !names::mentions_company(&without_copyright, holder, &profile.places) {
        return;
    }
    judgement.compare(
        Field::LineOfBusiness,
        "the company's own site",
        &format!("a site presenting {holder}, its copyright holder, as the business"),
        Outcome::Mismatch,
        &[first],
        "the website's copyright and prose are another company's",
    );
}

/// The site's addresses against the entered one: one agreeing address settles it; otherwise a contradicting one counts.
fn compare_addresses(judgement: &mut Judgement, profile: &SubjectProfile, found: &[(usize, String)]) {
    let Some(entered) = &profile.address else {
        return;
    };
    let compared: Vec<(usize, &String, address::AddressComparison)> = found
        .iter()
        .map(|(index, found)| {
            (
                *index,
                found,
                address::compare_addresses(entered, found, profile.country.as_deref()),
            )
        })
        .collect();
    let pick = compared
        .iter()
        .find(|(_, _, comparison)| comparison.outcome == Outcome::Match)
        .or_else(|| {
            compared
                .iter()
                .find(|(_, _, comparison)| comparison.outcome == Outcome::Mismatch)
        });
    if let Some((index, found, comparison)) = pick {
        judgement.compare(
            Field::Address,
            entered,
            found,
            comparison.outcome,
            &[*index],
            comparison.note.clone(),
        );
    }
}

fn shares_distinctive_token(profile: &SubjectProfile, text: &str) -> bool {
    let text_tokens = crate::matching::text::tokens(text);
    crate::matching::text::tokens(&profile.core_name)
        .iter()
        .filter(|token| !profile.places.contains(token))
        .any(|token| text_tokens.contains(token))
}

/// How much of a site's text its language is detected from: detection counts every trigram, a site's text runs to
/// tens of kilobytes, and its opening (title, headings, first paragraphs) is in the language of the rest.
const LANGUAGE_SAMPLE_BYTES: usize = 2_048;

fn reliable_language(text: &str) -> Option<whatlang::Lang> {
    whatlang::detect(text)
        .filter(whatlang::Info::is_reliable)
        .map(|info| info.lang())
}

/// The claimed products against the site's text. Products are compared word by word, so a site written in
/// another language than the products can neither confirm nor contradict them.
fn compare_line_of_business(judgement: &mut Judgement, profile: &SubjectProfile, all_text: &str, index: usize) {
    let claimed = profile.products.join(", ");
    let mentioned = business::products_mentioned(&profile.products, all_text);
    if !mentioned.is_empty() {
        judgement.compare(
            Field::LineOfBusiness,
            &claimed,
            &mentioned.join(", "),
            Outcome::Match,
            &[index],
            "claimed products named on the site",
        );
        return;
    }
    // Product lists are short; only a reliable detection overrides the assumption that they are in English.
    let products_language = reliable_language(&claimed);
    let site_language = reliable_language(&all_text[..all_text.floor_char_boundary(LANGUAGE_SAMPLE_BYTES)]);
    let same_language = match (site_language, products_language) {
        (Some(site), Some(products)) => site == products,
        (Some(site), None) => site == whatlang::Lang::Eng,
        (None, _) => false,
    };
    if same_language {
        judgement.compare(
            Field::LineOfBusiness,
            &claimed,
            "none of the claimed products",
            Outcome::Mismatch,
            &[index],
            "the site describes other goods or services",
        );
    } else {
        let language = site_language
            .map(|lang| lang.eng_name())
            .unwrap_or("an undetected language");
        judgement.compare(
            Field::LineOfBusiness,
            &claimed,
            "none of the claimed products (word match)",
            Outcome::Inconclusive,
            &[index],
            format!("the site is in {language}; products compared word by word only"),
        );
    }
}

/// The company's name on the site: named as entered, named under another legal name, or not named at all.
fn compare_site_name(
    judgement: &mut Judgement,
    profile: &SubjectProfile,
    pages: &[(usize, &Record)],
    all_text: &str,
    first: usize,
) {
    let page_text = |record: &Record| match record {
        Record::WebPage { title, text, .. } => format!("{title}\n{text}"),
        _ => String::new(),
    };
    let conflicting = pages.iter().find_map(|(index, record)| {
        names::company_names_in(&page_text(record))
            .into_iter()
            .find(|name| profile.is_conflicting_name(name))
            .map(|name| (*index, name))
    });
    if let Some((index, name)) = conflicting {
        judgement.compare(
            Field::Name,
            &profile.name,
            &name,
            Outcome::Mismatch,
            &[index],
            "the site names the company under another legal name",
        );
        return;
    }
    let named = pages
        .iter()
        .find(|(_, record)| profile.is_mentioned_in(&page_text(record)))
        .map(|(index, _)| *index);
    match named {
        Some(index) => judgement.compare(
            Field::Name,
            &profile.name,
            &profile.name,
            Outcome::Match,
            &[index],
            "the site names the company",
        ),
        None if profile.is_company() => {
            let outcome = if shares_distinctive_token(profile, all_text) {
                Outcome::Inconclusive
            } else {
                Outcome::Mismatch
            };
            judgement.compare(
                Field::Name,
                &profile.name,
                "(not named on the site)",
                outcome,
                &[first],
                "no page names the company",
            );
        }
        None => {}
    }
}

/// Whether the site is a domain parking or for-sale page.
fn is_parked(text: &str) -> bool {
    static PARKED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)\bdomain\s+(?:name\s+)?(?:is|may\s+be)\s+for\s+sale\b|\bbuy\s+this\s+domain\b|\bthis\s+domain\s+(?:is\s+)?(?:parked|for\s+sale|has\s+expired)\b|\bparked\s+(?:free|domain|by)\b|\bmake\s+an\s+offer\s+on\s+this\s+domain\b|\bdominio\s+(?:est[aá]\s+)?(?:en|a\s+la)\s+venta\b|\bparking\s+page\b|\bdomain\s+parking\b|\bce\s+domaine\s+est\s+(?:à|a)\s+vendre\b|\bdomain\s+steht\s+zum\s+verkauf\b|域名(?:出售|转让|可售)",
        )
        .expect("parking pattern compiles")
    });
    PARKED.is_match(text)
}

/// The contact's role on the site, when the site never names the contact (or names them only as gone): a site
/// that names the role (an "Export Manager") next to another name says someone else holds it.
fn compare_contact_role(judgement: &mut Judgement, profile: &SubjectProfile, all_text: &str, first: usize) {
    let (Some(contact), Some(title)) = (&profile.contact_name, &profile.contact_title) else {
        return;
    };
    if !profile.is_company() {
        return;
    }
    // The role must stand next to a person's name ("Export Manager: Amina Bello", "Amina Bello, Export
    // Manager"); a bare "contact our Export Manager" names no one.
    let Some(role_with_name) = role_with_name_regex(title) else {
        return;
    };
    if let Some(found) = role_with_name.find(all_text) {
        judgement.compare(
            Field::Contact,
            &format!("{contact}, {title}"),
            found.as_str(),
            Outcome::Mismatch,
            &[first],
            "the site names someone else in the contact's role",
        );
    }
}

/// The pattern of a role next to a person's name ("Export Manager: Amina Bello", "Amina Bello, Export Manager").
pub(super) fn role_with_name_regex(title: &str) -> Option<std::rc::Rc<regex::Regex>> {
    cached_title_regex("named", title, |role| {
        // A short aside may stand between the role and the name ("Directrice commerciale (depuis avril 2026) : …"),
        // and an honorific or academic title before the name ("Gerente General: Ing. Luis Áñez").
        let aside = r"(?:\s*\([^()]{0,40}\))?";
        format!(
            r"(?i:{role}){aside}\s*(?:[:,–—-]|\bis\b)?\s*{HONORIFIC}?{PERSON_NAME}|{PERSON_NAME},?\s+(?:(?i:our|the)\s+)?(?i:{role})"
        )
    })
}

/// A capitalised name of two or three words ("Luis Fernando Áñez").
const PERSON_NAME: &str = r"\p{Lu}\p{Ll}+(?:[ -]\p{Lu}\p{Ll}+){1,2}";

/// An honorific or academic title written before a name ("Ing.", "Dr.", "Lic.", "Mr").
const HONORIFIC: &str = r"(?:(?:Ing|Dr|Dra|Lic|Arq|Eng|Prof|Mr|Mrs|Ms|Sr|Sra|Mme)\.?\s+)";

/// The pattern of a role held at a named organisation next to a person's name ("El gerente general de Acme SRL,
/// Luis Áñez, anunció …", "Luis Áñez, general manager of Acme Ltd"): group `org` (or `org2`) is the organisation,
/// up to the next comma or sentence end, and `person` (or `person2`) the name.
pub(super) fn role_of_organisation_with_name_regex(title: &str) -> Option<std::rc::Rc<regex::Regex>> {
    cached_title_regex("of", title, |role| {
        let of = r"(?i:of|at|de|del|en|du|des|von|bei|di|da|do)";
        format!(
            r"(?i:{role})\s+{of}\s+(?P<org>(?:[^,.;:()\n]|\.[^\s,]){{2,60}}?\.?)\s*,\s*{HONORIFIC}?(?P<person>{PERSON_NAME})|(?P<person2>{PERSON_NAME}),\s+(?:(?i:the|our|el|la|le|der|die)\s+)?(?i:{role})\s+{of}\s+(?P<org2>[^,;:()\n]{{2,60}})"
        )
    })
}

/// A compiled pattern, or none when the title made an invalid one.
type CachedRegex = Option<std::rc::Rc<regex::Regex>>;

/// A pattern built from a job title, compiled once per kind, title and thread (the cache is bounded by clearing it
/// when full).
///
/// Handed out shared, not cloned: a cloned `Regex` starts with empty search caches, so every search built its lazy
/// DFA again over the whole site's text (a third of the website judge's instructions).
fn cached_title_regex(
    kind: &str,
    title: &str,
    pattern_of: impl FnOnce(&str) -> String,
) -> Option<std::rc::Rc<regex::Regex>> {
    const CACHE_LIMIT: usize = 256;
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<(String, String), CachedRegex>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    let key = (kind.to_string(), title.to_string());
    if let Some(hit) = CACHE.with(|cache| cache.borrow().get(&key).cloned()) {
        return hit;
    }
    let compiled = regex::Regex::new(&pattern_of(&role_pattern(title)))
        .ok()
        .map(std::rc::Rc::new);
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, compiled.clone());
    });
    compiled
}

/// A job title as a pattern that also finds its words with other endings: the feminine or plural of the same
/// role ("Directrice commerciale" for "Directeur commercial", "Gerenta" for "Gerente"). A word of more than five
/// letters is matched by its first five and any ending, as `roles::role_words_present` compares them.
fn role_pattern(title: &str) -> String {
    title
        .split_whitespace()
        .map(|word| match word.char_indices().nth(5) {
            Some((stem_end, _)) if word.chars().all(char::is_alphabetic) => {
                format!(r"{}\w*", regex::escape(&word[..stem_end]))
            }
            _ => regex::escape(word),
        })
        .collect::<Vec<_>>()
        .join(r"\s+")
}

/// A site that does not name the company and contradicts both its address and its phone is another business's
/// site: its details are not the company's to contradict, and the site itself is the mismatch.
fn judge_another_business(judgement: &mut Judgement, fields_from: usize, first: usize) {
    let outcome_of = |judgement: &Judgement, field: Field| {
        judgement
            .fields
            .iter()
            .find(|comparison| comparison.field == field)
            .map(|comparison| comparison.outcome)
    };
    let unnamed = outcome_of(judgement, Field::Name).is_some_and(|outcome| outcome != Outcome::Match);
    let contradicted = |field: Field| {
        judgement.fields[fields_from..]
            .iter()
            .any(|comparison| comparison.field == field && comparison.outcome == Outcome::Mismatch)
    };
    if !(unnamed && contradicted(Field::Address) && contradicted(Field::Phone)) {
        return;
    }
    for comparison in &mut judgement.fields[fields_from..] {
        if matches!(comparison.field, Field::Address | Field::Phone | Field::Email)
            && comparison.outcome == Outcome::Mismatch
        {
            comparison.outcome = Outcome::Inconclusive;
            comparison.note = format!("{} (the site appears to be another business's)", comparison.note);
        }
    }
    judgement
        .fields
        .retain(|comparison| comparison.field != Field::LineOfBusiness);
    judgement.compare(
        Field::LineOfBusiness,
        "the company's own site",
        "a site of another business: it does not name the company, and its address and phone differ",
        Outcome::Mismatch,
        &[first],
        "the website belongs to another business",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copyright_outcomes(name: &str, text: &str) -> Vec<(Field, Outcome)> {
        let subject: crate::request::Subject = serde_json::from_value(serde_json::json!({
            "kind": "company", "name": name, "country": "BR"
        }))
        .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        let mut judgement = Judgement::default();
        compare_copyright_holder(&mut judgement, &profile, text, 0);
        judgement
            .fields
            .iter()
            .map(|field| (field.field, field.outcome))
            .collect()
    }

    #[test]
    fn a_site_whose_copyright_and_prose_are_another_companys_is_copied() {
        let copied = "Comercial Vale Verde Eletrônicos\nHá 20 anos a Eletrônica Serra Azul Ltda distribui componentes.\n\
                      © 2026 Eletrônica Serra Azul Ltda – CNPJ 08.417.552/0001-31 – Curitiba/PR";
        assert_eq!(
            copyright_outcomes("Comercial Vale Verde Eletrônicos Ltda", copied),
            vec![(Field::LineOfBusiness, Outcome::Mismatch)]
        );
    }

    #[test]
    fn a_designer_credited_in_the_footer_or_the_subjects_legal_name_is_no_copy() {
        for text in [
            // Another company only in the copyright line: a web designer or a parent, not the business.
            "Vale Verde Eletrônicos distribui componentes.\n© 2026 Pixel Web Studio Ltda",
            // The subject itself holds the copyright.
            "Há 20 anos distribuímos componentes.\n© 2026 Comercial Vale Verde Eletrônicos Ltda",
        ] {
            assert!(
                copyright_outcomes("Comercial Vale Verde Eletrônicos Ltda", text).is_empty(),
                "{text}"
            );
        }
        // The subject's own legal name, sharing a word with the name entered.
        assert!(
            copyright_outcomes(
                "Steppe Agro Export LLP",
                "Steppe Agro Export ships wheat.\n© 2026 Steppe Agro Trade LLP. Steppe Agro Trade LLP, BIN 150940012345"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_title_compiles_once_and_every_search_shares_it() {
        let first = role_with_name_regex("Export Sales Director").expect("an escaped title compiles");
        let again = role_with_name_regex("Export Sales Director").expect("an escaped title compiles");
        assert!(std::rc::Rc::ptr_eq(&first, &again));
        assert!(first.is_match("Export Sales Director: Amina Bello"));
        assert!(!first.is_match("contact our export sales director"));
    }

    #[test]
    fn a_role_next_to_a_name_with_an_honorific_names_its_holder() {
        let role = role_with_name_regex("Gerente General").expect("a title compiles");
        assert!(role.is_match("Gerente General: Ing. Luis Fernando Áñez Suárez."));
        assert!(!role.is_match("Contacte a nuestro Gerente General por teléfono."));
    }

    #[test]
    fn a_role_next_to_a_name_is_found_in_another_gender_and_past_a_short_aside() {
        let role = role_with_name_regex("Directeur commercial").expect("a title compiles");
        assert!(role.is_match("Directrice commerciale (depuis avril 2026) : Claire Dufresne"));
        assert!(role.is_match("Directeur Commercial: Claire Dufresne"));
        // The role without a person's name, or another role next to a name, is no one holding it.
        assert!(!role.is_match("Écrivez à notre directeur commercial (réponse sous 48 h)."));
        assert!(!role.is_match("Directeur logistique : Karim Benali"));
    }
}

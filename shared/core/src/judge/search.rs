//! Web search: which results are about the subject, adverse media among them, and (for people) the employer they show.

use crate::evidence::{Evidence, Record};
use crate::flags::Flag;
use crate::matching::{domain, names, signals, text};
use crate::profile::{SubjectProfile, company_names_compatible};
use crate::verdict::{AdverseReport, Field, Outcome};

use super::{Judgement, roles};

pub(super) fn judge(profile: &SubjectProfile, evidence: &Evidence) -> Judgement {
    let mut judgement = Judgement::default();
    let mut seen_urls = Vec::new();
    // (published, finding, outcome, employer found): for a person, the most recent report of the employer wins.
    let mut employer_reports: Vec<(String, usize, Outcome, String)> = Vec::new();
    for (index, finding) in evidence.findings.iter().enumerate() {
        let Record::SearchResult {
            title,
            url,
            snippet,
            published,
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
        // A notice that lists another company at the subject's own telephone number (a sanctions designation of
        // the name it traded under before) is about the subject's business: only what it reports counts, not its
        // names.
        let mentioned = profile.is_company() && (own_site || profile.is_mentioned_in(&body));
        let at_subjects_phone = profile.is_company() && !mentioned && shares_subject_phone(profile, snippet);
        if at_subjects_phone {
            judgement.mark_relevant(index);
            judgement.note(format!(
                "{} names another company at the subject's telephone number",
                Evidence::finding_id(evidence.channel, index)
            ));
            compare_mail_of_another_company(&mut judgement, profile, snippet, index);
        } else if profile.is_company() {
            if !mentioned {
                continue;
            }
            let companies = names::company_names_in(&body);
            if !own_site && about_a_namesake_abroad(profile, &body, &companies) {
                continue;
            }
            judgement.mark_relevant(index);
            compare_contact_in_text(&mut judgement, profile, &body, index);
            compare_disowned_mail_domain(&mut judgement, profile, &body, index);
            if !own_site {
                compare_home_page(&mut judgement, profile, url, &body, index);
            }
            if let Some(other) = companies.into_iter().find(|name| profile.is_conflicting_name(name)) {
                judgement.compare(
                    Field::Name,
                    &profile.name,
                    &other,
                    Outcome::Mismatch,
                    &[index],
                    "the result names the company under another legal name",
                );
            }
            compare_premises_left(&mut judgement, profile, &body, index);
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
            if !person_result_is_about_subject(profile, url, &body) {
                compare_role_held_by_another(&mut judgement, profile, url, &body, index);
                continue;
            }
            judgement.mark_relevant(index);
            if let Some((outcome, found)) = employer_in_text(profile, &body) {
                employer_reports.push((published.clone().unwrap_or_default(), index, outcome, found));
            }
            compare_role_in_text(&mut judgement, profile, &profile.name, &body, index);
            let own_addresses = addresses_of_person(profile, &body);
            if !own_addresses.is_empty() {
                super::compare_email(&mut judgement, profile, &own_addresses, index);
            }
        }
        let adverse = if at_subjects_phone {
            signals::adverse_terms(&body)
        } else {
            adverse_terms_about_subject(profile, &body)
        };
        if !adverse.is_empty() && signals::victim_context(&body) {
            judgement.note(format!(
                "{} reports wrongdoing against the subject, not by it",
                Evidence::finding_id(evidence.channel, index)
            ));
        } else if !own_site && !adverse.is_empty() {
            let id = Evidence::finding_id(evidence.channel, index);
            judgement.flag(Flag::AdverseMedia);
            judgement.note(format!("adverse media in {id}: {}", adverse.join(", ")));
            judgement.adverse_media.push(AdverseReport {
                evidence: id,
                official: adverse.iter().any(|term| signals::is_official_action(term)),
                terms: adverse.iter().map(|term| term.to_string()).collect(),
            });
        }
    }
    // A report that the subject was cleared closes the accusations the other results repeat.
    let cleared = evidence.findings.iter().enumerate().find(|(index, finding)| {
        judgement.relevant.contains(index)
            && matches!(&finding.record, Record::SearchResult { title, snippet, .. } if signals::exculpatory(&format!("{title}. {snippet}")))
    });
    if let Some((index, _)) = cleared.filter(|_| !judgement.adverse_media.is_empty()) {
        judgement.adverse_media.clear();
        judgement.flags.remove(&Flag::AdverseMedia);
        judgement.note(format!(
            "{} reports the subject cleared of the accusations found",
            Evidence::finding_id(evidence.channel, index)
        ));
    }
    if let Some(latest) = employer_reports.iter().map(|report| report.0.clone()).max() {
        let claimed = profile.employer().unwrap_or_default().to_string();
        for (_, index, outcome, found) in employer_reports.iter().filter(|report| report.0 == latest) {
            let note = match outcome {
                Outcome::Match => "the latest report names the person with the claimed employer",
                _ => "the latest report shows the person at another company",
            };
            judgement.compare(Field::Employer, &claimed, found, *outcome, &[*index], note);
        }
    }
    judgement
}

/// The e-mail addresses in a result about the person checked whose mailbox carries one of their names
/// ("oren.bh@…" for Oren Ben-Haim): their own address, where a press office's or a colleague's is not.
fn addresses_of_person(profile: &SubjectProfile, body: &str) -> Vec<String> {
    if !body.contains('@') {
        return Vec::new();
    }
    let names = text::tokens(&profile.name);
    domain::emails_in(body)
        .into_iter()
        .filter(|email| {
            let mailbox = email.split('@').next().unwrap_or_default();
            names
                .iter()
                .any(|name| name.chars().count() >= 3 && mailbox.contains(name.as_str()))
        })
        .collect()
}

/// A result naming another company at the subject's telephone number that also publishes mail on the entered
/// corporate domain (not the entered website's): the entered phone and mail are that company's contact channels,
/// not the subject's ("Apex Global Commodities Ltd … Tel: +234 809 552 3318. Email: trade@apexglobalcommodities…").
fn compare_mail_of_another_company(judgement: &mut Judgement, profile: &SubjectProfile, snippet: &str, index: usize) {
    let (Some(entered), Some(mail_domain)) = (profile.email.as_deref(), profile.mail_domain_off_website()) else {
        return;
    };
    if let Some(published) = domain::emails_in(snippet)
        .into_iter()
        .find(|email| domain::same_site(email.rsplit('@').next().unwrap_or_default(), mail_domain))
    {
        judgement.compare(
            Field::Email,
            entered,
            &published,
            Outcome::Mismatch,
            &[index],
            "another company publishes the entered phone and mail domain as its own",
        );
    }
}

/// A result about the company that names the entered corporate mail domain (not the entered website's) while
/// warning of impostors ("Acme Ltd warns buyers: emails from 'acme-sa.example' are not from the company"): the
/// company disowns the domain the request writes from, so the e-mail contradicts. A domain named in any other
/// context (a new address announced, a partner's site) says nothing against it.
fn compare_disowned_mail_domain(judgement: &mut Judgement, profile: &SubjectProfile, body: &str, index: usize) {
    let (Some(entered), Some(mail_domain)) = (profile.email.as_deref(), profile.mail_domain_off_website()) else {
        return;
    };
    if warns_against_domain(body, mail_domain) {
        judgement.compare(
            Field::Email,
            entered,
            mail_domain,
            Outcome::Mismatch,
            &[index],
            "the result warns that mail from the entered domain is not the company's",
        );
    }
}

/// Whether the text names the domain in an impersonation warning (`signals::victim_context`).
fn warns_against_domain(body: &str, mail_domain: &str) -> bool {
    domain::names_domain(body, mail_domain) && signals::victim_context(body)
}

/// Whether the result gives the subject's telephone number (compared as E.164).
fn shares_subject_phone(profile: &SubjectProfile, snippet: &str) -> bool {
    let Some(entered) = &profile.phone_e164 else {
        return false;
    };
    if !snippet.bytes().any(|byte| byte.is_ascii_digit()) {
        return false;
    }
    crate::matching::phone::phones_in(snippet)
        .iter()
        .filter_map(|raw| crate::matching::phone::to_e164(raw, profile.country.as_deref()))
        .any(|found| found == *entered)
}

/// For a company: a result that names the contact as someone who left it ("formerly export manager at …"), or
/// in another role than the one claimed.
fn compare_contact_in_text(judgement: &mut Judgement, profile: &SubjectProfile, body: &str, index: usize) {
    let Some(contact) = &profile.contact_name else {
        return;
    };
    if !names::mentions_person(body, contact) {
        compare_role_held_at_company(judgement, profile, contact, body, index);
        return;
    }
    let departure = if named_as_former(body, &profile.name) {
        Some("the result says the contact has left the company")
    } else if reports_contact_departed(profile, body, contact) {
        Some("the result reports that the contact left the company")
    } else {
        None
    };
    if let Some(note) = departure {
        judgement.compare(
            Field::Contact,
            contact,
            &body.chars().take(160).collect::<String>(),
            Outcome::Mismatch,
            &[index],
            note,
        );
        return;
    }
    compare_role_in_text(judgement, profile, contact, body, index);
}

/// For a company: a result that does not name the contact but names someone else as holding the contact's claimed
/// role at the company ("El gerente general de Acme SRL, Luis Áñez, anunció …", "Luis Áñez, general manager of Acme
/// Ltd"): the claim that the contact holds it is contradicted. The role must be tied to the company by name (a
/// report naming another company's manager says nothing about the subject's), and the holder share no name with the
/// contact (a shorter form of the contact's own name is the contact).
fn compare_role_held_at_company(
    judgement: &mut Judgement,
    profile: &SubjectProfile,
    contact: &str,
    body: &str,
    index: usize,
) {
    let Some(title) = profile.contact_title.as_deref() else {
        return;
    };
    let Some(role_of_organisation) = super::website::role_of_organisation_with_name_regex(title) else {
        return;
    };
    // Someone else: no name of theirs is one of the contact's ("Mariana Cárdenas" is Mariana Cárdenas Villaseñor).
    let contact_tokens = text::tokens(contact);
    let held_at_subject = role_of_organisation.captures_iter(body).find(|captures| {
        let another_person = captures
            .name("person")
            .or_else(|| captures.name("person2"))
            .is_some_and(|person| {
                text::tokens(person.as_str())
                    .iter()
                    .all(|token| !contact_tokens.contains(token))
            });
        another_person
            && captures
                .name("org")
                .or_else(|| captures.name("org2"))
                .is_some_and(|org| profile.is_mentioned_in(org.as_str()))
    });
    if let Some(found) = held_at_subject.and_then(|captures| captures.get(0)) {
        judgement.compare(
            Field::Contact,
            &format!("{contact}, {title}"),
            found.as_str(),
            Outcome::Mismatch,
            &[index],
            "the result names someone else in the contact's role at the company",
        );
    }
}

/// Whether a result about the company names the contact only to report them gone ("… succeeds Julien Marchand,
/// who left the company in March to join …"), and the company left is the subject. Another company may be the
/// one left: named in the departure ("left Cargill in 2015"), after a "from" ("resigned from Cargill"), or the
/// subject named later as where they went ("… to join Acme").
fn reports_contact_departed(profile: &SubjectProfile, body: &str, contact: &str) -> bool {
    const FROM_WORDS: &[&str] = &["from", "de", "du", "des", "von", "aus", "at", "bei", "chez"];
    if !mentioned_only_as_departed(body, contact) {
        return false;
    }
    let core = text::tokens(&profile.core_name);
    let first_core_token = core.first();
    signals::sentences(body)
        .into_iter()
        .filter(|sentence| names::mentions_person(sentence, contact))
        .all(|sentence| {
            let folded = text::fold(sentence);
            DEPARTED.find(&folded).is_some_and(|departure| {
                let phrase = departure.as_str();
                let names_company_left = phrase.starts_with("left") && phrase.ends_with(|c: char| c.is_ascii_digit());
                if names_company_left {
                    return profile.is_mentioned_in(phrase);
                }
                let after = &folded[departure.end()..];
                let mut words = after.split_whitespace();
                let first = words.next().unwrap_or_default();
                // The company left, named as the verb's object: the subject's name starts right after it.
                let subject_right_after = text::tokens(first).first() == first_core_token;
                let from_another = FROM_WORDS.contains(&first);
                subject_right_after || (!from_another && !profile.is_mentioned_in(after))
            })
        })
}

/// Words reporting that a company sold, closed or left premises, or moved away from them, before naming where
/// ("has sold the sawmill at …", "left its offices at …", "moved out of …", "relocated from …", "har sålt …",
/// "lämnar …", "verließ …", "a quitté …", "vendió …", "przeniosła się z …"): matched on folded text.
static LEFT_PREMISES: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?-u:\b)(?:(?:has|have|had)\s+(?:sold|left)|sold\s+(?:its|their|the|our|his|her)|(?:closed|shut)\s+(?:down\s+)?(?:its|their|the|our)|left|leav(?:es|ing)|vacat(?:ed|es|ing)|mov(?:ed|es|ing)\s+(?:out\s+of|away\s+from|from)|relocat(?:ed|es|ing)|(?:har|hade)\s+salt|salde|lamna(?:r|de|t)|flytta(?:r|de|t)\s+(?:ut\s+)?fran|(?:har|hadde|havde)\s+solgt|solgte|forla(?:ter|der)|forlot|forlod|flytt(?:er|et|ede)\s+fra|verkauft(?:e|en)?|verl(?:asst|iess|iessen|assen)|(?:zieht|zog|ziehen)\s+(?:aus|weg\s+von)|umgezogen\s+von|verkocht|verla(?:at|ten)|verliet|verhuis(?:t|de|den)\s+(?:van|uit)|vendu|cede|quitt(?:e|ent|era|ait)|demenag(?:e|ent|era)\s+(?:de|du|des)|vendio|ha\s+vendido|vendeu|(?:deja|dejo|abandona|abandono|deixa|deixou|abandonou)|(?:se\s+)?(?:traslad[oa]|mud[oa])\s+(?:de|desde|del)|(?:mudou|muda|transferiu)(?:-se)?\s+(?:de|do|da)|venduto|vendette|lascia(?:to)?|(?:si\s+)?trasferi(?:sce|to|ta)\s+(?:da|dal|dalla)|sprzedal[ao]?|opuszcza|opuscil[ao]?|przeni(?:osl[ao]?|esie)\s+sie\s+z|(?:telah\s+)?menjual|meninggalkan|pindah\s+dari)(?-u:\b)",
    )
    .expect("premises-left pattern compiles")
});

/// Words after which a place is where the company went or whom it sold to, not the premises it left.
const DESTINATION_WORDS: &[&str] = &[
    "to", "into", "onto", "for", "till", "til", "nach", "zu", "naar", "vers", "a", "au", "aux", "para", "pra", "hacia",
    "do", "na", "ke",
];

/// A result that reports the company sold or left the premises at the entered street ("Granlunda has sold the
/// sawmill at Sågverksvägen 3 to …", "Pwani Sisal left its offices at 14 Harbour Road in May") contradicts the
/// address, as a page announcing a move does: the request gives an address the company no longer has. The
/// company must be named before the verb, as the one that left (a neighbour leaving the building it moves into
/// is not), and the street and house number before any destination ("moved from … to …" is read up to "to").
fn compare_premises_left(judgement: &mut Judgement, profile: &SubjectProfile, body: &str, index: usize) {
    let Some(entered) = profile.address.as_deref() else {
        return;
    };
    if !LEFT_PREMISES.is_match(&text::fold(body)) {
        return;
    }
    let left = signals::sentences(body).into_iter().find(|sentence| {
        reports_premises_left(entered, profile.country.as_deref(), sentence, |actor| {
            profile.is_mentioned_in(actor)
        })
    });
    if let Some(sentence) = left {
        judgement.compare(
            Field::Address,
            entered,
            &sentence.chars().take(160).collect::<String>(),
            Outcome::Mismatch,
            &[index],
            "the result reports the company sold or left the premises at the entered address",
        );
    }
}

/// Whether a sentence reports premises at the entered street sold or left by the actor `names_actor` finds in the
/// words before the verb: the street and house number (or the street and its type, when the move ends on another
/// street) named within eight words after the verb, before the clause ends (a comma, colon, parenthesis: "(left)"
/// under a photo names no place) or a destination word.
fn reports_premises_left(
    entered: &str,
    country: Option<&str>,
    sentence: &str,
    names_actor: impl Fn(&str) -> bool,
) -> bool {
    let sentence = text::fold(sentence);
    LEFT_PREMISES.find_iter(&sentence).any(|verb| {
        let clause = sentence[verb.end()..]
            .split([',', ';', ':', '(', ')', '\n'])
            .next()
            .unwrap_or_default();
        let place: Vec<&str> = clause
            .split_whitespace()
            .take_while(|word| !DESTINATION_WORDS.contains(word))
            .take(8)
            .collect();
        if place.is_empty() {
            return false;
        }
        let place_text = place.join(" ");
        // The street left may be named without its house number ("moved from its Edwin Swales Drive site to …"),
        // unless the move ends on the same street (another number on it).
        let street_left = crate::matching::address::street_named_in(entered, &place_text, country)
            || (crate::matching::address::street_named_without_number_in(entered, &place_text, country) && {
                let destination: Vec<&str> = sentence[verb.end()..].split_whitespace().skip(place.len()).collect();
                !crate::matching::address::street_named_without_number_in(entered, &destination.join(" "), country)
            });
        street_left && names_actor(&sentence[..verb.start()])
    })
}

/// The claimed title of `person` against a result naming them (`roles::role_contradicted_in_text`).
fn compare_role_in_text(judgement: &mut Judgement, profile: &SubjectProfile, person: &str, body: &str, index: usize) {
    let Some(title) = profile.contact_title.as_deref() else {
        return;
    };
    if let Some((shown, note)) = roles::role_contradicted_in_text(title, person, body) {
        judgement.compare(
            Field::Contact,
            &format!("{person}, {title}"),
            &shown,
            Outcome::Mismatch,
            &[index],
            note,
        );
    }
}

/// A result that is the home page of a site carrying the company's name on another domain than the one
/// entered ("hanbit-marine.example" against "hanbit-marine-export.example") points to another official site.
fn compare_home_page(judgement: &mut Judgement, profile: &SubjectProfile, url: &str, body: &str, index: usize) {
    let Some(entered) = profile.website.as_deref() else {
        return;
    };
    let Ok(parsed) = url::Url::parse(url) else {
        return;
    };
    let is_home = matches!(parsed.path(), "" | "/") && parsed.query().is_none();
    let host = parsed.host_str().unwrap_or_default().to_lowercase();
    let host_words = text::tokens(&host.replace(['-', '.'], " "));
    let core = text::tokens(&profile.core_name);
    let in_host = core
        .iter()
        .filter(|token| token.len() >= 3 && (host_words.contains(*token) || host.contains(token.as_str())))
        .count();
    let host_carries_name = in_host >= core.len().min(2) && in_host > 0;
    if is_home && host_carries_name && profile.is_mentioned_in(body) && !domain::same_site(entered, url) {
        judgement.compare(
            Field::Website,
            entered,
            url,
            Outcome::Mismatch,
            &[index],
            "search shows the company's home page on another domain",
        );
    }
}

/// Adverse terms in the sentences that name the subject, the sentence after each (where "the company" refers
/// back), and the headline when the first sentence after it names the subject: a story that mentions the
/// subject beside someone else's wrongdoing is not adverse to it.
fn adverse_terms_about_subject(profile: &SubjectProfile, body: &str) -> Vec<&'static str> {
    let sentences = signals::sentences(body);
    let mut terms: Vec<&'static str> = Vec::new();
    for (index, sentence) in sentences.iter().enumerate() {
        let names_subject = if profile.is_company() {
            profile.is_mentioned_in(sentence)
        } else {
            profile.is_person_named_in(sentence)
        };
        if !names_subject {
            continue;
        }
        let from = if index == 1 { 0 } else { index };
        for nearby in &sentences[from..(index + 2).min(sentences.len())] {
            for term in signals::adverse_terms(nearby) {
                if !terms.contains(&term) {
                    terms.push(term);
                }
            }
        }
    }
    terms
}

/// A result that places the name in other countries only — by naming them, or by a legal form registered only
/// there ("Olympia Marble Pty Ltd" for a Greek S.A.) — none of them the subject's, and that names none of the
/// subject's own places, is about a namesake abroad.
fn about_a_namesake_abroad(profile: &SubjectProfile, body: &str, companies: &[String]) -> bool {
    let Some(country) = profile.country.as_deref() else {
        return false;
    };
    let mut named = crate::countries::mentioned_in(body);
    if named.contains(&country) {
        return false;
    }
    for name in companies {
        if profile.is_subject_name(name)
            && let Some(countries) = names::legal_form_countries(name)
        {
            named.extend(countries.iter().copied());
        }
    }
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
/// the claimed employer, their job title, or their e-mail domain (in an address, or as the site publishing it).
fn person_result_is_about_subject(profile: &SubjectProfile, url: &str, body: &str) -> bool {
    if !profile.is_person_named_in(body) {
        return leading_names_with_own_contact(profile, url, body);
    }
    let published_by_employer = profile
        .corporate_email_domain()
        .is_some_and(|own| domain::same_site(url, own));
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
    published_by_employer
        || employer_named
        || title_named
        || domain_named
        || shares_subject_phone(profile, body)
        || names_own_locality(profile, body)
}

/// Whether a result names a place of the person's entered address finer than its city: a neighbourhood, district
/// or street written as its own part of the address ("…, apto. 902, Punta Gorda, Montevideo" gives "Punta Gorda").
/// A namesake shares a name, and may share a city; that they also live in the same neighbourhood is what ties a
/// report to the person. The last part (the city) and the country are not enough, nor are parts with numbers (a
/// house or flat number reads differently everywhere) or without a word of four letters.
fn names_own_locality(profile: &SubjectProfile, body: &str) -> bool {
    let Some(address) = profile.address.as_deref() else {
        return false;
    };
    let country_names: Vec<String> = profile
        .country
        .as_deref()
        .map(|code| crate::countries::spellings_of(&code.to_ascii_uppercase()))
        .unwrap_or_default()
        .into_iter()
        .map(text::fold)
        .collect();
    let mut parts: Vec<Vec<String>> = address
        .split(',')
        .map(text::tokens)
        .filter(|tokens| !tokens.is_empty())
        .collect();
    while parts
        .last()
        .is_some_and(|last| country_names.iter().any(|country| *country == last.join(" ")))
    {
        parts.pop();
    }
    parts.pop();
    let fine: Vec<&Vec<String>> = parts
        .iter()
        .filter(|tokens| {
            tokens.iter().all(|token| !token.chars().any(|c| c.is_ascii_digit()))
                && tokens.iter().any(|token| token.chars().count() >= 4)
        })
        .collect();
    if fine.is_empty() {
        return false;
    }
    let found = text::tokens(body);
    fine.iter()
        .any(|place| found.windows(place.len()).any(|window| window == place.as_slice()))
}

/// A person with three or more names named by their first two ("Meron Tadesse" for Meron Tadesse Bekele: Ethiopian
/// and other patronymic names drop the grandfather's name) in a result that is tied to them by their own e-mail
/// domain — published on it or naming an address on it — and names the claimed employer. Two names alone are
/// shared by namesakes, so both ties are required.
fn leading_names_with_own_contact(profile: &SubjectProfile, url: &str, body: &str) -> bool {
    let names_of_person = text::tokens(&profile.name);
    if names_of_person.len() < 3 {
        return false;
    }
    let Some(own) = profile.corporate_email_domain() else {
        return false;
    };
    let own_domain = domain::same_site(url, own)
        || (body.contains('@')
            && domain::emails_in(body)
                .iter()
                .any(|email| domain::same_site(email.rsplit('@').next().unwrap_or(""), own)));
    own_domain
        && profile
            .employer()
            .is_some_and(|employer| names::mentions_company(body, employer, &[]))
        && names::mentions_person(body, &names_of_person[..2].join(" "))
}

/// A page on the claimed employer's own domain that does not name the person but names someone else in the role
/// they claim ("Head of Procurement Aliya Bekmukhambetova" on the team page): the claimed role is contradicted.
fn compare_role_held_by_another(
    judgement: &mut Judgement,
    profile: &SubjectProfile,
    url: &str,
    body: &str,
    index: usize,
) {
    let (Some(title), Some(employer)) = (profile.contact_title.as_deref(), profile.employer()) else {
        return;
    };
    let published_by_employer = profile
        .corporate_email_domain()
        .is_some_and(|own| domain::same_site(url, own));
    if !published_by_employer || profile.is_person_named_in(body) {
        return;
    }
    let Some(role_with_name) = super::website::role_with_name_regex(title) else {
        return;
    };
    if let Some(found) = role_with_name.find(body) {
        judgement.mark_relevant(index);
        judgement.compare(
            Field::Employer,
            &format!("{}, {title}, {employer}", profile.name),
            found.as_str(),
            Outcome::Mismatch,
            &[index],
            "the claimed employer's own page names someone else in the claimed role",
        );
    }
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

/// For a person: the employer a text shows them at now, against the one claimed. A claimed employer named only
/// as a past one ("joins from X", "ex-X", "formerly at X") does not count as current.
fn employer_in_text(profile: &SubjectProfile, body: &str) -> Option<(Outcome, String)> {
    let claimed = profile.employer()?;
    let claimed_named = names::mentions_company(body, claimed, &[]);
    if claimed_named && !named_as_former(body, claimed) {
        return Some((Outcome::Match, claimed.to_string()));
    }
    let elsewhere = names::company_names_in(body)
        .into_iter()
        .find(|other| !company_names_compatible(other, claimed, &[]) && !named_as_former(body, other))
        .map(|other| (Outcome::Mismatch, other));
    // A report naming the claimed employer only as a past one ("previously finance director of X") contradicts
    // the claim to work there now, whether or not it names where the person went.
    elsewhere.or_else(|| claimed_named.then(|| (Outcome::Mismatch, format!("formerly at {claimed}"))))
}

/// Whether every mention of the company in the text is introduced as a former employer.
pub(super) fn named_as_former(body: &str, company: &str) -> bool {
    static FORMER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?:(?:\bex[-\s](?:[^.;|]{0,40}?,)?|\bex-(?:[\w&/]+\s+){1,3}|\bex|\b(?:former(?:ly)?|previously|ancien(?:ne)?s?|anciennement|jusqu.ici|auparavant|precedemment|ehemalige?[rn]?|zuvor|bisher|anteriormente|antig[uo]a?|fost(?:a|ul)?|voormalige?|byvaly|byvala)\b(?:[^.;|]{0,40}?(?:\b(?:at|with|of|de|du|des|chez|bei|von|en|da|di|presso|la|bij|al|ale)\b|,)(?:\s+(?:la|le|les|the|der|die|das))?(?:\s+[\w-]+){0,2}?)?)|\bjoin(?:s|ed|ing)?\s+from|\bleft|\bprior\s+to|\bbefore\s+joining|\buntil\s+\d{4}\s+(?:at|with))\s*$",
        )
        .expect("former-employer pattern compiles")
    });
    // "ex works" is the Incoterm, not a past employer.
    let folded = text::fold(body).replace("ex works", "exw").replace("ex-works", "exw");
    let core = crate::matching::names::core_tokens(company);
    let Some(first_word) = core.first() else {
        return false;
    };
    // Where the whole name stands, or else its first word: a generic first word ("Savonnerie") may also begin
    // the new employer's name.
    let whole: Vec<usize> = folded
        .match_indices(core.join(" ").as_str())
        .map(|(start, _)| start)
        .collect();
    let starts: Vec<usize> = if whole.is_empty() {
        folded
            .match_indices(first_word.as_str())
            .map(|(start, _)| start)
            .collect()
    } else {
        whole
    };
    !starts.is_empty()
        && starts.iter().all(|start| {
            let window_start = folded[..*start]
                .char_indices()
                .rev()
                .nth(60)
                .map(|(at, _)| at)
                .unwrap_or(0);
            FORMER.is_match(&folded[window_start..*start])
        })
}

/// Words saying a person left ("has left", "is no longer with", "a quitté", "ist ausgeschieden"), on folded text.
static DEPARTED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\b(?:has|had|have)\s+left\b|\bleft\s+(?:us|the\s+(?:company|firm|team|business)|our\s+(?:company|firm|team))\b|\bleft\s+\w+(?:\s+\w+){0,3}\s+(?:at\s+the\s+end\s+of|in)\s+(?:\w+\s+)?\d{4}\b|\bno\s+longer\s+(?:with|at|works?|working|employed|part\s+of|represents?)\b|\b(?:retired|resigned|departed|stepped\s+down)\b|\bmoved\s+on\b|\ba\s+quitte\b|\bnous\s+a\s+quittes?\b|\bne\s+fait\s+plus\s+partie\b|\bist\s+ausgeschieden\b|\bhat\s+(?:uns|das\s+unternehmen)\s+verlassen\b|\bnicht\s+mehr\s+(?:bei|fur)\b|\b(?:ha\s+)?dejado\s+la\s+empresa\b|\bdejo\s+la\s+empresa\b|\bya\s+no\s+(?:trabaja|forma\s+parte)\b",
        )
    .expect("departure pattern compiles")
});

/// Whether every sentence of `text` that names `person` says they left ("Ivan Petrov left the company in March",
/// "… is no longer with us", "a quitté", "ist ausgeschieden"): a page that names the contact only to announce
/// the departure does not vouch for them.
pub(super) fn mentioned_only_as_departed(text: &str, person: &str) -> bool {
    let naming: Vec<&str> = signals::sentences(text)
        .into_iter()
        .filter(|sentence| names::mentions_person(sentence, person))
        .collect();
    !naming.is_empty() && naming.iter().all(|sentence| DEPARTED.is_match(&text::fold(sentence)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, email: &str, title: &str) -> SubjectProfile {
        let subject: crate::request::Subject = serde_json::from_value(serde_json::json!({
            "kind": "person", "name": name, "email": email,
            "contact": { "name": name, "title": title }
        }))
        .expect("a subject");
        SubjectProfile::new(&subject)
    }

    fn contact_outcomes(body: &str) -> Vec<Outcome> {
        let subject: crate::request::Subject = serde_json::from_value(serde_json::json!({
            "kind": "company", "name": "Andes Maquinaria SRL", "country": "BO",
            "contact": { "name": "Pedro Gutiérrez Roca", "title": "Gerente General" }
        }))
        .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        let mut judgement = Judgement::default();
        compare_contact_in_text(&mut judgement, &profile, body, 0);
        judgement.outcomes_of(Field::Contact)
    }

    #[test]
    fn a_result_giving_the_contacts_role_at_the_company_to_someone_else_contradicts_the_contact() {
        assert_eq!(
            contact_outcomes("El gerente general de Andes Maquinaria, Jorge Méndez Paz, anunció una sucursal."),
            vec![Outcome::Mismatch]
        );
        assert_eq!(
            contact_outcomes("Jorge Méndez Paz, gerente general de Andes Maquinaria SRL, anunció una sucursal."),
            vec![Outcome::Mismatch]
        );
        // Another company's manager, or the contact named by part of their name, says nothing against the claim.
        assert!(
            contact_outcomes("El gerente general de Tractores del Sur, Jorge Méndez Paz, visitó Andes Maquinaria.")
                .is_empty()
        );
        assert!(
            contact_outcomes("El gerente general de Andes Maquinaria, Pedro Gutiérrez, anunció una sucursal.")
                .is_empty()
        );
    }

    #[test]
    fn a_report_naming_the_person_in_their_neighbourhood_or_at_their_phone_is_about_them() {
        let subject: crate::request::Subject = serde_json::from_value(serde_json::json!({
            "kind": "person", "name": "Martín Echeverría Salaberry", "country": "UY",
            "address": "Rambla República de México 5515, apto. 902, Punta Gorda, Montevideo",
            "phone": "099 412 873"
        }))
        .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        let url = "http://news.example/a";
        assert!(person_result_is_about_subject(
            &profile,
            url,
            "Embargo. Entre los bienes de Martín Echeverría Salaberry, vecino de Punta Gorda, figuran relojes."
        ));
        assert!(person_result_is_about_subject(
            &profile,
            url,
            "Coleccionistas: Martín Echeverría Salaberry, tel. 099 412 873."
        ));
        // The same name in the same city, or in another neighbourhood, is a namesake.
        assert!(!person_result_is_about_subject(
            &profile,
            url,
            "Martín Echeverría Salaberry, vecino de Montevideo, fue detenido."
        ));
        assert!(!person_result_is_about_subject(
            &profile,
            url,
            "Martín Echeverría Salaberry, vecino de Carrasco, tel. 098 771 204, fue detenido."
        ));
    }

    #[test]
    fn a_three_part_name_is_named_by_its_first_two_with_own_mail_and_employer() {
        let profile = person(
            "Meron Tadesse Bekele",
            "meron.tadesse@lidetaridge.example",
            "Procurement Officer, Lideta Ridge General Hospital",
        );
        let notice = "Lideta Ridge General Hospital invites bids. Enquiries: Meron Tadesse, Procurement Officer, \
                      meron.tadesse@lidetaridge.example.";
        assert!(person_result_is_about_subject(
            &profile,
            "http://tenders.example/1",
            notice
        ));
        // The namesake runner: two names, no employer, no mail.
        let namesake = "Ethiopian 1500m runner Meron Tadesse, 22, was suspended after a test.";
        assert!(!person_result_is_about_subject(
            &profile,
            "http://athletics.example/1",
            namesake
        ));
        // The employer named without the person's own mail domain is not enough for two names.
        let other = "Meron Tadesse of Lideta Ridge General Hospital joined the pilot.";
        assert!(!person_result_is_about_subject(
            &profile,
            "http://news.example/1",
            other
        ));
    }

    #[test]
    fn the_employers_page_naming_another_in_the_claimed_role_contradicts_it() {
        let profile = person(
            "Daniyar Zhaksylykov",
            "d.zh@steppelab.example",
            "Head of Procurement, Steppe LabTech LLP",
        );
        let team = "Steppe LabTech LLP team. Director Erlan Saparov; Head of Procurement Aliya Bekmukhambetova.";
        let mut judgement = Judgement::default();
        compare_role_held_by_another(&mut judgement, &profile, "http://steppelab.example/team", team, 0);
        assert!(
            judgement
                .fields
                .iter()
                .any(|field| field.field == Field::Employer && field.outcome == Outcome::Mismatch)
        );
        // The same text on another site, or a page naming the person, says nothing against the claim.
        let mut judgement = Judgement::default();
        compare_role_held_by_another(&mut judgement, &profile, "http://directory.example/team", team, 0);
        assert!(judgement.fields.is_empty());
        let named = "Head of Procurement Daniyar Zhaksylykov; deputy Aliya Bekmukhambetova.";
        let mut judgement = Judgement::default();
        compare_role_held_by_another(&mut judgement, &profile, "http://steppelab.example/team", named, 0);
        assert!(judgement.fields.is_empty());
    }

    #[test]
    fn a_warning_that_names_the_entered_mail_domain_disowns_it() {
        assert!(warns_against_domain(
            "Date exporter warns buyers of impostors. Emails from 'acme-sa.example' are not from the company.",
            "acme-sa.example"
        ));
        assert!(warns_against_domain(
            "Fraudsters posing as Acme Trading use the look-alike domain acme-sa.example.",
            "acme-sa.example"
        ));
    }

    #[test]
    fn a_domain_named_without_a_warning_or_a_warning_about_another_domain_is_no_contradiction() {
        // The domain in ordinary news, and a warning that names some other domain.
        assert!(!warns_against_domain(
            "Acme Trading moved its export desk to acme-sa.example this year.",
            "acme-sa.example"
        ));
        assert!(!warns_against_domain(
            "Acme Trading warns buyers: emails from acme-trade.example are not from the company.",
            "acme-sa.example"
        ));
    }

    #[test]
    fn premises_reported_sold_or_left_at_the_entered_street_are_read_in_several_languages() {
        let left = [
            (
                "14 Harbour Road, Mombasa",
                "KE",
                "Pwani Sisal Ltd has left its offices at 14 Harbour Road and now trades from Nairobi.",
            ),
            (
                "Waldstraße 12, 79822 Titisee-Neustadt",
                "DE",
                "Schwarzwald Holz GmbH verkaufte das Sägewerk in der Waldstraße 12 an einen Investor.",
            ),
            (
                "12 rue des Tanneurs, 69007 Lyon",
                "FR",
                "Maroquinerie Dulac a quitté ses locaux du 12 rue des Tanneurs en juin.",
            ),
            (
                "Calle Mayor 5, 36201 Vigo",
                "ES",
                "Conservas Rial se trasladó desde Calle Mayor 5 a un polígono de Vigo.",
            ),
            // The street without its house number, the move ending on another street.
            (
                "24 Edwin Swales Dr, Rossburgh, Durban, 4094",
                "ZA",
                "Bayhead Bonded has moved from its Edwin Swales Drive site in Rossburgh to Plot 41, Bayhead Road.",
            ),
        ];
        for (entered, country, sentence) in left {
            assert!(
                reports_premises_left(entered, Some(country), sentence, |_| true),
                "{sentence}"
            );
        }
        let not_left = [
            // The entered address is where the company went, or only its city is named.
            "Pwani Sisal moved from Kilindini Road 3 to 14 Harbour Road in May.",
            "Pwani Sisal left Mombasa for Nairobi in 2019.",
            "Pwani Sisal has left its offices at 14 Moi Avenue.",
            // A caption, and goods sold at the premises.
            "John Mwangi (left) at 14 Harbour Road with buyers.",
            "Pwani sisal mats are sold at 14 Harbour Road.",
            // A move along the same street, named without numbers.
            "Pwani Sisal moved from its Harbour Road store to a larger one on Harbour Road.",
        ];
        for sentence in not_left {
            assert!(
                !reports_premises_left("14 Harbour Road, Mombasa", Some("KE"), sentence, |_| true),
                "{sentence}"
            );
        }
    }

    #[test]
    fn only_the_company_itself_leaving_the_entered_premises_contradicts_the_address() {
        let subject: crate::request::Subject = serde_json::from_value(serde_json::json!({
            "kind": "company", "name": "Pwani Sisal Ltd", "country": "KE", "address": "14 Harbour Road, Mombasa"
        }))
        .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        let address_outcomes = |body: &str| {
            let mut judgement = Judgement::default();
            compare_premises_left(&mut judgement, &profile, body, 0);
            judgement
                .fields
                .iter()
                .map(|field| (field.field, field.outcome))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            address_outcomes("Sisal news. Pwani Sisal Ltd has left its offices at 14 Harbour Road."),
            vec![(Field::Address, Outcome::Mismatch)]
        );
        assert!(address_outcomes("Baraka Traders Ltd has left 14 Harbour Road; Pwani Sisal Ltd moves in.").is_empty());
    }

    #[test]
    fn a_report_naming_the_claimed_employer_only_as_a_past_one_contradicts_the_claim() {
        let subject: crate::request::Subject = serde_json::from_value(serde_json::json!({
            "kind": "person", "name": "Ana Pop", "country": "RO",
            "contact": { "name": "Ana Pop", "title": "CFO, Carpatica Distributie S.R.L." }
        }))
        .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        let outcome = |body: &str| employer_in_text(&profile, body).map(|(outcome, _)| outcome);
        assert_eq!(
            outcome("Ana Pop takes over as CFO of a retailer. She was formerly CFO at Carpatica Distributie."),
            Some(Outcome::Mismatch)
        );
        // Named there now, or not named at all: no contradiction from this rule.
        assert_eq!(
            outcome("Ana Pop, CFO of Carpatica Distributie, spoke at the fair."),
            Some(Outcome::Match)
        );
        assert_eq!(outcome("Ana Pop spoke at the fair in Brasov."), None);
    }

    #[test]
    fn a_contact_named_only_to_announce_the_departure_is_gone() {
        let departed = [
            "After nine years with us, Ivan Petrov left Rozova Dolina at the end of March 2025. We thank him.",
            "Please note that Ivan Petrov is no longer with the company.",
            "Ivan Petrov a quitté la société en mars.",
            "Herr Ivan Petrov ist ausgeschieden.",
        ];
        for text in departed {
            assert!(mentioned_only_as_departed(text, "Ivan Petrov"), "{text}");
        }
        let present = [
            "Ivan Petrov (left) and Stoyan Kolev at the Paris fair.",
            "Ivan Petrov left for the Paris fair on Monday.",
            "Our export manager Ivan Petrov answers enquiries. Maria Dimitrova retired in 2024.",
            "Ivan Petrov left the company in 2019. He rejoined us as export manager in 2023: write to Ivan Petrov.",
        ];
        for text in present {
            assert!(!mentioned_only_as_departed(text, "Ivan Petrov"), "{text}");
        }
    }

    #[test]
    fn a_result_reporting_that_the_contact_left_the_subject_contradicts_the_contact() {
        let subject: crate::request::Subject = serde_json::from_value(serde_json::json!({
            "kind": "company", "name": "Negoce Cereales du Berry SAS", "country": "FR",
            "contact": { "name": "Julien Marchand", "title": "Directeur commercial" }
        }))
        .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        let departed = [
            "Négoce Céréales du Berry a nommé Claire Dufresne. Elle succède à Julien Marchand, qui a quitté la \
             société en mars pour rejoindre Agri-Négoce Loire.",
            "Grain trade moves. Julien Marchand has left Negoce Cereales du Berry, the Bourges merchant said.",
            "Julien Marchand left Negoce Cereales du Berry in March 2026.",
        ];
        for body in departed {
            assert!(reports_contact_departed(&profile, body, "Julien Marchand"), "{body}");
        }
        let not_departed = [
            // The company he left is another; the subject is where he went, or he is there now.
            "Negoce Cereales du Berry hires Julien Marchand, who left Cargill in 2019.",
            "Julien Marchand, who resigned from Cargill, joins Negoce Cereales du Berry as sales director.",
            "Julien Marchand has left Cargill to join Negoce Cereales du Berry.",
            "Julien Marchand, directeur commercial de Négoce Céréales du Berry, commente la moisson.",
        ];
        for body in not_departed {
            assert!(!reports_contact_departed(&profile, body, "Julien Marchand"), "{body}");
        }
    }

    #[test]
    fn a_company_introduced_as_a_past_employer_is_former_in_several_languages() {
        let former = [
            (
                "Directrice Export chez Savonnerie du Midi Fabre | ex-Savonnerie Berthier",
                "Savonnerie Berthier SARL",
            ),
            (
                "Claire Dumas, jusqu'ici responsable export de la Savonnerie Berthier, est nommée directrice export.",
                "Savonnerie Berthier SARL",
            ),
            ("Formerly sales manager at Kanem Agro Ltd", "Kanem Agro Ltd"),
            (
                "Ehemaliger Vertriebsleiter bei Rhein Logistik GmbH",
                "Rhein Logistik GmbH",
            ),
            (
                "Business Development Manager at Aromatica Bulgaria | ex-Export Manager, Rozova Dolina (2016-2025)",
                "Rozova Dolina OOD",
            ),
            (
                "Aromatica has appointed Ivan Petrov, previously export manager at Kazanlak distiller Rozova Dolina, as head of sales",
                "Rozova Dolina OOD",
            ),
            (
                "Ana Dobre, fostă directoare de export la Carpatica Lemn, s-a alăturat Nordwald Interiors",
                "SC Carpatica Lemn SRL",
            ),
            (
                "Voormalige exportmanager bij Van Dijk Kaas, nu bij Hollandia Zuivel",
                "Van Dijk Kaas B.V.",
            ),
            // Romanian "a fost ... al <employer>" (was ... of).
            (
                "Anterior, a fost timp de șase ani director financiar al distribuitorului Carpatica Distribuție din Brașov.",
                "Carpatica Distribuție S.R.L.",
            ),
            // The past title between "ex-" and the company, without a comma.
            (
                "Key Account Manager at Nordwald Interiors | ex-Export Manager Carpatica Lemn (2018–2023)",
                "SC Carpatica Lemn SRL",
            ),
        ];
        for (text, company) in former {
            assert!(named_as_former(text, company), "{text}");
        }
        let current = [
            (
                "Responsable export chez Savonnerie Berthier | ex-Savonnerie du Midi Fabre",
                "Savonnerie Berthier SARL",
            ),
            ("Sales manager at Kanem Agro Ltd since 2019", "Kanem Agro Ltd"),
            (
                "Quoted ex works Kazanlak, Rozova Dolina ships within a week",
                "Rozova Dolina OOD",
            ),
            (
                "Acme Oils, formerly known as Rozova Dolina, distils rose oil",
                "Rozova Dolina OOD",
            ),
        ];
        for (text, company) in current {
            assert!(!named_as_former(text, company), "{text}");
        }
    }
}

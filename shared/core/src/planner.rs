//! The deterministic planner: which lookups each channel makes for a subject, and the follow-ups after a first pass.

use crate::channel::Channel;
use crate::countries;
use crate::evidence::{Finding, Lookup};
use crate::matching::domain;
use crate::request::{Subject, SubjectKind};

/// Terms that make a search engine surface complaints, warnings and enforcement news about a name.
const ADVERSE_QUERY_TERMS: &str = "fraud scam complaint police sanctions";

/// The first wave of lookups for a channel; an empty plan means the channel has nothing to search with.
pub fn plan(subject: &Subject, channel: Channel) -> Vec<Lookup> {
    let name = subject.name.trim().to_string();
    let core = display_core_name(&name);
    let country_name = subject.country.as_ref().map(|code| code.english_name().to_string());
    let social = subject.social.clone().unwrap_or_default();
    let mut lookups = match channel {
        Channel::Search => search_queries(subject, &core, country_name.as_deref()),
        Channel::Customs => vec![Lookup::Shipments {
            party: without_leading_article(&crate::profile::search_name_of(subject, &core)).to_string(),
        }],
        Channel::Linkedin => linkedin_lookups(subject, &core),
        Channel::Facebook => match &social.facebook {
            Some(url) => vec![Lookup::FacebookPage { url: url.to_string() }],
            // Pages are often named in the local script only.
            None => std::iter::once(core.clone())
                .chain(local_core_name(subject))
                .map(|name| Lookup::FacebookSearch { name })
                .collect(),
        },
        Channel::Twitter => match &social.twitter {
            Some(handle) => vec![Lookup::XUser {
                username: handle.to_string(),
            }],
            None => vec![Lookup::XSearch { query: core.clone() }],
        },
        Channel::Website => match &subject.website {
            Some(url) => {
                let mut lookups = vec![Lookup::CrawlSite { url: url.to_string() }];
                if let Some(registrable) = domain::registrable_domain(&url.host()) {
                    lookups.push(Lookup::DomainRegistration { domain: registrable });
                }
                lookups
            }
            None => Vec::new(),
        },
    };
    dedupe(&mut lookups);
    lookups
}

/// A name without a leading Arabic article ("El-Hourani Agricultural" → "Hourani Agricultural"): filings romanize
/// it "Al", "El", "Al-" or drop it, so a registry matched by substring finds every spelling only without it.
fn without_leading_article(name: &str) -> &str {
    let trimmed = name.trim_start();
    for article in ["al-", "el-", "al ", "el "] {
        if let Some(rest) = trimmed
            .get(..article.len())
            .filter(|head| head.eq_ignore_ascii_case(article))
            .map(|_| trimmed[article.len()..].trim_start())
            && rest.split_whitespace().count() >= 2
        {
            return rest;
        }
    }
    trimmed
}

/// Lookups worth making after the first wave: a name search when the entered profile URL or handle led nowhere.
pub fn follow_ups(subject: &Subject, channel: Channel, first_wave: &[Finding]) -> Vec<Lookup> {
    if !first_wave.is_empty() {
        return Vec::new();
    }
    let core = display_core_name(&subject.name);
    let social = subject.social.clone().unwrap_or_default();
    match channel {
        Channel::Facebook if social.facebook.is_some() => vec![Lookup::FacebookSearch { name: core }],
        Channel::Twitter if social.twitter.is_some() => vec![Lookup::XSearch { query: core }],
        Channel::Linkedin if subject.kind == SubjectKind::Company && social.linkedin.is_some() => {
            vec![Lookup::CompanySearch {
                name: core,
                country: subject.country.as_ref().map(|code| code.as_str().to_string()),
            }]
        }
        _ => Vec::new(),
    }
}

/// The native-script name without its legal form, when one was entered.
fn local_core_name(subject: &Subject) -> Option<String> {
    subject
        .local_name
        .as_deref()
        .map(display_core_name)
        .filter(|local| !local.trim().is_empty())
}

fn search_queries(subject: &Subject, core: &str, country_name: Option<&str>) -> Vec<Lookup> {
    let query = |query: String| Lookup::WebSearch { query };
    let mut queries = vec![query(format!("\"{}\"", subject.name.trim()))];
    match subject.kind {
        SubjectKind::Company => {
            if let Some(country) = country_name {
                queries.push(query(format!("{core} {country}")));
            }
            queries.push(query(format!("{core} {ADVERSE_QUERY_TERMS}")));
        }
        SubjectKind::Person => {
            let contact = subject.contact.as_ref();
            if let Some(title) = contact.and_then(|contact| contact.title.as_deref()) {
                queries.push(query(format!("{} {title}", subject.name.trim())));
            }
            queries.push(query(format!("{} {ADVERSE_QUERY_TERMS}", subject.name.trim())));
        }
    }
    if let Some(local) = subject.local_name.as_deref().filter(|local| !local.trim().is_empty()) {
        queries.push(query(local.trim().to_string()));
    }
    queries
}

fn linkedin_lookups(subject: &Subject, core: &str) -> Vec<Lookup> {
    let profile_url = subject
        .social
        .as_ref()
        .and_then(|social| social.linkedin.as_ref())
        // As entered: the provider asks for the canonical form first and this one when that finds nothing.
        .map(|url| url.as_str().trim().to_string());
    let country = subject.country.as_ref().map(|code| code.as_str().to_string());
    let mut lookups = Vec::new();
    match subject.kind {
        SubjectKind::Company => {
            match profile_url.filter(|url| url.contains("/company/")) {
                Some(url) => lookups.push(Lookup::CompanyProfile { url }),
                None => lookups.push(Lookup::CompanySearch {
                    name: core.to_string(),
                    country,
                }),
            }
            if let Some(contact) = &subject.contact {
                lookups.push(Lookup::PersonSearch {
                    name: contact.name.clone(),
                    company: Some(core.to_string()),
                });
            }
        }
        SubjectKind::Person => {
            let employer = subject
                .contact
                .as_ref()
                .and_then(|contact| contact.title.as_deref())
                .and_then(|title| {
                    title
                        .split_once(" at ")
                        .map(|(_, employer)| display_core_name(employer))
                });
            match profile_url.filter(|url| url.contains("/in/")) {
                Some(url) => lookups.push(Lookup::PersonProfile { url }),
                None => lookups.push(Lookup::PersonSearch {
                    name: subject.name.trim().to_string(),
                    company: employer,
                }),
            }
        }
    }
    lookups
}

/// A LinkedIn profile URL on LinkedIn's own host: `cl.linkedin.com/in/jane-doe`, `m.linkedin.com/in/jane-doe` and
/// `linkedin.com/in/jane-doe` are the same profile as `www.linkedin.com/in/jane-doe` (LinkedIn serves every profile
/// under country and mobile subdomains), and profile lookups know it only by the canonical form.
/// Any other URL is returned as it is.
pub fn canonical_linkedin_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url.trim()) else {
        return url.to_string();
    };
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    // Providers echo a country host with "www." in front ("www.mn.linkedin.com"): the same profile.
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let on_linkedin = host == "linkedin.com"
        || host
            .strip_suffix(".linkedin.com")
            .is_some_and(|label| !label.is_empty() && !label.contains('.'));
    let is_profile = ["/in/", "/company/"].iter().any(|kind| parsed.path().starts_with(kind));
    if !on_linkedin || !is_profile || parsed.set_host(Some("www.linkedin.com")).is_err() {
        return url.to_string();
    }
    parsed.to_string()
}

/// The name without its legal form, keeping the customer's capitalisation for queries
/// ("Hangzhou Greenleaf Tea Co., Ltd." → "Hangzhou Greenleaf Tea").
pub fn display_core_name(name: &str) -> String {
    let core = crate::matching::names::core_company_name(name);
    if core.is_empty() {
        return name.trim().to_string();
    }
    let core_tokens = crate::matching::text::tokens(&core);
    let words: Vec<&str> = name.split_whitespace().collect();
    let word_tokens: Vec<Vec<String>> = words.iter().map(|word| crate::matching::text::tokens(word)).collect();
    // The run of the customer's words whose tokens spell the core exactly, symbols like "&" kept inside it.
    for start in 0..words.len() {
        if word_tokens[start].first() != core_tokens.first() {
            continue;
        }
        let mut matched = 0;
        for end in start..words.len() {
            let tokens = &word_tokens[end];
            if core_tokens.get(matched..matched + tokens.len()) != Some(tokens.as_slice()) {
                break;
            }
            matched += tokens.len();
            if matched == core_tokens.len() {
                return words[start..=end]
                    .join(" ")
                    .trim_end_matches([',', '.', ';'])
                    .to_string();
            }
        }
    }
    core
}

fn dedupe(lookups: &mut Vec<Lookup>) {
    let mut seen = Vec::new();
    lookups.retain(|lookup| {
        if seen.contains(lookup) {
            false
        } else {
            seen.push(lookup.clone());
            true
        }
    });
}

/// The country a free-text location names, if its last comma-separated part is a country name or alias
/// (only the last part: "Atlanta, Georgia" must not read as the country Georgia... unless it stands last alone).
pub fn country_in_location(location: &str) -> Option<&'static str> {
    let parts: Vec<&str> = location
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect();
    match parts.as_slice() {
        [] => None,
        [only] => countries::code_of_name(only),
        [.., last] => countries::code_of_name(last).filter(|code| *code != "GE" && *code != "JO"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customs_are_queried_without_a_leading_arabic_article_only_when_a_name_remains() {
        assert_eq!(
            without_leading_article("El-Hourani Agricultural Machinery"),
            "Hourani Agricultural Machinery"
        );
        assert_eq!(without_leading_article("Al Reem Foodstuff"), "Reem Foodstuff");
        assert_eq!(
            without_leading_article("Al Reem"),
            "Al Reem",
            "one word alone is too little"
        );
        assert_eq!(without_leading_article("Alhambra Tiles"), "Alhambra Tiles");
    }

    #[test]
    fn a_linkedin_profile_on_a_country_or_mobile_host_is_looked_up_on_www() {
        assert_eq!(
            canonical_linkedin_url("https://cl.linkedin.com/in/jane-doe"),
            "https://www.linkedin.com/in/jane-doe"
        );
        assert_eq!(
            canonical_linkedin_url("https://m.linkedin.com/company/acme-trading/"),
            "https://www.linkedin.com/company/acme-trading/"
        );
        assert_eq!(
            canonical_linkedin_url("https://linkedin.com/in/jane-doe"),
            "https://www.linkedin.com/in/jane-doe"
        );
    }

    #[test]
    fn other_urls_are_left_as_entered() {
        // Not a profile, not LinkedIn, or a look-alike host that merely ends in "linkedin.com".
        for url in [
            "https://business.linkedin.com/marketing-solutions",
            "https://www.linkedin.com/in/jane-doe",
            "https://cl.linkedin.com.evil.example/in/jane-doe",
            "https://notlinkedin.com/in/jane-doe",
            "https://a.b.linkedin.com/in/jane-doe",
        ] {
            assert_eq!(canonical_linkedin_url(url), url);
        }
    }

    #[test]
    fn the_core_name_keeps_the_customers_spelling_and_symbols() {
        assert_eq!(
            display_core_name("Hangzhou Greenleaf Tea Co., Ltd."),
            "Hangzhou Greenleaf Tea"
        );
        assert_eq!(
            display_core_name("Gulf Stone & Tile Distributors LLC"),
            "Gulf Stone & Tile Distributors"
        );
        assert_eq!(
            display_core_name("Aguacates Selectos de Michoacán, S.A. de C.V."),
            "Aguacates Selectos de Michoacán"
        );
    }
}

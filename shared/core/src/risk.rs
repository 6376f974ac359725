//! The summary step's rules: flags that need every channel, and the risk level with its reasons.

use std::collections::BTreeSet;

use crate::channel::Channel;
use crate::evidence::Record;
use crate::flags::Flag;
use crate::matching::{business, domain};
use crate::profile::SubjectProfile;
use crate::report::RiskLevel;
use crate::verdict::{ChannelVerdict, Field, Outcome, Verdict};

/// Flags that alone make a check high risk: deception or the absence of any real footprint.
/// (`adverse_media` is severe when an authority acted or several reports agree; a lone allegation weighs 2.)
const SEVERE: &[Flag] = &[Flag::AdverseMedia, Flag::PromptInjection, Flag::IdentityNotFound];

/// Points a flag adds towards high risk (3 points are high); flags not listed add none.
fn weight(flag: Flag) -> u32 {
    match flag {
        Flag::NameMismatch
        | Flag::EmailDomainMismatch
        | Flag::WebsiteContentMismatch
        | Flag::WebsiteRecentlyRegistered
        | Flag::TradeProfileMismatch => 2,
        Flag::AddressMismatch
        | Flag::PhoneMismatch
        | Flag::FreeEmailDomain
        | Flag::ContactNotVerified
        | Flag::WebsiteUnreachable
        | Flag::NoTradeHistory => 1,
        _ => 0,
    }
}
const HIGH_RISK_POINTS: u32 = 3;

/// Flags raised by the request itself or by all channels together.
pub fn cross_channel_flags(profile: &SubjectProfile, verdicts: &[ChannelVerdict]) -> BTreeSet<Flag> {
    let mut flags = BTreeSet::new();
    // A person writing for an employer is held to the employer's mail, as a company is.
    let writes_for_organisation = profile.is_company() || profile.claimed_employer.is_some();
    if let Some(email_domain) = profile.email_domain.as_deref().filter(|_| writes_for_organisation) {
        if domain::is_free_mail(email_domain) {
            flags.insert(Flag::FreeEmailDomain);
        }
        // The company's own channels publishing the very address settle it, whatever its domain.
        let published_by_company = any_email_outcome(verdicts, Outcome::Match);
        let foreign_domain = profile
            .website
            .as_deref()
            .is_some_and(|website| !domain::same_site(email_domain, website));
        if foreign_domain && !published_by_company {
            flags.insert(Flag::EmailDomainMismatch);
        }
        if !domain::is_free_mail(email_domain) && look_alike_domain_entered(profile, verdicts) {
            flags.insert(Flag::EmailDomainMismatch);
        }
    }
    let searched_independent: Vec<&ChannelVerdict> = verdicts
        .iter()
        .filter(|verdict| verdict.channel != Channel::Website && verdict.verdict != Verdict::Unavailable)
        .collect();
    let found_nowhere = !searched_independent.is_empty()
        && searched_independent
            .iter()
            .all(|verdict| verdict.verdict == Verdict::NotFound);
    // People are found on LinkedIn: while it could not be searched, a person found nowhere else is unverified
    // (`contact_not_verified`), not shown to have no footprint.
    if found_nowhere && (profile.is_company() || !channel_unavailable(verdicts, Channel::Linkedin)) {
        flags.insert(Flag::IdentityNotFound);
    }
    if contact_unverified(profile, verdicts) {
        flags.insert(Flag::ContactNotVerified);
    }
    flags
}

/// Whether some channel's e-mail comparison came out `outcome`.
fn any_email_outcome(verdicts: &[ChannelVerdict], outcome: Outcome) -> bool {
    verdicts.iter().any(|verdict| {
        verdict
            .fields
            .iter()
            .any(|field| field.field == Field::Email && field.outcome == outcome)
    })
}

/// Whether the free-mail address entered is the one the subject's own channels publish (a channel found the very
/// address, none another): a webmail box the business is known by, not one an impostor opened in its name.
pub fn free_mail_published_by_subject(profile: &SubjectProfile, verdicts: &[ChannelVerdict]) -> bool {
    profile.email_domain.as_deref().is_some_and(domain::is_free_mail)
        && any_email_outcome(verdicts, Outcome::Match)
        && !any_email_outcome(verdicts, Outcome::Mismatch)
}

/// Whether the only channels contradicting `field` (the address, the phone) are the subject's own social pages
/// (they link to the entered website) while that website shows the entered value: an address field left behind by
/// a move, a switchboard listed beside the entered direct line — not a discrepancy. A clone site agrees with the
/// request too, but the real company's pages link elsewhere.
pub fn mismatch_only_on_own_pages(verdicts: &[ChannelVerdict], field: Field) -> bool {
    let has = |verdict: &ChannelVerdict, field: Field, outcome: Outcome| {
        verdict
            .fields
            .iter()
            .any(|found| found.field == field && found.outcome == outcome)
    };
    // A move across a border leaves the old country on a page as a move within one leaves the old street: a
    // location naming another country contradicts the address, and is as stale when the site shows the entered one.
    let contradicts = |verdict: &ChannelVerdict| {
        has(verdict, field, Outcome::Mismatch)
            || (field == Field::Address && has(verdict, Field::Country, Outcome::Mismatch))
    };
    let site_agrees = verdicts
        .iter()
        .any(|verdict| verdict.channel == Channel::Website && has(verdict, field, Outcome::Match));
    let contradicting: Vec<&ChannelVerdict> = verdicts.iter().filter(|verdict| contradicts(verdict)).collect();
    site_agrees
        && !contradicting.is_empty()
        && contradicting.iter().all(|verdict| {
            matches!(
                verdict.channel,
                Channel::Facebook | Channel::Twitter | Channel::Linkedin
            ) && has(verdict, Field::Website, Outcome::Match)
        })
}

/// Whether the entered website or e-mail domain imitates a domain the channels show as the company's own
/// (`domain::is_look_alike`): the mark of an impersonator, who copies everything else.
pub fn look_alike_domain_entered(profile: &SubjectProfile, verdicts: &[ChannelVerdict]) -> bool {
    let entered: Vec<&str> = [profile.website_domain.as_deref(), profile.corporate_email_domain()]
        .into_iter()
        .flatten()
        .collect();
    if entered.is_empty() {
        return false;
    }
    mismatched_values(verdicts, &[Field::Website, Field::Email])
        .map(|found| found.rsplit_once('@').map_or(found, |(_, domain)| domain))
        .filter(|found| !found.is_empty())
        .any(|official| entered.iter().any(|entered| domain::is_look_alike(entered, official)))
}

/// Whether a channel publishes the subject's own address on a corporate domain other than the corporate one
/// entered (and the entered one is not the entered website's either): mail in the subject's name from a mailbox
/// that is not theirs is how buyers and suppliers are impersonated.
pub fn own_mail_elsewhere(profile: &SubjectProfile, verdicts: &[ChannelVerdict]) -> bool {
    let Some(entered) = profile.mail_domain_off_website() else {
        return false;
    };
    mismatched_values(verdicts, &[Field::Email])
        .filter_map(|found| found.rsplit_once('@').map(|(_, domain)| domain))
        .any(|domain| !domain::is_free_mail(domain) && !domain::same_site(domain, entered))
}

/// Each value (a URL, domain or address) the channels found where they contradict one of `fields`.
fn mismatched_values<'a>(verdicts: &'a [ChannelVerdict], fields: &'a [Field]) -> impl Iterator<Item = &'a str> {
    verdicts
        .iter()
        .flat_map(|verdict| verdict.fields.iter())
        .filter(|field| fields.contains(&field.field) && field.outcome == Outcome::Mismatch)
        .flat_map(|field| field.found.split([',', ';', ' ']))
        .map(str::trim)
        .filter(|found| !found.is_empty())
}

/// A named contact (or a person's claimed employer) that no channel could tie to the company.
fn contact_unverified(profile: &SubjectProfile, verdicts: &[ChannelVerdict]) -> bool {
    let has_claim = if profile.is_company() {
        profile.contact_name.is_some()
    } else {
        profile.claimed_employer.is_some()
    };
    if !has_claim {
        return false;
    }
    let about_contact = |outcome: Outcome| {
        verdicts.iter().any(|verdict| {
            verdict
                .fields
                .iter()
                .any(|field| matches!(field.field, Field::Contact | Field::Employer) && field.outcome == outcome)
        })
    };
    // LinkedIn is where people and employers are verified; when it could not be searched the contact is
    // unknown rather than unverified (faults alone do not raise risk). Without LinkedIn requested, the
    // website and search stand in.
    let searched = |channel: Channel| {
        verdicts
            .iter()
            .any(|verdict| verdict.channel == channel && verdict.verdict != Verdict::Unavailable)
    };
    let linkedin_requested = verdicts.iter().any(|verdict| verdict.channel == Channel::Linkedin);
    let could_verify = if linkedin_requested {
        searched(Channel::Linkedin)
    } else {
        searched(Channel::Website) || searched(Channel::Search)
    };
    // A person checked whom every channel that answered holds nothing about is unverified whatever failed.
    let person_found_nowhere = !profile.is_company()
        && verdicts.iter().any(|verdict| verdict.verdict == Verdict::NotFound)
        && verdicts
            .iter()
            .all(|verdict| matches!(verdict.verdict, Verdict::NotFound | Verdict::Unavailable));
    about_contact(Outcome::Mismatch) || ((could_verify || person_found_nowhere) && !about_contact(Outcome::Match))
}

fn channel_unavailable(verdicts: &[ChannelVerdict], channel: Channel) -> bool {
    verdicts
        .iter()
        .any(|verdict| verdict.channel == channel && verdict.verdict == Verdict::Unavailable)
}

/// Whether the adverse media found is corroborated: an authority acted, or two or more reports accuse the subject.
/// Reports of financial distress only (unpaid debts) accuse it of nothing: however many agree, they stay a credit
/// caution weighed as one allegation.
pub fn adverse_media_corroborated(verdicts: &[ChannelVerdict]) -> bool {
    let reports: Vec<_> = verdicts
        .iter()
        .flat_map(|verdict| verdict.adverse_media.iter())
        .filter(|report| {
            !report
                .terms
                .iter()
                .all(|term| crate::matching::signals::is_credit_distress(term))
        })
        .collect();
    reports.len() >= 2 || reports.iter().any(|report| report.official)
}

/// What besides the flags shapes the risk level.
#[derive(Debug, Clone, Copy, Default)]
pub struct RiskContext {
    /// Adverse media reports action by an authority, or more than one report makes the accusation.
    pub adverse_media_corroborated: bool,
    /// The subject is a person: many people have no online footprint, so not finding one is a discrepancy
    /// to verify, not the shell-company signal it is for a company.
    pub subject_is_person: bool,
    /// The website or e-mail domain entered imitates the company's own (`look_alike_domain_entered`).
    pub look_alike_domain: bool,
    /// The subject's own mail is published on another organisation's domain than the corporate one entered
    /// (`own_mail_elsewhere`).
    pub own_mail_elsewhere: bool,
    /// The subject claims a trade role and its customs records all predate the recency window: an active trader
    /// with no recent trade needs proof of current operations, whatever else agrees.
    pub trade_dormant: bool,
    /// The subject's own shipments go to or come from a country under comprehensive sanctions, or are routed or
    /// re-exported to a sanctioned destination through a third country (`sanctioned_trade`).
    pub sanctioned_trade: bool,
    /// The subject claims broker-chain commodities its customs do not show (`commodity_offer_unlike_its_trade`).
    pub commodity_offer: bool,
    /// The free-mail address entered is the one the subject's own channels publish
    /// (`free_mail_published_by_subject`).
    pub free_mail_published: bool,
    /// The subject's own page says it has stopped trading.
    pub closure_announced: bool,
}

/// Countries under United Nations sanctions whose trade the US and the EU restrict across the board: a shipment to
/// or from one needs a licence or is prohibited, whoever the counterparty is.
const EMBARGOED_COUNTRIES: &[&str] = &["IR", "KP"];
/// Destinations whose imports of many goods the EU and the US prohibit, and to which goods are diverted through
/// third countries: a shipment consigned elsewhere but routed to one is the evasion pattern.
const DIVERSION_DESTINATIONS: &[&str] = &["RU", "BY", "IR", "KP"];

/// Words of a shipment's description that name where goods really go, beyond the consignee.
static ROUTING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)\b(?:final\s+(?:destination|consignee)|ultimate\s+consignee|end[\s-]user|notify(?:\s+party)?|transit\s+via|re-?export(?:ed)?\s+to)\b")
        .expect("routing pattern compiles")
});

/// HS chapters of the goods the EU, the US, the UK and Japan list as battlefield items banned from export to Russia
/// and Belarus (the Common High Priority List: machinery, electronics, aircraft parts, optics and instruments, arms).
/// Food, medicine or clothing passed on to Russia is trade the bans leave alone; Iran and North Korea are embargoed
/// for all goods. Chapter 87 (tractors, lorries, vehicles and their parts) is on the EU's list of industrial goods
/// banned from export to Russia and Belarus (Regulation 833/2014, Annex XXIII) and the US Commerce Control list for
/// Russia: vehicle parts and tractors are among the goods most re-exported through neighbouring countries.
const HIGH_PRIORITY_CHAPTERS: &[&str] = &["84", "85", "87", "88", "90", "93"];

fn is_high_priority_item(hs_code: &str) -> bool {
    let digits: String = hs_code.chars().filter(char::is_ascii_digit).take(2).collect();
    HIGH_PRIORITY_CHAPTERS.contains(&digits.as_str())
}

/// How long after an import the same goods leaving again for a diversion destination read as passed through: the
/// pattern ships each lot on within weeks, a distributor's stock sells over months.
const RE_EXPORT_DAYS: i64 = 182;

/// The subject's re-exports to a diversion destination, each with the import it passes on: among the subject's own
/// shipments (`shipments`, by finding index), one consigned from its country to Russia, Belarus, Iran or North
/// Korea (not its own country) under the HS heading of goods it received from abroad in the half year before —
/// for Russia and Belarus, goods of the banned chapters (`HIGH_PRIORITY_CHAPTERS`). A
/// company in a third country importing machine tools, electronics or parts and shipping the same lots on to
/// Russia is the transshipment route around the export bans, whatever it says its customers are.
pub fn re_exports_to_diversion(own_country: Option<&str>, shipments: &[(usize, &Record)]) -> Vec<(usize, usize)> {
    let Some(own) = own_country else {
        return Vec::new();
    };
    let is =
        |country: &Option<String>, code: &str| country.as_deref().is_some_and(|found| found.eq_ignore_ascii_case(code));
    let mut found = Vec::new();
    for (export_index, export) in shipments {
        let Record::Shipment {
            date: Some(shipped),
            shipper_country,
            consignee_country,
            hs_code: Some(exported_code),
            ..
        } = export
        else {
            continue;
        };
        let diverted = DIVERSION_DESTINATIONS.iter().any(|destination| {
            !destination.eq_ignore_ascii_case(own)
                && is(consignee_country, destination)
                && (EMBARGOED_COUNTRIES.contains(destination) || is_high_priority_item(exported_code))
        });
        if !diverted || !is(shipper_country, own) {
            continue;
        }
        let import = shipments.iter().find(|(_, import)| {
            matches!(import, Record::Shipment {
                date: Some(received),
                shipper_country,
                consignee_country,
                hs_code: Some(imported_code),
                ..
            } if is(consignee_country, own)
                && !is(shipper_country, own)
                && (0..=RE_EXPORT_DAYS).contains(&(*shipped - *received).num_days())
                && business::same_heading(imported_code, exported_code))
        });
        if let Some((import_index, _)) = import {
            found.push((*export_index, *import_index));
        }
    }
    found
}

/// Whether customs show the subject's own shipments (those the customs judge found to be the subject's) to or from
/// an embargoed country other than its own, consigned to a third country but routed (final destination, final
/// consignee, notify party) to a diversion destination, or imported and passed on to one
/// (`re_exports_to_diversion`).
pub fn sanctioned_trade(profile: &SubjectProfile, verdicts: &[ChannelVerdict]) -> bool {
    let own_country = profile.country.as_deref();
    let own_shipments: Vec<(usize, &Record)> = verdicts
        .iter()
        .filter(|verdict| verdict.channel == Channel::Customs)
        .flat_map(|verdict| verdict.evidence.iter())
        .filter(|evidence| evidence.relevant)
        .map(|evidence| &evidence.finding.record)
        .enumerate()
        .collect();
    if !re_exports_to_diversion(own_country, &own_shipments).is_empty() {
        return true;
    }
    own_shipments.iter().any(|(_, record)| match record {
        Record::Shipment {
            shipper_country,
            consignee_country,
            description,
            ..
        } => {
            let embargoed = [shipper_country, consignee_country]
                .into_iter()
                .flatten()
                .any(|country| {
                    EMBARGOED_COUNTRIES.contains(&country.as_str()) && Some(country.as_str()) != own_country
                });
            let diverted = ROUTING.is_match(description)
                && crate::countries::mentioned_in(description).iter().any(|country| {
                    DIVERSION_DESTINATIONS.contains(country)
                        && Some(*country) != consignee_country.as_deref()
                        && Some(*country) != own_country
                });
            embargoed || diverted
        }
        _ => false,
    })
}

/// Bulk commodities sold through broker chains under ICPO / FCO / SBLC terms (ICUMSA 45 sugar, EN590 diesel, JP54
/// jet fuel …): the stock of advance-fee offers. Claimed by a company whose customs show other goods, they are the
/// fraud, not a line of business.
static BROKER_CHAIN_COMMODITIES: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)\bicumsa\s*45\b|\ben\s*590\b|\bjp\s*54\b|\bjet\s*a-?1\b|\bd2\s+(?:diesel|gas\s*oil)\b|\bmazut\b|\b(?:icpo|sblc|mt\s*760)\b")
        .expect("commodity pattern compiles")
});

/// Whether the subject claims broker-chain commodities and customs contradict its line of business.
pub fn commodity_offer_unlike_its_trade(profile: &SubjectProfile, flags: &BTreeSet<Flag>) -> bool {
    flags.contains(&Flag::TradeProfileMismatch)
        && profile
            .products
            .iter()
            .any(|product| BROKER_CHAIN_COMMODITIES.is_match(product))
}

/// The risk level the rules give a check with these verdicts and flags.
pub fn assess_check(
    profile: &SubjectProfile,
    verdicts: &[ChannelVerdict],
    flags: &BTreeSet<Flag>,
) -> (RiskLevel, Vec<String>) {
    let context = RiskContext {
        adverse_media_corroborated: adverse_media_corroborated(verdicts),
        subject_is_person: !profile.is_company(),
        look_alike_domain: look_alike_domain_entered(profile, verdicts),
        own_mail_elsewhere: own_mail_elsewhere(profile, verdicts),
        sanctioned_trade: sanctioned_trade(profile, verdicts),
        commodity_offer: commodity_offer_unlike_its_trade(profile, flags),
        free_mail_published: free_mail_published_by_subject(profile, verdicts),
        closure_announced: verdicts.iter().any(|verdict| {
            verdict
                .fields
                .iter()
                .any(|field| field.field == Field::OperatingStatus && field.outcome == Outcome::Mismatch)
        }),
        trade_dormant: verdicts.iter().any(|verdict| {
            verdict
                .fields
                .iter()
                .any(|field| field.field == Field::LastShipment && field.outcome == Outcome::Inconclusive)
        }),
    };
    assess(flags, context)
}

/// The risk level and the reasons for it.
pub fn assess(flags: &BTreeSet<Flag>, context: RiskContext) -> (RiskLevel, Vec<String>) {
    let mut severe: Vec<&str> = flags
        .iter()
        .filter(|flag| SEVERE.contains(flag))
        .filter(|flag| !(context.subject_is_person && **flag == Flag::IdentityNotFound))
        .filter(|flag| context.adverse_media_corroborated || **flag != Flag::AdverseMedia)
        .map(|flag| flag.as_str())
        .collect();
    if context.look_alike_domain {
        severe.push("a domain imitating the company's own");
    }
    if context.own_mail_elsewhere {
        severe.push("an e-mail domain other than the one the subject's own mail is published on");
    }
    if context.sanctioned_trade {
        severe.push("shipments to or from a country under comprehensive sanctions, or routed or re-exported to a sanctioned destination through a third country");
    }
    if context.commodity_offer {
        severe
            .push("broker-chain commodities (ICUMSA 45, EN590 …) claimed by a company whose customs show other goods");
    }
    let weight = |flag: Flag| match flag {
        Flag::IdentityNotFound if context.subject_is_person => 1,
        // A domain registered this year and no shipments yet are one fact, a new business, counted once.
        Flag::NoTradeHistory if flags.contains(&Flag::WebsiteRecentlyRegistered) => 0,
        // Free mail is never on the company's domain: the mismatch adds only what a foreign domain adds beyond it.
        Flag::EmailDomainMismatch if flags.contains(&Flag::FreeEmailDomain) => 1,
        Flag::AdverseMedia if !context.adverse_media_corroborated => 2,
        // Free mail the business itself publishes is tied to it by publication: a caution on payments (medium on
        // its own, below), not a discrepancy that adds to others towards high.
        Flag::FreeEmailDomain if context.free_mail_published => 0,
        flag => weight(flag),
    };
    let points: u32 = flags.iter().map(|flag| weight(*flag)).sum();
    let weighted: Vec<String> = flags
        .iter()
        .filter(|flag| weight(**flag) > 0)
        .map(|flag| format!("{} (+{})", flag.as_str(), weight(*flag)))
        .collect();
    if !severe.is_empty() {
        let mut reasons = vec![format!("high: {} alone make(s) a check high risk", severe.join(", "))];
        if !weighted.is_empty() {
            reasons.push(format!("also: {}", weighted.join(", ")));
        }
        return (RiskLevel::High, reasons);
    }
    if points >= HIGH_RISK_POINTS {
        return (
            RiskLevel::High,
            vec![format!(
                "high: {points} risk points ≥ {HIGH_RISK_POINTS} from {}",
                weighted.join(", ")
            )],
        );
    }
    if points > 0 {
        return (RiskLevel::Medium, vec![format!("medium: {}", weighted.join(", "))]);
    }
    if flags.contains(&Flag::FreeEmailDomain) {
        return (
            RiskLevel::Medium,
            vec!["medium: free_email_domain, the subject's own published webmail address; confirm bank details by call-back before payment".into()],
        );
    }
    if context.closure_announced {
        return (
            RiskLevel::Medium,
            vec!["medium: the subject's own page says it has stopped trading; confirm it still operates (registry status, owner) before dealing".into()],
        );
    }
    if context.trade_dormant {
        return (
            RiskLevel::Medium,
            vec!["medium: no shipment in the last two years; confirm current trade before dealing".into()],
        );
    }
    (
        RiskLevel::Low,
        vec!["low: no risk flag raised; unavailable channels do not raise risk".into()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::FieldComparison;

    fn set(flags: &[Flag]) -> BTreeSet<Flag> {
        flags.iter().copied().collect()
    }

    #[test]
    fn no_flags_is_low_risk() {
        assert_eq!(assess(&set(&[]), RiskContext::default()).0, RiskLevel::Low);
    }

    #[test]
    fn one_identity_discrepancy_is_medium() {
        assert_eq!(
            assess(&set(&[Flag::AddressMismatch]), RiskContext::default()).0,
            RiskLevel::Medium
        );
        assert_eq!(
            assess(&set(&[Flag::ContactNotVerified]), RiskContext::default()).0,
            RiskLevel::Medium
        );
    }

    #[test]
    fn free_mail_with_a_foreign_phone_is_the_impersonation_pattern() {
        let flags = set(&[Flag::FreeEmailDomain, Flag::EmailDomainMismatch, Flag::PhoneMismatch]);
        assert_eq!(assess(&flags, RiskContext::default()).0, RiskLevel::High);
        let free_mail_alone = set(&[Flag::FreeEmailDomain, Flag::EmailDomainMismatch]);
        assert_eq!(assess(&free_mail_alone, RiskContext::default()).0, RiskLevel::Medium);
    }

    #[test]
    fn free_mail_the_business_publishes_is_a_caution_that_does_not_add_towards_high() {
        let published = RiskContext {
            free_mail_published: true,
            ..RiskContext::default()
        };
        assert_eq!(assess(&set(&[Flag::FreeEmailDomain]), published).0, RiskLevel::Medium);
        let with_site_of_another = set(&[Flag::FreeEmailDomain, Flag::WebsiteContentMismatch]);
        assert_eq!(assess(&with_site_of_another, published).0, RiskLevel::Medium);
        // Free mail nobody ties to the business still counts beside another discrepancy.
        assert_eq!(assess(&with_site_of_another, RiskContext::default()).0, RiskLevel::High);
    }

    fn email_verdict(channel: Channel, outcome: Outcome, found: &str) -> ChannelVerdict {
        let mut verdict = ChannelVerdict::without_evidence(channel, Verdict::Consistent, "");
        verdict.fields.push(FieldComparison {
            field: Field::Email,
            entered: "acme.knits@gmail.com".into(),
            found: found.into(),
            outcome,
            evidence: Vec::new(),
            note: String::new(),
        });
        verdict
    }

    #[test]
    fn free_mail_is_published_by_the_subject_only_when_a_channel_shows_it_and_none_contradicts_it() {
        let request = crate::request::CheckRequest::from_value(&serde_json::json!({
            "subject": {"kind": "company", "name": "Acme Knits Ltd", "email": "acme.knits@gmail.com"}
        }))
        .expect("a valid request");
        let profile = SubjectProfile::new(&request.subject);
        let shown = email_verdict(Channel::Facebook, Outcome::Match, "acme.knits@gmail.com");
        let other = email_verdict(Channel::Website, Outcome::Mismatch, "sales@acmeknits.example");
        assert!(free_mail_published_by_subject(&profile, std::slice::from_ref(&shown)));
        assert!(!free_mail_published_by_subject(&profile, &[shown, other]));
        assert!(!free_mail_published_by_subject(&profile, &[]));
    }

    #[test]
    fn a_trade_profile_mismatch_alone_is_medium_and_with_another_discrepancy_high() {
        assert_eq!(
            assess(&set(&[Flag::TradeProfileMismatch]), RiskContext::default()).0,
            RiskLevel::Medium
        );
        let flags = set(&[Flag::TradeProfileMismatch, Flag::AddressMismatch]);
        assert_eq!(assess(&flags, RiskContext::default()).0, RiskLevel::High);
    }

    fn person_verdicts(linkedin: Verdict) -> (SubjectProfile, Vec<ChannelVerdict>) {
        let request = crate::request::CheckRequest::from_value(&serde_json::json!({
            "subject": {
                "kind": "person",
                "name": "Olena Kovalenko",
                "country": "UA",
                "email": "o.kovalenko@grain.example",
                "contact": {"name": "Olena Kovalenko", "title": "Head of Export Sales at Grain Company LLC"}
            },
            "channels": ["search", "linkedin", "facebook"]
        }))
        .expect("a valid request");
        let verdict = |channel: Channel, verdict: Verdict| ChannelVerdict::without_evidence(channel, verdict, "");
        let verdicts = vec![
            verdict(Channel::Search, Verdict::NotFound),
            verdict(Channel::Linkedin, linkedin),
            verdict(Channel::Facebook, Verdict::NotFound),
        ];
        (SubjectProfile::new(&request.subject), verdicts)
    }

    /// A channel's verdict holding only these fields' outcomes.
    fn with_fields(channel: Channel, fields: &[(Field, Outcome)]) -> ChannelVerdict {
        ChannelVerdict {
            channel,
            fields: fields
                .iter()
                .map(|(field, outcome)| crate::verdict::FieldComparison {
                    field: *field,
                    entered: String::new(),
                    found: String::new(),
                    outcome: *outcome,
                    evidence: Vec::new(),
                    note: String::new(),
                })
                .collect(),
            ..person_verdicts(Verdict::Consistent).1.remove(0)
        }
    }

    #[test]
    fn an_own_pages_old_address_is_stale_when_the_site_shows_the_entered_one_but_a_strangers_is_not() {
        let site = with_fields(Channel::Website, &[(Field::Address, Outcome::Match)]);
        let own_page = with_fields(
            Channel::Facebook,
            &[(Field::Address, Outcome::Mismatch), (Field::Website, Outcome::Match)],
        );
        let strangers_page = with_fields(
            Channel::Facebook,
            &[(Field::Address, Outcome::Mismatch), (Field::Website, Outcome::Mismatch)],
        );
        assert!(mismatch_only_on_own_pages(
            &[site.clone(), own_page.clone()],
            Field::Address
        ));
        assert!(!mismatch_only_on_own_pages(
            &[site.clone(), strangers_page],
            Field::Address
        ));
        assert!(!mismatch_only_on_own_pages(&[own_page], Field::Address));
    }

    #[test]
    fn an_own_pages_old_country_is_stale_when_the_site_shows_the_entered_address_but_not_beside_other_sources() {
        let site = with_fields(Channel::Website, &[(Field::Address, Outcome::Match)]);
        let own_page_abroad = with_fields(
            Channel::Linkedin,
            &[(Field::Country, Outcome::Mismatch), (Field::Website, Outcome::Match)],
        );
        let strangers_page_abroad = with_fields(
            Channel::Linkedin,
            &[(Field::Country, Outcome::Mismatch), (Field::Website, Outcome::Mismatch)],
        );
        let shipper_abroad = with_fields(Channel::Customs, &[(Field::Country, Outcome::Mismatch)]);
        assert!(mismatch_only_on_own_pages(
            &[site.clone(), own_page_abroad.clone()],
            Field::Address
        ));
        // Not for a page that does not link to the site, nor when the records of trade place it abroad too.
        assert!(!mismatch_only_on_own_pages(
            &[site.clone(), strangers_page_abroad],
            Field::Address
        ));
        assert!(!mismatch_only_on_own_pages(
            &[site.clone(), own_page_abroad.clone(), shipper_abroad],
            Field::Address
        ));
        // A country says nothing about the phone.
        let site_lists_phone = with_fields(Channel::Website, &[(Field::Phone, Outcome::Match)]);
        assert!(!mismatch_only_on_own_pages(
            &[site_lists_phone, own_page_abroad],
            Field::Phone
        ));
    }

    #[test]
    fn an_own_page_listing_another_number_is_no_discrepancy_when_the_site_lists_the_entered_one() {
        let site_lists_it = with_fields(Channel::Website, &[(Field::Phone, Outcome::Match)]);
        let site_lists_another = with_fields(Channel::Website, &[(Field::Phone, Outcome::Mismatch)]);
        let own_page = with_fields(
            Channel::Facebook,
            &[(Field::Phone, Outcome::Mismatch), (Field::Website, Outcome::Match)],
        );
        let directory = with_fields(Channel::Search, &[(Field::Phone, Outcome::Mismatch)]);
        assert!(mismatch_only_on_own_pages(
            &[site_lists_it.clone(), own_page.clone()],
            Field::Phone
        ));
        // Not when the site itself lists another number, nor when a third party contradicts it too.
        assert!(!mismatch_only_on_own_pages(
            &[site_lists_another, own_page.clone()],
            Field::Phone
        ));
        assert!(!mismatch_only_on_own_pages(
            &[site_lists_it, own_page, directory],
            Field::Phone
        ));
    }

    #[test]
    fn sanctioned_trade_or_a_commodity_offer_is_high_alone() {
        for context in [
            RiskContext {
                sanctioned_trade: true,
                ..RiskContext::default()
            },
            RiskContext {
                commodity_offer: true,
                ..RiskContext::default()
            },
        ] {
            assert_eq!(assess(&BTreeSet::new(), context).0, RiskLevel::High);
        }
    }

    #[test]
    fn goods_routed_to_russia_through_a_third_country_are_found_in_the_description() {
        assert!(ROUTING.is_match("BALL BEARINGS 6200 SERIES, FINAL DESTINATION RUSSIAN FEDERATION"));
        assert!(crate::countries::mentioned_in("FINAL DESTINATION RUSSIAN FEDERATION").contains(&"RU"));
        assert!(!ROUTING.is_match("CANNED PINEAPPLE SLICES"));
        assert!(BROKER_CHAIN_COMMODITIES.is_match("ICUMSA 45 refined white cane sugar"));
        assert!(BROKER_CHAIN_COMMODITIES.is_match("EN590 10 ppm ULSD diesel"));
        assert!(!BROKER_CHAIN_COMMODITIES.is_match("refined white sugar, 50 kg bags"));
    }

    fn shipment(date: &str, from: &str, to: &str, hs_code: &str) -> Record {
        Record::Shipment {
            date: date.parse().ok(),
            shipper: format!("SHIPPER IN {from}"),
            shipper_country: Some(from.into()),
            consignee: format!("CONSIGNEE IN {to}"),
            consignee_country: Some(to.into()),
            hs_code: Some(hs_code.into()),
            description: "GOODS".into(),
            weight_kg: None,
        }
    }

    #[test]
    fn imports_passed_on_to_russia_belarus_iran_or_north_korea_within_months_are_re_exports() {
        // An Armenian trader receives Taiwanese microcontrollers and ships the same heading to Belarus weeks later.
        let received = shipment("2026-02-10", "TW", "AM", "8542.31");
        let passed_on = shipment("2026-03-05", "AM", "BY", "854239");
        let own = [(0, &received), (1, &passed_on)];
        assert_eq!(re_exports_to_diversion(Some("AM"), &own), vec![(1, 0)]);
        // The same goods to a country the export bans do not cover, other goods, a year later, or before the
        // import: no re-export.
        for exported in [
            shipment("2026-03-05", "AM", "GE", "854239"),
            shipment("2026-03-05", "AM", "BY", "090111"),
            shipment("2027-03-05", "AM", "BY", "854239"),
            shipment("2026-01-05", "AM", "BY", "854239"),
        ] {
            assert!(re_exports_to_diversion(Some("AM"), &[(0, &received), (1, &exported)]).is_empty());
        }
        // Dried fruit passed on to Russia is trade the export bans leave alone; to Iran, any goods are embargoed.
        let fruit_in = shipment("2026-02-10", "UZ", "AM", "0813.10");
        let fruit_to_russia = shipment("2026-03-05", "AM", "RU", "081310");
        assert!(re_exports_to_diversion(Some("AM"), &[(0, &fruit_in), (1, &fruit_to_russia)]).is_empty());
        let fruit_to_iran = shipment("2026-03-05", "AM", "IR", "081310");
        assert_eq!(
            re_exports_to_diversion(Some("AM"), &[(0, &fruit_in), (1, &fruit_to_iran)]),
            vec![(1, 0)]
        );
        // Goods bought at home are its own trade, not an import passed on.
        let bought_at_home = shipment("2026-02-10", "AM", "AM", "854231");
        assert!(re_exports_to_diversion(Some("AM"), &[(0, &bought_at_home), (1, &passed_on)]).is_empty());
        assert!(re_exports_to_diversion(None, &own).is_empty());
    }

    #[test]
    fn a_person_found_nowhere_is_unverified_and_lacks_a_footprint_only_once_linkedin_was_searched() {
        let (profile, verdicts) = person_verdicts(Verdict::Unavailable);
        let flags = cross_channel_flags(&profile, &verdicts);
        assert!(flags.contains(&Flag::ContactNotVerified), "{flags:?}");
        assert!(!flags.contains(&Flag::IdentityNotFound), "{flags:?}");
        let (profile, verdicts) = person_verdicts(Verdict::NotFound);
        let flags = cross_channel_flags(&profile, &verdicts);
        assert!(flags.contains(&Flag::ContactNotVerified), "{flags:?}");
        assert!(flags.contains(&Flag::IdentityNotFound), "{flags:?}");
    }

    #[test]
    fn a_new_domain_and_no_trade_yet_count_once_but_beside_another_discrepancy_are_high() {
        let new_business = set(&[Flag::WebsiteRecentlyRegistered, Flag::NoTradeHistory]);
        assert_eq!(assess(&new_business, RiskContext::default()).0, RiskLevel::Medium);
        let with_phone = set(&[
            Flag::WebsiteRecentlyRegistered,
            Flag::NoTradeHistory,
            Flag::PhoneMismatch,
        ]);
        assert_eq!(assess(&with_phone, RiskContext::default()).0, RiskLevel::High);
    }

    #[test]
    fn a_person_without_footprint_is_medium_a_company_without_one_is_high() {
        let flags = set(&[Flag::IdentityNotFound, Flag::ContactNotVerified]);
        let person = RiskContext {
            subject_is_person: true,
            ..RiskContext::default()
        };
        assert_eq!(assess(&flags, person).0, RiskLevel::Medium);
        assert_eq!(assess(&flags, RiskContext::default()).0, RiskLevel::High);
    }

    #[test]
    fn a_lone_allegation_is_medium_official_action_is_high() {
        let flags = set(&[Flag::AdverseMedia]);
        assert_eq!(assess(&flags, RiskContext::default()).0, RiskLevel::Medium);
        let corroborated = RiskContext {
            adverse_media_corroborated: true,
            ..RiskContext::default()
        };
        assert_eq!(assess(&flags, corroborated).0, RiskLevel::High);
    }

    #[test]
    fn a_domain_imitating_the_companys_own_is_high_whatever_else_agrees() {
        let impersonated = RiskContext {
            look_alike_domain: true,
            ..RiskContext::default()
        };
        let (level, reasons) = assess(&set(&[Flag::EmailDomainMismatch]), impersonated);
        assert_eq!(level, RiskLevel::High);
        assert!(reasons[0].contains("imitating"), "{reasons:?}");
    }

    #[test]
    fn a_company_saying_it_has_closed_is_medium_and_without_that_word_low() {
        let closed = RiskContext {
            closure_announced: true,
            ..RiskContext::default()
        };
        assert_eq!(assess(&set(&[]), closed).0, RiskLevel::Medium);
        assert_eq!(assess(&set(&[]), RiskContext::default()).0, RiskLevel::Low);
    }

    #[test]
    fn dormant_trade_alone_is_medium_and_adds_nothing_to_other_flags() {
        let dormant = RiskContext {
            trade_dormant: true,
            ..RiskContext::default()
        };
        assert_eq!(assess(&set(&[]), dormant).0, RiskLevel::Medium);
        let flags = set(&[Flag::WebsiteUnreachable, Flag::ContactNotVerified]);
        assert_eq!(assess(&flags, dormant).0, RiskLevel::Medium);
    }

    #[test]
    fn reports_of_unpaid_debts_alone_are_not_corroborated_accusations() {
        let report = |evidence: &str, terms: &[&str]| crate::verdict::AdverseReport {
            evidence: evidence.into(),
            terms: terms.iter().map(|term| term.to_string()).collect(),
            official: false,
        };
        let mut search = ChannelVerdict::without_evidence(Channel::Search, Verdict::Consistent, "");
        search.adverse_media = vec![
            report("search-2", &["payment arrears"]),
            report("search-3", &["payment arrears"]),
        ];
        assert!(!adverse_media_corroborated(std::slice::from_ref(&search)));
        let context = RiskContext {
            adverse_media_corroborated: adverse_media_corroborated(std::slice::from_ref(&search)),
            ..RiskContext::default()
        };
        assert_eq!(assess(&set(&[Flag::AdverseMedia]), context).0, RiskLevel::Medium);
        // Two reports that accuse the subject of wrongdoing still corroborate each other.
        search.adverse_media = vec![
            report("search-2", &["payment arrears", "fraud"]),
            report("search-3", &["fraud"]),
        ];
        assert!(adverse_media_corroborated(&[search]));
    }

    #[test]
    fn deception_alone_is_high() {
        let corroborated = RiskContext {
            adverse_media_corroborated: true,
            ..RiskContext::default()
        };
        for flag in SEVERE {
            assert_eq!(assess(&set(&[*flag]), corroborated).0, RiskLevel::High, "{flag}");
        }
    }
}

//! Customs records: shipments where the subject is a party, its trade role, and the goods against the claimed line.

use chrono::NaiveDate;

use crate::evidence::{Evidence, Record};
use crate::flags::Flag;
use crate::matching::business;
use crate::profile::SubjectProfile;
use crate::request::TradeRole;
use crate::verdict::{Field, Outcome};

use super::Judgement;

/// A trader whose latest filed shipment is older than this has no current trade to show: customs data lags by
/// weeks to months and seasonal goods ship once a year, but two years without a shipment is a dormant business.
const STALE_TRADE_DAYS: i64 = 2 * 365;

/// One shipment with the side the subject stands on.
struct Party<'a> {
    index: usize,
    role: TradeRole,
    hs_code: Option<&'a str>,
    description: &'a str,
    /// Where the goods came from: the shipper's country.
    origin: Option<&'a str>,
    /// Where the goods went: the consignee's country.
    destination: Option<&'a str>,
    date: Option<NaiveDate>,
}

pub(super) fn judge(profile: &SubjectProfile, evidence: &Evidence, today: NaiveDate) -> Judgement {
    let mut judgement = Judgement::default();
    let aliases = trading_names(profile, evidence);
    let mut parties = Vec::new();
    for (index, finding) in evidence.findings.iter().enumerate() {
        let Record::Shipment {
            date,
            shipper,
            shipper_country,
            consignee,
            consignee_country,
            hs_code,
            description,
            ..
        } = &finding.record
        else {
            continue;
        };
        let role = if is_subject_party(profile, &aliases, shipper, shipper_country.as_deref()) {
            TradeRole::Exporter
        } else if is_subject_party(profile, &aliases, consignee, consignee_country.as_deref()) {
            TradeRole::Importer
        } else {
            continue;
        };
        judgement.mark_relevant(index);
        parties.push(Party {
            index,
            role,
            hs_code: hs_code.as_deref(),
            description,
            origin: shipper_country.as_deref(),
            destination: consignee_country.as_deref(),
            date: *date,
        });
    }
    if parties.is_empty() {
        if profile.trade_role.is_some() {
            judgement.flag(Flag::NoTradeHistory);
        }
        judgement.not_found_reason = Some("no shipments name the subject as shipper or consignee".into());
        return judgement;
    }
    let own_shipments: Vec<(usize, &Record)> = parties
        .iter()
        .map(|party| (party.index, &evidence.findings[party.index].record))
        .collect();
    let re_exports = crate::risk::re_exports_to_diversion(profile.country.as_deref(), &own_shipments);
    compare_role(&mut judgement, profile, &parties, &re_exports);
    compare_commercial_trade(&mut judgement, profile, &parties);
    compare_goods(&mut judgement, profile, &parties);
    compare_origin(&mut judgement, profile, &parties);
    judge_recency(&mut judgement, profile, &parties, today);
    judgement
}

/// Records that are the subject's but all predate `STALE_TRADE_DAYS` show a trade that has stopped: the channel
/// stays consistent (there is a history, and it agrees), and the risk step reads the stale date as dormancy.
fn judge_recency(judgement: &mut Judgement, profile: &SubjectProfile, parties: &[Party<'_>], today: NaiveDate) {
    let Some(role) = profile.trade_role else {
        return;
    };
    let Some(latest) = parties
        .iter()
        .filter_map(|party| party.date.map(|date| (date, party.index)))
        .max()
    else {
        return;
    };
    let (date, index) = latest;
    let age_days = (today - date).num_days();
    let stale = age_days > STALE_TRADE_DAYS;
    if stale {
        judgement.note(format!(
            "the latest shipment is from {date}, {:.1} years before the check: no recent trade",
            age_days as f64 / 365.25
        ));
    }
    judgement.compare(
        Field::LastShipment,
        &format!("active {}", role_name(role)),
        &format!("latest shipment {date} ({age_days} days ago)"),
        if stale { Outcome::Inconclusive } else { Outcome::Match },
        &[index],
        format!("no shipment in {STALE_TRADE_DAYS} days reads as dormant trade"),
    );
}

/// The countries the products give as their origin: named after "made in", "from", "product of" or before
/// "origin", or leading the product's name ("Vietnam cashew kernels"). A country's name inside a product's name
/// is not an origin ("Thai Hom Mali rice" is not from Mali).
fn claimed_origins(products: &[String]) -> Vec<&'static str> {
    static ORIGIN_PHRASE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)\b(?:made|manufactured|produced|grown|sourced|assembled|packed|harvested)\s+in\s+([^;,()]+)|\b(?:from|product\s+of|origin:?)\s+([^;,()]+)|([^;,()]+?)[\s-]+origin\b",
        )
        .expect("origin pattern compiles")
    });
    let mut origin_text = Vec::new();
    for product in products {
        origin_text.push(product.split_whitespace().take(2).collect::<Vec<_>>().join(" "));
        for captures in ORIGIN_PHRASE.captures_iter(product) {
            if let Some(place) = captures.iter().skip(1).flatten().next() {
                origin_text.push(place.as_str().to_string());
            }
        }
    }
    crate::countries::mentioned_in(&origin_text.join("; "))
}

/// Countries the claimed products name ("acacia furniture made in Vietnam") against where the goods shipped from.
fn compare_origin(judgement: &mut Judgement, profile: &SubjectProfile, parties: &[Party<'_>]) {
    let claimed = claimed_origins(&profile.products);
    let shipped_from: Vec<&str> = parties.iter().filter_map(|party| party.origin).collect();
    if claimed.is_empty() || shipped_from.is_empty() {
        return;
    }
    let all: Vec<usize> = parties.iter().map(|party| party.index).collect();
    let agreeing: Vec<usize> = parties
        .iter()
        .filter(|party| {
            party
                .origin
                .is_some_and(|origin| claimed.iter().any(|code| code.eq_ignore_ascii_case(origin)))
        })
        .map(|party| party.index)
        .collect();
    let mut origins: Vec<&str> = shipped_from.clone();
    origins.sort_unstable();
    origins.dedup();
    let (outcome, evidence, note) = if agreeing.is_empty() {
        (
            Outcome::Mismatch,
            all,
            "no shipment comes from the origin the products claim",
        )
    } else {
        (Outcome::Match, agreeing, "shipments come from the claimed origin")
    };
    judgement.compare(
        Field::Country,
        &format!("goods from {}", claimed.join(", ")),
        &format!("shipped from {}", origins.join(", ")),
        outcome,
        &evidence,
        note,
    );
}

/// Separators of a filed name that pairs an owner with a trading name ("GRACE MWANGI T/A KIONDO CRAFTS").
const TRADING_AS: &[&str] = &[" t/a ", " trading as ", " d/b/a ", " dba ", " o/a ", " operating as "];

/// The parts of a filed party name: the whole, and each side of a "trading as".
fn name_parts(party: &str) -> Vec<String> {
    let lower = format!(" {} ", party.to_lowercase());
    let mut parts = vec![party.trim().to_string()];
    for separator in TRADING_AS {
        if let Some((owner, trading)) = lower.split_once(separator) {
            parts.push(owner.trim().to_string());
            parts.push(trading.trim().to_string());
        }
    }
    parts
}

/// Trading names the subject files under, learned from records that pair its name with one ("X T/A Y").
fn trading_names(profile: &SubjectProfile, evidence: &Evidence) -> Vec<String> {
    let mut aliases = Vec::new();
    for finding in &evidence.findings {
        if let Record::Shipment { shipper, consignee, .. } = &finding.record {
            for party in [shipper, consignee] {
                let parts = name_parts(party);
                if parts.len() == 3 && names_subject(profile, &parts[1]) && !aliases.contains(&parts[2]) {
                    aliases.push(parts[2].clone());
                }
            }
        }
    }
    aliases
}

/// Whether a filed name is the subject's: a company's name, or a person's name in either order.
fn names_subject(profile: &SubjectProfile, name: &str) -> bool {
    if profile.is_company() {
        profile.is_subject_name(name)
    } else {
        crate::matching::names::person_names_match(name, &profile.name)
    }
}

/// The subject is a party when its name (or a trading name it files under) matches and the record's country,
/// if any, is the subject's.
fn is_subject_party(profile: &SubjectProfile, aliases: &[String], party: &str, party_country: Option<&str>) -> bool {
    let same_country = match (party_country, profile.country.as_deref()) {
        (Some(found), Some(entered)) => found.eq_ignore_ascii_case(entered),
        _ => true,
    };
    same_country
        && name_parts(party).iter().any(|part| {
            names_subject(profile, part)
                || aliases
                    .iter()
                    .any(|alias| crate::profile::company_names_compatible(alias, part, &profile.places))
        })
}

/// The claimed role against the sides the subject stands on. An importer that passes its imports on to a diversion
/// destination (`risk::re_exports_to_diversion`) is not the importer it claims, buying for its own market: it is a
/// transit point, and its customs contradict the claim however many imports they show.
fn compare_role(
    judgement: &mut Judgement,
    profile: &SubjectProfile,
    parties: &[Party<'_>],
    re_exports: &[(usize, usize)],
) {
    let Some(claimed) = profile.trade_role else {
        return;
    };
    if let Some(destinations) = re_export_destinations(parties, re_exports) {
        let evidence: Vec<usize> = re_exports
            .iter()
            .flat_map(|(export, import)| [*import, *export])
            .collect();
        let found = format!("re-exports its imports to {destinations}");
        if claimed == TradeRole::Importer {
            judgement.compare(
                Field::TradeRole,
                role_name(claimed),
                &found,
                Outcome::Mismatch,
                &evidence,
                "goods imported under a heading leave again for a sanctioned destination within months",
            );
            return;
        }
        judgement.note(format!("the subject {found}"));
    }
    let in_role: Vec<usize> = parties
        .iter()
        .filter(|party| party.role == claimed)
        .map(|party| party.index)
        .collect();
    let all: Vec<usize> = parties.iter().map(|party| party.index).collect();
    if in_role.is_empty() {
        let other = match claimed {
            TradeRole::Exporter => TradeRole::Importer,
            TradeRole::Importer => TradeRole::Exporter,
        };
        judgement.compare(
            Field::TradeRole,
            role_name(claimed),
            role_name(other),
            Outcome::Mismatch,
            &all,
            "every shipment shows the subject on the other side",
        );
    } else {
        judgement.compare(
            Field::TradeRole,
            role_name(claimed),
            role_name(claimed),
            Outcome::Match,
            &in_role,
            format!("{} of {} shipments", in_role.len(), all.len()),
        );
    }
}

/// Whether a filed description declares the lot samples: a courier parcel "of no commercial value", not goods sold.
fn is_sample_lot(description: &str) -> bool {
    static SAMPLES: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"\bsamples?\b|\bno\s+commercial\s+value\b|\bn\.?c\.?v\.?$|\bmuestras?\b|\bamostras?\b|\bechantillons?\b|\bmuster\b|\bcampion[ei]\b|\bnumune\w*|\buzor(?:ak|ci|ke|aka)\b|\bprobk[aiy]\b|样品|サンプル|견본",
        )
        .expect("sample pattern compiles")
    });
    SAMPLES.is_match(&crate::matching::text::fold(description))
}

/// A claimed trader whose every filed shipment is a sample lot has shown buyers what it sells but never sold it:
/// samples are how a supplier that trades wins its first order, and how one that does not (an advance-payment
/// fraud, a factory that exists on its website) looks like a shipper. The claimed trade is not on the record.
fn compare_commercial_trade(judgement: &mut Judgement, profile: &SubjectProfile, parties: &[Party<'_>]) {
    let Some(claimed) = profile.trade_role else {
        return;
    };
    if !parties.iter().all(|party| is_sample_lot(party.description)) {
        return;
    }
    let all: Vec<usize> = parties.iter().map(|party| party.index).collect();
    judgement.compare(
        Field::TradeRole,
        role_name(claimed),
        &format!("sample parcels only ({} lots)", parties.len()),
        Outcome::Mismatch,
        &all,
        "every shipment is declared samples: no commercial trade on record",
    );
}

/// The countries the re-exports go to, by name ("Russia, Belarus"), when there are any.
fn re_export_destinations(parties: &[Party<'_>], re_exports: &[(usize, usize)]) -> Option<String> {
    let mut destinations: Vec<&str> = re_exports
        .iter()
        .filter_map(|(export, _)| parties.iter().find(|party| party.index == *export))
        .filter_map(|party| party.destination)
        .map(|code| crate::countries::name_of(&code.to_ascii_uppercase()).unwrap_or(code))
        .collect();
    destinations.sort_unstable();
    destinations.dedup();
    (!re_exports.is_empty()).then(|| destinations.join(", "))
}

fn role_name(role: TradeRole) -> &'static str {
    match role {
        TradeRole::Exporter => "exporter (shipper)",
        TradeRole::Importer => "importer (consignee)",
    }
}

fn compare_goods(judgement: &mut Judgement, profile: &SubjectProfile, parties: &[Party<'_>]) {
    if profile.hs_codes.is_empty() && profile.products.is_empty() {
        return;
    }
    let claimed = claimed_goods(profile);
    let matching: Vec<usize> = parties
        .iter()
        .filter(|party| {
            party
                .hs_code
                .is_some_and(|code| business::hs_matches(&profile.hs_codes, code))
                || !business::products_mentioned(&profile.products, party.description).is_empty()
        })
        .map(|party| party.index)
        .collect();
    let same_line: Vec<usize> = parties
        .iter()
        .filter(|party| {
            party
                .hs_code
                .is_some_and(|code| business::same_manufacturing_line(&profile.hs_codes, code))
        })
        .map(|party| party.index)
        .collect();
    let shipped: Vec<String> = parties
        .iter()
        .map(|party| format!("{} {}", party.hs_code.unwrap_or("?"), party.description))
        .collect();
    let claimed_line = |party: &&Party<'_>| matching.contains(&party.index) || same_line.contains(&party.index);
    if let Some(latest_other) = switched_to_other_goods(parties, claimed_line) {
        let found: Vec<String> = latest_other
            .iter()
            .filter_map(|index| parties.iter().find(|party| party.index == *index))
            .map(|party| format!("{} {}", party.hs_code.unwrap_or("?"), party.description))
            .collect();
        judgement.compare(
            Field::LineOfBusiness,
            &claimed,
            &found.join("; "),
            Outcome::Mismatch,
            &latest_other,
            "the latest shipments are other goods: the claimed trade stopped and another took its place",
        );
        return;
    }
    if !matching.is_empty() {
        let note = format!(
            "{} of {} shipments under the claimed goods",
            matching.len(),
            parties.len()
        );
        judgement.compare(
            Field::LineOfBusiness,
            &claimed,
            &shipped.join("; "),
            Outcome::Match,
            &matching,
            note,
        );
    } else if !same_line.is_empty() {
        let note = format!(
            "{} of {} shipments in the claimed HS chapter, one line of manufacture",
            same_line.len(),
            parties.len()
        );
        judgement.compare(
            Field::LineOfBusiness,
            &claimed,
            &shipped.join("; "),
            Outcome::Match,
            &same_line,
            note,
        );
    } else {
        let all: Vec<usize> = parties.iter().map(|party| party.index).collect();
        let note = "no shipment falls under the claimed HS chapters or products";
        judgement.compare(
            Field::LineOfBusiness,
            &claimed,
            &shipped.join("; "),
            Outcome::Mismatch,
            &all,
            note,
        );
    }
}

/// Shipments of other goods the subject's latest trade consists of, when it switched: its latest three shipments
/// (at least) fall outside the claimed goods, and the claimed goods last shipped over half a year before the
/// latest shipment. A trade that changed (deli foods to e-scooters) is not the trade claimed.
fn switched_to_other_goods(parties: &[Party<'_>], claimed_line: impl Fn(&&Party<'_>) -> bool) -> Option<Vec<usize>> {
    const LATEST: usize = 3;
    const SWITCH_DAYS: i64 = 182;
    let mut dated: Vec<&Party<'_>> = parties.iter().filter(|party| party.date.is_some()).collect();
    dated.sort_by_key(|party| std::cmp::Reverse(party.date));
    let latest_date = dated.first()?.date?;
    let last_claimed = dated.iter().find(|party| claimed_line(party))?.date?;
    let since_switch: Vec<usize> = dated
        .iter()
        .take_while(|party| !claimed_line(party))
        .map(|party| party.index)
        .collect();
    (since_switch.len() >= LATEST && (latest_date - last_claimed).num_days() > SWITCH_DAYS).then_some(since_switch)
}

fn claimed_goods(profile: &SubjectProfile) -> String {
    let codes: Vec<&str> = profile.hs_codes.iter().map(|code| code.as_str()).collect();
    match (codes.is_empty(), profile.products.is_empty()) {
        (false, false) => format!("{} (HS {})", profile.products.join(", "), codes.join(", ")),
        (false, true) => format!("HS {}", codes.join(", ")),
        _ => profile.products.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::channel::Channel;
    use crate::evidence::Finding;
    use crate::request::Subject;

    fn exporter() -> SubjectProfile {
        let subject: Subject = serde_json::from_value(serde_json::json!({
            "kind": "company", "name": "Ceylon Spice Gardens (Pvt) Ltd", "country": "LK",
            "trade": {"role": "exporter", "products": ["cinnamon quills"], "hs_codes": ["090611"]}
        }))
        .expect("a subject");
        SubjectProfile::new(&subject)
    }

    fn shipments(dates: &[&str]) -> Evidence {
        let findings = dates
            .iter()
            .enumerate()
            .map(|(index, date)| Finding {
                provider: "sayari".into(),
                source: format!("shipment-{index}"),
                fetched_at: Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap(),
                record: Record::Shipment {
                    date: date.parse().ok(),
                    shipper: "CEYLON SPICE GARDENS PVT LTD".into(),
                    shipper_country: Some("LK".into()),
                    consignee: "SPICE ROUTE IMPORTERS INC".into(),
                    consignee_country: Some("US".into()),
                    hs_code: Some("090611".into()),
                    description: "CEYLON CINNAMON QUILLS".into(),
                    weight_kg: None,
                },
            })
            .collect();
        Evidence {
            findings,
            ..Evidence::empty(Channel::Customs)
        }
    }

    fn outcomes(judgement: &Judgement, field: Field) -> Vec<Outcome> {
        judgement.outcomes_of(field)
    }

    #[test]
    fn a_trade_that_switched_to_other_goods_contradicts_the_claim_but_one_other_lot_does_not() {
        let today = "2026-11-26".parse().unwrap();
        let mut switched = shipments(&["2025-03-01", "2025-09-01", "2026-05-01", "2026-07-01", "2026-10-01"]);
        for finding in &mut switched.findings[2..] {
            if let Record::Shipment {
                hs_code, description, ..
            } = &mut finding.record
            {
                *hs_code = Some("871160".into());
                *description = "ELECTRIC SCOOTERS".into();
            }
        }
        assert_eq!(
            outcomes(&judge(&exporter(), &switched, today), Field::LineOfBusiness),
            vec![Outcome::Mismatch]
        );
        switched.findings.truncate(4);
        assert_eq!(
            outcomes(&judge(&exporter(), &switched, today), Field::LineOfBusiness),
            vec![Outcome::Match]
        );
    }

    #[test]
    fn an_importer_passing_its_imports_on_to_a_sanctioned_destination_is_not_the_importer_it_claims() {
        let subject = |role: &str| -> SubjectProfile {
            let subject: Subject = serde_json::from_value(serde_json::json!({
                "kind": "company", "name": "Kavkaz Tekhnika LLC", "country": "GE",
                "trade": {"role": role, "products": ["CNC lathes"], "hs_codes": ["845811"]}
            }))
            .expect("a subject");
            SubjectProfile::new(&subject)
        };
        let mut evidence = shipments_between(
            &["2026-05-04", "2026-05-30", "2026-08-02"],
            &[
                ("OKUMA EUROPE GMBH", "DE", "KAVKAZ TEKHNIKA LLC", "GE"),
                ("KAVKAZ TEKHNIKA LLC", "GE", "OOO STANKOSNAB", "RU"),
                ("KAVKAZ TEKHNIKA LLC", "GE", "ARMMASH CJSC", "AM"),
            ],
            "845811",
            "CNC LATHE",
        );
        let today = "2026-11-26".parse().unwrap();
        assert_eq!(
            outcomes(&judge(&subject("importer"), &evidence, today), Field::TradeRole),
            vec![Outcome::Mismatch]
        );
        // An exporter's role stands (the risk step reads the re-export); without the Russian lot, so does an
        // importer's that also sells on to a neighbour.
        assert_eq!(
            outcomes(&judge(&subject("exporter"), &evidence, today), Field::TradeRole),
            vec![Outcome::Match]
        );
        evidence.findings.remove(1);
        assert_eq!(
            outcomes(&judge(&subject("importer"), &evidence, today), Field::TradeRole),
            vec![Outcome::Match]
        );
    }

    #[test]
    fn a_dealer_passing_imported_tractors_on_to_russia_is_not_the_importer_it_claims_but_food_is_not_banned() {
        let subject = |products: &str, code: &str| -> SubjectProfile {
            let subject: Subject = serde_json::from_value(serde_json::json!({
                "kind": "company", "name": "Savo Maskin Oy", "country": "FI",
                "trade": {"role": "importer", "products": [products], "hs_codes": [code]}
            }))
            .expect("a subject");
            SubjectProfile::new(&subject)
        };
        let rows = |code: &str, goods: &str| {
            shipments_between(
                &["2026-02-10", "2026-04-01"],
                &[
                    ("AGRARTECHNIK NORD GMBH", "DE", "SAVO MASKIN OY", "FI"),
                    ("SAVO MASKIN OY", "FI", "OOO SEVERAGRO", "RU"),
                ],
                code,
                goods,
            )
        };
        let today = "2026-11-26".parse().unwrap();
        assert_eq!(
            outcomes(
                &judge(
                    &subject("tractors", "8701"),
                    &rows("870193", "AGRICULTURAL TRACTORS"),
                    today
                ),
                Field::TradeRole
            ),
            vec![Outcome::Mismatch],
            "tractors (chapter 87) are banned from export to Russia"
        );
        assert_eq!(
            outcomes(
                &judge(
                    &subject("canned fish", "1604"),
                    &rows("160413", "CANNED SARDINES"),
                    today
                ),
                Field::TradeRole
            ),
            vec![Outcome::Match],
            "food passed on to Russia is not a banned re-export"
        );
    }

    /// Shipments on `dates` between the parties of each row (shipper, its country, consignee, its country), all
    /// of `hs_code` and `description`.
    fn shipments_between(dates: &[&str], parties: &[(&str, &str, &str, &str)], hs: &str, goods: &str) -> Evidence {
        let mut evidence = shipments(dates);
        for (finding, (from, from_country, to, to_country)) in evidence.findings.iter_mut().zip(parties) {
            if let Record::Shipment {
                shipper,
                shipper_country,
                consignee,
                consignee_country,
                hs_code,
                description,
                ..
            } = &mut finding.record
            {
                (*shipper, *consignee) = ((*from).into(), (*to).into());
                (*shipper_country, *consignee_country) = (Some((*from_country).into()), Some((*to_country).into()));
                *hs_code = Some(hs.into());
                *description = goods.into();
            }
        }
        evidence
    }

    fn last_shipment(judgement: &Judgement) -> Option<Outcome> {
        judgement
            .fields
            .iter()
            .find(|field| field.field == Field::LastShipment)
            .map(|field| field.outcome)
    }

    #[test]
    fn a_trader_whose_only_shipments_are_samples_shows_no_commercial_trade() {
        let today = "2026-11-26".parse().unwrap();
        let mut evidence = shipments(&["2026-02-01", "2026-06-01"]);
        for (finding, text) in evidence
            .findings
            .iter_mut()
            .zip(["DHL EXPRESS - SAMPLES CINNAMON", "MUESTRAS SIN VALOR COMERCIAL"])
        {
            if let Record::Shipment { description, .. } = &mut finding.record {
                *description = text.into();
            }
        }
        let judgement = judge(&exporter(), &evidence, today);
        assert!(outcomes(&judgement, Field::TradeRole).contains(&Outcome::Mismatch));
        // One commercial lot beside the samples is trade.
        let mut mixed = shipments(&["2026-08-01"]);
        mixed.findings.extend(evidence.findings);
        assert_eq!(
            outcomes(&judge(&exporter(), &mixed, today), Field::TradeRole),
            vec![Outcome::Match]
        );
    }

    #[test]
    fn origins_are_read_where_products_state_them_not_inside_their_names() {
        let products = |list: &[&str]| list.iter().map(|product| product.to_string()).collect::<Vec<_>>();
        assert_eq!(
            claimed_origins(&products(&["acacia wood outdoor furniture made in Vietnam"])),
            vec!["VN"]
        );
        assert_eq!(claimed_origins(&products(&["Vietnam cashew kernels W320"])), vec!["VN"]);
        assert_eq!(claimed_origins(&products(&["green coffee, Brazil origin"])), vec!["BR"]);
        assert!(claimed_origins(&products(&["Thai Hom Mali jasmine rice", "parboiled rice"])).is_empty());
        assert!(claimed_origins(&products(&["germanium infrared windows"])).is_empty());
    }

    #[test]
    fn a_history_that_stopped_years_ago_is_the_subjects_but_not_recent_trade() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let stale = judge(&exporter(), &shipments(&["2019-12-04", "2021-05-11"]), today);
        assert_eq!(last_shipment(&stale), Some(Outcome::Inconclusive));
        assert!(stale.fields.iter().all(|field| field.outcome != Outcome::Mismatch));
        assert!(
            !stale.flags.contains(&Flag::NoTradeHistory),
            "there is a history, only an old one"
        );
        let recent = judge(&exporter(), &shipments(&["2019-12-04", "2026-03-02"]), today);
        assert_eq!(last_shipment(&recent), Some(Outcome::Match));
        let undated = judge(&exporter(), &shipments(&[""]), today);
        assert_eq!(last_shipment(&undated), None);
    }
}

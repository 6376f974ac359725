//! Phone numbers compared as E.164.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

use super::text::captures_at_word_starts;

/// Where an extension starts ("ext. 12", "x12", "loc. 205", "poste 3", "分机 12"); it is not part of the E.164 number.
static EXTENSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s*(?:ext\.?|extension|x|#|loc\.?|local|poste|доб\.?|dahili|分机|內線|内线|ต่อ)\s*\d{1,6}\s*$")
        .expect("extension pattern compiles")
});

/// A number after a label (Tel, Phone, Mobile, Fax, T:, 电话, 전화, โทร ...). Its word boundaries are ASCII ones, read
/// through [`captures_at_word_starts`]; one after a label word is followed by a space, a colon or a digit in any match.
static LABELLED_PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:(?-u:\b)(?:tel|tele|telephone|telefon|telefono|teléfono|téléphone|telp|phone|ph|mobile|mob|cell|cellphone|handphone|hp|fax|hotline|whatsapp|wa|call|contact|tlf|puhelin)(?-u:\b)\.?|(?-u:\b)[tmfp]\s*:|(?-u:\b)[tmf]\.|电话|電話|手机|手機|传真|傳真|联系电话|聯絡電話|전화|휴대폰|팩스|โทรศัพท์|โทร\.?|มือถือ|แฟกซ์)\s*(?:(?:no|number|nr)\.?\s*)?[:：.\-]?\s*(?P<number>(?:\+|00)?[ \t]?\(?\d[\d \t().\-/]{5,22}\d)",
    )
    .expect("labelled phone pattern compiles")
});

/// A number written in international form (+CC ...).
static INTERNATIONAL_PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<number>\+[ \t]?\d{1,3}[ \t.\-]?\(?\d[\d \t().\-/]{4,20}\d)")
        .expect("international phone pattern compiles")
});

fn country_id(code: &str) -> Option<phonenumber::country::Id> {
    let upper = code.trim().to_uppercase();
    let upper = if upper == "UK" { "GB".to_string() } else { upper };
    phonenumber::country::Id::from_str(&upper).ok()
}

/// The NFKC form of the text, copied as is when it is already normalized (ASCII, most text).
fn nfkc(text: &str) -> String {
    if text.is_ascii() || unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes
    {
        text.to_string()
    } else {
        text.nfkc().collect()
    }
}

/// Reduces a human-written number to `+digits` or `digits`, dropping an extension and the "(0)" that
/// British-style international numbers carry for national dialling.
fn clean_number(raw: &str) -> String {
    let normalized = nfkc(raw);
    let without_extension = EXTENSION.replace(&normalized, "");
    let mut text = without_extension.trim().to_string();
    if text.starts_with('+') {
        text = text.replacen("(0)", "", 1);
    }
    let international = text.starts_with('+');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if international {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix("00").filter(|rest| !rest.starts_with('0')) {
        format!("+{rest}")
    } else {
        digits
    }
}

/// E.164 built from digits alone, for numbers the metadata rejects (fictional or new ranges).
fn digits_fallback(cleaned: &str, country: Option<phonenumber::country::Id>) -> Option<String> {
    let e164 = if let Some(international) = cleaned.strip_prefix('+') {
        format!("+{international}")
    } else {
        let metadata = phonenumber::metadata::DATABASE.by_id(country?.as_ref())?;
        let trunk_prefix = metadata.national_prefix().unwrap_or_default();
        let national = if trunk_prefix.is_empty() {
            cleaned
        } else {
            cleaned.strip_prefix(trunk_prefix).unwrap_or(cleaned)
        };
        format!("+{}{}", metadata.country_code(), national)
    };
    let digit_count = e164.len() - 1;
    (8..=15).contains(&digit_count).then_some(e164)
}

/// Numbers already read, by (number as written, default country).
type E164Cache = std::collections::HashMap<(String, Option<String>), Option<String>>;

/// The E.164 form (`+8657187654321`) of a number in any human format, read with the subject's country as default region.
///
/// Numbers are not required to be assigned or valid by the metadata (fictional 555 numbers still normalize).
pub fn to_e164(raw: &str, default_country: Option<&str>) -> Option<String> {
    // Parsing with the metadata is costly and the same numbers (the subject's own) are read many times per
    // check, so results are remembered per thread; the cache is bounded by clearing it when full.
    const CACHE_LIMIT: usize = 4096;
    thread_local! {
        static CACHE: std::cell::RefCell<E164Cache> = std::cell::RefCell::new(E164Cache::new());
    }
    let key = (raw.to_string(), default_country.map(str::to_string));
    if let Some(hit) = CACHE.with(|cache| cache.borrow().get(&key).cloned()) {
        return hit;
    }
    let result = parse_e164(raw, default_country);
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, result.clone());
    });
    result
}

/// How many compiled patterns the phone metadata keeps. The crate keeps 100 in an LRU shared by every thread; the
/// numbers of twenty countries already use more than that (about seven patterns a country), so a service reading
/// numbers from everywhere would keep evicting patterns and compiling them again.
const METADATA_REGEX_CACHE: usize = 8_192;

static METADATA_REGEX_CACHE_WIDENED: LazyLock<()> = LazyLock::new(|| {
    let cache = phonenumber::metadata::DATABASE.cache();
    let mut cache = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    cache.set_capacity(METADATA_REGEX_CACHE);
});

fn parse_e164(raw: &str, default_country: Option<&str>) -> Option<String> {
    LazyLock::force(&METADATA_REGEX_CACHE_WIDENED);
    let cleaned = clean_number(raw);
    let digit_count = cleaned.trim_start_matches('+').len();
    if !(6..=17).contains(&digit_count) {
        return None;
    }
    let country = default_country.and_then(country_id);
    let parsed = phonenumber::parse(country, &cleaned)
        .ok()
        .map(|number| number.format().mode(phonenumber::Mode::E164).to_string())
        .filter(|e164| (8..=16).contains(&e164.len()));
    parsed.or_else(|| digits_fallback(&cleaned, country))
}

/// Phone numbers found in free text (after "Tel", "Phone", "电话", or in international form), as written.
pub fn phones_in(text: &str) -> Vec<String> {
    let text = nfkc(text);
    let mut found: Vec<(usize, usize, String)> = Vec::new();
    for pattern in [&*LABELLED_PHONE, &*INTERNATIONAL_PHONE] {
        for captures in captures_at_word_starts(pattern, &text) {
            let Some(number) = captures.name("number") else {
                continue;
            };
            let written = number.as_str().trim().trim_end_matches(['(', '-', '.', '/']).trim();
            let digit_count = written.chars().filter(char::is_ascii_digit).count();
            let overlaps = found
                .iter()
                .any(|(start, end, _)| number.start() < *end && *start < number.end());
            if (7..=15).contains(&digit_count) && !overlaps {
                found.push((number.start(), number.end(), written.to_string()));
            }
        }
    }
    found.sort_by_key(|(start, _, _)| *start);
    let mut seen = HashSet::new();
    found
        .into_iter()
        .map(|(_, _, written)| written)
        .filter(|written| seen.insert(clean_number(written)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_formats_normalize_to_e164() {
        let cases = [
            ("(503) 555-0142", Some("US"), "+15035550142"),
            ("503.555.0142", Some("US"), "+15035550142"),
            ("+1 503 555 0142", None, "+15035550142"),
            ("1-503-555-0142", Some("US"), "+15035550142"),
            ("+86-571-87654321", Some("CN"), "+8657187654321"),
            ("0571-87654321", Some("CN"), "+8657187654321"),
            ("0086 571 8765 4321", None, "+8657187654321"),
            ("020-27124455", Some("IN"), "+912027124455"),
            ("074-291-555", Some("TH"), "+6674291555"),
            ("+44 (0)117 496 0831", Some("GB"), "+441174960831"),
            ("0117 496 0831", Some("UK"), "+441174960831"),
            ("06 1234 5678", Some("IT"), "+390612345678"),
            ("030 1234567", Some("DE"), "+49301234567"),
            ("010-1234-5678", Some("KR"), "+821012345678"),
            ("+49 30 1234567 ext. 12", None, "+49301234567"),
            ("０３０ １２３４５６７", Some("DE"), "+49301234567"),
        ];
        for (raw, country, expected) in cases {
            assert_eq!(to_e164(raw, country).as_deref(), Some(expected), "{raw} {country:?}");
        }
    }

    #[test]
    fn the_metadata_keeps_every_pattern_a_few_countries_use() {
        // parse_e164 directly: to_e164's own per-thread memo would skip the metadata for numbers other tests read.
        for (raw, country) in [
            ("(503) 555-0142", "US"),
            ("0571-87654321", "CN"),
            ("030 1234567", "DE"),
            ("0117 496 0831", "GB"),
            ("03-1234-5678", "JP"),
            ("020-27124455", "IN"),
            ("11 91234-5678", "BR"),
            ("01 23 45 67 89", "FR"),
            ("06 1234 5678", "IT"),
            ("912 345 678", "ES"),
            ("010-1234-5678", "KR"),
            ("074-291-555", "TH"),
            ("02 9876 5432", "AU"),
            ("55 1234 5678", "MX"),
            ("8 495 123-45-67", "RU"),
            ("020 123 4567", "NL"),
            ("0212 345 67 89", "TR"),
            ("22 123 45 67", "PL"),
            ("021 5678 1234", "ID"),
            ("028 3823 4567", "VN"),
        ] {
            assert!(parse_e164(raw, Some(country)).is_some(), "{raw} {country}");
        }
        let cache = phonenumber::metadata::DATABASE.cache();
        let cache = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        assert_eq!(cache.capacity(), METADATA_REGEX_CACHE);
        // Twenty plans need more patterns than the crate's default of 100; none of them was evicted.
        assert!(cache.len() > 100, "{} patterns cached", cache.len());
    }

    #[test]
    fn numbers_outside_assigned_ranges_still_normalize_by_digits() {
        assert_eq!(to_e164("0999 000 0000", Some("GB")).as_deref(), Some("+449990000000"));
        assert_eq!(to_e164("+999 1234 5678", None).as_deref(), Some("+99912345678"));
    }

    #[test]
    fn too_short_or_countryless_national_numbers_are_rejected() {
        assert_eq!(to_e164("12", Some("US")), None);
        assert_eq!(to_e164("call us", Some("US")), None);
        assert_eq!(to_e164("0571-87654321", None), None);
    }

    #[test]
    fn phones_are_found_after_labels_and_in_international_form() {
        let text = "Tel: +86-571-87654321 Fax: 0571-87654322\n电话：0571-8765 4323\nCall +44 (0)117 496 0831 today. \
                    전화 02-123-4567, โทร. 074-291-555. Founded 2005, 120 staff.";
        assert_eq!(
            phones_in(text),
            [
                "+86-571-87654321",
                "0571-87654322",
                "0571-8765 4323",
                "+44 (0)117 496 0831",
                "02-123-4567",
                "074-291-555"
            ]
        );
    }

    #[test]
    fn a_label_must_start_a_word_in_any_script() {
        // "tel" and "fax" end words here ("Hôtel", "Ñfax"): no label, so no phone; real labels beside them still count.
        assert!(phones_in("Hôtel 0123 456 789 and Ñfax 0571 8765 4321").is_empty());
        assert_eq!(phones_in("Café Tel: 01 23 45 67 89"), ["01 23 45 67 89"]);
        assert_eq!(phones_in("公司联系电话：0571-87654321"), ["0571-87654321"]);
        assert_eq!(phones_in("Офис tel. 8 495 123-45-67"), ["8 495 123-45-67"]);
    }

    #[test]
    fn years_prices_and_postal_codes_are_not_phones() {
        assert!(phones_in("Since 1998 we shipped 20000 units; Pune 411026; price 1,250.00").is_empty());
    }
}

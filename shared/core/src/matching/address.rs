//! Postal addresses: token similarity with abbreviation folding, postal codes and house numbers, coarse locations.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::text::{fold, has_cjk, is_latin, tokens, tokens_similar};
use crate::countries::spellings_of;
use crate::verdict::Outcome;

/// Compares an entered address with one found; `note` says what decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressComparison {
    pub outcome: Outcome,
    pub note: String,
}

impl AddressComparison {
    fn new(outcome: Outcome, note: impl Into<String>) -> Self {
        Self {
            outcome,
            note: note.into(),
        }
    }
}

/// Abbreviations and synonyms folded to one spelling before comparing (both directions: "Rd" and "Road" → "road").
const ADDRESS_WORD_CANONICAL: &[(&str, &str)] = &[
    ("rd", "road"),
    ("st", "street"),
    ("str", "strasse"),
    ("ave", "avenue"),
    ("av", "avenue"),
    ("avda", "avenue"),
    ("avenida", "avenue"),
    ("blvd", "boulevard"),
    ("bd", "boulevard"),
    ("boul", "boulevard"),
    ("ste", "suite"),
    ("fl", "floor"),
    ("flr", "floor"),
    ("bldg", "building"),
    ("bld", "building"),
    ("bdg", "building"),
    ("dist", "district"),
    ("distt", "district"),
    ("jln", "jalan"),
    ("jl", "jalan"),
    ("hwy", "highway"),
    ("ln", "lane"),
    ("dr", "drive"),
    ("ct", "court"),
    ("pl", "place"),
    ("sq", "square"),
    ("ind", "industrial"),
    ("indl", "industrial"),
    ("est", "estate"),
    ("mt", "mount"),
    ("n", "north"),
    ("s", "south"),
    ("e", "east"),
    ("w", "west"),
    ("ne", "northeast"),
    ("nw", "northwest"),
    ("se", "southeast"),
    ("sw", "southwest"),
    ("apt", "apartment"),
    ("apts", "apartment"),
    ("rm", "room"),
    ("blk", "block"),
    ("pkwy", "parkway"),
    ("ter", "terrace"),
    ("terr", "terrace"),
    ("cres", "crescent"),
    ("cir", "circle"),
    ("expy", "expressway"),
    ("fwy", "freeway"),
    ("lvl", "level"),
    ("tmn", "taman"),
    ("lrg", "lorong"),
    ("kg", "kampung"),
    ("bt", "bukit"),
    ("sg", "sungai"),
    ("mg", "marg"),
    ("cd", "caddesi"),
    ("cad", "caddesi"),
    ("sk", "sokak"),
    ("sok", "sokak"),
    ("mah", "mahalle"),
    ("ul", "ulitsa"),
    ("twp", "township"),
    ("hts", "heights"),
    ("ctr", "center"),
    ("centre", "center"),
    ("cntr", "center"),
    ("mkt", "market"),
    ("stn", "station"),
    ("pk", "park"),
    ("gdns", "gardens"),
    ("ft", "fort"),
    ("thanon", "road"),
    ("tanon", "road"),
    ("lu", "road"),
    ("jie", "street"),
    ("dadao", "avenue"),
    ("qu", "district"),
    ("shi", "city"),
    ("sheng", "province"),
    ("xian", "county"),
    ("zhen", "town"),
    ("cun", "village"),
    ("gu", "district"),
    ("sec", "sector"),
    ("ph", "phase"),
    ("straße", "strasse"),
    ("plz", "platz"),
    ("pza", "piazza"),
    ("bairro", "district"),
];

/// Words that say which kind of street, unit or area something is, not which one; they never count as evidence.
const GENERIC_ADDRESS_WORDS: &[&str] = &[
    // street types
    "street",
    "road",
    "avenue",
    "boulevard",
    "lane",
    "drive",
    "court",
    "place",
    "square",
    "highway",
    "way",
    "parkway",
    "terrace",
    "crescent",
    "close",
    "circle",
    "alley",
    "row",
    "expressway",
    "freeway",
    "jalan",
    "lorong",
    "persiaran",
    "lebuh",
    "lebuhraya",
    "strasse",
    "gasse",
    "weg",
    "platz",
    "allee",
    "rue",
    "chemin",
    "via",
    "viale",
    "piazza",
    "corso",
    "calle",
    "rua",
    "travessa",
    "straat",
    "laan",
    "plein",
    "gade",
    "vej",
    "gatan",
    "vagen",
    "katu",
    "ulitsa",
    "prospekt",
    "soi",
    "marg",
    "ro",
    "gil",
    "daero",
    "beon",
    "cadde",
    "caddesi",
    "sokak",
    "sokagi",
    "bulvar",
    "bulvari",
    "mahalle",
    "mahallesi",
    "moo",
    "chome",
    "banchi",
    // units and buildings
    "suite",
    "unit",
    "floor",
    "building",
    "room",
    "flat",
    "apartment",
    "block",
    "tower",
    "level",
    "lot",
    "plot",
    "office",
    "house",
    "box",
    "po",
    "gate",
    "wing",
    "shop",
    "premises",
    "warehouse",
    "door",
    "hall",
    "plaza",
    "center",
    "complex",
    // areas
    "district",
    "city",
    "province",
    "county",
    "state",
    "region",
    "prefecture",
    "industrial",
    "estate",
    "park",
    "zone",
    "area",
    "development",
    "economic",
    "village",
    "town",
    "township",
    "subdistrict",
    "sub",
    "new",
    "hi",
    "high",
    "tech",
    "technology",
    "science",
    "free",
    "trade",
    "port",
    "si",
    "dong",
    "eup",
    "myeon",
    "jiedao",
    "kecamatan",
    "kabupaten",
    "kota",
    "desa",
    "kelurahan",
    "taman",
    "bandar",
    "kampung",
    "mukim",
    "khet",
    "khwaeng",
    "tambon",
    "amphoe",
    "changwat",
    "mueang",
    "nagar",
    "taluka",
    "tehsil",
    "mandal",
    "colony",
    "sector",
    "phase",
    "ward",
    "borough",
    "metropolitan",
    "municipality",
    "special",
    "administrative",
    "autonomous",
    "metro",
    "greater",
    // directions and little words
    "north",
    "south",
    "east",
    "west",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
    "central",
    "upper",
    "lower",
    "the",
    "of",
    "and",
    "de",
    "la",
    "del",
    "di",
    "da",
    "le",
    "les",
    "des",
    "van",
    "der",
    "am",
    "an",
    "im",
    "at",
    "on",
    "in",
    "near",
    "opp",
    "opposite",
    "behind",
    "beside",
    "next",
    "to",
    "c",
    "o",
];

/// Words that make an address street-level (a street, building or unit) rather than only a place.
const STREET_LEVEL_WORDS: &[&str] = &[
    "street",
    "road",
    "avenue",
    "boulevard",
    "lane",
    "drive",
    "court",
    "place",
    "square",
    "highway",
    "way",
    "parkway",
    "terrace",
    "crescent",
    "close",
    "alley",
    "expressway",
    "jalan",
    "lorong",
    "persiaran",
    "lebuh",
    "strasse",
    "gasse",
    "weg",
    "platz",
    "allee",
    "rue",
    "chemin",
    "via",
    "viale",
    "piazza",
    "corso",
    "calle",
    "rua",
    "travessa",
    "straat",
    "laan",
    "plein",
    "gade",
    "vej",
    "gatan",
    "vagen",
    "katu",
    "ulitsa",
    "prospekt",
    "soi",
    "marg",
    "ro",
    "gil",
    "daero",
    "caddesi",
    "sokak",
    "bulvar",
    "moo",
    "chome",
    "suite",
    "unit",
    "floor",
    "building",
    "room",
    "flat",
    "apartment",
    "block",
    "tower",
    "level",
    "lot",
    "plot",
    "office",
    "box",
    "shop",
    "warehouse",
];

/// Number markers that carry no information ("No. 5", "Nr. 12", "#3").
const NUMBER_MARKERS: &[&str] = &["no", "nr", "nos", "num", "number", "hao"];

/// State, province and territory abbreviations spelled out where addresses use both forms.
const REGION_ABBREVIATIONS: &[(&str, &str, &str)] = &[
    ("US", "al", "alabama"),
    ("US", "ak", "alaska"),
    ("US", "az", "arizona"),
    ("US", "ar", "arkansas"),
    ("US", "ca", "california"),
    ("US", "co", "colorado"),
    ("US", "ct", "connecticut"),
    ("US", "de", "delaware"),
    ("US", "dc", "district of columbia"),
    ("US", "fl", "florida"),
    ("US", "ga", "georgia"),
    ("US", "hi", "hawaii"),
    ("US", "id", "idaho"),
    ("US", "il", "illinois"),
    ("US", "in", "indiana"),
    ("US", "ia", "iowa"),
    ("US", "ks", "kansas"),
    ("US", "ky", "kentucky"),
    ("US", "la", "louisiana"),
    ("US", "me", "maine"),
    ("US", "md", "maryland"),
    ("US", "ma", "massachusetts"),
    ("US", "mi", "michigan"),
    ("US", "mn", "minnesota"),
    ("US", "ms", "mississippi"),
    ("US", "mo", "missouri"),
    ("US", "mt", "montana"),
    ("US", "ne", "nebraska"),
    ("US", "nv", "nevada"),
    ("US", "nh", "new hampshire"),
    ("US", "nj", "new jersey"),
    ("US", "nm", "new mexico"),
    ("US", "ny", "new york"),
    ("US", "nc", "north carolina"),
    ("US", "nd", "north dakota"),
    ("US", "oh", "ohio"),
    ("US", "ok", "oklahoma"),
    ("US", "or", "oregon"),
    ("US", "pa", "pennsylvania"),
    ("US", "ri", "rhode island"),
    ("US", "sc", "south carolina"),
    ("US", "sd", "south dakota"),
    ("US", "tn", "tennessee"),
    ("US", "tx", "texas"),
    ("US", "ut", "utah"),
    ("US", "vt", "vermont"),
    ("US", "va", "virginia"),
    ("US", "wa", "washington"),
    ("US", "wv", "west virginia"),
    ("US", "wi", "wisconsin"),
    ("US", "wy", "wyoming"),
    ("US", "pr", "puerto rico"),
    ("CA", "ab", "alberta"),
    ("CA", "bc", "british columbia"),
    ("CA", "mb", "manitoba"),
    ("CA", "nb", "new brunswick"),
    ("CA", "nl", "newfoundland and labrador"),
    ("CA", "ns", "nova scotia"),
    ("CA", "on", "ontario"),
    ("CA", "pe", "prince edward island"),
    ("CA", "qc", "quebec"),
    ("CA", "sk", "saskatchewan"),
    ("AU", "nsw", "new south wales"),
    ("AU", "vic", "victoria"),
    ("AU", "qld", "queensland"),
    ("AU", "wa", "western australia"),
    ("AU", "sa", "south australia"),
    ("AU", "tas", "tasmania"),
    ("AU", "act", "australian capital territory"),
    ("AU", "nt", "northern territory"),
];

static GENERIC_SET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| GENERIC_ADDRESS_WORDS.iter().copied().collect());
static STREET_LEVEL_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| STREET_LEVEL_WORDS.iter().copied().collect());

/// Postal-code shapes by country; the first group is the code. Unknown countries try the distinctive shapes
/// (UK, Canada, Japan) and then 5- or 6-digit numbers.
fn postal_code_pattern(country: Option<&str>) -> &'static Regex {
    static UK: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}"));
    static CANADA: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"[A-Z]\d[A-Z]\s?\d[A-Z]\d"));
    static NETHERLANDS: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"\d{4}\s?[A-Z]{2}"));
    static JAPAN: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"\d{3}-\d{4}"));
    static US: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"\d{5}(?:-\d{4})?"));
    static INDIA: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"\d{3}\s?\d{3}"));
    static BRAZIL: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"\d{5}-?\d{3}"));
    static POLAND: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"\d{2}-\d{3}"));
    static PORTUGAL: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"\d{4}-\d{3}"));
    static THREE_TWO: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"\d{3}\s?\d{2}"));
    static FOUR_DIGITS: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"\d{4}"));
    static FIVE_DIGITS: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"\d{5}"));
    static SIX_DIGITS: LazyLock<Regex> = LazyLock::new(|| postal_regex(r"\d{6}"));
    static ANY: LazyLock<Regex> = LazyLock::new(|| {
        postal_regex(r"[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d|\d{3}-\d{4}|\d{5}(?:-\d{4})?|\d{6}")
    });
    match country.map(str::to_uppercase).as_deref() {
        Some("GB" | "UK" | "IM" | "JE" | "GG") => &UK,
        Some("CA") => &CANADA,
        Some("NL") => &NETHERLANDS,
        Some("JP") => &JAPAN,
        Some("US" | "PR") => &US,
        Some("IN") => &INDIA,
        Some("BR") => &BRAZIL,
        Some("PL") => &POLAND,
        Some("PT") => &PORTUGAL,
        Some("SE" | "CZ" | "SK" | "GR") => &THREE_TWO,
        Some(
            "AU" | "NZ" | "AT" | "CH" | "BE" | "DK" | "NO" | "HU" | "ZA" | "PH" | "BG" | "LU" | "CY" | "SI" | "TN"
            | "AR" | "BD" | "GE" | "AM" | "MK" | "LI" | "GL",
        ) => &FOUR_DIGITS,
        Some("CN" | "SG" | "RU" | "KZ" | "BY" | "VN" | "RO" | "CO" | "EC" | "TJ" | "TM" | "KG" | "NG") => &SIX_DIGITS,
        Some(_) => &FIVE_DIGITS,
        None => &ANY,
    }
}

fn postal_regex(shape: &str) -> Regex {
    Regex::new(&format!(
        r"(?i)(?:^|[^\p{{L}}\p{{N}}\-/])({shape})(?:$|[^\p{{L}}\p{{N}}\-/])"
    ))
    .expect("postal pattern compiles")
}

/// An address broken into what the comparison needs.
#[derive(Debug, Default)]
struct AddressParts {
    postal_codes: Vec<String>,
    /// Digit runs of house, unit and floor numbers ("88/9" → 88 and 9; "2beon" → 2).
    numbers: HashSet<String>,
    /// Folded, canonical words in reading order, without countries, postal codes and numbers.
    words: Vec<String>,
    /// Letters of scripts written without spaces, for character-level comparison.
    letters: String,
    street_level: bool,
}

impl AddressParts {
    fn parse(address: &str, country: Option<&str>) -> Self {
        let folded = fold(address);
        let (postal_codes, without_postal) = take_postal_codes(&folded, country);
        let mut all_tokens: Vec<String> = tokens(&without_postal);
        remove_countries(&mut all_tokens, country);
        let mut numbers = HashSet::new();
        let mut words = Vec::new();
        for token in &all_tokens {
            if token.chars().any(|c| c.is_ascii_digit()) {
                numbers.extend(digit_runs(token));
                // Keep the letters of digit-letter tokens ("2beon" → "beon", "ra08" → "ra") as words.
                let letters: String = token.chars().filter(|c| !c.is_ascii_digit()).collect();
                if letters.chars().count() >= 2 {
                    words.push(canonical_address_word(&letters, country));
                }
                continue;
            }
            if NUMBER_MARKERS.contains(&token.as_str()) {
                continue;
            }
            words.extend(canonical_address_word(token, country).split(' ').map(str::to_string));
        }
        let words: Vec<String> = words.into_iter().filter(|word| !word.is_empty()).collect();
        let letters: String = all_tokens
            .iter()
            .filter(|token| !token.chars().all(|c| c.is_ascii_digit()))
            .flat_map(|token| token.chars().filter(|c| !c.is_ascii_digit()))
            .collect();
        let street_level = !numbers.is_empty() || words.iter().any(|word| STREET_LEVEL_SET.contains(word.as_str()));
        Self {
            postal_codes,
            numbers,
            words,
            letters,
            street_level,
        }
    }

    fn distinctive_words(&self) -> impl Iterator<Item = (usize, &String)> {
        self.words
            .iter()
            .enumerate()
            .filter(|(_, word)| !GENERIC_SET.contains(word.as_str()))
    }
}

fn digit_runs(token: &str) -> Vec<String> {
    token
        .split(|c: char| !c.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .map(|run| run.trim_start_matches('0').to_string())
        .map(|run| if run.is_empty() { "0".to_string() } else { run })
        .collect()
}

fn canonical_address_word(token: &str, country: Option<&str>) -> String {
    if let Some((_, long)) = ADDRESS_WORD_CANONICAL.iter().find(|(short, _)| *short == token) {
        return (*long).to_string();
    }
    let region_country = country.map(str::to_uppercase);
    if let Some((_, _, name)) = REGION_ABBREVIATIONS
        .iter()
        .find(|(code, short, _)| *short == token && region_country.as_deref() == Some(*code))
    {
        return (*name).to_string();
    }
    // German compounds abbreviate the street word: "Hauptstr." is "Hauptstraße".
    if token.len() > 4 && token.ends_with("str") && token.is_ascii() {
        return format!("{token}asse");
    }
    token.to_string()
}

/// Finds postal codes (normalized: upper case, no spaces) and blanks them out of the text. A number followed
/// closely by a street word is a house number ("12345 Main St"), not a postal code.
fn take_postal_codes(folded: &str, country: Option<&str>) -> (Vec<String>, String) {
    let pattern = postal_code_pattern(country);
    let mut codes = Vec::new();
    let mut remaining = folded.to_string();
    let mut search_from = 0;
    while let Some(captures) = pattern.captures_at(folded, search_from) {
        let Some(code) = captures.get(1) else {
            break;
        };
        search_from = code.end();
        let following: Vec<String> = tokens(folded[code.end()..].split([',', ';', '\n']).next().unwrap_or_default())
            .into_iter()
            .take(3)
            .map(|token| canonical_address_word(&token, None))
            .collect();
        let is_house_number = following.iter().any(|word| STREET_LEVEL_SET.contains(word.as_str()));
        if is_house_number {
            continue;
        }
        let normalized: String = code
            .as_str()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_uppercase();
        let is_us = matches!(country.map(str::to_uppercase).as_deref(), Some("US" | "PR"));
        codes.push(if is_us {
            normalized.chars().take(5).collect()
        } else {
            normalized
        });
        remaining.replace_range(code.range(), &" ".repeat(code.len()));
    }
    (codes, remaining)
}

fn remove_countries(address_tokens: &mut Vec<String>, country: Option<&str>) {
    if let Some(code) = country {
        let spellings: Vec<Vec<String>> = spellings_of(&code.to_uppercase())
            .iter()
            .map(|spelling| tokens(spelling))
            .collect();
        for spelling in spellings.iter().filter(|spelling| !spelling.is_empty()) {
            while let Some(start) = address_tokens
                .windows(spelling.len())
                .position(|window| window == spelling.as_slice())
            {
                address_tokens.drain(start..start + spelling.len());
            }
        }
        if address_tokens.len() > 1 && address_tokens.last().is_some_and(|last| *last == code.to_lowercase()) {
            address_tokens.pop();
        }
        // Chinese and Japanese addresses glue the country to the province ("中国浙江省...").
        let glued: Vec<&Vec<String>> = spellings
            .iter()
            .filter(|spelling| spelling.len() == 1 && has_cjk(&spelling[0]))
            .collect();
        for token in address_tokens.iter_mut() {
            if let Some(rest) = glued
                .iter()
                .find_map(|spelling| token.strip_prefix(spelling[0].as_str()).filter(|rest| !rest.is_empty()))
            {
                *token = rest.to_string();
            }
        }
    }
    // Any country named at the end ("..., Pune 411026, India"), behind trailing numbers.
    loop {
        let words_end = address_tokens
            .iter()
            .rposition(|token| !token.chars().all(|c| c.is_ascii_digit()))
            .map_or(0, |index| index + 1);
        let country_window = (1..=4.min(words_end)).rev().find(|&length| {
            address_tokens.len() > length && names_a_country(&address_tokens[words_end - length..words_end].join(" "))
        });
        match country_window {
            Some(length) => {
                address_tokens.drain(words_end - length..words_end);
            }
            None => return,
        }
    }
}

/// `code_of_name(text).is_some()` without scanning the country table: every name and alias, lower-cased once.
fn names_a_country(text: &str) -> bool {
    static SPELLINGS: LazyLock<HashSet<String>> = LazyLock::new(|| {
        // The table's codes are two upper-case ASCII letters.
        (b'A'..=b'Z')
            .flat_map(|first| (b'A'..=b'Z').map(move |second| [first, second]))
            .flat_map(|code| spellings_of(std::str::from_utf8(&code).expect("ASCII code")))
            .map(str::to_lowercase)
            .collect()
    });
    SPELLINGS.contains(&text.trim().to_lowercase())
}

/// Whether `word` is in `others`, allowing plurals, a typo in long words, a split compound ("mieum ro" /
/// "mieumro") and an acronym of consecutive words ("MIDC" for "Maharashtra Industrial Development Corporation").
fn word_present(word: &str, others: &[String]) -> bool {
    if others.iter().any(|other| tokens_similar(word, other)) {
        return true;
    }
    if others.windows(2).any(|pair| pair.concat() == word) {
        return true;
    }
    let length = word.chars().count();
    (2..=8).contains(&length)
        && word.chars().all(|c| c.is_ascii_alphabetic())
        && others.windows(length).any(|run| initials(run) == word)
}

fn initials(run: &[String]) -> String {
    run.iter().filter_map(|word| word.chars().next()).collect()
}

/// Positions of `words` covered by an acronym written in `others` ("MIDC" covers "maharashtra industrial
/// development corporation").
fn covered_by_acronym(words: &[String], others: &[String]) -> HashSet<usize> {
    let mut covered = HashSet::new();
    for acronym in others
        .iter()
        .filter(|other| (2..=8).contains(&other.len()) && other.chars().all(|c| c.is_ascii_alphabetic()))
    {
        for start in 0..words.len().saturating_sub(acronym.len() - 1) {
            let run = &words[start..start + acronym.len()];
            if initials(run) == *acronym {
                covered.extend(start..start + acronym.len());
            }
        }
    }
    covered
}

fn postal_conflict(entered: &AddressParts, found: &AddressParts) -> Option<AddressComparison> {
    if entered.postal_codes.is_empty() || found.postal_codes.is_empty() {
        return None;
    }
    let compatible = |a: &String, b: &String| {
        let (shorter, longer) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        shorter.len() >= 3 && longer.starts_with(shorter.as_str())
    };
    let agree = entered
        .postal_codes
        .iter()
        .any(|code| found.postal_codes.iter().any(|other| compatible(code, other)));
    (!agree).then(|| {
        AddressComparison::new(
            Outcome::Mismatch,
            format!(
                "postal codes differ ({} / {})",
                entered.postal_codes.join(", "),
                found.postal_codes.join(", ")
            ),
        )
    })
}

fn postal_agrees(entered: &AddressParts, found: &AddressParts) -> bool {
    !entered.postal_codes.is_empty() && !found.postal_codes.is_empty()
}

fn shares_number(entered: &AddressParts, found: &AddressParts) -> bool {
    entered.numbers.intersection(&found.numbers).next().is_some()
}

/// Compares two full or partial addresses. A found address that only names a coarser place the entered
/// address contains ("Pune, India") matches; conflicting postal codes, or street parts that share nothing, mismatch;
/// addresses in different scripts compare by their numbers (postal code, house number) only.
pub fn compare_addresses(entered: &str, found: &str, country: Option<&str>) -> AddressComparison {
    if entered.trim().is_empty() || found.trim().is_empty() {
        return AddressComparison::new(Outcome::Inconclusive, "an address is missing");
    }
    let entered_parts = AddressParts::parse(entered, country);
    let found_parts = AddressParts::parse(found, country);
    if let Some(conflict) = postal_conflict(&entered_parts, &found_parts) {
        return conflict;
    }
    let same_script = is_latin(entered) == is_latin(found) && has_cjk(entered) == has_cjk(found);
    if !same_script {
        return compare_numbers_only(&entered_parts, &found_parts);
    }
    if !is_latin(entered) {
        return compare_unspaced(&entered_parts, &found_parts);
    }
    compare_words(&entered_parts, &found_parts)
}

fn compare_numbers_only(entered: &AddressParts, found: &AddressParts) -> AddressComparison {
    let postal_agree = postal_agrees(entered, found);
    let both_numbered = !entered.numbers.is_empty() && !found.numbers.is_empty();
    if both_numbered && !shares_number(entered, found) {
        return AddressComparison::new(Outcome::Mismatch, "different scripts; house numbers differ");
    }
    if both_numbered || postal_agree {
        return AddressComparison::new(Outcome::Match, "different scripts; postal code or house number agree");
    }
    AddressComparison::new(Outcome::Inconclusive, "different scripts and no numbers to compare")
}

/// Character bigrams of the letters, for scripts written without spaces (Chinese, Japanese, Thai).
fn bigrams(letters: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = letters.chars().collect();
    chars.windows(2).map(|pair| (pair[0], pair[1])).collect()
}

fn compare_unspaced(entered: &AddressParts, found: &AddressParts) -> AddressComparison {
    let found_bigrams = bigrams(&found.letters);
    let entered_bigrams = bigrams(&entered.letters);
    if found_bigrams.is_empty() {
        return compare_numbers_only(entered, found);
    }
    let shared = found_bigrams.intersection(&entered_bigrams).count();
    let overlap = shared as f64 / found_bigrams.len() as f64;
    if found.numbers.is_empty() {
        return if entered.letters.contains(&found.letters) || overlap >= 0.75 {
            AddressComparison::new(
                Outcome::Match,
                "found address names a place the entered address contains",
            )
        } else {
            AddressComparison::new(Outcome::Inconclusive, "found place not named in the entered address")
        };
    }
    let both_numbered = !entered.numbers.is_empty();
    match (overlap > 0.6, shares_number(entered, found)) {
        (true, false) if both_numbered => AddressComparison::new(Outcome::Mismatch, "same street, different number"),
        (true, _) => AddressComparison::new(Outcome::Match, "street and place agree"),
        (false, true) => AddressComparison::new(Outcome::Inconclusive, "streets differ but a number agrees"),
        (false, false) => AddressComparison::new(Outcome::Mismatch, "street-level addresses share nothing"),
    }
}

fn compare_words(entered: &AddressParts, found: &AddressParts) -> AddressComparison {
    if !found.street_level {
        return compare_coarse_found(entered, found);
    }
    if !entered.street_level {
        let entered_distinctive: Vec<&String> = entered.distinctive_words().map(|(_, word)| word).collect();
        let all_present =
            !entered_distinctive.is_empty() && entered_distinctive.iter().all(|word| word_present(word, &found.words));
        return if all_present {
            AddressComparison::new(
                Outcome::Match,
                "entered address names only a place the found address is in",
            )
        } else {
            AddressComparison::new(Outcome::Inconclusive, "entered address is only a place")
        };
    }
    let acronym_covered = covered_by_acronym(&found.words, &entered.words);
    let distinctive: Vec<(usize, &String)> = found.distinctive_words().collect();
    if distinctive.is_empty() {
        return if shares_number(entered, found) && postal_agrees(entered, found) {
            AddressComparison::new(Outcome::Match, "numbers and postal code agree")
        } else {
            AddressComparison::new(Outcome::Inconclusive, "found address has no distinctive words")
        };
    }
    let present = distinctive
        .iter()
        .filter(|(index, word)| acronym_covered.contains(index) || word_present(word, &entered.words))
        .count();
    let mostly_present = present * 2 > distinctive.len();
    let both_numbered = !entered.numbers.is_empty() && !found.numbers.is_empty();
    let shared_number = shares_number(entered, found);
    match (mostly_present, shared_number) {
        (true, false) if both_numbered => AddressComparison::new(Outcome::Mismatch, "same street, different number"),
        (true, _) => AddressComparison::new(
            Outcome::Match,
            format!(
                "{present} of {} distinctive words of the found address agree",
                distinctive.len()
            ),
        ),
        // A found address with more words than the entered one (the company's name before it, on a contact page)
        // agrees when it holds every word of the entered one, a shared number and the same postal code.
        (false, true) if postal_agrees(entered, found) && entered_words_all_in(entered, found) => {
            AddressComparison::new(Outcome::Match, "the found address holds every word of the entered one")
        }
        (false, true) => AddressComparison::new(Outcome::Inconclusive, "streets differ but a number agrees"),
        (false, false) => AddressComparison::new(
            Outcome::Mismatch,
            format!(
                "only {present} of {} distinctive words of the found address agree, no number shared",
                distinctive.len()
            ),
        ),
    }
}

fn entered_words_all_in(entered: &AddressParts, found: &AddressParts) -> bool {
    let mut distinctive = entered.distinctive_words().peekable();
    distinctive.peek().is_some() && distinctive.all(|(_, word)| word_present(word, &found.words))
}

/// A found address that names only places (city, district, region). It matches when the entered address
/// contains them; larger regions missing from the entered address (read after the places it does contain,
/// since Latin addresses run from small to large) are tolerated.
fn compare_coarse_found(entered: &AddressParts, found: &AddressParts) -> AddressComparison {
    let acronym_covered = covered_by_acronym(&found.words, &entered.words);
    let distinctive: Vec<(usize, &String)> = found.distinctive_words().collect();
    if distinctive.is_empty() {
        return AddressComparison::new(Outcome::Inconclusive, "found address names no distinctive place");
    }
    let presence: Vec<bool> = distinctive
        .iter()
        .map(|(index, word)| acronym_covered.contains(index) || word_present(word, &entered.words))
        .collect();
    let Some(first_present) = presence.iter().position(|present| *present) else {
        return AddressComparison::new(Outcome::Inconclusive, "found place not named in the entered address");
    };
    if first_present == 0 {
        return AddressComparison::new(
            Outcome::Match,
            "found address names a coarser place the entered address contains",
        );
    }
    // A locality smaller than the shared city is missing from the entered address.
    let entered_has_own_locality = entered
        .distinctive_words()
        .any(|(_, word)| !word_present(word, &found.words));
    if entered_has_own_locality {
        AddressComparison::new(
            Outcome::Mismatch,
            "found locality differs from the entered one within the same place",
        )
    } else {
        AddressComparison::new(Outcome::Inconclusive, "found locality not named in the entered address")
    }
}

/// Whether `text` names the street of `address`: one comma part of it that holds a house number and a
/// distinctive word ("Sagverksvagen 3" of "Sagverksvagen 3, 934 31 Kusmark"), with every distinctive word of that
/// part and one of its numbers. A city or a postal code alone is not a street: a company leaving a town may have
/// moved across it.
pub fn street_named_in(address: &str, text: &str, country: Option<&str>) -> bool {
    let found = AddressParts::parse(text, country);
    if found.numbers.is_empty() {
        return false;
    }
    address.split([',', ';', '\n']).any(|part| {
        let street = AddressParts::parse(part, country);
        let mut distinctive = street
            .distinctive_words()
            .filter(|(_, word)| word.chars().count() >= 3)
            .peekable();
        distinctive.peek().is_some()
            && shares_number(&street, &found)
            && distinctive.all(|(_, word)| word_present(word, &found.words))
    })
}

/// Whether `text` names the street of `address` without a house number ("its Edwin Swales Drive site" of "24 Edwin
/// Swales Dr, Rossburgh"): the comma part of the address that holds the house number, by every distinctive word
/// and its street type. Weaker than [`street_named_in`] (another house on the same street is not told apart), so
/// the street type must stand in the text too: distinctive words alone may be a person's or a district's name.
pub fn street_named_without_number_in(address: &str, text: &str, country: Option<&str>) -> bool {
    let found = AddressParts::parse(text, country);
    if !found.words.iter().any(|word| STREET_LEVEL_SET.contains(word.as_str())) {
        return false;
    }
    address.split([',', ';', '\n']).any(|part| {
        let street = AddressParts::parse(part, country);
        let mut distinctive = street
            .distinctive_words()
            .filter(|(_, word)| word.chars().count() >= 3)
            .peekable();
        !street.numbers.is_empty()
            && street
                .words
                .iter()
                .any(|word| STREET_LEVEL_SET.contains(word.as_str()) && found.words.contains(word))
            && distinctive.peek().is_some()
            && distinctive.all(|(_, word)| word_present(word, &found.words))
    })
}

static ADDRESS_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:registered\s+|office\s+|business\s+|postal\s+|mailing\s+|company\s+)?(?:address|addr|add|adresse|anschrift|indirizzo|direcci[oó]n|endere[cç]o|adres|alamat|地址|住所|所在地|주소|ที่อยู่|адрес)\s*[:：.\-]?\s*")
        .expect("address label pattern compiles")
});
static CONTACT_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\b(?:tel|phone|fax|mobile|e-?mail|email|web|website|www)\b|电话|電話|传真|邮箱|전화|โทร|https?://|\S+@\S+).*$")
        .expect("contact tail pattern compiles")
});
static UNSPACED_ADDRESS_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[路街道号號区區市省县縣镇鎮村巷弄楼樓室町丁目番地]|로|길|구|동|ถนน|ซอย|แขวง|เขต|ตำบล|อำเภอ|จังหวัด|หมู่")
        .expect("unspaced address word pattern compiles")
});
/// A technical standard cited by its body and number: "EN ISO 20471", "DIN EN 388", "ASTM D4169", "GB/T 19001",
/// "IEC 60529", "JIS Z 2241". Product pages cite them; their numbers are not postal codes.
static STANDARD_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:(?:ISO|EN|DIN|IEC|ASTM|ANSI|BS|JIS|UL|NF|UNE|GB/?T|GOST|ГОСТ|AS/NZS|CSA|SNI|TIS)\s+)+[A-Z]?\s?\d{2,6}(?:[-:./]\d+)*\b")
        .expect("standard reference pattern compiles")
});

/// Postal addresses found in free text (lines with a number and a postal code or street word).
pub fn addresses_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    // The address on the line just before, while it still lacks a postal code: the next line may complete it
    // ("1200 NW Naito Pkwy, Suite 300" then "Portland, OR 97209").
    let mut open_address: Option<usize> = None;
    for line in text.lines() {
        let labelled = ADDRESS_LABEL.find(line);
        let body = labelled.map_or(line, |label| &line[label.end()..]);
        let body = CONTACT_TAIL.replace(body, "");
        let body = body.trim().trim_matches([',', ';', '|', '-', '•']).trim();
        let length = body.chars().count();
        if !(3..=200).contains(&length) {
            open_address = None;
            continue;
        }
        // A standard's number ("EN ISO 20471 class 3", "DIN 4102") is neither a postal code nor a house number.
        let unstandardized = STANDARD_REFERENCE.replace_all(body, " ");
        let has_digit = fold(&unstandardized).chars().any(|c| c.is_ascii_digit());
        let parts = AddressParts::parse(&unstandardized, None);
        let looks_like_street = parts.words.iter().any(|word| STREET_LEVEL_SET.contains(word.as_str()));
        let has_postal_code = !parts.postal_codes.is_empty();
        let has_unspaced_address_word = UNSPACED_ADDRESS_WORD.is_match(body);
        let word_count = parts.words.len();
        let continues_open_address = labelled.is_none()
            && !looks_like_street
            && (has_postal_code || (!has_digit && (1..=4).contains(&word_count) && body.contains(',')));
        if let Some(index) = open_address.filter(|_| continues_open_address) {
            found[index] = format!("{}, {body}", found[index]);
            open_address = None;
            continue;
        }
        let is_address = if labelled.is_some() {
            word_count >= 1
        } else {
            length >= 8
                && has_digit
                && word_count >= 2
                && (looks_like_street || has_postal_code || has_unspaced_address_word)
        };
        open_address = None;
        if is_address && !found.iter().any(|known| known == body) {
            found.push(body.to_string());
            if !has_postal_code {
                open_address = Some(found.len() - 1);
            }
        }
    }
    found
}

/// Addresses a colon introduces inside running prose ("NEW ADDRESS since January 2026: KK 15 Rd No. 21, Kicukiro
/// (we left Nyarutarama). Thank you!"), which `addresses_in` reads as one long line: each runs from the colon to an
/// aside in parentheses, a semicolon or the end of its sentence.
pub fn addresses_introduced_in_prose(text: &str) -> Vec<String> {
    text.match_indices(':')
        .filter_map(|(colon, _)| {
            let rest = &text[colon + 1..];
            let clause = &rest[..clause_end(rest)];
            let clause = clause.trim().trim_matches([',', '.', ';']).trim();
            let words = clause.split_whitespace().count();
            (clause.chars().any(|c| c.is_ascii_digit()) && (2..=16).contains(&words)).then(|| clause.to_string())
        })
        .collect()
}

/// Where a clause of prose ends: at "(", ";", a line break, or a full stop closing a sentence. A stop after a short
/// word abbreviates it ("No. 21", "Av. Núñez", "Sto. Dgo.") and ends nothing.
fn clause_end(text: &str) -> usize {
    let mut previous_word = String::new();
    let mut characters = text.char_indices().peekable();
    while let Some((at, c)) = characters.next() {
        match c {
            '(' | ';' | '\n' => return at,
            '.' | '!' | '?' => {
                let next_is_space = characters.peek().is_none_or(|(_, next)| next.is_whitespace());
                let closes_sentence = c != '.' || previous_word.chars().count() >= 4 || previous_word.is_empty();
                if next_is_space && closes_sentence {
                    return at;
                }
                previous_word.clear();
            }
            c if c.is_alphanumeric() => previous_word.push(c),
            _ => previous_word.clear(),
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn an_address_a_colon_introduces_in_prose_is_read_without_the_prose_around_it() {
        let about = "Solar home systems & inverters. NEW ADDRESS since January 2026: KK 15 Rd No. 21, Kicukiro \
                     (we left Nyarutarama). Twimukiye i Kicukiro.";
        assert_eq!(
            addresses_introduced_in_prose(about),
            vec!["KK 15 Rd No. 21, Kicukiro".to_string()]
        );
        assert_eq!(
            addresses_introduced_in_prose("Nous avons déménagé : Av. Núñez de Cáceres 312, Santo Domingo. Merci !"),
            vec!["Av. Núñez de Cáceres 312, Santo Domingo".to_string()]
        );
        // What follows a colon without a number, or a whole paragraph, is no address.
        assert!(addresses_introduced_in_prose("Open: Monday to Friday. Products: panels, inverters.").is_empty());
        assert!(addresses_introduced_in_prose("No colon here, 12 Main Street").is_empty());
    }

    #[test]
    fn a_cited_standard_is_not_a_postal_address() {
        for text in [
            "Hi-vis vests EN ISO 20471 class 2",
            "Schutzhandschuhe nach DIN EN 388 Stufe 4",
            "Cartons tested to ASTM D4169 cycle 13",
            "Gaskets rated IEC 60529 IP68",
        ] {
            assert!(addresses_in(text).is_empty(), "{text}: {:?}", addresses_in(text));
        }
        // A standard beside a real address leaves the address.
        assert_eq!(
            addresses_in("Certified ISO 9001, 12 Quay Street, Dublin 2"),
            ["Certified ISO 9001, 12 Quay Street, Dublin 2"]
        );
    }

    fn outcome(entered: &str, found: &str, country: Option<&str>) -> Outcome {
        compare_addresses(entered, found, country).outcome
    }

    #[test]
    fn a_street_is_named_by_its_distinctive_words_and_a_house_number() {
        let entered = "Sagverksvagen 3, 934 31 Kusmark, Sweden";
        assert!(street_named_in(
            entered,
            "sågverket på Sågverksvägen 3 i Kusmark",
            Some("SE")
        ));
        assert!(!street_named_in(entered, "sågverket i Kusmark", Some("SE")));
        assert!(!street_named_in(entered, "Storgatan 3, Kusmark", Some("SE")));
        // A postal code is not a house number, and a part without a distinctive word names no street.
        assert!(!street_named_in(
            "Unit 4, 12 Quay Street",
            "unit 4 of the quay",
            Some("IE")
        ));
        assert!(street_named_in(
            "Unit 4, 12 Quay Street",
            "the warehouse at 12 Quay Street",
            Some("IE")
        ));
        assert!(!street_named_in("Via Roma, 20121 Milano", "Via Roma 20121", Some("IT")));
    }

    #[test]
    fn a_street_without_its_house_number_is_named_by_its_words_and_street_type() {
        let entered = "24 Edwin Swales Dr, Rossburgh, Durban, 4094";
        assert!(street_named_without_number_in(
            entered,
            "its Edwin Swales Drive site in Rossburgh",
            Some("ZA")
        ));
        // A person or a suburb of the same name is no street; nor is another street of the suburb.
        assert!(!street_named_without_number_in(
            entered,
            "Edwin Swales in Rossburgh",
            Some("ZA")
        ));
        assert!(!street_named_without_number_in(
            entered,
            "its Rossburgh site on Bayhead Road",
            Some("ZA")
        ));
        // A street type built into the street's name gives nothing to require: not read without a number.
        assert!(!street_named_without_number_in(
            "Sagverksvagen 3, 934 31 Kusmark",
            "sågverket på Sågverksvägen i Kusmark",
            Some("SE")
        ));
    }

    #[test]
    fn a_contact_page_address_led_by_the_company_name_agrees() {
        let found = "Van der Meulen Bloembollen B.V. Zandslootweg 14 2181 AE Hillegom Nederland";
        let comparison = compare_addresses("Zandslootweg 14, 2181 AE Hillegom", found, Some("NL"));
        assert_eq!(comparison.outcome, Outcome::Match, "{}", comparison.note);
        let elsewhere = "Van der Meulen Bloembollen B.V. Heereweg 14 2181 AE Lisse Nederland";
        let comparison = compare_addresses("Zandslootweg 14, 2181 AE Hillegom", elsewhere, Some("NL"));
        assert_ne!(comparison.outcome, Outcome::Match, "{}", comparison.note);
    }

    #[test]
    fn country_name_lookup_agrees_with_the_table() {
        for text in [
            "india",
            " India ",
            "united states",
            "usa",
            "us",
            "uk",
            "viet nam",
            "holy see",
            "bvi",
            "rsa",
            "south africa",
            "pune",
            "tea",
            "",
            "hong kong",
            "china",
            "中国",
            "deutschland",
            "germany",
            "turkiye",
        ] {
            assert_eq!(
                names_a_country(text),
                crate::countries::code_of_name(text).is_some(),
                "{text}"
            );
        }
    }

    #[test]
    fn formatting_differences_in_addresses_match() {
        let cases = [
            (
                "1200 NW Naito Pkwy, Suite 300, Portland, OR 97209",
                "1200 Northwest Naito Parkway Ste 300, Portland, Oregon 97209-1234, USA",
                Some("US"),
            ),
            (
                "55 Elm St., Springfield, IL 62704",
                "55 Elm Street, Springfield",
                Some("US"),
            ),
            (
                "Hauptstr. 5, 10115 Berlin",
                "Hauptstraße 5, 10115 Berlin, Deutschland",
                Some("DE"),
            ),
            (
                "12 Harbour Road, Bristol BS1 5TY, United Kingdom",
                "12 Harbour Rd, Bristol, BS1 5TY",
                Some("GB"),
            ),
            (
                "No. 8, Jln Perusahaan 2, Prai Industrial Estate, 13600 Prai, Penang, Malaysia",
                "8 Jalan Perusahaan 2, Prai Ind. Est., 13600 Prai",
                Some("MY"),
            ),
            (
                "45, Mieum-ro 2beon-gil, Gangseo-gu, Busan, Republic of Korea",
                "45 Mieumro 2beon-gil, Gangseo-gu, Busan 46721",
                Some("KR"),
            ),
            (
                "Plot No. J-47, MIDC Bhosari, Pune 411026, India",
                "J-47, Maharashtra Industrial Development Corporation, Bhosari, Pune 411026",
                Some("IN"),
            ),
            (
                "Via Roma 12, 55100 Lucca LU, Italy",
                "Via Roma, 12 - 55100 Lucca (LU)",
                Some("IT"),
            ),
        ];
        for (entered, found, country) in cases {
            let comparison = compare_addresses(entered, found, country);
            assert_eq!(
                comparison.outcome,
                Outcome::Match,
                "{entered} / {found}: {}",
                comparison.note
            );
        }
    }

    #[test]
    fn coarser_places_contained_in_the_entered_address_match() {
        let cases = [
            (
                "Plot No. J-47, MIDC Bhosari, Pune 411026, India",
                "Pune, Maharashtra, India",
                Some("IN"),
            ),
            (
                "Room 1203, 88 Wensan Road, Xihu District, Hangzhou 310012, China",
                "Hangzhou, China",
                Some("CN"),
            ),
            ("浙江省杭州市西湖区文三路90号", "杭州市", Some("CN")),
            ("1200 NW Naito Pkwy, Portland, OR 97209", "Portland, Oregon", None),
        ];
        for (entered, found, country) in cases {
            let comparison = compare_addresses(entered, found, country);
            assert_eq!(
                comparison.outcome,
                Outcome::Match,
                "{entered} / {found}: {}",
                comparison.note
            );
        }
    }

    #[test]
    fn different_addresses_mismatch() {
        let cases = [
            (
                "Plot No. J-47, MIDC Bhosari, Pune 411026",
                "Unit 9, Hadapsar Industrial Estate, Pune 411013",
                Some("IN"),
            ),
            (
                "Plot No. J-47, MIDC Bhosari, Pune",
                "Unit 9, Hadapsar Industrial Estate, Pune",
                Some("IN"),
            ),
            (
                "55 Elm Street, Springfield, IL 62704",
                "55 Elm Street, Springfield, IL 62701",
                Some("US"),
            ),
            ("55 Elm Street, Springfield", "910 Oak Avenue, Springfield", Some("US")),
            ("Hauptstr. 5, 10115 Berlin", "Hauptstr. 9, 10115 Berlin", Some("DE")),
            (
                "12 Harbour Road, Bristol BS1 5TY",
                "4 Queen Square, Bristol BS1 4LH",
                Some("GB"),
            ),
            (
                "浙江省杭州市西湖区文三路90号",
                "广东省深圳市南山区科技园12号",
                Some("CN"),
            ),
        ];
        for (entered, found, country) in cases {
            let comparison = compare_addresses(entered, found, country);
            assert_eq!(
                comparison.outcome,
                Outcome::Mismatch,
                "{entered} / {found}: {}",
                comparison.note
            );
        }
    }

    #[test]
    fn addresses_in_different_scripts_compare_by_numbers() {
        let cases = [
            (
                "88/9 Sukhumvit Road, Khlong Toei, Bangkok 10110",
                "88/9 ถนนสุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพมหานคร 10110",
                Some("TH"),
                Outcome::Match,
            ),
            (
                "No. 90 Wensan Road, Xihu District, Hangzhou",
                "浙江省杭州市西湖区文三路90号",
                Some("CN"),
                Outcome::Match,
            ),
            (
                "45, Mieum-ro 2beon-gil, Gangseo-gu, Busan",
                "부산광역시 강서구 미음로2번길 45",
                Some("KR"),
                Outcome::Match,
            ),
            (
                "88/9 Sukhumvit Road, Bangkok 10110",
                "12 ถนนพระราม 4 กรุงเทพมหานคร 10500",
                Some("TH"),
                Outcome::Mismatch,
            ),
            (
                "Sukhumvit Road, Bangkok",
                "ถนนสุขุมวิท กรุงเทพมหานคร",
                Some("TH"),
                Outcome::Inconclusive,
            ),
        ];
        for (entered, found, country, expected) in cases {
            let comparison = compare_addresses(entered, found, country);
            assert_eq!(comparison.outcome, expected, "{entered} / {found}: {}", comparison.note);
        }
    }

    #[test]
    fn missing_addresses_are_inconclusive() {
        assert_eq!(outcome("", "Pune", Some("IN")), Outcome::Inconclusive);
        assert_eq!(
            outcome("55 Elm Street, Springfield", "Texas", Some("US")),
            Outcome::Inconclusive
        );
    }

    #[test]
    fn an_address_split_over_lines_is_joined() {
        let text = "Ridgefold Outdoor Supply\n1200 NW Naito Pkwy, Suite 300\nPortland, OR 97209\nPhone: (503) 555-0142";
        assert_eq!(
            addresses_in(text),
            ["1200 NW Naito Pkwy, Suite 300, Portland, OR 97209"]
        );
    }

    #[test]
    fn address_lines_are_found_in_text() {
        let text = "Welcome to Greenleaf Tea!\n\
                    Address: Room 1203, 88 Wensan Road, Hangzhou 310012 Tel: +86 571 8765 4321\n\
                    We have 120 employees and 3 factories.\n\
                    Head office: 55 Elm Street, Springfield, IL 62704\n\
                    地址：浙江省杭州市西湖区文三路90号\n\
                    Founded in 2005.";
        assert_eq!(
            addresses_in(text),
            [
                "Room 1203, 88 Wensan Road, Hangzhou 310012",
                "Head office: 55 Elm Street, Springfield, IL 62704",
                "浙江省杭州市西湖区文三路90号"
            ]
        );
    }
}

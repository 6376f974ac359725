//! ISO 3166-1 alpha-2 codes with their English names and the aliases addresses use for them.

use std::collections::HashMap;
use std::sync::LazyLock;

/// `code|name|alias;alias` — one country a line. Aliases are the forms found in addresses and profiles.
const TABLE: &str = "\
AD|Andorra|
AE|United Arab Emirates|UAE;U.A.E.;Emirates
AF|Afghanistan|
AG|Antigua and Barbuda|
AI|Anguilla|
AL|Albania|
AM|Armenia|
AO|Angola|
AQ|Antarctica|
AR|Argentina|
AS|American Samoa|
AT|Austria|Österreich
AU|Australia|
AW|Aruba|
AX|Åland Islands|
AZ|Azerbaijan|
BA|Bosnia and Herzegovina|
BB|Barbados|
BD|Bangladesh|
BE|Belgium|België;Belgique
BF|Burkina Faso|
BG|Bulgaria|
BH|Bahrain|
BI|Burundi|
BJ|Benin|
BL|Saint Barthélemy|
BM|Bermuda|
BN|Brunei|Brunei Darussalam
BO|Bolivia|
BQ|Caribbean Netherlands|
BR|Brazil|Brasil
BS|Bahamas|
BT|Bhutan|
BV|Bouvet Island|
BW|Botswana|
BY|Belarus|
BZ|Belize|
CA|Canada|
CC|Cocos (Keeling) Islands|
CD|Democratic Republic of the Congo|DR Congo;DRC
CF|Central African Republic|
CG|Republic of the Congo|Congo
CH|Switzerland|Schweiz;Suisse
CI|Côte d'Ivoire|Ivory Coast
CK|Cook Islands|
CL|Chile|
CM|Cameroon|
CN|China|PRC;P.R. China;People's Republic of China;中国;中華人民共和國;中华人民共和国
CO|Colombia|
CR|Costa Rica|
CU|Cuba|
CV|Cape Verde|Cabo Verde
CW|Curaçao|
CX|Christmas Island|
CY|Cyprus|
CZ|Czechia|Czech Republic
DE|Germany|Deutschland
DJ|Djibouti|
DK|Denmark|Danmark
DM|Dominica|
DO|Dominican Republic|
DZ|Algeria|
EC|Ecuador|
EE|Estonia|
EG|Egypt|
EH|Western Sahara|
ER|Eritrea|
ES|Spain|España
ET|Ethiopia|
FI|Finland|Suomi
FJ|Fiji|
FK|Falkland Islands|
FM|Micronesia|
FO|Faroe Islands|
FR|France|
GA|Gabon|
GB|United Kingdom|UK;U.K.;Great Britain;Britain;England;Scotland;Wales;Northern Ireland
GD|Grenada|
GE|Georgia|
GF|French Guiana|
GG|Guernsey|
GH|Ghana|
GI|Gibraltar|
GL|Greenland|
GM|Gambia|
GN|Guinea|
GP|Guadeloupe|
GQ|Equatorial Guinea|
GR|Greece|Hellas
GS|South Georgia and the South Sandwich Islands|
GT|Guatemala|
GU|Guam|
GW|Guinea-Bissau|
GY|Guyana|
HK|Hong Kong|HKSAR;香港
HM|Heard Island and McDonald Islands|
HN|Honduras|
HR|Croatia|Hrvatska
HT|Haiti|
HU|Hungary|Magyarország
ID|Indonesia|
IE|Ireland|Éire
IL|Israel|
IM|Isle of Man|
IN|India|Bharat
IO|British Indian Ocean Territory|
IQ|Iraq|
IR|Iran|
IS|Iceland|
IT|Italy|Italia
JE|Jersey|
JM|Jamaica|
JO|Jordan|
JP|Japan|Nippon;日本
KE|Kenya|
KG|Kyrgyzstan|
KH|Cambodia|
KI|Kiribati|
KM|Comoros|
KN|Saint Kitts and Nevis|
KP|North Korea|DPRK
KR|South Korea|Korea;Republic of Korea;ROK;대한민국;한국
KW|Kuwait|
KY|Cayman Islands|
KZ|Kazakhstan|
LA|Laos|Lao PDR
LB|Lebanon|
LC|Saint Lucia|
LI|Liechtenstein|
LK|Sri Lanka|
LR|Liberia|
LS|Lesotho|
LT|Lithuania|
LU|Luxembourg|
LV|Latvia|
LY|Libya|
MA|Morocco|
MC|Monaco|
MD|Moldova|
ME|Montenegro|
MF|Saint Martin|
MG|Madagascar|
MH|Marshall Islands|
MK|North Macedonia|Macedonia
ML|Mali|
MM|Myanmar|Burma
MN|Mongolia|
MO|Macao|Macau;澳門
MP|Northern Mariana Islands|
MQ|Martinique|
MR|Mauritania|
MS|Montserrat|
MT|Malta|
MU|Mauritius|
MV|Maldives|
MW|Malawi|
MX|Mexico|México
MY|Malaysia|
MZ|Mozambique|
NA|Namibia|
NC|New Caledonia|
NE|Niger|
NF|Norfolk Island|
NG|Nigeria|
NI|Nicaragua|
NL|Netherlands|Holland;Nederland;The Netherlands
NO|Norway|Norge
NP|Nepal|
NR|Nauru|
NU|Niue|
NZ|New Zealand|
OM|Oman|
PA|Panama|
PE|Peru|
PF|French Polynesia|
PG|Papua New Guinea|
PH|Philippines|
PK|Pakistan|
PL|Poland|Polska
PM|Saint Pierre and Miquelon|
PN|Pitcairn Islands|
PR|Puerto Rico|
PS|Palestine|
PT|Portugal|
PW|Palau|
PY|Paraguay|
QA|Qatar|
RE|Réunion|
RO|Romania|
RS|Serbia|
RU|Russia|Russian Federation
RW|Rwanda|
SA|Saudi Arabia|KSA
SB|Solomon Islands|
SC|Seychelles|
SD|Sudan|
SE|Sweden|Sverige
SG|Singapore|
SH|Saint Helena|
SI|Slovenia|
SJ|Svalbard and Jan Mayen|
SK|Slovakia|
SL|Sierra Leone|
SM|San Marino|
SN|Senegal|
SO|Somalia|
SR|Suriname|
SS|South Sudan|
ST|São Tomé and Príncipe|
SV|El Salvador|
SX|Sint Maarten|
SY|Syria|
SZ|Eswatini|Swaziland
TC|Turks and Caicos Islands|
TD|Chad|
TF|French Southern Territories|
TG|Togo|
TH|Thailand|ประเทศไทย;ไทย
TJ|Tajikistan|
TK|Tokelau|
TL|Timor-Leste|East Timor
TM|Turkmenistan|
TN|Tunisia|
TO|Tonga|
TR|Turkey|Türkiye
TT|Trinidad and Tobago|
TV|Tuvalu|
TW|Taiwan|台灣;台湾
TZ|Tanzania|
UA|Ukraine|
UG|Uganda|
UM|United States Minor Outlying Islands|
US|United States|USA;U.S.A.;US;U.S.;United States of America;America
UY|Uruguay|
UZ|Uzbekistan|
VA|Vatican City|Holy See
VC|Saint Vincent and the Grenadines|
VE|Venezuela|
VG|British Virgin Islands|BVI
VI|U.S. Virgin Islands|
VN|Vietnam|Viet Nam
VU|Vanuatu|
WF|Wallis and Futuna|
WS|Samoa|
YE|Yemen|
YT|Mayotte|
ZA|South Africa|RSA
ZM|Zambia|
ZW|Zimbabwe|
";

fn rows() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    TABLE.lines().filter_map(|line| {
        let mut parts = line.splitn(3, '|');
        Some((parts.next()?, parts.next()?, parts.next().unwrap_or("")))
    })
}

/// One row of the table, parsed once, with what the lookups below compare against.
struct Country {
    code: &'static str,
    name: &'static str,
    /// The name, then the aliases.
    spellings: Vec<&'static str>,
    /// How a free text mentions the country, one way per spelling.
    mentions: Vec<Mention>,
}

/// How [`mentioned_in`] finds one spelling in a text.
enum Mention {
    /// A short upper-case alias (US, UK, UAE): these words, in this case, in a row.
    Acronym(Vec<&'static str>),
    /// CJK is written without spaces: a substring is a mention.
    Substring(&'static str),
    /// These folded words in a row of the folded text.
    Words(Vec<String>),
}

impl Mention {
    fn of(spelling: &'static str) -> Self {
        let is_acronym = spelling.chars().filter(|c| c.is_alphabetic()).count() <= 3
            && spelling.chars().all(|c| c.is_uppercase() || !c.is_alphabetic());
        if is_acronym {
            Mention::Acronym(words_of(spelling).collect())
        } else if spelling.chars().any(|c| c as u32 >= 0x2E80) {
            Mention::Substring(spelling)
        } else {
            let folded = crate::matching::text::fold(spelling);
            Mention::Words(words_of(&folded).map(str::to_string).collect())
        }
    }
}

fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
}

/// The table parsed once: its rows in order, and indexes by code and by lower-case spelling (the first row wins,
/// as a scan in table order would find it), and the mentions by their first word.
struct Table {
    countries: Vec<Country>,
    by_code: HashMap<&'static str, usize>,
    by_lower_spelling: HashMap<String, usize>,
    /// [`Mention::Words`] by their first folded word: (country, mention).
    words_by_first: HashMap<String, Vec<(usize, usize)>>,
    /// [`Mention::Acronym`] by their first word, as written.
    acronyms_by_first: HashMap<String, Vec<(usize, usize)>>,
}

static PARSED: LazyLock<Table> = LazyLock::new(|| {
    let countries: Vec<Country> = rows()
        .map(|(code, name, aliases)| {
            let spellings: Vec<&'static str> = std::iter::once(name)
                .chain(aliases.split(';').filter(|alias| !alias.is_empty()))
                .collect();
            Country {
                code,
                name,
                mentions: spellings.iter().map(|spelling| Mention::of(spelling)).collect(),
                spellings,
            }
        })
        .collect();
    let mut by_code = HashMap::new();
    let mut by_lower_spelling = HashMap::new();
    for (index, country) in countries.iter().enumerate() {
        by_code.entry(country.code).or_insert(index);
        for spelling in &country.spellings {
            by_lower_spelling.entry(spelling.to_lowercase()).or_insert(index);
        }
    }
    let mut words_by_first: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    let mut acronyms_by_first: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (index, country) in countries.iter().enumerate() {
        for (position, mention) in country.mentions.iter().enumerate() {
            match mention {
                Mention::Words(phrase) => {
                    if let Some(first) = phrase.first() {
                        words_by_first.entry(first.clone()).or_default().push((index, position));
                    }
                }
                Mention::Acronym(phrase) => {
                    if let Some(first) = phrase.first() {
                        acronyms_by_first
                            .entry(first.to_string())
                            .or_default()
                            .push((index, position));
                    }
                }
                Mention::Substring(_) => {}
            }
        }
    }
    Table {
        countries,
        by_code,
        by_lower_spelling,
        words_by_first,
        acronyms_by_first,
    }
});

fn by_code(code: &str) -> Option<&'static Country> {
    let table = &*PARSED;
    table.by_code.get(code).map(|index| &table.countries[*index])
}

/// The English name of an upper-case alpha-2 code.
pub fn name_of(code: &str) -> Option<&'static str> {
    by_code(code).map(|country| country.name)
}

/// Every way of writing the country: its name and its aliases (not the bare code).
pub fn spellings_of(code: &str) -> Vec<&'static str> {
    by_code(code)
        .map(|country| country.spellings.clone())
        .unwrap_or_default()
}

/// The code of a country written out by name or alias, case-insensitively.
pub fn code_of_name(text: &str) -> Option<&'static str> {
    let table = &*PARSED;
    table
        .by_lower_spelling
        .get(&text.trim().to_lowercase())
        .map(|index| table.countries[*index].code)
}

/// The countries a free text names, by name or alias. Short upper-case aliases (US, UK, UAE) count only
/// in upper case, so the pronoun "us" is not the United States.
pub fn mentioned_in(text: &str) -> Vec<&'static str> {
    let table = &*PARSED;
    let folded = crate::matching::text::fold(text);
    let words: Vec<&str> = words_of(&folded).collect();
    let raw_words: Vec<&str> = words_of(text).collect();
    let mut mentioned = vec![false; table.countries.len()];
    // Each word of the text is looked up once among the spellings' first words; a phrase is compared only where
    // its first word stands.
    let mut mark = |haystack: &[&str], by_first: &HashMap<String, Vec<(usize, usize)>>| {
        for (start, word) in haystack.iter().enumerate() {
            for &(country, position) in by_first.get(*word).into_iter().flatten() {
                if mentioned[country] {
                    continue;
                }
                let following = &haystack[start..];
                mentioned[country] = match &table.countries[country].mentions[position] {
                    Mention::Words(phrase) => starts_with_phrase(following, phrase),
                    Mention::Acronym(phrase) => starts_with_phrase(following, phrase),
                    Mention::Substring(_) => false,
                };
            }
        }
    };
    mark(&words, &table.words_by_first);
    mark(&raw_words, &table.acronyms_by_first);
    table
        .countries
        .iter()
        .zip(mentioned)
        .filter(|(country, by_words)| {
            *by_words
                || country
                    .mentions
                    .iter()
                    .any(|mention| matches!(mention, Mention::Substring(spelling) if text.contains(spelling)))
        })
        .map(|(country, _)| country.code)
        .collect()
}

fn starts_with_phrase<W: AsRef<str>>(words: &[&str], phrase: &[W]) -> bool {
    words.len() >= phrase.len() && words.iter().zip(phrase).all(|(word, wanted)| *word == wanted.as_ref())
}

/// ISO 3166-1 alpha-3 → alpha-2 pairs, five letters each (`CHNCN`); Kosovo's user-assigned `XKX` → `XK` too.
const ALPHA3_TO_ALPHA2: &str = " \
ABWAW AFGAF AGOAO AIAAI ALAAX ALBAL ANDAD AREAE ARGAR ARMAM ASMAS ATAAQ ATFTF ATGAG AUSAU AUTAT \
AZEAZ BDIBI BELBE BENBJ BESBQ BFABF BGDBD BGRBG BHRBH BHSBS BIHBA BLMBL BLRBY BLZBZ BMUBM BOLBO \
BRABR BRBBB BRNBN BTNBT BVTBV BWABW CAFCF CANCA CCKCC CHECH CHLCL CHNCN CIVCI CMRCM CODCD COGCG \
COKCK COLCO COMKM CPVCV CRICR CUBCU CUWCW CXRCX CYMKY CYPCY CZECZ DEUDE DJIDJ DMADM DNKDK DOMDO \
DZADZ ECUEC EGYEG ERIER ESHEH ESPES ESTEE ETHET FINFI FJIFJ FLKFK FRAFR FROFO FSMFM GABGA GBRGB \
GEOGE GGYGG GHAGH GIBGI GINGN GLPGP GMBGM GNBGW GNQGQ GRCGR GRDGD GRLGL GTMGT GUFGF GUMGU GUYGY \
HKGHK HMDHM HNDHN HRVHR HTIHT HUNHU IDNID IMNIM INDIN IOTIO IRLIE IRNIR IRQIQ ISLIS ISRIL ITAIT \
JAMJM JEYJE JORJO JPNJP KAZKZ KENKE KGZKG KHMKH KIRKI KNAKN KORKR KWTKW LAOLA LBNLB LBRLR LBYLY \
LCALC LIELI LKALK LSOLS LTULT LUXLU LVALV MACMO MAFMF MARMA MCOMC MDAMD MDGMG MDVMV MEXMX MHLMH \
MKDMK MLIML MLTMT MMRMM MNEME MNGMN MNPMP MOZMZ MRTMR MSRMS MTQMQ MUSMU MWIMW MYSMY MYTYT NAMNA \
NCLNC NERNE NFKNF NGANG NICNI NIUNU NLDNL NORNO NPLNP NRUNR NZLNZ OMNOM PAKPK PANPA PCNPN PERPE \
PHLPH PLWPW PNGPG POLPL PRIPR PRKKP PRTPT PRYPY PSEPS PYFPF QATQA REURE ROURO RUSRU RWARW SAUSA \
SDNSD SENSN SGPSG SGSGS SHNSH SJMSJ SLBSB SLESL SLVSV SMRSM SOMSO SPMPM SRBRS SSDSS STPST SURSR \
SVKSK SVNSI SWESE SWZSZ SXMSX SYCSC SYRSY TCATC TCDTD TGOTG THATH TJKTJ TKLTK TKMTM TLSTL TONTO \
TTOTT TUNTN TURTR TUVTV TWNTW TZATZ UGAUG UKRUA UMIUM URYUY USAUS UZBUZ VATVA VCTVC VENVE VGBVG \
VIRVI VNMVN VUTVU WLFWF WSMWS YEMYE ZAFZA ZMBZM ZWEZW XKXXK";

fn alpha3_pairs() -> impl Iterator<Item = (&'static str, &'static str)> {
    ALPHA3_TO_ALPHA2
        .split_whitespace()
        .filter_map(|pair| Some((pair.get(..3)?, pair.get(3..)?)))
}

/// The alpha-2 code of an alpha-3 code (`CHN` → `CN`), in any case.
pub fn alpha2_of_alpha3(code: &str) -> Option<&'static str> {
    let code = code.trim().to_ascii_uppercase();
    alpha3_pairs()
        .find(|(alpha3, _)| *alpha3 == code)
        .map(|(_, alpha2)| alpha2)
}

/// The alpha-3 code of an alpha-2 code (`CN` → `CHN`), in any case.
pub fn alpha3_of(code: &str) -> Option<&'static str> {
    let code = code.trim().to_ascii_uppercase();
    alpha3_pairs()
        .find(|(_, alpha2)| *alpha2 == code)
        .map(|(alpha3, _)| alpha3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_names_and_aliases_resolve_both_ways() {
        assert_eq!(name_of("CN"), Some("China"));
        assert_eq!(code_of_name("UAE"), Some("AE"));
        assert_eq!(code_of_name("republic of korea"), Some("KR"));
        assert_eq!(code_of_name("Narnia"), None);
        assert!(spellings_of("US").contains(&"USA"));
        assert_eq!(rows().count(), 249);
        assert_eq!(alpha2_of_alpha3("chn"), Some("CN"));
        assert_eq!(alpha3_of("de"), Some("DEU"));
        assert_eq!(alpha3_of("ZZ"), None);
    }

    #[test]
    fn countries_named_in_text_are_found_but_the_pronoun_us_is_not_a_country() {
        assert_eq!(mentioned_in("Contact us for a quote"), Vec::<&str>::new());
        assert_eq!(mentioned_in("Exports to the US and Viet Nam"), vec!["US", "VN"]);
        assert_eq!(mentioned_in("深圳位于中国南部"), vec!["CN"]);
        assert_eq!(mentioned_in("a trader in the United Arab Emirates"), vec!["AE"]);
    }
}

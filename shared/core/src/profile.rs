//! What the judge needs of a subject, derived once per check: folded names, domains, E.164 phone, claimed employer.

use crate::countries;
use crate::matching::{domain, names, phone, text};
use crate::request::{Subject, SubjectKind, TradeRole};

/// Business words that a trading name may drop without becoming another company's name
/// ("Zahra Bay Electronics" for "Zahra Bay Electronics Trading FZE").
const DESCRIPTOR_WORDS: &[&str] = &[
    // English
    "trading",
    "trade",
    "traders",
    "group",
    "holding",
    "holdings",
    "international",
    "intl",
    "global",
    "industries",
    "industry",
    "industrial",
    "enterprises",
    "enterprise",
    "company",
    "co",
    "corporation",
    "import",
    "export",
    "imports",
    "exports",
    "importers",
    "exporters",
    "imp",
    "exp",
    "supply",
    "supplies",
    "services",
    "solutions",
    "worldwide",
    "products",
    "manufacturing",
    "mfg",
    "manufacturer",
    "factory",
    "works",
    "the",
    "and",
    "of",
    // German, Dutch, Nordic
    "handel",
    "handels",
    "handelsgesellschaft",
    "gruppe",
    "industrie",
    "vertrieb",
    "und",
    "en",
    "og",
    "och",
    // Turkish (İhracat Sanayi ve Ticaret, İhr. San. ve Tic., Dış Ticaret, Pazarlama)
    "ihracat",
    "ithalat",
    "sanayi",
    "san",
    "ticaret",
    "tic",
    "ihr",
    "ith",
    "ve",
    "dis",
    "pazarlama",
    "uretim",
    // Spanish, Portuguese, Italian, French
    "comercio",
    "comercial",
    "comercializadora",
    "industria",
    "industrias",
    "exportadora",
    "importadora",
    "exportacao",
    "importacao",
    "distribuidora",
    "grupo",
    "gruppo",
    "groupe",
    "commerce",
    "societe",
    "e",
    "y",
    "et",
    "del",
    "della",
    // Malay, Indonesian, Vietnamese (Thương mại, Xuất nhập khẩu, Sản xuất, Dịch vụ)
    "perdagangan",
    "dagang",
    "industri",
    "thuong",
    "mai",
    "xuat",
    "nhap",
    "khau",
    "dich",
    "vu",
];

/// The subject as the judge compares it.
#[derive(Debug, Clone)]
pub struct SubjectProfile {
    pub kind: SubjectKind,
    pub name: String,
    pub core_name: String,
    /// The tokens of `core_name`.
    core_tokens: Vec<String>,
    pub local_core_name: Option<String>,
    /// The name in its own script as entered (a person's "齋藤 雄一郎").
    pub local_name: Option<String>,
    pub country: Option<String>,
    /// Folded tokens of the entered address and the country's spellings: place names a trading name may lead with.
    pub places: Vec<String>,
    pub address: Option<String>,
    pub website: Option<String>,
    pub website_domain: Option<String>,
    pub email: Option<String>,
    pub email_domain: Option<String>,
    pub phone: Option<String>,
    pub phone_e164: Option<String>,
    pub contact_name: Option<String>,
    pub contact_title: Option<String>,
    /// The employer a person claims (from "Title at Company" or a non-free e-mail domain's owner).
    pub claimed_employer: Option<String>,
    pub trade_role: Option<TradeRole>,
    pub products: Vec<String>,
    pub hs_codes: Vec<crate::request::HsCode>,
    /// `distinctive_tokens`, computed once from `core_name` and `places`.
    distinctive: Vec<String>,
    /// The name made ready to look for in texts.
    mention: names::CompanyMention,
}

impl SubjectProfile {
    pub fn new(subject: &Subject) -> Self {
        let country = subject.country.as_ref().map(|code| code.as_str().to_string());
        let places = places_of(subject);
        let email_domain = subject.email.as_ref().map(|email| email.domain().to_string());
        // A title given in two scripts is read in Latin, as most sources give the employer.
        let (contact_title, claimed_employer) = match &subject.contact {
            Some(contact) => split_title(contact.title.as_deref().map(text::latin_words_of).as_deref()),
            None => (None, None),
        };
        let core_tokens = names::core_tokens(&subject.name);
        let core_name = core_tokens.join(" ");
        let distinctive = distinctive_tokens_of(&core_name, &places);
        let mention = names::CompanyMention::from_core(core_tokens.clone(), &places);
        Self {
            kind: subject.kind,
            name: subject.name.clone(),
            core_name,
            core_tokens,
            local_core_name: subject
                .local_name
                .as_deref()
                .map(names::core_company_name)
                .filter(|core| !core.is_empty()),
            local_name: subject
                .local_name
                .as_deref()
                .map(str::trim)
                .filter(|local| !local.is_empty())
                .map(str::to_string),
            places,
            address: subject.address.clone(),
            website: subject.website.as_ref().map(|url| url.to_string()),
            website_domain: subject
                .website
                .as_ref()
                .and_then(|url| domain::registrable_domain(&url.host())),
            email: subject.email.as_ref().map(|email| email.to_string()),
            email_domain,
            phone: subject.phone.as_ref().map(|phone| phone.to_string()),
            phone_e164: subject
                .phone
                .as_ref()
                .and_then(|phone| phone::to_e164(phone.as_str(), country.as_deref())),
            country,
            contact_name: subject.contact.as_ref().map(|contact| contact.name.clone()),
            contact_title,
            claimed_employer,
            trade_role: subject.trade.as_ref().map(|trade| trade.role),
            products: subject
                .trade
                .as_ref()
                .map(|trade| trade.products.clone())
                .unwrap_or_default(),
            hs_codes: subject
                .trade
                .as_ref()
                .map(|trade| trade.hs_codes.clone())
                .unwrap_or_default(),
            distinctive,
            mention,
        }
    }

    pub fn is_company(&self) -> bool {
        self.kind == SubjectKind::Company
    }

    /// The organisation the contact (or the person checked) is said to work for.
    pub fn employer(&self) -> Option<&str> {
        match self.kind {
            SubjectKind::Company => Some(&self.name),
            SubjectKind::Person => self.claimed_employer.as_deref(),
        }
    }

    /// The e-mail domain when it is the subject's own (not a free-mail provider).
    pub fn corporate_email_domain(&self) -> Option<&str> {
        self.email_domain
            .as_deref()
            .filter(|domain| !domain::is_free_mail(domain))
    }

    /// The corporate e-mail domain when it is not the entered website's (or no website was entered): mail on
    /// another organisation's domain, or on one the request does not otherwise vouch for.
    pub fn mail_domain_off_website(&self) -> Option<&str> {
        self.corporate_email_domain().filter(|mail| {
            !self
                .website
                .as_deref()
                .is_some_and(|website| domain::same_site(website, mail))
        })
    }

    /// Place names of the entered address (city, district, region): its alphabetic words less street vocabulary.
    pub fn locality_tokens(&self) -> Vec<String> {
        const STREET_WORDS: &[&str] = &[
            "road",
            "street",
            "avenue",
            "district",
            "industrial",
            "estate",
            "building",
            "floor",
            "suite",
            "unit",
            "zone",
            "park",
            "city",
            "province",
            "state",
            "county",
            "town",
            "village",
            "block",
            "lane",
            "plot",
            "area",
            "room",
            "tower",
            "plaza",
            "center",
            "centre",
            "north",
            "south",
            "east",
            "west",
            "new",
            "free",
        ];
        self.address
            .as_deref()
            .map(text::tokens)
            .unwrap_or_default()
            .into_iter()
            .filter(|token| {
                token.chars().count() >= 4
                    && token.chars().all(char::is_alphabetic)
                    && !STREET_WORDS.contains(&token.as_str())
            })
            .collect()
    }

    /// The core name's tokens less place and generic business words: what makes the name this company's.
    pub fn distinctive_tokens(&self) -> &[String] {
        &self.distinctive
    }

    /// The name to search registries with: the distinctive words in the customer's spelling
    /// ("Yıldıztepe Fındık" for "Yıldıztepe Fındık İhracat Sanayi ve Ticaret A.Ş.", "Greenleaf Tea" for
    /// "Hangzhou Greenleaf Tea Co., Ltd."), so abbreviated filings and ones without the city match too.
    pub fn search_name(&self, display_core: &str) -> String {
        search_name_among(self.distinctive_tokens(), display_core)
    }

    /// Whether the text carries the name's distinctive words in order ("Serra da Mantiqueira Cafés Especiais"
    /// for "… Especiais Exportadora Ltda."), when there are at least three of them: two common words alone
    /// ("Ridgefold Outdoor") are too easily another business.
    fn distinctive_span_in(&self, found: &[String]) -> bool {
        let distinctive = self.distinctive_tokens();
        if distinctive.len() < 3 {
            return false;
        }
        found.windows(distinctive.len()).any(|window| window == distinctive)
            || found
                .iter()
                .enumerate()
                .filter(|(_, token)| **token == distinctive[0])
                .any(|(start, _)| {
                    // Connecting words ("da", "de") may sit between the distinctive ones.
                    let mut wanted = distinctive.iter().peekable();
                    for token in &found[start..] {
                        match wanted.peek() {
                            Some(next) if *next == token => {
                                wanted.next();
                            }
                            Some(_) if DESCRIPTOR_WORDS.contains(&token.as_str()) => {}
                            _ => break,
                        }
                        if wanted.peek().is_none() {
                            return true;
                        }
                    }
                    wanted.peek().is_none()
                })
    }

    /// Whether `name` is the subject's name with different business words — "Steppe Agro Trade" for
    /// "Steppe Agro Export": the same brand under another legal name, which contradicts the request.
    pub fn is_conflicting_name(&self, name: &str) -> bool {
        // The native or registered form the customer entered as the local name is the subject's own name.
        let core = names::core_company_name(name);
        if self
            .local_core_name
            .as_deref()
            .is_some_and(|local| !local.is_empty() && core == local)
        {
            return false;
        }
        let entered = business_words(&self.core_name);
        let found = business_words(&core);
        let distinctive = self.distinctive_tokens();
        let only_found: Vec<&String> = found.iter().filter(|token| !entered.contains(token)).collect();
        let only_entered = entered
            .iter()
            .any(|token| !found.contains(token) && !self.places.contains(token));
        !distinctive.is_empty()
            && distinctive.iter().all(|token| found.contains(token))
            && !only_found.is_empty()
            && only_found
                .iter()
                .all(|token| DESCRIPTOR_WORDS.contains(&token.as_str()))
            && only_entered
    }

    /// Whether `name` names the subject company: the same name, the same name less business descriptors, or a
    /// short form of it.
    pub fn is_subject_name(&self, name: &str) -> bool {
        company_names_compatible(&self.name, name, &self.places)
            || self.is_short_name(name)
            || self
                .local_core_name
                .as_deref()
                .is_some_and(|local| !local.is_empty() && names::core_company_name(name) == local)
    }

    /// Whether a display name names the subject, as a whole or in one of the names it pairs (by a separator, or
    /// side by side in two scripts: "Ogasawara Seiki 小笠原精機").
    pub fn is_subject_display_name(&self, name: &str) -> bool {
        let parts: Vec<&str> = display_name_parts(name).collect();
        self.is_subject_name(name)
            || (parts.len() > 1 && parts.iter().any(|part| self.is_subject_name(part)))
            || parts.iter().any(|part| {
                text::split_scripts(part)
                    .is_some_and(|(latin, other)| self.is_subject_name(&latin) || self.is_subject_name(&other))
            })
    }

    /// Whether `name` is the subject's name cut short ("Anadolu Denim" for "Anadolu Denim Tekstil San. ve Tic.
    /// A.Ş."): every word it has is in the subject's name, and it keeps at least two of the distinctive words and
    /// at least half. A word the subject's name lacks, even a business word ("Steppe Agro Trade" for "Steppe Agro
    /// Export"), makes it another name, not a short one.
    fn is_short_name(&self, name: &str) -> bool {
        let found = names::core_tokens(name);
        let distinctive = self.distinctive_tokens();
        let kept = found.iter().filter(|token| distinctive.contains(token)).count();
        kept >= 2 && kept * 2 >= distinctive.len() && found.iter().all(|token| self.core_tokens.contains(token))
    }

    /// Whether free text names the person checked, in the Latin or in their own script.
    pub fn is_person_named_in(&self, text: &str) -> bool {
        names::mentions_person(text, &self.name)
            || self
                .local_name
                .as_deref()
                .is_some_and(|local| names::mentions_person(text, local))
    }

    /// Whether free text names the subject company (or its native-script name).
    pub fn is_mentioned_in(&self, text_to_search: &str) -> bool {
        let folded = text::fold(text_to_search);
        let found = text::folded_tokens(&folded);
        self.mention.in_tokens(&found)
            || self.distinctive_span_in(&found)
            || self
                .local_core_name
                .as_deref()
                .is_some_and(|local| folded.contains(local))
    }
}

/// The names a profile's display name pairs ("Степь Агро Трейд / Steppe Agro Trade", "Lykia Home Textiles | Lykia
/// Ev Tekstili A.Ş.", "Red Sea Polymers Trading - البحر الأحمر للبوليمرات"): each side of a slash, bar, dash or
/// spaced hyphen.
pub fn display_name_parts(name: &str) -> impl Iterator<Item = &str> {
    name.split(['/', '|', '–', '—'])
        .flat_map(|part| part.split(" - "))
        .map(str::trim)
        .filter(|part| !part.is_empty())
}

/// [`SubjectProfile::search_name`] without deriving the whole profile: what the planner asks of a subject.
pub fn search_name_of(subject: &Subject, display_core: &str) -> String {
    let distinctive = distinctive_tokens_of(&names::core_company_name(&subject.name), &places_of(subject));
    search_name_among(&distinctive, display_core)
}

/// The span of `display_core` from its first to its last distinctive word.
fn search_name_among(distinctive: &[String], display_core: &str) -> String {
    if distinctive.is_empty() {
        return display_core.to_string();
    }
    let words: Vec<&str> = display_core.split_whitespace().collect();
    let is_distinctive = |word: &&str| text::tokens(word).iter().any(|token| distinctive.contains(token));
    // The span from the first to the last distinctive word, so the query stays a contiguous part of the name.
    match (
        words.iter().position(is_distinctive),
        words.iter().rposition(is_distinctive),
    ) {
        (Some(first), Some(last)) => words[first..=last].join(" "),
        _ => display_core.to_string(),
    }
}

/// Folded tokens of the entered address and of the country's spellings: place names a trading name may lead with.
fn places_of(subject: &Subject) -> Vec<String> {
    let mut places: Vec<String> = subject.address.as_deref().map(text::tokens).unwrap_or_default();
    if let Some(code) = &subject.country {
        places.extend(
            countries::spellings_of(code.as_str())
                .iter()
                .flat_map(|name| text::tokens(name)),
        );
    }
    places
}

/// The core name's tokens less place and generic business words.
fn distinctive_tokens_of(core_name: &str, places: &[String]) -> Vec<String> {
    text::tokens(core_name)
        .into_iter()
        .filter(|token| !DESCRIPTOR_WORDS.contains(&token.as_str()) && !places.contains(token))
        .collect()
}

/// Abbreviations of business words in company names, with the word they stand for.
const NAME_ABBREVIATIONS: &[(&str, &str)] = &[
    ("intl", "international"),
    ("int", "international"),
    ("mfg", "manufacturing"),
    ("mfrs", "manufacturers"),
    ("corp", "corporation"),
    ("ind", "industries"),
    ("inds", "industries"),
    ("bros", "brothers"),
    ("tech", "technology"),
    ("svcs", "services"),
    ("dist", "distribution"),
    ("imp", "import"),
    ("exp", "export"),
    ("tr", "trading"),
    ("handelsges", "handels"),
];

/// A German business word compounded with "-gesellschaft" (company) is the word before it: "Handelsgesellschaft
/// mbH" is a "Handels-GmbH", "Vertriebsgesellschaft mbH" a "Vertriebs-GmbH" — the company word belongs to the
/// legal form, written into the word or not.
fn without_company_compound(token: String) -> String {
    const COMPANY_WORD: &str = "gesellschaft";
    match token.strip_suffix(COMPANY_WORD) {
        Some(stem) if stem.chars().count() >= 3 => stem.to_string(),
        _ => token,
    }
}

/// A name's tokens with abbreviations spelled out and connecting words ("the", "and", "&") left out.
fn business_words(name: &str) -> Vec<String> {
    text::tokens(&name.replace('&', " and "))
        .into_iter()
        .filter(|token| !matches!(token.as_str(), "the" | "and" | "of" | "und" | "et" | "y" | "e"))
        .map(without_company_compound)
        .map(|token| {
            NAME_ABBREVIATIONS
                .iter()
                .find(|(short, _)| *short == token)
                .map(|(_, long)| long.to_string())
                .unwrap_or(token)
        })
        .collect()
}

/// Two company names that are equal, or equal once the longer drops generic business words or the given
/// place words ("Zahra Bay Electronics" for "Zahra Bay Electronics Trading FZE"); at least two distinctive
/// tokens must remain, so "Ridgefold Outdoor Club" never passes for "Ridgefold Outdoor Supply".
pub fn company_names_compatible(a: &str, b: &str, places: &[String]) -> bool {
    if names::company_names_match(a, b) {
        return true;
    }
    let (left, right) = (
        text::tokens(&names::core_company_name(a)),
        text::tokens(&names::core_company_name(b)),
    );
    let (shorter, longer) = if left.len() <= right.len() {
        (&left, &right)
    } else {
        (&right, &left)
    };
    let droppable = |token: &String| DESCRIPTOR_WORDS.contains(&token.as_str()) || places.contains(token);
    let distinctive_shared = shorter.iter().filter(|token| !droppable(token)).count();
    distinctive_shared >= 2
        && shorter.iter().all(|token| longer.contains(token))
        && longer.iter().filter(|token| !shorter.contains(token)).all(droppable)
}

/// Splits "Sales Manager at Acme S.r.l." into the title and the employer. Between commas, the employer is the
/// part with a legal form, with the form's own commas ("General Manager, Overseas Sales Dept., Kawabata Valve Mfg.
/// Co., Ltd." → "Kawabata Valve Mfg. Co., Ltd."; "Managing Director, Mittal Knitwear Exports Pvt. Ltd., Ludhiana"
/// → "Mittal Knitwear Exports Pvt. Ltd."), since a title and a place may hold commas too; without one, all after
/// the first comma.
fn split_title(title: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(title) = title else {
        return (None, None);
    };
    if !title.contains(" at ") && !title.contains(" @ ") {
        let parts: Vec<&str> = title.split(", ").map(str::trim).collect();
        let with_form = |from: usize| {
            let to = (from + 1..parts.len())
                .take_while(|&next| names::is_only_legal_form(parts[next]))
                .last()
                .unwrap_or(from);
            let name = parts[from..=to].join(", ");
            names::has_legal_form(&name).then_some(name)
        };
        if let Some((from, employer)) = (1..parts.len())
            .rev()
            .find_map(|from| with_form(from).map(|name| (from, name)))
        {
            return (Some(parts[..from].join(", ")), Some(employer));
        }
        // "Individual entrepreneur (IP Volkov A.S.), wholesale truck parts": the company named in parentheses.
        if let Some((role, employer)) = parts[0].split_once('(').and_then(|(role, rest)| {
            let inside = rest.split_once(')')?.0.trim();
            names::has_legal_form(inside).then(|| (role.trim(), inside))
        }) {
            return (Some(role.to_string()), Some(employer.to_string()));
        }
    }
    for separator in [
        " at ", " @ ", ", ", " - ", " – ", " — ", " | ", " bei ", " chez ", " presso ",
    ] {
        if let Some((role, employer)) = title.split_once(separator) {
            let employer = employer.trim();
            // An organisation is named with a capital or a legal form; words all in lower case after a comma or
            // dash describe the role further ("Private client, retired company director"), they name no employer.
            let describes_role = separator != " at "
                && separator != " @ "
                && !employer.chars().any(char::is_uppercase)
                && employer.chars().any(char::is_lowercase)
                && !names::has_legal_form(employer);
            if !employer.is_empty() && !describes_role {
                return (Some(role.trim().to_string()), Some(employer.to_string()));
            }
        }
    }
    (Some(title.trim().to_string()), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_described_after_a_comma_in_lower_case_names_no_employer() {
        assert_eq!(
            split_title(Some("Private client (watch collector), retired company director")),
            (
                Some("Private client (watch collector), retired company director".into()),
                None
            )
        );
        assert_eq!(
            split_title(Some("Buyer, Andes Relojería")),
            (Some("Buyer".into()), Some("Andes Relojería".into())),
            "a capitalised name after the comma is still the employer"
        );
    }

    #[test]
    fn title_with_employer_is_split() {
        assert_eq!(
            split_title(Some("Sales Manager at Maioliche Verzoni S.r.l.")),
            (Some("Sales Manager".into()), Some("Maioliche Verzoni S.r.l.".into()))
        );
        assert_eq!(
            split_title(Some(
                "General Manager, Overseas Sales Dept., Kawabata Valve Mfg. Co., Ltd."
            )),
            (
                Some("General Manager, Overseas Sales Dept.".into()),
                Some("Kawabata Valve Mfg. Co., Ltd.".into())
            )
        );
        assert_eq!(
            split_title(Some("Managing Director, Mittal Knitwear Exports Pvt. Ltd., Ludhiana")),
            (
                Some("Managing Director".into()),
                Some("Mittal Knitwear Exports Pvt. Ltd.".into())
            )
        );
        assert_eq!(
            split_title(Some("Procurement Manager, Asempa Cocoa (Tema)")),
            (Some("Procurement Manager".into()), Some("Asempa Cocoa (Tema)".into()))
        );
        assert_eq!(
            split_title(Some(
                "Individual entrepreneur (IP Volkov A.S.), wholesale truck parts, Yekaterinburg"
            )),
            (Some("Individual entrepreneur".into()), Some("IP Volkov A.S.".into()))
        );
        assert_eq!(
            split_title(Some("Gerente de Comercio Exterior – Flores del Águila S.A.S.")),
            (
                Some("Gerente de Comercio Exterior".into()),
                Some("Flores del Águila S.A.S.".into())
            )
        );
        assert_eq!(
            split_title(Some("Export Manager")),
            (Some("Export Manager".into()), None)
        );
    }

    #[test]
    fn a_trading_name_without_its_descriptor_is_compatible() {
        assert!(company_names_compatible(
            "Zahra Bay Electronics Trading FZE",
            "Zahra Bay Electronics",
            &[]
        ));
        let places = vec!["hangzhou".to_string()];
        assert!(company_names_compatible(
            "Greenleaf Tea",
            "Hangzhou Greenleaf Tea Co., Ltd.",
            &places
        ));
    }

    #[test]
    fn a_name_cut_short_is_the_subjects_but_one_with_a_word_it_lacks_is_not() {
        let subject: Subject = serde_json::from_value(serde_json::json!({
            "kind": "company", "name": "Anadolu Denim Tekstil San. ve Tic. A.Ş.", "country": "TR"
        }))
        .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        assert!(profile.is_subject_name("Anadolu Denim"));
        assert!(!profile.is_subject_name("Anadolu"), "one word is too little");
        assert!(!profile.is_subject_name("Anadolu Denim Boya"), "a word the name lacks");
        assert!(!profile.is_subject_name("Anadolu Kumas Tekstil"));
    }

    #[test]
    fn a_display_name_pairing_two_names_is_the_subjects_when_either_is() {
        let subject: Subject = serde_json::from_value(serde_json::json!({
            "kind": "company", "name": "Red Sea Polymers Trading Co.", "country": "SA"
        }))
        .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        for name in [
            "Red Sea Polymers Trading - البحر الأحمر للبوليمرات",
            "البحر الأحمر | Red Sea Polymers Trading",
            "Red Sea Polymers Trading Co. / شركة البحر الأحمر",
        ] {
            assert!(profile.is_subject_display_name(name), "{name}");
        }
        assert!(!profile.is_subject_display_name("Red Sea Logistics - البحر الأحمر"));
        assert!(!profile.is_subject_display_name("Red-Sea Polymer-Works"));
    }

    #[test]
    fn another_legal_name_under_the_same_brand_conflicts_but_a_short_form_does_not() {
        let subject: Subject =
            serde_json::from_value(serde_json::json!({"kind": "company", "name": "Steppe Agro Export LLP"}))
                .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        assert!(profile.is_conflicting_name("Steppe Agro Trade LLP"));
        assert!(!profile.is_conflicting_name("Steppe Agro"));
        assert!(!profile.is_conflicting_name("Steppe Agro Export"));
        assert!(!profile.is_conflicting_name("Northern Grain Trade LLP"));
        let subject: Subject = serde_json::from_value(serde_json::json!({
            "kind": "company", "name": "The Visayas Coconut and Copra International Corp."
        }))
        .expect("a subject");
        assert!(!SubjectProfile::new(&subject).is_conflicting_name("Visayas Coconut & Copra Intl. Corp."));
    }

    #[test]
    fn a_german_company_compound_or_the_entered_local_name_is_no_other_legal_name() {
        let subject: Subject = serde_json::from_value(serde_json::json!({
            "kind": "company", "name": "HANSEATISCHE BUNTMETALL HANDELS GMBH & CO KG"
        }))
        .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        assert!(!profile.is_conflicting_name("Hanseatische Buntmetall-Handelsgesellschaft mbH & Co. KG"));
        assert!(!profile.is_conflicting_name("HANSEATISCHE BUNTMETALL HANDELSGES MBH & CO KG"));
        // Another business word is still another legal name.
        assert!(profile.is_conflicting_name("Hanseatische Buntmetall Import GmbH"));

        let subject: Subject = serde_json::from_value(serde_json::json!({
            "kind": "company", "name": "Steppe Agro Export LLP", "local_name": "Steppe Agro Trade LLP"
        }))
        .expect("a subject");
        let profile = SubjectProfile::new(&subject);
        assert!(!profile.is_conflicting_name("Steppe Agro Trade LLP"));
        assert!(profile.is_conflicting_name("Steppe Agro Trading LLP"));
    }

    #[test]
    fn a_different_business_under_a_shared_word_is_not_compatible() {
        assert!(!company_names_compatible(
            "Ridgefold Outdoor Supply Inc.",
            "Ridgefold Outdoor Club",
            &[]
        ));
        assert!(!company_names_compatible(
            "Brightwater Global Trading Ltd",
            "Brightwater Dental Practice",
            &[]
        ));
        assert!(!company_names_compatible(
            "Permata Palm Products Sdn Bhd",
            "Permata Beach Resort",
            &[]
        ));
    }
}

//! Domains: registrable domain by the public suffix list, free-mail providers, same-site tests.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

/// Top-level names reserved for documentation, tests and private networks; the public suffix list does not
/// know them, so their last two labels are taken as the registrable domain.
const RESERVED_TOP_LEVELS: &[&str] = &[
    "example",
    "test",
    "local",
    "localhost",
    "invalid",
    "internal",
    "lan",
    "home",
    "corp",
    "intranet",
    "private",
];

/// Free or consumer mailbox domains (whole registrable domains).
const FREE_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "msn.com",
    "me.com",
    "mac.com",
    "icloud.com",
    "proton.me",
    "pm.me",
    "protonmail.com",
    "protonmail.ch",
    "tutanota.com",
    "tutanota.de",
    "tuta.io",
    "tutamail.com",
    "tuta.com",
    "hushmail.com",
    "mail.com",
    "email.com",
    "usa.com",
    "post.com",
    "fastmail.com",
    "fastmail.fm",
    "runbox.com",
    "posteo.de",
    "mailbox.org",
    "zoho.com",
    "zohomail.com",
    "zohomail.in",
    "yandex.com",
    "ya.ru",
    "lycos.com",
    "excite.com",
    "rocketmail.com",
    "ymail.com",
    "passport.com",
    "hey.com",
    "duck.com",
    "aim.com",
    // Germany, Austria, Switzerland
    "web.de",
    "t-online.de",
    "freenet.de",
    "arcor.de",
    "bluewin.ch",
    "gmx.net",
    // France, Italy, Spain, Portugal
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "sfr.fr",
    "laposte.net",
    "neuf.fr",
    "libero.it",
    "virgilio.it",
    "tiscali.it",
    "alice.it",
    "tin.it",
    "email.it",
    "sapo.pt",
    "terra.es",
    "telefonica.net",
    // Central and Eastern Europe, Russia
    "seznam.cz",
    "email.cz",
    "centrum.cz",
    "atlas.cz",
    "post.cz",
    "azet.sk",
    "centrum.sk",
    "interia.pl",
    "wp.pl",
    "o2.pl",
    "onet.pl",
    "op.pl",
    "gazeta.pl",
    "abv.bg",
    "ukr.net",
    "i.ua",
    "meta.ua",
    "mail.ru",
    "bk.ru",
    "list.ru",
    "internet.ru",
    "rambler.ru",
    "mail.ee",
    "freemail.hu",
    "citromail.hu",
    // United Kingdom, North America, Australia
    "btinternet.com",
    "sky.com",
    "virginmedia.com",
    "talktalk.net",
    "ntlworld.com",
    "blueyonder.co.uk",
    "comcast.net",
    "verizon.net",
    "att.net",
    "sbcglobal.net",
    "bellsouth.net",
    "cox.net",
    "charter.net",
    "earthlink.net",
    "juno.com",
    "netzero.net",
    "shaw.ca",
    "rogers.com",
    "sympatico.ca",
    "telus.net",
    "videotron.ca",
    "bigpond.com",
    "bigpond.net.au",
    "optusnet.com.au",
    "iinet.net.au",
    "xtra.co.nz",
    // China, Hong Kong, Taiwan
    "qq.com",
    "foxmail.com",
    "163.com",
    "126.com",
    "yeah.net",
    "188.com",
    "sina.com",
    "sina.cn",
    "sohu.com",
    "aliyun.com",
    "139.com",
    "189.cn",
    "wo.cn",
    "tom.com",
    "21cn.com",
    "netvigator.com",
    "hinet.net",
    "pchome.com.tw",
    "outlook.com",
    // Korea, Japan, India, Southeast Asia, Middle East, Latin America
    "naver.com",
    "daum.net",
    "hanmail.net",
    "nate.com",
    "kakao.com",
    "docomo.ne.jp",
    "ezweb.ne.jp",
    "softbank.ne.jp",
    "nifty.com",
    "rediffmail.com",
    "rediff.com",
    "indiatimes.com",
    "sify.com",
    "singnet.com.sg",
    "walla.co.il",
    "uol.com.br",
    "bol.com.br",
    "terra.com.br",
    "ig.com.br",
    "prodigy.net.mx",
    // Disposable mailboxes
    "yopmail.com",
    "mailinator.com",
    "guerrillamail.com",
    "10minutemail.com",
    "temp-mail.org",
    "trashmail.com",
    "sharklasers.com",
    "getnada.com",
];

/// Providers that run free mail under many country domains (yahoo.co.jp, hotmail.fr, gmx.de, yandex.kz ...),
/// matched on the label in front of the public suffix.
const FREE_MAIL_BRANDS: &[&str] = &[
    "yahoo",
    "ymail",
    "hotmail",
    "outlook",
    "live",
    "windowslive",
    "msn",
    "gmx",
    "yandex",
    "aol",
    "inbox",
    "gmail",
    "icloud",
    "protonmail",
    "tutanota",
    "mail",
    "rambler",
    "seznam",
    "rediffmail",
    "zoho",
    "zohomail",
    "naver",
    "hanmail",
    "libero",
    "wanadoo",
    "orange",
    "laposte",
    "web",
    "bigpond",
    "yopmail",
    "mailinator",
];

/// Free-mail brands whose short label also names ordinary businesses elsewhere; they count only on these suffixes.
const BRANDS_ON_GENERIC_SUFFIXES_ONLY: &[&str] = &["mail", "web", "orange", "inbox"];

static FREE_MAIL_DOMAIN_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| FREE_MAIL_DOMAINS.iter().copied().collect());

static EMAIL_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:mailto:)?([a-z0-9][a-z0-9._%+\-]*@(?:[a-z0-9\-\p{L}]+\.)+[a-z\p{L}]{2,})")
        .expect("e-mail pattern compiles")
});
/// "name [at] domain [dot] com"; its word boundary is an ASCII one, read through `captures_at_word_starts`.
static OBFUSCATED_EMAIL_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)([a-z0-9][a-z0-9._%+\-]*)\s*[\[(]\s*at\s*[\])]\s*([a-z0-9\-]+(?:(?:\s*[\[(]\s*dot\s*[\])]\s*|\.)[a-z0-9\-]+)+)")
        .expect("obfuscated e-mail pattern compiles")
});
static OBFUSCATED_DOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\s*[\[(]\s*dot\s*[\])]\s*").expect("dot pattern compiles"));

/// The host part of a host name, URL or e-mail address, lower case and without port, path or trailing dot.
fn host_of(host_or_url: &str) -> Option<String> {
    let trimmed = host_or_url.trim().trim_start_matches("mailto:");
    let host = if trimmed.contains("://") {
        url::Url::parse(trimmed).ok()?.host_str()?.to_string()
    } else if let Some((_, domain)) = trimmed.rsplit_once('@') {
        domain.to_string()
    } else {
        let without_path = trimmed.split(['/', '?', '#']).next().unwrap_or_default();
        let without_port = match without_path.rsplit_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
            _ => without_path,
        };
        without_port.to_string()
    };
    let host = host.trim().trim_end_matches('.').to_lowercase();
    let well_formed = !host.is_empty()
        && host
            .split('.')
            .all(|label| !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-'));
    let is_ip_address = host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[');
    (well_formed && !is_ip_address).then_some(host)
}

/// The registrable domain (eTLD+1) of a host, URL or e-mail domain, lower case.
pub fn registrable_domain(host_or_url: &str) -> Option<String> {
    let host = host_of(host_or_url)?;
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return None;
    }
    let last_two = || labels[labels.len() - 2..].join(".");
    let top_level = labels.last().copied().unwrap_or_default();
    if RESERVED_TOP_LEVELS.contains(&top_level) {
        return Some(last_two());
    }
    let suffix_known = psl::suffix(host.as_bytes()).is_some_and(|suffix| suffix.is_known());
    if !suffix_known {
        return Some(last_two());
    }
    psl::domain_str(&host).map(str::to_string)
}

/// Whether the domain belongs to a free or consumer e-mail provider (gmail.com, 163.com, qq.com, outlook.com ...).
pub fn is_free_mail(domain: &str) -> bool {
    let Some(registrable) = registrable_domain(domain) else {
        return false;
    };
    if FREE_MAIL_DOMAIN_SET.contains(registrable.as_str()) {
        return true;
    }
    let Some((brand, suffix)) = registrable.split_once('.') else {
        return false;
    };
    if !FREE_MAIL_BRANDS.contains(&brand) {
        return false;
    }
    if BRANDS_ON_GENERIC_SUFFIXES_ONLY.contains(&brand) {
        return matches!(
            suffix,
            "com" | "net" | "ru" | "de" | "fr" | "it" | "lv" | "ee" | "lt" | "ua" | "kz" | "by"
        );
    }
    true
}

/// Whether two hosts/URLs/e-mail domains share a registrable domain.
pub fn same_site(a: &str, b: &str) -> bool {
    match (registrable_domain(a), registrable_domain(b)) {
        (Some(left), Some(right)) => left == right,
        _ => false,
    }
}

/// Whether `candidate` imitates `official` without being it: the same name under another suffix
/// (`acme.co` for `acme.com`), with a hyphen or dot added or dropped (`al-reem.ae` for `alreem.ae`), a short
/// hyphenated tag (`acme-sa`), one letter added, dropped, changed or two swapped, or a look-alike glyph (0 for o,
/// 1 or i for l, rn for m, vv for w).
/// Names shorter than five letters are left alone: one letter apart, they are as often two real companies.
pub fn is_look_alike(candidate: &str, official: &str) -> bool {
    let (Some(candidate), Some(official)) = (registrable_domain(candidate), registrable_domain(official)) else {
        return false;
    };
    if candidate == official {
        return false;
    }
    let name = |domain: &str| {
        domain
            .split_once('.')
            .map_or(domain.to_string(), |(name, _)| name.to_string())
    };
    let (left, right) = (name(&candidate), name(&official));
    if left == right {
        return true;
    }
    let plain = |name: &str| name.replace(['-', '.'], "");
    let glyphs = |name: &str| {
        plain(name)
            .replace('0', "o")
            .replace(['1', 'i'], "l")
            .replace("rn", "m")
            .replace("vv", "w")
    };
    if plain(&left) == plain(&right) || glyphs(&left) == glyphs(&right) {
        return true;
    }
    // The official name with a short hyphenated tag ("acme-sa", "uk-acme", "acme-group").
    let tagged = |longer: &str, name: &str| {
        longer
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('-'))
            .or_else(|| longer.strip_suffix(name).and_then(|rest| rest.strip_suffix('-')))
            .is_some_and(|tag| (1..=6).contains(&tag.len()))
    };
    if tagged(&left, &right) || tagged(&right, &left) {
        return true;
    }
    left.chars().count().min(right.chars().count()) >= 5 && one_edit_apart(&left, &right)
}

/// One insertion, deletion, substitution or swap of neighbours turns `a` into `b`.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (a_rest, b_rest) = (&a[prefix..], &b[prefix..]);
    match (a_rest.len(), b_rest.len()) {
        (x, y) if x == y => {
            a_rest[1..] == b_rest[1..]
                || (x >= 2 && a_rest[0] == b_rest[1] && a_rest[1] == b_rest[0] && a_rest[2..] == b_rest[2..])
        }
        (x, y) if x == y + 1 => a_rest[1..] == *b_rest,
        (x, y) if x + 1 == y => *a_rest == b_rest[1..],
        _ => false,
    }
}

/// E-mail addresses found in free text, lower case, in order of appearance, without duplicates.
/// Also reads the "name [at] domain [dot] com" spelling used to hide addresses from harvesters.
pub fn emails_in(text: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = EMAIL_IN_TEXT
        .captures_iter(text)
        .filter_map(|captures| captures.get(1))
        .map(|address| {
            (
                address.start(),
                address.as_str().trim_end_matches(['.', '-']).to_lowercase(),
            )
        })
        .collect();
    for captures in super::text::captures_at_word_starts(&OBFUSCATED_EMAIL_IN_TEXT, text) {
        let (Some(local), Some(domain)) = (captures.get(1), captures.get(2)) else {
            continue;
        };
        let domain = OBFUSCATED_DOT.replace_all(domain.as_str(), ".");
        found.push((local.start(), format!("{}@{}", local.as_str(), domain).to_lowercase()));
    }
    found.sort_by_key(|(start, _)| *start);
    let mut seen = HashSet::new();
    found
        .into_iter()
        .map(|(_, address)| address)
        .filter(|address| address.contains('@') && seen.insert(address.clone()))
        .collect()
}

/// Whether free text names the domain (or a host under it) as a whole name: "emails from 'acme-sa.example'" and
/// "mail.acme-sa.example" name `acme-sa.example`; "acme-sa.example.com" and "myacme-sa.example" do not.
pub fn names_domain(text: &str, domain: &str) -> bool {
    let Some(wanted) = registrable_domain(domain) else {
        return false;
    };
    let lower = text.to_lowercase();
    let is_name_char = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    lower.match_indices(&wanted).any(|(start, _)| {
        let before = lower[..start].chars().next_back();
        let mut after = lower[start + wanted.len()..].chars();
        let starts_whole = before.is_none_or(|c| !is_name_char(c));
        let ends_whole = match after.next() {
            None => true,
            // A dot ends a sentence, unless a longer host name goes on after it.
            Some('.') => after.next().is_none_or(|c| !is_name_char(c)),
            Some(c) => !is_name_char(c),
        };
        starts_whole && ends_whole
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_is_named_in_text_only_as_a_whole_host_name() {
        for text in [
            "Emails from 'acme-sa.example' are not ours.",
            "Our only domain is acme-sa.example.",
            "Write to sales@mail.acme-sa.example for quotes",
            "ACME-SA.EXAMPLE (fake)",
        ] {
            assert!(names_domain(text, "acme-sa.example"), "{text}");
        }
        for text in [
            "Visit acme-sa.example.com for more.",
            "myacme-sa.example is another shop",
            "acme.example only",
        ] {
            assert!(!names_domain(text, "acme-sa.example"), "{text}");
        }
    }

    #[test]
    fn registrable_domain_follows_the_public_suffix_list() {
        let cases = [
            ("https://www.greenleaf-tea.com/about?x=1", Some("greenleaf-tea.com")),
            ("shop.example.co.uk", Some("example.co.uk")),
            ("WWW.Example.COM.", Some("example.com")),
            ("sales@mail.greenleaf.com.cn", Some("greenleaf.com.cn")),
            ("greenleaf.com:8080/path", Some("greenleaf.com")),
            ("mailto:info@ridgefold.example", Some("ridgefold.example")),
            ("https://shop.ridgefold.example/contact", Some("ridgefold.example")),
            ("api.internal.test", Some("internal.test")),
            ("printer.local", Some("printer.local")),
            ("foo.github.io", Some("foo.github.io")),
            ("localhost", None),
            ("192.168.0.1", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(registrable_domain(input).as_deref(), expected, "{input}");
        }
    }

    #[test]
    fn free_mail_providers_are_recognized_in_every_country_variant() {
        let free = [
            "gmail.com",
            "yahoo.co.jp",
            "yahoo.com.tw",
            "hotmail.fr",
            "outlook.com",
            "live.co.uk",
            "gmx.de",
            "web.de",
            "mail.ru",
            "yandex.kz",
            "qq.com",
            "vip.163.com",
            "126.com",
            "naver.com",
            "hanmail.net",
            "rediffmail.com",
            "icloud.com",
            "proton.me",
            "libero.it",
            "seznam.cz",
            "orange.fr",
            "inbox.lv",
        ];
        for domain in free {
            assert!(is_free_mail(domain), "{domain}");
        }
    }

    #[test]
    fn company_domains_are_not_free_mail() {
        let company = [
            "greenleaf-tea.com",
            "ridgefold.example",
            "orange-logistics.co.uk",
            "mail.greenleaf.com",
            "webshop.de",
            "live-events.com.au",
        ];
        for domain in company {
            assert!(!is_free_mail(domain), "{domain}");
        }
    }

    #[test]
    fn same_site_compares_registrable_domains() {
        assert!(same_site("https://www.greenleaf.com/en", "sales@greenleaf.com"));
        assert!(same_site("shop.greenleaf.co.uk", "greenleaf.co.uk"));
        assert!(!same_site("greenleaf.co.uk", "greenleaf.com"));
        assert!(!same_site("alice.github.io", "bob.github.io"));
        assert!(!same_site("localhost", "localhost"));
    }

    #[test]
    fn emails_are_found_in_text_and_mailto_links() {
        let text = "Write to Sales@Greenleaf.com or <a href=\"mailto:info@greenleaf.com\">us</a>. \
                    Private: wei.li [at] gmail [dot] com. Again sales@greenleaf.com.";
        assert_eq!(
            emails_in(text),
            ["sales@greenleaf.com", "info@greenleaf.com", "wei.li@gmail.com"]
        );
        assert!(emails_in("no address here, just @mentions").is_empty());
    }

    #[test]
    fn a_hidden_address_starts_at_a_word_in_any_script() {
        // "Müller" is one word: no hidden address starts at its "ller".
        assert!(emails_in("Müller [at] example [dot] com").is_empty());
        assert_eq!(emails_in("café: info [at] example [dot] com"), ["info@example.com"]);
    }

    #[test]
    fn a_domain_one_trick_away_from_the_official_one_is_a_look_alike() {
        for (candidate, official) in [
            ("al-reemfoodstuff.example", "alreemfoodstuff.example"),
            ("https://www.tokai-seiko.co", "tokai-seiko.com"),
            ("olivarescazoria.example", "olivarescazorla.example"),
            ("greenleaf-tea.example", "greenleaftea.example"),
            ("mekongbrigth.example", "mekongbright.example"),
            ("redseapolymers-sa.example", "redseapolymers.example"),
        ] {
            assert!(is_look_alike(candidate, official), "{candidate} / {official}");
        }
        for (candidate, official) in [
            ("alreemfoodstuff.example", "www.alreemfoodstuff.example"),
            ("acme.example", "acmy.example"),
            ("northwind.example", "southwind.example"),
            ("gmail.com", "alreemfoodstuff.example"),
        ] {
            assert!(!is_look_alike(candidate, official), "{candidate} / {official}");
        }
    }
}

//! The check request as the customer sends it (`POST /checks`), parsed into types that carry their rules.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::channel::Channel;
use crate::error::InvalidInput;

/// The body of `POST /checks`, exactly as SCENARIOS.md defines `request`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    pub subject: Subject,
    /// The channels to search; all six when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<Channel>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<HttpUrl>,
}

impl CheckRequest {
    /// Parses a request body; the error names the offending field by its JSON path.
    pub fn from_json(body: &[u8]) -> Result<Self, InvalidInput> {
        // Tracking the path costs every request; only a refused one needs it, so it is read again to name the field.
        let request = match Self::deserialize(&mut serde_json::Deserializer::from_slice(body)) {
            Ok(request) => request,
            Err(_) => {
                let deserializer = &mut serde_json::Deserializer::from_slice(body);
                serde_path_to_error::deserialize::<_, Self>(deserializer).map_err(|err| {
                    let path = err.path().to_string();
                    let field = if path == "." || path == "?" { "body" } else { &path };
                    InvalidInput::new(field, err.into_inner().to_string())
                })?
            }
        };
        request.check_rules()?;
        Ok(request)
    }

    /// Parses a JSON value (a scenario's `request`, a batch element) with the same rules as a body.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, InvalidInput> {
        Self::from_json(value.to_string().as_bytes())
    }

    fn check_rules(&self) -> Result<(), InvalidInput> {
        if self.subject.name.trim().is_empty() {
            return Err(InvalidInput::new("subject.name", "must not be empty"));
        }
        if let Some(channels) = &self.channels {
            if channels.is_empty() {
                return Err(InvalidInput::new("channels", "must name at least one channel"));
            }
            let unique: BTreeSet<_> = channels.iter().collect();
            if unique.len() != channels.len() {
                return Err(InvalidInput::new("channels", "names a channel twice"));
            }
        }
        Ok(())
    }

    /// The channels this check searches, in the canonical order.
    pub fn requested_channels(&self) -> Vec<Channel> {
        match &self.channels {
            Some(channels) => Channel::ALL
                .into_iter()
                .filter(|channel| channels.contains(channel))
                .collect(),
            None => Channel::ALL.to_vec(),
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang.unwrap_or_default()
    }
}

/// The company or person being checked, as the customer entered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub kind: SubjectKind,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<HttpUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub social: Option<Social>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade: Option<Trade>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Company,
    Person,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    Zh,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Social {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkedin: Option<HttpUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facebook: Option<HttpUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twitter: Option<TwitterHandle>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trade {
    pub role: TradeRole,
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub hs_codes: Vec<HsCode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeRole {
    Exporter,
    Importer,
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                $name::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode(String);
string_newtype!(CountryCode);

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        if crate::countries::name_of(&code).is_some() {
            Ok(Self(code))
        } else {
            Err(format!("`{raw}` is not an ISO 3166-1 alpha-2 country code"))
        }
    }

    /// The English short name, e.g. "China" for CN.
    pub fn english_name(&self) -> &'static str {
        crate::countries::name_of(&self.0).unwrap_or("")
    }
}

/// An absolute http(s) URL with a host; a bare host name gets `https://`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl(String);
string_newtype!(HttpUrl);

impl HttpUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_string()
        } else {
            format!("https://{trimmed}")
        };
        let url = url::Url::parse(&with_scheme).map_err(|err| format!("`{raw}` is not a URL: {err}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("`{raw}` must be an http or https URL"));
        }
        match url.host_str() {
            Some(host) if host.contains('.') || host == "localhost" => Ok(Self(url.into())),
            _ => Err(format!("`{raw}` has no host name")),
        }
    }

    pub fn url(&self) -> url::Url {
        url::Url::parse(&self.0).expect("HttpUrl holds a parsed URL")
    }

    /// The host name in lower case, without a leading `www.`.
    pub fn host(&self) -> String {
        let url = self.url();
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        host.strip_prefix("www.").map(str::to_string).unwrap_or(host)
    }
}

/// An e-mail address `local@domain` with a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);
string_newtype!(Email);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        let (local, domain) = trimmed
            .rsplit_once('@')
            .ok_or_else(|| format!("`{raw}` is not an e-mail address (no @)"))?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.contains(char::is_whitespace) || !domain_ok {
            return Err(format!("`{raw}` is not an e-mail address"));
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, domain)| domain).unwrap_or_default()
    }
}

/// A phone number in any human format; it must hold 6 to 17 digits. Compared as E.164 by the judge.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);
string_newtype!(Phone);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let digits = raw.chars().filter(char::is_ascii_digit).count();
        let allowed = raw
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().\u{a0}/x".contains(c) || c.is_alphabetic());
        if !(6..=17).contains(&digits) || !allowed {
            return Err(format!("`{raw}` is not a phone number"));
        }
        Ok(Self(raw.trim().to_string()))
    }
}

/// An X/Twitter username without the `@` (letters, digits, underscore); a profile URL is accepted too.
/// X allows 15 characters today; longer legacy or mistyped handles are kept (the lookup then finds nothing)
/// rather than refusing the whole check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TwitterHandle(String);
string_newtype!(TwitterHandle);

impl TwitterHandle {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        let handle = if trimmed.contains("twitter.com/") || trimmed.contains("x.com/") {
            trimmed
                .split_once(".com/")
                .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or_default())
                .unwrap_or_default()
        } else {
            trimmed.strip_prefix('@').unwrap_or(trimmed)
        };
        let valid = (1..=50).contains(&handle.len()) && handle.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            Ok(Self(handle.to_string()))
        } else {
            Err(format!("`{raw}` is not an X/Twitter handle"))
        }
    }
}

/// A Harmonized System code: 2 to 10 digits (dots and spaces ignored).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HsCode(String);
string_newtype!(HsCode);

impl HsCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let digits: String = raw.chars().filter(|c| !matches!(c, '.' | ' ')).collect();
        if (2..=10).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(format!("`{raw}` is not an HS code"))
        }
    }

    /// The 4-digit heading (or the chapter when only 2 digits were given).
    pub fn heading(&self) -> &str {
        &self.0[..self.0.len().min(4)]
    }

    pub fn chapter(&self) -> &str {
        &self.0[..2]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_is_rejected_with_its_path() {
        let body = br#"{"subject": {"kind": "company", "name": "A", "nmae": "typo"}}"#;
        let err = CheckRequest::from_json(body).unwrap_err();
        assert_eq!(err.field, "subject.nmae");
        assert!(err.message.contains("nmae"), "{}", err.message);
    }

    #[test]
    fn bad_country_names_the_field() {
        let body = br#"{"subject": {"kind": "company", "name": "A", "country": "XX"}}"#;
        let err = CheckRequest::from_json(body).unwrap_err();
        assert_eq!(err.field, "subject.country");
    }

    #[test]
    fn nested_bad_handle_names_the_full_path() {
        let body = br#"{"subject": {"kind": "company", "name": "A", "social": {"twitter": "no spaces allowed"}}}"#;
        let err = CheckRequest::from_json(body).unwrap_err();
        assert_eq!(err.field, "subject.social.twitter");
    }

    #[test]
    fn a_body_that_is_not_json_names_the_body() {
        assert_eq!(CheckRequest::from_json(b"{not json").unwrap_err().field, "body");
    }

    #[test]
    fn empty_name_is_rejected() {
        let err = CheckRequest::from_json(br#"{"subject": {"kind": "person", "name": "  "}}"#).unwrap_err();
        assert_eq!(err.field, "subject.name");
    }

    #[test]
    fn channels_default_to_all_six_in_canonical_order() {
        let request = CheckRequest::from_json(
            br#"{"subject": {"kind": "company", "name": "A"}, "channels": ["website", "search"]}"#,
        )
        .unwrap();
        assert_eq!(request.requested_channels(), vec![Channel::Search, Channel::Website]);
    }

    #[test]
    fn newtypes_normalize_what_they_accept() {
        assert_eq!(CountryCode::parse("cn").unwrap().as_str(), "CN");
        assert_eq!(TwitterHandle::parse("@greenleaftea").unwrap().as_str(), "greenleaftea");
        assert_eq!(
            TwitterHandle::parse("https://x.com/acme_co").unwrap().as_str(),
            "acme_co"
        );
        assert_eq!(HttpUrl::parse("www.Example.com").unwrap().host(), "example.com");
        assert_eq!(Email::parse("Sales@Example.COM").unwrap().domain(), "example.com");
        assert_eq!(HsCode::parse("0902.10").unwrap().heading(), "0902");
        assert!(Phone::parse("(503) 555-0142").is_ok());
        assert!(Phone::parse("12").is_err());
        assert!(HttpUrl::parse("ftp://example.com").is_err());
        assert!(Email::parse("not-an-email").is_err());
    }
}

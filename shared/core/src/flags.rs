//! Risk flags: the fixed vocabulary of SCENARIOS.md.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A named risk indicator a channel or the summary raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    IdentityNotFound,
    NameMismatch,
    AddressMismatch,
    PhoneMismatch,
    EmailDomainMismatch,
    FreeEmailDomain,
    WebsiteUnreachable,
    WebsiteRecentlyRegistered,
    WebsiteContentMismatch,
    NoTradeHistory,
    TradeProfileMismatch,
    ContactNotVerified,
    AdverseMedia,
    PromptInjection,
}

impl Flag {
    pub const ALL: [Flag; 14] = [
        Flag::IdentityNotFound,
        Flag::NameMismatch,
        Flag::AddressMismatch,
        Flag::PhoneMismatch,
        Flag::EmailDomainMismatch,
        Flag::FreeEmailDomain,
        Flag::WebsiteUnreachable,
        Flag::WebsiteRecentlyRegistered,
        Flag::WebsiteContentMismatch,
        Flag::NoTradeHistory,
        Flag::TradeProfileMismatch,
        Flag::ContactNotVerified,
        Flag::AdverseMedia,
        Flag::PromptInjection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::IdentityNotFound => "identity_not_found",
            Flag::NameMismatch => "name_mismatch",
            Flag::AddressMismatch => "address_mismatch",
            Flag::PhoneMismatch => "phone_mismatch",
            Flag::EmailDomainMismatch => "email_domain_mismatch",
            Flag::FreeEmailDomain => "free_email_domain",
            Flag::WebsiteUnreachable => "website_unreachable",
            Flag::WebsiteRecentlyRegistered => "website_recently_registered",
            Flag::WebsiteContentMismatch => "website_content_mismatch",
            Flag::NoTradeHistory => "no_trade_history",
            Flag::TradeProfileMismatch => "trade_profile_mismatch",
            Flag::ContactNotVerified => "contact_not_verified",
            Flag::AdverseMedia => "adverse_media",
            Flag::PromptInjection => "prompt_injection",
        }
    }

    pub fn parse(raw: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|flag| flag.as_str() == raw)
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

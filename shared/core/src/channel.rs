//! The six evidence channels.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One place evidence comes from; each has its own provider, collector and judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Search,
    Customs,
    Linkedin,
    Facebook,
    Twitter,
    Website,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Search,
        Channel::Customs,
        Channel::Linkedin,
        Channel::Facebook,
        Channel::Twitter,
        Channel::Website,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Search => "search",
            Channel::Customs => "customs",
            Channel::Linkedin => "linkedin",
            Channel::Facebook => "facebook",
            Channel::Twitter => "twitter",
            Channel::Website => "website",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|channel| channel.as_str() == raw)
            .ok_or_else(|| {
                format!("unknown channel `{raw}` (one of search, customs, linkedin, facebook, twitter, website)")
            })
    }
}

//! shadowhunter-providers: one adapter per channel, each speaking its provider's real wire format.
//!
//! | channel  | provider                 | module      |
//! |----------|--------------------------|-------------|
//! | search   | Brave Search API         | [`brave`]    |
//! | customs  | Sayari trade search      | [`sayari`]   |
//! | linkedin | People Data Labs         | [`pdl`]      |
//! | facebook | Facebook Graph API       | [`facebook`] |
//! | twitter  | X API v2                 | [`x`]        |
//! | website  | crawler + RDAP           | [`website`]  |
//!
//! [`resilient`] puts any of them behind its provider's quota, circuit breaker and response cache.

pub mod brave;
pub mod config;
pub mod facebook;
pub mod http;
pub mod limits;
pub mod llm;
pub mod pdl;
pub mod resilient;
pub mod sayari;
#[cfg(test)]
pub(crate) mod test_support;
mod text;
pub mod website;
pub mod x;

pub use config::{Endpoint, LimitsTable, ProviderConfig, ProviderLimits, WebsiteConfig};

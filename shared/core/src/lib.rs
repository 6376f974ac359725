//! shadowhunter-core: the domain of a background check, free of any runtime or cloud dependency.
//!
//! A check runs as three steps a state machine can call one at a time — `collect`, `compare`,
//! `summarize` (see [`pipeline`]) — over narrow ports ([`ports`]).

pub mod channel;
pub mod check;
pub mod countries;
pub mod error;
pub mod evidence;
pub mod flags;
pub mod judge;
pub mod llm;
pub mod matching;
pub mod pipeline;
pub mod planner;
pub mod ports;
pub mod profile;
pub mod report;
pub mod request;
pub mod risk;
pub mod steps;
pub mod submission;
pub mod verdict;

pub use channel::Channel;
pub use check::{Check, CheckId, CheckStatus};
pub use error::{ErrorBody, ErrorKind, InvalidInput};
pub use evidence::{Evidence, Finding, Lookup, ProviderCall, ProviderError, Record};
pub use flags::Flag;
pub use report::{Report, RiskLevel};
pub use request::{CheckRequest, Subject, SubjectKind};
pub use verdict::{ChannelVerdict, Field, FieldComparison, Outcome, Verdict};

//! The integration suite: one binary, a module per feature, talking only to loopback.

mod aws;
mod eval;
mod faults;
mod http_api;
mod llm;
mod serverless;
mod statemachine;
mod support;

//! The Lambda functions: thin translators between AWS events and the domain core. Each handler decodes its
//! event, calls one domain function and encodes the answer; `main` in `src/bin/*` only wires (tracing, config
//! read once at cold start, clients built once).
//!
//! | binary | trigger | domain call |
//! |---|---|---|
//! | `api` | API Gateway HTTP API | [`api::handle`] over `shadowhunter_core::submission` |
//! | `ingest` | SQS batch | [`ingest::handle`]: one execution per check |
//! | `collector` | Step Functions task, one function per channel | `steps::collect_step` |
//! | `comparator` | Step Functions task, one function per channel | `steps::compare_step` |
//! | `summary` | Step Functions task | `steps::summary_step` |

pub mod api;
pub mod config;
pub mod ingest;
pub mod metrics;
pub mod tasks;
pub mod wiring;

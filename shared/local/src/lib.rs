//! shadowhunter-local: the embedded runtime — SQLite store, durable queue, worker pool, HTTP API, eval and demo.

pub mod api;
pub mod app;
pub mod bench;
pub mod capacity;
pub mod demo;
pub mod eval;
pub mod execution_store;
pub mod metrics;
pub mod queue;
pub mod render;
pub mod response_cache;
pub mod runner;
pub mod sandboxed;
pub mod serve;
pub mod store;
pub mod workflow;
mod writer;

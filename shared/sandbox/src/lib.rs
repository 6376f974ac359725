//! shadowhunter-sandbox: scenario files and the loopback server that plays every provider for them.

pub mod latency;
pub mod llm;
pub mod providers;
pub mod scenario;
pub mod server;

pub use latency::LatencyProfile;
pub use scenario::{Expected, Fault, Scenario, World};
pub use server::{ProviderSlug, RunningSandbox, Sandbox};

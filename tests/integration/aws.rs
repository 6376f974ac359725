//! The AWS adapters (`shadowhunter-aws`) with the real SDK clients against moto's server, and the port contracts
//! they share with the embedded SQLite adapters. See `aws/moto.rs` for how the server is found or started.

pub mod fixtures;
pub mod moto;
mod response_cache;
mod sqs;
mod step_functions;
mod store;

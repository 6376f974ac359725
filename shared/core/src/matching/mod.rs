//! Deterministic matching of entered values against found ones: names, addresses, phones, domains, products, and text signals.
//!
//! Every function here is pure and table-tested; the judge composes them.

pub mod address;
pub mod business;
pub mod domain;
pub mod names;
pub mod phone;
pub mod signals;
pub mod text;

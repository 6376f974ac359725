//! The provider APIs the sandbox impersonates, one module each, in their real wire formats.

pub mod brave;
pub mod facebook;
pub mod pdl;
pub mod rdap;
pub mod sayari;
pub mod web;
pub mod x;

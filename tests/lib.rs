//! Shared helpers for the integration suite live in `integration/`; this crate only hosts it.

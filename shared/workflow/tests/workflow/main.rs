//! Conformance tests of the executor against the Amazon States Language specification's examples, and runs of
//! `statemachine/check.asl.json` with scripted Lambda handlers.

mod catch;
mod check_machine;
mod choice;
mod definition;
mod input_output;
mod intrinsics;
mod map;
mod retry;
mod support;

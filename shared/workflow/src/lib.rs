//! An in-process executor for the subset of the Amazon States Language that `statemachine/*.asl.json` uses.

#!/usr/bin/env bash
# The project's test command (README): formatting, lints, then every test in the workspace, built once.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked

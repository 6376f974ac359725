#!/usr/bin/env bash
# The project's test command (README): formatting, lints, then every test in the workspace, built once.
# Ends with one summary line, "tests: N passed, N failed", summed over every test binary.
set -euo pipefail
cd "$(dirname "$0")/.."
# The AWS adapter tests talk to moto's server (PyPI); install it when missing and start it once.
if ! command -v moto_server >/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check 'moto[server]==5.2.1'
fi
eval "$(scripts/moto.sh)"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
exit "$status"

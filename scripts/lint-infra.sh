#!/usr/bin/env bash
# Lints the deployment: the SAM template with cfn-lint, every state machine definition with asl-validator.
# Exits non-zero on any finding of either (cfn-lint errors or warnings, an invalid definition).
#
# cfn-lint comes from PyPI (`pip install cfn-lint`). asl-validator (npm, 4.x) is installed on first use into
# target/lint-tools/node, which is project-local and ignored by git through /target; `cargo clean` removes it and
# the next run installs it again.
set -uo pipefail
cd "$(dirname "$0")/.."

tools=target/lint-tools/node
asl_validator="$tools/node_modules/.bin/asl-validator"
asl_validator_spec="${ASL_VALIDATOR_SPEC:-asl-validator@4}"

status=0

echo "== cfn-lint infra/template.yaml"
if ! command -v cfn-lint >/dev/null; then
    echo "cfn-lint is not installed: pip install cfn-lint" >&2
    status=1
elif cfn-lint infra/template.yaml; then
    echo "ok"
else
    status=1
fi

if [[ ! -x "$asl_validator" ]]; then
    echo "== installing $asl_validator_spec into $tools"
    if ! command -v npm >/dev/null; then
        echo "npm is not installed; it is needed for asl-validator" >&2
        exit 1
    fi
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "$asl_validator_spec" >&2 || exit 1
fi

for definition in statemachine/*.asl.json; do
    echo "== asl-validator --json-path $definition"
    if ! "$asl_validator" --json-path "$definition"; then
        status=1
    fi
done

if [[ "$status" -ne 0 ]]; then
    echo "lint-infra: findings above" >&2
fi
exit "$status"

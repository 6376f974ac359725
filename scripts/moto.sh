#!/usr/bin/env bash
# Starts moto's AWS-API server on loopback (DynamoDB, SQS, Step Functions) unless one already answers, and prints
# the `export MOTO_ENDPOINT=…` line for the tests. Usage: eval "$(scripts/moto.sh)"
set -euo pipefail
port="${SHADOWHUNTER_MOTO_PORT:-5055}"
endpoint="http://127.0.0.1:${port}"
if ! curl -fsS -o /dev/null "${endpoint}/moto-api/" 2>/dev/null; then
    command -v moto_server >/dev/null || { echo "moto_server not found: pip install 'moto[server]==5.2.1'" >&2; exit 1; }
    nohup moto_server -H 127.0.0.1 -p "${port}" >"${TMPDIR:-/tmp}/moto-${port}.log" 2>&1 &
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "${endpoint}/moto-api/" 2>/dev/null && break
        sleep 0.2
    done
    curl -fsS -o /dev/null "${endpoint}/moto-api/" || { echo "moto did not start; see ${TMPDIR:-/tmp}/moto-${port}.log" >&2; exit 1; }
fi
echo "export MOTO_ENDPOINT=${endpoint}"

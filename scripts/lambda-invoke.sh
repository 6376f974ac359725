#!/usr/bin/env bash
# `cargo lambda invoke` on the api function with the events/ files, against moto: creates the checks table and
# queue, starts `cargo lambda watch` (the Lambda runtime emulator), posts events/api-post-check.json, reads the
# check back with events/api-get-check.json rewritten to its id, and fails unless the answers are 202 and 200.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/moto.sh)"
export AWS_ENDPOINT_URL="$MOTO_ENDPOINT" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export CHECKS_TABLE="invoke-checks-$$"
CHECK_QUEUE_URL=$(python3 - <<PY
import boto3
kw = dict(endpoint_url="$MOTO_ENDPOINT", region_name="us-east-1")
boto3.client("dynamodb", **kw).create_table(
    TableName="$CHECKS_TABLE", BillingMode="PAY_PER_REQUEST",
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
print(boto3.client("sqs", **kw).create_queue(QueueName="invoke-checks-$$")["QueueUrl"])
PY
)
export CHECK_QUEUE_URL
port="${INVOKE_PORT:-9061}"
log="${TMPDIR:-/tmp}/cargo-lambda-watch-$$.log"
env_vars="CHECKS_TABLE=$CHECKS_TABLE,CHECK_QUEUE_URL=$CHECK_QUEUE_URL,AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"
env_vars+=",AWS_REGION=$AWS_REGION,AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY"
(cd functions && exec cargo lambda watch --invoke-port "$port" --ignore-changes --env-var "$env_vars" >"$log" 2>&1) &
watch_pid=$!
trap 'kill "$watch_pid" 2>/dev/null; pkill -f "cargo-lambda.*--invoke-port $port" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$watch_pid" 2>/dev/null || { cat "$log"; echo "cargo lambda watch exited" >&2; exit 1; }
    sleep 1
done
invoke() { cargo lambda invoke api --invoke-port "$port" --data-file "$1"; }
posted=$(invoke events/api-post-check.json)
echo "POST /checks → $posted"
echo "$posted" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["statusCode"]==202, r'
id=$(echo "$posted" | python3 -c 'import json,sys; print(json.loads(json.load(sys.stdin)["body"])["id"])')
get_event=$(mktemp)
sed "s/chk_3f9c2a7e41b84d0c9e6a15f2b7d08c34/$id/g" events/api-get-check.json >"$get_event"
got=$(invoke "$get_event")
rm -f "$get_event"
echo "GET /checks/$id → $got"
echo "$got" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["statusCode"]==200 and json.loads(r["body"])["status"]=="queued", r'
echo "cargo lambda invoke: api answered 202 then 200"

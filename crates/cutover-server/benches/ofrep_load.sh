#!/usr/bin/env sh
# OFREP single-flag evaluation throughput: a release `cutover serve` on a scratch SQLite store,
# one flag with a tenant scope and a 50 % rollout, and wrk on the same machine.
# Usage: sh crates/cutover-server/benches/ofrep_load.sh [connections] (default 64; needs wrk)
set -eu
cd "$(dirname "$0")/../../.."
connections=${1:-64}
cargo build --release -q -p cutover-cli
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
target/release/cutover --db "$dir/load.db" serve --listen 127.0.0.1:7079 > "$dir/out" 2>/dev/null &
pid=$!
while ! grep -q listening "$dir/out" 2>/dev/null; do sleep 0.1; done
TOKEN=$(grep '^cut_' "$dir/out")
export TOKEN
curl -sf -X POST -H "Authorization: Bearer $TOKEN" localhost:7079/api/v1/flags \
  -d '{"key":"checkout","rollout_percent":50,"scope":[{"attribute":"tenant","op":"in","values":["acme","globex","initech"]}]}' \
  > /dev/null
wrk -t2 -c"$connections" -d10s --latency -s crates/cutover-server/benches/ofrep_post.lua http://127.0.0.1:7079

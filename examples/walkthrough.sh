#!/bin/sh
# A short walk through cutover on the embedded SQLite store: create a flag, roll it to 5 %,
# override a user, evaluate, check the rollout over 10,000 users, pull the kill switch, and
# show that the audit log verifies and that tampering with it is caught.
set -eu
cd "$(dirname "$0")/.."
cargo build --quiet --locked -p cutover-cli
cutover="$PWD/target/debug/cutover"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
export CUTOVER_DB="$work/cutover.db"
export CUTOVER_ACTOR="${CUTOVER_ACTOR:-demo}"

step() {
    printf '\n$ cutover %s\n' "$*"
    "$cutover" "$@"
}

step flag create checkout-v2 --owner payments --description "new checkout flow"
step stage set checkout-v2 canary
step override add checkout-v2 --attr user_id --value alice --variant new --expires 7d
step eval checkout-v2 --ctx user_id=alice
step eval checkout-v2 --ctx user_id=bob

printf '\n# 10,000 users through eval --batch: about 5 %% should take the new path\n'
i=0
while [ $i -lt 10000 ]; do
    printf '{"flag":"checkout-v2","context":{"user_id":"user-%d"}}\n' $i
    i=$((i + 1))
done > "$work/users.jsonl"
"$cutover" eval --batch "$work/users.jsonl" > "$work/decisions.jsonl"
printf 'new: %s of %s\n' "$(grep -c '"variant":"new"' "$work/decisions.jsonl")" "$(wc -l < "$work/decisions.jsonl" | tr -d ' ')"

step kill checkout-v2 --reason "error rate above 1 %"
step eval checkout-v2 --ctx user_id=alice
step unkill checkout-v2
step flag list
step audit recent
step audit verify

if command -v sqlite3 >/dev/null 2>&1; then
    printf '\n# someone edits the audit log behind cutover'"'"'s back:\n'
    printf '$ sqlite3 cutover.db "UPDATE audit_log SET actor = '"'"'mallory'"'"' WHERE id = 2"\n'
    sqlite3 "$CUTOVER_DB" "UPDATE audit_log SET actor = 'mallory' WHERE id = 2"
    if step audit verify; then
        echo "tampering went unnoticed" >&2
        exit 1
    fi
    echo "(exit code 1: the edit was detected)"
fi

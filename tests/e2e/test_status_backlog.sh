#!/bin/sh
# test_status_backlog.sh -- issue 18, defect 11a: `status` counts as
# backlog only inputs intake would claim, never sidecars (.sha256 left by
# the sandbox, .done markers, .reason files, uploads in progress).
. "$(dirname "$0")/lib.sh"
setup_business acme 1
IN="$PAYSPOOL_SPOOL/inbound/acme"
FAILED="$PAYSPOOL_SPOOL/failed/acme"

printf 'a\n' >"$IN/answers.csv"
printf 'x  answers.csv\n' >"$IN/answers.csv.sha256"
: >"$IN/answers.csv.done"
printf 'b\n' >"$IN/upload.csv.part"
printf '.\n' >"$IN/.hidden"
mkdir -p "$FAILED"
printf 'c\n' >"$FAILED/bad.csv"
printf 'rule: X\n' >"$FAILED/bad.csv.reason"
printf 'x  bad.csv.reason\n' >"$FAILED/bad.csv.reason.sha256"
: >"$FAILED/bad.csv.reason.done"

expect 0 "$P" --json status
same "inbound backlog" "$(jq .spool.inbound "$T/out")" 1
same "failed inputs" "$(jq .spool.failedInputs "$T/out")" 1
same "in progress" "$(jq .spool.inProgress "$T/out")" 0
ledger_verify_ok
finish

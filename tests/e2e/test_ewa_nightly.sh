#!/bin/sh
# test_ewa_nightly.sh -- the nightly EWA cycle of `make demo`, through a
# fresh spool: rosters, status changes, disbursement requests and payroll
# results of two businesses (parent and child, each with its own program
# and file dialects) from fixtures/ewa-nightly/, then the EWA export.
# Every result file must equal its expected copy in
# fixtures/ewa-nightly/expected/ (UUIDs normalized); the export of the
# parent too (UUIDs and createdAt normalized).  Then: the trial balance
# is zero, the same disbursement file dropped again is a DUPLICATE input,
# and no card number is in clear in outbound/, the log or the database.
#
# PS_BLESS=1 writes the expected files from this run instead of comparing:
# read every line before committing them (fixtures/ewa-nightly/README.md
# says what each line must be).
. "$(dirname "$0")/lib.sh"
: "${PS_FIXTURES:=$(cd "$(dirname "$0")/../../fixtures" && pwd)}"
NIGHTLY_DIR="$PS_FIXTURES/ewa-nightly"
EXP="$NIGHTLY_DIR/expected"
. "$NIGHTLY_DIR/setup.sh"
export PAYSPOOL_LOG="$T/payspool.log"
L=$NIGHTLY_PARENT
W=$NIGHTLY_CHILD

# A result file as compared: UUIDs normalized.
normal_result() {
    nightly_normalize <"$1"
}

# compare NAME GOT EXPECTED
compare() {
    if [ "${PS_BLESS:-0}" = 1 ]; then
        mkdir -p "$(dirname "$3")"
        cp "$2" "$3"
        ok
    elif [ ! -f "$3" ]; then
        bad "$1: no expected file $3"
    elif diff -u "$3" "$2" >"$T/diff"; then
        ok
    else
        bad "$1 differs from $3:"
        sed 's/^/    /' "$T/diff" >&2
    fi
}

expect 0 nightly_setup
[ "$failed" -eq 0 ] || finish

# ---- the cycle: each stage's files through the spool, one pass each -----
for stage in $NIGHTLY_STAGES; do
    expect 0 nightly_stage "$stage"
    has "0 rejected whole" "$T/out"
done
same "inbound empty" "$(find "$PAYSPOOL_SPOOL/inbound" -type f | wc -l)" 0
same "nothing failed" "$(find "$PAYSPOOL_SPOOL/failed" -type f | wc -l)" 0

# ---- every result file against its expected copy ------------------------
n=0
for b in $NIGHTLY_BUSINESSES; do
    for f in "$NIGHTLY_DIR/$b"/*.csv; do
        name=$(basename "$f")
        res=$(nightly_result "$b" "$name")
        if [ -z "$res" ] || [ "$(echo "$res" | wc -l)" -ne 1 ]; then
            bad "$b/$name: one result file wanted, got '$res'"
            continue
        fi
        (cd "$(dirname "$res")" && sha256sum -c --quiet "$(basename "$res").sha256") &&
            [ -f "$res.done" ] && ok || bad "$res: no .done or bad .sha256"
        normal_result "$res" >"$T/got.csv"
        compare "$b/$name" "$T/got.csv" "$EXP/$b/$name.result.csv"
        # The trailer's input hash is the fixture's own.
        has ",$(sha256sum <"$f" | cut -c1-64)," "$res"
        n=$((n + 1))
    done
done
same "result files" "$n" 8

# ---- the EWA export of the parent ----------------------------------------
exp_path=$(nightly_export "$L")
if [ -f "$exp_path" ] && [ -f "$exp_path.done" ]; then
    ok
    nightly_normalize <"$exp_path" >"$T/export.jsonl"
    compare "$L export" "$T/export.jsonl" "$EXP/$L/ewa-profiles.jsonl"
    same "profiles exported" "$(wc -l <"$exp_path")" 18
else
    bad "no export of $L: '$exp_path'"
fi
# The child's export holds only its own employees.
exp_path=$(nightly_export "$W")
same "child exports its own" "$(jq -r .externalId "$exp_path" | grep -vc '^NWW-')" 0
same "child profiles" "$(wc -l <"$exp_path")" 12

# ---- what the cycle left, from the store ----------------------------------
expect 0 "$P" ledger balance
has "balanced" "$T/out"
same "disbursements" "$(sql "select count(*) from transactions where purpose = 'EWA_DISBURSEMENT'")" 28
expect 0 "$P" --json ewa show NWL-10422 --business "$L"
same "arrears" "$(jq -r '.latestEligibilityStatus.status + " " + .amountToRecover' "$T/out")" "ARREARS 100.00"
expect 0 "$P" --json ewa show NWW-20127 --business "$W"
same "arrears child" "$(jq -r '.latestEligibilityStatus.status + " " + .amountToRecover' "$T/out")" "ARREARS 103.98"
# Isolation: the child's status file could not suspend the parent's
# employee; the parent's own status file did.
expect 0 "$P" --json customer show NWL-10448 --business "$L"
same "parent's customer" "$(jq -r .status "$T/out")" SUSPENDED
expect 66 "$P" customer show NWL-10448 --business "$W"

# ---- the same disbursement file again: a DUPLICATE input -----------------
before=$(sql 'select count(*) from transactions')
nightly_clock disbursements
nightly_drop "$L" "$(nightly_file "$L" disbursements)" disbursements-2026-11-20-resent.csv
expect 65 "$P" run --once
same "nothing applied" "$(sql 'select count(*) from transactions')" "$before"
[ -f "$PAYSPOOL_SPOOL/failed/$L/disbursements-2026-11-20-resent.csv" ] && ok ||
    bad "the resent file is not in failed/"
has "DUPLICATE_FILE" "$PAYSPOOL_SPOOL/failed/$L/disbursements-2026-11-20-resent.csv.reason"
has ",DUPLICATE,DUPLICATE_FILE," "$(nightly_result "$L" disbursements-2026-11-20-resent.csv)"
expect 0 "$P" ledger balance

# ---- no card number in clear: outbound files, the log, the database ------
pans=$(cut -d, -f11 "$NIGHTLY_DIR/$L"/roster-*.csv "$NIGHTLY_DIR/$W"/roster-*.csv |
    grep -E '^[0-9]{13,19}$' | sort -u)
same "card numbers in the fixtures" "$(echo "$pans" | wc -l)" 22
[ -s "$PAYSPOOL_LOG" ] && ok || bad "empty log"
for pan in $pans; do
    if grep -rlaF "$pan" "$PAYSPOOL_SPOOL/outbound" "$PAYSPOOL_LOG" \
        "$PAYSPOOL_SPOOL"/payspool.db* >"$T/leak"; then
        bad "card number $(echo "$pan" | cut -c1-6)...$(echo "$pan" | cut -c13-) in clear in: $(cat "$T/leak")"
    else
        ok
    fi
done

ledger_verify_ok
finish

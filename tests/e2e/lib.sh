# lib.sh -- helpers shared by the end-to-end tests (sourced, POSIX sh).
#
# PAYSPOOL_BIN: the binary under test; PS_TMP: a scratch directory (set by
# CTest).  Each test gets a fresh directory and exports PAYSPOOL_SPOOL into
# it, so tests never share state and run in parallel.

set -u
: "${PAYSPOOL_BIN:?PAYSPOOL_BIN must point at the payspool binary}"
: "${PS_TMP:=${TMPDIR:-/tmp}/payspool-e2e}"
mkdir -p "$PS_TMP"
T=$(mktemp -d "$PS_TMP/$(basename "$0" .sh).XXXXXX")
export PAYSPOOL_SPOOL="$T/spool"
unset PAYSPOOL_DB PAYSPOOL_KEY PAYSPOOL_LOG PAYSPOOL_NOW
P="$PAYSPOOL_BIN"
pass=0
failed=0

ok() { pass=$((pass + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect STATUS CMD...: run CMD, compare its exit status; output in $T/out.
expect() {
    want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else
        bad "exit $got, wanted $want: $*"
        sed 's/^/    /' "$T/err" >&2
    fi
}

# same NAME GOT WANT
same() {
    if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', wanted '$3'"; fi
}

# has PATTERN FILE: grep -q
has() {
    if grep -q -- "$1" "$2"; then ok; else bad "'$1' not in $2"; fi
}

# PS_KEEP=1 keeps each test's folder even when it passes (to grep every
# output of a run, say: no card number in clear).
#
# Every test that leaves a store behind gets `ledger verify` there first
# (issue 21: "ledger verify is run at the end of every end-to-end test"),
# whether or not it called ledger_verify_ok itself.  A test that breaks the
# ledger on purpose, to see verify find it, sets PS_FINAL_VERIFY=no.
finish() {
    if [ "${PS_FINAL_VERIFY:-yes}" != no ] &&
        [ -f "${PAYSPOOL_SPOOL:-}/payspool.db" ]; then
        ledger_verify_ok
    fi
    echo "$pass passed, $failed failed"
    if [ "$failed" -eq 0 ]; then
        [ -n "${PS_KEEP:-}" ] || rm -rf "$T"
        exit 0
    fi
    exit 1
}

# ledger_verify_ok [ARGS...]: `payspool ledger verify` (with ARGS, e.g.
# --spool DIR, for a spool other than the test's) recomputes every
# balance from the ledger's rows and finds them all as stored: exit 0 and
# "all agree".  Every end-to-end test that touches a store calls it at
# its end (issue 21).
ledger_verify_ok() {
    if "$P" ledger verify "$@" >"$T/verify.out" 2>"$T/verify.err" &&
        grep -q '^all agree$' "$T/verify.out"; then
        ok
    else
        bad "ledger verify $*: the balances do not agree"
        cat "$T/verify.out" "$T/verify.err" | sed 's/^/    /' >&2
    fi
}

# init_fast: init the spool, with intake settings for tests (a file is
# stable after a second).
init_fast() {
    "$P" init >/dev/null || exit 1
    cat >"$PAYSPOOL_SPOOL.conf" <<CONF
[spool]
stable_seconds = 1
min_age_seconds = 0
poll_seconds = 1
CONF
}

# setup_ewa_business NAME PROGRAM: init_fast, the business, its USD EWA
# program PROGRAM (card fee 2.99) and a roster of three enrolled
# employees E1..E3 with card accounts, taken in by `run --once`.
setup_ewa_business() {
    init_fast
    expect 0 "$P" business add "$1"
    expect 0 "$P" program add --business "$1" --name "$2" --currency USD \
        --advance-rate 50% --min 1.00 --max 500.00 --period-cap 2000.00 \
        --max-outstanding 3000.00 --fee-card 2.99 --fee-ach 0.00
    {
        echo "external_id,first_name,last_name,email,phone,employment_status,program,enrollment_begin,card_number,earned_wages,period_start,period_end,currency"
        for i in 1 2 3; do
            echo "E$i,Test,Employee$i,e$i@example.com,+1415555000$i,ACTIVE,$2,2026-01-01,4000056655665556,4000.00,2026-11-16,2026-11-29,USD"
        done
    } >"$PAYSPOOL_SPOOL/inbound/$1/roster.csv"
    touch "$PAYSPOOL_SPOOL/inbound/$1/roster.csv.done"
    sleep 1.1
    expect 0 "$P" run --once
    has "3 accepted" "$T/out"
}

# setup_business NAME CUSTOMERS: init_fast, a business with CUSTOMERS
# employees C0001.. each with a card account.
setup_business() {
    init_fast
    "$P" business add "$1" >/dev/null || exit 1
    i=1
    while [ "$i" -le "$2" ]; do
        id=$(printf 'C%04d' "$i")
        "$P" customer add "$id" --business "$1" --first-name Test \
            --last-name "Employee$i" --email "e$i@example.com" \
            --phone "+1415555$(printf %04d "$i")" >/dev/null || exit 1
        echo 4000056655665556 | "$P" account add "$id" --business "$1" \
            --card >/dev/null || exit 1
        i=$((i + 1))
    done
}

# pstest_file PATH FIRST COUNT CUSTOMERS: COUNT payment lines with request
# ids R<FIRST>.., amounts 1.00 + n cents, a correct TOTAL trailer.
pstest_file() {
    awk -v first="$2" -v n="$3" -v cust="$4" 'BEGIN {
        print "PSTEST 1"; sum = 0
        for (i = first; i < first + n; i++) {
            cents = 100 + (i % 997)
            printf "SEND|R%07d|C%04d|%d.%02d|USD\n", i, (i % cust) + 1,
                int(cents / 100), cents % 100
            sum += cents
        }
        printf "TOTAL|%d|%d.%02d|USD\n", n, int(sum / 100), sum % 100
    }' >"$1"
}

# sql QUERY: run against the spool's database.
sql() { sqlite3 "$PAYSPOOL_SPOOL/payspool.db" "$1"; }

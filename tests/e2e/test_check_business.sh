#!/bin/sh
# test_check_business.sh -- `payspool check FILE --business B` runs the
# business's rules read-only, and a CSV missing a required column names
# it.
#
# On the nightly EWA fixtures (fixtures/ewa-nightly/): after the roster
# and status stages, check the disbursement file of northwind-logistics
# with --business.  What check says each record would meet must be what
# intake then does: the refusals (line and code) of the expected result
# file of that input, line 9 OVER_AVAILABLE_WAGES among them.  Nothing
# is written: the database dump and the spool tree are the same before
# and after.  Then the file is applied for real and its result file must
# hold the same refusals.
#
# Then a payroll CSV without its net column: CSV_NO_LAYOUT with field
# net, naming layout payroll, instead of UNRECOGNIZED_FORMAT; a file
# nothing like any layout stays UNRECOGNIZED_FORMAT.
. "$(dirname "$0")/lib.sh"
: "${PS_FIXTURES:=$(cd "$(dirname "$0")/../../fixtures" && pwd)}"
NIGHTLY_DIR="$PS_FIXTURES/ewa-nightly"
. "$NIGHTLY_DIR/setup.sh"
L=$NIGHTLY_PARENT
DISB="$NIGHTLY_DIR/$L/disbursements-2026-11-20.csv"
EXPECTED="$NIGHTLY_DIR/expected/$L/disbursements-2026-11-20.csv.result.csv"

expect 0 nightly_setup
cat >>"$PAYSPOOL_SPOOL.conf" <<'CONF'
[spool]
stable_seconds = 1
min_age_seconds = 0
CONF
expect 0 nightly_stage roster
expect 0 nightly_stage status
nightly_clock disbursements

state() {
    sqlite3 "$PAYSPOOL_SPOOL/payspool.db" .dump | sha256sum
    (cd "$PAYSPOOL_SPOOL" && find . -path ./payspool.db\* -prune -o -print |
        sort)
}
state >"$T/before"

# ---- human output: one line per record the engine would refuse ----------
expect 65 "$P" check "$DISB" --business "$L"
has "INVALID (csv, 27 records)" "$T/out"
has "^  line 9, byte [0-9]*, field amount: OVER_AVAILABLE_WAGES: 200.00 is more than the earned wages available, 150.00$" "$T/out"
has "^  line 5, .*CUSTOMER_SUSPENDED" "$T/out"
has "^  line 19, .*WARNING DUPLICATE_REQUEST" "$T/out"

# ---- --json: the same problems in the document's list ------------------
expect 65 "$P" --json check "$DISB" --business "$L"
same "business checked" "$(jq '.documents[0].businessChecked' "$T/out")" true
same "line 9" "$(jq -r '.documents[0].problems[] | select(.line == 9) |
    .rule + " " + .field + " " + .severity' "$T/out")" \
    "OVER_AVAILABLE_WAGES amount ERROR"
# every refusal of the expected result file, and nothing else
awk -F, 'NR > 1 && $0 !~ /^#/ && $3 != "ACCEPTED" { print $1, $4 }' \
    "$EXPECTED" | sort >"$T/want"
jq -r '.documents[0].problems[] | "\(.line) \(.rule)"' "$T/out" | sort \
    >"$T/got"
if diff -u "$T/want" "$T/got" >"$T/diff"; then ok; else
    bad "check --business differs from intake's refusals:"
    sed 's/^/    /' "$T/diff" >&2
fi
same "errors counted" "$(jq '.documents[0].problemsTotal' "$T/out")" \
    "$(awk -F, 'NR > 1 && $0 !~ /^#/ && $3 == "REJECTED"' "$EXPECTED" | wc -l)"
same "duplicates are warnings" "$(jq '.documents[0].warningsTotal' "$T/out")" \
    "$(awk -F, 'NR > 1 && $0 !~ /^#/ && $3 == "DUPLICATE"' "$EXPECTED" | wc -l)"

# ---- nothing written, nothing moved ------------------------------------
state >"$T/after"
if cmp -s "$T/before" "$T/after"; then ok; else
    bad "check --business changed the database or the spool:"
    diff "$T/before" "$T/after" | sed 's/^/    /' >&2
fi

# Without --business: the format alone, the engine's refusals unknown.
expect 65 "$P" --json check "$DISB"
same "format only" "$(jq '.documents[0].problemsTotal' "$T/out")" 1
same "no business" "$(jq '.documents[0] | has("businessChecked")' "$T/out")" false

# An unknown business is an error, not a verdict.
expect 66 "$P" --json check "$DISB" --business nosuch
same "error object" "$(jq -r .error.code "$T/err")" BUSINESS_NOT_FOUND

# ---- intake then does what check said ----------------------------------
expect 0 nightly_stage disbursements
res=$(nightly_result "$L" disbursements-2026-11-20.csv)
awk -F, 'NR > 1 && $0 !~ /^#/ && $3 != "ACCEPTED" { print $1, $4 }' \
    "$res" | sort >"$T/applied"
if diff -u "$T/got" "$T/applied" >"$T/diff"; then ok; else
    bad "intake refused other records than check said:"
    sed 's/^/    /' "$T/diff" >&2
fi

# ---- what intake would refuse whole: the same input again, the same key --
expect 65 "$P" --json check "$DISB" --business "$L"
same "same content again" "$(jq -r '.documents[0] |
    "\(.problems[0].rule) \(.problemsTotal) \(.businessChecked)"' "$T/out")" \
    "DUPLICATE_FILE 2 false" # and the format's own problem on line 21
has "intake applies nothing of it" "$T/out"
# a format's own duplicate key (pstest's BATCH, as NACHA's header tuple)
expect 0 "$P" business add acme
for i in 1 2 3; do
    expect 0 "$P" customer add "C000$i" --business acme --first-name T \
        --last-name "E$i" --email "e$i@example.com" --phone "+1415555000$i"
    echo 4000056655665556 >"$T/pan"
    expect 0 sh -c "\"$P\" account add C000$i --business acme --card <'$T/pan'"
done
pstest_file "$T/k1.txt" 700 2 3
sed -i 's/^PSTEST 1$/PSTEST 1\nBATCH|PAYRUN-2026-11-20/' "$T/k1.txt"
pstest_file "$T/k2.txt" 710 3 3
sed -i 's/^PSTEST 1$/PSTEST 1\nBATCH|PAYRUN-2026-11-20/' "$T/k2.txt"
expect 0 "$P" check "$T/k2.txt" --business acme
cp "$T/k1.txt" "$PAYSPOOL_SPOOL/inbound/acme/k1.txt"
touch "$PAYSPOOL_SPOOL/inbound/acme/k1.txt.done"
expect 0 "$P" run --once
state >"$T/before"
expect 65 "$P" --json check "$T/k2.txt" --business acme
same "same batch key" "$(jq -r '.documents[0] |
    "\(.problems[0].rule) \(.problemsTotal) \(.businessChecked)"' "$T/out")" \
    "DUPLICATE_FILE_KEY 1 false"
state >"$T/after"
if cmp -s "$T/before" "$T/after"; then ok; else
    bad "check --business of a duplicate key changed the database or spool"
fi

# ---- a CSV missing a required column names it ---------------------------
# payroll.csv without its net_pay column (the 6th)
cut -d, -f1-5,7- "$PS_FIXTURES/csv/valid/payroll.csv" >"$T/payroll-nonet.csv"
expect 65 "$P" check "$T/payroll-nonet.csv"
has "field net: CSV_NO_LAYOUT: missing column net (net, net_pay, net_cents or net_pay_cents): the header is otherwise layout payroll" "$T/out"
if grep -q UNRECOGNIZED_FORMAT "$T/out"; then
    bad "a near-miss CSV is still UNRECOGNIZED_FORMAT"; else ok; fi
expect 65 "$P" --json check "$T/payroll-nonet.csv"
same "missing column" "$(jq -r '.documents[0].problems[0] |
    .rule + " " + .field + " " + (.line|tostring)' "$T/out")" \
    "CSV_NO_LAYOUT net 1"
# Two columns gone: both named.
cut -d, -f1,3-5,7- "$PS_FIXTURES/csv/valid/payroll.csv" >"$T/payroll-two.csv"
expect 65 "$P" check "$T/payroll-two.csv"
has "missing columns pay_date (pay_date), net (net, net_pay" "$T/out"
# Intake says the same in the input's .reason.
cp "$T/payroll-nonet.csv" "$PAYSPOOL_SPOOL/inbound/$L/payroll-nonet.csv"
touch "$PAYSPOOL_SPOOL/inbound/$L/payroll-nonet.csv.done"
expect 65 "$P" run --once
has "CSV_NO_LAYOUT" "$PAYSPOOL_SPOOL/failed/$L/payroll-nonet.csv.reason"
has "missing column net" "$PAYSPOOL_SPOOL/failed/$L/payroll-nonet.csv.reason"
# Nothing like a layout: still unrecognized.
printf 'hello,world\n1,2\n' >"$T/mystery.csv"
expect 65 "$P" check "$T/mystery.csv"
has "UNRECOGNIZED_FORMAT" "$T/out"

finish

#!/bin/sh
# test_quickstart.sh -- the README's quick start, run as written: its
# shell block, with the binary of this build and this test's folder in
# place of build/ and /tmp/quickstart.  It must end in an ACCEPTED
# disbursement: a quick start that ends in a refusal is a broken promise.
. "$(dirname "$0")/lib.sh"
readme="$(dirname "$0")/../../README.md"
unset PAYSPOOL_SPOOL
sed -n '/^## Quick start/,/^## /p' "$readme" |
    sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' |
    sed -e "s#\$PWD/build#$(dirname "$P")#g" -e "s#/tmp/quickstart#$T/qs#g" \
        >"$T/quickstart.sh"
same "the block is there" "$(grep -c 'payspool run --once' "$T/quickstart.sh")" 2
# The block must run the binary under test, nothing else on PATH.
has "^export PATH=$(dirname "$P"):" "$T/quickstart.sh"
expect 0 sh -e "$T/quickstart.sh"
has "^2,ACME-0001,ACCEPTED,," "$T/out"
has "#trailer,APPLIED,disbursements-2026-12-04.csv,csv,1,1,0,0,150.00" "$T/out"
# ewa show: 150.00 and its 2.99 fee to recover, in the seed's shape.
has '"amountToRecover": "152.99"' "$T/out"
# The card number is in the roster only: nowhere in what the run wrote.
if grep -rq 4111111111111111 "$T/qs/spool/outbound" "$T/qs/payspool.db" \
    "$T/out" "$T/err"; then
    bad "a card number in clear in an output"
else ok; fi
finish

#!/bin/sh
# test_demo_env.sh -- issue 18, defect 11b: `make demo` run from a shell
# that exports PAYSPOOL_DB, PAYSPOOL_KEY, PAYSPOOL_NOW, PAYSPOOL_JOBS...
# must write the demo into its own spool, never into that database.
. "$(dirname "$0")/lib.sh"
: "${PS_FIXTURES:=$(cd "$(dirname "$0")/../../fixtures" && pwd)}"
export PAYSPOOL_DB="$T/operator.db"
export PAYSPOOL_KEY="$T/operator.key"
export PAYSPOOL_NOW=2031-01-01T00:00:00Z
export PAYSPOOL_JOBS="$T/operator-jobs"
export PAYSPOOL_CONFIG="$T/operator.conf"
export PAYSPOOL_DEMO_DIR="$T/demo"
sh "$PS_FIXTURES/demo/run-demo.sh" >"$T/demo.out" 2>&1
same "demo exit" "$?" 0
[ -e "$T/operator.db" ] && bad "the demo wrote into PAYSPOOL_DB" || ok
[ -e "$T/operator.key" ] && bad "the demo wrote PAYSPOOL_KEY" || ok
[ -e "$T/operator.conf" ] && bad "the demo wrote PAYSPOOL_CONFIG" || ok
same "demo database" "$(sqlite3 "$T/demo/spool/payspool.db" \
    "SELECT count(*) FROM businesses")" 3
has "Demo complete" "$T/demo.out"
# The demo's webhooks (issue 20): every Northwind event delivered to the
# local receiver, once each, every signature verified.
n=$(sqlite3 "$T/demo/spool/payspool.db" "SELECT count(*) FROM event_outbox e
    JOIN businesses b ON b.id = e.business_id
    WHERE b.name = 'northwind-logistics'")
[ "$n" -gt 0 ] && ok || bad "no events"
has "received:  $n POSTs, $n distinct event ids" "$T/demo.out"
has "verified:  $n signatures" "$T/demo.out"
same "the receiver's log" "$(awk '$1 == 200 && $3 == 1' "$T/demo/webhooks.log" | wc -l)" "$n"
# the ISO 20022 business's reconciliation: camt.053 and the later pain.002
has "camt053-contoso-payroll-20261127-001.xml" "$T/demo.out"
has "<Cd>CLBD</Cd>" "$T/demo.out"
has "pain002-contoso-payroll-20261127-001-001.xml" "$T/demo.out"
has "<TxSts>ACSC</TxSts>" "$T/demo.out"
[ "$failed" -eq 0 ] || tail -n 20 "$T/demo.out" >&2
ledger_verify_ok --spool "$T/demo/spool" --db "$T/demo/spool/payspool.db" --key "$T/demo/spool.key"
finish

#!/bin/sh
# test_nightly_job.sh -- the shipped jobs/nightly-ewa.job as `make demo`
# runs it: every fixture file of fixtures/ewa-nightly/ dropped at once, the
# job for Friday 2026-11-20 (intake, disburse, payouts, recover,
# reconcile, export), the sandbox card processor's answers, and the job for
# Monday 2026-11-23 taking them in; then the demo's Monday files
# (fixtures/demo/) through a decline, retries to ERROR and a settlement,
# day by day to Friday 2026-11-27.  The reconciliation reports must
# balance, and their totals must equal what the result files (made from
# the fixtures) say was accepted: recomputed here from those files, not
# from the store.
. "$(dirname "$0")/lib.sh"
: "${PS_FIXTURES:=$(cd "$(dirname "$0")/../../fixtures" && pwd)}"
NIGHTLY_DIR="$PS_FIXTURES/ewa-nightly"
. "$NIGHTLY_DIR/setup.sh"
export PAYSPOOL_LOG="$T/payspool.log"
# the shipped jobs/, named explicitly (a spool's own are in <spool>/jobs/)
export PAYSPOOL_JOBS="$PS_FIXTURES/../jobs"
# A sandbox spool: `sandbox provider` answers into
# providers/sandbox/inbound/<b>/ (nightly_setup appends the rest).
printf '[spool]\nsandbox = yes\n' >"$PAYSPOOL_SPOOL.conf"
nightly_setup || exit 1
OUT="$PAYSPOOL_SPOOL/outbound"

for stage in $NIGHTLY_STAGES; do
    for b in $NIGHTLY_BUSINESSES; do
        f=$(nightly_file "$b" "$stage")
        [ -n "$f" ] && nightly_drop "$b" "$f"
    done
done
nightly_clock disbursements
expect 0 "$P" --json job run nightly-ewa --date 2026-11-20
same "friday run" "$(jq -r .status "$T/out")" COMPLETED

# accepted RAIL BUSINESS: "count amount" of the accepted disbursements of
# that rail in the business's result file (the outcome column says the
# rail; the amount is the last column).
accepted() {
    awk -F, -v rail="$1" '$3 == "ACCEPTED" && index($5, rail) == 2 {
        n++; split($NF, a, "."); c += a[1] * 100 + a[2] }
        END { printf "%d %d.%02d", n, int(c / 100), c % 100 }' \
        "$(nightly_result "$2" disbursements-2026-11-20.csv)"
}

# recon BUSINESS DATE SECTION STATUS [RAIL] [FROM]: "count amount" of the
# report's rows of that section and status (amounts summed in cents).
recon() {
    f=$(ls "$OUT/$1"/recon/recon-"$1"-"$2"-*.csv | tail -n 1)
    awk -F, -v s="$3" -v st="$4" -v rail="${5:-}" -v from="${6:-}" '
        $1 == s && $7 == st && (rail == "" || $4 == rail) &&
        (from == "" || $6 == from) { n += $13; split($14, c, ".")
            a += c[1] * 100 + c[2] }
        END { printf "%d %d.%02d", n, int(a / 100), a % 100 }' "$f"
}

for b in $NIGHTLY_BUSINESSES; do
    card=$(accepted PUSH_TO_CARD "$b")
    ach=$(accepted ACH "$b")
    same "$b card payouts out" \
        "$(recon "$b" 20261120 transactions PROCESSING PUSH_TO_CARD)" "$card"
    same "$b ACH out" \
        "$(recon "$b" 20261120 transactions PROCESSING ACH)" "$ach"
    f=$(ls "$OUT/$b"/recon/recon-"$b"-20261120-*.csv)
    same "$b card file control" "$(awk -F, '$1 == "file_control" &&
        $4 == "PUSH_TO_CARD" && $7 == "CREDIT_TOTAL" { print $14 }' "$f")" \
        "${card#* }"
    same "$b NACHA file control" "$(awk -F, '$1 == "file_control" &&
        $4 == "ACH" && $7 == "CREDIT_TOTAL" { print $14 }' "$f")" "${ach#* }"
    n=$(ls "$OUT/$b"/nacha/ach-"$b"-20261120-A.ach)
    same "$b NACHA mode" "$(stat -c %a "$n")" 600
    expect 0 "$P" check "$n"
    same "$b NACHA entries" "$(grep -c '^6' "$n")" "${ach% *}"
    same "$b balanced friday" "$(awk -F, '$1 == "trial_balance" { print $7 }' \
        "$f")" BALANCED
    p=$(ls "$OUT/$b"/payouts/p2c-"$b"-20261120-001.csv)
    same "$b payout mode" "$(stat -c %a "$p")" 600
    same "$b payout lines" "$(grep -c '^[0-9a-f]\{8\}-' "$p")" "${card% *}"
done

expect 0 "$P" sandbox provider --date 2026-11-23
PAYSPOOL_NOW=2026-11-23T23:40:00Z expect 0 "$P" --json job run nightly-ewa \
    --date 2026-11-23
same "monday run" "$(jq -r .status "$T/out")" COMPLETED
for b in $NIGHTLY_BUSINESSES; do
    same "$b settled monday" \
        "$(recon "$b" 20261123 status_movements SETTLED PUSH_TO_CARD \
            PROCESSING)" "$(accepted PUSH_TO_CARD "$b")"
    # The file answered on Monday is reconciled against the answers.
    same "$b file settled monday" \
        "$(recon "$b" 20261123 file_items SETTLED PUSH_TO_CARD)" \
        "$(accepted PUSH_TO_CARD "$b")"
    f=$(ls "$OUT/$b"/recon/recon-"$b"-20261123-*.csv)
    same "$b balanced monday" "$(awk -F, '$1 == "trial_balance" { print $7 }' \
        "$f")" BALANCED
done
expect 0 "$P" ledger balance

# The demo's Monday files (fixtures/demo/): one request declined, one that
# errors at every attempt (sent again until max_attempts, then ERROR), one
# settled; each evening the processor answers, the next banking day's run
# takes the answers in.  Thursday 2026-11-26 is Thanksgiving.
DEMO="$PS_FIXTURES/demo/$NIGHTLY_PARENT"
nightly_drop "$NIGHTLY_PARENT" "$DEMO/roster-2026-11-23.csv"
nightly_drop "$NIGHTLY_PARENT" "$DEMO/disbursements-2026-11-23.csv"
PAYSPOOL_NOW=2026-11-23T23:40:00Z expect 0 "$P" job run nightly-ewa \
    --date 2026-11-23 --rerun --reason "late files from the partner"
prev=2026-11-23
for d in 2026-11-24 2026-11-25 2026-11-27; do
    PAYSPOOL_NOW=${prev}T23:45:00Z expect 0 "$P" sandbox provider --date "$prev"
    PAYSPOOL_NOW=${d}T23:40:00Z expect 0 "$P" job run nightly-ewa --date "$d"
    prev=$d
done
same "declined, retried to ERROR, settled; ACH returned R03, NOC C01" \
    "$(sql "SELECT group_concat(status || '/' || attempts, ' ') FROM
    (SELECT * FROM transactions WHERE request_id LIKE 'NWL-EWA-20261123-%'
    ORDER BY request_id)")" \
    "DECLINED/1 ERROR/3 SETTLED/1 DECLINED/1 SETTLED/1"
same "R03 suspended Luis Herrera's account" "$(sql "SELECT a.status FROM
    financial_accounts a JOIN customers c ON c.id = a.customer_id
    WHERE c.external_id = 'NWL-10538'")" SUSPENDED
same "C01 changed Hannah Schmidt's account" "$(sql "SELECT a.last4 FROM
    financial_accounts a JOIN customers c ON c.id = a.customer_id
    WHERE c.external_id = 'NWL-10559'")" 2345
same "no run on Thanksgiving" "$(sql "SELECT count(*) FROM job_runs
    WHERE business_date = '2026-11-26'")" 0
f=$(ls "$OUT/$NIGHTLY_PARENT"/recon/recon-"$NIGHTLY_PARENT"-20261127-*.csv)
same "balanced friday after" "$(awk -F, '$1 == "trial_balance" { print $7 }' \
    "$f")" BALANCED
same "receivable matches the ledger" "$(awk -F, \
    '$1 == "ewa_receivable_check" { print $7 }' "$f")" MATCH
same "the three payout files add up" "$(awk -F, '$1 == "file_check" { print $7 }' \
    "$f" | sort -u)" MATCH
expect 0 "$P" ledger balance

# The jobs' events step: every status event of the nights (customers,
# accounts, transactions: payouts, declines, returns) is in an events/
# JSON Lines file, once, without a linx job ever running.
same "no linx run" "$(sql "SELECT count(*) FROM job_runs WHERE job = 'linx'")" 0
same "events made" "$(sql "SELECT count(*) > 0 FROM event_outbox
    WHERE entity_type = 'TRANSACTION'")" 1
same "every event written" "$(sql "SELECT count(*) FROM event_outbox
    WHERE written_at IS NULL")" 0
for b in $NIGHTLY_BUSINESSES; do
    cat "$OUT/$b"/events/events-*.jsonl 2>/dev/null
done >"$T/events"
same "one line per event" "$(wc -l <"$T/events")" \
    "$(sql "SELECT count(*) FROM event_outbox")"
same "ids once" "$(jq -r .id "$T/events" | sort -u | wc -l)" \
    "$(sql "SELECT count(*) FROM event_outbox")"
same "the R03 suspension" "$(jq -r 'select(.type == "account.status"
    and .to == "SUSPENDED" and (.reason | test("ACH return R03")))
    | .from' "$T/events")" ACTIVE
# Each transaction's events are its status changes, one per history row
# after its creation (a payout's SUBMIT and TRANSMIT are two changes).
same "one event per change" "$(sql "SELECT count(*) FROM event_outbox
    WHERE entity_type = 'TRANSACTION'")" "$(sql "SELECT count(*) FROM
    transaction_history WHERE from_status IS NOT NULL")"

# No card number of the rosters outside the payout files.
for pan in $(cut -d, -f11 "$NIGHTLY_DIR"/northwind-logistics/roster-*.csv |
    grep -E '^[0-9]{13,19}$' | sort -u); do
    if grep -rl "$pan" "$OUT" "$PAYSPOOL_LOG" | grep -v /payouts/ >"$T/pan"; then
        bad "card number in clear in $(cat "$T/pan")"
    else
        ok
    fi
done
ledger_verify_ok
finish

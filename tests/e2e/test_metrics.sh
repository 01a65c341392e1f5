#!/bin/sh
# test_metrics.sh -- the Prometheus textfile after a run with two
# currencies: the nightly fixture's two USD businesses and a third,
# maple, with a CAD program (the warehousing roster and its card
# disbursements, in CAD), Friday's job, the sandbox processor's answers,
# Monday's job, then one `run --once` with a file still uploading and a
# refused one in failed/.  The file is parsed here: every family has
# HELP and TYPE, counters end in _total, no series twice; the values
# are held against what the result files, the reconciliation CSVs and
# the spool's folders say, and no amount adds two currencies.
. "$(dirname "$0")/lib.sh"
: "${PS_FIXTURES:=$(cd "$(dirname "$0")/../../fixtures" && pwd)}"
NIGHTLY_DIR="$PS_FIXTURES/ewa-nightly"
. "$NIGHTLY_DIR/setup.sh"
export PAYSPOOL_LOG="$T/payspool.log"
export PAYSPOOL_JOBS="$PS_FIXTURES/../jobs"
printf '[spool]\nsandbox = yes\n' >"$PAYSPOOL_SPOOL.conf"
nightly_setup || exit 1
OUT="$PAYSPOOL_SPOOL/outbound"
M="$PAYSPOOL_SPOOL/metrics/payspool.prom"
W="$NIGHTLY_DIR/northwind-warehousing"

"$P" business add maple --display-name "Maple Staffing Ltd." >/dev/null &&
"$P" program add --business maple --name "Maple EWA" --currency CAD \
    --advance-rate 60% --min 10.00 --max 300.00 --period-cap 600.00 \
    --max-outstanding 800.00 --fee-card 1.99 --fee-ach 0.00 \
    --bad-debt-after 2 >/dev/null || { bad "maple setup"; finish; }
sed -e 's/,USD,/,CAD,/' -e 's/Northwind Warehousing EWA/Maple EWA/' \
    "$W/roster-paychex-2026-11-20.csv" >"$T/roster-paychex-2026-11-20.csv"
awk -F, 'NR == 1 || $5 == "CARD"' "$W/disbursements-2026-11-20.csv" |
    sed 's/,USD,/,CAD,/' >"$T/disbursements-2026-11-20.csv"

for stage in $NIGHTLY_STAGES; do
    for b in $NIGHTLY_BUSINESSES; do
        f=$(nightly_file "$b" "$stage")
        [ -n "$f" ] && nightly_drop "$b" "$f"
    done
done
nightly_drop maple "$T/roster-paychex-2026-11-20.csv"
nightly_drop maple "$T/disbursements-2026-11-20.csv"
printf 'this is not a payroll file\n' >"$T/notes.txt"
nightly_drop "$NIGHTLY_PARENT" "$T/notes.txt"
nightly_clock disbursements
expect 0 "$P" job run nightly-ewa --date 2026-11-20
expect 0 "$P" sandbox provider --date 2026-11-23
PAYSPOOL_NOW=2026-11-23T23:40:00Z expect 0 "$P" job run nightly-ewa \
    --date 2026-11-23
# An upload in progress (no .done, too young to claim), then one pass.
printf 'request_id,employee_id,amount,currency,rail\n' \
    >"$PAYSPOOL_SPOOL/inbound/maple/late.csv"
export PAYSPOOL_NOW=2026-11-23T23:50:00Z
expect 0 "$P" run --once
[ -s "$M" ] && ok || { bad "no $M"; finish; }

# m NAME LABELS: the value of the sample NAME{LABELS} ("" if none).
m() {
    if [ -n "$2" ]; then s="$1{$2}"; else s=$1; fi
    awk -v s="$s" 'index($0, s " ") == 1 { print $2 }' "$M"
}
# cents A.BB: minor units.
cents() { echo "$1" | awk -F. '{ printf "%d", $1 * 100 + $2 }'; }

# The text format: HELP and TYPE before each family's samples, counters
# named _total, every series once, values numbers.
awk '
/^# HELP / { help[$3] = 1; next }
/^# TYPE / { type[$3] = $4; if ($4 == "counter" && $3 !~ /_total$/)
                 print "counter without _total: " $3; next }
/^#/ { next }
{ name = $1; sub(/\{.*/, "", name)
  if (!(name in type) || !(name in help)) print "no HELP/TYPE before " $1
  if (seen[$1]++) print "series twice: " $1
  if ($2 !~ /^-?[0-9]+(\.[0-9]+)?$/) print "not a number: " $0 }
' "$M" >"$T/format"
if [ -s "$T/format" ]; then bad "$(cat "$T/format")"; else ok; fi
for f in payspool_last_scan_timestamp_seconds payspool_backlog_files \
    payspool_intake_files_total payspool_intake_records_total \
    payspool_intake_accepted_amount_minor_total payspool_payout_files_total \
    payspool_payout_items_total payspool_payout_amount_minor_total \
    payspool_provider_answers_total \
    payspool_provider_answer_amount_minor_total \
    payspool_job_last_success_timestamp_seconds payspool_job_runs_total \
    payspool_job_amount_minor_total payspool_recon_trial_balance_ok \
    payspool_recon_unmatched_items payspool_recon_late_items \
    payspool_recon_return_rate_ratio payspool_recon_return_rate_over; do
    grep -q "^$f[{ ]" "$M" && ok || bad "no sample of $f"
done

# The last scan: the pass just made, on the engine's clock.
same "last scan" "$(m payspool_last_scan_timestamp_seconds '')" \
    "$(date -u -d 2026-11-23T23:50:00Z +%s)"

# Backlog: the upload in progress waits; the refused file is in failed/.
same "maple waiting" "$(m payspool_backlog_files \
    'business="maple",queue="waiting"')" 1
same "refused file in failed/" "$(m payspool_backlog_files \
    "business=\"$NIGHTLY_PARENT\",queue=\"failed\"")" 1
same "nothing in progress" "$(m payspool_backlog_files \
    'business="maple",queue="in_progress"')" 0

# Intake: per business, format and outcome.
same "refused whole, no reader" "$(m payspool_intake_files_total \
    "business=\"$NIGHTLY_PARENT\",format=\"unknown\",outcome=\"REJECTED\"")" 1
applied=$(awk -v b="business=\"maple\"" 'index($1, b) &&
    index($1, "outcome=\"APPLIED\"") && /^payspool_intake_files_total/ {
    n += $2 } END { print n + 0 }' "$M")
# the roster, the disbursements and the sandbox processor's answers
same "maple applied files" "$applied" 3
res=$(nightly_result maple disbursements-2026-11-20.csv)
acc=$(awk -F, '$3 == "ACCEPTED"' "$res" | wc -l)
rej=$(awk -F, '$3 == "REJECTED"' "$res" | wc -l)
acc_amt=$(awk -F, '$3 == "ACCEPTED" { split($NF, a, "."); c += a[1] * 100 + a[2] }
    END { print c + 0 }' "$res")
fmt=$(awk '/^payspool_intake_records_total\{business="maple"/ &&
    /outcome="accepted"/' "$M" | sed -n 's/.*format="\([^"]*\)".*/\1/p' |
    sort -u | tr '\n' ' ')
[ -n "$fmt" ] && ok || bad "no maple intake records"
sum_records() { # OUTCOME: over maple's formats
    awk -v o="outcome=\"$1\"" '/^payspool_intake_records_total\{business="maple"/ &&
        index($1, o) { n += $2 } END { print n + 0 }' "$M"
}
[ "$(sum_records accepted)" -ge "$acc" ] && ok ||
    bad "maple accepted records $(sum_records accepted) < $acc"
[ "$rej" -eq 0 ] || [ "$(sum_records rejected)" -ge "$rej" ] && ok ||
    bad "maple rejected records"

# Amounts by currency: maple only CAD, the Northwind businesses only USD.
for f in payspool_intake_accepted_amount_minor_total \
    payspool_payout_amount_minor_total \
    payspool_provider_answer_amount_minor_total; do
    same "$f maple CAD only" "$(grep "^$f{business=\"maple\"" "$M" |
        sed -n 's/.*currency="\([A-Z]*\)".*/\1/p' | sort -u)" CAD
    same "$f northwind USD only" "$(grep "^$f{business=\"northwind" "$M" |
        sed -n 's/.*currency="\([A-Z]*\)".*/\1/p' | sort -u)" USD
done
same "maple card payouts, CAD" "$(m payspool_payout_amount_minor_total \
    'business="maple",kind="PUSH_TO_CARD",direction="CREDIT",currency="CAD"')" \
    "$acc_amt"
same "maple card items" "$(m payspool_payout_items_total \
    'business="maple",kind="PUSH_TO_CARD",direction="CREDIT",currency="CAD"')" \
    "$acc"
same "maple answers settled" "$(m payspool_provider_answers_total \
    'business="maple",status="SETTLED",currency="CAD"')" "$acc"
# Per job: the payment files' items of its runs, each currency apart; the
# USD credits equal the two Northwind reports' file controls.
same "job CAD credits" "$(m payspool_job_amount_minor_total \
    'job="nightly-ewa",direction="CREDIT",currency="CAD"')" "$acc_amt"
usd=0
for b in $NIGHTLY_BUSINESSES; do
    f=$(ls "$OUT/$b"/recon/recon-"$b"-20261120-*.csv | tail -n 1)
    for a in $(awk -F, '$1 == "file_control" && $7 == "CREDIT_TOTAL" {
        print $14 }' "$f"); do
        usd=$((usd + $(cents "$a")))
    done
done
same "job USD credits" "$(m payspool_job_amount_minor_total \
    'job="nightly-ewa",direction="CREDIT",currency="USD"')" "$usd"
same "job runs" "$(m payspool_job_runs_total \
    'job="nightly-ewa",status="COMPLETED"')" 2
same "job ok" "$(m payspool_job_last_run_ok 'job="nightly-ewa"')" 1

# Reconciliation alerts: the last report of each business.
for b in maple $NIGHTLY_BUSINESSES; do
    f=$(ls "$OUT/$b"/recon/recon-"$b"-20261123-*.csv | tail -n 1)
    same "$b trial ok" "$(m payspool_recon_trial_balance_ok \
        "business=\"$b\"")" 1
    same "$b awaiting" "$(m payspool_recon_unmatched_items \
        "business=\"$b\",kind=\"awaiting\"")" \
        "$(awk -F, '$1 == "unmatched" && $7 == "AWAITING"' "$f" | wc -l)"
    same "$b late" "$(m payspool_recon_late_items "business=\"$b\"")" \
        "$(awk -F, '$1 == "late"' "$f" | wc -l)"
    same "$b unauthorized threshold" \
        "$(m payspool_recon_return_rate_threshold_ratio \
            "business=\"$b\",category=\"UNAUTHORIZED\"")" 0.005000
    same "$b overall threshold" \
        "$(m payspool_recon_return_rate_threshold_ratio \
            "business=\"$b\",category=\"OVERALL\"")" 0.150000
    same "$b report time" "$(m payspool_recon_last_report_timestamp_seconds \
        "business=\"$b\"")" "$(date -u -d 2026-11-23T23:40:00Z +%s)"
done
same "maple trial balance CAD" "$(m payspool_recon_trial_balance_minor \
    'business="maple",currency="CAD"')" 0
# The payment files' sums are kept once a file (output_sums): every
# payment file has its rows, and the figures are the same when they are
# summed from the items again (the cache emptied) and read back after.
pay_lines() {
    grep -E '^payspool_(payout_items|payout_amount_minor|job_amount_minor|job_items)' "$M" | sort
}
before=$(pay_lines)
[ -n "$before" ] && ok || bad "no payout lines"
DB="$PAYSPOOL_SPOOL/payspool.db"
same "every payment file summed" "$(sqlite3 "$DB" "SELECT count(*) FROM outputs
    WHERE kind IN ('NACHA', 'PUSH_TO_CARD') AND id NOT IN
    (SELECT output_id FROM output_sums)")" 0
same "sums are the items'" "$(sqlite3 "$DB" "SELECT sum(items), sum(amount)
    FROM output_sums")" "$(sqlite3 "$DB" "SELECT count(*), sum(t.amount)
    FROM output_items i JOIN outputs o ON o.id = i.output_id
    JOIN transactions t ON t.id = i.txn_id
    WHERE o.kind IN ('NACHA', 'PUSH_TO_CARD')")"
# Kept when each file was written (payout.c, achout.c): file by file,
# direction and currency, what the items sum to.
items_sums="SELECT o.id, CASE t.type WHEN 'SEND' THEN 'CREDIT' ELSE 'DEBIT'
    END, t.currency, count(*), sum(t.amount) FROM outputs o
    JOIN output_items i ON i.output_id = o.id
    JOIN transactions t ON t.id = i.txn_id
    WHERE o.kind IN ('NACHA', 'PUSH_TO_CARD') GROUP BY 1, 2, 3"
same "sums file by file" "$(sqlite3 "$DB" "SELECT count(*) FROM
    ($items_sums EXCEPT SELECT * FROM output_sums)"),$(sqlite3 "$DB" "SELECT
    count(*) FROM (SELECT * FROM output_sums EXCEPT $items_sums)")" 0,0
sqlite3 "$DB" "DELETE FROM output_sums"
PAYSPOOL_NOW=2026-11-23T23:40:00Z expect 0 "$P" run --once
same "payout metrics summed again" "$(pay_lines)" "$before"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM output_sums")" -gt 0 ] && ok ||
    bad "output_sums not filled again"
PAYSPOOL_NOW=2026-11-23T23:40:00Z expect 0 "$P" run --once
same "payout metrics from the sums" "$(pay_lines)" "$before"
finish


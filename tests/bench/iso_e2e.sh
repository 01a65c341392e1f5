#!/bin/sh
# iso_e2e.sh -- a pain.001 applied end to end against a CSV disbursement
# file of the same records (never a test: numbers only).  Usage:
#   iso_e2e.sh PAYSPOOL_BIN [TXS [EMPLOYEES [ROUNDS]]]
# (CPU seconds beside wall seconds: on a shared machine the wall time
# follows the load, the CPU time much less.)
#
# iso_gen writes TXS transactions (default 1,000,000) as a pain.001.001.09
# and the same records (request id = EndToEndId, external id, amount) as
# a CSV disbursement file and a pstest file.  Each round, for each file:
# a fresh spool, a business with the EWA program and a roster of
# EMPLOYEES (default 100,000) card holders (bench_gen, not timed), then
# `payspool run --once` on the file under GNU time: wall seconds, records
# a second, peak RSS, and what the result says was accepted.  The pain.001
# and the pstest file are payments (payment.send), the CSV file EWA
# disbursements (ewa.disburse, with its eligibility checks).  Then the
# median of the rounds (default 3) of each, and the load average.
set -eu
P=${1:?usage: iso_e2e.sh PAYSPOOL_BIN [TXS [EMPLOYEES [ROUNDS]]]}
n=${2:-1000000}
emp=${3:-100000}
rounds=${4:-3}
bin=$(dirname "$P")
W="${TMPDIR:-/tmp}/payspool-iso-e2e.$$"
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT INT TERM

"$bin/iso_gen" "$n" "$W/pay.xml" "$((emp - 1))" "$W/pay.csv" "$W/pay.pst"
"$bin/bench_gen" "$W/roster.csv" "$W/none.csv" "$emp" 0 1

# one FORMAT FILE ROUND: a fresh spool, the roster, then FILE timed.
one() {
    export PAYSPOOL_SPOOL="$W/spool-$1-$3"
    "$P" init >/dev/null
    printf '[spool]\nstable_seconds = 1\nmin_age_seconds = 0\n' \
        >"$PAYSPOOL_SPOOL.conf"
    "$P" business add bench >/dev/null
    "$P" program add --business bench --name "Bench EWA" --currency USD \
        --advance-rate 50% --min 1.00 --max 500.00 --period-cap 2000.00 \
        --max-outstanding 3000.00 --fee-card 0.00 --fee-ach 0.00 >/dev/null
    cp "$W/roster.csv" "$PAYSPOOL_SPOOL/inbound/bench/roster.csv"
    touch "$PAYSPOOL_SPOOL/inbound/bench/roster.csv.done"
    "$P" run --once --log-level warn >/dev/null
    name=$(basename "$2")
    cp "$2" "$PAYSPOOL_SPOOL/inbound/bench/$name"
    touch "$PAYSPOOL_SPOOL/inbound/bench/$name.done"
    /usr/bin/time -f '%e %M %U %S' -o "$W/time" "$P" run --once \
        --log-level warn >/dev/null
    read -r secs rss usr sys <"$W/time"
    acc=$(sqlite3 "$PAYSPOOL_SPOOL/payspool.db" \
        "SELECT count(*) FROM transactions")
    printf '%-9s round %d: %8s s (cpu %s+%s) %8d records/s peak RSS %7s KB, %s transactions\n' \
        "$1" "$3" "$secs" "$usr" "$sys" \
        "$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%d", (s > 0) ? (n / s) : 0 }')" \
        "$rss" "$acc"
    echo "$1 $secs $usr $sys" >>"$W/times"
    rm -rf "$PAYSPOOL_SPOOL" "$PAYSPOOL_SPOOL.conf" "$PAYSPOOL_SPOOL.key"
}

echo "pain.001 $(du -m "$W/pay.xml" | cut -f1) MB, CSV $(du -m "$W/pay.csv" | cut -f1) MB, $n records, $emp employees; load $(cut -d' ' -f1-3 /proc/loadavg)"
r=1
while [ "$r" -le "$rounds" ]; do
    one pain.001 "$W/pay.xml" "$r"
    one csv "$W/pay.csv" "$r"
    one pstest "$W/pay.pst" "$r"
    r=$((r + 1))
done
for f in pain.001 csv pstest; do
    k=$(awk -v f="$f" '$1 == f' "$W/times" | wc -l)
    m=$(awk -v f="$f" '$1 == f { print $2 }' "$W/times" | sort -n |
        sed -n "$(((k + 1) / 2))p")
    c=$(awk -v f="$f" '$1 == f { print $3 + $4 }' "$W/times" | sort -n |
        sed -n "$(((k + 1) / 2))p")
    awk -v f="$f" -v k="$k" -v m="$m" -v c="$c" -v n="$n" 'BEGIN {
        printf "%-9s median of %d: %s s wall, %d records/s; cpu %s s, %d records/cpu-s\n",
            f, k, m, n / m, c, n / c }'
done
echo "load average after: $(cat /proc/loadavg)"

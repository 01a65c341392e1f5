#!/bin/sh
# run.sh -- `make bench`: benchmarks of the payspool binary.  Numbers, not
# pass/fail: timing never gates a test.  Usage: run.sh PAYSPOOL_BIN
#
# spool intake: `payspool run --once` from spool to result file on
# generated pstest files of growing size; wall time, records per second
# and peak RSS (GNU time), to show throughput and that memory stays flat
# in the file's size.
#
# csv parse: csv_bench (built beside the binary) on a generated
# 1,000,000-row disbursement file held in memory: libcsv alone (no-op
# callbacks) against the CSV reader, best CPU time of seven runs.
# PS_BENCH_CSV_ROWS sets the rows.
#
# nacha reader: nacha_bench on a generated 1,000,000-entry PPD file
# (PS_BENCH_NACHA_ENTRIES), best of 5, and its peak RSS.
#
# iso20022 reader: iso_gen's 1,000,000-transaction pain.001.001.09
# (PS_BENCH_ISO_TXS; about 570 MB) through `payspool check`, three runs,
# wall seconds and peak RSS (target: under 3 s and 64 MB).
#
# iso20022 end to end (opt-in, about 10 minutes a round on 2 cores):
# PS_BENCH_ISO_E2E_TXS=1000000 runs iso_e2e.sh, a pain.001 against the
# same records as CSV and pstest files, medians of 3 rounds.
#
# ewa nightly: a roster and 1,000,000 disbursement requests through the
# binary, SQLite's own floor for such a run (store_floor), then the rest
# of the nightly job step by step.
set -eu
P=${1:?usage: run.sh PAYSPOOL_BIN}
here=$(cd "$(dirname "$0")" && pwd)
export PAYSPOOL_BIN="$P" PS_TMP="${TMPDIR:-/tmp}/payspool-bench"
mkdir -p "$PS_TMP"
. "$here/../e2e/lib.sh"

setup_business bench 100
# A sandbox spool: the nightly steps below run the sandbox provider.
printf '[spool]\nsandbox = yes\n' >>"$PAYSPOOL_SPOOL.conf"
printf '%-28s %10s %10s %12s %10s\n' benchmark records seconds records/s maxrss_kb
for n in ${PS_BENCH_SIZES:-100000 400000}; do
    pstest_file "$T/in-$n.txt" "$((n * 10))" "$n" 100
    cp "$T/in-$n.txt" "$PAYSPOOL_SPOOL/inbound/bench/in-$n.txt"
    touch "$PAYSPOOL_SPOOL/inbound/bench/in-$n.txt.done"
    /usr/bin/time -f '%e %M' -o "$T/time" "$P" run --once --log-level warn \
        >/dev/null
    read -r secs rss <"$T/time"
    rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%d", (s > 0) ? (n / s) : 0 }')
    printf '%-28s %10d %10s %12s %10s\n' "spool intake (pstest)" "$n" \
        "$secs" "$rate" "$rss"
done

echo
"$(dirname "$P")/csv_bench" "${PS_BENCH_CSV_ROWS:-1000000}"

# NACHA reader: nacha_gen writes a PS_BENCH_NACHA_ENTRIES-entry PPD file
# (default 1,000,000: 10,000 entries a batch, an addenda 05 on every
# tenth, about 105 MB), nacha_bench reads it through the streaming
# reader (best of 5), then once more under GNU time for peak RSS.
echo
n_ach=${PS_BENCH_NACHA_ENTRIES:-1000000}
"$(dirname "$P")/nacha_gen" "$n_ach" "$T/bench.ach"
"$(dirname "$P")/nacha_bench" "$T/bench.ach" 5
/usr/bin/time -v "$(dirname "$P")/nacha_bench" "$T/bench.ach" 1 \
    2>"$T/time-nacha" >/dev/null
awk -F: '/Maximum resident set size/ { printf "nacha reader peak RSS: %d KB\n", $2 }' \
    "$T/time-nacha"
# ISO 20022 reader: `payspool check` on a generated pain.001.001.09.
echo
n_iso=${PS_BENCH_ISO_TXS:-1000000}
"$(dirname "$P")/iso_gen" "$n_iso" "$T/bench.xml"
for run in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$T/time-iso" "$P" check "$T/bench.xml" \
        >/dev/null
    read -r secs rss <"$T/time-iso"
    printf 'iso20022 check, %s transactions: %s s, peak RSS %s KB\n' \
        "$n_iso" "$secs" "$rss"
done
rm -f "$T/bench.xml"
# The same file through the binary, as a user runs it: `payspool check`
# (detection, the unwrap layer, the reader), five runs, wall seconds and
# peak RSS of each.  Target: 0.27 s (20x moov-io/ach's read + Validate),
# under 32 MB.
for i in 1 2 3 4 5; do
    /usr/bin/time -f "payspool check: %e s, peak RSS %M KB" \
        "$P" check "$T/bench.ach" >/dev/null
done
rm -f "$T/bench.ach"

# EWA nightly (issue 4): EMPLOYEES enrolled from a roster, then REQUESTS
# disbursement requests in random employee order, each file from spool to
# result file with `payspool run --once`; wall time and peak RSS.
gen="$(dirname "$P")/bench_gen"
n_emp=${PS_BENCH_EMPLOYEES:-100000}
n_req=${PS_BENCH_REQUESTS:-1000000}
"$P" business add ewa-bench >/dev/null
"$P" program add --business ewa-bench --name "Bench EWA" --currency USD \
    --advance-rate 50% --min 1.00 --max 500.00 --period-cap 2000.00 \
    --max-outstanding 3000.00 --fee-card 2.99 --fee-ach 0.00 >/dev/null
"$gen" "$T/roster.csv" "$T/requests.csv" "$n_emp" "$n_req" 1
for f in roster requests; do
    n=$n_emp
    [ "$f" = requests ] && n=$n_req
    cp "$T/$f.csv" "$PAYSPOOL_SPOOL/inbound/ewa-bench/$f.csv"
    touch "$PAYSPOOL_SPOOL/inbound/ewa-bench/$f.csv.done"
    /usr/bin/time -f '%e %M' -o "$T/time" "$P" run --once --log-level warn \
        >/dev/null
    read -r secs rss <"$T/time"
    rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%d", (s > 0) ? (n / s) : 0 }')
    printf '%-28s %10d %10s %12s %10s\n' "ewa $f (csv)" "$n" "$secs" \
        "$rate" "$rss"
done
res=$(ls "$PAYSPOOL_SPOOL"/outbound/ewa-bench/results/requests.csv.*.result.csv)
tail -n 1 "$res" | awk -F, '{ printf "  requests: %s accepted, %s rejected, %s duplicate of %s\n", $6, $7, $8, $5 }'

# The same requests as an employer's NACHA PPD credit file (one entry per
# request, individual id = employee id), applied end to end by
# `payspool run --once`: issue 6 asks it to meet the CSV target.
n_nreq=${PS_BENCH_NACHA_REQUESTS:-$n_req}
"$(dirname "$P")/nacha_gen" "$n_nreq" "$T/requests.ach" "$n_emp"
cp "$T/requests.ach" "$PAYSPOOL_SPOOL/inbound/ewa-bench/requests.ach"
touch "$PAYSPOOL_SPOOL/inbound/ewa-bench/requests.ach.done"
/usr/bin/time -f '%e %M' -o "$T/time" "$P" run --once --log-level warn \
    >/dev/null
read -r secs rss <"$T/time"
rate=$(awk -v n="$n_nreq" -v s="$secs" 'BEGIN { printf "%d", (s > 0) ? (n / s) : 0 }')
printf '%-28s %10d %10s %12s %10s\n' "ewa requests (nacha)" "$n_nreq" \
    "$secs" "$rate" "$rss"
res=$(ls "$PAYSPOOL_SPOOL"/outbound/ewa-bench/results/requests.ach.*.result.csv)
tail -n 1 "$res" | awk -F, '{ printf "  nacha requests: %s accepted, %s rejected of %s\n", $6, $7, $5 }'

# The floor under the EWA figures: SQLite alone writing 1,000,000
# records in random profile order, with the store's settings and chunk,
# in three row models narrower than the engine's (store_floor.c), with
# the store's 4 KiB pages and with larger ones.
echo
"$(dirname "$P")/store_floor" "$T" "$n_req" "$n_emp" 4096 16384 65536

# The rest of the nightly job on what those runs accepted, step by step,
# as the nightly-ewa job runs them: the payout files, the sandbox
# provider's answers applied by the engine, the reconciliation report and
# the EWA export.  Wall time and peak RSS of each; none may grow without
# bound in memory with the day's volume.
echo
printf '%-28s %10s %10s\n' "nightly step" seconds maxrss_kb
for step in "payouts run --business ewa-bench" \
    "sandbox provider --business ewa-bench" "run --once --log-level warn" \
    "recon --business ewa-bench" "ewa export --business ewa-bench"; do
    # shellcheck disable=SC2086 # the step is words on purpose
    /usr/bin/time -f '%e %M' -o "$T/time" "$P" $step >/dev/null
    read -r secs rss <"$T/time"
    printf '%-28s %10s %10s\n' "${step%% --*}" "$secs" "$rss"
done
if [ -n "${PS_BENCH_ISO_E2E_TXS:-}" ]; then
    echo
    sh "$here/iso_e2e.sh" "$P" "$PS_BENCH_ISO_E2E_TXS" "${PS_BENCH_EMPLOYEES:-100000}" 3
fi
finish >/dev/null

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
set -eu
P=${1:?usage: run.sh PAYSPOOL_BIN}
here=$(cd "$(dirname "$0")" && pwd)
export PAYSPOOL_BIN="$P" PS_TMP="${TMPDIR:-/tmp}/payspool-bench"
mkdir -p "$PS_TMP"
. "$here/../e2e/lib.sh"

setup_business bench 100
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
finish >/dev/null

#!/bin/sh
# test_store_gone.sh -- issue 18, defect 7: the database deleted while a
# multi-chunk run is going.  SQLite keeps committing into the deleted
# file; the engine must notice before it publishes a result or archives
# the input: exit 74 (STORE_GONE), no result file, the input still in
# work/ for the next pass.
. "$(dirname "$0")/lib.sh"

N=${PS_GONE_RECORDS:-60000}
setup_business gone 20
S="$PAYSPOOL_SPOOL"
pstest_file "$S/inbound/gone/big.txt" 1 "$N" 20
touch "$S/inbound/gone/big.txt.done"

"$P" run --once --chunk 500 >"$T/run.out" 2>"$T/run.err" &
pid=$!
# wait for the document to be under way (its first chunks committed)
i=0
while [ "$i" -lt 400 ]; do
    n=$(sqlite3 "$S/payspool.db" \
        "select count(*) from files where status = 'PROCESSING'" 2>/dev/null)
    [ "${n:-0}" -ge 1 ] && break
    sleep 0.05
    i=$((i + 1))
done
rm -f "$S/payspool.db" "$S/payspool.db-wal" "$S/payspool.db-shm"
wait "$pid"
rc=$?
same "exit status" "$rc" 74
grep -q STORE_GONE "$T/run.err" && ok || {
    bad "no STORE_GONE on stderr"
    sed 's/^/    /' "$T/run.err" >&2
}
same "no result file" \
    "$(find "$S/outbound/gone/results" -name '*.result.csv' | wc -l)" 0
[ -f "$S/work/gone/big.txt" ] && ok || bad "the input left work/"
same "nothing archived" "$(find "$S/archive" -type f 2>/dev/null | wc -l)" 0
same "nothing failed" "$(ls "$S/failed/gone" | wc -l)" 0

finish

#!/bin/sh
# test_crashpoints.sh -- kill the engine (SIGKILL, via PAYSPOOL_CRASH_AT)
# at every named step of intake: after the claim, after a chunk commit,
# after a document is applied, between an output and its sidecars, after
# a result is published, after a refused document's row, after the
# archive is written, after it is recorded, after a quarantine is
# recorded.  Then run again and check that everything converged: each
# record applied once, each document one finished result, each input
# archived or failed with its reason, nothing left in work/.
. "$(dirname "$0")/lib.sh"

POINTS="claimed chunk-committed applied output-published result-published
refused-row archived destination quarantine-recorded"

scenario() {
    # an archive with two good members and one with a bad control total
    mkdir -p "$T/z/nov"
    pstest_file "$T/z/nov/a.txt" 100 3 5
    pstest_file "$T/z/nov/b.txt" 200 2 5
    pstest_file "$T/z/nov/bad.txt" 300 2 5
    sed -i 's/^TOTAL|2|/TOTAL|3|/' "$T/z/nov/bad.txt"
    rm -f "$T/batch.zip"
    (cd "$T/z" && bsdtar -a -cf "$T/batch.zip" nov)
    cp "$T/batch.zip" "$IN/batch.zip"
    touch "$IN/batch.zip.done"
    # a plain file, applied in several chunks
    pstest_file "$IN/pay.txt" 400 4 5
    touch "$IN/pay.txt.done"
    # an unsafe archive, refused whole
    mkdir -p "$T/evil/sub"
    pstest_file "$T/evil/x.txt" 500 2 5
    rm -f "$T/evil.tar"
    (cd "$T/evil/sub" && bsdtar -cf "$T/evil.tar" -P ../x.txt)
    cp "$T/evil.tar" "$IN/evil.tar"
    touch "$IN/evil.tar.done"
}

base=$PAYSPOOL_SPOOL
for point in $POINTS; do
    export PAYSPOOL_SPOOL="$base-$point"
    setup_business acme 5
    IN="$PAYSPOOL_SPOOL/inbound/acme"
    scenario
    PAYSPOOL_CRASH_AT=$point "$P" run --once --chunk 2 >/dev/null 2>&1
    rc=$?
    same "$point: killed" "$rc" 137
    expect 65 "$P" run --once --chunk 2
    # every record once
    same "$point: transactions" "$(sql 'select count(*) from transactions')" 9
    # every document: one row, one finished result
    same "$point: documents" "$(sql 'select count(*) from files')" 5
    same "$point: statuses" \
        "$(sql "select group_concat(status, ' ') from (select status from files order by status)")" \
        "APPLIED APPLIED APPLIED REJECTED REJECTED"
    res="$PAYSPOOL_SPOOL/outbound/acme/results"
    same "$point: result files" "$(ls "$res" | grep -c '\.result\.csv$')" 5
    same "$point: finished results" "$(ls "$res" | grep -c '\.result\.csv\.done$')" 5
    (cd "$res" && for f in *.result.csv; do sha256sum -c --quiet "$f.sha256" || exit 1; done) &&
        ok || bad "$point: a result checksum does not match"
    same "$point: result lines" \
        "$(cat "$res"/*.result.csv | grep -c '^[0-9]*,R')" 9
    # every input archived or failed, with its destination recorded
    same "$point: no destination missing" \
        "$(sql "select count(*) from files where archive_path is null")" 0
    same "$point: archived" "$(find "$PAYSPOOL_SPOOL/archive" -name '*.gz.enc' | wc -l)" 2
    same "$point: archive marked done" "$(find "$PAYSPOOL_SPOOL/archive" -name '*.gz.enc.done' | wc -l)" 2
    [ -f "$PAYSPOOL_SPOOL/failed/acme/evil.tar" ] && \
        [ -f "$PAYSPOOL_SPOOL/failed/acme/evil.tar.reason.done" ] && ok ||
        bad "$point: evil.tar not in failed/ with its reason"
    same "$point: failed" "$(ls "$PAYSPOOL_SPOOL/failed/acme" | grep -vc '\.reason')" 1
    same "$point: work empty" "$(ls -A "$PAYSPOOL_SPOOL/work/acme" | wc -l)" 0
    same "$point: inbound empty" "$(ls -A "$IN" | wc -l)" 0
    expect 0 "$P" ledger balance
done

ledger_verify_ok
finish

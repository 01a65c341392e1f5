#!/bin/sh
# test_ewa_writer.sh -- EWA disbursements are written by a writer thread
# (engine/ewawriter.h) while the intake thread decides and writes result
# lines.  A request id used by an earlier file, arriving mid-chunk, makes
# the writer fail; the chunk is rolled back and the document applied
# again on one thread from its last checkpoint: the request is refused
# exactly once (DUPLICATE_REQUEST), every other request is applied
# exactly once, and the ledger verifies.  Twice: in a document's only
# chunk (applied again from its start), and in its second chunk (from
# the checkpoint of its first).  Then a kill -9 after a chunk's commit
# with the writer thread running: the resumed run applies each request
# once.  Then refusals whose request ids were used, asked without
# waiting for the writer.
. "$(dirname "$0")/lib.sh"
export PAYSPOOL_LOG="$T/payspool.log"

B=ewa-writer
IN="$PAYSPOOL_SPOOL/inbound/$B"
RES="$PAYSPOOL_SPOOL/outbound/$B/results"
setup_ewa_business $B "Writer EWA"

# requests FILE ID...: one request per id, round the three employees.
requests() {
    f=$1
    shift
    n=0
    {
        echo "request_id,external_id,amount,currency,rail"
        for id in "$@"; do
            n=$((n + 1))
            echo "$id,E$(( (n % 3) + 1 )),1$((n % 10)).00,USD,CARD"
        done
    } >"$IN/$f"
    touch "$IN/$f.done"
    sleep 1.1
}

requests first.csv R5
expect 0 "$P" run --once
has "1 accepted" "$T/out"

# R5 again in the middle of the only chunk.
requests second.csv R1 R2 R3 R4 R5 R6 R7 R8 R9 R10
expect 0 "$P" run --once
has "records 10: 9 accepted, 0 rejected, 1 duplicate" "$T/out"
has '"document.redo"' "$PAYSPOOL_LOG"
res=$(find "$RES" -name 'second*.result.csv')
same "second: one result" "$(echo "$res" | grep -c .)" 1
same "second: R5 refused once" "$(grep -c ',R5,DUPLICATE,DUPLICATE_REQUEST,' "$res")" 1
same "second: nine accepted" "$(grep -c ',ACCEPTED,' "$res")" 9
same "second: one line each" "$(grep -c '^[0-9]' "$res")" 10

# R5 again in the second chunk of three records (the first is committed).
requests third.csv R11 R12 R13 R14 R5 R15 R16
expect 0 "$P" run --once --chunk 3
has "records 7: 6 accepted, 0 rejected, 1 duplicate" "$T/out"
same "two redos" "$(grep -c '"document.redo"' "$PAYSPOOL_LOG")" 2
res=$(find "$RES" -name 'third*.result.csv')
same "third: R5 refused once" "$(grep -c ',R5,DUPLICATE,DUPLICATE_REQUEST,' "$res")" 1
same "third: six accepted" "$(grep -c ',ACCEPTED,' "$res")" 6
same "third: one line each" "$(grep -c '^[0-9]' "$res")" 7

# Killed after its first chunk of three, with the writer thread: the
# next run resumes from the checkpoint and applies each request once.
requests fourth.csv R21 R22 R23 R24 R25 R26 R27
PAYSPOOL_CRASH_AT=chunk-committed "$P" run --once --chunk 3 >/dev/null 2>&1
same "killed" "$?" 137
expect 0 "$P" run --once --chunk 3
res=$(find "$RES" -name 'fourth*.result.csv')
same "fourth: seven accepted" "$(grep -c ',ACCEPTED,' "$res")" 7
same "fourth: one line each" "$(grep -c '^[0-9]' "$res")" 7

# Refused by a rule (E9 is no one), their request ids asked without
# waiting for the writer: R1, committed by an earlier file, through the
# read-only connection; X2, given to the writer two records before in
# the same chunk, through the writer's set and then the store; X1 used
# by no one.  No redo: a refusal never fails the writer.
{
    echo "request_id,external_id,amount,currency,rail"
    echo "X2,E1,12.00,USD,CARD"
    echo "R1,E9,12.00,USD,CARD"
    echo "X1,E9,12.00,USD,CARD"
    echo "X2,E9,12.00,USD,CARD"
    echo "X3,E2,12.00,USD,CARD"
} >"$IN/fifth.csv"
touch "$IN/fifth.csv.done"
sleep 1.1
expect 0 "$P" run --once
has "records 5: 2 accepted, 1 rejected, 2 duplicate" "$T/out"
same "no third redo" "$(grep -c '"document.redo"' "$PAYSPOOL_LOG")" 2
res=$(find "$RES" -name 'fifth*.result.csv')
same "fifth: R1 used by an earlier file" \
    "$(grep -c ',R1,DUPLICATE,DUPLICATE_REQUEST,' "$res")" 1
same "fifth: X2 used in this chunk" \
    "$(grep -c ',X2,DUPLICATE,DUPLICATE_REQUEST,' "$res")" 1
same "fifth: X1 refused for its profile" \
    "$(grep -c ',X1,REJECTED,PROFILE_NOT_FOUND,' "$res")" 1

# Every request exactly once in the store; R5 is the first file's.
same "requests" "$(sql "select count(*), count(distinct request_id) from transactions")" "25|25"
same "R5 from the first file" \
    "$(sql "select source_file from transactions where request_id = 'R5'")" "first.csv"
same "refusal rows" "$(sql "select count(*) from record_results")" 5
# The fee transfers, on the transaction rows since schema 29 (no entry).
same "fee transfers" "$(sql "select count(*) from transactions where fee_account is not null and fee > 0")" 25
same "no ledger entry" "$(sql "select count(*) from ledger_entries")" 0
ledger_verify_ok
finish

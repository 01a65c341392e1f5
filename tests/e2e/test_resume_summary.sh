#!/bin/sh
# test_resume_summary.sh -- issue 18, defect 11d: the summary of a pass
# that resumes a document after a crash counts what THIS pass did; the
# document's totals are in `files show`.
. "$(dirname "$0")/lib.sh"
setup_business acme 5
IN="$PAYSPOOL_SPOOL/inbound/acme"

# 10 payments, the 2nd for an unknown customer: rejected in chunk 1.
pstest_file "$T/pay.txt" 1 10 5
sed -i 's/^SEND|R0000002|C0003|/SEND|R0000002|C9999|/' "$T/pay.txt"
cp "$T/pay.txt" "$IN/pay.txt"
touch "$IN/pay.txt.done"
has "C9999" "$IN/pay.txt"
# killed right after the first chunk (4 records: 3 accepted, 1 rejected)
PAYSPOOL_CRASH_AT=chunk-committed "$P" run --once --chunk 4 >/dev/null 2>&1
same "killed" "$?" 137
same "first chunk" "$(sql 'SELECT count(*) FROM transactions')" 3

expect 0 "$P" --json run --once --chunk 4
same "this pass: records" "$(jq .records "$T/out")" 6
same "this pass: accepted" "$(jq .accepted "$T/out")" 6
same "this pass: rejected" "$(jq .rejected "$T/out")" 0
same "transactions" "$(sql 'SELECT count(*) FROM transactions')" 9
# the document's own totals
FID=$(sql "SELECT id FROM files WHERE name = 'pay.txt'")
expect 0 "$P" --json files show "$FID"
same "document: records" "$(jq .records "$T/out")" 10
same "document: accepted" "$(jq .accepted "$T/out")" 9
same "document: rejected" "$(jq .rejected "$T/out")" 1
ledger_verify_ok
finish

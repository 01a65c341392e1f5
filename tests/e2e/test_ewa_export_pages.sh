#!/bin/sh
# test_ewa_export_pages.sh -- `ewa export` reads each profile's first
# payment page from the loaded pages of a batch (one walk of the
# transactions in rowid order, store/ewapages.c), not from the profile's
# chain.  Each exported line must be the object `ewa show` builds from
# the chain, for page sizes below, at and above a profile's count (a full
# first page counts the rest), with transactions of the same second
# ordered by id, with a transaction that is not a SEND (not on the page),
# and after a status change.
. "$(dirname "$0")/lib.sh"

B=ewa-pages
IN="$PAYSPOOL_SPOOL/inbound/$B"
setup_ewa_business $B "Pages EWA"

{
    echo "request_id,external_id,amount,currency,rail"
    for i in 1 2 3 4 5 6 7; do
        echo "R$i,E$(( (i % 2) + 1 )),1$i.00,USD,CARD"
    done
} >"$T/requests.csv"
cp "$T/requests.csv" "$IN/requests.csv"
touch "$IN/requests.csv.done"
sleep 1.1
expect 0 "$P" run --once
has "7 accepted" "$T/out"
# E1: R2 R4 R6, E2: R1 R3 R5 R7, E3 none.  Two of E2's on the same
# second (created_at ties go by id), and a status change on one of E1's.
sql "UPDATE transactions SET created_at = (SELECT created_at FROM
     transactions WHERE request_id = 'R3') WHERE request_id = 'R5'"
expect 0 "$P" tx event "$(sql "SELECT id FROM transactions
    WHERE request_id = 'R4'")" SUBMIT --reason 'by hand'
same "R4 moved" "$(sql "SELECT status FROM transactions
    WHERE request_id = 'R4'")" PENDING
same "no profile without its chain" \
    "$(sql "SELECT count(*) FROM transactions WHERE profile_id IS NOT NULL")" 7

# export_matches SIZE: every line of the export of page size SIZE is the
# object `ewa show --size SIZE` prints for that profile (jq -cS both).
export_matches() {
    expect 0 "$P" ewa export --business $B --page-size "$1"
    f=$(ls -t "$PAYSPOOL_SPOOL/outbound/$B/exports/"*.jsonl | head -n 1)
    same "size $1: three profiles" "$(wc -l <"$f" | tr -d ' ')" 3
    for e in E1 E2 E3; do
        "$P" ewa show "$e" --business $B --size "$1" --json >"$T/show" ||
            bad "ewa show $e"
        jq -cS . "$T/show" >"$T/show.c"
        jq -cS "select(.externalId == \"$e\")" "$f" >"$T/line.c"
        if cmp -s "$T/show.c" "$T/line.c"; then
            ok
        else
            bad "size $1, $e: the export's line is not ewa show's object:
$(cat "$T/line.c")
$(cat "$T/show.c")"
        fi
    done
}
export_matches 100
export_matches 4
export_matches 3
export_matches 2
export_matches 1
f=$(ls -t "$PAYSPOOL_SPOOL/outbound/$B/exports/"*.jsonl | head -n 1)
same "E2's count past a full page" \
    "$(jq -c 'select(.externalId == "E2") | [.payment.totalElements,
        .payment.totalPages, .payment.numberOfElements]' "$f")" "[4,4,1]"
ledger_verify_ok
finish

#!/bin/sh
# test_provider_writer.sh -- the provider's answers on two threads
# (engine/provider.h): the intake thread decides each line against the
# transaction as committed and as the lines queued since left it, the
# writer thread writes.  In one chunk: two answers to one transaction
# (APPROVED then SETTLED), the same answer twice, an answer after a
# DECLINED, a wrong amount, another attempt; then, in a later file, an
# answer committed before, an unknown reference (applied alone, on one
# thread, with the rest of its chunk) and an answer after it.  The same
# answers applied a line a chunk (every decision against what is
# committed) give the same result files, statuses and rows; the answers
# are applied once, and the ledger verifies.
. "$(dirname "$0")/lib.sh"
export PAYSPOOL_LOG="$T/payspool.log"

B=pw
RES="$PAYSPOOL_SPOOL/outbound/$B/results"
PIN="$PAYSPOOL_SPOOL/providers/sandbox/inbound/$B"
setup_ewa_business $B "Writer EWA"
echo "sandbox = yes" >>"$PAYSPOOL_SPOOL.conf"

{
    echo "request_id,external_id,amount,currency,rail"
    for n in 1 2 3 4 5; do
        echo "R$n,E$(( (n % 3) + 1 )),1$n.00,USD,CARD"
    done
} >"$PAYSPOOL_SPOOL/inbound/$B/requests.csv"
touch "$PAYSPOOL_SPOOL/inbound/$B/requests.csv.done"
sleep 1.1
expect 0 "$P" run --once
has "5 accepted" "$T/out"
expect 0 "$P" payouts run --business $B
has "5 payouts" "$T/out"

id_of() { sql "SELECT id FROM transactions WHERE request_id = '$1'"; }
status_of() { sql "SELECT status FROM transactions WHERE request_id = '$1'"; }
I1=$(id_of R1) I2=$(id_of R2) I3=$(id_of R3) I4=$(id_of R4)

# answer NAME LINE...: an answer file in the provider's folder.
answer() {
    f=$1
    shift
    {
        echo "reference,status,reason_code,message,settlement_date,amount,currency,attempt"
        for l in "$@"; do echo "$l"; done
    } >"$PIN/$f"
    touch "$PIN/$f.done"
    sleep 1.1
}

cp -a "$PAYSPOOL_SPOOL" "$T/before"
cp "$PAYSPOOL_SPOOL.conf" "$T/before.conf"

# apply [OPTION...]: the two answer files, one run each.
apply() {
    answer first.status.csv \
        "$I1,APPROVED,00,approved,,11.00,USD,1" \
        "$I1,SETTLED,00,approved,2026-12-08,11.00,USD,1" \
        "$I1,SETTLED,00,approved,2026-12-08,11.00,USD,1" \
        "$I2,DECLINED,05,do not honor,,12.00,USD,1" \
        "$I2,SETTLED,00,approved,2026-12-08,12.00,USD,1" \
        "$I3,SETTLED,00,approved,2026-12-08,13.01,USD,1" \
        "$I3,SETTLED,00,approved,2026-12-08,13.00,USD,2" \
        "$I3,SETTLED,00,approved,2026-12-08,13.00,USD,1"
    expect 0 "$P" run --once "$@"
    has "records 8: 4 accepted, 3 rejected, 1 duplicate" "$T/out"
    answer second.status.csv \
        "$I1,SETTLED,00,approved,2026-12-08,11.00,USD,1" \
        "01a00000-0000-7000-8000-000000000000,SETTLED,00,approved,2026-12-08,11.00,USD,1" \
        "$I4,SETTLED,00,approved,2026-12-08,14.00,USD,1"
    expect 0 "$P" run --once "$@"
    has "records 3: 1 accepted, 1 rejected, 1 duplicate" "$T/out"
}

# state: what the answers left, timestamps aside.
state() {
    for r in R1 R2 R3 R4 R5; do echo "$r $(status_of $r)"; done
    sql "SELECT count(*), sum(amount) FROM provider_answers"
    sql "SELECT status, currency, answers, amount FROM answer_sums ORDER BY 1, 2"
    sql "SELECT count(*) FROM transaction_history"
    sql "SELECT count(*) FROM event_outbox"
    sql "SELECT memo, amount FROM ledger_entries ORDER BY id"
    sql "SELECT l.kind, b.debits_posted, b.credits_posted FROM ledger_balances b
         JOIN ledger_accounts l ON l.id = b.account ORDER BY l.kind, b.account"
}

apply
R1=$(find "$RES" -name 'first.status.csv.*.result.csv')
R2=$(find "$RES" -name 'second.status.csv.*.result.csv')
has "^2,$I1,ACCEPTED,,PROCESSING -> APPROVED (attempt 1),$I1,11.00$" "$R1"
has "^3,$I1,ACCEPTED,,APPROVED -> SETTLED (attempt 1),$I1,11.00$" "$R1"
has "^4,$I1,DUPLICATE,DUPLICATE_STATUS," "$R1"
has "^5,$I2,ACCEPTED,,PROCESSING -> DECLINED (attempt 1)," "$R1"
has "^6,$I2,REJECTED,ILLEGAL_TRANSITION," "$R1"
has "^7,$I3,REJECTED,AMOUNT_MISMATCH," "$R1"
has "^8,$I3,REJECTED,ATTEMPT_MISMATCH," "$R1"
has "^9,$I3,ACCEPTED,,PROCESSING -> SETTLED (attempt 1)," "$R1"
has "^2,$I1,DUPLICATE,DUPLICATE_STATUS," "$R2"
has "^3,01a00000-0000-7000-8000-000000000000,REJECTED,UNKNOWN_REFERENCE," "$R2"
has "^4,$I4,ACCEPTED,,PROCESSING -> SETTLED (attempt 1)," "$R2"
same "no redo" "$(grep -c '"document.redo"' "$PAYSPOOL_LOG")" 0
same "R1 settled" "$(status_of R1)" SETTLED
same "R2 declined" "$(status_of R2)" DECLINED
same "R5 untouched" "$(status_of R5)" PROCESSING
same "answers once" "$(sql "SELECT count(*) FROM provider_answers")" 5
state >"$T/state.two"
sed '/^#/d' "$R1" "$R2" >"$T/results.two"
ledger_verify_ok

# The same on a copy, a line a chunk: every decision against what is
# committed, the writer's queue empty each time.
rm -rf "$PAYSPOOL_SPOOL" && cp -a "$T/before" "$PAYSPOOL_SPOOL"
cp "$T/before.conf" "$PAYSPOOL_SPOOL.conf"
apply --chunk 1
R1=$(find "$RES" -name 'first.status.csv.*.result.csv')
R2=$(find "$RES" -name 'second.status.csv.*.result.csv')
state >"$T/state.one"
sed '/^#/d' "$R1" "$R2" >"$T/results.one"
if cmp -s "$T/results.one" "$T/results.two"; then ok; else
    bad "result lines differ a line a chunk"
    diff "$T/results.one" "$T/results.two" >&2
fi
if cmp -s "$T/state.one" "$T/state.two"; then ok; else
    bad "state differs a line a chunk"
    diff "$T/state.one" "$T/state.two" >&2
fi
ledger_verify_ok
# The answers' sums (schema 31, what the metrics read) are the answers':
# verify recomputes them, and finds one changed behind the engine's back.
same "answer sums" "$(sql "SELECT sum(answers), sum(amount) FROM answer_sums")" \
    "$(sql "SELECT count(*), sum(amount) FROM provider_answers")"
rm -rf "$T/sums" && cp -a "$PAYSPOOL_SPOOL" "$T/sums"
sqlite3 "$T/sums/payspool.db" "UPDATE answer_sums SET answers = answers + 1
    WHERE status = 'SETTLED'"
expect 1 "$P" --spool "$T/sums" ledger verify
has "^DIFFERENCE .*provider answers SETTLED (answer_sums; amount +0 " "$T/out"

finish

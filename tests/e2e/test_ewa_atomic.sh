#!/bin/sh
# test_ewa_atomic.sh -- an EWA disbursement is written without a savepoint
# of its own (the chunk's transaction holds it): its transaction row goes
# in first, carrying its transfer and its fee's (schema 29); when the
# business's ledger accounts are not known yet, they are looked up (or
# created) after the row and set on it.  A failure between the two must
# never pass for the record's refusal, which would commit a disbursement
# with half its postings.  A trigger makes the creation of the fee's
# account (FEE_INCOME) fail, so the first request's fee transfer cannot
# be written (a constraint failure, as a real one would be); then:
#   - the run fails the input: nothing of the chunk is committed (no
#     transaction, no ledger entry, no balance, no result published) and
#     the ledger still verifies;
#   - with the fault gone, the next run redoes the input from its start
#     and applies every request exactly once; the ledger verifies.
. "$(dirname "$0")/lib.sh"
export PAYSPOOL_LOG="$T/payspool.log"

B=ewa-atomic
IN="$PAYSPOOL_SPOOL/inbound/$B"
setup_ewa_business $B "Atomic EWA"

{
    echo "request_id,external_id,amount,currency,rail"
    for i in 1 2 3 4 5; do
        echo "R$i,E$(( (i % 3) + 1 )),1$i.00,USD,CARD"
    done
} >"$T/requests.csv"
cp "$T/requests.csv" "$IN/requests.csv"
touch "$IN/requests.csv.done"
sleep 1.1

# The fault: the fee's account cannot be created, so R1's fee transfer
# cannot be written.
same "no fee account yet" \
    "$(sql "select count(*) from ledger_accounts where kind = 'FEE_INCOME'")" 0
sql "CREATE TRIGGER fault_fee BEFORE INSERT ON ledger_accounts
     WHEN NEW.kind = 'FEE_INCOME'
     BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"
txns0=$(sql "select count(*) from transactions")
entries0=$(sql "select count(*) from ledger_entries")
balances0=$(sql "select group_concat(account || ':' || debits_posted || ':' || credits_posted, ' ') from (select * from ledger_balances order by account)")
counters0=$(sql "select group_concat(amount_to_recover || ':' || period_disbursed, ' ') from (select * from ewa_counters order by 1)")

"$P" run --once >"$T/out" 2>&1
rc=$?
[ "$rc" -ne 0 ] && ok || bad "the run with a failed fee transfer exited 0"
has "injected fault" "$T/out"
has "written, its ledger postings failed" "$T/out"
# Nothing of the chunk: no row of any request, no posting, no balance.
same "no transaction left" "$(sql "select count(*) from transactions")" "$txns0"
same "no R1 row" "$(sql "select count(*) from transactions where request_id = 'R1'")" 0
same "no R3 row" "$(sql "select count(*) from transactions where request_id = 'R3'")" 0
same "no ledger entry" "$(sql "select count(*) from ledger_entries")" "$entries0"
same "balances unchanged" "$(sql "select group_concat(account || ':' || debits_posted || ':' || credits_posted, ' ') from (select * from ledger_balances order by account)")" "$balances0"
same "EWA counters unchanged" "$(sql "select group_concat(amount_to_recover || ':' || period_disbursed, ' ') from (select * from ewa_counters order by 1)")" "$counters0"
same "no refusal row" "$(sql "select count(*) from record_results")" 0
same "no result published" \
    "$(find "$PAYSPOOL_SPOOL/outbound/$B/results" -name 'requests*.result.csv' 2>/dev/null | wc -l)" 0
ledger_verify_ok

# The fault gone: the input is redone cleanly, each request once.
sql "DROP TRIGGER fault_fee"
expect 0 "$P" run --once
same "five transactions" "$(sql "select count(*) from transactions where request_id like 'R%'")" 5
same "each request once" \
    "$(sql "select count(distinct request_id) from transactions where request_id like 'R%'")" 5
# The fee transfers are on the rows (schema 29), not ledger entries.
same "five fee transfers" \
    "$(sql "select count(*) from transactions where request_id like 'R%' and fee > 0 and fee_account = (select id from ledger_accounts where kind = 'FEE_INCOME')")" 5
same "no fee entry" "$(sql "select count(*) from ledger_entries")" "$entries0"
res=$(find "$PAYSPOOL_SPOOL/outbound/$B/results" -name 'requests*.result.csv')
same "one result" "$(echo "$res" | grep -c .)" 1
same "five accepted lines" "$(grep -c ',ACCEPTED,' "$res")" 5
# E1 took R3 (13.00) and its card fee (2.99), once.
expect 0 "$P" ewa show E1 --business $B
has '"amountToRecover": "15.99"' "$T/out"
has '"totalElements": 1,' "$T/out"
# E2 took R1 then R4: its payment page walks its chain, newest first.
expect 0 "$P" ewa show E2 --business $B
has '"totalElements": 2,' "$T/out"
same "E2 newest first" "$(grep '"amount"' "$T/out" | tr -d ' ,"' | tr '\n' ' ')" \
    "amount:14.00 amount:11.00 "
ledger_verify_ok

# `ledger verify` walks every chain: one cut link is a difference.
sql "UPDATE transactions SET profile_prev = NULL WHERE request_id = 'R4'"
expect 1 "$P" ledger verify
has "EWA profile E2" "$T/out"
has "transactions" "$T/out"
sql "UPDATE transactions SET profile_prev =
     (SELECT rowid FROM transactions WHERE request_id = 'R1')
     WHERE request_id = 'R4'"
ledger_verify_ok
finish

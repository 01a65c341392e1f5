#!/bin/sh
# test_ledger_verify.sh -- `payspool ledger verify` (issue 21) on the demo
# week's database (fixtures/store/v15-demo-week.db.gz): all agree, exit
# 0; then, on copies corrupted on purpose with sqlite3, the difference is
# found, named (business, account kind or profile, currency, figure, both
# amounts; never an account number) and the exit is 1: a stored balance
# (an EWA profile's amount to recover) changed, a ledger row's amount
# changed, a ledger row moved to another currency.
. "$(dirname "$0")/lib.sh"
F="$PS_FIXTURES/store"
cp "$F/v15-demo-week.key" "$T/key"
chmod 600 "$T/key"
prepare() {
    mkdir -p "$T/$1"
    gzip -dc "$F/v15-demo-week.db.gz" >"$T/$1/payspool.db"
}
on() {
    s=$1
    shift
    "$P" --spool "$T/$s" --db "$T/$s/payspool.db" --key "$T/key" "$@"
}

prepare ok
expect 0 on ok ledger verify
has "^USD  trial balance .* balanced$" "$T/out"
has "^checked: 38 ledger accounts .* 2 EWA receivables, 30 EWA profiles$" "$T/out"
has "^all agree$" "$T/out"
expect 0 on ok --json ledger verify --accounts
same "json agrees" "$(jq .agrees "$T/out")" true
same "json accounts" "$(jq '.accounts | length' "$T/out")" 38
same "json no findings" "$(jq '.findings | length' "$T/out")" 0
same "every account listed with its kind" \
    "$(jq -r '[.accounts[].subject | split(" ")[0]] | unique | join(",")' "$T/out")" \
    "CUSTOMER,EWA_RECEIVABLE,FEE_INCOME,FUNDING"
expect 0 on ok ledger verify --business northwind-warehousing
has "^checked: .* 1 EWA receivables, 12 EWA profiles$" "$T/out"
expect 66 on ok ledger verify --business nobody

# A stored balance changed: NWL-10480 owes 150.98; make it 151.98.
prepare owed
sqlite3 "$T/owed/payspool.db" "UPDATE ewa_profiles SET amount_to_recover =
    amount_to_recover + 100 WHERE external_id = 'NWL-10480'"
expect 1 on owed ledger verify
has "^DIFFERENCE northwind-logistics: EWA profile NWL-10480 USD amountToRecover: stored 151.98, counted from its transactions and payroll results 150.98$" "$T/out"
has "LEDGER_VERIFY_DIFFERENCE" "$T/err"
has "1 figure recomputed" "$T/err"
expect 1 on owed --json ledger verify
same "json agrees" "$(jq .agrees "$T/out")" false
same "json finding" "$(jq -c '.findings[0] | [.check, .subject, .leftAmount, .rightAmount]' "$T/out")" \
    '["PROFILE","EWA profile NWL-10480","151.98","150.98"]'
# the other business is untouched
expect 0 on owed ledger verify --business northwind-warehousing

# A ledger row's amount changed (the receivable's side of a fee).
prepare entry
sqlite3 "$T/entry/payspool.db" "UPDATE ledger_entries SET amount = amount + 1
    WHERE id = (SELECT min(e.id) FROM ledger_entries e JOIN ledger_accounts a
    ON a.id = e.debit_account JOIN businesses b ON b.id = a.business_id
    WHERE e.memo = 'ewa fee' AND b.name = 'northwind-warehousing')"
expect 1 on entry ledger verify
has "^DIFFERENCE northwind-warehousing: EWA_RECEIVABLE USD balance: from the ledger's rows 103.99, counted from its transactions and payroll results 103.98$" "$T/out"

# A ledger row in another currency than its accounts (a fee: it stays a
# ledger_entries row through the row model's migrations, docs/store.md).
prepare cur
sqlite3 "$T/cur/payspool.db" "UPDATE ledger_entries SET currency = 'EUR'
    WHERE id = (SELECT min(id) FROM ledger_entries WHERE memo = 'ewa fee')"
expect 1 on cur ledger verify
n=$(grep -c "legs in another currency or business: found 1, allowed 0" "$T/out")
same "both accounts of the row" "$n" 2

# A row whose parent row is missing (the schema dropped its foreign keys
# in v9): `ledger verify` checks every row of every business (the daily
# report no longer does, docs/reconciliation.md), names the table and
# column, exit 1.
prepare orphan
sqlite3 "$T/orphan/payspool.db" "UPDATE ewa_eligibility_history
    SET profile_id = 'no-such-profile'
    WHERE rowid = (SELECT min(rowid) FROM ewa_eligibility_history)"
expect 1 on orphan ledger verify
has "^DIFFERENCE any business: ewa_eligibility_history.profile_id 1 rows without their parent row: found 1, allowed 0$" "$T/out"
has "LEDGER_VERIFY_DIFFERENCE" "$T/err"
expect 1 on orphan --json ledger verify --business northwind-warehousing
same "json orphan finding" "$(jq -c '.findings[0] | [.check, .subject, .leftAmount, .rightAmount]' "$T/out")" \
    '["ORPHAN_ROWS","ewa_eligibility_history.profile_id 1","1","0"]'
expect 65 on orphan ledger balance
has "^references: ewa_eligibility_history.profile_id 1$" "$T/out"

# Nothing printed is an account or card number (the only long digit runs
# are ids).
for f in "$T"/out "$T"/err; do
    if sed 's/[0-9a-f]\{8\}-[0-9a-f-]\{27\}//g' "$f" | grep -qE '[0-9]{9,}'; then
        bad "a long number in $f"
    else ok; fi
done
ledger_verify_ok --spool "$T/ok" --db "$T/ok/payspool.db" --key "$T/key"
finish

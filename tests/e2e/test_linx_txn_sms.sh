#!/bin/sh
# test_linx_txn_sms.sh -- issue 20, the SMS of a LinX request's
# transaction: each customer-facing status change of the SEND or DEBIT a
# request created queues one TRANSACTION_STATUS SMS to the request's
# mobile (in the status change's store transaction), and the linx step
# and the nightly jobs' events step write it to the SMS JSON Lines file:
#   S1 a rebate (SEND to a card): sent, then SETTLED by the sandbox;
#   S2 a rebate of x.13: sent, then DECLINED (no provider text in the SMS);
#   D1 a DEBIT of x.01: sent to the bank, then returned R01 by the
#      sandbox ODFI (insufficient funds);
#   D2 a DEBIT: sent to the bank, then settled.
# Ordinary payments of the same business (one whose request id merely
# starts with "linx-") get none; nothing is written twice after re-runs
# and a provider answer sent again.
. "$(dirname "$0")/lib.sh"
export PAYSPOOL_NOW=2026-11-20T22:00:00Z
export PAYSPOOL_JOBS="$(dirname "$0")/../../jobs"
B=acme
IN="$PAYSPOOL_SPOOL/inbound/$B"
PIN="$PAYSPOOL_SPOOL/providers/sandbox/inbound/$B"
SMS="$PAYSPOOL_SPOOL/outbound/$B/sms"

"$P" init >/dev/null || exit 1
cat >"$PAYSPOOL_SPOOL.conf" <<CONF
[spool]
stable_seconds = 1
min_age_seconds = 0
sandbox = yes
[ach]
odfi_routing = 076401251
odfi_name = LAKESIDE BANK
[ach:acme]
company_id = 1555000111
company_name = ACME FREIGHT
CONF
expect 0 "$P" business add $B --display-name "Acme Freight"
expect 0 "$P" business set $B --gateway-url https://go.example/l
printf 'Terms v3\n' >"$T/terms.txt"
expect 0 "$P" document add terms --business $B --version 3 --title Terms \
    --file "$T/terms.txt"
# An ordinary customer with a card, and two ordinary payments.
expect 0 "$P" customer add C1 --business $B --first-name Pay --last-name Roll \
    --email c1@example.com --phone +14155550199
echo 4000056655665556 | "$P" account add C1 --business $B --card >"$T/acct"
ACCT=$(sql "select id from financial_accounts")
expect 0 "$P" tx create --business $B --customer C1 --account "$ACCT" \
    --amount 12.00 --request-id PAY1
expect 0 "$P" tx create --business $B --customer C1 --account "$ACCT" \
    --amount 13.00 --request-id linx-PAY2

cat >"$IN/req.csv" <<'CSV'
linx_request_id,external_id,mobile,template,activities,expires_on,transaction_type,amount,currency,document_id,document_version
S1,,+14155550101,rebate,,,,25.00,USD,terms,3
S2,,+14155550102,rebate,,,,30.13,USD,terms,3
D1,,+14155550103,,CREATE_CUSTOMER | ADD_BANK_ACCOUNT | TRANSACTION,,DEBIT,40.01,USD,,
D2,,+14155550104,,CREATE_CUSTOMER | ADD_BANK_ACCOUNT | TRANSACTION,,DEBIT,50.00,USD,,
CSV
touch "$IN/req.csv.done"
expect 0 "$P" run --once
expect 0 "$P" job run linx
link=$(ls "$SMS"/*.jsonl)
same "four links" "$(jq -r .kind "$link" | sort | uniq -c | tr -s ' ')" " 4 LINK"
tok() { jq -r "select(.ref==\"$1\") | .link" "$link" | sed 's|.*/||'; }
cust() {
    printf '"customer":{"firstName":"%s","lastName":"Ruiz","email":"%s@example.com"}' "$1" "$1"
}
card='"card":{"number":"4000056655665556","name":"Visa"}'
bank() {
    printf '"bank":{"routing":"021000021","number":"44001100%s","type":"CHECKING","name":"Checking"}' "$1"
}
docs='"documents":[{"id":"terms","version":"3"}]'
cat >"$T/answers.jsonl" <<JSONL
{"token":"$(tok S1)","decision":"ACCEPTED",$(cust Ana),$card,$docs}
{"token":"$(tok S2)","decision":"ACCEPTED",$(cust Bea),$card,$docs}
{"token":"$(tok D1)","decision":"ACCEPTED",$(cust Cy),$(bank 01)}
{"token":"$(tok D2)","decision":"ACCEPTED",$(cust Dan),$(bank 02)}
JSONL
expect 0 "$P" linx answers "$T/answers.jsonl" --business $B
same "completed" "$(sql "select group_concat(status, ' ') from (select status from linx_requests order by ref)")" \
    "COMPLETED COMPLETED COMPLETED COMPLETED"
same "each request names its transaction" \
    "$(sql "select count(*) from linx_requests r join transactions t on t.id = r.txn_id and t.request_id = 'linx-' || r.ref")" 4
same "creation: no SMS" "$(sql "select count(*) from sms_outbox where kind='TRANSACTION_STATUS'")" 0

# The nightly job: the payouts (S1, S2 and the two ordinary payments)
# and the ACH cutoff (D1, D2).  SUBMIT is internal, TRANSMIT is "sent";
# its events step writes the SMS file the same night.
expect 0 "$P" job run nightly-ewa --date 2026-11-20
same "sent: one SMS each" "$(sql "select count(*) from sms_outbox where kind='TRANSACTION_STATUS'")" 4
same "written by the events step" "$(sql "select count(*) from sms_outbox where status <> 'WRITTEN'")" 0
# The sandbox answers: S1 settled, S2 declined, D1 returned R01, D2
# settled; the reconcile job (intake, reconcile, events) takes them.
expect 0 "$P" sandbox provider --business $B --date 2026-11-23
cp "$PIN"/p2c-*.status.csv "$T/card-answers.csv"
cp "$PIN"/ach-*.returns.ach "$T/returns.ach"
expect 0 "$P" job run reconcile --date 2026-11-20
st() { sql "select t.status from transactions t join linx_requests r on r.txn_id = t.id where r.ref = '$1'"; }
same "S1" "$(st S1)" SETTLED
same "S2" "$(st S2)" DECLINED
same "D1" "$(st D1)" DECLINED
same "D2" "$(st D2)" SETTLED
same "ordinary ones settled" "$(sql "select group_concat(status) from transactions where request_id like '%PAY%'")" "SETTLED,SETTLED"
same "queued" "$(sql "select count(*) from sms_outbox where kind='TRANSACTION_STATUS'")" 8
same "all written" "$(sql "select count(*) from sms_outbox where status <> 'WRITTEN'")" 0

# The SMS files, oldest first: one TRANSACTION_STATUS line per change.
# shellcheck disable=SC2012
all() { ls -tr "$SMS"/*.jsonl | xargs cat; }
all | jq -c 'select(.kind=="TRANSACTION_STATUS")' >"$T/tx.jsonl"
same "eight lines" "$(wc -l <"$T/tx.jsonl")" 8
line() { jq -r "select(.ref==\"$1\") | .mobile + \" | \" + .text" "$T/tx.jsonl"; }
same "S1" "$(line S1)" "+14155550101 | Acme Freight: your payment of \$25.00 was sent.
+14155550101 | Acme Freight: your payment of \$25.00 was completed."
same "S2" "$(line S2)" "+14155550102 | Acme Freight: your payment of \$30.13 was sent.
+14155550102 | Acme Freight: your payment of \$30.13 was declined."
same "D1" "$(line D1)" "+14155550103 | Acme Freight: the debit of \$40.01 from your bank account was sent to your bank.
+14155550103 | Acme Freight: the debit of \$40.01 from your bank account was returned: insufficient funds."
same "D2" "$(line D2)" "+14155550104 | Acme Freight: the debit of \$50.00 from your bank account was sent to your bank.
+14155550104 | Acme Freight: the debit of \$50.00 from your bank account was completed."
same "no link" "$(jq -r 'select(.link != null)' "$T/tx.jsonl")" ""
same "none for the ordinary customer" "$(all | grep -c 4155550199)" 0
if all | grep -q "4400110001\|4000056655665556\|do not honor"; then
    bad "an account number or provider text in an SMS"; else ok; fi

# Re-runs, and the sandbox's answers sent again (refused as duplicates):
# nothing new, nothing twice.
n=$(all | wc -l)
printf '\n' >>"$T/card-answers.csv"
cp "$T/card-answers.csv" "$PIN/again.status.csv" && touch "$PIN/again.status.csv.done"
cp "$T/returns.ach" "$PIN/again.returns.ach" && touch "$PIN/again.returns.ach.done"
expect 0 "$P" job run reconcile --date 2026-11-20 --rerun --reason again
has DUPLICATE "$(ls "$PAYSPOOL_SPOOL"/outbound/$B/results/again.status.csv.*.result.csv)"
expect 0 "$P" job run linx --rerun --reason again --date 2026-11-20
expect 0 "$P" job run nightly-ewa --date 2026-11-20 --rerun --reason again
same "nothing twice" "$(all | wc -l)" "$n"
same "still eight" "$(sql "select count(*) from sms_outbox where kind='TRANSACTION_STATUS'")" 8
same "statuses kept" "$(st S1) $(st S2) $(st D1) $(st D2)" "SETTLED DECLINED DECLINED SETTLED"
finish

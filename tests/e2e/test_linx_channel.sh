#!/bin/sh
# test_linx_channel.sh -- LinX gateway answers through the provider
# channel (issue 20): a gateway answers file (JSON Lines, detected by
# content: formats/linxanswer) dropped in the gateway's folder,
# providers/linx-gw/inbound/acme/, is applied line by line (records of
# kind linx.answer) with one result line per answer line; the same file
# in acme's own inbound/ is refused whole (ANSWER_NOT_FROM_PROVIDER) and
# changes nothing.
. "$(dirname "$0")/lib.sh"

setup_business acme 1
S=$PAYSPOOL_SPOOL
IN="$S/inbound/acme"
GW="$S/providers/linx-gw/inbound/acme"
export PAYSPOOL_JOBS="$(dirname "$0")/../../jobs"
cat >>"$S.conf" <<CONF
[provider linx-gw]
businesses = acme
CONF
printf 'Terms v3\n' >"$T/terms.txt"
expect 0 "$P" document add terms --business acme --version 3 \
    --title "Terms" --file "$T/terms.txt"
expect 0 "$P" business set acme --gateway-url https://go.example/l

cat >"$IN/req.csv" <<'CSV'
linx_request_id,external_id,mobile,template,activities,expires_on,transaction_type,amount,currency,document_id,document_version
R1,,+14155550101,rebate,,,,25.00,USD,terms,3
R2,,+14155550102,rebate,,,,30.00,USD,terms,3
CSV
touch "$IN/req.csv.done"
expect 0 "$P" run --once
expect 0 "$P" job run linx
sms=$(ls "$S"/outbound/acme/sms/*.jsonl)
tok() { jq -r "select(.ref==\"$1\") | .link" "$sms" | sed 's|.*/||'; }
same "gateway folder made" "$(test -d "$GW" && echo yes)" yes

cust='"customer":{"firstName":"Ana","lastName":"Ruiz","email":"ana@example.com","addresses":[{"type":"SHIPPING","line1":"1 Main St","city":"Oakland","region":"CA","postalCode":"94601","country":"US"},{"type":"BILLING","line1":"PO Box 7","city":"Oakland","region":"CA","postalCode":"94602","country":"US"}]}'
card='"card":{"number":"4000056655665556","name":"Visa"}'
docs='"documents":[{"id":"terms","version":"3"}]'
cat >"$T/answers.jsonl" <<JSONL
{"token":"$(tok R1)","decision":"ACCEPTED",$cust,$card,$docs}

{"token":"$(tok R2)","decision":"DECLINED","reason":"NOT_RECOGNIZED"}
{"token":"0000000000000000000000000000000000000000000000000000000000000000","decision":"ACCEPTED"}
not json
JSONL

# ---- in the employer's own inbound: refused whole --------------------------
cp "$T/answers.jsonl" "$IN/answers.jsonl" && : >"$IN/answers.jsonl.done"
expect 65 "$P" run --once
has "ANSWER_NOT_FROM_PROVIDER" "$S/failed/acme/answers.jsonl.reason"
R=$(ls "$S"/outbound/acme/results/answers.jsonl.*.result.csv 2>/dev/null | head -1)
[ -n "$R" ] && has "REJECTED,ANSWER_NOT_FROM_PROVIDER" "$R" ||
    bad "no result file for the refused answers"
same "nothing applied" "$(sql "select group_concat(ref || '=' || status, ' ') from (select ref, status from linx_requests order by ref)")" \
    "R1=SENT R2=SENT"
same "no customer" "$(sql "select count(*) from customers where external_id='linx-R1'")" 0
rm -f "$S"/outbound/acme/results/answers.jsonl.*

# ---- in the gateway's folder: applied, one result line per answer ----------
cp "$T/answers.jsonl" "$GW/answers.jsonl" && : >"$GW/answers.jsonl.done"
expect 0 "$P" run --once
same "statuses" "$(sql "select group_concat(ref || '=' || status, ' ') from (select ref, status from linx_requests order by ref)")" \
    "R1=COMPLETED R2=DECLINED"
same "R2 reason" "$(sql "select decline_reason from linx_requests where ref='R2'")" NOT_RECOGNIZED
same "R1 customer, two addresses" "$(sql "select count(*) from customer_addresses a join customers c on c.id = a.customer_id where c.external_id='linx-R1'")" 2
same "R1 transaction" "$(sql "select type || ' ' || amount from transactions where request_id='linx-R1'")" "SEND 2500"
same "the file's row names the gateway" "$(sql "select source from files where name='answers.jsonl' and status <> 'FAILED' order by rowid desc limit 1")" linx-gw
R=$(ls "$S"/outbound/acme/results/answers.jsonl.*.result.csv 2>/dev/null | head -1)
if [ -z "$R" ]; then
    bad "no result file for the gateway's answers"
else
    grep -v '^#' "$R" >"$T/res"
    same "one result line per answer line" "$(grep -c ',\(ACCEPTED\|REJECTED\|DUPLICATE\),' "$T/res")" 4
    has "COMPLETED" "$T/res"
    has "DECLINED" "$T/res"
    has "REJECTED,LINX_TOKEN_UNKNOWN" "$T/res"
    has "REJECTED,LINX_ANSWER" "$T/res"
    if grep -q "$(tok R1)" "$R"; then bad "token in the result file"; else ok; fi
    if grep -q "4000056655665556" "$R"; then bad "card number in the result file"; else ok; fi
fi
# Again, through the folder: the completed token is refused per line.
head -1 "$T/answers.jsonl" >"$GW/again.jsonl" && : >"$GW/again.jsonl.done"
expect 0 "$P" run --once
R=$(ls "$S"/outbound/acme/results/again.jsonl.*.result.csv 2>/dev/null | head -1)
[ -n "$R" ] && has "REJECTED,LINX_NOT_ACTIVE" "$R" || bad "no result for again.jsonl"
same "still one customer" "$(sql "select count(*) from customers where external_id='linx-R1'")" 1
ledger_verify_ok
finish

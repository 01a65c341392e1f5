#!/bin/sh
# test_linx_answers.sh -- gateway answers: completed requests (a customer
# with two addresses, a card, terms accepted, a disbursement), declines
# with a predefined and a free-text reason, all or nothing (a failing
# third activity leaves nothing of the first two), and tokens refused per
# line: unknown, cancelled, already completed, expired.
. "$(dirname "$0")/lib.sh"

setup_business acme 1
IN="$PAYSPOOL_SPOOL/inbound/acme"
export PAYSPOOL_JOBS="$(dirname "$0")/../../jobs"
printf 'Terms v3\n' >"$T/terms.txt"
expect 0 "$P" document add terms --business acme --version 3 \
    --title "Terms" --file "$T/terms.txt"
expect 0 "$P" business set acme --gateway-url https://go.example/l

cat >"$IN/req.csv" <<'CSV'
linx_request_id,external_id,mobile,template,activities,expires_on,transaction_type,amount,currency,document_id,document_version
R1,,+14155550101,rebate,,,,25.00,USD,terms,3
R2,,+14155550102,rebate,,,,30.00,USD,terms,3
R3,,+14155550103,rebate,,,,35.00,USD,terms,3
R4,,+14155550104,,CREATE_CUSTOMER | ADD_CARD_ACCOUNT | ACCEPT_DOCUMENT,,,,,terms,3
R5,,+14155550105,terms-update,,,,,,terms,3
R6,,+14155550106,terms-update,,,,,,terms,3
CSV
touch "$IN/req.csv.done"
expect 0 "$P" run --once
expect 0 "$P" job run linx
sms=$(ls "$PAYSPOOL_SPOOL"/outbound/acme/sms/*.jsonl)
tok() { jq -r "select(.ref==\"$1\") | .link" "$sms" | sed 's|.*/||'; }
expect 0 "$P" linx cancel R6 --business acme

cust='"customer":{"dateOfBirth":"1990-04-01","taxId":"123456789","firstName":"Ana","lastName":"Ruiz","email":"ana@example.com","addresses":[{"type":"SHIPPING","line1":"1 Main St","city":"Oakland","region":"CA","postalCode":"94601","country":"US"},{"type":"BILLING","line1":"PO Box 7","city":"Oakland","region":"CA","postalCode":"94602","country":"US"}]}'
card='"card":{"number":"4000056655665556","name":"Visa"}'
docs='"documents":[{"id":"terms","version":"3"}]'
cat >"$T/answers.jsonl" <<JSONL
{"token":"$(tok R1)","decision":"ACCEPTED",$cust,$card,$docs}
{"token":"$(tok R2)","decision":"DECLINED","reason":"INCORRECT_AMOUNT"}
{"token":"$(tok R3)","decision":"DECLINED","reason":"I never bought this"}
{"token":"$(tok R4)","decision":"ACCEPTED",$cust,$card,"documents":[]}
{"token":"0000000000000000000000000000000000000000000000000000000000000000","decision":"ACCEPTED"}
{"token":"$(tok R6)","decision":"ACCEPTED",$docs}
{"token":"$(tok R1)","decision":"ACCEPTED",$cust,$card,$docs}
{"token":"$(tok R5)","decision":"DECLINED","reason":""}
not json
JSONL
expect 0 "$P" linx answers "$T/answers.jsonl" --business acme
r() { sed -n "${1}p" "$T/out"; }
same "R1" "$(r 1 | jq -r '.outcome + " " + .status')" "ACCEPTED COMPLETED"
same "R2" "$(r 2 | jq -r .status)" DECLINED
same "R3" "$(r 3 | jq -r .status)" DECLINED
same "R4 failed" "$(r 4 | jq -r '.code + " " + .status')" "LINX_ACTIVITY_FAILED FAILED"
has "activity 3 (ACCEPT_DOCUMENT)" "$T/out"
same "unknown" "$(r 5 | jq -r .code)" LINX_TOKEN_UNKNOWN
same "cancelled" "$(r 6 | jq -r .code)" LINX_NOT_ACTIVE
same "completed" "$(r 7 | jq -r .code)" LINX_NOT_ACTIVE
same "empty reason" "$(r 8 | jq -r .code)" LINX_DECLINE_REASON
same "not json" "$(r 9 | jq -r .code)" LINX_ANSWER

same "statuses" "$(sql "select group_concat(ref || '=' || status, ' ') from (select ref, status from linx_requests order by ref)")" \
    "R1=COMPLETED R2=DECLINED R3=DECLINED R4=FAILED R5=SENT R6=CANCELLED"
same "R2 reason" "$(sql "select decline_reason from linx_requests where ref='R2'")" INCORRECT_AMOUNT
same "R3 reason" "$(sql "select decline_reason from linx_requests where ref='R3'")" "I never bought this"
# R1: the customer with both addresses, the card, the acceptance, the SEND.
same "R1 customer" "$(sql "select count(*) from customers where external_id='linx-R1'")" 1
same "two addresses" "$(sql "select count(*) from customer_addresses a join customers c on c.id = a.customer_id where c.external_id='linx-R1'")" 2
same "R1 card" "$(sql "select count(*) from financial_accounts f join customers c on c.id = f.customer_id where c.external_id='linx-R1'")" 1
same "R1 acceptance" "$(sql "select sha256 from linx_acceptances")" "$(sha256sum "$T/terms.txt" | cut -d' ' -f1)"
same "R1 transaction" "$(sql "select type || ' ' || amount from transactions where request_id='linx-R1'")" "SEND 2500"
same "identity sealed" "$(sql "select tax_id_last4 || ' ' || length(dob_sealed) from customer_identity")" "6789 50"
if sql .dump | grep -q "123456789\|1990-04-01"; then bad "identity in the clear"; else ok; fi
# R4: nothing of its first two activities.
same "R4 no customer" "$(sql "select count(*) from customers where external_id='linx-R4'")" 0
same "R4 no account" "$(sql "select count(*) from financial_accounts")" 2
same "R4 failure" "$(sql "select failure from linx_requests where ref='R4'")" \
    "activity 3 (ACCEPT_DOCUMENT): document terms version 3 was not accepted [LINX_DOCUMENT_UNKNOWN]"

# Expired: R5 after its expiry.
PAYSPOOL_NOW=$(date -u -d "+30 days" +%Y-%m-%dT%H:%M:%SZ) \
    expect 0 "$P" linx answers "$T/answers.jsonl" --business acme
same "expired" "$(sed -n 8p "$T/out" | jq -r .code)" LINX_EXPIRED

# Events: every LinX status change in the outbox, then in events/ JSON Lines.
same "events in the outbox" "$(sql "select count(*) from event_outbox where entity_type='LINX'")" \
    "$(sql "select count(*) from linx_request_history where event <> 'EXTEND' and event <> 'RESEND'")"
expect 0 "$P" job run linx --rerun --reason events --date "$(date -u +%F)"
ev=$(ls "$PAYSPOOL_SPOOL"/outbound/acme/events/events-*.jsonl | tail -1)
[ -f "$ev.done" ] && ok || bad "no .done for the events file"
same "events written" "$(cat "$PAYSPOOL_SPOOL"/outbound/acme/events/*.jsonl | wc -l)" \
    "$(sql "select count(*) from event_outbox")"
same "event ids unique" "$(cat "$PAYSPOOL_SPOOL"/outbound/acme/events/*.jsonl | jq -r .id | sort -u | wc -l)" \
    "$(sql "select count(*) from event_outbox")"
same "R4 failed event" "$(jq -r 'select(.ref=="R4" and .to=="FAILED") | .from' "$ev")" SENT
same "all written" "$(sql "select count(*) from event_outbox where written_at is null")" 0

expect 0 "$P" events list --business acme --json
same "events listed" "$(jq length "$T/out")" "$(sql "select count(*) from event_outbox")"
same "pending delivery" "$(jq -r '[.[].delivery] | unique | join(",")' "$T/out")" PENDING
expect 0 "$P" events list --business acme --dead --json
same "none dead" "$(jq length "$T/out")" 0
sql "update event_outbox set delivery='DEAD', attempts=8 where id <= 2"
expect 0 "$P" events list --business acme --dead
same "two dead" "$(grep -c DEAD "$T/out")" 2
expect 0 "$P" events replay --business acme --dead
has "2 event" "$T/out"
same "none dead again" "$(sql "select count(*) from event_outbox where delivery='DEAD'")" 0
expect 66 "$P" events replay --business acme --id nope
expect 64 "$P" events replay --business acme

# Webhooks to a port nobody listens on: every attempt fails, is retried
# later (backoff), and after the configured attempts the event is DEAD.
printf 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n' >"$T/whsec"
expect 0 "$P" business set acme --webhook-url http://127.0.0.1:1/hook \
    --webhook-secret-file "$T/whsec" --webhook-attempts 2
n=$(sql "select count(*) from event_outbox")
expect 0 "$P" job run linx --rerun --reason webhook --date "$(date -u +%F)"
same "first attempts" "$(sql "select count(*) from event_outbox where attempts=1 and delivery='PENDING' and next_attempt_at is not null and last_error is not null")" "$n"
expect 0 "$P" job run linx --rerun --reason not-due --date "$(date -u +%F)"
same "not due yet" "$(sql "select max(attempts) from event_outbox")" 1
PAYSPOOL_NOW=$(date -u -d "+2 days" +%Y-%m-%dT%H:%M:%SZ) \
    expect 0 "$P" job run linx --date "$(date -u -d "+2 days" +%F)"
same "dead" "$(sql "select count(*) from event_outbox where delivery='DEAD'")" "$n"
expect 0 "$P" events list --business acme --dead --json
same "dead listed" "$(jq length "$T/out")" "$n"
has "Could not connect\|Couldn't connect" "$T/out"

ledger_verify_ok
finish

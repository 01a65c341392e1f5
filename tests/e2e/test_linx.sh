#!/bin/sh
# test_linx.sh -- LinX in batch: a request file through the spool (new
# customers by mobile, existing by external id, templates and explicit
# lists), refusals per line, the gateway URL setting, documents, and
# `payspool linx list|show|extend|cancel` with requests no longer active.
. "$(dirname "$0")/lib.sh"

setup_business acme 2
IN="$PAYSPOOL_SPOOL/inbound/acme"
OUT="$PAYSPOOL_SPOOL/outbound/acme/results"

printf 'Terms v3\n' >"$T/terms.txt"
expect 0 "$P" document add terms --business acme --version 3 \
    --title "Terms and conditions" --file "$T/terms.txt" --json
same "doc sha" "$(jq -r .sha256 "$T/out")" \
    "$(sha256sum "$T/terms.txt" | cut -d' ' -f1)"
expect 65 "$P" document add terms --business acme --version 3 \
    --title "Again" --file "$T/terms.txt"
has DUPLICATE_RECORD "$T/err"

cat >"$T/req.csv" <<'CSV'
linx_request_id,external_id,mobile,template,activities,expires_on,transaction_type,amount,currency,document_id,document_version
L1,,+14155550101,onboarding,,,,,,terms,3
L2,C0001,,rent-collection,,,,1250.00,USD,,
L3,,+14155550103,,CREATE_CUSTOMER | ADD_CARD_ACCOUNT | TRANSACTION,,SEND,25.00,USD,,
L4,,4155550104,onboarding,,,,,,terms,3
L5,,+14155550105,nosuch,,,,,,,
L6,C9999,,terms-update,,,,,,terms,3
L7,,+14155550107,terms-update,,,,,,terms,9
L8,,+14155550108,,TRANSACTION | CREATE_CUSTOMER,,SEND,1.00,USD,,
L9,,+14155550109,,,,,,,,
L1,,+14155550101,onboarding,,,,,,terms,3
CSV

# No gateway URL yet: the file is not applied (a configuration error).
cp "$T/req.csv" "$IN/req1.csv"
touch "$IN/req1.csv.done"
"$P" run --once >"$T/out" 2>"$T/err"
same "no requests without a gateway" "$(sql 'select count(*) from linx_requests')" 0
has LINX_GATEWAY_URL "$T/err"

expect 0 "$P" business set acme --gateway-url https://go.example/l/
expect 65 "$P" business set acme --gateway-url ftp://x
printf 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n' >"$T/whsec"
expect 0 "$P" business set acme --webhook-url https://hooks.example/in \
    --webhook-secret-file "$T/whsec"
same "webhook url" "$(sql "select value from business_settings where key='webhook.url'")" \
    https://hooks.example/in
if sql "select value from business_settings" | grep -q AAECAwQF; then
    bad "webhook secret in the clear"; else ok; fi
printf 'not-a-secret\n' >"$T/bad"
expect 65 "$P" business set acme --webhook-secret-file "$T/bad"
has WEBHOOK_SECRET "$T/err"
expect 64 "$P" business set acme
# The claimed file waits in work/ and is applied on the next pass.
expect 0 "$P" run --once
res=$(ls "$OUT"/req1.csv.*.result.csv)
same "requests" "$(sql 'select count(*) from linx_requests')" 3
has "^2,L1,ACCEPTED" "$res"
has "^3,L2,ACCEPTED" "$res"
has "^4,L3,ACCEPTED" "$res"
has "L4,REJECTED,MOBILE_FORMAT" "$res"
has "L5,REJECTED,LINX_TEMPLATE_UNKNOWN" "$res"
has "L6,REJECTED,CUSTOMER_NOT_FOUND" "$res"
has "L7,REJECTED,LINX_DOCUMENT_UNKNOWN" "$res"
has "L8,REJECTED,LINX_ACTIVITIES" "$res"
has "L9,REJECTED,LINX_ACTIVITIES" "$res"
has "L1,DUPLICATE" "$res"

# Stored: the activities in order, a hashed token only, a sealed link.
same "L2 mobile from the customer" \
    "$(sql "select mobile from linx_requests where ref='L2'")" "+14155550001"
same "L2 activities" \
    "$(sql "select activities from linx_requests where ref='L2'")" \
    '[{"kind":"UPDATE_CUSTOMER"},{"kind":"TRANSACTION","type":"DEBIT","amount":125000,"currency":"USD"}]'
same "status" "$(sql "select group_concat(distinct status) from linx_requests")" CREATED
same "sms queued" "$(sql "select count(*) from sms_outbox where kind='LINK' and link_sealed is not null")" 3
sql "select body from sms_outbox" >"$T/bodies"
if grep -q "go.example" "$T/bodies"; then bad "a link in the clear"; else ok; fi
same "hash length" "$(sql "select min(length(token_hash)) from linx_requests")" 64

# ---- the CLI ------------------------------------------------------------
expect 0 "$P" linx list --business acme --json
same "listed" "$(jq length "$T/out")" 3
expect 0 "$P" linx list --business acme --status CREATED
has "L3" "$T/out"
expect 65 "$P" linx list --status BOGUS
expect 0 "$P" linx show L1 --business acme --json
same "L1 template" "$(jq -r .template "$T/out")" onboarding
same "L1 history" "$(jq -r '.history[0].event' "$T/out")" CREATE
expect 0 "$P" linx extend L1 --business acme --until 2999-12-31
has "2999-12-31T23:59:59.999Z" "$T/out"
expect 65 "$P" linx extend L1 --business acme --until 2001-01-01
has LINX_EXPIRY "$T/err"
expect 0 "$P" linx cancel L3 --business acme --reason "sent by mistake"
has CANCELLED "$T/out"
expect 65 "$P" linx cancel L3 --business acme
has LINX_NOT_ACTIVE "$T/err"
expect 65 "$P" linx extend L3 --business acme --until 2999-12-31
has LINX_NOT_ACTIVE "$T/err"
expect 0 "$P" linx show L3 --business acme --json
same "L3 history" "$(jq -r '[.history[].event] | join(",")' "$T/out")" CREATE,CANCEL
same "L3 reason" "$(jq -r '.history[1].reason' "$T/out")" "sent by mistake"
expect 66 "$P" linx show NOPE --business acme

# ---- the linx job step: the SMS outbox, reminders, expiry -------------
export PAYSPOOL_JOBS="$(dirname "$0")/../../jobs"
expect 0 "$P" job run linx
sms=$(ls "$PAYSPOOL_SPOOL"/outbound/acme/sms/sms-*.jsonl)
same "one SMS file" "$(echo "$sms" | wc -l)" 1
[ -f "$sms.done" ] && ok || bad "no .done for the SMS file"
same "SMS lines (L3 cancelled: dropped)" "$(wc -l <"$sms")" 2
same "kinds" "$(jq -r .kind "$sms" | sort -u)" LINK
same "L1 mobile" "$(jq -r 'select(.ref=="L1") | .mobile' "$sms")" +14155550101
link=$(jq -r 'select(.ref=="L1") | .link' "$sms")
case "$link" in https://go.example/l/????????????????????????????????????????????????????????????????) ok ;; *) bad "link $link" ;; esac
same "links forgotten" "$(sql "select count(*) from sms_outbox where link_sealed is not null")" 0
same "sent" "$(sql "select group_concat(status) from (select status from linx_requests order by ref)")" SENT,SENT,CANCELLED
# Nothing new: no file.
expect 0 "$P" job run linx --rerun --reason test --date "$(date -u +%F)"
same "still one file" "$(ls "$PAYSPOOL_SPOOL"/outbound/acme/sms/*.jsonl | wc -l)" 1

# Three days on: L2 (rent-collection, 24 h) is reminded, L1 (onboarding,
# 48 h) too; nine days on both are past expiry (L1 was extended: only L2).
export PAYSPOOL_NOW=$(date -u -d "+3 days" +%Y-%m-%dT%H:%M:%SZ)
expect 0 "$P" job run linx --date "$(date -u -d "+3 days" +%F)"
same "reminders" "$(sql "select sum(reminders_sent) from linx_requests")" 2
last=$(ls "$PAYSPOOL_SPOOL"/outbound/acme/sms/*.jsonl | tail -1)
same "reminder kinds" "$(jq -r .kind "$last" | sort -u)" REMINDER
same "no link in a reminder" "$(jq -r .link "$last" | sort -u)" null
export PAYSPOOL_NOW=$(date -u -d "+9 days" +%Y-%m-%dT%H:%M:%SZ)
expect 0 "$P" job run linx --date "$(date -u -d "+9 days" +%F)"
same "L2 expired" "$(sql "select status from linx_requests where ref='L2'")" EXPIRED
same "L1 still sent" "$(sql "select status from linx_requests where ref='L1'")" SENT
last=$(ls "$PAYSPOOL_SPOOL"/outbound/acme/sms/*.jsonl | tail -1)
has '"kind":"STATUS"' "$last"
has '"ref":"L2"' "$last"
unset PAYSPOOL_NOW

# Resend: a new token, the old link refused; not for expired ones.
old=$(sql "select token_hash from linx_requests where ref='L1'")
expect 0 "$P" linx resend L1 --business acme
same "new hash" "$([ "$(sql "select token_hash from linx_requests where ref='L1'")" != "$old" ] && echo y)" y
expect 65 "$P" linx resend L2 --business acme
has LINX_NOT_ACTIVE "$T/err"

ledger_verify_ok
finish

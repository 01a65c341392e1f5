#!/bin/sh
# test_linx_identity.sh -- issue 20: the identity details a LinX answer
# enters (date of birth, tax id) are sealed at rest and only ever shown
# masked: `customer show` and `linx show` (text and JSON) give
# ****-**-DD and ***-**-NNNN.  The clear values appear in no output, no
# log line, no result, SMS or events file, and not in the bytes of the
# database (its -wal included) or of any other file of the spool; also
# when the answer fails (rolled back) or is refused.
. "$(dirname "$0")/lib.sh"

setup_business acme 0
IN="$PAYSPOOL_SPOOL/inbound/acme"
export PAYSPOOL_JOBS="$(dirname "$0")/../../jobs"
export PAYSPOOL_LOG="$T/payspool.log"
DOB=1984-07-15
TAX=987654321
"$P" business set acme --gateway-url https://go.example/l >/dev/null
cat >"$IN/req.csv" <<'CSV'
linx_request_id,external_id,mobile,template,activities,expires_on,transaction_type,amount,currency,document_id,document_version
I1,,+14155550201,,CREATE_CUSTOMER,,,,,,
I2,,+14155550202,,CREATE_CUSTOMER | ADD_CARD_ACCOUNT,,,,,,
I3,,+14155550203,,CREATE_CUSTOMER,,,,,,
CSV
touch "$IN/req.csv.done"
expect 0 "$P" run --once --log-level debug
expect 0 "$P" job run linx --log-level debug
sms=$(ls "$PAYSPOOL_SPOOL"/outbound/acme/sms/*.jsonl)
tok() { jq -r "select(.ref==\"$1\") | .link" "$sms" | sed 's|.*/||'; }
who='"firstName":"Ida","lastName":"Stone","email":"ida@example.com"'
# I1 completes; I2 fails at its card (nothing kept); I3's tax id is
# malformed (refused, nothing kept).
cat >"$T/answers.jsonl" <<JSONL
{"token":"$(tok I1)","decision":"ACCEPTED","customer":{"externalId":"ID-1",$who,"dateOfBirth":"$DOB","taxId":"$TAX"}}
{"token":"$(tok I2)","decision":"ACCEPTED","customer":{"externalId":"ID-2",$who,"dateOfBirth":"$DOB","taxId":"$TAX"},"card":{"number":"4000056655665557","name":"Visa"}}
{"token":"$(tok I3)","decision":"ACCEPTED","customer":{"externalId":"ID-3",$who,"dateOfBirth":"$DOB","taxId":"${TAX}0"}}
JSONL
# Through the gateway's channel, as in production.
printf '[provider linx-gw]\nbusinesses = acme\n' >>"$PAYSPOOL_SPOOL.conf"
GW="$PAYSPOOL_SPOOL/providers/linx-gw/inbound/acme"
mkdir -p "$GW"
cp "$T/answers.jsonl" "$GW/answers.jsonl"
touch "$GW/answers.jsonl.done"
rm -f "$T/answers.jsonl"
expect 0 "$P" run --once --log-level debug
cat "$T/out" "$T/err" >"$T/outputs"
same "I1 completed" "$(sql "select status from linx_requests where ref='I1'")" COMPLETED
same "I2 failed" "$(sql "select status from linx_requests where ref='I2'")" FAILED
same "I3 failed" "$(sql "select status from linx_requests where ref='I3'")" FAILED
same "one identity row (I2, I3 rolled back)" "$(sql "select count(*) from customer_identity")" 1
same "sealed, last four only" "$(sql "select length(dob_sealed) || ' ' || length(tax_id_sealed) || ' ' || tax_id_last4 from customer_identity")" "50 49 4321"
same "the request names its new customer" \
    "$(sql "select c.external_id from linx_requests r join customers c on c.id = r.customer_id where r.ref='I1'")" ID-1

# Masked where shown.
expect 0 "$P" customer show ID-1 --business acme
cat "$T/out" >>"$T/outputs"
has "birth     \*\*\*\*-\*\*-15" "$T/out"
has "tax id    \*\*\*-\*\*-4321" "$T/out"
expect 0 "$P" --json customer show ID-1 --business acme
cat "$T/out" >>"$T/outputs"
same "json masked" "$(jq -c .identity "$T/out")" '{"dateOfBirth":"****-**-15","taxId":"***-**-4321"}'
expect 0 "$P" linx show I1 --business acme
cat "$T/out" >>"$T/outputs"
has "birth \*\*\*\*-\*\*-15, tax id \*\*\*-\*\*-4321" "$T/out"
expect 0 "$P" --json linx show I1 --business acme
cat "$T/out" >>"$T/outputs"
same "linx json masked" "$(jq -c .identity "$T/out")" '{"dateOfBirth":"****-**-15","taxId":"***-**-4321"}'
# Without the key file: shown all the same, the day masked too.
expect 0 "$P" customer show ID-1 --business acme --key "$T/nokey"
has "birth     \*\*\*\*-\*\*-\*\*" "$T/out"
expect 0 "$P" job run linx --rerun --reason events --log-level debug
cat "$T/out" "$T/err" >>"$T/outputs"
expect 0 "$P" events list --business acme --json
cat "$T/out" >>"$T/outputs"
expect 0 "$P" files list
cat "$T/out" >>"$T/outputs"

# Nowhere in clear: outputs, the log, every file of the spool (results,
# SMS, events, archive, the database and its -wal, bytes as they are).
for v in "$DOB" "$TAX" 19840715 "${TAX}0"; do
    if grep -q -- "$v" "$T/outputs"; then bad "$v in an output"; else ok; fi
    if grep -q -- "$v" "$PAYSPOOL_LOG"; then bad "$v in the log"; else ok; fi
    if grep -rla -- "$v" "$PAYSPOOL_SPOOL" "$PAYSPOOL_SPOOL".* >"$T/hits" 2>/dev/null; then
        bad "$v in $(cat "$T/hits")"
    else
        ok
    fi
done
if sql .dump | grep -q "$TAX\|$DOB"; then bad "in the database dump"; else ok; fi
[ -s "$PAYSPOOL_LOG" ] && ok || bad "the log is empty: nothing was checked"
ls "$PAYSPOOL_SPOOL"/archive/*/*/*/acme/answers.jsonl.* >/dev/null 2>&1 &&
    ok || bad "the answers file was not archived"
finish

#!/bin/sh
# test_webhooks.sh -- webhook delivery under failure, to a local receiver
# (tests/webhook/receiver.c) on 127.0.0.1: it answers 500 to the first
# two requests and hangs once past the sender's timeout; payspool is
# killed (-9) in the middle of a delivery.  Every event must arrive
# signed, in order per customer, and exactly once by id with a 2xx.
. "$(dirname "$0")/lib.sh"
RECV="$(dirname "$P")/webhook_receiver"
setup_business acme 2
IN="$PAYSPOOL_SPOOL/inbound/acme"
export PAYSPOOL_JOBS="$(dirname "$0")/../../jobs"
printf 'Terms v3\n' >"$T/terms.txt"
"$P" document add terms --business acme --version 3 --title T \
    --file "$T/terms.txt" >/dev/null
"$P" business set acme --gateway-url https://go.example/l >/dev/null
cat >"$IN/req.csv" <<'CSV'
linx_request_id,external_id,template,document_id,document_version
W1,C0001,terms-update,terms,3
W2,C0002,terms-update,terms,3
W3,C0001,terms-update,terms,3
CSV
touch "$IN/req.csv.done"
expect 0 "$P" run --once
expect 0 "$P" linx cancel W3 --business acme

SECRET=whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
"$RECV" "$T/port" "$T/recv.log" "$SECRET" 2 3000 &
rpid=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
printf '%s\n' "$SECRET" >"$T/whsec"
expect 0 "$P" business set acme --webhook-url "http://127.0.0.1:$(cat "$T/port")/in" \
    --webhook-secret-file "$T/whsec" --webhook-attempts 10 \
    --webhook-timeout-ms 5000

# Pass 1: the first event of each customer gets a 500.
day=$(date -u +%F)
expect 0 "$P" job run linx --date "$day"
same "two failures" "$(grep -c '^500 ' "$T/recv.log")" 2
# Pass 2, an hour later: the receiver hangs; payspool is killed meanwhile.
PAYSPOOL_NOW=$(date -u -d "+1 hour" +%Y-%m-%dT%H:%M:%SZ) \
    "$P" job run linx --rerun --reason kill --date "$day" >/dev/null 2>&1 &
jpid=$!
sleep 1.5
kill -9 "$jpid" 2>/dev/null
wait "$jpid" 2>/dev/null
sleep 2
# Later passes deliver the rest.
for h in 2 3 4 5 6; do
    PAYSPOOL_NOW=$(date -u -d "+$h hours" +%Y-%m-%dT%H:%M:%SZ) \
        "$P" job run linx --rerun --reason "pass $h" --date "$day" \
        >/dev/null 2>&1
done
kill "$rpid" 2>/dev/null

n=$(sql "select count(*) from event_outbox")
same "all delivered" "$(sql "select count(*) from event_outbox where delivery='DELIVERED'")" "$n"
same "every id once with a 2xx" "$(grep '^200 ' "$T/recv.log" | cut -d' ' -f2 | sort -u | wc -l)" "$n"
same "no id twice with a 2xx" "$(grep -c '^200 ' "$T/recv.log")" "$n"
same "all signed" "$(awk '$3 != 1' "$T/recv.log" | wc -l)" 0
sql "select event_id from event_outbox order by id" >"$T/ids"
grep '^200 ' "$T/recv.log" | cut -d' ' -f2 | sort -u >"$T/got"
same "the outbox's ids" "$(sort "$T/ids")" "$(cat "$T/got")"
# In order per customer: the 2xx order of each customer's events is the
# outbox order.
for c in $(sql "select distinct customer_id from event_outbox where customer_id is not null"); do
    want=$(sql "select event_id from event_outbox where customer_id='$c' order by id" | tr '\n' ' ')
    got=$(grep '^200 ' "$T/recv.log" | cut -d' ' -f2 | while read -r id; do
        case " $want " in *" $id "*) echo "$id" ;; esac; done | tr '\n' ' ')
    same "order of $c" "$got" "$want"
done
ledger_verify_ok
finish

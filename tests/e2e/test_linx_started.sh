#!/bin/sh
# test_linx_started.sh -- issue 20, IN_PROGRESS: the gateway reports that
# the customer opened the link (or saved part of the answer) with a
# STARTED line; the request goes SENT -> IN_PROGRESS (event OPEN, its
# history row and its status event), a repeated STARTED changes nothing,
# reminders go on until the answer, the answer completes it from
# IN_PROGRESS, and a STARTED after that is refused (LINX_NOT_ACTIVE).
. "$(dirname "$0")/lib.sh"

setup_business acme 1
IN="$PAYSPOOL_SPOOL/inbound/acme"
export PAYSPOOL_JOBS="$(dirname "$0")/../../jobs"
printf 'Terms v3\n' >"$T/terms.txt"
"$P" document add terms --business acme --version 3 --title T \
    --file "$T/terms.txt" >/dev/null
"$P" business set acme --gateway-url https://go.example/l >/dev/null
cat >"$IN/req.csv" <<'CSV'
linx_request_id,external_id,template,document_id,document_version
S1,C0001,terms-update,terms,3
S2,C0001,terms-update,terms,3
CSV
touch "$IN/req.csv.done"
expect 0 "$P" run --once
expect 0 "$P" job run linx
sms=$(ls "$PAYSPOOL_SPOOL"/outbound/acme/sms/*.jsonl)
tok() { jq -r "select(.ref==\"$1\") | .link" "$sms" | sed 's|.*/||'; }
printf '[provider linx-gw]\nbusinesses = acme\n' >>"$PAYSPOOL_SPOOL.conf"
GW="$PAYSPOOL_SPOOL/providers/linx-gw/inbound/acme"
mkdir -p "$GW"
answer() { # NAME LINES...: one answer file through the gateway's channel
    n=$1
    shift
    printf '%s\n' "$@" >"$GW/$n.jsonl"
    touch "$GW/$n.jsonl.done"
    "$P" run --once >/dev/null 2>&1
    ls "$PAYSPOOL_SPOOL"/outbound/acme/results/"$n".jsonl.*result.csv
}
st() { sql "select status from linx_requests where ref='$1'"; }

res=$(answer a1 "{\"token\":\"$(tok S1)\",\"decision\":\"STARTED\"}" \
    "{\"token\":\"$(tok S1)\",\"decision\":\"STARTED\"}")
same "S1 in progress" "$(st S1)" IN_PROGRESS
same "S2 untouched" "$(st S2)" SENT
same "both lines accepted" "$(grep -c ',ACCEPTED,' "$res")" 2
has "S1 IN_PROGRESS" "$res"
same "one OPEN history row" "$(sql "select count(*) from linx_request_history h join linx_requests r on r.id = h.request_id where r.ref='S1' and h.event='OPEN' and h.from_status='SENT' and h.to_status='IN_PROGRESS'")" 1
same "one status event" "$(sql "select count(*) from event_outbox where entity_type='LINX' and json_extract(payload, '\$.to')='IN_PROGRESS'")" 1

# Reminders go on while in progress (terms-update: every 72 hours).
PAYSPOOL_NOW=$(date -u -d "+4 days" +%Y-%m-%dT%H:%M:%SZ) \
    expect 0 "$P" job run linx --date "$(date -u -d "+4 days" +%F)"
same "reminded in progress" "$(sql "select reminders_sent from linx_requests where ref='S1'")" 1

# The answer completes it; STARTED is then refused.
res=$(answer a2 "{\"token\":\"$(tok S1)\",\"decision\":\"ACCEPTED\",\"documents\":[{\"id\":\"terms\",\"version\":\"3\"}]}" \
    "{\"token\":\"$(tok S1)\",\"decision\":\"STARTED\"}")
same "completed from IN_PROGRESS" "$(st S1)" COMPLETED
same "its last change" "$(sql "select h.from_status || '>' || h.to_status from linx_request_history h join linx_requests r on r.id = h.request_id where r.ref='S1' order by h.id desc limit 1")" "IN_PROGRESS>COMPLETED"
has LINX_NOT_ACTIVE "$res"
# A bad decision: refused, the request unchanged.
res=$(answer a3 "{\"token\":\"$(tok S2)\",\"decision\":\"OPENED\"}")
has LINX_ANSWER "$res"
same "S2 still sent" "$(st S2)" SENT
finish

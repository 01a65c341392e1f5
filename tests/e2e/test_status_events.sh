#!/bin/sh
# test_status_events.sh -- issue 20, push notifications: every customer,
# account and transaction status change puts one row in the business's
# event outbox (in the status change's own store transaction), and the
# events/ JSON Lines writer (the linx job step) writes one line for it,
# with the shape {id, type, entityType, entityId, ref, customerId, from,
# to, event, reason, at}.  A transaction's creation is not an event (it
# is on the row and its history): only its status changes are.
. "$(dirname "$0")/lib.sh"

setup_business acme 1
export PAYSPOOL_JOBS="$(dirname "$0")/../../jobs"
S=$PAYSPOOL_SPOOL
ev_count() { sql "select count(*) from event_outbox where entity_type='$1'"; }
CUST=$(sql "select id from customers where external_id='C0001'")
ACCT=$(sql "select id from financial_accounts where customer_id='$CUST'")

# ---- creation: no event -----------------------------------------------------
expect 0 "$P" tx create --business acme --customer C0001 --account "$ACCT" \
    --amount 12.34 --request-id T1
same "creation adds no event" "$(sql "select count(*) from event_outbox")" 0

# ---- customer ---------------------------------------------------------------
expect 0 "$P" customer suspend C0001 --business acme --reason "fraud check"
same "customer: one row" "$(ev_count CUSTOMER)" 1
expect 0 "$P" customer reactivate C0001 --business acme --reason "cleared"
same "customer: two rows" "$(ev_count CUSTOMER)" 2
# A refused no-op (STATUS_UNCHANGED) adds nothing.
"$P" customer reactivate C0001 --business acme --reason "again" >/dev/null 2>&1
same "no-op: no row" "$(ev_count CUSTOMER)" 2

# ---- account ----------------------------------------------------------------
expect 0 "$P" account suspend "$ACCT" --business acme --reason "card lost"
same "account: one row" "$(ev_count ACCOUNT)" 1
expect 0 "$P" account reactivate "$ACCT" --business acme --reason "found"
same "account: two rows" "$(ev_count ACCOUNT)" 2

# ---- transaction: the payout's SUBMIT and TRANSMIT --------------------------
expect 0 "$P" payouts run --business acme --date "$(date -u +%F)"
TX=$(sql "select id from transactions where request_id='T1'")
same "txn processing" "$(sql "select status from transactions where id='$TX'")" PROCESSING
same "transaction: one row per change" "$(ev_count TRANSACTION)" \
    "$(sql "select count(*) from transaction_history where txn_id='$TX' and from_status is not null")"
same "transaction: two rows" "$(ev_count TRANSACTION)" 2

# ---- the events/ file ------------------------------------------------------
expect 0 "$P" job run linx --date "$(date -u +%F)"
cat "$S"/outbound/acme/events/*.jsonl >"$T/ev" 2>/dev/null
same "one line per row" "$(wc -l <"$T/ev")" "$(sql "select count(*) from event_outbox")"
same "all written" "$(sql "select count(*) from event_outbox where written_at is null")" 0
same "ids unique" "$(jq -r .id "$T/ev" | sort -u | wc -l)" 6
same "customer suspended" \
    "$(jq -c 'select(.type=="customer.status" and .to=="SUSPENDED") | [.entityType, .entityId, .ref, .customerId, .from, .to, .reason]' "$T/ev")" \
    "[\"CUSTOMER\",\"$CUST\",\"C0001\",\"$CUST\",\"ACTIVE\",\"SUSPENDED\",\"fraud check\"]"
same "account reactivated" \
    "$(jq -c 'select(.type=="account.status" and .to=="ACTIVE") | [.entityType, .entityId, .ref, .customerId, .from, .to, .reason]' "$T/ev")" \
    "[\"ACCOUNT\",\"$ACCT\",\"****5556\",\"$CUST\",\"SUSPENDED\",\"ACTIVE\",\"found\"]"
same "transaction submitted" \
    "$(jq -c 'select(.type=="transaction.status" and .event=="SUBMIT") | [.entityType, .entityId, .ref, .customerId, .from, .to]' "$T/ev")" \
    "[\"TRANSACTION\",\"$TX\",\"T1\",\"$CUST\",\"NEW\",\"PENDING\"]"
same "transaction transmitted" \
    "$(jq -r 'select(.type=="transaction.status" and .event=="TRANSMIT") | .from + " " + .to' "$T/ev")" \
    "PENDING PROCESSING"
same "every event has id, at" "$(jq -r 'select(.id == null or .at == null)' "$T/ev")" ""
# In the outbox as the CLI shows it.
expect 0 "$P" events list --business acme --json
same "listed" "$(jq -r '[.[].entityType] | unique | join(",")' "$T/out")" "ACCOUNT,CUSTOMER,TRANSACTION"
ledger_verify_ok
finish

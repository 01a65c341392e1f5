#!/bin/sh
# test_retry.sh -- issue 18, defect 10: `payspool files retry ID --reason
# TEXT`.  A file rejected whole for an unknown CSV layout; the layout is
# added; the retry takes the input back from failed/ into inbound/ and the
# next `run --once` applies it; the retry is recorded (who, when, why) and
# shown by `files show`; a second retry, a retry of an applied document
# and a retry of a content applied since by another copy are refused
# (NOT_RETRYABLE); no record is ever applied twice.
. "$(dirname "$0")/lib.sh"
: "${PS_FIXTURES:=$(cd "$(dirname "$0")/../../fixtures" && pwd)}"
mkdir -p "$T/layouts"
export PAYSPOOL_LAYOUTS="$PS_FIXTURES/../formats/csv/layouts:$T/layouts"
setup_business acme 0
IN="$PAYSPOOL_SPOOL/inbound/acme"
FAILED="$PAYSPOOL_SPOOL/failed/acme"

# layout NAME KEY: a CSV layout of customers keyed by column KEY.
layout() {
    cat >"$T/layouts/$1.layout" <<LAYOUT
[layout]
name = $1
kind = customer.upsert
reference = external_id
extras = no

[field external_id]
columns = $2
type = text
required = yes

[field type]
columns = kind
type = enum
required = yes
values = INDIVIDUAL, BUSINESS

[field first_name]
columns = given
type = text

[field last_name]
columns = family
type = text

[field email]
columns = mail
type = email

[field phone]
columns = mobile
type = phone
LAYOUT
}
drop() { cp "$1" "$IN/$2" && touch "$IN/$2.done"; }
# file_id NAME STATUS: the newest files row of that name and status.
file_id() {
    sql "SELECT id FROM files WHERE name = '$1' AND status = '$2'
         ORDER BY received_at DESC LIMIT 1"
}

printf '%s\n' 'staff_no,kind,given,family,mail,mobile' \
    'S-1,INDIVIDUAL,Ada,Lovelace,ada@example.com,+14155550101' \
    'S-2,INDIVIDUAL,Alan,Turing,alan@example.com,+14155550102' >"$T/staff.csv"

# ---- rejected whole: no layout knows its header ---------------------------
drop "$T/staff.csv" staff.csv
expect 65 "$P" run --once
RID=$(file_id staff.csv REJECTED)
[ -n "$RID" ] && ok || bad "no REJECTED row"
[ -f "$FAILED/staff.csv" ] && ok || bad "not in failed/"

# ---- the layout added, the file retried, then applied -------------------
layout staff staff_no
expect 0 "$P" files retry "$RID" --reason "staff layout added (ticket 42)"
[ -f "$IN/staff.csv" ] && ok || bad "not back in inbound/"
[ -f "$FAILED/staff.csv" ] && bad "still in failed/" || ok
expect 0 "$P" --json files show "$RID"
same "retry reason" "$(jq -r '.retries[0].reason' "$T/out")" \
    "staff layout added (ticket 42)"
same "retry by" "$(jq -r '.retries[0].by' "$T/out")" "$(id -un)"
[ "$(jq -r '.retries[0].at' "$T/out")" != null ] && ok || bad "no retry time"
expect 0 "$P" files show "$RID"
has "retried" "$T/out"

# A second retry of the same rejection is refused.
expect 65 "$P" files retry "$RID" --reason "again"
has "NOT_RETRYABLE" "$T/err"

expect 0 "$P" run --once
same "customers applied" "$(sql 'SELECT count(*) FROM customers')" 2
AID=$(file_id staff.csv APPLIED)
[ -n "$AID" ] && ok || bad "no APPLIED row"
res=$(sql "SELECT result_path FROM files WHERE id = '$AID'")
same "result accepted" "$(grep -c ',ACCEPTED,' "$res")" 2
expect 0 "$P" --json files show "$AID"
same "retry of" "$(jq -r '.retryOf' "$T/out")" "$RID"
# An applied document is not retryable; nor is the retried rejection.
expect 65 "$P" files retry "$AID" --reason "why not"
has "NOT_RETRYABLE" "$T/err"
expect 65 "$P" files retry "$RID" --reason "again"
has "NOT_RETRYABLE" "$T/err"
expect 64 "$P" files retry "$RID"
expect 66 "$P" files retry 00000000-0000-0000-0000-000000000000 --reason x

# The same bytes again: a DUPLICATE, nothing applied twice.
drop "$T/staff.csv" staff-again.csv
expect 65 "$P" run --once
same "customers once" "$(sql 'SELECT count(*) FROM customers')" 2
DID=$(file_id staff-again.csv DUPLICATE)
expect 65 "$P" files retry "$DID" --reason "a duplicate"
has "NOT_RETRYABLE" "$T/err"

# ---- a rejected content applied since by another copy: not retryable ----
sed 's/^staff_no/badge/; s/S-/B-/' "$T/staff.csv" >"$T/badges.csv"
drop "$T/badges.csv" badges.csv
expect 65 "$P" run --once
BID=$(file_id badges.csv REJECTED)
layout badges badge
drop "$T/badges.csv" badges-resent.csv
expect 0 "$P" run --once
same "badges applied" "$(sql 'SELECT count(*) FROM customers')" 4
expect 65 "$P" files retry "$BID" --reason "layout added"
has "NOT_RETRYABLE" "$T/err"
[ -f "$FAILED/badges.csv" ] && ok || bad "the refused retry moved the input"
# ---- retried too early: rejected again; the old retry cannot move it ----
sed 's/^staff_no/crew_no/; s/S-/C-/' "$T/staff.csv" >"$T/crew.csv"
drop "$T/crew.csv" crew.csv
expect 65 "$P" run --once
C1=$(file_id crew.csv REJECTED)
expect 0 "$P" files retry "$C1" --reason "try again"
expect 65 "$P" run --once
C2=$(file_id crew.csv REJECTED)
[ "$C1" != "$C2" ] && ok || bad "no second rejection"
[ -f "$FAILED/crew.csv.1" ] && ok || bad "second rejection not in failed/"
expect 65 "$P" files retry "$C1" --reason "again"
has "NOT_RETRYABLE" "$T/err"
[ -f "$FAILED/crew.csv.1" ] && ok || bad "the old retry moved the new rejection"
layout crew crew_no
expect 0 "$P" files retry "$C2" --reason "crew layout added"
expect 0 "$P" run --once
same "crew applied" "$(sql 'SELECT count(*) FROM customers')" 6
expect 0 "$P" --json files show "$(file_id crew.csv APPLIED)"
same "crew retry of" "$(jq -r '.retryOf' "$T/out")" "$C2"
ledger_verify_ok
finish

#!/bin/sh
# test_provider_channel.sh -- issue 18, defects 1 and 9: provider answers
# are taken only from the provider's own folder,
# providers/<provider>/inbound/<business>/, for the pairs the
# configuration binds; and `payspool sandbox provider` runs only on a
# sandbox spool, never beside a running engine.
#   - an employer's status file settling its own PROCESSING payout, in
#     inbound/<b>/: refused whole (ANSWER_NOT_FROM_PROVIDER), failed/ with
#     a .reason, a result file saying so, the transaction still PROCESSING;
#   - the same lines from a provider not bound to the business: never
#     applied (no folder is scanned for the pair; its own business's folder
#     cannot touch another business's transactions);
#   - the same lines in the bound provider's folder: SETTLED, even when a
#     crash comes right after the claim;
#   - an archive holding a roster and those lines: refused whole;
#   - a NACHA return file in inbound/<b>/: refused the same way;
#   - a roster in a provider's folder: NOT_A_PROVIDER_ANSWER;
#   - the folders are made for the bound pairs only; configuration errors
#     name the file, line and key;
#   - sandbox provider: exit 78 NOT_A_SANDBOX on a real spool, writing
#     nothing; exit 75 while `payspool run` holds the lock.
# The defects' reproductions come first, on a configuration that today's
# main reads too (so it shows them); the provider bindings, new syntax,
# come after.
. "$(dirname "$0")/lib.sh"
: "${PS_FIXTURES:=$(cd "$(dirname "$0")/../../fixtures" && pwd)}"
export PAYSPOOL_NOW=2026-11-20T22:00:00Z
export PAYSPOOL_LOG="$T/payspool.log"
B=acme
S=$PAYSPOOL_SPOOL
IN="$S/inbound/$B"
PO="$S/outbound/$B/payouts"
MINE="$S/providers/acme-card/inbound/$B"         # bound to acme
OTHER="$S/providers/harbor-card/inbound/$B"      # harbor-card: not acme's
OTHER_H="$S/providers/harbor-card/inbound/harbor" # harbor-card's own pair

"$P" init >/dev/null || exit 1
printf '[spool]\nstable_seconds = 1\nmin_age_seconds = 0\n' >"$S.conf"
expect 0 "$P" business add $B
expect 0 "$P" business add harbor
expect 0 "$P" program add --business $B --name "Early Pay" --min 10.00 \
    --max 500.00 --period-cap 800.00 --max-outstanding 2000.00 \
    --fee-card 0 --fee-ach 0

# drop NAME DIR: the file $T/NAME into DIR with its .done marker.
drop() {
    cp "$T/$1" "$2/$1" && : >"$2/$1.done"
}
status_of() { sql "SELECT status FROM transactions WHERE request_id = '$1'"; }
result() { ls "$S"/outbound/$B/results/"$1".*.result.csv 2>/dev/null; }

cat >"$T/roster.csv" <<CSV
external_id,first_name,last_name,email,phone,employment_status,program,enrollment_begin,card_number,earned_wages,period_start,period_end
E1,Maria,Gonzalez,maria@example.com,+14155550101,ACTIVE,Early Pay,2026-01-01,4111111111111111,3000.00,2026-11-01,2026-11-15
CSV
cat >"$T/disburse.csv" <<CSV
request_id,external_id,amount,currency,rail
D1,E1,25.00,USD,CARD
CSV
drop roster.csv "$IN"
expect 0 "$P" run --once
drop disburse.csv "$IN"
expect 0 "$P" run --once
expect 0 "$P" payouts run --business $B --date 2026-11-20
same "D1 processing" "$(status_of D1)" PROCESSING
TX=$(sql "SELECT id FROM transactions WHERE request_id = 'D1'")

# The line a processor would send; the employer read TX from its own
# result file.
status_file() {
    printf 'reference,status,reason_code,message,settlement_date,amount,currency,attempt\n'
    printf '%s,SETTLED,00,approved,2026-11-23,25.00,USD,1\n' "$TX"
}

# ---- defect 1: the employer settles its own payout ------------------------
status_file >"$T/settle.csv"
drop settle.csv "$IN"
expect 65 "$P" run --once # an input refused whole: exit 65
same "employer's answer not applied" "$(status_of D1)" PROCESSING
same "to failed/" "$(ls "$S/failed/$B/settle.csv" 2>/dev/null)" \
    "$S/failed/$B/settle.csv"
has "ANSWER_NOT_FROM_PROVIDER" "$S/failed/$B/settle.csv.reason"
R=$(result settle.csv)
same "a result file" "$(test -n "$R" && echo yes)" yes
[ -n "$R" ] && has "REJECTED,ANSWER_NOT_FROM_PROVIDER" "$R"
same "no status history from it" \
    "$(sql "SELECT count(*) FROM transactions WHERE status = 'SETTLED'")" 0

# An archive of a roster and the same status lines: the whole input is
# refused, the roster with it (nothing of it applied).
printf 'E3,Li,Wei,li@example.com,+14155550103,ACTIVE,Early Pay,2026-01-01,4000056655665556,3000.00,2026-11-01,2026-11-15\n' |
    cat "$T/roster.csv" - >"$T/roster3.csv"
(cd "$T" && tar -cf mixed.tar roster3.csv settle.csv)
drop mixed.tar "$IN"
expect 65 "$P" run --once
same "archive: not applied" "$(status_of D1)" PROCESSING
same "archive: roster refused too" \
    "$(sql "SELECT count(*) FROM customers WHERE external_id = 'E3'")" 0
has "ANSWER_NOT_FROM_PROVIDER" "$S/failed/$B/mixed.tar.reason"

# ---- a NACHA return file in the employer's inbound --------------------------
cp "$PS_FIXTURES/nacha/valid/returns.ach" "$T/bank.returns.ach"
drop bank.returns.ach "$IN"
expect 65 "$P" run --once
has "ANSWER_NOT_FROM_PROVIDER" "$S/failed/$B/bank.returns.ach.reason"
R=$(result bank.returns.ach)
[ -n "$R" ] && has "REJECTED,ANSWER_NOT_FROM_PROVIDER" "$R" ||
    bad "no result file for bank.returns.ach"

# ---- defect 9: the sandbox provider on a real spool ------------------------
: >"$T/mark"
expect 78 "$P" sandbox provider --business $B
has "NOT_A_SANDBOX" "$T/err"
same "nothing written" \
    "$(find "$S" -mindepth 1 -newer "$T/mark" ! -name 'payspool.db*' \
        ! -name .payspool.lock)" ""
same "no sandbox answers" "$(test -e "$S/providers/sandbox" && echo yes)" ""

# ---- ... and beside a running engine on a sandbox spool --------------------
started() { grep -c '"event":"engine.started"' "$PAYSPOOL_LOG"; }
n0=$(started)
"$P" run >"$T/daemon.out" 2>&1 &
daemon=$!
i=0
while [ "$(started)" -le "$n0" ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
# A sandbox spool now, but an engine runs on it.
printf '[spool]\nsandbox = yes\nstable_seconds = 1\nmin_age_seconds = 0\n' \
    >"$S.conf"
expect 75 "$P" sandbox provider --business $B
has "ENGINE_RUNNING" "$T/err"
has "(pid $daemon, since " "$T/err" # the holder named
kill -TERM "$daemon"
wait "$daemon"
# With the engine gone, the sandbox answers into its own folder.
expect 0 "$P" sandbox provider --business $B
has "answered 1 payout files" "$T/out"
same "sandbox answer" \
    "$(ls "$S/providers/sandbox/inbound/$B/"*.status.csv 2>/dev/null | wc -l)" 1
same "not in inbound/" "$(ls "$IN/"*.status.csv 2>/dev/null | wc -l)" 0
# Taken aside: this test settles D1 through acme-card below.
mkdir -p "$T/aside" && mv "$S/providers/sandbox/inbound/$B/"* "$T/aside/"

# ---- the provider bindings --------------------------------------------------
cat >"$S.conf" <<CONF
[spool]
stable_seconds = 1
min_age_seconds = 0
[provider acme-card]
businesses = acme, north
[provider harbor-card]
businesses = harbor
CONF
expect 0 "$P" run --once # engine start: the bound pairs' folders
same "acme-card/acme made" "$(test -d "$MINE" && echo yes)" yes
same "harbor-card/harbor made" "$(test -d "$OTHER_H" && echo yes)" yes
same "harbor-card/acme not made" "$(test -e "$OTHER" && echo yes)" ""
expect 0 "$P" business add north
same "made at business add" \
    "$(test -d "$S/providers/acme-card/inbound/north" && echo yes)" yes
expect 0 "$P" --json provider list
same "provider list" "$(jq -r '.[] | "\(.provider) \(.business) \(.businessKnown)"' "$T/out")" \
"acme-card acme true
acme-card north true
harbor-card harbor true"
same "folder" "$(jq -r '.[0].folder' "$T/out")" "$MINE"
# ---- a provider not bound to acme ------------------------------------------
# Its folder for acme does not exist; made by hand, it is never scanned.
mkdir -p "$OTHER"
status_file >"$T/other.csv"
drop other.csv "$OTHER"
# Its own business's folder cannot reach acme's transactions.
status_file >"$T/other-h.csv"
drop other-h.csv "$OTHER_H"
expect 0 "$P" run --once
same "unbound provider not applied" "$(status_of D1)" PROCESSING
same "unbound folder never claimed" "$(ls "$OTHER/other.csv" 2>/dev/null)" \
    "$OTHER/other.csv"
expect 0 "$P" --json status
same "status: waiting in providers' folders" \
    "$(jq -r .spool.providerInbound "$T/out")" 1
same "harbor's provider: not acme's" "$(status_of D1)" PROCESSING

# ---- the bound provider's folder: applied ----------------------------------
status_file >"$T/answer.csv"
drop answer.csv "$MINE"
# Killed right after the claim: the answer waits in work/ with its
# source, and the next pass resumes it with the provider's trust.
PAYSPOOL_CRASH_AT=claimed "$P" run --once >/dev/null 2>&1
same "killed after the claim" "$?" 137
same "in work/" "$(ls "$S/work/$B/answer.csv" 2>/dev/null)" "$S/work/$B/answer.csv"
has "^provider=acme-card$" "$S/work/$B/.answer.csv.source"
same "not yet" "$(status_of D1)" PROCESSING
expect 0 "$P" run --once
same "bound provider settles" "$(status_of D1)" SETTLED
same "sidecar gone" "$(ls -A "$S/work/$B")" ""
expect 0 "$P" --json files list --business $B
same "its row names the provider" \
    "$(jq -r '.[] | select(.name == "answer.csv") | .provider' "$T/out")" acme-card
same "the employer's has none" \
    "$(jq -r '.[] | select(.name == "settle.csv") | .provider' "$T/out")" null
R=$(result answer.csv)
same "its result in acme's results" "$(test -n "$R" && echo yes)" yes
[ -n "$R" ] && has ",ACCEPTED," "$R"
has '"event":"file.from_provider"' "$PAYSPOOL_LOG"

# ---- a provider's answer rejected whole, retried: back to its folder --------
printf 'reference;status\nnot a layout\n' >"$T/junk.csv"
drop junk.csv "$MINE"
expect 65 "$P" run --once
JUNK=$("$P" --json files list --business $B | jq -r '.[] | select(.name == "junk.csv") | .id')
expect 0 "$P" files retry "$JUNK" --reason "the processor's layout is known now"
same "retried into the provider's folder" "$(ls "$MINE/junk.csv" 2>/dev/null)" \
    "$MINE/junk.csv"
same "not into inbound/" "$(ls "$IN/junk.csv" 2>/dev/null)" ""
rm -f "$MINE/junk.csv" "$MINE/junk.csv.done"

# ---- an employer's file in the provider's folder ---------------------------
cp "$T/roster.csv" "$T/roster2.csv"
printf 'E2,Ana,Lopez,ana@example.com,+14155550102,ACTIVE,Early Pay,2026-01-01,5555555555554444,3000.00,2026-11-01,2026-11-15\n' >>"$T/roster2.csv"
drop roster2.csv "$MINE"
expect 65 "$P" run --once
has "NOT_A_PROVIDER_ANSWER" "$S/failed/$B/roster2.csv.reason"
same "no E2" "$(sql "SELECT count(*) FROM customers WHERE external_id = 'E2'")" 0

# ---- configuration errors name file, line and key --------------------------
printf '[provider bad]\nbusinesses = acme Harbor!\n' >"$T/bad.conf"
expect 78 "$P" run --once --config "$T/bad.conf"
has "bad.conf:2" "$T/err"
printf '[provider p1]\nbusinesses = acme\n[provider p1]\nbusinesses = harbor\n' \
    >"$T/dup.conf"
expect 78 "$P" run --once --config "$T/dup.conf"
has "dup.conf:4.*bound twice" "$T/err"

ledger_verify_ok
finish

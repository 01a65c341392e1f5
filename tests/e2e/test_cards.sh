#!/bin/sh
# test_cards.sh -- issue 18, defect 4: no card number in clear outside the
# payout files.  Card numbers shifted into routing_number, phone, a
# program name or a reference never reach a result file, the database,
# `files show`, stderr or the log in clear; archived inputs are encrypted
# (readable only through `payspool archive show`, which refuses a tampered
# one); failed inputs are sealed after [spool] seal_failed_after_days.
. "$(dirname "$0")/lib.sh"

setup_business acme 2
"$P" program add --business acme --name "Acme EWA" --min 10.00 --max 200.00 \
    --period-cap 500.00 --max-outstanding 800.00 >/dev/null || bad "program add"
IN="$PAYSPOOL_SPOOL/inbound/acme"
OUT="$PAYSPOOL_SPOOL/outbound/acme/results"
export PAYSPOOL_LOG="$T/payspool.log"
# The fixtures' card numbers; 4000056655665556 is the customers' own card,
# added through `account add` (stdin), which may be anywhere sealed.
PANS='4111111111111111|5555555555554444|4012888888881881|378282246310005|6011111111111117'

# nopan WHAT FILE: no clear card number of the fixtures in FILE.
nopan() {
    if grep -aEq "$PANS" "$2"; then
        bad "$1: a card number in clear: $(grep -aEo "$PANS" "$2" | head -1)"
    else ok; fi
}

# ---- a roster with card numbers in the wrong columns ---------------------
H='external_employee_id,first_name,middle_name,last_name,email,phone,employment_status,program,enrollment_begin,enrollment_end,card_number,routing_number,account_number,bank_account_type,account_name,earned_wages,period_start,period_end,currency'
{
    echo "$H"
    # shifted one column: the card number lands in routing_number
    echo 'E1001,Maria,,Gonzalez,m@example.com,+14155550123,active,Acme EWA,2026-01-01,,,4111111111111111,000123456789,checking,Maria,812.40,2026-11-01,2026-11-15,USD'
    echo 'E1002,Jo,,Bee,j@example.com,5555555555554444,active,Acme EWA,2026-01-01,,4000056655665556,,,,,812.40,2026-11-01,2026-11-15,USD'
    echo 'E1003,Al,,Cee,a@example.com,+14155550124,active,4012888888881881,2026-01-01,,4000056655665556,,,,,812.40,2026-11-01,2026-11-15,USD'
    echo 'E1004,378282246310005,,Dee,d@example.com,+14155550125,active,Acme EWA,2026-01-01,,4000056655665556,,,,,812.40,2026-11-01,2026-11-15,USD'
    # a bank account number shifted into routing_number: never echoed
    echo 'E1005,Ed,,Eff,e@example.com,+14155550126,active,Acme EWA,2026-01-01,,,98765432,021000021,checking,Ed,812.40,2026-11-01,2026-11-15,USD'
} >"$T/roster.csv"
cp "$T/roster.csv" "$IN/roster.csv"
touch "$IN/roster.csv.done"
"$P" run --once >"$T/run.out" 2>"$T/run.err"
res=$(ls "$OUT"/roster.csv.*.result.csv 2>/dev/null | head -1)
[ -n "$res" ] && ok || bad "no result for the roster"
nopan "roster result" "$res"
has "(routing_number): (withheld)" "$res" # not even masked
has "555555\*\*\*\*\*\*4444" "$res"
has "401288\*\*\*\*\*\*1881" "$res"
same "roster rejected" "$(grep -c ',REJECTED,' "$res")" 5
if grep -q 98765432 "$res"; then bad "an account number echoed"; else ok; fi

# ---- a disbursement whose reference is a card number ---------------------
printf 'request_id,external_id,amount,currency,rail\n6011111111111117,E1001,12.00,USD,CARD\n' \
    >"$IN/disb.csv"
touch "$IN/disb.csv.done"
"$P" run --once >>"$T/run.out" 2>>"$T/run.err"
dres=$(ls "$OUT"/disb.csv.*.result.csv 2>/dev/null | head -1)
[ -n "$dres" ] && ok || bad "no result for the disbursement"
nopan "disbursement result" "$dres"
has "601111\*\*\*\*\*\*1117" "$dres"

# ---- a provider-status line whose reference is a card number ------------
# (in the business's inbound today; from a provider folder once answers
# come only from there -- either way no clear number may come out)
printf 'reference,status,reason_code,message\n4012888888881881,SETTLED,00,ok 4012888888881881\n' \
    >"$IN/status.csv"
touch "$IN/status.csv.done"
"$P" run --once >>"$T/run.out" 2>>"$T/run.err"
for f in "$OUT"/status.csv.*.result.csv; do
    [ -f "$f" ] && ok || bad "no result for the status file"
    nopan "status result" "$f"
done
for f in "$PAYSPOOL_SPOOL"/failed/acme/*.reason; do
    [ -f "$f" ] && nopan "reason $(basename "$f")" "$f"
done

# ---- `files show --json`, the database, stderr, the log -----------------
"$P" files list --business acme --json >"$T/files.json"
for id in $(jq -r '.[].id' "$T/files.json"); do
    "$P" files show "$id" --json >>"$T/show.json" 2>>"$T/run.err"
done
nopan "files show" "$T/show.json"
has "555555\*\*\*\*\*\*4444" "$T/show.json"
sqlite3 "$PAYSPOOL_SPOOL/payspool.db" .dump >"$T/dump.sql"
nopan "database" "$T/dump.sql"
nopan "stdout" "$T/run.out"
nopan "stderr" "$T/run.err"
nopan "log" "$PAYSPOOL_LOG"
"$P" check "$T/roster.csv" --business acme --json >"$T/check.json" 2>&1
nopan "check --json" "$T/check.json"
if grep -q 98765432 "$T/check.json"; then bad "check --json: an account number echoed"; else ok; fi

# ---- the archive is encrypted; `archive show` gives the bytes back -----
arch=$(find "$PAYSPOOL_SPOOL/archive" -type f -name 'roster.csv.*' \
    ! -name '*.sha256' ! -name '*.done' | head -1)
[ -n "$arch" ] && ok || bad "roster not archived"
nopan "archive bytes" "$arch"
if zcat "$arch" 2>/dev/null | grep -aEq "$PANS"; then
    bad "archive gunzips to card numbers"
else ok; fi
(cd "$(dirname "$arch")" && sha256sum -c --quiet "$(basename "$arch").sha256") &&
    ok || bad "archive .sha256"
expect 0 "$P" archive show "$arch" --out "$T/back.csv"
cmp -s "$T/back.csv" "$T/roster.csv" && ok || bad "archive show: not the original bytes"
same "--out mode" "$(stat -c %a "$T/back.csv")" 600
"$P" archive show "$arch" >"$T/back2.csv" 2>"$T/err" && ok || bad "archive show to stdout"
cmp -s "$T/back2.csv" "$T/roster.csv" && ok || bad "archive show (stdout): not the original bytes"
RID=$(jq -r '.[] | select(.name == "roster.csv") | .id' "$T/files.json")
"$P" archive show "$RID" >"$T/back3.csv" 2>"$T/err" && ok || bad "archive show FILE-ID"
cmp -s "$T/back3.csv" "$T/roster.csv" && ok || bad "archive show FILE-ID: not the original bytes"
expect 0 "$P" archive list --json
has "roster.csv" "$T/out"

# a tampered archive is refused, and nothing of it is written
cp "$arch" "$T/tampered"
size=$(stat -c %s "$T/tampered")
printf '\001' | dd of="$T/tampered" bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
"$P" archive show "$T/tampered" --out "$T/tampered.out" >"$T/out" 2>"$T/err"
same "tampered exit" "$?" 65
has "ARCHIVE_TAMPERED" "$T/err"
[ ! -e "$T/tampered.out" ] && ok || bad "a tampered archive left output"
# truncated (the final chunk cut off) is refused too
head -c $((size - 40)) "$arch" >"$T/truncated"
expect 65 "$P" archive show "$T/truncated"
has "ARCHIVE_TAMPERED" "$T/err"

# ---- failed inputs are sealed after seal_failed_after_days --------------
cat >>"$PAYSPOOL_SPOOL.conf" <<CONF
seal_failed_after_days = 7
CONF
printf 'nonsense,columns\n4111111111111111,x\n' >"$IN/junk.csv"
touch "$IN/junk.csv.done"
"$P" run --once >/dev/null 2>&1
F="$PAYSPOOL_SPOOL/failed/acme"
[ -f "$F/junk.csv" ] && ok || bad "junk.csv not in failed/"
[ -f "$F/junk.csv.reason" ] && ok || bad "junk.csv has no .reason"
# six days later: still there, clear
PAYSPOOL_NOW=$(date -u -d '+6 days' +%Y-%m-%dT%H:%M:%SZ) "$P" run --once >/dev/null 2>&1
[ -f "$F/junk.csv" ] && ok || bad "sealed before its time"
# eight days later: sealed, the clear copy gone, the reason kept
PAYSPOOL_NOW=$(date -u -d '+8 days' +%Y-%m-%dT%H:%M:%SZ) "$P" run --once >/dev/null 2>&1
[ ! -e "$F/junk.csv" ] && ok || bad "failed input still in clear after 8 days"
sealed=$(ls "$F"/junk.csv.* 2>/dev/null | grep -v '\.reason$\|\.sha256$\|\.done$' | head -1)
[ -n "$sealed" ] && ok || bad "no sealed copy of junk.csv: $(ls "$F")"
[ -f "$F/junk.csv.reason" ] && ok || bad "the .reason went with the seal"
for f in "$F"/*; do nopan "failed/$(basename "$f")" "$f"; done
expect 0 "$P" archive show "$sealed" --out "$T/junk.back"
printf 'nonsense,columns\n4111111111111111,x\n' >"$T/junk.orig"
cmp -s "$T/junk.back" "$T/junk.orig" && ok || bad "sealed failed input: not the original bytes"

# 0 = seal at once
sed -i 's/^seal_failed_after_days = 7$/seal_failed_after_days = 0/' "$PAYSPOOL_SPOOL.conf"
printf 'nonsense,columns\n5555555555554444,y\n' >"$IN/junk2.csv"
touch "$IN/junk2.csv.done"
"$P" run --once >/dev/null 2>&1
[ ! -e "$F/junk2.csv" ] && ok || bad "seal_failed_after_days = 0 left it in clear"
for f in "$F"/*; do nopan "failed/$(basename "$f")" "$f"; done
# the same upload again, once its first copy is sealed: a new drop with
# its own result, not taken for the first one resuming after a crash
printf 'nonsense,columns\n5555555555554444,y\n' >"$IN/junk2.csv"
touch "$IN/junk2.csv.done"
"$P" run --once >/dev/null 2>&1
same "results of junk2.csv" "$(ls "$OUT"/junk2.csv.*.result.csv | wc -l)" 2
[ -f "$F/junk2.csv.1.gz.enc" ] && ok || bad "the second junk2.csv not sealed: $(ls "$F")"
for f in "$F"/*; do nopan "failed/$(basename "$f")" "$f"; done

# ---- a card number in a file's name: masked from the claim on (the name
# in work/), so in every name payspool keeps: results/, failed/, archive/,
# their .sha256, the files row and `files show`
printf 'nonsense,columns\n1,x\n' >"$IN/card-4111111111111111.csv"
touch "$IN/card-4111111111111111.csv.done"
"$P" run --once >>"$T/run.out" 2>>"$T/run.err"
ls "$OUT" "$PAYSPOOL_SPOOL/failed/acme" >"$T/names"
nopan "names in results/ and failed/" "$T/names"
has "card-411111\*\*\*\*\*\*1111.csv" "$T/names"
for f in "$OUT"/*.sha256 "$PAYSPOOL_SPOOL"/failed/acme/*.sha256; do
    nopan "$(basename "$f")" "$f"
done
"$P" files list --business acme --json >"$T/files.json"
nopan "files list" "$T/files.json"
has "card-411111\*\*\*\*\*\*1111.csv" "$T/files.json"
sqlite3 "$PAYSPOOL_SPOOL/payspool.db" .dump >"$T/dump2.sql"
nopan "the database, after a card number in a name" "$T/dump2.sql"

ledger_verify_ok
finish

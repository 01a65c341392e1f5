#!/bin/sh
# test_intake_integrity.sh -- issue 18's intake defects, end to end:
#  3. files without .done markers are claimed in every business of a
#     spool (the stability watch was shared and keyed by name alone);
#  5. a name with a newline or a tab is refused at the claim (failed/,
#     BAD_FILE_NAME), never applied, and does not fail every later pass;
#  6. the .reason of NOT_REGULAR_FILE and NAME_TOO_LONG holds no stack
#     garbage (line 0, empty field).
. "$(dirname "$0")/lib.sh"

setup_business acme 3
"$P" business add beta >/dev/null || exit 1
for i in 1 2 3; do
    "$P" customer add "C000$i" --business beta --first-name Test \
        --last-name "Beta$i" --email "b$i@example.com" \
        --phone "+141555510$i$i" >/dev/null || exit 1
    echo 4000056655665556 | "$P" account add "C000$i" --business beta \
        --card >/dev/null || exit 1
done
S="$PAYSPOOL_SPOOL"

# ---- 3: two businesses, no markers, cron mode ------------------------
pstest_file "$S/inbound/acme/a.txt" 1 5 3
pstest_file "$S/inbound/beta/b.txt" 101 5 3
expect 0 "$P" run --once
same "acme's file claimed" "$(ls "$S/inbound/acme" | wc -l)" 0
same "beta's file claimed" "$(ls "$S/inbound/beta" | wc -l)" 0
same "both applied" \
    "$(sql "select count(*) from files where status = 'APPLIED'")" 2
same "transactions" "$(sql 'select count(*) from transactions')" 10

# ---- 5: control characters in a name ---------------------------------
nl="$(printf 'pay\nroll.txt')"
tab="$(printf 'tab\tname.txt')"
pstest_file "$S/inbound/acme/$nl" 201 3 3
touch "$S/inbound/acme/$nl.done"
pstest_file "$S/inbound/beta/$tab" 301 3 3
touch "$S/inbound/beta/$tab.done"
"$P" run --once >"$T/out" 2>"$T/err"
echo "first run after control-character names: exit $?"
same "nothing of them applied" "$(sql 'select count(*) from transactions')" 10
same "no file row for them" "$(sql 'select count(*) from files')" 2
[ -f "$S/failed/acme/pay_roll.txt" ] && ok || bad "no failed/acme/pay_roll.txt"
[ -f "$S/failed/beta/tab_name.txt" ] && ok || bad "no failed/beta/tab_name.txt"
has "rule: BAD_FILE_NAME" "$S/failed/acme/pay_roll.txt.reason"
has "rule: BAD_FILE_NAME" "$S/failed/beta/tab_name.txt.reason"
same "acme inbound empty" "$(ls "$S/inbound/acme" | wc -l)" 0
same "acme work empty" "$(ls "$S/work/acme" | wc -l)" 0
same "beta work empty" "$(ls "$S/work/beta" | wc -l)" 0
expect 0 "$P" run --once

# ---- 6: clean reasons for NOT_REGULAR_FILE and NAME_TOO_LONG ---------
long=$(printf 'x%.0s' $(seq 1 170)).txt
pstest_file "$S/inbound/acme/$long" 401 2 3
touch "$S/inbound/acme/$long.done"
ln -s /etc/hostname "$S/inbound/acme/link.txt"
mkfifo "$S/inbound/beta/fifo.txt"
"$P" run --once >"$T/out" 2>"$T/err"
n=0
for r in "$S"/failed/acme/xxx*.reason "$S/failed/acme/link.txt.reason" \
    "$S/failed/beta/fifo.txt.reason"; do
    [ -f "$r" ] || { bad "no reason $r"; continue; }
    n=$((n + 1))
    grep -q '^rule: \(NAME_TOO_LONG\|NOT_REGULAR_FILE\)$' "$r" && ok ||
        bad "rule in $r"
    same "line in $(basename "$r")" "$(sed -n 's/^line: //p' "$r")" 0
    same "field in $(basename "$r")" "$(sed -n 's/^field: //p' "$r")" ""
    same "offset in $(basename "$r")" \
        "$(sed -n 's/^byte_offset: //p' "$r")" 0
done
same "three reasons" "$n" 3

ledger_verify_ok
finish

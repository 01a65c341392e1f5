#!/bin/sh
# test_spool.sh -- intake from the spool: claim only complete files,
# exactly-once, control totals, wrappers, quarantine, results, the lock.
. "$(dirname "$0")/lib.sh"

setup_business acme 5
IN="$PAYSPOOL_SPOOL/inbound/acme"
OUT="$PAYSPOOL_SPOOL/outbound/acme/results"

# ---- a valid file is applied, resulted and archived ---------------------
pstest_file "$T/pay1.txt" 1 10 5
# a rejected record too: unknown customer
sed -i 's/^SEND|R0000003|C0004|/SEND|R0000003|C9999|/' "$T/pay1.txt"
cp "$T/pay1.txt" "$IN/pay1.txt"
touch "$IN/pay1.txt.done"
expect 0 "$P" run --once
same "txns" "$(sql 'select count(*) from transactions')" 9
res=$(ls "$OUT"/pay1.txt.*.result.csv)
[ -f "$res.done" ] && ok || bad "no .done for result"
[ -f "$res.sha256" ] && ok || bad "no .sha256 for result"
(cd "$OUT" && sha256sum -c --quiet "$(basename "$res").sha256") && ok || bad "result checksum"
same "result lines" "$(grep -c '^[0-9]' "$res")" 10
has "C9999" "$T/pay1.txt"
has ",REJECTED,CUSTOMER_NOT_FOUND," "$res"
has "^#trailer" "$res"
has ",APPLIED,pay1.txt,pstest,10,9,1,0," "$res"
[ -z "$(ls "$IN")" ] && ok || bad "inbound not empty: $(ls "$IN")"
arch=$(find "$PAYSPOOL_SPOOL/archive" -name 'pay1.txt.*.gz.enc')
[ -n "$arch" ] && ok || bad "not archived"
# encrypted at rest (issue 18): read back through `payspool archive show`
same "archived content" "$("$P" archive show "$arch" | sha256sum)" "$(sha256sum <"$T/pay1.txt")"
expect 0 "$P" files list --business acme --json
same "file status" "$(jq -r '.[0].status' "$T/out")" APPLIED
FID=$(jq -r '.[0].id' "$T/out")
expect 0 "$P" files show "$FID" --json
same "problems" "$(jq -r '.problems[0].code' "$T/out")" CUSTOMER_NOT_FOUND
same "problem line" "$(jq -r '.problems[0].line' "$T/out")" 4

# ---- the same content again is a DUPLICATE: nothing applied -------------
cp "$T/pay1.txt" "$IN/pay1-again.txt"
touch "$IN/pay1-again.txt.done"
expect 65 "$P" run --once
same "txns after dup" "$(sql 'select count(*) from transactions')" 9
[ -f "$PAYSPOOL_SPOOL/failed/acme/pay1-again.txt" ] && ok || bad "dup not in failed/"
has "DUPLICATE_FILE" "$PAYSPOOL_SPOOL/failed/acme/pay1-again.txt.reason"
has ",DUPLICATE,DUPLICATE_FILE," "$(ls "$OUT"/pay1-again.txt.*.result.csv)"

# ---- a format's own duplicate key (like NACHA's header tuple) -----------
pstest_file "$T/k1.txt" 700 2 5
sed -i 's/^PSTEST 1$/PSTEST 1\nBATCH|PAYRUN-2026-11-20/' "$T/k1.txt"
pstest_file "$T/k2.txt" 710 3 5
sed -i 's/^PSTEST 1$/PSTEST 1\nBATCH|PAYRUN-2026-11-20/' "$T/k2.txt"
cp "$T/k1.txt" "$IN/k1.txt"
touch "$IN/k1.txt.done"
expect 0 "$P" run --once
same "txns after batch" "$(sql 'select count(*) from transactions')" 11
cp "$T/k2.txt" "$IN/k2.txt"
touch "$IN/k2.txt.done"
expect 65 "$P" run --once
same "txns after same batch" "$(sql 'select count(*) from transactions')" 11
has "DUPLICATE_FILE_KEY" "$PAYSPOOL_SPOOL/failed/acme/k2.txt.reason"
has "PAYRUN-2026-11-20" "$PAYSPOOL_SPOOL/failed/acme/k2.txt.reason"

# ---- spreadsheet formulas never reach a result file as formulas ---------
printf 'PSTEST 1\nSEND|=HYPERLINK("http://x")|C0001|1.00|USD\nSEND|@SUM(A1)|C0001|1.00|USD\nTOTAL|2|2.00|USD\n' \
    >"$IN/formula.txt"
touch "$IN/formula.txt.done"
expect 0 "$P" run --once
fres=$(ls "$OUT"/formula.txt.*.result.csv)
has "^2,\"'=HYPERLINK(\"\"http://x\"\")\",ACCEPTED" "$fres"
has "^3,\"'@SUM(A1)\",ACCEPTED" "$fres"

# ---- a control-total mismatch rejects the file whole --------------------
pstest_file "$T/bad.txt" 100 5 5
sed -i 's/^TOTAL|5|/TOTAL|6|/' "$T/bad.txt"
cp "$T/bad.txt" "$IN/bad-total.txt"
touch "$IN/bad-total.txt.done"
expect 65 "$P" run --once
same "txns after bad total" "$(sql 'select count(*) from transactions')" 13
has "CONTROL_COUNT_MISMATCH" "$PAYSPOOL_SPOOL/failed/acme/bad-total.txt.reason"
has "line: 7" "$PAYSPOOL_SPOOL/failed/acme/bad-total.txt.reason"
# a truncated upload (no trailer)
head -n 3 "$T/bad.txt" >"$IN/truncated.txt"
touch "$IN/truncated.txt.done"
expect 65 "$P" run --once
has "CONTROL_TOTAL_MISSING" "$PAYSPOOL_SPOOL/failed/acme/truncated.txt.reason"
# an unrecognized format
printf 'hello,world\n1,2\n' >"$IN/mystery.csv"
touch "$IN/mystery.csv.done"
expect 65 "$P" run --once
has "UNRECOGNIZED_FORMAT" "$PAYSPOOL_SPOOL/failed/acme/mystery.csv.reason"

# ---- incomplete uploads are never claimed --------------------------------
pstest_file "$T/p2.txt" 200 4 5
cp "$T/p2.txt" "$IN/upload.txt.part"
cp "$T/p2.txt" "$IN/.hidden.txt"
cp "$T/p2.txt" "$IN/upload.filepart"
expect 0 "$P" run --once
[ -f "$IN/upload.txt.part" ] && [ -f "$IN/.hidden.txt" ] && \
    [ -f "$IN/upload.filepart" ] && ok || bad "an in-progress upload was claimed"
rm -f "$IN/upload.txt.part" "$IN/.hidden.txt" "$IN/upload.filepart"

# A file written slowly, in pieces, is taken only once complete: with a
# minimum age it is left alone while it keeps changing.
cat >"$PAYSPOOL_SPOOL.conf" <<CONF
[spool]
stable_seconds = 1
min_age_seconds = 2
CONF
head -n 2 "$T/p2.txt" >"$IN/slow.txt"
expect 0 "$P" run --once
[ -f "$IN/slow.txt" ] && ok || bad "a file still being written was claimed"
tail -n +3 "$T/p2.txt" >>"$IN/slow.txt"
sleep 3
expect 0 "$P" run --once
[ ! -f "$IN/slow.txt" ] && ok || bad "a complete file was not claimed"
same "txns after slow" "$(sql 'select count(*) from transactions')" 17

# ---- symlinks and special files are refused, not followed ---------------
printf 'secret\n' >"$T/secret.txt"
ln -s "$T/secret.txt" "$IN/link.txt"
expect 0 "$P" run --once
[ -L "$PAYSPOOL_SPOOL/failed/acme/link.txt" ] && ok || bad "symlink not moved aside"
has "NOT_REGULAR_FILE" "$PAYSPOOL_SPOOL/failed/acme/link.txt.reason"
same "target untouched" "$(cat "$T/secret.txt")" secret

# ---- wrappers: each member is its own document ---------------------------
mkdir -p "$T/z/nov"
pstest_file "$T/z/nov/a.txt" 300 3 5
pstest_file "$T/z/nov/b.txt" 400 2 5
(cd "$T/z" && bsdtar -a -cf "$T/batch.zip" nov)
cp "$T/batch.zip" "$IN/batch.zip"
touch "$IN/batch.zip.done"
expect 0 "$P" run --once
same "txns after zip" "$(sql 'select count(*) from transactions')" 22
same "zip results" "$(ls "$OUT" | grep -c '^batch.zip_nov_[ab].txt.*result.csv$')" 2
pstest_file "$T/c.txt" 500 2 5
gzip -c "$T/c.txt" >"$IN/c.txt.gz"
touch "$IN/c.txt.gz.done"
expect 0 "$P" run --once
same "txns after gz" "$(sql 'select count(*) from transactions')" 24

# zip slip: nothing applied, the input goes to failed/
mkdir -p "$T/evil/sub"
pstest_file "$T/evil/x.txt" 600 2 5
(cd "$T/evil/sub" && bsdtar -cf "$T/evil.tar" -P ../x.txt)
cp "$T/evil.tar" "$IN/evil.tar"
touch "$IN/evil.tar.done"
expect 65 "$P" run --once
has "UNWRAP_DOTDOT" "$PAYSPOOL_SPOOL/failed/acme/evil.tar.reason"
same "txns after zip slip" "$(sql 'select count(*) from transactions')" 24

# ---- one engine per spool -------------------------------------------------
"$P" run >"$T/daemon.out" 2>&1 &
daemon=$!
sleep 1
expect 75 "$P" run --once
has "ENGINE_RUNNING" "$T/err"
kill -TERM "$daemon"
wait "$daemon"
same "daemon exit on SIGTERM" "$?" 0
expect 0 "$P" run --once

# Two engines started at once on the same spool: one runs, the other
# exits 75 (EX_TEMPFAIL) without touching anything.
pstest_file "$T/big.txt" 10000 30000 5
cp "$T/big.txt" "$IN/big.txt"
touch "$IN/big.txt.done"
"$P" run --once >/dev/null 2>"$T/e1" &
a=$!
"$P" run --once >/dev/null 2>"$T/e2" &
b=$!
wait "$a"
ra=$?
wait "$b"
rb=$?
same "exit statuses of two engines" "$(printf '%s\n' "$ra" "$rb" | sort -n | tr '\n' ' ')" "0 75 "
same "txns after big" "$(sql 'select count(*) from transactions')" 30024

# ---- nothing was lost: every input is archived or failed -----------------
[ -z "$(ls -A "$PAYSPOOL_SPOOL/work/acme" | grep -v '^\.')" ] && ok || bad "left in work/"
expect 0 "$P" ledger balance

ledger_verify_ok
finish

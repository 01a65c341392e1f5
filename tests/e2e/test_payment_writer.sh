#!/bin/sh
# test_payment_writer.sh -- issue 19: a pain.001's payments on the writer
# thread (src/engine/apply.c payment_post, engine/ewawriter.h): the
# intake thread decides each payment, the writer thread writes its row,
# its record key (MsgId/EndToEndId) and its references, 512 rows a
# batch.  What only the store can say (a record key or request id used
# before) fails the writer; the chunk is rolled back and applied again
# on one thread, where it is the record's refusal, as without the thread.
#  1. 1,200 payments in one chunk (several batches of keys and
#     references): every one written with its key and references;
#  2. an EndToEndId twice in one document: the second DUPLICATE_RECORD,
#     after a redo; nothing else changes;
#  3. an EndToEndId of an earlier document under a new MsgId:
#     DUPLICATE_REQUEST, after a redo;
#  4. payments by bank account among payments by external id (the
#     intake thread reads the store: the writer drained first);
#  5. an input of 8 MiB or more is sealed for the archive on a thread of
#     its own while it is applied (intake/spool.h): the archive gives the
#     input back byte for byte, with its .sha256 and .done, and no
#     temporary file is left beside it; an input refused whole leaves no
#     archive copy.  Such an input is checked while its copy is still
#     hashed (pipeline.c check_early): its row gets the hash, and the
#     same bytes again under another name are DUPLICATE_FILE, checked
#     for nothing, applied never.
#  7. the business's customers (engine/paybook.h) are loaded beside the
#     check pass of a pain.001, and the apply pass takes that book; not
#     when the database changed in between: a roster document before the
#     pain.001 in the same input adds the customer it pays.
. "$(dirname "$0")/lib.sh"

setup_business acme 5
IN="$PAYSPOOL_SPOOL/inbound/acme"
OUT="$PAYSPOOL_SPOOL/outbound/acme/results"

tx() { # E2E EXT AMOUNT
    printf '<CdtTrfTxInf><PmtId><EndToEndId>%s</EndToEndId></PmtId><Amt><InstdAmt Ccy="USD">%s</InstdAmt></Amt><Cdtr><Nm>N</Nm><Id><PrvtId><Othr><Id>%s</Id></Othr></PrvtId></Id></Cdtr></CdtTrfTxInf>' "$1" "$3" "$2"
}
bank_tx() { # E2E ROUTING ACCOUNT AMOUNT
    printf '<CdtTrfTxInf><PmtId><EndToEndId>%s</EndToEndId></PmtId><Amt><InstdAmt Ccy="USD">%s</InstdAmt></Amt><CdtrAgt><FinInstnId><ClrSysMmbId><ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>%s</MmbId></ClrSysMmbId></FinInstnId></CdtrAgt><Cdtr><Nm>N</Nm></Cdtr><CdtrAcct><Id><Othr><Id>%s</Id></Othr></Id></CdtrAcct></CdtTrfTxInf>' "$1" "$4" "$2" "$3"
}
# doc NAME MSGID N SUM: a pain.001 of the transactions on stdin
doc() {
    {
        printf '%s' '<?xml version="1.0" encoding="UTF-8"?>'
        printf '%s' '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn>'
        printf '<GrpHdr><MsgId>%s</MsgId><CreDtTm>2026-12-04T09:30:00</CreDtTm><NbOfTxs>%s</NbOfTxs><CtrlSum>%s</CtrlSum><InitgPty><Nm>Acme</Nm></InitgPty></GrpHdr>' "$2" "$3" "$4"
        printf '<PmtInf><PmtInfId>PAY-%s</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>%s</NbOfTxs>' "$2" "$3"
        printf '%s' '<ReqdExctnDt><Dt>2026-12-07</Dt></ReqdExctnDt><Dbtr><Nm>Acme</Nm></Dbtr>'
        printf '%s' '<DbtrAcct><Id><Othr><Id>000123456789</Id></Othr></Id></DbtrAcct>'
        printf '%s' '<DbtrAgt><FinInstnId><ClrSysMmbId><ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>011000015</MmbId></ClrSysMmbId></FinInstnId></DbtrAgt>'
        cat
        printf '%s\n' '</PmtInf></CstmrCdtTrfInitn></Document>'
    } >"$IN/$1"
}
# result FILE REF: "OUTCOME|CODE" of each record REF, in order
result() {
    R=$(ls "$OUT"/*"$1"*.result.csv 2>/dev/null | head -1)
    [ -n "$R" ] || { echo "no result for $1"; return; }
    python3 - "$R" "$2" <<'PY'
import csv, sys
for row in csv.reader(open(sys.argv[1])):
    if len(row) > 4 and row[1] == sys.argv[2]:
        print("|".join(row[2:4]))
PY
}
run_docs() { # DOC...: drop them and run, the log in $T/run.log
    for d in "$@"; do touch "$IN/$d.done"; done
    "$P" --log-level warn run --once --chunk 5000 >"$T/run.out" 2>"$T/run.log" || true
}

# ---- 1 -------------------------------------------------------------------
i=0
while [ "$i" -lt 1200 ]; do
    tx "W$i" "C000$((1 + i % 5))" 1.00
    i=$((i + 1))
done | doc one.xml M-1 1200 1200.00
run_docs one.xml
same "1 accepted" "$(sql "SELECT count(*) FROM transactions WHERE request_id LIKE 'W%'")" 1200
same "1 record keys" "$(sql "SELECT count(*) FROM record_keys WHERE key LIKE 'M-1/W%'")" 1200
same "1 references, each its transaction's" "$(sql "SELECT count(*)
    FROM transactions t JOIN iso_refs r ON r.txn = t.rowid
    JOIN iso_msgs m ON m.id = r.msg
    WHERE m.msg_id = 'M-1' AND r.end_to_end_id IS NULL")" 1200
same "1 no redo" "$(grep -c document.redo "$T/run.log")" 0
same "1 W1199" "$(result one W1199)" "ACCEPTED|"

# ---- 2 -------------------------------------------------------------------
{ tx D1 C0001 1.00; tx D2 C0002 2.00; tx D1 C0003 3.00; tx D3 C0004 4.00; } |
    doc two.xml M-2 4 10.00
run_docs two.xml
same "2 D1" "$(result two D1)" "ACCEPTED|
DUPLICATE|DUPLICATE_RECORD"
same "2 D2, D3" "$(result two D2)/$(result two D3)" "ACCEPTED|/ACCEPTED|"
same "2 redone on one thread" "$(grep -c document.redo "$T/run.log")" 1
same "2 D1's one transaction" "$(sql "SELECT count(*) FROM transactions WHERE request_id = 'D1'")" 1
same "2 three references" "$(sql "SELECT count(*) FROM iso_refs r JOIN iso_msgs m ON m.id = r.msg WHERE m.msg_id = 'M-2'")" 3

# ---- 3 -------------------------------------------------------------------
{ tx X1 C0001 1.00; tx W7 C0002 2.00; tx X2 C0003 3.00; } |
    doc three.xml M-3 3 6.00
run_docs three.xml
same "3 W7" "$(result three W7)" "DUPLICATE|DUPLICATE_REQUEST"
same "3 X1, X2" "$(result three X1)/$(result three X2)" "ACCEPTED|/ACCEPTED|"
same "3 redone on one thread" "$(grep -c document.redo "$T/run.log")" 1
ledger_verify_ok

# ---- 4: by bank account, between payments by external id -----------------
echo 4429018833 | "$P" account add C0005 --business acme --routing 021000021 \
    --account-type CHECKING >/dev/null || bad "bank account"
{ tx B1 C0001 1.00; bank_tx B2 021000021 4429018833 2.00; tx B3 C0002 3.00
  bank_tx B4 021000021 5550001111 4.00; tx B5 C0003 5.00; } |
    doc four.xml M-4 5 15.00
run_docs four.xml
same "4 B1..B5" "$(for r in B1 B2 B3 B4 B5; do result four $r; done | tr '\n' ' ')" \
    "ACCEPTED| ACCEPTED| ACCEPTED| REJECTED|ACCOUNT_NOT_FOUND ACCEPTED| "
same "4 no redo" "$(grep -c document.redo "$T/run.log")" 0
same "4 B2's account" "$(sql "SELECT a.kind FROM transactions t JOIN financial_accounts a ON a.id = t.account_id WHERE t.request_id = 'B2'")" \
    EXTERNAL_BANK
ledger_verify_ok

# ---- 5: the archive's copy sealed beside the apply -----------------------
# 20 transactions and 9 MiB of blank lines between them (whitespace
# between elements: read past)
blanks() { head -c 471859 /dev/zero | tr '\0' ' '; echo; }
i=0
while [ "$i" -lt 20 ]; do tx "G$i" C0002 1.00; blanks; i=$((i + 1)); done |
    doc five.xml M-5 20 20.00
cp "$IN/five.xml" "$T/five.xml"
run_docs five.xml
same "5 accepted" "$(sql "SELECT accepted FROM files WHERE name = 'five.xml'")" 20
arch=$(find "$PAYSPOOL_SPOOL/archive" -type f -name 'five.xml.*' \
    ! -name '*.sha256' ! -name '*.done' | head -1)
[ -n "$arch" ] && [ -f "$arch.done" ] && ok || bad "five.xml not archived"
(cd "$(dirname "$arch")" && sha256sum -c --quiet "$(basename "$arch").sha256") &&
    ok || bad "archive .sha256"
expect 0 "$P" archive show "$arch" --out "$T/back.xml"
cmp -s "$T/back.xml" "$T/five.xml" && ok || bad "archive show: not the original bytes"
same "5 archive path recorded" "$(sql "SELECT archive_path FROM files WHERE name = 'five.xml'")" "$arch"
same "5 no temporary file" "$(find "$PAYSPOOL_SPOOL/archive" -name '.*' | wc -l)" 0
same "5 the row's hash" "$(sql "SELECT sha256 FROM files WHERE name = 'five.xml'")" \
    "$(sha256sum "$T/five.xml" | cut -d' ' -f1)"
cp "$T/five.xml" "$IN/five-again.xml"
run_docs five-again.xml
same "5 again: duplicate" "$(sql "SELECT status FROM files WHERE name = 'five-again.xml'")" DUPLICATE
has "DUPLICATE_FILE" "$PAYSPOOL_SPOOL/failed/acme/five-again.xml.reason"
same "5 again: nothing applied" "$(sql "SELECT count(*) FROM transactions WHERE request_id LIKE 'G%'")" 20
same "5 again: no spill or side file left" "$(ls -A "$PAYSPOOL_SPOOL/work/acme" | wc -l)" 0
# the same size, refused whole (CtrlSum): failed/, no archive copy
i=0
while [ "$i" -lt 20 ]; do tx "H$i" C0002 1.00; blanks; i=$((i + 1)); done |
    doc six.xml M-6 20 21.00
run_docs six.xml
same "6 failed" "$(ls "$PAYSPOOL_SPOOL/failed/acme" | grep -c '^six.xml$')" 1
same "6 not archived" "$(find "$PAYSPOOL_SPOOL/archive" -name 'six.xml*' | wc -l)" 0
same "6 no temporary file" "$(find "$PAYSPOOL_SPOOL/archive" -name '.*' | wc -l)" 0
ledger_verify_ok

# ---- 7: the customers' book loaded beside the check pass -----------------
run_debug() { # DOC: drop it and run, the log (debug) in $T/run.log
    touch "$IN/$1.done"
    "$P" --log-level debug run --once >"$T/run.out" 2>"$T/run.log" || true
}
tx K1 C0003 1.00 | doc seven.xml M-7 1 1.00
run_debug seven.xml
has '"event":"document.payees_ahead","document":"seven.xml","used":true' "$T/run.log"
same "7 accepted" "$(result seven K1)" "ACCEPTED|"
"$P" program add --business acme --name "Acme EWA" --currency USD \
    --advance-rate 50% --min 1.00 --max 500.00 --period-cap 2000.00 \
    --max-outstanding 3000.00 --fee-card 0.00 --fee-ach 0.00 >/dev/null ||
    bad "program add"
mkdir -p "$T/z"
{
    echo external_id,first_name,last_name,email,phone,employment_status,program,enrollment_begin,card_number,earned_wages,period_start,period_end,currency
    echo Z0001,Zoe,New,z1@example.com,+15550009999,ACTIVE,Acme EWA,2026-01-01,4000000000000002,4000.00,2026-11-16,2026-11-29,USD
} >"$T/z/a-roster.csv"
{ tx K2 Z0001 2.00; tx K3 C0004 3.00; } | doc b-pay.xml M-8 2 5.00
mv "$IN/b-pay.xml" "$T/z/b-pay.xml"
python3 - "$T/z" "$IN/both.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w") as z:
    for n in ("a-roster.csv", "b-pay.xml"):
        z.write(sys.argv[1] + "/" + n, n)
PY
run_debug both.zip
has '"event":"document.payees_ahead","document":"both.zip!/b-pay.xml","used":false' "$T/run.log"
same "7 the roster's new customer paid" "$(result b-pay K2)" "ACCEPTED|"
same "7 and the other" "$(result b-pay K3)" "ACCEPTED|"
ledger_verify_ok
finish

#!/bin/sh
# test_payment_refusals.sh -- issue 19: a payment.send creates its
# transaction without a savepoint of its own (one INSERT, no creation
# posting), so a refused record must still leave nothing behind:
#  1. a request id repeated mid-chunk and a record refused before any
#     write: every transaction row has its ISO references, none orphaned;
#  2. the transaction's INSERT itself refused (a constraint, provoked by a
#     trigger): the statement is undone whole, the chunk goes on;
#  3. the write after the row (the ISO references, provoked by a trigger)
#     refused: never a record refusal, the chunk rolls back whole.
# The ledger verifies after each.
. "$(dirname "$0")/lib.sh"

setup_business acme 3
IN="$PAYSPOOL_SPOOL/inbound/acme"

# pain MSGID SUM TX...: a pain.001.001.09, one PmtInf; TX is E2E:EXT:AMOUNT
pain() {
    msgid=$1 sum=$2
    shift 2
    printf '%s' '<?xml version="1.0" encoding="UTF-8"?>'
    printf '%s' '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn>'
    printf '<GrpHdr><MsgId>%s</MsgId><CreDtTm>2026-12-04T09:30:00</CreDtTm><NbOfTxs>%s</NbOfTxs><CtrlSum>%s</CtrlSum><InitgPty><Nm>Acme</Nm></InitgPty></GrpHdr>' "$msgid" "$#" "$sum"
    printf '<PmtInf><PmtInfId>PAY-1</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>%s</NbOfTxs>' "$#"
    printf '%s' '<ReqdExctnDt><Dt>2026-12-07</Dt></ReqdExctnDt><Dbtr><Nm>Acme</Nm></Dbtr>'
    printf '%s' '<DbtrAcct><Id><Othr><Id>000123456789</Id></Othr></Id></DbtrAcct>'
    printf '%s' '<DbtrAgt><FinInstnId><ClrSysMmbId><ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>011000015</MmbId></ClrSysMmbId></FinInstnId></DbtrAgt>'
    for tx in "$@"; do
        e2e=${tx%%:*} rest=${tx#*:}
        ext=${rest%%:*} amt=${rest#*:}
        printf '<CdtTrfTxInf><PmtId><EndToEndId>%s</EndToEndId></PmtId><Amt><InstdAmt Ccy="USD">%s</InstdAmt></Amt><Cdtr><Nm>N</Nm><Id><PrvtId><Othr><Id>%s</Id></Othr></PrvtId></Id></Cdtr></CdtTrfTxInf>' "$e2e" "$amt" "$ext"
    done
    printf '%s\n' '</PmtInf></CstmrCdtTrfInitn></Document>'
}

# no transaction row without its references, none of a refused record
orphans() {
    sql "SELECT count(*) FROM transactions t WHERE NOT EXISTS
         (SELECT 1 FROM iso_refs r WHERE r.txn = t.rowid)"
}

# ---- 1: a duplicate request id mid-chunk, a refusal before the write ---
pain M-1 15.00 E1:C0001:1.00 E2:C0002:2.00 E1:C0003:3.00 E3:C9999:4.00 \
    E4:C0002:5.00 >"$IN/one.xml"
touch "$IN/one.xml.done"
expect 0 "$P" --json run --once
same "1 accepted" "$(jq .accepted "$T/out")" 3
same "1 duplicates" "$(jq .duplicates "$T/out")" 1
same "1 rejected" "$(jq .rejected "$T/out")" 1
same "1 transactions" "$(sql 'SELECT count(*) FROM transactions')" 3
same "1 request ids" "$(sql "SELECT group_concat(request_id) FROM
    (SELECT request_id FROM transactions ORDER BY request_id)")" "E1,E2,E4"
same "1 the first E1 kept" \
    "$(sql "SELECT amount FROM transactions WHERE request_id = 'E1'")" 100
same "1 orphans" "$(orphans)" 0
ledger_verify_ok

# ---- 2: the INSERT itself refused (a constraint) -----------------------
sql "CREATE TRIGGER t_refuse BEFORE INSERT ON transactions
     WHEN NEW.request_id = 'E6'
     BEGIN SELECT RAISE(ABORT, 'provoked'); END"
pain M-2 6.00 E5:C0001:1.00 E6:C0002:2.00 E7:C0003:3.00 >"$IN/two.xml"
touch "$IN/two.xml.done"
expect 0 "$P" --json run --once
same "2 accepted" "$(jq .accepted "$T/out")" 2
same "2 rejected" "$(jq .rejected "$T/out")" 1
R=$(ls "$PAYSPOOL_SPOOL"/outbound/acme/results/*two*.csv 2>/dev/null | head -1)
[ -n "$R" ] && has "E6.*CONSTRAINT" "$R" || bad "no CSV result for two.xml"
same "2 transactions" "$(sql 'SELECT count(*) FROM transactions')" 5
same "2 no E6" \
    "$(sql "SELECT count(*) FROM transactions WHERE request_id = 'E6'")" 0
same "2 orphans" "$(orphans)" 0
sql "DROP TRIGGER t_refuse"
ledger_verify_ok

# ---- 3: the write after the row refused: the chunk rolls back ----------
sql "CREATE TRIGGER r_refuse BEFORE INSERT ON iso_refs
     WHEN (SELECT request_id FROM transactions WHERE rowid = NEW.txn) = 'E9'
     BEGIN SELECT RAISE(ABORT, 'provoked'); END"
pain M-3 6.00 E8:C0001:1.00 E9:C0002:2.00 E10:C0003:3.00 >"$IN/three.xml"
touch "$IN/three.xml.done"
"$P" --json run --once >"$T/out" 2>"$T/err"
same "3 nothing of the chunk" "$(sql "SELECT count(*) FROM transactions
    WHERE request_id IN ('E8', 'E9', 'E10')")" 0
same "3 not applied" "$(sql "SELECT count(*) FROM files
    WHERE name = 'three.xml' AND status = 'APPLIED'")" 0
has "E9\|references refused" "$T/err"
same "3 orphans" "$(orphans)" 0
ledger_verify_ok
# without the trigger, the retry applies the whole file once
sql "DROP TRIGGER r_refuse"
expect 0 "$P" --json run --once
same "3 retried" "$(sql "SELECT count(*) FROM transactions
    WHERE request_id IN ('E8', 'E9', 'E10')")" 3
same "3 applied" "$(sql "SELECT status FROM files WHERE name = 'three.xml'")" \
    APPLIED
same "3 orphans after" "$(orphans)" 0
ledger_verify_ok
finish

#!/bin/sh
# test_payment_book.sh -- issue 19: payment.send finds the customer a
# payment names by external id, and its first ACTIVE account, in an
# in-memory book of the business loaded once per document
# (src/engine/paybook.h), and checks the creation's rules on it: the
# same refusals, codes and messages as the store's rows give.
#  1. a pstest file: an active customer, a suspended one, one whose only
#     account is suspended, one whose first account is suspended (its
#     second pays), one with two active accounts (its first pays), an
#     unknown one, a repeated request id;
#  2. the next document sees what changed between (a fresh book);
#  3. a pain.001 (same applier) gives the same outcomes;
#  4. a pain.001 of 75 transactions in two PmtInf blocks, one chunk: the
#     references written at the chunk's commit, 32 rows an INSERT and the
#     rest one by one, each with its own transaction.
. "$(dirname "$0")/lib.sh"

setup_business acme 5
IN="$PAYSPOOL_SPOOL/inbound/acme"
OUT="$PAYSPOOL_SPOOL/outbound/acme/results"

acct_of() { # EXT: the customer's account ids, oldest first
    sql "SELECT a.id FROM financial_accounts a JOIN customers c
         ON c.id = a.customer_id WHERE c.external_id = '$1'
         ORDER BY a.created_at, a.rowid"
}
expect 0 "$P" customer suspend C0002 --business acme --reason 'HR hold'
expect 0 "$P" account suspend "$(acct_of C0003)" --business acme \
    --reason 'card lost'
echo 4111111111111111 | expect 0 "$P" account add C0004 --business acme --card
expect 0 "$P" account suspend "$(acct_of C0004 | head -1)" --business acme \
    --reason 'card lost'
echo 5555555555554444 | expect 0 "$P" account add C0005 --business acme --card
A4=$(acct_of C0004 | sed -n 2p)
A5=$(acct_of C0005 | head -1)

# result FILE REF: "OUTCOME|CODE|MESSAGE" of the record REF
result() {
    R=$(ls "$OUT"/*"$1"*.csv 2>/dev/null | head -1)
    [ -n "$R" ] || { echo "no result for $1"; return; }
    python3 - "$R" "$2" <<'PY'
import csv, sys
for row in csv.reader(open(sys.argv[1])):
    if len(row) > 4 and row[1] == sys.argv[2]:
        print("|".join(row[2:5]))
PY
}
txn_acct() { sql "SELECT account_id FROM transactions WHERE request_id = '$1'"; }

# ---- 1 -------------------------------------------------------------------
cat >"$IN/one.pst" <<'PST'
PSTEST 1
SEND|R1|C0001|1.00|USD
SEND|R2|C0002|2.00|USD
SEND|R3|C0003|3.00|USD
SEND|R4|C0004|4.00|USD
SEND|R5|C0005|5.00|USD
SEND|R9|C9999|9.00|USD
SEND|R1|C0001|1.50|USD
TOTAL|7|25.50|USD
PST
touch "$IN/one.pst.done"
expect 0 "$P" --json run --once
same "1 accepted" "$(jq .accepted "$T/out")" 3
same "1 R1" "$(result one R1 | head -1)" "ACCEPTED||"
same "1 R2" "$(result one R2)" \
    "REJECTED|CUSTOMER_SUSPENDED|customer C0002 is SUSPENDED"
same "1 R3" "$(result one R3)" \
    "REJECTED|NO_ACTIVE_ACCOUNT|customer C0003 has no active financial account"
same "1 R4" "$(result one R4)" "ACCEPTED||"
same "1 R4's account: the active second" "$(txn_acct R4)" "$A4"
same "1 R5's account: the first" "$(txn_acct R5)" "$A5"
same "1 R9" "$(result one R9)" \
    "REJECTED|CUSTOMER_NOT_FOUND|field external_id: no customer C9999 in this business"
same "1 R1 again" "$(result one R1 | sed -n 2p | cut -d'|' -f1-2)" \
    "DUPLICATE|DUPLICATE_REQUEST"
same "1 rails" "$(sql "SELECT group_concat(rail) FROM transactions")" \
    "PUSH_TO_CARD,PUSH_TO_CARD,PUSH_TO_CARD"
ledger_verify_ok

# ---- 2: changes between documents are seen -------------------------------
expect 0 "$P" customer reactivate C0002 --business acme --reason 'hold lifted'
expect 0 "$P" customer suspend C0001 --business acme --reason 'HR hold'
echo 4000056655665556 | expect 0 "$P" account add C0003 --business acme --card
cat >"$IN/two.pst" <<'PST'
PSTEST 1
SEND|S1|C0001|1.00|USD
SEND|S2|C0002|2.00|USD
SEND|S3|C0003|3.00|USD
TOTAL|3|6.00|USD
PST
touch "$IN/two.pst.done"
expect 0 "$P" --json run --once
same "2 S1" "$(result two S1)" \
    "REJECTED|CUSTOMER_SUSPENDED|customer C0001 is SUSPENDED"
same "2 S2" "$(result two S2)" "ACCEPTED||"
same "2 S3" "$(result two S3)" "ACCEPTED||"
same "2 S3's account: the new one" "$(txn_acct S3)" "$(acct_of C0003 | sed -n 2p)"

# ---- 3: a pain.001 -------------------------------------------------------
tx() {
    printf '<CdtTrfTxInf><PmtId><EndToEndId>%s</EndToEndId></PmtId><Amt><InstdAmt Ccy="USD">%s</InstdAmt></Amt><Cdtr><Nm>N</Nm><Id><PrvtId><Othr><Id>%s</Id></Othr></PrvtId></Id></Cdtr></CdtTrfTxInf>' "$1" "$3" "$2"
}
{
    printf '%s' '<?xml version="1.0" encoding="UTF-8"?>'
    printf '%s' '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn>'
    printf '%s' '<GrpHdr><MsgId>M-3</MsgId><CreDtTm>2026-12-04T09:30:00</CreDtTm><NbOfTxs>3</NbOfTxs><CtrlSum>6.00</CtrlSum><InitgPty><Nm>Acme</Nm></InitgPty></GrpHdr>'
    printf '%s' '<PmtInf><PmtInfId>PAY-1</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>3</NbOfTxs>'
    printf '%s' '<ReqdExctnDt><Dt>2026-12-07</Dt></ReqdExctnDt><Dbtr><Nm>Acme</Nm></Dbtr>'
    printf '%s' '<DbtrAcct><Id><Othr><Id>000123456789</Id></Othr></Id></DbtrAcct>'
    printf '%s' '<DbtrAgt><FinInstnId><ClrSysMmbId><ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>011000015</MmbId></ClrSysMmbId></FinInstnId></DbtrAgt>'
    tx E1 C0001 1.00
    tx E2 C0004 2.00
    tx E3 C9999 3.00
    printf '%s\n' '</PmtInf></CstmrCdtTrfInitn></Document>'
} >"$IN/three.xml"
touch "$IN/three.xml.done"
expect 0 "$P" --json run --once
same "3 E1" "$(result three E1)" \
    "REJECTED|CUSTOMER_SUSPENDED|customer C0001 is SUSPENDED"
same "3 E2" "$(result three E2)" "ACCEPTED||"
same "3 E2's account" "$(txn_acct E2)" "$A4"
same "3 E3" "$(result three E3)" \
    "REJECTED|CUSTOMER_NOT_FOUND|field external_id: no customer C9999 in this business"
P2=$(ls "$OUT"/*.pain002.xml 2>/dev/null | head -1)
[ -n "$P2" ] && has "<GrpSts>PART</GrpSts>" "$P2" || bad "no pain.002 for three.xml"

# ---- 4: the references of a chunk, several rows an INSERT ----------------
block() { # ID FIRST COUNT
    printf '<PmtInf><PmtInfId>%s</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>%s</NbOfTxs>' "$1" "$3"
    printf '%s' '<ReqdExctnDt><Dt>2026-12-07</Dt></ReqdExctnDt><Dbtr><Nm>Acme</Nm></Dbtr>'
    printf '%s' '<DbtrAcct><Id><Othr><Id>000123456789</Id></Othr></Id></DbtrAcct>'
    printf '%s' '<DbtrAgt><FinInstnId><ClrSysMmbId><ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>011000015</MmbId></ClrSysMmbId></FinInstnId></DbtrAgt>'
    i=$2
    while [ "$i" -lt $(($2 + $3)) ]; do
        tx "F$i" "C000$((2 + i % 4))" 1.00
        i=$((i + 1))
    done
    printf '%s' '</PmtInf>'
}
{
    printf '%s' '<?xml version="1.0" encoding="UTF-8"?>'
    printf '%s' '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn>'
    printf '%s' '<GrpHdr><MsgId>M-4</MsgId><CreDtTm>2026-12-04T09:30:00</CreDtTm><NbOfTxs>75</NbOfTxs><CtrlSum>75.00</CtrlSum><InitgPty><Nm>Acme</Nm></InitgPty></GrpHdr>'
    block PAY-A 0 40
    block PAY-B 40 35
    printf '%s\n' '</CstmrCdtTrfInitn></Document>'
} >"$IN/four.xml"
touch "$IN/four.xml.done"
expect 0 "$P" --json run --once --chunk 1000
same "4 accepted" "$(jq .accepted "$T/out")" 75
same "4 references, each its transaction's" "$(sql "SELECT count(*)
    FROM transactions t JOIN iso_refs r ON r.txn = t.rowid
    JOIN iso_msgs m ON m.id = r.msg
    WHERE m.msg_id = 'M-4' AND r.end_to_end_id IS NULL
    AND m.business_id = t.business_id
    AND m.pmt_inf_id = CASE WHEN CAST(substr(t.request_id, 2) AS INTEGER)
        < 40 THEN 'PAY-A' ELSE 'PAY-B' END")" 75
same "4 no transaction without references" "$(sql "SELECT count(*)
    FROM transactions t WHERE t.request_id LIKE 'F%' AND NOT EXISTS
    (SELECT 1 FROM iso_refs r WHERE r.txn = t.rowid)")" 0
ledger_verify_ok
finish

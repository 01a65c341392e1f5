#!/bin/sh
# test_iso_crash.sh -- issue 19: the pain.002 of a pain.001 is written from
# what the apply pass kept (work/<business>/.<input>.<index>.pain002ids)
# and the record results, not from the document read again.  Killed
# (PAYSPOOL_CRASH_AT) after a chunk, after the document's last commit,
# after the pain.002 is published and after the CSV result is, then run
# again: the pain.002 is the same as without a crash (but for its own
# MsgId and CreDtTm), every record applied once, and no side file is
# left in work/.  A side file lost after the last commit (a document
# applied by a version that kept none) is the document read again.
. "$(dirname "$0")/lib.sh"
export PAYSPOOL_NOW=2026-12-04T15:00:00Z

# a pain.001.001.09 of two PmtInf blocks: 5 + 4 transactions, of which
# E03 and E07 name unknown customers and E05 has no identification.
doc() {
    cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">
<CstmrCdtTrfInitn>
<GrpHdr><MsgId>CRASH-MSG-1</MsgId><CreDtTm>2026-12-04T09:30:00</CreDtTm><NbOfTxs>9</NbOfTxs><CtrlSum>90.00</CtrlSum><InitgPty><Nm>Acme</Nm></InitgPty></GrpHdr>
XML
    for blk in "PAY-A 01 02 03 04 05" "PAY-B 06 07 08 09"; do
        set -- $blk
        id=$1
        shift
        echo "<PmtInf><PmtInfId>$id</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>$#</NbOfTxs>"
        echo "<ReqdExctnDt><Dt>2026-12-07</Dt></ReqdExctnDt><Dbtr><Nm>Acme</Nm></Dbtr>"
        echo "<DbtrAcct><Id><Othr><Id>000123456789</Id></Othr></Id></DbtrAcct>"
        echo "<DbtrAgt><FinInstnId><ClrSysMmbId><ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>011000015</MmbId></ClrSysMmbId></FinInstnId></DbtrAgt>"
        for n in "$@"; do
            case $n in
            03 | 07) ext=C99$n ;;
            *) ext=C000$(((1${n} - 100) % 3 + 1)) ;;
            esac
            echo "<CdtTrfTxInf><PmtId><EndToEndId>E$n</EndToEndId></PmtId><Amt><InstdAmt Ccy=\"USD\">10.00</InstdAmt></Amt>"
            if [ "$n" = 05 ]; then
                echo "<Cdtr><Nm>Nobody</Nm></Cdtr>"
            else
                echo "<Cdtr><Nm>Jos&#233;</Nm><Id><PrvtId><Othr><Id>$ext</Id></Othr></PrvtId></Id></Cdtr>"
            fi
            echo "</CdtTrfTxInf>"
        done
        echo "</PmtInf>"
    done
    echo "</CstmrCdtTrfInitn></Document>"
}

# report: the spool's pain.002 without its own MsgId and CreDtTm
report() {
    cat "$PAYSPOOL_SPOOL"/outbound/acme/results/*.pain002.xml |
        grep -v '<MsgId>PS-\|<CreDtTm>'
}

# left: what is left in work/acme
left() { ls -A "$PAYSPOOL_SPOOL/work/acme" | tr '\n' ' '; }

base=$PAYSPOOL_SPOOL

# without a crash: the reference report
export PAYSPOOL_SPOOL="$base-none"
setup_business acme 3
doc >"$PAYSPOOL_SPOOL/inbound/acme/pay.xml"
touch "$PAYSPOOL_SPOOL/inbound/acme/pay.xml.done"
expect 0 "$P" run --once --chunk 2
report >"$T/want"
same "reference: TxInfAndSts" "$(grep -c '<TxInfAndSts>' "$T/want")" 9
same "reference: blocks" "$(grep -c '<OrgnlPmtInfId>' "$T/want")" 2
same "reference: RJCT" "$(grep -c '<TxSts>RJCT</TxSts>' "$T/want")" 3
has "<OrgnlMsgId>CRASH-MSG-1</OrgnlMsgId>" "$T/want"
has "<GrpSts>PART</GrpSts>" "$T/want"
same "reference: order" "$(sed -n 's/.*<OrgnlEndToEndId>\(.*\)<.*/\1/p' "$T/want" | tr '\n' ' ')" \
    "E01 E02 E03 E04 E05 E06 E07 E08 E09 "
same "reference: work/ empty" "$(left)" ""
# the same MsgId again in other bytes: a duplicate, no side file left
doc | sed 's/<Nm>Acme</<Nm>Acme Inc</' >"$PAYSPOOL_SPOOL/inbound/acme/again.xml"
touch "$PAYSPOOL_SPOOL/inbound/acme/again.xml.done"
expect 65 "$P" run --once --chunk 2
same "duplicate: status" "$(sql "select status from files where name = 'again.xml'")" DUPLICATE
same "duplicate: work/ empty" "$(left)" ""

for point in chunk-committed applied output-published result-published lost; do
    export PAYSPOOL_SPOOL="$base-$point"
    setup_business acme 3
    doc >"$PAYSPOOL_SPOOL/inbound/acme/pay.xml"
    touch "$PAYSPOOL_SPOOL/inbound/acme/pay.xml.done"
    at=$point
    [ "$point" = lost ] && at=applied
    PAYSPOOL_CRASH_AT=$at "$P" run --once --chunk 2 >/dev/null 2>&1
    same "$point: killed" "$?" 137
    if [ "$at" = applied ]; then
        # APPLIED, nothing published: the side file holds the 9 records
        ids=$(ls "$PAYSPOOL_SPOOL"/work/acme/.*.pain002ids)
        same "$point: side file records" \
            "$(tr '\0' '\n' <"$ids" | grep -c '^E')" 9
        [ "$point" = lost ] && rm -f "$ids"
    fi
    expect 0 "$P" run --once --chunk 2
    report >"$T/got"
    if cmp -s "$T/want" "$T/got"; then ok; else
        bad "$point: the pain.002 differs from the one without a crash"
        diff "$T/want" "$T/got" | head -20 >&2
    fi
    same "$point: transactions" "$(sql 'select count(*) from transactions')" 6
    same "$point: work/ empty" "$(left)" ""
    ledger_verify_ok
done
finish

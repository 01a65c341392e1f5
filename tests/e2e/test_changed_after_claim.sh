#!/bin/sh
# test_changed_after_claim.sh -- issue 18, defect 2: what is applied is
# exactly the bytes that were hashed and checked.  A claimed file in work/
# that changes while it is applied (a line appended under a running
# engine, a file with a control trailer and a CSV), or between two passes
# (appended, or rewritten in place after a crash), never gets its change
# applied: the run applies the claimed bytes exactly once, archives
# exactly them, and keeps the changed file in failed/ with
# FILE_CHANGED_AFTER_CLAIM; a rewritten file's document is finished with
# what was committed (no PROCESSING document without a result).
. "$(dirname "$0")/lib.sh"

N=${PS_CHANGED_RECORDS:-60000}
setup_business chg 20
S="$PAYSPOOL_SPOOL"
W="$S/work/chg"

# wait_processing: until the engine has committed a chunk of a document
wait_processing() {
    i=0
    while [ "$i" -lt 600 ]; do
        n=$(sql "select count(*) from files where status = 'PROCESSING'" \
            2>/dev/null)
        [ "${n:-0}" -ge 1 ] && return 0
        sleep 0.02
        i=$((i + 1))
    done
    bad "no document went PROCESSING"
}
# archived_sha NAME: sha256 of the archived bytes of input NAME
archived_sha() {
    enc=$(find "$S/archive" -name "$1.*.gz.enc" | head -n 1)
    "$P" archive show "$enc" | sha256sum | cut -d' ' -f1
}
# consistent: no document PROCESSING, each with a published result
consistent() {
    same "$1: documents PROCESSING" \
        "$(sql "select count(*) from files where status = 'PROCESSING'")" 0
    same "$1: documents without a result" \
        "$(sql "select count(*) from files where ifnull(result_path,'') = ''")" 0
    same "$1: work empty" "$(ls "$W" | wc -l)" 0
}

# ---- A: a line appended under a running engine (control trailer) -----
pstest_file "$T/a.txt" 1 "$N" 20
cp "$T/a.txt" "$S/inbound/chg/a.txt" && touch "$S/inbound/chg/a.txt.done"
"$P" run --once --chunk 1000 >"$T/a.out" 2>"$T/a.err" &
pid=$!
wait_processing
echo 'SEND|R9999999|C0001|1.00|USD' >>"$W/a.txt"
wait "$pid"
same "A: exit (the change refused)" "$?" 65
same "A: transactions" "$(sql 'select count(*) from transactions')" "$N"
same "A: accepted" "$(sql "select accepted from files where name = 'a.txt'")" "$N"
same "A: status" "$(sql "select status from files where name = 'a.txt'")" APPLIED
consistent A
same "A: archive holds the claimed bytes" "$(archived_sha a.txt)" \
    "$(sha256sum "$T/a.txt" | cut -d' ' -f1)"
has "rule: FILE_CHANGED_AFTER_CLAIM" "$S/failed/chg/a.txt.reason"
has "R9999999" "$S/failed/chg/a.txt"
r=$(ls "$S"/outbound/chg/results/a.txt.*.result.csv)
same "A: result lines" "$(grep -c '^[0-9]' "$r")" "$N"
expect 0 "$P" run --once
same "A: still once" "$(sql 'select count(*) from transactions')" "$N"

# ---- A2: the same with a NACHA file (its controls checked whole) -----
# nacha_file PATH COUNT: a PPD credit file of COUNT entries (employees
# payspool does not know: each is refused, a record all the same), with
# correct batch and file controls, blocked to ten lines.
nacha_file() {
    awk -v n="$2" 'BEGIN {
        sp = sprintf("%94s", "")
        print "101 09100001915550001112611201015A094101US BANK                NORTHWIND BANK         PAYROLL "
        print "5220ACME FREIGHT                        1555000111PPDEWA ADVANC      261123   1076401250000001"
        hash = 0; total = 0
        for (i = 1; i <= n; i++) {
            amt = 100 + i % 997
            printf "622021000021%-17s%010d%-15s%-22s  007640125%07d\n", \
                "44" sprintf("%08d", i), amt, "N" i, "EMPLOYEE " i, i
            hash += 2100002; total += amt
        }
        hash = hash % 10000000000
        printf "8220%06d%010.0f%012d%012.0f1555000111%25s076401250000001\n", \
            n, hash, 0, total, ""
        lines = n + 4
        blocks = int((lines + 9) / 10)
        printf "9%06d%06d%08d%010.0f%012d%012.0f%39s\n", 1, blocks, n, \
            hash, 0, total, ""
        for (i = lines; i < blocks * 10; i++)
            print "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
    }' >"$1"
}
nacha_file "$T/n.ach" "$N"
"$P" check "$T/n.ach" >"$T/n.check" 2>&1 && ok || {
    bad "the generated NACHA file does not check"
    head -n 5 "$T/n.check" >&2
}
cp "$T/n.ach" "$S/inbound/chg/n.ach" && touch "$S/inbound/chg/n.ach.done"
"$P" run --once --chunk 1000 >"$T/n.out" 2>"$T/n.err" &
pid=$!
wait_processing
printf '%94s\n' "6220210000214400000000000000010000N999999        LATE ENTRY" \
    >>"$W/n.ach"
wait "$pid"
same "A2: exit (the change refused)" "$?" 65
same "A2: records" "$(sql "select records from files where name = 'n.ach'")" "$N"
same "A2: status" "$(sql "select status from files where name = 'n.ach'")" APPLIED
same "A2: one document" "$(sql "select count(*) from files where name = 'n.ach'")" 1
consistent A2
same "A2: archive holds the claimed bytes" "$(archived_sha n.ach)" \
    "$(sha256sum "$T/n.ach" | cut -d' ' -f1)"
has "rule: FILE_CHANGED_AFTER_CLAIM" "$S/failed/chg/n.ach.reason"
has "LATE ENTRY" "$S/failed/chg/n.ach"

# ---- B: the same with a CSV (rows appended under the engine) ----------
M=$((N / 2))
"$P" business add csvco >/dev/null || exit 1
awk -v n="$M" 'BEGIN {
    print "external_id,type,first_name,last_name,email,phone,address_type," \
          "address_line1,city,region,postal_code,country"
    for (i = 1; i <= n; i++)
        printf "X%06d,INDIVIDUAL,Ann,Lee%d,a%d@example.com,+1415%07d,HOME," \
               "1 Main St,San Francisco,CA,94103,US\n", i, i, i, i
}' >"$T/b.csv"
cp "$T/b.csv" "$S/inbound/csvco/b.csv" && touch "$S/inbound/csvco/b.csv.done"
"$P" run --once --chunk 500 >"$T/b.out" 2>"$T/b.err" &
pid=$!
wait_processing
printf 'Y000001,INDIVIDUAL,Eve,Late,e@example.com,+14150000001,HOME,1 Main St,San Francisco,CA,94103,US\n' \
    >>"$S/work/csvco/b.csv"
wait "$pid"
same "B: exit (the change refused)" "$?" 65
same "B: customers" \
    "$(sql "select count(*) from customers c join businesses b on b.id = c.business_id where b.name = 'csvco'")" "$M"
same "B: the appended row never applied" \
    "$(sql "select count(*) from customers where external_id = 'Y000001'")" 0
same "B: one document" "$(sql "select count(*) from files where name = 'b.csv'")" 1
same "B: no DUPLICATE" "$(sql "select count(*) from files where status = 'DUPLICATE'")" 0
same "B: archive holds the claimed bytes" "$(archived_sha b.csv)" \
    "$(sha256sum "$T/b.csv" | cut -d' ' -f1)"
has "rule: FILE_CHANGED_AFTER_CLAIM" "$S/failed/csvco/b.csv.reason"
W="$S/work/csvco" consistent B

# ---- C: killed, then a line appended before the next pass -------------
pstest_file "$T/c.txt" 100001 "$N" 20
cp "$T/c.txt" "$S/inbound/chg/c.txt" && touch "$S/inbound/chg/c.txt.done"
"$P" run --once --chunk 500 >/dev/null 2>&1 &
pid=$!
wait_processing
kill -9 "$pid"
wait "$pid" 2>/dev/null
echo 'SEND|R9999998|C0001|1.00|USD' >>"$W/c.txt"
"$P" run --once >"$T/c.out" 2>"$T/c.err"
same "C: exit (the change refused)" "$?" 65
same "C: transactions" "$(sql "select count(*) from transactions where request_id like 'R01%' or request_id like 'R0%' and request_id >= 'R0100001' and request_id < 'R0200000'")" "$N"
same "C: the appended line never applied" \
    "$(sql "select count(*) from transactions where request_id = 'R9999998'")" 0
same "C: accepted" "$(sql "select accepted from files where name = 'c.txt'")" "$N"
same "C: archive holds the claimed bytes" "$(archived_sha c.txt)" \
    "$(sha256sum "$T/c.txt" | cut -d' ' -f1)"
has "rule: FILE_CHANGED_AFTER_CLAIM" "$S/failed/chg/c.txt.reason"
consistent C

# ---- D: killed, then rewritten in place before the next pass ----------
pstest_file "$T/d.txt" 200001 "$N" 20
cp "$T/d.txt" "$S/inbound/chg/d.txt" && touch "$S/inbound/chg/d.txt.done"
"$P" run --once --chunk 500 >/dev/null 2>&1 &
pid=$!
wait_processing
kill -9 "$pid"
wait "$pid" 2>/dev/null
# one request id near the end, same length: R0... -> Q0...
line=$((N - 5))
off=$(head -n "$line" "$W/d.txt" | wc -c)
lastline=$(sed -n "$((line + 1))p" "$W/d.txt")
newline=$(echo "$lastline" | sed 's/|R0/|Q0/')
[ "$newline" != "$lastline" ] && ok || bad "D: the rewrite changed nothing"
printf '%s' "$newline" | dd of="$W/d.txt" bs=1 seek="$off" conv=notrunc 2>/dev/null
committed=$(sql "select c.record_no from checkpoints c join files f on f.id = c.file_id where f.name = 'd.txt'")
"$P" run --once >"$T/d.out" 2>"$T/d.err"
same "D: exit (the file refused)" "$?" 65
same "D: status" "$(sql "select status from files where name = 'd.txt'")" APPLIED
same "D: accepted is what was committed" \
    "$(sql "select accepted from files where name = 'd.txt'")" "$committed"
[ "$committed" -lt "$N" ] && ok || bad "D: the kill came too late ($committed)"
same "D: transactions are what was committed" \
    "$(sql "select count(*) from transactions where request_id >= 'R0200001' and request_id < 'R0300000'")" "$committed"
r=$(ls "$S"/outbound/chg/results/d.txt.*.result.csv)
has "FILE_CHANGED_AFTER_CLAIM" "$r"
same "D: result lines" "$(grep -c '^[0-9]' "$r")" "$committed"
has "rule: FILE_CHANGED_AFTER_CLAIM" "$S/failed/chg/d.txt.reason"
consistent D
expect 0 "$P" run --once

ledger_verify_ok
finish

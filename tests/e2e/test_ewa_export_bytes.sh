#!/bin/sh
# test_ewa_export_bytes.sh -- each line of `ewa export` is, byte for
# byte and key order included, the compact JSON of the object `ewa show
# --json` prints for that profile (jq -c keeps the keys' order).  The
# export writes a line itself when every string in it is plain printable
# ASCII and lets jansson dump any other (outbound/ewaexport.c): E1 is
# plain, E2 a business with a middle name and an enrollment end (no
# nulls), E3's first name needs escaping ('"', '\', a non-ASCII letter).
# Page sizes below and above the profiles' counts (hasNext both ways).
. "$(dirname "$0")/lib.sh"

B=ewa-bytes
IN="$PAYSPOOL_SPOOL/inbound/$B"
setup_ewa_business $B "Bytes EWA"

{
    echo "request_id,external_id,amount,currency,rail"
    for i in 1 2 3 4 5 6; do
        echo "R$i,E$(( (i % 3) + 1 )),1$i.25,USD,CARD"
    done
} >"$T/requests.csv"
cp "$T/requests.csv" "$IN/requests.csv"
touch "$IN/requests.csv.done"
sleep 1.1
expect 0 "$P" run --once
has "6 accepted" "$T/out"
cust() { echo "(SELECT customer_id FROM ewa_profiles WHERE external_id = '$1')"; }
sql "UPDATE customers SET type = 'BUSINESS', dba_name = 'Acme Co',
     middle_name = 'Ann' WHERE id = $(cust E2)"
sql "UPDATE ewa_profiles SET enrollment_end = '2027-06-30T00:00:00.000Z'
     WHERE external_id = 'E2'"
sql "UPDATE customers SET first_name = 'Zo' || char(235) || ' \"Z\" a\\b'
     WHERE id = $(cust E3)"

for size in 1 2 100; do
    expect 0 "$P" ewa export --business $B --page-size $size
    f=$(ls -t "$PAYSPOOL_SPOOL/outbound/$B/exports/"*.jsonl | head -n 1)
    same "size $size: three lines" "$(wc -l <"$f" | tr -d ' ')" 3
    for e in E1 E2 E3; do
        "$P" ewa show "$e" --business $B --size $size --json >"$T/show" ||
            bad "ewa show $e"
        jq -c . "$T/show" >"$T/show.c"
        grep "\"externalId\":\"$e\"" "$f" >"$T/line" || bad "no line for $e"
        if cmp -s "$T/show.c" "$T/line"; then
            ok
        else
            bad "size $size, $e: the export's line is not ewa show's object:
$(cat "$T/line")
$(cat "$T/show.c")"
        fi
    done
done
has '"firstName":"Acme Co","middleName":"Ann"' "$f"
has '"enrollmentEnd":"2027-06-30T00:00:00.000Z"' "$f"
same "E3's name read back" \
    "$(jq -r 'select(.externalId == "E3") | .firstName' "$f")" 'Zoë "Z" a\b'
if grep -qF '"firstName":"Zoë \"Z\" a\\b"' "$f"; then ok; else
    bad "E3's name not escaped as jansson does: $(grep E3 "$f")"; fi
has '"hasNext":false' "$f"
ledger_verify_ok
finish

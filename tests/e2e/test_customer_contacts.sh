#!/bin/sh
# test_customer_contacts.sh -- issue 20: customers keep several addresses
# (SHIPPING, BILLING, MAILING, ...) and a BUSINESS customer further
# contact persons besides its primary one, whatever the input: a second
# address of another type never replaces the first, a second contact never
# replaces the primary.  Customer CSV files (several lines and files for
# one customer, contact_primary YES/NO/empty), then LinX answers (an
# existing business updated with a contact and an address, a new business
# created with two contacts and two addresses); `customer show` lists
# them all.
. "$(dirname "$0")/lib.sh"

setup_business acme 0
IN="$PAYSPOOL_SPOOL/inbound/acme"
export PAYSPOOL_JOBS="$(dirname "$0")/../../jobs"
H=external_id,type,first_name,last_name,dba_name,email,phone,contact_first_name,contact_last_name,contact_email,contact_phone,contact_primary,address_type,address_line1,city,region,postal_code,country
drop() { cp "$T/$1" "$IN/$1" && touch "$IN/$1.done" && "$P" run --once >/dev/null 2>&1; }
contacts() { sql "select group_concat(first_name || ':' || is_primary, ' ') from (select k.first_name, k.is_primary from customer_contacts k join customers c on c.id = k.customer_id where c.external_id = '$1' order by k.first_name)"; }
addrs() { sql "select group_concat(type || ':' || line1, ' ') from (select a.type, a.line1 from customer_addresses a join customers c on c.id = a.customer_id where c.external_id = '$1' order by a.type)"; }

# ---- CSV: one file with two lines of each customer -------------------------
cat >"$T/c1.csv" <<CSV
$H
B1,BUSINESS,,,Blue Fern LLC,acct@bluefern.example,+15035550111,Rosa,Delgado,rosa@bluefern.example,+15035550112,,BILLING,88 Water St,Portland,OR,97204,US
B1,BUSINESS,,,Blue Fern LLC,acct@bluefern.example,+15035550111,Tom,Baker,tom@bluefern.example,+15035550113,,SHIPPING,2 Dock Rd,Portland,OR,97205,US
I1,INDIVIDUAL,Maria,Gonzalez,,maria@example.com,+14155550123,,,,,,HOME,1452 Mission St,San Francisco,CA,94103,US
I1,INDIVIDUAL,Maria,Gonzalez,,maria@example.com,+14155550123,,,,,,MAILING,PO Box 9,San Francisco,CA,94104,US
CSV
drop c1.csv
same "B1 contacts: the first primary, the second further" "$(contacts B1)" "Rosa:1 Tom:0"
same "B1 addresses: both types" "$(addrs B1)" "BILLING:88 Water St SHIPPING:2 Dock Rd"
same "I1 addresses: both types" "$(addrs I1)" "HOME:1452 Mission St MAILING:PO Box 9"

# ---- CSV: a later file: an update in place, a new primary, a same-type ------
# address replacing only its type.
cat >"$T/c2.csv" <<CSV
$H
B1,BUSINESS,,,Blue Fern LLC,acct@bluefern.example,+15035550111,Rosa,Delgado,ROSA@bluefern.example,+15035550199,,BILLING,90 Water St,Portland,OR,97204,US
B1,BUSINESS,,,Blue Fern LLC,acct@bluefern.example,+15035550111,Kim,Lee,kim@bluefern.example,+15035550114,YES,MAILING,PO Box 1,Portland,OR,97206,US
CSV
drop c2.csv
same "B1 contacts: Kim primary, Rosa kept" "$(contacts B1)" "Kim:1 Rosa:0 Tom:0"
same "Rosa updated in place" "$(sql "select phone from customer_contacts where first_name='Rosa'")" "+15035550199"
same "B1 addresses: BILLING replaced, the others kept" "$(addrs B1)" \
    "BILLING:90 Water St MAILING:PO Box 1 SHIPPING:2 Dock Rd"

# ---- CSV: the only primary demoted: refused, nothing changed ----------------
cat >"$T/c3.csv" <<CSV
$H
B1,BUSINESS,,,Blue Fern LLC,acct@bluefern.example,+15035550111,Kim,Lee,kim@bluefern.example,+15035550114,NO,,,,,,
CSV
drop c3.csv
res=$(ls "$PAYSPOOL_SPOOL"/outbound/acme/results/c3.csv.*result.csv)
has PRIMARY_CONTACT "$res"
same "unchanged" "$(contacts B1)" "Kim:1 Rosa:0 Tom:0"
# A contact for an INDIVIDUAL: refused.
cat >"$T/c4.csv" <<CSV
$H
I1,INDIVIDUAL,Maria,Gonzalez,,maria@example.com,+14155550123,Ann,Other,ann@example.com,+14155550100,,,,,,,
CSV
drop c4.csv
has CONTACTS_NOT_ALLOWED "$(ls "$PAYSPOOL_SPOOL"/outbound/acme/results/c4.csv.*result.csv)"

# ---- customer show: every contact and address -------------------------------
expect 0 "$P" customer show B1 --business acme
same "three contact lines" "$(grep -c '^contact ' "$T/out")" 3
has "contact   Kim Lee <kim@bluefern.example> +15035550114 (primary)" "$T/out"
same "three address lines" "$(grep -c '^address ' "$T/out")" 3
has "address   SHIPPING: 2 Dock Rd, Portland 97205 US" "$T/out"
expect 0 "$P" --json customer show B1 --business acme
same "json" "$(jq -c '[(.contacts | length), (.addresses | length), ([.contacts[] | select(.primary)] | length)]' "$T/out")" "[3,3,1]"

# ---- LinX answers -----------------------------------------------------------
"$P" business set acme --gateway-url https://go.example/l >/dev/null
cat >"$IN/req.csv" <<'CSV'
linx_request_id,external_id,mobile,template,activities,expires_on,transaction_type,amount,currency,document_id,document_version
L1,B1,,,UPDATE_CUSTOMER,,,,,,
L2,,+15035550120,,CREATE_CUSTOMER,,,,,,
CSV
touch "$IN/req.csv.done"
expect 0 "$P" run --once
expect 0 "$P" job run linx
sms=$(ls "$PAYSPOOL_SPOOL"/outbound/acme/sms/*.jsonl)
tok() { jq -r "select(.ref==\"$1\") | .link" "$sms" | sed 's|.*/||'; }
cat >"$T/answers.jsonl" <<JSONL
{"token":"$(tok L1)","decision":"ACCEPTED","customer":{"contacts":[{"firstName":"Lee","lastName":"Park","email":"lee@bluefern.example","phone":"+15035550115"}],"addresses":[{"type":"WORK","line1":"5 Mill St","city":"Portland","region":"OR","postalCode":"97207","country":"US"}]}}
{"token":"$(tok L2)","decision":"ACCEPTED","customer":{"externalId":"B2","type":"BUSINESS","dbaName":"Oak Tools","contacts":[{"firstName":"Ada","lastName":"Moss","email":"ada@oak.example","phone":"+15035550121"},{"firstName":"Ben","lastName":"Ray","email":"ben@oak.example","phone":"+15035550122"}],"addresses":[{"type":"SHIPPING","line1":"1 Oak Way","city":"Salem","region":"OR","postalCode":"97301","country":"US"},{"type":"BILLING","line1":"PO Box 2","city":"Salem","region":"OR","postalCode":"97302","country":"US"}]}}
JSONL
expect 0 "$P" linx answers "$T/answers.jsonl" --business acme
same "L1 completed" "$(sed -n 1p "$T/out" | jq -r .status)" COMPLETED
same "L2 completed" "$(sed -n 2p "$T/out" | jq -r .status)" COMPLETED
same "B1 after the answer: a fourth contact, Kim still primary" "$(contacts B1)" "Kim:1 Lee:0 Rosa:0 Tom:0"
same "B1 after the answer: a fourth address" "$(addrs B1)" \
    "BILLING:90 Water St MAILING:PO Box 1 SHIPPING:2 Dock Rd WORK:5 Mill St"
same "B2: first contact primary" "$(contacts B2)" "Ada:1 Ben:0"
same "B2: two addresses" "$(addrs B2)" "BILLING:PO Box 2 SHIPPING:1 Oak Way"
expect 0 "$P" customer show B2 --business acme
same "B2 shown: two contacts" "$(grep -c '^contact ' "$T/out")" 2
same "B2 shown: two addresses" "$(grep -c '^address ' "$T/out")" 2
finish

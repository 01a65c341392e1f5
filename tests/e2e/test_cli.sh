#!/bin/sh
# test_cli.sh -- the foundation commands as a new user runs them from the
# README: init, business, program, customer, account, ewa, tx, ledger.
. "$(dirname "$0")/lib.sh"

# ---- init: tree, modes, idempotence ----------------------------------
expect 0 "$P" init
has "schema version 33" "$T/out"
for d in inbound work archive failed outbound; do
    same "mode of $d" "$(stat -c %a "$PAYSPOOL_SPOOL/$d")" 750
done
same "key mode" "$(stat -c %a "$PAYSPOOL_SPOOL.key")" 600
same "db mode" "$(stat -c %a "$PAYSPOOL_SPOOL/payspool.db")" 640
expect 0 "$P" init
has "already present" "$T/out"
same "journal" "$(sqlite3 "$PAYSPOOL_SPOOL/payspool.db" 'PRAGMA journal_mode')" wal

# ---- businesses --------------------------------------------------------
expect 0 "$P" business add harbor-foods --display-name "Harbor Foods Inc."
expect 0 "$P" business add harbor-north --parent harbor-foods \
    --display-name "Harbor Foods North"
expect 65 "$P" business add harbor-foods
has BUSINESS_EXISTS "$T/err"
expect 65 "$P" business add "Bad Name"
has BUSINESS_NAME_FORMAT "$T/err"
expect 66 "$P" business add orphan --parent nobody
expect 0 "$P" business list --json
same "business count" "$(jq length "$T/out")" 2
same "parent" "$(jq -r '.[] | select(.name=="harbor-north") | .parentId' "$T/out")" \
    "$(jq -r '.[] | select(.name=="harbor-foods") | .id' "$T/out")"
[ -d "$PAYSPOOL_SPOOL/inbound/harbor-north" ] && ok || bad "no inbound dir"
[ -d "$PAYSPOOL_SPOOL/outbound/harbor-north/results" ] && ok || bad "no results dir"

# ---- programs ----------------------------------------------------------
expect 0 "$P" program add --business harbor-north --name "Harbor EWA" \
    --min 10.00 --max 300.00 --period-cap 500.00 --max-outstanding 800.00 \
    --fee-card 2.99 --fee-ach 0 --advance-rate 50% --bad-debt-after 2 --json
same "rate" "$(jq -r .advanceRatePercent "$T/out")" 50.00
same "fee" "$(jq -r .feeCard "$T/out")" 2.99
expect 65 "$P" program add --business harbor-north --name "Too Dear" \
    --min 10 --max 300 --period-cap 500 --max-outstanding 800 \
    --fee-card 2.99 --fee-ach 1.00
has NO_FREE_OPTION "$T/err"
expect 65 "$P" program add --business harbor-north --name "Bad Money" \
    --min 10.001 --max 300 --period-cap 500 --max-outstanding 800
has MONEY_TOO_MANY_DECIMALS "$T/err"
expect 65 "$P" program add --business harbor-north --name "Yen" \
    --currency XYZ --min 10 --max 300 --period-cap 500 --max-outstanding 800
has CURRENCY_UNKNOWN "$T/err"
expect 0 "$P" program list --business harbor-north
has "Harbor EWA" "$T/out"

# ---- customers and accounts --------------------------------------------
expect 0 "$P" customer add H-2001 --business harbor-north --first-name James \
    --last-name Okafor --email james.okafor@example.com --phone +13125550188
expect 65 "$P" customer add H-2001 --business harbor-north --first-name J \
    --last-name O --email j@example.com --phone +13125550188
has CUSTOMER_EXISTS "$T/err"
expect 65 "$P" customer add H-2002 --business harbor-north --first-name James \
    --last-name Okafor --email not-an-email --phone +13125550188
has EMAIL_FORMAT "$T/err"
expect 65 "$P" customer add H-2003 --business harbor-north --first-name James \
    --last-name Okafor --email j@example.com --phone 555-0188
has PHONE_FORMAT "$T/err"
expect 0 "$P" customer add B-77 --business harbor-north --type BUSINESS \
    --dba-name "Okafor Logistics" --first-name Ada --last-name Okafor \
    --email ada@okafor-logistics.example --phone +13125550199 --json
same "primary contact" "$(jq -r '.contacts[0].primary' "$T/out")" true

printf '4000056655665556\n' >"$T/pan"
expect 0 sh -c "\"$P\" account add H-2001 --business harbor-north --card --name 'Visa debit' --json <'$T/pan'"
same "masked" "$(jq -r .number "$T/out")" "400005******5556"
CARD=$(jq -r .id "$T/out")
printf '4000056655665557\n' >"$T/badpan"
expect 65 sh -c "\"$P\" account add H-2001 --business harbor-north --card <'$T/badpan'"
has CARD_LUHN "$T/err"
printf '000123456789\n' >"$T/acct"
expect 65 sh -c "\"$P\" account add H-2001 --business harbor-north --routing 021000022 <'$T/acct'"
has ABA_CHECK_DIGIT "$T/err"
expect 0 sh -c "\"$P\" account add H-2001 --business harbor-north --routing 021000021 --account-type SAVINGS --json <'$T/acct'"
BANK=$(jq -r .id "$T/out")
same "bank mask" "$(jq -r .number "$T/out")" "****6789"

# The card and account numbers are nowhere in clear: not in the database,
# its WAL, any output, or the spool.
if grep -r -a -q -e 4000056655665556 -e 000123456789 "$PAYSPOOL_SPOOL"; then
    bad "a card or account number is stored in clear"
else ok; fi

expect 0 "$P" customer show H-2001 --business harbor-north --json
same "accounts" "$(jq '.financialAccounts | length' "$T/out")" 2
if grep -q 4000056655665556 "$T/out"; then bad "PAN in customer show"; else ok; fi
expect 66 "$P" customer show H-9999 --business harbor-north
has CUSTOMER_NOT_FOUND "$T/err"
# Another business cannot see the customer.
expect 66 "$P" customer show H-2001 --business harbor-foods

expect 0 "$P" customer suspend H-2001 --business harbor-north --reason "HR hold"
expect 65 "$P" customer suspend H-2001 --business harbor-north --reason "again"
has STATUS_UNCHANGED "$T/err"

# ---- transactions: a suspended customer cannot transact ----------------
expect 65 "$P" tx create --business harbor-north --customer H-2001 \
    --account "$CARD" --amount 40.00 --request-id pay-1
has CUSTOMER_SUSPENDED "$T/err"
expect 0 "$P" customer reactivate H-2001 --business harbor-north --reason "cleared"
# The customer's status history, with each change's reason.
expect 0 "$P" --json customer show H-2001 --business harbor-north
same "two status changes" \
    "$(jq -r '[.history[] | .from + ">" + .to + ":" + .reason] | join(" ")' "$T/out")" \
    "ACTIVE>SUSPENDED:HR hold SUSPENDED>ACTIVE:cleared"
expect 0 "$P" customer show H-2001 --business harbor-north
has "ACTIVE -> SUSPENDED  HR hold" "$T/out"
expect 0 "$P" tx create --business harbor-north --customer H-2001 \
    --account "$CARD" --amount 40.00 --request-id pay-1 --json
TX=$(jq -r .id "$T/out")
same "new" "$(jq -r .status "$T/out")" NEW
expect 65 "$P" tx create --business harbor-north --customer H-2001 \
    --account "$CARD" --amount 40.00 --request-id pay-1
has DUPLICATE_REQUEST "$T/err"
expect 65 "$P" tx create --business harbor-north --customer H-2001 \
    --account "$CARD" --amount -5.00
has MONEY_SIGN "$T/err"
expect 65 "$P" tx event "$TX" SETTLE
has ILLEGAL_TRANSITION "$T/err"
for ev in SUBMIT TRANSMIT SETTLE; do expect 0 "$P" tx event "$TX" $ev; done
expect 65 "$P" tx event "$TX" CANCEL
expect 0 "$P" tx event "$TX" RETURN --reason "R03 no account" --json
same "reversed" "$(jq -r .status "$T/out")" REVERSED
same "history" "$(jq '.history | length' "$T/out")" 5
same "reason" "$(jq -r '.history[4].reason' "$T/out")" "R03 no account"
# A DEBIT needs a recorded authorization.
expect 65 "$P" tx create --business harbor-north --customer H-2001 \
    --account "$BANK" --type DEBIT --amount 10.00
has NO_DEBIT_AUTHORIZATION "$T/err"
expect 0 "$P" account authorize "$BANK" --business harbor-north --kind WEB \
    --reference "app-consent-2026-11-02"
expect 0 "$P" tx create --business harbor-north --customer H-2001 \
    --account "$BANK" --type DEBIT --amount 10.00 --json
same "rail" "$(jq -r .rail "$T/out")" ACH
expect 0 "$P" ledger balance --json
same "balanced" "$(jq -r '.[0].balanced' "$T/out")" true
same "debits" "$(jq -r '.[0].debits' "$T/out")" "80.00"

# ---- EWA profile ---------------------------------------------------------
expect 0 "$P" ewa enroll H-2001 --business harbor-north --program "Harbor EWA" \
    --begin 2026-01-01 --end 2027-01-01
expect 65 "$P" ewa enroll H-2001 --business harbor-north --program "Harbor EWA"
has PROFILE_EXISTS "$T/err"
expect 65 "$P" ewa eligibility H-2001 --business harbor-north --status ARREARS \
    --reason "not from NEW"
has ILLEGAL_ELIGIBILITY_CHANGE "$T/err"
expect 0 "$P" ewa eligibility H-2001 --business harbor-north --status ELIGIBLE \
    --reason "employment verified"
expect 0 "$P" ewa show H-2001 --business harbor-north
same "keys" "$(jq -c 'keys_unsorted' "$T/out")" \
    '["id","externalId","customerId","financialAccountId","latestEligibilityStatus","enrollmentStatus","firstName","middleName","lastName","programId","programName","amountToRecover","enrollmentBegin","enrollmentEnd","payment"]'
same "status" "$(jq -r .latestEligibilityStatus.status "$T/out")" ELIGIBLE
same "reason" "$(jq -r .latestEligibilityStatus.eligibilityUpdateReason "$T/out")" \
    "employment verified"
same "account" "$(jq -r .financialAccountId "$T/out")" "$CARD"
same "end" "$(jq -r .enrollmentEnd "$T/out")" "2027-01-01T00:00:00.000Z"
same "page keys" "$(jq -c '.payment | keys_unsorted' "$T/out")" \
    '["totalElements","totalPages","number","numberOfElements","hasNext","content"]'
expect 65 "$P" ewa show H-2001 --business harbor-north --size 0
expect 66 "$P" ewa show H-2001 --business harbor-foods
expect 0 "$P" ewa enrollment H-2001 --business harbor-north --status INACTIVE
expect 0 "$P" ewa show H-2001 --business harbor-north
same "inactive" "$(jq -r .enrollmentStatus "$T/out")" INACTIVE

# ---- usage, missing database, independent instances --------------------
expect 64 "$P" frobnicate
expect 64 "$P" business list --bogus-option 1
expect 66 "$P" --spool "$T/nowhere" business list
has "payspool init" "$T/err"
expect 0 "$P" --spool "$T/other" init
expect 0 "$P" --spool "$T/other" business list --json
same "independent" "$(jq length "$T/out")" 0

# ---- the public error codes: the table, the README's list, the JSON ------
expect 0 "$P" codes --json
same "codes are docs/errors.md's" "$(jq -r '.[].code' "$T/out" | sort | tr '\n' ' ')" \
    "$(sed -n '/^## Error codes/,/^## /p' "$PS_FIXTURES/../docs/errors.md" |
        sed -n 's/^| `\([A-Z][A-Z0-9_]*\)` |.*/\1/p' | sort | tr '\n' ' ')"
same "a code's shape" "$(jq -c '.[0] | keys_unsorted' "$T/out")" \
    '["code","scope","meaning"]'
same "scopes" "$(jq -r '[.[].scope] | unique | join(",")' "$T/out")" \
    "file,record,run"
expect 0 "$P" codes
has "^DUPLICATE_REQUEST  *record  " "$T/out"

# ---- a database from a newer payspool is refused -------------------------
sqlite3 "$T/other/payspool.db" "INSERT INTO schema_version VALUES (99, 'x')"
expect 78 "$P" --spool "$T/other" business list
has SCHEMA_TOO_NEW "$T/err"

ledger_verify_ok
finish

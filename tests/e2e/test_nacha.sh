#!/bin/sh
# test_nacha.sh -- NACHA end to end, from the spool and the payspool binary:
#   - the ACH cutoff writes one NACHA file per cutoff (PPD credits, WEB
#     recovery debits), File ID Modifier A then B the same day, trace
#     numbers continuing from file to file, every file valid for
#     `payspool check`, mode 0600;
#   - the sandbox ODFI's return file (R03, R10, R01) and NOC (C01) come
#     back through intake, from the sandbox provider's folder
#     (providers/sandbox/inbound/acme/, a sandbox spool): the transactions are DECLINED with the code,
#     the ledger reverses, R03 suspends the account, R10 disables the EWA
#     profile, a returned recovery debit is a failed recovery (BAD_DEBT),
#     the NOC rewrites the account number; the same return file again is a
#     DUPLICATE, applied once;
#   - an employer's PPD credit file becomes EWA disbursement requests
#     (prenote and debit entries not applied, each with its reason), and a
#     file with a bad check digit is applied only under the business's
#     lenient option, which its result trailer names;
#   - `payspool check` lists every problem with its rule and return code.
. "$(dirname "$0")/lib.sh"
export PAYSPOOL_LOG="$T/payspool.log"
export PAYSPOOL_NOW=2026-11-20T22:00:00Z
B=acme
IN="$PAYSPOOL_SPOOL/inbound/$B"
PIN="$PAYSPOOL_SPOOL/providers/sandbox/inbound/$B" # the sandbox ODFI's answers
OUT="$PAYSPOOL_SPOOL/outbound/$B"
NF="$PS_FIXTURES/nacha"

"$P" init >/dev/null || exit 1
cat >"$PAYSPOOL_SPOOL.conf" <<CONF
[spool]
stable_seconds = 1
min_age_seconds = 0
sandbox = yes
[ach]
odfi_routing = 076401251
odfi_name = LAKESIDE BANK
[ach:acme]
company_id = 1555000111
company_name = ACME FREIGHT
CONF
expect 0 "$P" business add $B
expect 0 "$P" program add --business $B --name "Acme EWA" --min 10.00 \
    --max 500.00 --period-cap 800.00 --max-outstanding 2000.00 \
    --fee-card 0 --fee-ach 0 --debit-fallback --max-debit-attempts 2 \
    --bad-debt-after 2

# drop NAME: an upload from stdin, then its .done marker.
drop() {
    cat >"$IN/$1" && touch "$IN/$1.done"
}
# lacks PATTERN FILE: the pattern is nowhere in the file.
lacks() {
    if grep -q -- "$1" "$2"; then bad "'$1' found in $2"; else ok; fi
}
run_once() {
    sleep 1
    expect 0 "$P" run --once
}
# result NAME: the input's result file.
result() {
    ls "$OUT"/results/"$1".*.result.csv 2>/dev/null | tail -n 1
}
# id_of RESULT REF: the first id the result line of REF created.
id_of() {
    grep "^[0-9]*,$2," "$1" | head -n 1 |
        grep -o '[0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}' |
        head -n 1
}
txn() { # txn ID FIELD
    "$P" --json tx show "$1" | jq -r ".$2"
}
profile() { # profile EXT FIELD
    "$P" --json ewa show "$1" --business $B | jq -r ".$2"
}
account() { # account EXT FIELD
    "$P" --json customer show "$1" --business $B |
        jq -r ".financialAccounts[0].$2"
}

drop roster.csv <<'CSV'
employee_id,first_name,middle_name,last_name,email,mobile_phone,employment_status,ewa_program,enrollment_begin,enrollment_end,card_number,routing_number,account_number,bank_account_type,account_name,earned_wages,period_start,period_end,currency
E1,Ana,,Lima,e1@example.com,+12065550001,ACTIVE,Acme EWA,2026-01-01,,,021000021,4400110001,CHECKING,Checking,1000.00,2026-11-01,2026-11-15,USD
E2,Bruno,,Costa,e2@example.com,+12065550002,ACTIVE,Acme EWA,2026-01-01,,,011000015,4400110002,CHECKING,Checking,1000.00,2026-11-01,2026-11-15,USD
E3,Ana,,Sousa,e3@example.com,+12065550003,ACTIVE,Acme EWA,2026-01-01,,,021000021,4400110003,CHECKING,Checking,1000.00,2026-11-01,2026-11-15,USD
E4,Dina,,Park,e4@example.com,+12065550004,ACTIVE,Acme EWA,2026-01-01,,,091000019,4400110004,CHECKING,Checking,1000.00,2026-11-01,2026-11-15,USD
E5,Eli,,Stone,e5@example.com,+12065550005,ACTIVE,Acme EWA,2026-01-01,,,091000019,4400110005,SAVINGS,Savings,1000.00,2026-11-01,2026-11-15,USD
E6,Omar,,Haddad,e6@example.com,+12065550006,ACTIVE,Acme EWA,2026-01-01,,,011000015,4400110006,SAVINGS,Savings,1000.00,2026-11-01,2026-11-15,USD
CSV
run_once
expect 0 "$P" account authorize "$(account E5 id)" --business $B --kind WEB \
    --reference "app consent 2026-11-02"

# Friday: five ACH advances, then a sixth after the first cutoff.
drop disb-1.csv <<'CSV'
request_id,employee_id,amount,currency,rail
R-1,E1,100.03,USD,ACH
R-2,E2,100.21,USD,ACH
R-3,E3,100.00,USD,ACH
R-4,E4,50.10,USD,ACH
R-5,E5,200.00,USD,ACH
CSV
run_once
r=$(result disb-1.csv)
same "advances accepted" "$(grep -c ',ACCEPTED,' "$r")" 5
T1=$(id_of "$r" R-1)
T2=$(id_of "$r" R-2)
T3=$(id_of "$r" R-3)
T4=$(id_of "$r" R-4)
T5=$(id_of "$r" R-5)
same "waiting for the cutoff" "$(txn "$T1" status)" NEW

expect 0 "$P" --json ach cutoff --date 2026-11-20
same "cutoff A" "$(jq -r '.[0].fileIdModifier + " " +
    (.[0].entries|tostring) + " " + .[0].creditTotal' "$T/out")" \
    "A 5 550.34"
A="$OUT/nacha/ach-acme-20261120-A.ach"
expect 0 "$P" check "$A"
same "file A mode" "$(stat -c %a "$A")" 600
same "file A one PPD credit batch" \
    "$(grep '^5' "$A" | cut -c2-4,51-53 | tr '\n' ' ')" "220PPD "
same "effective Monday" "$(grep '^5' "$A" | cut -c70-75)" 261123
same "traces 1..5" "$(grep '^6' "$A" | cut -c80-94 | tr '\n' ' ')" \
    "076401250000001 076401250000002 076401250000003 076401250000004 076401250000005 "
same "sent" "$(txn "$T1" status) $(txn "$T1" traceNumber)" \
    "PROCESSING 076401250000001"
same "savings credit code" "$(grep '^6' "$A" | sed -n 5p | cut -c2-3)" 32
lacks 4400110001 "$PAYSPOOL_LOG"

drop disb-2.csv <<'CSV'
request_id,employee_id,amount,currency,rail
R-6,E6,25.00,USD,ACH
CSV
run_once
T6=$(id_of "$(result disb-2.csv)" R-6)
expect 0 "$P" ach cutoff --date 2026-11-20
Bf="$OUT/nacha/ach-acme-20261120-B.ach"
expect 0 "$P" check "$Bf"
same "file B continues the traces" "$(grep '^6' "$Bf" | cut -c80-94)" \
    076401250000006
expect 0 "$P" ach cutoff --date 2026-11-20
has "nothing to send" "$T/out"

# The ODFI answers: E1 R03, E4 R10 (returns); E2 C01 (NOC, settles).
expect 0 "$P" sandbox provider --date 2026-11-20
has "answered 2 NACHA files: 4 settled, 2 returned, 1 notifications of change" "$T/out"
ret="ach-acme-20261120-A.returns.ach"
expect 0 "$P" check "$PIN/$ret"
export PAYSPOOL_NOW=2026-11-24T09:00:00Z
run_once
rr=$(result "$ret")
same "returns applied" "$(grep -c ',ACCEPTED,' "$rr")" 3
same "E1 returned R03" "$(txn "$T1" status)" DECLINED
"$P" --json tx show "$T1" >"$T/t1.json"
has "R03" "$T/t1.json"
same "the return code in the history" \
    "$(jq -r '.history[-1].returnCode' "$T/t1.json")" R03
same "R03 suspends the account" "$(account E1 status)" SUSPENDED
same "the suspension's event (issue 20)" \
    "$(sql "select json_extract(payload, '$.from') || ' ' || json_extract(payload, '$.to') from event_outbox where entity_type = 'ACCOUNT' and entity_id = '$(account E1 id)'")" \
    "ACTIVE SUSPENDED"
same "E1 owes nothing" "$(profile E1 amountToRecover)" 0.00
same "E4 returned R10" "$(txn "$T4" status)" DECLINED
same "R10 disables the profile" \
    "$(profile E4 latestEligibilityStatus.status)" DISABLED
same "E2 settled" "$(txn "$T2" status)" SETTLED
same "C01 changed the account" "$(account E2 number)" "****2345"
# `account show`: the NOC and the R03 suspension with their sources, the
# numbers masked; neither old nor new account number in clear.
expect 0 "$P" account show "$(account E2 id)" --business $B
cp "$T/out" "$T/e2.txt"
has "C01 received: account \*\*\*\*0002 -> \*\*\*\*2345" "$T/e2.txt"
lacks "4400110002" "$T/e2.txt"
lacks "7300012345" "$T/e2.txt"
"$P" --json account show "$(account E2 id)" --business $B >"$T/e2.json"
same "the NOC in account show" "$(jq -r '.changes[0].changeCode' "$T/e2.json")" C01
same "the NOC's source file" "$(jq -r '.changes[0].sourceFile' "$T/e2.json")" "$ret"
same "the NOC's trace" "$(jq -r '.changes[0].originalTrace | length' "$T/e2.json")" 15
lacks "4400110002" "$T/e2.json"
lacks "7300012345" "$T/e2.json"
"$P" --json account show "$(account E1 id)" --business $B >"$T/e1.json"
same "R03 in the account history" "$(jq -r '.history[-1].to' "$T/e1.json")" SUSPENDED
has "R03" "$T/e1.json"
same "the suspension's source" "$(jq -r '.history[-1].sourceFile' "$T/e1.json")" "$ret"
expect 66 "$P" account show "$(account E1 id)" --business nobody
same "E3 settled" "$(txn "$T3" status)" SETTLED
same "E6 settled" "$(txn "$T6" status)" SETTLED

# The same return file again: a DUPLICATE, nothing applied twice.
# (from the ODFI's channel: the sandbox provider's folder)
"$P" archive show "$(ls "$PAYSPOOL_SPOOL"/archive/*/*/*/$B/"$ret".*.gz.enc | head -n 1)" |
    (IN=$PIN && drop "again-$ret")
sleep 1
expect 65 "$P" run --once
has "DUPLICATE" "$(ls "$PAYSPOOL_SPOOL"/failed/$B/again-"$ret"*.reason)"
same "still DECLINED once" "$("$P" --json tx show "$T1" |
    jq '[.history[] | select(.to == "DECLINED")] | length')" 1

# Monday's payroll leaves E5 short by 50.01: a WEB recovery debit.
export PAYSPOOL_NOW=2026-11-23T22:00:00Z
drop payroll.csv <<'CSV'
employee_id,first_name,last_name,pay_date,period_start,period_end,gross,net,ewa_deduction,currency,pay_group
E5,Eli,Stone,2026-11-23,2026-11-01,2026-11-15,1800.00,1200.00,149.99,USD,YARD
CSV
run_once
same "E5 in arrears" "$(profile E5 latestEligibilityStatus.status)" ARREARS
# Killed between the commit and the file: the next cutoff writes the very
# file, the debit goes out once.
PAYSPOOL_CRASH_AT=nacha-committed "$P" ach cutoff --date 2026-11-23 \
    >/dev/null 2>&1
same "killed" "$?" 137
D="$OUT/nacha/ach-acme-20261123-A.ach"
same "no file yet" "$(ls "$D" 2>/dev/null)" ""
expect 0 "$P" --json ach cutoff --date 2026-11-23
same "regenerated, nothing new" \
    "$(jq -r '.[0] | (.regenerated|tostring) + " " + .path' "$T/out")" "1 "
same "one file for the day" "$(ls "$OUT"/nacha/ach-acme-20261123-*.ach | wc -l)" 1
expect 0 "$P" check "$D"
same "the debit, once" "$(grep -c '^6' "$D")" 1
same "sha256 matches" "$(cut -d' ' -f1 "$D.sha256")" \
    "$(sha256sum "$D" | cut -d' ' -f1)"
same "WEB debit batch" "$(grep '^5' "$D" | cut -c2-4,51-53)" 225WEB
same "savings debit" "$(grep '^6' "$D" | cut -c2-3,30-39)" 370000005001
expect 0 "$P" sandbox provider --date 2026-11-23
export PAYSPOOL_NOW=2026-11-25T09:00:00Z
run_once
same "recovery debit returned R01: BAD_DEBT" \
    "$(profile E5 latestEligibilityStatus.status)" BAD_DEBT

# The day's reconciliation: the returns per code and the NOC of 11-24;
# on 11-25 the one debit entry sent came back R01, so the overall debit
# return rate (1 of 1) is over NACHA's 15% and an alert opens the report,
# the unauthorized one (no R05/R07/R10/R11/R29/R51 debit) is within.
expect 0 "$P" recon --business $B --date 2026-11-24
r24=$(ls "$OUT"/recon/recon-acme-20261124-*.csv | tail -n 1)
same "returns of 11-24" "$(grep -c '^ach_returns,' "$r24")" 2
has "^ach_returns,,,ACH,CREDIT,,ADMINISTRATIVE,,,,R03,USD,1,100.03," "$r24"
has "^ach_returns,,,ACH,CREDIT,,UNAUTHORIZED,,,,R10,USD,1," "$r24"
has "^ach_notifications,,,ACH,,,RECEIVED,,,,C01,,1," "$r24"
same "credit returns are not in the debit rates" \
    "$(grep -c '^alert,' "$r24")" 0
expect 0 "$P" --json recon --business $B --date 2026-11-25
same "one rate over" "$(jq -r '.counts.achReturnRatesOver' "$T/out")" 1
r25=$(ls "$OUT"/recon/recon-acme-20261125-*.csv | tail -n 1)
has "^alert,,,ACH,DEBIT,,ACH_RETURN_RATE,,,,OVERALL,,1,,,1 OVERALL debit returns of 1 debit entries sent 2026-09-27 to 2026-11-25 = 100.00%; NACHA threshold 15.00%" "$r25"
has "^ach_return_rates,,,ACH,DEBIT,,WITHIN,,,,UNAUTHORIZED,,0," "$r25"
has "^ach_return_rates,,,ACH,DEBIT,,OVER_THRESHOLD,,,,OVERALL,,1," "$r25"
has "^ach_returns,,,ACH,DEBIT,,OTHER,,,,R01,USD,1,50.01," "$r25"
has "WARNING: ACH return rate over NACHA's threshold" \
    "$(ls "$OUT"/recon/recon-acme-20261125-*.txt | tail -n 1)"

# An employer's PPD credit file: EWA disbursement requests.
cat >>"$PAYSPOOL_SPOOL.conf" <<CONF
lenient = bad_check_digit
CONF
drop acme-credits.ach <"$NF/e2e/acme-credits.ach"
run_once
rc=$(result acme-credits.ach)
same "credits accepted" "$(grep -c ',ACCEPTED,' "$rc")" 2
same "prenote and debit not applied" \
    "$(grep -c ',REJECTED,ACH_NOT_APPLIED,' "$rc")" 2
same "the disbursement is the employee's" \
    "$(txn "$(id_of "$rc" 076401250000002)" rail)" ACH
drop acme-credits-bad-check-digit.ach \
    <"$NF/e2e/acme-credits-bad-check-digit.ach"
run_once
rb=$(result acme-credits-bad-check-digit.ach)
same "lenient: applied" "$(grep -c ',ACCEPTED,' "$rb")" 2
same "lenient option in the trailer" \
    "$(tail -n 1 "$rb" | awk -F, '{ print $NF }')" bad_check_digit

# Another file with the same file key (origin, destination, creation date
# and time, File ID Modifier) but other bytes: a DUPLICATE by its key.
sed '1s/^\(.\{86\}\).\{8\}/\1RESENT  /' "$NF/e2e/acme-credits.ach" |
    drop acme-credits-resent.ach
sleep 1
expect 65 "$P" run --once
has "nacha" "$(ls "$PAYSPOOL_SPOOL"/failed/$B/acme-credits-resent.ach*.reason)"
has "DUPLICATE" "$(ls "$PAYSPOOL_SPOOL"/failed/$B/acme-credits-resent.ach*.reason)"

# check: every problem, with rule, field, line, offset and return code.
expect 65 "$P" check "$NF/e2e/acme-credits-bad-check-digit.ach"
has "ABA_CHECK_DIGIT (R28)" "$T/out"
expect 65 "$P" --json check "$NF/multi/three-problems.ach"
same "three problems" "$(jq '.documents[0].problemsTotal' "$T/out")" 3
same "structured" "$(jq -r '.documents[0].problems[0] |
    [.recordType, .field, (.line|tostring), .rule] | join(" ")' "$T/out")" \
    "6 rdfi_check_digit 3 ABA_CHECK_DIGIT"
expect 0 "$P" check --lenient bad_check_digit \
    "$NF/e2e/acme-credits-bad-check-digit.ach"

# Same-day ACH: on a banking day, entries under $1,000,000 are effective
# that day; one of $1,000,000 rolls to the next banking day (Wednesday
# 2026-11-25 -> Friday: Thursday is Thanksgiving).
echo "same_day = yes" >>"$PAYSPOOL_SPOOL.conf"
export PAYSPOOL_NOW=2026-11-25T14:00:00Z
expect 0 "$P" tx create --business $B --customer E3 \
    --account "$(account E3 id)" --amount 12.00 --request-id SD-1
expect 0 "$P" tx create --business $B --customer E3 \
    --account "$(account E3 id)" --amount 1000000.00 --request-id SD-2
expect 0 "$P" ach cutoff --date 2026-11-25
S="$OUT/nacha/ach-acme-20261125-A.ach"
expect 0 "$P" check "$S"
same "same day under the limit, next banking day at it" \
    "$(grep '^5' "$S" | cut -c70-75 | tr '\n' ' ')" "261125 261127 "

# Books: the trial balance is zero.
expect 0 "$P" --json ledger balance --business $B
same "trial balance" "$(jq -r '[.[] | .balanced] | all' "$T/out")" true
lacks 4400110005 "$PAYSPOOL_LOG"
ledger_verify_ok
finish

#!/bin/sh
# test_json_shapes.sh -- "one JSON": every command's --json output, its
# keys, and the error object (docs/json.md is the reference).
#
# On a spool with real data (the nightly EWA fixtures of
# fixtures/ewa-nightly/ through their four stages, a LinX request file,
# a job, the sandbox provider), every row of the command table is run
# with --json and:
#   - its stdout is JSON, and its keys are the ones docs/json.md lists
#     (the sorted keys of the object, or of an array's first element);
#   - no key anywhere in it, at any depth, is snake_case;
#   - stderr is empty, or one error object per line;
#   - every row of `payspool help` was run here (a new command without a
#     JSON shape fails this test), except `archive show`, whose output is
#     the archived input's own bytes.
# Then the error object: a usage error, a refusal, a missing database, a
# store that is not a database, the engine lock held, a bad job file (file
# and line), a bad option value (field): always {"error": {"code",
# "message", "file", "line", "field"}} on stderr, stdout empty, and the
# human line without --json.
. "$(dirname "$0")/lib.sh"
: "${PS_FIXTURES:=$(cd "$(dirname "$0")/../../fixtures" && pwd)}"
NIGHTLY_DIR="$PS_FIXTURES/ewa-nightly"
. "$NIGHTLY_DIR/setup.sh"
L=$NIGHTLY_PARENT
W=$NIGHTLY_CHILD
J="$T/json"
mkdir -p "$J"
: >"$T/covered"
n=0

# j WANT NAME ARGS...: `payspool ARGS --json`, exit WANT; stdout in $OUT
# ($J/<n>.json, named NAME for the coverage check).
j() {
    want=$1
    name=$2
    shift 2
    n=$((n + 1))
    OUT="$J/$n.json"
    printf '%s\n' "$name" >>"$T/covered"
    printf '%s\n' "$name" >"$J/$n.name"
    "$P" "$@" --json >"$OUT" 2>"$J/$n.err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else
        bad "exit $got, wanted $want: $*"
        sed 's/^/    /' "$J/$n.err" >&2
    fi
    if [ -s "$OUT" ] && jq -e . "$OUT" >/dev/null 2>&1; then ok; else
        bad "$name: stdout is not JSON: $(head -c 300 "$OUT")"
    fi
    # stderr: error objects, or the JSON log's lines (run logs warnings)
    if [ ! -s "$J/$n.err" ] ||
        jq -e 'has("error") or has("event")' "$J/$n.err" >/dev/null 2>&1
    then ok; else
        bad "$name: stderr is not JSON: $(head -c 300 "$J/$n.err")"
    fi
}

# keys WHAT JQ WANT: the sorted keys of the value at JQ in $OUT.
keys() {
    same "$1 keys" "$(jq -c "$2 | keys" "$OUT")" "$3"
}

# ---- the spool: the nightly cycle, sandbox, a provider, LinX, a job -------
expect 0 nightly_setup
cat >>"$PAYSPOOL_SPOOL.conf" <<'CONF'
[spool]
stable_seconds = 1
min_age_seconds = 0
sandbox = yes
[provider wage-card]
businesses = northwind-logistics, someday
CONF
mkdir -p "$PAYSPOOL_SPOOL/jobs"
cat >"$PAYSPOOL_SPOOL/jobs/nightly.job" <<'JOB'
[job]
name = nightly
description = intake and the EWA export
schedule = CRON_TZ=America/New_York 30 18 * * *
calendar = all-days
steps = intake, export
catch_up = skip
JOB
for stage in roster status disbursements payroll; do
    expect 0 nightly_stage "$stage"
done
nightly_clock export

# ---- every command ---------------------------------------------------------
KEYS_BUSINESS='["createdAt","displayName","id","name","parentId","status"]'
j 0 "init" init
keys init . '["db","key","keyCreated","schemaVersion","spool"]'
j 0 "business add" business add northwind-retail --parent "$L" \
    --display-name "Northwind Retail"
keys "business add" . "$KEYS_BUSINESS"
j 0 "business list" business list
keys "business list" '.[0]' "$KEYS_BUSINESS"
j 0 "business set" business set "$L" --gateway-url https://go.example/l/ \
    --webhook-attempts 3
keys "business set" . '["business","gatewayUrl","webhookAttempts","webhookSecretSet","webhookTimeoutMs","webhookUrl"]'
printf 'Terms v3\n' >"$T/terms.txt"
j 0 "document add" document add terms --business "$L" --version 3 \
    --title Terms --file "$T/terms.txt"
keys "document add" . '["id","sha256","title","version"]'

KEYS_PROGRAM='["advanceRatePercent","badDebtAfter","businessId","createdAt","currency","debitFallback","feeAch","feeCard","id","maxDebitAttempts","maxOutstanding","maxTransfer","minTransfer","name","periodCap","status"]'
j 0 "program add" program add --business northwind-retail --name 'Retail EWA' \
    --min 10.00 --max 100.00 --period-cap 200.00 --max-outstanding 300.00
keys "program add" . "$KEYS_PROGRAM"
j 0 "program list" program list --business "$L"
keys "program list" '.[0]' "$KEYS_PROGRAM"

KEYS_CUSTOMER='["addresses","businessId","contacts","createdAt","dbaName","email","externalId","financialAccounts","firstName","history","id","lastName","middleName","phone","status","type","updatedAt"]'
j 0 "customer add" customer add R-1 --business northwind-retail \
    --first-name Ada --last-name Reyes --email ada@example.com \
    --phone +14155550190 --address-line1 '1 Main St' --city Springfield \
    --region IL --postal-code 62701 --country US
keys "customer add" . "$KEYS_CUSTOMER"
keys "customer address" '.addresses[0]' '["city","country","line1","line2","postalCode","region","type"]'
j 0 "customer show" customer show R-1 --business northwind-retail
keys "customer show" . "$KEYS_CUSTOMER"
j 0 "customer suspend" customer suspend R-1 --business northwind-retail \
    --reason 'HR hold'
keys "customer suspend" . "$KEYS_CUSTOMER"
j 0 "customer reactivate" customer reactivate R-1 \
    --business northwind-retail --reason 'hold lifted'
keys "customer reactivate" . "$KEYS_CUSTOMER"
keys "customer history" '.history[-1]' '["at","from","reason","sourceFile","sourceLine","to"]'

KEYS_ACCOUNT='["accountType","createdAt","displayName","id","kind","number","routingNumber","status"]'
OUT="$J/card.json"
echo 4000056655665556 | "$P" account add R-1 --business northwind-retail \
    --card --json >"$OUT" && ok || bad "account add --card"
CARD=$(jq -r .id "$OUT")
printf 'account add\n' >>"$T/covered"
n=$((n + 1))
cp "$OUT" "$J/$n.json"
echo "account add" >"$J/$n.name"
keys "account add (card)" . "$KEYS_ACCOUNT"
echo 123456789 | "$P" account add R-1 --business northwind-retail \
    --routing 021000021 --json >"$J/bank.json" && ok || bad "account add --routing"
BANK=$(jq -r .id "$J/bank.json")
j 0 "account show" account show "$BANK" --business northwind-retail
keys "account show" . '["accountType","changes","createdAt","customerExternalId","customerId","debitAuthorizations","displayName","history","id","kind","number","routingNumber","status","updatedAt"]'
j 0 "account suspend" account suspend "$BANK" --business northwind-retail \
    --reason 'closed by the bank'
keys "account suspend" . "$KEYS_ACCOUNT"
j 0 "account reactivate" account reactivate "$BANK" \
    --business northwind-retail --reason 'reopened'
keys "account reactivate" . "$KEYS_ACCOUNT"
j 0 "account authorize" account authorize "$BANK" \
    --business northwind-retail --kind PPD --reference 'form 1'
keys "account authorize" . '["accountId","authorizedAt","id","kind","reference","revokeReason","revokedAt","status"]'
same "authorization id" "$(jq -r '.id | length' "$OUT")" 36

KEYS_EWA='["amountToRecover","customerId","enrollmentBegin","enrollmentEnd","enrollmentStatus","externalId","financialAccountId","firstName","id","lastName","latestEligibilityStatus","middleName","payment","programId","programName"]'
j 0 "ewa enroll" ewa enroll R-1 --business northwind-retail \
    --program 'Retail EWA' --account "$CARD"
keys "ewa enroll" . "$KEYS_EWA"
j 0 "ewa eligibility" ewa eligibility R-1 --business northwind-retail \
    --status ELIGIBLE --reason 'passed checks'
keys "ewa eligibility" . "$KEYS_EWA"
j 0 "ewa enrollment" ewa enrollment R-1 --business northwind-retail \
    --status ACTIVE
keys "ewa enrollment" . "$KEYS_EWA"
j 0 "ewa show" ewa show NWL-10421 --business "$L"
keys "ewa show" . "$KEYS_EWA"
keys "ewa show eligibility" .latestEligibilityStatus '["createdAt","eligibilityUpdateReason","id","status"]'
keys "ewa show page" .payment '["content","hasNext","number","numberOfElements","totalElements","totalPages"]'
keys "ewa show payment" '.payment.content[0]' '["amount","createdAt","currency","latestStatus","transactionId","transactionType"]'
j 0 "ewa export" ewa export --business "$L"
keys "ewa export" . '["business","path","profiles"]'

KEYS_TX='["amount","attempts","businessId","createdAt","currency","customerId","ewaProfileId","fee","financialAccountId","history","id","purpose","rail","requestId","status","traceNumber","transactionType","updatedAt"]'
j 0 "tx create" tx create --business northwind-retail --customer R-1 \
    --account "$CARD" --amount 12.00 --request-id shapes-1
keys "tx create" . "$KEYS_TX"
TX=$(jq -r .id "$OUT")
same "tx id" "$(jq -r '.id | length' "$OUT")" 36
j 0 "tx event" tx event "$TX" SUBMIT --reason 'by hand'
keys "tx event" . "$KEYS_TX"
keys "tx history" '.history[1]' '["at","event","from","reason","returnCode","sourceFile","sourceLine","to"]'
j 0 "tx show" tx show "$TX"
keys "tx show" . "$KEYS_TX"

j 0 "ledger balance" ledger balance
keys "ledger balance" '.[0]' '["balance","balanced","credits","crossCurrencyEntries","currency","debits"]'

# intake: a good pstest file and one nothing reads (to failed/)
setup_in="$PAYSPOOL_SPOOL/inbound/northwind-retail"
printf 'PSTEST 1\nSEND|shapes-2|R-1|1.50|USD\nTOTAL|1|1.50|USD\n' >"$setup_in/pay.pst"
touch "$setup_in/pay.pst.done"
printf 'hello,world\n1,2\n' >"$setup_in/mystery.txt"
touch "$setup_in/mystery.txt.done"
j 65 "run" run --once
keys "run" . '["accepted","documents","duplicateInputs","duplicates","failedInputs","inputs","records","rejected","rejectedDocuments"]'

KEYS_FILE='["accepted","amountAccepted","archivedAs","businessId","completedAt","document","duplicates","format","id","member","name","optionsUsed","provider","reason","receivedAt","records","rejected","result","sha256","size","status"]'
j 0 "files list" files list --business northwind-retail
keys "files list" '.[0]' "$KEYS_FILE"
FID=$(jq -r '.[] | select(.name == "mystery.txt") | .id' "$OUT")
j 0 "files show" files show "$(jq -r '.[] | select(.name == "pay.pst") | .id' "$OUT")"
keys "files show" . "$(echo "$KEYS_FILE" | jq -c '. + ["problems", "retries", "retryOf"] | sort')"
j 0 "files retry" files retry "$FID" --reason 'to see its shape'
keys "files retry" . '["at","by","fileId","from","id","reason","to"]'

j 0 "archive list" archive list
keys "archive list" '.[0]' '["bytes","path"]'
j 0 "ledger verify" ledger verify
keys "ledger verify" . '["agrees","checked","differences","findings","trialBalance"]'
keys "ledger verify trial" '.trialBalance[0]' '["agrees","business","check","currency","figure","left","leftAmount","right","rightAmount","subject"]'

j 0 "archive prune" archive prune --older-than 36500 --dry-run
keys "archive prune" . '["bytes","dryRun","files","kept","olderThanDays","pruned"]'

# LinX: a request file through intake, then the commands on it
cat >"$PAYSPOOL_SPOOL/inbound/$L/req.csv" <<'CSV'
linx_request_id,external_id,mobile,template,activities,expires_on,transaction_type,amount,currency,document_id,document_version
L1,,+14155550101,onboarding,,,,,,terms,3
L2,,+14155550102,onboarding,,,,,,terms,3
CSV
touch "$PAYSPOOL_SPOOL/inbound/$L/req.csv.done"
expect 65 "$P" run --once # mystery.txt, retried, is refused again
KEYS_LINX='["activities","createdAt","customerExternalId","customerId","declineReason","expiresAt","failure","id","mobile","ref","remindersSent","status","template","tokenHash","updatedAt"]'
j 0 "linx list" linx list --business "$L"
keys "linx list" '.[0]' "$KEYS_LINX"
j 0 "linx show" linx show L1 --business "$L"
keys "linx show" . "$(echo "$KEYS_LINX" | jq -c '. + ["history"] | sort')"
keys "linx activity" '.activities[] | select(.kind == "ACCEPT_DOCUMENT")' '["documentId","kind","version"]'
keys "linx history" '.history[0]' '["at","event","from","reason","to"]'
j 0 "linx extend" linx extend L1 --business "$L" --until 2999-12-31
keys "linx extend" . "$(echo "$KEYS_LINX" | jq -c '. + ["history"] | sort')"
j 0 "linx resend" linx resend L1 --business "$L"
keys "linx resend" . "$(echo "$KEYS_LINX" | jq -c '. + ["history"] | sort')"
j 0 "linx cancel" linx cancel L2 --business "$L" --reason 'sent twice'
keys "linx cancel" . "$(echo "$KEYS_LINX" | jq -c '. + ["history"] | sort')"
printf '{"token":"no-such-token","activities":[]}\n' >"$T/answers.jsonl"
j 0 "linx answers" linx answers "$T/answers.jsonl" --business "$L"
keys "linx answers" . '["code","line","message","outcome","ref","status"]'

j 0 "events list" events list --business "$L"
keys "events list" '.[0]' '["attempts","createdAt","delivery","entityId","entityType","id","lastError","payload","type"]'
j 0 "events replay" events replay --business "$L" --dead
keys "events replay" . '["business","dead","id","queued"]'

KEYS_RUN='["amount","attempt","businessDate","error","finishedAt","id","job","records","rerunReason","startedAt","status","step"]'
KEYS_JOB='["after","calendar","catchUp","catchUpDays","description","file","name","nextRun","schedule","steps"]'
j 0 "job list" job list
keys "job list" '.[0]' "$KEYS_JOB"
j 0 "job run" job run nightly --date 2026-11-20
keys "job run" . "$KEYS_RUN"
j 0 "job status" job status
keys "job status" '.[0]' "$KEYS_RUN"
j 0 "status" status
keys "status" . '["failures","healthy","jobs","spool"]'
keys "status spool" .spool '["failedInputs","inProgress","inbound","providerInbound"]'
keys "status job" '.jobs[0]' "$(echo "$KEYS_JOB" | jq -c '. + ["lastRun", "lastSuccess", "overdue"] | sort')"
j 0 "health" health
keys "health" . '["failures","healthy","overdue","reasons"]'
same "healthy" "$(jq -c '[.healthy, .reasons]' "$OUT")" '[true,[]]'

j 0 "payouts run" payouts run --business "$L" --date 2026-11-20
keys "payouts run" '.[0]' '["amount","business","currency","files","path","records","regenerated"]'
j 0 "provider list" provider list
keys "provider list" '.[0]' '["business","businessKnown","folder","provider"]'
j 0 "sandbox provider" sandbox provider --business "$L" --date 2026-11-20
keys "sandbox provider" '.[0]' '["ach","business","declined","errors","files","settled"]'
keys "sandbox provider ach" '.[0].ach' '["files","nocs","returned","settled"]'
j 0 "ach cutoff" ach cutoff --business "$L" --date 2026-11-20
keys "ach cutoff" '.[0]' '["batches","business","creditTotal","credits","debitTotal","debits","entries","fileIdModifier","path","regenerated"]'

KEYS_DOC='["amount","currency","document","format","key","optionsUsed","problems","problemsTotal","records","valid","warningsTotal"]'
j 65 "check" check "$NIGHTLY_DIR/$L/disbursements-2026-11-20.csv" --business "$L"
keys "check" . '["documents","file","valid"]'
keys "check document" '.documents[0]' "$(echo "$KEYS_DOC" | jq -c '. + ["businessChecked"] | sort')"
keys "check problem" '.documents[0].problems[0]' '["field","line","message","offset","recordType","returnCode","rule","severity"]'
printf 'hello,world\n1,2\n' >"$T/mystery.csv"
j 65 "check" check "$T/mystery.csv"
keys "check unrecognized" '.documents[0]' "$KEYS_DOC"
j 0 "recon" recon --business "$L" --date 2026-11-20
keys "recon" . '["business","businessDate","counts","csv","html","outputId","rows","seq","sha256","summary","trialBalance","trialBalanced"]'
keys "recon counts" .counts '["achNocs","achReturnRatesOver","achReturns","awaiting","files","filesMismatched","late","receivableDifferences","receivableProfiles","statusMovements","transactions","unknownReferences"]'
keys "recon trial" '.trialBalance[0]' '["balance","credits","crossCurrencyEntries","currency","debits"]'
j 0 "codes" codes
keys "codes" '.[0]' '["code","meaning","scope"]'
j 0 "calendar is-banking-day" calendar is-banking-day 2026-11-20
keys "calendar is-banking-day" . '["bankingDay","closedBecause","date"]'
j 0 "calendar next" calendar next 2026-11-25 --count 2
keys "calendar next" '.[0]' '["bankingDay","closedBecause","date"]'
j 0 "calendar holidays" calendar holidays 2026
keys "calendar holidays" '.[0]' '["date","holiday"]'

n=$((n + 1))
OUT="$J/$n.json"
echo version >"$J/$n.name"
"$P" --version --json >"$OUT" && ok || bad "--version --json"
keys "version" . '["schemaVersion","version"]'
same "version's schema" "$(jq .schemaVersion "$OUT")" \
    "$(jq .schemaVersion "$J/1.json")"

# ---- no snake_case key anywhere, at any depth -------------------------------
for f in "$J"/*.json; do
    s=$(jq -r '[.. | objects | keys[] | select(test("_"))] | unique |
        join(" ")' "$f" | sort -u | tr '\n' ' ' | sed 's/ *$//')
    if [ -z "$s" ]; then ok; else
        bad "$(cat "${f%.json}.name" 2>/dev/null || basename "$f"): snake_case keys: $s"
    fi
done

# ---- every command of the table was run here --------------------------------
"$P" help | awk 'NR > 2 && /^$/ { exit } NR > 2 && /^  [a-z]/ {
    print substr($0, 3, 24) }' | sed 's/ *$//' | sort -u >"$T/commands"
[ "$(wc -l <"$T/commands")" -gt 40 ] && ok || bad "help lists too few commands"
echo "archive show" >>"$T/covered" # prints the input's own bytes, not JSON
sort -u "$T/covered" >"$T/covered.sorted"
missing=$(comm -23 "$T/commands" "$T/covered.sorted" | tr '\n' ',')
same "commands without a JSON shape test" "$missing" ""

# ---- the error object --------------------------------------------------------
KEYS_ERROR='["code","field","file","line","message"]'
# e WANT CODE ARGS...: an error under --json: exit WANT, nothing on
# stdout, one error object with that code on stderr.
e() {
    want=$1
    code=$2
    shift 2
    expect "$want" "$P" "$@"
    same "$* stdout" "$(wc -c <"$T/out")" 0
    same "$* lines" "$(wc -l <"$T/err")" 1
    same "$* shape" "$(jq -c '[keys, (.error | keys)]' "$T/err")" \
        "[[\"error\"],$KEYS_ERROR]"
    same "$* code" "$(jq -r .error.code "$T/err")" "$code"
}
e 64 USAGE --json check --frmat csv "$T/terms.txt"
has "did you mean '--format'" "$T/err"
e 64 USAGE tx evnt --json
e 64 USAGE --json files
e 64 USAGE --json tx show
e 66 NOT_INITIALISED --json business list --spool "$T/nowhere"
printf 'not a database, plainly\n%.0s' 1 2 3 4 5 6 7 8 >"$T/junk.db"
e 70 STORE_ERROR --json business list --db "$T/junk.db"
e 65 ILLEGAL_TRANSITION --json tx event "$TX" SETTLE
e 66 CUSTOMER_NOT_FOUND --json customer show NOPE --business "$L"
e 65 MONEY_FORMAT --json program add --business "$L" --name x --min abc \
    --max 1 --period-cap 1 --max-outstanding 1
same "field" "$(jq -r .error.field "$T/err")" min
mkdir -p "$T/badjobs"
printf '[job]\nname = x\nfrequency = daily\n' >"$T/badjobs/x.job"
e 78 JOB_UNKNOWN_KEY --json job list --jobs "$T/badjobs"
same "file and line" "$(jq -r '.error | "\(.file|tostring) \(.line)"' "$T/err")" \
    "$T/badjobs/x.job 3"
flock "$PAYSPOOL_SPOOL/.payspool.lock" sleep 30 &
holder=$!
sleep 1
e 75 ENGINE_RUNNING --json payouts run --business "$L"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
# health says why, on stdout, when it cannot even open the database
expect 69 "$P" --json health --spool "$T/nowhere"
same "unhealthy" "$(jq -c '[.healthy, (.reasons | length)]' "$T/out")" '[false,1]'
# without --json: the human line
expect 64 "$P" check --frmat csv "$T/terms.txt"
has "^payspool: unknown option --frmat" "$T/err"
expect 65 "$P" tx event "$TX" SETTLE
if grep -q '^{' "$T/err"; then bad "a JSON error without --json"; else ok; fi

finish

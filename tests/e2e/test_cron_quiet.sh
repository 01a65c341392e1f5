#!/bin/sh
# test_cron_quiet.sh -- issue 23: `run --once` under cron prints one
# summary line and nothing on stderr for a clean input (per-record lines
# are debug level), even for a provider's answers file of 2,000 records
# taken in the same pass as a nightly job's payouts, reconciliation and
# export; what needs a person (a rejected file, a failed job) comes on
# stderr after the summary, naming the file or the job and the code, and
# nothing else does.  A command that needs the engine lock while the
# daemon runs names the holder: pid, since when, and its command line.
# (stdout and stderr here are files, as under cron: never a terminal.)
. "$(dirname "$0")/lib.sh"
setup_business acme 5
# a sandbox spool: `sandbox provider` answers the payout files
printf 'sandbox = yes\n' >>"$PAYSPOOL_SPOOL.conf"
IN="$PAYSPOOL_SPOOL/inbound/acme"

# lines FILE: its number of lines (a last line without \n counts).
lines() { awk 'END { print NR }' "$1"; }

pstest_file "$IN/pay.txt" 1 10 5
touch "$IN/pay.txt.done"
expect 0 "$P" run --once
same "one line on stdout" "$(wc -l <"$T/out")" 1
has "records 10: 10 accepted" "$T/out"
same "nothing on stderr" "$(wc -c <"$T/err")" 0

# A file whose trailer is wrong is rejected whole: stderr says why in one
# line, naming the file and the rule (its move to failed/ is info).
pstest_file "$IN/bad.txt" 100 3 5
sed -i 's/^TOTAL|3|/TOTAL|4|/' "$IN/bad.txt"
touch "$IN/bad.txt.done"
expect 65 "$P" run --once
same "still one line on stdout" "$(wc -l <"$T/out")" 1
has "(1 rejected whole)" "$T/out"
has '"event":"document.rejected".*"rule":"CONTROL_COUNT_MISMATCH","file":"bad.txt"' \
    "$T/err"
same "rejected file: one line on stderr" "$(lines "$T/err")" 1
[ -f "$PAYSPOOL_SPOOL/failed/acme/bad.txt" ] && ok || bad "bad.txt not in failed/"
# A second copy of a file already taken: one line too (file.duplicate).
pstest_file "$IN/pay-again.txt" 1 10 5
touch "$IN/pay-again.txt.done"
expect 65 "$P" run --once
has '"event":"file.duplicate".*"rule":"DUPLICATE_FILE","file":"pay-again.txt"' \
    "$T/err"
same "duplicate input: one line on stderr" "$(lines "$T/err")" 1
same "no progress on a non-terminal" "$(grep -c 'records (\|progress' \
    "$T/out" "$T/err" | awk -F: '{ n += $2 } END { print n }')" 0

# Cron's night: a pay file of 2,000 records, a nightly job (payouts,
# reconciliation, export) in the spool's jobs/, the sandbox processor's
# answers to the payout file (2,000 status lines) and the next night's
# pass taking them in with the job: one line each time, nothing else.
cat >"$PAYSPOOL_SPOOL/jobs/nightly.job" <<'JOB'
[job]
name = nightly
schedule = 0 18 * * *
calendar = all-days
steps = intake, payouts, reconcile, export
catch_up = run
JOB
pstest_file "$IN/night.txt" 1000 2000 5
touch "$IN/night.txt.done"
PAYSPOOL_NOW=2026-11-20T12:00:00Z expect 0 "$P" run --once --jobs-due
same "intake: one line" "$(lines "$T/out")" 1
has "records 2000: 2000 accepted" "$T/out"
same "intake: nothing on stderr" "$(wc -c <"$T/err")" 0
PAYSPOOL_NOW=2026-11-20T18:00:30Z expect 0 "$P" run --once --jobs-due
same "nightly job: one line" "$(lines "$T/out")" 1
same "nightly job: nothing on stderr" "$(wc -c <"$T/err")" 0
same "the job ran" "$(sql "SELECT status FROM job_runs WHERE job = 'nightly'
    AND business_date = '2026-11-20'")" COMPLETED
PAYSPOOL_NOW=2026-11-20T23:00:00Z expect 0 "$P" sandbox provider \
    --business acme --date 2026-11-20
ANS=$(ls "$PAYSPOOL_SPOOL"/providers/sandbox/inbound/acme/*.status.csv)
same "an answers file of 2,000 records" "$(($(lines "$ANS") - 1))" 2010
settled=$(grep -c ',SETTLED,' "$ANS") # the pass takes the file away
PAYSPOOL_NOW=2026-11-21T18:00:30Z expect 0 "$P" run --once --jobs-due
same "answers and the job: one line" "$(lines "$T/out")" 1
has "records 2010: 2010 accepted" "$T/out"
same "answers and the job: nothing on stderr" "$(wc -c <"$T/err")" 0
same "the answers were applied" "$(sql "SELECT count(*) FROM transactions
    WHERE status = 'SETTLED'")" "$settled"
[ "$settled" -gt 1900 ] && ok || bad "only $settled settled"
same "the second night's job ran" "$(sql "SELECT status FROM job_runs
    WHERE job = 'nightly' AND business_date = '2026-11-21'")" COMPLETED
rm "$PAYSPOOL_SPOOL/jobs/nightly.job"

# A due job that fails: the summary, then the job's failure (job, step,
# code), what to do and the error; nothing else (three lines).
cat >"$PAYSPOOL_SPOOL/jobs/noon.job" <<'JOB'
[job]
name = noon
schedule = 0 12 * * *
calendar = all-days
steps = export
catch_up = run
JOB
PAYSPOOL_NOW=2026-11-22T11:00:00Z expect 0 "$P" run --once --jobs-due
same "a new job: one line" "$(lines "$T/out")" 1
same "a new job: nothing on stderr" "$(wc -c <"$T/err")" 0
mv "$PAYSPOOL_SPOOL/outbound/acme/exports" "$T/exports.saved"
: >"$PAYSPOOL_SPOOL/outbound/acme/exports"
PAYSPOOL_NOW=2026-11-22T13:00:00Z expect 78 "$P" run --once --jobs-due
same "failed job: one line on stdout" "$(lines "$T/out")" 1
has '"event":"job.failed".*"rule":"OUTPUT_DIR".*"job":"noon".*"step":"export"' \
    "$T/err"
has "^payspool: a due job failed" "$T/err"
has "^payspool: output folder .* is not a folder \[OUTPUT_DIR\]" "$T/err"
same "failed job: three lines on stderr" "$(lines "$T/err")" 3
rm "$PAYSPOOL_SPOOL/outbound/acme/exports" "$PAYSPOOL_SPOOL/jobs/noon.job"
mv "$T/exports.saved" "$PAYSPOOL_SPOOL/outbound/acme/exports"

# A log file keeps the info lines of files and runs, not every record.
expect 0 "$P" run --once --log "$T/run.log"
has "engine.started" "$T/run.log"
if grep -q '"txn.status"' "$T/run.log"; then bad "txn.status at info"; else ok; fi

# The daemon holds the lock: the refusal names it.
"$P" run >/dev/null 2>"$T/daemon.err" &
dpid=$!
i=0
while [ "$i" -lt 50 ] && ! grep -q engine.started "$T/daemon.err"; do
    sleep 0.1
    i=$((i + 1))
done
for cmd in "payouts run" "ach cutoff" "job run nightly"; do
    # shellcheck disable=SC2086
    expect 75 "$P" $cmd
    has "pid $dpid, since 20[0-9-]*T[0-9:]*Z, command '.*payspool run'" "$T/err"
done
kill -TERM "$dpid"
wait "$dpid"
same "daemon stops cleanly" "$?" 0
ledger_verify_ok
finish

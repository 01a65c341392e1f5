#!/bin/sh
# test_jobs_explicit.sh -- issue 18, defect 8: jobs are explicit.  A
# spool's jobs live in <spool>/jobs/ (or --jobs DIR, PAYSPOOL_JOBS), never
# in the source tree; `run --once` takes inputs only and fires the due
# jobs only with --jobs-due; a jobs folder that was asked for and is
# missing is an error (66); a failed job makes `run --once --jobs-due`
# and `job run` exit non-zero.
. "$(dirname "$0")/lib.sh"
unset PAYSPOOL_JOBS
setup_business acme 1

# A fresh spool has no jobs: the source tree's jobs/ is not read.
expect 0 "$P" --json job list
same "no jobs by default" "$(jq length "$T/out")" 0
[ -d "$PAYSPOOL_SPOOL/jobs" ] && ok || bad "init made no $PAYSPOOL_SPOOL/jobs"

# A jobs folder asked for and missing is an error, by option or variable.
expect 66 "$P" run --once --jobs "$T/nonexistent"
has "JOBS_DIR_NOT_FOUND" "$T/err"
PAYSPOOL_JOBS="$T/nonexistent" expect 66 "$P" job list
has "JOBS_DIR_NOT_FOUND" "$T/err"

# A job that fails: its export step cannot write (exports/ is a file).
cat >"$PAYSPOOL_SPOOL/jobs/noon.job" <<'JOB'
[job]
name = noon
schedule = 0 12 * * *
calendar = all-days
steps = export
catch_up = run
JOB
rm -rf "$PAYSPOOL_SPOOL/outbound/acme/exports"
: >"$PAYSPOOL_SPOOL/outbound/acme/exports"
expect 0 "$P" --json job list
same "the spool's own jobs" "$(jq -r '.[0].name' "$T/out")" noon
# The first pass with jobs sees them new (starts from now).
PAYSPOOL_NOW=2026-11-23T11:00:00Z expect 0 "$P" run --once --jobs-due
# run --once alone does not fire them, even when due.
PAYSPOOL_NOW=2026-11-23T13:00:00Z expect 0 "$P" run --once
same "run --once fires no job" "$(sql "SELECT count(*) FROM job_runs")" 0
# With --jobs-due the due job runs, fails, and the exit status is the failure's own (78: the output folder).
PAYSPOOL_NOW=2026-11-23T13:00:00Z expect 78 "$P" run --once --jobs-due
same "the job ran and failed" "$(sql "SELECT status FROM job_runs")" FAILED
has "a due job failed" "$T/err"
# job run exits non-zero on the same failure.
PAYSPOOL_NOW=2026-11-23T13:00:00Z expect 78 "$P" job run noon --date 2026-11-23
ledger_verify_ok
finish

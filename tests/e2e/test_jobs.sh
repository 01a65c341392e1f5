#!/bin/sh
# test_jobs.sh -- jobs and the scheduler from the binary: job files and
# their errors, a run per (job, business date), the order of the input
# steps, rerun refusal, dependencies, a crash in a step resumed, catch-up
# after downtime (run, skip), banking days, status, health and metrics.
#
# The nightly fixtures of fixtures/ewa-nightly/ are dropped all at once;
# the job's steps must still apply rosters before disbursement requests
# before payroll results, so the result files equal the expected ones of
# the stage-by-stage test.
. "$(dirname "$0")/lib.sh"
: "${PS_FIXTURES:=$(cd "$(dirname "$0")/../../fixtures" && pwd)}"
NIGHTLY_DIR="$PS_FIXTURES/ewa-nightly"
. "$NIGHTLY_DIR/setup.sh"
export PAYSPOOL_LOG="$T/payspool.log"
export PAYSPOOL_JOBS="$T/jobs"
mkdir -p "$PAYSPOOL_JOBS"
nightly_setup || exit 1

cat >"$PAYSPOOL_JOBS/nightly.job" <<'JOB'
; the nightly EWA cycle, without the provider
[job]
name = nightly
description = intake, disbursements, payroll recovery, export
schedule = CRON_TZ=America/New_York 30 18 * * *
calendar = banking-days
steps = intake, disburse, recover, export
catch_up = run
catch_up_days = 3
JOB
cat >"$PAYSPOOL_JOBS/late-export.job" <<'JOB'
[job]
name = late-export
schedule = CRON_TZ=America/New_York 45 18 * * *
steps = export
after = nightly
catch_up = skip
JOB

# ---- job files -------------------------------------------------------
expect 0 "$P" job list
has "nightly" "$T/out"
has "late-export" "$T/out"
expect 0 "$P" --json job list
same "two jobs" "$(jq length "$T/out")" 2
same "catch-up policy" "$(jq -r '.[1].catchUp' "$T/out")" run

mkdir -p "$T/badjobs"
printf '[job]\nname = bad\nschedule = 61 * * * *\nsteps = intake\n' \
    >"$T/badjobs/bad.job"
expect 78 "$P" job list --jobs "$T/badjobs"
has "bad.job:3" "$T/err"
has "CRON_RANGE" "$T/err"
printf '[job]\nname = bad\nschedule = 0 1 * * *\nsteps = intake, pay\n' \
    >"$T/badjobs/bad.job"
expect 78 "$P" job list --jobs "$T/badjobs"
has "JOB_UNKNOWN_STEP" "$T/err"
has "bad.job:4" "$T/err"
printf '[job]\nname = bad\nschedule = 0 1 * * *\nsteps = intake\nafter = bad\n' \
    >"$T/badjobs/bad.job"
expect 78 "$P" job list --jobs "$T/badjobs"
has "JOB_AFTER_CYCLE" "$T/err"
printf '[job]\nname = bad\nschedul = 0 1 * * *\n' >"$T/badjobs/bad.job"
expect 78 "$P" job list --jobs "$T/badjobs"
has "JOB_UNKNOWN_KEY" "$T/err"

# ---- one run: every stage's file dropped at once ------------------------
for stage in roster status disbursements payroll; do
    for b in $NIGHTLY_BUSINESSES; do
        f=$(nightly_file "$b" "$stage")
        [ -n "$f" ] && nightly_drop "$b" "$f"
    done
done
nightly_clock disbursements
expect 65 "$P" job run late-export --date 2026-11-20
has "DEPENDENCY_NOT_MET" "$T/err"
expect 65 "$P" job run nightly --date 2026-11-21
has "NOT_A_BANKING_DAY" "$T/err"
has "Saturday" "$T/err"
expect 0 "$P" job run nightly --date 2026-11-20
has "COMPLETED" "$T/out"
for b in $NIGHTLY_BUSINESSES; do
    for stage in roster status disbursements payroll; do
        f=$(nightly_file "$b" "$stage")
        [ -z "$f" ] && continue
        name=$(basename "$f")
        got=$(nightly_result "$b" "$name")
        exp="$NIGHTLY_DIR/expected/$b/$name.result.csv"
        [ -f "$exp" ] || exp=""
        if [ -z "$got" ] || [ -z "$exp" ]; then
            bad "no result for $b/$name"
            continue
        fi
        # Only the outcomes are compared: the order of steps decides them.
        if [ "$(nightly_outcomes "$got")" = "$(nightly_outcomes "$exp")" ]; then
            ok
        else
            bad "$b/$name: outcomes differ from the stage-by-stage run"
            nightly_outcomes "$got" >&2
        fi
    done
done
ls "$PAYSPOOL_SPOOL"/outbound/$NIGHTLY_PARENT/exports/*.jsonl >/dev/null 2>&1 &&
    ok || bad "no export"

# ---- a completed run is not repeated ----------------------------------
expect 65 "$P" job run nightly --date 2026-11-20
has "RUN_COMPLETED" "$T/err"
expect 65 "$P" job run nightly --date 2026-11-20 --rerun
has "RERUN_NEEDS_REASON" "$T/err"
expect 0 "$P" --json job run nightly --date 2026-11-20 --rerun \
    --reason "partner asked for the export again"
same "rerun attempt" "$(jq .attempt "$T/out")" 2
same "rerun reason" "$(jq -r .rerunReason "$T/out")" \
    "partner asked for the export again"
expect 0 "$P" job run late-export --date 2026-11-20

# ---- a crash inside a step: FAILED at start-up, resumed from the step ---
pstest_file "$T/crash.txt" 1 3 1
nightly_drop "$NIGHTLY_PARENT" "$T/crash.txt" crash.txt
PAYSPOOL_CRASH_AT=claimed "$P" job run nightly --date 2026-11-19 \
    >/dev/null 2>&1
same "killed" "$?" 137
same "left running" "$(sql "SELECT status || ' ' || step FROM job_runs
    WHERE job = 'nightly' AND business_date = '2026-11-19'")" "RUNNING intake"
expect 0 "$P" --json job run nightly --date 2026-11-19
same "resumed attempt" "$(jq .attempt "$T/out")" 2
same "resumed completed" "$(jq -r .status "$T/out")" COMPLETED
same "crashed run failed" "$(sql "SELECT status FROM job_runs
    WHERE job = 'nightly' AND business_date = '2026-11-19' AND attempt = 1")" \
    FAILED
case $(sql "SELECT error FROM job_runs WHERE job = 'nightly'
    AND business_date = '2026-11-19' AND attempt = 1") in
*interrupted*intake*) ok ;;
*) bad "the crashed run does not say where it was interrupted" ;;
esac
expect 0 "$P" job status nightly
has "FAILED" "$T/out"

# ---- the daemon: catch-up after downtime --------------------------------
# First pass: the jobs are new and start from now (no back-fill).
PAYSPOOL_NOW=2026-11-23T12:00:00Z expect 0 "$P" run --once --jobs-due
same "no back-fill" "$(sql "SELECT count(*) FROM job_runs
    WHERE business_date >= '2026-11-21'")" 0
# Down until Thanksgiving morning: Mon 23, Tue 24 and Wed 25 were missed.
PAYSPOOL_NOW=2026-11-26T12:00:00Z expect 0 "$P" run --once --jobs-due
same "caught up" "$(sql "SELECT group_concat(business_date || ':' || status, ' ')
    FROM (SELECT * FROM job_runs WHERE job = 'nightly'
          AND business_date >= '2026-11-21' ORDER BY business_date)")" \
    "2026-11-23:COMPLETED 2026-11-24:COMPLETED 2026-11-25:COMPLETED"
same "skip policy" "$(sql "SELECT group_concat(status, ' ') FROM
    (SELECT * FROM job_runs WHERE job = 'late-export'
     AND business_date >= '2026-11-21' ORDER BY business_date)")" \
    "SKIPPED SKIPPED SKIPPED"
has "job.missed" "$PAYSPOOL_LOG"
# Thanksgiving evening is not a banking day: nothing runs.
PAYSPOOL_NOW=2026-11-27T01:00:00Z expect 0 "$P" run --once --jobs-due
same "holiday" "$(sql "SELECT count(*) FROM job_runs
    WHERE business_date = '2026-11-26'")" 0

# ---- status, health, metrics -------------------------------------------
PAYSPOOL_NOW=2026-11-27T01:00:00Z expect 0 "$P" --json status
same "status jobs" "$(jq '.jobs | length' "$T/out")" 2
same "unhealthy (skipped)" "$(jq .healthy "$T/out")" false
same "next run" "$(jq -r '.jobs[] | select(.name == "nightly") | .nextRun' \
    "$T/out")" "2026-11-27T18:30:00-05:00"
PAYSPOOL_NOW=2026-11-27T01:00:00Z expect 69 "$P" health
M="$PAYSPOOL_SPOOL/metrics/payspool.prom"
has 'payspool_job_last_success_timestamp_seconds{job="nightly"}' "$M"
has 'payspool_job_runs_total{job="late-export",status="SKIPPED"} 3' "$M"
has 'payspool_job_last_run_ok{job="nightly"} 1' "$M"
ledger_verify_ok
finish

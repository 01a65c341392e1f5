#!/bin/sh
# test_cron_quiet.sh -- issue 23: `run --once` under cron prints one
# summary line and nothing on stderr for a clean input (per-record lines
# are debug level); a rejected file says why on stderr.  A command that
# needs the engine lock while the daemon runs names the holder: pid, since
# when, and its command line.
. "$(dirname "$0")/lib.sh"
setup_business acme 5
IN="$PAYSPOOL_SPOOL/inbound/acme"

pstest_file "$IN/pay.txt" 1 10 5
touch "$IN/pay.txt.done"
expect 0 "$P" run --once
same "one line on stdout" "$(wc -l <"$T/out")" 1
has "records 10: 10 accepted" "$T/out"
same "nothing on stderr" "$(wc -c <"$T/err")" 0

# A file whose trailer is wrong is rejected whole: stderr says why.
pstest_file "$IN/bad.txt" 100 3 5
sed -i 's/^TOTAL|3|/TOTAL|4|/' "$IN/bad.txt"
touch "$IN/bad.txt.done"
expect 65 "$P" run --once
same "still one line on stdout" "$(wc -l <"$T/out")" 1
has "document.rejected" "$T/err"

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

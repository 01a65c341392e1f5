#!/bin/sh
# test_progress.sh -- issue 23: long work shows a progress line on a
# terminal and nowhere else.  Under util-linux `script` (a pty for stderr)
# the intake of a 5,000-record file and the payout file of its 5,000
# transactions draw "N of 5,000 records (P%), R/s, ETA m:ss", in place
# (\r, erase to the end of the line) and cleared before the summary; the
# same commands with stderr a file or a pipe (cron, systemd, a script)
# print no progress at all.  The time-based log events are tested in
# tests/unit/test_progress.c with the frozen clock.
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null 2>&1 || {
    echo "util-linux script is missing" >&2
    exit 1
}
setup_business acme 5
IN="$PAYSPOOL_SPOOL/inbound/acme"
export TERM=xterm # not "dumb": a terminal that erases lines

# on_tty FILE CMD: run CMD with a pty for its stdin, stdout and stderr
# (script's typescript goes nowhere, the terminal's bytes to FILE).
on_tty() {
    out=$1
    shift
    script -qec "$*" /dev/null </dev/null >"$out" 2>&1
}

pstest_file "$IN/pay.txt" 1 5000 5
touch "$IN/pay.txt.done"
on_tty "$T/tty" "$P" run --once
same "intake on a terminal: exit 0" "$?" 0
tr '\r' '\n' <"$T/tty" >"$T/tty.lines"
# (the rate is "-" when the first draw comes before a millisecond has
# passed, and 5,000 payments can take less than the 250 ms to the next
# draw; the rate's own format is unit/test_progress's)
has "^intake acme/pay.txt: [0-9,]* of 5,000 records ([0-9]*%), \([0-9,]*\|-\)/s, ETA [0-9]*:[0-9][0-9]" \
    "$T/tty.lines"
has "records 5000: 5000 accepted" "$T/tty"
# redrawn in place: every progress line starts after a \r, never after a
# newline, and the last one is erased before the summary is printed
same "no progress line after a newline" \
    "$(grep -c '^intake acme' "$T/tty")" 0
if grep -q "$(printf '\r\033\\[Kinputs 1')" "$T/tty"; then ok; else
    bad "the progress line is not cleared before the summary"
fi

# The payout file of those 5,000 transactions, on a terminal.
on_tty "$T/tty2" "$P" payouts run --business acme
same "payouts on a terminal: exit 0" "$?" 0
tr '\r' '\n' <"$T/tty2" >"$T/tty2.lines"
has "^payouts p2c-acme-[0-9]*-001.csv: [0-9,]* of 5,000 records" \
    "$T/tty2.lines"
has "/s, ETA " "$T/tty2.lines"

# Without a terminal: the same work, no progress on stdout or stderr.
pstest_file "$IN/pay2.txt" 10001 5000 5
touch "$IN/pay2.txt.done"
expect 0 "$P" run --once
same "no terminal: one line on stdout" "$(wc -l <"$T/out")" 1
same "no terminal: nothing on stderr" "$(wc -c <"$T/err")" 0
if grep -q 'records (\|[0-9]/s\b\|'"$(printf '\r')" "$T/out" "$T/err"; then
    bad "progress without a terminal"
else
    ok
fi
expect 0 "$P" payouts run --business acme
if grep -q 'records (\|[0-9]/s\b\|'"$(printf '\r')" "$T/out" "$T/err"; then
    bad "payout progress without a terminal"
else
    ok
fi
# a pipe is not a terminal either
"$P" ewa export --business acme 2>&1 | cat >"$T/pipe"
if grep -q "$(printf '\r')" "$T/pipe"; then bad "progress into a pipe"; else
    ok
fi

# [log] progress_seconds: the log's interval, 1 to 3600 seconds; a bad
# value names the file, the line and the key.
cp "$PAYSPOOL_SPOOL.conf" "$T/conf.saved"
printf '[log]\nprogress_seconds = 0\n' >>"$PAYSPOOL_SPOOL.conf"
expect 78 "$P" run --once
has "CONFIG_VALUE" "$T/err"
has "progress_seconds" "$T/err"
has "spool.conf:$(wc -l <"$PAYSPOOL_SPOOL.conf"): field progress_seconds" \
    "$T/err"
cp "$T/conf.saved" "$PAYSPOOL_SPOOL.conf"
printf '[log]\nprogress_seconds = 1\n' >>"$PAYSPOOL_SPOOL.conf"
expect 0 "$P" run --once
finish

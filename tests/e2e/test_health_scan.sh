#!/bin/sh
# test_health_scan.sh -- `payspool health` and [health] max_scan_age on
# the engine's clock (PAYSPOOL_NOW): unhealthy before any scan, healthy
# up to the limit after one, unhealthy past it saying the last scan
# time, its age and the limit; not checked without the key; the daemon
# records its scans (metrics/scan.json) as `run --once` does.
. "$(dirname "$0")/lib.sh"
setup_business acme 1
CONF="$PAYSPOOL_SPOOL.conf"
cp "$CONF" "$T/base.conf"
printf '[health]\nmax_scan_age = 300\n' >>"$CONF"
HB="$PAYSPOOL_SPOOL/metrics/scan.json"

export PAYSPOOL_NOW=2026-11-20T10:00:00Z
expect 69 "$P" health
has "NO_SCAN" "$T/err"
has "limit 300 s" "$T/err"

expect 0 "$P" run --once
[ -f "$HB" ] && ok || bad "no $HB after run --once"
# (the frozen clock moves a millisecond per reading)
case $(jq -r .lastScan "$HB") in
2026-11-20T10:00:00.0*) ok ;;
*) bad "heartbeat time: $(cat "$HB")" ;;
esac

PAYSPOOL_NOW=2026-11-20T10:04:00Z expect 0 "$P" health
[ -s "$T/err" ] && bad "healthy health said: $(cat "$T/err")" || ok
PAYSPOOL_NOW=2026-11-20T10:05:00Z expect 0 "$P" health # at the limit
PAYSPOOL_NOW=2026-11-20T10:06:00Z expect 69 "$P" health
has "SCAN_TOO_OLD" "$T/err"
has "last scanned at 2026-11-20T10:00:00\.0" "$T/err"
grep -Eq "(359|360) s ago" "$T/err" && ok || bad "no age in $(cat "$T/err")"
has "limit of 300 s" "$T/err"
# --json too: the verdict on stdout says why, nothing on stderr
PAYSPOOL_NOW=2026-11-20T10:06:00Z expect 69 "$P" --json health
same "json verdict" "$(jq -c '.healthy' "$T/out")" false
same "json reason" "$(jq -r '.reasons[] | select(test("SCAN_TOO_OLD")) | test("limit of 300 s")' "$T/out")" true
[ -s "$T/err" ] && bad "--json health wrote on stderr: $(cat "$T/err")" || ok

# Without the key nothing is checked.
cp "$T/base.conf" "$CONF"
PAYSPOOL_NOW=2026-11-21T10:00:00Z expect 0 "$P" health
printf '[health]\nmax_scan_age = 300\n' >>"$CONF"

# A bad value is a configuration error naming the key.
printf '[health]\nmax_scan_age = -1\n' >"$T/bad.conf"
expect 69 "$P" health --config "$T/bad.conf"

# The daemon marks its scans: started on a later clock, its heartbeat
# makes the spool healthy again on that clock.
export PAYSPOOL_NOW=2026-11-22T08:00:00Z
expect 69 "$P" health
"$P" run >"$T/daemon.out" 2>&1 &
daemon=$!
i=0
while [ "$i" -lt 100 ] &&
    ! jq -r .lastScan "$HB" 2>/dev/null | grep -q '^2026-11-22T08:00:00'; do
    sleep 0.1
    i=$((i + 1))
done
kill -TERM "$daemon"
wait "$daemon"
same "daemon exit on SIGTERM" "$?" 0
case $(jq -r .lastScan "$HB") in
2026-11-22T08:00:00.*) ok ;;
*) bad "daemon heartbeat: $(cat "$HB")" ;;
esac
expect 0 "$P" health
has "payspool_last_scan_timestamp_seconds $(date -u -d 2026-11-22T08:00:00Z +%s)" \
    "$PAYSPOOL_SPOOL/metrics/payspool.prom"
PAYSPOOL_NOW=2026-11-22T08:10:00Z expect 69 "$P" health
has "SCAN_TOO_OLD" "$T/err"
finish

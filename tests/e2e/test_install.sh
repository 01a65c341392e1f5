#!/bin/sh
# test_install.sh -- issue 23: `make install` (cmake --install, DESTDIR
# and the prefix honoured) lays out the binary with the FHS defaults, the
# man pages (they render with man -l), the systemd units and timer
# (systemd-analyze verify when it is there) and the logrotate file; the
# unit's ExecStart, run by hand against a temporary spool with a
# NOTIFY_SOCKET, reaches READY=1, reopens its log on SIGHUP and stops
# cleanly on SIGTERM (exit 0, STOPPING=1).
. "$(dirname "$0")/lib.sh"
: "${PS_BUILD:?PS_BUILD must name the build tree}"
: "${PS_NOTIFY_LISTEN:?PS_NOTIFY_LISTEN must name tests/e2e/notify_listen}"
D="$T/dest"

DESTDIR="$D" cmake --install "$PS_BUILD" --prefix /usr >"$T/install.out" 2>&1
same "cmake --install" "$?" 0
for f in usr/bin/payspool usr/share/man/man1/payspool.1 \
    usr/share/man/man5/payspool.conf.5 usr/lib/systemd/system/payspool.service \
    usr/lib/systemd/system/payspool-once.service \
    usr/lib/systemd/system/payspool-once.timer etc/logrotate.d/payspool; do
    if [ -f "$D/$f" ]; then ok; else bad "$f not installed"; fi
done
if [ -x "$D/usr/bin/payspool" ]; then ok; else bad "binary not executable"; fi
has "ExecStart=/usr/bin/payspool run" "$D/usr/lib/systemd/system/payspool.service"
has "Type=notify" "$D/usr/lib/systemd/system/payspool.service"
has "run --once" "$D/usr/lib/systemd/system/payspool-once.service"
has "HUP" "$D/etc/logrotate.d/payspool"

# Another prefix: the units name the binary where it is.
DESTDIR="$T/dest2" cmake --install "$PS_BUILD" --prefix /opt/ps >/dev/null 2>&1
has "ExecStart=/opt/ps/bin/payspool run" \
    "$T/dest2/opt/ps/lib/systemd/system/payspool.service"

# The installed binary's defaults are the FHS places, not the source tree.
IB="$D/usr/bin/payspool"
(unset PAYSPOOL_SPOOL; "$IB" status >"$T/fhs.out" 2>&1)
has "/var/lib/payspool/payspool.db" "$T/fhs.out"
if grep -q "$PS_SOURCE" "$T/fhs.out"; then bad "installed binary names the source tree"; else ok; fi

# init --system is root's: anyone else is told so (77), nothing made.
# (As root it would create the payspool user and /etc/payspool on this
# machine: not in a test.)
if [ "$(id -u)" -ne 0 ]; then
    expect 77 env -u PAYSPOOL_SPOOL "$IB" init --system
    has "run it as root" "$T/err"
elif command -v setpriv >/dev/null 2>&1; then
    # a copy nobody can reach (the test's folder is 0700)
    NB=$(mktemp /tmp/payspool-nobody.XXXXXX)
    cp "$IB" "$NB" && chmod 0755 "$NB"
    expect 77 env -u PAYSPOOL_SPOOL setpriv --reuid=65534 --regid=65534 \
        --clear-groups "$NB" init --system
    has "run it as root" "$T/err"
    rm -f "$NB"
else
    echo "SKIP: init --system as non-root (no setpriv)"
fi

# As root, init --system for real, but in a private mount namespace over
# a copy of /etc and an empty /var, so this machine gets no user and no
# folders: the user made, owners and modes, safe to run again, and the
# installed binary then runs as that user on its defaults.
if [ "$(id -u)" -eq 0 ] && unshare --mount --fork true 2>/dev/null; then
    R="$T/root"
    mkdir -p "$R/var" "$R/bin"
    cp -a /etc "$R/etc" 2>/dev/null
    cp "$IB" "$R/bin/payspool"
    chmod 0755 "$T" "$R" "$R/bin" "$R/bin/payspool"
    env -u PAYSPOOL_SPOOL unshare --mount --fork sh -c '
        mount --make-rprivate / && mount --bind "$1/etc" /etc &&
        mount --bind "$1/var" /var || exit 2
        mkdir -p /var/spool /var/lib /var/log
        "$1/bin/payspool" init --system >/dev/null || exit 3
        "$1/bin/payspool" init --system >/dev/null || exit 4
        getent passwd payspool | cut -d: -f7
        stat -c "%n %U:%G %a" /etc/payspool /etc/payspool/payspool.key \
            /var/spool/payspool /var/spool/payspool/inbound \
            /var/lib/payspool /var/lib/payspool/payspool.db /var/log/payspool
        setpriv --reuid=payspool --regid=payspool --init-groups \
            "$1/bin/payspool" run --once >/dev/null || exit 5
        echo ran' sh "$R" >"$T/system.out" 2>"$T/system.err"
    same "init --system in a namespace" "$?" 0
    sed 's/^/    /' "$T/system.err" >&2
    has "nologin" "$T/system.out"
    has "^/etc/payspool root:payspool 750" "$T/system.out"
    has "^/etc/payspool/payspool.key payspool:payspool 600" "$T/system.out"
    has "^/var/spool/payspool payspool:payspool 750" "$T/system.out"
    has "^/var/spool/payspool/inbound payspool:payspool 750" "$T/system.out"
    has "^/var/lib/payspool payspool:payspool 750" "$T/system.out"
    has "^/var/lib/payspool/payspool.db payspool:payspool 640" "$T/system.out"
    has "^/var/log/payspool payspool:payspool 750" "$T/system.out"
    has "^ran" "$T/system.out"
else
    echo "SKIP: init --system as root (needs root and unshare --mount)"
fi

# The man pages render.
for m in usr/share/man/man1/payspool.1 usr/share/man/man5/payspool.conf.5; do
    MANWIDTH=80 man -l "$D/$m" >"$T/man.out" 2>"$T/man.err" </dev/null
    same "man -l $m" "$?" 0
    same "man -l $m: no warnings" "$(cat "$T/man.err")" ""
    has "SEE ALSO" "$T/man.out"
done

# systemd-analyze verify: the units as systemd reads them.  It checks that
# ExecStart's binary exists: a copy of each unit names the DESTDIR one.
if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir -p "$T/units"
    for u in payspool.service payspool-once.service payspool-once.timer; do
        sed "s|/usr/bin/payspool|$D/usr/bin/payspool|" \
            "$D/usr/lib/systemd/system/$u" >"$T/units/$u"
    done
    for u in payspool.service payspool-once.service payspool-once.timer; do
        (cd "$T/units" && systemd-analyze verify --man=no "$u") \
            >"$T/verify.out" 2>&1
        if [ "$?" -eq 0 ] && [ ! -s "$T/verify.out" ]; then ok; else
            bad "systemd-analyze verify $u"
            sed 's/^/    /' "$T/verify.out" >&2
        fi
    done
else
    echo "SKIP: systemd-analyze not installed (Debian's systemd package)"
fi

# ExecStart by hand, against a temporary spool, with a notify socket.
setup_business acme 2
exec_start=$(sed -n 's/^ExecStart=//p' "$D/usr/lib/systemd/system/payspool.service")
set -- $exec_start
shift # the installed binary: run it from the DESTDIR tree
[ "$1" = "run" ] && ok || bad "ExecStart is not payspool run: $exec_start"
LOG="$T/payspool.log"
shift 3 # run --log FILE: our own log file instead
"$PS_NOTIFY_LISTEN" "$T/notify.sock" "$T/notify.out" 30 &
lpid=$!
i=0
while [ ! -S "$T/notify.sock" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
NOTIFY_SOCKET="$T/notify.sock" "$IB" run --log "$LOG" "$@" >"$T/run.out" &
dpid=$!
i=0
while ! grep -q "READY=1" "$T/notify.out" 2>/dev/null && [ "$i" -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
has "READY=1" "$T/notify.out"
has "engine.started" "$LOG"

# logrotate's postrotate: the log renamed, SIGHUP, a new file.
mv "$LOG" "$LOG.1"
kill -HUP "$dpid"
i=0
while [ ! -s "$LOG" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
has "engine.reloaded" "$LOG"

kill -TERM "$dpid"
wait "$dpid"
same "daemon exits 0 on SIGTERM" "$?" 0
wait "$lpid"
same "listener saw STOPPING=1" "$?" 0
has "STOPPING=1" "$T/notify.out"
has "engine.stopped" "$LOG"
ledger_verify_ok
finish

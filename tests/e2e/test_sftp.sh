#!/bin/sh
# test_sftp.sh -- a real SFTP drop end to end (issue 18): OpenSSH's sshd
# on 127.0.0.1 on a free high port, its own host key and configuration
# (never the system's sshd), one chrooted SFTP-only system user per
# business and one per provider, key authentication only, uploads with
# the `sftp` client and no .done markers, the engine running as a daemon.
#
#   1. two businesses uploading at once: both files claimed and applied;
#   2. a file uploaded slowly in pieces (reput, pauses shorter than
#      stable_seconds, cut mid-line) is claimed only when complete, once;
#   3. a file uploaded as x.csv.part then renamed: claimed once, complete;
#   4. a business cannot list, read or write another business's folder
#      nor reach any provider's (ls, get, put, rename, mkdir, cd ..);
#   5. a provider's answer dropped over SFTP into providers/<p>/inbound/<b>/
#      for a bound business is applied (PROCESSING -> SETTLED), the same
#      kind of answer from the business's own drop is refused, and the provider
#      cannot write where no bound business is.
#
# Runs as root (useradd, sshd, chroot); needs openssh-server and
# openssh-client (the Makefile's DEB_PKGS).  If sshd cannot run, the test
# FAILS loudly: it never skips.  The users and sshd are removed on exit.
. "$(dirname "$0")/lib.sh"
T=$(cd "$T" && pwd)
export PAYSPOOL_LOG="$T/payspool.log"
SSHD=/usr/sbin/sshd
SSHD_PID=""
DAEMON_PID=""
USERS=""
GROUPS_MADE=""
BASE=""
T0=$(date +%s)
phase() { echo "[$(($(date +%s) - T0)) s] $*"; }

die() {
    echo "FAIL: $*" >&2
    failed=$((failed + 1))
    echo "$pass passed, $failed failed"
    exit 1
}

cleanup() {
    if [ -n "$DAEMON_PID" ]; then
        kill "$DAEMON_PID" 2>/dev/null
        wait "$DAEMON_PID" 2>/dev/null
    fi
    if [ -n "$SSHD_PID" ]; then
        kill "$SSHD_PID" 2>/dev/null
        wait "$SSHD_PID" 2>/dev/null
    fi
    for u in $USERS; do
        userdel "$u" 2>/dev/null || userdel -f "$u" 2>/dev/null
    done
    for g in $GROUPS_MADE; do groupdel "$g" 2>/dev/null; done
    if [ -n "$BASE" ] && [ "$BASE" != "$T" ]; then
        [ -d "$T" ] && cp "$BASE/ssh/sshd.log" "$T/" 2>/dev/null
        rm -rf "$BASE"
    fi
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM

[ "$(id -u)" = 0 ] || die "test_sftp.sh must run as root (useradd, sshd)"
for tool in "$SSHD" sftp ssh-keygen useradd userdel groupadd groupdel; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "$tool not found: install openssh-server openssh-client (make deps)"
done

# ---- a root-owned home for the chroots ------------------------------------
# sshd chroots only into a path whose every component is root-owned and not
# writable by group or others, and reads AuthorizedKeysFile as the user
# (every parent searchable).  The test's own directory if its parents
# qualify, else a fresh directory under /run (never /tmp: 1777).
chain_ok() {
    d=$1
    while :; do
        [ "$(stat -c %u "$d")" = 0 ] || return 1
        [ -z "$(find "$d" -maxdepth 0 -perm /022)" ] || return 1
        [ -n "$(find "$d" -maxdepth 0 -perm -001)" ] || return 1
        [ "$d" = / ] && return 0
        d=$(dirname "$d")
    done
}
chmod 0755 "$T"
if chain_ok "$T"; then
    BASE=$T
else
    BASE=$(mktemp -d /run/payspool-sftp.XXXXXX) ||
        die "no root-owned directory for the chroots"
    chmod 0755 "$BASE"
    chain_ok "$BASE" || die "$BASE: a parent is not root-owned 0755"
fi
export PAYSPOOL_SPOOL="$BASE/spool"
S=$PAYSPOOL_SPOOL
SSH="$BASE/ssh"
mkdir -p "$SSH/keys" "$T/jobs" "$T/up"
chmod 0755 "$SSH" "$SSH/keys"

# The test's own jobs folder: one job that is never due, so the engine
# runs no payout or reconciliation of its own under the test's feet.
cat >"$T/jobs/noop.job" <<JOB
[job]
name        = sftp-noop
description = never due: the SFTP test runs no jobs
schedule    = 0 0 1 1 *
calendar    = all-days
steps       = reconcile
catch_up    = skip
JOB

# ---- the spool: two businesses --------------------------------------------
"$P" init >/dev/null || die "payspool init"
cat >"$S.conf" <<CONF
[spool]
stable_seconds = 3
min_age_seconds = 0
poll_seconds = 1
CONF
# Names unique to this run: each business's SFTP user is named as the
# business (the README's production setup: -d /%u), and so is the
# provider's.  Lowercase letters, digits and dashes: valid names.
R=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
UP="pst-$R"
A="$UP-acme"
H="$UP-harbor"
C="$UP-card"
G="$UP-biz"
for b in "$A" "$H"; do
    "$P" business add $b >/dev/null || die "business add $b"
    "$P" program add --business $b --name "Early Pay" --min 10.00 \
        --max 500.00 --period-cap 800.00 --max-outstanding 2000.00 \
        --fee-card 0 --fee-ach 0 >/dev/null || die "program add $b"
done

# ---- the users, their keys, the folder modes -------------------------------
groupadd --system "$G" || die "groupadd $G"
GROUPS_MADE=$G
for who in acme harbor card; do
    u="$UP-$who"
    grp=""
    [ $who = card ] || grp="-G $G"
    # '*': no password, yet not locked ('!' is locked for sshd, UsePAM no)
    # shellcheck disable=SC2086
    useradd --system --no-create-home --shell /usr/sbin/nologin -p '*' \
        $grp "$u" || die "useradd $u"
    USERS="$USERS $u"
    ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$SSH/id_$who" ||
        die "ssh-keygen $who"
    cp "$SSH/id_$who.pub" "$SSH/keys/$u"
    chmod 0644 "$SSH/keys/$u"
done

# inbound/ is every business's chroot: root 0711, so a business can enter
# its own folder (-d /<b>) but list nothing; inbound/<b>/ belongs to the
# business's user, group of the engine's runner (root here), 2770.
chmod 0711 "$S/inbound"
for b in "$A" "$H"; do
    chown "$b:0" "$S/inbound/$b"
    chmod 2770 "$S/inbound/$b"
done
# The provider $C serves $A only.  payspool creates
# providers/<p>/inbound/<b>/ for the bound pairs (the contract); the test
# makes it too (as an operator would) so the SFTP side does not depend on
# the engine: providers/<p>/inbound/ root 0711 is the provider's chroot.
provider_dirs() {
    mkdir -p "$S/providers/$C/inbound/$A"
    chmod 0755 "$S/providers" "$S/providers/$C"
    chmod 0711 "$S/providers/$C/inbound"
    chown "$C:0" "$S/providers/$C/inbound/$A"
    chmod 2770 "$S/providers/$C/inbound/$A"
}
provider_dirs

# ---- sshd: its own configuration, host key and port ------------------------
ssh-keygen -q -t ed25519 -N '' -f "$SSH/host_ed25519" || die "host key"
# sshd's privilege separation directory (the service normally makes it).
[ -d /run/sshd ] || { mkdir -p /run/sshd && chmod 0755 /run/sshd; }

sshd_config() {
    cat <<CONF
ListenAddress 127.0.0.1:$1
HostKey $SSH/host_ed25519
PidFile $SSH/sshd.pid
UsePAM no
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthenticationMethods publickey
AuthorizedKeysFile $SSH/keys/%u
StrictModes yes
AllowUsers $A $H $C
LogLevel VERBOSE
Subsystem sftp internal-sftp

Match Group $G
    ChrootDirectory $S/inbound
    ForceCommand internal-sftp -u 0007 -d /%u
    AuthenticationMethods publickey
    AllowTcpForwarding no
    X11Forwarding no
    PermitTTY no
Match User $C
    ChrootDirectory $S/providers/$C/inbound
    ForceCommand internal-sftp -u 0007 -d /$A
    AuthenticationMethods publickey
    AllowTcpForwarding no
    X11Forwarding no
    PermitTTY no
CONF
}

PORT=""
tries=0
while [ -z "$PORT" ] && [ "$tries" -lt 10 ]; do
    tries=$((tries + 1))
    port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
    sshd_config $port >"$SSH/sshd_config"
    "$SSHD" -t -f "$SSH/sshd_config" >"$SSH/sshd.log" 2>&1 ||
        die "sshd -t refused the configuration: $(cat "$SSH/sshd.log")"
    "$SSHD" -D -e -f "$SSH/sshd_config" >"$SSH/sshd.log" 2>&1 &
    SSHD_PID=$!
    n=0
    while [ $n -lt 50 ]; do
        if grep -q "Server listening on 127.0.0.1 port $port" "$SSH/sshd.log"; then
            PORT=$port
            break
        fi
        kill -0 "$SSHD_PID" 2>/dev/null || break
        sleep 0.1
        n=$((n + 1))
    done
    if [ -z "$PORT" ]; then
        kill "$SSHD_PID" 2>/dev/null
        wait "$SSHD_PID" 2>/dev/null
        SSHD_PID=""
        grep -q "Address already in use" "$SSH/sshd.log" ||
            die "sshd does not start: $(cat "$SSH/sshd.log")"
    fi
done
[ -n "$PORT" ] || die "no free port for sshd in 10 tries"
echo "sshd pid $SSHD_PID on 127.0.0.1:$PORT, spool $S"

# as WHO: an sftp batch session as WHO's user (acme, harbor, card), the
# commands on stdin; output in $SFTP_OUT (default $T/sftp.out), sftp's
# exit status returned.
as() {
    sftp -b - -i "$SSH/id_$1" -P "$PORT" -F /dev/null \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR \
        -o ConnectTimeout=10 "$UP-$1@127.0.0.1" >"${SFTP_OUT:-$T/sftp.out}" 2>&1
}
# refused WHO WHAT COMMANDS: the session (COMMANDS, one a line) must fail,
# saying why.  (Not fed on stdin: the counters must not be in a subshell.)
# sftp's ls may print "readdir: Permission denied" and still exit 0: the
# message counts as a refusal then.  Nothing of another's may show.
refused() {
    printf '%s\n' "$3" | as "$1"
    rc=$?
    if grep -v '^sftp>' "$T/sftp.out" |
        grep -Eiv 'not found|denied|no such|failure|couldn|remote |dest open' |
        grep -Eq 'private\.csv|roster-|d-harbor|d-slow|payspool\.db|answer-'; then
        bad "$1 could $2: names leaked"
        sed 's/^/    /' "$T/sftp.out" >&2
    elif grep -Eqi "denied|no such file|not found|failure" "$T/sftp.out"; then
        if [ $rc -ne 0 ] || grep -qi "readdir.*denied" "$T/sftp.out"; then ok; else
            bad "$1: $2: refused, yet sftp exited 0"
        fi
    elif [ $rc -eq 0 ]; then
        bad "$1 could $2"
        sed 's/^/    /' "$T/sftp.out" >&2
    else
        bad "$1: $2 failed without saying why"
        sed 's/^/    /' "$T/sftp.out" >&2
    fi
}
# wait_for SECONDS CMD...: until CMD succeeds, polling 4 times a second.
wait_for() {
    n=$(($1 * 4))
    shift
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.25
        n=$((n - 1))
    done
    return 1
}
applied() { [ "$(sql "SELECT count(*) FROM files f JOIN businesses b ON b.id = f.business_id WHERE b.name = '$1' AND f.name = '$2' AND f.status = 'APPLIED'")" = 1 ]; }
docs() { sql "SELECT count(*) FROM files f JOIN businesses b ON b.id = f.business_id WHERE b.name = '$1' AND f.name = '$2'"; }
records() { sql "SELECT records || ' ' || accepted FROM files f JOIN businesses b ON b.id = f.business_id WHERE b.name = '$1' AND f.name = '$2'"; }
status_of() { sql "SELECT status FROM transactions WHERE request_id = '$1'"; }
claims() { grep '"event":"file.claimed"' "$PAYSPOOL_LOG" | grep -c "\"file\":\"$1\""; }
result_of() { ls "$S/outbound/$1/results/$2".*.result.csv 2>/dev/null; }

# Every user logs in, lands in its own folder, and nothing else.
for who in acme harbor card; do
    want=/$A
    [ $who = harbor ] && want=/$H
    if echo pwd | as $who; then
        has "Remote working directory: $want\$" "$T/sftp.out"
    else
        sed 's/^/    /' "$T/sftp.out" >&2
        tail -20 "$SSH/sshd.log" | sed 's/^/    sshd: /' >&2
        die "$who cannot log in over SFTP"
    fi
done

# ---- the engine as a daemon -------------------------------------------------
phase "the engine as a daemon"
(cd "$T" && exec "$P" run --jobs "$T/jobs" >"$T/engine.out" 2>&1) &
DAEMON_PID=$!

# ---- 1. two businesses uploading at once ------------------------------------
phase "1. two businesses at once"
HDR=external_id,first_name,last_name,email,phone,employment_status,program,enrollment_begin,card_number,earned_wages,period_start,period_end
cat >"$T/up/roster-acme.csv" <<CSV
$HDR
E1,Maria,Gonzalez,maria@example.com,+14155550101,ACTIVE,Early Pay,2026-01-01,4111111111111111,3000.00,2026-11-01,2026-11-15
E2,Ana,Lopez,ana@example.com,+14155550102,ACTIVE,Early Pay,2026-01-01,5555555555554444,3000.00,2026-11-01,2026-11-15
E3,Li,Wei,li@example.com,+14155550103,ACTIVE,Early Pay,2026-01-01,4000056655665556,3000.00,2026-11-01,2026-11-15
CSV
cat >"$T/up/roster-harbor.csv" <<CSV
$HDR
H1,Sam,Harbor,sam@example.com,+14155550201,ACTIVE,Early Pay,2026-01-01,4000056655665556,3000.00,2026-11-01,2026-11-15
H2,Kim,Harbor,kim@example.com,+14155550202,ACTIVE,Early Pay,2026-01-01,5555555555554444,3000.00,2026-11-01,2026-11-15
CSV
(echo "put $T/up/roster-acme.csv" | SFTP_OUT="$T/sftp.1a" as acme) &
up1=$!
(echo "put $T/up/roster-harbor.csv" | SFTP_OUT="$T/sftp.1b" as harbor) &
up2=$!
wait $up1 && ok || bad "1: acme's upload failed"
wait $up2 && ok || bad "1: harbor's upload failed"
if wait_for 10 applied "$A" roster-acme.csv &&
    wait_for 2 applied "$H" roster-harbor.csv; then ok; else
    bad "1: two businesses uploading at once: acme $(docs "$A" roster-acme.csv) and harbor $(docs "$H" roster-harbor.csv) documents after 10 s, files left: $(ls "$S/inbound/$A" "$S/inbound/$H" | tr '\n' ' ') (defect 3: the shared stability watch)"
fi
same "1: acme roster records" "$(records "$A" roster-acme.csv)" "3 3"
same "1: harbor roster records" "$(records "$H" roster-harbor.csv)" "2 2"

# ---- 2. a file uploaded slowly, in pieces ----------------------------------
phase "2. a slow upload in pieces"
# 12 requests; five pieces cut mid-line, about a second apart (less than
# stable_seconds = 3), each piece sent with reput (resume) in one session.
{
    echo "request_id,external_id,amount,currency,rail"
    i=1
    while [ $i -le 12 ]; do
        printf 'S%04d,E%d,%d.00,USD,CARD\n' $i $(((i - 1) % 3 + 1)) $((10 + i))
        i=$((i + 1))
    done
} >"$T/slow-full.csv"
size=$(wc -c <"$T/slow-full.csv")
{
    head -c $((size / 5)) "$T/slow-full.csv" >"$T/up/d-slow.csv"
    echo "put $T/up/d-slow.csv"
    for k in 2 3 4 5; do
        sleep 1
        head -c $((size * k / 5)) "$T/slow-full.csv" >"$T/up/d-slow.csv"
        echo "reput $T/up/d-slow.csv"
    done
} | as acme && ok || { bad "2: the upload in pieces failed"; cat "$T/sftp.out" >&2; }
cmp -s "$T/slow-full.csv" "$T/up/d-slow.csv" && ok || bad "2: local pieces"
if wait_for 8 applied "$A" d-slow.csv; then ok; else
    bad "2: the slow upload was not applied within 8 s (documents: $(docs "$A" d-slow.csv))"
fi
same "2: one document for the slow upload" "$(docs "$A" d-slow.csv)" 1
same "2: every record counted" "$(records "$A" d-slow.csv)" "12 12"
same "2: 12 transactions" \
    "$(sql "SELECT count(*) FROM transactions WHERE request_id LIKE 'S%'")" 12
RS=$(result_of "$A" d-slow.csv)
same "2: one result file" "$(echo "$RS" | grep -c .)" 1
same "2: 12 accepted in the result" \
    "$(grep -c ',ACCEPTED,' "$RS" 2>/dev/null)" 12
same "2: claimed once" "$(claims d-slow.csv)" 1
same "2: nothing in failed/" "$(ls "$S/failed/$A" | grep -c d-slow)" 0

# ---- 3. a temporary name, then a rename ------------------------------------
phase "3. a temporary name, renamed"
cat >"$T/up/d-harbor.csv" <<CSV
request_id,external_id,amount,currency,rail
HB1,H1,21.00,USD,CARD
HB2,H2,22.00,USD,CARD
HB3,H1,23.00,USD,CARD
CSV
echo "put $T/up/d-harbor.csv d-harbor.csv.part" | as harbor && ok ||
    bad "3: put .part"
sleep 4 # longer than stable_seconds: a .part name is never claimed
same "3: .part left alone" "$(ls "$S/inbound/$H" | grep '^d-harbor')" \
    d-harbor.csv.part
same "3: no document yet" "$(docs "$H" d-harbor.csv.part)$(docs "$H" d-harbor.csv)" 00
echo "rename d-harbor.csv.part d-harbor.csv" | as harbor && ok ||
    bad "3: rename"
if wait_for 8 applied "$H" d-harbor.csv; then ok; else
    bad "3: the renamed upload was not applied within 8 s"
fi
same "3: one document" "$(docs "$H" d-harbor.csv)" 1
same "3: claimed once" "$(claims d-harbor.csv)" 1
same "3: the .part never claimed" "$(claims d-harbor.csv.part)" 0
same "3: complete" "$(records "$H" d-harbor.csv)" "3 3"
same "3: 3 transactions" \
    "$(sql "SELECT count(*) FROM transactions WHERE request_id LIKE 'HB%'")" 3

# ---- 4. a business keeps to its own folder ---------------------------------
phase "4. crossings refused"
# Something of harbor's to steal: a .part name the engine leaves alone.
echo "H-private" >"$S/inbound/$H/private.csv.part"
chown "$H:0" "$S/inbound/$H/private.csv.part"
chmod 0660 "$S/inbound/$H/private.csv.part"
printf 'request_id,external_id,amount,currency,rail\nX1,H1,99.00,USD,CARD\n' \
    >"$T/up/evil.csv"
refused acme "list harbor's folder" \
    "ls /$H"
refused acme "list the chroot's top (all businesses)" \
    "ls -la .."
refused acme "cd .. and list" "cd ..
ls"
refused acme "read harbor's file" \
    "get /$H/private.csv.part $T/stolen"
same "4: nothing read" "$(ls "$T/stolen" 2>/dev/null)" ""
refused acme "read harbor's file (relative)" \
    "get ../$H/private.csv.part $T/stolen"
refused acme "write into harbor's folder" \
    "put $T/up/evil.csv /$H/evil.csv"
refused acme "write into harbor's folder (relative)" \
    "put $T/up/evil.csv ../$H/evil.csv"
refused acme "write above its folder" \
    "put $T/up/evil.csv ../evil.csv"
refused acme "make a folder at the top" \
    "mkdir /providers"
refused acme "make a folder in harbor's" \
    "mkdir /$H/x"
refused acme "move a file into harbor's folder" "put $T/up/evil.csv evil.csv.part
rename evil.csv.part /$H/evil.csv"
echo "rm evil.csv.part" | as acme
refused acme "reach the providers' folders" \
    "ls /../../providers"
refused acme "reach its provider's folder" \
    "ls /../../providers/$C/inbound/$A"
refused acme "read the database" \
    "get /../../payspool.db $T/stolen"
refused harbor "list acme's folder" \
    "ls /$A"
refused harbor "read acme's folder" \
    "get /$A/roster-acme.csv $T/stolen"
same "4: nothing written into harbor's folder" \
    "$(ls "$S/inbound/$H" | grep -c evil)" 0
same "4: nothing left in acme's" "$(ls "$S/inbound/$A" | grep -c evil)" 0
same "4: nothing written above" "$(ls "$S/inbound" | grep -c evil)" 0
same "4: no X1 applied" "$(status_of X1)" ""
rm -f "$S/inbound/$H/private.csv.part"

# ---- the daemon stops; the payouts go out ----------------------------------
phase "daemon stopped, payouts"
kill "$DAEMON_PID" 2>/dev/null
wait "$DAEMON_PID"
same "daemon stopped cleanly" "$?" 0
DAEMON_PID=""
DATE=$(date -u +%Y-%m-%d)
expect 0 "$P" payouts run --business "$A" --date "$DATE"
expect 0 "$P" payouts run --business "$H" --date "$DATE"
same "5: S0001 in flight" "$(status_of S0001)" PROCESSING
same "5: HB1 in flight" "$(status_of HB1)" PROCESSING
REF_S1=$(sql "SELECT id FROM transactions WHERE request_id = 'S0001'")
REF_S2=$(sql "SELECT id FROM transactions WHERE request_id = 'S0002'")
REF_H1=$(sql "SELECT id FROM transactions WHERE request_id = 'HB1'")
SHDR=reference,status,reason_code,message,settlement_date,amount,currency,attempt

# ---- 5. the provider channel -------------------------------------------------
phase "5. the provider channel"
# The binding: $C answers for acme only (the shared contract).
cat >>"$S.conf" <<CONF
[provider $C]
businesses = $A
CONF
# An answer from the employer's own drop is refused whole (nothing applied).
printf '%s\n%s,SETTLED,00,approved,%s,12.00,USD,1\n' "$SHDR" "$REF_S2" \
    "$DATE" >"$T/up/self-settle.status.csv"
echo "put $T/up/self-settle.status.csv" | as acme && ok ||
    bad "5: acme's upload of an answer"
# The provider's answers: one for acme's S0001 into its acme folder, one
# naming harbor's HB1 (a business it does not serve) in the same folder.
printf '%s\n%s,SETTLED,00,approved,%s,11.00,USD,1\n' "$SHDR" "$REF_S1" \
    "$DATE" >"$T/up/answer-acme.status.csv"
printf '%s\n%s,SETTLED,00,approved,%s,21.00,USD,1\n' "$SHDR" "$REF_H1" \
    "$DATE" >"$T/up/answer-harbor.status.csv"
printf 'put %s\nput %s\n' "$T/up/answer-acme.status.csv" \
    "$T/up/answer-harbor.status.csv" | as card && ok ||
    { bad "5: the provider's upload"; cat "$T/sftp.out" >&2; }
# ... and it has no way into harbor's folder nor anyone else's.
refused card "write into a business it is not bound to" \
    "put $T/up/answer-harbor.status.csv /$H/answer-harbor.status.csv"
refused card "make a folder for an unbound business" \
    "mkdir /$H"
refused card "list the providers' folder" \
    "ls /"
refused card "reach acme's own drop" \
    "ls /../../inbound/$A"
(cd "$T" && "$P" run --once --jobs "$T/jobs" >"$T/out5" 2>"$T/err5")
rc=$?
# 65: the pass applied what it could and refused one input whole.
if [ $rc -eq 65 ]; then ok; else
    bad "5: run --once with the provider binding exited $rc, wanted 65 (the employer's answer refused whole): $(grep -v '^{' "$T/err5" | head -3)"
fi
provider_dirs # the engine made them (contract); the owners are the operator's
same "5: the bound provider's answer applied (S0001 SETTLED)" \
    "$(status_of S0001)" SETTLED
same "5: the answer is one applied document" \
    "$(docs "$A" answer-acme.status.csv)" 1
same "5: no answer for an unbound business (HB1 still PROCESSING)" \
    "$(status_of HB1)" PROCESSING
same "5: the employer's own answer not applied (S0002 still PROCESSING)" \
    "$(status_of S0002)" PROCESSING
if grep -qs ANSWER_NOT_FROM_PROVIDER "$S/failed/$A/self-settle.status.csv".*reason \
    "$S/failed/$A/self-settle.status.csv.reason"; then ok; else
    bad "5: the employer's answer is not in failed/$A/ with ANSWER_NOT_FROM_PROVIDER"
fi
RSELF=$(result_of "$A" self-settle.status.csv)
if [ -n "$RSELF" ] && grep -qs ANSWER_NOT_FROM_PROVIDER $RSELF; then
    ok
else
    bad "5: no result file saying ANSWER_NOT_FROM_PROVIDER for the employer's answer"
fi
same "5: the provider's folder emptied" \
    "$(ls "$S/providers/$C/inbound/$A" 2>/dev/null)" ""
same "5: no harbor folder for $C" \
    "$(ls -d "$S/providers/$C/inbound/$H" 2>/dev/null)" ""

# ---- no card number in clear outside the payout files ----------------------
phase "no card numbers"
for card in 4111111111111111 5555555555554444 4000056655665556; do
    if grep -rl "$card" "$PAYSPOOL_LOG" "$T/engine.out" "$T/out5" "$T/err5" \
        "$S/outbound"/*/results 2>/dev/null | grep -q .; then
        bad "card number $card in clear outside the payout files"
    else ok; fi
done
if [ "$failed" -ne 0 ]; then
    echo "kept: $T (engine.out, payspool.log; sshd.log)" >&2
    tail -5 "$SSH/sshd.log" | sed 's/^/    sshd: /' >&2
fi
ledger_verify_ok
finish

# lib.sh -- helpers shared by the end-to-end tests (sourced, POSIX sh).
#
# PAYSPOOL_BIN: the binary under test; PS_TMP: a scratch directory (set by
# CTest).  Each test gets a fresh directory and exports PAYSPOOL_SPOOL into
# it, so tests never share state and run in parallel.

set -u
: "${PAYSPOOL_BIN:?PAYSPOOL_BIN must point at the payspool binary}"
: "${PS_TMP:=${TMPDIR:-/tmp}/payspool-e2e}"
mkdir -p "$PS_TMP"
T=$(mktemp -d "$PS_TMP/$(basename "$0" .sh).XXXXXX")
export PAYSPOOL_SPOOL="$T/spool"
unset PAYSPOOL_DB PAYSPOOL_KEY PAYSPOOL_LOG PAYSPOOL_NOW
P="$PAYSPOOL_BIN"
pass=0
failed=0

ok() { pass=$((pass + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect STATUS CMD...: run CMD, compare its exit status; output in $T/out.
expect() {
    want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else
        bad "exit $got, wanted $want: $*"
        sed 's/^/    /' "$T/err" >&2
    fi
}

# same NAME GOT WANT
same() {
    if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', wanted '$3'"; fi
}

# has PATTERN FILE: grep -q
has() {
    if grep -q -- "$1" "$2"; then ok; else bad "'$1' not in $2"; fi
}

finish() {
    echo "$pass passed, $failed failed"
    if [ "$failed" -eq 0 ]; then rm -rf "$T"; exit 0; fi
    exit 1
}

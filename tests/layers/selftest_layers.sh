#!/bin/sh
# selftest_layers.sh -- the layer checks must catch what they claim to:
# run check_layers.sh and check_functions.sh on a temporary copy of src/
# and formats/ with one breach planted at a time, and fail unless each
# check FAILS naming the planted breach.
#
#   1. an upward include: #include "cli/cli.h" appended to base/money.c;
#   2. a module cycle: two new engine headers that include each other;
#   3. a function of 130 lines with no comment saying why;
#   4. a .c file of 1,300 lines.
# And the counter-checks: the same long function with a comment saying
# why is not named; the unplanted copy does not name money.c.
#
# Usage: selftest_layers.sh [TOP]   (TOP: the source tree, default ../..)
# PS_LAYERS_PENDING passes through: a planted breach outside the pending
# folders must fail whatever they are.  POSIX sh and awk only.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "${1:-$here/../..}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/selftest_layers.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0

fresh() {
    rm -rf "$tmp/tree"
    mkdir -p "$tmp/tree"
    cp -R "$top/src" "$top/formats" "$tmp/tree/" || exit 2
}

# expect_fail NAME SCRIPT PATTERN: SCRIPT on the tree exits 1 and prints a
# line matching PATTERN (not marked pending).
expect_fail() {
    out=$(sh "$here/$2" "$tmp/tree" 2>&1)
    rc=$?
    if [ "$rc" -ne 1 ]; then
        echo "FAIL $1: $2 exited $rc, want 1"
        echo "$out" | tail -5
        failures=$((failures + 1))
    elif ! echo "$out" | grep -v '^pending: ' | grep -q "$3"; then
        echo "FAIL $1: $2 failed but did not name the breach ($3)"
        echo "$out" | tail -5
        failures=$((failures + 1))
    else
        echo "ok   $1"
    fi
}

# expect_silent NAME SCRIPT PATTERN: SCRIPT prints no line matching PATTERN.
expect_silent() {
    if sh "$here/$2" "$tmp/tree" 2>&1 | grep -q "$3"; then
        echo "FAIL $1: $2 named $3"
        failures=$((failures + 1))
    else
        echo "ok   $1"
    fi
}

# A long function: 130 lines from its signature to its closing brace,
# with an optional comment directly above it.
long_function() {
    echo ""
    [ -n "$1" ] && echo "$1"
    echo "int ps_selftest_long(int x)"
    echo "{"
    i=0
    while [ $i -lt 126 ]; do
        echo "    x += $i;"
        i=$((i + 1))
    done
    echo "    return x;"
    echo "}"
}

# 1. An upward include.
fresh
expect_silent "unplanted copy does not name money.c" check_layers.sh 'src/base/money.c:'
echo '#include "cli/cli.h"' >>"$tmp/tree/src/base/money.c"
expect_fail "planted upward include fails" check_layers.sh \
    'src/base/money.c:[0-9]*: #include "cli/cli.h": base may not include cli'

# 2. A module cycle.
fresh
printf '#include "engine/zz_a.h"\n' >"$tmp/tree/src/engine/zz_b.h"
printf '#include "engine/zz_b.h"\n' >"$tmp/tree/src/engine/zz_a.h"
expect_fail "planted include cycle fails" check_layers.sh \
    'include cycle: .*src/engine/zz_[ab] -> src/engine/zz_[ab]'

# 3. A long function with no comment; then with one.
fresh
long_function "" >>"$tmp/tree/src/base/money.c"
expect_fail "planted long function fails" check_functions.sh \
    'src/base/money.c:[0-9]*: function ps_selftest_long is 130 lines'
fresh
long_function "/* Long on purpose: a selftest. */" >>"$tmp/tree/src/base/money.c"
expect_silent "long function with a comment saying why passes" \
    check_functions.sh 'ps_selftest_long'

# 4. A long file.
fresh
i=0
while [ $i -lt 1300 ]; do
    echo "/* line $i */"
    i=$((i + 1))
done >"$tmp/tree/src/base/zz_long.c"
expect_fail "planted 1,300-line file fails" check_functions.sh \
    'src/base/zz_long.c: 1300 lines (over 1200)'

if [ "$failures" -ne 0 ]; then
    echo "selftest_layers: $failures FAILED"
    exit 1
fi
echo "selftest_layers: every planted breach was caught"
exit 0

#!/bin/sh
# check_codes.sh -- the source and the table of public error codes agree.
#
# Usage: check_codes.sh [--list] [TOP]   (TOP: the source tree, default ../..)
#
# The rule names of struct ps_err are the public error codes of result
# files; src/base/codes.h lists them (PS_CODE_LIST).  This script finds, as
# far as a grep can, every rule name the code in src/ and formats/ can set:
#
#   - the rule argument of ps_err_set() and of the helpers that pass their
#     own `rule` parameter on to it (the table HELPERS below);
#   - ps_err_set(err, PS_EXXX, NULL, ...), whose rule is the code's name
#     ("EXXX", see ps_err_codename());
#   - a literal copied straight into a rule or a result's code
#     (ps_strlcpy(err->rule, "X", ...), ps_strlcpy(res.code, "X", ...));
#   - a code returned as an enum (`return PS_CODE_NAME;`, as the path
#     check of formats/archive/unwrap.c does) to be set with
#     ps_code_name().
#
# It fails, naming FILE:LINE, when a rule found is not in the table; when a
# table entry is used nowhere (a dead code); and when ps_err_set() gets its
# rule from a variable in a place HELPERS does not know (add the helper
# there, so that its callers are checked too), or has no rule and a code
# that is not a PS_E* constant (its name cannot be known).  With --list
# it prints "NAME FILE:LINE" for every use found and checks nothing.
#
# POSIX sh, grep, sed and awk only: it runs on a fresh Debian machine.
set -u
list=0
if [ "${1:-}" = "--list" ]; then
    list=1
    shift
fi
top=${1:-$(dirname "$0")/../..}
cd "$top" || exit 2

table=src/base/codes.h

# FILE FUNCTION ARG: in FILE (or * for every file), the calls of FUNCTION
# carry a rule name as their ARG-th argument.  The helpers' own bodies
# hand the `rule` parameter to ps_err_set(); FORWARDS lists those places.
HELPERS='
*                       ps_err_set   3
src/base/err.c          vset         3
src/engine/achin.c      refuse       3
src/engine/provider.c   bad          3
src/engine/ewabook.c    REFUSE       3
src/engine/engine.c     invalid      3
src/sched/cron.c        field_err    3
src/sched/cron.c        FIELD_ERR    2
formats/nacha/writer.c  refuse       4
formats/nacha/reader.c  PROB         4
formats/nacha/entry.c   PROB         4
formats/nacha/reader.c  ps_nacha_problem_at 7
formats/nacha/entry.c   ps_nacha_problem_at 7
formats/nacha/reader.c  control_num  6
formats/csv/rows.c      rows_fail    4
formats/csv/csv.c       cell_fail    5
formats/csv/layout.c    fail         2
formats/iso20022/iso20022.c fail     2
formats/iso20022/iso20022.c FAIL_VOID 2
*                       cli_error    2
'

# FILE ARGUMENT: a ps_err_set() whose rule argument is this expression in
# this file passes on a rule checked elsewhere (at the helper's callers,
# or a rule already set: output.c re-sets the rule an error had).
FORWARDS='
src/engine/achin.c      rule
src/engine/provider.c   rule
src/engine/ewabook.c    rule
src/engine/engine.c     rule
src/sched/cron.c        rule
src/base/output.c       rule
src/cli/cli_util.c      rule
formats/nacha/writer.c  rule
formats/csv/csv.c       rule
formats/csv/rows.c      rule
formats/csv/layout.c    rule
formats/nacha/reader.c  rule
formats/iso20022/iso20022.c rule
formats/archive/unwrap.c ps_code_name(rule)
'

files=$(find src formats -name '*.[ch]' | sort)

# Every use: "NAME FILE:LINE", or "?VAR FILE:LINE ARG" for a ps_err_set()
# whose rule is an expression FORWARDS does not know.
uses=$(awk -v helpers="$HELPERS" -v forwards="$FORWARDS" '
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); gsub(/[ \t]+/, " ", s); return s }
BEGIN {
    nh = split(helpers, hl, "\n")
    for (i = 1; i <= nh; i++) {
        if (split(hl[i], w, " ") == 3) { hn++; hfile[hn] = w[1]; hfun[hn] = w[2]; harg[hn] = w[3] }
    }
    nf = split(forwards, fl, "\n")
    for (i = 1; i <= nf; i++)
        if (split(fl[i], w, " ") == 2) fwd[w[1] " " w[2]] = 1
}
# The ARG-th argument of the call whose "(" ends at column `at` of text t.
function argument(t, at, want,   j, ch, depth, c, a, instr) {
    depth = 0; c = 1; a = ""; instr = 0
    for (j = at + 1; j <= length(t); j++) {
        ch = substr(t, j, 1)
        if (instr) {
            if (ch == "\\") { if (c == want) a = a ch substr(t, j + 1, 1); j++; continue }
            if (ch == "\"") instr = 0
        } else if (ch == "\"") instr = 1
        else if (ch == "(") depth++
        else if (ch == ")") { if (depth == 0) break; depth-- }
        else if (ch == "," && depth == 0) { c++; if (c > want) break; continue }
        if (c == want) a = a ch
    }
    return c >= want ? trim(a) : "\001"
}
# Print each rule-shaped string literal of expression a.
function literals(a, where,   s, m) {
    s = a
    while (match(s, /"[A-Z][A-Z0-9_]*"/)) {
        print substr(s, RSTART + 1, RLENGTH - 2), where
        s = substr(s, RSTART + RLENGTH)
    }
}
function flush(   n, s, k, h, p, rest, off, a, code, where, pre) {
    for (n = 1; n <= nl; n++) {
        if (L[n] ~ /^[ \t]*(\*|\/\*|\/\/)/)
            continue # a comment line
        s = L[n]
        for (k = 1; k <= 6 && n + k <= nl; k++) s = s " " L[n + k]
        where = fname ":" n
        for (h = 1; h <= hn; h++) {
            if (hfile[h] != "*" && hfile[h] != fname) continue
            rest = L[n]; off = 0
            while ((p = index(rest, hfun[h] "(")) > 0) {
                pre = p > 1 ? substr(rest, p - 1, 1) : " "
                if (pre !~ /[A-Za-z0-9_]/) {
                    a = argument(s, off + p + length(hfun[h]), harg[h] + 0)
                    if (a == "\001" || a ~ /char \*/) {
                        # a declaration or a cut-off call
                    } else if (a ~ /"/) {
                        literals(a, where)
                    } else if (a == "NULL" && hfun[h] == "ps_err_set") {
                        # the rule is the name of the PS_E* code
                        code = argument(s, off + p + length(hfun[h]), 2)
                        if (code !~ /PS_E[A-Z]+/)
                            print "?VAR", where, "NULL with code " code
                        while (match(code, /PS_E[A-Z]+/)) {
                            print substr(code, RSTART + 3, RLENGTH - 3), where
                            code = substr(code, RSTART + RLENGTH)
                        }
                    } else if (hfun[h] == "ps_err_set" && !((fname " " a) in fwd)) {
                        print "?VAR", where, a
                    }
                }
                off += p + length(hfun[h])
                rest = substr(rest, p + length(hfun[h]) + 1)
            }
        }
        # ps_strlcpy(x.rule, "X", ...) and ps_strlcpy(res.code, "X", ...)
        rest = L[n]; off = 0
        while ((p = index(rest, "ps_strlcpy(")) > 0) {
            a = argument(s, off + p + 10, 1)
            if (a ~ /(^|[.>])(rule|code)$/)
                literals(argument(s, off + p + 10, 2), where)
            off += p + 10
            rest = substr(rest, p + 11)
        }
        # a code returned as an enum, to be set with ps_code_name()
        if (match(L[n], /return PS_CODE_[A-Z0-9_]+;/) && L[n] !~ /PS_CODE_(NONE|UNKNOWN);/)
            print substr(L[n], RSTART + 15, RLENGTH - 16), where
    }
    nl = 0
}
FNR == 1 && NR > 1 { flush() }
FNR == 1 { fname = FILENAME }
{ L[++nl] = $0 }
END { flush() }
' $files)

if [ "$list" -eq 1 ]; then
    printf '%s\n' "$uses" | grep -v '^?VAR' | sort
    printf '%s\n' "$uses" | grep '^?VAR' || true
    exit 0
fi

if [ ! -f "$table" ]; then
    echo "$table: missing"
    exit 2
fi
# The table: the names of PS_CODE_LIST, "X(NAME, SCOPE, "meaning")".
names=$(sed -n '/^#define PS_CODE_LIST/,/^$/p' "$table" |
    grep -o 'X([A-Z][A-Z0-9_]*,' | sed 's/^X(//; s/,$//')
if [ -z "$names" ]; then
    echo "$table: no X(NAME, SCOPE, \"meaning\") entries in PS_CODE_LIST"
    exit 2
fi

fail=0
bad=$(printf '%s\n' "$uses" | awk -v names="$names" '
BEGIN { n = split(names, v, "\n"); for (i = 1; i <= n; i++) known[v[i]] = 1 }
$1 == "?VAR" {
    a = $0; sub(/^\?VAR [^ ]* /, "", a)
    if (a ~ /^NULL with code /)
        printf "%s: ps_err_set() with no rule takes the name of code \"%s\", which a grep cannot know: give the rule\n", $2, substr(a, 16)
    else
        printf "%s: ps_err_set() takes its rule from \"%s\": list the helper in tests/codes/check_codes.sh (HELPERS, FORWARDS)\n", $2, a
    next
}
NF >= 2 && !($1 in known) {
    printf "%s: rule %s is not in the table (src/base/codes.h)\n", $2, $1
}')
if [ -n "$bad" ]; then
    printf '%s\n' "$bad"
    fail=1
fi

used=$(printf '%s\n' "$uses" | awk 'NF >= 2 && $1 != "?VAR" { print $1 }' | sort -u)
for name in $names; do
    if ! printf '%s\n' "$used" | grep -qx "$name"; then
        line=$(grep -n "X($name," "$table" | head -n 1 | cut -d: -f1)
        echo "$table:$line: code $name is used nowhere in src/ or formats/ (a dead code)"
        fail=1
    fi
done

count=$(printf '%s\n' "$names" | wc -l)
nuses=$(printf '%s\n' "$uses" | grep -c .)
if [ "$fail" -eq 0 ]; then
    echo "check_codes: $count codes, $nuses uses, all in the table"
fi
exit "$fail"

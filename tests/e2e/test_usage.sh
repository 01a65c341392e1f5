#!/bin/sh
# test_usage.sh -- the command line's usage contract (STYLE.md, issue 17):
# -h/--help on every command and group prints its own usage with an
# example and exits 0; an unknown command, subcommand or option exits 64
# and names the nearest valid one; a missing or extra argument exits 64.
# Needs no spool: usage is checked before anything is opened.
. "$(dirname "$0")/lib.sh"

# ---- the command list, from `payspool help` ----------------------------
expect 0 "$P" help
has "Run 'payspool COMMAND" "$T/out"
# The rows: two spaces, "command [subcommand]", then the summary.
sed -n 's/^  \([a-z][a-z-]*\)\( [a-z][a-z-]*\)\{0,1\}  .*/\1\2/p' "$T/out" |
    sed 's/ *$//' >"$T/cmds"
cp "$T/out" "$T/help"
# Every command of the README's table is there (19 of them).
for c in init business program customer account ewa tx ledger run job \
    status health payouts sandbox ach check files recon calendar; do
    if grep -q "^$c\( \|$\)" "$T/cmds"; then ok; else bad "help lacks $c"; fi
done
same "subcommands listed" "$(wc -l <"$T/cmds" | tr -d ' ')" \
    "$(grep -c '^  [a-z]' "$T/help")"

# ---- -h and --help on every command and subcommand ----------------------
while read -r cmd sub; do
    # shellcheck disable=SC2086
    for h in -h --help; do
        expect 0 "$P" $cmd $sub $h
        has "usage: payspool $cmd" "$T/out"
        if grep -qi "example" "$T/out"; then ok; else
            bad "payspool $cmd $sub $h: no example"
        fi
    done
    # Help wins over everything else on the line, even bad options.
    expect 0 "$P" $cmd $sub --no-such-option=1 -h
done <"$T/cmds"

# Groups: `payspool GROUP -h` lists its subcommands with examples.
for g in business program customer account ewa tx ledger job payouts \
    sandbox ach files calendar; do
    expect 0 "$P" "$g" -h
    has "usage: payspool $g" "$T/out"
    has "Examples:" "$T/out"
    expect 0 "$P" help "$g"
    has "usage: payspool $g" "$T/out"
    # A group without its subcommand is a usage error.
    expect 64 "$P" "$g"
    has "usage: payspool $g" "$T/err"
done
expect 0 "$P" help business add
has "Example:" "$T/out"
has "payspool business add harbor-north" "$T/out"

# ---- unknown command, subcommand, option: 64 and the nearest -------------
expect 64 "$P" flies list
has "did you mean 'files'" "$T/err"
expect 64 "$P" busines list
has "did you mean 'business'" "$T/err"
expect 64 "$P" frobnicate
has "nearest is '" "$T/err"
expect 64 "$P" cal next 2026-11-25
has "'calendar'" "$T/err"
expect 64 "$P" business lsit
has "did you mean 'list'" "$T/err"
expect 64 "$P" files list --limt 5
has "unknown option --limt" "$T/err"
has "did you mean '--limit'" "$T/err"
expect 64 "$P" customer show H-1 --busines acme
has "did you mean '--business'" "$T/err"
expect 64 "$P" --jsno business list
has "did you mean '--json'" "$T/err"
expect 64 "$P" business list --jsno
has "did you mean '--json'" "$T/err"
expect 64 "$P" business list -x
has "unknown option -x" "$T/err"
expect 64 "$P" help frobnicate

# ---- missing and extra arguments: 64, the missing one named -------------
expect 64 "$P" tx event
has "missing ID" "$T/err"
has "usage: payspool tx event ID EVENT" "$T/err"
expect 64 "$P" tx event 7d1a42
has "missing EVENT" "$T/err"
expect 64 "$P" business add
has "missing NAME" "$T/err"
expect 64 "$P" check
has "missing FILE" "$T/err"
expect 64 "$P" calendar holidays
expect 64 "$P" recon extra-word --business acme
has "unexpected argument 'extra-word'" "$T/err"
expect 64 "$P" business list --spool
has "needs a value" "$T/err"

# ---- no command, help, version --------------------------------------------
expect 64 "$P"
has "usage: payspool" "$T/err"
expect 0 "$P" --help
has "usage: payspool" "$T/out"
expect 0 "$P" -h
expect 0 "$P" --version
has "payspool " "$T/out"

finish

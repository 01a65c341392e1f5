#!/bin/sh
# test_cli_doc.sh -- docs/cli.md, the CLI reference, is what the command
# table generates (`payspool help --markdown`): a row added or changed in
# src/cli/cli.c without regenerating the page fails here.  Regenerate:
#   build/payspool help --markdown >docs/cli.md
. "$(dirname "$0")/lib.sh"
: "${PS_SOURCE:=$(cd "$(dirname "$0")/../.." && pwd)}"

expect 0 "$P" help --markdown
if diff -u "$PS_SOURCE/docs/cli.md" "$T/out" >"$T/diff"; then ok; else
    bad "docs/cli.md is not the table's (build/payspool help --markdown >docs/cli.md):"
    sed 's/^/    /' "$T/diff" | head -40 >&2
fi
# every row has its section, with its usage line and example
"$P" help | awk 'NR > 2 && /^$/ { exit } NR > 2 && /^  [a-z]/ {
    print substr($0, 3, 24) }' | sed 's/ *$//' >"$T/commands"
while read -r cmd; do
    has "^## $cmd\$" "$T/out"
    has "^payspool $cmd" "$T/out"
done <"$T/commands"
same "sections" "$(grep -c '^## ' "$T/out")" "$(wc -l <"$T/commands")"
# the plain help is unchanged by the option's existence
expect 0 "$P" help
has "^usage: payspool" "$T/out"

finish

#!/bin/sh
# cli_md.sh -- docs/cli.md, the CLI reference, made from the binary's own
# command table: `payspool help` for the list, `payspool CMD [SUB] -h`
# for each usage and example.  So the reference cannot drift from the
# code: the ctest `docs/cli_md` compares docs/cli.md with this output.
#
#   sh tests/docs/cli_md.sh build/payspool >docs/cli.md     regenerate
#   sh tests/docs/cli_md.sh build/payspool --check docs/cli.md
set -eu
P=${1:?usage: cli_md.sh PAYSPOOL_BIN [--check FILE]}
if [ "${2:-}" = "--check" ]; then
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
    sh "$0" "$P" >"$out"
    if cmp -s "$out" "${3:?--check FILE}"; then
        echo "docs/cli.md matches the command table"
        exit 0
    fi
    echo "docs/cli.md is out of date; regenerate it with" >&2
    echo "  sh tests/docs/cli_md.sh build/payspool >docs/cli.md" >&2
    diff -u "$3" "$out" | head -40 >&2
    exit 1
fi
# Stable output whatever the caller's environment says.
unset PAYSPOOL_SPOOL PAYSPOOL_DB PAYSPOOL_KEY PAYSPOOL_CONFIG PAYSPOOL_LOG
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cat <<'HEAD'
# payspool: the CLI reference

[Back to the README](../README.md) · made by `tests/docs/cli_md.sh` from
the command table (`src/cli/cli.c`); do not edit by hand. Conventions,
options and exit statuses: [usage.md](usage.md).

HEAD
"$P" help | sed -n '/^Options:/,$p' | sed 's/^/    /'
echo
"$P" help | awk -F '  +' '/^  [a-z]/ { print $2 }' | while IFS= read -r cmd; do
    # shellcheck disable=SC2086 # cmd is one or two words, split on purpose
    "$P" $cmd -h >"$tmp" 2>&1 || true
    printf '## payspool %s\n\n' "$cmd"
    # The summary (indented line after the usage), then usage and example.
    awk 'NR > 1 && /^  [^ ]/ && !s { sub(/^  /, ""); print; s = 1 }' "$tmp"
    echo
    printf '```\n'
    awk '/^usage:|^   or:/ { print } /^Example/ { e = 1; next } e && /^  / { sub(/^  /, ""); print "$ " $0 } /^$/ && e { e = 0 }' "$tmp"
    printf '```\n\n'
done
rm -f "$tmp"

#!/bin/sh
# test_migrate_equiv.sh -- issue 21, "Migration": a database of the
# previous schema (15), holding the demo's whole week
# (fixtures/store/v15-demo-week.db.gz, made by make-v15-demo-week.sh with
# a schema-15 binary), opened by this binary, which migrates it to its
# own schema; then every figure a migration must keep -- the trial
# balance, every ledger account's debits and credits, every EWA profile
# export, every reconciliation report of every business date -- is
# re-derived with the CLI (migrate_figures.sh) and must be identical to
# what schema 15 gave (v15-demo-week.golden).  `ledger verify` must agree
# on the migrated database.
#
# And the comparison can fail: the same run on throwaway copies of the
# fixture with rows changed as a wrong migration would change them (a fee
# entry off by a cent; a declined transaction turned settled) must not
# match the goldens.
. "$(dirname "$0")/lib.sh"
F="$PS_FIXTURES/store"
FIG="$(dirname "$0")/migrate_figures.sh"
latest=$("$P" --version | sed -n 's/.*(schema \([0-9]*\)).*/\1/p')
# The key file, private as the engine wants it.
cp "$F/v15-demo-week.key" "$T/key"
chmod 600 "$T/key"

# prepare NAME: the fixture's database in a fresh spool folder $T/NAME.
prepare() {
    mkdir -p "$T/$1"
    gzip -dc "$F/v15-demo-week.db.gz" >"$T/$1/payspool.db"
}
version() { sqlite3 "$T/$1/payspool.db" "SELECT max(version) FROM schema_version"; }
on() { # on NAME CMD...: the CLI on spool $T/NAME
    s=$1
    shift
    "$P" --spool "$T/$s" --db "$T/$s/payspool.db" --key "$T/key" "$@"
}

prepare m
same "fixture schema" "$(version m)" 15
# The first open migrates it.
expect 0 on m ledger verify
has "^all agree$" "$T/out"
same "migrated to this binary's schema" "$(version m)" "$latest"
ledger_verify_ok --spool "$T/m" --db "$T/m/payspool.db" --key "$T/key"
if sh "$FIG" "$T/m" "$T/key" >"$T/m.figures" 2>"$T/m.err"; then ok; else
    bad "migrate_figures.sh failed"
    cat "$T/m.err" >&2
fi
if diff -u "$F/v15-demo-week.golden" "$T/m.figures" >"$T/m.diff"; then ok; else
    bad "the migrated database's figures differ from schema 15's ($(grep -c '^[-+][^-+]' "$T/m.diff") lines):"
    head -n 60 "$T/m.diff" >&2
fi
for sec in "trial balance" accounts "ewa export northwind-logistics" \
    "recon northwind-logistics 2026-11-24"; do
    has "^== $sec\$" "$T/m.figures"
done
# Not a figure: the goldens must not hold a card or account number (runs
# of 12 or more digits outside the ids).
if sed 's/[0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}//g' \
    "$F/v15-demo-week.golden" | grep -qE '[0-9]{12,}'; then
    bad "a long digit run (card or account number?) in the goldens"
else ok; fi

# plant NAME SQL: a wrong migration, played by SQL on a throwaway copy
# of the fixture before it is opened: its figures must differ.
plant() {
    prepare "$1"
    sqlite3 "$T/$1/payspool.db" "$2" || bad "plant $1: $2"
    sh "$FIG" "$T/$1" "$T/key" >"$T/$1.figures" 2>/dev/null
    if cmp -s "$F/v15-demo-week.golden" "$T/$1.figures"; then
        bad "planted $1: the figures still match the goldens"
    else ok; fi
}
plant fee "UPDATE ledger_entries SET amount = amount + 1 WHERE id =
    (SELECT min(id) FROM ledger_entries WHERE memo = 'ewa fee')"
plant status "UPDATE transactions SET status = 'SETTLED' WHERE id =
    (SELECT min(id) FROM transactions WHERE status = 'DECLINED')"
ledger_verify_ok --spool "$T/m" --db "$T/m/payspool.db" --key "$T/key"
finish

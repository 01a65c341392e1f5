#!/bin/sh
# migrate_figures.sh SPOOL KEY -- the figures a schema migration must
# keep, re-derived with the CLI of $PAYSPOOL_BIN from the database in
# SPOOL (payspool.db; it may be migrated by this first open), on stdout,
# one section per figure:
#
#   trial balance    `ledger balance --json`, every business and each one
#   accounts         `ledger verify --accounts --json`: every ledger
#                    account's debits and credits by business, kind,
#                    customer and currency (not by row id), and whether
#                    all agree
#   ewa export       `ewa export` of each business with a program: every
#                    profile, keys sorted
#   recon            `recon` of each business on each business date of
#                    the database's job runs: the report's CSV, less
#                    what a report says of itself (its "generated" time:
#                    the pinned clock still moves a millisecond with each
#                    read, and a newer payspool reads it more often) and
#                    less the sections payspool added after schema 15
#                    (intake, intake_refused: figures of the files
#                    received, not of the ledger a migration moves)
#
# The clock is pinned (PAYSPOOL_NOW), so that what a report says about
# when it was made does not differ between two runs.  Writes reports and
# exports into SPOOL: run it on a copy.  Used by test_migrate_equiv.sh
# and by fixtures/store/make-v15-demo-week.sh, which writes the goldens.
set -eu
S=${1:?usage: migrate_figures.sh SPOOL KEY}
K=${2:?usage: migrate_figures.sh SPOOL KEY}
P=${PAYSPOOL_BIN:?PAYSPOOL_BIN must point at the payspool binary}
export PAYSPOOL_NOW=2026-11-30T12:00:00Z
unset PAYSPOOL_DB PAYSPOOL_KEY PAYSPOOL_CONFIG PAYSPOOL_CALENDAR PAYSPOOL_LOG
ps() { "$P" --spool "$S" --db "$S/payspool.db" --key "$K" "$@"; }

businesses=$(ps --json business list | jq -r '.[].name' | sort)
days=$(sqlite3 "$S/payspool.db" \
    "SELECT DISTINCT business_date FROM job_runs ORDER BY 1")

echo "== trial balance"
ps --json ledger balance | jq -c '.[]'
for b in $businesses; do
    echo "== trial balance $b"
    ps --json ledger balance --business "$b" | jq -c '.[]'
done

echo "== accounts"
ps --json ledger verify --accounts >"$S/verify.json" || true
jq -c '{agrees, differences, ledgerAccounts: .checked.ledgerAccounts,
        ewaProfiles: .checked.ewaProfiles}' "$S/verify.json"
jq -c '.accounts[] | [.business, .subject, .currency, .leftAmount,
        .rightAmount]' "$S/verify.json" | sort

for b in $businesses; do
    echo "== ewa export $b"
    if ps ewa export --business "$b" >"$S/export.out" 2>&1; then
        f=$(ls -t "$S/outbound/$b/exports/"*.jsonl | head -n 1)
        jq -S -c . "$f" | sort
    else
        echo "exit $?: $(sed 's/[0-9a-f-]\{36\}/<id>/g' "$S/export.out")"
    fi
done

# The report's figures: see "recon" above.
recon_figures() {
    sed -E 's/, generated [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z;/, generated (the time);/' |
        grep -Ev '^(intake|intake_refused),'
}

for b in $businesses; do
    for d in $days; do
        echo "== recon $b $d"
        if ps --json recon --business "$b" --date "$d" >"$S/recon.json" 2>"$S/recon.err"; then
            f=$(jq -r '.csv // .csvPath // .path // empty' "$S/recon.json")
            [ -n "$f" ] || f=$(ls -t "$S/outbound/$b/recon/"recon-*.csv | head -n 1)
            recon_figures <"$f"
        else
            echo "exit $?: $(cat "$S/recon.err")"
        fi
    done
done

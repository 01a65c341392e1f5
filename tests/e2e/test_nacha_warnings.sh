#!/bin/sh
# test_nacha_warnings.sh -- NACHA warnings through intake (issue 22): a
# file whose only problems are WARNINGs (here its trailing blanks were
# stripped in transit: a 75-byte file header, a 55-byte file control) is
# accepted and applied like the same file unstripped, and its warnings
# are recorded with it (the result trailer's options_used and the
# document.applied log line); with `strict` in the business's lenient
# list the same file is refused whole, its reason the warning's rule.
. "$(dirname "$0")/lib.sh"
export PAYSPOOL_LOG="$T/payspool.log"
export PAYSPOOL_NOW=2026-11-20T22:00:00Z
B=acme
IN="$PAYSPOOL_SPOOL/inbound/$B"
OUT="$PAYSPOOL_SPOOL/outbound/$B"
NF="$PS_FIXTURES/nacha"

"$P" init >/dev/null || exit 1
cat >"$PAYSPOOL_SPOOL.conf" <<CONF
[spool]
stable_seconds = 1
min_age_seconds = 0
[ach]
odfi_routing = 076401251
odfi_name = LAKESIDE BANK
[ach:acme]
company_id = 1555000111
company_name = ACME FREIGHT
CONF
expect 0 "$P" business add $B

drop() {
    cat >"$IN/$1" && touch "$IN/$1.done"
}
result() {
    ls "$OUT"/results/"$1".*.result.csv 2>/dev/null | tail -n 1
}
run_once() {
    sleep 1
    expect 0 "$P" run --once
}
# The acme credit file with every line's trailing blanks stripped.
sed 's/ *$//' "$NF/e2e/acme-credits.ach" >"$T/trimmed.ach"

expect 0 "$P" check "$T/trimmed.ach"
has "WARNING RECORD_TRIMMED" "$T/out"
expect 65 "$P" check --strict "$T/trimmed.ach"

drop trimmed.ach <"$T/trimmed.ach"
run_once
r=$(result trimmed.ach)
same "applied with warnings" "$(ls "$PAYSPOOL_SPOOL"/failed/$B/ 2>/dev/null |
    grep -c trimmed)" 0
same "warnings in the trailer" \
    "$(tail -n 1 "$r" | awk -F, '{ print $NF }' | cut -d: -f1)" "warnings=2"
has '"options_used": *"warnings=2:RECORD_TRIMMED"' "$PAYSPOOL_LOG"
# ... and in the file's row, as files show gives it
expect 0 "$P" files list --business "$B" --json
id=$(jq -r '.[] | select(.name == "trimmed.ach") | .id' "$T/out")
expect 0 "$P" files show "$id" --json
same "files show: the warnings" "$(jq -r .optionsUsed "$T/out")" \
    "warnings=2:RECORD_TRIMMED"
expect 0 "$P" files show "$id"
has "^options   warnings=2:RECORD_TRIMMED" "$T/out"

cat >>"$PAYSPOOL_SPOOL.conf" <<CONF
lenient = strict
CONF
sed 's/^\(1.\{32\}\)A/\1B/' "$T/trimmed.ach" | drop trimmed-strict.ach
sleep 1
expect 65 "$P" run --once
has "RECORD_TRIMMED" "$(ls "$PAYSPOOL_SPOOL"/failed/$B/trimmed-strict.ach*.reason)"

ledger_verify_ok
finish

#!/bin/sh
# test_archive_prune.sh -- `payspool archive prune`: the archive's date
# folders past the retention go, only what payspool wrote there, never
# failed/; a dry run removes nothing; no retention, no deletion.
. "$(dirname "$0")/lib.sh"
setup_business acme 5
drop() { # DATE FILE FIRST: a pstest file applied at DATE (frozen clock)
    pstest_file "$T/$2" "$3" 3 5
    cp "$T/$2" "$PAYSPOOL_SPOOL/inbound/acme/$2"
    touch "$PAYSPOOL_SPOOL/inbound/acme/$2.done"
    PAYSPOOL_NOW="$1T12:00:00Z" "$P" run --once >/dev/null 2>&1
}
drop 2020-01-10 old.txt 1
drop 2021-06-01 newer.txt 10
# A file rejected whole stays in failed/, whatever its age.
printf 'PSTEST 1\nTOTAL|1|1.00|USD\n' >"$PAYSPOOL_SPOOL/inbound/acme/bad.txt"
touch "$PAYSPOOL_SPOOL/inbound/acme/bad.txt.done"
PAYSPOOL_NOW=2020-01-11T12:00:00Z "$P" run --once >/dev/null 2>&1
A="$PAYSPOOL_SPOOL/archive"
same "two archived inputs" "$(find "$A" -name '*.gz.enc' | wc -l)" 2
old_id=$(sql "SELECT id FROM files WHERE name = 'old.txt'")
[ -n "$old_id" ] && ok || bad "no file row for old.txt"
# An operator's own note in an old folder is not payspool's to delete.
mkdir -p "$A/2019/03/04/acme"
echo "keep me" >"$A/2019/03/04/acme/NOTE.txt"
ls -R "$PAYSPOOL_SPOOL/failed" >"$T/failed.before"

export PAYSPOOL_NOW=2026-12-07T08:00:00Z
# No retention anywhere: nothing is deleted, the rule says why.
expect 78 "$P" archive prune
has RETENTION_NOT_SET "$T/err"
expect 65 "$P" archive prune --older-than 0
has NUMBER_RANGE "$T/err"
same "nothing removed" "$(find "$A" -name '*.gz.enc' | wc -l)" 2

# 2190 days before 2026-12-07 is 2020-12-08: 2020-01-10 goes, 2021 stays.
expect 0 "$P" archive prune --older-than 2190 --dry-run
has "would prune 1 archived inputs" "$T/out"
has "2020/01/10/acme/old.txt" "$T/out"
same "dry run removes nothing" "$(find "$A" -name '*.gz.enc' | wc -l)" 2
expect 0 "$P" archive prune --older-than 2190 --json
same "json files" "$(jq .files "$T/out")" 1
same "json kept" "$(jq .kept "$T/out")" 1
same "json path" "$(jq -r '.pruned[0].path' "$T/out" | sed 's#.*/archive/##;s#\.[0-9a-f]*\.gz\.enc$##')" \
    "2020/01/10/acme/old.txt"
# The emptied day and month folders go; 2020 itself holds days still
# inside the retention (2020-12-31 is after 2020-12-08): it stays.
[ -d "$A/2020/01" ] && bad "the emptied 2020/01 folder is still there" || ok
[ -d "$A/2020" ] && ok || bad "2020 went, yet its December is inside retention"
same "2021 kept" "$(find "$A/2021" -name 'newer.txt.*.gz.enc' | wc -l)" 1
same "its .sha256 kept" "$(find "$A/2021" -name '*.gz.enc.sha256' | wc -l)" 1
has "keep me" "$A/2019/03/04/acme/NOTE.txt"
ls -R "$PAYSPOOL_SPOOL/failed" >"$T/failed.after"
same "failed/ untouched" "$(cmp -s "$T/failed.before" "$T/failed.after" && echo same)" same
# The document's record stays; its archive is said to be gone.
expect 0 "$P" files show "$old_id"
expect 66 "$P" archive show "$old_id"
has ARCHIVE_GONE "$T/err"
# The configured retention serves when --older-than is not given.
awk '/^\[spool\]/ { print; print "archive_retention_days = 1"; next } 1' \
    "$PAYSPOOL_SPOOL.conf" >"$T/conf" && cp "$T/conf" "$PAYSPOOL_SPOOL.conf"
expect 0 "$P" archive prune --config "$PAYSPOOL_SPOOL.conf"
has "pruned 1 archived inputs" "$T/out"
same "all pruned" "$(find "$A" -name '*.gz.enc' | wc -l)" 0
has "keep me" "$A/2019/03/04/acme/NOTE.txt"
finish

#!/bin/sh
# test_recon_html.sh -- the reconciliation report in a browser: the nightly
# fixture cycle (fixtures/ewa-nightly, plus one file no reader takes) for
# Friday 2026-11-20 and, after the sandbox processor's answers, Monday
# 2026-11-23; each day's HTML page is opened in headless Chromium, and
# every cell of every row of the CSV of the same report (parsed with
# sqlite3's CSV import, not by hand) must be in the rendered row of the
# same number (data-row).  The page must reference nothing outside
# itself.  Screenshots are kept in <build>/artifacts/.
. "$(dirname "$0")/lib.sh"
: "${PS_FIXTURES:=$(cd "$(dirname "$0")/../../fixtures" && pwd)}"
: "${PS_BUILD:=$PS_TMP/..}"

if ! command -v chromium >/dev/null 2>&1; then
    bad "chromium is not installed: this test opens the HTML report in" \
        "headless Chromium; run 'make deps' (make test does) or" \
        "'apt-get install chromium'"
    finish
fi

NIGHTLY_DIR="$PS_FIXTURES/ewa-nightly"
. "$NIGHTLY_DIR/setup.sh"
export PAYSPOOL_LOG="$T/payspool.log"
export PAYSPOOL_JOBS="$PS_FIXTURES/../jobs"
printf '[spool]\nsandbox = yes\n' >"$PAYSPOOL_SPOOL.conf"
nightly_setup || exit 1
OUT="$PAYSPOOL_SPOOL/outbound"
B=$NIGHTLY_PARENT
ART="$PS_BUILD/artifacts"
mkdir -p "$ART" || exit 1

for stage in $NIGHTLY_STAGES; do
    for b in $NIGHTLY_BUSINESSES; do
        f=$(nightly_file "$b" "$stage")
        [ -n "$f" ] && nightly_drop "$b" "$f"
    done
done
# A file no reader takes: refused whole, by code, in the intake section.
printf 'this is not a payroll file\n' >"$T/notes-2026-11-20.txt"
nightly_drop "$B" "$T/notes-2026-11-20.txt"
nightly_clock disbursements
expect 0 "$P" job run nightly-ewa --date 2026-11-20
expect 0 "$P" sandbox provider --date 2026-11-23
PAYSPOOL_NOW=2026-11-23T23:40:00Z expect 0 "$P" job run nightly-ewa \
    --date 2026-11-23

# chrome_run ARGS...: headless Chromium on its own profile (as root it
# needs --no-sandbox); its chatter (dbus) goes to $T/chrome.log.
chrome_run() {
    HOME="$T/home" chromium --headless --no-sandbox --disable-gpu \
        --user-data-dir="$T/chrome" --window-size=1280,2000 "$@" \
        2>>"$T/chrome.log"
}

# cells N: the text cells of CSV row N (1 = after the header), one a line,
# without the apostrophe that neutralises formulas.
cells() {
    sqlite3 "$T/csv.db" "SELECT c FROM (SELECT file AS c, 1 AS k FROM r
        WHERE rowid = $1 UNION ALL SELECT program, 2 FROM r WHERE rowid = $1
        UNION ALL SELECT rail, 3 FROM r WHERE rowid = $1
        UNION ALL SELECT type, 4 FROM r WHERE rowid = $1
        UNION ALL SELECT from_status, 5 FROM r WHERE rowid = $1
        UNION ALL SELECT status, 6 FROM r WHERE rowid = $1
        UNION ALL SELECT ledger_kind, 7 FROM r WHERE rowid = $1
        UNION ALL SELECT eligibility, 8 FROM r WHERE rowid = $1
        UNION ALL SELECT age_bucket, 9 FROM r WHERE rowid = $1
        UNION ALL SELECT reference, 10 FROM r WHERE rowid = $1
        UNION ALL SELECT currency, 11 FROM r WHERE rowid = $1
        UNION ALL SELECT count, 12 FROM r WHERE rowid = $1
        UNION ALL SELECT amount, 13 FROM r WHERE rowid = $1
        UNION ALL SELECT fee, 14 FROM r WHERE rowid = $1
        UNION ALL SELECT detail, 15 FROM r WHERE rowid = $1)
        WHERE c <> '' ORDER BY k" | sed "s/^'//"
}

# check_page DAY: the page of BUSINESS's report for DAY against its CSV.
check_page() {
    csv=$(ls "$OUT/$B"/recon/recon-"$B"-"$1"-*.csv | tail -n 1)
    html=${csv%.csv}.html
    for s in "" .sha256 .done; do
        [ -f "$html$s" ] && ok || bad "missing $html$s"
    done
    (cd "$(dirname "$html")" && sha256sum -c "$(basename "$html").sha256" \
        >/dev/null) && ok || bad "sha256 of $html"
    # Nothing external: no URL scheme, no protocol-relative reference, no
    # script.
    if grep -Eiq 'https?:|//|<script|src=|@import|url\(' "$html"; then
        bad "$html references something outside itself:" \
            "$(grep -Eio '.{0,30}(https?:|//|<script|src=|@import|url\().{0,30}' \
                "$html" | head -3)"
    else
        ok
    fi
    if grep -q '4111111111111111\|[0-9]\{13,19\}' "$html"; then
        bad "a card-like number in $html"
    else
        ok
    fi
    # The CSV, through sqlite3's CSV reader (header row = column names).
    rm -f "$T/csv.db"
    sqlite3 "$T/csv.db" ".import --csv '$csv' r" || { bad "import $csv"; return; }
    rows=$(sqlite3 "$T/csv.db" "SELECT count(*) FROM r")
    [ "$rows" -gt 10 ] && ok || bad "only $rows rows in $csv"
    # The rendered page: Chromium's DOM after layout.
    chrome_run --dump-dom "file://$html" >"$T/dom.html" || bad "chromium failed"
    shot="$ART/recon-$1.png"
    rm -f "$shot"
    chrome_run --screenshot="$shot" "file://$html" >/dev/null
    [ -s "$shot" ] && ok || bad "no screenshot $shot"
    echo "screenshot: $shot"
    n=1
    missing=0
    while [ "$n" -le "$rows" ]; do
        section=$(sqlite3 "$T/csv.db" "SELECT section FROM r WHERE rowid = $n")
        text=$(xmllint --html --xpath "string(//*[@data-row='$n'])" \
            "$T/dom.html" 2>/dev/null)
        if [ -z "$text" ]; then
            bad "$1: CSV row $n ($section) is not on the page"
            missing=$((missing + 1))
        fi
        cells "$n" >"$T/cells"
        while IFS= read -r cell; do
            if printf '%s' "$text" | grep -qF -- "$cell"; then ok; else
                bad "$1: row $n ($section): '$cell' not in the page's row:" \
                    "$text"
            fi
        done <"$T/cells"
        n=$((n + 1))
    done
    [ "$missing" -eq 0 ] && ok
    # The page's sections, as a reader sees them.
    for h in "Ledger trial balance" "Ledger positions" \
        "Status movements of the day" "Outbound files against their controls" \
        "Unmatched items" "Late items" "ACH returns and NACHA return rates" \
        "EWA receivables by age" "Intake of the day"; do
        has "$h" "$T/dom.html"
    done
    has '<svg' "$T/dom.html"
}

check_page 20261120
# Friday: the day's intake, the refused file by its code, the items of
# the files sent awaiting an answer.
csv=$(ls "$OUT/$B"/recon/recon-"$B"-20261120-*.csv | tail -n 1)
has '^intake_refused,,,,FILE,,REJECTED,,,,UNRECOGNIZED_FORMAT,,1,' "$csv"
has '^intake,,,,.*,APPLIED,' "$csv"
has 'UNRECOGNIZED_FORMAT' "$T/dom.html"
has 'debit return rate' "$T/dom.html"
has 'EWA receivables by age, USD' "$T/dom.html"
check_page 20261123
# Monday: the card file answered and settled, the movements drawn.
has 'Status changes of the day by new status' "$T/dom.html"
has '>SETTLED<' "$T/dom.html"
cp "$ART/recon-20261120.png" "$ART/recon.png" && ok
echo "screenshot: $ART/recon.png"
finish

#!/bin/sh
# run.sh -- `make bench`: the benchmarks of the payspool binary.  Numbers,
# not pass/fail: timing never gates a test.  Usage: run.sh PAYSPOOL_BIN
# (the generators and store_floor are built beside it).  What each part
# measures, and the figures measured so far: docs/benchmarks.md.
#
# Parts (PS_BENCH_PARTS, default all, in this order):
#   intake   issue 21 (a) and (b): REQUESTS disbursement requests over
#            EMPLOYEES enrolled employees in random employee order, spool
#            to result file with `payspool run --once`, as CSV, as a NACHA
#            PPD file and as a pain.001.001.09 (the same records,
#            tests/bench/bench_seq.h), each on a fresh copy of the same
#            roster database
#   floor    issue 21 (c): SQLite alone writing the same number of records
#            (store_floor): today's row model (+ ledger, 4 KiB pages) and
#            issue 21's transfer model (4 and 16 KiB pages)
#   nightly  issue 21 (d): NIGHTLY disbursements applied, then the nightly
#            steps one by one: payouts, the sandbox provider's answers,
#            applying them (`run --once`), recon, EWA export, and then
#            `ledger verify` (its cost at that size); each step RUNS
#            times from a copy of the database as it was before it
#   readers  the readers alone: pstest intake of growing files, the CSV
#            reader against libcsv, the NACHA reader, `payspool check` of
#            a pain.001 and of a PPD file
#   iso-e2e  opt-in, not in the default list (about 10 minutes a round):
#            tests/bench/iso_e2e.sh, a pain.001 against the same records
#            as CSV and pstest files through `run --once`, medians of 3
#            rounds; PS_BENCH_ISO_E2E_TXS records (1,000,000)
#
# Every figure is RUNS runs (PS_BENCH_RUNS, default 3), each printed with
# the 1-minute load average read just before it, then their median (by
# wall time) and the largest peak RSS.
#
# Sizes (environment): PS_BENCH_SIZE=N sets them all at once for a quick
# run (requests N, employees N/10 but at least 100, nightly 2N, readers
# N); or one by one: PS_BENCH_REQUESTS (1,000,000), PS_BENCH_EMPLOYEES
# (100,000), PS_BENCH_NIGHTLY (2,000,000), PS_BENCH_SIZES (pstest files,
# "100000 400000"), PS_BENCH_CSV_ROWS, PS_BENCH_NACHA_ENTRIES,
# PS_BENCH_ISO_TXS (1,000,000 each).
set -eu
P=${1:?usage: run.sh PAYSPOOL_BIN}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$(dirname "$P")" && pwd)
export PAYSPOOL_BIN="$P" PS_TMP="${TMPDIR:-/tmp}/payspool-bench"
mkdir -p "$PS_TMP"
. "$here/../e2e/lib.sh"

size=${PS_BENCH_SIZE:-}
if [ -n "$size" ]; then
    emp_def=$((size / 10 < 100 ? 100 : size / 10))
    req_def=$size night_def=$((2 * size)) read_def=$size
    sizes_def="$size"
else
    emp_def=100000 req_def=1000000 night_def=2000000 read_def=1000000
    sizes_def="100000 400000"
fi
n_emp=${PS_BENCH_EMPLOYEES:-$emp_def}
n_req=${PS_BENCH_REQUESTS:-$req_def}
n_night=${PS_BENCH_NIGHTLY:-$night_def}
runs=${PS_BENCH_RUNS:-3}
parts=${PS_BENCH_PARTS:-intake floor nightly readers}
B=ewa-bench

load1() { cut -d' ' -f1 /proc/loadavg; }
want() { case " $parts " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", (s > 0) ? n / s : 0 }'; }

row() { # NAME RUN RECORDS SECONDS RSS LOAD [NOTE]
    printf '%-30s %6s %9s %9s %10s %10s %6s %s\n' "$1" "$2" "$3" "$4" \
        "$(rate "$3" "$4")" "$5" "$6" "${7:-}"
}

# timed NAME RECORDS CMD...: one run of CMD under GNU time, its row, and
# "seconds rss load" appended to $T/runs.  CMD's exit status is shown
# when it is not 0 (a pain.001 with refused records exits 65).
timed() {
    name=$1 n=$2
    shift 2
    l=$(load1)
    rc=0
    /usr/bin/time -f '%e %M %U %S' -o "$T/time" "$@" >"$T/cmd.out" \
        2>"$T/cmd.err" || rc=$?
    # the last line: GNU time puts "Command exited with non-zero status
    # N" before it when CMD fails
    read -r secs rss usr sys <<EOF || {
$(tail -n 1 "$T/time")
EOF
        cat "$T/time" "$T/cmd.err" >&2
        exit 1
    }
    run_no=$((run_no + 1))
    # CPU seconds (user + sys): what the load of other work on the
    # shared cores changes least.
    note="cpu $(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
    [ "$rc" -eq 0 ] || note="$note (exit $rc)"
    row "$name" "$run_no" "$n" "$secs" "$rss" "$l" "$note"
    echo "$secs $rss $l" >>"$T/runs"
}

# median NAME RECORDS: the median of $T/runs by wall time, the largest RSS,
# the loads; then $T/runs is emptied.  Sets $med_secs.
median() {
    med_secs=$(sort -n "$T/runs" | awk '{ s[NR] = $1 } END { print s[int((NR + 1) / 2)] }')
    max_rss=$(sort -n -k2 "$T/runs" | tail -n 1 | cut -d' ' -f2)
    loads=$(cut -d' ' -f3 "$T/runs" | paste -sd/ -)
    row "$1" median "$2" "$med_secs" "$max_rss" "$loads"
    : >"$T/runs"
    run_no=0
}
run_no=0
: >"$T/runs"

header() {
    echo
    printf '%-30s %6s %9s %9s %10s %10s %6s\n' "$1" run records seconds \
        records/s maxrss_kb load1
}

# restore: the spool as it was saved in $T/$1 (a copy of the spool folder:
# database, inbound, outbound).
save() { rm -rf "${T:?}/$1" && cp -a "$PAYSPOOL_SPOOL" "$T/$1"; }
restore() { rm -rf "${PAYSPOOL_SPOOL:?}" && cp -a "$T/$1" "$PAYSPOOL_SPOOL"; }

# drop FILE NAME: into the business's inbound folder, with its .done.
drop() {
    cp "$1" "$PAYSPOOL_SPOOL/inbound/$B/$2"
    touch "$PAYSPOOL_SPOOL/inbound/$B/$2.done"
}

# counts of the result file of input NAME (its trailer line)
result_counts() {
    res=$(ls "$PAYSPOOL_SPOOL/outbound/$B/results/$1".*.result.csv 2>/dev/null |
        head -n 1)
    [ -n "$res" ] || return 0
    tail -n 1 "$res" | awk -F, '{ printf "  %s: %s records, %s accepted, %s rejected, %s duplicate\n", "'"$1"'", $5, $6, $7, $8 }'
}

echo "payspool $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, SQLite $(sqlite3 --version | cut -d' ' -f1)"
echo "sizes: $n_req requests over $n_emp employees; nightly $n_night; $runs runs a figure"

# ---- the roster database every intake and nightly run starts from -------
if want intake || want nightly; then
    "$P" init >/dev/null
    cat >"$PAYSPOOL_SPOOL.conf" <<CONF
[spool]
stable_seconds = 1
min_age_seconds = 0
poll_seconds = 1
sandbox = yes
CONF
    "$P" business add "$B" >/dev/null
    "$P" program add --business "$B" --name "Bench EWA" --currency USD \
        --advance-rate 50% --min 1.00 --max 500.00 --period-cap 2000.00 \
        --max-outstanding 3000.00 --fee-card 2.99 --fee-ach 0.00 >/dev/null
    "$bin/bench_gen" "$T/roster.csv" "$T/requests.csv" "$n_emp" "$n_req" 1
    drop "$T/roster.csv" roster.csv
    header "roster (setup, once)"
    timed "ewa roster (csv)" "$n_emp" "$P" run --once --log-level warn
    : >"$T/runs"
    run_no=0
    save base
fi

# ---- (a), (b): spool to result file, CSV, NACHA PPD, pain.001 -----------
if want intake; then
    "$bin/nacha_gen" --bench "$n_req" "$T/requests.ach" "$n_emp" 1
    "$bin/iso_gen" --bench "$n_req" "$T/requests.xml" "$n_emp" 1
    n_iso=$(grep -c '<CdtTrfTxInf>' "$T/requests.xml")
    header "intake (issue 21 a, b)"
    for fmt in csv ach xml; do
        n=$n_req
        [ "$fmt" = xml ] && n=$n_iso
        case $fmt in
        csv) name="ewa requests (csv)" ;;
        ach) name="ewa requests (nacha ppd)" ;;
        xml) name="payments (pain.001)" ;;
        esac
        i=0
        while [ "$i" -lt "$runs" ]; do
            restore base
            drop "$T/requests.$fmt" "requests.$fmt"
            timed "$name" "$n" "$P" run --once --log-level warn
            i=$((i + 1))
        done
        result_counts "requests.$fmt"
        median "$name" "$n"
        [ "$fmt" = csv ] && csv_secs=$med_secs
    done
    rm -f "$T/requests.ach" "$T/requests.xml"
fi

# ---- (c): SQLite's floor, the same records ------------------------------
if want floor; then
    echo
    echo "store floor (issue 21 c): sqlite alone, $n_req records over $n_emp profiles"
    : >"$T/floor"
    i=0
    while [ "$i" -lt "$runs" ]; do
        l=$(load1)
        STORE_FLOOR_MODELS=ledger,transfer "$bin/store_floor" "$T" \
            "$n_req" "$n_emp" 4096 >"$T/floor.out"
        STORE_FLOOR_MODELS=transfer "$bin/store_floor" "$T" "$n_req" \
            "$n_emp" 16384 | tail -n +2 >>"$T/floor.out"
        i=$((i + 1))
        tail -n +2 "$T/floor.out" | sed "s/\$/   load $l (run $i)/"
        tail -n +2 "$T/floor.out" >>"$T/floor"
    done
    # median seconds per model and page size
    awk '{ m = $0; sub(/ +[0-9.]+ s .*/, "", m); sub(/^ +/, "", m)
           s[m] = s[m] " " $(NF - 3) }
         END { for (m in s) print m "|" s[m] }' "$T/floor" | sort |
        while IFS='|' read -r m list; do
            med=$(echo "$list" | tr ' ' '\n' | grep . | sort -n |
                awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
            printf '  median %-34s %8s s %10s records/s\n' "$m" "$med" \
                "$(rate "$n_req" "$med")"
            case $m in "transfer (i21)"*16384*) echo "$med" >"$T/floor.new" ;; esac
        done
    if [ -n "${csv_secs:-}" ] && [ -s "$T/floor.new" ]; then
        awk -v c="$csv_secs" -v f="$(cat "$T/floor.new")" 'BEGIN {
            printf "  csv intake / floor of the transfer model (16 KiB): %.2f (issue 21 asks at least 0.75)\n", f / c }'
    fi
fi

# ---- (d): the nightly steps on NIGHTLY disbursements --------------------
if want nightly; then
    restore base
    "$bin/bench_gen" "$T/roster-n.csv" "$T/nightly.csv" "$n_emp" "$n_night" 2
    rm -f "$T/roster-n.csv"
    drop "$T/nightly.csv" nightly.csv
    header "nightly (issue 21 d), setup"
    timed "ewa requests (csv)" "$n_night" "$P" run --once --log-level warn
    : >"$T/runs"
    run_no=0
    result_counts nightly.csv
    rm -f "$T/nightly.csv"
    n_disb=$(sql "SELECT count(*) FROM transactions WHERE business_id =
        (SELECT id FROM businesses WHERE name = '$B')")
    header "nightly steps on $n_disb disbursements"
    for step in "payouts run --business $B" \
        "sandbox provider --business $B" "run --once --log-level warn" \
        "recon --business $B" "ewa export --business $B" \
        "ledger verify --business $B"; do
        n=$n_disb
        case $step in
        "ewa export"*) n=$n_emp ;;
        esac
        name=${step%% --*}
        [ "$name" = "run" ] && name="run --once (answers)"
        save before-step
        i=0
        while [ "$i" -lt "$runs" ]; do
            [ "$i" -eq 0 ] || restore before-step
            # shellcheck disable=SC2086 # the step is words on purpose
            timed "$name" "$n" "$P" $step
            i=$((i + 1))
        done
        median "$name" "$n"
    done
    rm -rf "${T:?}/before-step"
fi

# ---- the readers alone ----------------------------------------------------
if want readers; then
    rm -rf "${T:?}/base" "${PAYSPOOL_SPOOL:?}" "$PAYSPOOL_SPOOL.conf"
    setup_business bench 100
    header "spool intake (pstest)"
    for n in ${PS_BENCH_SIZES:-$sizes_def}; do
        pstest_file "$T/in-$n.txt" "$((n * 10))" "$n" 100
        cp "$T/in-$n.txt" "$PAYSPOOL_SPOOL/inbound/bench/in-$n.txt"
        touch "$PAYSPOOL_SPOOL/inbound/bench/in-$n.txt.done"
        timed "spool intake (pstest)" "$n" "$P" run --once --log-level warn
        : >"$T/runs"
        run_no=0
    done

    echo
    "$bin/csv_bench" "${PS_BENCH_CSV_ROWS:-$read_def}"

    # NACHA reader: a PPD file of PS_BENCH_NACHA_ENTRIES entries (10,000 a
    # batch, an addenda 05 on every tenth), read by nacha_bench (best of
    # 5), then once more under GNU time for peak RSS.
    echo
    n_ach=${PS_BENCH_NACHA_ENTRIES:-$read_def}
    "$bin/nacha_gen" "$n_ach" "$T/bench.ach"
    "$bin/nacha_bench" "$T/bench.ach" 5
    /usr/bin/time -v "$bin/nacha_bench" "$T/bench.ach" 1 \
        2>"$T/time-nacha" >/dev/null
    awk -F: '/Maximum resident set size/ { printf "nacha reader peak RSS: %d KB\n", $2 }' \
        "$T/time-nacha"
    header "payspool check"
    i=0
    while [ "$i" -lt "$runs" ]; do
        timed "check (nacha ppd)" "$n_ach" "$P" check "$T/bench.ach"
        i=$((i + 1))
    done
    median "check (nacha ppd)" "$n_ach"
    rm -f "$T/bench.ach"
    n_iso=${PS_BENCH_ISO_TXS:-$read_def}
    "$bin/iso_gen" "$n_iso" "$T/bench.xml"
    i=0
    while [ "$i" -lt "$runs" ]; do
        timed "check (pain.001)" "$n_iso" "$P" check "$T/bench.xml"
        i=$((i + 1))
    done
    median "check (pain.001)" "$n_iso"
    rm -f "$T/bench.xml"
fi
if want iso-e2e || [ -n "${PS_BENCH_ISO_E2E_TXS:-}" ]; then
    echo
    sh "$here/iso_e2e.sh" "$P" "${PS_BENCH_ISO_E2E_TXS:-1000000}" \
        "${PS_BENCH_EMPLOYEES:-100000}" 3
fi
finish >/dev/null

#!/bin/sh
# test_result_durability.sh -- the payspool binary writing a result file
# under fsync_shim.so (LD_PRELOAD=$PS_SHIM_PRELOAD, set by CMake, for the
# one payspool command only): the shim's log ($PS_SHIM_LOG) must show, for
# the result file NAME, NAME.sha256 and NAME.done in that order, the
# temporary file fsynced before its rename into place and the results
# folder fsynced after the rename, before the next file's; NAME.done
# last.  The same check as test_output_durability.c, through a real
# intake run rather than a direct call.
. "$(dirname "$0")/../e2e/lib.sh"
: "${PS_SHIM_PRELOAD:?PS_SHIM_PRELOAD must name fsync_shim.so (and libasan first under ASan)}"

setup_business acme 3
IN="$PAYSPOOL_SPOOL/inbound/acme"
OUT="$PAYSPOOL_SPOOL/outbound/acme/results"
LOG="$T/shim.log"

pstest_file "$T/pay.txt" 1 5 3
cp "$T/pay.txt" "$IN/pay.txt"
touch "$IN/pay.txt.done"
LD_PRELOAD="$PS_SHIM_PRELOAD" PS_SHIM_LOG="$LOG" "$P" run --once \
    >"$T/out" 2>"$T/err"
same "run exit" "$?" 0
[ -s "$LOG" ] && ok || {
    bad "the shim logged nothing: is $PS_SHIM_PRELOAD loaded?"
    finish
}
res=$(ls "$OUT"/pay.txt.*.result.csv 2>/dev/null)
[ -n "$res" ] && [ -f "$res.done" ] && ok || { bad "no result file"; finish; }
dir=$(cd "$OUT" && pwd -P)
name=$(basename "$res")

# check FINAL NEXT: FINAL put in place (rename or link) exactly once, its
# temporary name fsynced before, the folder fsynced after it and before
# the placement of NEXT ("" when FINAL is the last).  Prints the
# placement's line number, or a diagnosis starting with "FAIL".
check() {
    awk -v final="$dir/$1" -v next_="${2:+$dir/$2}" -v dir="$dir" '
    { ev[NR] = $0; call[NR] = $1; a[NR] = $2; b[NR] = $3; rc[NR] = $NF }
    function placing(i) {
        return (call[i] == "renameat2" || call[i] == "renameat" ||
                call[i] == "rename" || call[i] == "linkat") && rc[i] == 0
    }
    function syncs(i) {
        return (call[i] == "fsync" || call[i] == "fdatasync") && rc[i] == 0
    }
    END {
        at = 0; n = 0; nx = NR + 1
        for (i = 1; i <= NR; i++) {
            if (placing(i) && b[i] == final) { at = i; n++ }
            if (next_ != "" && placing(i) && b[i] == next_) nx = i
        }
        if (n != 1) { print "FAIL " final " placed " n " times"; exit }
        tmp = a[at]; synced = 0
        for (i = 1; i < at; i++) if (syncs(i) && a[i] == tmp) synced = i
        if (!synced) {
            print "FAIL " final ": " tmp " not fsynced before its rename"
            exit
        }
        dsync = 0
        for (i = at + 1; i < nx; i++) if (syncs(i) && a[i] == dir) dsync = i
        if (!dsync) {
            print "FAIL " final ": folder not fsynced after its rename"
            exit
        }
        print at
    }' "$LOG"
}

c=$(check "$name" "$name.sha256")
s=$(check "$name.sha256" "$name.done")
d=$(check "$name.done" "")
for r in "$c" "$s" "$d"; do
    case $r in
    FAIL*) bad "${r#FAIL }" ;;
    *) ok ;;
    esac
done
case "$c$s$d" in
*FAIL*) sed 's/^/    /' "$LOG" >&2 ;;
*)
    [ "$c" -lt "$s" ] && ok || bad "$name.sha256 renamed before $name"
    [ "$s" -lt "$d" ] && ok || bad "$name.done renamed before $name.sha256"
    ;;
esac
finish

#!/bin/sh
# Instructions per buddy-allocator operation, counted by callgrind: exact
# and repeatable on a busy machine, unlike time. Each scenario of
# tests/bench/bench_buddy.c runs twice, with N and 2N operations; the
# difference in instructions over the difference in operations is the cost
# of one operation, free of set-up. (d) is measured against a run that only
# sets up, and (e) against (d), which it contains.
#
#   tools/bench_callgrind.sh BENCH [--peer]
#
# --peer counts the peer allocator's instructions instead (a BENCH built
# with BUDDY_PEER=, see mk/host.mk).
set -eu
bench=$1
peer=${2:-}
n=${CALLGRIND_OPS:-100000}

instructions() {    # scenario ops -> "instructions operations"
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" $peer --only "$1" --ops "$2" \
        >/dev/null 2>"$out"
    ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out")
    ops=$(sed -n 's/^ops \([0-9]*\)$/\1/p' "$out")
    rm -f "$out"
    echo "$ir ${ops:-0}"
}

if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind: valgrind is not installed (make deps); skipping instruction counts"
    exit 0
fi
echo "buddy allocator${peer:+: the peer}, instructions per operation (callgrind, -O2)"
for s in a b c; do
    set -- $(instructions $s $n); ir1=$1 ops1=$2
    set -- $(instructions $s $((2 * n))); ir2=$1 ops2=$2
    echo "  ($s) $(( (ir2 - ir1) / (ops2 - ops1) )) instructions/op"
done
set -- $(instructions x 0); ir0=$1
set -- $(instructions d 0); ird=$1 opsd=$2
set -- $(instructions e 0); ire=$1
echo "  (d) $(( (ird - ir0) / opsd )) instructions/op"
echo "  (e) $(( (ire - ird) / opsd )) instructions/op"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A short run of one libFuzzer target for make test, installed once per target as
# $BUILD/tests/test_fuzz_NAME, which runs $BUILD/fuzz-NAME (tests/fuzz/NAME.c): the seed
# corpus tests/fuzz/corpus/NAME, then a fixed number of mutated inputs from a fixed seed, or
# 20 seconds, whichever comes first (a few seconds each here). New inputs go to a temporary
# directory, never into the committed corpus.
set -u
BUILD=${BUILD:-build}
target=${0##*/test_fuzz_}
name=fuzz_$target
fuzzer=$BUILD/fuzz-$target

# Inputs per run: 4 to 6 s each on the machine this was written on (exec/s differ by 4x).
case $target in
config) runs=1000000 ;;
dns) runs=1000000 ;;
natpmp) runs=250000 ;;
upnp) runs=250000 ;;
*)
	echo "FAIL: $name: no such fuzz target (installed as $0?)"
	exit 1
	;;
esac
dict=()
[ -f "tests/fuzz/$target.dict" ] && dict=(-dict="tests/fuzz/$target.dict")

if [ ! -x "$fuzzer" ]; then
	echo "FAIL: $name: $fuzzer not built (make $fuzzer)"
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Crash inputs are written to the temporary directory too (-artifact_prefix).
if "$fuzzer" -runs=$runs -max_total_time=20 -seed=1 "${dict[@]}" -artifact_prefix="$work/" \
	"$work" "tests/fuzz/corpus/$target" >"$work/log" 2>&1; then
	echo "PASS: $name"
	grep -E '^Done [0-9]+ runs' "$work/log" | sed "s/^/$name: /"
else
	echo "FAIL: $name: the fuzzer found a crash; its report:"
	# From the broken promise (tests/fuzz/NAME.c), or the sanitizer's or libFuzzer's first
	# line, to its summary, without ASan's legend.
	sed -n '/^broken promise: \|ERROR: \|runtime error: /,/^SUMMARY: /p' "$work/log" |
		head -n 40
	for crash in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -f "$crash" ] || continue
		echo "input ($crash), as hex:"
		od -An -tx1 "$crash" | head -n 20
	done
	exit 1
fi

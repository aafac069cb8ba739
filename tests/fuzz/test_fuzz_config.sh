#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A short run of the config parser's libFuzzer target (tests/fuzz/config.c) for make test,
# installed as $BUILD/tests/test_fuzz_config: the seed corpus, then a million mutated inputs
# or 20 seconds, whichever comes first (some 7 s). New inputs go to a temporary directory,
# never into the committed corpus.
set -u
BUILD=${BUILD:-build}
fuzzer=$BUILD/fuzz-config
name=fuzz_config

if [ ! -x "$fuzzer" ]; then
	echo "FAIL: $name: $fuzzer not built (make $fuzzer)"
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Crash inputs are written to the temporary directory too (-artifact_prefix).
if "$fuzzer" -runs=1000000 -max_total_time=20 -seed=1 -dict=tests/fuzz/config.dict \
	-artifact_prefix="$work/" "$work" tests/fuzz/corpus/config >"$work/log" 2>&1; then
	echo "PASS: $name"
else
	echo "FAIL: $name: the fuzzer found a crash; its report:"
	grep -v '^#' "$work/log" | tail -n 40
	for crash in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -f "$crash" ] || continue
		echo "input ($crash), as hex:"
		od -An -tx1 "$crash" | head -n 20
	done
	exit 1
fi

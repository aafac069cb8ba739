// SPDX-License-Identifier: GPL-2.0
/*
 * The differential fuzzer's fixed-seed slice, for `make test`: the same scenarios on every
 * run, so that a failure here is reproduced with `build/fuzz-diff --seed 1 --scenario K -v`.
 * The long random runs are `make fuzz` (tests/fuzz/).
 */
#include <stdio.h>
#include <unistd.h>

#include "../fuzz/diff.h"
#include "../fuzz/gen.h"
#include "test.h"

#define SLICE_SEED 1
#define SLICE_PACKETS 100000

TEST_AS_ROOT(diff_fixed_seed)
{
	struct diff_options opts = {
		.seed = SLICE_SEED,
		.max_packets = SLICE_PACKETS,
		.scenario = -1,
		.features = GEN_ALL,
		.max_reports = 1,
		.out = stdout,
	};
	struct diff_totals totals = { .csum_complete = 1 };

	if (!CHECK(!diff_run(&opts, &totals), "the fuzzer could not run"))
		return;
	printf("test_diff: %llu packets, %llu mismatches, %llu refused as too short, %.1f s\n",
	       (unsigned long long)totals.packets, (unsigned long long)totals.mismatches,
	       (unsigned long long)totals.refused, totals.seconds);
	CHECK_EQ(totals.packets, SLICE_PACKETS, "packets run");
	CHECK_EQ(totals.mismatches, 0, "mismatches (seed 1; see the reports above)");
	if (!totals.csum_complete)
		printf("SKIP: diff_fixed_seed_csum_complete: this kernel has no "
		       "BPF_F_TEST_SKB_CHECKSUM_COMPLETE\n");
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The differential fuzzer's fixed-seed slice, for `make test`: the same scenarios on every
 * run, so that a failure here is reproduced with `build/fuzz-diff --seed 1 --scenario K -v`.
 * The long random runs are `make fuzz` (tests/fuzz/). Besides "no mismatch", the slice must
 * reach the paths of the rules that only some scenarios take (expiry, old addresses, roaming,
 * admission, direct packets, reflection both ways, its errors, fragments, port collisions and
 * its packets left to the stack...): a generator that stopped making them would pass unseen.
 */
#include <stdio.h>

#include "../fuzz/diff.h"
#include "../fuzz/gen.h"
#include "test.h"

#define SLICE_SEED 1
#define SLICE_PACKETS 100000

/* The reasons the slice must count; the others need full maps or failed writes. */
static const enum hp_reason reached[] = {
	HP_REASON_FLOW_REFUSED, HP_REASON_ORPHAN_FRAGMENT, HP_REASON_OLD_ADDRESS,
	HP_REASON_DIRECT_CLASH, HP_REASON_NOT_ALLOWED, HP_REASON_REFLECT_PORTS_FULL,
	HP_REASON_NO_NEIGHBOUR,
};

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
	printf("test_diff: %llu packets, %llu mismatches, %llu refused as too short, "
	       "%llu scenarios abandoned, %.1f s\n", (unsigned long long)totals.packets,
	       (unsigned long long)totals.mismatches, (unsigned long long)totals.refused,
	       (unsigned long long)totals.abandoned, totals.seconds);
	CHECK_EQ(totals.packets, SLICE_PACKETS, "packets run");
	CHECK_EQ(totals.mismatches, 0, "mismatches (seed 1; see the reports above)");
	for (int e = 0; e < MODEL_N_EVENTS; e++)
		CHECK(totals.events[e] > 0, "the slice never reached \"%s\"", model_event_name(e));
	for (size_t i = 0; i < sizeof(reached) / sizeof(reached[0]); i++)
		CHECK(totals.reasons[reached[i]] > 0, "the slice never counted %s",
		      model_reason_name(reached[i]));
	CHECK(totals.old_pruned > 0 && totals.old_evicted > 0,
	      "the slice never found the old addresses full (%llu pruned, %llu evicted)",
	      (unsigned long long)totals.old_pruned, (unsigned long long)totals.old_evicted);
	if (!totals.csum_complete)
		printf("SKIP: diff_fixed_seed_csum_complete: this kernel has no "
		       "BPF_F_TEST_SKB_CHECKSUM_COMPLETE\n");
}

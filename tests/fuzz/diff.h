/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differential fuzzer's core, shared by build/fuzz-diff (tests/fuzz/fuzz_diff.c: `make
 * fuzz`) and the fixed-seed slice in `make test` (tests/unit/test_diff.c).
 */
#ifndef HP_FUZZ_DIFF_H
#define HP_FUZZ_DIFF_H

#include <stdio.h>
#include <linux/types.h>

#include "model.h"

struct diff_options {
	__u64 seed;
	double seconds;		/* stop after this long; 0: no limit */
	__u64 max_packets;	/* stop after this many frames; 0: no limit */
	long scenario;		/* run only this scenario (to reproduce one); -1: all */
	unsigned int features;	/* enum gen_feature */
	int verbose;		/* 1: every step of every scenario */
	int max_reports;	/* full reports printed per class of mismatch */
	FILE *out;		/* reports and the summary */
};

struct diff_totals {
	__u64 packets;		/* frames run */
	__u64 mismatches;	/* frames (or scenario end states) where something disagreed */
	__u64 refused;		/* frames a test run refused (too short): not comparable */
	__u64 scenarios;
	__u64 abandoned;	/* scenarios given up when the kernel's clock ran too far ahead */
	__u64 actions[MODEL_N_ACTIONS];	/* what the model did, over all frames */
	__u64 events[MODEL_N_EVENTS];	/* paths of the rules the (XDP) model took */
	__u64 reasons[HP_REASONS];	/* what the (XDP) model counted */
	__u64 config_steps, time_steps;
	__u64 old_pruned, old_evicted;	/* public address changes that found `old` full */
	/* Translated frames whose input had a valid checksum of each kind (enum csum_kind). */
	__u64 valid_through[5];
	int classes;		/* distinct classes of mismatch */
	double seconds;
	int csum_complete;	/* the kernel knows BPF_F_TEST_SKB_CHECKSUM_COMPLETE */
};

/* Run scenarios until a limit; 0, or -1 when the programs could not even be loaded. */
int diff_run(const struct diff_options *opts, struct diff_totals *totals);

#endif

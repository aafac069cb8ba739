// SPDX-License-Identifier: GPL-2.0
/*
 * build/fuzz-diff: the differential fuzzer (diff.c) for as long as asked.
 *
 *   fuzz-diff [--seconds N] [--seed N] [--packets N] [--scenario N] [--features LIST] [-v]
 *
 * Ends with "N packets, M mismatches" and exits 1 if there were mismatches. A mismatch report
 * names the seed and scenario; `fuzz-diff --seed S --scenario K -v` runs that scenario alone
 * and shows every step.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diff.h"
#include "gen.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fuzz-diff [options]\n"
		"  -t, --seconds N    run for N seconds (default 10; 0: no time limit)\n"
		"  -s, --seed N       seed (default: from the clock; printed)\n"
		"  -n, --packets N    stop after N frames\n"
		"  -k, --scenario N   run scenario N of the seed only\n"
		"  -f, --features L   what scenarios use: all, or a list of vlan,frag,icmp,sources,\n"
		"                     mutate,options,public,time,admission,direct,forwards,\n"
		"                     roaming,reflect; -name takes one away (-f -icmp)\n"
		"  -r, --reports N    full reports per class of mismatch (default 3)\n"
		"  -v, --verbose      every step of every scenario\n");
}

static int parse_number(const char *opt, const char *text, unsigned long long *value)
{
	char *end;

	errno = 0;
	*value = strtoull(text, &end, 0);
	if (errno || end == text || *end) {
		fprintf(stderr, "fuzz-diff: %s takes a number, not `%s'\n", opt, text);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "seconds", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "packets", required_argument, NULL, 'n' },
		{ "scenario", required_argument, NULL, 'k' },
		{ "features", required_argument, NULL, 'f' },
		{ "reports", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct diff_options opts = {
		.seed = (unsigned long long)time(NULL) * 1000003ULL ^ getpid(),
		.seconds = 10,
		.scenario = -1,
		.features = GEN_ALL,
		.max_reports = 3,
		.out = stdout,
	};
	struct diff_totals totals;
	unsigned long long n;
	int c;

	while ((c = getopt_long(argc, argv, "t:s:n:k:f:r:vh", long_options, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_number("--seconds", optarg, &n))
				return 2;
			opts.seconds = n;
			break;
		case 's':
			if (parse_number("--seed", optarg, &n))
				return 2;
			opts.seed = n;
			break;
		case 'n':
			if (parse_number("--packets", optarg, &n))
				return 2;
			opts.max_packets = n;
			break;
		case 'k':
			if (parse_number("--scenario", optarg, &n))
				return 2;
			opts.scenario = n;
			break;
		case 'f':
			if (gen_parse_features(optarg, &opts.features)) {
				fprintf(stderr, "fuzz-diff: --features: unknown feature in `%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			if (parse_number("--reports", optarg, &n))
				return 2;
			opts.max_reports = n;
			break;
		case 'v':
			opts.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fuzz-diff: unexpected argument `%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "fuzz-diff: must run as root (BPF_PROG_TEST_RUN)\n");
		return 2;
	}
	printf("fuzz-diff: seed %llu, %g seconds\n", (unsigned long long)opts.seed, opts.seconds);
	fflush(stdout);
	if (diff_run(&opts, &totals))
		return 2;
	printf("\n%llu scenarios in %.1f s, %.0f packets/s; %llu refused as too short "
	       "(not comparable); %llu abandoned (clock drift)\n",
	       (unsigned long long)totals.scenarios, totals.seconds,
	       totals.seconds > 0 ? totals.packets / totals.seconds : 0,
	       (unsigned long long)totals.refused, (unsigned long long)totals.abandoned);
	printf("model:");
	for (int a = 0; a < MODEL_N_ACTIONS; a++)
		printf(" %s %llu%s", model_action_name(a), (unsigned long long)totals.actions[a],
		       a + 1 < MODEL_N_ACTIONS ? "," : "\n");
	printf("paths: %llu config changes (old addresses full: %llu pruned, %llu evicted), "
	       "%llu time steps;", (unsigned long long)totals.config_steps,
	       (unsigned long long)totals.old_pruned, (unsigned long long)totals.old_evicted,
	       (unsigned long long)totals.time_steps);
	for (int e = 0; e < MODEL_N_EVENTS; e++)
		printf(" %s %llu%s", model_event_name(e), (unsigned long long)totals.events[e],
		       e + 1 < MODEL_N_EVENTS ? "," : "\n");
	printf("reasons:");
	for (int r = 0; r < HP_REASONS; r++)
		printf(" %s %llu%s", model_reason_name(r), (unsigned long long)totals.reasons[r],
		       r + 1 < HP_REASONS ? "," : "\n");
	printf("translated with valid checksums checked: ip %llu, l4 %llu, icmp %llu, inner-ip %llu, "
	       "inner-l4 %llu\n", (unsigned long long)totals.valid_through[0],
	       (unsigned long long)totals.valid_through[1],
	       (unsigned long long)totals.valid_through[2],
	       (unsigned long long)totals.valid_through[3],
	       (unsigned long long)totals.valid_through[4]);
	printf("%llu packets, %llu mismatches\n", (unsigned long long)totals.packets,
	       (unsigned long long)totals.mismatches);
	return totals.mismatches ? 1 : 0;
}

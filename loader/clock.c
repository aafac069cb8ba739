// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "clock.h"

/*
 * r0 = bpf_jiffies64() >> @shift; exit. A test run's return value is 32 bits: shift 0 gives
 * the low half, 32 the high one.
 */
static int load_jiffies_prog(int shift)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_jiffies64 },
		{ .code = BPF_ALU64 | BPF_RSH | BPF_K, .dst_reg = BPF_REG_0, .imm = shift },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, NULL, "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), NULL);
}

static int run_jiffies_prog(int fd, __u32 *jiffies)
{
	/* A test run of a tc program needs a packet, even one it never reads. */
	char packet[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizeof(packet),
		    .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -errno;
	*jiffies = opts.retval;
	return 0;
}

int clock_open(void)
{
	int fd = load_jiffies_prog(0);

	return fd < 0 ? -errno : fd;
}

int clock_read(int fd, __u32 *jiffies)
{
	return run_jiffies_prog(fd, jiffies);
}

int clock_jiffies(__u64 *jiffies)
{
	int low_fd = load_jiffies_prog(0), high_fd = load_jiffies_prog(32), err = 0;
	__u32 high, low, again;

	if (low_fd < 0 || high_fd < 0) {
		err = -errno;
		goto out;
	}
	/* The high half again after the low one: if it moved, the low half wrapped between. */
	do {
		err = run_jiffies_prog(high_fd, &high) ?: run_jiffies_prog(low_fd, &low) ?:
		      run_jiffies_prog(high_fd, &again);
	} while (!err && high != again);
	*jiffies = (__u64)high << 32 | low;
out:
	if (low_fd >= 0)
		close(low_fd);
	if (high_fd >= 0)
		close(high_fd);
	return err;
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The jiffies at a moment of CLOCK_MONOTONIC, *at: read between two clock reads, again if
 * something took the CPU between them.
 */
static int sample(int fd, __u32 *jiffies, double *at)
{
	int err = 0;

	for (int tries = 0; tries < 10; tries++) {
		double before = monotonic_s(), after;

		err = run_jiffies_prog(fd, jiffies);
		after = monotonic_s();
		if (err)
			return err;
		*at = (before + after) / 2;
		if (after - before < 0.002)
			break;
	}
	return 0;
}

int clock_measure_hz(__u32 *hz)
{
	/* The values of CONFIG_HZ a kernel can be built with. */
	static const __u32 known[] = { 100, 250, 300, 1000 };
	__u32 start, end, best = 0;
	double t0, t1, rate, best_off = 0;
	int fd, err;

	fd = load_jiffies_prog(0);
	if (fd < 0)
		return -errno;
	err = sample(fd, &start, &t0);
	if (!err) {
		usleep(200000);
		err = sample(fd, &end, &t1);
	}
	close(fd);
	if (err)
		return err;
	/* A tick of error at each end is 1% at 1000 Hz and 10% at 100 Hz over 200 ms, where
	 * the nearest other value is 150% away; 250 and 300 are 20% apart, 250 Hz is off 0.8%. */
	rate = (__u32)(end - start) / (t1 - t0);
	for (unsigned int i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		double off = rate > known[i] ? rate - known[i] : known[i] - rate;

		if (!best || off < best_off) {
			best = known[i];
			best_off = off;
		}
	}
	*hz = best;
	return 0;
}

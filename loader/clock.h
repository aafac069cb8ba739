/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's jiffies, the clock the datapath stamps flows with (bpf_jiffies64(), which the
 * verifier inlines into a load where bpf_ktime_get_coarse_ns() is a helper call). User space
 * cannot read jiffies or CONFIG_HZ directly, so both come from a two-instruction BPF program
 * run with BPF_PROG_TEST_RUN.
 */
#ifndef HP_CLOCK_H
#define HP_CLOCK_H

#include <linux/types.h>

/* The kernel's jiffies now, as bpf_jiffies64() reads them. */
int clock_jiffies(__u64 *jiffies);

/*
 * The low 32 bits of them, for a caller that reads the clock often and wants differences
 * only: clock_open() loads the program once (an fd, or -errno), clock_read() runs it (0 or
 * -errno).
 */
int clock_open(void);
int clock_read(int fd, __u32 *jiffies);

/* CONFIG_HZ, measured against CLOCK_MONOTONIC over about 100 ms. -errno on failure. */
int clock_measure_hz(__u32 *hz);

#endif

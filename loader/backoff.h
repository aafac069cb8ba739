/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How long a source of the public address waits before it asks again after failures in a
 * row: 5 s, doubling, up to 5 minutes. A resolver or gateway that is down for hours is asked
 * a dozen times an hour; one that comes back is followed within 5 minutes. Every source
 * (source_dns.c, source_natpmp.c, source_interface.c) waits by this one rule.
 */
#ifndef HP_BACKOFF_H
#define HP_BACKOFF_H

#include <linux/types.h>

#define BACKOFF_FIRST_MS 5000
#define BACKOFF_MAX_MS (5 * 60 * 1000)

/* The wait after @failures (1, 2, ...) failures in a row; 0 counts as 1. */
__u64 backoff_ms(unsigned int failures);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NAT-PMP (RFC 6886), as the natpmp source speaks it: the protocol's numbers and its pure
 * functions, no I/O, for the source, the unit tests (tests/unit/watch/natpmp.c) and the fuzzer
 * (tests/fuzz/natpmp.c).
 */
#ifndef HP_NATPMP_H
#define HP_NATPMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#define NATPMP_PORT 5351		/* the gateway's */
#define NATPMP_ANNOUNCE_PORT 5350	/* its announcements to 224.0.0.1 (section 3.2.1) */
#define NATPMP_TRIES 9			/* section 3.1: 250 ms, doubling, 9 times */
#define NATPMP_FIRST_WAIT_MS 250
/* Asked again this often after an answer, besides the gateway's announcements. */
#define NATPMP_REASK_MS (60 * 1000)

struct natpmp_reply {
	__u16 result;	/* 0 success, else natpmp_result_text() */
	__u32 epoch;	/* seconds since the gateway's start of epoch */
	__be32 addr;	/* with result 0 */
};

/*
 * A public address response (version 0, opcode 128), as the answer to a request or as an
 * announcement: 0, or -EBADMSG for anything else, which a client ignores.
 */
int natpmp_parse(const void *buf, size_t len, struct natpmp_reply *reply);
const char *natpmp_result_text(__u16 result);

/*
 * Section 3.6: whether the gateway lost its state (restarted) since the packet that had
 * @prev_epoch at @prev_ms: its epoch is more than 2 s below the previous one plus 7/8 of the
 * time that passed here.
 */
bool natpmp_epoch_went_back(__u32 prev_epoch, __u64 prev_ms, __u32 epoch, __u64 now_ms);

/*
 * The default gateway from @routes, in the format of /proc/net/route: of the default routes
 * through a gateway, the one with the lowest metric. 0, or -ENETUNREACH when there is none.
 */
int natpmp_default_gateway(FILE *routes, __be32 *gateway);

#endif

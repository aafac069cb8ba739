/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hairpin watch: the sources of the public address (PublicAddressFrom) behind one interface
 * that the poll loop in watch.c drives, and the pure functions of each (what the unit tests
 * in tests/unit/test_watch.c call).
 *
 * Times are milliseconds on CLOCK_BOOTTIME, which goes on counting through a suspend, so a
 * TTL or a re-ask interval that ran out while the machine slept is seen as run out.
 */
#ifndef HP_WATCH_H
#define HP_WATCH_H

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "config.h"

#define WATCH_NEVER ((__u64)-1)
#define WATCH_MAX_FDS 4

/* After a failure the source asks again after 5 s, doubling up to 5 minutes. */
#define WATCH_BACKOFF_FIRST_MS 5000
#define WATCH_BACKOFF_MAX_MS (5 * 60 * 1000)

struct watch_source {
	char label[HP_CONFIG_DNS_NAME_MAX + 16];	/* "dns:NAME", for the log */
	__be32 current;		/* the public address as watch knows it; set by watch.c */

	/* The fds to poll, into @fds (at most WATCH_MAX_FDS); returns how many. */
	int (*poll_fds)(struct watch_source *s, struct pollfd *fds);
	/* When run() wants to be called though no fd is ready: a time, or WATCH_NEVER. */
	__u64 (*deadline)(struct watch_source *s);
	/*
	 * Handle the ready fds and the timers that ran out. Returns 1 with *addr set when the
	 * source answered (changed or not), 0 otherwise; failures are logged here, where their
	 * detail is known.
	 */
	int (*run)(struct watch_source *s, const struct pollfd *fds, int n, __u64 now,
		   __be32 *addr);
	/* Ask again now (SIGHUP). */
	void (*ask)(struct watch_source *s, __u64 now);
	void (*destroy)(struct watch_source *s);
};

/* Each logs what failed and returns NULL. */
struct watch_source *dns_source_new(const char *name);
struct watch_source *natpmp_source_new(void);
struct watch_source *ifaddr_source_new(const char *ifname);

__u64 watch_now_ms(void);
/* How long to wait after @failures (1, 2, ...) failures in a row. */
__u64 watch_backoff_ms(unsigned int failures);

/* ---- dns:NAME ---------------------------------------------------------------------------- */

/*
 * A dynamic-DNS name is asked again when its TTL runs out, but not more often than every 30 s
 * (a TTL of 0 or 1 must not turn into a query loop) nor less often than every hour.
 */
#define DNS_TTL_MIN_S 30
#define DNS_TTL_MAX_S 3600

__u32 dns_clamp_ttl(__u32 ttl);

/*
 * The IPv4 address in a DNS answer @msg of @len bytes: the A records of the answer section
 * (after the CNAMEs the resolver followed). When @current is among them it is kept, so that a
 * name with several addresses in rotating order does not flap; else the first. *ttl gets the
 * lowest TTL of the answer section. Returns 0, -ENODATA when there is no A record, or
 * -EBADMSG when @msg does not parse.
 */
int dns_parse_a(const unsigned char *msg, int len, __be32 current, __be32 *addr, __u32 *ttl);

/* ---- natpmp (RFC 6886) ------------------------------------------------------------------- */

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
 * announcement. 0, or -EBADMSG for anything else, which a client ignores.
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

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sources of the public address (PublicAddressFrom = dns:NAME, natpmp, interface:NAME)
 * behind one interface, for a caller that owns the event loop: `hairpin watch` (watch.c) today,
 * a daemon with other work in the same poll() tomorrow.
 *
 * A source is waited on through one fd, the same for its whole life (readable when it has
 * something to read), and one deadline. When either is due, the caller calls source_step(),
 * which does what is due without blocking and says what happened in events: an address, a
 * failure, something worth a line of the log. A source never calls back into its caller and
 * never prints what the user is told: the events carry the words, the caller decides where
 * they go. Its own progress (each query, each retransmission) it logs with pr_debug.
 *
 * Times are milliseconds on CLOCK_BOOTTIME (source_clock_ms()), which goes on counting
 * through a suspend: a TTL or a re-ask interval that ran out while the machine slept is seen
 * as run out.
 *
 * The implementations (source_dns.c, source_natpmp.c, source_interface.c) fill in struct
 * source and its ops; callers use only the functions below them.
 */
#ifndef HP_SOURCE_H
#define HP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "config.h"

#define SOURCE_NEVER ((__u64)-1)
#define SOURCE_MAX_EVENTS 4
#define SOURCE_TEXT_MAX 160

enum source_event_type {
	/* The source's answer, .addr: the address it says is public (changed or not). */
	SOURCE_ADDRESS,
	/*
	 * Asking failed, .text says why ("no such name (NXDOMAIN)"). The source asks again at
	 * .retry_at by itself (SOURCE_NEVER: when it hears of a change). .failures counts them
	 * in a row; .repeated: the same reason as the failure before, with no answer between
	 * (worth less than a warning).
	 */
	SOURCE_FAILED,
	/* Worth a line of the log, .text: "the gateway 192.0.2.1 restarted (...)". */
	SOURCE_NOTICE,
	/* A problem that does not stop the source, .text. */
	SOURCE_WARNING,
};

struct source_event {
	enum source_event_type type;
	__be32 addr;
	__u64 retry_at;
	unsigned int failures;
	bool repeated;
	char text[SOURCE_TEXT_MAX];
};

/* What one step reports, in order. */
struct source_events {
	int n;
	struct source_event event[SOURCE_MAX_EVENTS];
};

struct source;

struct source_ops {
	void (*step)(struct source *s, __u64 now, __be32 current, struct source_events *out);
	__u64 (*deadline)(const struct source *s);
	void (*ask)(struct source *s, __u64 now);
	void (*close)(struct source *s);
};

struct source {
	const struct source_ops *ops;
	char label[HP_CONFIG_DNS_NAME_MAX + 16];	/* "dns:NAME", "natpmp", "interface:NAME" */
	int fd;
	/* source.c's: the text of the last failure since the last answer */
	char last_failure[SOURCE_TEXT_MAX];
};

/*
 * The next event of a step, of @type, its other fields zero. A step reports few events by
 * design (SOURCE_MAX_EVENTS); should one report more, its last event is overwritten rather
 * than written past the end.
 */
static inline struct source_event *source_event_add(struct source_events *out,
						   enum source_event_type type)
{
	struct source_event *ev = &out->event[out->n < SOURCE_MAX_EVENTS ? out->n++ : out->n - 1];

	*ev = (struct source_event){ .type = type };
	return ev;
}

/* The implementations' constructors: source_open() picks one. */
struct source *dns_source_open(const char *name, char *err, size_t err_len);
struct source *natpmp_source_open(char *err, size_t err_len);
struct source *interface_source_open(const char *ifname, char *err, size_t err_len);

/* ---- for callers ------------------------------------------------------------------------- */

/*
 * The source that @from names (@name: its DNS name or interface), ready to be waited on: its
 * first step is due at once. NULL with @err set to what failed.
 */
struct source *source_open(enum hp_config_addr_from from, const char *name, char *err,
			   size_t err_len);

/* "dns:NAME", "natpmp", "interface:NAME": what the log calls it. */
const char *source_label(const struct source *s);

/* Poll it for reading (POLLIN); the same fd for the source's life. */
int source_fd(const struct source *s);

/* When source_step() is due although the fd is not readable: a time, or SOURCE_NEVER. */
__u64 source_deadline(const struct source *s);

/*
 * Do what is due: read what the fd has, act on timers that ran out. @current is the public
 * address as the caller knows it (0: none); a DNS name with several addresses keeps it. The
 * events go into @out; returns how many. Called when nothing is due, it does nothing.
 */
int source_step(struct source *s, __u64 now, __be32 current, struct source_events *out);

/* Ask again at once (SIGHUP), past any backoff; the next step does it. */
void source_ask(struct source *s, __u64 now);

/* Close its fds and free it. A DNS query under way is abandoned, not waited for. */
void source_close(struct source *s);

/* Now, on CLOCK_BOOTTIME, in milliseconds. */
__u64 source_clock_ms(void);

#endif

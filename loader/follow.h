/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Following PublicAddressFrom: the running instance's public address kept as its source
 * (source.h) says, for `hairpin watch` and for the daemon (`hairpin run`), each of which owns
 * its poll loop and waits on follow_fd() and follow_deadline().
 *
 * Each answer of the source is compared with the config map and written with public_addr_set(),
 * as set-public-ip writes it, only when it differs; each change is one line of the log. A
 * failing source (a resolver that does not answer, a silent gateway, an interface without an
 * address) changes nothing: the last good address stays. Every minute the map is compared with
 * the last good address again, so that an `up` that wrote its PublicAddress over it, or a
 * `down` and `up`, is corrected.
 */
#ifndef HP_FOLLOW_H
#define HP_FOLLOW_H

#include <stdbool.h>
#include <linux/types.h>

#include "config.h"
#include "source.h"

struct follow {
	const char *who;	/* "watch", "run": its messages start with it */
	const char *pin_dir;
	struct source *source;
	__be32 current;		/* the public address as the follower knows it */
	__be32 last_good;	/* the source's last accepted answer; 0: none yet */
	__be32 refused;		/* the last answer refused, so that it is logged once */
	bool has_refused;
	bool instance_missing;	/* logged once until it is back */
	bool owns_instance;	/* the daemon: an instance not up yet is no warning */
	__u64 reconcile_at;
};

/*
 * follow_open() - start following @from (@name: its DNS name or interface) for the instance of
 * @pin_dir, whose public address now (0 when none runs) is the one to keep until the source
 * answers. Return: 0, or -1 after printing why.
 */
int follow_open(struct follow *f, const char *who, const char *pin_dir,
		enum hp_config_addr_from from, const char *name);
void follow_close(struct follow *f);

/* Poll it for reading; the same fd for the follower's life. */
int follow_fd(const struct follow *f);
/* When follow_step() is due although the fd is not readable. */
__u64 follow_deadline(const struct follow *f);
/* Do what is due at @now: read the source's answers and apply them, reconcile. */
void follow_step(struct follow *f, __u64 now);
/* Ask the source again at once (SIGHUP). */
void follow_ask(struct follow *f, __u64 now);

/* The address to keep: the source's last answer, else what the instance had. 0: none. */
static inline __be32 follow_address(const struct follow *f)
{
	return f->last_good ? f->last_good : f->current;
}

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Filling a running instance's maps from a plan, as a transaction that `up` drives: the
 * contents of config, forwards, stats and sources change in place, in an order that keeps
 * every moment's contents whole for the packets that read them (see fill.c), and until
 * fill_commit() fill_restore() puts back exactly what was there.
 */
#ifndef HP_FILL_H
#define HP_FILL_H

#include <stdbool.h>

#include "hairpin.h"
#include "maps.h"
#include "pins.h"
#include "plan.h"

struct fill {
	int fds[HP_PIN_COUNT];		/* the instance's maps; not owned */
	struct hp_config *config;	/* the live config map, mmapped */
	struct hp_config old_config;
	__u64 *forwards;		/* the live forwards array, mmapped */
	__u64 *target_ports;		/* the live target_ports bitmap, mmapped */
	__u64 old_target_ports[HP_TARGET_PORT_WORDS];
	struct hp_forward_entry *old_forwards;
	int n_old_forwards;
	bool written;
	const struct hp_plan *plan;	/* what fill_write() wrote */
};

/* Read what the maps hold now, to change it and to put it back. -errno on failure. */
int fill_begin(struct fill *fill, const int fds[HP_PIN_COUNT]);
/* Make the maps say what @plan says. -errno after printing why; fill_restore() undoes it. */
int fill_write(struct fill *fill, const struct hp_plan *plan);
/* Put the maps back as fill_begin() found them. */
void fill_restore(struct fill *fill);
/*
 * Keep what fill_write() did; drop what only the old contents needed. Call it once the
 * previous programs are gone: until then the config says hooks may overlap (ingress_overlap).
 */
void fill_commit(struct fill *fill);
void fill_end(struct fill *fill);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flows map as user space sees it: which flows are live (doc/translation.md, "Flows"), by
 * the same rule the datapath applies, and the earlier public addresses that live flows still
 * own (hp_config.old_public_addrs), which a change of the public address keeps and prunes.
 */
#ifndef HP_FLOWS_H
#define HP_FLOWS_H

#include <stdbool.h>

#include "hairpin.h"
#include "maps.h"

/* A flow read from the map, with what the datapath would decide of it now. */
struct hp_flow_view {
	struct hp_flow_entry entry;
	bool live;
	/* The target's view of a reflected flow: the client's view is the flow that counts */
	bool reflection;
	__u64 idle_jiffies;
};

/*
 * Every flow in @flows_fd, live or not, judged against @config at the kernel's jiffies now.
 * *views is calloc()ed. -errno on failure.
 */
int flows_read(int flows_fd, const struct hp_config *config, struct hp_flow_view **views,
	       int *count);

/* Live flows in @views that own @addr. */
int flows_owning(const struct hp_flow_view *views, int count, __be32 addr);

/*
 * flows_set_public() - make @addr the public address in the mmapped @config. The address it
 * replaces joins the old addresses first, so that the live flows that own it keep their
 * clients' packets; @addr leaves them. When no slot is free, old addresses that no live flow
 * owns leave first, then the one whose flows were seen least recently. Once the change holds,
 * old addresses that no live flow owns leave. -errno if the flows could not be read when a
 * slot had to be found (then nothing changed).
 */
int flows_set_public(struct hp_config *config, int flows_fd, __be32 addr);

/* Old addresses that no live flow owns leave hp_config.old_public_addrs. */
int flows_prune_old(struct hp_config *config, int flows_fd);

#endif

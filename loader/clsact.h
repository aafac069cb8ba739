/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The clsact qdisc and its filters: where hairpin's tc programs go on a kernel without tcx (a
 * cls_bpf filter per direction in hairpin's own slot, HP_TC_HANDLE and HP_TC_PRIORITY), and what
 * else is there, for the rule that hairpin removes a clsact qdisc only if it added it and no
 * one else's filter is left on it.
 */
#ifndef HP_CLSACT_H
#define HP_CLSACT_H

#include <stdbool.h>
#include <linux/types.h>

#include "hairpin.h"
#include "rtnl.h"

/* A filter on a clsact hook, as a dump shows it. */
struct tc_filter {
	enum hp_direction direction;
	__u32 chain;
	__u32 handle;
	__u16 priority;
	__u16 protocol;		/* network byte order, as in tcm_info */
	char kind[16];		/* "bpf", "u32", "flower", ... */
	__u32 prog_id;		/* a cls_bpf filter's program; 0 for any other kind */
};

/* Whether @f is in hairpin's slot. */
static inline bool tc_filter_in_hairpin_slot(const struct tc_filter *f)
{
	return f->handle == HP_TC_HANDLE && f->priority == HP_TC_PRIORITY && !f->chain;
}

/* The ifindexes of this namespace's devices that have a clsact qdisc (malloc()ed). 0/-errno. */
int clsact_list(struct rtnl *nl, int **ifindexes, int *n);

/* Every filter on @ifindex's clsact hooks, both directions (malloc()ed). 0 or -errno. */
int clsact_filters(struct rtnl *nl, int ifindex, struct tc_filter **filters, int *n);

/* Delete the filter @f of @ifindex, as the dump showed it. 0 or -errno (-ENOENT: gone). */
int clsact_filter_delete(struct rtnl *nl, int ifindex, const struct tc_filter *f);

/* Add a clsact qdisc to @ifindex: 0, -EEXIST if it has one, or -errno. */
int clsact_create(int ifindex);
/* Remove @ifindex's clsact qdisc, and with it every filter on it. 0 or -errno. */
int clsact_delete(int ifindex);

/* Put @prog_fd in hairpin's slot of @direction, replacing what is there. 0 or -errno. */
int clsact_attach(int ifindex, enum hp_direction direction, int prog_fd);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel has attached, read from the kernel: for every device of this network
 * namespace (never a global walk of links, which would reach other namespaces' devices), each
 * hook hairpin uses or might find its programs in: native and generic XDP, tcx ingress and
 * egress (where the kernel has tcx), and every filter on a clsact qdisc; each program with
 * whose it is (instance.h). `up`, `down` and `status` all start from this, never from hairpin's
 * own records alone.
 */
#ifndef HP_ATTACHED_H
#define HP_ATTACHED_H

#include <net/if.h>
#include <stdbool.h>

#include "clsact.h"
#include "hairpin.h"
#include "instance.h"

/* One program (or non-BPF filter) in one hook of one device. */
struct hp_attachment {
	enum hp_hook hook;
	enum hp_direction direction;	/* XDP hooks: ingress */
	__u32 link_id;			/* HP_HOOK_TCX: its link, 0 if attached without one */
	struct tc_filter filter;	/* HP_HOOK_TC: the filter, as the dump showed it */
	struct hp_prog prog;		/* prog.id 0: a tc filter that is not cls_bpf (foreign) */
};

struct hp_netdev {
	int ifindex;
	char name[IF_NAMESIZE];
	bool clsact;			/* has a clsact qdisc */
	int master;			/* the bridge it is a port of (its ifindex); 0: none */
	struct hp_attachment *attachments;
	int n_attachments;
};

struct hp_scan {
	struct hp_netdev *devs;
	int n_devs;
	bool tcx;			/* the kernel has tcx hooks (and they were looked at) */
};

/*
 * attached_scan() - read every device of this network namespace and what is attached to it.
 * Return: 0, or -errno after printing what could not be read; -EPERM with the sentence that
 * names the privileges hairpin needs (permission is never taken for absence).
 */
int attached_scan(const struct hp_self *self, struct hp_scan *scan);
void attached_free(struct hp_scan *scan);

/* The device of @ifindex in @scan, NULL if there is none. */
const struct hp_netdev *attached_netdev(const struct hp_scan *scan, int ifindex);


/* "xdp", "xdpgeneric", "tcx", "tc" */
const char *hp_hook_name(enum hp_hook hook);
/* "native XDP", "generic XDP", "tcx", "cls_bpf": for sentences */
const char *hp_hook_text(enum hp_hook hook);

/* "native XDP", "tcx ingress", "tc egress", ...: where @a is, for sentences. */
const char *attachment_where(const struct hp_attachment *a, char *buf, size_t len);

#endif

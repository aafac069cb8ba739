/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcx: the tc hooks of Linux 6.6, where programs are attached by BPF links, several per hook,
 * in an order the attacher chooses. libbpf 1.1 has no API for them and Debian 12's
 * <linux/bpf.h> (the 6.1 UAPI) lacks their constants and structs: what hairpin needs of the
 * 6.6 UAPI is defined here, in one place, and the calls go through bpf(2) as they are.
 */
#ifndef HP_TCX_H
#define HP_TCX_H

#include <stdbool.h>
#include <linux/types.h>

#include "hairpin.h"

/* enum bpf_attach_type and enum bpf_link_type of the 6.6 UAPI */
#define HP_BPF_TCX_INGRESS 46
#define HP_BPF_TCX_EGRESS 47
#define HP_BPF_LINK_TYPE_TCX 11
/* Where a new link goes among a hook's programs: with no program named, first or last. */
#define HP_BPF_F_BEFORE (1U << 3)
#define HP_BPF_F_AFTER (1U << 4)

/* The most programs hairpin lists on one hook (the kernel allows 64, bpf_mprog). */
#define HP_TCX_MAX_PROGS 64

struct tcx_entry {
	__u32 prog_id;
	__u32 link_id;		/* 0: attached without a link (BPF_PROG_ATTACH) */
};

/*
 * tcx_query() - the programs on @ifindex's tcx hook of @direction, in the order they run.
 * Return: 0 with *@n entries, or -errno (-EPERM without CAP_NET_ADMIN; -EINVAL on a kernel
 * without tcx).
 */
int tcx_query(int ifindex, enum hp_direction direction, struct tcx_entry *entries, int max,
	      int *n);

/*
 * tcx_link_create() - attach @prog_fd to @ifindex's tcx hook of @direction by a new link:
 * ingress before every program there, egress after every one, so that hairpin sees packets
 * as they are on the wire. Return: the link's fd, or -errno.
 */
int tcx_link_create(int prog_fd, int ifindex, enum hp_direction direction);

/* Where a tcx link is attached, from its fd. ifindex 0: its device is gone. 0 or -errno. */
struct tcx_link_info {
	__u32 id;
	__u32 type;		/* HP_BPF_LINK_TYPE_TCX for a tcx link */
	__u32 prog_id;
	__u32 ifindex;
	__u32 attach_type;	/* HP_BPF_TCX_INGRESS or HP_BPF_TCX_EGRESS */
};
int tcx_link_info(int link_fd, struct tcx_link_info *info);

/* The attach type of @direction's tcx hook. */
static inline __u32 tcx_attach_type(enum hp_direction direction)
{
	return direction == HP_DIR_INGRESS ? HP_BPF_TCX_INGRESS : HP_BPF_TCX_EGRESS;
}

#endif

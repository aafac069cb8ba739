// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>

#include <bpf/libbpf.h>

#include "clsact.h"

/* The clsact hooks' parents: ffff:fff2 ingress, ffff:fff3 egress. */
static __u32 hook_parent(enum hp_direction direction)
{
	return TC_H_MAKE(TC_H_CLSACT,
			 direction == HP_DIR_INGRESS ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
}

static int on_qdisc(const struct nlmsghdr *msg, void *arg)
{
	const struct tcmsg *tcm = NLMSG_DATA(msg);
	const struct rtattr *tb[TCA_MAX + 1];
	char kind[16];
	int *slot;

	if (msg->nlmsg_type != RTM_NEWQDISC || msg->nlmsg_len < NLMSG_LENGTH(sizeof(*tcm)))
		return 0;
	rtnl_parse(tb, TCA_MAX, TCA_RTA(tcm), TCA_PAYLOAD(msg));
	if (tcm->tcm_parent != TC_H_CLSACT || strcmp(rtnl_str(tb[TCA_KIND], kind, sizeof(kind)),
						     "clsact"))
		return 0;
	slot = rtnl_list_add(arg);
	if (!slot)
		return -ENOMEM;
	*slot = tcm->tcm_ifindex;
	return 0;
}

int clsact_list(struct rtnl *nl, int **ifindexes, int *n)
{
	struct rtnl_list found = { .size = sizeof(int) };
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC };
	int err = rtnl_dump(nl, RTM_GETQDISC, &tcm, sizeof(tcm), on_qdisc, &found);

	if (err) {
		free(found.items);
		return err;
	}
	*ifindexes = found.items;
	*n = found.n;
	return 0;
}

struct filter_dump {
	struct rtnl_list found;
	enum hp_direction direction;
};

static int on_filter(const struct nlmsghdr *msg, void *arg)
{
	const struct tcmsg *tcm = NLMSG_DATA(msg);
	const struct rtattr *tb[TCA_MAX + 1], *opts[TCA_BPF_MAX + 1];
	struct filter_dump *dump = arg;
	struct tc_filter *f;

	if (msg->nlmsg_type != RTM_NEWTFILTER || msg->nlmsg_len < NLMSG_LENGTH(sizeof(*tcm)))
		return 0;
	/* A dump shows each priority's classifier once by itself, with handle 0, before its
	 * filters. */
	if (!tcm->tcm_handle)
		return 0;
	f = rtnl_list_add(&dump->found);
	if (!f)
		return -ENOMEM;
	rtnl_parse(tb, TCA_MAX, TCA_RTA(tcm), TCA_PAYLOAD(msg));
	f->direction = dump->direction;
	f->chain = rtnl_u32(tb[TCA_CHAIN]);
	f->handle = tcm->tcm_handle;
	f->priority = TC_H_MAJ(tcm->tcm_info) >> 16;
	f->protocol = TC_H_MIN(tcm->tcm_info);
	rtnl_str(tb[TCA_KIND], f->kind, sizeof(f->kind));
	if (!strcmp(f->kind, "bpf") && tb[TCA_OPTIONS]) {
		rtnl_parse_nested(opts, TCA_BPF_MAX, tb[TCA_OPTIONS]);
		f->prog_id = rtnl_u32(opts[TCA_BPF_ID]);
	}
	return 0;
}

int clsact_filters(struct rtnl *nl, int ifindex, struct tc_filter **filters, int *n)
{
	struct filter_dump dump = { .found.size = sizeof(struct tc_filter) };
	int err = 0;

	for (int dir = HP_DIR_INGRESS; dir <= HP_DIR_EGRESS && !err; dir++) {
		struct tcmsg tcm = {
			.tcm_family = AF_UNSPEC,
			.tcm_ifindex = ifindex,
			.tcm_parent = hook_parent(dir),
		};

		dump.direction = dir;
		err = rtnl_dump(nl, RTM_GETTFILTER, &tcm, sizeof(tcm), on_filter, &dump);
	}
	if (err) {
		free(dump.found.items);
		return err;
	}
	*filters = dump.found.items;
	*n = dump.found.n;
	return 0;
}

int clsact_filter_delete(struct rtnl *nl, int ifindex, const struct tc_filter *f)
{
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = f->handle,
		.tcm_parent = hook_parent(f->direction),
		.tcm_info = TC_H_MAKE((__u32)f->priority << 16, f->protocol),
	};
	struct rtnl_req req;
	int err;

	rtnl_req_init(&req, RTM_DELTFILTER, 0, &tcm, sizeof(tcm));
	err = rtnl_req_put(&req, TCA_KIND, f->kind, strlen(f->kind) + 1);
	if (!err && f->chain)
		err = rtnl_req_put(&req, TCA_CHAIN, &f->chain, sizeof(f->chain));
	return err ?: rtnl_talk(nl, &req, NULL, NULL);
}

/* LIBBPF_OPTS zeroes the padding too: libbpf rejects a hook with non-zero extra bytes. */
#define TC_HOOK(name, ifindex_, point)                                                      \
	LIBBPF_OPTS(bpf_tc_hook, name, .ifindex = (ifindex_), .attach_point = (point))

int clsact_create(int ifindex)
{
	TC_HOOK(hook, ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);

	return bpf_tc_hook_create(&hook);
}

int clsact_delete(int ifindex)
{
	TC_HOOK(hook, ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);

	return bpf_tc_hook_destroy(&hook);
}

int clsact_attach(int ifindex, enum hp_direction direction, int prog_fd)
{
	TC_HOOK(hook, ifindex, direction == HP_DIR_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = HP_TC_HANDLE, .priority = HP_TC_PRIORITY,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);

	return bpf_tc_attach(&hook, &opts);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attaching the programs to a device, starting from what the kernel shows there (attached.h):
 * this instance's programs found in a hook are replaced atomically (XDP_FLAGS_REPLACE,
 * bpf_link_update() of the tcx link, a filter replace in hairpin's cls_bpf slot), an empty hook
 * gets a new attachment. Nothing that is not this instance's is ever replaced or removed.
 *
 * The order makes every moment safe to die at: egress before ingress (egress alone rewrites
 * only the replies of flows that ingress tracked), each new tcx link pinned as soon as it
 * exists (an unpinned link goes with the process that made it), programs of the hook of the
 * other kind left where they are until up's commit removes them (detach.h). Until
 * attach_commit(), attach_rollback() puts back exactly what was there.
 */
#ifndef HP_ATTACH_H
#define HP_ATTACH_H

#include <stdbool.h>

#include "attached.h"
#include "config.h"
#include "hairpin.h"
#include "plan.h"

struct hp_progs {
	int ingress_xdp;
	int ingress_tc;
	int egress_tc;
};

/* The hooks a device gets, and why. */
struct attach_choice {
	enum hp_hook ingress;
	enum hp_hook egress;
	bool xdp_may_fall_back;	/* Mode = auto: tc ingress if the driver refuses native XDP */
	char why[160];
};

/*
 * attach_choose() - the hooks @dev gets in @mode, given what @now shows on it and whether the
 * kernel has tcx; nothing changes.
 * Return: 0, or -EBUSY after printing why the device cannot be used: another hairpin instance's
 * program on it (one device, one instance), a program that is not hairpin's in hairpin's
 * cls_bpf slot, or with Mode = xdp one in native XDP. With Mode = auto such a program makes it
 * tc, and @choice says why.
 */
int attach_choose(const struct hp_plan_device *dev, enum hp_config_mode mode,
		  const struct hp_netdev *now, bool tcx, struct attach_choice *choice);

/* Whether attaching @choice to @now adds a clsact qdisc (to record before it does). */
bool attach_adds_qdisc(const struct attach_choice *choice, const struct hp_netdev *now);

/* One change to one hook, as attach_rollback() undoes it. */
struct hook_change {
	enum hp_hook hook;
	enum hp_direction direction;
	bool replaced;		/* else created */
	int old_prog_fd;	/* replaced: the program to put back */
	int link_fd;		/* tcx */
	char link_pin[4096];	/* tcx, created: its pin */
};

struct attach_txn {
	int ifindex;
	char name[IF_NAMESIZE];
	struct hook_change changes[2];
	int n_changes;
	bool created_qdisc;
	enum hp_hook ingress, egress;		/* what it has now */
	__u32 ingress_prog_id, egress_prog_id;
};

/*
 * attach_device() - attach @progs to @dev as @choice says, replacing this instance's programs
 * that @now shows in those hooks. tcx links are pinned under @pin_dir.
 * Return: 0, or -errno after undoing its own steps and printing why.
 */
int attach_device(const char *pin_dir, const struct hp_plan_device *dev,
		  const struct attach_choice *choice, const struct hp_progs *progs,
		  const struct hp_netdev *now, struct attach_txn *txn);
void attach_rollback(struct attach_txn *txn);
/* Keep what attach_device() did. */
void attach_commit(struct attach_txn *txn);

const char *hp_mode_name(__u32 mode);

#endif

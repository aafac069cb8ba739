/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attaching the programs to a device, as a transaction: attach_device() replaces what an
 * earlier `up` attached without a gap (XDP_FLAGS_REPLACE, a tc filter replace in hairpin's own
 * filter slot), and until attach_commit() every step can be undone by attach_rollback(), which
 * puts the previous programs back exactly. Nothing else's programs are ever replaced: an XDP
 * program hairpin did not attach makes native XDP unavailable, and tc filters live in a slot
 * of their own (HP_TC_HANDLE, HP_TC_PRIORITY).
 */
#ifndef HP_ATTACH_H
#define HP_ATTACH_H

#include <stdbool.h>

#include "config.h"
#include "hairpin.h"
#include "plan.h"

struct hp_progs {
	int ingress_xdp;
	int ingress_tc;
	int egress_tc;
};

struct attach_txn {
	struct hp_device old;		/* mode HP_MODE_NONE when the device is new */
	struct hp_device record;	/* what is attached now, for the devices map */
	int old_ingress_fd;		/* the previous programs, held to put them back */
	int old_egress_fd;
	int new_ingress_fd;
	bool created_qdisc;
	bool ingress_attached;
	bool egress_attached;
	bool old_ingress_removed;	/* the previous ingress hook was of the other kind */
};

/*
 * attach_device() - attach @progs to @dev in @mode, replacing what @old (NULL: nothing)
 * records hairpin attached there earlier.
 * Return: 0, or -errno after undoing its own steps and printing why.
 */
int attach_device(const struct hp_plan_device *dev, enum hp_config_mode mode,
		  const struct hp_progs *progs, const struct hp_device *old,
		  struct attach_txn *txn);
void attach_rollback(struct attach_txn *txn);
/* Keep what attach_device() did; releases the previous programs. */
void attach_commit(struct attach_txn *txn);

/*
 * detach_device() - remove what @rec records hairpin attached, leaving anything else's
 * programs alone. A device that is gone is not an error. Return: 0 or -errno.
 */
int detach_device(const struct hp_device *rec);

const char *hp_mode_name(__u32 mode);

#endif

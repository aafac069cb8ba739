// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "clsact.h"
#include "fault.h"
#include "log.h"
#include "netdev.h"
#include "pins.h"
#include "probe.h"
#include "tcx.h"
#include "xdp_drivers.h"

const char *hp_mode_name(__u32 mode)
{
	switch (mode) {
	case HP_MODE_XDP:
		return "xdp";
	case HP_MODE_TC:
		return "tc";
	default:
		return "none";
	}
}

static const char *dir_name(enum hp_direction direction)
{
	return direction == HP_DIR_INGRESS ? "ingress" : "egress";
}

/* This instance's program in @hook of @direction on @now, NULL if none. */
static const struct hp_attachment *own_in(const struct hp_netdev *now, enum hp_hook hook,
					  enum hp_direction direction)
{
	for (int i = 0; i < now->n_attachments; i++) {
		const struct hp_attachment *a = &now->attachments[i];

		if (a->hook != hook || a->prog.owner != HP_OWNER_SELF)
			continue;
		if (hook == HP_HOOK_XDP || a->direction == direction) {
			/* A tcx program of ours is adopted through its link; cls_bpf only in
			 * hairpin's slot: the others are left to the commit's sweep. */
			if (hook == HP_HOOK_TCX && !a->link_id)
				continue;
			if (hook == HP_HOOK_TC && !tc_filter_in_hairpin_slot(&a->filter))
				continue;
			return a;
		}
	}
	return NULL;
}

/* A program that is not this instance's where native XDP would go, NULL if none. */
static const struct hp_attachment *xdp_taken(const struct hp_netdev *now)
{
	for (int i = 0; i < now->n_attachments; i++) {
		const struct hp_attachment *a = &now->attachments[i];

		if ((a->hook == HP_HOOK_XDP || a->hook == HP_HOOK_XDP_GENERIC) &&
		    a->prog.owner != HP_OWNER_SELF)
			return a;
	}
	return NULL;
}

/*
 * Whether to use native XDP: auto picks what is fastest on the device and safe with its
 * driver (xdp_drivers.c); a driver without native XDP would get generic XDP, which leaves a
 * stale CHECKSUM_COMPLETE behind.
 */
static bool auto_wants_xdp(const char *name, char *why, size_t len)
{
	char driver[32] = "";

	if (netdev_driver(name, driver, sizeof(driver))) {
		snprintf(why, len, "its driver is unknown; trying native XDP");
		return true;
	}
	return xdp_driver_wanted(driver, why, len);
}

int attach_choose(const struct hp_plan_device *dev, enum hp_config_mode mode,
		  const struct hp_netdev *now, bool tcx, struct attach_choice *choice)
{
	const struct hp_attachment *taken;
	char owner[320], where[48];

	memset(choice, 0, sizeof(*choice));
	choice->egress = tcx ? HP_HOOK_TCX : HP_HOOK_TC;
	choice->ingress = choice->egress;
	snprintf(choice->why, sizeof(choice->why), "Mode = tc");
	for (int i = 0; i < now->n_attachments; i++) {
		const struct hp_attachment *a = &now->attachments[i];

		if (a->prog.owner == HP_OWNER_OTHER) {
			pr_warn("%s: %s holds program %u (%s), %s: a device serves one hairpin "
				"instance; take that one down first", dev->name,
				attachment_where(a, where, sizeof(where)), a->prog.id, a->prog.name,
				instance_owner_text(&a->prog, owner, sizeof(owner)));
			return -EBUSY;
		}
		if (!tcx && a->hook == HP_HOOK_TC && tc_filter_in_hairpin_slot(&a->filter) &&
		    a->prog.owner != HP_OWNER_SELF) {
			pr_warn("%s: hairpin's tc %s filter slot (handle and priority 0x%x) holds a %s "
				"filter%s%s that is not hairpin's; hairpin replaces no one else's "
				"filter: remove it or move it to another slot", dev->name,
				dir_name(a->direction), HP_TC_HANDLE, a->filter.kind,
				a->prog.id ? " of program " : "", a->prog.id ? a->prog.name : "");
			return -EBUSY;
		}
	}
	if (mode == HP_CONFIG_MODE_TC)
		return 0;
	if (mode == HP_CONFIG_MODE_AUTO && !auto_wants_xdp(dev->name, choice->why,
							    sizeof(choice->why)))
		return 0;
	taken = xdp_taken(now);
	if (taken && mode == HP_CONFIG_MODE_XDP) {
		pr_warn("%s: %s holds program %u (%s), which is not hairpin's: Mode = xdp cannot "
			"replace it (Mode = auto would use tc instead)", dev->name,
			hp_hook_text(taken->hook), taken->prog.id, taken->prog.name);
		return -EBUSY;
	}
	if (taken) {
		snprintf(choice->why, sizeof(choice->why), "%s holds program %u (%s), not hairpin's",
			 hp_hook_text(taken->hook), taken->prog.id, taken->prog.name);
		return 0;
	}
	if (mode == HP_CONFIG_MODE_XDP)
		snprintf(choice->why, sizeof(choice->why), "Mode = xdp");
	choice->ingress = HP_HOOK_XDP;
	choice->xdp_may_fall_back = mode == HP_CONFIG_MODE_AUTO;
	return 0;
}

bool attach_adds_qdisc(const struct attach_choice *choice, const struct hp_netdev *now)
{
	return !now->clsact && (choice->egress == HP_HOOK_TC || choice->ingress == HP_HOOK_TC);
}

/* An fd of program @id, -ENOENT if it is gone, -errno (-EPERM) otherwise. */
static int prog_fd_by_id(__u32 id)
{
	int fd = bpf_prog_get_fd_by_id(id);

	return fd < 0 ? -errno : fd;
}

static __u32 prog_id_of(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The previous program of a hook being replaced, held to put it back. */
static int hold_old(const struct hp_netdev *now, const struct hp_attachment *own, int *fd)
{
	*fd = prog_fd_by_id(own->prog.id);
	if (*fd >= 0)
		return 0;
	pr_warn("%s: couldn't take hold of program %u to replace it: %s", now->name, own->prog.id,
		probe_strerror(*fd));
	return *fd;
}

static int attach_xdp(const struct hp_netdev *now, int fd, struct hook_change *c)
{
	const struct hp_attachment *own = own_in(now, HP_HOOK_XDP, HP_DIR_INGRESS);
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int err;

	if (own) {
		err = hold_old(now, own, &c->old_prog_fd);
		if (err)
			return err;
		opts.old_prog_fd = c->old_prog_fd;
		c->replaced = true;
	}
	err = bpf_xdp_attach(now->ifindex, fd, XDP_FLAGS_DRV_MODE |
			     (own ? XDP_FLAGS_REPLACE : XDP_FLAGS_UPDATE_IF_NOEXIST),
			     own ? &opts : NULL);
	if (err)
		pr_warn("couldn't attach XDP program to %s in native mode: %s%s", now->name,
			probe_strerror(err),
			err == -EOPNOTSUPP ? " (the driver has no native XDP; use Mode = tc or auto)"
			: err == -EBUSY || err == -EEXIST ? " (another XDP program is attached)" : "");
	return err;
}

static int attach_tcx(const char *pin_dir, const struct hp_netdev *now,
		      enum hp_direction direction, int fd, struct hook_change *c)
{
	const struct hp_attachment *own = own_in(now, HP_HOOK_TCX, direction);
	struct tcx_link_info info;
	char path[PATH_MAX];
	int err;

	if (own) {
		LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE);

		err = hold_old(now, own, &c->old_prog_fd);
		if (err)
			return err;
		c->link_fd = bpf_link_get_fd_by_id(own->link_id);
		if (c->link_fd < 0) {
			err = -errno;
			pr_warn("%s: couldn't take hold of tcx link %u: %s", now->name, own->link_id,
				probe_strerror(err));
			return err;
		}
		opts.old_prog_fd = c->old_prog_fd;
		err = bpf_link_update(c->link_fd, fd, &opts);
		if (err) {
			pr_warn("couldn't replace the program of tcx %s link %u on %s: %s",
				dir_name(direction), own->link_id, now->name, probe_strerror(err));
			return err;
		}
		c->replaced = true;
		/* Adopted: pinned as this instance pins its links, if it was not. */
		err = pins_link_path(pin_dir, now->ifindex, direction, own->link_id, path,
				     sizeof(path));
		if (!err && access(path, F_OK) && bpf_obj_pin(c->link_fd, path) && errno != EEXIST)
			pr_warn("couldn't pin tcx link %u at %s: %s", own->link_id, path,
				strerror(errno));
		return 0;
	}
	err = pins_prepare_links(pin_dir);
	if (err)
		return err;
	c->link_fd = tcx_link_create(fd, now->ifindex, direction);
	if (c->link_fd < 0) {
		err = c->link_fd;
		pr_warn("couldn't attach tcx %s program to %s: %s", dir_name(direction), now->name,
			probe_strerror(err));
		return err;
	}
	/* Until it is pinned the link lives only as long as this process: a crash now takes
	 * the attachment with it. */
	fault_point("tcx-link-created");
	err = tcx_link_info(c->link_fd, &info);
	if (!err)
		err = pins_link_path(pin_dir, now->ifindex, direction, info.id, c->link_pin,
				     sizeof(c->link_pin));
	if (!err && bpf_obj_pin(c->link_fd, c->link_pin))
		err = -errno;
	if (err) {
		pr_warn("couldn't pin the tcx %s link of %s: %s", dir_name(direction), now->name,
			strerror(-err));
		bpf_link_detach(c->link_fd);
		close_fd(&c->link_fd);
		c->link_pin[0] = '\0';
		return err;
	}
	return 0;
}

static int attach_tc(const struct hp_netdev *now, enum hp_direction direction, int fd,
		     struct attach_txn *txn, struct hook_change *c)
{
	const struct hp_attachment *own = own_in(now, HP_HOOK_TC, direction);
	int err;

	/* libbpf-bootstrap's tc.c: remember whether the qdisc is ours, to remove only ours. */
	if (!now->clsact && !txn->created_qdisc) {
		err = clsact_create(now->ifindex);
		if (!err) {
			txn->created_qdisc = true;
			fault_point("clsact-added");
		} else if (err != -EEXIST) {
			pr_warn("couldn't add a clsact qdisc to %s: %s", now->name,
				probe_strerror(err));
			return err;
		}
	}
	if (own) {
		err = hold_old(now, own, &c->old_prog_fd);
		if (err)
			return err;
		c->replaced = true;
	}
	err = clsact_attach(now->ifindex, direction, fd);
	if (err)
		pr_warn("couldn't attach tc %s program to %s: %s", dir_name(direction), now->name,
			probe_strerror(err));
	return err;
}

/* Attach @fd to @hook of @direction; on success the change is recorded in @txn. */
static int attach_hook(const char *pin_dir, const struct hp_netdev *now, enum hp_hook hook,
		       enum hp_direction direction, int fd, struct attach_txn *txn)
{
	struct hook_change *c = &txn->changes[txn->n_changes];
	int err;

	memset(c, 0, sizeof(*c));
	c->hook = hook;
	c->direction = direction;
	c->old_prog_fd = c->link_fd = -1;
	if (hook == HP_HOOK_XDP)
		err = attach_xdp(now, fd, c);
	else if (hook == HP_HOOK_TCX)
		err = attach_tcx(pin_dir, now, direction, fd, c);
	else
		err = attach_tc(now, direction, fd, txn, c);
	if (err) {
		close_fd(&c->old_prog_fd);
		close_fd(&c->link_fd);
		return err;
	}
	txn->n_changes++;
	if (direction == HP_DIR_INGRESS) {
		txn->ingress = hook;
		txn->ingress_prog_id = prog_id_of(fd);
	} else {
		txn->egress = hook;
		txn->egress_prog_id = prog_id_of(fd);
	}
	return 0;
}

static const char *tc_hook_note(enum hp_hook hook)
{
	return hook == HP_HOOK_TCX ? "tcx links, this kernel has them"
				   : "a clsact qdisc and cls_bpf filters: this kernel has no tcx "
				     "(Linux 6.6)";
}

int attach_device(const char *pin_dir, const struct hp_plan_device *dev,
		  const struct attach_choice *choice, const struct hp_progs *progs,
		  const struct hp_netdev *now, struct attach_txn *txn)
{
	enum hp_hook ingress = choice->ingress;
	char why[224], label[2 * IF_NAMESIZE + 80];
	int err;

	memset(txn, 0, sizeof(*txn));
	txn->ifindex = dev->ifindex;
	snprintf(txn->name, sizeof(txn->name), "%s", dev->name);
	snprintf(why, sizeof(why), "%s", choice->why);

	err = attach_hook(pin_dir, now, choice->egress, HP_DIR_EGRESS, progs->egress_tc, txn);
	if (err)
		goto fail;
	fault_point("egress-attached");
	err = attach_hook(pin_dir, now, ingress,  HP_DIR_INGRESS,
			  ingress == HP_HOOK_XDP ? progs->ingress_xdp : progs->ingress_tc, txn);
	if (err && ingress == HP_HOOK_XDP && choice->xdp_may_fall_back) {
		snprintf(why, sizeof(why), "native XDP refused: %s", strerror(-err));
		ingress = choice->egress;
		err = attach_hook(pin_dir, now, ingress, HP_DIR_INGRESS, progs->ingress_tc, txn);
	}
	if (err)
		goto fail;
	fault_point("ingress-attached");
	if (dev->bridge[0])
		snprintf(label, sizeof(label), "%s (a port of the bridge %s, where br_netfilter "
			 "cannot get ahead of hairpin)", dev->name, dev->bridge);
	else
		snprintf(label, sizeof(label), "%s", dev->name);
	if (ingress == HP_HOOK_XDP)
		pr_info("%s: native XDP ingress (%s), %s egress (%s)", label, why,
			hp_hook_text(choice->egress), tc_hook_note(choice->egress));
	else
		pr_info("%s: %s ingress and egress (%s; %s)", label, hp_hook_text(ingress), why,
			tc_hook_note(ingress));
	return 0;
fail:
	attach_rollback(txn);
	return err;
}

/* Empty hairpin's cls_bpf slot of @direction. */
static int tc_slot_clear(int ifindex, enum hp_direction direction)
{
	struct tc_filter slot = {
		.direction = direction,
		.handle = HP_TC_HANDLE,
		.priority = HP_TC_PRIORITY,
		.protocol = htons(ETH_P_ALL),
		.kind = "bpf",
	};
	struct rtnl nl;
	int err = rtnl_open(&nl);

	if (!err)
		err = clsact_filter_delete(&nl, ifindex, &slot);
	rtnl_close(&nl);
	return err;
}

static int undo_change(const struct attach_txn *txn, const struct hook_change *c)
{
	int new_fd = -1, err;
	__u32 new_id = c->direction == HP_DIR_INGRESS ? txn->ingress_prog_id : txn->egress_prog_id;

	switch (c->hook) {
	case HP_HOOK_XDP: {
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts);

		new_fd = prog_fd_by_id(new_id);
		if (new_fd < 0)
			return new_fd;
		opts.old_prog_fd = new_fd;
		if (c->replaced)
			err = bpf_xdp_attach(txn->ifindex, c->old_prog_fd,
					     XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE, &opts);
		else
			err = bpf_xdp_detach(txn->ifindex, XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE,
					     &opts);
		break;
	}
	case HP_HOOK_TCX:
		if (c->replaced) {
			LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE);

			new_fd = prog_fd_by_id(new_id);
			if (new_fd < 0)
				return new_fd;
			opts.old_prog_fd = new_fd;
			err = bpf_link_update(c->link_fd, c->old_prog_fd, &opts);
		} else {
			err = bpf_link_detach(c->link_fd);
			if (!err && unlink(c->link_pin))
				err = -errno;
		}
		break;
	default:
		err = c->replaced ? clsact_attach(txn->ifindex, c->direction, c->old_prog_fd)
				  : tc_slot_clear(txn->ifindex, c->direction);
	}
	if (new_fd >= 0)
		close(new_fd);
	return err;
}

void attach_rollback(struct attach_txn *txn)
{
	/* Ingress before egress, as it was attached after. */
	for (int i = txn->n_changes - 1; i >= 0; i--) {
		const struct hook_change *c = &txn->changes[i];
		int err = undo_change(txn, c);

		if (err)
			pr_warn("couldn't put back the %s %s hook of %s as it was: %s",
				hp_hook_text(c->hook), dir_name(c->direction), txn->name,
				probe_strerror(err));
	}
	if (txn->created_qdisc) {
		int err = clsact_delete(txn->ifindex);

		if (err)
			pr_warn("couldn't remove the clsact qdisc hairpin added to %s: %s", txn->name,
				probe_strerror(err));
	}
	attach_commit(txn);
	txn->n_changes = 0;
	txn->created_qdisc = false;
}

void attach_commit(struct attach_txn *txn)
{
	for (int i = 0; i < txn->n_changes; i++) {
		close_fd(&txn->changes[i].old_prog_fd);
		close_fd(&txn->changes[i].link_fd);
	}
}

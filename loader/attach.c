// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "log.h"
#include "netdev.h"
#include "probe.h"

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

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* An fd for a program hairpin attached earlier, or -1 if it is gone. */
static int prog_fd_by_id(__u32 id)
{
	int fd = id ? bpf_prog_get_fd_by_id(id) : -1;

	return fd < 0 ? -1 : fd;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* --- XDP, native mode only: generic XDP leaves stale skb checksums behind. --- */

/* Attach @fd, replacing @old_fd if it is >= 0, else only if nothing is attached. */
static int xdp_attach(int ifindex, int fd, int old_fd)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);
	__u32 flags = XDP_FLAGS_DRV_MODE;

	flags |= old_fd >= 0 ? XDP_FLAGS_REPLACE : XDP_FLAGS_UPDATE_IF_NOEXIST;
	return bpf_xdp_attach(ifindex, fd, flags, old_fd >= 0 ? &opts : NULL);
}

/* Detach @expected_fd, and only it. */
static int xdp_detach(int ifindex, int expected_fd)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = expected_fd);

	return bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE, &opts);
}

/* --- tc: a clsact qdisc and one cls_bpf filter per direction in hairpin's slot. --- */

/* LIBBPF_OPTS zeroes the padding too: libbpf rejects a hook with non-zero extra bytes. */
#define TC_HOOK(name, ifindex_, point)                                                      \
	LIBBPF_OPTS(bpf_tc_hook, name, .ifindex = (ifindex_), .attach_point = (point))

static int tc_attach(int ifindex, enum bpf_tc_attach_point point, int fd)
{
	TC_HOOK(hook, ifindex, point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = HP_TC_HANDLE, .priority = HP_TC_PRIORITY,
		    .prog_fd = fd, .flags = BPF_TC_F_REPLACE);

	return bpf_tc_attach(&hook, &opts);
}

static int tc_detach(int ifindex, enum bpf_tc_attach_point point)
{
	TC_HOOK(hook, ifindex, point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = HP_TC_HANDLE, .priority = HP_TC_PRIORITY);

	return bpf_tc_detach(&hook, &opts);
}

/* The id of the program in hairpin's slot, 0 if the slot is empty. */
static __u32 tc_query(int ifindex, enum bpf_tc_attach_point point)
{
	TC_HOOK(hook, ifindex, point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = HP_TC_HANDLE, .priority = HP_TC_PRIORITY);

	return bpf_tc_query(&hook, &opts) ? 0 : opts.prog_id;
}

/* Restore @old_fd in the slot, or empty it when there was none. */
static void tc_restore(int ifindex, enum bpf_tc_attach_point point, int old_fd)
{
	int err = old_fd >= 0 ? tc_attach(ifindex, point, old_fd) : tc_detach(ifindex, point);

	if (err)
		pr_warn("couldn't restore the tc %s filter of ifindex %d: %s",
			point == BPF_TC_INGRESS ? "ingress" : "egress", ifindex, strerror(-err));
}

/*
 * Whether to use native XDP: auto picks what is fastest on the device. veth's native XDP
 * turns every skb into an xdp_buff and back and measured slower than tc; a driver without
 * native XDP would get generic XDP, which leaves a stale CHECKSUM_COMPLETE behind.
 */
static bool auto_wants_xdp(const char *name, char *why, size_t len)
{
	char driver[32] = "";

	if (netdev_driver(name, driver, sizeof(driver))) {
		snprintf(why, len, "its driver is unknown; trying native XDP");
		return true;
	}
	if (!strcmp(driver, "veth")) {
		snprintf(why, len, "veth: its native XDP copies every packet and is slower than tc");
		return false;
	}
	snprintf(why, len, "driver %s", driver);
	return true;
}

/* How the tc hooks are attached, and why not otherwise; probed once per command. */
static const char *tc_hook_note(void)
{
	static const char *note;

	if (!note)
		note = probe_has_tcx() ? "this kernel also has tcx links, which libbpf 1.1 cannot make"
				       : "this kernel has no tcx links: Linux 6.6";
	return note;
}

static int attach_ingress(const struct hp_plan_device *dev, enum hp_config_mode mode,
			  const struct hp_progs *progs, struct attach_txn *txn)
{
	int old_xdp_fd = txn->old.mode == HP_MODE_XDP ? txn->old_ingress_fd : -1;
	char why[96] = "Mode = tc";
	int err;

	if (mode == HP_CONFIG_MODE_XDP || (mode == HP_CONFIG_MODE_AUTO &&
					   auto_wants_xdp(dev->name, why, sizeof(why)))) {
		err = xdp_attach(dev->ifindex, progs->ingress_xdp, old_xdp_fd);
		if (!err) {
			pr_info("%s: native XDP ingress (%s), tc egress via a clsact qdisc and a "
				"cls_bpf filter (%s)", dev->name,
				mode == HP_CONFIG_MODE_XDP ? "Mode = xdp" : why, tc_hook_note());
			txn->record.mode = HP_MODE_XDP;
			txn->new_ingress_fd = progs->ingress_xdp;
			return 0;
		}
		if (mode == HP_CONFIG_MODE_XDP) {
			pr_warn("couldn't attach XDP program to %s in native mode: %s%s", dev->name,
				strerror(-err),
				err == -EOPNOTSUPP ? " (the driver has no native XDP; use Mode = tc or auto)"
				: err == -EBUSY || err == -EEXIST ? " (another XDP program is attached)" : "");
			return err;
		}
		snprintf(why, sizeof(why), "native XDP refused: %s", strerror(-err));
	}
	err = tc_attach(dev->ifindex, BPF_TC_INGRESS, progs->ingress_tc);
	if (err) {
		pr_warn("couldn't attach tc ingress program to %s: %s", dev->name, strerror(-err));
		return err;
	}
	pr_info("%s: tc ingress (%s) and egress via a clsact qdisc and cls_bpf filters (%s)",
		dev->name, why, tc_hook_note());
	txn->record.mode = HP_MODE_TC;
	txn->new_ingress_fd = progs->ingress_tc;
	return 0;
}

int attach_device(const struct hp_plan_device *dev, enum hp_config_mode mode,
		  const struct hp_progs *progs, const struct hp_device *old,
		  struct attach_txn *txn)
{
	TC_HOOK(hook, dev->ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);
	int err;

	memset(txn, 0, sizeof(*txn));
	txn->old_ingress_fd = txn->old_egress_fd = txn->new_ingress_fd = -1;
	if (old) {
		txn->old = *old;
		txn->old_ingress_fd = prog_fd_by_id(old->ingress_prog_id);
		txn->old_egress_fd = prog_fd_by_id(old->egress_prog_id);
	}
	txn->record = (struct hp_device){
		.ifindex = dev->ifindex,
		.flags = txn->old.flags & HP_DEVICE_CREATED_QDISC,
	};
	snprintf(txn->record.name, sizeof(txn->record.name), "%s", dev->name);

	/* libbpf-bootstrap's tc.c: remember whether the qdisc is ours, to remove only ours. */
	err = bpf_tc_hook_create(&hook);
	if (!err) {
		txn->created_qdisc = true;
		txn->record.flags |= HP_DEVICE_CREATED_QDISC;
	} else if (err != -EEXIST) {
		pr_warn("couldn't add a clsact qdisc to %s: %s", dev->name, strerror(-err));
		goto fail;
	}

	err = attach_ingress(dev, mode, progs, txn);
	if (err)
		goto fail;
	txn->ingress_attached = true;

	err = tc_attach(dev->ifindex, BPF_TC_EGRESS, progs->egress_tc);
	if (err) {
		pr_warn("couldn't attach tc egress program to %s: %s", dev->name, strerror(-err));
		goto fail;
	}
	txn->egress_attached = true;

	/* On a change of mode the new ingress runs before the old one goes: no gap. A packet
	 * that both see is rewritten once, since the second sees the target, not the public
	 * address. */
	if (txn->old.mode != HP_MODE_NONE && txn->old.mode != txn->record.mode) {
		if (txn->old.mode == HP_MODE_XDP)
			err = txn->old_ingress_fd >= 0 ? xdp_detach(dev->ifindex, txn->old_ingress_fd)
						      : 0;
		else
			err = tc_detach(dev->ifindex, BPF_TC_INGRESS);
		if (err && err != -ENOENT) {
			pr_warn("couldn't remove the previous %s ingress program from %s: %s",
				hp_mode_name(txn->old.mode), dev->name, strerror(-err));
			goto fail;
		}
		txn->old_ingress_removed = true;
	}

	txn->record.ingress_prog_id = prog_id(txn->new_ingress_fd);
	txn->record.egress_prog_id = prog_id(progs->egress_tc);
	return 0;
fail:
	attach_rollback(txn);
	return err;
}

void attach_rollback(struct attach_txn *txn)
{
	int ifindex = txn->record.ifindex;
	int err;

	if (txn->old_ingress_removed) {
		if (txn->old.mode == HP_MODE_XDP)
			err = xdp_attach(ifindex, txn->old_ingress_fd, -1);
		else
			err = tc_attach(ifindex, BPF_TC_INGRESS, txn->old_ingress_fd);
		if (err)
			pr_warn("couldn't restore the previous ingress program of %s: %s",
				txn->record.name, strerror(-err));
	}
	if (txn->egress_attached)
		tc_restore(ifindex, BPF_TC_EGRESS, txn->old_egress_fd);
	if (txn->ingress_attached) {
		if (txn->record.mode == HP_MODE_XDP) {
			if (txn->old.mode == HP_MODE_XDP && txn->old_ingress_fd >= 0)
				err = xdp_attach(ifindex, txn->old_ingress_fd, txn->new_ingress_fd);
			else
				err = xdp_detach(ifindex, txn->new_ingress_fd);
			if (err)
				pr_warn("couldn't restore XDP on %s: %s", txn->record.name,
					strerror(-err));
		} else {
			tc_restore(ifindex, BPF_TC_INGRESS,
				   txn->old.mode == HP_MODE_TC ? txn->old_ingress_fd : -1);
		}
	}
	if (txn->created_qdisc) {
		TC_HOOK(hook, ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);

		bpf_tc_hook_destroy(&hook);
	}
	attach_commit(txn);
	memset(&txn->record, 0, sizeof(txn->record));
}

void attach_commit(struct attach_txn *txn)
{
	close_fd(&txn->old_ingress_fd);
	close_fd(&txn->old_egress_fd);
	txn->ingress_attached = txn->egress_attached = txn->old_ingress_removed = false;
	txn->created_qdisc = false;
}

/* Whether @rec's ifindex still names the device hairpin attached to. */
static bool device_still_there(const struct hp_device *rec)
{
	char name[IF_NAMESIZE];

	return if_indextoname(rec->ifindex, name) && !strcmp(name, rec->name);
}

int detach_device(const struct hp_device *rec)
{
	int ifindex = rec->ifindex, err, first_err = 0;
	__u32 id;

	if (!device_still_there(rec)) {
		pr_debug("%s (ifindex %d) is gone: nothing to detach", rec->name, ifindex);
		return 0;
	}
	if (rec->mode == HP_MODE_XDP) {
		if (!bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &id) && id &&
		    id == rec->ingress_prog_id) {
			int fd = prog_fd_by_id(id);

			err = fd >= 0 ? xdp_detach(ifindex, fd) : 0;
			close_fd(&fd);
			if (err) {
				pr_warn("couldn't detach XDP program from %s: %s", rec->name,
					strerror(-err));
				first_err = first_err ?: err;
			}
		} else if (id) {
			pr_warn("%s: XDP program %u is not hairpin's; leaving it", rec->name, id);
		}
	}
	for (int i = 0; i < 2; i++) {
		enum bpf_tc_attach_point point = i ? BPF_TC_EGRESS : BPF_TC_INGRESS;

		if (!tc_query(ifindex, point))
			continue;
		err = tc_detach(ifindex, point);
		if (err && err != -ENOENT) {
			pr_warn("couldn't detach tc %s program from %s: %s",
				i ? "egress" : "ingress", rec->name, strerror(-err));
			first_err = first_err ?: err;
		}
	}
	if (!first_err && (rec->flags & HP_DEVICE_CREATED_QDISC)) {
		TC_HOOK(hook, ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);

		err = bpf_tc_hook_destroy(&hook);
		if (err && err != -ENOENT && err != -EINVAL)
			pr_warn("couldn't remove the clsact qdisc of %s: %s", rec->name,
				strerror(-err));
	}
	return first_err;
}

// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clsact.h"
#include "detach.h"
#include "fault.h"
#include "log.h"
#include "pins.h"
#include "probe.h"
#include "rtnl.h"
#include "tcx.h"

static bool kept(const __u32 *keep, int n_keep, __u32 id)
{
	for (int i = 0; i < n_keep; i++)
		if (keep[i] == id)
			return true;
	return false;
}

/* Take @a off @dev. A program or link that is gone meanwhile is not an error. */
static int remove_attachment(struct rtnl *nl, const struct hp_netdev *dev,
			     const struct hp_attachment *a)
{
	int fd, err;

	switch (a->hook) {
	case HP_HOOK_XDP:
	case HP_HOOK_XDP_GENERIC: {
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
		__u32 mode = a->hook == HP_HOOK_XDP ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;

		fd = bpf_prog_get_fd_by_id(a->prog.id);
		if (fd < 0)
			return errno == ENOENT ? 0 : -errno;
		/* Only this program: if another took its place meanwhile, that one stays. */
		opts.old_prog_fd = fd;
		err = bpf_xdp_detach(dev->ifindex, mode | XDP_FLAGS_REPLACE, &opts);
		close(fd);
		return err;
	}
	case HP_HOOK_TCX:
		if (a->link_id) {
			fd = bpf_link_get_fd_by_id(a->link_id);
			if (fd < 0)
				return errno == ENOENT ? 0 : -errno;
			/* Detached whoever else holds the link: its pin goes in the sweep. */
			err = bpf_link_detach(fd);
		} else {
			fd = bpf_prog_get_fd_by_id(a->prog.id);
			if (fd < 0)
				return errno == ENOENT ? 0 : -errno;
			err = bpf_prog_detach2(fd, dev->ifindex, tcx_attach_type(a->direction));
		}
		close(fd);
		return err == -ENOENT ? 0 : err;
	case HP_HOOK_TC:
		err = clsact_filter_delete(nl, dev->ifindex, &a->filter);
		return err == -ENOENT ? 0 : err;
	default:
		return 0;
	}
}

static const struct hp_device *record_of(const struct hp_device *records, int n, int ifindex)
{
	for (int i = 0; i < n; i++)
		if (records[i].ifindex == (__u32)ifindex)
			return &records[i];
	return NULL;
}

/* The clsact qdisc that hairpin added to @dev, if no filter is left on it now. */
static int remove_qdisc(struct rtnl *nl, const struct hp_netdev *dev,
			struct detach_report *report)
{
	struct tc_filter *filters;
	int n, err = clsact_filters(nl, dev->ifindex, &filters, &n);

	if (err == -EINVAL || err == -ENOENT)
		return 0;	/* no clsact qdisc any more */
	if (err) {
		pr_warn("couldn't list the tc filters of %s: %s", dev->name, probe_strerror(err));
		return err;
	}
	free(filters);
	if (n) {
		report->qdisc_kept_filters = n;
		pr_debug("%s: leaving the clsact qdisc hairpin added: %d filter%s on it", dev->name,
			 n, n == 1 ? " is" : "s are");
		return 0;
	}
	err = clsact_delete(dev->ifindex);
	if (err && err != -ENOENT && err != -EINVAL) {
		pr_warn("couldn't remove the clsact qdisc hairpin added to %s: %s", dev->name,
			probe_strerror(err));
		return err;
	}
	report->qdisc_removed = !err;
	fault_point("clsact-removed");
	return 0;
}

static int detach_device(struct rtnl *nl, const struct hp_netdev *dev, const __u32 *keep,
			 int n_keep, const struct hp_device *record, struct detach_report *report)
{
	char where[48];
	int first = 0;

	/* Ingress first: a flow must never be rewritten on its way in and not on its way out. */
	for (int pass = HP_DIR_INGRESS; pass <= HP_DIR_EGRESS; pass++) {
		for (int i = 0; i < dev->n_attachments; i++) {
			const struct hp_attachment *a = &dev->attachments[i];
			enum hp_direction dir = a->hook == HP_HOOK_XDP ||
				a->hook == HP_HOOK_XDP_GENERIC ? HP_DIR_INGRESS : a->direction;
			int err;

			if (dir != (enum hp_direction)pass || a->prog.owner != HP_OWNER_SELF ||
			    !a->prog.id || kept(keep, n_keep, a->prog.id))
				continue;
			err = remove_attachment(nl, dev, a);
			if (err) {
				pr_warn("couldn't take program %u off %s's %s: %s", a->prog.id,
					dev->name, attachment_where(a, where, sizeof(where)),
					probe_strerror(err));
				report->failed++;
				first = first ?: err;
				continue;
			}
			report->removed++;
			pr_debug("%s: took program %u (%s) off %s", dev->name, a->prog.id, a->prog.name,
				 attachment_where(a, where, sizeof(where)));
			fault_point("program-detached");
		}
	}
	if (!first && dev->clsact && record && (record->flags & HP_DEVICE_CREATED_QDISC))
		first = remove_qdisc(nl, dev, report);
	return first;
}

/* Unpin every link under links/ that carries no kept program. */
static int sweep_links(const char *pin_dir, const __u32 *keep, int n_keep)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *e;
	int first = 0;
	DIR *d;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/" HP_PIN_LINKS, pin_dir) >= sizeof(dir))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		struct tcx_link_info info = {};
		int fd;

		if (e->d_name[0] == '.' ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		fd = bpf_obj_get(path);
		if (fd >= 0 && !tcx_link_info(fd, &info) && info.ifindex &&
		    kept(keep, n_keep, info.prog_id)) {
			close(fd);
			continue;
		}
		/* The link is this instance's (it is in its pin dir): detached before the pin
		 * goes, in case anyone else holds it open. */
		if (fd >= 0) {
			bpf_link_detach(fd);
			close(fd);
		}
		if (unlink(path) && errno != ENOENT) {
			first = first ?: -errno;
			pr_warn("couldn't remove pin %s: %s", path, strerror(errno));
			continue;
		}
		fault_point("link-unpinned");
	}
	closedir(d);
	return first;
}

int detach_instance(const struct hp_scan *scan, const __u32 *keep, int n_keep,
		    const struct hp_device *records, int n_records, const char *pin_dir,
		    struct detach_report *report)
{
	struct detach_report ignored;
	struct rtnl nl;
	int first, err;

	first = rtnl_open(&nl);
	if (first) {
		pr_warn("couldn't open a netlink socket: %s", strerror(-first));
		return first;
	}
	for (int i = 0; i < scan->n_devs; i++) {
		const struct hp_netdev *dev = &scan->devs[i];
		struct detach_report *r = report ? &report[i] : &ignored;

		memset(r, 0, sizeof(*r));
		err = detach_device(&nl, dev, keep, n_keep,
				    record_of(records, n_records, dev->ifindex), r);
		first = first ?: err;
	}
	rtnl_close(&nl);
	err = sweep_links(pin_dir, keep, n_keep);
	return first ?: err;
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attached.h"
#include "log.h"
#include "probe.h"
#include "rtnl.h"
#include "tcx.h"

const char *hp_hook_name(enum hp_hook hook)
{
	switch (hook) {
	case HP_HOOK_XDP:
		return "xdp";
	case HP_HOOK_XDP_GENERIC:
		return "xdpgeneric";
	case HP_HOOK_TCX:
		return "tcx";
	case HP_HOOK_TC:
		return "tc";
	default:
		return "none";
	}
}

const char *hp_hook_text(enum hp_hook hook)
{
	switch (hook) {
	case HP_HOOK_XDP:
		return "native XDP";
	case HP_HOOK_XDP_GENERIC:
		return "generic XDP";
	case HP_HOOK_TCX:
		return "tcx";
	case HP_HOOK_TC:
		return "cls_bpf";
	default:
		return "nothing";
	}
}

const char *attachment_where(const struct hp_attachment *a, char *buf, size_t len)
{
	if (a->hook == HP_HOOK_XDP || a->hook == HP_HOOK_XDP_GENERIC)
		snprintf(buf, len, "%s", hp_hook_text(a->hook));
	else
		snprintf(buf, len, "%s %s", a->hook == HP_HOOK_TCX ? "tcx" : "tc",
			 a->direction == HP_DIR_INGRESS ? "ingress" : "egress");
	if (a->hook == HP_HOOK_TC && !tc_filter_in_hairpin_slot(&a->filter)) {
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, " (filter %x:%x)", a->filter.priority, a->filter.handle);
	}
	return buf;
}

/* Programs are looked up once per scan: one egress program may sit on 64 devices. */
struct prog_cache {
	struct hp_prog *progs;
	int n, cap;
};

static int classify(const struct hp_self *self, struct prog_cache *cache, __u32 id,
		    struct hp_prog *out)
{
	int err;

	for (int i = 0; i < cache->n; i++) {
		if (cache->progs[i].id == id) {
			*out = cache->progs[i];
			return 0;
		}
	}
	err = instance_classify(self, id, out);
	if (err) {
		if (err != -ENOENT)
			pr_warn("couldn't look at BPF program %u: %s", id, probe_strerror(err));
		return err;
	}
	if (cache->n == cache->cap) {
		int cap = cache->cap ? cache->cap * 2 : 8;
		struct hp_prog *grown = realloc(cache->progs, cap * sizeof(*grown));

		if (!grown)
			return 0;	/* only the cache is lost */
		cache->progs = grown;
		cache->cap = cap;
	}
	cache->progs[cache->n++] = *out;
	return 0;
}

/* Append @a, with its program classified, to @dev. A program gone meanwhile is skipped. */
static int add(const struct hp_self *self, struct prog_cache *cache, struct hp_netdev *dev,
	       struct hp_attachment *a, __u32 prog_id)
{
	struct hp_attachment *grown;

	if (prog_id) {
		int err = classify(self, cache, prog_id, &a->prog);

		if (err == -ENOENT)
			return 0;
		if (err)
			return err;
	}
	grown = realloc(dev->attachments, (dev->n_attachments + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	dev->attachments = grown;
	dev->attachments[dev->n_attachments++] = *a;
	return 0;
}

static int scan_tcx(const struct hp_self *self, struct prog_cache *cache, struct hp_netdev *dev)
{
	for (int dir = HP_DIR_INGRESS; dir <= HP_DIR_EGRESS; dir++) {
		struct tcx_entry entries[HP_TCX_MAX_PROGS];
		int n, err = tcx_query(dev->ifindex, dir, entries, HP_TCX_MAX_PROGS, &n);

		if (err) {
			pr_warn("couldn't list the tcx %s programs of %s: %s",
				dir == HP_DIR_INGRESS ? "ingress" : "egress", dev->name,
				probe_strerror(err));
			return err;
		}
		for (int i = 0; i < n; i++) {
			struct hp_attachment a = {
				.hook = HP_HOOK_TCX,
				.direction = dir,
				.link_id = entries[i].link_id,
			};

			err = add(self, cache, dev, &a, entries[i].prog_id);
			if (err)
				return err;
		}
	}
	return 0;
}

static int scan_clsact(const struct hp_self *self, struct prog_cache *cache, struct rtnl *nl,
		       struct hp_netdev *dev)
{
	struct tc_filter *filters;
	int n, err = clsact_filters(nl, dev->ifindex, &filters, &n);

	if (err) {
		pr_warn("couldn't list the tc filters of %s: %s", dev->name, probe_strerror(err));
		return err;
	}
	for (int i = 0; i < n && !err; i++) {
		struct hp_attachment a = {
			.hook = HP_HOOK_TC,
			.direction = filters[i].direction,
			.filter = filters[i],
		};

		err = add(self, cache, dev, &a, filters[i].prog_id);
	}
	free(filters);
	return err;
}

static int scan_xdp(const struct hp_self *self, struct prog_cache *cache, struct hp_netdev *dev,
		    const struct rtnl_link *link)
{
	struct hp_attachment native = { .hook = HP_HOOK_XDP };
	struct hp_attachment generic = { .hook = HP_HOOK_XDP_GENERIC };
	int err = 0;

	if (link->xdp_drv_prog_id)
		err = add(self, cache, dev, &native, link->xdp_drv_prog_id);
	if (!err && link->xdp_skb_prog_id)
		err = add(self, cache, dev, &generic, link->xdp_skb_prog_id);
	return err;
}

static bool in_list(const int *list, int n, int value)
{
	for (int i = 0; i < n; i++)
		if (list[i] == value)
			return true;
	return false;
}

int attached_scan(const struct hp_self *self, struct hp_scan *scan)
{
	struct prog_cache cache = {};
	struct rtnl_link *links = NULL;
	int *clsacts = NULL, n_links = 0, n_clsacts = 0, err;
	struct rtnl nl;

	memset(scan, 0, sizeof(*scan));
	err = rtnl_open(&nl);
	if (err) {
		pr_warn("couldn't open a netlink socket: %s", strerror(-err));
		return err;
	}
	err = rtnl_list_links(&nl, &links, &n_links);
	if (err) {
		pr_warn("couldn't list the network devices: %s", strerror(-err));
		goto out;
	}
	err = clsact_list(&nl, &clsacts, &n_clsacts);
	if (err) {
		pr_warn("couldn't list the qdiscs: %s", strerror(-err));
		goto out;
	}
	scan->tcx = probe_has_tcx();
	scan->devs = calloc(n_links ? n_links : 1, sizeof(*scan->devs));
	if (!scan->devs) {
		err = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n_links && !err; i++) {
		struct hp_netdev *dev = &scan->devs[scan->n_devs++];

		dev->ifindex = links[i].ifindex;
		snprintf(dev->name, sizeof(dev->name), "%s", links[i].name);
		dev->clsact = in_list(clsacts, n_clsacts, dev->ifindex);
		dev->master = links[i].master;
		err = scan_xdp(self, &cache, dev, &links[i]);
		if (!err && scan->tcx)
			err = scan_tcx(self, &cache, dev);
		if (!err && dev->clsact)
			err = scan_clsact(self, &cache, &nl, dev);
	}
out:
	if (err)
		attached_free(scan);
	free(cache.progs);
	free(links);
	free(clsacts);
	rtnl_close(&nl);
	return err;
}

void attached_free(struct hp_scan *scan)
{
	for (int i = 0; i < scan->n_devs; i++)
		free(scan->devs[i].attachments);
	free(scan->devs);
	scan->devs = NULL;
	scan->n_devs = 0;
}

const struct hp_netdev *attached_netdev(const struct hp_scan *scan, int ifindex)
{
	for (int i = 0; i < scan->n_devs; i++)
		if (scan->devs[i].ifindex == ifindex)
			return &scan->devs[i];
	return NULL;
}

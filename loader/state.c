// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "instance.h"
#include "maps.h"
#include "route.h"
#include "state.h"

/* As doc/translation.md ("Counted") and the JSON name them, by enum hp_reason. */
const char *const hp_reason_names[HP_REASONS] = {
	[HP_REASON_FLOW_REFUSED] = "flow_refused",
	[HP_REASON_FLOWS_FULL] = "flows_full",
	[HP_REASON_FRAGS_FULL] = "frags_full",
	[HP_REASON_ORPHAN_FRAGMENT] = "orphan_fragment",
	[HP_REASON_REWRITE_FAILED] = "rewrite_failed",
	[HP_REASON_OLD_ADDRESS] = "old_address",
	[HP_REASON_DIRECT_CLASH] = "direct_clash",
	[HP_REASON_NOT_ALLOWED] = "not_allowed",
	[HP_REASON_REFLECT_PORTS_FULL] = "reflect_ports_full",
	[HP_REASON_NO_NEIGHBOUR] = "no_neighbour",
};

static int state_read_sources(struct hp_state *st, int fd)
{
	struct hp_source_entry *all;
	int n, err = maps_read_sources(fd, &all, &n);

	if (err)
		return err;
	st->sources = calloc(n ? n : 1, sizeof(*st->sources));
	for (int i = 0; st->sources && i < n; i++)
		if (all[i].key.generation == st->config.sources_generation)
			st->sources[st->n_sources++] = all[i].key;
	free(all);
	return st->sources ? 0 : -ENOMEM;
}

/* From the forward's info (reflected) or the kernel's route to its target. */
static void forward_reach_read(int info_fd, const struct hp_forward_entry *f,
			       struct forward_reach *reach)
{
	struct hp_forward_info info = { 0 };
	__u32 slot = f->value.stats_index;
	struct route route;

	memset(reach, 0, sizeof(*reach));
	reach->kind = "routed";
	if (!bpf_map_lookup_elem(info_fd, &slot, &info) && info.reflect_ifindex) {
		reach->kind = "reflected";
		reach->reflect_addr = info.reflect_addr;
		if (!if_indextoname(info.reflect_ifindex, reach->via))
			snprintf(reach->via, sizeof(reach->via), "#%u", info.reflect_ifindex);
		return;
	}
	if (route_get(f->value.target_addr, &route))
		return;
	if (route.kind == ROUTE_LOCAL)
		reach->kind = "this host";
	else
		snprintf(reach->via, sizeof(reach->via), "%s", route.ifname);
}

static int state_read_maps(struct hp_state *st, int fds[HP_PIN_COUNT])
{
	__u32 zero = 0;
	int err;

	if (bpf_map_lookup_elem(fds[HP_PIN_CONFIG], &zero, &st->config))
		return -errno;
	err = maps_read_devices(fds[HP_PIN_DEVICES], &st->devices, &st->n_devices);
	if (!err)
		err = maps_read_forwards(fds[HP_PIN_FORWARDS], &st->forwards, &st->n_forwards);
	if (!err)
		err = flows_read(fds[HP_PIN_FLOWS], &st->config, &st->flows, &st->n_flows);
	if (!err)
		err = maps_reasons_sum(fds[HP_PIN_REASONS], st->reasons);
	if (err)
		return err;
	for (int i = 0; i < st->n_flows; i++)
		if (!st->flows[i].reflection) {
			st->n_live += st->flows[i].live;
			st->n_ended += !st->flows[i].live;
		}
	err = state_read_sources(st, fds[HP_PIN_SOURCES]);
	if (err)
		return err;
	st->stats = calloc(st->n_forwards ? st->n_forwards : 1, sizeof(*st->stats));
	st->reach = calloc(st->n_forwards ? st->n_forwards : 1, sizeof(*st->reach));
	if (!st->stats || !st->reach)
		return -ENOMEM;
	for (int i = 0; i < st->n_forwards; i++)
		forward_reach_read(fds[HP_PIN_FORWARD_INFO], &st->forwards[i], &st->reach[i]);
	for (int i = 0; i < st->n_forwards && !err; i++)
		err = maps_stats_sum(fds[HP_PIN_STATS], st->forwards[i].value.stats_index,
				     &st->stats[i]);
	return err;
}

static int by_ifindex(const void *a, const void *b)
{
	const struct hp_device *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

static int state_read_kernel(struct hp_state *st, const char *pin_dir)
{
	struct hp_self self;
	int err = instance_self(pin_dir, &self);

	/* In the order the devices were made, not the hash map's. */
	qsort(st->devices, st->n_devices, sizeof(*st->devices), by_ifindex);
	if (!err)
		err = attached_scan(&self, &st->scan);
	if (err)
		return err;
	st->health = calloc(st->n_devices ? st->n_devices : 1, sizeof(*st->health));
	if (!st->health)
		return -ENOMEM;
	for (int i = 0; i < st->n_devices; i++)
		health_of_device(&st->devices[i], &st->scan, &st->health[i]);
	return 0;
}

int state_read(struct hp_state *st, int fds[HP_PIN_COUNT], const char *pin_dir)
{
	int err = state_read_maps(st, fds);

	return err ? err : state_read_kernel(st, pin_dir);
}

void state_free(struct hp_state *st)
{
	attached_free(&st->scan);
	free(st->health);
	free(st->devices);
	free(st->forwards);
	free(st->flows);
	free(st->stats);
	free(st->reach);
	free(st->sources);
}

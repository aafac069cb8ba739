// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "flows.h"
#include "pins.h"

/* The datapath's flow_live(). */
static bool flow_live_at(const struct hp_config *config, const struct hp_flow_entry *e,
			 __u64 now, __u64 *idle)
{
	__u32 index = hp_flow_timeout_index(e->key.protocol, e->value.state);
	__s64 age = (__s64)(now - e->value.last_seen);

	*idle = age > 0 ? (__u64)age : 0;
	return index < HP_FLOW_TIMEOUTS && age <= (__s64)config->timeouts[index];
}

int flows_read(int flows_fd, const struct hp_config *config, struct hp_flow_view **views,
	       int *count)
{
	struct hp_flow_entry *entries;
	struct hp_flow_view *list;
	int n, err;
	__u64 now;

	err = clock_jiffies(&now);
	if (err)
		return err;
	err = maps_read_flows(flows_fd, &entries, &n);
	if (err)
		return err;
	list = calloc(n ? n : 1, sizeof(*list));
	if (!list) {
		free(entries);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		list[i].entry = entries[i];
		list[i].live = flow_live_at(config, &entries[i], now, &list[i].idle_jiffies);
		list[i].reflection = entries[i].key.kind == HP_FLOW_KEY_TARGET &&
				     (entries[i].value.flags & HP_FLOW_REFLECTED);
	}
	free(entries);
	*views = list;
	*count = n;
	return 0;
}

int flows_owning(const struct hp_flow_view *views, int count, __be32 addr)
{
	int owners = 0;

	for (int i = 0; i < count; i++)
		owners += views[i].live && !views[i].reflection &&
			  views[i].entry.value.public_addr == addr;
	return owners;
}

/* The idle time of the most recently seen live flow that owns @addr; ~0 for none. */
static __u64 freshest_owner(const struct hp_flow_view *views, int count, __be32 addr)
{
	__u64 idle = ~0ull;

	for (int i = 0; i < count; i++)
		if (views[i].live && views[i].entry.value.public_addr == addr &&
		    views[i].idle_jiffies < idle)
			idle = views[i].idle_jiffies;
	return idle;
}

static void prune(struct hp_config *config, const struct hp_flow_view *views, int count)
{
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++) {
		__be32 old = config->old_public_addrs[i];

		if (old && !flows_owning(views, count, old))
			pins_config_store(&config->old_public_addrs[i], 0);
	}
	pins_ingress_bits_refresh(config, 0);
}

int flows_prune_old(struct hp_config *config, int flows_fd)
{
	struct hp_flow_view *views;
	int n, err = flows_read(flows_fd, config, &views, &n);

	if (err)
		return err;
	prune(config, views, n);
	free(views);
	return 0;
}

static int free_slot(const struct hp_config *config)
{
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++)
		if (!config->old_public_addrs[i])
			return i;
	return -1;
}

/* A slot for a retiring address: a free one, made free by pruning, or the stalest. */
static int retire_slot(struct hp_config *config, int flows_fd, int *slot)
{
	struct hp_flow_view *views;
	__u64 stalest = 0;
	int n, err;

	*slot = free_slot(config);
	if (*slot >= 0)
		return 0;
	err = flows_read(flows_fd, config, &views, &n);
	if (err)
		return err;
	prune(config, views, n);
	*slot = free_slot(config);
	for (int i = 0; *slot < 0 && i < HP_MAX_OLD_PUBLIC; i++) {
		__u64 idle = freshest_owner(views, n, config->old_public_addrs[i]);

		if (idle >= stalest) {
			stalest = idle;
			*slot = i;
		}
	}
	free(views);
	return 0;
}

int flows_set_public(struct hp_config *config, int flows_fd, __be32 addr)
{
	__be32 current = config->public_addr;
	bool kept = !current;
	int slot, err;

	if (addr == current)
		return 0;
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++)
		kept |= config->old_public_addrs[i] == current;
	if (!kept) {
		err = retire_slot(config, flows_fd, &slot);
		if (err)
			return err;
		pins_config_store(&config->old_public_addrs[slot], current);
	}
	pins_ingress_bits_refresh(config, addr ? hp_target_bit(addr) : 0);
	pins_config_store(&config->public_addr, addr);
	/* The new address is current now, no longer old; the store above came first. */
	for (int i = 0; addr && i < HP_MAX_OLD_PUBLIC; i++)
		if (config->old_public_addrs[i] == addr)
			pins_config_store(&config->old_public_addrs[i], 0);
	/* Now that the change holds, the old addresses that no live flow owns leave: the one
	 * just retired too, if nothing was dialled at it. A failure here leaves them for the
	 * next change, which is harmless: they cost only packets sent to them. */
	if (flows_prune_old(config, flows_fd))
		pins_ingress_bits_refresh(config, 0);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Filling the maps from a plan (fill.h). The order of the steps is what keeps each moment's
 * contents whole: the egress prefilter's target addresses grow before the forwards that use
 * them and shrink after; AllowedSources switch generations with one store; the public address
 * is one store.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "fill.h"
#include "log.h"

static const struct hp_forward_entry *old_forward(const struct fill *fill,
						  const struct hp_forward_key *key)
{
	for (int i = 0; i < fill->n_old_forwards; i++)
		if (!memcmp(&fill->old_forwards[i].key, key, sizeof(*key)))
			return &fill->old_forwards[i];
	return NULL;
}

/*
 * Give each forward its counters' slot: the one it had if it was already forwarded (counters
 * kept), else a slot no forward old or new uses, zeroed first.
 */
static int assign_stats_slots(struct fill *fill, const struct hp_plan *plan,
			      struct hp_forward *values)
{
	static bool used[HP_MAX_FORWARDS];
	__u32 next = 0;
	int err;

	memset(used, 0, sizeof(used));
	for (int i = 0; i < fill->n_old_forwards; i++)
		if (fill->old_forwards[i].value.stats_index < HP_MAX_FORWARDS)
			used[fill->old_forwards[i].value.stats_index] = true;
	for (int i = 0; i < plan->n_forwards; i++) {
		const struct hp_forward_entry *old = old_forward(fill, &plan->forwards[i].key);

		values[i] = (struct hp_forward){
			.target_addr = plan->forwards[i].target_addr,
			.target_port = plan->forwards[i].target_port,
		};
		if (old) {
			values[i].stats_index = old->value.stats_index;
			continue;
		}
		while (next < HP_MAX_FORWARDS && used[next])
			next++;
		/* Every slot taken by old and new forwards together: a removed forward's slot
		 * is free once it is gone, but its flows may count into it for a while. */
		if (next == HP_MAX_FORWARDS) {
			memset(used, 0, sizeof(used));
			for (int j = 0; j < plan->n_forwards; j++) {
				const struct hp_forward_entry *o = old_forward(fill, &plan->forwards[j].key);

				if (o)
					used[o->value.stats_index] = true;
				else if (j < i)
					used[values[j].stats_index] = true;
			}
			next = 0;
			while (next < HP_MAX_FORWARDS && used[next])
				next++;
		}
		used[next] = true;
		values[i].stats_index = next;
		err = maps_stats_zero(fill->fds[HP_PIN_STATS], next);
		if (err)
			return err;
	}
	return 0;
}

static bool target_in(const __be32 *addrs, __be32 addr)
{
	for (int i = 0; i < HP_MAX_TARGET_ADDRS; i++)
		if (addrs[i] == addr)
			return true;
	return false;
}

/*
 * The egress prefilter's addresses change in two steps around the forwards, so that every
 * moment's set covers every forward in the map: first the new addresses join (in free slots),
 * then the ones no longer used leave.
 */
static void targets_add_new(struct hp_config *live, const __be32 *wanted)
{
	for (int i = 0; i < HP_MAX_TARGET_ADDRS; i++) {
		if (!wanted[i] || target_in(live->target_addrs, wanted[i]))
			continue;
		for (int slot = 0; slot < HP_MAX_TARGET_ADDRS; slot++) {
			__be32 cur = live->target_addrs[slot];

			/* Prefer an empty slot; else one whose address is leaving. */
			if (!cur || (slot == HP_MAX_TARGET_ADDRS - 1 && !target_in(wanted, cur))) {
				pins_config_store(&live->target_addrs[slot], wanted[i]);
				break;
			}
		}
	}
}

static void targets_drop_old(struct hp_config *live, const __be32 *wanted)
{
	for (int slot = 0; slot < HP_MAX_TARGET_ADDRS; slot++)
		if (live->target_addrs[slot] && !target_in(wanted, live->target_addrs[slot]))
			pins_config_store(&live->target_addrs[slot], 0);
}

/* Remove every prefix of @generation from the sources map. */
static int sources_clear(struct fill *fill, __u32 generation)
{
	int fd = fill->fds[HP_PIN_SOURCES], n, err;
	struct hp_source_entry *entries = NULL;

	err = maps_read_sources(fd, &entries, &n);
	for (int i = 0; !err && i < n; i++)
		if (entries[i].key.generation == generation &&
		    bpf_map_delete_elem(fd, &entries[i].key) && errno != ENOENT)
			err = -errno;
	free(entries);
	return err;
}

/*
 * AllowedSources: the new set goes in whole under the generation not in use, then one atomic
 * store switches to it (see struct hp_config). The old generation is emptied once up has
 * succeeded, by fill_commit().
 */
static int sources_write(struct fill *fill, const struct hp_plan *plan)
{
	int fd = fill->fds[HP_PIN_SOURCES], err;
	__u32 allowed = 1, generation;

	if (!plan->n_sources) {
		pins_config_store(&fill->config->sources_generation, 0);
		return 0;
	}
	generation = fill->old_config.sources_generation == 1 ? 2 : 1;
	err = sources_clear(fill, generation);
	for (int i = 0; i < plan->n_sources && !err; i++) {
		struct hp_source_key key = {
			.prefixlen = 32 + plan->sources[i].len,
			.generation = generation,
			.addr = plan->sources[i].addr,
		};

		if (bpf_map_update_elem(fd, &key, &allowed, BPF_ANY))
			err = -errno;
	}
	if (err) {
		pr_warn("couldn't fill the sources map: %s", strerror(-err));
		return err;
	}
	pins_config_store(&fill->config->sources_generation, generation);
	return 0;
}

void fill_commit(struct fill *fill)
{
	__u32 old = fill->old_config.sources_generation;

	if (old && old != fill->config->sources_generation)
		sources_clear(fill, old);
}

int fill_write(struct fill *fill, const struct hp_plan *plan)
{
	int fwd_fd = fill->fds[HP_PIN_FORWARDS];
	struct hp_forward *values;
	int err;

	values = calloc(plan->n_forwards ? plan->n_forwards : 1, sizeof(*values));
	if (!values)
		return -ENOMEM;
	err = assign_stats_slots(fill, plan, values);
	if (err) {
		pr_warn("couldn't reset the counters of a new forward: %s", strerror(-err));
		goto out;
	}

	fill->written = true;
	targets_add_new(fill->config, plan->target_addrs);
	for (int i = 0; i < plan->n_forwards; i++) {
		const struct hp_forward_entry *old = old_forward(fill, &plan->forwards[i].key);

		if (old && !memcmp(&old->value, &values[i], sizeof(values[i])))
			continue;
		err = bpf_map_update_elem(fwd_fd, &plan->forwards[i].key, &values[i], BPF_ANY);
		if (err) {
			pr_warn("couldn't add forward %u/%u to the forwards map: %s",
				plan->forwards[i].key.protocol, ntohs(plan->forwards[i].key.port),
				strerror(-err));
			goto out;
		}
	}
	for (int i = 0; i < fill->n_old_forwards; i++) {
		bool kept = false;

		for (int j = 0; j < plan->n_forwards && !kept; j++)
			kept = !memcmp(&plan->forwards[j].key, &fill->old_forwards[i].key,
				       sizeof(struct hp_forward_key));
		if (!kept && (err = bpf_map_delete_elem(fwd_fd, &fill->old_forwards[i].key)) &&
		    err != -ENOENT) {
			pr_warn("couldn't remove a forward from the forwards map: %s", strerror(-err));
			goto out;
		}
	}
	err = sources_write(fill, plan);
	if (err)
		goto out;
	/* Without PublicAddress the running address stays (set by set-public-ip, say). */
	if (plan->has_public_addr)
		pins_config_store(&fill->config->public_addr, plan->public_addr);
	targets_drop_old(fill->config, plan->target_addrs);
	err = 0;
out:
	free(values);
	return err;
}

void fill_restore(struct fill *fill)
{
	int fwd_fd = fill->fds[HP_PIN_FORWARDS];
	struct hp_forward_entry *now;
	int n;

	if (!fill->written)
		return;
	targets_add_new(fill->config, fill->old_config.target_addrs);
	if (!maps_read_forwards(fwd_fd, &now, &n)) {
		for (int i = 0; i < n; i++)
			if (!old_forward(fill, &now[i].key))
				bpf_map_delete_elem(fwd_fd, &now[i].key);
		free(now);
	}
	for (int i = 0; i < fill->n_old_forwards; i++)
		if (bpf_map_update_elem(fwd_fd, &fill->old_forwards[i].key,
					&fill->old_forwards[i].value, BPF_ANY))
			pr_warn("couldn't restore a forward: %s", strerror(errno));
	pins_config_store(&fill->config->public_addr, fill->old_config.public_addr);
	targets_drop_old(fill->config, fill->old_config.target_addrs);
	if (fill->config->sources_generation != fill->old_config.sources_generation) {
		__u32 tried = fill->config->sources_generation;

		pins_config_store(&fill->config->sources_generation,
				  fill->old_config.sources_generation);
		if (tried)
			sources_clear(fill, tried);
	}
}


int fill_begin(struct fill *fill, const int fds[HP_PIN_COUNT])
{
	int err;

	memset(fill, 0, sizeof(*fill));
	memcpy(fill->fds, fds, sizeof(fill->fds));
	err = maps_read_forwards(fds[HP_PIN_FORWARDS], &fill->old_forwards,
				 &fill->n_old_forwards);
	if (err)
		return err;
	err = pins_map_config(fds[HP_PIN_CONFIG], &fill->config);
	if (err)
		return err;
	fill->old_config = *fill->config;
	return 0;
}

void fill_end(struct fill *fill)
{
	if (fill->config)
		pins_unmap_config(fill->config);
	free(fill->old_forwards);
	fill->config = NULL;
	fill->old_forwards = NULL;
}

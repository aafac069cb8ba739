// SPDX-License-Identifier: GPL-2.0
/*
 * Filling the maps from a plan (fill.h). The order of the steps is what keeps each moment's
 * contents whole: the target prefilter's bits grow before the forwards that use them and
 * shrink after; each forward is one word of the forwards array, stored whole, so the array
 * never needs room for old and new forwards at once; AllowedSources switch generations with
 * one store; the public address is one store, its predecessor kept for the flows that own it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "clock.h"
#include "fault.h"
#include "fill.h"
#include "flows.h"
#include "log.h"

static const struct hp_forward_entry *old_forward(const struct fill *fill, __u8 protocol,
						  __u16 port)
{
	for (int i = 0; i < fill->n_old_forwards; i++)
		if (fill->old_forwards[i].protocol == protocol && fill->old_forwards[i].port == port)
			return &fill->old_forwards[i];
	return NULL;
}

/* Store one forward whole (see struct hp_forward). */
static void forward_store(struct fill *fill, __u8 protocol, __u16 port, struct hp_forward fwd)
{
	__atomic_store_n(&fill->forwards[hp_forward_index(protocol, port)], forward_word(fwd),
			 __ATOMIC_RELEASE);
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
		const struct hp_plan_forward *pf = &plan->forwards[i];
		const struct hp_forward_entry *old = old_forward(fill, pf->protocol, pf->port);

		values[i] = (struct hp_forward){
			.target_addr = pf->target_addr,
			.target_port = pf->target_port,
			.flags = pf->flags,
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
				const struct hp_forward_entry *o =
					old_forward(fill, plan->forwards[j].protocol,
						    plan->forwards[j].port);

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

/* Seconds of the configuration into the datapath's jiffies. */
static void timeouts_write(struct hp_config *config, const struct hp_plan *plan)
{
	static const struct {
		__u8 protocol;
		__u8 state;
	} where[HP_TIMEOUT_COUNT] = {
		[HP_TIMEOUT_UDP] = { IPPROTO_UDP, HP_FLOW_NEW },
		[HP_TIMEOUT_UDP_STREAM] = { IPPROTO_UDP, HP_FLOW_REPLIED },
		[HP_TIMEOUT_TCP_SYN] = { IPPROTO_TCP, HP_FLOW_NEW },
		[HP_TIMEOUT_TCP_ESTABLISHED] = { IPPROTO_TCP, HP_FLOW_REPLIED },
		[HP_TIMEOUT_TCP_CLOSING] = { IPPROTO_TCP, HP_FLOW_CLOSING },
	};
	__u32 hz = config->hz;

	for (int t = 0; t < HP_TIMEOUT_COUNT; t++)
		pins_config_store(&config->timeouts[hp_flow_timeout_index(where[t].protocol,
									  where[t].state)],
				  plan->timeouts[t] * hz);
	/* UDP has no closing state: its FIN is never seen, but keep the slot meaningful. */
	pins_config_store(&config->timeouts[hp_flow_timeout_index(IPPROTO_UDP, HP_FLOW_CLOSING)],
			  plan->timeouts[HP_TIMEOUT_UDP] * hz);
	/* A second: fine enough for timeouts of 30 s and more, one write a second per flow. */
	pins_config_store(&config->refresh_jiffies, hz);
	pins_config_store(&config->admission_rate, plan->new_flow_rate);
	pins_config_store(&config->admission_cap,
			  plan->new_flow_rate ? plan->new_flow_burst * hz : 0);
}

/* The kernel's HZ, measured once per instance and kept in its config map. */
static int hz_ensure(struct hp_config *config)
{
	__u32 hz;
	int err;

	if (config->hz)
		return 0;
	err = clock_measure_hz(&hz);
	if (err) {
		pr_warn("couldn't read the kernel's jiffies (a BPF test run): %s", strerror(-err));
		return err;
	}
	pr_debug("the kernel counts %u jiffies a second", hz);
	pins_config_store(&config->hz, hz);
	return 0;
}

/* The target_ports bitmap: @plan's ports, with the old ones too while @with_old. */
static void target_ports_write(struct fill *fill, const struct hp_plan *plan, bool with_old)
{
	static __u64 words[HP_TARGET_PORT_WORDS];

	memset(words, 0, sizeof(words));
	for (int i = 0; i < plan->n_forwards; i++) {
		__u16 port = ntohs(plan->forwards[i].target_port);

		words[hp_target_port_word(plan->forwards[i].protocol, port)] |=
			hp_target_port_bit(port);
	}
	for (int w = 0; w < HP_TARGET_PORT_WORDS; w++)
		pins_config_store64(&fill->target_ports[w],
				    words[w] | (with_old ? fill->old_target_ports[w] : 0));
}

/*
 * The target prefilter's bits and the reflection addresses' (hp_config.reflect_bits); both
 * prefilters that read them grow before and shrink after.
 */
static void target_bits_write(struct fill *fill, __u64 bits, __u64 reflect_bits)
{
	pins_ingress_bits_refresh(fill->config, bits | reflect_bits);
	pins_config_store64(&fill->config->target_bits, bits);
	pins_config_store64(&fill->config->reflect_bits, reflect_bits);
	pins_ingress_bits_refresh(fill->config, 0);
}

/*
 * How each forward's target is reached, by its counters' slot, written before the forward
 * that points at it: a forward is never reflected with another's address.
 */
static int forward_info_write(struct fill *fill, const struct hp_plan *plan,
			      const struct hp_forward *values)
{
	for (int i = 0; i < plan->n_forwards; i++) {
		const struct hp_plan_forward *pf = &plan->forwards[i];
		struct hp_forward_info info = {
			.reflect_ifindex = pf->reach == HP_REACH_REFLECTED ? pf->reflect_ifindex : 0,
			.reflect_addr = pf->reach == HP_REACH_REFLECTED ? pf->reflect_addr : 0,
		};
		__u32 slot = values[i].stats_index;

		if (bpf_map_update_elem(fill->fds[HP_PIN_FORWARD_INFO], &slot, &info, BPF_ANY)) {
			int err = -errno;

			pr_warn("couldn't write the forward_info map: %s", strerror(errno));
			return err;
		}
	}
	return 0;
}

int fill_write(struct fill *fill, const struct hp_plan *plan)
{
	struct hp_config *config = fill->config;
	struct hp_forward *values;
	int err;

	fill->plan = plan;
	err = hz_ensure(config);
	if (err)
		return err;
	values = calloc(plan->n_forwards ? plan->n_forwards : 1, sizeof(*values));
	if (!values)
		return -ENOMEM;
	err = assign_stats_slots(fill, plan, values);
	if (err) {
		pr_warn("couldn't reset the counters of a new forward: %s", strerror(-err));
		goto out;
	}

	fill->written = true;
	timeouts_write(config, plan);
	/* The prefilters cover old and new targets while the forwards change. */
	target_bits_write(fill, fill->old_config.target_bits | plan->target_bits,
			  fill->old_config.reflect_bits | plan->reflect_bits);
	target_ports_write(fill, plan, true);
	fault_point("prefilters-grown");
	err = forward_info_write(fill, plan, values);
	if (err)
		goto out;
	for (int i = 0; i < plan->n_forwards; i++)
		forward_store(fill, plan->forwards[i].protocol, plan->forwards[i].port, values[i]);
	fault_point("forwards-added");
	for (int i = 0; i < fill->n_old_forwards; i++) {
		const struct hp_forward_entry *old = &fill->old_forwards[i];
		bool kept = false;

		for (int j = 0; j < plan->n_forwards && !kept; j++)
			kept = plan->forwards[j].protocol == old->protocol &&
			       plan->forwards[j].port == old->port;
		if (!kept)
			forward_store(fill, old->protocol, old->port, (struct hp_forward){});
	}
	fault_point("forwards-removed");
	err = sources_write(fill, plan);
	if (err)
		goto out;
	/* Without PublicAddress the running address stays (set by set-public-ip, say). */
	if (plan->has_public_addr) {
		err = flows_set_public(config, fill->fds[HP_PIN_FLOWS], plan->public_addr);
		if (err) {
			pr_warn("couldn't read the flows map to keep the old public address: %s",
				strerror(-err));
			goto out;
		}
	}
	target_bits_write(fill, plan->target_bits, plan->reflect_bits);
	target_ports_write(fill, plan, false);
	/*
	 * Until fill_commit(), `up` may attach a new ingress hook before it removes one of the
	 * other kind (a change of mode): tc must not take what XDP redirected for direct packets.
	 */
	pins_config_store(&config->ingress_overlap, 1);
	err = 0;
out:
	free(values);
	return err;
}

void fill_restore(struct fill *fill)
{
	struct hp_config *config = fill->config, *old = &fill->old_config;
	struct hp_forward_entry *now;
	int n;

	if (!fill->written)
		return;
	target_bits_write(fill, config->target_bits | old->target_bits,
			  config->reflect_bits | old->reflect_bits);
	for (int w = 0; w < HP_TARGET_PORT_WORDS; w++)
		pins_config_store64(&fill->target_ports[w],
				    fill->target_ports[w] | fill->old_target_ports[w]);
	if (!maps_read_forwards(fill->fds[HP_PIN_FORWARDS], &now, &n)) {
		for (int i = 0; i < n; i++)
			if (!old_forward(fill, now[i].protocol, now[i].port))
				forward_store(fill, now[i].protocol, now[i].port, (struct hp_forward){});
		free(now);
	}
	for (int i = 0; i < fill->n_old_forwards; i++)
		forward_store(fill, fill->old_forwards[i].protocol, fill->old_forwards[i].port,
			      fill->old_forwards[i].value);
	pins_config_store(&config->ingress_overlap, 0);
	pins_config_store(&config->public_addr, old->public_addr);
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++)
		pins_config_store(&config->old_public_addrs[i], old->old_public_addrs[i]);
	for (int i = 0; i < HP_FLOW_TIMEOUTS; i++)
		pins_config_store(&config->timeouts[i], old->timeouts[i]);
	pins_config_store(&config->refresh_jiffies, old->refresh_jiffies);
	pins_config_store(&config->admission_rate, old->admission_rate);
	pins_config_store(&config->admission_cap, old->admission_cap);
	target_bits_write(fill, old->target_bits, old->reflect_bits);
	for (int w = 0; w < HP_TARGET_PORT_WORDS; w++)
		pins_config_store64(&fill->target_ports[w], fill->old_target_ports[w]);
	if (config->sources_generation != old->sources_generation) {
		__u32 tried = config->sources_generation;

		pins_config_store(&config->sources_generation, old->sources_generation);
		if (tried)
			sources_clear(fill, tried);
	}
}

/* Whether @plan has a forward to (@protocol, @addr, @port). */
static bool plan_has_target(const struct hp_plan *plan, __u8 protocol, __be32 addr, __be16 port)
{
	for (int i = 0; i < plan->n_forwards; i++)
		if (plan->forwards[i].protocol == protocol &&
		    plan->forwards[i].target_addr == addr && plan->forwards[i].target_port == port)
			return true;
	return false;
}

static bool plan_has_target_addr(const struct hp_plan *plan, __be32 addr)
{
	for (int i = 0; i < plan->n_forwards; i++)
		if (plan->forwards[i].target_addr == addr)
			return true;
	return false;
}

/*
 * The flows of a target no forward has any more (a forward removed, or its Target changed)
 * end, and so do the datagrams in fragments their replies were sending: once the prefilters
 * forget the target, their replies would be rewritten only by chance (another target sharing
 * its bit). Best effort: what fails to go, the LRU maps reclaim.
 */
static void end_removed_targets(struct fill *fill, const struct hp_plan *plan)
{
	struct hp_flow_entry *flows;
	struct hp_frag_entry *frags;
	int n;

	if (!maps_read_flows(fill->fds[HP_PIN_FLOWS], &flows, &n)) {
		for (int i = 0; i < n; i++)
			if (!plan_has_target(plan, flows[i].key.protocol, flows[i].key.target_addr,
					     flows[i].key.target_port))
				bpf_map_delete_elem(fill->fds[HP_PIN_FLOWS], &flows[i].key);
		free(flows);
	}
	if (!maps_read_frags(fill->fds[HP_PIN_FRAGS], &frags, &n)) {
		for (int i = 0; i < n; i++)
			if (frags[i].key.direction == HP_DIR_EGRESS &&
			    !plan_has_target_addr(plan, frags[i].key.saddr))
				bpf_map_delete_elem(fill->fds[HP_PIN_FRAGS], &frags[i].key);
		free(frags);
	}
}

void fill_commit(struct fill *fill)
{
	pins_config_store(&fill->config->ingress_overlap, 0);
	if (fill->plan)
		end_removed_targets(fill, fill->plan);
	__u32 old = fill->old_config.sources_generation;

	if (old && old != fill->config->sources_generation)
		sources_clear(fill, old);
}

int fill_begin(struct fill *fill, const int fds[HP_PIN_COUNT])
{
	int err;

	memset(fill, 0, sizeof(*fill));
	memcpy(fill->fds, fds, sizeof(fill->fds));
	err = maps_read_forwards(fds[HP_PIN_FORWARDS], &fill->old_forwards,
				 &fill->n_old_forwards);
	if (!err)
		err = maps_map_forwards(fds[HP_PIN_FORWARDS], &fill->forwards);
	if (!err)
		err = maps_map_words(fds[HP_PIN_TARGET_PORTS], HP_TARGET_PORT_WORDS,
				     &fill->target_ports);
	if (err)
		return err;
	memcpy(fill->old_target_ports, fill->target_ports, sizeof(fill->old_target_ports));
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
	if (fill->forwards)
		maps_unmap_forwards(fill->forwards);
	if (fill->target_ports)
		maps_unmap_words(fill->target_ports, HP_TARGET_PORT_WORDS);
	free(fill->old_forwards);
	fill->config = NULL;
	fill->forwards = NULL;
	fill->target_ports = NULL;
	fill->old_forwards = NULL;
}

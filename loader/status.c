// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin status [--json]: what the running instance does, read from its pinned maps and the
 * devices: where it is attached and how, the public address, each forward with its counters,
 * and the flows being tracked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "commands.h"
#include "flows.h"
#include "format.h"
#include "json.h"
#include "log.h"
#include "maps.h"
#include "pins.h"
#include "version.h"

struct status {
	struct hp_config config;
	struct hp_device *devices;
	int n_devices;
	struct hp_forward_entry *forwards;
	int n_forwards;
	struct hp_flow_view *flows;	/* every flow in the map; only live ones are shown */
	int n_flows;
	int n_live;
	struct hp_stats *stats;		/* one per forward, summed over CPUs */
	struct hp_source_key *sources;	/* AllowedSources of the generation in use */
	int n_sources;
	__u64 reasons[HP_REASONS];	/* summed over CPUs */
};

/* As doc/translation.md ("Counted") and the JSON name them, by enum hp_reason. */
static const char *const reason_names[HP_REASONS] = {
	[HP_REASON_FLOW_REFUSED] = "flow_refused",
	[HP_REASON_FLOWS_FULL] = "flows_full",
	[HP_REASON_FRAGS_FULL] = "frags_full",
	[HP_REASON_ORPHAN_FRAGMENT] = "orphan_fragment",
	[HP_REASON_REWRITE_FAILED] = "rewrite_failed",
	[HP_REASON_OLD_ADDRESS] = "old_address",
	[HP_REASON_DIRECT_CLASH] = "direct_clash",
	[HP_REASON_NOT_ALLOWED] = "not_allowed",
};

static const char *const state_names[] = {
	[HP_FLOW_NEW] = "new",
	[HP_FLOW_REPLIED] = "replied",
	[HP_FLOW_CLOSING] = "closing",
};

static const char *state_name(__u8 state)
{
	return state < sizeof(state_names) / sizeof(state_names[0]) ? state_names[state] : "?";
}

/* Whether the programs @dev records are still the ones on the device. */
static bool device_attached(const struct hp_device *dev)
{
	char name[IF_NAMESIZE];
	__u32 id = 0;

	if (!if_indextoname(dev->ifindex, name) || strcmp(name, dev->name))
		return false;
	if (dev->mode == HP_MODE_XDP)
		return !bpf_xdp_query_id(dev->ifindex, XDP_FLAGS_DRV_MODE, &id) &&
		       id == dev->ingress_prog_id;
	return true;
}

static double idle_seconds(const struct status *st, const struct hp_flow_view *flow)
{
	return st->config.hz ? (double)flow->idle_jiffies / st->config.hz : 0;
}

static void print_text(const struct status *st)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];

	printf("devices:\n");
	for (int i = 0; i < st->n_devices; i++) {
		const struct hp_device *dev = &st->devices[i];

		printf("  %-15s %s%s\n", dev->name,
		       dev->mode == HP_MODE_XDP ? "ingress native XDP, egress tc"
						: "ingress tc, egress tc",
		       device_attached(dev) ? "" : " (no longer attached)");
	}
	printf("public address: %s\n",
	       st->config.public_addr ? fmt_ip4(st->config.public_addr, a) : "none (nothing is rewritten)");
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++) {
		__be32 old = st->config.old_public_addrs[i];

		int owners = old ? flows_owning(st->flows, st->n_flows, old) : 0;

		if (owners)
			printf("old public address: %s, owned by %d live flow%s\n", fmt_ip4(old, a),
			       owners, owners == 1 ? "" : "s");
		else if (old)
			printf("old public address: %s, owned by no live flow (it leaves at the next "
			       "change or end-flows)\n", fmt_ip4(old, a));
	}
	if (st->config.sources_generation) {
		printf("allowed sources:");
		for (int i = 0; i < st->n_sources; i++)
			printf(" %s/%u", fmt_ip4(st->sources[i].addr, a), st->sources[i].prefixlen - 32);
		printf("\n");
	} else {
		printf("allowed sources: any\n");
	}
	printf("forwards:\n");
	for (int i = 0; i < st->n_forwards; i++) {
		const struct hp_forward_entry *f = &st->forwards[i];
		const struct hp_stats *s = &st->stats[i];

		printf("  %s %u -> %s:%u%s  to target: %llu packets, %llu bytes; to client: %llu packets, %llu bytes\n",
		       fmt_protocol(f->protocol), f->port, fmt_ip4(f->value.target_addr, a),
		       ntohs(f->value.target_port),
		       f->value.flags & HP_FORWARD_ROAMING ? " (roaming)" : "",
		       (unsigned long long)s->to_target_packets,
		       (unsigned long long)s->to_target_bytes,
		       (unsigned long long)s->to_client_packets,
		       (unsigned long long)s->to_client_bytes);
	}
	printf("flows: %d live", st->n_live);
	if (st->n_flows > st->n_live)
		printf(" (and %d ended, left for the map to reuse)", st->n_flows - st->n_live);
	printf("\n");
	for (int i = 0; i < st->n_flows; i++) {
		const struct hp_flow_view *f = &st->flows[i];
		const struct hp_flow_entry *e = &f->entry;

		if (!f->live)
			continue;
		printf("  %s %s:%u -> %s:%u via %s:%u  %s, idle %.0fs%s\n",
		       fmt_protocol(e->key.protocol), fmt_ip4(e->key.client_addr, a),
		       ntohs(e->key.client_port), fmt_ip4(e->value.public_addr, b),
		       ntohs(e->value.public_port), fmt_ip4(e->key.target_addr, c),
		       ntohs(e->key.target_port), state_name(e->value.state), idle_seconds(st, f),
		       e->value.flags & HP_FORWARD_ROAMING &&
		       e->value.public_addr != st->config.public_addr ? ", replies roam to the public address" : "");
	}
	printf("not handled as usual:");
	int shown = 0;
	for (int r = 0; r < HP_REASONS; r++)
		if (st->reasons[r])
			printf("%s %s %llu", shown++ ? "," : "", reason_names[r],
			       (unsigned long long)st->reasons[r]);
	printf("%s\n", shown ? "" : " nothing");
}

/*
 * The schema (documented in README.md and hairpin(8)): one object with "pin_dir", "devices"
 * [{name, ifindex, mode, attached}], "public_address" (string or null), "allowed_sources"
 * (["a.b.c.d/len", ...], or null for any source), "old_public_addresses" [{address,
 * live_flows}], "forwards" [{protocol, port, target, target_port, roaming, to_target:
 * {packets, bytes}, to_client: {...}}], "flows" (live ones) [{protocol, client, client_port,
 * public_address, public_port, target, target_port, state, roaming, idle_seconds}],
 * "flows_ended" (ended flows the map still holds), "not_handled" {reason: packets} (doc/
 * translation.md, "Counted"), "version" (this hairpin's). Fields are only ever added.
 */
static void print_json(const struct status *st, const char *pin_dir)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];

	printf("{\"version\":\"%s\",\"pin_dir\":", HAIRPIN_VERSION);
	json_string(pin_dir);
	printf(",\"devices\":[");
	for (int i = 0; i < st->n_devices; i++) {
		const struct hp_device *dev = &st->devices[i];

		printf("%s{\"name\":", i ? "," : "");
		json_string(dev->name);
		printf(",\"ifindex\":%u,\"mode\":\"%s\",\"attached\":%s}", dev->ifindex,
		       hp_mode_name(dev->mode), device_attached(dev) ? "true" : "false");
	}
	if (st->config.public_addr)
		printf("],\"public_address\":\"%s\"", fmt_ip4(st->config.public_addr, a));
	else
		printf("],\"public_address\":null");
	if (st->config.sources_generation) {
		printf(",\"allowed_sources\":[");
		for (int i = 0; i < st->n_sources; i++)
			printf("%s\"%s/%u\"", i ? "," : "", fmt_ip4(st->sources[i].addr, a),
			       st->sources[i].prefixlen - 32);
		printf("]");
	} else {
		printf(",\"allowed_sources\":null");
	}
	printf(",\"old_public_addresses\":[");
	for (int i = 0, n = 0; i < HP_MAX_OLD_PUBLIC; i++) {
		__be32 old = st->config.old_public_addrs[i];

		if (old)
			printf("%s{\"address\":\"%s\",\"live_flows\":%d}", n++ ? "," : "",
			       fmt_ip4(old, a), flows_owning(st->flows, st->n_flows, old));
	}
	printf("],\"forwards\":[");
	for (int i = 0; i < st->n_forwards; i++) {
		const struct hp_forward_entry *f = &st->forwards[i];
		const struct hp_stats *s = &st->stats[i];

		printf("%s{\"protocol\":\"%s\",\"port\":%u,\"target\":\"%s\",\"target_port\":%u,"
		       "\"roaming\":%s,"
		       "\"to_target\":{\"packets\":%llu,\"bytes\":%llu},"
		       "\"to_client\":{\"packets\":%llu,\"bytes\":%llu}}",
		       i ? "," : "", fmt_protocol(f->protocol), f->port,
		       fmt_ip4(f->value.target_addr, a), ntohs(f->value.target_port),
		       f->value.flags & HP_FORWARD_ROAMING ? "true" : "false",
		       (unsigned long long)s->to_target_packets,
		       (unsigned long long)s->to_target_bytes,
		       (unsigned long long)s->to_client_packets,
		       (unsigned long long)s->to_client_bytes);
	}
	printf("],\"flows\":[");
	for (int i = 0, n = 0; i < st->n_flows; i++) {
		const struct hp_flow_view *f = &st->flows[i];
		const struct hp_flow_entry *e = &f->entry;

		if (!f->live)
			continue;
		printf("%s{\"protocol\":\"%s\",\"client\":\"%s\",\"client_port\":%u,"
		       "\"public_address\":\"%s\",\"public_port\":%u,\"target\":\"%s\","
		       "\"target_port\":%u,\"state\":\"%s\",\"roaming\":%s,"
		       "\"idle_seconds\":%.1f}",
		       n++ ? "," : "", fmt_protocol(e->key.protocol),
		       fmt_ip4(e->key.client_addr, a), ntohs(e->key.client_port),
		       fmt_ip4(e->value.public_addr, b), ntohs(e->value.public_port),
		       fmt_ip4(e->key.target_addr, c), ntohs(e->key.target_port),
		       state_name(e->value.state),
		       e->value.flags & HP_FORWARD_ROAMING ? "true" : "false", idle_seconds(st, f));
	}
	printf("],\"flows_ended\":%d,\"not_handled\":{", st->n_flows - st->n_live);
	for (int r = 0; r < HP_REASONS; r++)
		printf("%s\"%s\":%llu", r ? "," : "", reason_names[r],
		       (unsigned long long)st->reasons[r]);
	printf("}");
	printf("}\n");
}

static int status_read_sources(struct status *st, int fd)
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

static int status_read(struct status *st, int fds[HP_PIN_COUNT])
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
		st->n_live += st->flows[i].live;
	err = status_read_sources(st, fds[HP_PIN_SOURCES]);
	if (err)
		return err;
	st->stats = calloc(st->n_forwards ? st->n_forwards : 1, sizeof(*st->stats));
	if (!st->stats)
		return -ENOMEM;
	for (int i = 0; i < st->n_forwards && !err; i++)
		err = maps_stats_sum(fds[HP_PIN_STATS], st->forwards[i].value.stats_index,
				     &st->stats[i]);
	return err;
}

int status_main(int argc, char **argv, const struct hp_options *opts)
{
	struct status st = {};
	int fds[HP_PIN_COUNT], err;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			json = true;
		} else {
			pr_warn("status: unknown argument: `%s'", argv[i]);
			return HP_EXIT_USAGE;
		}
	}
	err = pins_open_all(opts->pin_dir, fds);
	if (err) {
		if (err == -ENOENT)
			pr_warn("no running instance: nothing pinned at %s (run `hairpin up')",
				opts->pin_dir);
		else
			pr_warn("couldn't open the pinned maps in %s: %s", opts->pin_dir,
				strerror(-err));
		return HP_EXIT_SYSTEM;
	}
	err = status_read(&st, fds);
	if (err)
		pr_warn("couldn't read the maps in %s: %s", opts->pin_dir, strerror(-err));
	else if (json)
		print_json(&st, opts->pin_dir);
	else
		print_text(&st);
	pins_close_all(fds);
	free(st.devices);
	free(st.forwards);
	free(st.flows);
	free(st.stats);
	free(st.sources);
	return err ? HP_EXIT_SYSTEM : HP_EXIT_OK;
}

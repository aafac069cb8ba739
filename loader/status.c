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
	struct hp_flow_entry *flows;
	int n_flows;
	struct hp_stats *stats;		/* one per forward, summed over CPUs */
	struct hp_source_key *sources;	/* AllowedSources of the generation in use */
	int n_sources;
	__u64 now_ns;			/* CLOCK_MONOTONIC, the clock of bpf_ktime_get_coarse_ns() */
};

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

static double idle_seconds(const struct status *st, const struct hp_flow *flow)
{
	return st->now_ns > flow->last_seen_ns ? (st->now_ns - flow->last_seen_ns) / 1e9 : 0;
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

		printf("  %s %u -> %s:%u  to target: %llu packets, %llu bytes; to client: %llu packets, %llu bytes\n",
		       fmt_protocol(f->key.protocol), ntohs(f->key.port), fmt_ip4(f->value.target_addr, a),
		       ntohs(f->value.target_port), (unsigned long long)s->to_target_packets,
		       (unsigned long long)s->to_target_bytes,
		       (unsigned long long)s->to_client_packets,
		       (unsigned long long)s->to_client_bytes);
	}
	printf("flows: %d\n", st->n_flows);
	for (int i = 0; i < st->n_flows; i++) {
		const struct hp_flow_entry *f = &st->flows[i];

		printf("  %s %s:%u -> %s:%u via %s:%u  idle %.0fs\n", fmt_protocol(f->key.protocol),
		       fmt_ip4(f->key.client_addr, a), ntohs(f->key.client_port),
		       fmt_ip4(f->value.public_addr, b), ntohs(f->value.public_port),
		       fmt_ip4(f->key.target_addr, c), ntohs(f->key.target_port),
		       idle_seconds(st, &f->value));
	}
}

/*
 * The schema (documented in README.md and hairpin(8)): one object with "pin_dir", "devices"
 * [{name, ifindex, mode, attached}], "public_address" (string or null), "allowed_sources"
 * (["a.b.c.d/len", ...], or null for any source), "forwards"
 * [{protocol, port, target, target_port, to_target: {packets, bytes}, to_client: {...}}],
 * "flows" [{protocol, client, client_port, public_address, public_port, target,
 * target_port, idle_seconds}], "version" (this hairpin's). Fields are only ever added.
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
	printf(",\"forwards\":[");
	for (int i = 0; i < st->n_forwards; i++) {
		const struct hp_forward_entry *f = &st->forwards[i];
		const struct hp_stats *s = &st->stats[i];

		printf("%s{\"protocol\":\"%s\",\"port\":%u,\"target\":\"%s\",\"target_port\":%u,"
		       "\"to_target\":{\"packets\":%llu,\"bytes\":%llu},"
		       "\"to_client\":{\"packets\":%llu,\"bytes\":%llu}}",
		       i ? "," : "", fmt_protocol(f->key.protocol), ntohs(f->key.port),
		       fmt_ip4(f->value.target_addr, a), ntohs(f->value.target_port),
		       (unsigned long long)s->to_target_packets,
		       (unsigned long long)s->to_target_bytes,
		       (unsigned long long)s->to_client_packets,
		       (unsigned long long)s->to_client_bytes);
	}
	printf("],\"flows\":[");
	for (int i = 0; i < st->n_flows; i++) {
		const struct hp_flow_entry *f = &st->flows[i];

		printf("%s{\"protocol\":\"%s\",\"client\":\"%s\",\"client_port\":%u,"
		       "\"public_address\":\"%s\",\"public_port\":%u,\"target\":\"%s\","
		       "\"target_port\":%u,\"idle_seconds\":%.1f}",
		       i ? "," : "", fmt_protocol(f->key.protocol), fmt_ip4(f->key.client_addr, a),
		       ntohs(f->key.client_port), fmt_ip4(f->value.public_addr, b),
		       ntohs(f->value.public_port), fmt_ip4(f->key.target_addr, c),
		       ntohs(f->key.target_port), idle_seconds(st, &f->value));
	}
	printf("]}\n");
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
	struct timespec ts;
	__u32 zero = 0;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	st->now_ns = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	if (bpf_map_lookup_elem(fds[HP_PIN_CONFIG], &zero, &st->config))
		return -errno;
	err = maps_read_devices(fds[HP_PIN_DEVICES], &st->devices, &st->n_devices);
	if (!err)
		err = maps_read_forwards(fds[HP_PIN_FORWARDS], &st->forwards, &st->n_forwards);
	if (!err)
		err = maps_read_flows(fds[HP_PIN_FLOWS], &st->flows, &st->n_flows);
	if (err)
		return err;
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

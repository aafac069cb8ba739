// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin status [--json]: what the running instance does, read from its pinned maps and from
 * the kernel: where it is attached and how (what each Device's hooks hold now, against what
 * its record says they should: health.h), the public address, each forward with its counters,
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
#include "attached.h"
#include "commands.h"
#include "flows.h"
#include "format.h"
#include "health.h"
#include "instance.h"
#include "json.h"
#include "log.h"
#include "maps.h"
#include "pins.h"
#include "probe.h"
#include "prometheus.h"
#include "state.h"
#include "version.h"

static const char *const state_names[] = {
	[HP_FLOW_NEW] = "new",
	[HP_FLOW_REPLIED] = "replied",
	[HP_FLOW_CLOSING] = "closing",
};

static const char *state_name(__u8 state)
{
	return state < sizeof(state_names) / sizeof(state_names[0]) ? state_names[state] : "?";
}

/* Whether a device has a record, for this instance's programs found where none says. */
static bool recorded(const struct hp_state *st, int ifindex)
{
	for (int i = 0; i < st->n_devices; i++)
		if (st->devices[i].ifindex == (__u32)ifindex)
			return true;
	return false;
}

static void print_hook_text(const char *dir, const struct hp_hook_health *h)
{
	char owner[320];

	switch (h->state) {
	case HP_HOOK_ATTACHED:
		printf("%s %s (program %u)", dir, hp_hook_text(h->hook), h->prog_id);
		break;
	case HP_HOOK_MISSING:
		printf("%s %s missing%s", dir, hp_hook_text(h->hook),
		       h->no_qdisc ? " (the clsact qdisc is gone)" : "");
		break;
	case HP_HOOK_REPLACED:
		printf("%s %s replaced by program %u (%s), %s", dir, hp_hook_text(h->hook),
		       h->replaced_by.id, h->replaced_by.name,
		       instance_owner_text(&h->replaced_by, owner, sizeof(owner)));
		break;
	}
}

/*
 * One line per Device, its state first, then one per program of this instance found where no
 * record puts it:
 *   lan0            attached (mode xdp): ingress native XDP (program 42), egress tcx (program 43)
 *   lan1 (now lan9) missing (mode tc): ingress tcx missing, egress tcx missing
 */
/*
 * The bridge the device of @h is a port of now, or NULL. A bridge as Device is attached on its
 * ports (plan.c says why).
 */
static const char *bridge_of(const struct hp_state *st, const struct hp_device_health *h)
{
	const struct hp_netdev *master = h->now && h->now->master ?
		attached_netdev(&st->scan, h->now->master) : NULL;

	return master ? master->name : NULL;
}

static void print_devices_text(const struct hp_state *st)
{
	char label[3 * IF_NAMESIZE + 32], where[48];

	printf("devices:\n");
	for (int i = 0; i < st->n_devices; i++) {
		const struct hp_device_health *h = &st->health[i];

		const char *bridge = bridge_of(st, h);
		int n;

		if (h->renamed)
			n = snprintf(label, sizeof(label), "%s (now %s)", h->record->name, h->now->name);
		else
			n = snprintf(label, sizeof(label), "%s", h->record->name);
		if (bridge)
			snprintf(label + n, sizeof(label) - n, " (port of %s)", bridge);
		printf("  %-15s %s (mode %s): ", label, health_device_state_name(h->state),
		       hp_mode_name(h->record->mode));
		if (h->state == HP_DEVICE_GONE) {
			printf("no device has its ifindex %u any more\n", h->record->ifindex);
			continue;
		}
		print_hook_text("ingress", &h->ingress);
		printf(", ");
		print_hook_text("egress", &h->egress);
		printf("\n");
		for (int j = 0; j < h->n_leftovers; j++)
			printf("  %-15s also this instance's program %u in %s, which the record does "
			       "not put there (`hairpin up' removes it)\n", "",
			       h->leftovers[j]->prog.id,
			       attachment_where(h->leftovers[j], where, sizeof(where)));
	}
	for (int i = 0; i < st->scan.n_devs; i++) {
		const struct hp_netdev *dev = &st->scan.devs[i];

		if (recorded(st, dev->ifindex))
			continue;
		for (int j = 0; j < dev->n_attachments; j++)
			if (dev->attachments[j].prog.owner == HP_OWNER_SELF)
				printf("  %-15s not a recorded Device, yet its %s holds this instance's "
				       "program %u (`hairpin up' or `down' removes it)\n", dev->name,
				       attachment_where(&dev->attachments[j], where, sizeof(where)),
				       dev->attachments[j].prog.id);
	}
}

/* What the daemon says it waits for; nothing when none ran. */
static void print_daemon_text(const struct hp_state *st)
{
	if (st->daemon_err == -ENOENT && st->daemon_stale_pid)
		printf("daemon: not running (pid %d ended without a word: killed?); what is attached "
		       "stays as it left it\n", st->daemon_stale_pid);
	if (st->daemon_err)
		return;
	printf("daemon: hairpin run, pid %d, %s; %s\n", st->daemon.pid, st->daemon.config,
	       st->daemon.ready ? "ready" : "starting");
	for (int i = 0; i < st->daemon.n_waiting; i++)
		printf("  waiting for: %s\n", st->daemon.waiting[i]);
}

static double idle_seconds(const struct hp_state *st, const struct hp_flow_view *flow)
{
	return st->config.hz ? (double)flow->idle_jiffies / st->config.hz : 0;
}

static void print_text(const struct hp_state *st)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];

	print_daemon_text(st);
	print_devices_text(st);
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

		const struct forward_reach *r = &st->reach[i];
		char how[80];

		if (!strcmp(r->kind, "reflected"))
			snprintf(how, sizeof(how), "reflected on %s as %s", r->via,
				 fmt_ip4(r->reflect_addr, b));
		else if (r->via[0])
			snprintf(how, sizeof(how), "routed via %s", r->via);
		else
			snprintf(how, sizeof(how), "%s", r->kind);
		printf("  %s %u -> %s:%u (%s%s)  to target: %llu packets, %llu bytes; to client: %llu packets, %llu bytes\n",
		       fmt_protocol(f->protocol), f->port, fmt_ip4(f->value.target_addr, a),
		       ntohs(f->value.target_port), how,
		       f->value.flags & HP_FORWARD_ROAMING ? ", roaming" : "",
		       (unsigned long long)s->to_target_packets,
		       (unsigned long long)s->to_target_bytes,
		       (unsigned long long)s->to_client_packets,
		       (unsigned long long)s->to_client_bytes);
	}
	printf("flows: %d live", st->n_live);
	if (st->n_ended)
		printf(" (and %d ended, left for the map to reuse)", st->n_ended);
	printf("\n");
	for (int i = 0; i < st->n_flows; i++) {
		const struct hp_flow_view *f = &st->flows[i];
		const struct hp_flow_entry *e = &f->entry;

		char as[48] = "";

		if (!f->live || f->reflection)
			continue;
		if (e->value.flags & HP_FLOW_REFLECTED)
			snprintf(as, sizeof(as), " as %s:%u", fmt_ip4(e->value.nat_addr, c),
				 ntohs(e->value.nat_port));
		printf("  %s %s:%u -> %s:%u via %s:%u%s  %s, idle %.0fs%s\n",
		       fmt_protocol(e->key.protocol), fmt_ip4(e->key.client_addr, a),
		       ntohs(e->key.client_port), fmt_ip4(e->value.public_addr, b),
		       ntohs(e->value.public_port), fmt_ip4(e->key.target_addr, c),
		       ntohs(e->key.target_port), as, state_name(e->value.state), idle_seconds(st, f),
		       e->value.flags & HP_FORWARD_ROAMING &&
		       e->value.public_addr != st->config.public_addr ? ", replies roam to the public address" : "");
	}
	printf("not handled as usual:");
	int shown = 0;
	for (int r = 0; r < HP_REASONS; r++)
		if (st->reasons[r])
			printf("%s %s %llu", shown++ ? "," : "", hp_reason_names[r],
			       (unsigned long long)st->reasons[r]);
	printf("%s\n", shown ? "" : " nothing");
}

static const char *direction_name(const struct hp_attachment *a)
{
	return a->hook == HP_HOOK_XDP || a->hook == HP_HOOK_XDP_GENERIC ||
	       a->direction == HP_DIR_INGRESS ? "ingress" : "egress";
}

static void print_hook_json(const struct hp_hook_health *h)
{
	printf("{\"hook\":\"%s\",\"state\":\"%s\",\"prog_id\":", hp_hook_name(h->hook),
	       health_hook_state_name(h->state));
	if (h->state == HP_HOOK_ATTACHED)
		printf("%u", h->prog_id);
	else
		printf("null");
	printf(",\"replaced_by\":");
	if (h->state == HP_HOOK_REPLACED) {
		printf("{\"prog_id\":%u,\"name\":", h->replaced_by.id);
		json_string(h->replaced_by.name);
		printf(",\"owner\":\"%s\",\"pin_dir\":",
		       h->replaced_by.owner == HP_OWNER_OTHER ? "hairpin" : "foreign");
		if (h->replaced_by.pin_dir[0])
			json_string(h->replaced_by.pin_dir);
		else
			printf("null");
		printf("}");
	} else {
		printf("null");
	}
	printf("}");
}

/* ,"devices":[...],"unrecorded":[...] (the schema: print_json()) */
static void print_devices_json(const struct hp_state *st)
{
	int n = 0;

	printf(",\"devices\":[");
	for (int i = 0; i < st->n_devices; i++) {
		const struct hp_device_health *h = &st->health[i];

		printf("%s{\"name\":", i ? "," : "");
		json_string(h->record->name);
		printf(",\"ifindex\":%u,\"mode\":\"%s\",\"attached\":%s,\"state\":\"%s\","
		       "\"renamed_to\":", h->record->ifindex, hp_mode_name(h->record->mode),
		       h->state == HP_DEVICE_ATTACHED ? "true" : "false",
		       health_device_state_name(h->state));
		if (h->renamed)
			json_string(h->now->name);
		else
			printf("null");
		printf(",\"bridge\":");
		if (bridge_of(st, h))
			json_string(bridge_of(st, h));
		else
			printf("null");
		printf(",\"ingress\":");
		print_hook_json(&h->ingress);
		printf(",\"egress\":");
		print_hook_json(&h->egress);
		printf(",\"leftovers\":[");
		for (int j = 0; j < h->n_leftovers; j++)
			printf("%s{\"hook\":\"%s\",\"direction\":\"%s\",\"prog_id\":%u}",
			       j ? "," : "", hp_hook_name(h->leftovers[j]->hook),
			       direction_name(h->leftovers[j]), h->leftovers[j]->prog.id);
		printf("]}");
	}
	printf("],\"unrecorded\":[");
	for (int i = 0; i < st->scan.n_devs; i++) {
		const struct hp_netdev *dev = &st->scan.devs[i];

		if (recorded(st, dev->ifindex))
			continue;
		for (int j = 0; j < dev->n_attachments; j++) {
			const struct hp_attachment *a = &dev->attachments[j];

			if (a->prog.owner != HP_OWNER_SELF)
				continue;
			printf("%s{\"name\":", n++ ? "," : "");
			json_string(dev->name);
			printf(",\"ifindex\":%d,\"hook\":\"%s\",\"direction\":\"%s\","
			       "\"prog_id\":%u}", dev->ifindex, hp_hook_name(a->hook),
			       direction_name(a), a->prog.id);
		}
	}
	printf("]");
}

/* "daemon": null, or {pid, config, ready, waiting: [text, ...]}. */
static void print_daemon_json(const struct hp_state *st)
{
	printf(",\"daemon\":");
	if (st->daemon_err) {
		printf("null");
		return;
	}
	printf("{\"pid\":%d,\"config\":", st->daemon.pid);
	json_string(st->daemon.config);
	printf(",\"ready\":%s,\"waiting\":[", st->daemon.ready ? "true" : "false");
	for (int i = 0; i < st->daemon.n_waiting; i++) {
		printf("%s", i ? "," : "");
		json_string(st->daemon.waiting[i]);
	}
	printf("]}");
}

/*
 * The schema (documented in README.md and hairpin(8)): one object with "pin_dir", "devices"
 * [{name, ifindex, mode, attached, state, renamed_to, bridge, ingress, egress, leftovers}], where
 * attached is true only when both hooks carry this instance's programs, state is "attached",
 * "partial", "missing", "replaced" or "gone", renamed_to the device's name now if it is not
 * the recorded one (else null), bridge the bridge it is a port of (a bridge as Device is attached
 * on its ports; else null), ingress and egress {hook: "xdp"|"tcx"|"tc", state: "attached"|
 * "missing"|"replaced", prog_id (null unless attached), replaced_by (null, or {prog_id, name,
 * owner: "foreign"|"hairpin", pin_dir})}, leftovers [{hook, direction, prog_id}] this
 * instance's programs on the device where its record does not put them; "unrecorded"
 * [{name, ifindex, hook, direction, prog_id}] this instance's programs on devices it has no
 * record of; "public_address" (string or null), "allowed_sources"
 * (["a.b.c.d/len", ...], or null for any source), "old_public_addresses" [{address,
 * live_flows}], "forwards" [{protocol, port, target, target_port, roaming, to_target:
 * {packets, bytes}, to_client: {...}}], "flows" (live ones) [{protocol, client, client_port,
 * public_address, public_port, target, target_port, state, roaming, reflected_as (null, or
 * {address, port}: this host's, which the target sees as the client), idle_seconds}],
 * "flows_ended" (ended flows the map still holds), "not_handled" {reason: packets} (doc/
 * translation.md, "Counted"), "version" (this hairpin's), "daemon" (null when no `hairpin run`
 * keeps the instance, else {pid, config, ready, waiting: ["Device lan0 (no such device)",
 * ...]}). Without an instance, while a daemon waits to make one: {version, pin_dir, daemon}.
 * Fields are only ever added.
 */
static void print_json(const struct hp_state *st, const char *pin_dir)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];

	printf("{\"version\":\"%s\",\"pin_dir\":", HAIRPIN_VERSION);
	json_string(pin_dir);
	print_daemon_json(st);
	print_devices_json(st);
	if (st->config.public_addr)
		printf(",\"public_address\":\"%s\"", fmt_ip4(st->config.public_addr, a));
	else
		printf(",\"public_address\":null");
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

		const struct forward_reach *r = &st->reach[i];

		printf("%s{\"protocol\":\"%s\",\"port\":%u,\"target\":\"%s\",\"target_port\":%u,"
		       "\"reached\":\"%s\",\"via\":",
		       i ? "," : "", fmt_protocol(f->protocol), f->port,
		       fmt_ip4(f->value.target_addr, a), ntohs(f->value.target_port), r->kind);
		if (r->via[0])
			json_string(r->via);
		else
			printf("null");
		if (r->reflect_addr)
			printf(",\"reflect_address\":\"%s\"", fmt_ip4(r->reflect_addr, b));
		else
			printf(",\"reflect_address\":null");
		printf(",\"roaming\":%s,"
		       "\"to_target\":{\"packets\":%llu,\"bytes\":%llu},"
		       "\"to_client\":{\"packets\":%llu,\"bytes\":%llu}}",
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

		if (!f->live || f->reflection)
			continue;
		printf("%s{\"protocol\":\"%s\",\"client\":\"%s\",\"client_port\":%u,"
		       "\"public_address\":\"%s\",\"public_port\":%u,\"target\":\"%s\","
		       "\"target_port\":%u,\"state\":\"%s\",\"roaming\":%s,",
		       n++ ? "," : "", fmt_protocol(e->key.protocol),
		       fmt_ip4(e->key.client_addr, a), ntohs(e->key.client_port),
		       fmt_ip4(e->value.public_addr, b), ntohs(e->value.public_port),
		       fmt_ip4(e->key.target_addr, c), ntohs(e->key.target_port),
		       state_name(e->value.state),
		       e->value.flags & HP_FORWARD_ROAMING ? "true" : "false");
		if (e->value.flags & HP_FLOW_REFLECTED)
			printf("\"reflected_as\":{\"address\":\"%s\",\"port\":%u},",
			       fmt_ip4(e->value.nat_addr, a), ntohs(e->value.nat_port));
		else
			printf("\"reflected_as\":null,");
		printf("\"idle_seconds\":%.1f}", idle_seconds(st, f));
	}
	printf("],\"flows_ended\":%d,\"not_handled\":{", st->n_ended);
	for (int r = 0; r < HP_REASONS; r++)
		printf("%s\"%s\":%llu", r ? "," : "", hp_reason_names[r],
		       (unsigned long long)st->reasons[r]);
	printf("}");
	printf("}\n");
}

/* hairpin_build_info and hairpin_up, which `status --prometheus' prints whatever happens. */
static void print_prometheus_up(bool up)
{
	struct prom_labels l = {};

	prom_family(stdout, "hairpin_build_info", "gauge", "The version of hairpin that wrote "
		    "these metrics, as hairpin --version prints it.");
	prom_label(&l, "version", HAIRPIN_VERSION);
	prom_sample(stdout, "hairpin_build_info", &l, 1);
	prom_family(stdout, "hairpin_up", "gauge", "1 if an instance of hairpin runs at the pin "
		    "dir and could be read, else 0 (and none of the other metrics).");
	prom_sample(stdout, "hairpin_up", NULL, up);
}

/*
 * The metrics for node_exporter's textfile collector (contrib/prometheus/), named and
 * labelled as status --json names things: the forwards' counters both ways, the live flows,
 * each old public address and the live flows that still own it, the packets not handled as
 * usual by reason (all of them, 0 too, so that a rate is defined from the start), each
 * Device's state as the kernel shows it, the public address. Documented in hairpin(8).
 */
static void print_prometheus(const struct hp_state *st)
{
	static const char *const directions[] = { "to_target", "to_client" };
	char a[INET_ADDRSTRLEN], target[INET_ADDRSTRLEN + 8];

	print_prometheus_up(true);
	prom_family(stdout, "hairpin_public_address_info", "gauge",
		    "The public address whose forwarded ports hairpin sends back in (no sample: none).");
	if (st->config.public_addr) {
		struct prom_labels l = {};

		prom_label(&l, "address", fmt_ip4(st->config.public_addr, a));
		prom_sample(stdout, "hairpin_public_address_info", &l, 1);
	}
	for (int m = 0; m < 2; m++) {
		const char *name = m ? "hairpin_forward_bytes_total" : "hairpin_forward_packets_total";

		prom_family(stdout, name, "counter", m ?
			    "Bytes translated for a forward, to its target or back to the client." :
			    "Packets translated for a forward, to its target or back to the client.");
		for (int i = 0; i < st->n_forwards; i++) {
			const struct hp_forward_entry *f = &st->forwards[i];
			const struct hp_stats *s = &st->stats[i];
			const __u64 values[2][2] = {
				{ s->to_target_packets, s->to_client_packets },
				{ s->to_target_bytes, s->to_client_bytes },
			};

			snprintf(target, sizeof(target), "%s:%u", fmt_ip4(f->value.target_addr, a),
				 ntohs(f->value.target_port));
			for (int d = 0; d < 2; d++) {
				struct prom_labels l = {};

				prom_label(&l, "protocol", fmt_protocol(f->protocol));
				prom_label_u32(&l, "port", f->port);
				prom_label(&l, "target", target);
				prom_label(&l, "direction", directions[d]);
				prom_sample(stdout, name, &l, values[m][d]);
			}
		}
	}
	prom_family(stdout, "hairpin_flows", "gauge", "Live flows that hairpin translates.");
	prom_sample(stdout, "hairpin_flows", NULL, st->n_live);
	prom_family(stdout, "hairpin_flows_ended", "gauge",
		    "Ended flows the flows map still holds, for it to reuse.");
	prom_sample(stdout, "hairpin_flows_ended", NULL, st->n_ended);
	prom_family(stdout, "hairpin_old_public_address_flows", "gauge",
		    "Live flows that still own an old public address (one sample per old address).");
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++) {
		__be32 old = st->config.old_public_addrs[i];
		struct prom_labels l = {};

		if (!old)
			continue;
		prom_label(&l, "address", fmt_ip4(old, a));
		prom_sample(stdout, "hairpin_old_public_address_flows", &l,
			    flows_owning(st->flows, st->n_flows, old));
	}
	prom_family(stdout, "hairpin_not_handled_packets_total", "counter",
		    "Packets not handled as usual, by reason (doc/translation.md, \"Counted\").");
	for (int r = 0; r < HP_REASONS; r++) {
		struct prom_labels l = {};

		prom_label(&l, "reason", hp_reason_names[r]);
		prom_sample(stdout, "hairpin_not_handled_packets_total", &l, st->reasons[r]);
	}
	prom_family(stdout, "hairpin_device_attached", "gauge",
		    "1 if both of this instance's programs are attached to the Device, as the kernel shows.");
	for (int i = 0; i < st->n_devices; i++) {
		const struct hp_device_health *h = &st->health[i];
		struct prom_labels l = {};

		prom_label(&l, "device", h->record->name);
		prom_label(&l, "mode", hp_mode_name(h->record->mode));
		prom_sample(stdout, "hairpin_device_attached", &l, h->state == HP_DEVICE_ATTACHED);
	}
	prom_family(stdout, "hairpin_device_state", "gauge",
		    "The Device's state as status says it: 1 for the state it is in, 0 for the others.");
	for (int i = 0; i < st->n_devices; i++) {
		const struct hp_device_health *h = &st->health[i];

		for (enum hp_device_state state = HP_DEVICE_ATTACHED; state <= HP_DEVICE_GONE;
		     state++) {
			struct prom_labels l = {};

			prom_label(&l, "device", h->record->name);
			prom_label(&l, "state", health_device_state_name(state));
			prom_sample(stdout, "hairpin_device_state", &l, h->state == state);
		}
	}
}


/* Nothing pinned: say so, and what of this instance the kernel still has, if anything. */
static int no_instance(const char *pin_dir, bool pins_left)
{
	char where[48];
	struct hp_scan scan;
	struct hp_self self;

	if (pins_left)
		pr_warn("the instance at %s is incomplete: some of its maps are pinned, others not "
			"(an interrupted `hairpin up'?); `hairpin up' completes it, `hairpin down' "
			"removes it", pin_dir);
	else
		pr_warn("no running instance: nothing pinned at %s (run `hairpin up')", pin_dir);
	if (instance_self(pin_dir, &self) || attached_scan(&self, &scan))
		return HP_EXIT_SYSTEM;
	for (int i = 0; i < scan.n_devs; i++)
		for (int j = 0; j < scan.devs[i].n_attachments; j++)
			if (scan.devs[i].attachments[j].prog.owner == HP_OWNER_SELF) {
				pr_warn("yet %s's %s holds this instance's program %u (`hairpin down' "
					"removes it)", scan.devs[i].name,
					attachment_where(&scan.devs[i].attachments[j], where,
							 sizeof(where)),
					scan.devs[i].attachments[j].prog.id);

			}
	attached_free(&scan);
	return HP_EXIT_SYSTEM;
}


struct status_args {
	bool json;
	bool prometheus;
};

static const struct hp_option status_options[] = {
	HP_OPT_FLAG("json", 'j', struct status_args, json,
		    "one JSON object (as hairpin -j status; the schema in hairpin(8))"),
	HP_OPT_FLAG("prometheus", 0, struct status_args, prometheus,
		    "metrics in Prometheus' text format (hairpin_up 0 without an instance)"),
	{},
};

static int status_main(const void *args, const struct hp_options *opts)
{
	const struct status_args *a = args;
	struct hp_state st = {};
	int fds[HP_PIN_COUNT], err;
	bool json = a->json || opts->json;

	if (json && a->prometheus) {
		pr_warn("status: --prometheus and %s exclude each other",
			a->json ? "--json" : "hairpin's -j or -p");
		return HP_EXIT_USAGE;
	}
	/* What is attached is read from the kernel, which takes the privileges up takes. */
	if (probe_permissions())
		return HP_EXIT_SYSTEM;
	st.daemon_err = run_state_read(opts->pin_dir, &st.daemon, &st.daemon_stale_pid);
	err = pins_open_all(opts->pin_dir, fds);
	if (err) {
		int fd;

		if (a->prometheus)
			print_prometheus_up(false);
		if (err != -ENOENT) {
			pr_warn("couldn't open the pinned maps in %s: %s", opts->pin_dir,
				probe_strerror(err));
			return HP_EXIT_SYSTEM;
		}
		fd = pins_open(opts->pin_dir, HP_PIN_CONFIG);
		if (fd >= 0)
			close(fd);
		/* A daemon that waits to bring the instance up says what for. */
		if (!st.daemon_err && json && !a->prometheus) {
			struct json_pretty pretty;

			json_pretty_begin(&pretty, opts->pretty);
			printf("{\"version\":\"%s\",\"pin_dir\":", HAIRPIN_VERSION);
			json_string(opts->pin_dir);
			print_daemon_json(&st);
			printf("}\n");
			json_pretty_end(&pretty);
		} else if (!a->prometheus) {
			print_daemon_text(&st);
		}
		return no_instance(opts->pin_dir, fd >= 0);
	}
	err = state_read(&st, fds, opts->pin_dir);
	if (err) {
		pr_warn("couldn't read the state of the instance at %s: %s", opts->pin_dir,
			probe_strerror(err));
		if (a->prometheus)
			print_prometheus_up(false);
	} else if (a->prometheus) {
		print_prometheus(&st);
	} else if (json) {
		struct json_pretty pretty;

		json_pretty_begin(&pretty, opts->pretty);
		print_json(&st, opts->pin_dir);
		json_pretty_end(&pretty);
	}
	else
		print_text(&st);
	pins_close_all(fds);
	state_free(&st);
	return err ? HP_EXIT_SYSTEM : HP_EXIT_OK;
}

const struct hp_command status_command = {
	.name = "status",
	.main = status_main,
	.args_size = sizeof(struct status_args),
	.options = status_options,
	.summary = "devices, public address, forwards with counters, tracked flows",
	.help = "Prints what the kernel has attached on each Device against what should be there\n"
		"(attached, missing, replaced by whom, renamed, gone), the public address, the\n"
		"allowed sources, every forward with its packet and byte counters, and the tracked\n"
		"flows with their idle time. --prometheus prints the same as metrics, for\n"
		"node_exporter's textfile collector (contrib/prometheus/ writes them every minute).\n",
};

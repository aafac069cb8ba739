// SPDX-License-Identifier: GPL-2.0
/*
 * Scenarios for the differential fuzzer: configurations and frames. Addresses and ports come
 * from small pools most of the time, so that frames hit forwards, flows and fragments often,
 * and from anywhere the rest of the time. Every frame is built valid, checksums summed from
 * scratch (csum.c), and then maybe mutated: truncated, a header field changed, bytes flipped.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>

#include "csum.h"
#include "gen.h"

#define IPV4(a, b, c, d) htonl((__u32)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define IP_DF 0x4000
#define IP_MF 0x2000

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

/* Documentation addresses (RFC 5737) and a private LAN. */
static const __u32 public_pool[][4] = {
	{ 203, 0, 113, 7 }, { 203, 0, 113, 8 }, { 203, 0, 113, 9 }, { 198, 18, 0, 1 },
	{ 198, 18, 0, 2 }, { 198, 18, 0, 3 },
};
static const __u32 target_pool[][4] = {
	{ 192, 0, 2, 1 }, { 192, 0, 2, 2 }, { 198, 51, 100, 5 }, { 10, 0, 0, 1 },
};
static const __u32 client_pool[][4] = {
	{ 192, 0, 2, 10 }, { 192, 0, 2, 11 }, { 10, 0, 0, 20 }, { 198, 51, 100, 20 },
	{ 192, 0, 2, 254 },
	/* A server on the LAN dialling its own public address (reflection). */
	{ 192, 0, 2, 60 },
};
static const __u16 public_port_pool[] = { 51820, 443, 22, 53, 8080, 1 };
static const __u16 client_port_pool[] = { 40000, 40001, 50000, 1024, 65535 };

/*
 * The Devices frames come in on, as the driver builds them in its network namespace: lan0 with
 * this host's 192.0.2.1/24, lan1 with 198.51.100.3/24, and the neighbours each knows: the
 * clients .10 and .11 and the server .60 on lan0 (not .61 nor .254), a client .20 and a
 * server .62 on lan1. Their last bytes keep the reflect addresses' prefilter bits apart
 * (hp_target_bit()), as the targets' are not.
 */
#define MAC(last) { 0x02, 0x48, 0x50, 0x00, 0x00, last }
/* IPV4() in an initializer: bpf_htonl() folds constants. */
#define IPV4C(a, b, c, d) bpf_htonl((__u32)(a) << 24 | (b) << 16 | (c) << 8 | (d))
const struct model_device gen_devices[MODEL_MAX_DEVICES] = {
	{
		.name = "lan0", .mac = MAC(0x01), .addr = IPV4C(192, 0, 2, 1), .prefix_len = 24,
		.mtu = 1500,
		.neighbours = {
			{ IPV4C(192, 0, 2, 10), MAC(0x0a) }, { IPV4C(192, 0, 2, 11), MAC(0x0b) },
			{ IPV4C(192, 0, 2, 60), MAC(0x3c) },
		},
		.n_neighbours = 3,
	},
	{
		.name = "lan1", .mac = MAC(0x02), .addr = IPV4C(198, 51, 100, 3), .prefix_len = 24,
		.mtu = 1500,
		.neighbours = {
			{ IPV4C(198, 51, 100, 20), MAC(0x14) },
			{ IPV4C(198, 51, 100, 62), MAC(0x3e) },
		},
		.n_neighbours = 2,
	},
};
/* Targets on each Device's LAN, and the addresses of this host that reflect to them. */
static const __u32 lan_target_pool[MODEL_MAX_DEVICES][2][4] = {
	{ { 192, 0, 2, 60 }, { 192, 0, 2, 61 } },
	{ { 198, 51, 100, 62 }, { 198, 51, 100, 62 } },
};
static const __u32 reflect_pool[MODEL_MAX_DEVICES][2][4] = {
	{ { 192, 0, 2, 1 }, { 192, 0, 2, 2 } },
	{ { 198, 51, 100, 3 }, { 198, 51, 100, 3 } },
};

static __be32 pool_addr(struct rng *r, const __u32 (*pool)[4], size_t n)
{
	const __u32 *a = pool[rng_below(r, n)];

	return IPV4(a[0], a[1], a[2], a[3]);
}

#define PICK_ADDR(r, pool) pool_addr(r, pool, ARRAY_SIZE(pool))
#define PICK(r, array) ((array)[rng_below(r, ARRAY_SIZE(array))])

static __be32 random_addr(struct rng *r)
{
	return (__be32)rng_next(r);
}

/* One of the old public addresses, or the current one if there is none. */
static __be32 old_addr(struct gen *g, const struct model_config *c)
{
	__be32 olds[HP_MAX_OLD_PUBLIC];
	int n = 0;

	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++) {
		if (c->old_addrs[i])
			olds[n++] = c->old_addrs[i];
	}
	return n ? olds[rng_below(&g->rng, n)] : c->public_addr;
}

/* An address seen anywhere in a scenario: mostly from the pools. */
static __be32 any_addr(struct gen *g, const struct model_config *c)
{
	switch (rng_below(&g->rng, 7)) {
	case 0:
		return PICK_ADDR(&g->rng, public_pool);
	case 1:
		return c->public_addr;
	case 6:
		return old_addr(g, c);
	case 2:
		return PICK_ADDR(&g->rng, target_pool);
	case 3:
	case 4:
		return PICK_ADDR(&g->rng, client_pool);
	default:
		return rng_percent(&g->rng, 20) ? 0 : random_addr(&g->rng);
	}
}

static __u16 any_port(struct gen *g)
{
	switch (rng_below(&g->rng, 4)) {
	case 0:
		return PICK(&g->rng, public_port_pool);
	case 1:
		return PICK(&g->rng, public_port_pool) + 1;
	case 2:
		return PICK(&g->rng, client_port_pool);
	default:
		return rng_below(&g->rng, 65536);
	}
}

/* ---- Configuration ------------------------------------------------------------------- */

static bool has_target(const struct model_config *c, __be32 addr)
{
	for (int i = 0; i < c->n_targets; i++) {
		if (c->targets[i] == addr)
			return true;
	}
	return false;
}

static bool slot_used(const struct model_config *c, __u16 slot)
{
	for (int i = 0; i < c->n_forwards; i++) {
		if (c->forwards[i].stats_index == slot)
			return true;
	}
	return false;
}

static __u16 free_slot(struct gen *g, const struct model_config *c)
{
	struct rng *r = &g->rng;
	__u16 slot;

	do {
		slot = rng_percent(r, 50) ? rng_below(r, 8) : rng_below(r, HP_MAX_FORWARDS);
	} while (slot_used(c, slot));
	return slot;
}

/*
 * @f reflected: to a target on a Device's LAN mostly, for that Device's clients mostly (a
 * route that leaves by another Device now and then), with one of its addresses.
 */
static void reflect_forward(struct gen *g, struct model_forward *f)
{
	struct rng *r = &g->rng;
	int dev = rng_percent(r, 75) ? 0 : 1;
	const __u32 *a = lan_target_pool[dev][rng_below(r, 2)];

	f->target_addr = rng_percent(r, 90) ? IPV4(a[0], a[1], a[2], a[3])
					    : PICK_ADDR(r, target_pool);
	f->reflect_dev = rng_percent(r, 90) ? dev : 1 - dev;
	a = reflect_pool[f->reflect_dev][rng_below(r, 2)];
	f->reflect_addr = IPV4(a[0], a[1], a[2], a[3]);
}

/* A forward of a port not forwarded yet, to one of the target pool's addresses. */
static void new_forward(struct gen *g, const struct model_config *c, struct model_forward *f)
{
	struct rng *r = &g->rng;
	__u16 port, target_port;
	bool dup;

	do {
		memset(f, 0, sizeof(*f));
		port = rng_percent(r, 85) ? PICK(r, public_port_pool) : any_port(g);
		f->protocol = rng_percent(r, 50) ? IPPROTO_UDP : IPPROTO_TCP;
		f->port = htons(port);
		dup = false;
		for (int j = 0; j < c->n_forwards; j++)
			dup |= c->forwards[j].protocol == f->protocol && c->forwards[j].port == f->port;
	} while (dup);
	switch (rng_below(r, 5)) {
	case 0:
	case 1:
		target_port = port;
		break;
	case 2:
	case 3:
		target_port = port + 1;
		break;
	default:
		target_port = any_port(g);
	}
	/* Mostly a target already in use, so that forwards share targets. */
	f->target_addr = c->n_forwards && rng_percent(r, 60)
			 ? c->forwards[rng_below(r, c->n_forwards)].target_addr
			 : PICK_ADDR(r, target_pool);
	f->target_port = htons(target_port);
	f->stats_index = free_slot(g, c);
	f->roaming = (g->features & GEN_ROAMING) && rng_percent(r, 30);
	f->reflect_dev = MODEL_NOT_REFLECTED;
	if ((g->features & GEN_REFLECT) && rng_percent(r, 45))
		reflect_forward(g, f);
}

static bool has_target_port(const struct model_config *c, __u8 protocol, __be16 port)
{
	for (int i = 0; i < c->n_target_ports; i++) {
		if (c->target_ports[i].protocol == protocol && c->target_ports[i].port == port)
			return true;
	}
	return false;
}

static bool has_reflect_addr(const struct model_config *c, __be32 addr)
{
	for (int i = 0; i < c->n_reflect_addrs; i++) {
		if (c->reflect_addrs[i] == addr)
			return true;
	}
	return false;
}

/*
 * `targets` and `target ports`: the forwards' target addresses and (protocol, target port)
 * pairs; while `up` changes forwards, also those of the forwards it replaced (@keep_old: the
 * earlier ones stay).
 */
static void update_targets(struct model_config *c, bool keep_old)
{
	if (!keep_old) {
		c->n_targets = 0;
		c->n_target_ports = 0;
		c->n_reflect_addrs = 0;
	}
	for (int i = 0; i < c->n_forwards; i++) {
		const struct model_forward *f = &c->forwards[i];

		if (!has_target(c, f->target_addr) && c->n_targets < MODEL_MAX_TARGETS)
			c->targets[c->n_targets++] = f->target_addr;
		if (f->reflect_dev != MODEL_NOT_REFLECTED &&
		    !has_reflect_addr(c, f->reflect_addr) &&
		    c->n_reflect_addrs < MODEL_MAX_REFLECT_ADDRS)
			c->reflect_addrs[c->n_reflect_addrs++] = f->reflect_addr;
		if (!has_target_port(c, f->protocol, f->target_port) &&
		    c->n_target_ports < MODEL_MAX_TARGET_PORTS)
			c->target_ports[c->n_target_ports++] =
				(struct model_port){ f->protocol, f->target_port };
	}
}

static void random_prefixes(struct gen *g, struct model_config *c)
{
	static const __u32 prefixes[][5] = {
		{ 192, 0, 2, 0, 24 }, { 10, 0, 0, 20, 32 }, { 198, 51, 100, 0, 25 },
		{ 0, 0, 0, 0, 0 }, { 192, 0, 2, 10, 31 }, { 192, 0, 2, 11, 32 },
	};
	struct rng *r = &g->rng;
	int n = 1 + rng_below(r, 3);

	c->n_prefixes = 0;
	c->any_source = !(g->features & GEN_SOURCES) || rng_percent(r, 50);
	if (c->any_source)
		return;
	for (int i = 0; i < n; i++) {
		struct model_prefix pf;
		__u32 mask;

		if (rng_percent(r, 80)) {
			const __u32 *p = PICK(r, prefixes);

			pf = (struct model_prefix){ IPV4(p[0], p[1], p[2], p[3]), p[4] };
		} else {
			pf = (struct model_prefix){ any_addr(g, c), rng_below(r, 33) };
		}
		/* As the loader stores them: the host bits zero. */
		mask = pf.len ? ~0U << (32 - pf.len) : 0;
		pf.addr = htonl(ntohl(pf.addr) & mask);
		c->prefixes[c->n_prefixes++] = pf;
	}
}

/* Timeouts of a few ticks, so that time steps reach them; 0 now and then. */
static void random_timeouts(struct gen *g, struct model_config *c)
{
	struct rng *r = &g->rng;

	for (int proto = 0; proto < MODEL_PROTOS; proto++) {
		for (int state = 0; state < 3; state++)
			c->timeouts[proto][state] = rng_percent(r, 5) ? 0 : 1 + rng_below(r, 12);
	}
	c->refresh = rng_percent(r, 40) ? 0 : 1 + rng_below(r, 3);
}

void gen_config(struct gen *g, struct model_config *c)
{
	struct rng *r = &g->rng;
	int n_forwards = 1 + rng_below(r, 4);

	memset(c, 0, sizeof(*c));
	memcpy(c->devices, gen_devices, sizeof(gen_devices));
	c->n_devices = MODEL_MAX_DEVICES;
	c->public_addr = rng_percent(r, 8) ? 0 : PICK_ADDR(r, public_pool);
	if (rng_percent(r, 2))
		c->public_addr = random_addr(r);
	if ((g->features & GEN_PUBLIC_CHANGES) && rng_percent(r, 30)) {
		/* Old addresses from an earlier run, some owned by nothing. */
		for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++) {
			__be32 a = PICK_ADDR(r, public_pool);

			if (rng_percent(r, 50) && a != c->public_addr)
				c->old_addrs[i] = a;
		}
	}
	while (c->n_forwards < n_forwards) {
		new_forward(g, c, &c->forwards[c->n_forwards]);
		c->n_forwards++;
	}
	update_targets(c, false);
	random_prefixes(g, c);
	random_timeouts(g, c);
	if ((g->features & GEN_ADMISSION) && rng_percent(r, 60)) {
		c->admission = true;
		c->burst = 1 + rng_below(r, 4);
		c->rate = rng_percent(r, 30) ? 0 : 1 + rng_below(r, GEN_MAX_RATE);
	}
	c->ingress_overlap = (g->features & GEN_DIRECT) && rng_percent(r, 20);
	/* Now and then a scenario of many changes, where the old addresses fill up. */
	g->config_percent = rng_percent(r, 20) ? 12 : 2;
}

/* ---- Configuration changes ------------------------------------------------------------ */

static bool owned_by_live_flow(const struct model *m, __be32 addr)
{
	for (int i = 0; i < m->n_flows; i++) {
		if (m->flows[i].value.public_addr == addr && model_flow_live(m, &m->flows[i]))
			return true;
	}
	return false;
}

/* The idle time of the most recently seen live flow that owns @addr; ~0 for none. */
static __u64 freshest_owner_idle(const struct model *m, __be32 addr)
{
	__u64 idle = ~0ULL;

	for (int i = 0; i < m->n_flows; i++) {
		const struct model_flow *f = &m->flows[i];

		if (f->value.public_addr == addr && model_flow_live(m, f) &&
		    model_flow_idle(m, f) < idle)
			idle = model_flow_idle(m, f);
	}
	return idle;
}

/* The old addresses that no live flow owns leave. */
static void prune_old(const struct model *m, struct model_config *c)
{
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++) {
		if (c->old_addrs[i] && !owned_by_live_flow(m, c->old_addrs[i]))
			c->old_addrs[i] = 0;
	}
}

/*
 * A new public address, as the loader's flows_set_public() sets it: the address it replaces
 * joins the old ones (into a free slot; with none free, the old addresses no live flow owns
 * leave first, then the one whose flows were seen least recently), the new one leaves them,
 * and then so do the old ones that no live flow owns (the one just retired too).
 */
static void set_public(struct gen *g, struct model_config *c, __be32 addr)
{
	const struct model *m = g->model;
	__be32 current = c->public_addr;
	bool kept = !current;
	int slot = -1;

	if (addr == current)
		return;
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++)
		kept |= c->old_addrs[i] == current;
	if (!kept) {
		for (int i = 0; i < HP_MAX_OLD_PUBLIC && slot < 0; i++) {
			if (!c->old_addrs[i])
				slot = i;
		}
		if (slot < 0) {
			prune_old(m, c);
			for (int i = 0; i < HP_MAX_OLD_PUBLIC && slot < 0; i++) {
				if (!c->old_addrs[i])
					slot = i;
			}
			g->old_pruned += slot >= 0;
			g->old_evicted += slot < 0;
		}
		if (slot < 0) {
			__u64 stalest = 0;

			for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++) {
				__u64 idle = freshest_owner_idle(m, c->old_addrs[i]);

				if (idle >= stalest) {
					stalest = idle;
					slot = i;
				}
			}
		}
		c->old_addrs[slot] = current;
	}
	c->public_addr = addr;
	for (int i = 0; addr && i < HP_MAX_OLD_PUBLIC; i++) {
		if (c->old_addrs[i] == addr)
			c->old_addrs[i] = 0;
	}
	prune_old(m, c);
}

static const char *addr_text(__be32 addr)
{
	static char bufs[4][INET_ADDRSTRLEN];
	static int next;
	char *buf = bufs[next++ % 4];

	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

static void change_public(struct gen *g, struct model_config *c)
{
	struct rng *r = &g->rng;
	__be32 addr;
	int i;

	switch (rng_below(r, 10)) {
	case 0:
		/* The config words written directly: an old address goes, or one comes. */
		i = rng_below(r, HP_MAX_OLD_PUBLIC);
		addr = rng_percent(r, 50) ? 0 : PICK_ADDR(r, public_pool);
		if (addr != c->public_addr)
			c->old_addrs[i] = addr;
		snprintf(g->what, sizeof(g->what), "old address %d := %s", i, addr_text(addr));
		return;
	case 1:
		addr = 0;
		break;
	default:
		/* Back to an old one now and then: the flows that own it are current again. */
		addr = rng_percent(r, 30) ? old_addr(g, c) : PICK_ADDR(r, public_pool);
	}
	set_public(g, c, addr);
	snprintf(g->what, sizeof(g->what), "public address := %s", addr_text(addr));
}

/* A forward changes (`up` with a new configuration), comes or goes. */
static void change_forward(struct gen *g, struct model_config *c)
{
	struct rng *r = &g->rng;
	int i = rng_below(r, c->n_forwards);
	struct model_forward *f = &c->forwards[i];
	struct model_forward before = *f;
	const char *what;

	switch (rng_below(r, (g->features & GEN_REFLECT) ? 8 : 7)) {
	case 7:
		/* Reflected or not, by another Device, with another address. */
		if (f->reflect_dev == MODEL_NOT_REFLECTED || rng_percent(r, 50))
			reflect_forward(g, f);
		else
			f->reflect_dev = MODEL_NOT_REFLECTED;
		what = "reflection";
		break;
	case 0:
		f->stats_index = free_slot(g, c);
		what = "slot";
		break;
	case 1:
		f->roaming = !f->roaming && (g->features & GEN_ROAMING);
		what = "roaming";
		break;
	case 2:
		f->target_addr = PICK_ADDR(r, target_pool);
		what = "target address";
		break;
	case 3:
		f->target_port = htons(any_port(g));
		what = "target port";
		break;
	case 4:
		if (c->n_forwards > 1) {
			*f = c->forwards[--c->n_forwards];
			f = &before;
			what = "removed";
			break;
		}
		/* fall through */
	default:
		if (c->n_forwards < MODEL_MAX_FORWARDS) {
			f = &c->forwards[c->n_forwards];
			new_forward(g, c, f);
			c->n_forwards++;
			what = "added";
		} else {
			what = "none";
		}
	}
	update_targets(c, rng_percent(r, 30));
	snprintf(g->what, sizeof(g->what), "forward %s/%u %s", f->protocol == IPPROTO_UDP ? "udp"
		 : "tcp", ntohs(f->port), what);
}

static enum gen_step_kind change_config(struct gen *g, struct model_config *c)
{
	struct rng *r = &g->rng;
	__u32 what = rng_below(r, 100);

	if (what < 55 && (g->features & GEN_PUBLIC_CHANGES)) {
		change_public(g, c);
	} else if (what < 85 && (g->features & GEN_FORWARD_CHANGES)) {
		change_forward(g, c);
	} else if (what < 93 && (g->features & GEN_SOURCES)) {
		random_prefixes(g, c);
		snprintf(g->what, sizeof(g->what), "AllowedSources: %s",
			 c->any_source ? "any" : "prefixes");
	} else if (g->features & GEN_DIRECT) {
		c->ingress_overlap = !c->ingress_overlap;
		snprintf(g->what, sizeof(g->what), "ingress_overlap := %d", c->ingress_overlap);
	} else {
		snprintf(g->what, sizeof(g->what), "nothing");
	}
	return STEP_CONFIG;
}

/*
 * Ticks that pass: mostly to just before or just after a flow's timeout or its refresh time,
 * where the comparisons are; sometimes a few ticks, or long enough for everything to expire.
 */
static enum gen_step_kind pass_time(struct gen *g, __u64 *ticks)
{
	const struct model *m = g->model;
	struct rng *r = &g->rng;
	__u64 t = 1 + rng_below(r, 3);
	const char *why = "a while";

	if (m->n_flows && rng_percent(r, 70)) {
		const struct model_flow *f = &m->flows[rng_below(r, m->n_flows)];
		__u64 idle = model_flow_idle(m, f);
		__u64 limit = rng_percent(r, 75) ? model_flow_timeout(m, f) : m->config.refresh;

		/* To exactly the limit, or one past it. */
		limit += rng_percent(r, 50);
		if (limit > idle) {
			t = limit - idle;
			why = "to a flow's limit";
		}
	} else if (rng_percent(r, 20)) {
		t = 14 + rng_below(r, 10);
		why = "everything expires";
	}
	*ticks = t;
	snprintf(g->what, sizeof(g->what), "%llu ticks pass (%s)", (unsigned long long)t, why);
	return STEP_TIME;
}

/* ---- Building frames ----------------------------------------------------------------- */

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static __u16 get16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

static void add_field(struct pkt *p, __u32 off, __u8 len, enum field_kind kind,
		      const char *name)
{
	if (p->n_fields < PKT_MAX_FIELDS && len)
		p->fields[p->n_fields++] = (struct pkt_field){ off, len, kind, name };
}

static void random_bytes(struct rng *r, __u8 *p, __u32 len)
{
	for (__u32 i = 0; i < len; i++)
		p[i] = rng_next(r);
}

/* Ethernet and @tags VLAN tags; returns the offset of the IPv4 header. */
static __u32 put_eth(struct gen *g, struct pkt *p, int tags, __u16 ethertype)
{
	static const __u8 host_mac[6] = { 0x02, 0x48, 0x50, 0x00, 0x00, 0x01 };
	static const __u8 client_mac[6] = { 0x02, 0x48, 0x50, 0x00, 0x00, 0x0a };
	__u32 off = 12;

	memcpy(p->data, p->dir == PKT_INGRESS ? host_mac : client_mac, 6);
	memcpy(p->data + 6, p->dir == PKT_INGRESS ? client_mac : host_mac, 6);
	add_field(p, 0, 6, FIELD_PLAIN, "eth.h_dest");
	add_field(p, 6, 6, FIELD_PLAIN, "eth.h_source");
	for (int i = 0; i < tags; i++) {
		put16(p->data + off, rng_percent(&g->rng, 50) ? 0x8100 : 0x88a8);
		add_field(p, off, 2, FIELD_ETHERTYPE, "vlan.proto");
		put16(p->data + off + 2, rng_below(&g->rng, 65536));
		add_field(p, off + 2, 2, FIELD_PLAIN, "vlan.tci");
		off += 4;
	}
	put16(p->data + off, ethertype);
	add_field(p, off, 2, FIELD_ETHERTYPE, "eth.h_proto");
	return off + 2;
}

static int random_tags(struct gen *g)
{
	__u32 n;

	if (!(g->features & GEN_VLAN))
		return 0;
	n = rng_below(&g->rng, 100);
	return n < 70 ? 0 : n < 85 ? 1 : n < 96 ? 2 : 3;
}

/* A datagram's headers as the sender sets them. */
struct dgram {
	__u8 protocol;
	__be32 saddr, daddr;
	__be16 sport, dport;	/* UDP/TCP */
	__u16 id, frag_off;	/* host order */
	__u8 tos, ttl;
	__u8 ip_opt_len;	/* a multiple of 4, at most 40 */
	__u8 tcp_opt_len;	/* a multiple of 4, at most 40 */
	__u8 tcp_flags;
	__u16 payload_len;
	bool udp_no_check;
};

static const char *const ip_names[2][11] = {
	{ "ip.version/ihl", "ip.tos", "ip.tot_len", "ip.id", "ip.frag_off", "ip.ttl",
	  "ip.protocol", "ip.check", "ip.saddr", "ip.daddr", "ip.options" },
	{ "inner.ip.version/ihl", "inner.ip.tos", "inner.ip.tot_len", "inner.ip.id",
	  "inner.ip.frag_off", "inner.ip.ttl", "inner.ip.protocol", "inner.ip.check",
	  "inner.ip.saddr", "inner.ip.daddr", "inner.ip.options" },
};
static const char *const udp_names[2][4] = {
	{ "udp.source", "udp.dest", "udp.len", "udp.check" },
	{ "inner.udp.source", "inner.udp.dest", "inner.udp.len", "inner.udp.check" },
};
static const char *const tcp_names[2][9] = {
	{ "tcp.source", "tcp.dest", "tcp.seq", "tcp.ack_seq", "tcp.doff/flags", "tcp.window",
	  "tcp.check", "tcp.urg_ptr", "tcp.options" },
	{ "inner.tcp.source", "inner.tcp.dest", "inner.tcp.seq", "inner.tcp.ack_seq",
	  "inner.tcp.doff/flags", "inner.tcp.window", "inner.tcp.check", "inner.tcp.urg_ptr",
	  "inner.tcp.options" },
};

/* IPv4 options: Router Alert (RFC 2113), NOPs, Record Route (RFC 791), then EOL. */
static void put_ip_options(struct gen *g, __u8 *o, __u32 len)
{
	__u32 i = 0;

	memset(o, 0, len);
	if (len >= 4 && rng_percent(&g->rng, 40)) {
		o[i++] = 148, o[i++] = 4, o[i++] = 0, o[i++] = 0;
	}
	while (i < len && rng_percent(&g->rng, 30))
		o[i++] = 1;
	if (len - i >= 7) {
		__u32 rr = 3 + (len - i - 4) / 4 * 4;

		o[i] = 7, o[i + 1] = rr, o[i + 2] = 4;
		random_bytes(&g->rng, o + i + 3, rr - 3);
		i += rr;
	}
	if (rng_percent(&g->rng, 10))
		random_bytes(&g->rng, o, len);	/* options are skipped, never read */
}

/* The IPv4 header of @d at @off, without tot_len and checksum; returns its length. */
static __u32 put_ip_header(struct gen *g, struct pkt *p, __u32 off, const struct dgram *d,
			   int inner)
{
	__u8 *ip = p->data + off;
	__u32 hlen = 20 + d->ip_opt_len;
	static const __u8 offs[10] = { 0, 1, 2, 4, 6, 8, 9, 10, 12, 16 };
	static const __u8 lens[10] = { 1, 1, 2, 2, 2, 1, 1, 2, 4, 4 };
	static const __u8 kinds[10] = {
		FIELD_VERSION_IHL, FIELD_PLAIN, FIELD_TOT_LEN, FIELD_PLAIN, FIELD_FRAG_OFF,
		FIELD_PLAIN, FIELD_PLAIN, FIELD_CHECK, FIELD_ADDR, FIELD_ADDR,
	};

	ip[0] = 0x40 | hlen / 4;
	ip[1] = d->tos;
	put16(ip + 4, d->id);
	put16(ip + 6, d->frag_off);
	ip[8] = d->ttl;
	ip[9] = d->protocol;
	memcpy(ip + 12, &d->saddr, 4);
	memcpy(ip + 16, &d->daddr, 4);
	put_ip_options(g, ip + 20, d->ip_opt_len);
	for (int i = 0; i < 10; i++)
		add_field(p, off + offs[i], lens[i], kinds[i], ip_names[inner][i]);
	add_field(p, off + 20, d->ip_opt_len, FIELD_PLAIN, ip_names[inner][10]);
	return hlen;
}

static void finish_ip_header(__u8 *ip, __u32 tot_len)
{
	put16(ip + 2, tot_len);
	put16(ip + 10, csum_ipv4_header(ip));
}

/*
 * A whole UDP/TCP datagram at @off, checksums as the sender computes them; returns its
 * length.
 */
static __u32 put_dgram(struct gen *g, struct pkt *p, __u32 off, const struct dgram *d,
		       int inner)
{
	__u8 *ip = p->data + off, *l4;
	__u32 hlen = put_ip_header(g, p, off, d, inner), l4_len;

	l4 = ip + hlen;
	memcpy(l4, &d->sport, 2);
	memcpy(l4 + 2, &d->dport, 2);
	if (d->protocol == IPPROTO_UDP) {
		l4_len = 8 + d->payload_len;
		put16(l4 + 4, l4_len);
		put16(l4 + 6, 0);
		for (int i = 0; i < 4; i++)
			add_field(p, off + hlen + 2 * i, 2, i < 2 ? FIELD_PORT :
				  i == 3 ? FIELD_CHECK : FIELD_PLAIN, udp_names[inner][i]);
	} else {
		static const __u8 offs[8] = { 0, 2, 4, 8, 12, 14, 16, 18 };
		static const __u8 lens[8] = { 2, 2, 4, 4, 2, 2, 2, 2 };
		__u32 thlen = 20 + d->tcp_opt_len;

		l4_len = thlen + d->payload_len;
		random_bytes(&g->rng, l4 + 4, 8);	/* seq, ack_seq */
		l4[12] = thlen / 4 << 4;
		l4[13] = d->tcp_flags;
		put16(l4 + 14, rng_below(&g->rng, 65536));
		put16(l4 + 16, 0);
		put16(l4 + 18, 0);
		/* Options: NOPs, then a timestamp's worth of bytes; never read. */
		memset(l4 + 20, 1, d->tcp_opt_len);
		if (d->tcp_opt_len >= 12)
			l4[22] = 8, l4[23] = 10;
		for (int i = 0; i < 8; i++)
			add_field(p, off + hlen + offs[i], lens[i], i < 2 ? FIELD_PORT :
				  i == 6 ? FIELD_CHECK : FIELD_PLAIN, tcp_names[inner][i]);
		add_field(p, off + hlen + 20, d->tcp_opt_len, FIELD_PLAIN, tcp_names[inner][8]);
	}
	random_bytes(&g->rng, l4 + l4_len - d->payload_len, d->payload_len);
	finish_ip_header(ip, hlen + l4_len);
	if (!(d->protocol == IPPROTO_UDP && d->udp_no_check))
		put16(l4 + (d->protocol == IPPROTO_UDP ? 6 : 16), csum_l4(ip, l4, l4_len));
	return hlen + l4_len;
}

static void random_dgram(struct gen *g, struct dgram *d, __u8 protocol)
{
	struct rng *r = &g->rng;

	memset(d, 0, sizeof(*d));
	d->protocol = protocol;
	d->id = rng_percent(r, 30) ? rng_below(r, 4) : rng_below(r, 65536);
	d->frag_off = rng_percent(r, 50) ? IP_DF : 0;
	d->tos = rng_percent(r, 80) ? 0 : rng_next(r);
	/* 1 and 2 often: reflection leaves a packet whose TTL would run out to the stack. */
	d->ttl = rng_percent(r, 6) ? 1 + rng_below(r, 2) : 1 + rng_below(r, 255);
	if ((g->features & GEN_IP_OPTIONS) && rng_percent(r, 20))
		d->ip_opt_len = 4 * (1 + rng_below(r, 10));
	if (protocol == IPPROTO_TCP && rng_percent(r, 30))
		d->tcp_opt_len = 4 * (1 + rng_below(r, 10));
	d->payload_len = rng_percent(r, 15) ? 0 : rng_below(r, rng_percent(r, 80) ? 64 : 400);
	d->udp_no_check = rng_percent(r, 10);
	d->tcp_flags = TCP_PSH | TCP_ACK;
}

/*
 * TCP flags of a client's packet (@reply false) or a target's: what moves a flow's state
 * (SYN, FIN, RST) often, any byte now and then.
 */
static __u8 tcp_flags(struct gen *g, bool reply)
{
	static const __u8 client[] = {
		TCP_SYN, TCP_SYN, TCP_ACK, TCP_PSH | TCP_ACK, TCP_PSH | TCP_ACK, TCP_FIN | TCP_ACK,
		TCP_RST, TCP_RST | TCP_ACK, TCP_SYN | TCP_ACK, TCP_FIN, TCP_SYN | TCP_FIN,
	};
	static const __u8 target[] = {
		TCP_SYN | TCP_ACK, TCP_SYN | TCP_ACK, TCP_ACK, TCP_PSH | TCP_ACK, TCP_PSH | TCP_ACK,
		TCP_FIN | TCP_ACK, TCP_RST, TCP_RST | TCP_ACK, TCP_SYN,
	};
	struct rng *r = &g->rng;

	if (rng_percent(r, 10))
		return rng_next(r);
	return reply ? PICK(r, target) : PICK(r, client);
}

/* Ethernet padding after the datagram: up to 60 bytes, or more, never counted by tot_len. */
static void maybe_pad(struct gen *g, struct pkt *p)
{
	__u32 pad = 0;

	if (p->len < 60 && rng_percent(&g->rng, 50))
		pad = 60 - p->len;
	else if (rng_percent(&g->rng, 5))
		pad = 1 + rng_below(&g->rng, 16);
	if (p->len + pad > PKT_MAX)
		return;
	/* Zeros mostly, as drivers pad; sometimes garbage. */
	if (rng_percent(&g->rng, 70))
		memset(p->data + p->len, 0, pad);
	else
		random_bytes(&g->rng, p->data + p->len, pad);
	p->len += pad;
}

static void describe(struct pkt *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void describe(struct pkt *p, const char *fmt, ...)
{
	size_t used = strlen(p->what);
	va_list ap;

	if (used >= sizeof(p->what) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(p->what + used, sizeof(p->what) - used, fmt, ap);
	va_end(ap);
}

static const char *proto_name(__u8 protocol)
{
	return protocol == IPPROTO_UDP ? "udp" : protocol == IPPROTO_TCP ? "tcp" : "?";
}

/* "tcp 192.0.2.10:40000 -> 203.0.113.7:443 [SYN,ACK] ": who a datagram is between. */
static void describe_ends(struct pkt *p, const struct dgram *d)
{
	static const char *const flags[8] = { "FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE",
					       "CWR" };

	describe(p, "%s %s:%u -> ", proto_name(d->protocol), addr_text(d->saddr), ntohs(d->sport));
	describe(p, "%s:%u ", addr_text(d->daddr), ntohs(d->dport));
	if (d->protocol != IPPROTO_TCP)
		return;
	describe(p, "[");
	for (int i = 0, n = 0; i < 8; i++) {
		if (d->tcp_flags & (1 << i))
			describe(p, "%s%s", n++ ? "," : "", flags[i]);
	}
	describe(p, "] ");
}

static void start_pkt(struct pkt *p, enum pkt_dir dir)
{
	p->dir = dir;
	p->dev = 0;
	p->len = 0;
	p->n_fields = 0;
	p->kind = "other";
	p->mutated = false;
	p->what[0] = 0;
	memset(p->data, 0, sizeof(p->data));
}

/* One frame carrying all of @d. */
static void l4_frame(struct gen *g, struct pkt *p, const struct dgram *d)
{
	int tags = random_tags(g);
	__u32 l3 = put_eth(g, p, tags, 0x0800);

	p->len = l3 + put_dgram(g, p, l3, d, 0);
	describe_ends(p, d);
	describe(p, "%s%s%s", d->ip_opt_len ? "ip-options " : "", d->udp_no_check ? "no-check " : "",
		 tags ? (tags == 1 ? "1-tag " : tags == 2 ? "2-tags " : "3-tags ") : "");
	maybe_pad(g, p);
}

/*
 * @d in 2-4 fragments, queued for the next steps: in order mostly (as Linux sends them), else
 * shuffled. The first fragment sometimes cuts the transport header short.
 */
static void fragment_train(struct gen *g, enum pkt_dir dir, struct dgram *d)
{
	struct rng *r = &g->rng;
	struct pkt *whole = malloc(sizeof(*whole));
	__u32 hlen, data_len, cuts[5], n_cuts = 0, order[4], n, l4_hlen, units;
	int tags = random_tags(g);
	bool shuffled = rng_percent(r, 30);

	if (!whole)
		abort();
	if (d->payload_len < 24)
		d->payload_len = 24 + rng_below(r, 200);
	d->frag_off = 0;
	start_pkt(whole, dir);
	data_len = put_dgram(g, whole, 0, d, 0);
	hlen = (whole->data[0] & 0xf) * 4;
	data_len -= hlen;
	/*
	 * Cut points: multiples of 8 strictly inside the data; the first fragment holds the
	 * whole transport header mostly, and sometimes less of it than its rule asks for.
	 */
	l4_hlen = d->protocol == IPPROTO_UDP ? 8 : 20 + d->tcp_opt_len;
	units = (data_len - 1) / 8;
	cuts[n_cuts++] = 0;
	n = 1 + rng_below(r, 3);
	for (__u32 i = 0; i < n; i++) {
		__u32 lo = cuts[n_cuts - 1] / 8 + 1;

		if (n_cuts == 1 && rng_percent(r, 85) && lo < (l4_hlen + 7) / 8)
			lo = (l4_hlen + 7) / 8;
		if (lo > units)
			break;
		cuts[n_cuts++] = 8 * (lo + rng_below(r, (units - lo) / 2 + 1));
	}
	cuts[n_cuts] = data_len;
	for (__u32 i = 0; i < n_cuts; i++)
		order[i] = i;
	if (shuffled) {
		for (__u32 i = n_cuts - 1; i > 0; i--) {
			__u32 j = rng_below(r, i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
	}
	g->n_queue = 0;
	for (__u32 k = 0; k < n_cuts && g->n_queue < GEN_QUEUE_MAX; k++) {
		__u32 i = order[k], start = cuts[i], end = cuts[i + 1], l3;
		struct pkt *p = &g->queue[g->n_queue++];
		__u8 *ip;

		start_pkt(p, dir);
		l3 = put_eth(g, p, tags, 0x0800);
		ip = p->data + l3;
		/* The header fields of the fragment; the datagram's first, then this one's. */
		put_ip_header(g, p, l3, d, 0);
		memcpy(ip, whole->data, hlen);
		memcpy(ip + hlen, whole->data + hlen + start, end - start);
		put16(ip + 6, (i + 1 < n_cuts ? IP_MF : 0) | start / 8);
		finish_ip_header(ip, hlen + end - start);
		p->len = l3 + hlen + (end - start);
		if (i == 0) {
			/* The transport header's fields, as far as they are here. */
			for (int f = 0; f < whole->n_fields; f++) {
				struct pkt_field fl = whole->fields[f];

				if (fl.off >= hlen && fl.off + fl.len <= hlen + end)
					add_field(p, l3 + fl.off, fl.len, fl.kind, fl.name);
			}
		}
		describe_ends(p, d);
		describe(p, "fragment %u/%u (offset %u, %u bytes)%s%s%s", i + 1, n_cuts, start, end - start, shuffled ? " shuffled" : "",
			 d->ip_opt_len ? " ip-options" : "", tags ? " tagged" : "");
		maybe_pad(g, p);
	}
	free(whole);
}

/*
 * The Device an ingress frame from @saddr comes in on: the one whose LAN has it mostly, the
 * other now and then; or the one the generator chose (g->next_dev).
 */
static int frame_dev(struct gen *g, __be32 saddr)
{
	int dev = g->next_dev;

	g->next_dev = -1;
	if (dev >= 0)
		return dev;
	dev = (ntohl(saddr) >> 8) == (198 << 16 | 51 << 8 | 100) ? 1 : 0;
	return rng_percent(&g->rng, 85) ? dev : 1 - dev;
}

static const struct model_flow *pick_flow(struct gen *g)
{
	if (!g->model || !g->model->n_flows)
		return NULL;
	return &g->model->flows[rng_below(&g->rng, g->model->n_flows)];
}

/* The destination of a client's packet: the public address mostly, else an old one. */
static __be32 public_dest(struct gen *g, const struct model_config *c)
{
	struct rng *r = &g->rng;

	if (rng_percent(r, 80) && c->public_addr)
		return c->public_addr;
	return rng_percent(r, 60) ? old_addr(g, c) : any_addr(g, c);
}

/*
 * Other clients take, one after another, the ports that reflection would give a client (its
 * own, then those of each round), and then the client comes: with all five taken, it finds
 * none free (reflect_ports_full); with fewer, the next one.
 */
static void squat_start(struct gen *g, const struct model_config *c)
{
	struct rng *r = &g->rng;
	const struct model_forward *f = &c->forwards[rng_below(r, c->n_forwards)];

	if (f->reflect_dev == MODEL_NOT_REFLECTED)
		return;
	g->squatting = true;
	g->squat_forward = *f;
	g->squat_client = PICK_ADDR(r, client_pool);
	g->squat_port = htons(PICK(r, client_port_pool));
	/* Now and then one round fewer: the client gets the last port. */
	g->squat_next = rng_percent(r, 25) ? 1 : 0;
}

static void squat_dgram(struct gen *g, const struct model_config *c, struct dgram *d)
{
	const struct model_forward *f = &g->squat_forward;
	struct rng *r = &g->rng;

	g->next_dev = f->reflect_dev;
	random_dgram(g, d, f->protocol);
	d->dport = f->port;
	d->daddr = c->public_addr;
	if (g->squat_next > MODEL_REFLECT_TRIES) {
		d->saddr = g->squat_client;
		d->sport = g->squat_port;
		g->squatting = false;
		return;
	}
	/* Another client of the pool, or one made up next to it. */
	do {
		__u32 near = ntohl(g->squat_client) ^ (1 + rng_below(r, 7));

		d->saddr = rng_percent(r, 60) ? PICK_ADDR(r, client_pool) : htonl(near);
	} while (d->saddr == g->squat_client);
	d->sport = model_reflect_port(g->squat_client, g->squat_port, g->squat_next++);
}

/*
 * A client's packet: to the public address on a forwarded port mostly; another of a tracked
 * flow, to the address it owns or to the current one; a client spraying new flows; or a
 * "direct" packet, to a target's own address from a flow's ports.
 */
static void ingress_dgram(struct gen *g, const struct model_config *c, struct dgram *d)
{
	struct rng *r = &g->rng;
	const struct model_flow *flow = rng_percent(r, 35) ? pick_flow(g) : NULL;
	__u32 how = rng_below(r, 100);

	if (g->squatting) {
		squat_dgram(g, c, d);
	} else if (g->spray_left) {
		const struct model_forward *f = &c->forwards[rng_below(r, c->n_forwards)];

		g->spray_left--;
		random_dgram(g, d, f->protocol);
		d->saddr = g->spray_client;
		d->sport = htons(1024 + rng_below(r, 64));
		d->dport = f->port;
		d->daddr = public_dest(g, c);
	} else if (flow && (g->features & GEN_DIRECT) && how < 20) {
		/* To the target itself, from the flow's ports. */
		random_dgram(g, d, flow->key.protocol);
		d->saddr = flow->key.client_addr;
		d->sport = flow->key.client_port;
		d->daddr = flow->key.target_addr;
		d->dport = flow->key.target_port;
		if (rng_percent(r, 10))
			d->dport = htons(any_port(g));
	} else if (flow && flow->key.kind == HP_FLOW_KEY_TARGET &&
		   (flow->value.flags & HP_FLOW_REFLECTED) && how < 85) {
		/* The target's reply to this host, which stands in for the client. */
		random_dgram(g, d, flow->key.protocol);
		d->saddr = flow->key.target_addr;
		d->sport = flow->key.target_port;
		d->daddr = flow->key.client_addr;
		d->dport = flow->key.client_port;
		if (rng_percent(r, 10))
			d->dport = htons(any_port(g));
		if (d->protocol == IPPROTO_TCP)
			d->tcp_flags = tcp_flags(g, true);
		return;
	} else if (flow) {
		/* Another packet of a tracked flow, to what it owns mostly. */
		random_dgram(g, d, flow->key.protocol);
		d->saddr = flow->key.client_addr;
		d->sport = flow->key.client_port;
		d->dport = flow->value.public_port;
		d->daddr = how < 75 ? flow->value.public_addr : public_dest(g, c);
	} else {
		if (how < 75) {
			const struct model_forward *f = &c->forwards[rng_below(r, c->n_forwards)];

			random_dgram(g, d, f->protocol);
			d->dport = f->port;
		} else {
			random_dgram(g, d, rng_percent(r, 50) ? IPPROTO_UDP : IPPROTO_TCP);
			d->dport = htons(any_port(g));
		}
		d->saddr = rng_percent(r, 85) ? PICK_ADDR(r, client_pool) : any_addr(g, c);
		d->sport = htons(rng_percent(r, 80) ? PICK(r, client_port_pool) : any_port(g));
		d->daddr = public_dest(g, c);
		if ((g->features & GEN_ADMISSION) && rng_percent(r, 3)) {
			g->spray_client = d->saddr;
			g->spray_left = 3 + rng_below(r, 12);
		} else if ((g->features & GEN_REFLECT) && rng_percent(r, 2)) {
			squat_start(g, c);
		}
	}
	if (d->protocol == IPPROTO_TCP)
		d->tcp_flags = tcp_flags(g, false);
}

/* The target's packet to a client: a reply of a tracked flow mostly. */
static void egress_dgram(struct gen *g, const struct model_config *c, struct dgram *d)
{
	struct rng *r = &g->rng;
	const struct model_flow *flow = rng_percent(r, 80) ? pick_flow(g) : NULL;

	if (flow) {
		random_dgram(g, d, flow->key.protocol);
		d->saddr = flow->key.target_addr;
		d->daddr = flow->key.client_addr;
		d->sport = flow->key.target_port;
		d->dport = flow->key.client_port;
		if (rng_percent(r, 10)) {
			/* Near misses: one part of the key off. */
			switch (rng_below(r, 5)) {
			case 0:
				d->saddr = c->targets[rng_below(r, c->n_targets)];
				break;
			case 1:
				d->daddr = any_addr(g, c);
				break;
			case 2:
				d->sport = htons(any_port(g));
				break;
			case 3:
				d->dport = htons(any_port(g));
				break;
			default:
				d->protocol ^= IPPROTO_UDP ^ IPPROTO_TCP;
			}
		}
	} else {
		random_dgram(g, d, rng_percent(r, 50) ? IPPROTO_UDP : IPPROTO_TCP);
		d->saddr = rng_percent(r, 70) ? c->targets[rng_below(r, c->n_targets)]
					      : any_addr(g, c);
		d->daddr = rng_percent(r, 80) ? PICK_ADDR(r, client_pool) : any_addr(g, c);
		d->sport = htons(any_port(g));
		d->dport = htons(rng_percent(r, 70) ? PICK(r, client_port_pool) : any_port(g));
	}
	if (d->protocol == IPPROTO_TCP)
		d->tcp_flags = tcp_flags(g, true);
}

static const char *const icmp_names[4] = { "icmp.type", "icmp.code", "icmp.check", "icmp.rest" };

/*
 * An ICMP error from @outer_saddr to @outer_daddr about @inner: the inner datagram is built
 * whole and valid, and then cut to what the ICMP error quotes.
 */
static void icmp_error_frame(struct gen *g, struct pkt *p, __be32 outer_saddr,
			     __be32 outer_daddr, const struct dgram *inner)
{
	static const __u8 error_types[] = { 3, 3, 3, 11, 12, 4, 5 };
	struct rng *r = &g->rng;
	struct pkt *quoted = malloc(sizeof(*quoted));
	int tags = random_tags(g);
	__u32 l3, hlen, inner_len, inner_hlen, quote_len, icmp_len;
	struct dgram outer;
	const char *cut;
	__u8 *ip, *icmp;

	if (!quoted)
		abort();
	start_pkt(quoted, p->dir);
	inner_len = put_dgram(g, quoted, 0, inner, 1);
	inner_hlen = (quoted->data[0] & 0xf) * 4;
	switch (rng_below(r, 8)) {
	case 0:
	case 1:
	case 2:
	case 3:
		quote_len = inner_hlen + 8;	/* RFC 792 */
		cut = "8 bytes";
		break;
	case 4:
	case 5:
		quote_len = inner_hlen + (inner->protocol == IPPROTO_TCP ? 20 : 8);
		cut = "header";
		break;
	case 6:
		quote_len = inner_len;		/* RFC 1812: as much as fits */
		cut = "whole";
		break;
	default:
		quote_len = inner_hlen + rng_below(r, inner_len - inner_hlen + 1);
		cut = "cut";
	}
	if (quote_len > inner_len)
		quote_len = inner_len;

	random_dgram(g, &outer, IPPROTO_ICMP);
	outer.saddr = outer_saddr;
	outer.daddr = outer_daddr;
	outer.frag_off = rng_percent(r, 50) ? IP_DF : 0;
	l3 = put_eth(g, p, tags, 0x0800);
	ip = p->data + l3;
	hlen = put_ip_header(g, p, l3, &outer, 0);
	icmp = ip + hlen;
	icmp[0] = rng_percent(r, 90) ? PICK(r, error_types) : rng_below(r, 20);
	icmp[1] = icmp[0] == 3 ? (rng_percent(r, 60) ? 3 : rng_below(r, 16)) : rng_below(r, 2);
	put16(icmp + 2, 0);
	memset(icmp + 4, 0, 4);
	if (icmp[0] == 3 && icmp[1] == 4)
		put16(icmp + 6, 576 + rng_below(r, 1000));	/* next-hop MTU, RFC 1191 */
	else if (rng_percent(r, 20))
		random_bytes(r, icmp + 4, 4);
	add_field(p, l3 + hlen, 1, FIELD_PLAIN, icmp_names[0]);
	add_field(p, l3 + hlen + 1, 1, FIELD_PLAIN, icmp_names[1]);
	add_field(p, l3 + hlen + 2, 2, FIELD_CHECK, icmp_names[2]);
	add_field(p, l3 + hlen + 4, 4, FIELD_PLAIN, icmp_names[3]);
	memcpy(icmp + 8, quoted->data, quote_len);
	for (int f = 0; f < quoted->n_fields; f++) {
		struct pkt_field fl = quoted->fields[f];

		if (fl.off + fl.len <= quote_len)
			add_field(p, l3 + hlen + 8 + fl.off, fl.len, fl.kind, fl.name);
	}
	icmp_len = 8 + quote_len;
	put16(icmp + 2, csum_fold(csum_sum(icmp, icmp_len, 0)));
	finish_ip_header(ip, hlen + icmp_len);
	p->len = l3 + hlen + icmp_len;
	describe(p, "icmp type %u code %u about %s (%s%s, %s)%s%s", icmp[0], icmp[1],
		 proto_name(inner->protocol), inner->ip_opt_len ? "inner ip-options, " : "",
		 inner->udp_no_check && inner->protocol == IPPROTO_UDP ? "no-check" : "check",
		 cut, outer.ip_opt_len ? " ip-options" : "", tags ? " tagged" : "");
	maybe_pad(g, p);
	free(quoted);
}

/* A client or a router on the LAN reports an error about a reply it got from "public". */
static void ingress_icmp(struct gen *g, const struct model_config *c, struct pkt *p)
{
	struct rng *r = &g->rng;
	const struct model_flow *flow = rng_percent(r, 75) ? pick_flow(g) : NULL;
	struct dgram inner;
	__be32 from, to;

	if (flow && flow->key.kind == HP_FLOW_KEY_TARGET &&
	    (flow->value.flags & HP_FLOW_REFLECTED) && rng_percent(r, 70)) {
		/* The target's error about what this host sent it for the client. */
		random_dgram(g, &inner, flow->key.protocol);
		inner.saddr = flow->key.client_addr;
		inner.sport = flow->key.client_port;
		inner.daddr = flow->key.target_addr;
		inner.dport = flow->key.target_port;
		from = rng_percent(r, 80) ? inner.daddr : c->targets[rng_below(r, c->n_targets)];
		to = inner.saddr;
	} else if (flow) {
		/* About a reply, from where it left mostly: the owned address or `public`. */
		random_dgram(g, &inner, flow->key.protocol);
		inner.saddr = rng_percent(r, 80) ? model_flow_reply_addr(g->model, flow)
						 : flow->value.public_addr;
		inner.sport = flow->value.public_port;
		inner.daddr = flow->key.client_addr;
		inner.dport = flow->key.client_port;
		from = rng_percent(r, 70) ? flow->key.client_addr : PICK_ADDR(r, client_pool);
		to = rng_percent(r, 70) ? inner.saddr : public_dest(g, c);
	} else {
		const struct model_forward *f = &c->forwards[rng_below(r, c->n_forwards)];

		random_dgram(g, &inner, rng_percent(r, 80) ? f->protocol : IPPROTO_UDP);
		inner.saddr = rng_percent(r, 80) ? public_dest(g, c) : any_addr(g, c);
		inner.sport = rng_percent(r, 80) ? f->port : htons(any_port(g));
		inner.daddr = PICK_ADDR(r, client_pool);
		inner.dport = htons(PICK(r, client_port_pool));
		from = inner.daddr;
		to = public_dest(g, c);
	}
	p->dev = frame_dev(g, from);
	describe(p, "ingress lan%d ", p->dev);
	icmp_error_frame(g, p, from, to, &inner);
}

/* The target (or the host, from another address) reports an error about a client's packet. */
static void egress_icmp(struct gen *g, const struct model_config *c, struct pkt *p)
{
	struct rng *r = &g->rng;
	const struct model_flow *flow = rng_percent(r, 80) ? pick_flow(g) : NULL;
	struct dgram inner;
	__be32 from;

	if (flow) {
		random_dgram(g, &inner, flow->key.protocol);
		inner.saddr = flow->key.client_addr;
		inner.sport = flow->key.client_port;
		inner.daddr = flow->key.target_addr;
		inner.dport = flow->key.target_port;
	} else {
		random_dgram(g, &inner, rng_percent(r, 50) ? IPPROTO_UDP : IPPROTO_TCP);
		inner.saddr = PICK_ADDR(r, client_pool);
		inner.sport = htons(PICK(r, client_port_pool));
		inner.daddr = c->targets[rng_below(r, c->n_targets)];
		inner.dport = htons(any_port(g));
	}
	switch (rng_below(r, 10)) {
	case 0:
	case 1:
		from = c->targets[rng_below(r, c->n_targets)];
		break;
	case 2:
		from = any_addr(g, c);
		break;
	default:
		from = inner.daddr;
	}
	icmp_error_frame(g, p, from, inner.saddr, &inner);
}

/* Frames no rule is about: ARP, IPv6, other protocols, echo requests, junk. */
static void noise_frame(struct gen *g, const struct model_config *c, struct pkt *p)
{
	struct rng *r = &g->rng;
	struct dgram d;
	__u32 l3;

	switch (rng_below(r, 5)) {
	case 0:
		l3 = put_eth(g, p, random_tags(g), 0x0806);
		p->len = l3 + 28;
		random_bytes(r, p->data + l3, 28);
		describe(p, "arp-ish");
		break;
	case 1:
		l3 = put_eth(g, p, random_tags(g), 0x86dd);
		p->len = l3 + 40 + 8 + rng_below(r, 32);
		random_bytes(r, p->data + l3, p->len - l3);
		p->data[l3] = 0x60;
		describe(p, "ipv6-ish");
		break;
	case 2:
		random_dgram(g, &d, rng_percent(r, 50) ? IPPROTO_ICMP : 47);
		d.saddr = any_addr(g, c);
		d.daddr = rng_percent(r, 50) ? c->public_addr : any_addr(g, c);
		l3 = put_eth(g, p, random_tags(g), 0x0800);
		put_ip_header(g, p, l3, &d, 0);
		p->len = l3 + 20 + d.ip_opt_len + 8 + rng_below(r, 40);
		random_bytes(r, p->data + l3 + 20 + d.ip_opt_len, p->len - l3 - 20 - d.ip_opt_len);
		if (d.protocol == IPPROTO_ICMP)
			p->data[l3 + 20 + d.ip_opt_len] = rng_percent(r, 50) ? 8 : 0;	/* echo */
		finish_ip_header(p->data + l3, p->len - l3);
		describe(p, "ipv4 protocol %u", d.protocol);
		break;
	default:
		p->len = rng_below(r, 80);
		random_bytes(r, p->data, p->len);
		if (p->len >= 14 && rng_percent(r, 50))
			put16(p->data + 12, 0x0800);
		describe(p, "junk");
	}
}

/* ---- Mutations ----------------------------------------------------------------------- */

static const struct pkt_field *random_field(struct gen *g, struct pkt *p, int kind)
{
	int candidates[PKT_MAX_FIELDS], n = 0;

	for (int i = 0; i < p->n_fields; i++) {
		if ((kind < 0 || p->fields[i].kind == kind) && p->fields[i].off < p->len)
			candidates[n++] = i;
	}
	return n ? &p->fields[candidates[rng_below(&g->rng, n)]] : NULL;
}

/* Rewrite the outer IPv4 checksum, so that the header parses as a sender would send it. */
static void fix_ip_check(struct pkt *p)
{
	for (int i = 0; i < p->n_fields; i++) {
		if (!strcmp(p->fields[i].name, "ip.check")) {
			__u8 *ip = p->data + p->fields[i].off - 10;
			__u32 hlen = (ip[0] & 0xf) * 4;

			if (hlen >= 20 && p->fields[i].off - 10 + hlen <= p->len)
				put16(ip + 10, csum_ipv4_header(ip));
			return;
		}
	}
}

static void mutate_field(struct gen *g, const struct model_config *c, struct pkt *p,
			 const struct pkt_field *f)
{
	struct rng *r = &g->rng;
	__u8 *v = p->data + f->off;
	__u32 len = f->off + f->len <= p->len ? f->len : p->len - f->off;
	__be32 addr;
	__u16 x;

	switch (f->kind) {
	case FIELD_ADDR:
		addr = any_addr(g, c);
		memcpy(v, &addr, len);
		break;
	case FIELD_PORT:
		if (len == 2)
			put16(v, any_port(g));
		break;
	case FIELD_CHECK:
		if (len == 2) {
			x = rng_below(r, 3) == 0 ? 0 : rng_below(r, 2) ? 0xffff : get16(v) ^
				(1 + rng_below(r, 0xffff));
			put16(v, x);
		}
		break;
	case FIELD_VERSION_IHL:
		v[0] = rng_percent(r, 50) ? (v[0] & 0xf0) | rng_below(r, 16)
					  : (rng_below(r, 16) << 4) | (v[0] & 0xf);
		break;
	case FIELD_TOT_LEN:
		if (len == 2) {
			x = get16(v);
			x = rng_percent(r, 30) ? rng_below(r, 65536) :
			    (__u16)(x + rng_below(r, 41) - 20);
			put16(v, x);
		}
		break;
	case FIELD_FRAG_OFF:
		if (len == 2)
			put16(v, (rng_percent(r, 50) ? IP_MF : 0) |
				 (rng_percent(r, 50) ? rng_below(r, 0x2000) : 0) |
				 (rng_percent(r, 30) ? IP_DF : 0) | (rng_percent(r, 5) ? 0x8000 : 0));
		break;
	case FIELD_ETHERTYPE:
		if (len == 2) {
			static const __u16 types[] = { 0x0800, 0x8100, 0x88a8, 0x86dd, 0x0806 };

			put16(v, rng_percent(r, 80) ? PICK(r, types) : rng_below(r, 65536));
		}
		break;
	default:
		if (rng_percent(r, 50))
			random_bytes(r, v, len);
		else
			v[rng_below(r, len)] ^= 1 << rng_below(r, 8);
	}
	describe(p, " [%s mutated]", f->name);
	if (f->kind != FIELD_CHECK && rng_percent(r, 50))
		fix_ip_check(p);
}

static void mutate(struct gen *g, const struct model_config *c, struct pkt *p)
{
	struct rng *r = &g->rng;
	int n = 1 + (rng_percent(r, 30) ? rng_below(r, 3) : 0);

	p->mutated = true;
	for (int i = 0; i < n && p->len; i++) {
		__u32 what = rng_below(r, 100);
		const struct pkt_field *f;

		if (what < 25) {
			/* Truncate: near a field's end mostly, where the bounds checks are. */
			f = random_field(g, p, -1);
			if (f && rng_percent(r, 70)) {
				int cut = f->off + f->len + (int)rng_below(r, 5) - 3;

				if (cut >= 0 && (__u32)cut < p->len)
					p->len = cut;
			} else {
				p->len = rng_below(r, p->len);
			}
			describe(p, " [truncated to %u]", p->len);
		} else if (what < 70) {
			f = random_field(g, p, -1);
			if (f)
				mutate_field(g, c, p, f);
		} else if (what < 80) {
			f = random_field(g, p, FIELD_CHECK);
			if (f)
				mutate_field(g, c, p, f);
		} else if (what < 90) {
			static const int kinds[] = { FIELD_VERSION_IHL, FIELD_TOT_LEN, FIELD_FRAG_OFF };

			f = random_field(g, p, PICK(r, kinds));
			if (f)
				mutate_field(g, c, p, f);
		} else {
			int flips = 1 + rng_below(r, 4);

			for (int k = 0; k < flips; k++)
				p->data[rng_below(r, p->len)] ^= 1 << rng_below(r, 8);
			describe(p, " [%d bits flipped]", flips);
		}
	}
}

/* ---- Steps --------------------------------------------------------------------------- */


enum gen_step_kind gen_step(struct gen *g, struct model_config *c, struct pkt *p,
			    __u64 *ticks)
{
	struct rng *r = &g->rng;
	struct dgram d;
	__u32 kind;

	if (g->n_queue) {
		/* The next fragment of a datagram; another packet may come between. */
		if (rng_percent(r, 85)) {
			*p = g->queue[0];
			memmove(&g->queue[0], &g->queue[1], --g->n_queue * sizeof(g->queue[0]));
			if ((g->features & GEN_MUTATIONS) && rng_percent(r, 10))
				mutate(g, c, p);
			return STEP_PACKET;
		}
	}
	if ((g->features & GEN_TIME) && rng_percent(r, 4))
		return pass_time(g, ticks);
	if ((g->features & (GEN_PUBLIC_CHANGES | GEN_FORWARD_CHANGES | GEN_SOURCES | GEN_DIRECT)) &&
	    rng_percent(r, g->config_percent))
		return change_config(g, c);
	kind = rng_below(r, 100);
	if (!(g->features & GEN_FRAGMENTS) && kind >= 55 && kind < 70)
		kind = rng_below(r, 55);
	if (!(g->features & GEN_ICMP) && kind >= 70 && kind < 92)
		kind = rng_below(r, 55);
	if (kind < 28) {
		start_pkt(p, PKT_INGRESS);
		ingress_dgram(g, c, &d);
		p->dev = frame_dev(g, d.saddr);
		describe(p, "ingress lan%d ", p->dev);
		l4_frame(g, p, &d);
		p->kind = "udp/tcp";
	} else if (kind < 55) {
		start_pkt(p, PKT_EGRESS);
		egress_dgram(g, c, &d);
		describe(p, "egress ");
		l4_frame(g, p, &d);
		p->kind = "udp/tcp";
	} else if (kind < 70) {
		enum pkt_dir dir = kind < 62 ? PKT_INGRESS : PKT_EGRESS;
		int dev = 0;

		if (dir == PKT_INGRESS) {
			ingress_dgram(g, c, &d);
			dev = frame_dev(g, d.saddr);
		} else {
			egress_dgram(g, c, &d);
		}
		fragment_train(g, dir, &d);
		for (int i = 0; i < g->n_queue; i++) {
			char what[sizeof(p->what)];

			snprintf(what, sizeof(what), "%s lan%d %s",
				 dir == PKT_INGRESS ? "ingress" : "egress", dev, g->queue[i].what);
			strcpy(g->queue[i].what, what);
			g->queue[i].kind = "fragment";
			g->queue[i].dev = dev;
		}
		if (rng_percent(r, 10) && g->n_queue > 1) {
			/* A lone fragment: the rest of its datagram never comes. */
			*p = g->queue[1 + rng_below(r, g->n_queue - 1)];
			g->n_queue = 0;
		} else {
			*p = g->queue[0];
			memmove(&g->queue[0], &g->queue[1], --g->n_queue * sizeof(g->queue[0]));
		}
	} else if (kind < 81) {
		start_pkt(p, PKT_INGRESS);
		ingress_icmp(g, c, p);
		p->kind = "icmp-error";
	} else if (kind < 92) {
		start_pkt(p, PKT_EGRESS);
		describe(p, "egress ");
		egress_icmp(g, c, p);
		p->kind = "icmp-error";
	} else {
		start_pkt(p, rng_percent(r, 50) ? PKT_INGRESS : PKT_EGRESS);
		describe(p, "%s ", p->dir == PKT_INGRESS ? "ingress" : "egress");
		noise_frame(g, c, p);
	}
	if ((g->features & GEN_MUTATIONS) && rng_percent(r, 25))
		mutate(g, c, p);
	return STEP_PACKET;
}

int gen_parse_features(const char *text, unsigned int *features)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} names[] = {
		{ "vlan", GEN_VLAN }, { "frag", GEN_FRAGMENTS }, { "icmp", GEN_ICMP },
		{ "sources", GEN_SOURCES }, { "mutate", GEN_MUTATIONS },
		{ "options", GEN_IP_OPTIONS }, { "public", GEN_PUBLIC_CHANGES },
		{ "time", GEN_TIME }, { "admission", GEN_ADMISSION }, { "direct", GEN_DIRECT },
		{ "forwards", GEN_FORWARD_CHANGES }, { "roaming", GEN_ROAMING },
		{ "reflect", GEN_REFLECT },
		{ "all", GEN_ALL },
	};
	char buf[256], *tok, *save;
	unsigned int mask = 0;

	snprintf(buf, sizeof(buf), "%s", text);
	if (buf[0] == '-')
		mask = GEN_ALL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool remove = tok[0] == '-';
		size_t i;

		for (i = 0; i < ARRAY_SIZE(names); i++) {
			if (!strcmp(tok + remove, names[i].name))
				break;
		}
		if (i == ARRAY_SIZE(names))
			return -1;
		if (remove)
			mask &= ~names[i].bit;
		else
			mask |= names[i].bit;
	}
	*features = mask;
	return 0;
}

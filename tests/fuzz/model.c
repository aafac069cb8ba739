// SPDX-License-Identifier: GPL-2.0
/*
 * The reference model: doc/translation.md, rule by rule, in plain C. It is written from the
 * rules and not from bpf/ (the point of differential testing is that the two cannot share a
 * mistake), so each step below names the rule it follows. Byte order: frames are read and
 * written as big-endian bytes; addresses and ports in keys and values are kept in network
 * order, as the maps keep them.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define ETH_HLEN 14
#define ETH_P_IPV4 0x0800
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define VLAN_HLEN 4
#define MAX_VLAN_TAGS 2

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

#define UDP_HLEN 8
#define TCP_HLEN 20
#define ICMP_HLEN 8

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* Offsets inside the headers. */
#define IPH_TOT_LEN 2
#define IPH_ID 4
#define IPH_FRAG_OFF 6
#define IPH_TTL 8
#define IPH_PROTOCOL 9
#define IPH_CHECK 10
#define IPH_SADDR 12
#define IPH_DADDR 16
#define L4_SOURCE 0
#define L4_DEST 2
#define UDP_CHECK 6
#define TCP_FLAGS 13
#define TCP_CHECK 16
#define ICMP_CHECK 2

/* ---- Bytes --------------------------------------------------------------------------- */

static __u16 get16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Addresses and ports stay in network order: copy the bytes. */
static __be32 get_be32(const __u8 *p)
{
	__be32 v;

	memcpy(&v, p, 4);
	return v;
}

static __be16 get_be16(const __u8 *p)
{
	__be16 v;

	memcpy(&v, p, 2);
	return v;
}

/* ---- Checksums: RFC 1624 --------------------------------------------------------------- */

/*
 * One change to the bytes a checksum covers: @len bytes (2 or 4) that were @old and become
 * @new. Every field hairpin changes starts at an even offset from the start of what its
 * checksum covers (addresses, ports, checksums), so the words line up.
 */
struct change {
	__u8 old[4], new[4];
	__u8 len;
};

/*
 * RFC 1624, eqn 3: HC' = ~(~HC + ~m + m'), in one's complement arithmetic, for every 16-bit
 * word m that became m'. Incremental: a checksum that was wrong stays exactly as wrong.
 */
static __u16 csum_update(__u16 check, const struct change *changes, int n)
{
	__u32 sum = (__u16)~check;

	for (int i = 0; i < n; i++) {
		for (int w = 0; w < changes[i].len; w += 2) {
			sum += (__u16)~get16(changes[i].old + w);
			sum += get16(changes[i].new + w);
		}
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/*
 * The transport checksum at @p for @changes: UDP's 0 means "no checksum" and stays 0, and an
 * updated value of 0 is written as 0xffff (RFC 768). Records the checksum's own change in
 * @self, if not NULL, for a checksum that covers this one (ICMP's).
 */
static void l4_csum_update(__u8 *p, __u8 protocol, const struct change *changes, int n,
			   struct change *self)
{
	__u16 old = get16(p), new;

	if (protocol == IPPROTO_UDP && old == 0) {
		new = 0;
	} else {
		new = csum_update(old, changes, n);
		if (protocol == IPPROTO_UDP && new == 0)
			new = 0xffff;
	}
	put16(p, new);
	if (self) {
		put16(self->old, old);
		put16(self->new, new);
		self->len = 2;
	}
}

/* Write @len bytes of @value at @p and describe the change. */
static struct change rewrite(__u8 *p, const void *value, __u8 len)
{
	struct change c = { .len = len };

	memcpy(c.old, p, len);
	memcpy(c.new, value, len);
	memcpy(p, value, len);
	return c;
}

/* The IPv4 header checksum at @ip after @changes to its header. */
static struct change ip_csum_update(__u8 *ip, const struct change *changes, int n)
{
	struct change self = { .len = 2 };
	__u16 old = get16(ip + IPH_CHECK);

	put16(self.old, old);
	put16(self.new, csum_update(old, changes, n));
	memcpy(ip + IPH_CHECK, self.new, 2);
	return self;
}

/* ---- Parsing a frame ("Parsing a frame", steps 1-7) ------------------------------------ */

enum frame_kind {
	FRAME_L4,		/* UDP/TCP, a non-fragment or a first fragment */
	FRAME_NON_FIRST,	/* a non-first fragment of UDP/TCP */
	FRAME_ICMP_ERROR,
};

struct parsed {
	enum frame_kind kind;
	__u8 *ip;
	__u32 ip_len;		/* IHL * 4 */
	__u16 tot_len;
	__u8 protocol;
	bool first_fragment;
	__u8 *l4;		/* UDP/TCP header, FRAME_L4 */
	__u8 tcp_flags;		/* FRAME_L4 TCP: byte 13 of its header (FIN, SYN, RST, ACK...) */
	/* FRAME_ICMP_ERROR */
	__u8 *icmp;
	__u8 *inner_ip;
	__u8 *inner_l4;
	__u8 inner_protocol;
	bool inner_l4_check;	/* the inner transport checksum is inside the frame */
};

/* Whether [@start, @start + @len) of the frame lies inside the frame and inside tot_len. */
static bool inside(const __u8 *frame, __u32 frame_len, const __u8 *ip, __u16 tot_len,
		   const __u8 *start, __u32 len)
{
	__u32 off = start - frame, ip_off = start - ip;

	return off + len <= frame_len && ip_off + len <= tot_len;
}

static __u32 l4_header_len(__u8 protocol)
{
	return protocol == IPPROTO_UDP ? UDP_HLEN : TCP_HLEN;
}

static bool is_icmp_error(__u8 type)
{
	/* icmp_is_err(): destination unreachable, source quench, redirect, time exceeded,
	 * parameter problem.
	 */
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* Steps 1-7; false: the frame is not ours. */
static bool parse(__u8 *frame, __u32 len, struct parsed *p)
{
	__u32 off = ETH_HLEN, tags = 0;
	__u16 ethertype, frag_off;
	__u8 *ip;

	memset(p, 0, sizeof(*p));
	/* 1. Ethernet, then up to two VLAN tags. */
	if (len < ETH_HLEN)
		return false;
	ethertype = get16(frame + 12);
	while (ethertype == ETH_P_8021Q || ethertype == ETH_P_8021AD) {
		if (tags == MAX_VLAN_TAGS)
			return false;	/* a third tag */
		if (off + VLAN_HLEN > len)
			return false;
		ethertype = get16(frame + off + 2);
		off += VLAN_HLEN;
		tags++;
	}
	/* 2. IPv4 only. */
	if (ethertype != ETH_P_IPV4)
		return false;
	/* 3. The IPv4 header. */
	if (off + 20 > len)
		return false;
	ip = frame + off;
	if (ip[0] >> 4 != 4 || (ip[0] & 0xf) < 5)
		return false;
	p->ip = ip;
	p->ip_len = (ip[0] & 0xf) * 4;
	p->tot_len = get16(ip + IPH_TOT_LEN);
	if (off + p->ip_len > len || p->tot_len < p->ip_len)
		return false;
	p->protocol = ip[IPH_PROTOCOL];
	/* 4. The header checksum is not verified. 5. Fragments. */
	frag_off = get16(ip + IPH_FRAG_OFF);
	p->first_fragment = (frag_off & IP_MF) && !(frag_off & IP_OFFSET);
	if (p->protocol == IPPROTO_UDP || p->protocol == IPPROTO_TCP) {
		/* 6. The transport header, unless a non-first fragment. */
		if (frag_off & IP_OFFSET) {
			p->kind = FRAME_NON_FIRST;
			return true;
		}
		p->l4 = ip + p->ip_len;
		if (!inside(frame, len, ip, p->tot_len, p->l4, l4_header_len(p->protocol)))
			return false;
		if (p->protocol == IPPROTO_TCP)
			p->tcp_flags = p->l4[TCP_FLAGS];
		p->kind = FRAME_L4;
		return true;
	}
	if (p->protocol != IPPROTO_ICMP)
		return false;
	/* 7. ICMP errors. */
	p->icmp = ip + p->ip_len;
	if (!inside(frame, len, ip, p->tot_len, p->icmp, ICMP_HLEN))
		return false;
	if (!is_icmp_error(p->icmp[0]))
		return false;
	if (frag_off & (IP_MF | IP_OFFSET))
		return false;
	p->inner_ip = p->icmp + ICMP_HLEN;
	if (!inside(frame, len, ip, p->tot_len, p->inner_ip, 20))
		return false;
	if (p->inner_ip[0] >> 4 != 4 || (p->inner_ip[0] & 0xf) < 5)
		return false;
	if (!inside(frame, len, ip, p->tot_len, p->inner_ip, (p->inner_ip[0] & 0xf) * 4))
		return false;
	p->inner_protocol = p->inner_ip[IPH_PROTOCOL];
	if (p->inner_protocol != IPPROTO_UDP && p->inner_protocol != IPPROTO_TCP)
		return false;
	p->inner_l4 = p->inner_ip + (p->inner_ip[0] & 0xf) * 4;
	if (!inside(frame, len, ip, p->tot_len, p->inner_l4, 8))
		return false;
	/* UDP's checksum is in its first 8 bytes; TCP's only with the whole header. */
	p->inner_l4_check = inside(frame, len, ip, p->tot_len, p->inner_l4,
				   l4_header_len(p->inner_protocol));
	p->kind = FRAME_ICMP_ERROR;
	return true;
}

/* ---- Configuration ------------------------------------------------------------------- */

static const struct model_forward *find_forward(const struct model *m, __u8 protocol,
						__be16 port)
{
	for (int i = 0; i < m->config.n_forwards; i++) {
		const struct model_forward *f = &m->config.forwards[i];

		if (f->protocol == protocol && f->port == port)
			return f;
	}
	return NULL;
}

static bool source_allowed(const struct model *m, __be32 saddr)
{
	__u32 addr = __builtin_bswap32(saddr);

	if (m->config.any_source)
		return true;
	for (int i = 0; i < m->config.n_prefixes; i++) {
		const struct model_prefix *pf = &m->config.prefixes[i];
		__u32 mask = pf->len ? ~0U << (32 - pf->len) : 0;

		if ((addr & mask) == (__builtin_bswap32(pf->addr) & mask))
			return true;
	}
	return false;
}

static bool is_target(const struct model *m, __be32 addr)
{
	for (int i = 0; i < m->config.n_targets; i++) {
		if (m->config.targets[i] == addr)
			return true;
	}
	return false;
}

static bool is_target_port(const struct model *m, __u8 protocol, __be16 port)
{
	for (int i = 0; i < m->config.n_target_ports; i++) {
		if (m->config.target_ports[i].protocol == protocol &&
		    m->config.target_ports[i].port == port)
			return true;
	}
	return false;
}

static bool is_old(const struct model *m, __be32 addr)
{
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++) {
		if (m->config.old_addrs[i] && m->config.old_addrs[i] == addr)
			return true;
	}
	return false;
}

static bool is_reflect_addr(const struct model *m, __be32 addr)
{
	for (int i = 0; i < m->config.n_reflect_addrs; i++) {
		if (m->config.reflect_addrs[i] == addr)
			return true;
	}
	return false;
}

/* ---- State --------------------------------------------------------------------------- */

/* Grow @*array of @size-byte entries to hold one more. */
static void reserve(void **array, int n, int *cap, size_t size)
{
	void *bigger;
	int new_cap;

	if (n < *cap)
		return;
	new_cap = *cap ? *cap * 2 : 256;
	bigger = realloc(*array, new_cap * size);
	if (!bigger)
		abort();
	*array = bigger;
	*cap = new_cap;
}

const struct model_flow *model_find_flow(const struct model *m, const struct hp_flow_key *key)
{
	for (int i = 0; i < m->n_flows; i++) {
		if (!memcmp(&m->flows[i].key, key, sizeof(*key)))
			return &m->flows[i];
	}
	return NULL;
}

static struct model_flow *find_flow(struct model *m, const struct hp_flow_key *key)
{
	return (struct model_flow *)model_find_flow(m, key);
}

const struct model_frag *model_find_frag(const struct model *m, const struct hp_frag_key *key)
{
	for (int i = 0; i < m->n_frags; i++) {
		if (!memcmp(&m->frags[i].key, key, sizeof(*key)))
			return &m->frags[i];
	}
	return NULL;
}

const struct model_bucket *model_find_bucket(const struct model *m, __be32 client)
{
	for (int i = 0; i < m->n_buckets; i++) {
		if (m->buckets[i].client == client)
			return &m->buckets[i];
	}
	return NULL;
}

static void put_flow(struct model *m, const struct hp_flow_key *key, const struct hp_flow *value)
{
	struct model_flow *f = find_flow(m, key);

	if (!f) {
		reserve((void **)&m->flows, m->n_flows, &m->cap_flows, sizeof(*m->flows));
		f = &m->flows[m->n_flows++];
		f->key = *key;
	}
	f->value = *value;
}

/* The flow ends: it leaves `flows`. */
static void remove_flow(struct model *m, struct model_flow *f)
{
	*f = m->flows[--m->n_flows];
}

static void put_frag(struct model *m, const struct hp_frag_key *key, __be32 saddr, __be32 daddr)
{
	struct model_frag *f = (struct model_frag *)model_find_frag(m, key);

	if (!f) {
		reserve((void **)&m->frags, m->n_frags, &m->cap_frags, sizeof(*m->frags));
		f = &m->frags[m->n_frags++];
		f->key = *key;
	}
	f->saddr = saddr;
	f->daddr = daddr;
}

static struct hp_stats *stats_slot(struct model *m, __u32 index)
{
	for (int i = 0; i < m->n_stats; i++) {
		if (m->stats[i].index == index)
			return &m->stats[i].stats;
	}
	if (m->n_stats == HP_MAX_FORWARDS)
		abort();
	m->stats[m->n_stats] = (struct model_stats){ .index = index };
	return &m->stats[m->n_stats++].stats;
}

struct hp_stats model_stats(const struct model *m, __u32 index)
{
	for (int i = 0; i < m->n_stats; i++) {
		if (m->stats[i].index == index)
			return m->stats[i].stats;
	}
	return (struct hp_stats){ 0 };
}

static struct hp_frag_key frag_key(const struct parsed *p, enum hp_direction direction)
{
	return (struct hp_frag_key){
		.saddr = get_be32(p->ip + IPH_SADDR),
		.daddr = get_be32(p->ip + IPH_DADDR),
		.id = get_be16(p->ip + IPH_ID),
		.protocol = p->protocol,
		.direction = direction,
	};
}

/*
 * The key (the target's view) of the flow of a packet with the IPv4 header @ip and transport
 * header @l4, sent by the client (@from_client) or by the target.
 */
static struct hp_flow_key packet_key(const __u8 *ip, const __u8 *l4, __u8 protocol,
				     bool from_client)
{
	__u32 client = from_client ? IPH_SADDR : IPH_DADDR;
	__u32 target = from_client ? IPH_DADDR : IPH_SADDR;

	return (struct hp_flow_key){
		.client_addr = get_be32(ip + client),
		.target_addr = get_be32(ip + target),
		.client_port = get_be16(l4 + (from_client ? L4_SOURCE : L4_DEST)),
		.target_port = get_be16(l4 + (from_client ? L4_DEST : L4_SOURCE)),
		.protocol = protocol,
	};
}

/* ---- Flows ("Flows") ------------------------------------------------------------------ */

__u32 model_flow_timeout(const struct model *m, const struct model_flow *flow)
{
	enum model_proto proto = flow->key.protocol == IPPROTO_TCP ? MODEL_TCP : MODEL_UDP;

	return flow->value.state <= HP_FLOW_CLOSING ? m->config.timeouts[proto][flow->value.state]
						     : 0;
}

__u64 model_flow_idle(const struct model *m, const struct model_flow *flow)
{
	return m->now - flow->value.last_seen;
}

/* "Live": idle for no longer than its timeout. */
bool model_flow_live(const struct model *m, const struct model_flow *flow)
{
	return model_flow_idle(m, flow) <= model_flow_timeout(m, flow);
}

/* The flow of @key if it is live; a flow that is not live is as if it were not there. */
static struct model_flow *live_flow(struct model *m, const struct hp_flow_key *key)
{
	struct model_flow *f = find_flow(m, key);

	if (!f)
		return NULL;
	if (model_flow_live(m, f))
		return f;
	m->events[MODEL_EV_EXPIRED]++;
	return NULL;
}

__be32 model_flow_reply_addr(const struct model *m, const struct model_flow *flow)
{
	return flow->value.flags & HP_FORWARD_ROAMING ? m->config.public_addr
						      : flow->value.public_addr;
}

/*
 * "State and timeout": UDP is new until a reply is seen, then replied. TCP likewise, and
 * closing once a FIN or RST is seen either way; a SYN without ACK from the client on a closing
 * flow makes it new again. Nothing else moves a state (a reply to a closing flow leaves it
 * closing).
 */
static __u8 next_state(__u8 state, __u8 protocol, __u8 tcp_flags, bool reply)
{
	if (protocol == IPPROTO_TCP) {
		if (tcp_flags & (TCP_FIN | TCP_RST))
			return HP_FLOW_CLOSING;
		if (!reply && state == HP_FLOW_CLOSING &&
		    (tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
			return HP_FLOW_NEW;
	}
	if (reply && state == HP_FLOW_NEW)
		return HP_FLOW_REPLIED;
	return state;
}

/*
 * "Seen": the state follows the packet, and the last-seen time moves to now, written when
 * the state changes or when it is at least `refresh` old (the datapath writes it "at most
 * about once a second").
 */
static bool flow_seen(struct model *m, struct model_flow *f, const struct parsed *p, bool reply)
{
	__u8 state = next_state(f->value.state, p->protocol, p->tcp_flags, reply);
	bool written = state != f->value.state ||
		       m->now - f->value.last_seen >= m->config.refresh;

	if (written)
		f->value.last_seen = m->now;
	else if (f->value.last_seen != m->now)
		m->events[MODEL_EV_STALE_SEEN]++;
	if (state != f->value.state)
		m->events[MODEL_EV_STATE_CHANGE]++;
	f->value.state = state;
	return written;
}

/* "Admission": one token from @client's bucket, refilled at `rate` a tick up to `burst`. */
static bool admit(struct model *m, __be32 client)
{
	struct model_bucket *b = (struct model_bucket *)model_find_bucket(m, client);
	__u64 tokens;

	if (!m->config.admission)
		return true;
	if (!b) {
		/* A client not seen before has a full bucket. */
		reserve((void **)&m->buckets, m->n_buckets, &m->cap_buckets, sizeof(*m->buckets));
		b = &m->buckets[m->n_buckets++];
		*b = (struct model_bucket){ .client = client, .tokens = m->config.burst };
	} else {
		tokens = b->tokens + (m->now - b->updated) * m->config.rate;
		if (tokens > b->tokens && b->tokens < m->config.burst)
			m->events[MODEL_EV_REFILL]++;
		b->tokens = tokens < m->config.burst ? tokens : m->config.burst;
	}
	b->updated = m->now;
	if (!b->tokens)
		return false;
	b->tokens--;
	return true;
}

/* ---- Reflection ("Reflection") --------------------------------------------------------- */

/*
 * "Both live and change state together": @f is seen, and when that wrote its state or
 * last-seen time, the other entry of a reflected flow, if it is there, gets both.
 */
static void flow_seen_both(struct model *m, struct model_flow *f, const struct parsed *p,
			   bool reply)
{
	struct hp_flow_key other;
	struct model_flow *peer;

	if (!flow_seen(m, f, p, reply) || !(f->value.flags & HP_FLOW_REFLECTED))
		return;
	other = (struct hp_flow_key){
		.client_addr = f->value.nat_addr,
		.target_addr = f->key.target_addr,
		.client_port = f->value.nat_port,
		.target_port = f->key.target_port,
		.protocol = f->key.protocol,
		.kind = f->key.kind == HP_FLOW_KEY_CLIENT ? HP_FLOW_KEY_TARGET : HP_FLOW_KEY_CLIENT,
	};
	peer = find_flow(m, &other);
	if (peer) {
		peer->value.state = f->value.state;
		peer->value.last_seen = f->value.last_seen;
	}
}

/* Bytes in network order, read as a little-endian number. */
static __u32 le_bytes(const void *p, int len)
{
	const __u8 *b = p;
	__u32 v = 0;

	for (int i = len - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* "Port": 1024 + h(round) mod 64512, h from the client's address and port. */
__be16 model_reflect_port(__be32 client, __be16 port, __u32 round)
{
	__u32 x;

	if (!round)
		return port;
	x = le_bytes(&client, 4) ^ (le_bytes(&port, 2) << 16) ^ (round * 0x9e3779b9u);
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	return htons(1024 + x % (65536 - 1024));
}

/*
 * The claim: the target's view of a new reflected flow under the first free port of this
 * host, written from @value (which names the client); the port, or 0 if none is free.
 */
static __be16 reflect_claim(struct model *m, const struct hp_flow_key *client_view,
			    __be32 reflect_addr, const struct hp_flow *value)
{
	for (__u32 round = 0; round <= MODEL_REFLECT_TRIES; round++) {
		__be16 port = model_reflect_port(client_view->client_addr,
						 client_view->client_port, round);
		struct hp_flow_key key = {
			.client_addr = reflect_addr,
			.target_addr = client_view->target_addr,
			.client_port = port,
			.target_port = client_view->target_port,
			.protocol = client_view->protocol,
			.kind = HP_FLOW_KEY_TARGET,
		};
		const struct model_flow *held = find_flow(m, &key);

		/* A client's own port 0 is never claimed. */
		if (!port)
			continue;
		/* Free: not there, not live, or this same client's. */
		if (held && model_flow_live(m, held) &&
		    (held->value.nat_addr != client_view->client_addr ||
		     held->value.nat_port != client_view->client_port))
			continue;
		if (round)
			m->events[MODEL_EV_OTHER_PORT]++;
		put_flow(m, &key, value);
		return port;
	}
	return 0;
}

static bool in_prefix(__be32 addr, __be32 net, __u8 len)
{
	__u32 mask = len ? ~0U << (32 - len) : 0;

	return (ntohl(addr) & mask) == (ntohl(net) & mask);
}

/*
 * "Not through the stack, unless": whether the packet can leave by the Device @dev for @daddr
 * without the stack; on XDP, the next hop's link-layer address into @mac. XDP asks the route
 * and neighbour tables: a route that leaves by @dev (its connected prefix; not this host's
 * address, nor the prefix's own or broadcast address), no shorter an MTU than @tot_len, and
 * a neighbour entry. tc's redirect resolves the neighbour itself.
 */
static bool reflect_next_hop(const struct model *m, int dev, __be32 daddr, __u16 tot_len,
			     __u8 *mac)
{
	const struct model_device *d;
	__u32 host_bits;

	if (m->hook == MODEL_HOOK_TC)
		return true;
	if (dev < 0 || dev >= m->config.n_devices)
		return false;
	d = &m->config.devices[dev];
	host_bits = d->prefix_len < 32 ? ntohl(daddr) & ~(~0U << (32 - d->prefix_len)) : 1;
	if (!in_prefix(daddr, d->addr, d->prefix_len) || daddr == d->addr || !host_bits ||
	    host_bits == ~(~0U << (32 - d->prefix_len)) || tot_len > d->mtu)
		return false;
	for (int i = 0; i < d->n_neighbours; i++) {
		if (d->neighbours[i].addr == daddr) {
			memcpy(mac, d->neighbours[i].mac, 6);
			return true;
		}
	}
	return false;
}

/* Sent back out of the Device @dev: on XDP, from the Device to the next hop @mac. */
static void reflect_send(const struct model *m, int dev, __u8 *frame, const __u8 *mac)
{
	if (m->hook != MODEL_HOOK_XDP)
		return;
	memcpy(frame, mac, 6);
	memcpy(frame + 6, m->config.devices[dev].mac, 6);
}

/* ---- Rewriting ----------------------------------------------------------------------- */

/*
 * UDP/TCP: the address at @addr_off of the IPv4 header becomes @addr and the port at
 * @port_off of the transport header @port. The IPv4 checksum follows the address; the
 * transport checksum follows both (the address through the pseudo-header).
 */
static void nat_l4(const struct parsed *p, __u32 addr_off, __be32 addr, __u32 port_off,
		   __be16 port)
{
	struct change changes[2];
	__u32 check_off = p->protocol == IPPROTO_UDP ? UDP_CHECK : TCP_CHECK;

	changes[0] = rewrite(p->ip + addr_off, &addr, 4);
	changes[1] = rewrite(p->l4 + port_off, &port, 2);
	ip_csum_update(p->ip, changes, 1);
	l4_csum_update(p->l4 + check_off, p->protocol, changes, 2, NULL);
}

/* A non-first fragment: the address at @addr_off becomes @addr; only the IPv4 checksum. */
static void nat_fragment(const struct parsed *p, __u32 addr_off, __be32 addr)
{
	struct change change = rewrite(p->ip + addr_off, &addr, 4);

	ip_csum_update(p->ip, &change, 1);
}

/*
 * After @n changes to the packet inside an ICMP error, its @n_addrs address changes first:
 * the inner IPv4 checksum, the inner transport checksum when it is in the frame, and the ICMP
 * checksum over all of these, as nf_nat_icmp_reply_translation leaves them.
 */
static void icmp_inner_csums(const struct parsed *p, const struct change *inner, int n_addrs,
			     int n)
{
	struct change icmp[8];
	int n_icmp = 0;

	for (int i = 0; i < n; i++)
		icmp[n_icmp++] = inner[i];
	icmp[n_icmp++] = ip_csum_update(p->inner_ip, inner, n_addrs);
	if (p->inner_l4_check) {
		__u32 check_off = p->inner_protocol == IPPROTO_UDP ? UDP_CHECK : TCP_CHECK;

		l4_csum_update(p->inner_l4 + check_off, p->inner_protocol, inner, n,
			       &icmp[n_icmp++]);
	}
	put16(p->icmp + ICMP_CHECK, csum_update(get16(p->icmp + ICMP_CHECK), icmp, n_icmp));
}

/*
 * An ICMP error: the inner address at @inner_addr_off becomes @addr and the inner port at
 * @inner_port_off @port; the inner IPv4 checksum, the inner transport checksum when it is in
 * the frame, and the ICMP checksum over all of these follow, as nf_nat_icmp_reply_translation
 * leaves them.
 */
static void nat_icmp_inner(const struct parsed *p, __u32 inner_addr_off, __be32 addr,
			   __u32 inner_port_off, __be16 port)
{
	struct change inner[2];

	inner[0] = rewrite(p->inner_ip + inner_addr_off, &addr, 4);
	inner[1] = rewrite(p->inner_l4 + inner_port_off, &port, 2);
	icmp_inner_csums(p, inner, 1, 2);
}

/*
 * A reflection's rewrite of the IPv4 header: both addresses (either may stay what it was) and
 * the TTL; the changes, for the checksums that cover them, into @changes (3).
 */
static void nat_ip(const struct parsed *p, __be32 saddr, __be32 daddr, __u8 ttl,
		   struct change *changes)
{
	__u8 ttl_word[2] = { ttl, p->ip[IPH_PROTOCOL] };

	changes[0] = rewrite(p->ip + IPH_SADDR, &saddr, 4);
	changes[1] = rewrite(p->ip + IPH_DADDR, &daddr, 4);
	changes[2] = rewrite(p->ip + IPH_TTL, ttl_word, 2);
	ip_csum_update(p->ip, changes, 3);
}

/* UDP/TCP reflected: both addresses, both ports, the TTL. */
static void nat_l4_reflect(const struct parsed *p, __be32 saddr, __be16 sport, __be32 daddr,
			   __be16 dport, __u8 ttl)
{
	struct change changes[5];
	__u32 check_off = p->protocol == IPPROTO_UDP ? UDP_CHECK : TCP_CHECK;

	nat_ip(p, saddr, daddr, ttl, changes);
	/* The pseudo-header has the addresses, not the TTL. */
	changes[2] = rewrite(p->l4 + L4_SOURCE, &sport, 2);
	changes[3] = rewrite(p->l4 + L4_DEST, &dport, 2);
	l4_csum_update(p->l4 + check_off, p->protocol, changes, 4, NULL);
}

/*
 * An ICMP error reflected: the outer addresses and TTL, and the inner packet's addresses and
 * ports, with every checksum that covers them.
 */
static void nat_icmp_reflect(const struct parsed *p, __be32 saddr, __be32 daddr, __u8 ttl,
			     __be32 inner_saddr, __be16 inner_sport, __be32 inner_daddr,
			     __be16 inner_dport)
{
	struct change outer[3], inner[4];

	nat_ip(p, saddr, daddr, ttl, outer);
	inner[0] = rewrite(p->inner_ip + IPH_SADDR, &inner_saddr, 4);
	inner[1] = rewrite(p->inner_ip + IPH_DADDR, &inner_daddr, 4);
	inner[2] = rewrite(p->inner_l4 + L4_SOURCE, &inner_sport, 2);
	inner[3] = rewrite(p->inner_l4 + L4_DEST, &inner_dport, 2);
	icmp_inner_csums(p, inner, 2, 4);
}

/* ---- Ingress ------------------------------------------------------------------------- */

/*
 * "UDP/TCP to `public` or an `old` address, not a non-first fragment", to @daddr, come in on
 * @dev; reflected ("Reflection") when the forward's target is on that Device's LAN.
 */
static enum model_action ingress_l4(struct model *m, int dev, struct parsed *p, __u8 *frame,
				    __be32 daddr, enum model_verdict *verdict)
{
	__be32 saddr = get_be32(p->ip + IPH_SADDR);
	__be16 sport = get_be16(p->l4 + L4_SOURCE), dport = get_be16(p->l4 + L4_DEST);
	const struct model_forward *fwd = find_forward(m, p->protocol, dport);
	__be32 reflect_addr = 0;
	__u8 flags, ttl = p->ip[IPH_TTL], mac[6];
	struct hp_flow_key key;
	struct model_flow *flow;
	struct hp_stats *stats;
	__be32 nat_addr;
	__be16 nat_port;

	if (!fwd)
		return MODEL_UNCHANGED;
	if (!source_allowed(m, saddr)) {
		m->reasons[HP_REASON_NOT_ALLOWED]++;
		return MODEL_UNCHANGED;
	}
	if (fwd->reflect_dev != MODEL_NOT_REFLECTED && fwd->reflect_dev == dev)
		reflect_addr = fwd->reflect_addr;
	flags = (fwd->roaming ? HP_FORWARD_ROAMING : 0) | (reflect_addr ? HP_FLOW_REFLECTED : 0);
	/* A reflected flow's client's view: a kind of key of its own. */
	key = (struct hp_flow_key){
		.client_addr = saddr,
		.target_addr = fwd->target_addr,
		.client_port = sport,
		.target_port = fwd->target_port,
		.protocol = p->protocol,
		.kind = reflect_addr ? HP_FLOW_KEY_CLIENT : HP_FLOW_KEY_TARGET,
	};
	flow = live_flow(m, &key);
	if (daddr == m->config.public_addr) {
		if (flow && flow->value.public_addr == daddr && flow->value.public_port == dport &&
		    flow->value.stats_index == fwd->stats_index && flow->value.flags == flags &&
		    (!reflect_addr || flow->value.nat_addr == reflect_addr)) {
			flow_seen_both(m, flow, p, false);
		} else {
			/*
			 * "state new", or closing if it is a TCP FIN or RST: "closing once a FIN
			 * or RST is seen either way" holds from a flow's first packet too.
			 * (doc/translation.md says only "new"; read so, a FIN whose ACK comes
			 * back would leave a `replied` flow for two hours.)
			 */
			struct hp_flow value = {
				.public_addr = daddr,
				.public_port = dport,
				.state = next_state(HP_FLOW_NEW, p->protocol, p->tcp_flags, false),
				.flags = flags,
				.stats_index = fwd->stats_index,
				.last_seen = m->now,
			};

			/* Made anew: a token only for a flow that was not there or not live. */
			m->events[flow ? MODEL_EV_MADE_ANEW : MODEL_EV_NEW_FLOW]++;
			if (!flow && !admit(m, saddr)) {
				m->reasons[HP_REASON_FLOW_REFUSED]++;
				*verdict = MODEL_DROP;
				return MODEL_REFUSED;
			}
			if (reflect_addr) {
				/* The target's view names the client, the client's view it. */
				value.nat_addr = saddr;
				value.nat_port = sport;
				value.nat_port = reflect_claim(m, &key, reflect_addr, &value);
				if (!value.nat_port) {
					m->reasons[HP_REASON_REFLECT_PORTS_FULL]++;
					*verdict = MODEL_DROP;
					return MODEL_REFUSED;
				}
				value.nat_addr = reflect_addr;
			}
			put_flow(m, &key, &value);
		}
	} else {
		/* An old address: only a live flow that owns it, never a new one. */
		if (!flow || flow->value.public_addr != daddr || flow->value.public_port != dport) {
			m->reasons[HP_REASON_OLD_ADDRESS]++;
			return MODEL_UNCHANGED;
		}
		m->events[MODEL_EV_OLD_ADDRESS]++;
		flow_seen_both(m, flow, p, false);
	}
	flow = find_flow(m, &key);
	nat_addr = flow->value.nat_addr;
	nat_port = flow->value.nat_port;
	if (reflect_addr && (ttl <= 1 || !reflect_next_hop(m, dev, fwd->target_addr, p->tot_len,
							      mac))) {
		/* To the stack, destination only; a roaming peer must not see the target. */
		m->reasons[HP_REASON_NO_NEIGHBOUR]++;
		m->events[MODEL_EV_TO_STACK]++;
		if (fwd->roaming) {
			*verdict = MODEL_DROP;
			return MODEL_REFUSED;
		}
		reflect_addr = 0;
	}
	if (p->first_fragment) {
		struct hp_frag_key fkey = frag_key(p, HP_DIR_INGRESS);

		put_frag(m, &fkey, reflect_addr ? nat_addr : 0, fwd->target_addr);
	}
	if (reflect_addr)
		nat_l4_reflect(p, nat_addr, nat_port, fwd->target_addr, fwd->target_port, ttl - 1);
	else
		nat_l4(p, IPH_DADDR, fwd->target_addr, L4_DEST, fwd->target_port);
	stats = stats_slot(m, fwd->stats_index);
	stats->to_target_packets++;
	stats->to_target_bytes += p->tot_len;
	if (reflect_addr) {
		m->events[MODEL_EV_REFLECTED]++;
		reflect_send(m, dev, frame, mac);
		*verdict = MODEL_TX;
	}
	return MODEL_NAT_L4;
}

/* "Direct": a client talks to a target's own address from the ports of a live flow. */
static enum model_action ingress_direct(struct model *m, const struct parsed *p)
{
	struct hp_flow_key key = packet_key(p->ip, p->l4, p->protocol, true);
	struct model_flow *flow;

	/* tc behind an XDP program of the same instance: the packet may be one XDP redirected. */
	if (m->hook == MODEL_HOOK_TC && m->config.ingress_overlap)
		return MODEL_UNCHANGED;
	flow = live_flow(m, &key);
	if (!flow)
		return MODEL_UNCHANGED;
	/* A reflected flow's entry: only Reflection's rules use it. */
	if (flow->value.flags & HP_FLOW_REFLECTED) {
		m->events[MODEL_EV_IGNORED_ENTRY]++;
		return MODEL_UNCHANGED;
	}
	remove_flow(m, flow);
	m->reasons[HP_REASON_DIRECT_CLASH]++;
	return MODEL_ENDED;
}

/*
 * A non-first fragment on ingress, to `public` or an `old` address, or (@to_reflect_addr) to a
 * reflect address: as its first fragment was, reflected when that recorded both addresses.
 */
static enum model_action ingress_non_first(struct model *m, int dev, const struct parsed *p,
					   __u8 *frame, bool to_reflect_addr,
					   enum model_verdict *verdict)
{
	/* A reflected reply's datagram is recorded as egress's. */
	struct hp_frag_key key = frag_key(p, to_reflect_addr ? HP_DIR_EGRESS : HP_DIR_INGRESS);
	const struct model_frag *frag = model_find_frag(m, &key);
	struct change changes[3];
	__u8 ttl = p->ip[IPH_TTL], mac[6];

	if (!frag) {
		/* To a reflect address: mostly a target's own datagram to this host. */
		if (!to_reflect_addr)
			m->reasons[HP_REASON_ORPHAN_FRAGMENT]++;
		return MODEL_UNCHANGED;
	}
	/* One address recorded (0: left as it was, as struct hp_frag keeps it): not reflected. */
	if (!frag->saddr || !frag->daddr) {
		/* To a reflect address, only a reflected reply's fragments. */
		if (to_reflect_addr)
			return MODEL_UNCHANGED;
		if (frag->saddr)
			nat_fragment(p, IPH_SADDR, frag->saddr);
		if (frag->daddr)
			nat_fragment(p, IPH_DADDR, frag->daddr);
		return MODEL_NAT_FRAG;
	}
	/* Reflected: both addresses, out of the Device, or unchanged to the stack. */
	if (ttl <= 1 || !reflect_next_hop(m, dev, frag->daddr, p->tot_len, mac)) {
		m->reasons[HP_REASON_NO_NEIGHBOUR]++;
		m->events[MODEL_EV_TO_STACK]++;
		return MODEL_UNCHANGED;
	}
	nat_ip(p, frag->saddr, frag->daddr, ttl - 1, changes);
	reflect_send(m, dev, frame, mac);
	m->events[MODEL_EV_REFLECTED_FRAG]++;
	*verdict = MODEL_TX;
	return MODEL_NAT_FRAG;
}

/*
 * An error about a reply hairpin rewrote: inner (A:P -> C:Q), A:P where its replies leave.
 * For a forward reflected on @dev, the client's view is the flow, and the error goes on to
 * the target from this host ("ICMP errors" in "Reflection").
 */
static enum model_action ingress_icmp(struct model *m, int dev, const struct parsed *p,
				      __u8 *frame, enum model_verdict *verdict)
{
	__be32 inner_saddr = get_be32(p->inner_ip + IPH_SADDR);
	__be32 inner_daddr = get_be32(p->inner_ip + IPH_DADDR);
	__be16 inner_sport = get_be16(p->inner_l4 + L4_SOURCE);
	__be16 inner_dport = get_be16(p->inner_l4 + L4_DEST);
	const struct model_forward *fwd;
	const struct model_flow *flow;
	struct hp_flow_key key;
	struct change outer;
	bool reflect;
	__u8 ttl = p->ip[IPH_TTL], mac[6];

	fwd = find_forward(m, p->inner_protocol, inner_sport);
	if (!fwd)
		return MODEL_UNCHANGED;
	reflect = fwd->reflect_dev != MODEL_NOT_REFLECTED && fwd->reflect_dev == dev;
	key = (struct hp_flow_key){
		.client_addr = inner_daddr,
		.target_addr = fwd->target_addr,
		.client_port = inner_dport,
		.target_port = fwd->target_port,
		.protocol = p->inner_protocol,
		.kind = reflect ? HP_FLOW_KEY_CLIENT : HP_FLOW_KEY_TARGET,
	};
	flow = live_flow(m, &key);
	if (!flow || model_flow_reply_addr(m, flow) != inner_saddr ||
	    flow->value.public_port != inner_sport)
		return MODEL_UNCHANGED;
	if (reflect) {
		if (ttl <= 1 || !reflect_next_hop(m, dev, fwd->target_addr, p->tot_len, mac)) {
			m->reasons[HP_REASON_NO_NEIGHBOUR]++;
			m->events[MODEL_EV_TO_STACK]++;
			return MODEL_UNCHANGED;
		}
		nat_icmp_reflect(p, flow->value.nat_addr, fwd->target_addr, ttl - 1,
				 fwd->target_addr, fwd->target_port, flow->value.nat_addr,
				 flow->value.nat_port);
		reflect_send(m, dev, frame, mac);
		m->events[MODEL_EV_REFLECTED_ICMP]++;
		*verdict = MODEL_TX;
		return MODEL_NAT_ICMP;
	}
	outer = rewrite(p->ip + IPH_DADDR, &fwd->target_addr, 4);
	ip_csum_update(p->ip, &outer, 1);
	nat_icmp_inner(p, IPH_SADDR, fwd->target_addr, L4_SOURCE, fwd->target_port);
	return MODEL_NAT_ICMP;
}

/*
 * "Target -> reflect address": a target's packet to this host's address that stands in for
 * a client, matching a live target's view of a reflected flow. *@handled false: not such a
 * packet, the "direct" rule is next.
 */
static enum model_action ingress_reflected_reply(struct model *m, int dev, struct parsed *p,
						 __u8 *frame, bool *handled,
						 enum model_verdict *verdict)
{
	struct hp_flow_key key = packet_key(p->ip, p->l4, p->protocol, false);
	struct model_flow *flow;
	struct hp_stats *stats;
	__u8 ttl = p->ip[IPH_TTL], mac[6];
	__be32 from, client;
	__be16 public_port, client_port;
	bool out;

	*handled = false;
	if (!is_target_port(m, p->protocol, key.target_port))
		return MODEL_UNCHANGED;
	flow = live_flow(m, &key);
	if (!flow || !(flow->value.flags & HP_FLOW_REFLECTED))
		return MODEL_UNCHANGED;
	*handled = true;
	flow_seen_both(m, flow, p, true);
	flow = find_flow(m, &key);
	from = model_flow_reply_addr(m, flow);
	public_port = flow->value.public_port;
	client = flow->value.nat_addr;
	client_port = flow->value.nat_port;
	stats = stats_slot(m, flow->value.stats_index);
	if (p->first_fragment) {
		/* A reply's, as egress records them. */
		struct hp_frag_key fkey = frag_key(p, HP_DIR_EGRESS);

		put_frag(m, &fkey, from, client);
	}
	out = ttl > 1 && reflect_next_hop(m, dev, client, p->tot_len, mac);
	/* To the stack, translated, its TTL for the stack to take one off. */
	nat_l4_reflect(p, from, public_port, client, client_port, out ? ttl - 1 : ttl);
	stats->to_client_packets++;
	stats->to_client_bytes += p->tot_len;
	if (!out) {
		m->reasons[HP_REASON_NO_NEIGHBOUR]++;
		m->events[MODEL_EV_TO_STACK]++;
		return MODEL_NAT_L4;
	}
	reflect_send(m, dev, frame, mac);
	m->events[MODEL_EV_REFLECTED_REPLY]++;
	*verdict = MODEL_TX;
	return MODEL_NAT_L4;
}

/*
 * An error a target sends to a reflect address about a reflected flow's packet (inner: this
 * host's address:port -> target:port): it goes on to the client, about what the client sent.
 */
static enum model_action ingress_reflected_icmp(struct model *m, int dev, const struct parsed *p,
						__u8 *frame, enum model_verdict *verdict)
{
	struct hp_flow_key key = packet_key(p->inner_ip, p->inner_l4, p->inner_protocol, true);
	const struct model_flow *flow = live_flow(m, &key);
	__be32 outer_saddr = get_be32(p->ip + IPH_SADDR);
	__u8 ttl = p->ip[IPH_TTL], mac[6];

	/* To the reflect address it is about. */
	if (!flow || !(flow->value.flags & HP_FLOW_REFLECTED) ||
	    get_be32(p->ip + IPH_DADDR) != key.client_addr)
		return MODEL_UNCHANGED;
	if (ttl <= 1 || !reflect_next_hop(m, dev, flow->value.nat_addr, p->tot_len, mac)) {
		m->reasons[HP_REASON_NO_NEIGHBOUR]++;
		m->events[MODEL_EV_TO_STACK]++;
		return MODEL_UNCHANGED;
	}
	/* From the target: from where the flow replies; from another address: as it is. */
	if (outer_saddr == key.target_addr)
		outer_saddr = model_flow_reply_addr(m, flow);
	nat_icmp_reflect(p, outer_saddr, flow->value.nat_addr, ttl - 1, flow->value.nat_addr,
			 flow->value.nat_port, flow->value.public_addr, flow->value.public_port);
	reflect_send(m, dev, frame, mac);
	m->events[MODEL_EV_REFLECTED_ICMP]++;
	*verdict = MODEL_TX;
	return MODEL_NAT_ICMP;
}

/*
 * To an address of this host that is not a public one: from a target to a reflect address,
 * a reflected flow's packet, fragment or error; else maybe a client's direct packet.
 */
static enum model_action ingress_to_host(struct model *m, int dev, struct parsed *p,
					 __u8 *frame, enum model_verdict *verdict)
{
	__be32 saddr = get_be32(p->ip + IPH_SADDR), daddr = get_be32(p->ip + IPH_DADDR);
	enum model_action done;
	bool handled;

	/* An error, from whoever sends it: the packet inside it says whose it is. */
	if (is_reflect_addr(m, daddr) && p->kind == FRAME_ICMP_ERROR)
		return ingress_reflected_icmp(m, dev, p, frame, verdict);
	if (is_reflect_addr(m, daddr) && is_target(m, saddr)) {
		if (p->kind == FRAME_NON_FIRST)
			return ingress_non_first(m, dev, p, frame, true, verdict);
		done = ingress_reflected_reply(m, dev, p, frame, &handled, verdict);
		if (handled)
			return done;
	}
	if (is_target(m, daddr) && p->kind == FRAME_L4 && !p->first_fragment &&
	    is_target_port(m, p->protocol, get_be16(p->l4 + L4_DEST)))
		return ingress_direct(m, p);
	return MODEL_UNCHANGED;
}

enum model_verdict model_ingress(struct model *m, int dev, __u8 *frame, __u32 len,
				 enum model_action *action)
{
	enum model_verdict verdict = MODEL_PASS;
	enum model_action done = MODEL_NOT_OURS;
	struct parsed p;
	__be32 daddr;

	if (parse(frame, len, &p)) {
		done = MODEL_UNCHANGED;
		daddr = get_be32(p.ip + IPH_DADDR);
		/* Nothing while the public address is unknown; only these destinations. */
		if (!m->config.public_addr) {
			/* unchanged */
		} else if (daddr == m->config.public_addr || is_old(m, daddr)) {
			if (p.kind == FRAME_L4)
				done = ingress_l4(m, dev, &p, frame, daddr, &verdict);
			else if (p.kind == FRAME_NON_FIRST)
				done = ingress_non_first(m, dev, &p, frame, false, &verdict);
			else
				done = ingress_icmp(m, dev, &p, frame, &verdict);
		} else {
			done = ingress_to_host(m, dev, &p, frame, &verdict);
		}
	}
	if (action)
		*action = done;
	return verdict;
}

/* ---- Egress -------------------------------------------------------------------------- */

static enum model_action egress_l4(struct model *m, const struct parsed *p)
{
	struct hp_flow_key key = packet_key(p->ip, p->l4, p->protocol, false);
	struct model_flow *flow;
	struct hp_stats *stats;
	__be32 from;

	/* Not from a target port: a reply of one of this host's own services. */
	if (!is_target_port(m, p->protocol, key.target_port))
		return MODEL_UNCHANGED;
	flow = live_flow(m, &key);
	if (!flow)
		return MODEL_UNCHANGED;
	/* A reflected flow's entry: its packets never leave through the stack. */
	if (flow->value.flags & HP_FLOW_REFLECTED) {
		m->events[MODEL_EV_IGNORED_ENTRY]++;
		return MODEL_UNCHANGED;
	}
	flow_seen(m, flow, p, true);
	from = model_flow_reply_addr(m, flow);
	if (from != flow->value.public_addr)
		m->events[MODEL_EV_ROAMED_REPLY]++;
	if (p->first_fragment) {
		struct hp_frag_key fkey = frag_key(p, HP_DIR_EGRESS);

		put_frag(m, &fkey, from, 0);
	}
	nat_l4(p, IPH_SADDR, from, L4_SOURCE, flow->value.public_port);
	stats = stats_slot(m, flow->value.stats_index);
	stats->to_client_packets++;
	stats->to_client_bytes += p->tot_len;
	return MODEL_NAT_L4;
}

static enum model_action egress_non_first(struct model *m, const struct parsed *p)
{
	struct hp_frag_key key = frag_key(p, HP_DIR_EGRESS);
	const struct model_frag *frag = model_find_frag(m, &key);

	if (!frag)
		return MODEL_UNCHANGED;
	/* A reflected reply's (both addresses): only Reflection's rules use it. */
	if (frag->daddr) {
		m->events[MODEL_EV_IGNORED_ENTRY]++;
		return MODEL_UNCHANGED;
	}
	nat_fragment(p, IPH_SADDR, frag->saddr);
	return MODEL_NAT_FRAG;
}

/* An error the target raises about a client's packet: inner (C:Q -> T:R). */
static enum model_action egress_icmp(struct model *m, const struct parsed *p)
{
	struct hp_flow_key key = packet_key(p->inner_ip, p->inner_l4, p->inner_protocol, true);
	const struct model_flow *flow = live_flow(m, &key);

	if (!flow)
		return MODEL_UNCHANGED;
	if (flow->value.flags & HP_FLOW_REFLECTED) {
		m->events[MODEL_EV_IGNORED_ENTRY]++;
		return MODEL_UNCHANGED;
	}
	/* The client must see the error come from the address it dialled, which the flow owns. */
	if (get_be32(p->ip + IPH_SADDR) == key.target_addr) {
		struct change outer = rewrite(p->ip + IPH_SADDR, &flow->value.public_addr, 4);

		ip_csum_update(p->ip, &outer, 1);
	}
	nat_icmp_inner(p, IPH_DADDR, flow->value.public_addr, L4_DEST, flow->value.public_port);
	return MODEL_NAT_ICMP;
}

/*
 * Only frames from a target; and an ICMP error only about a packet to a target, whoever sends
 * it: the rule translates errors "from another address of this host" too, which
 * doc/translation.md's "only if its IPv4 source is one of targets" would turn away.
 */
static enum model_action egress_frame(struct model *m, const struct parsed *p)
{
	if (p->kind == FRAME_ICMP_ERROR)
		return is_target(m, get_be32(p->inner_ip + IPH_DADDR)) ? egress_icmp(m, p)
									: MODEL_UNCHANGED;
	if (!is_target(m, get_be32(p->ip + IPH_SADDR)))
		return MODEL_UNCHANGED;
	return p->kind == FRAME_L4 ? egress_l4(m, p) : egress_non_first(m, p);
}

enum model_verdict model_egress(struct model *m, __u8 *frame, __u32 len,
				enum model_action *action)
{
	enum model_action done = MODEL_NOT_OURS;
	struct parsed p;

	if (parse(frame, len, &p)) {
		done = MODEL_UNCHANGED;
		/* "public 0 means unknown, and then nothing is rewritten". */
		if (m->config.public_addr)
			done = egress_frame(m, &p);
	}
	if (action)
		*action = done;
	return MODEL_PASS;
}

/* ---- Life cycle ---------------------------------------------------------------------- */

void model_init(struct model *m, enum model_hook hook, const struct model_config *config,
		__u64 now)
{
	memset(m, 0, sizeof(*m));
	m->hook = hook;
	m->config = *config;
	m->now = now;
}

void model_free(struct model *m)
{
	free(m->flows);
	free(m->frags);
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

void model_reset(struct model *m, const struct model_config *config, __u64 now)
{
	m->config = *config;
	m->now = now;
	m->n_flows = 0;
	m->n_frags = 0;
	m->n_buckets = 0;
	m->n_stats = 0;
	memset(m->reasons, 0, sizeof(m->reasons));
}

void model_set_config(struct model *m, const struct model_config *config)
{
	m->config = *config;
}

void model_end_flows(struct model *m, __be32 target_addr)
{
	for (int i = m->n_flows - 1; i >= 0; i--) {
		if (m->flows[i].key.target_addr == target_addr)
			remove_flow(m, &m->flows[i]);
	}
	for (int i = m->n_frags - 1; i >= 0; i--) {
		if (m->frags[i].key.direction == HP_DIR_EGRESS &&
		    m->frags[i].key.saddr == target_addr)
			m->frags[i] = m->frags[--m->n_frags];
	}
}

void model_advance(struct model *m, __u64 ticks)
{
	m->now += ticks;
}

const char *model_action_name(enum model_action action)
{
	static const char *const names[MODEL_N_ACTIONS] = {
		[MODEL_NOT_OURS] = "not-ours",
		[MODEL_UNCHANGED] = "unchanged",
		[MODEL_NAT_L4] = "nat-l4",
		[MODEL_NAT_FRAG] = "nat-frag",
		[MODEL_NAT_ICMP] = "nat-icmp",
		[MODEL_REFUSED] = "refused",
		[MODEL_ENDED] = "ended-flow",
	};

	return action < MODEL_N_ACTIONS ? names[action] : "?";
}

const char *model_reason_name(enum hp_reason reason)
{
	static const char *const names[HP_REASONS] = {
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

	return reason < HP_REASONS && names[reason] ? names[reason] : "?";
}

const char *model_event_name(enum model_event event)
{
	static const char *const names[MODEL_N_EVENTS] = {
		[MODEL_EV_NEW_FLOW] = "new flows",
		[MODEL_EV_MADE_ANEW] = "made anew",
		[MODEL_EV_EXPIRED] = "expired found",
		[MODEL_EV_OLD_ADDRESS] = "old address translated",
		[MODEL_EV_ROAMED_REPLY] = "roamed replies",
		[MODEL_EV_STATE_CHANGE] = "state changes",
		[MODEL_EV_STALE_SEEN] = "seen, not written",
		[MODEL_EV_REFILL] = "refills",
		[MODEL_EV_REFLECTED] = "reflected to targets",
		[MODEL_EV_REFLECTED_REPLY] = "reflected to clients",
		[MODEL_EV_OTHER_PORT] = "other ports claimed",
		[MODEL_EV_REFLECTED_ICMP] = "reflected errors",
		[MODEL_EV_REFLECTED_FRAG] = "reflected fragments",
		[MODEL_EV_TO_STACK] = "reflected to the stack",
		[MODEL_EV_IGNORED_ENTRY] = "reflected entries ignored",
	};

	return event < MODEL_N_EVENTS ? names[event] : "?";
}

const char *model_state_name(__u8 state)
{
	static const char *const names[] = { "new", "replied", "closing" };

	return state < 3 ? names[state] : "?";
}

// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin's datapath. On a LAN device, ingress (XDP or tc) rewrites packets sent to the public
 * address on a forwarded port so that they go to the forward's target on this host, and tracks
 * the flow; tc egress rewrites the target's replies of exactly those flows so that they come
 * from the public address and port the client dialled. Everything else passes untouched.
 *
 * Why here and not in netfilter: these programs run before conntrack, so the rewrite also
 * takes hold of a flow that conntrack already holds (masqueraded towards the router), which a
 * nat-table DNAT rule never sees again.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "hairpin.h"
#include "lib/ctx.h"
#include "lib/nat.h"
#include "lib/parse.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Whose these programs are (struct hp_instance), set by `up` between open and load. Each entry
 * point names it (INSTANCE_REFERENCED), so that the kernel lists .rodata among the program's
 * maps, where hairpin reads it back to tell its own programs from anyone else's.
 */
const volatile struct hp_instance hp_instance = {};

#define INSTANCE_REFERENCED() asm volatile("" : : "r"(&hp_instance))

/* One load the compiler may neither tear nor repeat: the loader changes these words while
 * packets run. */
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))

/* tcp_flags bits */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct hp_config);
} hp_config SEC(".maps");

/* An array, not a hash: the verifier inlines its lookup into a bounds check and an add. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HP_FORWARD_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct hp_forward);
} hp_forwards SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HP_TARGET_PORT_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} hp_target_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_FLOWS);
	__type(key, struct hp_flow_key);
	__type(value, struct hp_flow);
} hp_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_MAX_FORWARDS);
	__type(key, __u32);
	__type(value, struct hp_stats);
} hp_stats SEC(".maps");

/* The loader's record of what it attached where; no program reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HP_MAX_DEVICE_RECORDS);
	__type(key, __u32);
	__type(value, struct hp_device);
} hp_devices SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_FRAGS);
	__type(key, struct hp_frag_key);
	__type(value, struct hp_frag);
} hp_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, HP_MAX_SOURCES);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* LPM tries must not be preallocated */
	__type(key, struct hp_source_key);
	__type(value, __u32);
} hp_sources SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HP_MAX_FORWARDS);
	__type(key, __u32);
	__type(value, struct hp_forward_info);
} hp_forward_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_ADMISSION);
	__type(key, __be32);
	__type(value, struct hp_admission);
} hp_admission SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} hp_reasons SEC(".maps");

/*
 * Translations as they happen, to every running `hairpin monitor`: slot i holds the ring buffer
 * of the monitor that holds lease i in the config map (struct hp_config). Each monitor makes
 * its own, because a ring buffer has one consumer position: two readers of one would each get
 * part of the events. Not pinned (a map of maps takes no BTF): `up` passes it from the running
 * programs to the new ones, so that a monitor keeps its slot when they are replaced.
 */
struct hp_monitor_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, HP_MONITOR_RING_SIZE);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, HP_MONITOR_SLOTS);
	__type(key, __u32);
	__array(values, struct hp_monitor_ring);
} hp_monitors SEC(".maps");

static __always_inline struct hp_config *config_get(void)
{
	__u32 zero = 0;

	/* An array lookup: the verifier inlines it into a bounds check and an add. */
	return bpf_map_lookup_elem(&hp_config, &zero);
}

/* AllowedSources: any source when no generation is set, else a prefix of that generation. */
static __always_inline bool source_allowed(const struct hp_config *config, __be32 saddr)
{
	struct hp_source_key key = {
		.prefixlen = 32 + 32,
		.generation = READ_ONCE(config->sources_generation),
		.addr = saddr,
	};

	return !key.generation || bpf_map_lookup_elem(&hp_sources, &key);
}

/* Whether any monitor holds a lease: one load, and a clock read only while one does. */
static __always_inline bool monitoring(const struct hp_config *config)
{
	__u64 until = READ_ONCE(config->monitor_until_ns);

	return until && bpf_ktime_get_coarse_ns() < until;
}

static __always_inline __u32 ctx_ifindex(void *ctx, const bool xdp)
{
	return xdp ? ((struct xdp_md *)ctx)->ingress_ifindex : ((struct __sk_buff *)ctx)->ifindex;
}

/*
 * Report a translation of @pkt (or of the packet inside it, for an ICMP error) to the ring
 * buffer of every monitor whose lease runs. A full buffer loses the event, never the packet,
 * and counts it in the slot's monitor_lost for its monitor to say so.
 */
static __always_inline void monitor_report(void *ctx, const bool xdp, const struct packet *pkt,
					   enum hp_direction direction, enum hp_event_kind kind,
					   __be32 new_addr, __be16 new_port)
{
	struct hp_config *config = config_get();
	bool icmp = kind == HP_EVENT_ICMP;
	__u64 now = bpf_ktime_get_coarse_ns();
	struct hp_event event = {
		.time_ns = now,
		.ifindex = ctx_ifindex(ctx, xdp),
		.direction = direction,
		.protocol = icmp ? pkt->inner.protocol : pkt->protocol,
		.kind = kind,
		.saddr = pkt->saddr,
		.daddr = pkt->daddr,
		.sport = icmp ? pkt->inner.sport : kind == HP_EVENT_FRAGMENT ? 0 : pkt->sport,
		.dport = icmp ? pkt->inner.dport : kind == HP_EVENT_FRAGMENT ? 0 : pkt->dport,
		.new_addr = new_addr,
		.new_port = new_port,
	};

	if (!config)
		return;
	/* Unrolled, as every loop here: each slot's index is a constant the verifier knows. */
#pragma unroll
	for (__u32 slot = 0; slot < HP_MONITOR_SLOTS; slot++) {
		__u32 key = slot;
		void *ring;

		if (now >= READ_ONCE(config->monitor_lease_ns[slot]))
			continue;
		/* NULL between a monitor's claim of the slot and its ring buffer's arrival. */
		ring = bpf_map_lookup_elem(&hp_monitors, &key);
		if (ring && bpf_ringbuf_output(ring, &event, sizeof(event), 0))
			__sync_fetch_and_add(&config->monitor_lost[slot], 1);
	}
}

static __always_inline void reason_count(enum hp_reason reason)
{
	__u32 key = reason;
	__u64 *count = bpf_map_lookup_elem(&hp_reasons, &key);

	if (count)
		(*count)++;
}

/* What a worker tells its entry point: let the packet go on, drop it, or send it back out. */
enum verdict {
	VERDICT_PASS = 0,
	VERDICT_DROP,
	VERDICT_TX,	/* reflected: back out of the device it came in on (reflect_send()) */
};

/*
 * reflect_route() - how a reflected packet, from @saddr to @daddr after its rewrite, leaves:
 * out of the device it came in on, where the target and the client both are. XDP needs the
 * link-layer addresses of the next hop, into @fib; tc leaves them to bpf_redirect_neigh(),
 * which also resolves a neighbour not known yet.
 * Return: 0, or -1 when XDP cannot send it itself: the next hop's address is not known (no
 * neighbour entry, or not a valid one), or the route leaves by another device.
 */
static __always_inline int reflect_route(void *ctx, const bool xdp, const struct packet *pkt,
					 __be32 saddr, __be32 daddr, struct bpf_fib_lookup *fib)
{
	__u32 ifindex = ctx_ifindex(ctx, xdp);

	if (!xdp) {
		/* The next hop is the target or the client itself, on the Device's LAN. */
		fib->ipv4_dst = daddr;
		return 0;
	}
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = 2;	/* AF_INET */
	fib->l4_protocol = pkt->protocol;
	fib->tot_len = pkt->ip_len;
	fib->ifindex = ifindex;
	fib->ipv4_src = saddr;
	fib->ipv4_dst = daddr;
	/* An output lookup: this host sends it, as far as routing is concerned. */
	if (bpf_fib_lookup(ctx, fib, sizeof(*fib), BPF_FIB_LOOKUP_OUTPUT) !=
	    BPF_FIB_LKUP_RET_SUCCESS)
		return -1;
	return fib->ifindex == ifindex ? 0 : -1;
}

/*
 * reflect_send() - the verdict that sends a rewritten, reflected packet back out: XDP_TX with
 * the next hop's link-layer addresses from reflect_route(); on tc a redirect to the egress of
 * the device it came in on, through the neighbour table (bpf_redirect_neigh(), given the next
 * hop so that it needs no route lookup of its own), so that it never enters this host's IP
 * stack or conntrack.
 */
static __always_inline int reflect_send(void *ctx, const bool xdp, const struct bpf_fib_lookup *fib)
{
	if (!xdp) {
		struct bpf_redir_neigh nh = { .nh_family = 2 /* AF_INET */,
					      .ipv4_nh = fib->ipv4_dst };

		return bpf_redirect_neigh(((struct __sk_buff *)ctx)->ifindex, &nh, sizeof(nh), 0);
	}
	if (ctx_store(ctx, true, 0, fib->dmac, ETH_ALEN) ||
	    ctx_store(ctx, true, ETH_ALEN, fib->smac, ETH_ALEN))
		return XDP_DROP;
	return XDP_TX;
}

/*
 * Whether @flow is live at @now (doc/translation.md, "Flows"). Signed: another CPU may have
 * stamped it a jiffy after this CPU read the clock.
 */
static __always_inline bool flow_live(const struct hp_config *config, const struct hp_flow *flow,
				      __u8 protocol, __u64 now)
{
	__u32 index = hp_flow_timeout_index(protocol, flow->state);

	/* clang proves the index in range and drops the check below; 6.1's verifier cannot (it
	 * forgets every bound of a register ORed with a non-constant), so it must see the check. */
	barrier_var(index);
	if (index >= HP_FLOW_TIMEOUTS)
		return false;
	return (__s64)(now - flow->last_seen) <= (__s64)READ_ONCE(config->timeouts[index]);
}

/* The state a packet of @protocol with @tcp_flags moves a flow in @state to. */
static __always_inline __u8 flow_next_state(__u8 state, __u8 protocol, __u8 tcp_flags,
					    bool reply)
{
	if (protocol == IPPROTO_TCP) {
		if (tcp_flags & (TCP_FIN | TCP_RST))
			return HP_FLOW_CLOSING;
		/* A client reusing the ports of a closed connection for a new one. */
		if (!reply && state == HP_FLOW_CLOSING && (tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
			return HP_FLOW_NEW;
	}
	if (reply && state == HP_FLOW_NEW)
		return HP_FLOW_REPLIED;
	return state;
}

/*
 * A packet of a live flow went by: the flow is seen. Written only when its state changes or
 * its last-seen time is older than refresh_jiffies: a write a second per flow at most, not
 * one per packet, on the path every packet of a tunnel takes. Return: whether it wrote.
 */
static __always_inline bool flow_seen(const struct hp_config *config, struct hp_flow *flow,
				      const struct packet *pkt, bool reply, __u64 now)
{
	__u8 state = flow_next_state(flow->state, pkt->protocol, pkt->tcp_flags, reply);

	if (state != flow->state) {
		flow->state = state;
		flow->last_seen = now;
		return true;
	}
	if (now - flow->last_seen >= READ_ONCE(config->refresh_jiffies)) {
		flow->last_seen = now;
		return true;
	}
	return false;
}

/*
 * admission_take() - one token from @client's bucket of new flows.
 * Return: true if the client may open a new flow now.
 *
 * Units: a flow costs hz, a jiffy brings admission_rate, the bucket holds admission_cap, so the
 * sum needs no division. Two CPUs refilling the same bucket at once may lose a refill or a
 * take; the bucket is a brake, not an account.
 */
static __always_inline bool admission_take(const struct hp_config *config, __be32 client,
					   __u64 now)
{
	__u64 cap = READ_ONCE(config->admission_cap), cost = READ_ONCE(config->hz);
	struct hp_admission *bucket;

	if (!cap)
		return true;	/* no limit configured */
	bucket = bpf_map_lookup_elem(&hp_admission, &client);
	if (!bucket) {
		struct hp_admission fresh = { .updated = now, .tokens = cap - cost };

		/* A client the map does not know yet (or no longer) starts with a full bucket. */
		bpf_map_update_elem(&hp_admission, &client, &fresh, BPF_ANY);
		return true;
	}
	if (now != bucket->updated) {
		__u64 tokens = bucket->tokens + (now - bucket->updated) * READ_ONCE(config->admission_rate);

		bucket->tokens = tokens < cap ? tokens : cap;
		bucket->updated = now;
	}
	if (bucket->tokens < cost)
		return false;
	bucket->tokens -= cost;
	return true;
}

static __always_inline struct hp_frag_key frag_key(const struct packet *pkt,
						   enum hp_direction direction)
{
	struct hp_frag_key key = {
		.saddr = pkt->saddr,
		.daddr = pkt->daddr,
		.id = pkt->ip_id,
		.protocol = pkt->protocol,
		.direction = direction,
	};

	return key;
}

/*
 * A first fragment is being translated: remember what its datagram's addresses become (0: as
 * they were), for the fragments that follow without ports. Return: 0, or -1 if it could not
 * be recorded (counted).
 */
static __always_inline int frag_remember(const struct packet *pkt, enum hp_direction direction,
					 __be32 saddr, __be32 daddr)
{
	struct hp_frag_key key = frag_key(pkt, direction);
	struct hp_frag value = { .saddr = saddr, .daddr = daddr };

	if (!pkt->first_fragment)
		return 0;
	if (bpf_map_update_elem(&hp_frags, &key, &value, BPF_ANY)) {
		reason_count(HP_REASON_FRAGS_FULL);
		return -1;
	}
	return 0;
}

/*
 * Where a non-first fragment is: to a public address (ingress: a client's datagram), to an
 * address of this host that reflects (ingress: a target's reply to a reflected flow), or
 * leaving (egress: a target's reply). Replies are recorded as egress's, reflected ones too, so
 * that each place finds only the datagrams its rules are about.
 */
enum frag_place {
	FRAG_TO_PUBLIC,
	FRAG_TO_REFLECT,
	FRAG_EGRESS,
};

/*
 * A non-first fragment: rewritten as its first fragment was, or left alone when that was not
 * seen (doc/translation.md says why that is the defined behaviour). A reflected datagram's
 * (both addresses recorded) go back out as its first did, and only from ingress.
 */
static __always_inline enum verdict frag_follow(void *ctx, const bool xdp,
						const struct packet *pkt,
						const struct hp_config *config,
						const enum frag_place place,
						struct bpf_fib_lookup *fib)
{
	enum hp_direction direction = place == FRAG_TO_PUBLIC ? HP_DIR_INGRESS : HP_DIR_EGRESS;
	struct hp_frag_key key = frag_key(pkt, direction);
	struct hp_frag *frag = bpf_map_lookup_elem(&hp_frags, &key);

	__be32 saddr, daddr;
	bool reflected;
	__u8 ttl;

	if (!frag) {
		/*
		 * On egress, and on ingress to an address of this host that reflects, a miss is
		 * mostly a datagram of the target's own that no flow is about (its first fragment
		 * was seen, and left alone): not an orphan.
		 */
		if (place == FRAG_TO_PUBLIC)
			reason_count(HP_REASON_ORPHAN_FRAGMENT);
		return VERDICT_PASS;
	}
	saddr = frag->saddr ?: pkt->saddr;
	daddr = frag->daddr ?: pkt->daddr;
	reflected = frag->saddr && frag->daddr;
	/* Egress sees no reflected datagram, and the reflect addresses no other. */
	if (place == FRAG_EGRESS ? reflected : place == FRAG_TO_REFLECT && !reflected)
		return VERDICT_PASS;
	ttl = pkt->ttl;
	if (reflected) {
		/* Its fragments go back out as its first did, or to the stack. */
		if (ttl <= 1 || reflect_route(ctx, xdp, pkt, saddr, daddr, fib)) {
			reason_count(HP_REASON_NO_NEIGHBOUR);
			return VERDICT_PASS;
		}
		ttl--;
	}
	if (nat_rewrite_addrs(ctx, xdp, pkt, saddr, daddr, ttl)) {
		reason_count(HP_REASON_REWRITE_FAILED);
		return VERDICT_DROP;
	}
	if (monitoring(config))
		monitor_report(ctx, xdp, pkt, direction, HP_EVENT_FRAGMENT,
			       direction == HP_DIR_INGRESS ? daddr : saddr, 0);
	return reflected ? VERDICT_TX : VERDICT_PASS;
}

static __always_inline void stats_count(__u32 index, bool to_target, __u16 ip_len)
{
	struct hp_stats *stats = bpf_map_lookup_elem(&hp_stats, &index);

	if (!stats)
		return;
	if (to_target) {
		stats->to_target_packets++;
		stats->to_target_bytes += ip_len;
	} else {
		stats->to_client_packets++;
		stats->to_client_bytes += ip_len;
	}
}

/*
 * The forward of (@protocol, @port) into @fwd, read with one load (see struct hp_forward).
 * Return: false if that port is not forwarded.
 */
static __always_inline bool forward_get(__u8 protocol, __be16 port, struct hp_forward *fwd)
{
	__u32 index = hp_forward_index(protocol, bpf_ntohs(port));
	__u64 *entry = bpf_map_lookup_elem(&hp_forwards, &index);
	__u64 word;

	if (!entry)
		return false;
	word = READ_ONCE(*entry);
	__builtin_memcpy(fwd, &word, sizeof(*fwd));
	return fwd->target_addr;
}

/*
 * The address of this host that stands in for the client when the forward's target is on the
 * LAN of @ifindex, the device the client's packet came in on; 0 when it is not reflected there.
 */
static __always_inline __be32 forward_reflect_addr(const struct hp_forward *fwd, __u32 ifindex)
{
	__u32 index = fwd->stats_index;
	struct hp_forward_info *info = bpf_map_lookup_elem(&hp_forward_info, &index);

	return info && info->reflect_ifindex == ifindex ? READ_ONCE(info->reflect_addr) : 0;
}

static __always_inline struct hp_flow_key flow_key(__be32 client, __be16 client_port,
						   __be32 target, __be16 target_port,
						   __u8 protocol, enum hp_flow_kind kind)
{
	struct hp_flow_key key = {
		.client_addr = client,
		.target_addr = target,
		.client_port = client_port,
		.target_port = target_port,
		.protocol = protocol,
		.kind = kind,
	};

	return key;
}

/* The other entry of a reflected flow (enum hp_flow_kind): its key, from @key and @flow. */
static __always_inline struct hp_flow_key flow_peer_key(const struct hp_flow_key *key,
							const struct hp_flow *flow)
{
	return flow_key(flow->nat_addr, flow->nat_port, key->target_addr, key->target_port,
			key->protocol, key->kind == HP_FLOW_KEY_CLIENT ? HP_FLOW_KEY_TARGET
								 : HP_FLOW_KEY_CLIENT);
}

/*
 * flow_seen_both() - flow_seen() of a flow, and of a reflected flow's other entry too when
 * this one was written, so that both live and change state together whichever way the
 * packets go.
 */
static __always_inline void flow_seen_both(const struct hp_config *config,
					   const struct hp_flow_key *key, struct hp_flow *flow,
					   const struct packet *pkt, bool reply, __u64 now)
{
	struct hp_flow_key peer_key;
	struct hp_flow *peer;

	/*
	 * Whether it wrote, not whether the values moved: within one jiffy they may not, and the
	 * other entry would be left behind with whatever it held.
	 */
	if (!flow_seen(config, flow, pkt, reply, now) || !(flow->flags & HP_FLOW_REFLECTED))
		return;
	peer_key = flow_peer_key(key, flow);
	peer = bpf_map_lookup_elem(&hp_flows, &peer_key);
	if (peer) {
		peer->state = flow->state;
		peer->last_seen = flow->last_seen;
	}
}

/* A small hash of a flow's client side, to pick reflection ports that spread. */
static __always_inline __u32 port_hash(__be32 client, __be16 port, __u32 round)
{
	__u32 h = (__u32)client ^ ((__u32)port << 16) ^ (round * 0x9e3779b9u);

	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h;
}

/* Attempts at a free reflection port: the client's own, then this many others. */
#define REFLECT_PORT_TRIES 4

/*
 * reflect_port_claim() - the target's view of a new reflected flow, under a port of this host
 * (@reflect_addr) that no other live flow to the same target port uses: the client's own port
 * when it is free (or already this client's), else one of a few picked by hash from 1024 up.
 * The target's view is made with BPF_NOEXIST, so two CPUs never claim one port for two
 * clients. Return: the port, or 0 if none was free (counted).
 */
static __always_inline __be16 reflect_port_claim(const struct hp_config *config,
						 const struct packet *pkt,
						 const struct hp_forward *fwd, __be32 reflect_addr,
						 struct hp_flow *value, __u64 now)
{
#pragma unroll
	for (__u32 round = 0; round <= REFLECT_PORT_TRIES; round++) {
		__be16 port = round ? bpf_htons(1024 + port_hash(pkt->saddr, pkt->sport, round) %
							   (65536 - 1024))
				    : pkt->sport;
		struct hp_flow_key key = flow_key(reflect_addr, port, fwd->target_addr,
						  fwd->target_port, pkt->protocol,
						  HP_FLOW_KEY_TARGET);
		struct hp_flow *held;
		__u64 flags = BPF_NOEXIST;

		/* Port 0 means "none" to the caller: a client's own port 0 is never claimed. */
		if (!port)
			continue;
		held = bpf_map_lookup_elem(&hp_flows, &key);
		if (held) {
			/* Taken by a live flow of someone else: try the next port. */
			if ((held->nat_addr != pkt->saddr || held->nat_port != pkt->sport) &&
			    flow_live(config, held, pkt->protocol, now))
				continue;
			flags = BPF_ANY;
		}
		if (!bpf_map_update_elem(&hp_flows, &key, value, flags))
			return port;
	}
	reason_count(HP_REASON_REFLECT_PORTS_FULL);
	return 0;
}

/* What ingress_flow() decided about a client's packet. */
struct flow_decision {
	bool translate;
	__be16 reflect_port;	/* a reflected flow's port of this host; 0 if not reflected */
	__be32 reflect_addr;	/* and its address: the flow's, which may be an earlier one */
};

/*
 * ingress_flow() - find or make the flow of a client's packet to @pkt->daddr (the current
 * public address @public_addr, or an old one) on a forwarded port, as doc/translation.md says.
 * @reflect_addr: this host's address that stands in for the client (reflection), or 0
 * Return: VERDICT_PASS with @d filled; VERDICT_DROP when the client may open no new flow now
 * (or, reflecting, no port of this host is free).
 */
static __always_inline enum verdict ingress_flow(const struct packet *pkt,
						 const struct hp_forward *fwd,
						 const struct hp_config *config,
						 __be32 public_addr, __be32 reflect_addr,
						 struct flow_decision *d)
{
	struct hp_flow_key key = flow_key(pkt->saddr, pkt->sport, fwd->target_addr,
					  fwd->target_port, pkt->protocol,
					  reflect_addr ? HP_FLOW_KEY_CLIENT : HP_FLOW_KEY_TARGET);
	__u8 flags = fwd->flags | (reflect_addr ? HP_FLOW_REFLECTED : 0);
	struct hp_flow *flow = bpf_map_lookup_elem(&hp_flows, &key);
	__u64 now = bpf_jiffies64();
	bool live = flow && flow_live(config, flow, pkt->protocol, now);

	d->translate = false;
	d->reflect_port = 0;
	d->reflect_addr = 0;
	if (live && flow->public_addr == pkt->daddr && flow->public_port == pkt->dport &&
	    (pkt->daddr != public_addr ||
	     (flow->stats_index == fwd->stats_index && flow->flags == flags &&
	      (!reflect_addr || flow->nat_addr == reflect_addr)))) {
		/* The common case: a packet of a known flow costs this lookup and no update. */
		flow_seen_both(config, &key, flow, pkt, false, now);
		d->translate = true;
		d->reflect_port = flow->nat_port;
		d->reflect_addr = flow->nat_addr;
		return VERDICT_PASS;
	}
	if (pkt->daddr != public_addr) {
		/* An old address: only a live flow that owns it is translated. */
		reason_count(HP_REASON_OLD_ADDRESS);
		return VERDICT_PASS;
	}
	if (!live && !admission_take(config, pkt->saddr, now)) {
		reason_count(HP_REASON_FLOW_REFUSED);
		return VERDICT_DROP;
	}

	struct hp_flow value = {
		.public_addr = public_addr,
		.public_port = pkt->dport,
		.state = flow_next_state(HP_FLOW_NEW, pkt->protocol, pkt->tcp_flags, false),
		.flags = flags,
		.stats_index = fwd->stats_index,
		.last_seen = now,
	};
	if (reflect_addr) {
		/* The target's view first: it says which client the port stands for. */
		value.nat_addr = pkt->saddr;
		value.nat_port = pkt->sport;
		d->reflect_port = reflect_port_claim(config, pkt, fwd, reflect_addr, &value, now);
		if (!d->reflect_port)
			return VERDICT_DROP;
		value.nat_addr = reflect_addr;
		value.nat_port = d->reflect_port;
		d->reflect_addr = reflect_addr;
	}
	if (bpf_map_update_elem(&hp_flows, &key, &value, BPF_ANY)) {
		/* Unrecorded, its replies could not be rewritten: leave the packet alone. */
		reason_count(HP_REASON_FLOWS_FULL);
		return VERDICT_PASS;
	}
	d->translate = true;
	return VERDICT_PASS;
}

/*
 * Client -> public address:port becomes client -> target; reflected, this host -> target and
 * straight back out. @fib: reflect_route()'s, for reflect_send().
 */
static __always_inline enum verdict ingress_ports(void *ctx, const bool xdp,
						  const struct packet *pkt,
						  const struct hp_config *config,
						  __be32 public_addr, struct bpf_fib_lookup *fib)
{
	struct hp_forward forward, *fwd = &forward;
	struct flow_decision d;
	struct nat_tuple to;
	__be32 reflect_addr;
	enum verdict verdict;

	if (!forward_get(pkt->protocol, pkt->dport, fwd))
		return VERDICT_PASS;
	if (!source_allowed(config, pkt->saddr)) {
		reason_count(HP_REASON_NOT_ALLOWED);
		return VERDICT_PASS;
	}
	reflect_addr = forward_reflect_addr(fwd, ctx_ifindex(ctx, xdp));
	verdict = ingress_flow(pkt, fwd, config, public_addr, reflect_addr, &d);
	if (!d.translate)
		return verdict;
	to = nat_tuple_of(pkt);
	to.daddr = fwd->target_addr;
	to.dport = fwd->target_port;
	if (reflect_addr) {
		/* The flow's own: on an old address, an earlier reflect address's flow. */
		to.saddr = d.reflect_addr;
		to.sport = d.reflect_port;
		to.ttl = pkt->ttl - 1;
		/*
		 * Unless XDP can send it itself, the stack forwards the packet with only its
		 * destination rewritten and resolves the target's link-layer address, and the next
		 * packet goes fast. The target answers that one straight to the client, where it
		 * is lost: a roaming peer would move to the target's own address, so for a
		 * roaming forward the packet is dropped instead, and its sender's retry goes fast.
		 */
		if (pkt->ttl <= 1 || reflect_route(ctx, xdp, pkt, to.saddr, to.daddr, fib)) {
			reason_count(HP_REASON_NO_NEIGHBOUR);
			if (fwd->flags & HP_FORWARD_ROAMING)
				return VERDICT_DROP;
			to.saddr = pkt->saddr;
			to.sport = pkt->sport;
			to.ttl = pkt->ttl;
			reflect_addr = 0;
		}
	}
	if (frag_remember(pkt, HP_DIR_INGRESS, reflect_addr ? to.saddr : 0, to.daddr))
		return verdict;
	if (nat_rewrite_tuple(ctx, xdp, pkt, &to)) {
		reason_count(HP_REASON_REWRITE_FAILED);
		return VERDICT_DROP;
	}
	stats_count(fwd->stats_index, true, pkt->ip_len);
	if (monitoring(config))
		monitor_report(ctx, xdp, pkt, HP_DIR_INGRESS, HP_EVENT_PACKET, fwd->target_addr,
			       fwd->target_port);
	return reflect_addr ? VERDICT_TX : VERDICT_PASS;
}

/* Where the replies of @flow leave from: the address it owns, or the current one if it roams. */
static __always_inline __be32 flow_reply_addr(const struct hp_flow *flow, __be32 public_addr)
{
	return flow->flags & HP_FORWARD_ROAMING ? public_addr : flow->public_addr;
}

/*
 * An ICMP error about a reply that left from a public address (inner source): the client's
 * side could not take it, or says its path MTU is smaller. The target must hear it about the
 * packet it sent: from the client, or from this host for a reflected flow.
 */
static __always_inline enum verdict ingress_icmp(void *ctx, const bool xdp,
						 const struct packet *pkt,
						 const struct hp_config *config,
						 __be32 public_addr, struct bpf_fib_lookup *fib)
{
	const struct icmp_inner *in = &pkt->inner;
	struct hp_forward forward, *fwd = &forward;
	struct hp_flow_key key;
	struct hp_flow *flow;
	struct nat_tuple to;
	__be32 saddr, reflect_addr;

	if (!forward_get(in->protocol, in->sport, fwd))
		return VERDICT_PASS;
	reflect_addr = forward_reflect_addr(fwd, ctx_ifindex(ctx, xdp));
	key = flow_key(in->daddr, in->dport, fwd->target_addr, fwd->target_port, in->protocol,
		       reflect_addr ? HP_FLOW_KEY_CLIENT : HP_FLOW_KEY_TARGET);
	flow = bpf_map_lookup_elem(&hp_flows, &key);
	if (!flow || flow_reply_addr(flow, public_addr) != in->saddr ||
	    flow->public_port != in->sport ||
	    !flow_live(config, flow, in->protocol, bpf_jiffies64()))
		return VERDICT_PASS;
	/* The embedded reply as the target sent it, to the client or to this host. */
	to = (struct nat_tuple){
		.saddr = fwd->target_addr, .sport = fwd->target_port,
		.daddr = reflect_addr ? flow->nat_addr : in->daddr,
		.dport = reflect_addr ? flow->nat_port : in->dport,
		.ttl = reflect_addr ? pkt->ttl - 1 : pkt->ttl,
	};
	saddr = reflect_addr ? flow->nat_addr : pkt->saddr;
	if (reflect_addr &&
	    (pkt->ttl <= 1 || reflect_route(ctx, xdp, pkt, saddr, fwd->target_addr, fib))) {
		reason_count(HP_REASON_NO_NEIGHBOUR);
		return VERDICT_PASS;
	}
	if (nat_icmp_error_tuple(ctx, xdp, pkt, saddr, fwd->target_addr, &to)) {
		reason_count(HP_REASON_REWRITE_FAILED);
		return VERDICT_DROP;
	}
	if (monitoring(config))
		monitor_report(ctx, xdp, pkt, HP_DIR_INGRESS, HP_EVENT_ICMP, fwd->target_addr,
			       fwd->target_port);
	return reflect_addr ? VERDICT_TX : VERDICT_PASS;
}

/* Whether @addr is a public address the flows of this instance may own. */
static __always_inline bool is_public_addr(const struct hp_config *config, __be32 public_addr,
					   __be32 addr)
{
	bool found = addr == public_addr;

#pragma unroll
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++) {
		__be32 old = READ_ONCE(config->old_public_addrs[i]);

		found |= old && old == addr;
	}
	return found;
}

/* Whether @addr may be a target address: the prefilter's bit, before any hash lookup. */
static __always_inline bool maybe_target_addr(const struct hp_config *config, __be32 addr)
{
	return READ_ONCE(config->target_bits) & hp_target_bit(addr);
}

/* Whether @addr may be an address this host reflects flows with. */
static __always_inline bool maybe_reflect_addr(const struct hp_config *config, __be32 addr)
{
	return READ_ONCE(config->reflect_bits) & hp_target_bit(addr);
}

/* Whether (@protocol, @port) is the target port of a forward: one inlined array lookup. */
static __always_inline bool is_target_port(__u8 protocol, __be16 port)
{
	__u16 host = bpf_ntohs(port);
	__u32 index = hp_target_port_word(protocol, host);
	__u64 *word = bpf_map_lookup_elem(&hp_target_ports, &index);

	return word && (READ_ONCE(*word) & hp_target_port_bit(host));
}

/*
 * A target's reply to this host's address of a reflected flow: it becomes the public
 * address:port -> the client, straight back out. Return: VERDICT_TX, or VERDICT_PASS if the
 * packet is none of a reflected flow's (then *handled stays false).
 */
static __always_inline enum verdict ingress_reflected_reply(void *ctx, const bool xdp,
							    const struct packet *pkt,
							    const struct hp_config *config,
							    __be32 public_addr,
							    struct bpf_fib_lookup *fib,
							    bool *handled)
{
	struct hp_flow_key key = flow_key(pkt->daddr, pkt->dport, pkt->saddr, pkt->sport,
					  pkt->protocol, HP_FLOW_KEY_TARGET);
	struct hp_flow *flow = bpf_map_lookup_elem(&hp_flows, &key);
	struct nat_tuple to;
	bool to_stack;
	__u64 now;

	*handled = false;
	if (!flow || !(flow->flags & HP_FLOW_REFLECTED))
		return VERDICT_PASS;
	now = bpf_jiffies64();
	if (!flow_live(config, flow, pkt->protocol, now))
		return VERDICT_PASS;
	*handled = true;
	flow_seen_both(config, &key, flow, pkt, true, now);
	to = (struct nat_tuple){
		.saddr = flow_reply_addr(flow, public_addr), .sport = flow->public_port,
		.daddr = flow->nat_addr, .dport = flow->nat_port,
		.ttl = pkt->ttl - 1,
	};
	/*
	 * Unless XDP can send it itself, the stack forwards it to the client (not local), takes
	 * one off its TTL itself, and answers a TTL run out.
	 */
	to_stack = pkt->ttl <= 1 || reflect_route(ctx, xdp, pkt, to.saddr, to.daddr, fib);
	if (to_stack)
		to.ttl = pkt->ttl;
	/* A reply: recorded as egress records them (enum frag_place). */
	if (frag_remember(pkt, HP_DIR_EGRESS, to.saddr, to.daddr))
		return VERDICT_PASS;
	if (nat_rewrite_tuple(ctx, xdp, pkt, &to)) {
		reason_count(HP_REASON_REWRITE_FAILED);
		return VERDICT_DROP;
	}
	stats_count(flow->stats_index, false, pkt->ip_len);
	if (monitoring(config))
		monitor_report(ctx, xdp, pkt, HP_DIR_EGRESS, HP_EVENT_PACKET, to.saddr, to.sport);
	if (to_stack) {
		reason_count(HP_REASON_NO_NEIGHBOUR);
		return VERDICT_PASS;
	}
	return VERDICT_TX;
}

/*
 * An ICMP error a target raises about a packet of a reflected flow, to this host's address
 * that stood in for the client: the client must hear it, from the address it dialled, about
 * the packet it sent.
 */
static __always_inline enum verdict ingress_reflected_icmp(void *ctx, const bool xdp,
							   const struct packet *pkt,
							   const struct hp_config *config,
							   __be32 public_addr,
							   struct bpf_fib_lookup *fib)
{
	const struct icmp_inner *in = &pkt->inner;
	struct hp_flow_key key = flow_key(in->saddr, in->sport, in->daddr, in->dport,
					  in->protocol, HP_FLOW_KEY_TARGET);
	struct hp_flow *flow;
	struct nat_tuple to;
	__be32 public;

	/* To the address of this host it quotes: the prefilter's bit says only "maybe". */
	if (pkt->daddr != in->saddr)
		return VERDICT_PASS;
	flow = bpf_map_lookup_elem(&hp_flows, &key);
	if (!flow || !(flow->flags & HP_FLOW_REFLECTED) ||
	    !flow_live(config, flow, in->protocol, bpf_jiffies64()))
		return VERDICT_PASS;
	public = flow_reply_addr(flow, public_addr);
	to = (struct nat_tuple){
		.saddr = flow->nat_addr, .sport = flow->nat_port,
		.daddr = flow->public_addr, .dport = flow->public_port,
		.ttl = pkt->ttl - 1,
	};
	/* As nf_nat does: from the target, the error comes from the address the client dialled. */
	if (pkt->ttl <= 1 || reflect_route(ctx, xdp, pkt, public, flow->nat_addr, fib)) {
		reason_count(HP_REASON_NO_NEIGHBOUR);
		return VERDICT_PASS;
	}
	if (nat_icmp_error_tuple(ctx, xdp, pkt, pkt->saddr == in->daddr ? public : pkt->saddr,
				 flow->nat_addr, &to)) {
		reason_count(HP_REASON_REWRITE_FAILED);
		return VERDICT_DROP;
	}
	if (monitoring(config))
		monitor_report(ctx, xdp, pkt, HP_DIR_EGRESS, HP_EVENT_ICMP, public,
			       flow->public_port);
	return VERDICT_TX;
}

/*
 * A client talks to a target's own address from ports that a redirected flow holds: the
 * direct conversation wins, the flow ends, and neither this packet nor its replies are
 * touched. Costs only packets addressed to a target.
 */
static __always_inline void ingress_direct(void *ctx, const bool xdp, const struct packet *pkt,
					   const struct hp_config *config)
{
	struct hp_flow_key key;
	struct hp_flow *flow;

	/* tc behind an XDP program of this instance sees the packets XDP redirected. */
	if (!xdp && READ_ONCE(config->ingress_overlap))
		return;
	if (pkt->first_fragment || !is_target_port(pkt->protocol, pkt->dport))
		return;
	key = flow_key(pkt->saddr, pkt->sport, pkt->daddr, pkt->dport, pkt->protocol,
		       HP_FLOW_KEY_TARGET);
	flow = bpf_map_lookup_elem(&hp_flows, &key);
	/* A reflected flow's target's view is none of a client's: only reflection uses it. */
	if (!flow || (flow->flags & HP_FLOW_REFLECTED) ||
	    !flow_live(config, flow, pkt->protocol, bpf_jiffies64()))
		return;
	bpf_map_delete_elem(&hp_flows, &key);
	reason_count(HP_REASON_DIRECT_CLASH);
}

/*
 * A packet to an address of this host that is not a public one: a reflected flow's reply (to
 * this host's address that stands in for its client, from a target's port), an ICMP error
 * about a reflected flow, a fragment of either; or a client's direct packet to a target.
 */
static __always_inline enum verdict ingress_to_host(void *ctx, const bool xdp, struct iphdr *iph,
						    struct packet *pkt,
						    const struct hp_config *config,
						    __be32 public_addr,
						    struct bpf_fib_lookup *fib)
{
	/*
	 * From a target; or an ICMP error, from whoever sends it: the packet inside it, to a
	 * target, is what ingress_reflected_icmp() judges it by.
	 */
	bool reflected = maybe_reflect_addr(config, iph->daddr) &&
			 (maybe_target_addr(config, iph->saddr) || iph->protocol == IPPROTO_ICMP);
	bool direct = maybe_target_addr(config, iph->daddr);
	enum verdict verdict;
	bool handled;
	int kind;

	if (!reflected && !direct)
		return VERDICT_PASS;
	kind = parse_l4(ctx, xdp, iph, pkt);
	if (reflected && kind == L4_PORTS && is_target_port(pkt->protocol, pkt->sport)) {
		verdict = ingress_reflected_reply(ctx, xdp, pkt, config, public_addr, fib,
						  &handled);
		if (handled)
			return verdict;
	}
	if (reflected && kind == L4_FRAGMENT)
		return frag_follow(ctx, xdp, pkt, config, FRAG_TO_REFLECT, fib);
	if (reflected && kind == L4_ICMP_ERROR)
		return ingress_reflected_icmp(ctx, xdp, pkt, config, public_addr, fib);
	if (direct && kind == L4_PORTS)
		ingress_direct(ctx, xdp, pkt, config);
	return VERDICT_PASS;
}

static __always_inline int hairpin_ingress(void *ctx, const bool xdp)
{
	struct hp_config *config;
	/* Not zeroed: most packets leave before it is filled, and the fast path pays per byte. */
	struct packet pkt;
	struct bpf_fib_lookup fib;
	struct iphdr *iph;
	enum verdict verdict;
	__be32 public_addr;
	int kind;

	iph = parse_ipv4(ctx, xdp, &pkt.l3_off);
	if (!iph)
		return ctx_pass(xdp);
	config = config_get();
	if (!config)
		return ctx_pass(xdp);
	/* The test that turns away almost every packet of the LAN: one load, before any other. */
	if (!(READ_ONCE(config->ingress_bits) & hp_target_bit(iph->daddr)))
		return ctx_pass(xdp);
	public_addr = READ_ONCE(config->public_addr);
	if (!public_addr)
		return ctx_pass(xdp);
	if (!is_public_addr(config, public_addr, iph->daddr)) {
		verdict = ingress_to_host(ctx, xdp, iph, &pkt, config, public_addr, &fib);
	} else {
		kind = parse_l4(ctx, xdp, iph, &pkt);
		if (kind == L4_PORTS)
			verdict = ingress_ports(ctx, xdp, &pkt, config, public_addr, &fib);
		else if (kind == L4_FRAGMENT)
			verdict = frag_follow(ctx, xdp, &pkt, config, FRAG_TO_PUBLIC, &fib);
		else if (kind == L4_ICMP_ERROR)
			verdict = ingress_icmp(ctx, xdp, &pkt, config, public_addr, &fib);
		else
			verdict = VERDICT_PASS;
	}
	/* A packet that could not be written whole must not leave half translated. */
	if (verdict == VERDICT_DROP)
		return xdp ? XDP_DROP : TC_ACT_SHOT;
	if (verdict == VERDICT_TX)
		return reflect_send(ctx, xdp, &fib);
	return ctx_pass(xdp);
}

/* Target -> client becomes public address:port -> client, for live flows only. */
static __always_inline enum verdict egress_ports(struct __sk_buff *skb, const struct packet *pkt,
						 const struct hp_config *config,
						 __be32 public_addr)
{
	struct hp_flow_key key = flow_key(pkt->daddr, pkt->dport, pkt->saddr, pkt->sport,
					  pkt->protocol, HP_FLOW_KEY_TARGET);
	struct hp_flow *flow;
	__u64 now;
	__be32 addr;

	/* This host's own services (its DNS server's replies...) leave before the lookup. */
	if (!is_target_port(pkt->protocol, pkt->sport))
		return VERDICT_PASS;
	flow = bpf_map_lookup_elem(&hp_flows, &key);
	/* A reflected flow's packets never leave through the stack: none of its entries is ours. */
	if (!flow || (flow->flags & HP_FLOW_REFLECTED))
		return VERDICT_PASS;
	now = bpf_jiffies64();
	if (!flow_live(config, flow, pkt->protocol, now))
		return VERDICT_PASS;
	flow_seen(config, flow, pkt, true, now);
	addr = flow_reply_addr(flow, public_addr);
	if (frag_remember(pkt, HP_DIR_EGRESS, addr, 0))
		return VERDICT_PASS;
	if (nat_rewrite(skb, false, pkt, NAT_SOURCE, addr, flow->public_port)) {
		reason_count(HP_REASON_REWRITE_FAILED);
		return VERDICT_DROP;
	}
	stats_count(flow->stats_index, false, pkt->ip_len);
	if (monitoring(config))
		monitor_report(skb, false, pkt, HP_DIR_EGRESS, HP_EVENT_PACKET, addr,
			       flow->public_port);
	return VERDICT_PASS;
}

/*
 * An ICMP error the target raises about a packet of a redirected flow (inner source: the
 * client): the client must see it come from the address and port it dialled.
 */
static __always_inline enum verdict egress_icmp(struct __sk_buff *skb, const struct packet *pkt,
						const struct hp_config *config)
{
	const struct icmp_inner *in = &pkt->inner;
	struct hp_flow_key key = flow_key(in->saddr, in->sport, in->daddr, in->dport,
					  in->protocol, HP_FLOW_KEY_TARGET);
	struct hp_flow *flow;

	if (!maybe_target_addr(config, in->daddr))
		return VERDICT_PASS;
	flow = bpf_map_lookup_elem(&hp_flows, &key);
	if (!flow || (flow->flags & HP_FLOW_REFLECTED) ||
	    !flow_live(config, flow, in->protocol, bpf_jiffies64()))
		return VERDICT_PASS;
	/* An error from another address of this host keeps its source, as nf_nat does. */
	if (nat_icmp_error(skb, false, pkt, NAT_SOURCE,
			   pkt->saddr == in->daddr ? flow->public_addr : 0, NAT_DESTINATION,
			   flow->public_addr, flow->public_port)) {
		reason_count(HP_REASON_REWRITE_FAILED);
		return VERDICT_DROP;
	}
	if (monitoring(config))
		monitor_report(skb, false, pkt, HP_DIR_EGRESS, HP_EVENT_ICMP, flow->public_addr,
			       flow->public_port);
	return VERDICT_PASS;
}

static __always_inline int hairpin_egress(struct __sk_buff *skb)
{
	struct hp_config *config;
	/* Not zeroed: most packets leave before it is filled, and the fast path pays per byte. */
	struct packet pkt;
	struct iphdr *iph;
	enum verdict verdict;
	__be32 public_addr;
	int kind;

	/* skb->protocol is in the skb itself: no packet byte is read for ARP or IPv6. */
	if (skb->protocol != bpf_htons(ETH_P_IP) && skb->protocol != bpf_htons(ETH_P_8021Q) &&
	    skb->protocol != bpf_htons(ETH_P_8021AD))
		return TC_ACT_UNSPEC;
	iph = parse_ipv4(skb, false, &pkt.l3_off);
	if (!iph)
		return TC_ACT_UNSPEC;
	config = config_get();
	if (!config)
		return TC_ACT_UNSPEC;
	/*
	 * From a target, before any hash lookup. An ICMP error may come from another address of
	 * this host: the packet inside it, to a target, is what egress_icmp() judges it by.
	 */
	if (iph->protocol != IPPROTO_ICMP && !maybe_target_addr(config, iph->saddr))
		return TC_ACT_UNSPEC;
	/* No public address known: nothing is rewritten, the replies of old flows neither. */
	public_addr = READ_ONCE(config->public_addr);
	if (!public_addr)
		return TC_ACT_UNSPEC;

	kind = parse_l4(skb, false, iph, &pkt);
	if (kind == L4_PORTS)
		verdict = egress_ports(skb, &pkt, config, public_addr);
	else if (kind == L4_FRAGMENT)
		verdict = frag_follow(skb, false, &pkt, config, FRAG_EGRESS, NULL);
	else if (kind == L4_ICMP_ERROR)
		verdict = egress_icmp(skb, &pkt, config);
	else
		verdict = VERDICT_PASS;
	return verdict == VERDICT_DROP ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

SEC("xdp")
int hp_ingress_xdp(struct xdp_md *ctx)
{
	INSTANCE_REFERENCED();
	return hairpin_ingress(ctx, true);
}

SEC("tc")
int hp_ingress_tc(struct __sk_buff *skb)
{
	INSTANCE_REFERENCED();
	return hairpin_ingress(skb, false);
}

SEC("tc")
int hp_egress_tc(struct __sk_buff *skb)
{
	INSTANCE_REFERENCED();
	return hairpin_egress(skb);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The reference model of the translation: doc/translation.md done again in plain C, from the
 * rules alone and not from bpf/, so that the differential fuzzer (tests/fuzz/diff.c) can hold
 * the datapath to it. It keeps its own flows, frags, admission buckets, stats and reasons, in
 * the layouts of hairpin.h where it can, so that the driver can compare them with the maps.
 * There is no LRU: a caller keeps its sequences below HP_MAX_FLOWS flows, HP_MAX_FRAGS
 * datagrams and HP_MAX_ADMISSION clients, where the maps evict nothing.
 *
 * Time is the model's own: a count of ticks that only model_advance() moves. The driver maps
 * a tick onto the kernel's jiffies (diff.c says how), so that what the model decides at a
 * tick does not depend on how fast the machine runs.
 */
#ifndef HP_FUZZ_MODEL_H
#define HP_FUZZ_MODEL_H

#include <stdbool.h>
#include <linux/types.h>

#include "hairpin.h"

#define MODEL_MAX_FORWARDS 16
#define MODEL_MAX_PREFIXES 16
#define MODEL_MAX_TARGETS 8
#define MODEL_MAX_TARGET_PORTS (2 * MODEL_MAX_FORWARDS)
#define MODEL_MAX_REFLECT_ADDRS 8
#define MODEL_MAX_DEVICES 2
#define MODEL_MAX_NEIGHBOURS 8
/* model_forward.reflect_dev of a forward that no Device reflects. */
#define MODEL_NOT_REFLECTED (-1)

/* A forward, "(protocol, port) -> (target address, target port, stats slot, roaming)". */
struct model_forward {
	__u8 protocol;		/* IPPROTO_UDP or IPPROTO_TCP */
	bool roaming;
	__be16 port;		/* forwarded on the router */
	__be32 target_addr;
	__be16 target_port;
	__u16 stats_index;	/* < HP_MAX_FORWARDS */
	/*
	 * Reflection: the Device (an index of model_config.devices) whose clients are reflected
	 * to the target, and this host's address that the target sees; MODEL_NOT_REFLECTED.
	 */
	int reflect_dev;
	__be32 reflect_addr;
};

/*
 * A Device the frames come in on, and what the kernel's route and neighbour tables say of its
 * LAN, which XDP asks before it sends a reflected packet itself (bpf_fib_lookup()): one
 * connected prefix, this host's address on it, its MTU, and the neighbours it knows (valid
 * entries). The driver builds the same Device in a network namespace of its own.
 */
struct model_neighbour {
	__be32 addr;
	__u8 mac[6];
};

struct model_device {
	const char *name;
	__u8 mac[6];
	__be32 addr;		/* this host's, on a /prefix_len */
	__u8 prefix_len;
	__u16 mtu;
	struct model_neighbour neighbours[MODEL_MAX_NEIGHBOURS];
	int n_neighbours;
};

/* A (protocol, target port) pair of `target ports`. */
struct model_port {
	__u8 protocol;
	__be16 port;
};

struct model_prefix {
	__be32 addr;
	__u8 len;		/* 0..32 */
};

/* The two protocols, for the timeouts. */
enum model_proto { MODEL_UDP, MODEL_TCP, MODEL_PROTOS };

struct model_config {
	__be32 public_addr;	/* 0: unknown, nothing is rewritten */
	__be32 old_addrs[HP_MAX_OLD_PUBLIC];	/* 0: an unused slot */
	__be32 targets[MODEL_MAX_TARGETS];	/* the set `targets` */
	int n_targets;
	struct model_port target_ports[MODEL_MAX_TARGET_PORTS];	/* the set `target ports` */
	int n_target_ports;
	struct model_forward forwards[MODEL_MAX_FORWARDS];
	int n_forwards;
	/* The set of `reflect address`es of the forwards (old and new ones while `up` changes). */
	__be32 reflect_addrs[MODEL_MAX_REFLECT_ADDRS];
	int n_reflect_addrs;
	struct model_device devices[MODEL_MAX_DEVICES];
	int n_devices;
	bool any_source;	/* else only the prefixes below */
	struct model_prefix prefixes[MODEL_MAX_PREFIXES];
	int n_prefixes;
	/* How long a flow may be idle and stay live, in ticks, by protocol and state. */
	__u32 timeouts[MODEL_PROTOS][3];
	/* A seen flow's last-seen time is written when it is at least this old (ticks). */
	__u32 refresh;
	/* Admission: off (any number of new flows), or a bucket of burst flows a client. */
	bool admission;
	__u32 burst;		/* flows, >= 1 */
	__u32 rate;		/* flows a tick */
	/* `up` has XDP and tc ingress on one device: tc does not apply the "direct" rule. */
	bool ingress_overlap;
};

/* Which ingress hook the model plays: they differ only in the "direct" rule. */
enum model_hook {
	MODEL_HOOK_XDP,
	MODEL_HOOK_TC,
};

enum model_verdict {
	MODEL_PASS,
	MODEL_DROP,
	MODEL_TX,	/* reflected: straight back out of the Device (XDP_TX, tc's redirect) */
};

/* What the model did with a frame, for the fuzzer's statistics and messages. */
enum model_action {
	MODEL_NOT_OURS,		/* failed parsing: unchanged */
	MODEL_UNCHANGED,	/* parsed, but no rule applies */
	MODEL_NAT_L4,		/* UDP/TCP (non-fragment or first fragment) rewritten */
	MODEL_NAT_FRAG,		/* non-first fragment rewritten */
	MODEL_NAT_ICMP,		/* ICMP error rewritten */
	MODEL_REFUSED,		/* dropped: no token, no free port, no next hop (roaming) */
	MODEL_ENDED,		/* a direct packet ended a flow */
	MODEL_N_ACTIONS,
};

/*
 * Paths through the rules that a scenario should reach, counted so that the fuzzer can show
 * it reached them (they change no verdict by themselves).
 */
enum model_event {
	MODEL_EV_NEW_FLOW,	/* a flow made where none was live */
	MODEL_EV_MADE_ANEW,	/* a live flow that owned something else, made anew */
	MODEL_EV_EXPIRED,	/* a lookup found a flow that is not live */
	MODEL_EV_OLD_ADDRESS,	/* a packet to an old address translated */
	MODEL_EV_ROAMED_REPLY,	/* a reply left from `public`, not the address its flow owns */
	MODEL_EV_STATE_CHANGE,	/* a flow's state moved */
	MODEL_EV_STALE_SEEN,	/* a flow seen without its last-seen time written (refresh) */
	MODEL_EV_REFILL,	/* a bucket refilled */
	/* Reflection's */
	MODEL_EV_REFLECTED,	/* a client's packet sent to the target */
	MODEL_EV_REFLECTED_REPLY,	/* a target's packet sent to the client */
	MODEL_EV_OTHER_PORT,	/* a client's own port was taken: another claimed */
	MODEL_EV_REFLECTED_ICMP,	/* an error sent on, either way */
	MODEL_EV_REFLECTED_FRAG,	/* a non-first fragment sent on */
	MODEL_EV_TO_STACK,	/* a reflected packet left to the stack (no_neighbour) */
	MODEL_EV_IGNORED_ENTRY,	/* egress or "direct" found a reflected flow's entry: a miss */
	MODEL_N_EVENTS,
};

/*
 * A flow's entry: last_seen counts the model's ticks, flags holds HP_FORWARD_ROAMING and
 * HP_FLOW_REFLECTED, and a reflected flow's entries name each other in nat_addr and nat_port
 * (struct hp_flow).
 */
struct model_flow {
	struct hp_flow_key key;
	struct hp_flow value;
};

/* A datagram in fragments: what its first fragment's addresses became (0: unchanged). */
struct model_frag {
	struct hp_frag_key key;
	__be32 saddr, daddr;
};

/* A client's bucket of new flows. */
struct model_bucket {
	__be32 client;
	__u32 tokens;		/* whole flows */
	__u64 updated;		/* the tick of its last refill */
};

struct model_stats {
	__u32 index;
	struct hp_stats stats;
};

struct model {
	struct model_config config;
	enum model_hook hook;
	__u64 now;		/* ticks */
	struct model_flow *flows;
	int n_flows, cap_flows;
	struct model_frag *frags;
	int n_frags, cap_frags;
	struct model_bucket *buckets;
	int n_buckets, cap_buckets;
	struct model_stats stats[HP_MAX_FORWARDS];	/* the slots ever counted */
	int n_stats;
	__u64 reasons[HP_REASONS];	/* doc/translation.md, "Counted" */
	__u64 events[MODEL_N_EVENTS];	/* never reset */
};

/* Start with @config, at tick @now, and no state. */
void model_init(struct model *m, enum model_hook hook, const struct model_config *config,
		__u64 now);
void model_free(struct model *m);
/* Forget every flow, frag, bucket and counter (a new scenario); take @config at tick @now. */
void model_reset(struct model *m, const struct model_config *config, __u64 now);
/* The configuration changed (public address, old addresses, forwards...); state stays. */
void model_set_config(struct model *m, const struct model_config *config);
/* `hairpin end-flows` for one target: its flows leave `flows`, its datagrams `frags`. */
void model_end_flows(struct model *m, __be32 target_addr);
/* @ticks pass. */
void model_advance(struct model *m, __u64 ticks);

/*
 * One frame through the ingress or egress rules, rewritten in place (the length never
 * changes). @action, if not NULL, says which rule applied. Ingress frames come in on the
 * Device @dev (an index of config.devices); a reflected one sent back out (MODEL_TX) has, on
 * XDP, the link-layer addresses of its next hop.
 */
enum model_verdict model_ingress(struct model *m, int dev, __u8 *frame, __u32 len,
				 enum model_action *action);
enum model_verdict model_egress(struct model *m, __u8 *frame, __u32 len,
				enum model_action *action);

/* Lookups, for the driver's comparison with the maps and for building packets. */
const struct model_flow *model_find_flow(const struct model *m, const struct hp_flow_key *key);
const struct model_frag *model_find_frag(const struct model *m, const struct hp_frag_key *key);
const struct model_bucket *model_find_bucket(const struct model *m, __be32 client);
/* Whether @flow is live now, and how many ticks it has been idle. */
bool model_flow_live(const struct model *m, const struct model_flow *flow);
__u64 model_flow_idle(const struct model *m, const struct model_flow *flow);
/* The timeout (ticks) of @flow's protocol and state. */
__u32 model_flow_timeout(const struct model *m, const struct model_flow *flow);
/* Where @flow's replies leave from: its own address, or `public` if it roams. */
__be32 model_flow_reply_addr(const struct model *m, const struct model_flow *flow);
/*
 * The port of this host that reflection tries in round @round (1 to MODEL_REFLECT_TRIES) for
 * @client's @port ("Port" in doc/translation.md's "Reflection"); round 0 is @port itself.
 */
#define MODEL_REFLECT_TRIES 4
__be16 model_reflect_port(__be32 client, __be16 port, __u32 round);
/* A slot's counters; all zero if it was never counted. */
struct hp_stats model_stats(const struct model *m, __u32 index);

const char *model_action_name(enum model_action action);
const char *model_reason_name(enum hp_reason reason);
const char *model_state_name(__u8 state);
const char *model_event_name(enum model_event event);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The reference model of the translation: doc/translation.md done again in plain C, from the
 * rules alone and not from bpf/, so that the differential fuzzer (tests/fuzz/diff.c) can hold
 * the datapath to it. It keeps its own flows, frags and stats, in the layouts of hairpin.h so
 * that the driver can compare them with the maps. There is no LRU: a caller keeps its
 * sequences below HP_MAX_FLOWS flows and HP_MAX_FRAGS datagrams, where the maps evict nothing.
 */
#ifndef HP_FUZZ_MODEL_H
#define HP_FUZZ_MODEL_H

#include <stdbool.h>
#include <linux/types.h>

#include "hairpin.h"

#define MODEL_MAX_FORWARDS 16
#define MODEL_MAX_PREFIXES 16

struct model_forward {
	struct hp_forward_key key;	/* protocol, port (network order) */
	struct hp_forward value;	/* target address and port, stats slot */
};

struct model_prefix {
	__be32 addr;
	__u8 len;		/* 0..32 */
};

struct model_config {
	__be32 public_addr;	/* 0: unknown, nothing is rewritten */
	__be32 targets[HP_MAX_TARGET_ADDRS];
	int n_targets;
	struct model_forward forwards[MODEL_MAX_FORWARDS];
	int n_forwards;
	bool any_source;	/* else only the prefixes below */
	struct model_prefix prefixes[MODEL_MAX_PREFIXES];
	int n_prefixes;
};

/* What a program returns; the model never drops (doc/translation.md, "Verdicts"). */
enum model_verdict {
	MODEL_PASS,
	MODEL_DROP,
};

/* What the model did with a frame, for the fuzzer's statistics and messages. */
enum model_action {
	MODEL_NOT_OURS,		/* failed parsing: unchanged */
	MODEL_UNCHANGED,	/* parsed, but no rule applies */
	MODEL_NAT_L4,		/* UDP/TCP (non-fragment or first fragment) rewritten */
	MODEL_NAT_FRAG,		/* non-first fragment rewritten */
	MODEL_NAT_ICMP,		/* ICMP error rewritten */
	MODEL_N_ACTIONS,
};

struct model_flow {
	struct hp_flow_key key;
	struct hp_flow value;		/* last_seen_ns is not kept */
};

struct model_frag {
	struct hp_frag_key key;
	struct hp_frag value;
};

struct model_stats {
	__u32 index;
	struct hp_stats stats;
};

struct model {
	struct model_config config;
	struct model_flow *flows;
	int n_flows, cap_flows;
	struct model_frag *frags;
	int n_frags, cap_frags;
	struct model_stats stats[MODEL_MAX_FORWARDS * 2];	/* the slots ever counted */
	int n_stats;
};

/* Start with @config and no state. 0, or -1 when out of memory. */
int model_init(struct model *m, const struct model_config *config);
void model_free(struct model *m);
/* Forget flows, frags and stats (a new scenario) and take @config. */
void model_reset(struct model *m, const struct model_config *config);
/* The public address changed (set-public-ip); flows and frags stay, as in the maps. */
void model_set_public(struct model *m, __be32 public_addr);

/*
 * One frame through the ingress or egress rules, rewritten in place (the length never
 * changes). @action, if not NULL, says which rule applied.
 */
enum model_verdict model_ingress(struct model *m, __u8 *frame, __u32 len,
				 enum model_action *action);
enum model_verdict model_egress(struct model *m, __u8 *frame, __u32 len,
				enum model_action *action);

/* Lookups, for the driver's comparison with the maps and for building packets. */
const struct model_flow *model_find_flow(const struct model *m, const struct hp_flow_key *key);
const struct model_frag *model_find_frag(const struct model *m, const struct hp_frag_key *key);
/* A slot's counters; all zero if it was never counted. */
struct hp_stats model_stats(const struct model *m, __u32 index);

const char *model_action_name(enum model_action action);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differential fuzzer's scenarios: a random configuration, then frames for it, valid and
 * mutated (tests/fuzz/diff.c runs them). Everything comes from one seeded generator, so a
 * scenario is reproduced from its seed alone.
 */
#ifndef HP_FUZZ_GEN_H
#define HP_FUZZ_GEN_H

#include <stdbool.h>
#include <linux/types.h>

#include "model.h"

/* splitmix64: small, fast, and every seed is a good one. */
struct rng {
	__u64 state;
};

static inline __u64 rng_next(struct rng *r)
{
	__u64 z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline __u32 rng_below(struct rng *r, __u32 n)
{
	return (__u32)(((rng_next(r) >> 32) * n) >> 32);
}

static inline bool rng_percent(struct rng *r, __u32 percent)
{
	return rng_below(r, 100) < percent;
}

/* XDP takes a frame of at most a page less its head and tail room; stay well below. */
#define PKT_MAX 1024
#define PKT_MAX_FIELDS 64

/* A header field of a frame, for mutations and for messages. */
struct pkt_field {
	__u16 off;
	__u8 len;
	__u8 kind;		/* enum field_kind */
	const char *name;
};

enum field_kind {
	FIELD_PLAIN,
	FIELD_ADDR,
	FIELD_PORT,
	FIELD_CHECK,
	FIELD_VERSION_IHL,
	FIELD_TOT_LEN,
	FIELD_FRAG_OFF,
	FIELD_ETHERTYPE,
};

enum pkt_dir {
	PKT_INGRESS,
	PKT_EGRESS,
};

struct pkt {
	enum pkt_dir dir;
	int dev;		/* the Device it comes in on (ingress): config.devices */
	__u8 data[PKT_MAX];
	__u32 len;
	struct pkt_field fields[PKT_MAX_FIELDS];
	int n_fields;
	const char *kind;	/* "udp/tcp", "fragment", "icmp-error" or "other" */
	bool mutated;
	char what[160];		/* how it was made, for messages */
};

/* Features a scenario may use; all by default. */
enum gen_feature {
	GEN_VLAN = 1 << 0,
	GEN_FRAGMENTS = 1 << 1,
	GEN_ICMP = 1 << 2,
	GEN_SOURCES = 1 << 3,	/* AllowedSources, and changes to it */
	GEN_MUTATIONS = 1 << 4,
	GEN_IP_OPTIONS = 1 << 5,
	GEN_PUBLIC_CHANGES = 1 << 6,	/* and old addresses */
	GEN_TIME = 1 << 7,	/* time passes: flows expire, buckets refill */
	GEN_ADMISSION = 1 << 8,	/* a bucket of new flows per client */
	GEN_DIRECT = 1 << 9,	/* clients talk to a target's own address */
	GEN_FORWARD_CHANGES = 1 << 10,	/* forwards change under live flows */
	GEN_ROAMING = 1 << 11,	/* forwards marked roaming */
	GEN_REFLECT = 1 << 12,	/* targets on a Device's LAN: reflected flows */
	GEN_ALL = (1 << 13) - 1,
};

#define GEN_QUEUE_MAX 8
/* The most new flows a tick that a bucket is refilled with (diff.c's time scale needs a bound). */
#define GEN_MAX_RATE 3

struct gen {
	struct rng rng;
	unsigned int features;
	const struct model *model;	/* read only: the flows to build packets for */
	struct pkt queue[GEN_QUEUE_MAX];	/* the rest of a datagram in fragments */
	int n_queue;
	/* How often (percent of steps) the configuration changes in this scenario. */
	__u32 config_percent;
	/* A client spraying new flows: its address, and how many more packets. */
	__be32 spray_client;
	int spray_left;
	/*
	 * Squatters on the ports that reflection would give a client (its own and the hashed
	 * ones, model_reflect_port()): other clients take them first, then the client comes.
	 */
	bool squatting;
	struct model_forward squat_forward;
	__be32 squat_client;
	__be16 squat_port;
	int squat_next;		/* the round whose port is taken next; past the last: the client */
	int next_dev;		/* the Device of the next ingress frame; -1: by its source */
	char what[160];		/* what the last STEP_CONFIG or STEP_TIME did */
	/* A new public address found the old ones full: some were pruned, or the stalest went. */
	__u64 old_pruned, old_evicted;
};

enum gen_step_kind {
	STEP_PACKET,
	STEP_CONFIG,	/* the configuration changed */
	STEP_TIME,	/* ticks passed */
};

/*
 * The Devices of every scenario: what the model knows of their LANs, and what the driver
 * builds in its network namespace (see gen.c).
 */
extern const struct model_device gen_devices[MODEL_MAX_DEVICES];

/* A scenario's configuration. */
void gen_config(struct gen *g, struct model_config *config);
/*
 * The next step of a scenario: a frame in @pkt, a change to @config (the running
 * configuration, changed in place, as the loader would change it), or @ticks that pass.
 */
enum gen_step_kind gen_step(struct gen *g, struct model_config *config, struct pkt *pkt,
			    __u64 *ticks);

/* Parse "vlan,frag,..." (or "all", or "-icmp" to take one away) into a mask; -1 if bad. */
int gen_parse_features(const char *text, unsigned int *features);

#endif

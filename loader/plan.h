/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A plan: a parsed configuration checked against this host and resolved into what goes into
 * the maps (defaults applied, devices found). `check` stops after making one; `up` carries it
 * out.
 */
#ifndef HP_PLAN_H
#define HP_PLAN_H

#include <net/if.h>

#include "config.h"
#include "hairpin.h"

struct hp_plan_device {
	char name[IF_NAMESIZE];
	int ifindex;
	char bridge[IF_NAMESIZE];	/* the Device, a bridge, that this is a port of; "" */
};

/* How a forward's target is reached (plan_forward_route() says it in words). */
enum hp_target_reach {
	HP_REACH_LOCAL,		/* an address of this host: delivered here */
	HP_REACH_ROUTED,	/* another host this host routes to; the client's address kept */
	HP_REACH_REFLECTED,	/* a host on the LAN of a Device: reflected for that Device's
				 * clients, routed for the others' */
};

struct hp_plan_forward {
	__u8 protocol;
	__u16 port;		/* host order */
	__be32 target_addr;
	__be16 target_port;
	__u32 flags;		/* HP_FORWARD_* */
	enum hp_target_reach reach;
	char via[IF_NAMESIZE];	/* the device the target is reached by (not LOCAL) */
	__be32 gateway;		/* ROUTED through a router: its address; else 0 */
	int reflect_ifindex;	/* REFLECTED: the Device whose clients are reflected */
	__be32 reflect_addr;	/* REFLECTED: this host's address the target sees */
};

struct hp_plan {
	struct hp_plan_device devices[HP_MAX_DEVICES];
	int n_devices;
	/* plan_make(.., true): the Devices that do not exist (yet), left out of devices[] */
	char missing[HP_MAX_DEVICES][IF_NAMESIZE];
	int n_missing;
	/* plan_make(.., true): the Devices that are bridges without a port (yet) */
	char portless[HP_MAX_DEVICES][IF_NAMESIZE];
	int n_portless;
	enum hp_config_mode mode;
	bool has_public_addr;
	__be32 public_addr;
	__be32 local_addr;
	struct hp_plan_forward forwards[HP_MAX_FORWARDS];
	int n_forwards;
	/* AllowedSources; n_sources 0: any source */
	struct hp_config_source sources[HP_CONFIG_MAX_SOURCES];
	int n_sources;
	/* the target prefilter's bits (hp_config.target_bits) of every forward's target */
	__u64 target_bits;
	/* the bits of the addresses reflected flows stand in for their clients with */
	__u64 reflect_bits;
	/* flow timeouts, seconds, by enum hp_config_timeout */
	__u32 timeouts[HP_TIMEOUT_COUNT];
	__u32 new_flow_rate;	/* 0: no limit */
	__u32 new_flow_burst;
};

/*
 * Whether @addr can serve as the public address for @devices: not on the LAN of a Device (a
 * Device's own addresses included), where rewriting it would take it from the hosts that
 * have it. An address of another interface of this host is fine: a gateway whose own ppp0
 * holds the public address. NULL, or what is wrong.
 */
const char *plan_public_addr_problem(__be32 addr, char devices[][IF_NAMESIZE], int n_devices);

/* "this host", "routed via wan0 (through 198.51.100.1), the client's address kept", ... */
const char *plan_forward_route(const struct hp_plan_forward *pf, char *buf, size_t len);

/*
 * plan_make() - check @conf against this host and resolve it into @plan. Prints every problem
 * it finds ("hairpin: FILE:LINE: ...") and returns HP_EXIT_OK, HP_EXIT_USAGE for a
 * configuration that cannot work anywhere, or HP_EXIT_SYSTEM when this host lacks something (a
 * Device). @skip_missing (the daemon, which waits for them): a Device that does not exist is
 * no problem but a name in plan->missing; the plan covers the others, maybe none.
 */
int plan_make(const struct hp_config_file *conf, struct hp_plan *plan, bool skip_missing);

/* Parse and plan CONFIG in one go, as up and check do. */
int plan_load(const char *path, struct hp_plan *plan);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The running instance as `status` and `doctor` read it: its pinned maps (the config map, the
 * Device records, the forwards with their counters and how each target is reached, the flows,
 * AllowedSources, the reasons) and what the kernel has attached against what each record says
 * should be (health.h).
 */
#ifndef HP_STATE_H
#define HP_STATE_H

#include <net/if.h>

#include "attached.h"
#include "flows.h"
#include "hairpin.h"
#include "health.h"
#include "pins.h"
#include "run_state.h"

/* How a forward's target is reached, as `check` says it for a configuration. */
struct forward_reach {
	const char *kind;		/* "this host", "routed", "reflected" */
	char via[IF_NAMESIZE];		/* the device; "" for this host */
	__be32 reflect_addr;		/* reflected: this host's address the target sees */
};

struct hp_state {
	struct hp_config config;
	struct hp_device *devices;	/* in the order the devices were made (ifindex) */
	int n_devices;
	struct hp_forward_entry *forwards;
	int n_forwards;
	struct hp_flow_view *flows;	/* every flow in the map; only live ones are shown */
	int n_flows;
	int n_live;
	int n_ended;			/* ended flows the map still holds */
	struct hp_stats *stats;		/* one per forward, summed over CPUs */
	struct forward_reach *reach;	/* one per forward */
	struct hp_source_key *sources;	/* AllowedSources of the generation in use */
	int n_sources;
	__u64 reasons[HP_REASONS];	/* summed over CPUs */
	struct hp_scan scan;		/* what the kernel has attached */
	struct hp_device_health *health;	/* one per record */
	/* The daemon's own word (run_state.h), read by its reader, not by state_read():
	 * daemon_err -ENOENT when none runs. */
	struct run_state daemon;
	int daemon_err;
	int daemon_stale_pid;		/* a daemon that was and is gone, or 0 */
};

/* As doc/translation.md ("Counted") and the JSON name them, by enum hp_reason. */
extern const char *const hp_reason_names[HP_REASONS];

/*
 * state_read() - the instance pinned in @pin_dir, from its maps @fds (pins_open_all()) and
 * the kernel, into @st (zeroed by the caller). Return: 0, or -errno; state_free() either way.
 */
int state_read(struct hp_state *st, int fds[HP_PIN_COUNT], const char *pin_dir);
void state_free(struct hp_state *st);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How a Device is doing: what its record says should be attached (struct hp_device) against
 * what the kernel shows (attached.h). For `status`, and for whatever else must say plainly
 * whether hairpin is working on a device: attached, missing, replaced by someone else's
 * program, the device gone or renamed, this instance's programs left in hooks of the other kind.
 */
#ifndef HP_HEALTH_H
#define HP_HEALTH_H

#include <stdbool.h>

#include "attached.h"
#include "hairpin.h"

enum hp_hook_state {
	HP_HOOK_ATTACHED,	/* this instance's program is there */
	HP_HOOK_MISSING,	/* it is not, and nothing took its place */
	HP_HOOK_REPLACED,	/* another program holds its place (native XDP, the cls_bpf slot) */
};

struct hp_hook_health {
	enum hp_hook hook;		/* where the record says the program should be */
	enum hp_hook_state state;
	__u32 prog_id;			/* attached: this instance's program */
	bool no_qdisc;			/* missing, for want of the clsact qdisc */
	struct hp_prog replaced_by;	/* replaced: the program in its place */
};

enum hp_device_state {
	HP_DEVICE_ATTACHED,	/* both hooks carry this instance's programs */
	HP_DEVICE_PARTIAL,	/* one does, the other's is missing */
	HP_DEVICE_MISSING,	/* neither does */
	HP_DEVICE_REPLACED,	/* another program holds a hook's place */
	HP_DEVICE_GONE,		/* no device has the record's ifindex */
};

#define HP_HEALTH_MAX_LEFTOVERS 8

struct hp_device_health {
	const struct hp_device *record;
	const struct hp_netdev *now;	/* NULL: gone */
	bool renamed;			/* now->name is not the record's */
	enum hp_device_state state;
	struct hp_hook_health ingress, egress;
	/* this instance's programs on the device where the record does not put them */
	const struct hp_attachment *leftovers[HP_HEALTH_MAX_LEFTOVERS];
	int n_leftovers;
};

/* How the Device of @record is doing, as @scan shows it. */
void health_of_device(const struct hp_device *record, const struct hp_scan *scan,
		      struct hp_device_health *health);

/* "attached", "partial", "missing", "replaced", "gone" */
const char *health_device_state_name(enum hp_device_state state);
/* "attached", "missing", "replaced" */
const char *health_hook_state_name(enum hp_hook_state state);

#endif

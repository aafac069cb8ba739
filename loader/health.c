// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "health.h"

const char *health_device_state_name(enum hp_device_state state)
{
	static const char *const names[] = {
		[HP_DEVICE_ATTACHED] = "attached",
		[HP_DEVICE_PARTIAL] = "partial",
		[HP_DEVICE_MISSING] = "missing",
		[HP_DEVICE_REPLACED] = "replaced",
		[HP_DEVICE_GONE] = "gone",
	};

	return names[state];
}

const char *health_hook_state_name(enum hp_hook_state state)
{
	static const char *const names[] = {
		[HP_HOOK_ATTACHED] = "attached",
		[HP_HOOK_MISSING] = "missing",
		[HP_HOOK_REPLACED] = "replaced",
	};

	return names[state];
}

static enum hp_direction direction_of(const struct hp_attachment *a)
{
	return a->hook == HP_HOOK_XDP || a->hook == HP_HOOK_XDP_GENERIC ? HP_DIR_INGRESS
									 : a->direction;
}

/* Whether @a is where @hook of @direction puts a program: for cls_bpf, hairpin's slot. */
static bool in_place(const struct hp_attachment *a, enum hp_hook hook,
		     enum hp_direction direction)
{
	if (a->hook != hook || direction_of(a) != direction)
		return false;
	return hook != HP_HOOK_TC || tc_filter_in_hairpin_slot(&a->filter);
}

static void hook_health(const struct hp_netdev *dev, enum hp_hook hook,
			enum hp_direction direction, struct hp_hook_health *h)
{
	memset(h, 0, sizeof(*h));
	h->hook = hook;
	h->state = HP_HOOK_MISSING;
	for (int i = 0; i < dev->n_attachments; i++) {
		const struct hp_attachment *a = &dev->attachments[i];

		if (!in_place(a, hook, direction))
			continue;
		if (a->prog.owner == HP_OWNER_SELF) {
			h->state = HP_HOOK_ATTACHED;
			h->prog_id = a->prog.id;
			return;
		}
		/* tcx hooks hold many programs: another's is no replacement of hairpin's. */
		if (hook != HP_HOOK_TCX) {
			h->state = HP_HOOK_REPLACED;
			h->replaced_by = a->prog;
		}
	}
	h->no_qdisc = hook == HP_HOOK_TC && h->state == HP_HOOK_MISSING && !dev->clsact;
}

void health_of_device(const struct hp_device *record, const struct hp_scan *scan,
		      struct hp_device_health *health)
{
	const struct hp_netdev *dev = attached_netdev(scan, record->ifindex);
	int attached;

	memset(health, 0, sizeof(*health));
	health->record = record;
	health->now = dev;
	health->ingress.hook = record->ingress_hook;
	health->egress.hook = record->egress_hook;
	if (!dev) {
		health->state = HP_DEVICE_GONE;
		health->ingress.state = health->egress.state = HP_HOOK_MISSING;
		return;
	}
	health->renamed = strcmp(dev->name, record->name);
	hook_health(dev, record->ingress_hook, HP_DIR_INGRESS, &health->ingress);
	hook_health(dev, record->egress_hook, HP_DIR_EGRESS, &health->egress);
	for (int i = 0; i < dev->n_attachments; i++) {
		const struct hp_attachment *a = &dev->attachments[i];

		if (a->prog.owner != HP_OWNER_SELF)
			continue;
		if ((in_place(a, record->ingress_hook, HP_DIR_INGRESS) &&
		     a->prog.id == health->ingress.prog_id) ||
		    (in_place(a, record->egress_hook, HP_DIR_EGRESS) &&
		     a->prog.id == health->egress.prog_id))
			continue;
		if (health->n_leftovers < HP_HEALTH_MAX_LEFTOVERS)
			health->leftovers[health->n_leftovers++] = a;
	}
	attached = (health->ingress.state == HP_HOOK_ATTACHED) +
		   (health->egress.state == HP_HOOK_ATTACHED);
	if (health->ingress.state == HP_HOOK_REPLACED || health->egress.state == HP_HOOK_REPLACED)
		health->state = HP_DEVICE_REPLACED;
	else
		health->state = attached == 2 ? HP_DEVICE_ATTACHED
			      : attached == 1 ? HP_DEVICE_PARTIAL : HP_DEVICE_MISSING;
}

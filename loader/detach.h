/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Taking this instance's programs off the devices, from what the kernel shows (attached.h),
 * whatever hairpin's records say or lost: `down` takes them all, `up`'s commit every one but
 * the programs it has just attached. Other programs are never touched, and a clsact qdisc goes
 * only if hairpin added it and no filter is left on it.
 */
#ifndef HP_DETACH_H
#define HP_DETACH_H

#include <stdbool.h>

#include "attached.h"
#include "hairpin.h"

/* What detach_instance() did on one device of the scan. */
struct detach_report {
	int removed;		/* attachments of this instance taken off */
	int failed;		/* attachments it could not take off */
	bool qdisc_removed;	/* the clsact qdisc hairpin added */
	int qdisc_kept_filters;	/* that qdisc stayed for these filters of someone else */
};

/*
 * detach_instance() - take every program of this instance, except those whose ids @keep lists,
 * off every device of @scan: on each device ingress hooks before egress, so that no moment
 * rewrites a flow one way only. Then unpin from @pin_dir's links/ every tcx link that carries
 * no kept program, and remove the clsact qdiscs that @records say hairpin added and that no
 * filter is left on. @report, if not NULL, has one entry per device of @scan.
 * Return: 0, or the first -errno (each failure printed).
 */
int detach_instance(const struct hp_scan *scan, const __u32 *keep, int n_keep,
		    const struct hp_device *records, int n_records, const char *pin_dir,
		    struct detach_report *report);

#endif

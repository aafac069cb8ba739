/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `up` does with a plan, for `up` itself and for the daemon (`run`), which makes its plans
 * as the network comes and goes: load, pin, fill, attach, commit, or undo it all (up.c).
 */
#ifndef HP_UP_H
#define HP_UP_H

#include "plan.h"

/*
 * up_apply() - make the instance pinned in @pin_dir carry @plan: a first instance, or the
 * running one replaced in place (flows and counters kept, no packet lost).
 * Return: HP_EXIT_OK, or HP_EXIT_SYSTEM after printing why and undoing every step.
 */
int up_apply(const char *pin_dir, const struct hp_plan *plan);

#endif

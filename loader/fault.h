/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection, for the test build only ($(BUILD)/faults/hairpin, compiled with
 * -DHP_FAULT_INJECTION; the hairpin that is installed has none of it). Each step of `up` and
 * `down` that changes the kernel's state is followed by a named fault point; the test kills
 * the command at each in turn and checks that `down` then leaves nothing and `up` works.
 *
 *   HAIRPIN_FAULT_AT=N     the Nth fault point reached raises SIGKILL
 *   HAIRPIN_FAULT_LIST=1   each fault point reached is printed: "hairpin: fault point N: NAME"
 *   HAIRPIN_TEST_NO_TCX=1  behave as on a kernel without tcx (cls_bpf instead)
 */
#ifndef HP_FAULT_H
#define HP_FAULT_H

#include <stdbool.h>

#ifdef HP_FAULT_INJECTION
void fault_point(const char *name);
bool fault_no_tcx(void);
#else
static inline void fault_point(const char *name)
{
	(void)name;
}

static inline bool fault_no_tcx(void)
{
	return false;
}
#endif

#endif

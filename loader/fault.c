// SPDX-License-Identifier: GPL-2.0
/* Fault points of the test build (fault.h). */
#ifdef HP_FAULT_INJECTION
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

void fault_point(const char *name)
{
	static long reached;
	const char *at = getenv("HAIRPIN_FAULT_AT"), *list = getenv("HAIRPIN_FAULT_LIST");

	reached++;
	if (list && !strcmp(list, "1"))
		fprintf(stderr, "hairpin: fault point %ld: %s\n", reached, name);
	if (at && strtol(at, NULL, 10) == reached)
		raise(SIGKILL);
}

bool fault_no_tcx(void)
{
	const char *no = getenv("HAIRPIN_TEST_NO_TCX");

	return no && !strcmp(no, "1");
}
#endif

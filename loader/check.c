// SPDX-License-Identifier: GPL-2.0
/* hairpin check [CONFIG]: everything `up` validates, and nothing else. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "config.h"
#include "format.h"
#include "log.h"
#include "plan.h"

int check_main(int argc, char **argv, const struct hp_options *opts)
{
	const char *path = argc > 1 ? argv[1] : HP_DEFAULT_CONFIG;
	struct hp_plan *plan;
	int status;

	if (argc > 2) {
		pr_warn("check: too many arguments: `%s'", argv[2]);
		return HP_EXIT_USAGE;
	}
	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return HP_EXIT_SYSTEM;
	status = plan_load(path, plan);
	if (!status) {
		printf("%s: ok: %d device%s, %d forward%s, mode %s\n", path, plan->n_devices,
		       plan->n_devices == 1 ? "" : "s", plan->n_forwards,
		       plan->n_forwards == 1 ? "" : "s", config_mode_name(plan->mode));
		for (int i = 0; i < plan->n_forwards; i++) {
			const struct hp_plan_forward *pf = &plan->forwards[i];
			char addr[INET_ADDRSTRLEN], how[160];

			printf("  %s %u -> %s:%u: %s\n", fmt_protocol(pf->protocol), pf->port,
			       fmt_ip4(pf->target_addr, addr), ntohs(pf->target_port),
			       plan_forward_route(pf, how, sizeof(how)));
		}
	}
	free(plan);
	return status;
}

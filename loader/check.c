// SPDX-License-Identifier: GPL-2.0
/* hairpin check [CONFIG]: everything `up` validates, and nothing else. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "config.h"
#include "format.h"
#include "log.h"
#include "plan.h"

struct check_args {
	const char *config;
};

static const struct hp_operand check_operands[] = {
	HP_OPERAND("CONFIG", struct check_args, config, false, HP_DEFAULT_CONFIG),
	{},
};

static int check_main(const void *args, const struct hp_options *opts)
{
	const char *path = ((const struct check_args *)args)->config;
	struct hp_plan *plan;
	int status;

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

const struct hp_command check_command = {
	.name = "check",
	.main = check_main,
	.args_size = sizeof(struct check_args),
	.operands = check_operands,
	.summary = "validate CONFIG; change nothing",
	.help = "Validates CONFIG as up would, against this host's devices and addresses, and\n"
		"changes nothing.\n",
};

// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin end-flows all|ADDRESS: end flows on purpose, every one or those that own ADDRESS
 * (an old public address whose new owner should get its clients' packets now, say). An ended
 * flow's packets are translated no longer: the next one to the current public address makes a
 * new flow, and one to an old address goes where that address is now. Old addresses that no
 * live flow owns any more stop being translated at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "commands.h"
#include "config.h"
#include "flows.h"
#include "log.h"
#include "pins.h"

static int end_flows(int flows_fd, const struct hp_config *config, bool all, __be32 addr,
		     int *ended)
{
	struct hp_flow_view *flows;
	int n, err = flows_read(flows_fd, config, &flows, &n);

	*ended = 0;
	if (err)
		return err;
	for (int i = 0; i < n; i++) {
		const struct hp_flow_entry *e = &flows[i].entry;

		if (!all && e->value.public_addr != addr)
			continue;
		if (bpf_map_delete_elem(flows_fd, &e->key) && errno != ENOENT) {
			err = -errno;
			break;
		}
		*ended += flows[i].live && !flows[i].reflection;
	}
	free(flows);
	return err;
}

struct end_flows_args {
	const char *which;
};

static const struct hp_operand end_flows_operands[] = {
	HP_OPERAND("all|ADDRESS", struct end_flows_args, which, true, NULL),
	{},
};

static int end_flows_main(const void *args, const struct hp_options *opts)
{
	const char *which = ((const struct end_flows_args *)args)->which;
	int fds[HP_PIN_COUNT], lock, err, ended;
	struct hp_config *config;
	bool all;
	__be32 addr = 0;

	all = !strcmp(which, "all");
	if (!all) {
		const char *why = config_parse_address(which, &addr);

		if (why) {
			pr_warn("end-flows: %s (give all, or a public address): `%s'", why, which);
			return HP_EXIT_USAGE;
		}
	}
	lock = pins_lock(opts->pin_dir);
	err = lock < 0 ? lock : pins_open_all(opts->pin_dir, fds);
	if (err) {
		if (err == -ENOENT)
			pr_warn("no running instance: nothing pinned at %s (run `hairpin up')",
				opts->pin_dir);
		else
			pr_warn("couldn't open the pinned maps in %s: %s", opts->pin_dir,
				strerror(-err));
		if (lock >= 0)
			close(lock);
		return HP_EXIT_SYSTEM;
	}
	err = pins_map_config(fds[HP_PIN_CONFIG], &config);
	if (!err) {
		err = end_flows(fds[HP_PIN_FLOWS], config, all, addr, &ended);
		if (!err)
			err = flows_prune_old(config, fds[HP_PIN_FLOWS]);
		pins_unmap_config(config);
	}
	pins_close_all(fds);
	close(lock);
	if (err) {
		pr_warn("couldn't end flows in %s/%s: %s", opts->pin_dir,
			hp_pin_names[HP_PIN_FLOWS], strerror(-err));
		return HP_EXIT_SYSTEM;
	}
	pr_info("ended %d live flow%s", ended, ended == 1 ? "" : "s");
	return HP_EXIT_OK;
}

const struct hp_command end_flows_command = {
	.name = "end-flows",
	.main = end_flows_main,
	.args_size = sizeof(struct end_flows_args),
	.operands = end_flows_operands,
	.summary = "end every flow, or those that own ADDRESS",
	.help = "Ends every tracked flow, or those that own the public address ADDRESS (an old one\n"
		"whose new owner should get its clients' packets now). An ended flow is translated no\n"
		"longer: its next packet to the current public address makes a new one.\n",
};

// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin set-public-ip ADDRESS: change the running instance's public address, for a DHCP or
 * PPP hook. One atomic store into the mmapped config map: no reload, no packet sees a torn
 * address, and the new address applies to every packet that arrives after the command returns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "maps.h"
#include "pins.h"
#include "plan.h"

/* The devices the running instance is attached to, for plan_public_addr_problem(). */
static int running_devices(const char *pin_dir, char names[][IF_NAMESIZE], int *n)
{
	struct hp_device *recs;
	char path[4096];
	int fd, err, count;

	*n = 0;
	if (pins_path(pin_dir, HP_PIN_DEVICES, path, sizeof(path)) || (fd = bpf_obj_get(path)) < 0)
		return -ENOENT;
	err = maps_read_devices(fd, &recs, &count);
	close(fd);
	if (err)
		return err;
	for (int i = 0; i < count && i < HP_MAX_DEVICES; i++)
		snprintf(names[(*n)++], IF_NAMESIZE, "%s", recs[i].name);
	free(recs);
	return 0;
}

int set_public_ip_main(int argc, char **argv, const struct hp_options *opts)
{
	char devices[HP_MAX_DEVICES][IF_NAMESIZE];
	struct hp_config *config;
	char path[4096];
	int n_devices;
	const char *why;
	__be32 addr;
	int fd, lock, err;

	if (argc != 2) {
		pr_warn("usage: hairpin set-public-ip ADDRESS");
		return HP_EXIT_USAGE;
	}
	why = config_parse_address(argv[1], &addr);
	if (why) {
		pr_warn("set-public-ip: %s: `%s'", why, argv[1]);
		return HP_EXIT_USAGE;
	}
	lock = pins_lock(opts->pin_dir);
	if (lock < 0 || pins_path(opts->pin_dir, HP_PIN_CONFIG, path, sizeof(path)) ||
	    (fd = bpf_obj_get(path)) < 0) {
		pr_warn("no running instance: no config map pinned at %s/%s (run `hairpin up')",
			opts->pin_dir, hp_pin_names[HP_PIN_CONFIG]);
		if (lock >= 0)
			close(lock);
		return HP_EXIT_SYSTEM;
	}
	/* Refused before anything changes: a LAN address would be taken from its owner. */
	if (!running_devices(opts->pin_dir, devices, &n_devices) &&
	    (why = plan_public_addr_problem(addr, devices, n_devices))) {
		pr_warn("set-public-ip: the public address %s: `%s'", why, argv[1]);
		close(fd);
		close(lock);
		return HP_EXIT_USAGE;
	}
	err = pins_map_config(fd, &config);
	if (err) {
		pr_warn("couldn't map %s: %s", path, strerror(-err));
	} else {
		pins_config_store(&config->public_addr, addr);
		pr_debug("public address is now %s", argv[1]);
		pins_unmap_config(config);
	}
	close(fd);
	close(lock);
	return err ? HP_EXIT_SYSTEM : HP_EXIT_OK;
}

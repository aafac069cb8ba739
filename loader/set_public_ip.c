// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin set-public-ip ADDRESS: change the running instance's public address, for a DHCP or
 * PPP hook. One atomic store into the mmapped config map: no reload, no packet sees a torn
 * address, and the new address applies to every packet that arrives after the command returns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "pins.h"

int set_public_ip_main(int argc, char **argv, const struct hp_options *opts)
{
	struct hp_config *config;
	char path[4096];
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

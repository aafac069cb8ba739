// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin set-public-ip ADDRESS: change the running instance's public address, for a DHCP or
 * PPP hook. One atomic store into the mmapped config map: no reload, no packet sees a torn
 * address, and the new address applies to every packet that arrives after the command returns.
 */
#include <errno.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "pins.h"
#include "public_addr.h"

int set_public_ip_main(int argc, char **argv, const struct hp_options *opts)
{
	const char *why;
	__be32 addr;
	int err;

	if (argc != 2) {
		pr_warn("usage: hairpin set-public-ip ADDRESS");
		return HP_EXIT_USAGE;
	}
	why = config_parse_address(argv[1], &addr);
	if (why) {
		pr_warn("set-public-ip: %s: `%s'", why, argv[1]);
		return HP_EXIT_USAGE;
	}
	err = public_addr_set(opts->pin_dir, addr, NULL, &why);
	switch (err) {
	case 0:
		pr_debug("public address is now %s", argv[1]);
		return HP_EXIT_OK;
	case -ENOENT:
		pr_warn("no running instance: no config map pinned at %s/%s (run `hairpin up')",
			opts->pin_dir, hp_pin_names[HP_PIN_CONFIG]);
		return HP_EXIT_SYSTEM;
	case -EINVAL:
		pr_warn("set-public-ip: the public address %s: `%s'", why, argv[1]);
		return HP_EXIT_USAGE;
	default:
		pr_warn("couldn't map %s/%s: %s", opts->pin_dir, hp_pin_names[HP_PIN_CONFIG],
			strerror(-err));
		return HP_EXIT_SYSTEM;
	}
}

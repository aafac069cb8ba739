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

struct set_public_ip_args {
	const char *address;
};

static const struct hp_operand set_public_ip_operands[] = {
	HP_OPERAND("ADDRESS", struct set_public_ip_args, address, true, NULL),
	{},
};

static int set_public_ip_main(const void *args, const struct hp_options *opts)
{
	const char *text = ((const struct set_public_ip_args *)args)->address;
	const char *why;
	__be32 addr;
	int err;

	why = config_parse_address(text, &addr);
	if (why) {
		pr_warn("set-public-ip: %s: `%s'", why, text);
		return HP_EXIT_USAGE;
	}
	err = public_addr_set(opts->pin_dir, addr, NULL, &why);
	switch (err) {
	case 0:
		pr_debug("public address is now %s", text);
		return HP_EXIT_OK;
	case -ENOENT:
		pr_warn("no running instance: no config map pinned at %s/%s (run `hairpin up')",
			opts->pin_dir, hp_pin_names[HP_PIN_CONFIG]);
		return HP_EXIT_SYSTEM;
	case -EINVAL:
		pr_warn("set-public-ip: the public address %s: `%s'", why, text);
		return HP_EXIT_USAGE;
	default:
		pr_warn("couldn't map %s/%s: %s", opts->pin_dir, hp_pin_names[HP_PIN_CONFIG],
			strerror(-err));
		return HP_EXIT_SYSTEM;
	}
}

const struct hp_command set_public_ip_command = {
	.name = "set-public-ip",
	.main = set_public_ip_main,
	.args_size = sizeof(struct set_public_ip_args),
	.operands = set_public_ip_operands,
	.summary = "change the running instance's public address",
	.help = "Changes the public address with one atomic store, effective for every packet that\n"
		"arrives after the command returns. For DHCP, PPP and dynamic-DNS hooks.\n",
};

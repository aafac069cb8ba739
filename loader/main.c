// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin [--pin-dir DIR] [-v] COMMAND [ARGS]: the dispatcher. One table drives both the
 * dispatch and the usage text, as in wireguard-tools' wg.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, const struct hp_options *opts);
	const char *args;
	const char *description;
} commands[] = {
	{ "up", up_main, "[CONFIG]", "load, attach to every Device, fill and pin the maps; replaces a running instance in place" },
	{ "down", down_main, "[CONFIG]", "detach from every Device and remove the pins" },
	{ "status", status_main, "[--json]", "devices, public address, forwards with counters, tracked flows" },
	{ "set-public-ip", set_public_ip_main, "ADDRESS", "change the running instance's public address" },
	{ "check", check_main, "[CONFIG]", "validate CONFIG; change nothing" },
	{ "watch", watch_main, "[CONFIG]", "keep the public address current from PublicAddressFrom" },
	{ "monitor", monitor_main, "", "print translations as they happen" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: hairpin [--pin-dir DIR] [-v] COMMAND [ARGS]\n\n"
		     "Fixes hairpin NAT for the forwarded ports of a home gateway with eBPF.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-14s %-9s %s\n", commands[i].name, commands[i].args,
			commands[i].description);
	fprintf(out, "\nOptions:\n"
		     "  --pin-dir DIR  where the maps are pinned (default %s)\n"
		     "  -v, --verbose  say more, with libbpf's own messages\n"
		     "  -h, --help     this text\n\n"
		     "CONFIG defaults to %s. Exit status: 0 done, 1 the system refused,\n"
		     "2 usage or configuration error.\n",
		     HP_DEFAULT_PIN_DIR, "/etc/hairpin/hairpin.conf");
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct hp_options opts = { .pin_dir = HP_DEFAULT_PIN_DIR };
	int c;

	/* "+": stop at the command, whose own arguments may start with '-'. */
	while ((c = getopt_long(argc, argv, "+vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opts.pin_dir = optarg;
			break;
		case 'v':
			log_set_verbose(true);
			break;
		case 'h':
			usage(stdout);
			return HP_EXIT_OK;
		default:
			usage(stderr);
			return HP_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return HP_EXIT_USAGE;
	}
	log_attach_libbpf();
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].fn(argc - optind, argv + optind, &opts);
	pr_warn("unknown command: `%s' (hairpin --help lists them)", argv[optind]);
	return HP_EXIT_USAGE;
}

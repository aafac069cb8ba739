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
#include "version.h"

/* `hairpin version' and `hairpin --version'. */
static int version_main(int argc, char **argv, const struct hp_options *opts)
{
	if (argc > 1) {
		pr_warn("version: too many arguments: `%s'", argv[1]);
		return HP_EXIT_USAGE;
	}
	printf("hairpin %s\n", HAIRPIN_VERSION);
	return HP_EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, const struct hp_options *opts);
	const char *args;
	const char *description;
	const char *help;	/* for `hairpin COMMAND --help`, after the usage line */
} commands[] = {
	{ "up", up_main, "[CONFIG]",
	  "load, attach, fill and pin the maps; replaces a running instance in place",
	  "Validates CONFIG completely, then loads the programs, pins the maps, fills them and\n"
	  "attaches the programs to every Device. Run again, it replaces the running instance\n"
	  "without a gap, keeping its flows and counters. If a step fails, the earlier ones are\n"
	  "undone; if it is killed at any step, the next up or down clears what it left.\n" },
	{ "down", down_main, "[CONFIG]", "detach from every Device and remove the pins",
	  "Takes this instance's programs off every device the kernel shows them on (renamed\n"
	  "devices, unrecorded ones, whatever a crash left) and removes the pins; a clsact qdisc\n"
	  "only if hairpin added it and no one else's filter is on it. With CONFIG, programs of\n"
	  "an earlier hairpin without identity on its Devices are taken too. Nothing attached is\n"
	  "not an error.\n" },
	{ "status", status_main, "[--json]",
	  "devices, public address, forwards with counters, tracked flows",
	  "Prints what the kernel has attached on each Device against what should be there\n"
	  "(attached, missing, replaced by whom, renamed, gone), the public address, the\n"
	  "allowed sources, every forward with its packet and byte counters, and the tracked\n"
	  "flows with their idle time. --json prints one object (schema in hairpin(8)).\n" },
	{ "set-public-ip", set_public_ip_main, "ADDRESS",
	  "change the running instance's public address",
	  "Changes the public address with one atomic store, effective for every packet that\n"
	  "arrives after the command returns. For DHCP, PPP and dynamic-DNS hooks.\n" },
	{ "check", check_main, "[CONFIG]", "validate CONFIG; change nothing",
	  "Validates CONFIG as up would, against this host's devices and addresses, and\n"
	  "changes nothing.\n" },
	{ "watch", watch_main, "[CONFIG]", "keep the public address current from PublicAddressFrom",
	  "Runs until stopped, keeping the running instance's public address current from\n"
	  "PublicAddressFrom in CONFIG (dns:NAME, natpmp or interface:NAME). SIGHUP asks the\n"
	  "source again at once; SIGTERM or SIGINT end it.\n" },
	{ "end-flows", end_flows_main, "all|ADDRESS", "end every flow, or those that own ADDRESS",
	  "Ends every tracked flow, or those that own the public address ADDRESS (an old one\n"
	  "whose new owner should get its clients' packets now). An ended flow is translated no\n"
	  "longer: its next packet to the current public address makes a new one.\n" },
	{ "monitor", monitor_main, "[--count N]", "print translations as they happen",
	  "Prints one line per translation as it happens, until interrupted or N lines. Up to\n"
	  "eight monitors run at once, each seeing every translation; one goes on across `up'\n"
	  "and ends when `down' takes the instance away. The programs report only while a\n"
	  "monitor runs. --buffer-size KIB sets its ring buffer (a power of two; 256 KiB).\n" },
	{ "version", version_main, "", "print the version",
	  "Prints `hairpin VERSION', as --version does.\n" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: hairpin [--pin-dir DIR] [-v] COMMAND [ARGS]\n\n"
		     "Fixes hairpin NAT for the forwarded ports of a home gateway with eBPF.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-14s %-12s %s\n", commands[i].name, commands[i].args,
			commands[i].description);
	fprintf(out, "\nOptions:\n"
		     "  --pin-dir DIR  where the maps are pinned (default %s)\n"
		     "  -v, --verbose  say more, with libbpf's own messages\n"
		     "  --version      print the version\n"
		     "  -h, --help     this text\n\n"
		     "CONFIG defaults to %s. `hairpin COMMAND --help' says more.\n"
		     "Exit status: 0 done, 1 the system refused, 2 usage or configuration error.\n",
		     HP_DEFAULT_PIN_DIR, "/etc/hairpin/hairpin.conf");
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
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
		case 'V':
			return version_main(1, argv, &opts);
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
	pr_debug("version %s", HAIRPIN_VERSION);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name))
			continue;
		if (argc - optind == 2 && (!strcmp(argv[optind + 1], "--help") ||
					   !strcmp(argv[optind + 1], "-h"))) {
			printf("Usage: hairpin [--pin-dir DIR] [-v] %s %s\n\n%s", commands[i].name,
			       commands[i].args, commands[i].help);
			return HP_EXIT_OK;
		}
		return commands[i].fn(argc - optind, argv + optind, &opts);
	}
	pr_warn("unknown command: `%s' (hairpin --help lists them)", argv[optind]);
	return HP_EXIT_USAGE;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin [--pin-dir DIR] [-v] [-j] [-p] COMMAND [ARGS]: the dispatcher. One table drives the
 * dispatch and the usage text, as in wireguard-tools' wg.c; each command's entry, with its
 * options, lives beside its <cmd>_main (commands.h).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "version.h"

extern const struct hp_command help_command;
extern const struct hp_command version_command;

static const struct hp_command *const commands[] = {
	&up_command,
	&down_command,
	&status_command,
	&set_public_ip_command,
	&check_command,
	&run_command,
	&watch_command,
	&end_flows_command,
	&monitor_command,
	&doctor_command,
	&help_command,
	&version_command,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct hp_option global_options[] = {
	HP_OPT_STRING("pin-dir", 0, "DIR", struct hp_options, pin_dir,
		      "where the maps are pinned (default " HP_DEFAULT_PIN_DIR ")"),
	HP_OPT_COUNT("verbose", 'v', struct hp_options, verbose,
		     "say more; -vv adds libbpf's debug messages (the verifier's logs)"),
	HP_OPT_FLAG("quiet", 'q', struct hp_options, quiet, "say only warnings and errors"),
	HP_OPT_FLAG("json", 'j', struct hp_options, json, "JSON output (status)"),
	HP_OPT_FLAG("pretty", 'p', struct hp_options, pretty, "indented JSON output; implies -j"),
	{ .name = "version", .help = "print the version", .alone = true,
	  .offset = HP_FIELD(struct hp_options, version, bool), .parse = hp_parse_flag },
	{},
};

static const struct hp_syntax global_syntax = { .options = global_options };

static const struct hp_command *command_named(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(name, commands[i]->name))
			return commands[i];
	return NULL;
}

static struct hp_syntax syntax_of(const struct hp_command *cmd)
{
	return (struct hp_syntax){ .command = cmd->name, .options = cmd->options,
				   .operands = cmd->operands };
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: hairpin");
	hp_synopsis(out, &global_syntax, true);
	fprintf(out, " COMMAND [ARGS]\n\n"
		     "Fixes hairpin NAT for the forwarded ports of a home gateway with eBPF.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		struct hp_syntax args = { .operands = commands[i]->operands };
		char synopsis[64] = "";
		FILE *s = fmemopen(synopsis, sizeof(synopsis), "w");

		/* The operands only: the options are in `hairpin help COMMAND'. */
		if (s) {
			fprintf(s, "%s", commands[i]->name);
			hp_synopsis(s, &args, false);
			fclose(s);
		}
		fprintf(out, "  %-22s %s\n", synopsis, commands[i]->summary);
	}
	fprintf(out, "\nOptions:\n");
	hp_option_lines(out, global_options);
	fprintf(out, "\nCONFIG defaults to %s. `hairpin help COMMAND' says more.\n"
		     "Exit status: 0 done, 1 the system refused, 2 usage or configuration error.\n",
		HP_DEFAULT_CONFIG);
}

/* `hairpin help COMMAND', `hairpin COMMAND --help'. */
static void command_usage(FILE *out, const struct hp_command *cmd)
{
	struct hp_syntax syn = syntax_of(cmd);

	fprintf(out, "Usage: hairpin");
	hp_synopsis(out, &global_syntax, true);
	fprintf(out, " %s", cmd->name);
	hp_synopsis(out, &syn, false);
	fprintf(out, "\n\n%s\nOptions:\n", cmd->help);
	hp_option_lines(out, cmd->options);
}

struct help_args {
	const char *command;
};

static const struct hp_operand help_operands[] = {
	HP_OPERAND("COMMAND", struct help_args, command, false, NULL),
	{},
};

static int help_main(const void *args_, const struct hp_options *opts)
{
	const struct help_args *args = args_;
	const struct hp_command *cmd;

	if (!args->command) {
		usage(stdout);
		return HP_EXIT_OK;
	}
	cmd = command_named(args->command);
	if (!cmd) {
		pr_warn("help: unknown command: `%s' (hairpin help lists them)", args->command);
		return HP_EXIT_USAGE;
	}
	command_usage(stdout, cmd);
	return HP_EXIT_OK;
}

const struct hp_command help_command = {
	.name = "help",
	.main = help_main,
	.args_size = sizeof(struct help_args),
	.operands = help_operands,
	.summary = "list the commands, or say what COMMAND does and takes",
	.help = "Prints the commands and hairpin's own options, or COMMAND's usage, as\n"
		"`hairpin COMMAND --help' does.\n",
};

static int version_main(const void *args, const struct hp_options *opts)
{
	printf("hairpin %s\n", HAIRPIN_VERSION);
	return HP_EXIT_OK;
}

const struct hp_command version_command = {
	.name = "version",
	.main = version_main,
	.summary = "print the version",
	.help = "Prints `hairpin VERSION', as --version does: `git describe' of the tree it was\n"
		"built from, or its VERSION file.\n",
};

/* Parses the command's own arguments, then runs it. */
static int run(const struct hp_command *cmd, int argc, char **argv,
	       const struct hp_options *opts)
{
	struct hp_syntax syn = syntax_of(cmd);
	/* Every command's args struct is a few pointers and numbers. */
	union {
		char bytes[256];
		long align;
	} args = {};

	if (cmd->args_size > sizeof(args)) {
		pr_warn("%s: its arguments take %zu bytes, more than %zu", cmd->name,
			cmd->args_size, sizeof(args));
		return HP_EXIT_SYSTEM;
	}
	switch (hp_parse(&syn, argc, argv, &args, false, NULL)) {
	case HP_PARSE_HELP:
		command_usage(stdout, cmd);
		return HP_EXIT_OK;
	case HP_PARSE_ERROR:
		return HP_EXIT_USAGE;
	case HP_PARSE_OK:
		break;
	}
	log_attach_libbpf();
	pr_debug("version %s", HAIRPIN_VERSION);
	return cmd->main(&args, opts);
}

int main(int argc, char **argv)
{
	struct hp_options opts = { .pin_dir = HP_DEFAULT_PIN_DIR };
	const struct hp_command *cmd;
	int next;

	switch (hp_parse(&global_syntax, argc, argv, &opts, true, &next)) {
	case HP_PARSE_HELP:
		usage(stdout);
		return HP_EXIT_OK;
	case HP_PARSE_ERROR:
		return HP_EXIT_USAGE;
	case HP_PARSE_OK:
		break;
	}
	if (opts.quiet && opts.verbose) {
		pr_warn("-q and -v exclude each other");
		return HP_EXIT_USAGE;
	}
	log_detect_journal();
	log_set_level(opts.quiet ? LOG_LEVEL_QUIET : opts.verbose);
	opts.json |= opts.pretty;
	if (opts.version)
		return version_main(NULL, &opts);
	if (next >= argc) {
		usage(stderr);
		return HP_EXIT_USAGE;
	}
	cmd = command_named(argv[next]);
	if (!cmd) {
		pr_warn("unknown command: `%s' (hairpin help lists them)", argv[next]);
		return HP_EXIT_USAGE;
	}
	return run(cmd, argc - next, argv + next, &opts);
}

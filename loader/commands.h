/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The subcommands, hairpin's own options, and the exit statuses of the contract.
 *
 * A command is one struct hp_command, defined in its own file beside its <cmd>_main: its
 * options and operands (options.h) fill a struct of its own, which <cmd>_main gets; its
 * usage text is made from the same table. main.c's table lists the commands, in the order
 * `hairpin help' shows them.
 */
#ifndef HP_COMMANDS_H
#define HP_COMMANDS_H

#include <stddef.h>

#include "options.h"

enum hp_exit {
	HP_EXIT_OK = 0,
	HP_EXIT_SYSTEM = 1,	/* the kernel, permissions or a missing device refused */
	HP_EXIT_USAGE = 2,	/* bad command line or configuration */
};

/* hairpin's own options, before the command: `hairpin --pin-dir DIR -j status'. */
struct hp_options {
	const char *pin_dir;
	int verbose;	/* -v 1, -vv 2 */
	bool quiet;	/* -q: warnings and errors only */
	bool json;	/* -j: JSON where a command has it (status) */
	bool pretty;	/* -p: that JSON indented; implies -j */
	bool version;
};

#define HP_DEFAULT_PIN_DIR "/sys/fs/bpf/hairpin"

struct hp_command {
	const char *name;
	/* @args: the command's own struct, filled from its options and operands */
	int (*main)(const void *args, const struct hp_options *opts);
	size_t args_size;
	const struct hp_option *options;	/* ends with {}; NULL: none */
	const struct hp_operand *operands;	/* ends with {}; NULL: none */
	const char *summary;	/* one line in `hairpin help' */
	const char *help;	/* paragraphs for `hairpin help COMMAND', after the usage */
};

extern const struct hp_command up_command;
extern const struct hp_command down_command;
extern const struct hp_command status_command;
extern const struct hp_command set_public_ip_command;
extern const struct hp_command check_command;
extern const struct hp_command watch_command;
extern const struct hp_command run_command;
extern const struct hp_command end_flows_command;
extern const struct hp_command monitor_command;
extern const struct hp_command doctor_command;

#endif

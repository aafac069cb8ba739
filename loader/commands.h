/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands, their shared options, and the exit statuses of the contract. */
#ifndef HP_COMMANDS_H
#define HP_COMMANDS_H

enum hp_exit {
	HP_EXIT_OK = 0,
	HP_EXIT_SYSTEM = 1,	/* the kernel, permissions or a missing device refused */
	HP_EXIT_USAGE = 2,	/* bad command line or configuration */
};

struct hp_options {
	const char *pin_dir;
};

#define HP_DEFAULT_PIN_DIR "/sys/fs/bpf/hairpin"

int up_main(int argc, char **argv, const struct hp_options *opts);
int down_main(int argc, char **argv, const struct hp_options *opts);
int status_main(int argc, char **argv, const struct hp_options *opts);
int set_public_ip_main(int argc, char **argv, const struct hp_options *opts);
int check_main(int argc, char **argv, const struct hp_options *opts);
int watch_main(int argc, char **argv, const struct hp_options *opts);
int monitor_main(int argc, char **argv, const struct hp_options *opts);
int end_flows_main(int argc, char **argv, const struct hp_options *opts);

#endif

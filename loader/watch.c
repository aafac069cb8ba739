// SPDX-License-Identifier: GPL-2.0
/* hairpin watch [CONFIG]: placeholder until the watcher lands. */
#include "commands.h"
#include "log.h"

int watch_main(int argc, char **argv, const struct hp_options *opts)
{
	pr_warn("watch: not implemented yet");
	return HP_EXIT_USAGE;
}

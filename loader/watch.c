// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin watch [CONFIG]: keep the running instance's public address current from
 * PublicAddressFrom (dns:NAME, natpmp, interface:NAME), until SIGTERM or SIGINT.
 *
 * One poll loop over a signalfd and the follower's fd (follow.h, which says how the address is
 * followed). SIGHUP asks the source again at once. `hairpin run` follows PublicAddressFrom the
 * same way, in its own loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "commands.h"
#include "follow.h"
#include "loop.h"
#include "config.h"
#include "format.h"
#include "log.h"
#include "pins.h"
#include "public_addr.h"
#include "source.h"

static int watch_loop(struct follow *f, int sig_fd)
{
	char a[INET_ADDRSTRLEN];

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = follow_fd(f), .events = POLLIN },
		};
		__u64 now = source_clock_ms();

		if (poll(fds, 2, loop_timeout_ms(now, follow_deadline(f))) < 0 && errno != EINTR) {
			pr_warn("watch: poll: %s", strerror(errno));
			return HP_EXIT_SYSTEM;
		}
		now = source_clock_ms();
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					pr_debug("SIGHUP: asking %s again", source_label(f->source));
					follow_ask(f, now);
				} else {
					pr_info("watch: stopping on SIG%s; the public address stays %s",
						sigabbrev_np(si.ssi_signo), fmt_ip4(f->current, a));
					return HP_EXIT_OK;
				}
			}
		}
		if (fds[1].revents || now >= follow_deadline(f))
			follow_step(f, now);
	}
}

struct watch_args {
	const char *config;
};

static const struct hp_operand watch_operands[] = {
	HP_OPERAND("CONFIG", struct watch_args, config, false, HP_DEFAULT_CONFIG),
	{},
};

static int watch_main(const void *args, const struct hp_options *opts)
{
	const char *path = ((const struct watch_args *)args)->config;
	struct hp_config_file *conf;
	char a[INET_ADDRSTRLEN];
	struct follow f;
	int sig_fd, status, err;
	__be32 current;

	conf = calloc(1, sizeof(*conf));
	if (!conf) {
		pr_warn("out of memory");
		return HP_EXIT_SYSTEM;
	}
	if (config_load(conf, path)) {
		pr_warn("%s", conf->error);
		free(conf);
		return HP_EXIT_USAGE;
	}
	if (conf->addr_from == HP_ADDR_FROM_NONE) {
		pr_warn("%s: watch: [Interface] has no PublicAddressFrom (dns:NAME, natpmp or "
			"interface:NAME)", path);
		free(conf);
		return HP_EXIT_USAGE;
	}
	err = public_addr_get(opts->pin_dir, &current);
	if (err) {
		if (err == -ENOENT)
			pr_warn("no running instance: no config map pinned at %s/%s (run `hairpin up')",
				opts->pin_dir, hp_pin_names[HP_PIN_CONFIG]);
		else
			pr_warn("couldn't map %s/%s: %s", opts->pin_dir,
				hp_pin_names[HP_PIN_CONFIG], strerror(-err));
		free(conf);
		return HP_EXIT_SYSTEM;
	}
	sig_fd = loop_signals_open("watch");
	if (sig_fd < 0) {
		free(conf);
		return HP_EXIT_SYSTEM;
	}
	if (follow_open(&f, "watch", opts->pin_dir, conf->addr_from, conf->addr_from_name)) {
		close(sig_fd);
		free(conf);
		return HP_EXIT_SYSTEM;
	}
	pr_info("watch: the public address is %s; following %s", fmt_ip4(f.current, a),
		source_label(f.source));
	status = watch_loop(&f, sig_fd);
	follow_close(&f);
	close(sig_fd);
	free(conf);
	return status;
}

const struct hp_command watch_command = {
	.name = "watch",
	.main = watch_main,
	.args_size = sizeof(struct watch_args),
	.operands = watch_operands,
	.summary = "keep the public address current from PublicAddressFrom",
	.help = "Runs until stopped, keeping the running instance's public address current from\n"
		"PublicAddressFrom in CONFIG (dns:NAME, natpmp or interface:NAME). SIGHUP asks the\n"
		"source again at once; SIGTERM or SIGINT end it.\n",
};

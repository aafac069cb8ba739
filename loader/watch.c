// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin watch [CONFIG]: keep the running instance's public address current from
 * PublicAddressFrom (dns:NAME, natpmp, interface:NAME), until SIGTERM or SIGINT.
 *
 * One poll loop over a signalfd and the source's fd (source.h). Each answer of the source is
 * compared with the config map and written with public_addr_set(), as set-public-ip writes
 * it, only when it differs; each change is one line of the log. A failing source (a resolver
 * that does not answer, a silent gateway, an interface without an address) changes nothing:
 * the last good address stays. Every minute the map is compared with the last good address
 * again, so that an `up` that wrote its PublicAddress over it, or a `down` and `up`, is
 * corrected. SIGHUP asks the source again at once.
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
#include "config.h"
#include "format.h"
#include "log.h"
#include "pins.h"
#include "public_addr.h"
#include "source.h"

#define RECONCILE_MS (60 * 1000)

struct watch {
	const char *pin_dir;
	struct source *source;
	__be32 current;		/* the public address as watch knows it */
	__be32 last_good;	/* the source's last accepted answer; 0: none yet */
	__be32 refused;		/* the last answer refused, so that it is logged once */
	bool has_refused;
	bool instance_missing;	/* logged once until it is back */
};

static void instance_gone(struct watch *w)
{
	if (!w->instance_missing)
		pr_warn("watch: no running instance: no config map pinned at %s/%s (waiting for "
			"`hairpin up')", w->pin_dir, hp_pin_names[HP_PIN_CONFIG]);
	w->instance_missing = true;
}

/* The source gave an address that can't be the public address: said once, and kept out. */
static void watch_refused(struct watch *w, __be32 addr, const char *why)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (w->refused != addr || !w->has_refused)
		pr_warn("%s gave %s, refused: it %s; keeping %s", source_label(w->source),
			fmt_ip4(addr, a), why, fmt_ip4(w->current, b));
	w->refused = addr;
	w->has_refused = true;
}

/* Make @addr the public address unless it already is; @quiet: a reconcile, not an answer. */
static void watch_apply(struct watch *w, __be32 addr, bool quiet)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	const char *label = source_label(w->source);
	const char *why = NULL;
	__be32 old = 0;
	int err;

	err = public_addr_get(w->pin_dir, &old);
	if (!err && old == addr) {
		if (w->instance_missing)
			pr_info("watch: the instance in %s is back", w->pin_dir);
		w->instance_missing = false;
		w->current = addr;
		w->last_good = addr;
		if (!quiet)
			pr_debug("public address stays %s (%s)", fmt_ip4(addr, a), label);
		return;
	}
	if (!err)
		err = public_addr_set(w->pin_dir, addr, &old, &why);
	switch (err) {
	case 0:
		w->instance_missing = false;
		pr_info("public address %s -> %s (%s)", fmt_ip4(old, a), fmt_ip4(addr, b), label);
		w->current = addr;
		w->last_good = addr;
		w->has_refused = false;
		break;
	case -ENOENT:
		/* Applied when the instance is back (the reconcile timer). */
		instance_gone(w);
		w->last_good = addr;
		break;
	case -EINVAL:
		watch_refused(w, addr, why);
		break;
	default:
		pr_warn("couldn't map %s/%s: %s", w->pin_dir, hp_pin_names[HP_PIN_CONFIG],
			strerror(-err));
	}
}

/* What the source said: an address is applied, the rest goes to the log. */
static void watch_event(struct watch *w, const struct source_event *ev, __u64 now)
{
	const char *label = source_label(w->source);
	char a[INET_ADDRSTRLEN], retry[48] = "", count[32] = "";

	switch (ev->type) {
	case SOURCE_ADDRESS:
		watch_apply(w, ev->addr, false);
		break;
	case SOURCE_FAILED:
		if (ev->retry_at != SOURCE_NEVER)
			snprintf(retry, sizeof(retry), ", asking again in %llu s",
				 (unsigned long long)(ev->retry_at - now) / 1000);
		if (ev->failures)
			snprintf(count, sizeof(count), " (%u failures in a row)", ev->failures);
		/* A new reason is worth a warning, the same one again not. */
		if (ev->repeated)
			pr_debug("%s: %s%s%s", label, ev->text, count, retry);
		else
			pr_warn("%s: %s: keeping %s%s", label, ev->text, fmt_ip4(w->current, a),
				retry);
		break;
	case SOURCE_NOTICE:
		pr_info("%s: %s", label, ev->text);
		break;
	case SOURCE_WARNING:
		pr_warn("%s: %s", label, ev->text);
		break;
	}
}

/* poll()'s timeout for the earlier of two deadlines. */
static int timeout_ms(__u64 now, __u64 a, __u64 b)
{
	__u64 t = a < b ? a : b;

	if (t <= now)
		return 0;
	return t - now > 60 * 60 * 1000 ? 60 * 60 * 1000 : (int)(t - now);
}

static int watch_loop(struct watch *w, int sig_fd)
{
	struct source *s = w->source;
	__u64 reconcile_at = source_clock_ms() + RECONCILE_MS;
	char a[INET_ADDRSTRLEN];

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = source_fd(s), .events = POLLIN },
		};
		struct source_events events;
		__u64 now = source_clock_ms();

		if (poll(fds, 2, timeout_ms(now, source_deadline(s), reconcile_at)) < 0 &&
		    errno != EINTR) {
			pr_warn("watch: poll: %s", strerror(errno));
			return HP_EXIT_SYSTEM;
		}
		now = source_clock_ms();
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					pr_debug("SIGHUP: asking %s again", source_label(s));
					source_ask(s, now);
				} else {
					pr_info("watch: stopping on SIG%s; the public address stays %s",
						sigabbrev_np(si.ssi_signo), fmt_ip4(w->current, a));
					return HP_EXIT_OK;
				}
			}
		}
		if (fds[1].revents || now >= source_deadline(s)) {
			source_step(s, now, w->current, &events);
			for (int i = 0; i < events.n; i++)
				watch_event(w, &events.event[i], now);
		}
		if (now >= reconcile_at) {
			if (w->last_good)
				watch_apply(w, w->last_good, true);
			reconcile_at = now + RECONCILE_MS;
		}
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
	struct watch w = { .pin_dir = opts->pin_dir };
	struct hp_config_file *conf;
	char a[INET_ADDRSTRLEN], err_text[SOURCE_TEXT_MAX + 64];
	sigset_t mask;
	int sig_fd, status, err;

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
	err = public_addr_get(opts->pin_dir, &w.current);
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

	/* Signals arrive through the poll loop. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		pr_warn("watch: signalfd: %s", strerror(errno));
		free(conf);
		return HP_EXIT_SYSTEM;
	}

	w.source = source_open(conf->addr_from, conf->addr_from_name, err_text, sizeof(err_text));
	if (!w.source) {
		pr_warn("%s", err_text);
		close(sig_fd);
		free(conf);
		return HP_EXIT_SYSTEM;
	}
	pr_info("watch: the public address is %s; following %s", fmt_ip4(w.current, a),
		source_label(w.source));
	status = watch_loop(&w, sig_fd);
	source_close(w.source);
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

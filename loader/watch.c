// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin watch [CONFIG]: keep the running instance's public address current from
 * PublicAddressFrom (dns:NAME, natpmp, interface:NAME), until SIGTERM or SIGINT.
 *
 * One poll loop over a signalfd and the source's fds. Each answer of the source is compared
 * with the config map and written with public_addr_set(), as set-public-ip writes it, only
 * when it differs; each change is one line of the log. A failing source (a resolver that does
 * not answer, a silent gateway, an interface without an address) changes nothing: the last
 * good address stays. Every minute the map is compared with the last good address again, so
 * that an `up` that wrote its PublicAddress over it, or a `down` and `up`, is corrected.
 * SIGHUP asks the source again at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "format.h"
#include "log.h"
#include "pins.h"
#include "public_addr.h"
#include "watch.h"

#define RECONCILE_MS (60 * 1000)

struct watch {
	const char *pin_dir;
	struct watch_source *source;
	__be32 last_good;	/* the source's last accepted answer; 0: none yet */
	__be32 refused;		/* the last answer refused, so that it is logged once */
	bool has_refused;
	bool instance_missing;	/* logged once until it is back */
};

__u64 watch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__u64 watch_backoff_ms(unsigned int failures)
{
	__u64 ms = WATCH_BACKOFF_FIRST_MS;

	while (failures-- > 1 && ms < WATCH_BACKOFF_MAX_MS)
		ms *= 2;
	return ms < WATCH_BACKOFF_MAX_MS ? ms : WATCH_BACKOFF_MAX_MS;
}

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
		pr_warn("%s gave %s, refused: it %s; keeping %s", w->source->label,
			inet_ntop(AF_INET, &addr, a, sizeof(a)), why, fmt_ip4(w->source->current, b));
	w->refused = addr;
	w->has_refused = true;
}

/* Make @addr the public address unless it already is; @quiet: a reconcile, not an answer. */
static void watch_apply(struct watch *w, __be32 addr, bool quiet)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	struct watch_source *s = w->source;
	const char *why = NULL;
	__be32 old = 0;
	int err;

	err = public_addr_get(w->pin_dir, &old);
	if (!err && old == addr) {
		if (w->instance_missing)
			pr_info("watch: the instance in %s is back", w->pin_dir);
		w->instance_missing = false;
		s->current = addr;
		w->last_good = addr;
		if (!quiet)
			pr_debug("public address stays %s (%s)", fmt_ip4(addr, a), s->label);
		return;
	}
	if (!err)
		err = public_addr_set(w->pin_dir, addr, &old, &why);
	switch (err) {
	case 0:
		w->instance_missing = false;
		pr_info("public address %s -> %s (%s)", fmt_ip4(old, a), fmt_ip4(addr, b), s->label);
		s->current = addr;
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

static struct watch_source *source_new(const struct hp_config_file *conf)
{
	switch (conf->addr_from) {
	case HP_ADDR_FROM_DNS:
		return dns_source_new(conf->addr_from_name);
	case HP_ADDR_FROM_NATPMP:
		return natpmp_source_new();
	case HP_ADDR_FROM_INTERFACE:
		return ifaddr_source_new(conf->addr_from_name);
	default:
		return NULL;
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
	struct watch_source *s = w->source;
	__u64 reconcile_at = watch_now_ms() + RECONCILE_MS;
	char a[INET_ADDRSTRLEN];

	for (;;) {
		struct pollfd fds[1 + WATCH_MAX_FDS] = { { .fd = sig_fd, .events = POLLIN } };
		int n = 1 + s->poll_fds(s, fds + 1);
		__u64 now = watch_now_ms();
		__be32 addr;

		if (poll(fds, n, timeout_ms(now, s->deadline(s), reconcile_at)) < 0 &&
		    errno != EINTR) {
			pr_warn("watch: poll: %s", strerror(errno));
			return HP_EXIT_SYSTEM;
		}
		now = watch_now_ms();
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					pr_debug("SIGHUP: asking %s again", s->label);
					s->ask(s, now);
				} else {
					pr_info("watch: stopping on SIG%s; the public address stays %s",
						sigabbrev_np(si.ssi_signo), fmt_ip4(s->current, a));
					return HP_EXIT_OK;
				}
			}
		}
		if (s->run(s, fds + 1, n - 1, now, &addr))
			watch_apply(w, addr, false);
		if (now >= reconcile_at) {
			if (w->last_good)
				watch_apply(w, w->last_good, true);
			reconcile_at = now + RECONCILE_MS;
		}
	}
}

int watch_main(int argc, char **argv, const struct hp_options *opts)
{
	const char *path = argc > 1 ? argv[1] : HP_DEFAULT_CONFIG;
	struct watch w = { .pin_dir = opts->pin_dir };
	struct hp_config_file *conf;
	char a[INET_ADDRSTRLEN];
	__be32 start = 0;
	sigset_t mask;
	int sig_fd, status, err;

	if (argc > 2) {
		pr_warn("watch: too many arguments: `%s'", argv[2]);
		return HP_EXIT_USAGE;
	}
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
	err = public_addr_get(opts->pin_dir, &start);
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

	/* Signals arrive through the poll loop; a DNS query's thread never sees them. */
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
	/* A write to the pipe of a DNS query that outlives the loop must not kill us. */
	signal(SIGPIPE, SIG_IGN);

	w.source = source_new(conf);
	if (!w.source) {
		close(sig_fd);
		free(conf);
		return HP_EXIT_SYSTEM;
	}
	w.source->current = start;
	pr_info("watch: the public address is %s; following %s", fmt_ip4(start, a), w.source->label);
	status = watch_loop(&w, sig_fd);
	w.source->destroy(w.source);
	close(sig_fd);
	free(conf);
	return status;
}

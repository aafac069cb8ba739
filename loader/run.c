// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin run [CONFIG]: the daemon. It converges the kernel to CONFIG and keeps it there, as
 * the network comes and goes: a Device that appears (late at boot, re-plugged, renamed back)
 * is attached, one that goes is let go, an address the configuration needs (the Device's own
 * for LocalAddress, a route to a Target) is waited for and followed; PublicAddressFrom is
 * followed as `watch` follows it (follow.h). SIGHUP reads CONFIG again, SIGTERM and SIGINT end
 * it. The datapath never depends on it: it leaves everything attached when it ends or dies,
 * and takes over what it finds when it starts (`up`'s replace path).
 *
 * Event driven, one poll loop: an rtnetlink socket subscribed to link, IPv4 address, IPv4 route
 * and IPv4 netconf (forwarding) events, the signalfd, the follower's fd. An event is only the
 * trigger, the kernel's state the truth: after a burst of events has settled (SETTLE_MS), one
 * convergence makes a plan from CONFIG as the host is now (plan_make(), a Device that does not
 * exist left out), and runs `up` with it (up_apply()) when it differs from the plan the
 * instance carries, or when the kernel no longer shows this instance's programs on every
 * planned Device. A plan that cannot be made (no address yet for LocalAddress, no route to a
 * Target) changes nothing: the daemon says once what it waits for, and waits. A lost event
 * (ENOBUFS) costs one convergence. Nothing is looked at on a timer but a failed up's retry
 * (the watchdog's ping looks at nothing). A bridge as Device is its ports (plan.c), which come
 * and go as link events too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "attached.h"
#include "backoff.h"
#include "commands.h"
#include "config.h"
#include "follow.h"
#include "format.h"
#include "instance.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "plan.h"
#include "probe.h"
#include "run_state.h"
#include "source.h"
#include "up.h"

/* How long events must have been quiet before a convergence: a device comes with a burst. */
#define SETTLE_MS 100
/* The receive buffer for events: room for a burst of a few hundred devices' messages. */
#define EVENTS_RCVBUF (1 << 20)

struct run {
	const char *pin_dir;
	const char *config_path;
	struct hp_config_file *conf;	/* the configuration in force */
	struct hp_plan *plan;		/* scratch: the plan of this convergence */
	struct hp_plan *applied;	/* the plan the instance carries (has_applied) */
	bool has_applied;
	struct hp_plan *failed;		/* the plan whose up failed last (failures > 0) */
	unsigned int failures;		/* ups failed in a row */
	__u64 retry_at;

	struct follow follow;
	bool following;
	int events_fd;
	int sig_fd;
	int state_fd;
	char state_path[PATH_MAX];
	struct run_state state;
	char said_waiting[RUN_STATE_MAX_WAITING * RUN_STATE_TEXT];	/* logged last */
	__u64 converge_at;		/* SOURCE_NEVER: no event waits */
	bool reloading;			/* this convergence is a SIGHUP's */
};

static int events_open(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE,
	};
	int group = RTNLGRP_IPV4_NETCONF, size = EVENTS_RCVBUF;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	/* A larger buffer makes ENOBUFS rarer; a smaller one only costs a convergence. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Read what the kernel sent: that something changed is all it says. Whether any came. */
static bool events_drain(struct run *r)
{
	char buf[8192];
	bool any = false;

	for (int i = 0; i < 10000; i++) {
		ssize_t n = recv(r->events_fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0 || (n < 0 && errno == ENOBUFS)) {
			/* ENOBUFS: events were lost; the convergence reads the state anyway. */
			any = true;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			pr_warn("run: reading network events: %s", strerror(errno));
		break;
	}
	return any;
}

/* Whether the kernel shows this instance's programs on both directions of every Device. */
static bool kernel_carries(const struct run *r, const struct hp_plan *plan)
{
	struct hp_self self;
	struct hp_scan scan;
	bool all = true;

	if (instance_self(r->pin_dir, &self) || !self.config_map_id)
		return false;
	if (attached_scan(&self, &scan))
		return false;
	for (int i = 0; i < plan->n_devices && all; i++) {
		const struct hp_netdev *dev = attached_netdev(&scan, plan->devices[i].ifindex);
		bool ingress = false, egress = false;

		for (int a = 0; dev && a < dev->n_attachments; a++) {
			const struct hp_attachment *at = &dev->attachments[a];

			if (at->prog.owner != HP_OWNER_SELF)
				continue;
			if (at->direction == HP_DIR_INGRESS)
				ingress = true;
			else
				egress = true;
		}
		all = ingress && egress;
	}
	attached_free(&scan);
	return all;
}

static void state_add_waiting(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void state_add_waiting(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->state.n_waiting >= RUN_STATE_MAX_WAITING)
		return;
	va_start(ap, fmt);
	vsnprintf(r->state.waiting[r->state.n_waiting++], RUN_STATE_TEXT, fmt, ap);
	va_end(ap);
}

/* The state file, STATUS= for systemd, and a line of the log when what it waits for changed. */
static void state_publish(struct run *r)
{
	char now[sizeof(r->said_waiting)] = "", status[sizeof(now) + 64];
	size_t at = 0;
	int err;

	for (int i = 0; i < r->state.n_waiting; i++)
		at += snprintf(now + at, sizeof(now) - at, "%s%s", i ? "; " : "",
			       r->state.waiting[i]);
	if (strcmp(now, r->said_waiting)) {
		if (now[0])
			pr_info("run: waiting for: %s", now);
		else if (r->said_waiting[0])
			pr_info("run: waits for nothing any more");
		snprintf(r->said_waiting, sizeof(r->said_waiting), "%s", now);
	}
	err = run_state_write(r->state_path, &r->state);
	if (err)
		pr_warn("run: couldn't write %s: %s", r->state_path, strerror(-err));
	if (now[0])
		snprintf(status, sizeof(status), "STATUS=waiting for: %s", now);
	else
		snprintf(status, sizeof(status), "STATUS=%s", r->has_applied ? "attached" : "idle");
	notify_send(status);
}

/* The public address to carry: the follower's, when it is one the plan can take. */
static void plan_public_addr(const struct run *r, struct hp_plan *plan)
{
	__be32 addr = r->following ? follow_address(&r->follow) : 0;

	/* The Devices as CONFIG names them: a bridge's LAN is the bridge's, not its ports'. */
	if (!addr || plan_public_addr_problem(addr, (char (*)[IF_NAMESIZE])r->conf->devices,
					      r->conf->n_devices))
		return;
	plan->has_public_addr = true;
	plan->public_addr = addr;
}

/*
 * One convergence. Return: 0, or HP_EXIT_SYSTEM when an up failed (it is retried after
 * backoff, or at once when the plan changes).
 */
static int converge(struct run *r, __u64 now)
{
	struct log_capture problems;
	bool captured;
	int status;

	r->converge_at = SOURCE_NEVER;
	r->state.n_waiting = 0;
	/* What the plan cannot have yet is said once, as what the daemon waits for. */
	captured = log_capture_begin(&problems);
	status = plan_make(r->conf, r->plan, true);
	if (captured)
		log_capture_end();
	for (int i = 0; i < r->plan->n_missing; i++)
		state_add_waiting(r, "Device %s (no such device)", r->plan->missing[i]);
	for (int i = 0; i < r->plan->n_portless; i++)
		state_add_waiting(r, "a port of the bridge %s (Device %s has none)",
				  r->plan->portless[i], r->plan->portless[i]);
	if (status) {
		state_add_waiting(r, "%s", problems.text);
		if (r->reloading)
			pr_err("run: %s cannot be applied yet (%s); the running instance stays as it "
			       "was", r->config_path, problems.text);
		state_publish(r);
		return 0;
	}
	plan_public_addr(r, r->plan);
	if (r->has_applied && !memcmp(r->applied, r->plan, sizeof(*r->plan)) &&
	    kernel_carries(r, r->plan)) {
		state_publish(r);
		return 0;
	}
	if (r->failures && !memcmp(r->failed, r->plan, sizeof(*r->plan)) && now < r->retry_at) {
		state_add_waiting(r, "another try of what failed, in %llu s",
				  (unsigned long long)(r->retry_at - now + 999) / 1000);
		state_publish(r);
		return HP_EXIT_SYSTEM;
	}
	pr_debug("run: bringing the instance to the configuration as the network is now");
	status = up_apply(r->pin_dir, r->plan);
	if (status) {
		r->failures++;
		r->retry_at = now + backoff_ms(r->failures);
		memcpy(r->failed, r->plan, sizeof(*r->plan));
		pr_err("run: couldn't bring the instance to %s (%u failure%s in a row); trying again "
		       "in %llu s, or when the network changes", r->config_path, r->failures,
		       r->failures == 1 ? "" : "s",
		       (unsigned long long)(r->retry_at - now) / 1000);
		state_add_waiting(r, "another try of what failed, in %llu s",
				  (unsigned long long)(r->retry_at - now) / 1000);
		state_publish(r);
		return HP_EXIT_SYSTEM;
	}
	r->failures = 0;
	memcpy(r->applied, r->plan, sizeof(*r->plan));
	r->has_applied = true;
	for (int i = 0; i < r->plan->n_devices; i++)
		if (r->plan->devices[i].bridge[0])
			pr_info("run: %s is attached (a port of %s)", r->plan->devices[i].name,
				r->plan->devices[i].bridge);
		else
			pr_info("run: %s is attached", r->plan->devices[i].name);
	state_publish(r);
	return 0;
}

/* PublicAddressFrom of @conf followed, or nothing followed when it has none. */
static int follow_config(struct run *r, const struct hp_config_file *conf)
{
	if (r->following)
		follow_close(&r->follow);
	r->following = false;
	if (conf->addr_from == HP_ADDR_FROM_NONE)
		return 0;
	if (follow_open(&r->follow, "run", r->pin_dir, conf->addr_from, conf->addr_from_name))
		return -1;
	r->follow.owns_instance = true;
	r->following = true;
	pr_info("run: following %s for the public address", source_label(r->follow.source));
	return 0;
}

/* SIGHUP: CONFIG read again. One that cannot be read or parsed changes nothing. */
static void reload(struct run *r, __u64 now)
{
	struct hp_config_file *conf = calloc(1, sizeof(*conf));
	bool same_source;

	if (!conf) {
		pr_err("run: reload: out of memory; the running instance stays as it was");
		return;
	}
	if (config_load(conf, r->config_path)) {
		pr_err("run: reload: %s; the running instance stays as it was", conf->error);
		free(conf);
		return;
	}
	pr_info("run: reload: read %s", r->config_path);
	same_source = conf->addr_from == r->conf->addr_from &&
		      !strcmp(conf->addr_from_name, r->conf->addr_from_name);
	free(r->conf);
	r->conf = conf;
	if (!same_source) {
		if (follow_config(r, conf))
			pr_err("run: reload: PublicAddressFrom is not followed");
	} else if (r->following) {
		/* As watch does on SIGHUP: a hook or a DHCP renewal may have changed it. */
		follow_ask(&r->follow, now);
	}
	r->reloading = true;
	converge(r, now);
	r->reloading = false;
}

/* After the follower applied an answer: the instance carries it, no up needed for it. */
static void follow_applied(struct run *r)
{
	__be32 addr = follow_address(&r->follow);

	if (!r->has_applied || !addr || r->applied->public_addr == addr)
		return;
	r->applied->public_addr = addr;
	r->applied->has_public_addr = true;
	/* The public address changed: a plan with it checks it against the Devices' LANs. */
	r->converge_at = source_clock_ms();
}

/*
 * The loop: at most one convergence per burst of events, a follower's step when it is due,
 * and with a watchdog (WatchdogSec=) a ping at half its time: a daemon stuck anywhere (a
 * netlink reply that never comes) is restarted by systemd, the datapath staying as it is.
 */
static int run_loop(struct run *r)
{
	__u64 watchdog_ms = notify_watchdog_ms(), ping_at = source_clock_ms() + watchdog_ms;

	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = r->sig_fd, .events = POLLIN },
			{ .fd = r->events_fd, .events = POLLIN },
			{ .fd = r->following ? follow_fd(&r->follow) : -1, .events = POLLIN },
		};
		__u64 now = source_clock_ms(), due = r->converge_at;

		if (r->failures && r->retry_at < due)
			due = r->retry_at;
		if (r->following && follow_deadline(&r->follow) < due)
			due = follow_deadline(&r->follow);
		if (watchdog_ms && ping_at < due)
			due = ping_at;
		if (poll(fds, 3, due == SOURCE_NEVER ? -1 : loop_timeout_ms(now, due)) < 0 &&
		    errno != EINTR) {
			pr_err("run: poll: %s", strerror(errno));
			return HP_EXIT_SYSTEM;
		}
		now = source_clock_ms();
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(r->sig_fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					reload(r, now);
				} else {
					notify_send("STOPPING=1");
					pr_info("run: stopping on SIG%s; what is attached stays (`hairpin "
						"down' removes it)", sigabbrev_np(si.ssi_signo));
					return HP_EXIT_OK;
				}
			}
		}
		if ((fds[1].revents & POLLIN) && events_drain(r) && r->converge_at == SOURCE_NEVER)
			r->converge_at = now + SETTLE_MS;
		if (r->following && (fds[2].revents || now >= follow_deadline(&r->follow))) {
			follow_step(&r->follow, now);
			follow_applied(r);
		}
		if (now >= r->converge_at || (r->failures && now >= r->retry_at))
			converge(r, now);
		if (watchdog_ms && source_clock_ms() >= ping_at) {
			notify_send("WATCHDOG=1");
			ping_at = source_clock_ms() + watchdog_ms;
		}
	}
}

struct run_args {
	const char *config;
};

static const struct hp_operand run_operands[] = {
	HP_OPERAND("CONFIG", struct run_args, config, false, HP_DEFAULT_CONFIG),
	{},
};

static int run_start(struct run *r)
{
	int err;

	r->state_fd = run_state_claim(r->pin_dir, r->state_path, sizeof(r->state_path));
	if (r->state_fd < 0)
		return HP_EXIT_SYSTEM;
	r->state.pid = getpid();
	snprintf(r->state.config, sizeof(r->state.config), "%s", r->config_path);
	r->events_fd = events_open();
	if (r->events_fd < 0) {
		pr_warn("run: couldn't listen to network events (rtnetlink): %s",
			strerror(-r->events_fd));
		return HP_EXIT_SYSTEM;
	}
	r->sig_fd = loop_signals_open("run");
	if (r->sig_fd < 0)
		return HP_EXIT_SYSTEM;
	if (follow_config(r, r->conf))
		return HP_EXIT_SYSTEM;
	pr_info("run: keeping the instance of %s at %s as the network comes and goes",
		r->pin_dir, r->config_path);
	/*
	 * The events socket is open before the first look at the network, so that nothing that
	 * changes between the two is missed. A first up that fails is no retry: the system refused
	 * (permissions, the kernel), and the service manager restarts the daemon.
	 */
	err = converge(r, source_clock_ms());
	if (err)
		return err;
	/* Ready: every Device that exists is attached, or waits for what the plan needs. */
	r->state.ready = true;
	state_publish(r);
	notify_send("READY=1");
	return run_loop(r);
}

static int run_main(const void *args, const struct hp_options *opts)
{
	struct run r = {
		.pin_dir = opts->pin_dir,
		.config_path = ((const struct run_args *)args)->config,
		.events_fd = -1,
		.sig_fd = -1,
		.state_fd = -1,
		.converge_at = SOURCE_NEVER,
	};
	int status = HP_EXIT_SYSTEM;

	r.conf = calloc(1, sizeof(*r.conf));
	r.plan = calloc(1, sizeof(*r.plan));
	r.applied = calloc(1, sizeof(*r.applied));
	r.failed = calloc(1, sizeof(*r.failed));
	if (!r.conf || !r.plan || !r.applied || !r.failed) {
		pr_warn("out of memory");
		goto out;
	}
	if (config_load(r.conf, r.config_path)) {
		pr_warn("%s", r.conf->error);
		status = HP_EXIT_USAGE;
		goto out;
	}
	/* Permissions, then a kernel that lacks a feature: no waiting makes up for those. */
	if (probe_kernel())
		goto out;
	status = run_start(&r);
out:
	if (r.following)
		follow_close(&r.follow);
	if (r.state_fd >= 0)
		run_state_release(r.state_fd, r.state_path);
	if (r.events_fd >= 0)
		close(r.events_fd);
	if (r.sig_fd >= 0)
		close(r.sig_fd);
	free(r.conf);
	free(r.plan);
	free(r.applied);
	free(r.failed);
	return status;
}

const struct hp_command run_command = {
	.name = "run",
	.main = run_main,
	.args_size = sizeof(struct run_args),
	.operands = run_operands,
	.summary = "the daemon: keep the kernel as CONFIG says while the network changes",
	.help = "Runs until stopped, keeping the instance as CONFIG says whatever the network does:\n"
		"attaches to each Device when it appears and again when it is created anew or renamed\n"
		"back, waits for the addresses and routes that CONFIG needs, and follows\n"
		"PublicAddressFrom as watch does. `hairpin status' says what it waits for. SIGHUP\n"
		"reads CONFIG again (one that cannot be applied changes nothing); SIGTERM or SIGINT\n"
		"end it, leaving the datapath as it is: `hairpin down' removes it. Started again, it\n"
		"takes over the running instance without a gap. As hairpin.service's ExecStart, it\n"
		"tells systemd when it is ready (Type=notify).\n",
};

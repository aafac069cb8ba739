// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin monitor [--count N] [--buffer-size KIB]: translations as they happen, a line each, as
 * terse as tcpdump.
 *
 * Every monitor gets every event: each holds one of HP_MONITOR_SLOTS slots and reads a ring
 * buffer of its own, which it puts in its slot of the pinned monitors map (a ring buffer has
 * one consumer position, so two monitors sharing one would each see part of the events). A
 * slot is held by a lease in the config map (struct hp_config), claimed with a
 * compare-and-swap and renewed every second LEASE_NS ahead, so that a monitor that is killed
 * frees its slot, and stops costing the programs anything, within LEASE_NS. With nobody
 * watching, a translated packet pays one load for all this.
 *
 * Both maps are pinned and `up` reuses them, so a monitor goes on across `up`, whatever it
 * replaces. Once a second the monitor looks at the pin dir: when the config map pinned there
 * is no longer the one it watches, the instance went down (`down`, perhaps followed by an
 * `up` that made new maps), and the monitor says so and ends with status 0. It also says
 * when its ring buffer was full and events were lost, with their count, and when it was
 * stopped past its lease.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attached.h"
#include "commands.h"
#include "instance.h"
#include "format.h"
#include "log.h"
#include "pins.h"

#define NS_PER_SEC 1000000000ULL
#define LEASE_NS (3 * NS_PER_SEC)
/* How often the lease is renewed, the pin dir looked at and lost events reported. */
#define CHECK_NS NS_PER_SEC

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = 1;
}

static __u64 clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

enum monitor_end {
	MONITOR_RUNNING = 0,
	MONITOR_DONE,		/* --count reached, a signal, or stdout closed: status 0 */
	MONITOR_INSTANCE_GONE,	/* the instance went down: status 0, after saying so */
	MONITOR_FAILED,		/* status 1, after saying why */
};

struct monitor {
	const char *pin_dir;
	int config_fd;
	int monitors_fd;
	int ring_fd;
	__u32 config_id;	/* the config map of the instance watched, by id */
	struct hp_config *config;	/* mmapped */
	struct ring_buffer *rb;
	int slot;		/* -1: none held */
	__u64 lease;		/* the lease last stored in the slot */
	__u32 ring_size;	/* bytes: a power of two, whole pages */

	__u64 wall_minus_mono_ns;	/* to print an event's monotonic time as wall clock */
	long remaining;			/* events left to print; < 0: no limit */
	enum monitor_end end;
};

/* The latest lease of any slot is what the programs test first: never lower it. */
static void until_raise(struct hp_config *config, __u64 lease)
{
	__u64 cur = __atomic_load_n(&config->monitor_until_ns, __ATOMIC_ACQUIRE);

	while (cur < lease && !__atomic_compare_exchange_n(&config->monitor_until_ns, &cur, lease,
							    false, __ATOMIC_ACQ_REL,
							    __ATOMIC_ACQUIRE))
		;
}

/*
 * Claim a slot whose lease has passed (or was never taken), put our ring buffer in it and
 * start the lease. Between the claim and the insertion the slot may still hold a dead
 * monitor's ring buffer, which gets the events of that moment: they came before ours began.
 */
static int slot_claim(struct monitor *mon)
{
	struct hp_config *config = mon->config;

	for (int i = 0; i < HP_MONITOR_SLOTS; i++) {
		__u64 now = clock_ns(CLOCK_MONOTONIC);
		__u64 old = __atomic_load_n(&config->monitor_lease_ns[i], __ATOMIC_ACQUIRE);
		__u64 lease = now + LEASE_NS;
		__u32 key = i;

		if (old > now ||
		    !__atomic_compare_exchange_n(&config->monitor_lease_ns[i], &old, lease, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		if (bpf_map_update_elem(mon->monitors_fd, &key, &mon->ring_fd, BPF_ANY)) {
			int err = -errno;

			__atomic_compare_exchange_n(&config->monitor_lease_ns[i], &lease, 0, false,
						    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
			pr_warn("monitor: couldn't put a ring buffer in the monitors map: %s",
				strerror(-err));
			return err;
		}
		/* What the slot's last holder lost is not ours to report. */
		__atomic_exchange_n(&config->monitor_lost[i], 0, __ATOMIC_ACQ_REL);
		until_raise(config, lease);
		mon->slot = i;
		mon->lease = lease;
		return 0;
	}
	pr_warn("monitor: all %d monitor slots of the instance at %s are taken (as many monitors "
		"run); end one, or wait %llu s for a killed one's to expire",
		HP_MONITOR_SLOTS, mon->pin_dir, LEASE_NS / NS_PER_SEC);
	return -EBUSY;
}

/*
 * Give the slot back: the ring buffer leaves the map first, while the lease (still ours, and
 * a second from its end at least) keeps other monitors out, so that the removal can never
 * take a newcomer's ring buffer. A lease nearer its end leaves the ring buffer in the slot
 * for the next monitor to replace.
 */
static void slot_release(struct monitor *mon)
{
	__u64 *word;
	__u32 key = mon->slot;

	if (mon->slot < 0)
		return;
	word = &mon->config->monitor_lease_ns[mon->slot];
	if (__atomic_load_n(word, __ATOMIC_ACQUIRE) == mon->lease &&
	    clock_ns(CLOCK_MONOTONIC) + NS_PER_SEC < mon->lease)
		bpf_map_delete_elem(mon->monitors_fd, &key);
	__atomic_compare_exchange_n(word, &mon->lease, 0, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
	mon->slot = -1;
}

static void report_lost(struct monitor *mon)
{
	__u64 lost;

	if (mon->slot < 0)
		return;
	lost = __atomic_exchange_n(&mon->config->monitor_lost[mon->slot], 0, __ATOMIC_ACQ_REL);
	if (lost)
		pr_warn("monitor lost %llu event%s (ring buffer full)", (unsigned long long)lost,
			lost == 1 ? "" : "s");
}

/*
 * Push the lease LEASE_NS ahead. A monitor stopped (SIGSTOP, a debugger) past its lease
 * finds either its slot still free, or taken by another monitor: it says what it missed and
 * goes on, in a new slot if need be.
 */
static int lease_renew(struct monitor *mon, __u64 now)
{
	__u64 *word = &mon->config->monitor_lease_ns[mon->slot];
	__u64 expected = mon->lease, lease = now + LEASE_NS;

	if (__atomic_compare_exchange_n(word, &expected, lease, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		if (now >= mon->lease)
			pr_warn("monitor: stopped for %.1f s past its lease; translations in that "
				"time were not reported", (now - mon->lease) / 1e9);
		until_raise(mon->config, lease);
		mon->lease = lease;
		return 0;
	}
	pr_warn("monitor: stopped past its lease, and another monitor took its slot; "
		"translations since %.1f s ago were not reported", (now - mon->lease) / 1e9);
	report_lost(mon);
	mon->slot = -1;
	return slot_claim(mon);
}

/* Whether the config map pinned in the pin dir is still the one watched. */
static bool instance_present(const struct monitor *mon)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = pins_open(mon->pin_dir, HP_PIN_CONFIG);
	bool same;

	if (fd < 0)
		return false;
	same = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.id == mon->config_id;
	close(fd);
	return same;
}

/*
 * Whether the reader of stdout went away (| head): a pipe's write end then polls as an error.
 * Seen here too, not only by a write, so that a monitor with nothing to print ends as well.
 */
static bool reader_gone(void)
{
	struct pollfd pfd = { .fd = STDOUT_FILENO };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL));
}

/* Once a second: renew the lease, say what was lost, and see that the instance is there. */
static void monitor_check(struct monitor *mon, __u64 now)
{
	report_lost(mon);
	if (reader_gone()) {
		mon->end = MONITOR_DONE;
		return;
	}
	if (!instance_present(mon)) {
		pr_info("the instance at %s went down; monitor ends", mon->pin_dir);
		mon->end = MONITOR_INSTANCE_GONE;
		return;
	}
	if (lease_renew(mon, now))
		mon->end = MONITOR_FAILED;
}

/* "a.b.c.d" or "a.b.c.d:port" into @buf. */
static const char *endpoint(char *buf, size_t len, __be32 addr, __be16 port, bool with_port)
{
	char ip[INET_ADDRSTRLEN];

	if (with_port)
		snprintf(buf, len, "%s:%u", fmt_ip4(addr, ip), ntohs(port));
	else
		snprintf(buf, len, "%s", fmt_ip4(addr, ip));
	return buf;
}

/*
 * One line per event; "=>" marks the end that was rewritten:
 *   12:00:01.250 lan0 in  udp 192.0.2.10:46464 > 203.0.113.7:51820 => 192.0.2.1:51820
 *   12:00:01.251 lan0 out udp 192.0.2.1:51820 => 203.0.113.7:51820 > 192.0.2.10:46464
 * A non-first fragment has no ports; an ICMP error shows its outer addresses and the ports
 * of the packet it carries.
 */
static int print_event(void *ctx, void *data, size_t size)
{
	struct monitor *mon = ctx;
	const struct hp_event *e = data;
	bool ports = e->kind == HP_EVENT_PACKET, in = e->direction == HP_DIR_INGRESS;
	char when[32], dev[IF_NAMESIZE] = "?", s[32], d[32], n[32];
	time_t secs;
	__u64 wall;
	struct tm tm;

	if (size < sizeof(*e) || !mon->remaining)
		return 0;
	wall = e->time_ns + mon->wall_minus_mono_ns;
	secs = wall / NS_PER_SEC;
	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if_indextoname(e->ifindex, dev);
	endpoint(s, sizeof(s), e->saddr, e->sport, ports);
	endpoint(d, sizeof(d), e->daddr, e->dport, ports);
	endpoint(n, sizeof(n), e->new_addr, e->new_port, ports);
	printf("%s.%03llu %s %-3s %s%s ", when, (unsigned long long)(wall / 1000000 % 1000), dev,
	       in ? "in" : "out", fmt_protocol(e->protocol),
	       e->kind == HP_EVENT_FRAGMENT ? " fragment" : e->kind == HP_EVENT_ICMP ? " icmp-error" : "");
	if (in)
		printf("%s > %s => %s\n", s, d, n);
	else
		printf("%s => %s > %s\n", s, n, d);
	if (mon->remaining > 0 && !--mon->remaining)
		mon->end = MONITOR_DONE;
	return 0;
}

/* A pinned map of the running instance, by its pin. -errno, said. */
static int pin_open(const struct monitor *mon, enum hp_pin pin, int *fd)
{
	int err;

	*fd = pins_open(mon->pin_dir, pin);
	err = *fd < 0 ? *fd : 0;
	if (err == -ENOENT)
		pr_warn("no running instance: nothing pinned at %s (run `hairpin up')",
			mon->pin_dir);
	else if (err)
		pr_warn("couldn't open pinned map %s/%s: %s", mon->pin_dir, hp_pin_names[pin],
			strerror(-err));
	return err;
}

/*
 * The monitors map, through the programs that use it: a map of maps carries no BTF, and so it
 * is not pinned with the others (every pinned map can be dumped by field name).
 */
static int monitors_open(struct monitor *mon)
{
	struct hp_scan scan;
	struct hp_self self;
	int err = instance_self(mon->pin_dir, &self);

	if (!err)
		err = attached_scan(&self, &scan);
	if (err)
		return err;
	mon->monitors_fd = instance_find_map(&scan, "hp_monitors");
	attached_free(&scan);
	if (mon->monitors_fd == -ENOENT)
		pr_warn("no program of the instance at %s is attached anywhere: nothing to monitor "
			"(`hairpin status' says more)", mon->pin_dir);
	else if (mon->monitors_fd < 0)
		pr_warn("couldn't find the programs' monitors map: %s", strerror(-mon->monitors_fd));
	return mon->monitors_fd < 0 ? mon->monitors_fd : 0;
}

/* Open what the monitor needs of the running instance, make its ring buffer, take a slot. */
static int monitor_open(struct monitor *mon)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int err;

	err = pin_open(mon, HP_PIN_CONFIG, &mon->config_fd);
	if (!err)
		err = monitors_open(mon);
	if (err)
		return err;
	if (bpf_obj_get_info_by_fd(mon->config_fd, &info, &len)) {
		err = -errno;
		pr_warn("couldn't look at the config map: %s", strerror(errno));
		return err;
	}
	mon->config_id = info.id;
	err = pins_map_config(mon->config_fd, &mon->config);
	if (err) {
		mon->config = NULL;
		pr_warn("couldn't map the config map: %s", strerror(-err));
		return err;
	}
	mon->ring_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "hp_monitor", 0, 0, mon->ring_size,
				      NULL);
	if (mon->ring_fd < 0) {
		err = -errno;
		pr_warn("couldn't create a ring buffer of %u KiB: %s", mon->ring_size / 1024,
			strerror(errno));
		return err;
	}
	mon->rb = ring_buffer__new(mon->ring_fd, print_event, mon, NULL);
	if (!mon->rb) {
		err = -errno;
		pr_warn("couldn't map the ring buffer: %s", strerror(errno));
		return err;
	}
	return slot_claim(mon);
}

static void monitor_close(struct monitor *mon)
{
	slot_release(mon);
	ring_buffer__free(mon->rb);
	if (mon->config)
		pins_unmap_config(mon->config);
	if (mon->ring_fd >= 0)
		close(mon->ring_fd);
	if (mon->monitors_fd >= 0)
		close(mon->monitors_fd);
	if (mon->config_fd >= 0)
		close(mon->config_fd);
}

/* Events until the end; stdout is flushed after each batch the ring buffer hands over. */
static void monitor_loop(struct monitor *mon)
{
	__u64 next_check = clock_ns(CLOCK_MONOTONIC) + CHECK_NS;

	while (mon->end == MONITOR_RUNNING) {
		__u64 now = clock_ns(CLOCK_MONOTONIC);
		int err;

		if (now >= next_check) {
			monitor_check(mon, now);
			next_check = now + CHECK_NS;
			continue;
		}
		err = ring_buffer__poll(mon->rb, (next_check - now) / 1000000 + 1);
		if (err < 0 && err != -EINTR) {
			pr_warn("couldn't read the ring buffer: %s", strerror(-err));
			mon->end = MONITOR_FAILED;
		}
		if (fflush(stdout)) {
			/* A reader that went away (| head) is an end, not a failure. */
			if (errno != EPIPE) {
				pr_warn("couldn't write the events: %s", strerror(errno));
				mon->end = MONITOR_FAILED;
			} else {
				mon->end = MONITOR_DONE;
			}
		}
		if (stopping && mon->end == MONITOR_RUNNING)
			mon->end = MONITOR_DONE;
	}
	if (mon->end != MONITOR_FAILED)
		report_lost(mon);
}

struct monitor_args {
	long count;		/* 0: until interrupted */
	__u32 ring_size;	/* bytes; 0: HP_MONITOR_RING_SIZE */
};

/*
 * --buffer-size: the ring buffer in KiB, a power of two (the kernel's rule) from a page to
 * 1 GiB, into *(__u32 *)@field in bytes.
 */
static int parse_buffer_size(const char *cmd, const struct hp_option *opt, const char *text,
			     void *field)
{
	long page_kib = sysconf(_SC_PAGESIZE) / 1024;
	char *end;
	long kib;

	errno = 0;
	kib = strtol(text, &end, 10);
	if (errno || end == text || *end || kib < page_kib || kib > 1024 * 1024 ||
	    (kib & (kib - 1))) {
		pr_warn("monitor: --buffer-size is not a power of two from %ld to 1048576 (KiB): "
			"`%s'", page_kib, text);
		return -1;
	}
	*(__u32 *)field = kib * 1024;
	return 0;
}

static const struct hp_option monitor_options[] = {
	HP_OPT_POSITIVE("count", 'c', "N", struct monitor_args, count, "end after N lines"),
	HP_OPT_CUSTOM("buffer-size", 'B', "KIB", struct monitor_args, ring_size, __u32,
		      parse_buffer_size, "the ring buffer: a power of two, in KiB (default 256)"),
	{},
};

static int monitor_main(const void *args, const struct hp_options *opts)
{
	const struct monitor_args *a = args;
	struct sigaction sa = { .sa_handler = on_signal };
	struct monitor mon = {
		.pin_dir = opts->pin_dir,
		.config_fd = -1,
		.monitors_fd = -1,
		.ring_fd = -1,
		.slot = -1,
		.ring_size = a->ring_size ? a->ring_size : HP_MONITOR_RING_SIZE,
		.remaining = a->count ? a->count : -1,
	};

	if (monitor_open(&mon)) {
		monitor_close(&mon);
		return HP_EXIT_SYSTEM;
	}
	/* No SA_RESTART: a signal must end the poll. A closed stdout is seen by fflush(). */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	mon.wall_minus_mono_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	setvbuf(stdout, NULL, _IOFBF, 0);
	pr_info("monitoring the instance at %s (slot %d of %d); interrupt to end", mon.pin_dir,
		mon.slot, HP_MONITOR_SLOTS);
	monitor_loop(&mon);
	monitor_close(&mon);
	return mon.end == MONITOR_FAILED ? HP_EXIT_SYSTEM : HP_EXIT_OK;
}

const struct hp_command monitor_command = {
	.name = "monitor",
	.main = monitor_main,
	.args_size = sizeof(struct monitor_args),
	.options = monitor_options,
	.summary = "print translations as they happen",
	.help = "Prints one line per translation as it happens, until interrupted or N lines. Up to\n"
		"eight monitors run at once, each seeing every translation; one goes on across `up'\n"
		"and ends when `down' takes the instance away. The programs report only while a\n"
		"monitor runs.\n",
};

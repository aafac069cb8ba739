// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin monitor [--count N]: translations as they happen, a line each, as terse as tcpdump.
 *
 * The programs report to a ring buffer only while a monitor holds a lease in the config map
 * (hp_config.monitor_until_ns), which this command keeps pushing LEASE_NS ahead: with nobody
 * watching, the fast path pays one load per translated packet and nothing else, and a monitor
 * that is killed stops the reporting within LEASE_NS. The ring buffer is not pinned (it has no
 * keys or values for `bpftool map dump`); it is found through the attached programs' maps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "format.h"
#include "log.h"
#include "maps.h"
#include "pins.h"

#define LEASE_NS (3 * 1000000000ULL)
#define POLL_MS 1000

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = 1;
}

static __u64 clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The events ring buffer, among the maps of a program hairpin attached. -errno if none. */
static int events_fd_of_prog(__u32 prog_id)
{
	__u32 map_ids[16], n_maps = sizeof(map_ids) / sizeof(map_ids[0]);
	struct bpf_prog_info info = { .nr_map_ids = n_maps, .map_ids = (__u64)(unsigned long)map_ids };
	__u32 len = sizeof(info);
	int prog_fd = bpf_prog_get_fd_by_id(prog_id), err = -ENOENT;

	if (prog_fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	for (__u32 i = 0; i < info.nr_map_ids && i < n_maps; i++) {
		struct bpf_map_info map = {};
		__u32 map_len = sizeof(map);
		int fd = bpf_map_get_fd_by_id(map_ids[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &map, &map_len) && !strcmp(map.name, "hp_events")) {
			err = fd;
			break;
		}
		close(fd);
	}
out:
	close(prog_fd);
	return err;
}

static int events_fd(int devices_fd)
{
	struct hp_device *devices;
	int n, fd = -ENOENT;

	if (maps_read_devices(devices_fd, &devices, &n))
		return -errno;
	for (int i = 0; i < n && fd < 0; i++)
		fd = events_fd_of_prog(devices[i].egress_prog_id);
	free(devices);
	return fd;
}

struct monitor {
	__u64 wall_minus_mono_ns;	/* to print an event's monotonic time as wall clock */
	long remaining;			/* events left to print; < 0: no limit */
};

/* "a.b.c.d" or "a.b.c.d:port" into @buf. */
static const char *endpoint(char *buf, size_t len, __be32 addr, __be16 port, bool with_port)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	if (with_port)
		snprintf(buf, len, "%s:%u", ip, ntohs(port));
	else
		snprintf(buf, len, "%s", ip);
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
	secs = wall / 1000000000ULL;
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
		stopping = 1;
	return 0;
}

static int monitor_run(int fds[HP_PIN_COUNT], long count)
{
	struct monitor mon = {
		.wall_minus_mono_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC),
		.remaining = count,
	};
	struct ring_buffer *rb = NULL;
	struct hp_config *config;
	int ev_fd, err;

	ev_fd = events_fd(fds[HP_PIN_DEVICES]);
	if (ev_fd < 0) {
		pr_warn("couldn't find the events ring buffer of the attached programs: %s",
			strerror(-ev_fd));
		return HP_EXIT_SYSTEM;
	}
	err = pins_map_config(fds[HP_PIN_CONFIG], &config);
	if (err) {
		pr_warn("couldn't map the config map: %s", strerror(-err));
		close(ev_fd);
		return HP_EXIT_SYSTEM;
	}
	rb = ring_buffer__new(ev_fd, print_event, &mon, NULL);
	if (!rb) {
		pr_warn("couldn't open the events ring buffer: %s", strerror(errno));
		err = -errno;
		goto out;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stopping) {
		/* Coarse time is what the programs compare with: stay well ahead of it. */
		__atomic_store_n(&config->monitor_until_ns, clock_ns(CLOCK_MONOTONIC) + LEASE_NS,
				 __ATOMIC_RELEASE);
		err = ring_buffer__poll(rb, POLL_MS);
		if (err < 0 && err != -EINTR) {
			pr_warn("couldn't read the events ring buffer: %s", strerror(-err));
			break;
		}
		err = 0;
	}
	/* Other monitors may hold the lease too: let it run out rather than cut theirs. */
out:
	ring_buffer__free(rb);
	pins_unmap_config(config);
	close(ev_fd);
	return err ? HP_EXIT_SYSTEM : HP_EXIT_OK;
}

int monitor_main(int argc, char **argv, const struct hp_options *opts)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int fds[HP_PIN_COUNT], status;
	long count = -1;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			count = strtol(argv[++i], &end, 10);
			if (*end || count <= 0) {
				pr_warn("monitor: --count is not a positive number: `%s'", argv[i]);
				return HP_EXIT_USAGE;
			}
		} else {
			pr_warn("monitor: unknown argument: `%s' (usage: hairpin monitor [--count N])",
				argv[i]);
			return HP_EXIT_USAGE;
		}
	}
	if (pins_open_all(opts->pin_dir, fds)) {
		pr_warn("no running instance: nothing pinned at %s (run `hairpin up')",
			opts->pin_dir);
		return HP_EXIT_SYSTEM;
	}
	/* No SA_RESTART: a signal must end the poll. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	status = monitor_run(fds, count);
	pins_close_all(fds);
	return status;
}

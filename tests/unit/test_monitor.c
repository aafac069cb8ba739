// SPDX-License-Identifier: GPL-2.0
/*
 * The ring buffers of `hairpin monitor`: a translation is reported to every slot of the
 * monitors map whose lease in the config map runs, with the addresses and ports as before the
 * rewrite and the rewritten end; without a lease, or with an expired one, nothing is reported;
 * a full ring buffer counts what it could not take.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test.h"
#include "hairpin.h"
#include "hairpin.skel.h"

struct frame {
	struct ethhdr eth;
	struct iphdr iph;
	struct udphdr udp;
	char payload[16];
} __attribute__((packed));

#define MAX_EVENTS 512

/* What one ring buffer handed over. */
struct received {
	struct hp_event events[MAX_EVENTS];
	int n;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct received *got = ctx;

	if (got->n < MAX_EVENTS && size >= sizeof(struct hp_event))
		memcpy(&got->events[got->n++], data, sizeof(struct hp_event));
	return 0;
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct frame udp_to_public(__u16 sport)
{
	struct frame f = {
		.eth = { .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP,
			 .tot_len = htons(sizeof(f) - sizeof(f.eth)) },
		.udp = { .source = htons(sport), .dest = htons(51820),
			 .len = htons(sizeof(f) - sizeof(f.eth) - sizeof(f.iph)) },
	};

	inet_pton(AF_INET, "192.0.2.10", &f.iph.saddr);
	inet_pton(AF_INET, "203.0.113.7", &f.iph.daddr);
	return f;
}

/* A loaded object with one forward, udp/51820 -> 192.0.2.1:51821; NULL on failure. */
static struct hairpin *load_with_forward(void)
{
	__u32 key = hp_forward_index(IPPROTO_UDP, 51820);
	struct hp_forward fwd = { .target_port = htons(51821), .stats_index = 3 };
	struct hairpin *skel = hairpin__open_and_load();

	if (!CHECK(skel, "hairpin__open_and_load: %s", strerror(errno)))
		return NULL;
	inet_pton(AF_INET, "192.0.2.1", &fwd.target_addr);
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_forwards), &key, &fwd, BPF_ANY),
	      "add forward: %s", strerror(errno));
	return skel;
}

/*
 * The config with the public address, the target and these leases: until is the latest
 * lease, as the monitors keep it, unless @until is given (not 0).
 */
static void set_leases(struct hairpin *skel, const __u64 lease[HP_MONITOR_SLOTS], __u64 until)
{
	struct hp_config config = { .hz = 1000, .refresh_jiffies = 1000 };
	__u32 zero = 0;

	inet_pton(AF_INET, "203.0.113.7", &config.public_addr);
	config.ingress_bits = hp_target_bit(config.public_addr);
	for (int i = 0; i < HP_FLOW_TIMEOUTS; i++)
		config.timeouts[i] = 3600 * 1000;
	for (int i = 0; i < HP_MONITOR_SLOTS; i++) {
		config.monitor_lease_ns[i] = lease[i];
		if (lease[i] > config.monitor_until_ns)
			config.monitor_until_ns = lease[i];
	}
	if (until)
		config.monitor_until_ns = until;
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_config), &zero, &config, BPF_ANY),
	      "set config: %s", strerror(errno));
}

static __u64 lost_of(struct hairpin *skel, int slot)
{
	struct hp_config config = {};
	__u32 zero = 0;

	CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.hp_config), &zero, &config),
	      "read config: %s", strerror(errno));
	return config.monitor_lost[slot];
}

/* A monitor's ring buffer, as `hairpin monitor` makes one, and its reader. */
struct ring {
	int fd;
	struct ring_buffer *rb;
};

/* A ring buffer of @size bytes in @slot of the monitors map, read into @got. */
static bool ring_open(struct ring *r, struct hairpin *skel, int slot, __u32 size,
		      struct received *got)
{
	__u32 key = slot;

	got->n = 0;
	r->rb = NULL;
	r->fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "test_ring", 0, 0, size, NULL);
	if (!CHECK(r->fd >= 0, "create a ring buffer of %u bytes: %s", size, strerror(errno)))
		return false;
	if (!CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_monitors), &key, &r->fd,
					BPF_ANY), "ring buffer into slot %d: %s", slot,
		   strerror(errno)))
		return false;
	r->rb = ring_buffer__new(r->fd, on_event, got, NULL);
	return CHECK(r->rb, "ring_buffer__new: %s", strerror(errno));
}

static void ring_close(struct ring *r)
{
	ring_buffer__free(r->rb);
	if (r->fd >= 0)
		close(r->fd);
}

/* Run @n packets (source ports 40000 on) through ingress @prog; the test run's failures count. */
static void run_packets(struct bpf_program *prog, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		struct frame f = udp_to_public(40000 + i), out;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = &f, .data_size_in = sizeof(f),
			    .data_out = &out, .data_size_out = sizeof(out), .repeat = 1);

		if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts))
			failed++;
	}
	CHECK_EQ(failed, 0, "failed test runs");
}

static struct bpf_program *ingress(struct hairpin *skel, bool xdp)
{
	return xdp ? skel->progs.hp_ingress_xdp : skel->progs.hp_ingress_tc;
}

/* Events only while the slot's lease runs, and as printed: before the rewrite, and where to. */
static void expect_events_only_under_lease(bool xdp)
{
	struct hairpin *skel = load_with_forward();
	__u64 lease[HP_MONITOR_SLOTS] = {};
	static struct received got;
	struct ring ring = { .fd = -1 };
	char addr[INET_ADDRSTRLEN];

	if (!skel || !ring_open(&ring, skel, 0, HP_MONITOR_RING_SIZE, &got))
		goto out;

	set_leases(skel, lease, 0);
	run_packets(ingress(skel, xdp), 1);
	ring_buffer__consume(ring.rb);
	CHECK_EQ(got.n, 0, "events with no lease");

	lease[0] = monotonic_ns() - 1000000000ULL;
	set_leases(skel, lease, 0);
	run_packets(ingress(skel, xdp), 1);
	ring_buffer__consume(ring.rb);
	CHECK_EQ(got.n, 0, "events with an expired lease");

	/* The slot's own lease counts, not only the latest of all. */
	set_leases(skel, lease, monotonic_ns() + 10000000000ULL);
	run_packets(ingress(skel, xdp), 1);
	ring_buffer__consume(ring.rb);
	CHECK_EQ(got.n, 0, "events with the slot's lease expired and another's running");

	lease[0] = monotonic_ns() + 10000000000ULL;
	set_leases(skel, lease, 0);
	run_packets(ingress(skel, xdp), 1);
	ring_buffer__consume(ring.rb);
	CHECK_EQ(got.n, 1, "events with a lease");
	if (got.n == 1) {
		const struct hp_event *e = &got.events[0];

		CHECK_EQ(e->direction, HP_DIR_INGRESS, "direction");
		CHECK_EQ(e->kind, HP_EVENT_PACKET, "kind");
		CHECK_EQ(e->protocol, IPPROTO_UDP, "protocol");
		inet_ntop(AF_INET, &e->saddr, addr, sizeof(addr));
		CHECK(!strcmp(addr, "192.0.2.10"), "saddr %s", addr);
		inet_ntop(AF_INET, &e->daddr, addr, sizeof(addr));
		CHECK(!strcmp(addr, "203.0.113.7"), "daddr (before the rewrite) %s", addr);
		inet_ntop(AF_INET, &e->new_addr, addr, sizeof(addr));
		CHECK(!strcmp(addr, "192.0.2.1"), "new_addr %s", addr);
		CHECK_EQ(ntohs(e->sport), 40000, "sport");
		CHECK_EQ(ntohs(e->dport), 51820, "dport");
		CHECK_EQ(ntohs(e->new_port), 51821, "new_port");
		CHECK(e->time_ns > 0 && e->time_ns <= monotonic_ns(), "time_ns %llu",
		      (unsigned long long)e->time_ns);
	}
	CHECK_EQ(lost_of(skel, 0), 0, "lost events");
out:
	ring_close(&ring);
	hairpin__destroy(skel);
}

/*
 * Two monitors each get every event: slots 2 and 5 hold live leases and ring buffers of their
 * own. Slot 3's lease runs with no ring buffer yet (a monitor between claim and insertion),
 * slot 6 has a ring buffer whose lease has passed (a killed monitor): neither gets anything,
 * and neither counts a loss.
 */
static void expect_every_slot_gets_every_event(bool xdp)
{
	static struct received got[HP_MONITOR_SLOTS];
	struct hairpin *skel = load_with_forward();
	__u64 lease[HP_MONITOR_SLOTS] = {}, live = monotonic_ns() + 10000000000ULL;
	const int slots[] = { 2, 5, 6 };
	struct ring rings[3] = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 } };

	if (!skel)
		goto out;
	for (int i = 0; i < 3; i++)
		if (!ring_open(&rings[i], skel, slots[i], HP_MONITOR_RING_SIZE, &got[slots[i]]))
			goto out;
	lease[2] = lease[5] = lease[3] = live;
	/* Well past: the programs read the coarse clock, a tick behind CLOCK_MONOTONIC. */
	lease[6] = monotonic_ns() - 1000000000ULL;
	set_leases(skel, lease, 0);
	run_packets(ingress(skel, xdp), 200);
	for (int i = 0; i < 3; i++)
		ring_buffer__consume(rings[i].rb);
	CHECK_EQ(got[2].n, 200, "events of the monitor in slot 2");
	CHECK_EQ(got[5].n, 200, "events of the monitor in slot 5");
	CHECK_EQ(got[6].n, 0, "events in the ring buffer of an expired lease");
	for (int i = 0; i < 200 && got[2].n == 200 && got[5].n == 200; i++) {
		if (!CHECK_EQ(ntohs(got[2].events[i].sport), 40000 + i, "slot 2's event in order") ||
		    !CHECK_EQ(ntohs(got[5].events[i].sport), 40000 + i, "slot 5's event in order"))
			break;
	}
	for (int slot = 0; slot < HP_MONITOR_SLOTS; slot++)
		CHECK(!lost_of(skel, slot), "slot %d lost %llu events", slot,
		      (unsigned long long)lost_of(skel, slot));
out:
	for (int i = 0; i < 3; i++)
		ring_close(&rings[i]);
	hairpin__destroy(skel);
}

/*
 * A ring buffer of one page, not read while 300 packets are translated: what does not fit is
 * counted in the slot's monitor_lost, exactly, and the packets are translated all the same.
 */
static void expect_full_ring_counts_lost(bool xdp)
{
	static struct received got;
	struct hairpin *skel = load_with_forward();
	__u64 lease[HP_MONITOR_SLOTS] = {};
	struct hp_stats stats = {};
	struct ring ring = { .fd = -1 };
	__u32 index = 3;
	int ncpus;

	if (!skel || !ring_open(&ring, skel, 4, getpagesize(), &got))
		goto out;
	lease[4] = monotonic_ns() + 10000000000ULL;
	set_leases(skel, lease, 0);
	run_packets(ingress(skel, xdp), 300);
	ring_buffer__consume(ring.rb);
	CHECK(got.n > 0 && got.n < 300, "events received: %d, want some but not all of 300", got.n);
	CHECK_EQ(got.n + lost_of(skel, 4), 300, "events received + events counted lost");

	/* The translations themselves all happened (stats slot 3, summed over the CPUs). */
	ncpus = libbpf_num_possible_cpus();
	if (ncpus > 0) {
		struct hp_stats percpu[ncpus];

		if (CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.hp_stats), &index, percpu),
			  "read stats: %s", strerror(errno)))
			for (int cpu = 0; cpu < ncpus; cpu++)
				stats.to_target_packets += percpu[cpu].to_target_packets;
		CHECK_EQ(stats.to_target_packets, 300, "packets translated");
	}
out:
	ring_close(&ring);
	hairpin__destroy(skel);
}

TEST_AS_ROOT(monitor_events_only_under_lease_xdp)
{
	expect_events_only_under_lease(true);
}

TEST_AS_ROOT(monitor_events_only_under_lease_tc)
{
	expect_events_only_under_lease(false);
}

TEST_AS_ROOT(monitor_every_live_slot_gets_every_event_xdp)
{
	expect_every_slot_gets_every_event(true);
}

TEST_AS_ROOT(monitor_every_live_slot_gets_every_event_tc)
{
	expect_every_slot_gets_every_event(false);
}

TEST_AS_ROOT(monitor_full_ring_counts_what_it_lost_xdp)
{
	expect_full_ring_counts_lost(true);
}

TEST_AS_ROOT(monitor_full_ring_counts_what_it_lost_tc)
{
	expect_full_ring_counts_lost(false);
}

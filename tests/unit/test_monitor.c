// SPDX-License-Identifier: GPL-2.0
/*
 * The events ring buffer of `hairpin monitor`: a translation is reported only while the
 * config's monitor lease runs, with the addresses and ports as before the rewrite and the
 * rewritten end; without a lease, or with an expired one, nothing is reported.
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

static struct hp_event events[8];
static int n_events;

static int on_event(void *ctx, void *data, size_t size)
{
	if (n_events < 8 && size >= sizeof(struct hp_event))
		memcpy(&events[n_events++], data, sizeof(struct hp_event));
	return 0;
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct frame udp_to_public(void)
{
	struct frame f = {
		.eth = { .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP,
			 .tot_len = htons(sizeof(f) - sizeof(f.eth)) },
		.udp = { .source = htons(40000), .dest = htons(51820),
			 .len = htons(sizeof(f) - sizeof(f.eth) - sizeof(f.iph)) },
	};

	inet_pton(AF_INET, "192.0.2.10", &f.iph.saddr);
	inet_pton(AF_INET, "203.0.113.7", &f.iph.daddr);
	return f;
}

/* Run one packet through ingress @prog with the lease set to @until; count the events. */
static int run_with_lease(struct hairpin *skel, struct bpf_program *prog, struct ring_buffer *rb,
			  __u64 until)
{
	struct hp_config config = { .monitor_until_ns = until, .hz = 1000, .refresh_jiffies = 1000 };
	struct frame f = udp_to_public(), out;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = &f, .data_size_in = sizeof(f),
		    .data_out = &out, .data_size_out = sizeof(out), .repeat = 1);
	__u32 zero = 0;

	inet_pton(AF_INET, "203.0.113.7", &config.public_addr);
	config.ingress_bits = hp_target_bit(config.public_addr);
	for (int i = 0; i < HP_FLOW_TIMEOUTS; i++)
		config.timeouts[i] = 3600 * 1000;
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_config), &zero, &config, BPF_ANY),
	      "set config: %s", strerror(errno));
	n_events = 0;
	CHECK(!bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), "test_run: %s",
	      strerror(errno));
	ring_buffer__consume(rb);
	return n_events;
}

static void expect_events_only_under_lease(bool xdp)
{
	__u32 key = hp_forward_index(IPPROTO_UDP, 51820);
	struct hp_forward fwd = { .target_port = htons(51821), .stats_index = 3 };
	struct hairpin *skel = hairpin__open_and_load();
	struct ring_buffer *rb = NULL;
	struct bpf_program *prog;
	char addr[INET_ADDRSTRLEN];

	if (!CHECK(skel, "hairpin__open_and_load: %s", strerror(errno)))
		goto out;
	prog = xdp ? skel->progs.hp_ingress_xdp : skel->progs.hp_ingress_tc;
	inet_pton(AF_INET, "192.0.2.1", &fwd.target_addr);
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_forwards), &key, &fwd, BPF_ANY),
	      "add forward: %s", strerror(errno));
	rb = ring_buffer__new(bpf_map__fd(skel->maps.hp_events), on_event, NULL, NULL);
	if (!CHECK(rb, "ring_buffer__new: %s", strerror(errno)))
		goto out;

	CHECK_EQ(run_with_lease(skel, prog, rb, 0), 0, "events with no lease");
	CHECK_EQ(run_with_lease(skel, prog, rb, monotonic_ns() - 1000000000ULL), 0,
		 "events with an expired lease");
	CHECK_EQ(run_with_lease(skel, prog, rb, monotonic_ns() + 10000000000ULL), 1,
		 "events with a lease");
	if (n_events == 1) {
		const struct hp_event *e = &events[0];

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
out:
	ring_buffer__free(rb);
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

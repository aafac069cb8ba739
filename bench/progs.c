// SPDX-License-Identifier: GPL-2.0
/*
 * bench/progs: what hairpin's programs cost per packet, next to null programs of the same type
 * (bench/null.bpf.c), with BPF_PROG_TEST_RUN; and what they take from the kernel: instructions
 * the verifier processed, program and map sizes. Part 1 and part 4 of `make bench`.
 *
 *   progs [-r ROUNDS] [-n REPEAT] [-s SEED] [-x DEV,DEV,...] OUTDIR
 *
 * writes OUTDIR/progs.tsv, one line per run: round, pair, config, program, direction, packet,
 * ns per packet as the kernel reports it, ns per packet by the CPU time the run took, whether
 * the run was checked good; and OUTDIR/resources.tsv. bench/report turns them into the tables.
 *
 * Each round runs every (config, program, packet) once and every probe (bench/probe.bpf.c:
 * one piece of the matched path alone) on the matched UDP packet, each in a pair with the
 * null program of its type on the same packet, run right before or after it (in turn, round
 * by round), so that each round's ratio compares two runs that shared the machine's state of
 * the moment. The pairs run in an order shuffled anew each round. Every config is its own
 * loaded skeleton with its own maps, filled once before the first round. The kernel reports
 * whole ns per packet, a step of 7% of a null tc program and 20% of a null XDP one here. The
 * CPU time of the thread that made the run (CLOCK_THREAD_CPUTIME_ID, which the test run's loop
 * runs in) has no steps and adds only the syscall's few µs over all the repeats, except where
 * an XDP test run swaps the XDP dispatcher's program (-x, xdp_attach_all()); unlike the wall
 * clock, it leaves out the time other tasks took the CPU in the middle of a run, as the
 * kernel's own timer does.
 *
 * A test run rewrites its one buffer in place, repeat after repeat: a program that rewrote
 * the destination would take its miss path from the second repeat on. So the matched
 * packets are made to match again after their rewrite: each forward's target is the public
 * address and the forwarded port themselves, and a reply's flow says it leaves from the very
 * address and port it already has. The programs rewrite every field to the value it has, which
 * costs what a real rewrite does (the same stores and checksum updates), and the stats
 * counters prove that the matched path ran on every repeat.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "hairpin.h"
#include "hairpin.skel.h"
#include "bench/null.skel.h"
#include "bench/probe.skel.h"
#include "csum.h"

/* Documentation addresses (RFC 5737, RFC 3849), as in the packet tests. */
#define IPV4(a, b, c, d) htonl((a) << 24 | (b) << 16 | (c) << 8 | (d))
#define PUBLIC_ADDR IPV4(203, 0, 113, 7)
#define TARGET_ADDR IPV4(192, 0, 2, 1)
#define CLIENT_ADDR IPV4(192, 0, 2, 10)
#define OTHER_ADDR IPV4(198, 51, 100, 20)	/* a host on the Internet */
/* The filler flows' clients: 192.0.2.100 and up, FILL_PORTS ports each. */
#define FILL_CLIENT_BASE (192u << 24 | 2u << 8 | 100u)
#define FILL_PORTS 50000

#define UDP_PORT 51820
#define TCP_PORT 443
#define UNFORWARDED_PORT 53
#define CLIENT_UDP_PORT 40000
#define CLIENT_TCP_PORT 50000
#define UDP_STATS 0
#define TCP_STATS 1

#define PAYLOAD_LEN 64	/* the end-to-end part sends the same */

struct udp4_frame {
	struct ethhdr eth;
	struct iphdr iph;
	struct udphdr udp;
	__u8 payload[PAYLOAD_LEN];
} __attribute__((packed));

struct tcp4_frame {
	struct ethhdr eth;
	struct iphdr iph;
	struct tcphdr tcp;
	__u8 payload[PAYLOAD_LEN];
} __attribute__((packed));

struct udp6_frame {
	struct ethhdr eth;
	struct ipv6hdr ip6h;
	struct udphdr udp;
	__u8 payload[PAYLOAD_LEN];
} __attribute__((packed));

union frame {
	struct udp4_frame udp4;
	struct tcp4_frame tcp4;
	struct udp6_frame udp6;
};

/* ---- Frames ----------------------------------------------------------------------------- */

/* The IPv4 header checksum and the UDP/TCP checksum with its pseudo-header (RFC 768/793). */
static void csum_ipv4(struct iphdr *iph, void *l4, __u16 l4_len, __sum16 *l4_check)
{
	iph->check = htons(csum_ipv4_header(iph));
	*l4_check = htons(csum_l4(iph, l4, l4_len));
}

static void eth_init(struct ethhdr *eth, __u16 proto)
{
	static const __u8 host[ETH_ALEN] = { 0x02, 0x48, 0x50, 0x00, 0x00, 0x01 };
	static const __u8 client[ETH_ALEN] = { 0x02, 0x48, 0x50, 0x00, 0x00, 0x0a };

	memcpy(eth->h_dest, host, ETH_ALEN);
	memcpy(eth->h_source, client, ETH_ALEN);
	eth->h_proto = htons(proto);
}

static void ipv4_init(struct iphdr *iph, __u8 protocol, __be32 saddr, __be32 daddr,
		      __u16 l4_len)
{
	*iph = (struct iphdr){
		.version = 4, .ihl = 5, .ttl = 64, .protocol = protocol,
		.tot_len = htons(sizeof(*iph) + l4_len), .id = htons(1), .frag_off = htons(0x4000),
		.saddr = saddr, .daddr = daddr,
	};
}

/*
 * The headers are filled in aligned locals and copied into the packed frame: the frame's
 * IPv4 header sits at offset 14, where the compiler may not take its address.
 */
static __u32 udp4_build(union frame *f, __be32 saddr, __u16 sport, __be32 daddr, __u16 dport)
{
	struct udp4_frame *p = &f->udp4;
	__u16 l4_len = sizeof(struct udphdr) + PAYLOAD_LEN;
	struct {
		struct udphdr udp;
		__u8 payload[PAYLOAD_LEN];
	} l4 = { .udp = { .source = htons(sport), .dest = htons(dport), .len = htons(l4_len) } };
	struct ethhdr eth;
	struct iphdr iph;

	memset(p, 0, sizeof(*p));
	eth_init(&eth, ETH_P_IP);
	ipv4_init(&iph, IPPROTO_UDP, saddr, daddr, l4_len);
	memset(l4.payload, 'h', PAYLOAD_LEN);
	csum_ipv4(&iph, &l4, l4_len, &l4.udp.check);
	memcpy(&p->eth, &eth, sizeof(eth));
	memcpy(&p->iph, &iph, sizeof(iph));
	memcpy(&p->udp, &l4, l4_len);
	return sizeof(*p);
}

static __u32 tcp4_build(union frame *f, __be32 saddr, __u16 sport, __be32 daddr, __u16 dport)
{
	struct tcp4_frame *p = &f->tcp4;
	__u16 l4_len = sizeof(struct tcphdr) + PAYLOAD_LEN;
	struct {
		struct tcphdr tcp;
		__u8 payload[PAYLOAD_LEN];
	} l4 = { .tcp = { .source = htons(sport), .dest = htons(dport), .seq = htonl(1),
			  .ack_seq = htonl(1), .doff = 5, .ack = 1, .psh = 1,
			  .window = htons(512) } };
	struct ethhdr eth;
	struct iphdr iph;

	memset(p, 0, sizeof(*p));
	eth_init(&eth, ETH_P_IP);
	ipv4_init(&iph, IPPROTO_TCP, saddr, daddr, l4_len);
	memset(l4.payload, 'h', PAYLOAD_LEN);
	csum_ipv4(&iph, &l4, l4_len, &l4.tcp.check);
	memcpy(&p->eth, &eth, sizeof(eth));
	memcpy(&p->iph, &iph, sizeof(iph));
	memcpy(&p->tcp, &l4, l4_len);
	return sizeof(*p);
}

/* Ingress and egress turn IPv6 away before reading past the EtherType: no checksum needed. */
static __u32 udp6_build(union frame *f, __u8 src_last, __u8 dst_last)
{
	struct udp6_frame *p = &f->udp6;
	__u16 l4_len = sizeof(struct udphdr) + PAYLOAD_LEN;
	struct ipv6hdr ip6h = {
		.version = 6, .payload_len = htons(l4_len), .nexthdr = IPPROTO_UDP,
		.hop_limit = 64,
		/* 2001:db8::x (RFC 3849) */
		.saddr.s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = src_last },
		.daddr.s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = dst_last },
	};
	struct udphdr udp = { .source = htons(CLIENT_UDP_PORT), .dest = htons(UDP_PORT),
			      .len = htons(l4_len), .check = htons(0x1234) };
	struct ethhdr eth;

	memset(p, 0, sizeof(*p));
	eth_init(&eth, ETH_P_IPV6);
	memcpy(&p->eth, &eth, sizeof(eth));
	memcpy(&p->ip6h, &ip6h, sizeof(ip6h));
	memcpy(&p->udp, &udp, sizeof(udp));
	memset(p->payload, 'h', PAYLOAD_LEN);
	return sizeof(*p);
}

enum direction { DIR_IN, DIR_OUT, N_DIRS };
static const char *const dir_names[N_DIRS] = { "in", "out" };

/*
 * The packets every program runs on. Ingress sees them from the client; egress sees what
 * leaves towards the LAN: replies of tracked flows, traffic from the Internet, replies of this
 * host's own services.
 */
enum packet_kind { PKT_UDP, PKT_TCP, PKT_LAN, PKT_UNFWD, PKT_IPV6, N_PACKETS };
static const char *const packet_names[N_PACKETS] = {
	[PKT_UDP] = "udp_match", [PKT_TCP] = "tcp_match", [PKT_LAN] = "lan_other",
	[PKT_UNFWD] = "public_unfwd", [PKT_IPV6] = "ipv6",
};

struct packet {
	union frame frame;
	__u32 len;
	__u32 stats_index;	/* matched packets: the counter they must move */
	bool matched;
};

static struct packet packets[N_DIRS][N_PACKETS];

static void packets_build(void)
{
	struct packet *in = packets[DIR_IN], *out = packets[DIR_OUT];

	/* client -> public:port; the forward sends it to public:port again (see above) */
	in[PKT_UDP].len = udp4_build(&in[PKT_UDP].frame, CLIENT_ADDR, CLIENT_UDP_PORT,
				     PUBLIC_ADDR, UDP_PORT);
	in[PKT_TCP].len = tcp4_build(&in[PKT_TCP].frame, CLIENT_ADDR, CLIENT_TCP_PORT,
				     PUBLIC_ADDR, TCP_PORT);
	/* client -> the Internet: what every other packet of the LAN is */
	in[PKT_LAN].len = udp4_build(&in[PKT_LAN].frame, CLIENT_ADDR, CLIENT_UDP_PORT,
				     OTHER_ADDR, TCP_PORT);
	/* client -> public address, a port nobody forwards */
	in[PKT_UNFWD].len = udp4_build(&in[PKT_UNFWD].frame, CLIENT_ADDR, CLIENT_UDP_PORT,
				       PUBLIC_ADDR, UNFORWARDED_PORT);
	in[PKT_IPV6].len = udp6_build(&in[PKT_IPV6].frame, 0x10, 0x01);

	/* the target's reply; the flow says it leaves from public:port, which it already does */
	out[PKT_UDP].len = udp4_build(&out[PKT_UDP].frame, PUBLIC_ADDR, UDP_PORT, CLIENT_ADDR,
				      CLIENT_UDP_PORT);
	out[PKT_TCP].len = tcp4_build(&out[PKT_TCP].frame, PUBLIC_ADDR, TCP_PORT, CLIENT_ADDR,
				      CLIENT_TCP_PORT);
	/* the Internet -> client: forwarded traffic, not from an address of this host */
	out[PKT_LAN].len = udp4_build(&out[PKT_LAN].frame, OTHER_ADDR, TCP_PORT, CLIENT_ADDR,
				      CLIENT_UDP_PORT);
	/* a service of this host (DNS on the target address) answering: a target address, no flow */
	out[PKT_UNFWD].len = udp4_build(&out[PKT_UNFWD].frame, TARGET_ADDR, UNFORWARDED_PORT,
					CLIENT_ADDR, CLIENT_UDP_PORT);
	out[PKT_IPV6].len = udp6_build(&out[PKT_IPV6].frame, 0x01, 0x10);

	for (int d = 0; d < N_DIRS; d++) {
		packets[d][PKT_UDP].matched = packets[d][PKT_TCP].matched = true;
		packets[d][PKT_UDP].stats_index = UDP_STATS;
		packets[d][PKT_TCP].stats_index = TCP_STATS;
	}
}

/* ---- Configs: one loaded skeleton each ------------------------------------------------ */

struct bench_config {
	struct hairpin *skel;
	__u32 forwards;		/* asked for */
	__u32 flows;
	__u32 flows_present;	/* in the LRU map after filling it */
	char name[32];
};

/* Forwards: the UDP and TCP ones the packets match, and more to fill the map. */
static const __u32 forward_counts[] = { 2, HP_MAX_FORWARDS };
/* Flows: the UDP and TCP ones the packets belong to, and more; the map holds 65536. */
static const __u32 flow_counts[] = { 2, 1000, HP_MAX_FLOWS };
#define N_CONFIGS (sizeof(forward_counts) / sizeof(forward_counts[0]) * \
		   sizeof(flow_counts) / sizeof(flow_counts[0]))

static struct bench_config configs[N_CONFIGS];
static struct bench_null *null_skel;
static struct bench_probe *probe_skel;

static int die(const char *what)
{
	fprintf(stderr, "progs: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void update(int fd, const void *key, const void *value, const char *what)
{
	if (bpf_map_update_elem(fd, key, value, BPF_ANY))
		die(what);
}

static void forward_put(int fd, __u8 protocol, __u16 port, __be32 target, __u32 stats_index)
{
	__u32 index = hp_forward_index(protocol, port);
	struct hp_forward value = {
		.target_addr = target, .target_port = htons(port), .stats_index = stats_index,
	};

	update(fd, &index, &value, "add a forward");
}

/* Mark (protocol, port) as a forward's target port, as `up' does. */
static void target_port_put(int fd, __u8 protocol, __u16 port)
{
	__u32 index = hp_target_port_word(protocol, port);
	__u64 word = 0;

	if (bpf_map_lookup_elem(fd, &index, &word))
		die("read the target ports");
	word |= hp_target_port_bit(port);
	update(fd, &index, &word, "add a target port");
}

/* The kernel's jiffies when the flows were filled: they are live, seen just now. */
static __u64 flows_seen_at;

static void flow_put(int fd, __be32 client, __u16 client_port, __be32 target, __u16 port,
		     __u8 protocol, __u32 stats_index)
{
	struct hp_flow_key key = {
		.client_addr = client, .target_addr = target, .client_port = htons(client_port),
		.target_port = htons(port), .protocol = protocol,
	};
	struct hp_flow value = {
		.public_addr = target, .public_port = htons(port), .stats_index = stats_index,
		.state = HP_FLOW_REPLIED, .last_seen = flows_seen_at,
	};

	update(fd, &key, &value, "add a flow");
}

static __u32 count_keys(int fd)
{
	struct hp_flow_key key, next;
	void *prev = NULL;
	__u32 n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static void config_load(struct bench_config *c, __u32 forwards, __u32 flows)
{
	struct hp_config config = {
		.public_addr = PUBLIC_ADDR,
		/* TARGET for this host's own services, PUBLIC for the matched-path trick */
		.target_bits = hp_target_bit(TARGET_ADDR) | hp_target_bit(PUBLIC_ADDR),
		.ingress_bits = hp_target_bit(TARGET_ADDR) | hp_target_bit(PUBLIC_ADDR),
		/* Flows never end here and are refreshed no more than `up' would: once a second
		 * at the highest HZ. No admission limit: every new flow is admitted. */
		.refresh_jiffies = 1000,
		.hz = 1000,
	};
	int fwd_fd, flow_fd;
	__u32 zero = 0;

	for (int i = 0; i < HP_FLOW_TIMEOUTS; i++)
		config.timeouts[i] = 0x7fffffff;
	if (clock_jiffies(&flows_seen_at))
		die("read the kernel's jiffies");

	c->skel = hairpin__open_and_load();
	if (!c->skel)
		die("load hairpin's skeleton");
	c->forwards = forwards;
	c->flows = flows;
	snprintf(c->name, sizeof(c->name), "fwd=%u,flows=%u", forwards, flows);
	update(bpf_map__fd(c->skel->maps.hp_config), &zero, &config, "set the config");

	fwd_fd = bpf_map__fd(c->skel->maps.hp_forwards);
	for (__u32 i = 0; i + 2 < forwards; i++)
		forward_put(fwd_fd, i % 2 ? IPPROTO_TCP : IPPROTO_UDP, 1000 + i, TARGET_ADDR,
			    2 + i);
	forward_put(fwd_fd, IPPROTO_UDP, UDP_PORT, PUBLIC_ADDR, UDP_STATS);
	forward_put(fwd_fd, IPPROTO_TCP, TCP_PORT, PUBLIC_ADDR, TCP_STATS);
	target_port_put(bpf_map__fd(c->skel->maps.hp_target_ports), IPPROTO_UDP, UDP_PORT);
	target_port_put(bpf_map__fd(c->skel->maps.hp_target_ports), IPPROTO_TCP, TCP_PORT);

	/* The measured flows go in last, so that a full LRU map evicts fillers, not them. */
	flow_fd = bpf_map__fd(c->skel->maps.hp_flows);
	for (__u32 i = 0; i + 2 < flows; i++)
		flow_put(flow_fd, htonl(FILL_CLIENT_BASE + i / FILL_PORTS), 10000 + i % FILL_PORTS,
			 TARGET_ADDR, UDP_PORT, IPPROTO_UDP, 2);
	flow_put(flow_fd, CLIENT_ADDR, CLIENT_UDP_PORT, PUBLIC_ADDR, UDP_PORT, IPPROTO_UDP,
		 UDP_STATS);
	flow_put(flow_fd, CLIENT_ADDR, CLIENT_TCP_PORT, PUBLIC_ADDR, TCP_PORT, IPPROTO_TCP,
		 TCP_STATS);
	c->flows_present = count_keys(flow_fd);
}

/* ---- Running ---------------------------------------------------------------------------- */

enum prog_kind {
	PROG_XDP_IN, PROG_TC_IN, PROG_TC_OUT, PROG_NULL_XDP, PROG_NULL_TC,
	/* bench/probe.bpf.c, run on the matched UDP packet only */
	PROG_PROBE_KTIME, PROG_PROBE_JIFFIES, PROG_PROBE_FORWARD, PROG_PROBE_FLOW, PROG_PROBE_INSERT,
	PROG_PROBE_STORE, PROG_PROBE_L4CSUM, PROG_PROBE_REWRITE, PROG_PROBE_REWRITE4, N_PROGS
};
#define FIRST_PROBE PROG_PROBE_KTIME
static const char *const prog_names[N_PROGS] = {
	[PROG_XDP_IN] = "xdp_ingress", [PROG_TC_IN] = "tc_ingress", [PROG_TC_OUT] = "tc_egress",
	[PROG_NULL_XDP] = "null_xdp", [PROG_NULL_TC] = "null_tc",
	[PROG_PROBE_KTIME] = "probe_ktime", [PROG_PROBE_JIFFIES] = "probe_jiffies",
	[PROG_PROBE_FORWARD] = "probe_forward_lookup",
	[PROG_PROBE_FLOW] = "probe_flow_lookup", [PROG_PROBE_INSERT] = "probe_flow_insert",
	[PROG_PROBE_STORE] = "probe_store_bytes",
	[PROG_PROBE_L4CSUM] = "probe_l4_csum", [PROG_PROBE_REWRITE] = "probe_rewrite_skb",
	[PROG_PROBE_REWRITE4] = "probe_rewrite_skb4",
};

struct item {
	int config;	/* -1 for the null programs */
	enum prog_kind prog;
	enum direction dir;
	enum packet_kind packet;
};

static int prog_fd(const struct item *it)
{
	struct hairpin *s = it->config >= 0 ? configs[it->config].skel : NULL;

	switch (it->prog) {
	case PROG_XDP_IN:
		return bpf_program__fd(s->progs.hp_ingress_xdp);
	case PROG_TC_IN:
		return bpf_program__fd(s->progs.hp_ingress_tc);
	case PROG_TC_OUT:
		return bpf_program__fd(s->progs.hp_egress_tc);
	case PROG_NULL_XDP:
		return bpf_program__fd(null_skel->progs.null_xdp);
	case PROG_NULL_TC:
		return bpf_program__fd(null_skel->progs.null_tc);
	case PROG_PROBE_KTIME:
		return bpf_program__fd(probe_skel->progs.probe_ktime);
	case PROG_PROBE_JIFFIES:
		return bpf_program__fd(probe_skel->progs.probe_jiffies);
	case PROG_PROBE_FORWARD:
		return bpf_program__fd(probe_skel->progs.probe_forward_lookup);
	case PROG_PROBE_FLOW:
		return bpf_program__fd(probe_skel->progs.probe_flow_lookup);
	case PROG_PROBE_INSERT:
		return bpf_program__fd(probe_skel->progs.probe_flow_insert);
	case PROG_PROBE_STORE:
		return bpf_program__fd(probe_skel->progs.probe_store_bytes);
	case PROG_PROBE_L4CSUM:
		return bpf_program__fd(probe_skel->progs.probe_l4_csum);
	case PROG_PROBE_REWRITE:
		return bpf_program__fd(probe_skel->progs.probe_rewrite_skb);
	default:
		return bpf_program__fd(probe_skel->progs.probe_rewrite_skb4);
	}
}

static bool is_xdp(enum prog_kind prog)
{
	return prog == PROG_XDP_IN || prog == PROG_NULL_XDP || prog == PROG_PROBE_KTIME ||
	       prog == PROG_PROBE_JIFFIES ||
	       prog == PROG_PROBE_FORWARD || prog == PROG_PROBE_FLOW || prog == PROG_PROBE_INSERT;
}

/* One counter of one stats slot, summed over CPUs. */
static __u64 stats_get(int config, __u32 index, enum direction dir)
{
	int ncpus = libbpf_num_possible_cpus();
	struct hp_stats per_cpu[ncpus > 0 ? ncpus : 1];
	__u64 sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(configs[config].skel->maps.hp_stats), &index,
				per_cpu))
		die("read the stats");
	for (int cpu = 0; cpu < ncpus; cpu++)
		sum += dir == DIR_IN ? per_cpu[cpu].to_target_packets
				     : per_cpu[cpu].to_client_packets;
	return sum;
}

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * run() - one BPF_PROG_TEST_RUN of REPEAT repeats.
 * Return: whether the run was what it should be: the pass verdict, the frame unchanged (the
 * matched ones are rewritten to what they were), and for a matched packet the stats counter
 * moved by exactly REPEAT, i.e. the matched path ran on every repeat.
 */
static bool run(const struct item *it, __u32 repeat, __u32 *ns_kernel, double *ns_cpu)
{
	const struct packet *p = &packets[it->dir][it->packet];
	union frame out;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = &p->frame,
		.data_size_in = p->len,
		.data_out = &out,
		.data_size_out = sizeof(out),
		.repeat = repeat,
	);
	bool check_stats = it->config >= 0 && p->matched;
	__u64 before = 0;
	double t0;
	int err;

	if (check_stats)
		before = stats_get(it->config, p->stats_index, it->dir);
	t0 = cpu_ns();
	err = bpf_prog_test_run_opts(prog_fd(it), &opts);
	*ns_cpu = (cpu_ns() - t0) / repeat;
	*ns_kernel = opts.duration;
	if (err) {
		fprintf(stderr, "progs: test run of %s on %s: %s\n", prog_names[it->prog],
			packet_names[it->packet], strerror(-err));
		return false;
	}
	if (opts.retval != (is_xdp(it->prog) ? XDP_PASS : (__u32)TC_ACT_UNSPEC) ||
	    opts.data_size_out != p->len || memcmp(&out, &p->frame, p->len))
		return false;
	return !check_stats ||
	       stats_get(it->config, p->stats_index, it->dir) - before == repeat;
}

static __u32 rand_state;

static __u32 rand_next(void)
{
	/* xorshift32: enough to shuffle, and the same order again for the same seed */
	rand_state ^= rand_state << 13;
	rand_state ^= rand_state >> 17;
	rand_state ^= rand_state << 5;
	return rand_state;
}

/* A program's run and its null program's on the same packet, which give one round's ratio. */
struct pair {
	struct item item, null;
	size_t id;	/* the same every round: bench/report joins the two runs by it */
};

static struct pair pair_of(struct item item, size_t id)
{
	return (struct pair){
		.item = item,
		.null = { -1, is_xdp(item.prog) ? PROG_NULL_XDP : PROG_NULL_TC, item.dir,
			  item.packet },
		.id = id,
	};
}

static void shuffle(struct pair *pairs, size_t n)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rand_next() % (i + 1);
		struct pair t = pairs[i];

		pairs[i] = pairs[j];
		pairs[j] = t;
	}
}

/*
 * An XDP test run of more than one repeat adds its program to the kernel's XDP dispatcher and
 * takes it out again after, each a new image, a text patch and a wait for an RCU grace period:
 * tens of ms in the run's wall-clock time, µs of it CPU time. A program already in the
 * dispatcher, because it is attached to a device, stays there at no cost. So every XDP program
 * is attached in generic mode to a device of its own from DEVS (a comma-separated list: veth
 * devices in a namespace that bench/run made for it), and the CPU time of its runs is the
 * program's, as for tc.
 * Return: whether they all were.
 */
static bool xdp_attach_all(char *devs)
{
	struct item xdp_items[N_CONFIGS + N_PROGS];
	size_t n = 0, i = 0;
	char *dev, *save = NULL;

	for (int cf = 0; cf < (int)N_CONFIGS; cf++)
		xdp_items[n++] = (struct item){ cf, PROG_XDP_IN, DIR_IN, PKT_UDP };
	for (int prog = PROG_NULL_XDP; prog < N_PROGS; prog++)
		if (is_xdp(prog))
			xdp_items[n++] = (struct item){ -1, prog, DIR_IN, PKT_UDP };
	for (dev = strtok_r(devs, ",", &save); dev && i < n; dev = strtok_r(NULL, ",", &save), i++) {
		int ifindex = if_nametoindex(dev);
		int err = ifindex ? bpf_xdp_attach(ifindex, prog_fd(&xdp_items[i]),
						   XDP_FLAGS_SKB_MODE, NULL) : -errno;

		if (err) {
			fprintf(stderr, "progs: attaching %s to %s (to keep it in the XDP dispatcher): %s\n",
				prog_names[xdp_items[i].prog], dev, strerror(-err));
			return false;
		}
	}
	if (i < n) {
		fprintf(stderr, "progs: -x names %zu devices, the XDP programs are %zu\n", i, n);
		return false;
	}
	return true;
}

/* ---- Resources (part 4) ---------------------------------------------------------------- */

static void prog_resources(FILE *out, const char *name, int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("get a program's info");
	fprintf(out, "prog\t%s\tverified_insns\t%u\n", name, info.verified_insns);
	fprintf(out, "prog\t%s\txlated_bytes\t%u\n", name, info.xlated_prog_len);
	fprintf(out, "prog\t%s\tjited_bytes\t%u\n", name, info.jited_prog_len);
}

/* What the kernel charges a map: "memlock:" in its fdinfo, as bpftool's bytes_memlock. */
static unsigned long long map_memlock(int fd)
{
	char path[64], line[256];
	unsigned long long bytes = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &bytes) == 1)
			break;
	fclose(f);
	return bytes;
}

static void resources(FILE *out)
{
	struct hairpin *s = configs[0].skel;
	struct bpf_map *map;
	unsigned long long total = 0;

	prog_resources(out, "xdp_ingress", bpf_program__fd(s->progs.hp_ingress_xdp));
	prog_resources(out, "tc_ingress", bpf_program__fd(s->progs.hp_ingress_tc));
	prog_resources(out, "tc_egress", bpf_program__fd(s->progs.hp_egress_tc));
	prog_resources(out, "null_xdp", bpf_program__fd(null_skel->progs.null_xdp));
	prog_resources(out, "null_tc", bpf_program__fd(null_skel->progs.null_tc));
	bpf_object__for_each_map(map, s->obj) {
		unsigned long long bytes;

		if (bpf_map__fd(map) < 0)	/* .rodata and friends, if any */
			continue;
		bytes = map_memlock(bpf_map__fd(map));
		total += bytes;
		fprintf(out, "map\t%s\tmemlock_bytes\t%llu\n", bpf_map__name(map), bytes);
		fprintf(out, "map\t%s\tmax_entries\t%u\n", bpf_map__name(map),
			bpf_map__max_entries(map));
	}
	fprintf(out, "map\ttotal\tmemlock_bytes\t%llu\n", total);
}

/* ---- main ------------------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: progs [-r ROUNDS] [-n REPEAT] [-s SEED] [-x DEV,DEV,...] OUTDIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	__u32 rounds = 15, repeat = 200000, seed = 0;
	size_t n_pairs = 0, bad = 0;
	struct pair *pairs;
	char path[4096], *xdp_devs = NULL;
	FILE *tsv, *res;
	int c;

	while ((c = getopt(argc, argv, "r:n:s:x:")) != -1) {
		switch (c) {
		case 'r':
			rounds = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			repeat = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 'x':
			xdp_devs = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc || !rounds || !repeat)
		usage();
	rand_state = seed ? seed : (__u32)time(NULL) ^ (__u32)getpid();
	if (!rand_state)
		rand_state = 1;

	packets_build();
	null_skel = bench_null__open_and_load();
	if (!null_skel)
		die("load the null programs");
	probe_skel = bench_probe__open_and_load();
	if (!probe_skel)
		die("load the probe programs");
	forward_put(bpf_map__fd(probe_skel->maps.probe_forwards), IPPROTO_UDP, UDP_PORT,
		    PUBLIC_ADDR, UDP_STATS);
	forward_put(bpf_map__fd(probe_skel->maps.probe_forwards), IPPROTO_TCP, TCP_PORT,
		    PUBLIC_ADDR, TCP_STATS);
	flow_put(bpf_map__fd(probe_skel->maps.probe_flows), CLIENT_ADDR, CLIENT_UDP_PORT,
		 PUBLIC_ADDR, UDP_PORT, IPPROTO_UDP, UDP_STATS);
	for (size_t i = 0, n = 0; i < sizeof(forward_counts) / sizeof(forward_counts[0]); i++)
		for (size_t j = 0; j < sizeof(flow_counts) / sizeof(flow_counts[0]); j++, n++) {
			config_load(&configs[n], forward_counts[i], flow_counts[j]);
			fprintf(stderr, "progs: config %s: %u flows in the map after filling it\n",
				configs[n].name, configs[n].flows_present);
		}

	pairs = calloc(N_CONFIGS * 3 * N_PACKETS + N_PROGS, sizeof(*pairs));
	if (!pairs)
		die("allocate");
	for (int cf = 0; cf < (int)N_CONFIGS; cf++)
		for (int p = 0; p < N_PACKETS; p++) {
			pairs[n_pairs] = pair_of((struct item){ cf, PROG_XDP_IN, DIR_IN, p }, n_pairs);
			n_pairs++;
			pairs[n_pairs] = pair_of((struct item){ cf, PROG_TC_IN, DIR_IN, p }, n_pairs);
			n_pairs++;
			pairs[n_pairs] = pair_of((struct item){ cf, PROG_TC_OUT, DIR_OUT, p }, n_pairs);
			n_pairs++;
		}
	for (int prog = FIRST_PROBE; prog < N_PROGS; prog++) {
		pairs[n_pairs] = pair_of((struct item){ -1, prog, DIR_IN, PKT_UDP }, n_pairs);
		n_pairs++;
	}

	snprintf(path, sizeof(path), "%s/progs.tsv", argv[optind]);
	tsv = fopen(path, "w");
	if (!tsv)
		die(path);
	if (xdp_devs && !xdp_attach_all(xdp_devs))
		die("keep the XDP programs in the dispatcher");
	/* xdp_cpu: whether the CPU time of an XDP run is free of the dispatcher's swaps */
	fprintf(tsv, "# repeat=%u rounds=%u seed=%u xdp_cpu=%d\n", repeat, rounds, rand_state,
		xdp_devs != NULL);
	fprintf(tsv, "round\tpair\tconfig\tprog\tdir\tpacket\tns_kernel\tns_cpu\tok\n");
	for (__u32 r = 0; r < rounds; r++) {
		shuffle(pairs, n_pairs);
		for (size_t i = 0; i < n_pairs * 2; i++) {
			const struct pair *pr = &pairs[i / 2];
			/* the null program first in even rounds, second in odd ones */
			const struct item *it = i % 2 == r % 2 ? &pr->null : &pr->item;
			__u32 ns_kernel;
			double ns_cpu;
			bool ok = run(it, repeat, &ns_kernel, &ns_cpu);

			if (!ok && bad++ < 10)
				fprintf(stderr, "progs: round %u: %s on %s/%s (%s) ran wrong\n", r,
					prog_names[it->prog], dir_names[it->dir],
					packet_names[it->packet],
					it->config >= 0 ? configs[it->config].name : "null");
			fprintf(tsv, "%u\t%zu\t%s\t%s\t%s\t%s\t%u\t%.3f\t%d\n", r, pr->id,
				it->config >= 0 ? configs[it->config].name : "-",
				prog_names[it->prog], dir_names[it->dir], packet_names[it->packet],
				ns_kernel, ns_cpu, ok);
		}
		fprintf(stderr, "progs: round %u/%u done\n", r + 1, rounds);
	}
	fclose(tsv);

	snprintf(path, sizeof(path), "%s/resources.tsv", argv[optind]);
	res = fopen(path, "w");
	if (!res)
		die(path);
	resources(res);
	for (size_t i = 0; i < N_CONFIGS; i++)
		fprintf(res, "config\t%s\tflows_present\t%u\n", configs[i].name,
			configs[i].flows_present);
	fclose(res);

	for (size_t i = 0; i < N_CONFIGS; i++)
		hairpin__destroy(configs[i].skel);
	bench_null__destroy(null_skel);
	bench_probe__destroy(probe_skel);
	free(pairs);
	if (bad)
		fprintf(stderr, "progs: %zu runs did not behave as they should\n", bad);
	return bad ? 1 : 0;
}

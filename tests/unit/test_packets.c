// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of the datapath: the real programs of bpf/hairpin.bpf.c, loaded from the
 * skeleton, run with BPF_PROG_TEST_RUN on frames built here, in the manner of the kernel's
 * selftests (packed packet structs, designated initializers) and Cilium's bpf/tests (set the
 * maps, run the program, check the bytes and the maps). Every test loads a fresh skeleton, so
 * no map state leaks from one test into the next.
 *
 * A rewritten frame is compared byte for byte with one computed here, whose checksums are
 * summed from scratch (RFC 1071, with the pseudo-header of RFC 768/793), never updated the way
 * the programs update them: the test and the datapath cannot share a mistake.
 *
 * The tc programs run twice, because BPF_PROG_TEST_RUN builds its skb in one state only
 * unless told otherwise:
 *   tc                linear skb, ip_summed CHECKSUM_NONE: skb->csum plays no part.
 *   tc_csum_complete  BPF_F_TEST_SKB_CHECKSUM_COMPLETE (Linux 6.11): the kernel seeds
 *                     skb->csum from the frame (from the IP header on) and fails the run with
 *                     EBADMSG if the program leaves it out of step with the bytes.
 * A kernel without the flag rejects it with EINVAL; those runs print SKIP.
 * What BPF_PROG_TEST_RUN cannot set up: CHECKSUM_PARTIAL (a reply the local stack sends with
 * offload on) and, before BPF_F_TEST_SKB_NON_LINEAR (not in 6.18), an skb whose headers are
 * not all in the linear part, so the bpf_skb_pull_data() branch of ctx_ensure() never runs
 * here. Only tests over real devices cover those.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/icmp.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/libbpf.h>

#include "hairpin.h"
#include "hairpin.skel.h"
#include "check.h"

/* Newer than some uapi headers; the value is ABI. */
#ifndef BPF_F_TEST_SKB_CHECKSUM_COMPLETE
#define BPF_F_TEST_SKB_CHECKSUM_COMPLETE (1U << 2)
#endif

#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET_MAX 0x1fff

/* Documentation addresses (RFC 5737). */
#define IPV4(a, b, c, d) bpf_htonl((a) << 24 | (b) << 16 | (c) << 8 | (d))
#define PUBLIC_ADDR IPV4(203, 0, 113, 7)	/* the router's public address */
#define PUBLIC_ADDR_NEW IPV4(203, 0, 113, 8)	/* ... after the ISP changed it */
#define TARGET_ADDR IPV4(192, 0, 2, 1)		/* this host, where the forwards point */
#define CLIENT_ADDR IPV4(192, 0, 2, 10)		/* a LAN client dialling the public address */
#define OTHER_ADDR IPV4(198, 51, 100, 20)	/* some host on the Internet */
#define OTHER_TARGET_ADDR IPV4(198, 51, 100, 5)	/* an address that is not this host's */

#define HOST_MAC { 0x02, 0x48, 0x50, 0x00, 0x00, 0x01 }
#define CLIENT_MAC { 0x02, 0x48, 0x50, 0x00, 0x00, 0x0a }

#define CLIENT_UDP_PORT 40000
#define CLIENT_TCP_PORT 50000
#define UNFORWARDED_PORT 53

/* What the loader would put in the forwards map for one [Forward] section. */
struct forward_rule {
	__u8 protocol;
	__u16 port;		/* host order, as are all ports in this file */
	__be32 target_addr;
	__u16 target_port;
	__u32 stats_index;
};

/* The target ports differ from the public ones, so that a port left unrewritten shows. */
static const struct forward_rule udp_forward = {
	.protocol = IPPROTO_UDP, .port = 51820,
	.target_addr = TARGET_ADDR, .target_port = 51821, .stats_index = 3,
};
static const struct forward_rule tcp_forward = {
	.protocol = IPPROTO_TCP, .port = 443,
	.target_addr = TARGET_ADDR, .target_port = 8443, .stats_index = 7,
};

/* Odd on purpose: the checksums must pad the last byte (RFC 1071, 4.1). */
#define PAYLOAD_LEN 37
#define FRAME_MAX 512

struct udp4_packet {
	struct ethhdr eth;
	struct iphdr iph;
	struct udphdr udp;
	__u8 payload[PAYLOAD_LEN];
} __attribute__((packed));

struct tcp4_packet {
	struct ethhdr eth;
	struct iphdr iph;
	struct tcphdr tcp;
	__u8 payload[PAYLOAD_LEN];
} __attribute__((packed));

struct icmp4_packet {
	struct ethhdr eth;
	struct iphdr iph;
	struct icmphdr icmp;
	__u8 payload[PAYLOAD_LEN];
} __attribute__((packed));

struct udp6_packet {
	struct ethhdr eth;
	struct ipv6hdr ip6h;
	struct udphdr udp;
	__u8 payload[PAYLOAD_LEN];
} __attribute__((packed));

/* RFC 826 for Ethernet and IPv4; <linux/if_arp.h> stops at the fixed part. */
struct arp_packet {
	struct ethhdr eth;
	__be16 hrd;
	__be16 pro;
	__u8 hln;
	__u8 pln;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

/* A frame as bytes, for the changes a packed struct cannot express (options, truncation). */
struct frame {
	__u8 data[FRAME_MAX] __attribute__((aligned(8)));
	__u32 len;
};

/* Views of headers at offsets that are not aligned for them. */
struct packed_iphdr {
	struct iphdr h;
} __attribute__((packed));
struct packed_udphdr {
	struct udphdr h;
} __attribute__((packed));
struct packed_tcphdr {
	struct tcphdr h;
} __attribute__((packed));

/* The ports sit at the same offsets in UDP and TCP: FRAME_UDPH(f).dest serves both. */
#define FRAME_IPH(f) (((struct packed_iphdr *)((f)->data + ETH_HLEN))->h)
#define FRAME_UDPH(f) (((struct packed_udphdr *)((f)->data + frame_l4_off(f)))->h)
#define FRAME_TCPH(f) (((struct packed_tcphdr *)((f)->data + frame_l4_off(f)))->h)

static __u32 frame_l4_off(const struct frame *f)
{
	return ETH_HLEN + (f->data[ETH_HLEN] & 0xf) * 4;
}

static __u32 l4_header_len(__u8 protocol)
{
	return protocol == IPPROTO_UDP ? sizeof(struct udphdr) : sizeof(struct tcphdr);
}

/* Bytes up to the end of the UDP/TCP header: what a program must see to rewrite a frame. */
static __u32 frame_headers_len(const struct frame *f)
{
	return frame_l4_off(f) + l4_header_len(FRAME_IPH(f).protocol);
}

/* IPv4 total length: what the stats count, padding excluded. */
static __u32 frame_ip_len(const struct frame *f)
{
	return ntohs(FRAME_IPH(f).tot_len);
}

static struct frame frame_of(const void *packet, size_t len)
{
	struct frame f = { .len = len };

	memcpy(f.data, packet, len);
	return f;
}

static void fill_payload(__u8 *payload, size_t len)
{
	for (size_t i = 0; i < len; i++)
		payload[i] = 'a' + i % 26;
}

static __u16 get_be16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

/* ---- Checksums from scratch ---------------------------------------------------------- */

/* RFC 1071: the sum of big-endian 16-bit words, an odd last byte padded with a zero. */
static __u64 sum_words(const __u8 *p, size_t len, __u64 sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get_be16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static __u16 fold_and_complement(__u64 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* The IPv4 header checksum a sender computes, host order. */
static __u16 ipv4_header_checksum(const struct frame *f)
{
	__u32 hlen = (f->data[ETH_HLEN] & 0xf) * 4;
	__u8 hdr[60];

	memcpy(hdr, f->data + ETH_HLEN, hlen);
	hdr[offsetof(struct iphdr, check)] = 0;
	hdr[offsetof(struct iphdr, check) + 1] = 0;
	return fold_and_complement(sum_words(hdr, hlen, 0));
}

static __u32 l4_check_off(const struct frame *f)
{
	return frame_l4_off(f) + (FRAME_IPH(f).protocol == IPPROTO_UDP
					  ? offsetof(struct udphdr, check)
					  : offsetof(struct tcphdr, check));
}

/*
 * The UDP/TCP checksum over the pseudo-header and the segment (as long as tot_len says), host
 * order, before UDP's rule that a computed 0 is sent as 0xffff.
 */
static __u16 l4_checksum(const struct frame *f)
{
	const __u8 *ip = f->data + ETH_HLEN;
	__u32 l4_off = frame_l4_off(f);
	__u32 l4_len = get_be16(ip + 2) - (l4_off - ETH_HLEN);
	__u8 segment[FRAME_MAX];
	__u64 sum = 0;

	sum = sum_words(ip + 12, 8, sum);	/* saddr, daddr */
	sum += ip[9];				/* zero, protocol */
	sum += l4_len;
	memcpy(segment, f->data + l4_off, l4_len);
	memset(segment + (l4_check_off(f) - l4_off), 0, 2);
	return fold_and_complement(sum_words(segment, l4_len, sum));
}

/* What a correct sender puts in the UDP/TCP checksum field, host order. */
static __u16 l4_checksum_to_send(const struct frame *f)
{
	__u16 check = l4_checksum(f);

	/* RFC 768: 0 means "no checksum", so a computed 0 goes out as its other form. */
	return FRAME_IPH(f).protocol == IPPROTO_UDP && !check ? 0xffff : check;
}

static __u16 frame_l4_check(const struct frame *f)
{
	return get_be16(f->data + l4_check_off(f));
}

static void frame_set_l4_check(struct frame *f, __u16 check)
{
	f->data[l4_check_off(f)] = check >> 8;
	f->data[l4_check_off(f) + 1] = check & 0xff;
}

/* Both checksums as a sender computes them; a UDP checksum of 0 stays 0 if @keep_udp_zero. */
static void frame_set_checksums(struct frame *f, bool keep_udp_zero)
{
	FRAME_IPH(f).check = htons(ipv4_header_checksum(f));
	if (keep_udp_zero && FRAME_IPH(f).protocol == IPPROTO_UDP && !frame_l4_check(f))
		return;
	frame_set_l4_check(f, l4_checksum_to_send(f));
}

/* Lengths and checksums of an IPv4 TCP/UDP frame, as a sender lays them out. */
static void frame_finish(struct frame *f)
{
	__u16 tot_len = f->len - ETH_HLEN;

	FRAME_IPH(f).tot_len = htons(tot_len);
	if (FRAME_IPH(f).protocol == IPPROTO_UDP)
		FRAME_UDPH(f).len = htons(tot_len - (frame_l4_off(f) - ETH_HLEN));
	frame_set_checksums(f, false);
}

/*
 * IPv4 options of @len bytes (a multiple of 4, at most 40) between the fixed header and the
 * transport header: Router Alert (RFC 2113) for 4 bytes, else Record Route (RFC 791) and EOL.
 */
static void frame_add_ip_options(struct frame *f, __u32 len)
{
	__u32 l4_off = frame_l4_off(f);
	__u8 options[40] = { 0 };

	if (len == 4) {
		options[0] = 148;
		options[1] = 4;
	} else {
		options[0] = 7;
		options[1] = len - 1;
		options[2] = 4;
		for (__u32 i = 3; i < len - 1; i++)
			options[i] = 0xc0 + i;
	}
	memmove(f->data + l4_off + len, f->data + l4_off, f->len - l4_off);
	memcpy(f->data + l4_off, options, len);
	f->len += len;
	FRAME_IPH(f).ihl += len / 4;
	frame_finish(f);
}

/* ---- The frames of the scenario ------------------------------------------------------ */

/* The client dials the public address on the forwarded UDP port. */
static struct frame udp_to_public(void)
{
	struct udp4_packet pkt = {
		.eth = { .h_dest = HOST_MAC, .h_source = CLIENT_MAC,
			 .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .tos = 0x10, .id = htons(0x4850), .ttl = 64,
			 .protocol = IPPROTO_UDP, .saddr = CLIENT_ADDR, .daddr = PUBLIC_ADDR },
		.udp = { .source = htons(CLIENT_UDP_PORT), .dest = htons(udp_forward.port) },
	};
	struct frame f;

	fill_payload(pkt.payload, sizeof(pkt.payload));
	f = frame_of(&pkt, sizeof(pkt));
	frame_finish(&f);
	return f;
}

/* The client dials the public address on the forwarded TCP port. */
static struct frame tcp_to_public(void)
{
	struct tcp4_packet pkt = {
		.eth = { .h_dest = HOST_MAC, .h_source = CLIENT_MAC,
			 .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .id = htons(0x1234), .frag_off = htons(IP_DF),
			 .ttl = 63, .protocol = IPPROTO_TCP, .saddr = CLIENT_ADDR,
			 .daddr = PUBLIC_ADDR },
		.tcp = { .source = htons(CLIENT_TCP_PORT), .dest = htons(tcp_forward.port),
			 .seq = htonl(0x01020304), .ack_seq = htonl(0xa0b0c0d0), .doff = 5,
			 .psh = 1, .ack = 1, .window = htons(502), .urg_ptr = htons(0) },
	};
	struct frame f;

	fill_payload(pkt.payload, sizeof(pkt.payload));
	f = frame_of(&pkt, sizeof(pkt));
	frame_finish(&f);
	return f;
}

/* The target's UDP reply to the client, as the host sends it. */
static struct frame udp_reply(void)
{
	struct udp4_packet pkt = {
		.eth = { .h_dest = CLIENT_MAC, .h_source = HOST_MAC,
			 .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .id = htons(0x9abc), .ttl = 64,
			 .protocol = IPPROTO_UDP, .saddr = TARGET_ADDR, .daddr = CLIENT_ADDR },
		.udp = { .source = htons(udp_forward.target_port),
			 .dest = htons(CLIENT_UDP_PORT) },
	};
	struct frame f;

	fill_payload(pkt.payload, sizeof(pkt.payload));
	f = frame_of(&pkt, sizeof(pkt));
	frame_finish(&f);
	return f;
}

/* The target's TCP reply to the client. */
static struct frame tcp_reply(void)
{
	struct tcp4_packet pkt = {
		.eth = { .h_dest = CLIENT_MAC, .h_source = HOST_MAC,
			 .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .id = htons(0), .frag_off = htons(IP_DF),
			 .ttl = 64, .protocol = IPPROTO_TCP, .saddr = TARGET_ADDR,
			 .daddr = CLIENT_ADDR },
		.tcp = { .source = htons(tcp_forward.target_port), .dest = htons(CLIENT_TCP_PORT),
			 .seq = htonl(0xa0b0c0d0), .ack_seq = htonl(0x01020329), .doff = 5,
			 .psh = 1, .ack = 1, .window = htons(509) },
	};
	struct frame f;

	fill_payload(pkt.payload, sizeof(pkt.payload));
	f = frame_of(&pkt, sizeof(pkt));
	frame_finish(&f);
	return f;
}

static struct frame icmp_echo(__be32 saddr, __be32 daddr)
{
	struct icmp4_packet pkt = {
		.eth = { .h_dest = HOST_MAC, .h_source = CLIENT_MAC,
			 .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_ICMP,
			 .tot_len = htons(sizeof(pkt) - ETH_HLEN), .saddr = saddr, .daddr = daddr },
		.icmp = { .type = ICMP_ECHO, .un.echo = { .id = htons(1), .sequence = htons(1) } },
	};
	struct frame f;

	fill_payload(pkt.payload, sizeof(pkt.payload));
	f = frame_of(&pkt, sizeof(pkt));
	FRAME_IPH(&f).check = htons(ipv4_header_checksum(&f));
	return f;
}

/* UDP over IPv6 to the forwarded port: IPv6 is never rewritten, whatever the port. */
static struct frame udp6_to_forwarded_port(bool from_host)
{
	struct udp6_packet pkt = {
		.eth = { .h_dest = HOST_MAC, .h_source = CLIENT_MAC,
			 .h_proto = htons(ETH_P_IPV6) },
		.ip6h = { .version = 6, .payload_len = htons(sizeof(struct udphdr) + PAYLOAD_LEN),
			  .nexthdr = IPPROTO_UDP, .hop_limit = 64 },
		.udp = { .source = htons(CLIENT_UDP_PORT), .dest = htons(udp_forward.port),
			 .len = htons(sizeof(struct udphdr) + PAYLOAD_LEN), .check = htons(0x1234) },
	};

	fill_payload(pkt.payload, sizeof(pkt.payload));
	inet_pton(AF_INET6, "2001:db8::a", &pkt.ip6h.saddr);
	inet_pton(AF_INET6, "2001:db8::7", &pkt.ip6h.daddr);
	if (from_host) {
		/* The reply of a tracked flow's ports, from the host. */
		struct in6_addr tmp = pkt.ip6h.saddr;

		pkt.ip6h.saddr = pkt.ip6h.daddr;
		pkt.ip6h.daddr = tmp;
		pkt.udp.source = htons(udp_forward.target_port);
		pkt.udp.dest = htons(CLIENT_UDP_PORT);
	}
	return frame_of(&pkt, sizeof(pkt));
}

static struct frame arp_request(__be32 sender, __be32 target)
{
	struct arp_packet pkt = {
		.eth = { .h_dest = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, .h_source = CLIENT_MAC,
			 .h_proto = htons(ETH_P_ARP) },
		.hrd = htons(1), .pro = htons(ETH_P_IP), .hln = ETH_ALEN, .pln = 4,
		.op = htons(1), .sha = CLIENT_MAC, .spa = sender, .tpa = target,
	};

	return frame_of(&pkt, sizeof(pkt));
}

/* ---- Running the programs ------------------------------------------------------------ */

enum hook { INGRESS, EGRESS };

enum variant { XDP, TC, TC_CSUM_COMPLETE, N_VARIANTS };

static const char *const variant_names[N_VARIANTS] = {
	[XDP] = "xdp",
	[TC] = "tc",
	[TC_CSUM_COMPLETE] = "tc_csum_complete",
};

static bool variant_supported[N_VARIANTS] = { true, true, true };

struct result {
	int err;		/* of bpf_prog_test_run_opts(): 0 or -errno */
	__u32 retval;
	__u32 size_out;
	__u8 out[2 * FRAME_MAX];
};

static __u32 pass_verdict(enum variant v)
{
	return v == XDP ? XDP_PASS : TC_ACT_OK;
}

static void run(struct result *r, struct hairpin *skel, enum hook hook, enum variant v,
		const void *data, __u32 len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = data,
		.data_size_in = len,
		.data_out = r->out,
		.data_size_out = sizeof(r->out),
		.repeat = 1,
	);
	struct bpf_program *prog;

	if (hook == INGRESS)
		prog = v == XDP ? skel->progs.hp_ingress_xdp : skel->progs.hp_ingress_tc;
	else
		prog = skel->progs.hp_egress_tc;
	if (v == TC_CSUM_COMPLETE)
		opts.flags = BPF_F_TEST_SKB_CHECKSUM_COMPLETE;
	memset(r->out, 0xa5, sizeof(r->out));
	/* libbpf 1.x returns -errno. */
	r->err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	r->retval = opts.retval;
	r->size_out = opts.data_size_out;
}

static void run_frame(struct result *r, struct hairpin *skel, enum hook hook, enum variant v,
		      const struct frame *f)
{
	run(r, skel, hook, v, f->data, f->len);
}

/* ---- Maps ---------------------------------------------------------------------------- */

static void set_config(struct hairpin *skel, __be32 public_addr, const __be32 *targets)
{
	struct hp_config config = { .public_addr = public_addr };
	__u32 zero = 0;

	memcpy(config.target_addrs, targets, sizeof(config.target_addrs));
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_config), &zero, &config, BPF_ANY),
	      "set config: %s", strerror(errno));
}

static void set_forward(struct hairpin *skel, const struct forward_rule *rule)
{
	struct hp_forward_key key = { .protocol = rule->protocol, .port = htons(rule->port) };
	struct hp_forward value = {
		.target_addr = rule->target_addr,
		.target_port = htons(rule->target_port),
		.stats_index = rule->stats_index,
	};

	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_forwards), &key, &value, BPF_ANY),
	      "add forward %u/%u: %s", rule->protocol, rule->port, strerror(errno));
}

static const __be32 only_target[HP_MAX_TARGET_ADDRS] = { TARGET_ADDR };

/* A fresh skeleton with the public address, this host as the one target, both forwards. */
static struct hairpin *open_configured(void)
{
	struct hairpin *skel = hairpin__open_and_load();

	if (!CHECK(skel, "hairpin__open_and_load: %s", strerror(errno)))
		return NULL;
	set_config(skel, PUBLIC_ADDR, only_target);
	set_forward(skel, &udp_forward);
	set_forward(skel, &tcp_forward);
	return skel;
}

static struct hp_flow_key flow_key(const struct forward_rule *rule, __be32 client_addr,
				   __u16 client_port)
{
	return (struct hp_flow_key){
		.client_addr = client_addr,
		.target_addr = rule->target_addr,
		.client_port = htons(client_port),
		.target_port = htons(rule->target_port),
		.protocol = rule->protocol,
	};
}

/* A flow as ingress records it, for the egress tests that start from a tracked flow. */
static void put_flow(struct hairpin *skel, const struct forward_rule *rule, __be32 client_addr,
		     __u16 client_port, __be32 public_addr)
{
	struct hp_flow_key key = flow_key(rule, client_addr, client_port);
	struct hp_flow flow = {
		.public_addr = public_addr,
		.public_port = htons(rule->port),
		.stats_index = rule->stats_index,
		.last_seen_ns = 1,
	};

	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_flows), &key, &flow, BPF_ANY),
	      "add flow: %s", strerror(errno));
}

static bool get_flow(struct hairpin *skel, const struct hp_flow_key *key, struct hp_flow *flow)
{
	return !bpf_map_lookup_elem(bpf_map__fd(skel->maps.hp_flows), key, flow);
}

static int count_flows(struct hairpin *skel)
{
	int fd = bpf_map__fd(skel->maps.hp_flows), n = 0;
	struct hp_flow_key key, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next) && n < HP_MAX_FLOWS) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

/* One slot of the per-CPU stats, summed over CPUs as the loader shows it. */
static struct hp_stats get_stats(struct hairpin *skel, __u32 index)
{
	int ncpus = libbpf_num_possible_cpus();
	struct hp_stats sum = { 0 }, *per_cpu;

	per_cpu = calloc(ncpus > 0 ? ncpus : 1, sizeof(*per_cpu));
	if (!CHECK(ncpus > 0 && per_cpu, "per-CPU buffer for %d CPUs", ncpus)) {
		free(per_cpu);
		return sum;
	}
	if (CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.hp_stats), &index, per_cpu),
		  "read stats[%u]: %s", index, strerror(errno))) {
		for (int cpu = 0; cpu < ncpus; cpu++) {
			sum.to_target_packets += per_cpu[cpu].to_target_packets;
			sum.to_target_bytes += per_cpu[cpu].to_target_bytes;
			sum.to_client_packets += per_cpu[cpu].to_client_packets;
			sum.to_client_bytes += per_cpu[cpu].to_client_bytes;
		}
	}
	free(per_cpu);
	return sum;
}

static void expect_stats(struct hairpin *skel, __u32 index, __u64 to_target_packets,
			 __u64 to_target_bytes, __u64 to_client_packets, __u64 to_client_bytes)
{
	struct hp_stats s = get_stats(skel, index);

	CHECK(s.to_target_packets == to_target_packets && s.to_target_bytes == to_target_bytes &&
		      s.to_client_packets == to_client_packets &&
		      s.to_client_bytes == to_client_bytes,
	      "stats[%u]: got to_target %llu packets %llu bytes, to_client %llu packets %llu "
	      "bytes; want %llu/%llu, %llu/%llu",
	      index, (unsigned long long)s.to_target_packets,
	      (unsigned long long)s.to_target_bytes, (unsigned long long)s.to_client_packets,
	      (unsigned long long)s.to_client_bytes, (unsigned long long)to_target_packets,
	      (unsigned long long)to_target_bytes, (unsigned long long)to_client_packets,
	      (unsigned long long)to_client_bytes);
}

/* After a packet that must be left alone: no flow recorded, nothing counted. */
static void expect_maps_untouched(struct hairpin *skel, int flows_before)
{
	CHECK_EQ(count_flows(skel), flows_before, "flows in the map");
	expect_stats(skel, udp_forward.stats_index, 0, 0, 0, 0);
	expect_stats(skel, tcp_forward.stats_index, 0, 0, 0, 0);
}

static __u64 coarse_now_ns(void)
{
	struct timespec ts;

	/* bpf_ktime_get_coarse_ns() reads this clock. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static const char *addr_str(__be32 addr)
{
	static char bufs[4][INET_ADDRSTRLEN];
	static int next;
	char *buf = bufs[next++ % 4];

	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

/* The flow ingress must have recorded for @in, sent to @public_addr, between @t0 and @t1. */
static bool expect_flow(struct hairpin *skel, const struct frame *in,
			const struct forward_rule *rule, __be32 public_addr, __u64 t0, __u64 t1,
			struct hp_flow *flow)
{
	struct hp_flow_key key = flow_key(rule, FRAME_IPH(in).saddr,
					  ntohs(FRAME_UDPH(in).source));

	if (!CHECK(get_flow(skel, &key, flow), "no flow %s:%u -> %s:%u proto %u in the map",
		   addr_str(key.client_addr), ntohs(key.client_port), addr_str(key.target_addr),
		   ntohs(key.target_port), key.protocol))
		return false;
	CHECK(flow->public_addr == public_addr, "flow public_addr: got %s, want %s",
	      addr_str(flow->public_addr), addr_str(public_addr));
	CHECK_EQ(ntohs(flow->public_port), ntohs(FRAME_UDPH(in).dest), "flow public_port");
	CHECK_EQ(flow->stats_index, rule->stats_index, "flow stats_index");
	CHECK_EQ(flow->pad, 0, "flow pad");
	CHECK_EQ(flow->pad2, 0, "flow pad2");
	CHECK(flow->last_seen_ns >= t0 && flow->last_seen_ns <= t1,
	      "flow last_seen_ns %llu not within the run [%llu, %llu]",
	      (unsigned long long)flow->last_seen_ns, (unsigned long long)t0,
	      (unsigned long long)t1);
	return true;
}

/* ---- Checking output frames ---------------------------------------------------------- */

struct field {
	const char *name;
	__u32 start, len;
};

/* Which header field of @f holds byte @off, for messages that say what changed. */
static struct field field_at(const struct frame *f, __u32 off)
{
	static const struct field eth[] = {
		{ "eth.h_dest", 0, 6 }, { "eth.h_source", 6, 6 }, { "eth.h_proto", 12, 2 },
	};
	static const struct field ip[] = {
		{ "ip.version/ihl", 0, 1 }, { "ip.tos", 1, 1 }, { "ip.tot_len", 2, 2 },
		{ "ip.id", 4, 2 }, { "ip.frag_off", 6, 2 }, { "ip.ttl", 8, 1 },
		{ "ip.protocol", 9, 1 }, { "ip.check", 10, 2 }, { "ip.saddr", 12, 4 },
		{ "ip.daddr", 16, 4 },
	};
	static const struct field udp[] = {
		{ "udp.source", 0, 2 }, { "udp.dest", 2, 2 }, { "udp.len", 4, 2 },
		{ "udp.check", 6, 2 },
	};
	static const struct field tcp[] = {
		{ "tcp.source", 0, 2 }, { "tcp.dest", 2, 2 }, { "tcp.seq", 4, 4 },
		{ "tcp.ack_seq", 8, 4 }, { "tcp.doff/flags", 12, 2 }, { "tcp.window", 14, 2 },
		{ "tcp.check", 16, 2 }, { "tcp.urg_ptr", 18, 2 },
	};
	const struct field *table = NULL;
	__u32 n = 0, base = 0, ihl, l4_off, ip_end;

	if (off < ETH_HLEN) {
		table = eth, n = 3;
	} else if (get_be16(f->data + 12) != ETH_P_IP) {
		return (struct field){ "frame", off, 1 };
	} else if (off < ETH_HLEN + sizeof(struct iphdr)) {
		table = ip, n = 10, base = ETH_HLEN;
	} else if ((ihl = f->data[ETH_HLEN] & 0xf) < 5) {
		return (struct field){ "frame", off, 1 };
	} else {
		l4_off = ETH_HLEN + ihl * 4;
		ip_end = ETH_HLEN + get_be16(f->data + ETH_HLEN + 2);
		if (off < l4_off)
			return (struct field){ "ip.options", ETH_HLEN + 20, (ihl - 5) * 4 };
		if (f->data[ETH_HLEN + 9] == IPPROTO_UDP && off < l4_off + 8)
			table = udp, n = 4, base = l4_off;
		else if (f->data[ETH_HLEN + 9] == IPPROTO_TCP && off < l4_off + 20)
			table = tcp, n = 8, base = l4_off;
		else
			return (struct field){ off < ip_end ? "payload" : "padding", off, 1 };
	}
	for (__u32 i = 0; i < n; i++) {
		if (off >= base + table[i].start && off < base + table[i].start + table[i].len)
			return (struct field){ table[i].name, base + table[i].start, table[i].len };
	}
	return (struct field){ "?", off, 1 };
}

static void hex(char *buf, size_t size, const __u8 *p, __u32 len)
{
	size_t used = 0;

	buf[0] = 0;
	for (__u32 i = 0; i < len && used + 3 < size; i++)
		used += snprintf(buf + used, size - used, "%02x", p[i]);
}

/* Byte for byte, one message per differing field, naming it. */
static void expect_same_bytes(const __u8 *got, const struct frame *want, __u32 len,
			      const char *what)
{
	const char *last_field = NULL;
	int reported = 0;

	for (__u32 i = 0; i < len; i++) {
		char got_hex[64], want_hex[64];
		struct field field;

		if (got[i] == want->data[i])
			continue;
		field = field_at(want, i);
		if (field.name == last_field)
			continue;
		last_field = field.name;
		if (field.len > 16)
			field = (struct field){ field.name, i, 1 };
		hex(got_hex, sizeof(got_hex), got + field.start, field.len);
		hex(want_hex, sizeof(want_hex), want->data + field.start, field.len);
		CHECK(0, "%s: %s (byte %u): got %s, want %s", what, field.name, field.start,
		      got_hex, want_hex);
		if (++reported == 8) {
			CHECK(0, "%s: more bytes differ", what);
			return;
		}
	}
}

/* Both checksums of an output frame, recomputed from scratch, must be what a sender sends. */
static void expect_valid_checksums(const struct frame *f, bool udp_zero_expected,
				   const char *what)
{
	__u16 want_l4 = udp_zero_expected ? 0 : l4_checksum_to_send(f);

	CHECK(ntohs(FRAME_IPH(f).check) == ipv4_header_checksum(f),
	      "%s: ip.check: got 0x%04x, computed 0x%04x", what, ntohs(FRAME_IPH(f).check),
	      ipv4_header_checksum(f));
	CHECK(frame_l4_check(f) == want_l4, "%s: %s check: got 0x%04x, computed 0x%04x", what,
	      FRAME_IPH(f).protocol == IPPROTO_UDP ? "udp" : "tcp", frame_l4_check(f), want_l4);
}

/*
 * The run's verdict, size and output bytes against @want.
 * Return: false if there is no output to look at further; else @got holds it.
 */
static bool expect_output(enum variant v, const struct result *r, const struct frame *want,
			  struct frame *got, const char *what)
{
	if (!CHECK(r->err == 0, "%s: test_run: %s", what, strerror(-r->err)))
		return false;
	CHECK(r->retval == pass_verdict(v), "%s: verdict: got %u, want %u", what, r->retval,
	      pass_verdict(v));
	if (!CHECK(r->size_out == want->len, "%s: data_size_out: got %u, want %u", what,
		   r->size_out, want->len))
		return false;
	got->len = r->size_out;
	memcpy(got->data, r->out, r->size_out);
	expect_same_bytes(got->data, want, got->len, what);
	return true;
}

/* A packet that must pass exactly as it came. */
static void expect_untouched(enum variant v, const struct result *r, const struct frame *in,
			     const char *what)
{
	struct frame got;

	expect_output(v, r, in, &got, what);
}

enum nat_side { NAT_SOURCE, NAT_DESTINATION };

/* @in as a correct NAT sends it on: one address and port changed, checksums recomputed. */
static struct frame rewritten(const struct frame *in, enum nat_side side, __be32 addr,
			      __u16 port)
{
	struct frame f = *in;

	if (side == NAT_SOURCE) {
		FRAME_IPH(&f).saddr = addr;
		FRAME_UDPH(&f).source = htons(port);
	} else {
		FRAME_IPH(&f).daddr = addr;
		FRAME_UDPH(&f).dest = htons(port);
	}
	frame_set_checksums(&f, true);
	return f;
}

static void expect_rewritten(enum variant v, const struct result *r, const struct frame *in,
			     enum nat_side side, __be32 addr, __u16 port, const char *what)
{
	struct frame want = rewritten(in, side, addr, port), got;
	bool udp_zero = FRAME_IPH(in).protocol == IPPROTO_UDP && !frame_l4_check(in);

	if (!expect_output(v, r, &want, &got, what))
		return;
	expect_valid_checksums(&got, udp_zero, what);
}

/* ---- Test bookkeeping ---------------------------------------------------------------- */

static bool begin(const char *name, enum variant v)
{
	static char full_name[128];

	snprintf(full_name, sizeof(full_name), "%s/%s", name, variant_names[v]);
	if (!variant_supported[v]) {
		printf("SKIP: %s: the kernel rejects the BPF_PROG_TEST_RUN flag of this variant\n",
		       full_name);
		return false;
	}
	test_start(full_name);
	return true;
}

static void finish(struct hairpin *skel)
{
	hairpin__destroy(skel);
	test_done();
}

/* The egress runs that go with an ingress variant: XDP has no egress hook, tc uses tc. */
static enum variant egress_variant(enum variant v)
{
	return v == XDP ? TC : v;
}

/* ---- Ingress: rewritten -------------------------------------------------------------- */

static const struct forward_rule *forward_of(const struct frame *f)
{
	return FRAME_IPH(f).protocol == IPPROTO_UDP ? &udp_forward : &tcp_forward;
}

/* @in goes to its forward's target; the flow is recorded and the packet counted. */
static void expect_ingress_rewrite(enum variant v, const struct frame *in)
{
	const struct forward_rule *rule = forward_of(in);
	struct hairpin *skel = open_configured();
	struct result r;
	struct hp_flow flow;
	__u64 t0, t1;

	if (!skel)
		return;
	t0 = coarse_now_ns();
	run_frame(&r, skel, INGRESS, v, in);
	t1 = coarse_now_ns();
	expect_rewritten(v, &r, in, NAT_DESTINATION, rule->target_addr, rule->target_port,
			 "to public");
	expect_flow(skel, in, rule, PUBLIC_ADDR, t0, t1, &flow);
	CHECK_EQ(count_flows(skel), 1, "flows in the map");
	expect_stats(skel, rule->stats_index, 1, frame_ip_len(in), 0, 0);
	hairpin__destroy(skel);
}

static void test_ingress_udp(enum variant v)
{
	struct frame in = udp_to_public();

	if (!begin("ingress_udp_rewritten", v))
		return;
	expect_ingress_rewrite(v, &in);
	test_done();
}

static void test_ingress_tcp(enum variant v)
{
	struct frame in = tcp_to_public();

	if (!begin("ingress_tcp_rewritten", v))
		return;
	expect_ingress_rewrite(v, &in);
	test_done();
}

static void test_ingress_ip_options(enum variant v)
{
	struct frame udp = udp_to_public(), tcp = tcp_to_public();

	if (!begin("ingress_ip_options_rewritten", v))
		return;
	frame_add_ip_options(&udp, 4);		/* IHL 6 */
	frame_add_ip_options(&tcp, 40);		/* IHL 15, the most there is */
	expect_ingress_rewrite(v, &udp);
	expect_ingress_rewrite(v, &tcp);
	test_done();
}

static void test_ingress_udp_zero_checksum(enum variant v)
{
	struct frame in = udp_to_public();

	if (!begin("ingress_udp_zero_checksum_stays_zero", v))
		return;
	frame_set_l4_check(&in, 0);	/* RFC 768: the sender computed none */
	expect_ingress_rewrite(v, &in);
	test_done();
}

/*
 * Two payload bytes chosen so that the correct checksum of @f after the rewrite computes to
 * 0x0000, which UDP must send as 0xffff. Return: false if no value does it (it always exists:
 * one 16-bit word takes every value).
 */
static bool make_checksum_zero_after_rewrite(struct frame *f, enum nat_side side, __be32 addr,
					     __u16 port)
{
	__u8 *word = f->data + frame_l4_off(f) + sizeof(struct udphdr);

	for (__u32 value = 0; value <= 0xffff; value++) {
		struct frame after;

		word[0] = value >> 8;
		word[1] = value & 0xff;
		after = rewritten(f, side, addr, port);
		if (l4_checksum(&after) == 0) {
			frame_finish(f);
			return true;
		}
	}
	return false;
}

static void test_ingress_udp_checksum_ffff(enum variant v)
{
	struct frame in = udp_to_public();
	struct hairpin *skel;
	struct result r;

	if (!begin("ingress_udp_computed_zero_sent_as_ffff", v))
		return;
	if (!CHECK(make_checksum_zero_after_rewrite(&in, NAT_DESTINATION, udp_forward.target_addr,
						    udp_forward.target_port),
		   "no payload makes the rewritten checksum 0"))
		goto out;
	skel = open_configured();
	if (!skel)
		goto out;
	run_frame(&r, skel, INGRESS, v, &in);
	expect_rewritten(v, &r, &in, NAT_DESTINATION, udp_forward.target_addr,
			 udp_forward.target_port, "checksum 0 after rewrite");
	if (!r.err && r.size_out == in.len) {
		struct frame got = frame_of(r.out, r.size_out);

		CHECK_EQ(frame_l4_check(&got), 0xffff, "udp.check");
	}
	hairpin__destroy(skel);
out:
	test_done();
}

/* A short frame padded to the Ethernet minimum: the padding is not part of the datagram. */
static void test_ingress_ethernet_padding(enum variant v)
{
	struct frame in = udp_to_public();

	if (!begin("ingress_ethernet_padding_kept", v))
		return;
	in.len = offsetof(struct udp4_packet, payload) + 4;
	frame_finish(&in);
	memset(in.data + in.len, 0, ETH_ZLEN - in.len);
	in.data[ETH_ZLEN - 1] = 0x5a;	/* padding need not be zero; it must stay as it was */
	in.len = ETH_ZLEN;
	expect_ingress_rewrite(v, &in);
	test_done();
}

/* Headers only: a TCP pure ACK (the commonest packet there is) and an empty UDP datagram. */
static struct frame without_payload(struct frame f)
{
	f.len = frame_headers_len(&f);
	frame_finish(&f);
	/* Padded to the Ethernet minimum, as it goes on the wire. */
	memset(f.data + f.len, 0, ETH_ZLEN - f.len);
	f.len = ETH_ZLEN;
	return f;
}

static void test_ingress_no_payload(enum variant v)
{
	struct frame tcp = without_payload(tcp_to_public());
	struct frame udp = without_payload(udp_to_public());

	if (!begin("ingress_no_payload_rewritten", v))
		return;
	FRAME_TCPH(&tcp).psh = 0;
	frame_set_checksums(&tcp, false);
	expect_ingress_rewrite(v, &tcp);
	expect_ingress_rewrite(v, &udp);
	test_done();
}

/* ---- Ingress: left alone ------------------------------------------------------------- */

static void expect_ingress_untouched(enum variant v, struct hairpin *skel,
				     const struct frame *in, const char *what)
{
	struct result r;

	run_frame(&r, skel, INGRESS, v, in);
	expect_untouched(v, &r, in, what);
}

static void test_ingress_not_for_us(enum variant v)
{
	struct hairpin *skel;
	struct frame f;

	if (!begin("ingress_other_traffic_untouched", v))
		return;
	skel = open_configured();
	if (!skel)
		goto out;

	f = udp_to_public();
	FRAME_IPH(&f).daddr = OTHER_ADDR;
	frame_finish(&f);
	expect_ingress_untouched(v, skel, &f, "udp to another host");

	f = tcp_to_public();
	FRAME_IPH(&f).daddr = OTHER_ADDR;
	frame_finish(&f);
	expect_ingress_untouched(v, skel, &f, "tcp to another host");

	/* A client that talks to this host's LAN address needs no help. */
	f = udp_to_public();
	FRAME_IPH(&f).daddr = TARGET_ADDR;
	FRAME_UDPH(&f).dest = htons(udp_forward.target_port);
	frame_finish(&f);
	expect_ingress_untouched(v, skel, &f, "udp to the target directly");

	f = udp_to_public();
	FRAME_UDPH(&f).dest = htons(UNFORWARDED_PORT);
	frame_finish(&f);
	expect_ingress_untouched(v, skel, &f, "udp to a port not forwarded");

	f = tcp_to_public();
	FRAME_TCPH(&f).dest = htons(UNFORWARDED_PORT);
	frame_finish(&f);
	expect_ingress_untouched(v, skel, &f, "tcp to a port not forwarded");

	f = udp_to_public();
	FRAME_UDPH(&f).dest = htons(tcp_forward.port);
	frame_finish(&f);
	expect_ingress_untouched(v, skel, &f, "udp to the tcp-forwarded port");

	f = tcp_to_public();
	FRAME_TCPH(&f).dest = htons(udp_forward.port);
	frame_finish(&f);
	expect_ingress_untouched(v, skel, &f, "tcp to the udp-forwarded port");

	f = icmp_echo(CLIENT_ADDR, PUBLIC_ADDR);
	expect_ingress_untouched(v, skel, &f, "icmp echo to public");

	f = udp6_to_forwarded_port(false);
	expect_ingress_untouched(v, skel, &f, "ipv6 udp to the forwarded port");

	f = arp_request(CLIENT_ADDR, PUBLIC_ADDR);
	expect_ingress_untouched(v, skel, &f, "arp who-has public");

	expect_maps_untouched(skel, 0);
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_ingress_fragments(enum variant v)
{
	static const __u16 frag_offs[] = { IP_MF, IP_MF | 1, 1, 185, IP_DF | 3, IP_OFFSET_MAX };
	struct hairpin *skel;

	if (!begin("ingress_fragments_untouched", v))
		return;
	skel = open_configured();
	if (!skel)
		goto out;
	for (size_t i = 0; i < sizeof(frag_offs) / sizeof(frag_offs[0]); i++) {
		struct frame udp = udp_to_public(), tcp = tcp_to_public();
		char what[64];

		FRAME_IPH(&udp).frag_off = htons(frag_offs[i]);
		frame_finish(&udp);
		snprintf(what, sizeof(what), "udp frag_off 0x%04x", frag_offs[i]);
		expect_ingress_untouched(v, skel, &udp, what);

		FRAME_IPH(&tcp).frag_off = htons(frag_offs[i]);
		frame_finish(&tcp);
		snprintf(what, sizeof(what), "tcp frag_off 0x%04x", frag_offs[i]);
		expect_ingress_untouched(v, skel, &tcp, what);
	}
	expect_maps_untouched(skel, 0);
	hairpin__destroy(skel);
out:
	test_done();
}

/* The ports a parser that trusted an IHL below 5 would read: bytes of the IPv4 header. */
static void ports_at_bad_ihl(const struct frame *f, __u16 *sport, __u16 *dport)
{
	__u32 l4_off = frame_l4_off(f);

	*sport = get_be16(f->data + l4_off);
	*dport = get_be16(f->data + l4_off + 2);
}

/*
 * A matching packet whose IPv4 header is broken: IHL below 5, or version other than 4. For
 * each bad IHL a forward exists for the port a parser that trusted it would read, so that only
 * the IHL check stands between the frame and a rewrite at the wrong offset.
 */
static void test_ingress_bad_ip_header(enum variant v)
{
	struct hairpin *skel;
	char what[64];

	if (!begin("ingress_bad_ip_header_untouched", v))
		return;
	skel = open_configured();
	if (!skel)
		goto out;
	for (__u8 ihl = 0; ihl < 5; ihl++) {
		struct frame f = udp_to_public();
		struct forward_rule decoy = udp_forward;
		__u16 sport;

		FRAME_IPH(&f).ihl = ihl;
		FRAME_IPH(&f).check = 0;
		ports_at_bad_ihl(&f, &sport, &decoy.port);
		set_forward(skel, &decoy);
		snprintf(what, sizeof(what), "ihl %u", ihl);
		expect_ingress_untouched(v, skel, &f, what);
	}
	for (__u8 version = 0; version < 16; version++) {
		struct frame f = tcp_to_public();

		if (version == 4)
			continue;
		FRAME_IPH(&f).version = version;
		frame_finish(&f);
		snprintf(what, sizeof(what), "version %u", version);
		expect_ingress_untouched(v, skel, &f, what);
	}
	expect_maps_untouched(skel, 0);
	hairpin__destroy(skel);
out:
	test_done();
}

/* Public address unknown (0): nothing is rewritten, not even a packet to 0.0.0.0. */
static void test_ingress_public_unknown(enum variant v)
{
	struct hairpin *skel;
	struct frame f;

	if (!begin("ingress_public_addr_unknown_untouched", v))
		return;
	skel = open_configured();
	if (!skel)
		goto out;
	set_config(skel, 0, only_target);

	f = udp_to_public();
	FRAME_IPH(&f).daddr = 0;
	frame_finish(&f);
	expect_ingress_untouched(v, skel, &f, "udp to 0.0.0.0");

	f = tcp_to_public();
	expect_ingress_untouched(v, skel, &f, "tcp to the old public address");

	expect_maps_untouched(skel, 0);
	hairpin__destroy(skel);
out:
	test_done();
}

/* The shapes whose headers the truncation tests cut short. */
static int header_shapes(struct frame *shapes, bool egress)
{
	shapes[0] = egress ? udp_reply() : udp_to_public();
	shapes[1] = egress ? tcp_reply() : tcp_to_public();
	shapes[2] = shapes[0];
	frame_add_ip_options(&shapes[2], 4);
	shapes[3] = shapes[1];
	frame_add_ip_options(&shapes[3], 40);
	return 4;
}

/*
 * Every length from the bare Ethernet header to one byte short of the transport header, with
 * tot_len still claiming the whole packet; then the whole frame with a tot_len that claims
 * less than its headers.
 *
 * For tc, BPF_PROG_TEST_RUN (6.18) itself refuses an IPv4 frame with less than a whole fixed
 * IPv4 header with EINVAL, before the program runs; older kernels run it. Either is fine here:
 * what must not happen is a run that changes the frame.
 */
static void expect_short_headers_untouched(enum variant v, struct hairpin *skel, enum hook hook,
					   int flows_before)
{
	struct frame shapes[4];
	int n = header_shapes(shapes, hook == EGRESS);
	char what[96];

	for (int s = 0; s < n; s++) {
		const struct frame *full = &shapes[s];
		__u32 headers = frame_headers_len(full);
		const char *proto = FRAME_IPH(full).protocol == IPPROTO_UDP ? "udp" : "tcp";

		for (__u32 len = ETH_HLEN; len < headers; len++) {
			struct frame cut = *full;
			struct result r;

			cut.len = len;
			snprintf(what, sizeof(what), "%s ihl %u cut to %u of %u bytes", proto,
				 FRAME_IPH(full).ihl, len, headers);
			run_frame(&r, skel, hook, v, &cut);
			if (v != XDP && len < ETH_HLEN + sizeof(struct iphdr) && r.err == -EINVAL)
				continue;
			expect_untouched(v, &r, &cut, what);
		}
		for (__u32 tot_len = 0; tot_len < headers - ETH_HLEN; tot_len++) {
			struct frame lying = *full;
			struct result r;

			FRAME_IPH(&lying).tot_len = htons(tot_len);
			FRAME_IPH(&lying).check = htons(ipv4_header_checksum(&lying));
			snprintf(what, sizeof(what), "%s ihl %u tot_len %u, headers %u", proto,
				 FRAME_IPH(full).ihl, tot_len, headers - ETH_HLEN);
			run_frame(&r, skel, hook, v, &lying);
			expect_untouched(v, &r, &lying, what);
		}
	}
	expect_maps_untouched(skel, flows_before);
}

static void test_ingress_truncated(enum variant v)
{
	struct hairpin *skel;

	if (!begin("ingress_truncated_untouched", v))
		return;
	skel = open_configured();
	if (skel)
		expect_short_headers_untouched(v, skel, INGRESS, 0);
	finish(skel);
}

/* Below the Ethernet header BPF_PROG_TEST_RUN refuses the frame: the program never runs. */
static void expect_runt_frames_refused(enum variant v, struct hairpin *skel, enum hook hook,
				       int flows_before)
{
	struct frame full = hook == EGRESS ? udp_reply() : udp_to_public();

	for (__u32 len = 0; len < ETH_HLEN; len++) {
		struct result r;

		run(&r, skel, hook, v, full.data, len);
		CHECK(r.err == -EINVAL, "%u-byte frame: test_run: got %d (%s), want -EINVAL", len,
		      r.err, strerror(-r.err));
	}
	expect_maps_untouched(skel, flows_before);
}

static void test_ingress_runt(enum variant v)
{
	struct hairpin *skel;

	if (!begin("ingress_below_ethernet_header_refused", v))
		return;
	skel = open_configured();
	if (skel)
		expect_runt_frames_refused(v, skel, INGRESS, 0);
	finish(skel);
}

/* ---- Ingress: flows ------------------------------------------------------------------ */

static void test_flow_second_packet(enum variant v)
{
	struct frame in = tcp_to_public();
	struct hp_flow first, second;
	struct hairpin *skel;
	struct result r;
	__u64 t0, t1;

	if (!begin("flow_second_packet_keeps_flow", v))
		return;
	skel = open_configured();
	if (!skel)
		goto out;
	t0 = coarse_now_ns();
	run_frame(&r, skel, INGRESS, v, &in);
	t1 = coarse_now_ns();
	expect_rewritten(v, &r, &in, NAT_DESTINATION, TARGET_ADDR, tcp_forward.target_port,
			 "first packet");
	if (!expect_flow(skel, &in, &tcp_forward, PUBLIC_ADDR, t0, t1, &first))
		goto out_destroy;

	run_frame(&r, skel, INGRESS, v, &in);
	t1 = coarse_now_ns();
	expect_rewritten(v, &r, &in, NAT_DESTINATION, TARGET_ADDR, tcp_forward.target_port,
			 "second packet");
	if (expect_flow(skel, &in, &tcp_forward, PUBLIC_ADDR, t0, t1, &second)) {
		CHECK(second.last_seen_ns >= first.last_seen_ns,
		      "last_seen_ns went back: %llu after %llu",
		      (unsigned long long)second.last_seen_ns,
		      (unsigned long long)first.last_seen_ns);
		second.last_seen_ns = first.last_seen_ns;
		CHECK(!memcmp(&first, &second, sizeof(first)),
		      "second packet changed the flow beyond last_seen_ns");
	}
	CHECK_EQ(count_flows(skel), 1, "flows in the map");
	expect_stats(skel, tcp_forward.stats_index, 2, 2 * frame_ip_len(&in), 0, 0);
out_destroy:
	hairpin__destroy(skel);
out:
	test_done();
}

/* A flow not seen for more than a second gets last_seen_ns refreshed, and nothing else. */
static void test_flow_refresh(enum variant v)
{
	struct frame in = udp_to_public();
	struct hp_flow_key key = flow_key(&udp_forward, CLIENT_ADDR, CLIENT_UDP_PORT);
	struct hp_flow before, after;
	struct hairpin *skel;
	struct result r;
	__u64 t0, t1;

	if (!begin("flow_stale_last_seen_refreshed", v))
		return;
	skel = open_configured();
	if (!skel)
		goto out;
	put_flow(skel, &udp_forward, CLIENT_ADDR, CLIENT_UDP_PORT, PUBLIC_ADDR);
	get_flow(skel, &key, &before);
	t0 = coarse_now_ns();
	run_frame(&r, skel, INGRESS, v, &in);
	t1 = coarse_now_ns();
	expect_rewritten(v, &r, &in, NAT_DESTINATION, TARGET_ADDR, udp_forward.target_port,
			 "packet of a stale flow");
	if (expect_flow(skel, &in, &udp_forward, PUBLIC_ADDR, t0, t1, &after)) {
		after.last_seen_ns = before.last_seen_ns;
		CHECK(!memcmp(&before, &after, sizeof(before)),
		      "refresh changed the flow beyond last_seen_ns");
	}
	CHECK_EQ(count_flows(skel), 1, "flows in the map");
	hairpin__destroy(skel);
out:
	test_done();
}

/* The forward moved to another stats slot: the flow follows, counting goes to the new slot. */
static void test_flow_stats_index_change(enum variant v)
{
	struct forward_rule moved = udp_forward;
	struct frame in = udp_to_public();
	struct hairpin *skel;
	struct hp_flow flow;
	struct result r;
	__u64 t0, t1;

	if (!begin("flow_follows_forward_stats_index", v))
		return;
	skel = open_configured();
	if (!skel)
		goto out;
	run_frame(&r, skel, INGRESS, v, &in);
	moved.stats_index = 900;
	set_forward(skel, &moved);
	t0 = coarse_now_ns();
	run_frame(&r, skel, INGRESS, v, &in);
	t1 = coarse_now_ns();
	expect_rewritten(v, &r, &in, NAT_DESTINATION, TARGET_ADDR, udp_forward.target_port,
			 "after the move");
	expect_flow(skel, &in, &moved, PUBLIC_ADDR, t0, t1, &flow);
	expect_stats(skel, udp_forward.stats_index, 1, frame_ip_len(&in), 0, 0);
	expect_stats(skel, moved.stats_index, 1, frame_ip_len(&in), 0, 0);
	hairpin__destroy(skel);
out:
	test_done();
}

/*
 * The ISP changes the public address from .7 to .8. Replies keep coming from .7 until the
 * client dials .8 (the flow records what the client dialled); then they come from .8, and a
 * packet to .7 is no longer ours.
 */
static void test_flow_public_addr_change(enum variant v)
{
	enum variant ev = egress_variant(v);
	struct frame to_old = udp_to_public(), to_new = udp_to_public(), reply = udp_reply();
	__u32 ip_len = frame_ip_len(&to_old);
	struct hairpin *skel;
	struct hp_flow flow;
	struct result r;
	__u64 t0, t1;

	if (!begin("flow_public_addr_change", v))
		return;
	FRAME_IPH(&to_new).daddr = PUBLIC_ADDR_NEW;
	frame_finish(&to_new);
	skel = open_configured();
	if (!skel)
		goto out;

	run_frame(&r, skel, INGRESS, v, &to_old);
	expect_rewritten(v, &r, &to_old, NAT_DESTINATION, TARGET_ADDR, udp_forward.target_port,
			 "to .7");
	run_frame(&r, skel, EGRESS, ev, &reply);
	expect_rewritten(ev, &r, &reply, NAT_SOURCE, PUBLIC_ADDR, udp_forward.port,
			 "reply while .7");

	set_config(skel, PUBLIC_ADDR_NEW, only_target);
	run_frame(&r, skel, EGRESS, ev, &reply);
	expect_rewritten(ev, &r, &reply, NAT_SOURCE, PUBLIC_ADDR, udp_forward.port,
			 "reply after the change, before the client dialled .8");

	t0 = coarse_now_ns();
	run_frame(&r, skel, INGRESS, v, &to_new);
	t1 = coarse_now_ns();
	expect_rewritten(v, &r, &to_new, NAT_DESTINATION, TARGET_ADDR, udp_forward.target_port,
			 "to .8");
	expect_flow(skel, &to_new, &udp_forward, PUBLIC_ADDR_NEW, t0, t1, &flow);
	CHECK_EQ(count_flows(skel), 1, "flows in the map");

	run_frame(&r, skel, EGRESS, ev, &reply);
	expect_rewritten(ev, &r, &reply, NAT_SOURCE, PUBLIC_ADDR_NEW, udp_forward.port,
			 "reply after the client dialled .8");

	expect_ingress_untouched(v, skel, &to_old, "to .7 after the change");
	expect_flow(skel, &to_new, &udp_forward, PUBLIC_ADDR_NEW, t0, coarse_now_ns(), &flow);
	expect_stats(skel, udp_forward.stats_index, 2, 2 * ip_len, 3, 3 * ip_len);
	hairpin__destroy(skel);
out:
	test_done();
}

/* ---- Egress -------------------------------------------------------------------------- */

/* A fresh skeleton with both forwards and a tracked flow for each, as ingress leaves them. */
static struct hairpin *open_with_flows(void)
{
	struct hairpin *skel = open_configured();

	if (!skel)
		return NULL;
	put_flow(skel, &udp_forward, CLIENT_ADDR, CLIENT_UDP_PORT, PUBLIC_ADDR);
	put_flow(skel, &tcp_forward, CLIENT_ADDR, CLIENT_TCP_PORT, PUBLIC_ADDR);
	return skel;
}

/* @in, a reply of a tracked flow, comes from the public address and port; the flow is kept. */
static void expect_egress_rewrite(enum variant v, struct hairpin *skel, const struct frame *in,
				  const struct forward_rule *rule, __be32 public_addr,
				  const char *what)
{
	struct hp_flow_key key = flow_key(rule, FRAME_IPH(in).daddr,
					  ntohs(FRAME_UDPH(in).dest));
	struct hp_flow before = { 0 }, after = { 0 };
	struct result r;

	CHECK(get_flow(skel, &key, &before), "%s: no flow set up", what);
	run_frame(&r, skel, EGRESS, v, in);
	expect_rewritten(v, &r, in, NAT_SOURCE, public_addr, rule->port, what);
	CHECK(get_flow(skel, &key, &after) && !memcmp(&before, &after, sizeof(before)),
	      "%s: egress changed the flow", what);
}

static void test_egress_udp(enum variant v)
{
	struct frame in = udp_reply();
	struct hairpin *skel;

	if (!begin("egress_udp_reply_rewritten", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	expect_egress_rewrite(v, skel, &in, &udp_forward, PUBLIC_ADDR, "udp reply");
	expect_stats(skel, udp_forward.stats_index, 0, 0, 1, frame_ip_len(&in));
	expect_stats(skel, tcp_forward.stats_index, 0, 0, 0, 0);
	CHECK_EQ(count_flows(skel), 2, "flows in the map");
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_egress_tcp(enum variant v)
{
	struct frame in = tcp_reply();
	struct hairpin *skel;

	if (!begin("egress_tcp_reply_rewritten", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	expect_egress_rewrite(v, skel, &in, &tcp_forward, PUBLIC_ADDR, "tcp reply");
	expect_stats(skel, tcp_forward.stats_index, 0, 0, 1, frame_ip_len(&in));
	expect_stats(skel, udp_forward.stats_index, 0, 0, 0, 0);
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_egress_ip_options(enum variant v)
{
	struct frame udp = udp_reply(), tcp = tcp_reply();
	struct hairpin *skel;

	if (!begin("egress_ip_options_rewritten", v))
		return;
	frame_add_ip_options(&udp, 4);
	frame_add_ip_options(&tcp, 40);
	skel = open_with_flows();
	if (!skel)
		goto out;
	expect_egress_rewrite(v, skel, &udp, &udp_forward, PUBLIC_ADDR, "udp reply, ihl 6");
	expect_egress_rewrite(v, skel, &tcp, &tcp_forward, PUBLIC_ADDR, "tcp reply, ihl 15");
	expect_stats(skel, udp_forward.stats_index, 0, 0, 1, frame_ip_len(&udp));
	expect_stats(skel, tcp_forward.stats_index, 0, 0, 1, frame_ip_len(&tcp));
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_egress_udp_zero_checksum(enum variant v)
{
	struct frame in = udp_reply();
	struct hairpin *skel;

	if (!begin("egress_udp_zero_checksum_stays_zero", v))
		return;
	frame_set_l4_check(&in, 0);
	skel = open_with_flows();
	if (!skel)
		goto out;
	expect_egress_rewrite(v, skel, &in, &udp_forward, PUBLIC_ADDR, "udp reply, no checksum");
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_egress_udp_checksum_ffff(enum variant v)
{
	struct frame in = udp_reply();
	struct hairpin *skel;
	struct result r;

	if (!begin("egress_udp_computed_zero_sent_as_ffff", v))
		return;
	if (!CHECK(make_checksum_zero_after_rewrite(&in, NAT_SOURCE, PUBLIC_ADDR,
						    udp_forward.port),
		   "no payload makes the rewritten checksum 0"))
		goto out;
	skel = open_with_flows();
	if (!skel)
		goto out;
	run_frame(&r, skel, EGRESS, v, &in);
	expect_rewritten(v, &r, &in, NAT_SOURCE, PUBLIC_ADDR, udp_forward.port,
			 "checksum 0 after rewrite");
	if (!r.err && r.size_out == in.len) {
		struct frame got = frame_of(r.out, r.size_out);

		CHECK_EQ(frame_l4_check(&got), 0xffff, "udp.check");
	}
	hairpin__destroy(skel);
out:
	test_done();
}

/* Target addresses are compared one by one: the last slot counts as much as the first. */
static void test_egress_last_target_slot(enum variant v)
{
	static const __be32 targets[HP_MAX_TARGET_ADDRS] = {
		TARGET_ADDR, IPV4(198, 51, 100, 2), IPV4(198, 51, 100, 3), OTHER_TARGET_ADDR,
	};
	struct forward_rule elsewhere = udp_forward;
	struct frame in = udp_reply();
	struct hairpin *skel;

	if (!begin("egress_last_target_slot_rewritten", v))
		return;
	elsewhere.target_addr = OTHER_TARGET_ADDR;
	FRAME_IPH(&in).saddr = OTHER_TARGET_ADDR;
	frame_finish(&in);
	skel = open_configured();
	if (!skel)
		goto out;
	set_config(skel, PUBLIC_ADDR, targets);
	put_flow(skel, &elsewhere, CLIENT_ADDR, CLIENT_UDP_PORT, PUBLIC_ADDR);
	expect_egress_rewrite(v, skel, &in, &elsewhere, PUBLIC_ADDR, "reply from target slot 3");
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_egress_no_payload(enum variant v)
{
	struct frame tcp = without_payload(tcp_reply());
	struct frame udp = without_payload(udp_reply());
	struct hairpin *skel;

	if (!begin("egress_no_payload_rewritten", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	expect_egress_rewrite(v, skel, &tcp, &tcp_forward, PUBLIC_ADDR, "tcp ack");
	expect_egress_rewrite(v, skel, &udp, &udp_forward, PUBLIC_ADDR, "empty udp");
	expect_stats(skel, tcp_forward.stats_index, 0, 0, 1, frame_ip_len(&tcp));
	expect_stats(skel, udp_forward.stats_index, 0, 0, 1, frame_ip_len(&udp));
	hairpin__destroy(skel);
out:
	test_done();
}

static void expect_egress_untouched(enum variant v, struct hairpin *skel,
				    const struct frame *in, const char *what)
{
	struct result r;

	run_frame(&r, skel, EGRESS, v, in);
	expect_untouched(v, &r, in, what);
}

static void test_egress_not_tracked(enum variant v)
{
	struct forward_rule elsewhere = udp_forward;
	struct hairpin *skel;
	struct frame f;

	if (!begin("egress_untracked_untouched", v))
		return;
	skel = open_configured();
	if (!skel)
		goto out;

	/* The client talked to the LAN address directly: no flow, and none is made. */
	f = udp_reply();
	expect_egress_untouched(v, skel, &f, "udp reply without a flow");
	f = tcp_reply();
	expect_egress_untouched(v, skel, &f, "tcp reply without a flow");
	expect_maps_untouched(skel, 0);

	put_flow(skel, &udp_forward, CLIENT_ADDR, CLIENT_UDP_PORT, PUBLIC_ADDR);
	put_flow(skel, &tcp_forward, CLIENT_ADDR, CLIENT_TCP_PORT, PUBLIC_ADDR);

	f = udp_reply();
	FRAME_UDPH(&f).source = htons(udp_forward.target_port + 1);
	frame_finish(&f);
	expect_egress_untouched(v, skel, &f, "udp from another target port");

	f = udp_reply();
	FRAME_UDPH(&f).dest = htons(CLIENT_UDP_PORT + 1);
	frame_finish(&f);
	expect_egress_untouched(v, skel, &f, "udp to another client port");

	f = udp_reply();
	FRAME_IPH(&f).daddr = OTHER_ADDR;
	frame_finish(&f);
	expect_egress_untouched(v, skel, &f, "udp to another client");

	f = tcp_reply();
	FRAME_TCPH(&f).source = htons(udp_forward.target_port);
	FRAME_TCPH(&f).dest = htons(CLIENT_UDP_PORT);
	frame_finish(&f);
	expect_egress_untouched(v, skel, &f, "tcp with the ports of the udp flow");

	f = icmp_echo(TARGET_ADDR, CLIENT_ADDR);
	expect_egress_untouched(v, skel, &f, "icmp from the target");

	f = udp6_to_forwarded_port(true);
	expect_egress_untouched(v, skel, &f, "ipv6 udp with the flow's ports");

	f = arp_request(TARGET_ADDR, CLIENT_ADDR);
	expect_egress_untouched(v, skel, &f, "arp from the host");

	/* A flow whose target is not one of this host's addresses is not this host's. */
	elsewhere.target_addr = OTHER_TARGET_ADDR;
	put_flow(skel, &elsewhere, CLIENT_ADDR, CLIENT_UDP_PORT, PUBLIC_ADDR);
	f = udp_reply();
	FRAME_IPH(&f).saddr = OTHER_TARGET_ADDR;
	frame_finish(&f);
	expect_egress_untouched(v, skel, &f, "udp from an address not in target_addrs");

	/* Unused target slots are 0; a source of 0.0.0.0 must not match them. */
	elsewhere.target_addr = 0;
	put_flow(skel, &elsewhere, CLIENT_ADDR, CLIENT_UDP_PORT, PUBLIC_ADDR);
	f = udp_reply();
	FRAME_IPH(&f).saddr = 0;
	frame_finish(&f);
	expect_egress_untouched(v, skel, &f, "udp from 0.0.0.0");

	expect_maps_untouched(skel, 4);
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_egress_fragments(enum variant v)
{
	static const __u16 frag_offs[] = { IP_MF, IP_MF | 1, 1, IP_DF | 3, IP_OFFSET_MAX };
	struct hairpin *skel;

	if (!begin("egress_fragments_untouched", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	for (size_t i = 0; i < sizeof(frag_offs) / sizeof(frag_offs[0]); i++) {
		struct frame udp = udp_reply(), tcp = tcp_reply();
		char what[64];

		FRAME_IPH(&udp).frag_off = htons(frag_offs[i]);
		frame_finish(&udp);
		snprintf(what, sizeof(what), "udp frag_off 0x%04x", frag_offs[i]);
		expect_egress_untouched(v, skel, &udp, what);

		FRAME_IPH(&tcp).frag_off = htons(frag_offs[i]);
		frame_finish(&tcp);
		snprintf(what, sizeof(what), "tcp frag_off 0x%04x", frag_offs[i]);
		expect_egress_untouched(v, skel, &tcp, what);
	}
	expect_maps_untouched(skel, 2);
	hairpin__destroy(skel);
out:
	test_done();
}

/* As for ingress: each bad IHL comes with a flow for the ports it would make of the header. */
static void test_egress_bad_ip_header(enum variant v)
{
	int decoys = 0;
	struct hairpin *skel;
	char what[64];

	if (!begin("egress_bad_ip_header_untouched", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	for (__u8 ihl = 0; ihl < 5; ihl++) {
		struct frame f = udp_reply();
		struct forward_rule decoy = udp_forward;
		__u16 sport, dport;

		FRAME_IPH(&f).ihl = ihl;
		FRAME_IPH(&f).check = 0;
		ports_at_bad_ihl(&f, &sport, &dport);
		decoy.target_port = sport;
		put_flow(skel, &decoy, CLIENT_ADDR, dport, PUBLIC_ADDR);
		decoys++;
		snprintf(what, sizeof(what), "ihl %u", ihl);
		expect_egress_untouched(v, skel, &f, what);
	}
	for (__u8 version = 0; version < 16; version++) {
		struct frame f = tcp_reply();

		if (version == 4)
			continue;
		FRAME_IPH(&f).version = version;
		frame_finish(&f);
		snprintf(what, sizeof(what), "version %u", version);
		expect_egress_untouched(v, skel, &f, what);
	}
	expect_maps_untouched(skel, 2 + decoys);
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_egress_truncated(enum variant v)
{
	struct hairpin *skel;

	if (!begin("egress_truncated_untouched", v))
		return;
	skel = open_with_flows();
	if (skel)
		expect_short_headers_untouched(v, skel, EGRESS, 2);
	finish(skel);
}

static void test_egress_runt(enum variant v)
{
	struct hairpin *skel;

	if (!begin("egress_below_ethernet_header_refused", v))
		return;
	skel = open_with_flows();
	if (skel)
		expect_runt_frames_refused(v, skel, EGRESS, 2);
	finish(skel);
}

/* ---- Main ---------------------------------------------------------------------------- */

/* The checksum code of this file against published values, since every other test trusts it. */
static void test_checksum_reference(void)
{
	/* RFC 1071, 3: the sum of these words is 0xddf2. */
	static const __u8 rfc1071[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* An IPv4 header whose checksum is 0xb861 (the worked example of Wikipedia's IPv4). */
	static const __u8 ipv4[] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	struct frame f = { .len = ETH_HLEN + sizeof(ipv4) };

	test_start("checksum_reference");
	CHECK_EQ(fold_and_complement(sum_words(rfc1071, sizeof(rfc1071), 0)), 0x220d,
		 "RFC 1071 example");
	/* 0x0001 + 0xf203 + 0xf4f5 + 0xf600 folds to 0xdcfb: an odd last byte is a high half. */
	CHECK_EQ(fold_and_complement(sum_words(rfc1071, 7, 0)), 0x2304, "odd length");
	memcpy(f.data + ETH_HLEN, ipv4, sizeof(ipv4));
	CHECK_EQ(ipv4_header_checksum(&f), 0xb861, "IPv4 header example");
	test_done();
}

/* Which tc variants this kernel's BPF_PROG_TEST_RUN knows: a flag it lacks is EINVAL. */
static void probe_variants(void)
{
	struct hairpin *skel = hairpin__open_and_load();
	struct frame arp = arp_request(CLIENT_ADDR, TARGET_ADDR);

	if (!skel)
		return;	/* every test reports the load failure itself */
	for (int v = TC_CSUM_COMPLETE; v < N_VARIANTS; v++) {
		struct result r;

		run_frame(&r, skel, EGRESS, v, &arp);
		variant_supported[v] = r.err != -EINVAL;
	}
	hairpin__destroy(skel);
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* The verifier log of a program that fails to load is what explains the failure. */
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

typedef void (*packet_test)(enum variant v);

static const packet_test ingress_tests[] = {
	test_ingress_udp,
	test_ingress_tcp,
	test_ingress_ip_options,
	test_ingress_udp_zero_checksum,
	test_ingress_udp_checksum_ffff,
	test_ingress_ethernet_padding,
	test_ingress_no_payload,
	test_ingress_not_for_us,
	test_ingress_fragments,
	test_ingress_bad_ip_header,
	test_ingress_public_unknown,
	test_ingress_truncated,
	test_ingress_runt,
	test_flow_second_packet,
	test_flow_refresh,
	test_flow_stats_index_change,
	test_flow_public_addr_change,
};

static const packet_test egress_tests[] = {
	test_egress_udp,
	test_egress_tcp,
	test_egress_ip_options,
	test_egress_udp_zero_checksum,
	test_egress_udp_checksum_ffff,
	test_egress_no_payload,
	test_egress_last_target_slot,
	test_egress_not_tracked,
	test_egress_fragments,
	test_egress_bad_ip_header,
	test_egress_truncated,
	test_egress_runt,
};

int main(void)
{
	if (geteuid() != 0) {
		printf("FAIL: test_packets: must run as root\n");
		return 1;
	}
	libbpf_set_print(print_libbpf);
	probe_variants();

	test_checksum_reference();

	for (size_t t = 0; t < sizeof(ingress_tests) / sizeof(ingress_tests[0]); t++) {
		for (int v = XDP; v < N_VARIANTS; v++)
			ingress_tests[t](v);
	}
	for (size_t t = 0; t < sizeof(egress_tests) / sizeof(egress_tests[0]); t++) {
		for (int v = TC; v < N_VARIANTS; v++)
			egress_tests[t](v);
	}
	return test_exit_status();
}

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

/*
 * Views of headers at offsets that are not aligned for them. may_alias: they write into a
 * frame's byte array, and without it strict aliasing lets gcc -O2 drop such a write when a
 * copy of the whole struct frame follows it (it did, for fragment_of()).
 */
struct packed_iphdr {
	struct iphdr h;
} __attribute__((packed, may_alias));
struct packed_udphdr {
	struct udphdr h;
} __attribute__((packed, may_alias));
struct packed_tcphdr {
	struct tcphdr h;
} __attribute__((packed, may_alias));

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

/* Entries of a hash map (flows, frags), by walking its keys. */
static int count_keys(const struct bpf_map *map)
{
	int fd = bpf_map__fd(map), n = 0;
	__u8 key[64], next[64];
	void *prev = NULL;

	if (!CHECK(bpf_map__key_size(map) <= sizeof(key), "%s: key of %u bytes",
		   bpf_map__name(map), bpf_map__key_size(map)))
		return -1;
	while (!bpf_map_get_next_key(fd, prev, next) && n < (int)bpf_map__max_entries(map)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

static int count_flows(struct hairpin *skel)
{
	return count_keys(skel->maps.hp_flows);
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
	/* Only a first fragment is remembered; a whole packet (DF or not) is not. */
	CHECK_EQ(count_keys(skel->maps.hp_frags), 0, "frags in the map");
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
	CHECK_EQ(count_keys(skel->maps.hp_frags), 0, "frags in the map");
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

/* ---- Frames for the fragment, VLAN and ICMP error rules ------------------------------ */

/* Another address of this host, in a target slot of its own. */
#define SECOND_TARGET_ADDR IPV4(192, 0, 2, 2)
/* More LAN clients: .11 inside 192.0.2.0/28, the AllowedSources prefix of the tests; .20 not. */
#define CLIENT2_ADDR IPV4(192, 0, 2, 11)
#define OUTSIDE_CLIENT_ADDR IPV4(192, 0, 2, 20)

static const char *proto_name(__u8 protocol)
{
	return protocol == IPPROTO_UDP ? "udp" : protocol == IPPROTO_TCP ? "tcp" : "other";
}

/* @f with @len bytes of payload instead of its own; lengths and checksums recomputed. */
static struct frame with_payload(const struct frame *f, __u32 len)
{
	struct frame g = *f;
	__u32 headers = frame_headers_len(f);

	g.len = headers + len;
	fill_payload(g.data + headers, len);
	frame_finish(&g);
	return g;
}

/* @f from another client address, as its sender would compute the checksums. */
static struct frame from_addr(const struct frame *f, __be32 saddr)
{
	struct frame g = *f;

	FRAME_IPH(&g).saddr = saddr;
	frame_set_checksums(&g, true);
	return g;
}

/* @f with its IPv4 header checksum recomputed after a change to that header only. */
static struct frame with_ip_checksum(struct frame f)
{
	FRAME_IPH(&f).check = htons(ipv4_header_checksum(&f));
	return f;
}

/*
 * A datagram of FRAG_PAYLOAD_LEN payload bytes goes in three fragments (RFC 791) of FRAG_LEN,
 * FRAG_LEN and the rest of its IP payload. FRAG_LEN is a multiple of 8 and longer than a TCP
 * header: the first fragment holds the whole transport header, the others none of it.
 */
#define FRAG_PAYLOAD_LEN 100
#define FRAG_LEN 48

enum { FRAG_FIRST, FRAG_MIDDLE, FRAG_LAST, N_FRAGS };

static const char *const frag_names[N_FRAGS] = { "first", "middle", "last" };

/*
 * Bytes [@start, @start + @len) of @whole's IP payload as a fragment: @whole's IPv4 header with
 * tot_len, MF and the offset set (DF cleared) and its checksum recomputed, and nothing else
 * changed, so a first fragment keeps the transport checksum of the whole datagram.
 */
static struct frame fragment_of(const struct frame *whole, __u32 start, __u32 len, bool more)
{
	__u32 l4_off = frame_l4_off(whole);
	struct frame f = { .len = l4_off + len };

	memcpy(f.data, whole->data, l4_off);
	memcpy(f.data + l4_off, whole->data + l4_off + start, len);
	FRAME_IPH(&f).tot_len = htons(f.len - ETH_HLEN);
	FRAME_IPH(&f).frag_off = htons((more ? IP_MF : 0) | start / 8);
	return with_ip_checksum(f);
}

static void fragments_of(const struct frame *whole, struct frame frags[N_FRAGS])
{
	__u32 ip_payload = frame_ip_len(whole) - (frame_l4_off(whole) - ETH_HLEN);

	frags[FRAG_FIRST] = fragment_of(whole, 0, FRAG_LEN, true);
	frags[FRAG_MIDDLE] = fragment_of(whole, FRAG_LEN, FRAG_LEN, true);
	frags[FRAG_LAST] = fragment_of(whole, 2 * FRAG_LEN, ip_payload - 2 * FRAG_LEN, false);
}

/*
 * A datagram in fragments and what translating it must give: the fragments of the datagram
 * translated whole, its checksums summed from scratch. For the later fragments that is the
 * fragment as sent with one address changed and the IPv4 header checksum recomputed.
 */
struct fragmented {
	struct frame in[N_FRAGS];
	struct frame want[N_FRAGS];
	struct frame want_whole;
};

static void fragment_datagram(struct fragmented *d, const struct frame *whole,
			      enum nat_side side, __be32 addr, __u16 port)
{
	d->want_whole = rewritten(whole, side, addr, port);
	fragments_of(whole, d->in);
	fragments_of(&d->want_whole, d->want);
}

/* A client's datagram to the forwarded port of @protocol, in fragments. */
static void ingress_fragmented(struct fragmented *d, __u8 protocol)
{
	struct frame base = protocol == IPPROTO_UDP ? udp_to_public() : tcp_to_public();
	struct frame whole = with_payload(&base, FRAG_PAYLOAD_LEN);
	const struct forward_rule *rule = forward_of(&whole);

	fragment_datagram(d, &whole, NAT_DESTINATION, rule->target_addr, rule->target_port);
}

/* The target's reply of the tracked @protocol flow, in fragments. */
static void egress_fragmented(struct fragmented *d, __u8 protocol)
{
	struct frame base = protocol == IPPROTO_UDP ? udp_reply() : tcp_reply();
	struct frame whole = with_payload(&base, FRAG_PAYLOAD_LEN);

	fragment_datagram(d, &whole, NAT_SOURCE, PUBLIC_ADDR, forward_of(&whole)->port);
}

static void expect_ip_checksum(const struct frame *f, const char *what)
{
	CHECK(ntohs(FRAME_IPH(f).check) == ipv4_header_checksum(f),
	      "%s: ip.check: got 0x%04x, computed 0x%04x", what, ntohs(FRAME_IPH(f).check),
	      ipv4_header_checksum(f));
}

/*
 * @got, a translated first fragment, checked from scratch: its IPv4 header checksum, and the
 * transport checksum of the datagram it begins (which covers the whole datagram), reassembled
 * with the rest of @whole, the translated datagram.
 */
static void expect_first_fragment_checksums(const struct frame *got, const struct frame *whole,
					    const char *what)
{
	struct frame datagram = *whole;
	__u32 l4_off = frame_l4_off(got);

	expect_ip_checksum(got, what);
	FRAME_IPH(&datagram).saddr = FRAME_IPH(got).saddr;
	FRAME_IPH(&datagram).daddr = FRAME_IPH(got).daddr;
	memcpy(datagram.data + l4_off, got->data + l4_off, got->len - l4_off);
	datagram = with_ip_checksum(datagram);
	expect_valid_checksums(&datagram, false, what);
}

/* Fragment @i of @d through @hook: it must come out as d->want[i]. */
static void expect_fragment_rewritten(enum variant v, struct hairpin *skel, enum hook hook,
				      const struct fragmented *d, int i, const char *what)
{
	struct frame got;
	struct result r;

	run_frame(&r, skel, hook, v, &d->in[i]);
	if (!expect_output(v, &r, &d->want[i], &got, what))
		return;
	if (i == FRAG_FIRST)
		expect_first_fragment_checksums(&got, &d->want_whole, what);
	else
		expect_ip_checksum(&got, what);
}

/* The last fragment of @d moved to the highest offset there is: it follows the first too. */
static void expect_fragment_at_max_offset_rewritten(enum variant v, struct hairpin *skel,
						    enum hook hook, const struct fragmented *d,
						    const char *what)
{
	struct frame in = d->in[FRAG_LAST], want = d->want[FRAG_LAST], got;
	struct result r;

	FRAME_IPH(&in).frag_off = htons(IP_OFFSET_MAX);
	FRAME_IPH(&want).frag_off = htons(IP_OFFSET_MAX);
	in = with_ip_checksum(in);
	want = with_ip_checksum(want);
	run_frame(&r, skel, hook, v, &in);
	if (expect_output(v, &r, &want, &got, what))
		expect_ip_checksum(&got, what);
}

static struct hp_frag_key frag_key_of(const struct frame *f, enum hp_direction direction)
{
	return (struct hp_frag_key){
		.saddr = FRAME_IPH(f).saddr,
		.daddr = FRAME_IPH(f).daddr,
		.id = FRAME_IPH(f).id,
		.protocol = FRAME_IPH(f).protocol,
		.direction = direction,
	};
}

/* The frags entry of @f's datagram, as @f was sent, must say @addr. */
static void expect_frag(struct hairpin *skel, const struct frame *f, enum hp_direction direction,
			__be32 addr)
{
	struct hp_frag_key key = frag_key_of(f, direction);
	struct hp_frag frag;

	if (!CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.hp_frags), &key, &frag),
		   "no frags entry %s -> %s id 0x%04x proto %u direction %u", addr_str(key.saddr),
		   addr_str(key.daddr), ntohs(key.id), key.protocol, key.direction))
		return;
	CHECK(frag.addr == addr, "frags entry addr: got %s, want %s", addr_str(frag.addr),
	      addr_str(addr));
	CHECK_EQ(frag.pad, 0, "frags entry pad");
}

static void put_frag(struct hairpin *skel, const struct hp_frag_key *key, __be32 addr)
{
	struct hp_frag frag = { .addr = addr };

	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_frags), key, &frag, BPF_ANY),
	      "add frags entry: %s", strerror(errno));
}

/*
 * 802.1Q and 802.1ad tags (outermost first) put between the MAC addresses and the EtherType.
 * Each has its own VLAN ID and a priority, so that a tag moved, dropped or rewritten shows.
 */
struct vlan_tags {
	const char *name;
	int n;
	__u16 tpid[3];
};

static const struct vlan_tags vlan_stacks[] = {
	{ "802.1Q", 1, { ETH_P_8021Q } },
	{ "802.1ad", 1, { ETH_P_8021AD } },
	{ "QinQ", 2, { ETH_P_8021AD, ETH_P_8021Q } },
};

/* One more than the datapath skips (doc/translation.md, "Parsing a frame"). */
static const struct vlan_tags three_tags = {
	"three tags", 3, { ETH_P_8021AD, ETH_P_8021Q, ETH_P_8021Q },
};

static struct frame frame_tagged(const struct frame *f, const struct vlan_tags *tags)
{
	struct frame g = { .len = f->len + tags->n * 4 };
	__u8 *tag = g.data + 2 * ETH_ALEN;

	memcpy(g.data, f->data, 2 * ETH_ALEN);
	for (int i = 0; i < tags->n; i++, tag += 4) {
		__u16 tci = 5 << 13 | (100 + i);	/* PCP 5, VID 100 + i */

		tag[0] = tags->tpid[i] >> 8;
		tag[1] = tags->tpid[i] & 0xff;
		tag[2] = tci >> 8;
		tag[3] = tci & 0xff;
	}
	memcpy(tag, f->data + 2 * ETH_ALEN, f->len - 2 * ETH_ALEN);
	return g;
}

/* @f without its first @n tags, for the checksum helpers, which want IPv4 at ETH_HLEN. */
static struct frame frame_untagged(const struct frame *f, int n)
{
	struct frame g = { .len = f->len - n * 4 };

	memcpy(g.data, f->data, 2 * ETH_ALEN);
	memcpy(g.data + 2 * ETH_ALEN, f->data + 2 * ETH_ALEN + n * 4, g.len - 2 * ETH_ALEN);
	return g;
}

/*
 * @in, sent with @tags, must come out translated behind the same tags: the frame rewritten()
 * makes of the untagged @in, tagged alike, and checksums valid when summed from scratch.
 */
static void expect_tagged_rewrite(enum variant v, struct hairpin *skel, enum hook hook,
				  const struct frame *in, const struct vlan_tags *tags,
				  enum nat_side side, __be32 addr, __u16 port, const char *what)
{
	struct frame untagged_want = rewritten(in, side, addr, port);
	struct frame want = frame_tagged(&untagged_want, tags);
	struct frame tagged = frame_tagged(in, tags), got;
	struct result r;

	run_frame(&r, skel, hook, v, &tagged);
	if (expect_output(v, &r, &want, &got, what)) {
		struct frame untagged_got = frame_untagged(&got, tags->n);

		expect_valid_checksums(&untagged_got, false, what);
	}
}

/* The ICMP checksum over the whole message, as long as tot_len says (RFC 792), host order. */
static __u16 icmp_checksum(const struct frame *f)
{
	__u32 off = frame_l4_off(f), len = frame_ip_len(f) - (off - ETH_HLEN);
	__u8 message[FRAME_MAX];

	memcpy(message, f->data + off, len);
	memset(message + offsetof(struct icmphdr, checksum), 0, 2);
	return fold_and_complement(sum_words(message, len, 0));
}

static __u16 frame_icmp_check(const struct frame *f)
{
	return get_be16(f->data + frame_l4_off(f) + offsetof(struct icmphdr, checksum));
}

/* The IPv4 header and ICMP checksums as a sender computes them. */
static void frame_set_icmp_checksums(struct frame *f)
{
	__u8 *check = f->data + frame_l4_off(f) + offsetof(struct icmphdr, checksum);
	__u16 sum;

	FRAME_IPH(f).check = htons(ipv4_header_checksum(f));
	sum = icmp_checksum(f);
	check[0] = sum >> 8;
	check[1] = sum & 0xff;
}

/*
 * An ICMP message from @saddr to @daddr, @body after its 8-byte header, between the client
 * and this host (@from_host says which way). Lengths and both checksums are computed here.
 */
static struct frame icmp_message(__be32 saddr, __be32 daddr, __u8 type, __u8 code, __be32 rest,
				 const __u8 *body, __u32 body_len, bool from_host)
{
	static const __u8 host_mac[ETH_ALEN] = HOST_MAC, client_mac[ETH_ALEN] = CLIENT_MAC;
	struct icmp4_packet pkt = {
		.eth = { .h_proto = htons(ETH_P_IP) },
		/* As Linux sends its errors: TOS 0xc0 (internetwork control), DF. */
		.iph = { .version = 4, .ihl = 5, .tos = 0xc0, .id = htons(0x7a7a),
			 .frag_off = htons(IP_DF), .ttl = 64, .protocol = IPPROTO_ICMP,
			 .saddr = saddr, .daddr = daddr },
		.icmp = { .type = type, .code = code, .un.gateway = rest },
	};
	struct frame f;

	memcpy(pkt.eth.h_dest, from_host ? client_mac : host_mac, ETH_ALEN);
	memcpy(pkt.eth.h_source, from_host ? host_mac : client_mac, ETH_ALEN);
	f = frame_of(&pkt, offsetof(struct icmp4_packet, payload));
	memcpy(f.data + f.len, body, body_len);
	f.len += body_len;
	FRAME_IPH(&f).tot_len = htons(f.len - ETH_HLEN);
	frame_set_icmp_checksums(&f);
	return f;
}

/* How much of the packet an ICMP error quotes: all of it, or its first so many bytes. */
#define QUOTE_ALL (~0U)

/*
 * An ICMP error about @about, a whole frame that went the other way, quoting the first @quoted
 * bytes of its IP packet (RFC 792 asks for the header and 8 bytes; Linux quotes as much as
 * fits in 576 bytes, here the whole packet).
 */
static struct frame icmp_error(__be32 saddr, __be32 daddr, __u8 type, __u8 code, __be32 rest,
			       const struct frame *about, __u32 quoted, bool from_host)
{
	if (quoted == QUOTE_ALL)
		quoted = frame_ip_len(about);
	return icmp_message(saddr, daddr, type, code, rest, about->data + ETH_HLEN, quoted,
			    from_host);
}

/* The packet an ICMP error quotes, as a frame of its own (its tot_len may claim more). */
static struct frame quoted_packet(const struct frame *err)
{
	__u32 off = frame_l4_off(err) + sizeof(struct icmphdr);
	__u32 end = ETH_HLEN + frame_ip_len(err);
	struct frame f = { .len = ETH_HLEN + end - off };

	memcpy(f.data, err->data, ETH_HLEN);
	memcpy(f.data + ETH_HLEN, err->data + off, end - off);
	return f;
}

/*
 * Every checksum of an ICMP error summed from scratch: the outer IPv4 header, the ICMP message,
 * the quoted IPv4 header, and the quoted UDP/TCP checksum when the error quotes the whole
 * datagram it covers. When it quotes less, the comparison with a frame made from the whole
 * translated datagram is what vouches for that checksum.
 */
static void expect_icmp_error_checksums(const struct frame *f, bool udp_zero_expected,
					const char *what)
{
	struct frame inner = quoted_packet(f);
	char inner_what[128];

	expect_ip_checksum(f, what);
	CHECK(frame_icmp_check(f) == icmp_checksum(f),
	      "%s: icmp.checksum: got 0x%04x, computed 0x%04x", what, frame_icmp_check(f),
	      icmp_checksum(f));
	snprintf(inner_what, sizeof(inner_what), "%s: quoted packet", what);
	expect_ip_checksum(&inner, inner_what);
	if (inner.len >= ETH_HLEN + frame_ip_len(&inner))
		expect_valid_checksums(&inner, udp_zero_expected, inner_what);
}

/* ---- Fragments ----------------------------------------------------------------------- */

static const __u8 both_protocols[] = { IPPROTO_UDP, IPPROTO_TCP };

/* A first fragment to a forwarded port is translated like a whole packet, and remembered. */
static void test_ingress_first_fragment(enum variant v)
{
	if (!begin("ingress_first_fragment_rewritten_and_remembered", v))
		return;
	for (size_t p = 0; p < sizeof(both_protocols); p++) {
		const struct forward_rule *rule;
		struct fragmented d;
		struct hairpin *skel;
		struct hp_flow flow;
		char what[64];
		__u64 t0, t1;

		ingress_fragmented(&d, both_protocols[p]);
		rule = forward_of(&d.in[FRAG_FIRST]);
		skel = open_configured();
		if (!skel)
			break;
		snprintf(what, sizeof(what), "%s first fragment", proto_name(both_protocols[p]));
		t0 = coarse_now_ns();
		expect_fragment_rewritten(v, skel, INGRESS, &d, FRAG_FIRST, what);
		t1 = coarse_now_ns();
		expect_flow(skel, &d.in[FRAG_FIRST], rule, PUBLIC_ADDR, t0, t1, &flow);
		CHECK_EQ(count_flows(skel), 1, "flows in the map");
		expect_frag(skel, &d.in[FRAG_FIRST], HP_DIR_INGRESS, rule->target_addr);
		CHECK_EQ(count_keys(skel->maps.hp_frags), 1, "frags in the map");
		expect_stats(skel, rule->stats_index, 1, frame_ip_len(&d.in[FRAG_FIRST]), 0, 0);
		hairpin__destroy(skel);
	}
	test_done();
}

/* The later fragments get the first's destination address and nothing else; no counting. */
static void test_ingress_later_fragments(enum variant v)
{
	if (!begin("ingress_later_fragments_follow_first", v))
		return;
	for (size_t p = 0; p < sizeof(both_protocols); p++) {
		const struct forward_rule *rule;
		struct fragmented d;
		struct hairpin *skel;
		char what[64];

		ingress_fragmented(&d, both_protocols[p]);
		rule = forward_of(&d.in[FRAG_FIRST]);
		skel = open_configured();
		if (!skel)
			break;
		for (int i = FRAG_FIRST; i < N_FRAGS; i++) {
			snprintf(what, sizeof(what), "%s %s fragment",
				 proto_name(both_protocols[p]), frag_names[i]);
			expect_fragment_rewritten(v, skel, INGRESS, &d, i, what);
		}
		snprintf(what, sizeof(what), "%s fragment at offset 0x1fff",
			 proto_name(both_protocols[p]));
		expect_fragment_at_max_offset_rewritten(v, skel, INGRESS, &d, what);
		CHECK_EQ(count_flows(skel), 1, "flows in the map");
		expect_frag(skel, &d.in[FRAG_FIRST], HP_DIR_INGRESS, rule->target_addr);
		CHECK_EQ(count_keys(skel->maps.hp_frags), 1, "frags in the map");
		expect_stats(skel, rule->stats_index, 1, frame_ip_len(&d.in[FRAG_FIRST]), 0, 0);
		hairpin__destroy(skel);
	}
	test_done();
}

/* A later fragment of another datagram than a first fragment seen stays as it is. */
static void expect_other_datagrams_untouched(enum variant v, struct hairpin *skel, enum hook hook,
					     const struct fragmented *d)
{
	const char *proto = proto_name(FRAME_IPH(&d->in[FRAG_FIRST]).protocol);
	char what[64];

	for (int i = FRAG_MIDDLE; i < N_FRAGS; i++) {
		struct frame other_id = d->in[i], other_sender = d->in[i], other_proto = d->in[i];
		struct result r;

		FRAME_IPH(&other_id).id = htons(ntohs(FRAME_IPH(&other_id).id) + 1);
		other_id = with_ip_checksum(other_id);
		snprintf(what, sizeof(what), "%s %s fragment of another id", proto, frag_names[i]);
		run_frame(&r, skel, hook, v, &other_id);
		expect_untouched(v, &r, &other_id, what);

		/* Ingress: another client; egress: to another client. */
		if (hook == INGRESS)
			FRAME_IPH(&other_sender).saddr = CLIENT2_ADDR;
		else
			FRAME_IPH(&other_sender).daddr = CLIENT2_ADDR;
		other_sender = with_ip_checksum(other_sender);
		snprintf(what, sizeof(what), "%s %s fragment, other client", proto, frag_names[i]);
		run_frame(&r, skel, hook, v, &other_sender);
		expect_untouched(v, &r, &other_sender, what);

		/* The same addresses and id, but the other protocol. */
		FRAME_IPH(&other_proto).protocol ^= IPPROTO_UDP ^ IPPROTO_TCP;
		other_proto = with_ip_checksum(other_proto);
		snprintf(what, sizeof(what), "%s %s fragment as the other protocol", proto,
			 frag_names[i]);
		run_frame(&r, skel, hook, v, &other_proto);
		expect_untouched(v, &r, &other_proto, what);
	}
}

/*
 * A later fragment whose first fragment was not seen: before it came, or of another datagram
 * (id, client, protocol). Lost, as doc/translation.md says, and not rewritten half.
 */
static void test_ingress_fragment_without_first(enum variant v)
{
	if (!begin("ingress_later_fragment_without_first_untouched", v))
		return;
	for (size_t p = 0; p < sizeof(both_protocols); p++) {
		const char *proto = proto_name(both_protocols[p]);
		const struct forward_rule *rule;
		struct fragmented d;
		struct hairpin *skel;
		char what[64];

		ingress_fragmented(&d, both_protocols[p]);
		rule = forward_of(&d.in[FRAG_FIRST]);
		skel = open_configured();
		if (!skel)
			break;
		for (int i = FRAG_MIDDLE; i < N_FRAGS; i++) {
			snprintf(what, sizeof(what), "%s %s fragment before the first", proto,
				 frag_names[i]);
			expect_ingress_untouched(v, skel, &d.in[i], what);
		}
		CHECK_EQ(count_keys(skel->maps.hp_frags), 0, "frags in the map");
		expect_maps_untouched(skel, 0);

		snprintf(what, sizeof(what), "%s first fragment", proto);
		expect_fragment_rewritten(v, skel, INGRESS, &d, FRAG_FIRST, what);
		expect_other_datagrams_untouched(v, skel, INGRESS, &d);
		CHECK_EQ(count_keys(skel->maps.hp_frags), 1, "frags in the map");
		CHECK_EQ(count_flows(skel), 1, "flows in the map");
		expect_stats(skel, rule->stats_index, 1, frame_ip_len(&d.in[FRAG_FIRST]), 0, 0);
		hairpin__destroy(skel);
	}
	test_done();
}

/* Every fragment of @whole must pass as it came. */
static void expect_fragments_untouched(enum variant v, struct hairpin *skel, enum hook hook,
				       const struct frame *whole, const char *name)
{
	struct frame frags[N_FRAGS];
	char what[96];

	fragments_of(whole, frags);
	for (int i = FRAG_FIRST; i < N_FRAGS; i++) {
		struct result r;

		snprintf(what, sizeof(what), "%s, %s fragment", name, frag_names[i]);
		run_frame(&r, skel, hook, v, &frags[i]);
		expect_untouched(v, &r, &frags[i], what);
	}
}

/* An ICMP echo request of @payload_len bytes, checksums right: a datagram to fragment. */
static struct frame icmp_echo_long(__be32 saddr, __be32 daddr, __u32 payload_len,
				   bool from_host)
{
	__u8 payload[FRAME_MAX];

	fill_payload(payload, payload_len);
	return icmp_message(saddr, daddr, ICMP_ECHO, 0, htonl(0x00010001), payload, payload_len,
			    from_host);
}

/* Fragments of a port not forwarded, of another protocol, of ICMP: no translation, no entry. */
static void test_ingress_fragments_not_ours(enum variant v)
{
	struct hairpin *skel;
	struct frame f;

	if (!begin("ingress_fragments_not_forwarded_untouched", v))
		return;
	skel = open_configured();
	if (!skel)
		goto out;

	f = udp_to_public();
	FRAME_UDPH(&f).dest = htons(UNFORWARDED_PORT);
	f = with_payload(&f, FRAG_PAYLOAD_LEN);
	expect_fragments_untouched(v, skel, INGRESS, &f, "udp to a port not forwarded");

	f = tcp_to_public();
	FRAME_TCPH(&f).dest = htons(udp_forward.port);
	f = with_payload(&f, FRAG_PAYLOAD_LEN);
	expect_fragments_untouched(v, skel, INGRESS, &f, "tcp to the udp-forwarded port");

	/* GRE (47) whose first bytes read as the forwarded port: only UDP and TCP have ports. */
	f = udp_to_public();
	f = with_payload(&f, FRAG_PAYLOAD_LEN);
	FRAME_IPH(&f).protocol = IPPROTO_GRE;
	f = with_ip_checksum(f);
	expect_fragments_untouched(v, skel, INGRESS, &f, "gre with the udp ports");

	f = icmp_echo_long(CLIENT_ADDR, PUBLIC_ADDR, FRAG_PAYLOAD_LEN, false);
	expect_fragments_untouched(v, skel, INGRESS, &f, "icmp echo");

	CHECK_EQ(count_keys(skel->maps.hp_frags), 0, "frags in the map");
	expect_maps_untouched(skel, 0);
	hairpin__destroy(skel);
out:
	test_done();
}

/* The first fragment of a tracked flow's reply is translated and remembered. */
static void test_egress_first_fragment(enum variant v)
{
	struct hairpin *skel;

	if (!begin("egress_first_fragment_rewritten_and_remembered", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	for (size_t p = 0; p < sizeof(both_protocols); p++) {
		const struct forward_rule *rule;
		struct fragmented d;
		char what[64];

		egress_fragmented(&d, both_protocols[p]);
		rule = forward_of(&d.in[FRAG_FIRST]);
		snprintf(what, sizeof(what), "%s first fragment", proto_name(both_protocols[p]));
		expect_fragment_rewritten(v, skel, EGRESS, &d, FRAG_FIRST, what);
		expect_frag(skel, &d.in[FRAG_FIRST], HP_DIR_EGRESS, PUBLIC_ADDR);
		CHECK_EQ(count_keys(skel->maps.hp_frags), p + 1, "frags in the map");
		expect_stats(skel, rule->stats_index, 0, 0, 1, frame_ip_len(&d.in[FRAG_FIRST]));
	}
	CHECK_EQ(count_flows(skel), 2, "flows in the map");
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_egress_later_fragments(enum variant v)
{
	struct hairpin *skel;

	if (!begin("egress_later_fragments_follow_first", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	for (size_t p = 0; p < sizeof(both_protocols); p++) {
		const struct forward_rule *rule;
		struct fragmented d;
		char what[64];

		egress_fragmented(&d, both_protocols[p]);
		rule = forward_of(&d.in[FRAG_FIRST]);
		for (int i = FRAG_FIRST; i < N_FRAGS; i++) {
			snprintf(what, sizeof(what), "%s %s fragment",
				 proto_name(both_protocols[p]), frag_names[i]);
			expect_fragment_rewritten(v, skel, EGRESS, &d, i, what);
		}
		snprintf(what, sizeof(what), "%s fragment at offset 0x1fff",
			 proto_name(both_protocols[p]));
		expect_fragment_at_max_offset_rewritten(v, skel, EGRESS, &d, what);
		expect_frag(skel, &d.in[FRAG_FIRST], HP_DIR_EGRESS, PUBLIC_ADDR);
		expect_stats(skel, rule->stats_index, 0, 0, 1, frame_ip_len(&d.in[FRAG_FIRST]));
	}
	CHECK_EQ(count_keys(skel->maps.hp_frags), 2, "frags in the map");
	CHECK_EQ(count_flows(skel), 2, "flows in the map");
	hairpin__destroy(skel);
out:
	test_done();
}

/*
 * Untouched on egress: later fragments before their first, of other datagrams, of a reply no
 * flow tracks; and an ingress entry with the same addresses and id does not serve egress.
 */
static void test_egress_fragments_not_ours(enum variant v)
{
	struct hairpin *skel;
	char what[64];

	if (!begin("egress_fragments_untracked_untouched", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	for (size_t p = 0; p < sizeof(both_protocols); p++) {
		const char *proto = proto_name(both_protocols[p]);
		struct frame untracked;
		struct hp_frag_key key;
		struct fragmented d;

		egress_fragmented(&d, both_protocols[p]);
		key = frag_key_of(&d.in[FRAG_FIRST], HP_DIR_INGRESS);
		put_frag(skel, &key, PUBLIC_ADDR);
		for (int i = FRAG_MIDDLE; i < N_FRAGS; i++) {
			snprintf(what, sizeof(what),
				 "%s %s fragment before the first, an ingress entry there", proto,
				 frag_names[i]);
			expect_egress_untouched(v, skel, &d.in[i], what);
		}

		untracked = both_protocols[p] == IPPROTO_UDP ? udp_reply() : tcp_reply();
		FRAME_UDPH(&untracked).dest = htons(ntohs(FRAME_UDPH(&untracked).dest) + 1);
		untracked = with_payload(&untracked, FRAG_PAYLOAD_LEN);
		snprintf(what, sizeof(what), "%s reply to another client port", proto);
		expect_fragments_untouched(v, skel, EGRESS, &untracked, what);
		/* Per protocol: the ingress entry put here, the first fragment's further down. */
		CHECK_EQ(count_keys(skel->maps.hp_frags), 2 * p + 1, "frags in the map");
		CHECK_EQ(count_flows(skel), 2, "flows in the map");

		snprintf(what, sizeof(what), "%s first fragment", proto);
		expect_fragment_rewritten(v, skel, EGRESS, &d, FRAG_FIRST, what);
		expect_other_datagrams_untouched(v, skel, EGRESS, &d);
	}
	CHECK_EQ(count_keys(skel->maps.hp_frags), 4, "frags in the map");
	CHECK_EQ(count_flows(skel), 2, "flows in the map");
	/* Only the two first fragments were counted. */
	for (size_t p = 0; p < sizeof(both_protocols); p++) {
		struct fragmented d;

		egress_fragmented(&d, both_protocols[p]);
		expect_stats(skel, forward_of(&d.in[FRAG_FIRST])->stats_index, 0, 0, 1,
			     frame_ip_len(&d.in[FRAG_FIRST]));
	}
	hairpin__destroy(skel);
out:
	test_done();
}

/* ---- VLAN tags ----------------------------------------------------------------------- */

/*
 * What BPF_PROG_TEST_RUN (6.18) does with a tagged frame: XDP gets the bytes as given. For tc,
 * eth_type_trans() sets skb->protocol to the outer TPID, and nothing moves a tag into
 * skb->vlan_tci: the tags stay in the data, where the parser looks for them, and come back in
 * the output. (On a real device tc seldom sees the outer tag in the data: receive moves it to
 * skb->vlan_tci with skb_vlan_untag() before tc ingress, and the 8021q driver hands the tag to
 * the lower device in skb->vlan_tci; that is outside the program.) BPF_F_TEST_SKB_CHECKSUM_COMPLETE
 * sums skb->csum from the first tag on; the tags do not change, so nothing need follow them.
 */
static void test_ingress_vlan(enum variant v)
{
	char what[64];

	if (!begin("ingress_vlan_tagged_rewritten", v))
		return;
	for (size_t s = 0; s < sizeof(vlan_stacks) / sizeof(vlan_stacks[0]); s++) {
		for (size_t p = 0; p < sizeof(both_protocols); p++) {
			struct frame in = both_protocols[p] == IPPROTO_UDP ? udp_to_public()
									   : tcp_to_public();
			const struct forward_rule *rule = forward_of(&in);
			struct hairpin *skel = open_configured();
			struct hp_flow flow;
			__u64 t0, t1;

			if (!skel)
				goto out;
			snprintf(what, sizeof(what), "%s behind %s", proto_name(both_protocols[p]),
				 vlan_stacks[s].name);
			t0 = coarse_now_ns();
			expect_tagged_rewrite(v, skel, INGRESS, &in, &vlan_stacks[s],
					      NAT_DESTINATION, rule->target_addr,
					      rule->target_port, what);
			t1 = coarse_now_ns();
			expect_flow(skel, &in, rule, PUBLIC_ADDR, t0, t1, &flow);
			CHECK_EQ(count_flows(skel), 1, "flows in the map");
			expect_stats(skel, rule->stats_index, 1, frame_ip_len(&in), 0, 0);
			hairpin__destroy(skel);
		}
	}
out:
	test_done();
}

/* Three tags, or tags in front of something other than IPv4: not ours. */
static void expect_tagged_not_ours_untouched(enum variant v, struct hairpin *skel,
					     enum hook hook)
{
	struct frame shapes[] = {
		hook == INGRESS ? udp_to_public() : udp_reply(),
		hook == INGRESS ? tcp_to_public() : tcp_reply(),
	};
	struct frame arp = hook == INGRESS ? arp_request(CLIENT_ADDR, PUBLIC_ADDR)
					   : arp_request(TARGET_ADDR, CLIENT_ADDR);
	struct frame ipv6 = udp6_to_forwarded_port(hook == EGRESS);
	char what[64];

	for (size_t p = 0; p < sizeof(shapes) / sizeof(shapes[0]); p++) {
		struct frame f = frame_tagged(&shapes[p], &three_tags);
		struct result r;

		snprintf(what, sizeof(what), "%s behind three tags",
			 proto_name(FRAME_IPH(&shapes[p]).protocol));
		run_frame(&r, skel, hook, v, &f);
		expect_untouched(v, &r, &f, what);
	}
	for (size_t s = 0; s < sizeof(vlan_stacks) / sizeof(vlan_stacks[0]); s++) {
		struct frame tagged_arp = frame_tagged(&arp, &vlan_stacks[s]);
		struct frame tagged_ipv6 = frame_tagged(&ipv6, &vlan_stacks[s]);
		struct result r;

		snprintf(what, sizeof(what), "arp behind %s", vlan_stacks[s].name);
		run_frame(&r, skel, hook, v, &tagged_arp);
		expect_untouched(v, &r, &tagged_arp, what);
		snprintf(what, sizeof(what), "ipv6 udp behind %s", vlan_stacks[s].name);
		run_frame(&r, skel, hook, v, &tagged_ipv6);
		expect_untouched(v, &r, &tagged_ipv6, what);
	}
}

static void test_ingress_vlan_not_ours(enum variant v)
{
	struct hairpin *skel;

	if (!begin("ingress_vlan_three_tags_or_not_ipv4_untouched", v))
		return;
	skel = open_configured();
	if (!skel)
		goto out;
	expect_tagged_not_ours_untouched(v, skel, INGRESS);
	expect_maps_untouched(skel, 0);
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_egress_vlan(enum variant v)
{
	struct frame udp = udp_reply(), tcp = tcp_reply();
	__u64 n = sizeof(vlan_stacks) / sizeof(vlan_stacks[0]);
	struct hairpin *skel;
	char what[64];

	if (!begin("egress_vlan_tagged_rewritten", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	for (size_t s = 0; s < n; s++) {
		snprintf(what, sizeof(what), "udp reply behind %s", vlan_stacks[s].name);
		expect_tagged_rewrite(v, skel, EGRESS, &udp, &vlan_stacks[s], NAT_SOURCE,
				      PUBLIC_ADDR, udp_forward.port, what);
		snprintf(what, sizeof(what), "tcp reply behind %s", vlan_stacks[s].name);
		expect_tagged_rewrite(v, skel, EGRESS, &tcp, &vlan_stacks[s], NAT_SOURCE,
				      PUBLIC_ADDR, tcp_forward.port, what);
	}
	expect_stats(skel, udp_forward.stats_index, 0, 0, n, n * frame_ip_len(&udp));
	expect_stats(skel, tcp_forward.stats_index, 0, 0, n, n * frame_ip_len(&tcp));
	CHECK_EQ(count_flows(skel), 2, "flows in the map");
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_egress_vlan_not_ours(enum variant v)
{
	struct hairpin *skel;

	if (!begin("egress_vlan_three_tags_or_not_ipv4_untouched", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	expect_tagged_not_ours_untouched(v, skel, EGRESS);
	expect_maps_untouched(skel, 2);
	hairpin__destroy(skel);
out:
	test_done();
}

/* ---- ICMP errors --------------------------------------------------------------------- */

struct icmp_error_kind {
	const char *name;
	__u8 type, code;
	__be32 rest;	/* the word after the checksum: unused, an MTU, a pointer, a gateway */
};

static const struct icmp_error_kind port_unreachable = {
	"port unreachable", ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0,
};
/* RFC 1191: the next-hop MTU in the low 16 bits. */
static const struct icmp_error_kind frag_needed = {
	"fragmentation needed", ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, IPV4(0, 0, 0x05, 0x78),
};
static const struct icmp_error_kind other_errors[] = {
	{ "time exceeded in transit", ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0 },
	{ "time exceeded reassembling", ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0 },
	/* The pointer, in the first byte, at the quoted header's TTL. */
	{ "parameter problem", ICMP_PARAMETERPROB, 0, IPV4(8, 0, 0, 0) },
	{ "source quench", ICMP_SOURCE_QUENCH, 0, 0 },
	{ "redirect host", ICMP_REDIRECT, ICMP_REDIR_HOST, IPV4(192, 0, 2, 254) },
};

/* Bytes an error quotes: the IPv4 header of @f and the first @l4_bytes after it. */
static __u32 quote_of(const struct frame *f, __u32 l4_bytes)
{
	return frame_l4_off(f) - ETH_HLEN + l4_bytes;
}

/* The flows map as a test set it up, to show that a packet changed nothing in it. */
#define SNAPSHOT_FLOWS 8

struct flows_snapshot {
	int n;
	struct hp_flow_key keys[SNAPSHOT_FLOWS];
	struct hp_flow values[SNAPSHOT_FLOWS];
};

static void snapshot_flows(struct hairpin *skel, struct flows_snapshot *s)
{
	int fd = bpf_map__fd(skel->maps.hp_flows);
	void *prev = NULL;

	s->n = 0;
	while (s->n < SNAPSHOT_FLOWS && !bpf_map_get_next_key(fd, prev, &s->keys[s->n])) {
		CHECK(!bpf_map_lookup_elem(fd, &s->keys[s->n], &s->values[s->n]),
		      "read flow %d: %s", s->n, strerror(errno));
		prev = &s->keys[s->n++];
	}
}

/* No flow made or changed, nothing counted, no frags entry: what an ICMP error leaves. */
static void expect_maps_as_before(struct hairpin *skel, const struct flows_snapshot *before)
{
	CHECK_EQ(count_flows(skel), before->n, "flows in the map");
	for (int i = 0; i < before->n; i++) {
		const struct hp_flow_key *key = &before->keys[i];
		struct hp_flow now;

		CHECK(get_flow(skel, key, &now) && !memcmp(&now, &before->values[i], sizeof(now)),
		      "flow %s:%u -> %s:%u proto %u changed or gone", addr_str(key->client_addr),
		      ntohs(key->client_port), addr_str(key->target_addr), ntohs(key->target_port),
		      key->protocol);
	}
	CHECK_EQ(count_keys(skel->maps.hp_frags), 0, "frags in the map");
	expect_stats(skel, udp_forward.stats_index, 0, 0, 0, 0);
	expect_stats(skel, tcp_forward.stats_index, 0, 0, 0, 0);
}

/*
 * @about translated as @side := @addr:@port, as an ICMP error quoting @quoted bytes of it must
 * carry it: a TCP checksum is updated only when the error quotes the whole 20-byte header
 * (doc/translation.md), else it stays as it was, even if its bytes are there.
 */
static struct frame quoted_rewritten(const struct frame *about, __u32 quoted,
				     enum nat_side side, __be32 addr, __u16 port)
{
	struct frame f = rewritten(about, side, addr, port);

	if (quoted != QUOTE_ALL && FRAME_IPH(about).protocol == IPPROTO_TCP &&
	    quoted < quote_of(about, sizeof(struct tcphdr)))
		frame_set_l4_check(&f, frame_l4_check(about));
	return f;
}

/*
 * @padding bytes of @about past the first @quoted put after @f's end: in the frame, beyond the
 * outer tot_len, where a quoted checksum must not be looked for (doc/translation.md: "inside
 * the frame and inside the outer total length"). Nothing may change them.
 */
static void append_past_tot_len(struct frame *f, const struct frame *about, __u32 quoted,
				__u32 padding)
{
	memcpy(f->data + f->len, about->data + ETH_HLEN + quoted, padding);
	f->len += padding;
}

static void expect_icmp_error_rewrite(enum variant v, struct hairpin *skel, enum hook hook,
				      const struct frame *in, const struct frame *want,
				      const struct frame *about, const char *what)
{
	bool udp_zero = FRAME_IPH(about).protocol == IPPROTO_UDP && !frame_l4_check(about);
	struct frame got;
	struct result r;

	run_frame(&r, skel, hook, v, in);
	if (expect_output(v, &r, want, &got, what))
		expect_icmp_error_checksums(&got, udp_zero, what);
}

/* A reply of a tracked flow as the target sent it, as the client received it (after egress). */
static struct frame reply_as_received(const struct frame *reply)
{
	return rewritten(reply, NAT_SOURCE, PUBLIC_ADDR, forward_of(reply)->port);
}

/*
 * @from (the client, or a router on the way back) tells the public address that @reply, a
 * reply of a tracked flow as the target sent it, could not be delivered, quoting @quoted bytes
 * of it as the client received it. Ingress must make it an error to the target about the reply
 * as the target sent it: outer destination, quoted source and source port.
 */
static void expect_ingress_icmp_rewrite_padded(enum variant v, struct hairpin *skel,
					       const struct icmp_error_kind *kind, __be32 from,
					       const struct frame *reply, __u32 quoted,
					       __u32 padding, const char *what)
{
	const struct forward_rule *rule = forward_of(reply);
	struct frame about = reply_as_received(reply);
	struct frame about_after = quoted_rewritten(&about, quoted, NAT_SOURCE, rule->target_addr,
						    rule->target_port);
	struct frame in = icmp_error(from, PUBLIC_ADDR, kind->type, kind->code, kind->rest, &about,
				     quoted, false);
	struct frame want = icmp_error(from, rule->target_addr, kind->type, kind->code, kind->rest,
				       &about_after, quoted, false);
	char full_what[128];

	append_past_tot_len(&in, &about, quoted, padding);
	append_past_tot_len(&want, &about, quoted, padding);
	snprintf(full_what, sizeof(full_what), "%s about %s: %s", kind->name,
		 proto_name(FRAME_IPH(reply).protocol), what);
	expect_icmp_error_rewrite(v, skel, INGRESS, &in, &want, &about, full_what);
}

static void expect_ingress_icmp_rewrite(enum variant v, struct hairpin *skel,
					const struct icmp_error_kind *kind, __be32 from,
					const struct frame *reply, __u32 quoted, const char *what)
{
	expect_ingress_icmp_rewrite_padded(v, skel, kind, from, reply, quoted, 0, what);
}

static void test_ingress_icmp_error(enum variant v)
{
	struct flows_snapshot before;
	struct frame udp = udp_reply(), tcp = tcp_reply();
	struct hairpin *skel;

	if (!begin("ingress_icmp_error_rewritten", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	snapshot_flows(skel, &before);
	expect_ingress_icmp_rewrite(v, skel, &port_unreachable, CLIENT_ADDR, &udp, QUOTE_ALL,
				    "whole reply quoted");
	expect_ingress_icmp_rewrite(v, skel, &port_unreachable, CLIENT_ADDR, &tcp, QUOTE_ALL,
				    "whole reply quoted");
	expect_ingress_icmp_rewrite(v, skel, &frag_needed, CLIENT_ADDR, &udp, QUOTE_ALL,
				    "whole reply quoted");
	expect_ingress_icmp_rewrite(v, skel, &frag_needed, CLIENT_ADDR, &tcp, QUOTE_ALL,
				    "whole reply quoted");
	/* A router between the client and us. */
	expect_ingress_icmp_rewrite(v, skel, &frag_needed, OTHER_ADDR, &tcp, QUOTE_ALL,
				    "from a router");
	expect_maps_as_before(skel, &before);
	hairpin__destroy(skel);
out:
	test_done();
}

/* RFC 792 quotes only the header and 8 bytes: UDP's checksum is there, TCP's is not. */
static void test_ingress_icmp_error_partial(enum variant v)
{
	struct frame udp = udp_reply(), tcp = tcp_reply();
	struct flows_snapshot before;
	struct hairpin *skel;

	if (!begin("ingress_icmp_error_partial_quote_rewritten", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	snapshot_flows(skel, &before);
	expect_ingress_icmp_rewrite(v, skel, &port_unreachable, CLIENT_ADDR, &udp,
				    quote_of(&udp, 8), "udp header only");
	expect_ingress_icmp_rewrite(v, skel, &frag_needed, CLIENT_ADDR, &tcp, quote_of(&tcp, 8),
				    "first 8 bytes of tcp");
	expect_ingress_icmp_rewrite(v, skel, &port_unreachable, CLIENT_ADDR, &tcp,
				    quote_of(&tcp, 8), "first 8 bytes of tcp");
	expect_ingress_icmp_rewrite(v, skel, &frag_needed, CLIENT_ADDR, &tcp,
				    quote_of(&tcp, sizeof(struct tcphdr)), "tcp header only");
	expect_ingress_icmp_rewrite(v, skel, &frag_needed, CLIENT_ADDR, &tcp,
				    quote_of(&tcp, sizeof(struct tcphdr) - 1),
				    "tcp header less one byte, checksum there but not all");
	expect_ingress_icmp_rewrite_padded(v, skel, &frag_needed, CLIENT_ADDR, &tcp,
					   quote_of(&tcp, 8), sizeof(struct tcphdr) - 8,
					   "8 bytes of tcp, the rest past the outer tot_len");
	expect_ingress_icmp_rewrite_padded(v, skel, &frag_needed, CLIENT_ADDR, &tcp,
					   quote_of(&tcp, sizeof(struct tcphdr) - 2), 2,
					   "tcp less 2 bytes, the rest past the outer tot_len");
	expect_ingress_icmp_rewrite(v, skel, &frag_needed, CLIENT_ADDR, &udp,
				    quote_of(&udp, 8 + 5), "udp header and 5 payload bytes");
	expect_maps_as_before(skel, &before);
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_ingress_icmp_error_inner_options(enum variant v)
{
	struct frame udp = udp_reply(), tcp = tcp_reply(), tcp_long = tcp_reply();
	struct flows_snapshot before;
	struct hairpin *skel;

	if (!begin("ingress_icmp_error_quoted_ip_options_rewritten", v))
		return;
	frame_add_ip_options(&udp, 4);
	frame_add_ip_options(&tcp, 12);
	frame_add_ip_options(&tcp_long, 40);
	skel = open_with_flows();
	if (!skel)
		goto out;
	snapshot_flows(skel, &before);
	expect_ingress_icmp_rewrite(v, skel, &port_unreachable, CLIENT_ADDR, &udp, QUOTE_ALL,
				    "quoted ihl 6, whole");
	expect_ingress_icmp_rewrite(v, skel, &frag_needed, CLIENT_ADDR, &tcp, QUOTE_ALL,
				    "quoted ihl 8, whole");
	expect_ingress_icmp_rewrite(v, skel, &frag_needed, CLIENT_ADDR, &tcp_long,
				    quote_of(&tcp_long, 8), "quoted ihl 15, 8 bytes of tcp");
	expect_ingress_icmp_rewrite(v, skel, &frag_needed, CLIENT_ADDR, &tcp_long,
				    quote_of(&tcp_long, sizeof(struct tcphdr)),
				    "quoted ihl 15, tcp header only");
	expect_maps_as_before(skel, &before);
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_ingress_icmp_error_types(enum variant v)
{
	struct frame udp = udp_reply(), tcp = tcp_reply();
	struct flows_snapshot before;
	struct hairpin *skel;

	if (!begin("ingress_icmp_error_types_rewritten", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	snapshot_flows(skel, &before);
	for (size_t k = 0; k < sizeof(other_errors) / sizeof(other_errors[0]); k++) {
		expect_ingress_icmp_rewrite(v, skel, &other_errors[k], OTHER_ADDR, &udp, QUOTE_ALL,
					    "from a router, whole");
		expect_ingress_icmp_rewrite(v, skel, &other_errors[k], CLIENT_ADDR, &tcp,
					    quote_of(&tcp, 8), "8 bytes of tcp");
	}
	expect_maps_as_before(skel, &before);
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_ingress_icmp_error_udp_zero(enum variant v)
{
	struct frame udp = udp_reply();
	struct flows_snapshot before;
	struct hairpin *skel;

	if (!begin("ingress_icmp_error_quoted_udp_zero_checksum_stays_zero", v))
		return;
	frame_set_l4_check(&udp, 0);
	skel = open_with_flows();
	if (!skel)
		goto out;
	snapshot_flows(skel, &before);
	expect_ingress_icmp_rewrite(v, skel, &port_unreachable, CLIENT_ADDR, &udp, QUOTE_ALL,
				    "udp without checksum, whole");
	expect_ingress_icmp_rewrite(v, skel, &frag_needed, CLIENT_ADDR, &udp, quote_of(&udp, 8),
				    "udp without checksum, header only");
	expect_maps_as_before(skel, &before);
	hairpin__destroy(skel);
out:
	test_done();
}

/* An ICMP message that must pass as it came. */
static void expect_icmp_untouched(enum variant v, struct hairpin *skel, enum hook hook,
				  const struct frame *in, const char *what)
{
	struct result r;

	run_frame(&r, skel, hook, v, in);
	expect_untouched(v, &r, in, what);
}

/* Queries are not errors, whatever they carry: here the very bytes an error would quote. */
static void test_ingress_icmp_not_error(enum variant v)
{
	static const __u8 queries[] = {
		ICMP_ECHO, ICMP_ECHOREPLY, ICMP_TIMESTAMP, ICMP_INFO_REQUEST,
	};
	struct frame reply = udp_reply(), about = reply_as_received(&reply);
	struct flows_snapshot before;
	struct hairpin *skel;
	char what[64];

	if (!begin("ingress_icmp_query_untouched", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	snapshot_flows(skel, &before);
	for (size_t q = 0; q < sizeof(queries); q++) {
		struct frame in = icmp_error(CLIENT_ADDR, PUBLIC_ADDR, queries[q], 0,
					     htonl(0x00010001), &about, QUOTE_ALL, false);

		snprintf(what, sizeof(what), "icmp type %u quoting a tracked reply", queries[q]);
		expect_icmp_untouched(v, skel, INGRESS, &in, what);
	}
	expect_maps_as_before(skel, &before);
	hairpin__destroy(skel);
out:
	test_done();
}

/* The client tells the public address about @about, quoting @quoted bytes of it. */
static struct frame ingress_error_about(const struct frame *about, __u32 quoted)
{
	return icmp_error(CLIENT_ADDR, PUBLIC_ADDR, port_unreachable.type, port_unreachable.code,
			  0, about, quoted, false);
}

/* Errors about packets that no tracked flow sent from the public address. */
static void test_ingress_icmp_error_untracked(enum variant v)
{
	struct frame udp = udp_reply(), tcp = tcp_reply(), about, in;
	struct forward_rule second_port = udp_forward;
	struct flows_snapshot before;
	struct hairpin *skel;

	if (!begin("ingress_icmp_error_untracked_untouched", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	/* A flow the client dialled at another public address; a second public port onto the
	 * udp forward's target port, whose flows do not include the first's. */
	put_flow(skel, &udp_forward, CLIENT_ADDR, CLIENT_UDP_PORT + 2, PUBLIC_ADDR_NEW);
	second_port.port = udp_forward.port + 2;
	set_forward(skel, &second_port);
	snapshot_flows(skel, &before);

	about = reply_as_received(&udp);
	FRAME_UDPH(&about).dest = htons(CLIENT_UDP_PORT + 1);
	frame_finish(&about);
	in = ingress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, INGRESS, &in, "about a reply to another client port");

	about = reply_as_received(&udp);
	FRAME_IPH(&about).daddr = CLIENT2_ADDR;
	frame_finish(&about);
	in = ingress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, INGRESS, &in, "about a reply to another client");

	about = reply_as_received(&tcp);
	FRAME_TCPH(&about).source = htons(UNFORWARDED_PORT);
	frame_finish(&about);
	in = ingress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, INGRESS, &in, "about a reply from a port not forwarded");

	about = reply_as_received(&tcp);
	FRAME_TCPH(&about).source = htons(udp_forward.port);
	FRAME_TCPH(&about).dest = htons(CLIENT_UDP_PORT);
	frame_finish(&about);
	in = ingress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, INGRESS, &in, "about tcp with the udp flow's ports");

	about = reply_as_received(&udp);
	FRAME_IPH(&about).saddr = OTHER_ADDR;
	frame_finish(&about);
	in = ingress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, INGRESS, &in, "quoted source another address");

	/* The reply as the target sent it: it never left from the public address. */
	in = ingress_error_about(&udp, QUOTE_ALL);
	expect_icmp_untouched(v, skel, INGRESS, &in, "quoted source the target");

	about = reply_as_received(&udp);
	FRAME_UDPH(&about).dest = htons(CLIENT_UDP_PORT + 2);
	frame_finish(&about);
	in = ingress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, INGRESS, &in, "flow of another public address");

	about = reply_as_received(&udp);
	FRAME_UDPH(&about).source = htons(second_port.port);
	frame_finish(&about);
	in = ingress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, INGRESS, &in, "flow of another public port");

	about = icmp_echo_long(PUBLIC_ADDR, CLIENT_ADDR, 24, true);
	in = ingress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, INGRESS, &in, "quoted protocol icmp");

	about = reply_as_received(&udp);
	in = icmp_error(CLIENT_ADDR, OTHER_ADDR, port_unreachable.type, port_unreachable.code, 0,
			&about, QUOTE_ALL, false);
	expect_icmp_untouched(v, skel, INGRESS, &in, "to another address than the public one");

	expect_maps_as_before(skel, &before);
	hairpin__destroy(skel);
out:
	test_done();
}

/*
 * Errors whose quoted packet is not all there, or that are fragments, from @from to @to about
 * @about, a packet of a tracked flow as the error's sender saw it.
 */
static void expect_malformed_errors_untouched(enum variant v, struct hairpin *skel,
					      enum hook hook, const struct frame *about,
					      __be32 from, __be32 to)
{
	const char *proto = proto_name(FRAME_IPH(about).protocol);
	bool from_host = hook == EGRESS;
	char what[96];
	struct frame in;

#define ERROR_ABOUT(quoted)                                                               \
	icmp_error(from, to, port_unreachable.type, port_unreachable.code, 0, about, (quoted), \
		   from_host)

	for (__u32 l4_bytes = 0; l4_bytes < 8; l4_bytes++) {
		in = ERROR_ABOUT(quote_of(about, l4_bytes));
		snprintf(what, sizeof(what), "quoting %u bytes of %s", l4_bytes, proto);
		expect_icmp_untouched(v, skel, hook, &in, what);
	}

	/* The frame holds 8 bytes of the transport header, the outer tot_len only 4. */
	in = ERROR_ABOUT(quote_of(about, 4));
	memcpy(in.data + in.len, about->data + ETH_HLEN + quote_of(about, 4), 4);
	in.len += 4;
	snprintf(what, sizeof(what), "8 bytes of %s, 4 inside the outer tot_len", proto);
	expect_icmp_untouched(v, skel, hook, &in, what);

	for (__u32 ip_bytes = 0; ip_bytes < quote_of(about, 0); ip_bytes += 6) {
		in = ERROR_ABOUT(ip_bytes);
		snprintf(what, sizeof(what), "quoting %u bytes of the %s packet's ip header",
			 ip_bytes, proto);
		expect_icmp_untouched(v, skel, hook, &in, what);
	}

	/* The quoted header's version, then its IHL, broken; the ICMP checksum still right. */
	for (int i = 0; i < 2; i++) {
		__u8 *ver_ihl;

		in = ERROR_ABOUT(QUOTE_ALL);
		ver_ihl = in.data + frame_l4_off(&in) + sizeof(struct icmphdr);
		*ver_ihl = i == 0 ? 0x65 : 0x44;
		frame_set_icmp_checksums(&in);
		snprintf(what, sizeof(what), "quoted %s packet with version/ihl 0x%02x", proto,
			 *ver_ihl);
		expect_icmp_untouched(v, skel, hook, &in, what);
	}

	/* The ICMP header itself cut by the outer tot_len. */
	in = ERROR_ABOUT(QUOTE_ALL);
	FRAME_IPH(&in).tot_len = htons(sizeof(struct iphdr) + 4);
	in = with_ip_checksum(in);
	snprintf(what, sizeof(what), "about %s, icmp header cut to 4 bytes", proto);
	expect_icmp_untouched(v, skel, hook, &in, what);

	/* An error that is a fragment: the first, whole up to MF, and a later one. */
	in = ERROR_ABOUT(QUOTE_ALL);
	FRAME_IPH(&in).frag_off = htons(IP_MF);
	in = with_ip_checksum(in);
	snprintf(what, sizeof(what), "about %s, first fragment of an error", proto);
	expect_icmp_untouched(v, skel, hook, &in, what);

	in = ERROR_ABOUT(QUOTE_ALL);
	FRAME_IPH(&in).frag_off = htons(1);
	in = with_ip_checksum(in);
	snprintf(what, sizeof(what), "about %s, last fragment reading as an error", proto);
	expect_icmp_untouched(v, skel, hook, &in, what);
#undef ERROR_ABOUT
}

static void test_ingress_icmp_error_malformed(enum variant v)
{
	struct frame udp = udp_reply(), tcp = tcp_reply(), options = udp_reply(), about;
	struct flows_snapshot before;
	struct hairpin *skel;

	if (!begin("ingress_icmp_error_truncated_or_fragment_untouched", v))
		return;
	frame_add_ip_options(&options, 8);
	skel = open_with_flows();
	if (!skel)
		goto out;
	snapshot_flows(skel, &before);
	about = reply_as_received(&udp);
	expect_malformed_errors_untouched(v, skel, INGRESS, &about, CLIENT_ADDR, PUBLIC_ADDR);
	about = reply_as_received(&tcp);
	expect_malformed_errors_untouched(v, skel, INGRESS, &about, CLIENT_ADDR, PUBLIC_ADDR);
	about = reply_as_received(&options);
	expect_malformed_errors_untouched(v, skel, INGRESS, &about, CLIENT_ADDR, PUBLIC_ADDR);
	expect_maps_as_before(skel, &before);
	hairpin__destroy(skel);
out:
	test_done();
}

/* The client's packet @sent as the target received it, after ingress. */
static struct frame packet_as_received(const struct frame *sent)
{
	const struct forward_rule *rule = forward_of(sent);

	return rewritten(sent, NAT_DESTINATION, rule->target_addr, rule->target_port);
}

/*
 * @from, an address of this host, tells the client that @sent, a packet of a tracked flow as
 * the client sent it, could not be delivered, quoting @quoted bytes of it as the target
 * received it. Egress must make it an error about the packet as the client sent it (quoted
 * destination and port: the public ones) that comes from @want_from.
 */
static void expect_egress_icmp_rewrite_padded(enum variant v, struct hairpin *skel,
					      const struct icmp_error_kind *kind, __be32 from,
					      __be32 want_from, const struct frame *sent,
					      __u32 quoted, __u32 padding, const char *what)
{
	const struct forward_rule *rule = forward_of(sent);
	struct frame about = packet_as_received(sent);
	struct frame about_after = quoted_rewritten(&about, quoted, NAT_DESTINATION, PUBLIC_ADDR,
						    rule->port);
	struct frame in = icmp_error(from, FRAME_IPH(sent).saddr, kind->type, kind->code,
				     kind->rest, &about, quoted, true);
	struct frame want = icmp_error(want_from, FRAME_IPH(sent).saddr, kind->type, kind->code,
				       kind->rest, &about_after, quoted, true);
	char full_what[128];

	append_past_tot_len(&in, &about, quoted, padding);
	append_past_tot_len(&want, &about, quoted, padding);
	snprintf(full_what, sizeof(full_what), "%s about %s: %s", kind->name,
		 proto_name(FRAME_IPH(sent).protocol), what);
	expect_icmp_error_rewrite(v, skel, EGRESS, &in, &want, &about, full_what);
}

static void expect_egress_icmp_rewrite(enum variant v, struct hairpin *skel,
				       const struct icmp_error_kind *kind, __be32 from,
				       __be32 want_from, const struct frame *sent, __u32 quoted,
				       const char *what)
{
	expect_egress_icmp_rewrite_padded(v, skel, kind, from, want_from, sent, quoted, 0, what);
}

static void test_egress_icmp_error(enum variant v)
{
	struct frame udp = udp_to_public(), tcp = tcp_to_public(), udp_zero = udp_to_public();
	struct flows_snapshot before;
	struct hairpin *skel;

	if (!begin("egress_icmp_error_rewritten", v))
		return;
	frame_set_l4_check(&udp_zero, 0);
	skel = open_with_flows();
	if (!skel)
		goto out;
	snapshot_flows(skel, &before);
	expect_egress_icmp_rewrite(v, skel, &port_unreachable, TARGET_ADDR, PUBLIC_ADDR, &udp,
				   QUOTE_ALL, "whole packet quoted");
	expect_egress_icmp_rewrite(v, skel, &port_unreachable, TARGET_ADDR, PUBLIC_ADDR, &tcp,
				   QUOTE_ALL, "whole packet quoted");
	expect_egress_icmp_rewrite(v, skel, &frag_needed, TARGET_ADDR, PUBLIC_ADDR, &udp,
				   QUOTE_ALL, "whole packet quoted");
	expect_egress_icmp_rewrite(v, skel, &frag_needed, TARGET_ADDR, PUBLIC_ADDR, &tcp,
				   QUOTE_ALL, "whole packet quoted");
	expect_egress_icmp_rewrite(v, skel, &other_errors[2], TARGET_ADDR, PUBLIC_ADDR, &udp,
				   QUOTE_ALL, "whole packet quoted");
	expect_egress_icmp_rewrite(v, skel, &port_unreachable, TARGET_ADDR, PUBLIC_ADDR,
				   &udp_zero, QUOTE_ALL, "udp without checksum");
	expect_maps_as_before(skel, &before);
	hairpin__destroy(skel);
out:
	test_done();
}

static void test_egress_icmp_error_partial(enum variant v)
{
	struct frame udp = udp_to_public(), tcp = tcp_to_public();
	struct frame udp_options = udp_to_public(), tcp_options = tcp_to_public();
	struct flows_snapshot before;
	struct hairpin *skel;

	if (!begin("egress_icmp_error_partial_quote_rewritten", v))
		return;
	frame_add_ip_options(&udp_options, 4);
	frame_add_ip_options(&tcp_options, 40);
	skel = open_with_flows();
	if (!skel)
		goto out;
	snapshot_flows(skel, &before);
	expect_egress_icmp_rewrite(v, skel, &port_unreachable, TARGET_ADDR, PUBLIC_ADDR, &udp,
				   quote_of(&udp, 8), "udp header only");
	expect_egress_icmp_rewrite(v, skel, &frag_needed, TARGET_ADDR, PUBLIC_ADDR, &tcp,
				   quote_of(&tcp, 8), "first 8 bytes of tcp");
	expect_egress_icmp_rewrite(v, skel, &frag_needed, TARGET_ADDR, PUBLIC_ADDR, &tcp,
				   quote_of(&tcp, sizeof(struct tcphdr)), "tcp header only");
	expect_egress_icmp_rewrite(v, skel, &frag_needed, TARGET_ADDR, PUBLIC_ADDR, &tcp,
				   quote_of(&tcp, sizeof(struct tcphdr) - 1),
				   "tcp header less one byte");
	expect_egress_icmp_rewrite_padded(v, skel, &frag_needed, TARGET_ADDR, PUBLIC_ADDR, &tcp,
					  quote_of(&tcp, sizeof(struct tcphdr) - 2), 2,
					  "tcp less 2 bytes, the rest past the outer tot_len");
	expect_egress_icmp_rewrite(v, skel, &port_unreachable, TARGET_ADDR, PUBLIC_ADDR,
				   &udp_options, QUOTE_ALL, "quoted ihl 6, whole");
	expect_egress_icmp_rewrite(v, skel, &frag_needed, TARGET_ADDR, PUBLIC_ADDR, &tcp_options,
				   quote_of(&tcp_options, 8), "quoted ihl 15, 8 bytes of tcp");
	expect_maps_as_before(skel, &before);
	hairpin__destroy(skel);
out:
	test_done();
}

/*
 * An error from another address of this host than the flow's target (as when the route back
 * leaves by another interface) keeps its source, as nf_nat does; what it quotes is translated.
 */
static void test_egress_icmp_error_other_source(enum variant v)
{
	static const __be32 targets[HP_MAX_TARGET_ADDRS] = { TARGET_ADDR, SECOND_TARGET_ADDR };
	struct frame udp = udp_to_public(), tcp = tcp_to_public();
	struct flows_snapshot before;
	struct hairpin *skel;

	if (!begin("egress_icmp_error_from_other_host_address_quoted_only", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	set_config(skel, PUBLIC_ADDR, targets);
	snapshot_flows(skel, &before);
	expect_egress_icmp_rewrite(v, skel, &port_unreachable, SECOND_TARGET_ADDR,
				   SECOND_TARGET_ADDR, &udp, QUOTE_ALL, "from the second address");
	expect_egress_icmp_rewrite(v, skel, &frag_needed, SECOND_TARGET_ADDR, SECOND_TARGET_ADDR,
				   &tcp, quote_of(&tcp, 8), "from the second address");
	expect_maps_as_before(skel, &before);
	hairpin__destroy(skel);
out:
	test_done();
}

/* The target tells the client about @about (as the target received it). */
static struct frame egress_error_about(const struct frame *about, __u32 quoted)
{
	return icmp_error(TARGET_ADDR, CLIENT_ADDR, port_unreachable.type, port_unreachable.code,
			  0, about, quoted, true);
}

static void test_egress_icmp_error_untracked(enum variant v)
{
	struct frame udp = udp_to_public(), tcp = tcp_to_public(), about, in;
	struct flows_snapshot before;
	struct hairpin *skel;

	if (!begin("egress_icmp_error_untracked_untouched", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	snapshot_flows(skel, &before);

	about = packet_as_received(&udp);
	FRAME_UDPH(&about).source = htons(CLIENT_UDP_PORT + 1);
	frame_finish(&about);
	in = egress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, EGRESS, &in, "about a packet from another client port");

	about = packet_as_received(&udp);
	FRAME_IPH(&about).saddr = CLIENT2_ADDR;
	frame_finish(&about);
	in = egress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, EGRESS, &in, "about a packet from another client");

	about = packet_as_received(&tcp);
	FRAME_TCPH(&about).dest = htons(tcp_forward.target_port + 1);
	frame_finish(&about);
	in = egress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, EGRESS, &in, "about a packet to another target port");

	/* The client talked to the target's own address: no flow. */
	about = udp_to_public();
	FRAME_IPH(&about).daddr = TARGET_ADDR;
	frame_finish(&about);
	in = egress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, EGRESS, &in, "about a packet sent to the target directly");

	about = icmp_echo_long(CLIENT_ADDR, TARGET_ADDR, 24, false);
	in = egress_error_about(&about, QUOTE_ALL);
	expect_icmp_untouched(v, skel, EGRESS, &in, "quoted protocol icmp");

	/* Not from an address of this host: egress does not look further. */
	about = packet_as_received(&udp);
	in = icmp_error(OTHER_TARGET_ADDR, CLIENT_ADDR, port_unreachable.type,
			port_unreachable.code, 0, &about, QUOTE_ALL, true);
	expect_icmp_untouched(v, skel, EGRESS, &in, "from an address not in target_addrs");

	/* A query from the target quoting what an error would. */
	in = icmp_error(TARGET_ADDR, CLIENT_ADDR, ICMP_ECHOREPLY, 0, htonl(0x00010001), &about,
			QUOTE_ALL, true);
	expect_icmp_untouched(v, skel, EGRESS, &in, "echo reply quoting a tracked packet");

	expect_malformed_errors_untouched(v, skel, EGRESS, &about, TARGET_ADDR, CLIENT_ADDR);
	about = packet_as_received(&tcp);
	expect_malformed_errors_untouched(v, skel, EGRESS, &about, TARGET_ADDR, CLIENT_ADDR);

	expect_maps_as_before(skel, &before);
	hairpin__destroy(skel);
out:
	test_done();
}

/*
 * Public address unknown (0): egress rewrites nothing either, not the replies of flows it
 * tracks, not the later fragments of a datagram whose first it translated, not their errors.
 */
static void test_egress_public_unknown(enum variant v)
{
	struct frame udp = udp_reply(), tcp = tcp_reply(), about, in;
	struct fragmented d;
	struct hp_frag_key key;
	struct hairpin *skel;

	if (!begin("egress_public_addr_unknown_untouched", v))
		return;
	skel = open_with_flows();
	if (!skel)
		goto out;
	egress_fragmented(&d, IPPROTO_UDP);
	key = frag_key_of(&d.in[FRAG_FIRST], HP_DIR_EGRESS);
	put_frag(skel, &key, PUBLIC_ADDR);
	set_config(skel, 0, only_target);

	expect_egress_untouched(v, skel, &udp, "udp reply of a tracked flow");
	expect_egress_untouched(v, skel, &tcp, "tcp reply of a tracked flow");
	expect_egress_untouched(v, skel, &d.in[FRAG_FIRST], "first fragment of a tracked reply");
	expect_egress_untouched(v, skel, &d.in[FRAG_MIDDLE], "later fragment with a frags entry");
	udp = udp_to_public();
	about = packet_as_received(&udp);
	in = egress_error_about(&about, QUOTE_ALL);
	expect_egress_untouched(v, skel, &in, "icmp error about a tracked packet");

	expect_maps_untouched(skel, 2);
	CHECK_EQ(count_keys(skel->maps.hp_frags), 1, "frags in the map");
	hairpin__destroy(skel);
out:
	test_done();
}

/* ---- AllowedSources ------------------------------------------------------------------ */

static void add_source(struct hairpin *skel, __u32 generation, __be32 addr, __u32 prefix_len)
{
	struct hp_source_key key = {
		.prefixlen = 32 + prefix_len,
		.generation = generation,
		.addr = addr,
	};
	__u32 allowed = 1;	/* what the loader stores; the programs only look the key up */

	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_sources), &key, &allowed, BPF_ANY),
	      "add source %s/%u generation %u: %s", addr_str(addr), prefix_len, generation,
	      strerror(errno));
}

/* The loader's switch: one store of the config word. */
static void set_sources_generation(struct hairpin *skel, __u32 generation)
{
	int fd = bpf_map__fd(skel->maps.hp_config);
	struct hp_config config;
	__u32 zero = 0;

	if (!CHECK(!bpf_map_lookup_elem(fd, &zero, &config), "read config: %s", strerror(errno)))
		return;
	config.sources_generation = generation;
	CHECK(!bpf_map_update_elem(fd, &zero, &config, BPF_ANY),
	      "set sources_generation %u: %s", generation, strerror(errno));
}

/* Generation 1: 192.0.2.0/28. Generation 2: 192.0.2.16/28 and 198.51.100.0/24. */
static struct hairpin *open_with_sources(void)
{
	struct hairpin *skel = open_configured();

	if (!skel)
		return NULL;
	add_source(skel, 1, IPV4(192, 0, 2, 0), 28);
	add_source(skel, 2, IPV4(192, 0, 2, 16), 28);
	add_source(skel, 2, IPV4(198, 51, 100, 0), 24);
	return skel;
}

/*
 * @in from @client: translated with its flow recorded if @allowed, else untouched and no flow
 * for it. The caller counts the translated packets in the stats.
 */
static void expect_source_verdict(enum variant v, struct hairpin *skel, const struct frame *in,
				  __be32 client, bool allowed)
{
	const struct forward_rule *rule = forward_of(in);
	struct frame f = from_addr(in, client);
	struct hp_flow_key key = flow_key(rule, client, ntohs(FRAME_UDPH(in).source));
	struct hp_flow before, after;
	bool had_flow = get_flow(skel, &key, &before);
	char what[96];
	struct result r;
	__u64 t0, t1;

	snprintf(what, sizeof(what), "%s from %s, %s", proto_name(FRAME_IPH(in).protocol),
		 addr_str(client), allowed ? "allowed" : "not allowed");
	t0 = coarse_now_ns();
	run_frame(&r, skel, INGRESS, v, &f);
	t1 = coarse_now_ns();
	if (allowed) {
		expect_rewritten(v, &r, &f, NAT_DESTINATION, rule->target_addr, rule->target_port,
				 what);
		expect_flow(skel, &f, rule, PUBLIC_ADDR, had_flow ? before.last_seen_ns : t0, t1,
			    &after);
		return;
	}
	expect_untouched(v, &r, &f, what);
	if (had_flow)
		CHECK(get_flow(skel, &key, &after) && !memcmp(&before, &after, sizeof(before)),
		      "%s: the flow changed", what);
	else
		CHECK(!get_flow(skel, &key, &after), "%s: a flow was recorded", what);
}

/* Generation 1 in force: a client inside 192.0.2.0/28 is translated, one outside is not. */
static void test_ingress_allowed_sources(enum variant v)
{
	static const struct {
		__be32 client;
		bool allowed;
	} clients[] = {
		{ IPV4(192, 0, 2, 0), true },
		{ CLIENT_ADDR, true },
		{ IPV4(192, 0, 2, 15), true },
		{ IPV4(192, 0, 2, 16), false },
		{ OUTSIDE_CLIENT_ADDR, false },
		{ IPV4(198, 51, 100, 20), false },	/* in generation 2 only */
		{ IPV4(192, 0, 3, 10), false },
	};
	struct frame udp = udp_to_public(), tcp = tcp_to_public();
	struct hairpin *skel;
	__u64 allowed = 0;

	if (!begin("ingress_allowed_sources_prefix", v))
		return;
	skel = open_with_sources();
	if (!skel)
		goto out;
	set_sources_generation(skel, 1);
	for (size_t c = 0; c < sizeof(clients) / sizeof(clients[0]); c++) {
		expect_source_verdict(v, skel, &udp, clients[c].client, clients[c].allowed);
		expect_source_verdict(v, skel, &tcp, clients[c].client, clients[c].allowed);
		allowed += clients[c].allowed;
	}
	/* A datagram in fragments from outside: its first is not translated nor remembered. */
	{
		struct frame whole = from_addr(&udp, OUTSIDE_CLIENT_ADDR);

		whole = with_payload(&whole, FRAG_PAYLOAD_LEN);
		expect_fragments_untouched(v, skel, INGRESS, &whole, "udp from outside the prefix");
		CHECK_EQ(count_keys(skel->maps.hp_frags), 0, "frags in the map");
	}
	CHECK_EQ(count_flows(skel), 2 * allowed, "flows in the map");
	expect_stats(skel, udp_forward.stats_index, allowed, allowed * frame_ip_len(&udp), 0, 0);
	expect_stats(skel, tcp_forward.stats_index, allowed, allowed * frame_ip_len(&tcp), 0, 0);
	hairpin__destroy(skel);
out:
	test_done();
}

/*
 * The loader fills the other generation, then switches sources_generation: the next packet
 * is judged by the new set alone, and a flow made under the old set does not let its client
 * through any more.
 */
static void test_ingress_allowed_sources_switch(enum variant v)
{
	struct frame udp = udp_to_public();
	__u32 ip_len = frame_ip_len(&udp);
	struct hairpin *skel;

	if (!begin("ingress_allowed_sources_generation_switch", v))
		return;
	skel = open_with_sources();
	if (!skel)
		goto out;
	set_sources_generation(skel, 1);
	expect_source_verdict(v, skel, &udp, CLIENT_ADDR, true);
	expect_source_verdict(v, skel, &udp, OUTSIDE_CLIENT_ADDR, false);

	set_sources_generation(skel, 2);
	expect_source_verdict(v, skel, &udp, CLIENT_ADDR, false);
	expect_source_verdict(v, skel, &udp, OUTSIDE_CLIENT_ADDR, true);
	expect_source_verdict(v, skel, &udp, IPV4(198, 51, 100, 20), true);

	set_sources_generation(skel, 1);
	expect_source_verdict(v, skel, &udp, CLIENT_ADDR, true);
	expect_source_verdict(v, skel, &udp, OUTSIDE_CLIENT_ADDR, false);

	CHECK_EQ(count_flows(skel), 3, "flows in the map");
	expect_stats(skel, udp_forward.stats_index, 4, 4 * ip_len, 0, 0);
	hairpin__destroy(skel);
out:
	test_done();
}

/* Generation 0: any source, whatever prefixes the map holds. */
static void test_ingress_allowed_sources_any(enum variant v)
{
	static const __be32 clients[] = {
		CLIENT_ADDR, OUTSIDE_CLIENT_ADDR, IPV4(198, 51, 100, 20), IPV4(10, 1, 2, 3),
	};
	struct frame udp = udp_to_public(), tcp = tcp_to_public();
	__u64 n = sizeof(clients) / sizeof(clients[0]);
	struct hairpin *skel;

	if (!begin("ingress_allowed_sources_generation_0_any", v))
		return;
	skel = open_with_sources();
	if (!skel)
		goto out;
	set_sources_generation(skel, 0);
	for (size_t c = 0; c < n; c++) {
		expect_source_verdict(v, skel, &udp, clients[c], true);
		expect_source_verdict(v, skel, &tcp, clients[c], true);
	}
	CHECK_EQ(count_flows(skel), 2 * n, "flows in the map");
	expect_stats(skel, udp_forward.stats_index, n, n * frame_ip_len(&udp), 0, 0);
	expect_stats(skel, tcp_forward.stats_index, n, n * frame_ip_len(&tcp), 0, 0);
	hairpin__destroy(skel);
out:
	test_done();
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
	test_ingress_bad_ip_header,
	test_ingress_public_unknown,
	test_ingress_truncated,
	test_ingress_runt,
	test_flow_second_packet,
	test_flow_refresh,
	test_flow_stats_index_change,
	test_flow_public_addr_change,
	test_ingress_first_fragment,
	test_ingress_later_fragments,
	test_ingress_fragment_without_first,
	test_ingress_fragments_not_ours,
	test_ingress_vlan,
	test_ingress_vlan_not_ours,
	test_ingress_icmp_error,
	test_ingress_icmp_error_partial,
	test_ingress_icmp_error_inner_options,
	test_ingress_icmp_error_types,
	test_ingress_icmp_error_udp_zero,
	test_ingress_icmp_not_error,
	test_ingress_icmp_error_untracked,
	test_ingress_icmp_error_malformed,
	test_ingress_allowed_sources,
	test_ingress_allowed_sources_switch,
	test_ingress_allowed_sources_any,
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
	test_egress_bad_ip_header,
	test_egress_truncated,
	test_egress_runt,
	test_egress_first_fragment,
	test_egress_later_fragments,
	test_egress_fragments_not_ours,
	test_egress_public_unknown,
	test_egress_vlan,
	test_egress_vlan_not_ours,
	test_egress_icmp_error,
	test_egress_icmp_error_partial,
	test_egress_icmp_error_other_source,
	test_egress_icmp_error_untracked,
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

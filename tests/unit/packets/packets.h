/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every packet test shares: the scenario (addresses, forwards, the frames of a client
 * dialling the public address and of the target's replies), the programs of bpf/hairpin.bpf.c
 * run with BPF_PROG_TEST_RUN, the maps, and the checks of what came out.
 *
 * A test, in a file of its topic under tests/unit/packets/:
 *
 *	PACKET_TEST(ingress_udp_rewritten, INGRESS)
 *	{
 *		struct frame in = udp_to_public();
 *		...
 *	}
 *
 * runs once per program kind of its hook, as "ingress_udp_rewritten/xdp", ".../tc" and
 * ".../tc_csum_complete" (EGRESS: tc and tc_csum_complete), with @v the variant and @skel the
 * programs. The BPF object is loaded once; before each run every map is emptied and the
 * scenario's config and forwards are put in (packets_setup()), so that no state leaks from one
 * test into the next. A test that starts from tracked flows or AllowedSources puts them in
 * itself. It ends by returning.
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
 *
 * A rewritten frame is compared byte for byte with one computed here (rewritten()), whose
 * checksums are summed from scratch (tests/lib/csum.c), never updated the way the programs
 * update them: the test and the datapath cannot share a mistake.
 */
#ifndef HP_TEST_PACKETS_H
#define HP_TEST_PACKETS_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <linux/icmp.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>

#include "frame.h"
#include "hairpin.h"
#include "hairpin.skel.h"
#include "test.h"

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

/* Another address of this host, in a target slot of its own. */
#define SECOND_TARGET_ADDR IPV4(192, 0, 2, 2)
/* More LAN clients: .11 inside 192.0.2.0/28, the AllowedSources prefix of the tests; .20 not. */
#define CLIENT2_ADDR IPV4(192, 0, 2, 11)
#define OUTSIDE_CLIENT_ADDR IPV4(192, 0, 2, 20)

/* What the loader would put in the forwards map for one [Forward] section. */
struct forward_rule {
	__u8 protocol;
	__u16 port;		/* host order, as are all ports in this file */
	__be32 target_addr;
	__u16 target_port;
	__u32 stats_index;
	__u32 flags;		/* HP_FORWARD_* */
};

/* The target ports differ from the public ones, so that a port left unrewritten shows. */
extern const struct forward_rule udp_forward, tcp_forward;
/* Target addresses a test's config may list; the rest of a list are 0. */
#define TEST_MAX_TARGETS 4
/* This host's address as the one target address of the config. */
extern const __be32 only_target[TEST_MAX_TARGETS];
extern const __u8 both_protocols[2];	/* IPPROTO_UDP, IPPROTO_TCP */

/* Odd on purpose: the checksums must pad the last byte (RFC 1071, 4.1). */
#define PAYLOAD_LEN 37

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

enum hook { INGRESS, EGRESS };

/* How a program runs: one per program kind, the tc ones in two skb states. */
enum variant { XDP, TC, TC_CSUM_COMPLETE, N_VARIANTS };

#define VARIANTS_OF(hook) \
	((hook) == INGRESS ? 1U << XDP | 1U << TC | 1U << TC_CSUM_COMPLETE \
			   : 1U << TC | 1U << TC_CSUM_COMPLETE)

extern const struct test_fixture packets_fixture;
/* lan0 of the test's network namespace: the device every frame arrives on. */
extern int packets_lan_ifindex;
extern struct hairpin *packets_skel;

/* A test of the programs of @hook, as described at the top of this file. */
#define PACKET_TEST(name_, hook_)                                                          \
	static void name_(enum variant v, struct hairpin *skel);                           \
	static void packet_run_##name_(int variant) { name_(variant, packets_skel); }      \
	TEST_REGISTER(name_, packet_run_##name_, &packets_fixture, VARIANTS_OF(hook_));    \
	static void name_(enum variant v, struct hairpin *skel)

struct result {
	int err;		/* of bpf_prog_test_run_opts(): 0 or -errno */
	__u32 retval;
	__u32 size_out;
	__u8 out[2 * FRAME_MAX];
};

enum nat_side { NAT_SOURCE, NAT_DESTINATION };

/*
 * A datagram of FRAG_PAYLOAD_LEN payload bytes goes in three fragments (RFC 791) of FRAG_LEN,
 * FRAG_LEN and the rest of its IP payload. FRAG_LEN is a multiple of 8 and longer than a TCP
 * header: the first fragment holds the whole transport header, the others none of it.
 */
#define FRAG_PAYLOAD_LEN 100
#define FRAG_LEN 48

enum { FRAG_FIRST, FRAG_MIDDLE, FRAG_LAST, N_FRAGS };

extern const char *const frag_names[N_FRAGS];	/* "first", "middle", "last" */

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

/* How much of the packet an ICMP error quotes: all of it, or its first so many bytes. */
#define QUOTE_ALL (~0U)

struct icmp_error_kind {
	const char *name;
	__u8 type, code;
	__be32 rest;	/* the word after the checksum: unused, an MTU, a pointer, a gateway */
};

extern const struct icmp_error_kind port_unreachable, frag_needed;

/* ---- The frames of the scenario ------------------------------------------------------------ */

/* The client dials the public address on the forwarded UDP port. */
struct frame udp_to_public(void);

/* The client dials the public address on the forwarded TCP port. */
struct frame tcp_to_public(void);

/* The target's UDP reply to the client, as the host sends it. */
struct frame udp_reply(void);

/* The target's TCP reply to the client. */
struct frame tcp_reply(void);

/* An ICMP echo request from @saddr to @daddr, from the client. */
struct frame icmp_echo(__be32 saddr, __be32 daddr);

/* UDP over IPv6 to the forwarded port: IPv6 is never rewritten, whatever the port. */
struct frame udp6_to_forwarded_port(bool from_host);

/* "Who has @target? Tell @sender", broadcast by the client. */
struct frame arp_request(__be32 sender, __be32 target);

/*
 * An ICMP message from @saddr to @daddr, @body after its 8-byte header, between the client
 * and this host (@from_host says which way). Lengths and both checksums are computed here.
 */
struct frame icmp_message(__be32 saddr, __be32 daddr, __u8 type, __u8 code, __be32 rest,
			  const __u8 *body, __u32 body_len, bool from_host);

/*
 * An ICMP error about @about, a whole frame that went the other way, quoting the first @quoted
 * bytes of its IP packet (RFC 792 asks for the header and 8 bytes; Linux quotes as much as
 * fits in 576 bytes, here the whole packet).
 */
struct frame icmp_error(__be32 saddr, __be32 daddr, __u8 type, __u8 code, __be32 rest,
			const struct frame *about, __u32 quoted, bool from_host);

/* An ICMP echo request of @payload_len bytes, checksums right: a datagram to fragment. */
struct frame icmp_echo_long(__be32 saddr, __be32 daddr, __u32 payload_len,
			    bool from_host);

/* Bytes an error quotes: the IPv4 header of @f and the first @l4_bytes after it. */
__u32 quote_of(const struct frame *f, __u32 l4_bytes);

/* Headers only: a TCP pure ACK (the commonest packet there is) and an empty UDP datagram. */
struct frame without_payload(struct frame f);

/* The forward of @f's protocol: udp_forward or tcp_forward. */
const struct forward_rule *forward_of(const struct frame *f);

/* A reply of a tracked flow as the target sent it, as the client received it (after egress). */
struct frame reply_as_received(const struct frame *reply);

/* The client's packet @sent as the target received it, after ingress. */
struct frame packet_as_received(const struct frame *sent);

/* The target tells the client about @about (as the target received it). */
struct frame egress_error_about(const struct frame *about, __u32 quoted);

/* ---- Running the programs ------------------------------------------------------------------ */

/* XDP_PASS or TC_ACT_UNSPEC. */
__u32 pass_verdict(enum variant v);

/* The egress runs that go with an ingress variant: XDP has no egress hook, tc uses tc. */
enum variant egress_variant(enum variant v);

/* @len bytes at @data through the program of @hook and @v, once; @r holds what came out. */
void run(struct result *r, struct hairpin *skel, enum hook hook, enum variant v,
	 const void *data, __u32 len);

void run_frame(struct result *r, struct hairpin *skel, enum hook hook, enum variant v,
	       const struct frame *f);

/* ---- Maps ---------------------------------------------------------------------------------- */

/* Return: false if the update failed (a CHECK() said so). */
bool set_config(struct hairpin *skel, __be32 public_addr, const __be32 *targets);

bool set_forward(struct hairpin *skel, const struct forward_rule *rule);

/* The flows map's key of the client @client_addr:@client_port's flow through @rule. */
struct hp_flow_key flow_key(const struct forward_rule *rule, __be32 client_addr,
			    __u16 client_port);

/* A flow as ingress records it, for the egress tests that start from a tracked flow. */
void put_flow(struct hairpin *skel, const struct forward_rule *rule, __be32 client_addr,
	      __u16 client_port, __be32 public_addr);

/* The same, in @state, last seen @age jiffies ago. */
void put_flow_aged(struct hairpin *skel, const struct forward_rule *rule, __be32 client_addr,
		   __u16 client_port, __be32 public_addr, __u8 state, __u64 age);

/* The tracked flows of both forwards, as ingress leaves them for CLIENT_ADDR. */
void put_tracked_flows(struct hairpin *skel);

bool get_flow(struct hairpin *skel, const struct hp_flow_key *key, struct hp_flow *flow);

/* Entries of a hash map (flows, frags), by walking its keys. */
int count_keys(const struct bpf_map *map);

int count_flows(struct hairpin *skel);

/* The reasons counter of @reason, summed over CPUs as status shows it. */
__u64 reasons_sum(struct hairpin *skel, enum hp_reason reason);

/* One slot of the per-CPU stats, summed over CPUs as the loader shows it. */
struct hp_stats get_stats(struct hairpin *skel, __u32 index);

/* Stats slot @index must hold these counts. */
void expect_stats(struct hairpin *skel, __u32 index, __u64 to_target_packets,
		  __u64 to_target_bytes, __u64 to_client_packets, __u64 to_client_bytes);

/* After a packet that must be left alone: no flow recorded, nothing counted. */
void expect_maps_untouched(struct hairpin *skel, int flows_before);

/* The kernel's jiffies (bpf_jiffies64()), for the bounds of a flow's last_seen. */
__u64 jiffies_now(void);

/* @addr as text, in one of four static buffers: for messages. */
const char *addr_str(__be32 addr);

/* The flow ingress must have recorded for @in, sent to @public_addr, between @t0 and @t1. */
bool expect_flow(struct hairpin *skel, const struct frame *in,
		 const struct forward_rule *rule, __be32 public_addr, __u64 t0, __u64 t1,
		 struct hp_flow *flow);

/* ---- Checking what came out ---------------------------------------------------------------- */

/*
 * The run's verdict, size and output bytes against @want.
 * Return: false if there is no output to look at further; else @got holds it.
 */
bool expect_output(enum variant v, const struct result *r, const struct frame *want,
		   struct frame *got, const char *what);

/* A packet that must pass exactly as it came. */
void expect_untouched(enum variant v, const struct result *r, const struct frame *in,
		      const char *what);

/* @in as a correct NAT sends it on: one address and port changed, checksums recomputed. */
struct frame rewritten(const struct frame *in, enum nat_side side, __be32 addr,
		       __u16 port);

/* @in must come out as rewritten() makes it, its checksums valid when summed from scratch. */
void expect_rewritten(enum variant v, const struct result *r, const struct frame *in,
		      enum nat_side side, __be32 addr, __u16 port, const char *what);

/* @in through ingress (egress), and out exactly as it came. */
void expect_ingress_untouched(enum variant v, struct hairpin *skel,
			      const struct frame *in, const char *what);

void expect_egress_untouched(enum variant v, struct hairpin *skel,
			     const struct frame *in, const char *what);

/*
 * Two payload bytes chosen so that the correct checksum of @f after the rewrite computes to
 * 0x0000, which UDP must send as 0xffff. Return: false if no value does it (it always exists:
 * one 16-bit word takes every value).
 */
bool make_checksum_zero_after_rewrite(struct frame *f, enum nat_side side, __be32 addr,
				      __u16 port);

/* ---- Fragments ----------------------------------------------------------------------------- */

/* @whole in the three fragments of FRAG_LEN, FRAG_LEN and the rest. */
void fragments_of(const struct frame *whole, struct frame frags[N_FRAGS]);

/* A client's datagram to the forwarded port of @protocol, in fragments. */
void ingress_fragmented(struct fragmented *d, __u8 protocol);

/* The target's reply of the tracked @protocol flow, in fragments. */
void egress_fragmented(struct fragmented *d, __u8 protocol);

/* The frags map's key of @f's datagram. */
struct hp_frag_key frag_key_of(const struct frame *f, enum hp_direction direction);

/* The frags entry of @f's datagram, as @f was sent, must say @addr. */
void expect_frag(struct hairpin *skel, const struct frame *f, enum hp_direction direction,
		 __be32 addr);

/* A frags entry, as a first fragment leaves one. */
void put_frag(struct hairpin *skel, const struct hp_frag_key *key, __be32 addr);

/* Every fragment of @whole must pass as it came. */
void expect_fragments_untouched(enum variant v, struct hairpin *skel, enum hook hook,
				const struct frame *whole, const char *name);

#endif

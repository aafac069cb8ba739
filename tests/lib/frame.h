/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frames for the packet tests: built from packed header structs with designated initializers
 * (as the kernel's selftests/bpf network_helpers.h does), then changed as bytes where a struct
 * cannot say it (IP options, fragments, VLAN tags, truncation), with lengths and checksums laid
 * out as a correct sender lays them out (checksums summed from scratch, csum.h). And the checks
 * of an output frame: byte for byte against the frame wanted, naming the field that differs,
 * and every checksum recomputed.
 */
#ifndef HP_TEST_FRAME_H
#define HP_TEST_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/types.h>
#include <linux/udp.h>

#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET_MAX 0x1fff

#define FRAME_MAX 512

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

static inline __u32 frame_l4_off(const struct frame *f)
{
	return ETH_HLEN + (f->data[ETH_HLEN] & 0xf) * 4;
}

static inline __u16 get_be16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

/* IPv4 total length: what the stats count, padding excluded. */
static inline __u32 frame_ip_len(const struct frame *f)
{
	return get_be16(f->data + ETH_HLEN + 2);
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

__u32 l4_header_len(__u8 protocol);

/* Bytes up to the end of the UDP/TCP header: what a program must see to rewrite a frame. */
__u32 frame_headers_len(const struct frame *f);

struct frame frame_of(const void *packet, size_t len);

void fill_payload(__u8 *payload, size_t len);

/* The IPv4 header checksum a sender computes, host order. */
__u16 ipv4_header_checksum(const struct frame *f);

/*
 * The UDP/TCP checksum over the pseudo-header and the segment (as long as tot_len says), host
 * order, before UDP's rule that a computed 0 is sent as 0xffff.
 */
__u16 l4_checksum(const struct frame *f);

/* What a correct sender puts in the UDP/TCP checksum field, host order. */
__u16 l4_checksum_to_send(const struct frame *f);

__u16 frame_l4_check(const struct frame *f);

void frame_set_l4_check(struct frame *f, __u16 check);

/* Both checksums as a sender computes them; a UDP checksum of 0 stays 0 if @keep_udp_zero. */
void frame_set_checksums(struct frame *f, bool keep_udp_zero);

/* Lengths and checksums of an IPv4 TCP/UDP frame, as a sender lays them out. */
void frame_finish(struct frame *f);

/*
 * IPv4 options of @len bytes (a multiple of 4, at most 40) between the fixed header and the
 * transport header: Router Alert (RFC 2113) for 4 bytes, else Record Route (RFC 791) and EOL.
 */
void frame_add_ip_options(struct frame *f, __u32 len);

/* @f with @len bytes of payload instead of its own; lengths and checksums recomputed. */
struct frame with_payload(const struct frame *f, __u32 len);

/* @f from another client address, as its sender would compute the checksums. */
struct frame from_addr(const struct frame *f, __be32 saddr);

/* @f with its IPv4 header checksum recomputed after a change to that header only. */
struct frame with_ip_checksum(struct frame f);

/*
 * Bytes [@start, @start + @len) of @whole's IP payload as a fragment: @whole's IPv4 header with
 * tot_len, MF and the offset set (DF cleared) and its checksum recomputed, and nothing else
 * changed, so a first fragment keeps the transport checksum of the whole datagram.
 */
struct frame fragment_of(const struct frame *whole, __u32 start, __u32 len, bool more);

struct frame frame_tagged(const struct frame *f, const struct vlan_tags *tags);

/* @f without its first @n tags, for the checksum helpers, which want IPv4 at ETH_HLEN. */
struct frame frame_untagged(const struct frame *f, int n);

/* The ICMP checksum over the whole message, as long as tot_len says (RFC 792), host order. */
__u16 icmp_checksum(const struct frame *f);

__u16 frame_icmp_check(const struct frame *f);

/* The IPv4 header and ICMP checksums as a sender computes them. */
void frame_set_icmp_checksums(struct frame *f);

/* The packet an ICMP error quotes, as a frame of its own (its tot_len may claim more). */
struct frame quoted_packet(const struct frame *err);

const char *proto_name(__u8 protocol);

/* Byte for byte, one message per differing field, naming it. */
void expect_same_bytes(const __u8 *got, const struct frame *want, __u32 len,
		       const char *what);

/* Both checksums of an output frame, recomputed from scratch, must be what a sender sends. */
void expect_valid_checksums(const struct frame *f, bool udp_zero_expected,
			    const char *what);

void expect_ip_checksum(const struct frame *f, const char *what);

/*
 * Every checksum of an ICMP error summed from scratch: the outer IPv4 header, the ICMP message,
 * the quoted IPv4 header, and the quoted UDP/TCP checksum when the error quotes the whole
 * datagram it covers. When it quotes less, the comparison with a frame made from the whole
 * translated datagram is what vouches for that checksum.
 */
void expect_icmp_error_checksums(const struct frame *f, bool udp_zero_expected,
				 const char *what);

#endif

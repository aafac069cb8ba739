// SPDX-License-Identifier: GPL-2.0
/* Frames for the packet tests; see frame.h. */
#include <arpa/inet.h>
#include <string.h>
#include <linux/icmp.h>

#include "csum.h"
#include "frame.h"
#include "test.h"

__u32 l4_header_len(__u8 protocol)
{
	return protocol == IPPROTO_UDP ? sizeof(struct udphdr) : sizeof(struct tcphdr);
}

__u32 frame_headers_len(const struct frame *f)
{
	return frame_l4_off(f) + l4_header_len(FRAME_IPH(f).protocol);
}

struct frame frame_of(const void *packet, size_t len)
{
	struct frame f = { .len = len };

	memcpy(f.data, packet, len);
	return f;
}

void fill_payload(__u8 *payload, size_t len)
{
	for (size_t i = 0; i < len; i++)
		payload[i] = 'a' + i % 26;
}

__u16 ipv4_header_checksum(const struct frame *f)
{
	return csum_ipv4_header(f->data + ETH_HLEN);
}

static __u32 l4_check_off(const struct frame *f)
{
	return frame_l4_off(f) + (FRAME_IPH(f).protocol == IPPROTO_UDP
					  ? offsetof(struct udphdr, check)
					  : offsetof(struct tcphdr, check));
}

__u16 l4_checksum(const struct frame *f)
{
	__u32 l4_off = frame_l4_off(f);

	return csum_l4_computed(f->data + ETH_HLEN, f->data + l4_off,
				frame_ip_len(f) - (l4_off - ETH_HLEN));
}

__u16 l4_checksum_to_send(const struct frame *f)
{
	__u32 l4_off = frame_l4_off(f);

	return csum_l4(f->data + ETH_HLEN, f->data + l4_off, frame_ip_len(f) - (l4_off - ETH_HLEN));
}

__u16 frame_l4_check(const struct frame *f)
{
	return get_be16(f->data + l4_check_off(f));
}

void frame_set_l4_check(struct frame *f, __u16 check)
{
	f->data[l4_check_off(f)] = check >> 8;
	f->data[l4_check_off(f) + 1] = check & 0xff;
}

void frame_set_checksums(struct frame *f, bool keep_udp_zero)
{
	FRAME_IPH(f).check = htons(ipv4_header_checksum(f));
	if (keep_udp_zero && FRAME_IPH(f).protocol == IPPROTO_UDP && !frame_l4_check(f))
		return;
	frame_set_l4_check(f, l4_checksum_to_send(f));
}

void frame_finish(struct frame *f)
{
	__u16 tot_len = f->len - ETH_HLEN;

	FRAME_IPH(f).tot_len = htons(tot_len);
	if (FRAME_IPH(f).protocol == IPPROTO_UDP)
		FRAME_UDPH(f).len = htons(tot_len - (frame_l4_off(f) - ETH_HLEN));
	frame_set_checksums(f, false);
}

void frame_add_ip_options(struct frame *f, __u32 len)
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

struct frame with_payload(const struct frame *f, __u32 len)
{
	struct frame g = *f;
	__u32 headers = frame_headers_len(f);

	g.len = headers + len;
	fill_payload(g.data + headers, len);
	frame_finish(&g);
	return g;
}

struct frame from_addr(const struct frame *f, __be32 saddr)
{
	struct frame g = *f;

	FRAME_IPH(&g).saddr = saddr;
	frame_set_checksums(&g, true);
	return g;
}

struct frame with_ip_checksum(struct frame f)
{
	FRAME_IPH(&f).check = htons(ipv4_header_checksum(&f));
	return f;
}

struct frame fragment_of(const struct frame *whole, __u32 start, __u32 len, bool more)
{
	__u32 l4_off = frame_l4_off(whole);
	struct frame f = { .len = l4_off + len };

	memcpy(f.data, whole->data, l4_off);
	memcpy(f.data + l4_off, whole->data + l4_off + start, len);
	FRAME_IPH(&f).tot_len = htons(f.len - ETH_HLEN);
	FRAME_IPH(&f).frag_off = htons((more ? IP_MF : 0) | start / 8);
	return with_ip_checksum(f);
}

struct frame frame_tagged(const struct frame *f, const struct vlan_tags *tags)
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

struct frame frame_untagged(const struct frame *f, int n)
{
	struct frame g = { .len = f->len - n * 4 };

	memcpy(g.data, f->data, 2 * ETH_ALEN);
	memcpy(g.data + 2 * ETH_ALEN, f->data + 2 * ETH_ALEN + n * 4, g.len - 2 * ETH_ALEN);
	return g;
}

__u16 icmp_checksum(const struct frame *f)
{
	const __u8 *message = f->data + frame_l4_off(f);
	__u32 len = frame_ip_len(f) - (frame_l4_off(f) - ETH_HLEN);
	__u32 check_off = offsetof(struct icmphdr, checksum);

	/* The words before and after the checksum field. */
	return csum_fold(csum_sum(message + check_off + 2, len - check_off - 2,
				  csum_sum(message, check_off, 0)));
}

__u16 frame_icmp_check(const struct frame *f)
{
	return get_be16(f->data + frame_l4_off(f) + offsetof(struct icmphdr, checksum));
}

void frame_set_icmp_checksums(struct frame *f)
{
	__u8 *check = f->data + frame_l4_off(f) + offsetof(struct icmphdr, checksum);
	__u16 sum;

	FRAME_IPH(f).check = htons(ipv4_header_checksum(f));
	sum = icmp_checksum(f);
	check[0] = sum >> 8;
	check[1] = sum & 0xff;
}

struct frame quoted_packet(const struct frame *err)
{
	__u32 off = frame_l4_off(err) + sizeof(struct icmphdr);
	__u32 end = ETH_HLEN + frame_ip_len(err);
	struct frame f = { .len = ETH_HLEN + end - off };

	memcpy(f.data, err->data, ETH_HLEN);
	memcpy(f.data + ETH_HLEN, err->data + off, end - off);
	return f;
}

const char *proto_name(__u8 protocol)
{
	return protocol == IPPROTO_UDP ? "udp" : protocol == IPPROTO_TCP ? "tcp" : "other";
}

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

void expect_same_bytes(const __u8 *got, const struct frame *want, __u32 len,
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

void expect_valid_checksums(const struct frame *f, bool udp_zero_expected,
			    const char *what)
{
	__u16 want_l4 = udp_zero_expected ? 0 : l4_checksum_to_send(f);

	CHECK(ntohs(FRAME_IPH(f).check) == ipv4_header_checksum(f),
	      "%s: ip.check: got 0x%04x, computed 0x%04x", what, ntohs(FRAME_IPH(f).check),
	      ipv4_header_checksum(f));
	CHECK(frame_l4_check(f) == want_l4, "%s: %s check: got 0x%04x, computed 0x%04x", what,
	      FRAME_IPH(f).protocol == IPPROTO_UDP ? "udp" : "tcp", frame_l4_check(f), want_l4);
}

void expect_ip_checksum(const struct frame *f, const char *what)
{
	CHECK(ntohs(FRAME_IPH(f).check) == ipv4_header_checksum(f),
	      "%s: ip.check: got 0x%04x, computed 0x%04x", what, ntohs(FRAME_IPH(f).check),
	      ipv4_header_checksum(f));
}

void expect_icmp_error_checksums(const struct frame *f, bool udp_zero_expected,
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

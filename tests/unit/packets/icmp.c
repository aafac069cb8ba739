// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP errors about a tracked flow's packets (doc/translation.md, "ICMP errors"): ingress
 * sends the client's error about a reply on to the target, egress the target's error about a
 * client's packet on to the client, each with the packet it quotes translated back; queries,
 * errors about other flows, truncated errors and fragments of errors are left alone.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "packets.h"

static const struct icmp_error_kind other_errors[] = {
	{ "time exceeded in transit", ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0 },
	{ "time exceeded reassembling", ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0 },
	/* The pointer, in the first byte, at the quoted header's TTL. */
	{ "parameter problem", ICMP_PARAMETERPROB, 0, IPV4(8, 0, 0, 0) },
	{ "source quench", ICMP_SOURCE_QUENCH, 0, 0 },
	{ "redirect host", ICMP_REDIRECT, ICMP_REDIR_HOST, IPV4(192, 0, 2, 254) },
};

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

PACKET_TEST(ingress_icmp_error_rewritten, INGRESS)
{
	struct flows_snapshot before;
	struct frame udp = udp_reply(), tcp = tcp_reply();

	put_tracked_flows(skel);
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
}

/* RFC 792 quotes only the header and 8 bytes: UDP's checksum is there, TCP's is not. */
PACKET_TEST(ingress_icmp_error_partial_quote_rewritten, INGRESS)
{
	struct frame udp = udp_reply(), tcp = tcp_reply();
	struct flows_snapshot before;

	put_tracked_flows(skel);
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
}

PACKET_TEST(ingress_icmp_error_quoted_ip_options_rewritten, INGRESS)
{
	struct frame udp = udp_reply(), tcp = tcp_reply(), tcp_long = tcp_reply();
	struct flows_snapshot before;

	frame_add_ip_options(&udp, 4);
	frame_add_ip_options(&tcp, 12);
	frame_add_ip_options(&tcp_long, 40);
	put_tracked_flows(skel);
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
}

PACKET_TEST(ingress_icmp_error_types_rewritten, INGRESS)
{
	struct frame udp = udp_reply(), tcp = tcp_reply();
	struct flows_snapshot before;

	put_tracked_flows(skel);
	snapshot_flows(skel, &before);
	for (size_t k = 0; k < sizeof(other_errors) / sizeof(other_errors[0]); k++) {
		expect_ingress_icmp_rewrite(v, skel, &other_errors[k], OTHER_ADDR, &udp, QUOTE_ALL,
					    "from a router, whole");
		expect_ingress_icmp_rewrite(v, skel, &other_errors[k], CLIENT_ADDR, &tcp,
					    quote_of(&tcp, 8), "8 bytes of tcp");
	}
	expect_maps_as_before(skel, &before);
}

PACKET_TEST(ingress_icmp_error_quoted_udp_zero_checksum_stays_zero, INGRESS)
{
	struct frame udp = udp_reply();
	struct flows_snapshot before;

	frame_set_l4_check(&udp, 0);
	put_tracked_flows(skel);
	snapshot_flows(skel, &before);
	expect_ingress_icmp_rewrite(v, skel, &port_unreachable, CLIENT_ADDR, &udp, QUOTE_ALL,
				    "udp without checksum, whole");
	expect_ingress_icmp_rewrite(v, skel, &frag_needed, CLIENT_ADDR, &udp, quote_of(&udp, 8),
				    "udp without checksum, header only");
	expect_maps_as_before(skel, &before);
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
PACKET_TEST(ingress_icmp_query_untouched, INGRESS)
{
	static const __u8 queries[] = {
		ICMP_ECHO, ICMP_ECHOREPLY, ICMP_TIMESTAMP, ICMP_INFO_REQUEST,
	};
	struct frame reply = udp_reply(), about = reply_as_received(&reply);
	struct flows_snapshot before;
	char what[64];

	put_tracked_flows(skel);
	snapshot_flows(skel, &before);
	for (size_t q = 0; q < sizeof(queries); q++) {
		struct frame in = icmp_error(CLIENT_ADDR, PUBLIC_ADDR, queries[q], 0,
					     htonl(0x00010001), &about, QUOTE_ALL, false);

		snprintf(what, sizeof(what), "icmp type %u quoting a tracked reply", queries[q]);
		expect_icmp_untouched(v, skel, INGRESS, &in, what);
	}
	expect_maps_as_before(skel, &before);
}

/* The client tells the public address about @about, quoting @quoted bytes of it. */
static struct frame ingress_error_about(const struct frame *about, __u32 quoted)
{
	return icmp_error(CLIENT_ADDR, PUBLIC_ADDR, port_unreachable.type, port_unreachable.code,
			  0, about, quoted, false);
}

/* Errors about packets that no tracked flow sent from the public address. */
PACKET_TEST(ingress_icmp_error_untracked_untouched, INGRESS)
{
	struct frame udp = udp_reply(), tcp = tcp_reply(), about, in;
	struct forward_rule second_port = udp_forward;
	struct flows_snapshot before;

	put_tracked_flows(skel);
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

PACKET_TEST(ingress_icmp_error_truncated_or_fragment_untouched, INGRESS)
{
	struct frame udp = udp_reply(), tcp = tcp_reply(), options = udp_reply(), about;
	struct flows_snapshot before;

	frame_add_ip_options(&options, 8);
	put_tracked_flows(skel);
	snapshot_flows(skel, &before);
	about = reply_as_received(&udp);
	expect_malformed_errors_untouched(v, skel, INGRESS, &about, CLIENT_ADDR, PUBLIC_ADDR);
	about = reply_as_received(&tcp);
	expect_malformed_errors_untouched(v, skel, INGRESS, &about, CLIENT_ADDR, PUBLIC_ADDR);
	about = reply_as_received(&options);
	expect_malformed_errors_untouched(v, skel, INGRESS, &about, CLIENT_ADDR, PUBLIC_ADDR);
	expect_maps_as_before(skel, &before);
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

PACKET_TEST(egress_icmp_error_rewritten, EGRESS)
{
	struct frame udp = udp_to_public(), tcp = tcp_to_public(), udp_zero = udp_to_public();
	struct flows_snapshot before;

	frame_set_l4_check(&udp_zero, 0);
	put_tracked_flows(skel);
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
}

PACKET_TEST(egress_icmp_error_partial_quote_rewritten, EGRESS)
{
	struct frame udp = udp_to_public(), tcp = tcp_to_public();
	struct frame udp_options = udp_to_public(), tcp_options = tcp_to_public();
	struct flows_snapshot before;

	frame_add_ip_options(&udp_options, 4);
	frame_add_ip_options(&tcp_options, 40);
	put_tracked_flows(skel);
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
}

/*
 * An error from another address of this host than the flow's target (as when the route back
 * leaves by another interface) keeps its source, as nf_nat does; what it quotes is translated.
 * The packet it quotes decides, not its source: an address that is no target is translated
 * the same (the source's bit in target_bits would let some through and not others).
 */
PACKET_TEST(egress_icmp_error_from_other_host_address_quoted_only, EGRESS)
{
	static const __be32 targets[TEST_MAX_TARGETS] = { TARGET_ADDR, SECOND_TARGET_ADDR };
	struct frame udp = udp_to_public(), tcp = tcp_to_public();
	struct flows_snapshot before;

	put_tracked_flows(skel);
	set_config(skel, PUBLIC_ADDR, targets);
	snapshot_flows(skel, &before);
	expect_egress_icmp_rewrite(v, skel, &port_unreachable, SECOND_TARGET_ADDR,
				   SECOND_TARGET_ADDR, &udp, QUOTE_ALL, "from the second address");
	expect_egress_icmp_rewrite(v, skel, &frag_needed, SECOND_TARGET_ADDR, SECOND_TARGET_ADDR,
				   &tcp, quote_of(&tcp, 8), "from the second address");
	expect_egress_icmp_rewrite(v, skel, &port_unreachable, OTHER_TARGET_ADDR,
				   OTHER_TARGET_ADDR, &udp, QUOTE_ALL, "from an address not in targets");
	expect_maps_as_before(skel, &before);
}

PACKET_TEST(egress_icmp_error_untracked_untouched, EGRESS)
{
	struct frame udp = udp_to_public(), tcp = tcp_to_public(), about, in;
	struct flows_snapshot before;

	put_tracked_flows(skel);
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

	/* A query from the target quoting what an error would. */
	in = icmp_error(TARGET_ADDR, CLIENT_ADDR, ICMP_ECHOREPLY, 0, htonl(0x00010001), &about,
			QUOTE_ALL, true);
	expect_icmp_untouched(v, skel, EGRESS, &in, "echo reply quoting a tracked packet");

	expect_malformed_errors_untouched(v, skel, EGRESS, &about, TARGET_ADDR, CLIENT_ADDR);
	about = packet_as_received(&tcp);
	expect_malformed_errors_untouched(v, skel, EGRESS, &about, TARGET_ADDR, CLIENT_ADDR);

	expect_maps_as_before(skel, &before);
}

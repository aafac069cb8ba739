// SPDX-License-Identifier: GPL-2.0
/*
 * Egress rewrites the target's reply of a tracked flow to come from the public address and
 * port the client dialled; and leaves every other packet alone.
 */
#include <string.h>

#include "packets.h"

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

PACKET_TEST(egress_udp_reply_rewritten, EGRESS)
{
	struct frame in = udp_reply();

	put_tracked_flows(skel);
	expect_egress_rewrite(v, skel, &in, &udp_forward, PUBLIC_ADDR, "udp reply");
	expect_stats(skel, udp_forward.stats_index, 0, 0, 1, frame_ip_len(&in));
	expect_stats(skel, tcp_forward.stats_index, 0, 0, 0, 0);
	CHECK_EQ(count_flows(skel), 2, "flows in the map");
}

PACKET_TEST(egress_tcp_reply_rewritten, EGRESS)
{
	struct frame in = tcp_reply();

	put_tracked_flows(skel);
	expect_egress_rewrite(v, skel, &in, &tcp_forward, PUBLIC_ADDR, "tcp reply");
	expect_stats(skel, tcp_forward.stats_index, 0, 0, 1, frame_ip_len(&in));
	expect_stats(skel, udp_forward.stats_index, 0, 0, 0, 0);
}

PACKET_TEST(egress_ip_options_rewritten, EGRESS)
{
	struct frame udp = udp_reply(), tcp = tcp_reply();

	frame_add_ip_options(&udp, 4);
	frame_add_ip_options(&tcp, 40);
	put_tracked_flows(skel);
	expect_egress_rewrite(v, skel, &udp, &udp_forward, PUBLIC_ADDR, "udp reply, ihl 6");
	expect_egress_rewrite(v, skel, &tcp, &tcp_forward, PUBLIC_ADDR, "tcp reply, ihl 15");
	expect_stats(skel, udp_forward.stats_index, 0, 0, 1, frame_ip_len(&udp));
	expect_stats(skel, tcp_forward.stats_index, 0, 0, 1, frame_ip_len(&tcp));
}

PACKET_TEST(egress_udp_zero_checksum_stays_zero, EGRESS)
{
	struct frame in = udp_reply();

	frame_set_l4_check(&in, 0);
	put_tracked_flows(skel);
	expect_egress_rewrite(v, skel, &in, &udp_forward, PUBLIC_ADDR, "udp reply, no checksum");
}

PACKET_TEST(egress_udp_computed_zero_sent_as_ffff, EGRESS)
{
	struct frame in = udp_reply();
	struct result r;

	if (!CHECK(make_checksum_zero_after_rewrite(&in, NAT_SOURCE, PUBLIC_ADDR,
						    udp_forward.port),
		   "no payload makes the rewritten checksum 0"))
		return;
	put_tracked_flows(skel);
	run_frame(&r, skel, EGRESS, v, &in);
	expect_rewritten(v, &r, &in, NAT_SOURCE, PUBLIC_ADDR, udp_forward.port,
			 "checksum 0 after rewrite");
	if (!r.err && r.size_out == in.len) {
		struct frame got = frame_of(r.out, r.size_out);

		CHECK_EQ(frame_l4_check(&got), 0xffff, "udp.check");
	}
}

/* Target addresses are compared one by one: the last slot counts as much as the first. */
PACKET_TEST(egress_last_target_slot_rewritten, EGRESS)
{
	static const __be32 targets[TEST_MAX_TARGETS] = {
		TARGET_ADDR, IPV4(198, 51, 100, 2), IPV4(198, 51, 100, 3), OTHER_TARGET_ADDR,
	};
	struct forward_rule elsewhere = udp_forward;
	struct frame in = udp_reply();

	elsewhere.target_addr = OTHER_TARGET_ADDR;
	FRAME_IPH(&in).saddr = OTHER_TARGET_ADDR;
	frame_finish(&in);
	set_config(skel, PUBLIC_ADDR, targets);
	put_flow(skel, &elsewhere, CLIENT_ADDR, CLIENT_UDP_PORT, PUBLIC_ADDR);
	expect_egress_rewrite(v, skel, &in, &elsewhere, PUBLIC_ADDR, "reply from target slot 3");
}

PACKET_TEST(egress_no_payload_rewritten, EGRESS)
{
	struct frame tcp = without_payload(tcp_reply());
	struct frame udp = without_payload(udp_reply());

	put_tracked_flows(skel);
	expect_egress_rewrite(v, skel, &tcp, &tcp_forward, PUBLIC_ADDR, "tcp ack");
	expect_egress_rewrite(v, skel, &udp, &udp_forward, PUBLIC_ADDR, "empty udp");
	expect_stats(skel, tcp_forward.stats_index, 0, 0, 1, frame_ip_len(&tcp));
	expect_stats(skel, udp_forward.stats_index, 0, 0, 1, frame_ip_len(&udp));
}

PACKET_TEST(egress_untracked_untouched, EGRESS)
{
	struct forward_rule elsewhere = udp_forward;
	struct frame f;

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
}

/*
 * Public address unknown (0): egress rewrites nothing either, not the replies of flows it
 * tracks, not the later fragments of a datagram whose first it translated, not their errors.
 */
PACKET_TEST(egress_public_addr_unknown_untouched, EGRESS)
{
	struct frame udp = udp_reply(), tcp = tcp_reply(), about, in;
	struct fragmented d;
	struct hp_frag_key key;

	put_tracked_flows(skel);
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
}

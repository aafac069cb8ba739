// SPDX-License-Identifier: GPL-2.0
/*
 * Ingress rewrites a client's packet to the public address and a forwarded port into one to
 * the forward's target, records the flow and counts it; and leaves everything else alone.
 */
#include <string.h>

#include "packets.h"

/* @in goes to its forward's target; the flow is recorded and the packet counted. */
static void expect_ingress_rewrite(enum variant v, struct hairpin *skel, const struct frame *in)
{
	const struct forward_rule *rule = forward_of(in);
	struct result r;
	struct hp_flow flow;
	__u64 t0, t1;

	t0 = jiffies_now();
	run_frame(&r, skel, INGRESS, v, in);
	t1 = jiffies_now();
	expect_rewritten(v, &r, in, NAT_DESTINATION, rule->target_addr, rule->target_port,
			 "to public");
	expect_flow(skel, in, rule, PUBLIC_ADDR, t0, t1, &flow);
	CHECK_EQ(count_flows(skel), 1, "flows in the map");
	/* Only a first fragment is remembered; a whole packet (DF or not) is not. */
	CHECK_EQ(count_keys(skel->maps.hp_frags), 0, "frags in the map");
	expect_stats(skel, rule->stats_index, 1, frame_ip_len(in), 0, 0);
}

PACKET_TEST(ingress_udp_rewritten, INGRESS)
{
	struct frame in = udp_to_public();

	expect_ingress_rewrite(v, skel, &in);
}

PACKET_TEST(ingress_tcp_rewritten, INGRESS)
{
	struct frame in = tcp_to_public();

	expect_ingress_rewrite(v, skel, &in);
}

PACKET_TEST(ingress_ip_options_rewritten, INGRESS)
{
	struct frame udp = udp_to_public(), tcp = tcp_to_public();

	frame_add_ip_options(&udp, 4);		/* IHL 6 */
	frame_add_ip_options(&tcp, 40);		/* IHL 15, the most there is */
	if (test_subtest("udp_ihl_6"))
		expect_ingress_rewrite(v, skel, &udp);
	if (test_subtest("tcp_ihl_15"))
		expect_ingress_rewrite(v, skel, &tcp);
}

PACKET_TEST(ingress_udp_zero_checksum_stays_zero, INGRESS)
{
	struct frame in = udp_to_public();

	frame_set_l4_check(&in, 0);	/* RFC 768: the sender computed none */
	expect_ingress_rewrite(v, skel, &in);
}

PACKET_TEST(ingress_udp_computed_zero_sent_as_ffff, INGRESS)
{
	struct frame in = udp_to_public();
	struct result r;

	if (!CHECK(make_checksum_zero_after_rewrite(&in, NAT_DESTINATION, udp_forward.target_addr,
						    udp_forward.target_port),
		   "no payload makes the rewritten checksum 0"))
		return;
	run_frame(&r, skel, INGRESS, v, &in);
	expect_rewritten(v, &r, &in, NAT_DESTINATION, udp_forward.target_addr,
			 udp_forward.target_port, "checksum 0 after rewrite");
	if (!r.err && r.size_out == in.len) {
		struct frame got = frame_of(r.out, r.size_out);

		CHECK_EQ(frame_l4_check(&got), 0xffff, "udp.check");
	}
}

/* A short frame padded to the Ethernet minimum: the padding is not part of the datagram. */
PACKET_TEST(ingress_ethernet_padding_kept, INGRESS)
{
	struct frame in = udp_to_public();

	in.len = offsetof(struct udp4_packet, payload) + 4;
	frame_finish(&in);
	memset(in.data + in.len, 0, ETH_ZLEN - in.len);
	in.data[ETH_ZLEN - 1] = 0x5a;	/* padding need not be zero; it must stay as it was */
	in.len = ETH_ZLEN;
	expect_ingress_rewrite(v, skel, &in);
}

PACKET_TEST(ingress_no_payload_rewritten, INGRESS)
{
	struct frame tcp = without_payload(tcp_to_public());
	struct frame udp = without_payload(udp_to_public());

	FRAME_TCPH(&tcp).psh = 0;
	frame_set_checksums(&tcp, false);
	if (test_subtest("tcp_ack"))
		expect_ingress_rewrite(v, skel, &tcp);
	if (test_subtest("udp_empty"))
		expect_ingress_rewrite(v, skel, &udp);
}

PACKET_TEST(ingress_other_traffic_untouched, INGRESS)
{
	struct frame f;

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
}

/* Public address unknown (0): nothing is rewritten, not even a packet to 0.0.0.0. */
PACKET_TEST(ingress_public_addr_unknown_untouched, INGRESS)
{
	struct frame f;

	set_config(skel, 0, only_target);

	f = udp_to_public();
	FRAME_IPH(&f).daddr = 0;
	frame_finish(&f);
	expect_ingress_untouched(v, skel, &f, "udp to 0.0.0.0");

	f = tcp_to_public();
	expect_ingress_untouched(v, skel, &f, "tcp to the old public address");

	expect_maps_untouched(skel, 0);
}

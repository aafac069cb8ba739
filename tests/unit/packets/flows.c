// SPDX-License-Identifier: GPL-2.0
/*
 * The flows map over a flow's life: a second packet, a forward that moved to another stats
 * slot, and the public address changing under a flow (lifetime.c has the rest: refreshes,
 * states, timeouts, old addresses).
 */
#include <string.h>

#include "packets.h"

PACKET_TEST(flow_second_packet_keeps_flow, INGRESS)
{
	struct frame in = tcp_to_public();
	struct hp_flow first, second;
	struct result r;
	__u64 t0, t1;

	t0 = jiffies_now();
	run_frame(&r, skel, INGRESS, v, &in);
	t1 = jiffies_now();
	expect_rewritten(v, &r, &in, NAT_DESTINATION, TARGET_ADDR, tcp_forward.target_port,
			 "first packet");
	if (!expect_flow(skel, &in, &tcp_forward, PUBLIC_ADDR, t0, t1, &first))
		return;

	run_frame(&r, skel, INGRESS, v, &in);
	t1 = jiffies_now();
	expect_rewritten(v, &r, &in, NAT_DESTINATION, TARGET_ADDR, tcp_forward.target_port,
			 "second packet");
	if (expect_flow(skel, &in, &tcp_forward, PUBLIC_ADDR, t0, t1, &second)) {
		CHECK(second.last_seen >= first.last_seen,
		      "last_seen went back: %llu after %llu",
		      (unsigned long long)second.last_seen,
		      (unsigned long long)first.last_seen);
		second.last_seen = first.last_seen;
		CHECK(!memcmp(&first, &second, sizeof(first)),
		      "second packet changed the flow beyond last_seen");
	}
	CHECK_EQ(count_flows(skel), 1, "flows in the map");
	expect_stats(skel, tcp_forward.stats_index, 2, 2 * frame_ip_len(&in), 0, 0);
}

/* The forward moved to another stats slot: the flow follows, counting goes to the new slot. */
PACKET_TEST(flow_follows_forward_stats_index, INGRESS)
{
	struct forward_rule moved = udp_forward;
	struct frame in = udp_to_public();
	struct hp_flow flow;
	struct result r;
	__u64 t0, t1;

	run_frame(&r, skel, INGRESS, v, &in);
	moved.stats_index = 900;
	set_forward(skel, &moved);
	t0 = jiffies_now();
	run_frame(&r, skel, INGRESS, v, &in);
	t1 = jiffies_now();
	expect_rewritten(v, &r, &in, NAT_DESTINATION, TARGET_ADDR, udp_forward.target_port,
			 "after the move");
	expect_flow(skel, &in, &moved, PUBLIC_ADDR, t0, t1, &flow);
	expect_stats(skel, udp_forward.stats_index, 1, frame_ip_len(&in), 0, 0);
	expect_stats(skel, moved.stats_index, 1, frame_ip_len(&in), 0, 0);
}

/*
 * The ISP changes the public address from .7 to .8. Replies keep coming from .7 until the
 * client dials .8 (the flow records what the client dialled); then they come from .8, and a
 * packet to .7 is no longer ours.
 */
PACKET_TEST(flow_public_addr_change, INGRESS)
{
	enum variant ev = egress_variant(v);
	struct frame to_old = udp_to_public(), to_new = udp_to_public(), reply = udp_reply();
	__u32 ip_len = frame_ip_len(&to_old);
	struct hp_flow flow;
	struct result r;
	__u64 t0, t1;

	FRAME_IPH(&to_new).daddr = PUBLIC_ADDR_NEW;
	frame_finish(&to_new);

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

	t0 = jiffies_now();
	run_frame(&r, skel, INGRESS, v, &to_new);
	t1 = jiffies_now();
	expect_rewritten(v, &r, &to_new, NAT_DESTINATION, TARGET_ADDR, udp_forward.target_port,
			 "to .8");
	expect_flow(skel, &to_new, &udp_forward, PUBLIC_ADDR_NEW, t0, t1, &flow);
	CHECK_EQ(count_flows(skel), 1, "flows in the map");

	run_frame(&r, skel, EGRESS, ev, &reply);
	expect_rewritten(ev, &r, &reply, NAT_SOURCE, PUBLIC_ADDR_NEW, udp_forward.port,
			 "reply after the client dialled .8");

	expect_ingress_untouched(v, skel, &to_old, "to .7 after the change");
	expect_flow(skel, &to_new, &udp_forward, PUBLIC_ADDR_NEW, t0, jiffies_now(), &flow);
	expect_stats(skel, udp_forward.stats_index, 2, 2 * ip_len, 3, 3 * ip_len);
}

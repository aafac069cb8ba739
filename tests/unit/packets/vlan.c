// SPDX-License-Identifier: GPL-2.0
/*
 * Frames behind 802.1Q and 802.1ad tags: translated behind the same tags, up to the two the
 * parser skips; three tags, or tags in front of something other than IPv4, are not ours.
 */
#include "packets.h"

static const struct vlan_tags vlan_stacks[] = {
	{ "802.1Q", 1, { ETH_P_8021Q } },
	{ "802.1ad", 1, { ETH_P_8021AD } },
	{ "QinQ", 2, { ETH_P_8021AD, ETH_P_8021Q } },
};

/* One more than the datapath skips (doc/translation.md, "Parsing a frame"). */
static const struct vlan_tags three_tags = {
	"three tags", 3, { ETH_P_8021AD, ETH_P_8021Q, ETH_P_8021Q },
};

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

/*
 * What BPF_PROG_TEST_RUN (6.18) does with a tagged frame: XDP gets the bytes as given. For tc,
 * eth_type_trans() sets skb->protocol to the outer TPID, and nothing moves a tag into
 * skb->vlan_tci: the tags stay in the data, where the parser looks for them, and come back in
 * the output. (On a real device tc seldom sees the outer tag in the data: receive moves it to
 * skb->vlan_tci with skb_vlan_untag() before tc ingress, and the 8021q driver hands the tag to
 * the lower device in skb->vlan_tci; that is outside the program.) BPF_F_TEST_SKB_CHECKSUM_COMPLETE
 * sums skb->csum from the first tag on; the tags do not change, so nothing need follow them.
 */
PACKET_TEST(ingress_vlan_tagged_rewritten, INGRESS)
{
	char what[64];

	for (size_t s = 0; s < sizeof(vlan_stacks) / sizeof(vlan_stacks[0]); s++) {
		for (size_t p = 0; p < sizeof(both_protocols); p++) {
			struct frame in = both_protocols[p] == IPPROTO_UDP ? udp_to_public()
									   : tcp_to_public();
			const struct forward_rule *rule = forward_of(&in);
			struct hp_flow flow;
			__u64 t0, t1;

			snprintf(what, sizeof(what), "%s_%s", proto_name(both_protocols[p]),
				 vlan_stacks[s].name);
			if (!test_subtest(what))
				continue;
			snprintf(what, sizeof(what), "%s behind %s", proto_name(both_protocols[p]),
				 vlan_stacks[s].name);
			t0 = jiffies_now();
			expect_tagged_rewrite(v, skel, INGRESS, &in, &vlan_stacks[s],
					      NAT_DESTINATION, rule->target_addr,
					      rule->target_port, what);
			t1 = jiffies_now();
			expect_flow(skel, &in, rule, PUBLIC_ADDR, t0, t1, &flow);
			CHECK_EQ(count_flows(skel), 1, "flows in the map");
			expect_stats(skel, rule->stats_index, 1, frame_ip_len(&in), 0, 0);
		}
	}
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

PACKET_TEST(ingress_vlan_three_tags_or_not_ipv4_untouched, INGRESS)
{

	expect_tagged_not_ours_untouched(v, skel, INGRESS);
	expect_maps_untouched(skel, 0);
}

PACKET_TEST(egress_vlan_tagged_rewritten, EGRESS)
{
	struct frame udp = udp_reply(), tcp = tcp_reply();
	__u64 n = sizeof(vlan_stacks) / sizeof(vlan_stacks[0]);
	char what[64];

	put_tracked_flows(skel);
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
}

PACKET_TEST(egress_vlan_three_tags_or_not_ipv4_untouched, EGRESS)
{

	put_tracked_flows(skel);
	expect_tagged_not_ours_untouched(v, skel, EGRESS);
	expect_maps_untouched(skel, 2);
}

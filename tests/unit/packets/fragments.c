// SPDX-License-Identifier: GPL-2.0
/*
 * IPv4 fragments (doc/translation.md, "Fragments"): a first fragment is translated like a
 * whole packet and remembered in the frags map; the later ones follow it, and only it.
 */
#include <string.h>

#include "packets.h"

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

/* A first fragment to a forwarded port is translated like a whole packet, and remembered. */
PACKET_TEST(ingress_first_fragment_rewritten_and_remembered, INGRESS)
{
	for (size_t p = 0; p < sizeof(both_protocols); p++) {
		const struct forward_rule *rule;
		struct fragmented d;
		struct hp_flow flow;
		char what[64];
		__u64 t0, t1;

		ingress_fragmented(&d, both_protocols[p]);
		rule = forward_of(&d.in[FRAG_FIRST]);
		if (!test_subtest(proto_name(both_protocols[p])))
			continue;
		snprintf(what, sizeof(what), "%s first fragment", proto_name(both_protocols[p]));
		t0 = jiffies_now();
		expect_fragment_rewritten(v, skel, INGRESS, &d, FRAG_FIRST, what);
		t1 = jiffies_now();
		expect_flow(skel, &d.in[FRAG_FIRST], rule, PUBLIC_ADDR, t0, t1, &flow);
		CHECK_EQ(count_flows(skel), 1, "flows in the map");
		expect_frag(skel, &d.in[FRAG_FIRST], HP_DIR_INGRESS, rule->target_addr);
		CHECK_EQ(count_keys(skel->maps.hp_frags), 1, "frags in the map");
		expect_stats(skel, rule->stats_index, 1, frame_ip_len(&d.in[FRAG_FIRST]), 0, 0);
	}
}

/* The later fragments get the first's destination address and nothing else; no counting. */
PACKET_TEST(ingress_later_fragments_follow_first, INGRESS)
{
	for (size_t p = 0; p < sizeof(both_protocols); p++) {
		const struct forward_rule *rule;
		struct fragmented d;
		char what[64];

		ingress_fragmented(&d, both_protocols[p]);
		rule = forward_of(&d.in[FRAG_FIRST]);
		if (!test_subtest(proto_name(both_protocols[p])))
			continue;
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
	}
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
PACKET_TEST(ingress_later_fragment_without_first_untouched, INGRESS)
{
	for (size_t p = 0; p < sizeof(both_protocols); p++) {
		const char *proto = proto_name(both_protocols[p]);
		const struct forward_rule *rule;
		struct fragmented d;
		char what[64];

		ingress_fragmented(&d, both_protocols[p]);
		rule = forward_of(&d.in[FRAG_FIRST]);
		if (!test_subtest(proto_name(both_protocols[p])))
			continue;
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
	}
}

/* Fragments of a port not forwarded, of another protocol, of ICMP: no translation, no entry. */
PACKET_TEST(ingress_fragments_not_forwarded_untouched, INGRESS)
{
	struct frame f;

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
}

/* The first fragment of a tracked flow's reply is translated and remembered. */
PACKET_TEST(egress_first_fragment_rewritten_and_remembered, EGRESS)
{

	put_tracked_flows(skel);
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
}

PACKET_TEST(egress_later_fragments_follow_first, EGRESS)
{

	put_tracked_flows(skel);
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
}

/*
 * Untouched on egress: later fragments before their first, of other datagrams, of a reply no
 * flow tracks; and an ingress entry with the same addresses and id does not serve egress.
 */
PACKET_TEST(egress_fragments_untracked_untouched, EGRESS)
{
	char what[64];

	put_tracked_flows(skel);
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
}

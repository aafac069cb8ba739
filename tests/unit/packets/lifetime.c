// SPDX-License-Identifier: GPL-2.0
/*
 * A flow's life (doc/translation.md, "Flows"): it owns the address it was dialled at, also
 * after the public address changed; roaming flows reply from the current one; flows move
 * through their states and end after their state's timeout; new flows are admitted per
 * client; a direct packet ends the flow that holds its ports; what is not handled as usual is
 * counted by reason; and the prefilters are what lets a packet in at all.
 *
 * Time is set up, not waited for: a flow is put in the map with a last_seen the test chose,
 * in the kernel's jiffies, against timeouts the test chose (set_config()'s HZ is 1000).
 */
#include <errno.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "packets.h"

#define OLD_ADDR PUBLIC_ADDR
#define NEW_ADDR PUBLIC_ADDR_NEW

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

static struct hp_config config_read(struct hairpin *skel)
{
	struct hp_config config = { 0 };
	__u32 zero = 0;

	CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.hp_config), &zero, &config),
	      "read config: %s", strerror(errno));
	return config;
}

static void config_write(struct hairpin *skel, const struct hp_config *config)
{
	__u32 zero = 0;

	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_config), &zero, config, BPF_ANY),
	      "write config: %s", strerror(errno));
}

/* The public address moved from OLD_ADDR to NEW_ADDR, OLD_ADDR kept for its flows. */
static void public_moved(struct hairpin *skel)
{
	struct hp_config config = config_read(skel);

	config.public_addr = NEW_ADDR;
	config.old_public_addrs[0] = OLD_ADDR;
	config.ingress_bits |= hp_target_bit(NEW_ADDR) | hp_target_bit(OLD_ADDR);
	config_write(skel, &config);
}

/* A flow of @rule for CLIENT_ADDR, owning @public_addr, in @state, seen @age jiffies ago. */
static void put_client_flow(struct hairpin *skel, const struct forward_rule *rule,
			    __be32 public_addr, __u8 state, __u64 age)
{
	put_flow_aged(skel, rule, CLIENT_ADDR,
		      rule->protocol == IPPROTO_UDP ? CLIENT_UDP_PORT : CLIENT_TCP_PORT,
		      public_addr, state, age);
}

static bool client_flow(struct hairpin *skel, const struct forward_rule *rule,
			struct hp_flow *flow)
{
	__u16 client_port = rule->protocol == IPPROTO_UDP ? CLIENT_UDP_PORT : CLIENT_TCP_PORT;
	struct hp_flow_key key = flow_key(rule, CLIENT_ADDR, client_port);

	return get_flow(skel, &key, flow);
}

static struct frame to_addr(struct frame f, __be32 daddr)
{
	FRAME_IPH(&f).daddr = daddr;
	frame_finish(&f);
	return f;
}

static struct frame with_tcp_flags(struct frame f, __u8 flags)
{
	f.data[frame_l4_off(&f) + 13] = flags;
	frame_finish(&f);
	return f;
}

/* The verdict that drops: XDP_DROP or TC_ACT_SHOT. */
static __u32 drop_verdict(enum variant v)
{
	return v == XDP ? XDP_DROP : TC_ACT_SHOT;
}

/* ---- Owned addresses ------------------------------------------------------------------------ */

/* A client still dialling the old address: its live flow owns it, so it is translated. */
PACKET_TEST(lifetime_old_address_owned_by_live_flow, INGRESS)
{
	enum variant ev = egress_variant(v);
	struct frame in = udp_to_public(), reply = udp_reply();
	struct hp_flow flow;
	struct result r;

	put_client_flow(skel, &udp_forward, OLD_ADDR, HP_FLOW_REPLIED, 10);
	public_moved(skel);
	run_frame(&r, skel, INGRESS, v, &in);
	expect_rewritten(v, &r, &in, NAT_DESTINATION, TARGET_ADDR, udp_forward.target_port,
			 "to the old address");
	run_frame(&r, skel, EGRESS, ev, &reply);
	expect_rewritten(ev, &r, &reply, NAT_SOURCE, OLD_ADDR, udp_forward.port,
			 "reply of a flow that owns the old address");
	if (CHECK(client_flow(skel, &udp_forward, &flow), "the flow is gone"))
		CHECK(flow.public_addr == OLD_ADDR, "the flow owns %s, not the old address",
		      addr_str(flow.public_addr));
	CHECK_EQ(reasons_sum(skel, HP_REASON_OLD_ADDRESS), 0, "old_address count");
}

/* The old address belongs to whoever has it now: a packet of no live flow passes. */
PACKET_TEST(lifetime_old_address_without_flow_untouched, INGRESS)
{
	struct frame in = udp_to_public();
	struct hp_flow flow;

	if (test_subtest("no_flow")) {
		public_moved(skel);
		expect_ingress_untouched(v, skel, &in, "to the old address, no flow");
		CHECK_EQ(reasons_sum(skel, HP_REASON_OLD_ADDRESS), 1, "old_address count");
	}
	if (test_subtest("flow_owns_the_new_address")) {
		public_moved(skel);
		put_client_flow(skel, &udp_forward, NEW_ADDR, HP_FLOW_REPLIED, 10);
		expect_ingress_untouched(v, skel, &in, "to the old address, flow owns the new");
	}
	if (test_subtest("flow_ended")) {
		public_moved(skel);
		put_client_flow(skel, &udp_forward, OLD_ADDR, HP_FLOW_REPLIED, 3600 * 1000 + 10);
		expect_ingress_untouched(v, skel, &in, "to the old address, flow ended");
		CHECK(client_flow(skel, &udp_forward, &flow) && flow.public_addr == OLD_ADDR,
		      "an ended flow was remade on the old address");
	}
	if (test_subtest("address_left_the_list")) {
		public_moved(skel);
		put_client_flow(skel, &udp_forward, OLD_ADDR, HP_FLOW_REPLIED, 10);
		struct hp_config config = config_read(skel);

		config.old_public_addrs[0] = 0;
		config_write(skel, &config);
		expect_ingress_untouched(v, skel, &in, "to an address no longer kept");
	}
}

/* New flows are made on the current address only; a live flow on the old one moves. */
PACKET_TEST(lifetime_client_redials_new_address, INGRESS)
{
	enum variant ev = egress_variant(v);
	struct frame to_new = to_addr(udp_to_public(), NEW_ADDR), reply = udp_reply();
	struct hp_flow flow;
	struct result r;

	put_client_flow(skel, &udp_forward, OLD_ADDR, HP_FLOW_REPLIED, 10);
	public_moved(skel);
	run_frame(&r, skel, INGRESS, v, &to_new);
	expect_rewritten(v, &r, &to_new, NAT_DESTINATION, TARGET_ADDR, udp_forward.target_port,
			 "to the new address");
	if (CHECK(client_flow(skel, &udp_forward, &flow), "no flow"))
		CHECK(flow.public_addr == NEW_ADDR && flow.state == HP_FLOW_NEW,
		      "flow owns %s in state %u, want the new address, state new",
		      addr_str(flow.public_addr), flow.state);
	run_frame(&r, skel, EGRESS, ev, &reply);
	expect_rewritten(ev, &r, &reply, NAT_SOURCE, NEW_ADDR, udp_forward.port,
			 "reply after the client dialled the new address");
}

/* Roaming: replies of a flow that owns the old address leave from the current one. */
PACKET_TEST(lifetime_roaming_replies_from_current_address, EGRESS)
{
	struct forward_rule roaming = udp_forward;
	struct frame reply = udp_reply();
	struct result r;

	roaming.flags = HP_FORWARD_ROAMING;
	set_forward(skel, &roaming);
	put_client_flow(skel, &roaming, OLD_ADDR, HP_FLOW_REPLIED, 10);
	public_moved(skel);
	run_frame(&r, skel, EGRESS, v, &reply);
	expect_rewritten(v, &r, &reply, NAT_SOURCE, NEW_ADDR, udp_forward.port,
			 "roaming reply");
	if (test_subtest("not_roaming")) {
		public_moved(skel);
		put_client_flow(skel, &udp_forward, OLD_ADDR, HP_FLOW_REPLIED, 10);
		run_frame(&r, skel, EGRESS, v, &reply);
		expect_rewritten(v, &r, &reply, NAT_SOURCE, OLD_ADDR, udp_forward.port,
				 "reply of a flow that does not roam");
	}
}

/* A roaming flow moves to the current address without a token: it is no new flow. */
PACKET_TEST(lifetime_roaming_flow_moves_without_token, INGRESS)
{
	struct forward_rule roaming = udp_forward;
	struct frame to_new = to_addr(udp_to_public(), NEW_ADDR);
	struct hp_config config;
	struct hp_flow flow;
	struct result r;

	roaming.flags = HP_FORWARD_ROAMING;
	set_forward(skel, &roaming);
	put_client_flow(skel, &roaming, OLD_ADDR, HP_FLOW_REPLIED, 10);
	public_moved(skel);
	config = config_read(skel);
	config.admission_rate = 1;
	config.admission_cap = config.hz;	/* one flow; then the client's bucket is empty */
	config_write(skel, &config);
	/* Empty the client's bucket. */
	{
		struct hp_admission empty = { .updated = jiffies_now() + 100000, .tokens = 0 };
		__be32 client = CLIENT_ADDR;

		CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_admission), &client, &empty,
					   BPF_ANY), "empty the bucket: %s", strerror(errno));
	}
	run_frame(&r, skel, INGRESS, v, &to_new);
	expect_rewritten(v, &r, &to_new, NAT_DESTINATION, TARGET_ADDR, udp_forward.target_port,
			 "a roaming client moves to the new address");
	if (CHECK(client_flow(skel, &roaming, &flow), "no flow"))
		CHECK(flow.public_addr == NEW_ADDR, "flow owns %s", addr_str(flow.public_addr));
	CHECK_EQ(reasons_sum(skel, HP_REASON_FLOW_REFUSED), 0, "flow_refused count");
}

/* ---- States and timeouts ------------------------------------------------------------------- */

/* The default timeouts, in the jiffies of set_config()'s HZ of 1000. */
static void default_timeouts(struct hairpin *skel)
{
	struct hp_config config = config_read(skel);

	config.timeouts[hp_flow_timeout_index(IPPROTO_UDP, HP_FLOW_NEW)] = 30 * 1000;
	config.timeouts[hp_flow_timeout_index(IPPROTO_UDP, HP_FLOW_REPLIED)] = 180 * 1000;
	config.timeouts[hp_flow_timeout_index(IPPROTO_TCP, HP_FLOW_NEW)] = 120 * 1000;
	config.timeouts[hp_flow_timeout_index(IPPROTO_TCP, HP_FLOW_REPLIED)] = 7440 * 1000;
	config.timeouts[hp_flow_timeout_index(IPPROTO_TCP, HP_FLOW_CLOSING)] = 120 * 1000;
	config_write(skel, &config);
}

/* UDP: new until a reply, then replied; the new state's timeout is the shorter. */
PACKET_TEST(lifetime_udp_states_and_timeouts, INGRESS)
{
	enum variant ev = egress_variant(v);
	struct frame in = udp_to_public(), reply = udp_reply();
	struct hp_flow flow;
	struct result r;

	default_timeouts(skel);
	run_frame(&r, skel, INGRESS, v, &in);
	if (CHECK(client_flow(skel, &udp_forward, &flow), "no flow"))
		CHECK_EQ(flow.state, HP_FLOW_NEW, "state after the client's packet");
	run_frame(&r, skel, EGRESS, ev, &reply);
	if (CHECK(client_flow(skel, &udp_forward, &flow), "no flow"))
		CHECK_EQ(flow.state, HP_FLOW_REPLIED, "state after a reply");

	if (test_subtest("new_ends_after_30s")) {
		default_timeouts(skel);
		put_client_flow(skel, &udp_forward, PUBLIC_ADDR, HP_FLOW_NEW, 31 * 1000);
		expect_egress_untouched(ev, skel, &reply, "reply of a new flow idle 31 s");
	}
	if (test_subtest("replied_lives_past_30s")) {
		default_timeouts(skel);
		put_client_flow(skel, &udp_forward, PUBLIC_ADDR, HP_FLOW_REPLIED, 31 * 1000);
		run_frame(&r, skel, EGRESS, ev, &reply);
		expect_rewritten(ev, &r, &reply, NAT_SOURCE, PUBLIC_ADDR, udp_forward.port,
				 "reply of a replied flow idle 31 s");
	}
	if (test_subtest("replied_ends_after_180s")) {
		default_timeouts(skel);
		put_client_flow(skel, &udp_forward, PUBLIC_ADDR, HP_FLOW_REPLIED, 181 * 1000);
		expect_egress_untouched(ev, skel, &reply, "reply of a replied flow idle 181 s");
	}
	if (test_subtest("ended_flow_is_made_anew")) {
		default_timeouts(skel);
		put_client_flow(skel, &udp_forward, PUBLIC_ADDR, HP_FLOW_REPLIED, 181 * 1000);
		run_frame(&r, skel, INGRESS, v, &in);
		expect_rewritten(v, &r, &in, NAT_DESTINATION, TARGET_ADDR,
				 udp_forward.target_port, "a client's packet after its flow ended");
		if (CHECK(client_flow(skel, &udp_forward, &flow), "no flow"))
			CHECK(flow.state == HP_FLOW_NEW && jiffies_now() - flow.last_seen < 1000,
			      "state %u, seen %llu jiffies ago: want new, just now", flow.state,
			      (unsigned long long)(jiffies_now() - flow.last_seen));
	}
}

/* TCP: new, replied (established), closing on FIN or RST, new again on a fresh SYN. */
PACKET_TEST(lifetime_tcp_states, INGRESS)
{
	enum variant ev = egress_variant(v);
	struct frame syn = with_tcp_flags(tcp_to_public(), TCP_SYN);
	struct frame synack = with_tcp_flags(tcp_reply(), TCP_SYN | TCP_ACK);
	struct frame data = tcp_to_public();
	struct frame fin = with_tcp_flags(tcp_to_public(), TCP_FIN | TCP_ACK);
	struct frame rst_reply = with_tcp_flags(tcp_reply(), TCP_RST);
	struct hp_flow flow;
	struct result r;

	default_timeouts(skel);

#define EXPECT_STATE(want, after)                                                          \
	if (CHECK(client_flow(skel, &tcp_forward, &flow), "no flow after %s", after))      \
		CHECK(flow.state == (want), "after %s: state %u, want %u", after, flow.state, \
		      want)

	run_frame(&r, skel, INGRESS, v, &syn);
	EXPECT_STATE(HP_FLOW_NEW, "SYN");
	run_frame(&r, skel, EGRESS, ev, &synack);
	expect_rewritten(ev, &r, &synack, NAT_SOURCE, PUBLIC_ADDR, tcp_forward.port, "SYN-ACK");
	EXPECT_STATE(HP_FLOW_REPLIED, "SYN-ACK");
	run_frame(&r, skel, INGRESS, v, &data);
	EXPECT_STATE(HP_FLOW_REPLIED, "data");
	run_frame(&r, skel, INGRESS, v, &fin);
	expect_rewritten(v, &r, &fin, NAT_DESTINATION, TARGET_ADDR, tcp_forward.target_port,
			 "FIN");
	EXPECT_STATE(HP_FLOW_CLOSING, "FIN");
	run_frame(&r, skel, INGRESS, v, &syn);
	EXPECT_STATE(HP_FLOW_NEW, "a new SYN on the closing flow");
	run_frame(&r, skel, EGRESS, ev, &rst_reply);
	expect_rewritten(ev, &r, &rst_reply, NAT_SOURCE, PUBLIC_ADDR, tcp_forward.port, "RST");
	EXPECT_STATE(HP_FLOW_CLOSING, "the target's RST");

	if (test_subtest("closing_ends_after_120s")) {
		default_timeouts(skel);
		put_client_flow(skel, &tcp_forward, PUBLIC_ADDR, HP_FLOW_CLOSING, 121 * 1000);
		expect_egress_untouched(ev, skel, &data, "a closing flow idle 121 s");
	}
	if (test_subtest("established_lives_past_120s")) {
		default_timeouts(skel);
		struct frame reply = tcp_reply();

		put_client_flow(skel, &tcp_forward, PUBLIC_ADDR, HP_FLOW_REPLIED, 3600 * 1000);
		run_frame(&r, skel, EGRESS, ev, &reply);
		expect_rewritten(ev, &r, &reply, NAT_SOURCE, PUBLIC_ADDR, tcp_forward.port,
				 "reply of an established flow idle an hour");
	}
#undef EXPECT_STATE
}

/* A live flow's last_seen is written once it is older than refresh_jiffies, not per packet. */
PACKET_TEST(lifetime_last_seen_refresh, INGRESS)
{
	struct frame in = udp_to_public();
	struct hp_flow before, after;
	struct result r;

	if (test_subtest("fresh_not_written")) {
		put_client_flow(skel, &udp_forward, PUBLIC_ADDR, HP_FLOW_REPLIED, 500);
		client_flow(skel, &udp_forward, &before);
		run_frame(&r, skel, INGRESS, v, &in);
		if (CHECK(client_flow(skel, &udp_forward, &after), "no flow"))
			CHECK(!memcmp(&before, &after, sizeof(before)),
			      "a flow seen 0.5 s ago was written");
	}
	if (test_subtest("stale_refreshed")) {
		__u64 t0;

		put_client_flow(skel, &udp_forward, PUBLIC_ADDR, HP_FLOW_REPLIED, 2000);
		client_flow(skel, &udp_forward, &before);
		t0 = jiffies_now();
		run_frame(&r, skel, INGRESS, v, &in);
		if (CHECK(client_flow(skel, &udp_forward, &after), "no flow")) {
			CHECK(after.last_seen >= t0, "last_seen not refreshed: %llu before %llu",
			      (unsigned long long)after.last_seen, (unsigned long long)t0);
			after.last_seen = before.last_seen;
			CHECK(!memcmp(&before, &after, sizeof(before)),
			      "refresh changed the flow beyond last_seen");
		}
	}
}

/* ---- Admission ------------------------------------------------------------------------------ */

/* A client's burst of new flows is admitted, the next one dropped; live flows go on. */
PACKET_TEST(lifetime_admission_limits_new_flows, INGRESS)
{
	struct hp_config config = config_read(skel);
	struct frame first = udp_to_public();
	struct result r;
	int admitted = 0;

	config.admission_rate = 1;		/* a flow a second */
	config.admission_cap = 3 * config.hz;	/* a burst of 3 */
	config_write(skel, &config);
	for (int port = 0; port < 5; port++) {
		struct frame in = udp_to_public();

		FRAME_UDPH(&in).source = htons(CLIENT_UDP_PORT + port);
		frame_finish(&in);
		run_frame(&r, skel, INGRESS, v, &in);
		if (r.retval == pass_verdict(v))
			admitted++;
		else
			CHECK_EQ(r.retval, drop_verdict(v), "verdict of a refused new flow");
	}
	CHECK_EQ(admitted, 3, "new flows admitted of 5 in a burst of 3");
	CHECK_EQ(reasons_sum(skel, HP_REASON_FLOW_REFUSED), 2, "flow_refused count");
	CHECK_EQ(count_flows(skel), 3, "flows in the map");
	/* The client's first flow is live: its packets need no token. */
	run_frame(&r, skel, INGRESS, v, &first);
	expect_rewritten(v, &r, &first, NAT_DESTINATION, TARGET_ADDR, udp_forward.target_port,
			 "a packet of an admitted flow, bucket empty");
	if (test_subtest("another_client_unaffected")) {
		struct frame second = first, other = from_addr(&first, CLIENT2_ADDR);

		FRAME_UDPH(&second).source = htons(CLIENT_UDP_PORT + 1);
		frame_finish(&second);
		config = config_read(skel);
		config.admission_rate = 1;
		config.admission_cap = config.hz;	/* one flow */
		config_write(skel, &config);
		run_frame(&r, skel, INGRESS, v, &first);
		run_frame(&r, skel, INGRESS, v, &second);
		CHECK_EQ(r.retval, drop_verdict(v), "verdict of the client's second new flow");
		run_frame(&r, skel, INGRESS, v, &other);
		expect_rewritten(v, &r, &other, NAT_DESTINATION, TARGET_ADDR,
				 udp_forward.target_port, "another client's new flow");
	}
	if (test_subtest("unlimited")) {
		config = config_read(skel);
		config.admission_rate = 1;
		config.admission_cap = 0;
		config_write(skel, &config);
		for (int port = 0; port < 10; port++) {
			struct frame in = udp_to_public();

			FRAME_UDPH(&in).source = htons(CLIENT_UDP_PORT + 100 + port);
			frame_finish(&in);
			run_frame(&r, skel, INGRESS, v, &in);
			CHECK_EQ(r.retval, pass_verdict(v), "verdict without a limit");
		}
	}
}

/* ---- Direct packets ------------------------------------------------------------------------- */

/* The client's packet straight to the target, from the ports of the client's flow. */
static struct frame udp_direct(void)
{
	struct frame f = udp_to_public();

	FRAME_IPH(&f).daddr = TARGET_ADDR;
	FRAME_UDPH(&f).dest = htons(udp_forward.target_port);
	frame_finish(&f);
	return f;
}

/* A client talking to the target directly from the ports of a flow ends the flow. */
PACKET_TEST(lifetime_direct_packet_ends_flow, INGRESS)
{
	enum variant ev = egress_variant(v);
	struct frame direct = udp_direct(), reply = udp_reply();
	struct hp_flow flow;

	put_client_flow(skel, &udp_forward, PUBLIC_ADDR, HP_FLOW_REPLIED, 10);
	expect_ingress_untouched(v, skel, &direct, "a direct packet");
	CHECK(!client_flow(skel, &udp_forward, &flow), "the flow is still there");
	CHECK_EQ(reasons_sum(skel, HP_REASON_DIRECT_CLASH), 1, "direct_clash count");
	expect_egress_untouched(ev, skel, &reply, "reply to the direct packet");

	if (test_subtest("other_port_keeps_flow")) {
		struct frame ssh = udp_direct();

		FRAME_UDPH(&ssh).dest = htons(22);
		frame_finish(&ssh);
		put_client_flow(skel, &udp_forward, PUBLIC_ADDR, HP_FLOW_REPLIED, 10);
		expect_ingress_untouched(v, skel, &ssh, "direct to another port");
		CHECK(client_flow(skel, &udp_forward, &flow), "a flow of another port ended");
	}
	if (test_subtest("overlap_spares_tc")) {
		struct hp_config config = config_read(skel);

		config.ingress_overlap = 1;
		config_write(skel, &config);
		put_client_flow(skel, &udp_forward, PUBLIC_ADDR, HP_FLOW_REPLIED, 10);
		expect_ingress_untouched(v, skel, &direct, "during an overlap of hooks");
		CHECK(client_flow(skel, &udp_forward, &flow) == (v != XDP),
		      "with ingress_overlap, tc must spare the flow and XDP must not");
	}
}

/* ---- Prefilters ----------------------------------------------------------------------------- */

/* Ingress reads nothing of a packet whose destination's bit is not in ingress_bits. */
PACKET_TEST(lifetime_ingress_bits_gate, INGRESS)
{
	struct hp_config config = config_read(skel);
	struct frame in = udp_to_public();

	config.ingress_bits = 0;
	config_write(skel, &config);
	expect_ingress_untouched(v, skel, &in, "to the public address, its bit clear");
	CHECK_EQ(count_flows(skel), 0, "flows in the map");
}

/* Egress looks up no flow for a port that is no forward's target port. */
PACKET_TEST(lifetime_target_ports_gate, EGRESS)
{
	struct frame reply = udp_reply();
	__u32 word = hp_target_port_word(IPPROTO_UDP, udp_forward.target_port);
	__u64 none = 0;

	put_tracked_flows(skel);
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_target_ports), &word, &none,
				   BPF_ANY), "clear target_ports: %s", strerror(errno));
	expect_egress_untouched(v, skel, &reply, "reply from a port that is no target port");
}

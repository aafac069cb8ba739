// SPDX-License-Identifier: GPL-2.0
/*
 * Reflection (doc/translation.md, "Reflection"): a forward whose target is on the clients' own
 * LAN. The client's packet goes to the target from this host's address and a port of its
 * choosing, straight back out of lan0; the target's reply goes to the client from the public
 * address; both never enter the stack. XDP sends them with XDP_TX and the link-layer
 * addresses of the neighbour table of the test's namespace (packets.c's lan_setup()); tc
 * redirects them through bpf_redirect_neigh(), which fills those addresses in itself.
 */
#include <errno.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "packets.h"

/* A server on the clients' LAN, known to lan0's neighbour table; and one that is not. */
#define SERVER_ADDR IPV4(192, 0, 2, 60)
#define UNKNOWN_SERVER_ADDR IPV4(192, 0, 2, 61)
/* This host's address on lan0: the client, as the server sees it. */
#define REFLECT_ADDR TARGET_ADDR

static const __u8 host_mac[ETH_ALEN] = HOST_MAC;
static const __u8 client_mac[ETH_ALEN] = CLIENT_MAC;
static const __u8 client2_mac[ETH_ALEN] = { 0x02, 0x48, 0x50, 0x00, 0x00, 0x0b };
static const __u8 server_mac[ETH_ALEN] = { 0x02, 0x48, 0x50, 0x00, 0x00, 0x3c };

static const struct forward_rule reflected = {
	.protocol = IPPROTO_UDP, .port = 51820,
	.target_addr = SERVER_ADDR, .target_port = 51821, .stats_index = 3,
};

/*
 * The forward of udp/51820 to the server, reflected for clients on lan0 (or on the device
 * @ifindex), as `up` writes it: the forward, its info, the prefilters' bits.
 */
static void reflect_forward(struct hairpin *skel, const struct forward_rule *rule, int ifindex)
{
	struct hp_forward_info info = { .reflect_ifindex = ifindex, .reflect_addr = REFLECT_ADDR };
	const __be32 targets[TEST_MAX_TARGETS] = { TARGET_ADDR, rule->target_addr };
	struct hp_config config;
	__u32 index = rule->stats_index, zero = 0;
	int fd = bpf_map__fd(skel->maps.hp_config);

	set_config(skel, PUBLIC_ADDR, targets);
	set_forward(skel, rule);
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_forward_info), &index, &info,
				   BPF_ANY), "set forward info: %s", strerror(errno));
	if (!CHECK(!bpf_map_lookup_elem(fd, &zero, &config), "read config: %s", strerror(errno)))
		return;
	config.reflect_bits = hp_target_bit(REFLECT_ADDR);
	config.ingress_bits |= config.reflect_bits;
	CHECK(!bpf_map_update_elem(fd, &zero, &config, BPF_ANY), "write config: %s",
	      strerror(errno));
}

/* The forward reflected for lan0's clients, and @in, a client's first packet, through ingress. */
static void reflect_start(enum variant v, struct hairpin *skel, const struct frame *in,
			  struct result *r)
{
	reflect_forward(skel, &reflected, packets_lan_ifindex);
	run_frame(r, skel, INGRESS, v, in);
}

/* The client @client dials the public address from @port. */
static struct frame client_packet(__be32 client, __u16 port)
{
	struct frame f = udp_to_public();

	FRAME_IPH(&f).saddr = client;
	FRAME_UDPH(&f).source = htons(port);
	frame_finish(&f);
	return f;
}

/* The server answers the host's @port. */
static struct frame server_reply(__u16 port)
{
	struct frame f = udp_reply();

	FRAME_IPH(&f).saddr = SERVER_ADDR;
	FRAME_IPH(&f).daddr = REFLECT_ADDR;
	FRAME_UDPH(&f).dest = htons(port);
	memcpy(f.data, host_mac, ETH_ALEN);
	memcpy(f.data + ETH_ALEN, server_mac, ETH_ALEN);
	frame_finish(&f);
	return f;
}

/*
 * @in after a reflection: addresses and ports as given, TTL one less, checksums from scratch;
 * on XDP, sent from lan0 to @dst_mac. (tc leaves the link layer to bpf_redirect_neigh().)
 */
static struct frame reflected_frame(enum variant v, const struct frame *in, __be32 saddr,
				    __u16 sport, __be32 daddr, __u16 dport, const __u8 *dst_mac)
{
	struct frame f = *in;

	FRAME_IPH(&f).saddr = saddr;
	FRAME_IPH(&f).daddr = daddr;
	FRAME_IPH(&f).ttl--;
	FRAME_UDPH(&f).source = htons(sport);
	FRAME_UDPH(&f).dest = htons(dport);
	if (v == XDP) {
		memcpy(f.data, dst_mac, ETH_ALEN);
		memcpy(f.data + ETH_ALEN, host_mac, ETH_ALEN);
	}
	frame_set_checksums(&f, true);
	return f;
}

/* The verdict that sends a reflected packet back out. */
static __u32 tx_verdict(enum variant v)
{
	return v == XDP ? XDP_TX : TC_ACT_REDIRECT;
}

static void expect_reflected(enum variant v, const struct result *r, const struct frame *want,
			     const char *what)
{
	struct frame got;

	if (!CHECK(r->err == 0, "%s: test_run: %s", what, strerror(-r->err)))
		return;
	CHECK(r->retval == tx_verdict(v), "%s: verdict: got %u, want %u", what, r->retval,
	      tx_verdict(v));
	if (!CHECK(r->size_out == want->len, "%s: data_size_out: got %u, want %u", what,
		   r->size_out, want->len))
		return;
	got.len = r->size_out;
	memcpy(got.data, r->out, r->size_out);
	expect_same_bytes(got.data, want, got.len, what);
	expect_valid_checksums(&got, false, what);
}

static bool get_entry(struct hairpin *skel, __be32 client, __u16 client_port,
		      enum hp_flow_kind kind, struct hp_flow *flow)
{
	struct hp_flow_key key = {
		.client_addr = client, .target_addr = SERVER_ADDR, .client_port = htons(client_port),
		.target_port = htons(reflected.target_port), .protocol = IPPROTO_UDP, .kind = kind,
	};

	return get_flow(skel, &key, flow);
}

/* The client's packet goes to the server from this host, its port kept, and back out. */
PACKET_TEST(reflect_client_to_server, INGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct frame want = reflected_frame(v, &in, REFLECT_ADDR, CLIENT_UDP_PORT, SERVER_ADDR,
					    reflected.target_port, server_mac);
	struct hp_flow client_side, server_side;
	struct result r;

	reflect_start(v, skel, &in, &r);
	expect_reflected(v, &r, &want, "client to server");
	if (CHECK(get_entry(skel, CLIENT_ADDR, CLIENT_UDP_PORT, HP_FLOW_KEY_CLIENT, &client_side),
		  "no client's view of the flow"))
		CHECK(client_side.nat_addr == REFLECT_ADDR &&
		      ntohs(client_side.nat_port) == CLIENT_UDP_PORT &&
		      client_side.public_addr == PUBLIC_ADDR &&
		      (client_side.flags & HP_FLOW_REFLECTED),
		      "client's view: this host %s:%u, public %s, flags 0x%x",
		      addr_str(client_side.nat_addr), ntohs(client_side.nat_port),
		      addr_str(client_side.public_addr), client_side.flags);
	if (CHECK(get_entry(skel, REFLECT_ADDR, CLIENT_UDP_PORT, HP_FLOW_KEY_TARGET, &server_side),
		  "no server's view of the flow"))
		CHECK(server_side.nat_addr == CLIENT_ADDR &&
		      ntohs(server_side.nat_port) == CLIENT_UDP_PORT &&
		      (server_side.flags & HP_FLOW_REFLECTED),
		      "server's view stands for %s:%u, flags 0x%x", addr_str(server_side.nat_addr),
		      ntohs(server_side.nat_port), server_side.flags);
	expect_stats(skel, reflected.stats_index, 1, frame_ip_len(&in), 0, 0);
}

/* The server's reply goes to the client from the public address, and back out. */
PACKET_TEST(reflect_server_reply_to_client, INGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct frame reply = server_reply(CLIENT_UDP_PORT);
	struct frame want = reflected_frame(v, &reply, PUBLIC_ADDR, reflected.port, CLIENT_ADDR,
					    CLIENT_UDP_PORT, client_mac);
	struct hp_flow client_side;
	struct result r;

	reflect_start(v, skel, &in, &r);
	run_frame(&r, skel, INGRESS, v, &reply);
	expect_reflected(v, &r, &want, "server to client");
	/* Both views change state together: the reply made the client's view replied too. */
	if (CHECK(get_entry(skel, CLIENT_ADDR, CLIENT_UDP_PORT, HP_FLOW_KEY_CLIENT, &client_side),
		  "no client's view of the flow"))
		CHECK_EQ(client_side.state, HP_FLOW_REPLIED, "client's view's state after a reply");
	expect_stats(skel, reflected.stats_index, 1, frame_ip_len(&in), 1,
		     frame_ip_len(&reply));
	if (test_subtest("reply_without_flow_passes")) {
		struct frame stray = server_reply(CLIENT_UDP_PORT + 1);

		reflect_forward(skel, &reflected, packets_lan_ifindex);
		expect_ingress_untouched(v, skel, &stray, "a server's packet of no flow");
	}
}

/* Two clients from the same port: the second gets another port of this host. */
PACKET_TEST(reflect_port_collision, INGRESS)
{
	struct frame first = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct frame second = client_packet(CLIENT2_ADDR, CLIENT_UDP_PORT);
	struct hp_flow client_side;
	struct result r;
	__u16 port;

	reflect_forward(skel, &reflected, packets_lan_ifindex);
	run_frame(&r, skel, INGRESS, v, &first);
	run_frame(&r, skel, INGRESS, v, &second);
	CHECK_EQ(r.retval, tx_verdict(v), "verdict for the second client");
	if (!CHECK(get_entry(skel, CLIENT2_ADDR, CLIENT_UDP_PORT, HP_FLOW_KEY_CLIENT,
			     &client_side), "no flow for the second client"))
		return;
	port = ntohs(client_side.nat_port);
	CHECK(port != CLIENT_UDP_PORT && port >= 1024,
	      "the second client got port %u (the first has %u)", port, CLIENT_UDP_PORT);
	struct frame want = reflected_frame(v, &second, REFLECT_ADDR, port, SERVER_ADDR,
					    reflected.target_port, server_mac);
	expect_reflected(v, &r, &want, "the second client to the server");

	/* Each port's replies go to its own client. */
	struct frame reply = server_reply(port);
	struct frame want_reply = reflected_frame(v, &reply, PUBLIC_ADDR, reflected.port,
						  CLIENT2_ADDR, CLIENT_UDP_PORT, client2_mac);

	run_frame(&r, skel, INGRESS, v, &reply);
	expect_reflected(v, &r, &want_reply, "reply to the second client");
	reply = server_reply(CLIENT_UDP_PORT);
	want_reply = reflected_frame(v, &reply, PUBLIC_ADDR, reflected.port, CLIENT_ADDR,
				     CLIENT_UDP_PORT, client_mac);
	run_frame(&r, skel, INGRESS, v, &reply);
	expect_reflected(v, &r, &want_reply, "reply to the first client");
}

/* A client on another Device than the server's: only the destination is rewritten. */
PACKET_TEST(reflect_not_on_this_device, INGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct result r;

	reflect_forward(skel, &reflected, packets_lan_ifindex + 1000);
	run_frame(&r, skel, INGRESS, v, &in);
	expect_rewritten(v, &r, &in, NAT_DESTINATION, SERVER_ADDR, reflected.target_port,
			 "client on another device");
}

/*
 * XDP cannot send to a server whose link-layer address the neighbour table lacks: the packet
 * goes to the stack with its destination rewritten, for the stack to resolve it; a roaming
 * forward's is dropped instead (its peer would move to the server's own address). tc's
 * redirect resolves the neighbour itself.
 */
PACKET_TEST(reflect_unknown_neighbour, INGRESS)
{
	struct forward_rule unknown = reflected;
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct result r;

	unknown.target_addr = UNKNOWN_SERVER_ADDR;
	reflect_forward(skel, &unknown, packets_lan_ifindex);
	run_frame(&r, skel, INGRESS, v, &in);
	if (v == XDP) {
		expect_rewritten(v, &r, &in, NAT_DESTINATION, UNKNOWN_SERVER_ADDR,
				 unknown.target_port, "to the stack, destination only");
		CHECK_EQ(reasons_sum(skel, HP_REASON_NO_NEIGHBOUR), 1, "no_neighbour count");
	} else {
		struct frame want = reflected_frame(v, &in, REFLECT_ADDR, CLIENT_UDP_PORT,
						    UNKNOWN_SERVER_ADDR, unknown.target_port, NULL);

		expect_reflected(v, &r, &want, "tc redirects through the neighbour table");
	}
	if (test_subtest("roaming_dropped") && v == XDP) {
		unknown.flags = HP_FORWARD_ROAMING;
		reflect_forward(skel, &unknown, packets_lan_ifindex);
		run_frame(&r, skel, INGRESS, v, &in);
		CHECK_EQ(r.retval, XDP_DROP, "verdict for a roaming forward");
	}
}

/* A packet whose TTL would run out here is left to the stack, which answers it. */
PACKET_TEST(reflect_ttl_one_to_the_stack, INGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct result r;

	FRAME_IPH(&in).ttl = 1;
	frame_finish(&in);
	reflect_start(v, skel, &in, &r);
	expect_rewritten(v, &r, &in, NAT_DESTINATION, SERVER_ADDR, reflected.target_port,
			 "TTL 1");
}

/*
 * @err, a port unreachable about a packet that was reflected, goes on from @from to @to about
 * @about (what that side sent, one hop on), its TTL one less, and back out of lan0: on XDP to
 * @dst_mac.
 */
static void expect_error_reflected(enum variant v, struct hairpin *skel, const struct frame *err,
				   __be32 from, __be32 to, const struct frame *about,
				   const __u8 *dst_mac, const char *what)
{
	struct frame sent = *about, want;
	struct result r;

	FRAME_IPH(&sent).ttl--;
	frame_finish(&sent);
	want = icmp_error(from, to, port_unreachable.type, port_unreachable.code, 0, &sent,
			  QUOTE_ALL, false);
	FRAME_IPH(&want).ttl = FRAME_IPH(err).ttl - 1;
	if (v == XDP) {
		memcpy(want.data, dst_mac, ETH_ALEN);
		memcpy(want.data + ETH_ALEN, host_mac, ETH_ALEN);
	} else {
		memcpy(want.data, err->data, 2 * ETH_ALEN);
	}
	frame_set_icmp_checksums(&want);
	run_frame(&r, skel, INGRESS, v, err);
	if (!CHECK(r.err == 0 && r.retval == tx_verdict(v), "%s: verdict %u", what, r.retval))
		return;
	expect_same_bytes(r.out, &want, want.len, what);
}

/* The server says port unreachable about the client's packet: the client hears it. */
PACKET_TEST(reflect_icmp_from_server, INGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct frame at_server, err;
	struct result r;

	reflect_start(v, skel, &in, &r);
	/* The packet as the server received it, and the server's error about it. */
	at_server = reflected_frame(XDP, &in, REFLECT_ADDR, CLIENT_UDP_PORT, SERVER_ADDR,
				    reflected.target_port, server_mac);
	err = icmp_error(SERVER_ADDR, REFLECT_ADDR, port_unreachable.type, port_unreachable.code,
			 0, &at_server, QUOTE_ALL, false);
	/* What the client must get: from the public address, about what it sent. */
	expect_error_reflected(v, skel, &err, PUBLIC_ADDR, CLIENT_ADDR, &in, client_mac,
			       "error from the server");
}

/* The client says port unreachable about a reply: the server hears it, about what it sent. */
PACKET_TEST(reflect_icmp_from_client, INGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct frame reply = server_reply(CLIENT_UDP_PORT), at_client, err;
	struct result r;

	reflect_start(v, skel, &in, &r);
	at_client = reflected_frame(XDP, &reply, PUBLIC_ADDR, reflected.port, CLIENT_ADDR,
				    CLIENT_UDP_PORT, client_mac);
	err = icmp_error(CLIENT_ADDR, PUBLIC_ADDR, port_unreachable.type, port_unreachable.code,
			 0, &at_client, QUOTE_ALL, false);
	expect_error_reflected(v, skel, &err, REFLECT_ADDR, SERVER_ADDR, &reply, server_mac,
			       "error from the client");
}

/* A datagram in fragments: each fragment is reflected as its first was. */
PACKET_TEST(reflect_fragments, INGRESS)
{
	struct frame base = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct frame datagram = with_payload(&base, FRAG_PAYLOAD_LEN);
	struct frame in[N_FRAGS], want_whole, want[N_FRAGS];
	struct result r;

	reflect_forward(skel, &reflected, packets_lan_ifindex);
	fragments_of(&datagram, in);
	want_whole = reflected_frame(v, &datagram, REFLECT_ADDR, CLIENT_UDP_PORT, SERVER_ADDR,
				     reflected.target_port, server_mac);
	fragments_of(&want_whole, want);
	for (int i = 0; i < N_FRAGS; i++) {
		/* fragments_of() copies the link layer and fixes each IPv4 checksum. */
		run_frame(&r, skel, INGRESS, v, &in[i]);
		if (!CHECK(r.err == 0 && r.retval == tx_verdict(v), "%s fragment: verdict %u",
			   frag_names[i], r.retval))
			continue;
		expect_same_bytes(r.out, &want[i], want[i].len, frag_names[i]);
	}
}

/*
 * Fuzzer findings (tests/fuzz, doc/translation.md "Reflection": only its rules use a
 * reflected flow's entries). A packet from the server to this host's address and port of a
 * reflected flow, leaving through egress, is none of the flow's: its packets never enter the
 * stack. Egress used to take the server's view for a flow of its own and rewrite the source.
 */
PACKET_TEST(reflect_egress_ignores_the_flow, EGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct frame out = server_reply(CLIENT_UDP_PORT);
	struct result r;

	reflect_start(v, skel, &in, &r);
	if (!CHECK_EQ(r.retval, tx_verdict(v), "the client's packet reflected"))
		return;
	expect_egress_untouched(v, skel, &out, "the server's packet to this host, on egress");
	expect_stats(skel, reflected.stats_index, 1, frame_ip_len(&in), 0, 0);
}

/*
 * A packet from this host's address and the port of a reflected flow to the server, seen on
 * ingress, is not a client talking to the server directly: the "direct" rule used to end the
 * flow (its server's view, leaving the client's view without it).
 */
PACKET_TEST(reflect_direct_rule_ignores_the_flow, INGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct frame spoof = client_packet(REFLECT_ADDR, CLIENT_UDP_PORT);
	struct hp_flow flow;
	struct result r;

	reflect_start(v, skel, &in, &r);
	FRAME_IPH(&spoof).daddr = SERVER_ADDR;
	FRAME_UDPH(&spoof).dest = htons(reflected.target_port);
	frame_finish(&spoof);
	expect_ingress_untouched(v, skel, &spoof, "this host's address to the server");
	CHECK(get_entry(skel, REFLECT_ADDR, CLIENT_UDP_PORT, HP_FLOW_KEY_TARGET, &flow),
	      "the server's view of the flow is gone");
	CHECK_EQ(reasons_sum(skel, HP_REASON_DIRECT_CLASH), 0, "direct_clash count");
}

/*
 * XDP cannot send the server's reply to a client it has no neighbour entry for: the stack
 * forwards it, translated, and takes one off its TTL itself. XDP used to take one off too.
 */
PACKET_TEST(reflect_reply_to_the_stack_keeps_its_ttl, INGRESS)
{
	struct frame in = client_packet(OUTSIDE_CLIENT_ADDR, CLIENT_UDP_PORT);
	struct frame reply = server_reply(CLIENT_UDP_PORT);
	struct result r;

	reflect_start(v, skel, &in, &r);
	run_frame(&r, skel, INGRESS, v, &reply);
	if (v == XDP) {
		/* The stack fills the link layer in: as it came. */
		struct frame want = reflected_frame(TC, &reply, PUBLIC_ADDR, reflected.port,
						    OUTSIDE_CLIENT_ADDR, CLIENT_UDP_PORT, NULL);

		FRAME_IPH(&want).ttl = FRAME_IPH(&reply).ttl;
		frame_set_checksums(&want, true);
		CHECK_EQ(r.retval, XDP_PASS, "verdict: to the stack");
		expect_same_bytes(r.out, &want, want.len, "to the stack, TTL as it came");
		CHECK_EQ(reasons_sum(skel, HP_REASON_NO_NEIGHBOUR), 1, "no_neighbour count");
	} else {
		struct frame want = reflected_frame(v, &reply, PUBLIC_ADDR, reflected.port,
						    OUTSIDE_CLIENT_ADDR, CLIENT_UDP_PORT, NULL);

		expect_reflected(v, &r, &want, "tc redirects through the neighbour table");
	}
}

/* A fragment of the server's own datagram to this host is no orphan of hairpin's. */
PACKET_TEST(reflect_servers_own_fragment_no_orphan, INGRESS)
{
	struct frame base = server_reply(CLIENT_UDP_PORT);
	struct frame datagram = with_payload(&base, FRAG_PAYLOAD_LEN);
	struct frame in[N_FRAGS];

	reflect_forward(skel, &reflected, packets_lan_ifindex);
	fragments_of(&datagram, in);
	expect_ingress_untouched(v, skel, &in[FRAG_MIDDLE], "a middle fragment, no first");
	CHECK_EQ(reasons_sum(skel, HP_REASON_ORPHAN_FRAGMENT), 0, "orphan_fragment count");
}

/*
 * An error about a reflected packet goes on to the client only when it is sent to the address
 * it quotes; another address whose prefilter bit is the reflect address's is left alone. And
 * an error from another host of the LAN than the server goes on all the same, from where it
 * came: the packet inside it says whose it is.
 */
PACKET_TEST(reflect_icmp_addresses, INGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	/* 192.0.2.65: the same prefilter bit as 192.0.2.1 (hp_target_bit()). */
	const __be32 elsewhere = IPV4(192, 0, 2, 65), bridge = IPV4(192, 0, 2, 99);
	struct frame at_server, err;
	struct result r;

	reflect_start(v, skel, &in, &r);
	at_server = reflected_frame(XDP, &in, REFLECT_ADDR, CLIENT_UDP_PORT, SERVER_ADDR,
				    reflected.target_port, server_mac);
	err = icmp_error(SERVER_ADDR, elsewhere, port_unreachable.type, port_unreachable.code, 0,
			 &at_server, QUOTE_ALL, false);
	expect_ingress_untouched(v, skel, &err, "an error to another address");

	err = icmp_error(bridge, REFLECT_ADDR, port_unreachable.type, port_unreachable.code, 0,
			 &at_server, QUOTE_ALL, false);
	expect_error_reflected(v, skel, &err, bridge, CLIENT_ADDR, &in, client_mac,
			       "error from another host");
}

/*
 * A UDP client may send from port 0 ("none", RFC 768): this host never claims port 0 for it,
 * but another. The datapath used to claim 0, which also means "none free", and dropped the
 * packet without counting it, the server's view written under port 0.
 */
PACKET_TEST(reflect_client_port_zero, INGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, 0);
	struct hp_flow client_side, server_side;
	struct result r;
	__u16 port;

	reflect_start(v, skel, &in, &r);
	if (!CHECK(get_entry(skel, CLIENT_ADDR, 0, HP_FLOW_KEY_CLIENT, &client_side),
		   "no client's view of the flow (verdict %u)", r.retval))
		return;
	port = ntohs(client_side.nat_port);
	CHECK(port >= 1024, "the client got port %u of this host", port);
	CHECK(!get_entry(skel, REFLECT_ADDR, 0, HP_FLOW_KEY_TARGET, &server_side),
	      "a server's view under port 0");
	struct frame want = reflected_frame(v, &in, REFLECT_ADDR, port, SERVER_ADDR,
					    reflected.target_port, server_mac);
	expect_reflected(v, &r, &want, "from port 0");
}

/*
 * The public address changed and this host's reflect address too (its LAN address moved):
 * a live flow on the old public address keeps going from the address and port it was
 * reflected with, where the server's view is, not from the new reflect address. The datapath
 * used to send it from the new one, whose replies no flow knows.
 */
PACKET_TEST(reflect_old_address_keeps_its_reflect_address, INGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct hp_forward_info info = { .reflect_ifindex = packets_lan_ifindex,
					.reflect_addr = SECOND_TARGET_ADDR };
	__u32 slot = reflected.stats_index, zero = 0;
	struct hp_config config;
	struct result r;

	reflect_start(v, skel, &in, &r);
	if (!CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.hp_config), &zero, &config),
		   "read config: %s", strerror(errno)))
		return;
	config.old_public_addrs[0] = PUBLIC_ADDR;
	config.public_addr = PUBLIC_ADDR_NEW;
	config.reflect_bits |= hp_target_bit(SECOND_TARGET_ADDR);
	config.ingress_bits |= hp_target_bit(PUBLIC_ADDR_NEW) | config.reflect_bits;
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_config), &zero, &config, BPF_ANY),
	      "write config: %s", strerror(errno));
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_forward_info), &slot, &info,
				   BPF_ANY), "set forward info: %s", strerror(errno));
	run_frame(&r, skel, INGRESS, v, &in);
	struct frame want = reflected_frame(v, &in, REFLECT_ADDR, CLIENT_UDP_PORT, SERVER_ADDR,
					    reflected.target_port, server_mac);
	expect_reflected(v, &r, &want, "to the old public address");
}

/*
 * The server dialled its own public address with a datagram in fragments, and then the public
 * address changed and left no old one: its later fragments go to an address that is nothing
 * of hairpin's any more. With another reflect address whose prefilter bit is that address's,
 * they used to be taken for a reflected reply's fragments and translated as the first was:
 * now a reply's datagram is recorded apart (as egress records replies), and they are left
 * alone.
 */
PACKET_TEST(reflect_fragments_to_a_former_public_address, INGRESS)
{
	struct frame base = client_packet(SERVER_ADDR, CLIENT_UDP_PORT);
	struct frame datagram = with_payload(&base, FRAG_PAYLOAD_LEN);
	struct frame in[N_FRAGS];
	struct hp_config config;
	struct result r;
	__u32 zero = 0;
	int fd = bpf_map__fd(skel->maps.hp_config);

	fragments_of(&datagram, in);
	reflect_start(v, skel, &in[FRAG_FIRST], &r);
	if (!CHECK_EQ(r.retval, tx_verdict(v), "the first fragment reflected") ||
	    !CHECK(!bpf_map_lookup_elem(fd, &zero, &config), "read config: %s", strerror(errno)))
		return;
	config.public_addr = PUBLIC_ADDR_NEW;
	/* As if 192.0.2.71 reflected too: the bit of 203.0.113.7. */
	config.reflect_bits |= hp_target_bit(PUBLIC_ADDR);
	config.ingress_bits |= hp_target_bit(PUBLIC_ADDR_NEW) | config.reflect_bits;
	CHECK(!bpf_map_update_elem(fd, &zero, &config, BPF_ANY), "write config: %s",
	      strerror(errno));
	expect_ingress_untouched(v, skel, &in[FRAG_MIDDLE], "to the former public address");
}

/* A reflected reply's fragments are none of egress's, even from the server to this host. */
PACKET_TEST(reflect_egress_ignores_reply_fragments, EGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct frame base = server_reply(CLIENT_UDP_PORT);
	struct frame datagram = with_payload(&base, FRAG_PAYLOAD_LEN);
	struct frame reply[N_FRAGS];
	struct result r;

	fragments_of(&datagram, reply);
	reflect_start(v, skel, &in, &r);
	run_frame(&r, skel, INGRESS, v, &reply[FRAG_FIRST]);
	if (!CHECK_EQ(r.retval, tx_verdict(v), "the reply's first fragment reflected"))
		return;
	expect_egress_untouched(v, skel, &reply[FRAG_MIDDLE], "a fragment of it on egress");
}

/*
 * Both entries change together whenever a packet writes one (doc/translation.md), also when
 * it writes the time the entry held already: within one jiffy, with refresh_jiffies 0. The
 * datapath used to write the other entry only when the values moved, so whether it did
 * depended on whether a jiffy passed between two packets; the fuzzer's model, which counts
 * in coarser ticks, could not say. The precondition (the packet in the jiffy the entry was
 * stamped with) is tried a few times; a machine that never meets it skips.
 */
PACKET_TEST(reflect_seen_in_one_jiffy_writes_both, INGRESS)
{
	struct frame in = client_packet(CLIENT_ADDR, CLIENT_UDP_PORT);
	struct hp_flow_key client_key = {
		.client_addr = CLIENT_ADDR, .target_addr = SERVER_ADDR,
		.client_port = htons(CLIENT_UDP_PORT), .target_port = htons(reflected.target_port),
		.protocol = IPPROTO_UDP, .kind = HP_FLOW_KEY_CLIENT,
	};
	struct hp_flow_key server_key = client_key;
	int flows_fd = bpf_map__fd(skel->maps.hp_flows), fd = bpf_map__fd(skel->maps.hp_config);
	struct hp_flow client_side, server_side;
	struct hp_config config;
	struct result r;
	__u32 zero = 0;

	server_key.client_addr = REFLECT_ADDR;
	server_key.kind = HP_FLOW_KEY_TARGET;
	reflect_start(v, skel, &in, &r);
	if (!CHECK(!bpf_map_lookup_elem(fd, &zero, &config), "read config: %s", strerror(errno)))
		return;
	config.refresh_jiffies = 0;
	CHECK(!bpf_map_update_elem(fd, &zero, &config, BPF_ANY), "write config: %s",
	      strerror(errno));
	for (int attempt = 0; attempt < 50; attempt++) {
		__u64 stamp = jiffies_now();

		if (!CHECK(get_entry(skel, CLIENT_ADDR, CLIENT_UDP_PORT, HP_FLOW_KEY_CLIENT,
				     &client_side), "no client's view") ||
		    !CHECK(get_entry(skel, REFLECT_ADDR, CLIENT_UDP_PORT, HP_FLOW_KEY_TARGET,
				     &server_side), "no server's view"))
			return;
		/* The client's view stamped now; the server's a while back. */
		client_side.last_seen = stamp;
		server_side.last_seen = stamp - 100;
		bpf_map_update_elem(flows_fd, &client_key, &client_side, BPF_EXIST);
		bpf_map_update_elem(flows_fd, &server_key, &server_side, BPF_EXIST);
		run_frame(&r, skel, INGRESS, v, &in);
		if (jiffies_now() != stamp)
			continue;
		get_entry(skel, REFLECT_ADDR, CLIENT_UDP_PORT, HP_FLOW_KEY_TARGET, &server_side);
		CHECK_EQ(server_side.last_seen, stamp, "the server's view, written with the client's");
		return;
	}
	test_skip("no packet ran within the jiffy it was stamped in, in 50 attempts");
}

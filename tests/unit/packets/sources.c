// SPDX-License-Identifier: GPL-2.0
/*
 * AllowedSources: ingress translates only clients inside the prefixes of the generation in
 * force (sources_generation in the config; 0: any client), and a switch of generation takes
 * effect on the next packet.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "packets.h"

static void add_source(struct hairpin *skel, __u32 generation, __be32 addr, __u32 prefix_len)
{
	struct hp_source_key key = {
		.prefixlen = 32 + prefix_len,
		.generation = generation,
		.addr = addr,
	};
	__u32 allowed = 1;	/* what the loader stores; the programs only look the key up */

	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_sources), &key, &allowed, BPF_ANY),
	      "add source %s/%u generation %u: %s", addr_str(addr), prefix_len, generation,
	      strerror(errno));
}

/* The loader's switch: one store of the config word. */
static void set_sources_generation(struct hairpin *skel, __u32 generation)
{
	int fd = bpf_map__fd(skel->maps.hp_config);
	struct hp_config config;
	__u32 zero = 0;

	if (!CHECK(!bpf_map_lookup_elem(fd, &zero, &config), "read config: %s", strerror(errno)))
		return;
	config.sources_generation = generation;
	CHECK(!bpf_map_update_elem(fd, &zero, &config, BPF_ANY),
	      "set sources_generation %u: %s", generation, strerror(errno));
}

/* Generation 1: 192.0.2.0/28. Generation 2: 192.0.2.16/28 and 198.51.100.0/24. */
static void add_test_sources(struct hairpin *skel)
{
	add_source(skel, 1, IPV4(192, 0, 2, 0), 28);
	add_source(skel, 2, IPV4(192, 0, 2, 16), 28);
	add_source(skel, 2, IPV4(198, 51, 100, 0), 24);
}

/*
 * @in from @client: translated with its flow recorded if @allowed, else untouched and no flow
 * for it. The caller counts the translated packets in the stats.
 */
static void expect_source_verdict(enum variant v, struct hairpin *skel, const struct frame *in,
				  __be32 client, bool allowed)
{
	const struct forward_rule *rule = forward_of(in);
	struct frame f = from_addr(in, client);
	struct hp_flow_key key = flow_key(rule, client, ntohs(FRAME_UDPH(in).source));
	struct hp_flow before, after;
	bool had_flow = get_flow(skel, &key, &before);
	char what[96];
	struct result r;
	__u64 t0, t1;

	snprintf(what, sizeof(what), "%s from %s, %s", proto_name(FRAME_IPH(in).protocol),
		 addr_str(client), allowed ? "allowed" : "not allowed");
	t0 = jiffies_now();
	run_frame(&r, skel, INGRESS, v, &f);
	t1 = jiffies_now();
	if (allowed) {
		expect_rewritten(v, &r, &f, NAT_DESTINATION, rule->target_addr, rule->target_port,
				 what);
		expect_flow(skel, &f, rule, PUBLIC_ADDR, had_flow ? before.last_seen : t0, t1,
			    &after);
		return;
	}
	expect_untouched(v, &r, &f, what);
	if (had_flow)
		CHECK(get_flow(skel, &key, &after) && !memcmp(&before, &after, sizeof(before)),
		      "%s: the flow changed", what);
	else
		CHECK(!get_flow(skel, &key, &after), "%s: a flow was recorded", what);
}

/* Generation 1 in force: a client inside 192.0.2.0/28 is translated, one outside is not. */
PACKET_TEST(ingress_allowed_sources_prefix, INGRESS)
{
	static const struct {
		__be32 client;
		bool allowed;
	} clients[] = {
		{ IPV4(192, 0, 2, 0), true },
		{ CLIENT_ADDR, true },
		{ IPV4(192, 0, 2, 15), true },
		{ IPV4(192, 0, 2, 16), false },
		{ OUTSIDE_CLIENT_ADDR, false },
		{ IPV4(198, 51, 100, 20), false },	/* in generation 2 only */
		{ IPV4(192, 0, 3, 10), false },
	};
	struct frame udp = udp_to_public(), tcp = tcp_to_public();
	__u64 allowed = 0;

	add_test_sources(skel);
	set_sources_generation(skel, 1);
	for (size_t c = 0; c < sizeof(clients) / sizeof(clients[0]); c++) {
		expect_source_verdict(v, skel, &udp, clients[c].client, clients[c].allowed);
		expect_source_verdict(v, skel, &tcp, clients[c].client, clients[c].allowed);
		allowed += clients[c].allowed;
	}
	/* A datagram in fragments from outside: its first is not translated nor remembered. */
	{
		struct frame whole = from_addr(&udp, OUTSIDE_CLIENT_ADDR);

		whole = with_payload(&whole, FRAG_PAYLOAD_LEN);
		expect_fragments_untouched(v, skel, INGRESS, &whole, "udp from outside the prefix");
		CHECK_EQ(count_keys(skel->maps.hp_frags), 0, "frags in the map");
	}
	CHECK_EQ(count_flows(skel), 2 * allowed, "flows in the map");
	expect_stats(skel, udp_forward.stats_index, allowed, allowed * frame_ip_len(&udp), 0, 0);
	expect_stats(skel, tcp_forward.stats_index, allowed, allowed * frame_ip_len(&tcp), 0, 0);
}

/*
 * The loader fills the other generation, then switches sources_generation: the next packet
 * is judged by the new set alone, and a flow made under the old set does not let its client
 * through any more.
 */
PACKET_TEST(ingress_allowed_sources_generation_switch, INGRESS)
{
	struct frame udp = udp_to_public();
	__u32 ip_len = frame_ip_len(&udp);

	add_test_sources(skel);
	set_sources_generation(skel, 1);
	expect_source_verdict(v, skel, &udp, CLIENT_ADDR, true);
	expect_source_verdict(v, skel, &udp, OUTSIDE_CLIENT_ADDR, false);

	set_sources_generation(skel, 2);
	expect_source_verdict(v, skel, &udp, CLIENT_ADDR, false);
	expect_source_verdict(v, skel, &udp, OUTSIDE_CLIENT_ADDR, true);
	expect_source_verdict(v, skel, &udp, IPV4(198, 51, 100, 20), true);

	set_sources_generation(skel, 1);
	expect_source_verdict(v, skel, &udp, CLIENT_ADDR, true);
	expect_source_verdict(v, skel, &udp, OUTSIDE_CLIENT_ADDR, false);

	CHECK_EQ(count_flows(skel), 3, "flows in the map");
	expect_stats(skel, udp_forward.stats_index, 4, 4 * ip_len, 0, 0);
}

/* Generation 0: any source, whatever prefixes the map holds. */
PACKET_TEST(ingress_allowed_sources_generation_0_any, INGRESS)
{
	static const __be32 clients[] = {
		CLIENT_ADDR, OUTSIDE_CLIENT_ADDR, IPV4(198, 51, 100, 20), IPV4(10, 1, 2, 3),
	};
	struct frame udp = udp_to_public(), tcp = tcp_to_public();
	__u64 n = sizeof(clients) / sizeof(clients[0]);

	add_test_sources(skel);
	set_sources_generation(skel, 0);
	for (size_t c = 0; c < n; c++) {
		expect_source_verdict(v, skel, &udp, clients[c], true);
		expect_source_verdict(v, skel, &tcp, clients[c], true);
	}
	CHECK_EQ(count_flows(skel), 2 * n, "flows in the map");
	expect_stats(skel, udp_forward.stats_index, n, n * frame_ip_len(&udp), 0, 0);
	expect_stats(skel, tcp_forward.stats_index, n, n * frame_ip_len(&tcp), 0, 0);
}

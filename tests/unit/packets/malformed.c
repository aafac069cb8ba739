// SPDX-License-Identifier: GPL-2.0
/*
 * Frames a parser must not trust: a broken IPv4 header (IHL below 5, a version other than
 * 4), headers cut short by the frame or by tot_len, frames shorter than an Ethernet header.
 */
#include <string.h>

#include "packets.h"

/* The ports a parser that trusted an IHL below 5 would read: bytes of the IPv4 header. */
static void ports_at_bad_ihl(const struct frame *f, __u16 *sport, __u16 *dport)
{
	__u32 l4_off = frame_l4_off(f);

	*sport = get_be16(f->data + l4_off);
	*dport = get_be16(f->data + l4_off + 2);
}

/*
 * A matching packet whose IPv4 header is broken: IHL below 5, or version other than 4. For
 * each bad IHL a forward exists for the port a parser that trusted it would read, so that only
 * the IHL check stands between the frame and a rewrite at the wrong offset.
 */
PACKET_TEST(ingress_bad_ip_header_untouched, INGRESS)
{
	char what[64];

	for (__u8 ihl = 0; ihl < 5; ihl++) {
		struct frame f = udp_to_public();
		struct forward_rule decoy = udp_forward;
		__u16 sport;

		FRAME_IPH(&f).ihl = ihl;
		FRAME_IPH(&f).check = 0;
		ports_at_bad_ihl(&f, &sport, &decoy.port);
		set_forward(skel, &decoy);
		snprintf(what, sizeof(what), "ihl %u", ihl);
		expect_ingress_untouched(v, skel, &f, what);
	}
	for (__u8 version = 0; version < 16; version++) {
		struct frame f = tcp_to_public();

		if (version == 4)
			continue;
		FRAME_IPH(&f).version = version;
		frame_finish(&f);
		snprintf(what, sizeof(what), "version %u", version);
		expect_ingress_untouched(v, skel, &f, what);
	}
	expect_maps_untouched(skel, 0);
}

/* As for ingress: each bad IHL comes with a flow for the ports it would make of the header. */
PACKET_TEST(egress_bad_ip_header_untouched, EGRESS)
{
	int decoys = 0;
	char what[64];

	put_tracked_flows(skel);
	for (__u8 ihl = 0; ihl < 5; ihl++) {
		struct frame f = udp_reply();
		struct forward_rule decoy = udp_forward;
		__u16 sport, dport;

		FRAME_IPH(&f).ihl = ihl;
		FRAME_IPH(&f).check = 0;
		ports_at_bad_ihl(&f, &sport, &dport);
		decoy.target_port = sport;
		put_flow(skel, &decoy, CLIENT_ADDR, dport, PUBLIC_ADDR);
		decoys++;
		snprintf(what, sizeof(what), "ihl %u", ihl);
		expect_egress_untouched(v, skel, &f, what);
	}
	for (__u8 version = 0; version < 16; version++) {
		struct frame f = tcp_reply();

		if (version == 4)
			continue;
		FRAME_IPH(&f).version = version;
		frame_finish(&f);
		snprintf(what, sizeof(what), "version %u", version);
		expect_egress_untouched(v, skel, &f, what);
	}
	expect_maps_untouched(skel, 2 + decoys);
}

/* The shapes whose headers the truncation tests cut short. */
static int header_shapes(struct frame *shapes, bool egress)
{
	shapes[0] = egress ? udp_reply() : udp_to_public();
	shapes[1] = egress ? tcp_reply() : tcp_to_public();
	shapes[2] = shapes[0];
	frame_add_ip_options(&shapes[2], 4);
	shapes[3] = shapes[1];
	frame_add_ip_options(&shapes[3], 40);
	return 4;
}

/*
 * Every length from the bare Ethernet header to one byte short of the transport header, with
 * tot_len still claiming the whole packet; then the whole frame with a tot_len that claims
 * less than its headers.
 *
 * For tc, BPF_PROG_TEST_RUN (6.18) itself refuses an IPv4 frame with less than a whole fixed
 * IPv4 header with EINVAL, before the program runs; older kernels run it. Either is fine here:
 * what must not happen is a run that changes the frame.
 */
static void expect_short_headers_untouched(enum variant v, struct hairpin *skel, enum hook hook,
					   int flows_before)
{
	struct frame shapes[4];
	int n = header_shapes(shapes, hook == EGRESS);
	char what[96];

	for (int s = 0; s < n; s++) {
		const struct frame *full = &shapes[s];
		__u32 headers = frame_headers_len(full);
		const char *proto = FRAME_IPH(full).protocol == IPPROTO_UDP ? "udp" : "tcp";

		for (__u32 len = ETH_HLEN; len < headers; len++) {
			struct frame cut = *full;
			struct result r;

			cut.len = len;
			snprintf(what, sizeof(what), "%s ihl %u cut to %u of %u bytes", proto,
				 FRAME_IPH(full).ihl, len, headers);
			run_frame(&r, skel, hook, v, &cut);
			if (v != XDP && len < ETH_HLEN + sizeof(struct iphdr) && r.err == -EINVAL)
				continue;
			expect_untouched(v, &r, &cut, what);
		}
		for (__u32 tot_len = 0; tot_len < headers - ETH_HLEN; tot_len++) {
			struct frame lying = *full;
			struct result r;

			FRAME_IPH(&lying).tot_len = htons(tot_len);
			FRAME_IPH(&lying).check = htons(ipv4_header_checksum(&lying));
			snprintf(what, sizeof(what), "%s ihl %u tot_len %u, headers %u", proto,
				 FRAME_IPH(full).ihl, tot_len, headers - ETH_HLEN);
			run_frame(&r, skel, hook, v, &lying);
			expect_untouched(v, &r, &lying, what);
		}
	}
	expect_maps_untouched(skel, flows_before);
}

PACKET_TEST(ingress_truncated_untouched, INGRESS)
{
	expect_short_headers_untouched(v, skel, INGRESS, 0);
}

PACKET_TEST(egress_truncated_untouched, EGRESS)
{
	put_tracked_flows(skel);
	expect_short_headers_untouched(v, skel, EGRESS, 2);
}

/* Below the Ethernet header BPF_PROG_TEST_RUN refuses the frame: the program never runs. */
static void expect_runt_frames_refused(enum variant v, struct hairpin *skel, enum hook hook,
				       int flows_before)
{
	struct frame full = hook == EGRESS ? udp_reply() : udp_to_public();

	for (__u32 len = 0; len < ETH_HLEN; len++) {
		struct result r;

		run(&r, skel, hook, v, full.data, len);
		CHECK(r.err == -EINVAL, "%u-byte frame: test_run: got %d (%s), want -EINVAL", len,
		      r.err, strerror(-r.err));
	}
	expect_maps_untouched(skel, flows_before);
}

PACKET_TEST(ingress_below_ethernet_header_refused, INGRESS)
{
	expect_runt_frames_refused(v, skel, INGRESS, 0);
}

PACKET_TEST(egress_below_ethernet_header_refused, EGRESS)
{
	put_tracked_flows(skel);
	expect_runt_frames_refused(v, skel, EGRESS, 2);
}

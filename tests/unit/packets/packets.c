// SPDX-License-Identifier: GPL-2.0
/* What every packet test shares; see packets.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "packets.h"

/* Newer than some uapi headers; the value is ABI. */
#ifndef BPF_F_TEST_SKB_CHECKSUM_COMPLETE
#define BPF_F_TEST_SKB_CHECKSUM_COMPLETE (1U << 2)
#endif

const struct forward_rule udp_forward = {
	.protocol = IPPROTO_UDP, .port = 51820,
	.target_addr = TARGET_ADDR, .target_port = 51821, .stats_index = 3,
};
const struct forward_rule tcp_forward = {
	.protocol = IPPROTO_TCP, .port = 443,
	.target_addr = TARGET_ADDR, .target_port = 8443, .stats_index = 7,
};
const __be32 only_target[TEST_MAX_TARGETS] = { TARGET_ADDR };
const __u8 both_protocols[2] = { IPPROTO_UDP, IPPROTO_TCP };
const char *const frag_names[N_FRAGS] = { "first", "middle", "last" };

const struct icmp_error_kind port_unreachable = {
	"port unreachable", ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0,
};
/* RFC 1191: the next-hop MTU in the low 16 bits. */
const struct icmp_error_kind frag_needed = {
	"fragmentation needed", ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, IPV4(0, 0, 0x05, 0x78),
};

/* ---- The frames of the scenario ------------------------------------------------------ */

struct frame udp_to_public(void)
{
	struct udp4_packet pkt = {
		.eth = { .h_dest = HOST_MAC, .h_source = CLIENT_MAC,
			 .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .tos = 0x10, .id = htons(0x4850), .ttl = 64,
			 .protocol = IPPROTO_UDP, .saddr = CLIENT_ADDR, .daddr = PUBLIC_ADDR },
		.udp = { .source = htons(CLIENT_UDP_PORT), .dest = htons(udp_forward.port) },
	};
	struct frame f;

	fill_payload(pkt.payload, sizeof(pkt.payload));
	f = frame_of(&pkt, sizeof(pkt));
	frame_finish(&f);
	return f;
}

struct frame tcp_to_public(void)
{
	struct tcp4_packet pkt = {
		.eth = { .h_dest = HOST_MAC, .h_source = CLIENT_MAC,
			 .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .id = htons(0x1234), .frag_off = htons(IP_DF),
			 .ttl = 63, .protocol = IPPROTO_TCP, .saddr = CLIENT_ADDR,
			 .daddr = PUBLIC_ADDR },
		.tcp = { .source = htons(CLIENT_TCP_PORT), .dest = htons(tcp_forward.port),
			 .seq = htonl(0x01020304), .ack_seq = htonl(0xa0b0c0d0), .doff = 5,
			 .psh = 1, .ack = 1, .window = htons(502), .urg_ptr = htons(0) },
	};
	struct frame f;

	fill_payload(pkt.payload, sizeof(pkt.payload));
	f = frame_of(&pkt, sizeof(pkt));
	frame_finish(&f);
	return f;
}

struct frame udp_reply(void)
{
	struct udp4_packet pkt = {
		.eth = { .h_dest = CLIENT_MAC, .h_source = HOST_MAC,
			 .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .id = htons(0x9abc), .ttl = 64,
			 .protocol = IPPROTO_UDP, .saddr = TARGET_ADDR, .daddr = CLIENT_ADDR },
		.udp = { .source = htons(udp_forward.target_port),
			 .dest = htons(CLIENT_UDP_PORT) },
	};
	struct frame f;

	fill_payload(pkt.payload, sizeof(pkt.payload));
	f = frame_of(&pkt, sizeof(pkt));
	frame_finish(&f);
	return f;
}

struct frame tcp_reply(void)
{
	struct tcp4_packet pkt = {
		.eth = { .h_dest = CLIENT_MAC, .h_source = HOST_MAC,
			 .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .id = htons(0), .frag_off = htons(IP_DF),
			 .ttl = 64, .protocol = IPPROTO_TCP, .saddr = TARGET_ADDR,
			 .daddr = CLIENT_ADDR },
		.tcp = { .source = htons(tcp_forward.target_port), .dest = htons(CLIENT_TCP_PORT),
			 .seq = htonl(0xa0b0c0d0), .ack_seq = htonl(0x01020329), .doff = 5,
			 .psh = 1, .ack = 1, .window = htons(509) },
	};
	struct frame f;

	fill_payload(pkt.payload, sizeof(pkt.payload));
	f = frame_of(&pkt, sizeof(pkt));
	frame_finish(&f);
	return f;
}

struct frame icmp_echo(__be32 saddr, __be32 daddr)
{
	struct icmp4_packet pkt = {
		.eth = { .h_dest = HOST_MAC, .h_source = CLIENT_MAC,
			 .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_ICMP,
			 .tot_len = htons(sizeof(pkt) - ETH_HLEN), .saddr = saddr, .daddr = daddr },
		.icmp = { .type = ICMP_ECHO, .un.echo = { .id = htons(1), .sequence = htons(1) } },
	};
	struct frame f;

	fill_payload(pkt.payload, sizeof(pkt.payload));
	f = frame_of(&pkt, sizeof(pkt));
	FRAME_IPH(&f).check = htons(ipv4_header_checksum(&f));
	return f;
}

struct frame udp6_to_forwarded_port(bool from_host)
{
	struct udp6_packet pkt = {
		.eth = { .h_dest = HOST_MAC, .h_source = CLIENT_MAC,
			 .h_proto = htons(ETH_P_IPV6) },
		.ip6h = { .version = 6, .payload_len = htons(sizeof(struct udphdr) + PAYLOAD_LEN),
			  .nexthdr = IPPROTO_UDP, .hop_limit = 64 },
		.udp = { .source = htons(CLIENT_UDP_PORT), .dest = htons(udp_forward.port),
			 .len = htons(sizeof(struct udphdr) + PAYLOAD_LEN), .check = htons(0x1234) },
	};

	fill_payload(pkt.payload, sizeof(pkt.payload));
	inet_pton(AF_INET6, "2001:db8::a", &pkt.ip6h.saddr);
	inet_pton(AF_INET6, "2001:db8::7", &pkt.ip6h.daddr);
	if (from_host) {
		/* The reply of a tracked flow's ports, from the host. */
		struct in6_addr tmp = pkt.ip6h.saddr;

		pkt.ip6h.saddr = pkt.ip6h.daddr;
		pkt.ip6h.daddr = tmp;
		pkt.udp.source = htons(udp_forward.target_port);
		pkt.udp.dest = htons(CLIENT_UDP_PORT);
	}
	return frame_of(&pkt, sizeof(pkt));
}

struct frame arp_request(__be32 sender, __be32 target)
{
	struct arp_packet pkt = {
		.eth = { .h_dest = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, .h_source = CLIENT_MAC,
			 .h_proto = htons(ETH_P_ARP) },
		.hrd = htons(1), .pro = htons(ETH_P_IP), .hln = ETH_ALEN, .pln = 4,
		.op = htons(1), .sha = CLIENT_MAC, .spa = sender, .tpa = target,
	};

	return frame_of(&pkt, sizeof(pkt));
}

struct frame icmp_message(__be32 saddr, __be32 daddr, __u8 type, __u8 code, __be32 rest,
			  const __u8 *body, __u32 body_len, bool from_host)
{
	static const __u8 host_mac[ETH_ALEN] = HOST_MAC, client_mac[ETH_ALEN] = CLIENT_MAC;
	struct icmp4_packet pkt = {
		.eth = { .h_proto = htons(ETH_P_IP) },
		/* As Linux sends its errors: TOS 0xc0 (internetwork control), DF. */
		.iph = { .version = 4, .ihl = 5, .tos = 0xc0, .id = htons(0x7a7a),
			 .frag_off = htons(IP_DF), .ttl = 64, .protocol = IPPROTO_ICMP,
			 .saddr = saddr, .daddr = daddr },
		.icmp = { .type = type, .code = code, .un.gateway = rest },
	};
	struct frame f;

	memcpy(pkt.eth.h_dest, from_host ? client_mac : host_mac, ETH_ALEN);
	memcpy(pkt.eth.h_source, from_host ? host_mac : client_mac, ETH_ALEN);
	f = frame_of(&pkt, offsetof(struct icmp4_packet, payload));
	memcpy(f.data + f.len, body, body_len);
	f.len += body_len;
	FRAME_IPH(&f).tot_len = htons(f.len - ETH_HLEN);
	frame_set_icmp_checksums(&f);
	return f;
}

struct frame icmp_error(__be32 saddr, __be32 daddr, __u8 type, __u8 code, __be32 rest,
			const struct frame *about, __u32 quoted, bool from_host)
{
	if (quoted == QUOTE_ALL)
		quoted = frame_ip_len(about);
	return icmp_message(saddr, daddr, type, code, rest, about->data + ETH_HLEN, quoted,
			    from_host);
}

struct frame icmp_echo_long(__be32 saddr, __be32 daddr, __u32 payload_len,
			    bool from_host)
{
	__u8 payload[FRAME_MAX];

	fill_payload(payload, payload_len);
	return icmp_message(saddr, daddr, ICMP_ECHO, 0, htonl(0x00010001), payload, payload_len,
			    from_host);
}

__u32 quote_of(const struct frame *f, __u32 l4_bytes)
{
	return frame_l4_off(f) - ETH_HLEN + l4_bytes;
}

struct frame without_payload(struct frame f)
{
	f.len = frame_headers_len(&f);
	frame_finish(&f);
	/* Padded to the Ethernet minimum, as it goes on the wire. */
	memset(f.data + f.len, 0, ETH_ZLEN - f.len);
	f.len = ETH_ZLEN;
	return f;
}

const struct forward_rule *forward_of(const struct frame *f)
{
	return FRAME_IPH(f).protocol == IPPROTO_UDP ? &udp_forward : &tcp_forward;
}

struct frame reply_as_received(const struct frame *reply)
{
	return rewritten(reply, NAT_SOURCE, PUBLIC_ADDR, forward_of(reply)->port);
}

struct frame packet_as_received(const struct frame *sent)
{
	const struct forward_rule *rule = forward_of(sent);

	return rewritten(sent, NAT_DESTINATION, rule->target_addr, rule->target_port);
}

struct frame egress_error_about(const struct frame *about, __u32 quoted)
{
	return icmp_error(TARGET_ADDR, CLIENT_ADDR, port_unreachable.type, port_unreachable.code,
			  0, about, quoted, true);
}

/* ---- Running the programs ------------------------------------------------------------------ */

__u32 pass_verdict(enum variant v)
{
	return v == XDP ? XDP_PASS : (__u32)TC_ACT_UNSPEC;
}

enum variant egress_variant(enum variant v)
{
	return v == XDP ? TC : v;
}

int packets_lan_ifindex;

void run(struct result *r, struct hairpin *skel, enum hook hook, enum variant v,
	 const void *data, __u32 len)
{
	/* Every frame arrives on (or leaves by) lan0 of the test's own network namespace. */
	struct xdp_md xdp_ctx = { .data_end = len, .ingress_ifindex = packets_lan_ifindex };
	struct __sk_buff skb_ctx = { .ifindex = packets_lan_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = data,
		.data_size_in = len,
		.data_out = r->out,
		.data_size_out = sizeof(r->out),
		.repeat = 1,
	);
	struct bpf_program *prog;

	if (hook == INGRESS)
		prog = v == XDP ? skel->progs.hp_ingress_xdp : skel->progs.hp_ingress_tc;
	else
		prog = skel->progs.hp_egress_tc;
	if (v == XDP) {
		opts.ctx_in = &xdp_ctx;
		opts.ctx_size_in = sizeof(xdp_ctx);
	} else {
		opts.ctx_in = &skb_ctx;
		opts.ctx_size_in = sizeof(skb_ctx);
	}
	if (v == TC_CSUM_COMPLETE)
		opts.flags = BPF_F_TEST_SKB_CHECKSUM_COMPLETE;
	memset(r->out, 0xa5, sizeof(r->out));
	/* libbpf 1.x returns -errno. */
	r->err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	r->retval = opts.retval;
	r->size_out = opts.data_size_out;
}

void run_frame(struct result *r, struct hairpin *skel, enum hook hook, enum variant v,
	       const struct frame *f)
{
	run(r, skel, hook, v, f->data, f->len);
}

/* ---- Maps ---------------------------------------------------------------------------------- */

/*
 * The config `up` would write for this scenario: the prefilters' bits of @targets and
 * @public_addr, and timeouts no test outlives; HZ 1000 as the refresh interval, and no limit
 * of new flows (the tests of timeouts and admission set their own).
 */
bool set_config(struct hairpin *skel, __be32 public_addr, const __be32 *targets)
{
	struct hp_config config = {
		.public_addr = public_addr,
		.hz = 1000,
		.refresh_jiffies = 1000,
	};
	__u32 zero = 0;

	for (int i = 0; i < TEST_MAX_TARGETS; i++)
		if (targets[i])
			config.target_bits |= hp_target_bit(targets[i]);
	config.ingress_bits = config.target_bits | (public_addr ? hp_target_bit(public_addr) : 0);
	for (int i = 0; i < HP_FLOW_TIMEOUTS; i++)
		config.timeouts[i] = 3600 * 1000;
	return CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_config), &zero, &config,
					  BPF_ANY),
		     "set config: %s", strerror(errno));
}

/* The forward in its slot of the forwards array, and its target port in target_ports. */
bool set_forward(struct hairpin *skel, const struct forward_rule *rule)
{
	__u32 index = hp_forward_index(rule->protocol, rule->port);
	__u32 word_index = hp_target_port_word(rule->protocol, rule->target_port);
	int ports_fd = bpf_map__fd(skel->maps.hp_target_ports);
	struct hp_forward value = {
		.target_addr = rule->target_addr,
		.target_port = htons(rule->target_port),
		.stats_index = rule->stats_index,
		.flags = rule->flags,
	};
	__u64 word = 0;

	if (!CHECK(!bpf_map_lookup_elem(ports_fd, &word_index, &word), "read target_ports: %s",
		   strerror(errno)))
		return false;
	word |= hp_target_port_bit(rule->target_port);
	return CHECK(!bpf_map_update_elem(ports_fd, &word_index, &word, BPF_ANY),
		     "add target port %u/%u: %s", rule->protocol, rule->target_port,
		     strerror(errno)) &&
	       CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_forwards), &index, &value,
					  BPF_ANY),
		     "add forward %u/%u: %s", rule->protocol, rule->port, strerror(errno));
}

struct hp_flow_key flow_key(const struct forward_rule *rule, __be32 client_addr,
			    __u16 client_port)
{
	return (struct hp_flow_key){
		.client_addr = client_addr,
		.target_addr = rule->target_addr,
		.client_port = htons(client_port),
		.target_port = htons(rule->target_port),
		.protocol = rule->protocol,
	};
}

void put_flow_aged(struct hairpin *skel, const struct forward_rule *rule, __be32 client_addr,
		   __u16 client_port, __be32 public_addr, __u8 state, __u64 age)
{
	struct hp_flow_key key = flow_key(rule, client_addr, client_port);
	struct hp_flow flow = {
		.public_addr = public_addr,
		.public_port = htons(rule->port),
		.state = state,
		.flags = rule->flags,
		.stats_index = rule->stats_index,
		.last_seen = jiffies_now() - age,
	};

	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_flows), &key, &flow, BPF_ANY),
	      "add flow: %s", strerror(errno));
}

void put_flow(struct hairpin *skel, const struct forward_rule *rule, __be32 client_addr,
	      __u16 client_port, __be32 public_addr)
{
	put_flow_aged(skel, rule, client_addr, client_port, public_addr, HP_FLOW_REPLIED, 0);
}

bool get_flow(struct hairpin *skel, const struct hp_flow_key *key, struct hp_flow *flow)
{
	return !bpf_map_lookup_elem(bpf_map__fd(skel->maps.hp_flows), key, flow);
}

int count_keys(const struct bpf_map *map)
{
	int fd = bpf_map__fd(map), n = 0;
	__u8 key[64], next[64];
	void *prev = NULL;

	if (!CHECK(bpf_map__key_size(map) <= sizeof(key), "%s: key of %u bytes",
		   bpf_map__name(map), bpf_map__key_size(map)))
		return -1;
	while (!bpf_map_get_next_key(fd, prev, next) && n < (int)bpf_map__max_entries(map)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

__u64 reasons_sum(struct hairpin *skel, enum hp_reason reason)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 per_cpu[256] = { 0 }, sum = 0;
	__u32 key = reason;

	if (!CHECK(ncpus > 0 && ncpus <= 256, "%d CPUs", ncpus))
		return 0;
	CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.hp_reasons), &key, per_cpu),
	      "read reasons[%u]: %s", reason, strerror(errno));
	for (int cpu = 0; cpu < ncpus; cpu++)
		sum += per_cpu[cpu];
	return sum;
}

int count_flows(struct hairpin *skel)
{
	return count_keys(skel->maps.hp_flows);
}

struct hp_stats get_stats(struct hairpin *skel, __u32 index)
{
	int ncpus = libbpf_num_possible_cpus();
	struct hp_stats sum = { 0 }, *per_cpu;

	per_cpu = calloc(ncpus > 0 ? ncpus : 1, sizeof(*per_cpu));
	if (!CHECK(ncpus > 0 && per_cpu, "per-CPU buffer for %d CPUs", ncpus)) {
		free(per_cpu);
		return sum;
	}
	if (CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.hp_stats), &index, per_cpu),
		  "read stats[%u]: %s", index, strerror(errno))) {
		for (int cpu = 0; cpu < ncpus; cpu++) {
			sum.to_target_packets += per_cpu[cpu].to_target_packets;
			sum.to_target_bytes += per_cpu[cpu].to_target_bytes;
			sum.to_client_packets += per_cpu[cpu].to_client_packets;
			sum.to_client_bytes += per_cpu[cpu].to_client_bytes;
		}
	}
	free(per_cpu);
	return sum;
}

void expect_stats(struct hairpin *skel, __u32 index, __u64 to_target_packets,
		  __u64 to_target_bytes, __u64 to_client_packets, __u64 to_client_bytes)
{
	struct hp_stats s = get_stats(skel, index);

	CHECK(s.to_target_packets == to_target_packets && s.to_target_bytes == to_target_bytes &&
		      s.to_client_packets == to_client_packets &&
		      s.to_client_bytes == to_client_bytes,
	      "stats[%u]: got to_target %llu packets %llu bytes, to_client %llu packets %llu "
	      "bytes; want %llu/%llu, %llu/%llu",
	      index, (unsigned long long)s.to_target_packets,
	      (unsigned long long)s.to_target_bytes, (unsigned long long)s.to_client_packets,
	      (unsigned long long)s.to_client_bytes, (unsigned long long)to_target_packets,
	      (unsigned long long)to_target_bytes, (unsigned long long)to_client_packets,
	      (unsigned long long)to_client_bytes);
}

void expect_maps_untouched(struct hairpin *skel, int flows_before)
{
	CHECK_EQ(count_flows(skel), flows_before, "flows in the map");
	expect_stats(skel, udp_forward.stats_index, 0, 0, 0, 0);
	expect_stats(skel, tcp_forward.stats_index, 0, 0, 0, 0);
}

__u64 jiffies_now(void)
{
	__u64 jiffies = 0;

	CHECK(!clock_jiffies(&jiffies), "read the kernel's jiffies");
	return jiffies;
}

const char *addr_str(__be32 addr)
{
	static char bufs[4][INET_ADDRSTRLEN];
	static int next;
	char *buf = bufs[next++ % 4];

	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

bool expect_flow(struct hairpin *skel, const struct frame *in,
		 const struct forward_rule *rule, __be32 public_addr, __u64 t0, __u64 t1,
		 struct hp_flow *flow)
{
	struct hp_flow_key key = flow_key(rule, FRAME_IPH(in).saddr,
					  ntohs(FRAME_UDPH(in).source));

	if (!CHECK(get_flow(skel, &key, flow), "no flow %s:%u -> %s:%u proto %u in the map",
		   addr_str(key.client_addr), ntohs(key.client_port), addr_str(key.target_addr),
		   ntohs(key.target_port), key.protocol))
		return false;
	CHECK(flow->public_addr == public_addr, "flow public_addr: got %s, want %s",
	      addr_str(flow->public_addr), addr_str(public_addr));
	CHECK_EQ(ntohs(flow->public_port), ntohs(FRAME_UDPH(in).dest), "flow public_port");
	CHECK_EQ(flow->stats_index, rule->stats_index, "flow stats_index");
	CHECK(!flow->nat_addr && !flow->nat_port, "a flow that is not reflected has nat %s:%u",
	      addr_str(flow->nat_addr), ntohs(flow->nat_port));
	CHECK(flow->last_seen >= t0 && flow->last_seen <= t1,
	      "flow last_seen %llu not within the run [%llu, %llu]",
	      (unsigned long long)flow->last_seen, (unsigned long long)t0,
	      (unsigned long long)t1);
	CHECK_EQ(flow->flags, rule->flags, "flow flags");
	return true;
}

/* ---- Checking output frames ---------------------------------------------------------------- */

bool expect_output(enum variant v, const struct result *r, const struct frame *want,
		   struct frame *got, const char *what)
{
	if (!CHECK(r->err == 0, "%s: test_run: %s", what, strerror(-r->err)))
		return false;
	CHECK(r->retval == pass_verdict(v), "%s: verdict: got %u, want %u", what, r->retval,
	      pass_verdict(v));
	if (!CHECK(r->size_out == want->len, "%s: data_size_out: got %u, want %u", what,
		   r->size_out, want->len))
		return false;
	got->len = r->size_out;
	memcpy(got->data, r->out, r->size_out);
	expect_same_bytes(got->data, want, got->len, what);
	return true;
}

void expect_untouched(enum variant v, const struct result *r, const struct frame *in,
		      const char *what)
{
	struct frame got;

	expect_output(v, r, in, &got, what);
}

struct frame rewritten(const struct frame *in, enum nat_side side, __be32 addr,
		       __u16 port)
{
	struct frame f = *in;

	if (side == NAT_SOURCE) {
		FRAME_IPH(&f).saddr = addr;
		FRAME_UDPH(&f).source = htons(port);
	} else {
		FRAME_IPH(&f).daddr = addr;
		FRAME_UDPH(&f).dest = htons(port);
	}
	frame_set_checksums(&f, true);
	return f;
}

void expect_rewritten(enum variant v, const struct result *r, const struct frame *in,
		      enum nat_side side, __be32 addr, __u16 port, const char *what)
{
	struct frame want = rewritten(in, side, addr, port), got;
	bool udp_zero = FRAME_IPH(in).protocol == IPPROTO_UDP && !frame_l4_check(in);

	if (!expect_output(v, r, &want, &got, what))
		return;
	expect_valid_checksums(&got, udp_zero, what);
}

void expect_ingress_untouched(enum variant v, struct hairpin *skel,
			      const struct frame *in, const char *what)
{
	struct result r;

	run_frame(&r, skel, INGRESS, v, in);
	expect_untouched(v, &r, in, what);
}

void expect_egress_untouched(enum variant v, struct hairpin *skel,
			     const struct frame *in, const char *what)
{
	struct result r;

	run_frame(&r, skel, EGRESS, v, in);
	expect_untouched(v, &r, in, what);
}

bool make_checksum_zero_after_rewrite(struct frame *f, enum nat_side side, __be32 addr,
				      __u16 port)
{
	__u8 *word = f->data + frame_l4_off(f) + sizeof(struct udphdr);

	for (__u32 value = 0; value <= 0xffff; value++) {
		struct frame after;

		word[0] = value >> 8;
		word[1] = value & 0xff;
		after = rewritten(f, side, addr, port);
		if (l4_checksum(&after) == 0) {
			frame_finish(f);
			return true;
		}
	}
	return false;
}

/* ---- Fragments ----------------------------------------------------------------------------- */

void fragments_of(const struct frame *whole, struct frame frags[N_FRAGS])
{
	__u32 ip_payload = frame_ip_len(whole) - (frame_l4_off(whole) - ETH_HLEN);

	frags[FRAG_FIRST] = fragment_of(whole, 0, FRAG_LEN, true);
	frags[FRAG_MIDDLE] = fragment_of(whole, FRAG_LEN, FRAG_LEN, true);
	frags[FRAG_LAST] = fragment_of(whole, 2 * FRAG_LEN, ip_payload - 2 * FRAG_LEN, false);
}

static void fragment_datagram(struct fragmented *d, const struct frame *whole,
			      enum nat_side side, __be32 addr, __u16 port)
{
	d->want_whole = rewritten(whole, side, addr, port);
	fragments_of(whole, d->in);
	fragments_of(&d->want_whole, d->want);
}

void ingress_fragmented(struct fragmented *d, __u8 protocol)
{
	struct frame base = protocol == IPPROTO_UDP ? udp_to_public() : tcp_to_public();
	struct frame whole = with_payload(&base, FRAG_PAYLOAD_LEN);
	const struct forward_rule *rule = forward_of(&whole);

	fragment_datagram(d, &whole, NAT_DESTINATION, rule->target_addr, rule->target_port);
}

void egress_fragmented(struct fragmented *d, __u8 protocol)
{
	struct frame base = protocol == IPPROTO_UDP ? udp_reply() : tcp_reply();
	struct frame whole = with_payload(&base, FRAG_PAYLOAD_LEN);

	fragment_datagram(d, &whole, NAT_SOURCE, PUBLIC_ADDR, forward_of(&whole)->port);
}

struct hp_frag_key frag_key_of(const struct frame *f, enum hp_direction direction)
{
	return (struct hp_frag_key){
		.saddr = FRAME_IPH(f).saddr,
		.daddr = FRAME_IPH(f).daddr,
		.id = FRAME_IPH(f).id,
		.protocol = FRAME_IPH(f).protocol,
		.direction = direction,
	};
}

void expect_frag(struct hairpin *skel, const struct frame *f, enum hp_direction direction,
		 __be32 addr)
{
	struct hp_frag_key key = frag_key_of(f, direction);
	struct hp_frag frag;

	if (!CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.hp_frags), &key, &frag),
		   "no frags entry %s -> %s id 0x%04x proto %u direction %u", addr_str(key.saddr),
		   addr_str(key.daddr), ntohs(key.id), key.protocol, key.direction))
		return;
	/* Ingress rewrites the destination, egress the source; the other stays 0. */
	if (direction == HP_DIR_INGRESS)
		CHECK(!frag.saddr && frag.daddr == addr, "frags entry: got %s -> %s, want 0 -> %s",
		      addr_str(frag.saddr), addr_str(frag.daddr), addr_str(addr));
	else
		CHECK(frag.saddr == addr && !frag.daddr, "frags entry: got %s -> %s, want %s -> 0",
		      addr_str(frag.saddr), addr_str(frag.daddr), addr_str(addr));
}

void put_frag(struct hairpin *skel, const struct hp_frag_key *key, __be32 addr)
{
	struct hp_frag frag = {
		.saddr = key->direction == HP_DIR_EGRESS ? addr : 0,
		.daddr = key->direction == HP_DIR_INGRESS ? addr : 0,
	};

	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.hp_frags), key, &frag, BPF_ANY),
	      "add frags entry: %s", strerror(errno));
}

void expect_fragments_untouched(enum variant v, struct hairpin *skel, enum hook hook,
				const struct frame *whole, const char *name)
{
	struct frame frags[N_FRAGS];
	char what[96];

	fragments_of(whole, frags);
	for (int i = FRAG_FIRST; i < N_FRAGS; i++) {
		struct result r;

		snprintf(what, sizeof(what), "%s, %s fragment", name, frag_names[i]);
		run_frame(&r, skel, hook, v, &frags[i]);
		expect_untouched(v, &r, &frags[i], what);
	}
}

void put_tracked_flows(struct hairpin *skel)
{
	put_flow(skel, &udp_forward, CLIENT_ADDR, CLIENT_UDP_PORT, PUBLIC_ADDR);
	put_flow(skel, &tcp_forward, CLIENT_ADDR, CLIENT_TCP_PORT, PUBLIC_ADDR);
}

/* ---- The fixture: the object loaded once, fresh maps for every test ------------------ */

struct hairpin *packets_skel;

static const char *const variant_names[N_VARIANTS] = {
	[XDP] = "xdp",
	[TC] = "tc",
	[TC_CSUM_COMPLETE] = "tc_csum_complete",
};

static bool variant_supported[N_VARIANTS];

/* Every ring buffer of the object, drained before each test. */
static struct ring_buffer *rings;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* The verifier log of a program that fails to load is what explains the failure. */
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

static int drop_record(void *ctx, void *data, size_t size)
{
	return 0;
}

/* Which tc variants this kernel's BPF_PROG_TEST_RUN knows: a flag it lacks is EINVAL. */
static void probe_variants(void)
{
	struct frame arp = arp_request(CLIENT_ADDR, TARGET_ADDR);

	variant_supported[XDP] = variant_supported[TC] = true;
	for (int v = TC_CSUM_COMPLETE; v < N_VARIANTS; v++) {
		struct result r;

		run_frame(&r, packets_skel, EGRESS, v, &arp);
		variant_supported[v] = r.err != -EINVAL;
	}
}

/*
 * The test's own network namespace with the scenario's LAN: lan0, this host's 192.0.2.1/24,
 * and the link-layer addresses of the client and the LAN targets, so that the programs'
 * route and neighbour lookups (reflection) find what they would on a gateway.
 */
static const char *lan_setup(void)
{
	static const char *const commands[] = {
		"ip link set lo up",
		/* A gateway forwards; the route lookups of reflection ask for it (bpf_fib_lookup()). */
		"sysctl -qw net.ipv4.ip_forward=1",
		"ip link add lan0 address 02:48:50:00:00:01 type veth peer name lan0peer",
		"ip link set lan0 up",
		"ip link set lan0peer up",
		"ip addr add 192.0.2.1/24 dev lan0",
		"ip neigh add 192.0.2.10 lladdr 02:48:50:00:00:0a dev lan0 nud permanent",
		"ip neigh add 192.0.2.11 lladdr 02:48:50:00:00:0b dev lan0 nud permanent",
		"ip neigh add 192.0.2.60 lladdr 02:48:50:00:00:3c dev lan0 nud permanent",
	};
	static char why[160];

	if (unshare(CLONE_NEWNET)) {
		snprintf(why, sizeof(why), "unshare(CLONE_NEWNET): %s", strerror(errno));
		return why;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "%s >/dev/null 2>&1", commands[i]);
		if (system(cmd)) {
			snprintf(why, sizeof(why), "`%s' failed", commands[i]);
			return why;
		}
	}
	packets_lan_ifindex = if_nametoindex("lan0");
	return packets_lan_ifindex ? NULL : "lan0 has no ifindex";
}

static const char *packets_init(void)
{
	static char why[160];
	struct bpf_map *map;
	const char *lan_why;

	if (geteuid() != 0)
		return "must run as root (BPF_PROG_TEST_RUN)";
	lan_why = lan_setup();
	if (lan_why)
		return lan_why;
	libbpf_set_print(print_libbpf);
	packets_skel = hairpin__open_and_load();
	if (!packets_skel) {
		snprintf(why, sizeof(why), "hairpin__open_and_load: %s", strerror(errno));
		return why;
	}
	bpf_object__for_each_map(map, packets_skel->obj) {
		int fd = bpf_map__fd(map), err;

		if (bpf_map__type(map) != BPF_MAP_TYPE_RINGBUF)
			continue;
		err = rings ? ring_buffer__add(rings, fd, drop_record, NULL) : 0;
		if (!rings)
			rings = ring_buffer__new(fd, drop_record, NULL, NULL);
		if (!rings || err) {
			snprintf(why, sizeof(why), "ring buffer of map %s: %s", bpf_map__name(map),
				 strerror(errno));
			return why;
		}
	}
	probe_variants();
	return NULL;
}

static void packets_fini(void)
{
	ring_buffer__free(rings);
	hairpin__destroy(packets_skel);
}

/* Every element of an array map set to zeros, on every CPU for a per-CPU one. */
static bool map_zero(const struct bpf_map *map)
{
	bool percpu = bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY;
	int ncpus = percpu ? libbpf_num_possible_cpus() : 1;
	/* A per-CPU value is rounded up to 8 bytes per CPU in the syscall's buffer. */
	size_t size = (percpu ? (bpf_map__value_size(map) + 7) / 8 * 8 : bpf_map__value_size(map)) *
		      (ncpus > 0 ? ncpus : 1);
	void *zeros = calloc(1, size);
	bool ok = CHECK(zeros && ncpus > 0, "%s: a buffer for %d CPUs", bpf_map__name(map), ncpus);

	for (__u32 i = 0; ok && i < bpf_map__max_entries(map); i++)
		ok = CHECK(!bpf_map_update_elem(bpf_map__fd(map), &i, zeros, BPF_ANY),
			   "%s: zero element %u: %s", bpf_map__name(map), i, strerror(errno));
	free(zeros);
	return ok;
}

/* Every key of a hash or LPM map deleted. */
static bool map_empty(const struct bpf_map *map)
{
	int fd = bpf_map__fd(map);
	__u8 key[256];

	if (!CHECK(bpf_map__key_size(map) <= sizeof(key), "%s: key of %u bytes",
		   bpf_map__name(map), bpf_map__key_size(map)))
		return false;
	for (__u32 n = 0; !bpf_map_get_next_key(fd, NULL, key); n++) {
		if (!CHECK(n < bpf_map__max_entries(map) && !bpf_map_delete_elem(fd, key),
			   "%s: delete a key: %s", bpf_map__name(map), strerror(errno)))
			return false;
	}
	return true;
}

/* Every slot of a map of maps emptied (an empty slot's delete fails with ENOENT). */
static bool map_slots_clear(const struct bpf_map *map)
{
	int fd = bpf_map__fd(map);

	for (__u32 i = 0; i < bpf_map__max_entries(map); i++)
		if (!CHECK(!bpf_map_delete_elem(fd, &i) || errno == ENOENT,
			   "%s: clear slot %u: %s", bpf_map__name(map), i, strerror(errno)))
			return false;
	return true;
}

/*
 * Every map as a newly loaded object has it. A map of a kind this cannot empty fails every
 * test, rather than let one test's state leak into the next.
 */
static bool maps_reset(struct bpf_object *obj)
{
	struct bpf_map *map;
	bool ok = true;

	bpf_object__for_each_map(map, obj) {
		switch (bpf_map__type(map)) {
		case BPF_MAP_TYPE_ARRAY:
		case BPF_MAP_TYPE_PERCPU_ARRAY:
			/* .rodata and .kconfig are frozen; .bss starts as zeros, .data does not. */
			if (bpf_map__is_internal(map) && (bpf_map__map_flags(map) & BPF_F_RDONLY_PROG))
				break;
			if (bpf_map__is_internal(map) && !strstr(bpf_map__name(map), ".bss"))
				ok = CHECK(0, "%s: global variables whose initial values this cannot "
					   "restore", bpf_map__name(map));
			else
				ok &= map_zero(map);
			break;
		case BPF_MAP_TYPE_HASH:
		case BPF_MAP_TYPE_LRU_HASH:
		case BPF_MAP_TYPE_PERCPU_HASH:
		case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		case BPF_MAP_TYPE_LPM_TRIE:
			ok &= map_empty(map);
			break;
		case BPF_MAP_TYPE_ARRAY_OF_MAPS:
			ok &= map_slots_clear(map);
			break;
		case BPF_MAP_TYPE_RINGBUF:
			break;	/* drained below */
		default:
			ok = CHECK(0, "%s: no way to reset a map of type %d (tests/unit/packets/"
				   "packets.c: maps_reset())", bpf_map__name(map), bpf_map__type(map));
		}
	}
	if (rings && ring_buffer__consume(rings) < 0)
		ok = CHECK(0, "drain the ring buffers: %s", strerror(errno));
	return ok;
}

/* Fresh maps, then the scenario's config: the public address, this host, both forwards. */
static bool packets_setup(int variant)
{
	return maps_reset(packets_skel->obj) &&
	       set_config(packets_skel, PUBLIC_ADDR, only_target) &&
	       set_forward(packets_skel, &udp_forward) && set_forward(packets_skel, &tcp_forward);
}

static const char *packets_unsupported(int variant)
{
	return variant_supported[variant] ? NULL
					  : "the kernel rejects the BPF_PROG_TEST_RUN flag of "
					    "this variant";
}

const struct test_fixture packets_fixture = {
	.init = packets_init,
	.fini = packets_fini,
	.setup = packets_setup,
	.unsupported = packets_unsupported,
	.variants = variant_names,
};

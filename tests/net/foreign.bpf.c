// SPDX-License-Identifier: GPL-2.0
/*
 * Programs that are not hairpin's, for the tests that check hairpin leaves other people's
 * programs alone and working: in native XDP, among the tcx programs of a hook, as a cls_bpf
 * filter on a clsact qdisc hairpin did not add. foreign_drop_ping shows that it still runs
 * (pings through its device fail); the others pass everything on to whatever comes next.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* <linux/icmp.h> pulls in the C library's headers, which a BPF target lacks. */
struct icmp_echo {
	__u8 type;	/* 8 request, 0 reply */
	__u8 code;
	__u16 checksum;
};

SEC("xdp")
int foreign_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* TC_ACT_UNSPEC: on tcx, the next program runs; on cls_bpf, the next filter. */
SEC("tc")
int foreign_tc(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

/* Its own section name, for `tc filter add ... bpf obj foreign.bpf.o sec classifier`. */
SEC("classifier")
int foreign_drop_ping(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct icmp_echo *icmp = (void *)(ip + 1);

	if ((void *)(icmp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_ICMP)
		return TC_ACT_UNSPEC;
	if (icmp->type == 8 || icmp->type == 0)
		return TC_ACT_SHOT;
	return TC_ACT_UNSPEC;
}

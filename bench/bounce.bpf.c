// SPDX-License-Identifier: GPL-2.0
/*
 * A reference for the reflection part of `make bench` (bench/reflect.sh): the least a gateway
 * can do to send a LAN host's packet on to another host of the same LAN. No lookup and no
 * rewrite of its own: the client addresses the packet to the server itself, at the gateway's
 * MAC, and this sends it back out of the device it came in on through the kernel's neighbour
 * table, with the packet's destination for the next hop, as hairpin's tc reflection sends
 * (bpf_redirect_neigh()). What it costs is what any reflection in tc costs before its own
 * work: the gateway's receive and send on its veth.
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int bounce_tc(struct __sk_buff *skb)
{
	struct bpf_redir_neigh nh = { .nh_family = 2 /* AF_INET */ };

	if (bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, daddr), &nh.ipv4_nh,
			       sizeof(nh.ipv4_nh)))
		return 2;	/* TC_ACT_SHOT */
	return bpf_redirect_neigh(skb->ifindex, &nh, sizeof(nh), 0);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The floor for bench/progs.c: programs of the same types as hairpin's that do nothing. Built
 * with the same clang flags as bpf/hairpin.bpf.c, so that what BPF_PROG_TEST_RUN reports for
 * these is the cost of the hook and of the test-run loop itself, and hairpin's ratio to them is
 * what hairpin adds. bench/run also attaches them to a veth in the end-to-end part, to tell
 * what the hook costs there from what hairpin does in it; and drop_tc, to tell what a packet
 * costs before it reaches the gateway's IP layer (the sender, the veth, the hook).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int null_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* Lets the packet go on as hairpin's tc programs do: to whatever comes next on the hook. */
SEC("tc")
int null_tc(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

/* Its own section name, for `tc ... bpf obj null.bpf.o sec classifier` to find it by. */
SEC("classifier")
int drop_tc(struct __sk_buff *skb)
{
	return TC_ACT_SHOT;
}

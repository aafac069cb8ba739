/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The thin context layer that lets one worker serve XDP and tc. Every function takes the
 * program's context and `xdp`, a compile-time constant at each call site: the workers are
 * __always_inline, so clang keeps only the branch for the program being built, and the verifier
 * never sees an skb helper called from XDP or the other way round.
 */
#ifndef HP_CTX_H
#define HP_CTX_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

static __always_inline void *ctx_data(void *ctx, const bool xdp)
{
	return xdp ? (void *)(long)((struct xdp_md *)ctx)->data
		   : (void *)(long)((struct __sk_buff *)ctx)->data;
}

static __always_inline void *ctx_data_end(void *ctx, const bool xdp)
{
	return xdp ? (void *)(long)((struct xdp_md *)ctx)->data_end
		   : (void *)(long)((struct __sk_buff *)ctx)->data_end;
}

/*
 * The verdict that lets a packet go on. On tc it is TC_ACT_UNSPEC (tcx's TCX_NEXT), not
 * TC_ACT_OK: the filters and tcx programs after hairpin's on the same hook still run, as they
 * would without it; TC_ACT_OK would end the chain there.
 */
static __always_inline int ctx_pass(const bool xdp)
{
	return xdp ? XDP_PASS : TC_ACT_UNSPEC;
}

/*
 * ctx_ensure() - make the first @len bytes of the packet directly readable.
 * @ctx: the program's context
 * @xdp: true for an XDP context
 * @len: bytes from the start of the frame
 *
 * XDP sees a linear frame: either the bytes are there or the frame is shorter. An skb may keep
 * headers in its paged part (drivers pull only what they parsed); pulling costs a copy, so it
 * is done only when the linear part is too short and the packet long enough.
 *
 * Return: 0 when data + @len <= data_end; -1 when the packet is shorter or the pull failed.
 * Invalidates every packet pointer derived from the context: reload them after a call.
 */
static __always_inline int ctx_ensure(void *ctx, const bool xdp, __u32 len)
{
	if (ctx_data(ctx, xdp) + len <= ctx_data_end(ctx, xdp))
		return 0;
	if (xdp)
		return -1;
	if (((struct __sk_buff *)ctx)->len < len || bpf_skb_pull_data(ctx, len))
		return -1;
	return ctx_data(ctx, xdp) + len <= ctx_data_end(ctx, xdp) ? 0 : -1;
}

/*
 * ctx_store() - write @len bytes (a constant, a few) at @off of the frame.
 *
 * tc goes through bpf_skb_store_bytes(), never direct packet access: a direct write would
 * make the verifier add a prologue that unclones every skb the program sees. The caller keeps
 * checksums right itself; skb->csum is left alone, so every change must be offset by a
 * checksum field's within the packet. Return: 0 or -1. Invalidates packet pointers.
 */
static __always_inline int ctx_store(void *ctx, const bool xdp, __u32 off, const void *from,
				     const __u32 len)
{
	void *to;

	if (!xdp)
		return bpf_skb_store_bytes(ctx, off, from, len, 0) ? -1 : 0;
	if (off > 1024)
		return -1;
	to = ctx_data(ctx, xdp) + off;
	if (to + len > ctx_data_end(ctx, xdp))
		return -1;
	__builtin_memcpy(to, from, len);
	return 0;
}

#endif

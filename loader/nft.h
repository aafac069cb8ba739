/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nftables' base chains, as the kernel lists them (nfnetlink, NFT_MSG_GETCHAIN): which family,
 * hook and devices each is on, for doctor to say which of them see a Device's packets before
 * hairpin's programs do. The rules are not read: what a chain does is nft(8)'s to show.
 */
#ifndef HP_NFT_H
#define HP_NFT_H

#include <net/if.h>
#include <linux/types.h>

#define NFT_CHAIN_MAX_DEVS 8

/* The bridge family's hooks, as <linux/netfilter_bridge.h> numbers them (whose includes clash
 * with <net/if.h>'s). */
#define NFT_BR_PRE_ROUTING 0
#define NFT_BR_LOCAL_IN 1

struct nft_base_chain {
	__u8 family;		/* NFPROTO_NETDEV, NFPROTO_BRIDGE, ... */
	char table[64];
	char name[64];
	__u32 hooknum;		/* of the family: NF_NETDEV_EGRESS, NF_BR_PRE_ROUTING, ... */
	__s32 priority;
	char devs[NFT_CHAIN_MAX_DEVS][IF_NAMESIZE];	/* netdev family: the devices */
	int n_devs;
};

/*
 * Every base chain of this network namespace, into *chains (malloc()ed). 0, or -errno: a
 * kernel without nf_tables answers -EPROTONOSUPPORT or -ENOENT.
 */
int nft_base_chains(struct nft_base_chain **chains, int *n);

/* "netdev", "bridge", "inet", ... as nft(8) spells the family. */
const char *nft_family_name(__u8 family);

#endif

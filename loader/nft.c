// SPDX-License-Identifier: GPL-2.0
/* nftables' base chains, from the kernel (nft.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "nft.h"
#include "rtnl.h"

static int chain_parse(const struct nlmsghdr *msg, void *arg)
{
	const struct nfgenmsg *gen = NLMSG_DATA(msg);
	const struct rtattr *tb[NFTA_CHAIN_MAX + 1], *hook[NFTA_HOOK_MAX + 1];
	struct rtnl_list *list = arg;
	struct nft_base_chain *c;

	if (msg->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN) ||
	    msg->nlmsg_len < NLMSG_LENGTH(sizeof(*gen)))
		return 0;
	rtnl_parse(tb, NFTA_CHAIN_MAX, (const struct rtattr *)((const char *)gen +
							      NLMSG_ALIGN(sizeof(*gen))),
		   msg->nlmsg_len - NLMSG_LENGTH(sizeof(*gen)));
	/* A chain without a hook is a regular chain: only a base chain sees packets by itself. */
	if (!tb[NFTA_CHAIN_HOOK])
		return 0;
	c = rtnl_list_add(list);
	if (!c)
		return -ENOMEM;
	rtnl_parse_nested(hook, NFTA_HOOK_MAX, tb[NFTA_CHAIN_HOOK]);
	c->family = gen->nfgen_family;
	rtnl_str(tb[NFTA_CHAIN_TABLE], c->table, sizeof(c->table));
	rtnl_str(tb[NFTA_CHAIN_NAME], c->name, sizeof(c->name));
	/* nfnetlink's numbers are in network order. */
	c->hooknum = ntohl(rtnl_u32(hook[NFTA_HOOK_HOOKNUM]));
	c->priority = (__s32)ntohl(rtnl_u32(hook[NFTA_HOOK_PRIORITY]));
	if (hook[NFTA_HOOK_DEV])
		rtnl_str(hook[NFTA_HOOK_DEV], c->devs[c->n_devs++], IF_NAMESIZE);
	if (hook[NFTA_HOOK_DEVS]) {
		const struct rtattr *dev = RTA_DATA(hook[NFTA_HOOK_DEVS]);
		int len = RTA_PAYLOAD(hook[NFTA_HOOK_DEVS]);

		for (; RTA_OK(dev, len) && c->n_devs < NFT_CHAIN_MAX_DEVS; dev = RTA_NEXT(dev, len))
			rtnl_str(dev, c->devs[c->n_devs++], IF_NAMESIZE);
	}
	return 0;
}

int nft_base_chains(struct nft_base_chain **chains, int *n)
{
	struct rtnl_list list = { .size = sizeof(struct nft_base_chain) };
	struct nfgenmsg gen = { .nfgen_family = NFPROTO_UNSPEC, .version = NFNETLINK_V0 };
	struct rtnl nl;
	int err = rtnl_open_protocol(&nl, NETLINK_NETFILTER);

	*chains = NULL;
	*n = 0;
	if (err)
		return err;
	err = rtnl_dump(&nl, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN, &gen, sizeof(gen),
			chain_parse, &list);
	rtnl_close(&nl);
	if (err) {
		free(list.items);
		return err;
	}
	*chains = list.items;
	*n = list.n;
	return 0;
}

const char *nft_family_name(__u8 family)
{
	switch (family) {
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_NETDEV:
		return "netdev";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_IPV6:
		return "ip6";
	default:
		return "?";
	}
}

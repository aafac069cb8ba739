/* SPDX-License-Identifier: GPL-2.0 */
/* What the loader asks of network devices and addresses, outside of BPF. */
#ifndef HP_NETDEV_H
#define HP_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>

/* 0, or -errno (-ENODEV when there is no such device). */
int netdev_ifindex(const char *name, int *ifindex);
/* Whether @name carries Ethernet frames, which the programs parse. -errno on failure. */
int netdev_is_ethernet(const char *name, bool *ethernet);
/* The driver's name (ethtool -i), e.g. "veth", "bcmgenet". 0 or -errno. */
int netdev_driver(const char *name, char *driver, size_t len);
/* The first IPv4 address of @name; 0 or -errno (-EADDRNOTAVAIL when it has none). */
int netdev_first_ipv4(const char *name, __be32 *addr);
/* Whether @addr is assigned to an interface of this host (this network namespace). */
int netdev_is_local_ipv4(__be32 addr, bool *local);

struct netdev_port {
	char name[IF_NAMESIZE];
	int ifindex;
};

/*
 * netdev_bridge_ports() - whether @name is a bridge (*is_bridge), and its ports, at most @max,
 * into @ports (*n of them), in ifindex order. 0, or -errno (-ENODEV: no such device).
 */
int netdev_bridge_ports(const char *name, bool *is_bridge, struct netdev_port *ports, int max,
			int *n);

/* The bridge that device @ifindex is a port of, its name into @bridge ("" if none). 0 or -errno. */
int netdev_bridge_of(int ifindex, char bridge[IF_NAMESIZE]);

/* Whether @addr lies in the IPv4 subnet of one of @name's addresses. 0 or -errno. */
int netdev_ipv4_on_link(const char *name, __be32 addr, bool *on_link);

#endif

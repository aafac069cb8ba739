/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How this host reaches an address: the kernel's own answer to `ip route get ADDRESS`, which is
 * what decides where a forward's target is (this host, a host it routes to, or a host on the
 * LAN of a Device, which hairpin reflects to).
 */
#ifndef HP_ROUTE_H
#define HP_ROUTE_H

#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>

enum route_kind {
	ROUTE_LOCAL,		/* an address of this host */
	ROUTE_ON_LINK,		/* a host on the LAN of device ifindex */
	ROUTE_VIA_GATEWAY,	/* through a router on device ifindex */
	ROUTE_NONE,		/* unreachable, blackhole, prohibited, broadcast, multicast */
};

struct route {
	enum route_kind kind;
	int ifindex;			/* the device it leaves by; 0 for none */
	char ifname[IF_NAMESIZE];
	__be32 gateway;			/* ROUTE_VIA_GATEWAY */
	__be32 prefsrc;			/* the address this host would send from; 0 if none */
	const char *why;		/* ROUTE_NONE: "unreachable", "a broadcast address", ... */
};

/* The kernel's route from this host to @addr. 0, or -errno when it could not be asked. */
int route_get(__be32 addr, struct route *route);

/* Whether this host forwards IPv4 arriving on @ifname (net.ipv4.conf.IFNAME.forwarding). */
int route_forwarding(const char *ifname, bool *on);

#endif

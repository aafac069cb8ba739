// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include "route.h"
#include "rtnl.h"

struct route_reply {
	struct route *route;
	bool seen;
};

static int route_parse(const struct nlmsghdr *msg, void *arg)
{
	struct route_reply *reply = arg;
	struct route *route = reply->route;
	const struct rtmsg *rtm = NLMSG_DATA(msg);
	const struct rtattr *tb[RTA_MAX + 1];

	if (msg->nlmsg_type != RTM_NEWROUTE || msg->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return 0;
	rtnl_parse(tb, RTA_MAX, RTM_RTA(rtm), msg->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm)));
	reply->seen = true;
	route->ifindex = rtnl_u32(tb[RTA_OIF]);
	route->gateway = tb[RTA_GATEWAY] ? rtnl_u32(tb[RTA_GATEWAY]) : 0;
	route->prefsrc = tb[RTA_PREFSRC] ? rtnl_u32(tb[RTA_PREFSRC]) : 0;
	switch (rtm->rtm_type) {
	case RTN_LOCAL:
		route->kind = ROUTE_LOCAL;
		break;
	case RTN_UNICAST:
		route->kind = route->gateway ? ROUTE_VIA_GATEWAY : ROUTE_ON_LINK;
		break;
	case RTN_BROADCAST:
		route->kind = ROUTE_NONE;
		route->why = "a broadcast address";
		break;
	case RTN_MULTICAST:
		route->kind = ROUTE_NONE;
		route->why = "a multicast address";
		break;
	default:
		route->kind = ROUTE_NONE;
		route->why = "its route goes nowhere";
		break;
	}
	return 0;
}

int route_get(__be32 addr, struct route *route)
{
	struct rtmsg rtm = { .rtm_family = AF_INET, .rtm_dst_len = 32 };
	struct route_reply reply = { .route = route };
	struct rtnl_req req;
	struct rtnl nl;
	int err;

	memset(route, 0, sizeof(*route));
	err = rtnl_open(&nl);
	if (err)
		return err;
	rtnl_req_init(&req, RTM_GETROUTE, 0, &rtm, sizeof(rtm));
	err = rtnl_req_put(&req, RTA_DST, &addr, sizeof(addr));
	if (!err)
		err = rtnl_talk(&nl, &req, route_parse, &reply);
	rtnl_close(&nl);
	/* The kernel answers a route that goes nowhere with the error a packet would get. */
	if (err == -ENETUNREACH || err == -EHOSTUNREACH || err == -EACCES || err == -EINVAL) {
		route->kind = ROUTE_NONE;
		route->why = err == -ENETUNREACH ? "no route to it"
			     : err == -EHOSTUNREACH ? "its route is unreachable"
			     : err == -EACCES ? "its route is prohibited"
					      : "its route is a blackhole";
		return 0;
	}
	if (err)
		return err;
	if (!reply.seen)
		return -ENOMSG;
	if (route->ifindex && !if_indextoname(route->ifindex, route->ifname))
		snprintf(route->ifname, sizeof(route->ifname), "#%d", route->ifindex);
	return 0;
}

int route_forwarding(const char *ifname, bool *on)
{
	char path[128], value[8] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", ifname);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(value, sizeof(value), f))
		value[0] = '\0';
	fclose(f);
	*on = value[0] == '1';
	return 0;
}

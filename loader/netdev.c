// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "netdev.h"
#include "rtnl.h"

int netdev_ifindex(const char *name, int *ifindex)
{
	unsigned int index = if_nametoindex(name);

	if (!index)
		return -errno;
	*ifindex = (int)index;
	return 0;
}

/* A device ioctl; @data, if any, goes in ifr_data (SIOCETHTOOL). */
static int netdev_ioctl(const char *name, unsigned long request, struct ifreq *ifr, void *data)
{
	int fd, err = 0;

	memset(ifr, 0, sizeof(*ifr));
	if (strlen(name) >= sizeof(ifr->ifr_name))
		return -ENAMETOOLONG;
	strcpy(ifr->ifr_name, name);
	if (data)
		ifr->ifr_data = data;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, request, ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

int netdev_is_ethernet(const char *name, bool *ethernet)
{
	struct ifreq ifr;
	int err = netdev_ioctl(name, SIOCGIFHWADDR, &ifr, NULL);

	if (!err)
		*ethernet = ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER;
	return err;
}

int netdev_driver(const char *name, char *driver, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int err = netdev_ioctl(name, SIOCETHTOOL, &ifr, &info);

	if (err)
		return err;
	snprintf(driver, len, "%s", info.driver);
	return 0;
}

/* Walk the IPv4 addresses: @match returns true to stop with that one. */
static int ipv4_addrs_find(bool (*match)(const struct ifaddrs *ifa, const void *arg),
			   const void *arg, __be32 *found)
{
	struct ifaddrs *list, *ifa;
	int err = -EADDRNOTAVAIL;

	if (getifaddrs(&list) < 0)
		return -errno;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET || !match(ifa, arg))
			continue;
		if (found)
			*found = ((struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr;
		err = 0;
		break;
	}
	freeifaddrs(list);
	return err;
}

struct on_link_query {
	const char *name;
	__be32 addr;
};

static bool match_on_link(const struct ifaddrs *ifa, const void *arg)
{
	const struct on_link_query *q = arg;
	__be32 local = ((struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr;
	__be32 mask = ifa->ifa_netmask ? ((struct sockaddr_in *)ifa->ifa_netmask)->sin_addr.s_addr
				       : 0xffffffff;

	return !strcmp(ifa->ifa_name, q->name) && (local & mask) == (q->addr & mask);
}

int netdev_ipv4_on_link(const char *name, __be32 addr, bool *on_link)
{
	struct on_link_query q = { .name = name, .addr = addr };
	int err = ipv4_addrs_find(match_on_link, &q, NULL);

	*on_link = !err;
	return err == -EADDRNOTAVAIL ? 0 : err;
}

static bool match_name(const struct ifaddrs *ifa, const void *name)
{
	return !strcmp(ifa->ifa_name, name);
}

static bool match_addr(const struct ifaddrs *ifa, const void *addr)
{
	return ((struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr == *(const __be32 *)addr;
}

int netdev_first_ipv4(const char *name, __be32 *addr)
{
	return ipv4_addrs_find(match_name, name, addr);
}

int netdev_is_local_ipv4(__be32 addr, bool *local)
{
	int err = ipv4_addrs_find(match_addr, &addr, NULL);

	*local = !err;
	return err == -EADDRNOTAVAIL ? 0 : err;
}

int netdev_bridge_ports(const char *name, bool *is_bridge, struct netdev_port *ports, int max,
			int *n)
{
	struct rtnl_link *links = NULL;
	int n_links = 0, bridge = 0, err;
	struct rtnl nl;

	*is_bridge = false;
	*n = 0;
	err = rtnl_open(&nl);
	if (err)
		return err;
	err = rtnl_list_links(&nl, &links, &n_links);
	rtnl_close(&nl);
	if (err)
		return err;
	for (int i = 0; i < n_links && !bridge; i++)
		if (!strcmp(links[i].name, name)) {
			bridge = links[i].ifindex;
			*is_bridge = links[i].bridge;
		}
	err = bridge ? 0 : -ENODEV;
	for (int i = 0; i < n_links && *is_bridge && *n < max; i++)
		if (links[i].master == bridge) {
			snprintf(ports[*n].name, sizeof(ports[*n].name), "%s", links[i].name);
			ports[(*n)++].ifindex = links[i].ifindex;
		}
	free(links);
	return err;
}

int netdev_bridge_of(int ifindex, char bridge[IF_NAMESIZE])
{
	struct rtnl_link *links = NULL;
	int n_links = 0, master = 0, err;
	struct rtnl nl;

	bridge[0] = '\0';
	err = rtnl_open(&nl);
	if (err)
		return err;
	err = rtnl_list_links(&nl, &links, &n_links);
	rtnl_close(&nl);
	for (int i = 0; i < n_links && !master; i++)
		if (links[i].ifindex == ifindex)
			master = links[i].master;
	for (int i = 0; i < n_links && master; i++)
		if (links[i].ifindex == master && links[i].bridge)
			snprintf(bridge, IF_NAMESIZE, "%s", links[i].name);
	free(links);
	return err;
}

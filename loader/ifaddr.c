// SPDX-License-Identifier: GPL-2.0
/*
 * PublicAddressFrom = interface:NAME: the first IPv4 address of a local interface, for a
 * gateway whose own ppp0 (or DHCP-configured WAN port) holds the public address.
 *
 * An rtnetlink socket subscribed to RTMGRP_IPV4_IFADDR says when any IPv4 address changed;
 * the interface's addresses are then read again with a dump (netdev_first_ipv4). The event
 * is the trigger and the dump the truth: an interface that is deleted and comes back (ppp0
 * on every reconnect, with a new ifindex) is followed by its name, and a lost event
 * (ENOBUFS) costs nothing but a dump. The socket is subscribed before the first dump, so no
 * change between the two is missed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "log.h"
#include "netdev.h"
#include "public_addr.h"
#include "watch.h"

struct ifaddr_source {
	struct watch_source base;
	char ifname[IF_NAMESIZE];
	int nl_fd;
	bool check;		/* read the interface's addresses on the next run() */
	bool said_none;		/* "has no IPv4 address" logged once until it has one */
};

static struct ifaddr_source *ifaddr_of(struct watch_source *s)
{
	return (struct ifaddr_source *)s;
}

static int ifaddr_poll_fds(struct watch_source *s, struct pollfd *fds)
{
	fds[0] = (struct pollfd){ .fd = ifaddr_of(s)->nl_fd, .events = POLLIN };
	return 1;
}

static __u64 ifaddr_deadline(struct watch_source *s)
{
	return ifaddr_of(s)->check ? 0 : WATCH_NEVER;
}

/* Read and drop what the kernel sent: that something changed is all it says. */
static void ifaddr_drain(struct ifaddr_source *src)
{
	char buf[8192];

	for (int i = 0; i < 1000; i++) {
		ssize_t n = recv(src->nl_fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0 || (n < 0 && errno == ENOBUFS)) {
			/* ENOBUFS: events were lost; the dump that follows covers them. */
			src->check = true;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			pr_warn("%s: reading address events: %s", src->base.label, strerror(errno));
		return;
	}
}

static int ifaddr_run(struct watch_source *s, const struct pollfd *fds, int n, __u64 now,
		      __be32 *addr)
{
	struct ifaddr_source *src = ifaddr_of(s);
	char buf[INET_ADDRSTRLEN];
	int err;

	if (n > 0 && fds[0].revents)
		ifaddr_drain(src);
	if (!src->check)
		return 0;
	src->check = false;
	err = netdev_first_ipv4(src->ifname, addr);
	if (!err) {
		src->said_none = false;
		pr_debug("%s: %s", s->label, inet_ntop(AF_INET, addr, buf, sizeof(buf)));
		return 1;
	}
	if (err == -EADDRNOTAVAIL) {
		if (!src->said_none)
			pr_warn("%s: %s has no IPv4 address (or does not exist): keeping %s",
				s->label, src->ifname,
				s->current ? inet_ntop(AF_INET, &s->current, buf, sizeof(buf))
					   : "none");
		src->said_none = true;
	} else {
		pr_warn("%s: couldn't list the addresses of %s: %s", s->label, src->ifname,
			strerror(-err));
	}
	return 0;
}

static void ifaddr_ask(struct watch_source *s, __u64 now)
{
	ifaddr_of(s)->check = true;
}

static void ifaddr_destroy(struct watch_source *s)
{
	close(ifaddr_of(s)->nl_fd);
	free(s);
}

struct watch_source *ifaddr_source_new(const char *ifname)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR };
	struct ifaddr_source *src = calloc(1, sizeof(*src));

	if (!src) {
		pr_warn("out of memory");
		return NULL;
	}
	snprintf(src->base.label, sizeof(src->base.label), "interface:%s", ifname);
	snprintf(src->ifname, sizeof(src->ifname), "%s", ifname);
	src->base.poll_fds = ifaddr_poll_fds;
	src->base.deadline = ifaddr_deadline;
	src->base.run = ifaddr_run;
	src->base.ask = ifaddr_ask;
	src->base.destroy = ifaddr_destroy;
	src->check = true;
	src->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (src->nl_fd < 0 || bind(src->nl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		pr_warn("%s: couldn't listen to address events (rtnetlink): %s", src->base.label,
			strerror(errno));
		if (src->nl_fd >= 0)
			close(src->nl_fd);
		free(src);
		return NULL;
	}
	return &src->base;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * PublicAddressFrom = interface:NAME: the first IPv4 address of a local interface, for a
 * gateway whose own ppp0 (or DHCP-configured WAN port) holds the public address.
 *
 * An rtnetlink socket subscribed to RTMGRP_IPV4_IFADDR, the source's fd, says when any IPv4
 * address changed; the interface's addresses are then read again with a dump
 * (netdev_first_ipv4). The event is the trigger and the dump the truth: an interface that is
 * deleted and comes back (ppp0 on every reconnect, with a new ifindex) is followed by its
 * name, and a lost event (ENOBUFS) costs nothing but a dump. The socket is subscribed before
 * the first dump, so no change between the two is missed. A dump that fails is tried again
 * after backoff_ms(); an interface without an address waits for the next event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "backoff.h"
#include "format.h"
#include "log.h"
#include "netdev.h"
#include "source.h"

struct interface_source {
	struct source base;	/* base.fd: the rtnetlink socket */
	char ifname[IF_NAMESIZE];
	__u64 check_at;		/* when to read the interface's addresses; SOURCE_NEVER: on an event */
	unsigned int failures;	/* dumps that failed in a row */
};

static struct interface_source *interface_of(struct source *s)
{
	return (struct interface_source *)s;
}

/* Read and drop what the kernel sent: that something changed is all it says. */
static void interface_drain(struct interface_source *src, __u64 now, struct source_events *out)
{
	char buf[8192];

	for (int i = 0; i < 1000; i++) {
		ssize_t n = recv(src->base.fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0 || (n < 0 && errno == ENOBUFS)) {
			/* ENOBUFS: events were lost; the dump that follows covers them. */
			src->check_at = now;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			struct source_event *ev = source_event_add(out, SOURCE_WARNING);

			snprintf(ev->text, sizeof(ev->text), "reading address events: %s",
				 strerror(errno));
		}
		return;
	}
}

static void interface_step(struct source *s, __u64 now, __be32 current,
			   struct source_events *out)
{
	struct interface_source *src = interface_of(s);
	struct source_event *ev;
	char a[INET_ADDRSTRLEN];
	__be32 addr;
	int err;

	interface_drain(src, now, out);
	if (now < src->check_at)
		return;
	src->check_at = SOURCE_NEVER;
	err = netdev_first_ipv4(src->ifname, &addr);
	if (!err) {
		src->failures = 0;
		pr_debug("%s: %s", s->label, fmt_ip4(addr, a));
		ev = source_event_add(out, SOURCE_ADDRESS);
		ev->addr = addr;
		return;
	}
	ev = source_event_add(out, SOURCE_FAILED);
	if (err == -EADDRNOTAVAIL) {
		/* Not a failure to retry: the address that comes is an event. */
		ev->retry_at = SOURCE_NEVER;
		snprintf(ev->text, sizeof(ev->text), "%s has no IPv4 address (or does not exist)",
			 src->ifname);
		return;
	}
	src->check_at = now + backoff_ms(++src->failures);
	ev->retry_at = src->check_at;
	ev->failures = src->failures;
	snprintf(ev->text, sizeof(ev->text), "couldn't list the addresses of %s: %s",
		 src->ifname, strerror(-err));
}

static __u64 interface_deadline(const struct source *s)
{
	return ((const struct interface_source *)s)->check_at;
}

static void interface_ask(struct source *s, __u64 now)
{
	interface_of(s)->check_at = now;
}

static void interface_close(struct source *s)
{
	close(s->fd);
	free(s);
}

static const struct source_ops interface_ops = {
	.step = interface_step,
	.deadline = interface_deadline,
	.ask = interface_ask,
	.close = interface_close,
};

struct source *interface_source_open(const char *ifname, char *err, size_t err_len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR };
	struct interface_source *src = calloc(1, sizeof(*src));

	if (!src) {
		snprintf(err, err_len, "interface:%s: out of memory", ifname);
		return NULL;
	}
	src->base.ops = &interface_ops;
	snprintf(src->base.label, sizeof(src->base.label), "interface:%s", ifname);
	snprintf(src->ifname, sizeof(src->ifname), "%s", ifname);
	src->check_at = 0;
	src->base.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (src->base.fd < 0 || bind(src->base.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, err_len, "interface:%s: couldn't listen to address events "
			 "(rtnetlink): %s", ifname, strerror(errno));
		if (src->base.fd >= 0)
			close(src->base.fd);
		free(src);
		return NULL;
	}
	return &src->base;
}

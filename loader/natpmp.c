// SPDX-License-Identifier: GPL-2.0
/*
 * PublicAddressFrom = natpmp: the default gateway's external address, asked with NAT-PMP
 * (RFC 6886) public address requests (opcode 0) to its UDP port 5351.
 *
 * - The gateway is the default route's of the main table (/proc/net/route), read again for
 *   every exchange: a DHCP renewal may change it.
 * - Section 3.1: a request is sent again after 250 ms, doubling, 9 times in all; then the
 *   gateway is taken as silent. Only packets from the gateway's address and port count (the
 *   socket is connected to it).
 * - Section 3.2.1: the gateway announces a change of its address to 224.0.0.1:5350; such an
 *   announcement, from the gateway's address, is taken as an answer.
 * - After an answer it is asked again every NATPMP_REASK_MS (not every gateway announces);
 *   after a failure (a result code other than 0, a silent gateway, no gateway), after
 *   watch_backoff_ms().
 * - Section 3.6: when the gateway's epoch went back it restarted, and may not have its final
 *   address yet (its WAN link comes up after its NAT-PMP service): it is asked again soon.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "format.h"
#include "log.h"
#include "watch.h"

#define NATPMP_ALL_HOSTS "224.0.0.1"

struct natpmp_source {
	struct watch_source base;
	int fd;			/* connected to the gateway while an exchange runs, else -1 */
	int announce_fd;	/* 224.0.0.1:5350, -1 when that could not be bound */
	__be32 gateway;		/* of the exchange under way, or of the last one */
	bool asking;		/* an exchange runs */
	int tries;		/* requests sent in it */
	__u64 next_at;		/* the next request: a retransmission or a new exchange */
	unsigned int failures;	/* in a row */
	char last_why[128];	/* a new reason is worth a warning, a repeated one not */
	bool has_epoch;
	__u32 epoch;		/* of the last packet from the gateway */
	__u64 epoch_at;		/* and when it came */
};

static struct natpmp_source *natpmp_of(struct watch_source *s)
{
	return (struct natpmp_source *)s;
}

int natpmp_parse(const void *buf, size_t len, struct natpmp_reply *reply)
{
	const unsigned char *p = buf;

	/* Version 0, opcode 128 + 0; an error may come without the address (8 bytes). */
	if (len < 8 || p[0] != 0 || p[1] != 128)
		return -EBADMSG;
	reply->result = p[2] << 8 | p[3];
	reply->epoch = (__u32)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];
	reply->addr = 0;
	if (!reply->result) {
		if (len < 12)
			return -EBADMSG;
		memcpy(&reply->addr, p + 8, sizeof(reply->addr));
	}
	return 0;
}

const char *natpmp_result_text(__u16 result)
{
	static char other[32];

	switch (result) {
	case 0:
		return "success";
	case 1:
		return "unsupported version";
	case 2:
		return "not authorized or refused";
	case 3:
		return "network failure (the gateway has no public address itself)";
	case 4:
		return "out of resources";
	case 5:
		return "unsupported opcode";
	}
	snprintf(other, sizeof(other), "result code %u", result);
	return other;
}

bool natpmp_epoch_went_back(__u32 prev_epoch, __u64 prev_ms, __u32 epoch, __u64 now_ms)
{
	__u64 elapsed_ms = now_ms > prev_ms ? now_ms - prev_ms : 0;
	__u64 expected_ms = (__u64)prev_epoch * 1000 + elapsed_ms * 7 / 8;

	return (__u64)epoch * 1000 + 2000 < expected_ms;
}

int natpmp_default_gateway(FILE *routes, __be32 *gateway)
{
	char line[512];
	unsigned long best_metric = (unsigned long)-1;
	int err = -ENETUNREACH;

	/* The header line does not parse as a route. */
	while (fgets(line, sizeof(line), routes)) {
		char ifname[IF_NAMESIZE + 1];
		unsigned int dest, gw, flags, mask;
		unsigned long refcnt, use, metric;

		if (sscanf(line, "%16s %x %x %x %lu %lu %lu %x", ifname, &dest, &gw, &flags, &refcnt,
			   &use, &metric, &mask) != 8)
			continue;
		/* Printed as the __be32 is in memory: read back, it is the same word. */
		if (dest || mask || !gw || (flags & (RTF_UP | RTF_GATEWAY)) != (RTF_UP | RTF_GATEWAY))
			continue;
		if (err || metric < best_metric) {
			*gateway = gw;
			best_metric = metric;
			err = 0;
		}
	}
	return err;
}

static int gateway_now(__be32 *gateway)
{
	FILE *f = fopen("/proc/net/route", "re");
	int err;

	if (!f)
		return -errno;
	err = natpmp_default_gateway(f, gateway);
	fclose(f);
	return err;
}

static void end_exchange(struct natpmp_source *src)
{
	if (src->fd >= 0)
		close(src->fd);
	src->fd = -1;
	src->asking = false;
}

/* The exchange failed for @why: keep the address, try again after a while. */
static void natpmp_failed(struct natpmp_source *src, __u64 now, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void natpmp_failed(struct natpmp_source *src, __u64 now, const char *fmt, ...)
{
	char why[sizeof(src->last_why)], a[INET_ADDRSTRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	end_exchange(src);
	src->next_at = now + watch_backoff_ms(++src->failures);
	if (strcmp(why, src->last_why)) {
		memcpy(src->last_why, why, sizeof(why));
		pr_warn("natpmp: %s: keeping %s, asking again in %llu s", why,
			fmt_ip4(src->base.current, a), (unsigned long long)(src->next_at - now) / 1000);
	} else {
		pr_debug("natpmp: %s (%u failures in a row): asking again in %llu s", why,
			 src->failures, (unsigned long long)(src->next_at - now) / 1000);
	}
}

static void send_request(struct natpmp_source *src, __u64 now)
{
	static const unsigned char request[2] = { 0, 0 };	/* version 0, opcode 0 */
	char a[INET_ADDRSTRLEN];

	src->tries++;
	src->next_at = now + ((__u64)NATPMP_FIRST_WAIT_MS << (src->tries - 1));
	pr_debug("natpmp: asking %s for its public address (try %d of %d)",
		 fmt_ip4(src->gateway, a), src->tries, NATPMP_TRIES);
	/* A failed send is one more unanswered try: the retransmissions cover it. */
	if (send(src->fd, request, sizeof(request), 0) < 0)
		pr_debug("natpmp: send to %s: %s", fmt_ip4(src->gateway, a), strerror(errno));
}

static void start_exchange(struct natpmp_source *src, __u64 now)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(NATPMP_PORT) };
	int err = gateway_now(&src->gateway);

	if (err == -ENETUNREACH) {
		src->gateway = 0;
		natpmp_failed(src, now, "no default gateway");
		return;
	}
	if (err) {
		src->gateway = 0;
		natpmp_failed(src, now, "couldn't read /proc/net/route: %s", strerror(-err));
		return;
	}
	to.sin_addr.s_addr = src->gateway;
	src->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (src->fd < 0 || connect(src->fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		natpmp_failed(src, now, "couldn't open a socket to the gateway: %s",
			      strerror(errno));
		return;
	}
	src->asking = true;
	src->tries = 0;
	send_request(src, now);
}

/* A reply or an announcement from the gateway. 1 with *addr set when it gave an address. */
static int natpmp_answer(struct natpmp_source *src, const struct natpmp_reply *reply,
			 bool announced, __u64 now, __be32 *addr)
{
	char a[INET_ADDRSTRLEN];
	bool restarted = src->has_epoch &&
			 natpmp_epoch_went_back(src->epoch, src->epoch_at, reply->epoch, now);

	if (restarted)
		pr_info("natpmp: the gateway %s restarted (its epoch went from %u to %u s)",
			fmt_ip4(src->gateway, a), src->epoch, reply->epoch);
	src->has_epoch = true;
	src->epoch = reply->epoch;
	src->epoch_at = now;
	if (reply->result) {
		natpmp_failed(src, now, "the gateway %s answered: %s", fmt_ip4(src->gateway, a),
			      natpmp_result_text(reply->result));
		return 0;
	}
	end_exchange(src);
	if (src->failures)
		pr_info("natpmp: the gateway %s answers again", fmt_ip4(src->gateway, a));
	src->failures = 0;
	src->last_why[0] = '\0';
	/* A gateway that restarted may not have its final address yet. */
	src->next_at = now + (restarted ? WATCH_BACKOFF_FIRST_MS : NATPMP_REASK_MS);
	pr_debug("natpmp: %s %s", announced ? "the gateway announced" : "the gateway answered",
		 fmt_ip4(reply->addr, a));
	*addr = reply->addr;
	return 1;
}

static int read_reply(struct natpmp_source *src, __u64 now, __be32 *addr)
{
	unsigned char buf[64];
	struct natpmp_reply reply;
	char a[INET_ADDRSTRLEN];
	ssize_t n;

	for (int i = 0; i < 16; i++) {
		n = recv(src->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			/* ICMP port unreachable, reported on the connected socket */
			if (errno == ECONNREFUSED)
				natpmp_failed(src, now, "the gateway %s has no NAT-PMP service "
					      "(port %d unreachable)", fmt_ip4(src->gateway, a),
					      NATPMP_PORT);
			return 0;
		}
		if (!natpmp_parse(buf, n, &reply))
			return natpmp_answer(src, &reply, false, now, addr);
		pr_debug("natpmp: ignoring a packet of %zd bytes from %s", n, fmt_ip4(src->gateway, a));
	}
	return 0;
}

static int read_announcement(struct natpmp_source *src, __u64 now, __be32 *addr)
{
	struct sockaddr_in from;
	socklen_t from_len = sizeof(from);
	unsigned char buf[64];
	struct natpmp_reply reply;
	char a[INET_ADDRSTRLEN];
	__be32 gateway;
	ssize_t n;

	n = recvfrom(src->announce_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);
	if (n < 0 || natpmp_parse(buf, n, &reply))
		return 0;
	/* Section 3.2.1: only the configured gateway's announcements count. */
	if (gateway_now(&gateway) || from.sin_addr.s_addr != gateway ||
	    from.sin_port != htons(NATPMP_PORT)) {
		pr_debug("natpmp: ignoring an announcement from %s, not the gateway",
			 fmt_ip4(from.sin_addr.s_addr, a));
		return 0;
	}
	src->gateway = gateway;
	return natpmp_answer(src, &reply, true, now, addr);
}

static int natpmp_poll_fds(struct watch_source *s, struct pollfd *fds)
{
	struct natpmp_source *src = natpmp_of(s);
	int n = 0;

	if (src->announce_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = src->announce_fd, .events = POLLIN };
	if (src->fd >= 0)
		fds[n++] = (struct pollfd){ .fd = src->fd, .events = POLLIN };
	return n;
}

static __u64 natpmp_deadline(struct watch_source *s)
{
	return natpmp_of(s)->next_at;
}

static int natpmp_run(struct watch_source *s, const struct pollfd *fds, int n, __u64 now,
		      __be32 *addr)
{
	struct natpmp_source *src = natpmp_of(s);
	char a[INET_ADDRSTRLEN];
	int found = 0;

	for (int i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].fd == src->announce_fd)
			found |= read_announcement(src, now, addr);
		else if (fds[i].fd == src->fd && src->asking)
			found |= read_reply(src, now, addr);
	}
	if (found || now < src->next_at)
		return found;
	if (!src->asking)
		start_exchange(src, now);
	else if (src->tries < NATPMP_TRIES)
		send_request(src, now);
	else
		natpmp_failed(src, now, "no answer from the gateway %s after %d tries",
			      fmt_ip4(src->gateway, a), NATPMP_TRIES);
	return 0;
}

static void natpmp_ask(struct watch_source *s, __u64 now)
{
	struct natpmp_source *src = natpmp_of(s);

	/* A new exchange at once, with the gateway of the moment, from the first try. */
	end_exchange(src);
	src->next_at = now;
}

static void natpmp_destroy(struct watch_source *s)
{
	struct natpmp_source *src = natpmp_of(s);

	end_exchange(src);
	if (src->announce_fd >= 0)
		close(src->announce_fd);
	free(src);
}

/*
 * The gateway's announcements. Every host is a member of 224.0.0.1 on every multicast
 * interface, and a socket receives the groups of its host (IP_MULTICAST_ALL): no join is
 * needed. Bound to the group's address, it gets nothing else. Other NAT-PMP clients on this
 * host may listen too (SO_REUSEADDR).
 */
static int announce_socket(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(NATPMP_ANNOUNCE_PORT) };
	int one = 1, fd;

	inet_pton(AF_INET, NATPMP_ALL_HOSTS, &sa.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		pr_warn("natpmp: couldn't listen for the gateway's announcements on %s:%d (%s): "
			"asking every %d s only", NATPMP_ALL_HOSTS, NATPMP_ANNOUNCE_PORT,
			strerror(errno), NATPMP_REASK_MS / 1000);
		close(fd);
		return -1;
	}
	return fd;
}

struct watch_source *natpmp_source_new(void)
{
	struct natpmp_source *src = calloc(1, sizeof(*src));

	if (!src) {
		pr_warn("out of memory");
		return NULL;
	}
	snprintf(src->base.label, sizeof(src->base.label), "natpmp");
	src->base.poll_fds = natpmp_poll_fds;
	src->base.deadline = natpmp_deadline;
	src->base.run = natpmp_run;
	src->base.ask = natpmp_ask;
	src->base.destroy = natpmp_destroy;
	src->fd = -1;
	src->announce_fd = announce_socket();
	return &src->base;
}

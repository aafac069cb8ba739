// SPDX-License-Identifier: GPL-2.0
/*
 * PublicAddressFrom = natpmp: the default gateway's external address, asked with NAT-PMP
 * (RFC 6886) public address requests (opcode 0) to its UDP port 5351; the answers are read
 * by natpmp_parse() (natpmp.c).
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
 *   backoff_ms().
 * - Section 3.6: when the gateway's epoch went back it restarted, and may not have its final
 *   address yet (its WAN link comes up after its NAT-PMP service): it is asked again soon.
 *
 * Two sockets, the announcements' and the exchange's (made anew for each exchange, with the
 * gateway of the moment), behind one epoll fd: the source's fd, readable when either is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backoff.h"
#include "format.h"
#include "log.h"
#include "natpmp.h"
#include "source.h"

#define NATPMP_ALL_HOSTS "224.0.0.1"

struct natpmp_source {
	struct source base;	/* base.fd: the epoll fd over the two sockets */
	int fd;			/* connected to the gateway while an exchange runs, else -1 */
	int announce_fd;	/* 224.0.0.1:5350, -1 when that could not be bound */
	char announce_error[SOURCE_TEXT_MAX];	/* why, said at the first step */
	__be32 gateway;		/* of the exchange under way, or of the last one */
	bool asking;		/* an exchange runs */
	int tries;		/* requests sent in it */
	__u64 next_at;		/* the next request: a retransmission or a new exchange */
	unsigned int failures;	/* in a row */
	bool has_epoch;
	__u32 epoch;		/* of the last packet from the gateway */
	__u64 epoch_at;		/* and when it came */
};

static struct natpmp_source *natpmp_of(struct source *s)
{
	return (struct natpmp_source *)s;
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
	/* Closing it takes it out of the epoll set: its only reference is this fd. */
	if (src->fd >= 0)
		close(src->fd);
	src->fd = -1;
	src->asking = false;
}

/* The exchange failed for the reason @fmt says: try again after a while. */
static void natpmp_failed(struct natpmp_source *src, __u64 now, struct source_events *out,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void natpmp_failed(struct natpmp_source *src, __u64 now, struct source_events *out,
			  const char *fmt, ...)
{
	struct source_event *ev = source_event_add(out, SOURCE_FAILED);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev->text, sizeof(ev->text), fmt, ap);
	va_end(ap);
	end_exchange(src);
	src->next_at = now + backoff_ms(++src->failures);
	ev->retry_at = src->next_at;
	ev->failures = src->failures;
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

static void start_exchange(struct natpmp_source *src, __u64 now, struct source_events *out)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(NATPMP_PORT) };
	struct epoll_event ee = { .events = EPOLLIN };
	int err = gateway_now(&src->gateway);

	if (err == -ENETUNREACH) {
		src->gateway = 0;
		natpmp_failed(src, now, out, "no default gateway");
		return;
	}
	if (err) {
		src->gateway = 0;
		natpmp_failed(src, now, out, "couldn't read /proc/net/route: %s", strerror(-err));
		return;
	}
	to.sin_addr.s_addr = src->gateway;
	src->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (src->fd < 0 || connect(src->fd, (struct sockaddr *)&to, sizeof(to)) < 0 ||
	    epoll_ctl(src->base.fd, EPOLL_CTL_ADD, src->fd, &ee) < 0) {
		natpmp_failed(src, now, out, "couldn't open a socket to the gateway: %s",
			      strerror(errno));
		return;
	}
	src->asking = true;
	src->tries = 0;
	send_request(src, now);
}

/* A reply or an announcement from the gateway. */
static void natpmp_answer(struct natpmp_source *src, const struct natpmp_reply *reply,
			  bool announced, __u64 now, struct source_events *out)
{
	char a[INET_ADDRSTRLEN];
	bool restarted = src->has_epoch &&
			 natpmp_epoch_went_back(src->epoch, src->epoch_at, reply->epoch, now);
	struct source_event *ev;

	if (restarted) {
		ev = source_event_add(out, SOURCE_NOTICE);
		snprintf(ev->text, sizeof(ev->text),
			 "the gateway %s restarted (its epoch went from %u to %u s)",
			 fmt_ip4(src->gateway, a), src->epoch, reply->epoch);
	}
	src->has_epoch = true;
	src->epoch = reply->epoch;
	src->epoch_at = now;
	if (reply->result) {
		natpmp_failed(src, now, out, "the gateway %s answered: %s",
			      fmt_ip4(src->gateway, a), natpmp_result_text(reply->result));
		return;
	}
	end_exchange(src);
	if (src->failures) {
		ev = source_event_add(out, SOURCE_NOTICE);
		snprintf(ev->text, sizeof(ev->text), "the gateway %s answers again",
			 fmt_ip4(src->gateway, a));
	}
	src->failures = 0;
	/* A gateway that restarted may not have its final address yet. */
	src->next_at = now + (restarted ? BACKOFF_FIRST_MS : NATPMP_REASK_MS);
	pr_debug("natpmp: %s %s", announced ? "the gateway announced" : "the gateway answered",
		 fmt_ip4(reply->addr, a));
	ev = source_event_add(out, SOURCE_ADDRESS);
	ev->addr = reply->addr;
}

/* The exchange's socket: true when it ended the exchange (an answer, a refusal). */
static bool read_reply(struct natpmp_source *src, __u64 now, struct source_events *out)
{
	unsigned char buf[64];
	struct natpmp_reply reply;
	char a[INET_ADDRSTRLEN];
	ssize_t n;

	for (int i = 0; i < 16; i++) {
		n = recv(src->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno != ECONNREFUSED)
				return false;
			/* ICMP port unreachable, reported on the connected socket */
			natpmp_failed(src, now, out, "the gateway %s has no NAT-PMP service "
				      "(port %d unreachable)", fmt_ip4(src->gateway, a), NATPMP_PORT);
			return true;
		}
		if (!natpmp_parse(buf, n, &reply)) {
			natpmp_answer(src, &reply, false, now, out);
			return true;
		}
		pr_debug("natpmp: ignoring a packet of %zd bytes from %s", n, fmt_ip4(src->gateway, a));
	}
	return false;
}

/* The announcements' socket: true when it took one as the answer. */
static bool read_announcement(struct natpmp_source *src, __u64 now, struct source_events *out)
{
	unsigned char buf[64];
	struct natpmp_reply reply;
	char a[INET_ADDRSTRLEN];

	for (int i = 0; i < 16; i++) {
		struct sockaddr_in from;
		socklen_t from_len = sizeof(from);
		__be32 gateway;
		ssize_t n;

		n = recvfrom(src->announce_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &from_len);
		if (n < 0)
			return false;
		if (natpmp_parse(buf, n, &reply))
			continue;
		/* Section 3.2.1: only the configured gateway's announcements count. */
		if (gateway_now(&gateway) || from.sin_addr.s_addr != gateway ||
		    from.sin_port != htons(NATPMP_PORT)) {
			pr_debug("natpmp: ignoring an announcement from %s, not the gateway",
				 fmt_ip4(from.sin_addr.s_addr, a));
			continue;
		}
		src->gateway = gateway;
		natpmp_answer(src, &reply, true, now, out);
		return true;
	}
	return false;
}

static void natpmp_step(struct source *s, __u64 now, __be32 current, struct source_events *out)
{
	struct natpmp_source *src = natpmp_of(s);
	char a[INET_ADDRSTRLEN];

	if (src->announce_error[0]) {
		struct source_event *ev = source_event_add(out, SOURCE_WARNING);

		memcpy(ev->text, src->announce_error, sizeof(ev->text));
		src->announce_error[0] = '\0';
	}
	/*
	 * One answer a step: what it reports stays within SOURCE_MAX_EVENTS, and a packet left
	 * unread keeps the fd readable, so the caller steps again.
	 */
	if (src->announce_fd >= 0 && read_announcement(src, now, out))
		return;
	if (src->asking && read_reply(src, now, out))
		return;
	if (now < src->next_at)
		return;
	if (!src->asking)
		start_exchange(src, now, out);
	else if (src->tries < NATPMP_TRIES)
		send_request(src, now);
	else
		natpmp_failed(src, now, out, "no answer from the gateway %s after %d tries",
			      fmt_ip4(src->gateway, a), NATPMP_TRIES);
}

static __u64 natpmp_deadline(const struct source *s)
{
	return ((const struct natpmp_source *)s)->next_at;
}

static void natpmp_ask(struct source *s, __u64 now)
{
	struct natpmp_source *src = natpmp_of(s);

	/* A new exchange at once, with the gateway of the moment, from the first try. */
	end_exchange(src);
	src->next_at = now;
}

static void natpmp_close(struct source *s)
{
	struct natpmp_source *src = natpmp_of(s);

	end_exchange(src);
	if (src->announce_fd >= 0)
		close(src->announce_fd);
	close(s->fd);
	free(src);
}

static const struct source_ops natpmp_ops = {
	.step = natpmp_step,
	.deadline = natpmp_deadline,
	.ask = natpmp_ask,
	.close = natpmp_close,
};

/*
 * The gateway's announcements. Every host is a member of 224.0.0.1 on every multicast
 * interface, and a socket receives the groups of its host (IP_MULTICAST_ALL): no join is
 * needed. Bound to the group's address, it gets nothing else. Other NAT-PMP clients on this
 * host may listen too (SO_REUSEADDR). Without it the source still works, from its questions:
 * -1, with @why set.
 */
static int announce_socket(int epoll_fd, char *why, size_t why_len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(NATPMP_ANNOUNCE_PORT) };
	struct epoll_event ee = { .events = EPOLLIN };
	int one = 1, fd;

	inet_pton(AF_INET, NATPMP_ALL_HOSTS, &sa.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ee) < 0) {
		snprintf(why, why_len, "couldn't listen for the gateway's announcements on %s:%d "
			 "(%s): asking every %d s only", NATPMP_ALL_HOSTS, NATPMP_ANNOUNCE_PORT,
			 strerror(errno), NATPMP_REASK_MS / 1000);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct source *natpmp_source_open(char *err, size_t err_len)
{
	struct natpmp_source *src = calloc(1, sizeof(*src));

	if (!src) {
		snprintf(err, err_len, "natpmp: out of memory");
		return NULL;
	}
	src->base.ops = &natpmp_ops;
	snprintf(src->base.label, sizeof(src->base.label), "natpmp");
	src->base.fd = epoll_create1(EPOLL_CLOEXEC);
	if (src->base.fd < 0) {
		snprintf(err, err_len, "natpmp: couldn't make an epoll fd for its sockets: %s",
			 strerror(errno));
		free(src);
		return NULL;
	}
	src->fd = -1;
	src->announce_fd = announce_socket(src->base.fd, src->announce_error,
					   sizeof(src->announce_error));
	return &src->base;
}

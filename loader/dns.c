// SPDX-License-Identifier: GPL-2.0
/*
 * PublicAddressFrom = dns:NAME: the dynamic-DNS name that the clients dial, asked for its A
 * records with the system's resolver (glibc's res_nquery(), so /etc/resolv.conf applies,
 * without its search list) and asked again when the TTL of the answer runs out, clamped to
 * [DNS_TTL_MIN_S, DNS_TTL_MAX_S]. A failure (no answer, SERVFAIL, NXDOMAIN, no A record) keeps
 * the last good address and is retried after watch_backoff_ms().
 *
 * res_nquery() blocks for as long as the resolver's timeouts and attempts say (resolv.conf:
 * 5 s, twice, per nameserver, by default). It runs in a thread of its own, one per query, that
 * writes its result into a pipe: the poll loop, and with it SIGTERM, never waits for a
 * resolver.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "watch.h"

struct dns_result {
	int err;	/* 0, -EAGAIN (h_errno in herr), or dns_parse_a()'s */
	int herr;
	__be32 addr;
	__u32 ttl;
};

struct dns_job {
	char name[HP_CONFIG_DNS_NAME_MAX + 1];
	__be32 current;
	int fd;		/* the pipe's write end */
};

struct dns_source {
	struct watch_source base;
	char name[HP_CONFIG_DNS_NAME_MAX + 1];
	int pipe[2];
	bool busy;		/* a query's thread runs */
	bool ask_again;		/* SIGHUP came while it ran */
	__u64 next_at;
	unsigned int failures;	/* in a row */
	char last_why[96];	/* of the last failure: a new reason is worth a warning */
};

static struct dns_source *dns_of(struct watch_source *s)
{
	return (struct dns_source *)s;
}

__u32 dns_clamp_ttl(__u32 ttl)
{
	if (ttl < DNS_TTL_MIN_S)
		return DNS_TTL_MIN_S;
	return ttl > DNS_TTL_MAX_S ? DNS_TTL_MAX_S : ttl;
}

int dns_parse_a(const unsigned char *msg, int len, __be32 current, __be32 *addr, __u32 *ttl)
{
	__u32 min_ttl = (__u32)-1;
	__be32 first = 0;
	bool found = false, has_current = false;
	ns_msg handle;
	ns_rr rr;

	if (len < 0 || ns_initparse(msg, len, &handle) < 0)
		return -EBADMSG;
	for (int i = 0; i < ns_msg_count(handle, ns_s_an); i++) {
		__be32 a;

		if (ns_parserr(&handle, ns_s_an, i, &rr) < 0)
			return -EBADMSG;
		/* A CNAME's TTL bounds the answer as much as the A record's. */
		if (ns_rr_ttl(rr) < min_ttl)
			min_ttl = ns_rr_ttl(rr);
		if (ns_rr_class(rr) != ns_c_in || ns_rr_type(rr) != ns_t_a ||
		    ns_rr_rdlen(rr) != sizeof(a))
			continue;
		memcpy(&a, ns_rr_rdata(rr), sizeof(a));
		if (!found)
			first = a;
		if (current && a == current)
			has_current = true;
		found = true;
	}
	if (!found)
		return -ENODATA;
	*addr = has_current ? current : first;
	*ttl = min_ttl;
	return 0;
}

static void *dns_query_thread(void *arg)
{
	struct dns_job *job = arg;
	struct dns_result result = { .err = -EAGAIN, .herr = NETDB_INTERNAL };
	/* NS_MAXMSG: whatever size the answer, also one the resolver fetched over TCP. */
	unsigned char *answer = malloc(NS_MAXMSG);
	struct __res_state res;

	memset(&res, 0, sizeof(res));
	if (answer && res_ninit(&res) == 0) {
		int len = res_nquery(&res, job->name, ns_c_in, ns_t_a, answer, NS_MAXMSG);

		if (len < 0)
			result.herr = res.res_h_errno;
		else
			result.err = dns_parse_a(answer, len < NS_MAXMSG ? len : NS_MAXMSG,
						 job->current, &result.addr, &result.ttl);
		res_nclose(&res);
	}
	/* One write of a few bytes into a pipe is atomic; EPIPE once watch has stopped. */
	if (write(job->fd, &result, sizeof(result)) < 0) {
		/* nothing to tell anyone */
	}
	free(answer);
	free(job);
	return NULL;
}

static void dns_start(struct dns_source *src, __u64 now)
{
	struct dns_job *job = calloc(1, sizeof(*job));
	pthread_attr_t attr;
	pthread_t thread;
	int err = ENOMEM;

	if (job) {
		memcpy(job->name, src->name, sizeof(job->name));
		job->current = src->base.current;
		job->fd = src->pipe[1];
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		err = pthread_create(&thread, &attr, dns_query_thread, job);
		pthread_attr_destroy(&attr);
	}
	if (err) {
		free(job);
		src->next_at = now + watch_backoff_ms(++src->failures);
		pr_warn("%s: couldn't start a query: %s", src->base.label, strerror(err));
		return;
	}
	pr_debug("%s: asking the resolver", src->base.label);
	src->busy = true;
}

static const char *dns_failure_text(const struct dns_result *r)
{
	switch (r->err) {
	case -ENODATA:
		return "the answer has no IPv4 address (no A record)";
	case -EBADMSG:
		return "the answer does not parse";
	}
	switch (r->herr) {
	case HOST_NOT_FOUND:
		return "no such name (NXDOMAIN)";
	case NO_DATA:
		return "the name has no IPv4 address (no A record)";
	case TRY_AGAIN:
		return "no answer from the resolver (timeout or server failure)";
	case NO_RECOVERY:
		return "the resolver refused the query or failed";
	default:
		return "the resolver failed (is there a nameserver in /etc/resolv.conf?)";
	}
}

static int dns_finish(struct dns_source *src, __u64 now, __be32 *addr)
{
	struct watch_source *s = &src->base;
	struct dns_result r;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	ssize_t n = read(src->pipe[0], &r, sizeof(r));

	if (n != sizeof(r))
		return 0;	/* EAGAIN: not done yet */
	src->busy = false;
	if (!r.err) {
		__u32 wait = dns_clamp_ttl(r.ttl);

		if (src->failures)
			pr_info("%s: the resolver answers again", s->label);
		src->failures = 0;
		src->last_why[0] = '\0';
		src->next_at = now + (__u64)wait * 1000;
		pr_debug("%s: %s, TTL %u s: asking again in %u s", s->label,
			 inet_ntop(AF_INET, &r.addr, a, sizeof(a)), r.ttl, wait);
		*addr = r.addr;
		return 1;
	}
	src->next_at = now + watch_backoff_ms(++src->failures);
	if (strcmp(src->last_why, dns_failure_text(&r))) {
		snprintf(src->last_why, sizeof(src->last_why), "%s", dns_failure_text(&r));
		pr_warn("%s: %s: keeping %s, asking again in %llu s", s->label, src->last_why,
			s->current ? inet_ntop(AF_INET, &s->current, b, sizeof(b)) : "none",
			(unsigned long long)(src->next_at - now) / 1000);
	} else {
		pr_debug("%s: %s (%u failures in a row): asking again in %llu s", s->label,
			 src->last_why, src->failures,
			 (unsigned long long)(src->next_at - now) / 1000);
	}
	return 0;
}

static int dns_poll_fds(struct watch_source *s, struct pollfd *fds)
{
	fds[0] = (struct pollfd){ .fd = dns_of(s)->pipe[0], .events = POLLIN };
	return 1;
}

static __u64 dns_deadline(struct watch_source *s)
{
	struct dns_source *src = dns_of(s);

	return src->busy ? WATCH_NEVER : src->next_at;
}

static int dns_run(struct watch_source *s, const struct pollfd *fds, int n, __u64 now,
		   __be32 *addr)
{
	struct dns_source *src = dns_of(s);
	int found = 0;

	if (src->busy && n > 0 && fds[0].revents)
		found = dns_finish(src, now, addr);
	if (!src->busy && src->ask_again) {
		src->ask_again = false;
		src->next_at = now;
	}
	if (!src->busy && now >= src->next_at)
		dns_start(src, now);
	return found;
}

static void dns_ask(struct watch_source *s, __u64 now)
{
	struct dns_source *src = dns_of(s);

	if (src->busy)
		src->ask_again = true;
	else
		src->next_at = now;
}

static void dns_destroy(struct watch_source *s)
{
	struct dns_source *src = dns_of(s);

	/*
	 * A query's thread that still runs keeps writing to pipe[1]: left open (watch is
	 * exiting), so that its number is never reused under the thread. With pipe[0] closed,
	 * its write fails with EPIPE (SIGPIPE is ignored) and it ends.
	 */
	close(src->pipe[0]);
	if (!src->busy)
		close(src->pipe[1]);
	free(src);
}

struct watch_source *dns_source_new(const char *name)
{
	struct dns_source *src = calloc(1, sizeof(*src));

	if (!src) {
		pr_warn("out of memory");
		return NULL;
	}
	snprintf(src->base.label, sizeof(src->base.label), "dns:%s", name);
	snprintf(src->name, sizeof(src->name), "%s", name);
	src->base.poll_fds = dns_poll_fds;
	src->base.deadline = dns_deadline;
	src->base.run = dns_run;
	src->base.ask = dns_ask;
	src->base.destroy = dns_destroy;
	if (pipe2(src->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		pr_warn("%s: pipe: %s", src->base.label, strerror(errno));
		free(src);
		return NULL;
	}
	return &src->base;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * PublicAddressFrom = dns:NAME: the dynamic-DNS name that the clients dial, asked for its A
 * records with the system's resolver (glibc's res_nquery(), so /etc/resolv.conf applies,
 * without its search list) and asked again when the TTL of the answer runs out, clamped to
 * [DNS_TTL_MIN_S, DNS_TTL_MAX_S]. A failure (no answer, SERVFAIL, NXDOMAIN, no A record) is
 * asked again after backoff_ms(); the answer is read by dns_parse_a() (dns.c).
 *
 * res_nquery() blocks for as long as the resolver's timeouts and attempts say (resolv.conf:
 * 5 s, twice, per nameserver, by default). It runs in a thread of its own, one per query,
 * which writes its result into a pipe: the pipe's read end is the source's fd, so the
 * caller's loop, and with it SIGTERM, never waits for a resolver.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "dns.h"
#include "format.h"
#include "log.h"
#include "source.h"

struct dns_result {
	int err;	/* 0, -EAGAIN (h_errno in herr), or dns_parse_a()'s */
	int herr;
	__be32 addr;
	__u32 ttl;
};

struct dns_job {
	char name[HP_CONFIG_DNS_NAME_MAX + 1];
	__be32 current;
	int fd;		/* the thread's own copy of the pipe's write end, closed by it */
};

struct dns_source {
	struct source base;	/* base.fd: the pipe's read end */
	char name[HP_CONFIG_DNS_NAME_MAX + 1];
	int pipe_w;
	bool busy;		/* a query's thread runs */
	bool ask_again;		/* source_ask() came while it ran */
	__u64 next_at;
	unsigned int failures;	/* in a row */
};

static struct dns_source *dns_of(struct source *s)
{
	return (struct dns_source *)s;
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
	/* One write of a few bytes into a pipe is atomic; EPIPE once the source is closed. */
	if (write(job->fd, &result, sizeof(result)) < 0) {
		/* nothing to tell anyone */
	}
	close(job->fd);
	free(answer);
	free(job);
	return NULL;
}

static void dns_failed(struct dns_source *src, __u64 now, struct source_events *out,
		       const char *why, const char *detail)
{
	struct source_event *ev = source_event_add(out, SOURCE_FAILED);

	src->next_at = now + backoff_ms(++src->failures);
	ev->retry_at = src->next_at;
	ev->failures = src->failures;
	snprintf(ev->text, sizeof(ev->text), "%s%s", why, detail);
}

static void dns_start(struct dns_source *src, __u64 now, __be32 current,
		      struct source_events *out)
{
	struct dns_job *job = calloc(1, sizeof(*job));
	sigset_t all, mask;
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	if (!job) {
		err = ENOMEM;
		goto fail;
	}
	memcpy(job->name, src->name, sizeof(job->name));
	job->current = current;
	/*
	 * The thread writes to a copy of the write end that it closes itself: a thread that
	 * outlives the source never writes into a number that was closed and used again.
	 */
	job->fd = fcntl(src->pipe_w, F_DUPFD_CLOEXEC, 0);
	if (job->fd < 0) {
		err = errno;
		goto fail_free;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/*
	 * The thread takes no signal: the caller's are its loop's, and the SIGPIPE of a write
	 * after source_close() stays pending on the thread and ends with it.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	err = pthread_create(&thread, &attr, dns_query_thread, job);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	pthread_attr_destroy(&attr);
	if (err)
		goto fail_close;
	pr_debug("%s: asking the resolver", src->base.label);
	src->busy = true;
	return;

fail_close:
	close(job->fd);
fail_free:
	free(job);
fail:
	dns_failed(src, now, out, "couldn't start a query: ", strerror(err));
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

/* The query's thread is done: its result. */
static void dns_finish(struct dns_source *src, const struct dns_result *r, __u64 now,
		       struct source_events *out)
{
	struct source_event *ev;
	char a[INET_ADDRSTRLEN];
	__u32 wait;

	src->busy = false;
	if (r->err) {
		dns_failed(src, now, out, dns_failure_text(r), "");
		return;
	}
	if (src->failures) {
		ev = source_event_add(out, SOURCE_NOTICE);
		snprintf(ev->text, sizeof(ev->text), "the resolver answers again");
	}
	src->failures = 0;
	wait = dns_clamp_ttl(r->ttl);
	src->next_at = now + (__u64)wait * 1000;
	pr_debug("%s: %s, TTL %u s: asking again in %u s", src->base.label,
		 fmt_ip4(r->addr, a), r->ttl, wait);
	ev = source_event_add(out, SOURCE_ADDRESS);
	ev->addr = r->addr;
}

static void dns_step(struct source *s, __u64 now, __be32 current, struct source_events *out)
{
	struct dns_source *src = dns_of(s);
	struct dns_result r;

	if (src->busy && read(s->fd, &r, sizeof(r)) == sizeof(r))
		dns_finish(src, &r, now, out);
	if (!src->busy && src->ask_again) {
		src->ask_again = false;
		src->next_at = now;
	}
	if (!src->busy && now >= src->next_at)
		dns_start(src, now, current, out);
}

static __u64 dns_deadline(const struct source *s)
{
	const struct dns_source *src = (const struct dns_source *)s;

	return src->busy ? SOURCE_NEVER : src->next_at;
}

static void dns_ask(struct source *s, __u64 now)
{
	struct dns_source *src = dns_of(s);

	if (src->busy)
		src->ask_again = true;
	else
		src->next_at = now;
}

static void dns_close(struct source *s)
{
	struct dns_source *src = dns_of(s);

	/* A query's thread that still runs gets EPIPE for its result, and ends. */
	close(s->fd);
	close(src->pipe_w);
	free(src);
}

static const struct source_ops dns_ops = {
	.step = dns_step,
	.deadline = dns_deadline,
	.ask = dns_ask,
	.close = dns_close,
};

struct source *dns_source_open(const char *name, char *err, size_t err_len)
{
	struct dns_source *src = calloc(1, sizeof(*src));
	int fds[2];

	if (!src) {
		snprintf(err, err_len, "dns:%s: out of memory", name);
		return NULL;
	}
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, err_len, "dns:%s: couldn't make a pipe for its queries: %s", name,
			 strerror(errno));
		free(src);
		return NULL;
	}
	src->base.ops = &dns_ops;
	snprintf(src->base.label, sizeof(src->base.label), "dns:%s", name);
	snprintf(src->name, sizeof(src->name), "%s", name);
	src->base.fd = fds[0];
	src->pipe_w = fds[1];
	return &src->base;
}

// SPDX-License-Identifier: GPL-2.0
/* Following PublicAddressFrom (follow.h), for watch and run. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "follow.h"
#include "format.h"
#include "log.h"
#include "pins.h"
#include "public_addr.h"
#include "source.h"

#define RECONCILE_MS (60 * 1000)

static void instance_gone(struct follow *f)
{
	/* The daemon brings the instance up itself, when the network lets it. */
	if (f->owns_instance)
		pr_debug("%s: no instance yet to give the public address to", f->who);
	else if (!f->instance_missing)
		pr_warn("%s: no running instance: no config map pinned at %s/%s (waiting for "
			"`hairpin up')", f->who, f->pin_dir, hp_pin_names[HP_PIN_CONFIG]);
	f->instance_missing = true;
}

/* The source gave an address that can't be the public address: said once, and kept out. */
static void follow_refused(struct follow *f, __be32 addr, const char *why)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (f->refused != addr || !f->has_refused)
		pr_warn("%s gave %s, refused: it %s; keeping %s", source_label(f->source),
			fmt_ip4(addr, a), why, fmt_ip4(f->current, b));
	f->refused = addr;
	f->has_refused = true;
}

/* Make @addr the public address unless it already is; @quiet: a reconcile, not an answer. */
static void follow_apply(struct follow *f, __be32 addr, bool quiet)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	const char *label = source_label(f->source);
	const char *why = NULL;
	__be32 old = 0;
	int err;

	err = public_addr_get(f->pin_dir, &old);
	if (!err && old == addr) {
		if (f->instance_missing)
			pr_info("%s: the instance in %s is back", f->who, f->pin_dir);
		f->instance_missing = false;
		f->current = addr;
		f->last_good = addr;
		if (!quiet)
			pr_debug("public address stays %s (%s)", fmt_ip4(addr, a), label);
		return;
	}
	if (!err)
		err = public_addr_set(f->pin_dir, addr, &old, &why);
	switch (err) {
	case 0:
		f->instance_missing = false;
		pr_info("public address %s -> %s (%s)", fmt_ip4(old, a), fmt_ip4(addr, b), label);
		f->current = addr;
		f->last_good = addr;
		f->has_refused = false;
		break;
	case -ENOENT:
		/* Applied when the instance is back (the reconcile timer). */
		instance_gone(f);
		f->last_good = addr;
		break;
	case -EINVAL:
		follow_refused(f, addr, why);
		break;
	default:
		pr_warn("couldn't map %s/%s: %s", f->pin_dir, hp_pin_names[HP_PIN_CONFIG],
			strerror(-err));
	}
}

/* What the source said: an address is applied, the rest goes to the log. */
static void follow_event(struct follow *f, const struct source_event *ev, __u64 now)
{
	const char *label = source_label(f->source);
	char a[INET_ADDRSTRLEN], retry[48] = "", count[32] = "";

	switch (ev->type) {
	case SOURCE_ADDRESS:
		follow_apply(f, ev->addr, false);
		break;
	case SOURCE_FAILED:
		if (ev->retry_at != SOURCE_NEVER)
			snprintf(retry, sizeof(retry), ", asking again in %llu s",
				 (unsigned long long)(ev->retry_at - now) / 1000);
		if (ev->failures)
			snprintf(count, sizeof(count), " (%u failures in a row)", ev->failures);
		/* A new reason is worth a warning, the same one again not. */
		if (ev->repeated)
			pr_debug("%s: %s%s%s", label, ev->text, count, retry);
		else
			pr_warn("%s: %s: keeping %s%s", label, ev->text, fmt_ip4(f->current, a),
				retry);
		break;
	case SOURCE_NOTICE:
		pr_info("%s: %s", label, ev->text);
		break;
	case SOURCE_WARNING:
		pr_warn("%s: %s", label, ev->text);
		break;
	}
}

int follow_open(struct follow *f, const char *who, const char *pin_dir,
		enum hp_config_addr_from from, const char *name)
{
	char err_text[SOURCE_TEXT_MAX + 64];

	*f = (struct follow){ .who = who, .pin_dir = pin_dir };
	public_addr_get(pin_dir, &f->current);
	f->source = source_open(from, name, err_text, sizeof(err_text));
	if (!f->source) {
		pr_warn("%s", err_text);
		return -1;
	}
	f->reconcile_at = source_clock_ms() + RECONCILE_MS;
	return 0;
}

void follow_close(struct follow *f)
{
	if (f->source)
		source_close(f->source);
	f->source = NULL;
}

int follow_fd(const struct follow *f)
{
	return source_fd(f->source);
}

__u64 follow_deadline(const struct follow *f)
{
	__u64 due = source_deadline(f->source);

	return due < f->reconcile_at ? due : f->reconcile_at;
}

void follow_step(struct follow *f, __u64 now)
{
	struct source_events events;

	source_step(f->source, now, f->current, &events);
	for (int i = 0; i < events.n; i++)
		follow_event(f, &events.event[i], now);
	if (now >= f->reconcile_at) {
		if (f->last_good)
			follow_apply(f, f->last_good, true);
		f->reconcile_at = now + RECONCILE_MS;
	}
}

void follow_ask(struct follow *f, __u64 now)
{
	source_ask(f->source, now);
}

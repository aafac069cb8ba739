// SPDX-License-Identifier: GPL-2.0
/*
 * What every source shares, behind source.h: the choice of the implementation, and which
 * failures repeat the one before (a caller warns once per reason, not once per retry).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "source.h"

struct source *source_open(enum hp_config_addr_from from, const char *name, char *err,
			   size_t err_len)
{
	switch (from) {
	case HP_ADDR_FROM_DNS:
		return dns_source_open(name, err, err_len);
	case HP_ADDR_FROM_NATPMP:
		return natpmp_source_open(err, err_len);
	case HP_ADDR_FROM_INTERFACE:
		return interface_source_open(name, err, err_len);
	default:
		snprintf(err, err_len, "no source of the public address (PublicAddressFrom)");
		return NULL;
	}
}

const char *source_label(const struct source *s)
{
	return s->label;
}

int source_fd(const struct source *s)
{
	return s->fd;
}

__u64 source_deadline(const struct source *s)
{
	return s->ops->deadline(s);
}

int source_step(struct source *s, __u64 now, __be32 current, struct source_events *out)
{
	out->n = 0;
	s->ops->step(s, now, current, out);
	for (int i = 0; i < out->n; i++) {
		struct source_event *ev = &out->event[i];

		if (ev->type == SOURCE_ADDRESS) {
			s->last_failure[0] = '\0';
		} else if (ev->type == SOURCE_FAILED) {
			ev->repeated = !strcmp(ev->text, s->last_failure);
			memcpy(s->last_failure, ev->text, sizeof(s->last_failure));
		}
	}
	return out->n;
}

void source_ask(struct source *s, __u64 now)
{
	s->ops->ask(s, now);
}

void source_close(struct source *s)
{
	s->ops->close(s);
}

__u64 source_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

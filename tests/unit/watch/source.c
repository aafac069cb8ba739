// SPDX-License-Identifier: GPL-2.0
/*
 * What every source shares: the backoff (loader/backoff.c), and what loader/source.c adds to
 * their events.
 */
#include <string.h>

#include "backoff.h"
#include "source.h"
#include "test.h"

/* Retries after failures: 5 s doubling up to 5 min. */
TEST(watch_backoff)
{
	CHECK_EQ(backoff_ms(1), 5000, "1");
	CHECK_EQ(backoff_ms(2), 10000, "2");
	CHECK_EQ(backoff_ms(3), 20000, "3");
	CHECK_EQ(backoff_ms(6), 160000, "6");
	CHECK_EQ(backoff_ms(7), 300000, "7");
	CHECK_EQ(backoff_ms(1000), 300000, "1000");
	CHECK_EQ(backoff_ms(0), 5000, "0");
}

/* A source whose steps report what the test puts in @script, one event a step. */
struct scripted_source {
	struct source base;
	const struct source_event *script;
	int next;
};

static void scripted_step(struct source *s, __u64 now, __be32 current, struct source_events *out)
{
	struct scripted_source *src = (struct scripted_source *)s;
	const struct source_event *want = &src->script[src->next++];
	struct source_event *ev = source_event_add(out, want->type);

	ev->addr = want->addr;
	memcpy(ev->text, want->text, sizeof(ev->text));
}

static const struct source_ops scripted_ops = { .step = scripted_step };

/* A failure repeats the one before it until an answer comes between. */
TEST(watch_source_failure_repeated)
{
	static const struct source_event script[] = {
		{ .type = SOURCE_FAILED, .text = "no such name (NXDOMAIN)" },
		{ .type = SOURCE_FAILED, .text = "no such name (NXDOMAIN)" },
		{ .type = SOURCE_NOTICE, .text = "something else" },
		{ .type = SOURCE_FAILED, .text = "no such name (NXDOMAIN)" },
		{ .type = SOURCE_FAILED, .text = "no answer from the resolver" },
		{ .type = SOURCE_FAILED, .text = "no such name (NXDOMAIN)" },
		{ .type = SOURCE_ADDRESS, .addr = 1 },
		{ .type = SOURCE_FAILED, .text = "no such name (NXDOMAIN)" },
	};
	static const bool repeated[] = { false, true, false, true, false, false, false, false };
	struct scripted_source src = { .base.ops = &scripted_ops, .script = script };
	struct source_events out;

	for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		CHECK_EQ(source_step(&src.base, 0, 0, &out), 1, "one event");
		CHECK(out.event[0].repeated == repeated[i], "step %zu (%s): repeated %d", i,
		      script[i].text, out.event[0].repeated);
	}
}

/* A step never writes past SOURCE_MAX_EVENTS: the last event is overwritten. */
TEST(watch_source_events_bounded)
{
	struct source_events out = { 0 };

	for (int i = 0; i < SOURCE_MAX_EVENTS + 3; i++)
		source_event_add(&out, SOURCE_NOTICE)->addr = i;
	CHECK_EQ(out.n, SOURCE_MAX_EVENTS, "events");
	CHECK_EQ(out.event[SOURCE_MAX_EVENTS - 1].addr, SOURCE_MAX_EVENTS + 2, "the last overwritten");
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the resident commands' poll loops share (`watch`, `run`): signals read from a signalfd,
 * and poll()'s timeout for a deadline on source_clock_ms()'s clock.
 */
#ifndef HP_LOOP_H
#define HP_LOOP_H

#include <linux/types.h>

/*
 * SIGTERM, SIGINT and SIGHUP blocked and delivered through the returned signalfd instead, so
 * that they arrive in the poll loop, between two steps, never inside one. -1 after printing
 * why (@who: "watch").
 */
int loop_signals_open(const char *who);

/* poll()'s timeout until @due (never more than an hour; 0 when it is past). */
int loop_timeout_ms(__u64 now, __u64 due);

#endif

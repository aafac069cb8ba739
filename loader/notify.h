/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sd_notify(3), the few lines of it a service needs: "READY=1", "STATUS=...", "STOPPING=1" sent
 * as one datagram to the AF_UNIX socket that systemd names in NOTIFY_SOCKET (a path, or an
 * abstract name when it starts with '@'). Without NOTIFY_SOCKET (not started by systemd with
 * Type=notify) it does nothing. libsystemd would do the same with a library more.
 */
#ifndef HP_NOTIFY_H
#define HP_NOTIFY_H

/* Send @state ("READY=1\nSTATUS=attached to lan0"). 0, or -errno (nothing printed). */
int notify_send(const char *state);

/*
 * How often systemd wants "WATCHDOG=1" (WatchdogSec=, passed as WATCHDOG_USEC for the process
 * WATCHDOG_PID names, or any when unset), in milliseconds: half the watchdog's time, as
 * sd_watchdog_enabled(3) advises. 0: no watchdog.
 */
unsigned long long notify_watchdog_ms(void);

#endif

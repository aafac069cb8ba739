// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>

#include "log.h"
#include "loop.h"

int loop_signals_open(const char *who)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		pr_warn("%s: signalfd: %s", who, strerror(errno));
		return -1;
	}
	return fd;
}

int loop_timeout_ms(__u64 now, __u64 due)
{
	if (due <= now)
		return 0;
	return due - now > 60 * 60 * 1000 ? 60 * 60 * 1000 : (int)(due - now);
}

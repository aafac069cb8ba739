/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the daemon (`hairpin run`) tells `status`: that it runs, on which configuration, and
 * what it waits for. A small text file in HP_LOCK_DIR beside the instance's lock
 * ("sys-fs-bpf-hairpin.run"), which the daemon holds locked (flock) for its whole life: the
 * kernel releases the lock when the process ends however it ends, so a file whose lock is free
 * is a daemon's that is gone (SIGKILL), never one that runs. It says nothing of what is
 * attached: status reads that from the kernel.
 */
#ifndef HP_RUN_STATE_H
#define HP_RUN_STATE_H

#include <limits.h>
#include <stdbool.h>

#define RUN_STATE_MAX_WAITING 8
#define RUN_STATE_TEXT 512

struct run_state {
	int pid;
	char config[PATH_MAX];
	bool ready;		/* converged as far as the network lets it */
	char waiting[RUN_STATE_MAX_WAITING][RUN_STATE_TEXT];	/* what it waits for */
	int n_waiting;
};

/*
 * run_state_claim() - the daemon's state file of @pin_dir, created and locked for this process:
 * an fd to write with run_state_write() and to hold, its path into @path. -EBUSY after saying
 * which daemon holds it; -errno after printing why.
 */
int run_state_claim(const char *pin_dir, char *path, size_t len);
/* Write @st over the file's contents. 0 or -errno. */
int run_state_write(int fd, const struct run_state *st);
/* The daemon ends: the file goes, then its lock. */
void run_state_release(int fd, const char *path);

/*
 * run_state_read() - the state of the daemon of @pin_dir. Return: 0; -ENOENT when no daemon
 * runs (no file, or one whose lock is free: *stale_pid then names the process it was, else 0);
 * -errno.
 */
int run_state_read(const char *pin_dir, struct run_state *st, int *stale_pid);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the daemon (`hairpin run`) tells `status`: that it runs, on which configuration, and
 * what it waits for. A small text file in HP_LOCK_DIR beside the instance's lock
 * ("sys-fs-bpf-hairpin.run"), replaced whole (rename) at each change, and a lock file
 * ("sys-fs-bpf-hairpin.daemon") that the daemon holds locked (flock) for its whole life: the
 * kernel releases the lock when the process ends however it ends, so a state whose lock is
 * free is a daemon's that is gone (SIGKILL), never one that runs. It says nothing of what is
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
 * run_state_claim() - the daemon's lock of @pin_dir, taken for this process: an fd to hold; the
 * path of its state file into @path. -EBUSY after saying which daemon holds it; -errno after
 * printing why.
 */
int run_state_claim(const char *pin_dir, char *path, size_t len);
/* Replace the state file at @path with @st. 0 or -errno. */
int run_state_write(const char *path, const struct run_state *st);
/* The daemon ends: the state file goes, then the lock (@fd). */
void run_state_release(int fd, const char *path);

/*
 * run_state_read() - the state of the daemon of @pin_dir. Return: 0; -ENOENT when no daemon
 * runs (no file, or one whose lock is free: *stale_pid then names the process it was, else 0);
 * -errno.
 */
int run_state_read(const char *pin_dir, struct run_state *st, int *stale_pid);

#endif

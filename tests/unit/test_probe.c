// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel feature probe of `up` (loader/probe.c): this kernel, which runs every other test,
 * passes it silently; tcx is reported exactly on the kernels that have it (Linux 6.6); a
 * kernel without bpf(2) is refused with the sentence that names it, and a process that may
 * not use bpf(2) is told it lacks privileges, never that its kernel is old. The last two are
 * made with a seccomp filter that fails bpf(2) with ENOSYS or EPERM in a child process.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "test.h"
#include "probe.h"

/* The child's exit status and what it wrote to stderr. */
struct outcome {
	int status;
	char err[512];
};

/* probe_kernel() in a child whose bpf(2) fails with @bpf_errno (0: works). */
static struct outcome probe_in_child(int bpf_errno)
{
	struct outcome out = { .status = -1 };	/* err zeroed: always terminated */
	int pipefd[2];
	ssize_t len;
	pid_t pid;

	if (pipe(pipefd))
		return out;
	pid = fork();
	if (pid == 0) {
		struct sock_filter filter[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (bpf_errno & SECCOMP_RET_DATA)),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]),
					   .filter = filter };

		dup2(pipefd[1], 2);
		close(pipefd[0]);
		if (bpf_errno && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
				  prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)))
			_exit(99);
		_exit(probe_kernel() ? 1 : 0);
	}
	close(pipefd[1]);
	/* Until EOF: a message comes in several writes, and a child writing to a closed pipe
	 * would die of SIGPIPE. */
	for (size_t got = 0; got < sizeof(out.err) - 1; got += len) {
		len = read(pipefd[0], out.err + got, sizeof(out.err) - 1 - got);
		if (len <= 0)
			break;
	}
	close(pipefd[0]);
	if (pid > 0 && waitpid(pid, &out.status, 0) == pid && WIFEXITED(out.status))
		out.status = WEXITSTATUS(out.status);
	return out;
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma, mi;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* This kernel has every feature, and nothing is said. */
TEST_AS_ROOT(probe_all_features_silent)
{
	struct outcome out = probe_in_child(0);

	CHECK_EQ(out.status, 0, "probe_kernel() exit");
	CHECK(!out.err[0], "said: %s", out.err);
}

/* tcx links reported exactly from Linux 6.6. */
TEST_AS_ROOT(probe_tcx_from_linux_6_6)
{
	CHECK_EQ(probe_has_tcx(), kernel_at_least(6, 6), "probe_has_tcx()");
}

/* A kernel without bpf(2) is refused, by name. */
TEST_AS_ROOT(probe_no_bpf_syscall_refused)
{
	struct outcome out = probe_in_child(ENOSYS);

	CHECK_EQ(out.status, 1, "probe_kernel() exit");
	CHECK_STR(out.err, "hairpin: this kernel (", "message");
	CHECK_STR(out.err, ") cannot run hairpin: no bpf() system call", "message");
	CHECK_STR(out.err, "(CONFIG_BPF_SYSCALL; needs Linux " HP_MIN_LINUX ")", "message");
}

/* bpf(2) refused for want of privilege is said so, never taken for an old kernel. */
TEST_AS_ROOT(probe_eperm_not_old_kernel)
{
	struct outcome out = probe_in_child(EPERM);

	CHECK_EQ(out.status, 1, "probe_kernel() exit");
	CHECK_STR(out.err, "hairpin: permission denied loading a BPF program: " HP_PRIVILEGES,
		  "message");
	CHECK(!strstr(out.err, "cannot run hairpin"), "said: %s", out.err);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The init of tests/kernel/run's initramfs: pid 1 of a guest kernel under qemu.
 *
 * It loads the modules the root file system needs (/hp/modules, one path a line, in
 * dependency order), mounts the host's root file system, which qemu exports read-only over
 * virtio-9p as "hostroot", under a tmpfs overlay so that the guest can write anywhere, makes
 * that the root with /proc, /sys, /dev and /sys/fs/bpf mounted, runs the commands in /hp/argv
 * there one after the other (NUL-separated words, an empty word between two commands), prints
 * "hairpin-kernel-test: exit N" on the console (N: the first command's status that was not 0)
 * and powers the machine off. Several commands serve a guest of another architecture than the
 * host's, which can run the test binaries built for it but no shell from the host's root.
 *
 * A static C program rather than a busybox script: it needs no package, and the guest gets the
 * host's own tools from the 9p root anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MARK "hairpin-kernel-test: "
#define MAX_ARGS 256

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(MARK, stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

static void __attribute__((noreturn)) power_off(int status)
{
	say("exit %d", status);
	sync();
	reboot(RB_POWER_OFF);
	/* Only if the kernel refused: qemu -no-reboot ends on the panic that follows. */
	for (;;)
		pause();
}

/* Console on 0, 1 and 2: the kernel opened it only if the initramfs had /dev/console. */
static void open_console(void)
{
	int fd;

	mkdir("/dev", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) && errno != EBUSY)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static void load_modules(void)
{
	FILE *list = fopen("/hp/modules", "r");
	char path[512];

	if (!list)
		return;
	while (fgets(path, sizeof(path), list)) {
		int fd;

		path[strcspn(path, "\n")] = '\0';
		if (!path[0])
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST))
			say("couldn't load module %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	fclose(list);
}

/* The commands to run, from /hp/argv: NUL-separated words, an empty word ending each. */
static int read_argv(char *buf, size_t size, char **argv)
{
	int fd = open("/hp/argv", O_RDONLY), argc = 0;
	ssize_t len;

	if (fd < 0)
		return -1;
	len = read(fd, buf, size - 2);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = buf[len + 1] = '\0';
	for (char *p = buf; p < buf + len && argc < MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = *p ? p : NULL;
	argv[argc] = NULL;
	return argc;
}

/*
 * The host's root, read-only over 9p, with a tmpfs on top: tests write to /etc, /var, the
 * build tree, and nothing of it reaches the host. Without overlayfs, the bare read-only root.
 */
static int mount_root(void)
{
	mkdir("/lower", 0755);
	mkdir("/rw", 0755);
	mkdir("/newroot", 0755);
	/* cache=loose: the host does not change the tree while the guest runs. */
	if (mount("hostroot", "/lower", "9p", MS_RDONLY,
		  "trans=virtio,version=9p2000.L,cache=loose,msize=262144")) {
		say("couldn't mount the host's root over 9p: %s", strerror(errno));
		return -1;
	}
	if (mount("tmpfs", "/rw", "tmpfs", 0, "mode=0755") || mkdir("/rw/upper", 0755) ||
	    mkdir("/rw/work", 0755) ||
	    mount("overlay", "/newroot", "overlay", 0,
		  "lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work")) {
		say("no overlay on the 9p root (%s): the root stays read-only", strerror(errno));
		if (mount("/lower", "/newroot", NULL, MS_BIND, NULL))
			return -1;
	}
	if (chdir("/newroot") || mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") ||
	    chdir("/")) {
		say("couldn't switch to the new root: %s", strerror(errno));
		return -1;
	}
	/* What every program expects to find; the rest is the command's business. */
	if (mount("proc", "/proc", "proc", 0, NULL) || mount("sysfs", "/sys", "sysfs", 0, NULL) ||
	    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL)) {
		say("couldn't mount /proc, /sys, /dev or /sys/fs/bpf: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Run one command to its end. Return: its status, as a shell would give it. */
static int run(char **argv, char **envp)
{
	pid_t child = fork();
	int status;

	if (child == 0) {
		execve(argv[0], argv, envp);
		say("couldn't run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	if (child < 0)
		return 125;
	/* As pid 1, every orphan is ours to reap; only the command's status counts. */
	for (;;) {
		pid_t pid = wait(&status);

		if (pid == child)
			break;
		if (pid < 0 && errno == ECHILD)
			return 125;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void)
{
	static char buf[16384];
	char *argv[MAX_ARGS + 1];
	char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 "HOME=/root", "TERM=dumb", "LANG=C.UTF-8", NULL };
	int argc, result = 0;

	open_console();
	say("init");
	load_modules();
	argc = read_argv(buf, sizeof(buf), argv);
	if (argc <= 0 || !argv[0]) {
		say("no command in /hp/argv");
		power_off(125);
	}
	if (mount_root())
		power_off(125);
	for (int i = 0; i < argc; i++) {
		int status;

		if (!argv[i])
			continue;
		status = run(&argv[i], envp);
		if (!result)
			result = status;
		while (i < argc && argv[i])
			i++;
	}
	power_off(result);
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/bpf.h>

#include "log.h"
#include "pins.h"

#define BPFFS_ROOT "/sys/fs/bpf"

const char *const hp_pin_names[HP_PIN_COUNT] = {
	[HP_PIN_CONFIG] = "config",
	[HP_PIN_FORWARDS] = "forwards",
	[HP_PIN_FLOWS] = "flows",
	[HP_PIN_STATS] = "stats",
	[HP_PIN_DEVICES] = "devices",
	[HP_PIN_FRAGS] = "frags",
	[HP_PIN_SOURCES] = "sources",
	[HP_PIN_ADMISSION] = "admission",
	[HP_PIN_REASONS] = "reasons",
	[HP_PIN_TARGET_PORTS] = "target_ports",
	[HP_PIN_MONITORS] = "monitors",
};

int pins_path(const char *dir, enum hp_pin pin, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, hp_pin_names[pin]);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int fs_type(const char *path, long *type)
{
	struct statfs st;

	if (statfs(path, &st) < 0)
		return -errno;
	*type = st.f_type;
	return 0;
}

int pins_check_bpffs(const char *dir)
{
	long type = 0;
	int err = fs_type(dir, &type);

	if (err)
		return err;
	return type == BPF_FS_MAGIC ? 0 : -ENOTSUP;
}

/* Mount bpffs at /sys/fs/bpf if @dir lives there and what is there is not bpffs. */
static int bpffs_mount_root(const char *dir)
{
	size_t n = strlen(BPFFS_ROOT);
	long type = 0;

	if (strncmp(dir, BPFFS_ROOT, n) || (dir[n] != '/' && dir[n] != '\0'))
		return 0;
	if (!fs_type(BPFFS_ROOT, &type) && type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700") < 0) {
		int err = -errno;

		pr_warn("couldn't mount bpffs at %s: %s", BPFFS_ROOT, strerror(errno));
		return err;
	}
	pr_debug("mounted bpffs at %s", BPFFS_ROOT);
	return 0;
}

int pins_prepare(const char *dir, bool *created)
{
	int err = bpffs_mount_root(dir);

	*created = false;
	if (err)
		return err;
	if (mkdir(dir, 0700) == 0)
		*created = true;
	else if (errno != EEXIST) {
		err = -errno;
		pr_warn("couldn't create pin dir %s: %s", dir, strerror(errno));
		return err;
	}
	err = pins_check_bpffs(dir);
	if (err) {
		if (err == -ENOTSUP)
			pr_warn("pin dir %s is not on a bpf filesystem (mount -t bpf bpf DIR)", dir);
		else
			pr_warn("couldn't look at pin dir %s: %s", dir, strerror(-err));
		if (*created)
			rmdir(dir);
		*created = false;
	}
	return err;
}

int pins_lock(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int pins_open_all(const char *dir, int fds[HP_PIN_COUNT])
{
	char path[4096];
	int i, err;

	for (i = 0; i < HP_PIN_COUNT; i++)
		fds[i] = -1;
	for (i = 0; i < HP_PIN_COUNT; i++) {
		err = pins_path(dir, i, path, sizeof(path));
		if (err)
			goto fail;
		fds[i] = bpf_obj_get(path);
		if (fds[i] < 0) {
			err = -errno;
			goto fail;
		}
	}
	return 0;
fail:
	pins_close_all(fds);
	return err;
}

void pins_close_all(int fds[HP_PIN_COUNT])
{
	for (int i = 0; i < HP_PIN_COUNT; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int pins_map_config(int config_fd, struct hp_config **config)
{
	void *p = mmap(NULL, sizeof(**config), PROT_READ | PROT_WRITE, MAP_SHARED, config_fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*config = p;
	return 0;
}

void pins_unmap_config(struct hp_config *config)
{
	munmap(config, sizeof(*config));
}

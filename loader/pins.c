// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
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
#include "maps.h"
#include "pins.h"
#include "probe.h"
#include "tcx.h"

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
	[HP_PIN_FORWARD_INFO] = "forward_info",
};

int pins_path(const char *dir, enum hp_pin pin, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, hp_pin_names[pin]);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pins_open(const char *dir, enum hp_pin pin)
{
	char path[PATH_MAX];
	int fd, err = pins_path(dir, pin, path, sizeof(path));

	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static int fs_type(const char *path, long *type)
{
	struct statfs st;

	if (statfs(path, &st) < 0)
		return -errno;
	*type = st.f_type;
	return 0;
}

/* Whether @dir is on bpffs: 0 yes, -ENOTSUP no, -errno when it can't be looked at. */
static int pins_check_bpffs(const char *dir)
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

int pins_canonical_dir(const char *dir, char *out, size_t len)
{
	char path[PATH_MAX], parent[PATH_MAX], *real, *copy_dir, *copy_base;
	int n, err = 0;

	/* Trailing slashes name the same directory. */
	n = snprintf(path, sizeof(path), "%s", dir);
	if (n <= 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	real = realpath(path, NULL);
	if (real) {
		n = snprintf(out, len, "%s", real);
		free(real);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	if (errno != ENOENT)
		return -errno;
	copy_dir = strdup(path);
	copy_base = strdup(path);
	if (!copy_dir || !copy_base) {
		err = -ENOMEM;
		goto out;
	}
	if (!realpath(dirname(copy_dir), parent)) {
		/* Not even the parent is there: the path as given, made absolute. */
		if (path[0] == '/' || !getcwd(parent, sizeof(parent)))
			parent[0] = '\0';
		n = snprintf(out, len, "%s%s%s", parent, parent[0] ? "/" : "", path);
	} else {
		n = snprintf(out, len, "%s/%s", strcmp(parent, "/") ? parent : "",
			     basename(copy_base));
	}
	if (n < 0 || (size_t)n >= len)
		err = -ENAMETOOLONG;
out:
	free(copy_dir);
	free(copy_base);
	return err;
}

int pins_link_path(const char *dir, int ifindex, enum hp_direction direction, __u32 link_id,
		   char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/" HP_PIN_LINKS "/%d-%s-%u", dir, ifindex,
			 direction == HP_DIR_INGRESS ? "ingress" : "egress", link_id);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pins_prepare_links(const char *dir)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/" HP_PIN_LINKS, dir);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0700) && errno != EEXIST) {
		int err = -errno;

		pr_warn("couldn't create %s: %s", path, strerror(errno));
		return err;
	}
	return 0;
}

/*
 * The name of a file of the instance in HP_LOCK_DIR (its lock, the daemon's state): the canonical
 * pin dir as systemd escapes a path ("/sys/fs/bpf/hairpin" becomes "sys-fs-bpf-hairpin"), and
 * @suffix, readable in `ls /run/hairpin`.
 */
static int run_name(const char *canonical, const char *suffix, char *buf, size_t len)
{
	size_t at = 0;

	for (const char *p = canonical[0] == '/' ? canonical + 1 : canonical; *p; p++) {
		unsigned char c = *p;
		int n;

		if (c == '/')
			n = snprintf(buf + at, len - at, "-");
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '_' || c == ':' || (c == '.' && p != canonical && p[-1] != '/'))
			n = snprintf(buf + at, len - at, "%c", c);
		else
			n = snprintf(buf + at, len - at, "\\x%02x", c);
		if (n < 0 || (size_t)n >= len - at)
			return -ENAMETOOLONG;
		at += n;
	}
	if (!at)
		return snprintf(buf, len, "-.%s", suffix) >= (int)len ? -ENAMETOOLONG : 0;
	return snprintf(buf + at, len - at, ".%s", suffix) >= (int)(len - at) ? -ENAMETOOLONG : 0;
}

int pins_run_path(const char *dir, const char *suffix, char *path, size_t len)
{
	char canonical[PATH_MAX], name[NAME_MAX + 1];
	int err;

	err = pins_canonical_dir(dir, canonical, sizeof(canonical));
	if (!err)
		err = run_name(canonical, suffix, name, sizeof(name));
	if (err) {
		pr_warn("couldn't name the %s file of pin dir %s: %s", suffix, dir, strerror(-err));
		return err;
	}
	if (mkdir(HP_LOCK_DIR, 0700) && errno != EEXIST) {
		err = -errno;
		pr_warn("couldn't create %s for the %s file of pin dir %s: %s", HP_LOCK_DIR, suffix,
			dir, probe_strerror(err));
		return err;
	}
	if (snprintf(path, len, HP_LOCK_DIR "/%s", name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int pins_lock(const char *dir)
{
	char path[PATH_MAX];
	int fd, err;

	err = pins_run_path(dir, "lock", path, sizeof(path));
	if (err)
		return err;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = -errno;
		pr_warn("couldn't open the lock %s: %s", path, probe_strerror(err));
		return err;
	}
	if (flock(fd, LOCK_EX) < 0) {
		err = -errno;
		pr_warn("couldn't lock %s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

/* What a pinned object is: "map", "prog", "link", from the kernel's fdinfo. */
static const char *pins_object_kind(int fd, char *buf, size_t len)
{
	char path[64], line[128];
	FILE *f;

	snprintf(buf, len, "unknown");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return buf;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "map_type:", 9))
			snprintf(buf, len, "map");
		else if (!strncmp(line, "prog_type:", 10))
			snprintf(buf, len, "prog");
		else if (!strncmp(line, "link_type:", 10))
			snprintf(buf, len, "link");
		else
			continue;
		break;
	}
	fclose(f);
	return buf;
}

static int pin_known(const char *name)
{
	for (int i = 0; i < HP_PIN_COUNT; i++)
		if (!strcmp(name, hp_pin_names[i]))
			return i;
	return -1;
}

/*
 * Why the pin @path is not hairpin's, NULL if it is: a @want ("map" or "link") that is a map
 * named hp_*, or a tcx link.
 */
static const char *pin_problem(const char *path, const char *want, char *why, size_t len)
{
	union {
		struct bpf_map_info map;
		struct bpf_link_info link;
	} info;
	__u32 info_len = sizeof(info);
	char kind[16];
	int fd = bpf_obj_get(path);

	if (fd < 0) {
		snprintf(why, len, "couldn't open it: %s", probe_strerror(-errno));
		return why;
	}
	memset(&info, 0, sizeof(info));
	if (strcmp(pins_object_kind(fd, kind, sizeof(kind)), want))
		snprintf(why, len, "a BPF %s, not a %s", kind, want);
	else if (bpf_obj_get_info_by_fd(fd, &info, &info_len))
		snprintf(why, len, "couldn't look at it: %s", probe_strerror(-errno));
	else if (!strcmp(want, "map") && strncmp(info.map.name, "hp_", 3))
		snprintf(why, len, "map `%s', not one of hairpin's", info.map.name);
	else if (!strcmp(want, "link") && info.link.type != HP_BPF_LINK_TYPE_TCX)
		snprintf(why, len, "a BPF link of type %u, not tcx", info.link.type);
	else
		why = NULL;
	close(fd);
	return why;
}

/* Check every entry of @dir (of links/ if @links); 1 if one is not hairpin's, 0, or -errno. */
static int check_entries(const char *dir, bool links)
{
	char path[PATH_MAX], why[160];
	struct dirent *e;
	int found = 0;
	DIR *d = opendir(dir);

	if (!d) {
		if (errno == ENOENT)
			return 0;
		found = -errno;
		pr_warn("couldn't read pin dir %s: %s", dir, probe_strerror(found));
		return found;
	}
	while ((e = readdir(d))) {
		const char *problem = NULL;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		if (links) {
			problem = pin_problem(path, "link", why, sizeof(why));
		} else if (!strcmp(e->d_name, HP_PIN_LINKS) && e->d_type == DT_DIR) {
			int err = check_entries(path, true);

			if (err < 0) {
				found = err;
				break;
			}
			found |= err;
			continue;
		} else if (pin_known(e->d_name) < 0) {
			problem = e->d_type == DT_DIR ? "a directory hairpin does not make" :
				  "not a name hairpin pins anything by";
		} else {
			problem = pin_problem(path, "map", why, sizeof(why));
		}
		if (problem) {
			pr_warn("%s is not hairpin's (%s): hairpin leaves it alone; remove it yourself, "
				"or use another --pin-dir", path, problem);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

int pins_check(const char *dir)
{
	int err = check_entries(dir, false);

	return err > 0 ? -EEXIST : err;
}

int pins_remove(const char *dir)
{
	char path[PATH_MAX], links[PATH_MAX];
	struct dirent *e;
	int first = 0;
	DIR *d;

	for (int i = 0; i < HP_PIN_COUNT; i++) {
		if (pins_path(dir, i, path, sizeof(path)) || !unlink(path) || errno == ENOENT)
			continue;
		first = first ?: -errno;
		pr_warn("couldn't remove pin %s: %s", path, strerror(errno));
	}
	snprintf(links, sizeof(links), "%s/" HP_PIN_LINKS, dir);
	d = opendir(links);
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", links, e->d_name) >= sizeof(path) ||
		    !unlink(path))
			continue;
		first = first ?: -errno;
		pr_warn("couldn't remove pin %s: %s", path, strerror(errno));
	}
	if (d)
		closedir(d);
	if (rmdir(links) && errno != ENOENT) {
		first = first ?: -errno;
		pr_warn("couldn't remove %s: %s", links, strerror(errno));
	}
	if (rmdir(dir) && errno != ENOENT) {
		first = first ?: -errno;
		pr_warn("couldn't remove pin dir %s: %s", dir, strerror(errno));
	}
	return first;
}

int pins_read_devices(const char *dir, struct hp_device **records, int *n)
{
	char path[PATH_MAX];
	int fd, err;

	*records = NULL;
	*n = 0;
	err = pins_path(dir, HP_PIN_DEVICES, path, sizeof(path));
	if (err)
		return err;
	fd = pins_open(dir, HP_PIN_DEVICES);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0) {
		pr_warn("couldn't open %s: %s", path, probe_strerror(fd));
		return fd;
	}
	err = maps_read_devices(fd, records, n);
	close(fd);
	if (err)
		pr_warn("couldn't read the devices map %s: %s", path, probe_strerror(err));
	return err;
}

int pins_open_all(const char *dir, int fds[HP_PIN_COUNT])
{
	int i, err;

	for (i = 0; i < HP_PIN_COUNT; i++)
		fds[i] = -1;
	for (i = 0; i < HP_PIN_COUNT; i++) {
		err = pins_open(dir, i);
		if (err < 0)
			goto fail;
		fds[i] = err;
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

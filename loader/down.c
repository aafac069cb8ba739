// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin down [CONFIG]: detach from every device the running instance attached to and remove
 * the pins. The devices map says where hairpin is attached; CONFIG's devices are looked at too
 * when it is named, so that programs whose pins were lost (bpffs unmounted, say) are still found
 * by their program name and tc slot. Nothing attached is not an error.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "commands.h"
#include "config.h"
#include "log.h"
#include "maps.h"
#include "pins.h"

static bool recorded(const struct hp_device *recs, int n, int ifindex)
{
	for (int i = 0; i < n; i++)
		if (recs[i].ifindex == (__u32)ifindex)
			return true;
	return false;
}

/* A record for a Device of CONFIG that the devices map does not know, from what is there. */
static void record_from_device(const char *name, int ifindex, struct hp_device *rec)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), id = 0;
	int fd;

	memset(rec, 0, sizeof(*rec));
	rec->ifindex = ifindex;
	rec->mode = HP_MODE_TC;
	snprintf(rec->name, sizeof(rec->name), "%s", name);
	if (bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &id) || !id)
		return;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, "hp_ingress_xdp")) {
		rec->mode = HP_MODE_XDP;
		rec->ingress_prog_id = id;
	}
	close(fd);
}

static int detach_config_devices(const char *path, const struct hp_device *recs, int n)
{
	struct hp_config_file *conf = calloc(1, sizeof(*conf));
	int err = 0;

	if (!conf)
		return -ENOMEM;
	if (config_load(conf, path)) {
		pr_debug("not looking at CONFIG's devices: %s", conf->error);
		goto out;
	}
	for (int i = 0; i < conf->n_devices; i++) {
		int ifindex = (int)if_nametoindex(conf->devices[i]);
		struct hp_device rec;

		if (!ifindex || recorded(recs, n, ifindex))
			continue;
		record_from_device(conf->devices[i], ifindex, &rec);
		err = detach_device(&rec) ?: err;
	}
out:
	free(conf);
	return err;
}

static void unpin_all(const char *dir)
{
	char path[4096];

	for (int i = 0; i < HP_PIN_COUNT; i++)
		if (!pins_path(dir, i, path, sizeof(path)) && unlink(path) && errno != ENOENT)
			pr_warn("couldn't remove pin %s: %s", path, strerror(errno));
	if (rmdir(dir) && errno != ENOENT)
		pr_warn("couldn't remove pin dir %s: %s", dir, strerror(errno));
}

int down_main(int argc, char **argv, const struct hp_options *opts)
{
	/* Only a CONFIG named on the command line: the default file may describe another
	 * instance, with another pin dir, whose programs this one must not take down. */
	const char *path = argc > 1 ? argv[1] : NULL;
	struct hp_device *recs = NULL;
	int n = 0, err = 0, lock, fd;
	char devices_path[4096];

	if (argc > 2) {
		pr_warn("down: too many arguments: `%s'", argv[2]);
		return HP_EXIT_USAGE;
	}
	lock = pins_lock(opts->pin_dir);
	if (lock >= 0 && !pins_path(opts->pin_dir, HP_PIN_DEVICES, devices_path,
				    sizeof(devices_path)) &&
	    (fd = bpf_obj_get(devices_path)) >= 0) {
		err = maps_read_devices(fd, &recs, &n);
		close(fd);
		if (err) {
			pr_warn("couldn't read the devices map %s: %s", devices_path, strerror(-err));
			close(lock);
			return HP_EXIT_SYSTEM;
		}
	}
	for (int i = 0; i < n; i++) {
		int e = detach_device(&recs[i]);

		if (!e)
			pr_info("%s: detached", recs[i].name);
		err = err ?: e;
	}
	if (path)
		err = detach_config_devices(path, recs, n) ?: err;
	free(recs);
	/* Keep the pins if something stays attached: a second `down` can finish the job. */
	if (!err && lock >= 0)
		unpin_all(opts->pin_dir);
	if (lock >= 0)
		close(lock);
	return err ? HP_EXIT_SYSTEM : HP_EXIT_OK;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin up [CONFIG]: validate, load, attach, fill the maps, pin them. Run again, it replaces
 * the running instance in place: the pinned maps are reused (flows and counters kept), the
 * programs replaced without a gap. Each step is undone if a later one fails, so a failed `up`
 * leaves the previous state exactly as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "commands.h"
#include "fill.h"
#include "hairpin.skel.h"
#include "log.h"
#include "maps.h"
#include "pins.h"
#include "plan.h"
#include "probe.h"

struct up {
	const char *pin_dir;
	struct hp_plan *plan;
	struct hairpin *skel;
	struct bpf_map *maps[HP_PIN_COUNT];
	bool was_pinned[HP_PIN_COUNT];	/* reused from a running instance */
	bool pinned_now[HP_PIN_COUNT];

	struct hp_device *old_devices;	/* what the running instance attached */
	int n_old_devices;
	struct attach_txn txns[HP_MAX_DEVICES];
	int n_txns;

	struct fill fill;
};

static int map_fd(const struct up *up, enum hp_pin pin)
{
	return bpf_map__fd(up->maps[pin]);
}

/* A pinned map can be reused only if it is laid out as this build expects. */
static int check_reusable(const struct bpf_map *map, int fd, const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map) ||
	    info.map_flags != bpf_map__map_flags(map)) {
		pr_warn("pinned map %s is laid out differently from this version's (left by another "
			"version of hairpin?); run `hairpin down' first", path);
		return -EINVAL;
	}
	return 0;
}

static int reuse_pinned_maps(struct up *up)
{
	char path[4096];
	int err;

	for (int i = 0; i < HP_PIN_COUNT; i++) {
		int fd;

		err = pins_path(up->pin_dir, i, path, sizeof(path));
		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			err = -errno;
			pr_warn("couldn't open pinned map %s: %s", path, strerror(errno));
			return err;
		}
		err = check_reusable(up->maps[i], fd, path);
		if (!err)
			err = bpf_map__reuse_fd(up->maps[i], fd);
		close(fd);
		if (err)
			return err;
		up->was_pinned[i] = true;
	}
	return 0;
}

static const struct hp_device *old_device(const struct up *up, const struct hp_plan_device *dev)
{
	for (int i = 0; i < up->n_old_devices; i++) {
		const struct hp_device *old = &up->old_devices[i];

		if (old->ifindex == (__u32)dev->ifindex && !strcmp(old->name, dev->name))
			return old;
	}
	return NULL;
}

static bool in_plan(const struct hp_plan *plan, const struct hp_device *old)
{
	for (int i = 0; i < plan->n_devices; i++)
		if ((__u32)plan->devices[i].ifindex == old->ifindex &&
		    !strcmp(plan->devices[i].name, old->name))
			return true;
	return false;
}

static int attach_all(struct up *up)
{
	struct hp_progs progs = {
		.ingress_xdp = bpf_program__fd(up->skel->progs.hp_ingress_xdp),
		.ingress_tc = bpf_program__fd(up->skel->progs.hp_ingress_tc),
		.egress_tc = bpf_program__fd(up->skel->progs.hp_egress_tc),
	};

	for (int i = 0; i < up->plan->n_devices; i++) {
		const struct hp_plan_device *dev = &up->plan->devices[i];
		int err = attach_device(dev, up->plan->mode, &progs, old_device(up, dev),
					&up->txns[up->n_txns]);

		if (err)
			return err;
		up->n_txns++;
	}
	return 0;
}

static int pin_new_maps(struct up *up)
{
	char path[4096];

	for (int i = 0; i < HP_PIN_COUNT; i++) {
		int err;

		if (up->was_pinned[i])
			continue;
		err = pins_path(up->pin_dir, i, path, sizeof(path));
		if (!err)
			err = bpf_map__pin(up->maps[i], path);
		if (err) {
			pr_warn("couldn't pin map at %s: %s", path, strerror(-err));
			return err;
		}
		up->pinned_now[i] = true;
	}
	return 0;
}

static void unpin_new_maps(struct up *up)
{
	for (int i = 0; i < HP_PIN_COUNT; i++)
		if (up->pinned_now[i])
			bpf_map__unpin(up->maps[i], NULL);
}

/* Record the attachments; a device record is small and each update atomic. */
static int record_devices(struct up *up)
{
	int fd = map_fd(up, HP_PIN_DEVICES);

	for (int i = 0; i < up->n_txns; i++) {
		const struct hp_device *rec = &up->txns[i].record;

		if (bpf_map_update_elem(fd, &rec->ifindex, rec, BPF_ANY)) {
			int err = -errno;

			pr_warn("couldn't record device %s in the devices map: %s", rec->name,
				strerror(errno));
			return err;
		}
	}
	return 0;
}

/* The devices the running instance has and the new configuration does not: let go. */
static void release_dropped_devices(struct up *up)
{
	int fd = map_fd(up, HP_PIN_DEVICES);

	for (int i = 0; i < up->n_old_devices; i++) {
		const struct hp_device *old = &up->old_devices[i];

		if (in_plan(up->plan, old))
			continue;
		if (detach_device(old)) {
			pr_warn("%s is no longer a Device but stays attached; `hairpin down' detaches it",
				old->name);
			continue;
		}
		bpf_map_delete_elem(fd, &old->ifindex);
		pr_info("%s: detached (no longer a Device)", old->name);
	}
}

static int read_running_state(struct up *up)
{
	int fds[HP_PIN_COUNT], err;

	if (up->was_pinned[HP_PIN_DEVICES]) {
		err = maps_read_devices(map_fd(up, HP_PIN_DEVICES), &up->old_devices,
					&up->n_old_devices);
		if (err)
			return err;
	}
	for (int i = 0; i < HP_PIN_COUNT; i++)
		fds[i] = map_fd(up, i);
	return fill_begin(&up->fill, fds);
}

static int up_run(struct up *up)
{
	int err;

	up->skel = hairpin__open();
	if (!up->skel) {
		pr_warn("couldn't open the BPF object: %s", strerror(errno));
		return HP_EXIT_SYSTEM;
	}
	up->maps[HP_PIN_CONFIG] = up->skel->maps.hp_config;
	up->maps[HP_PIN_FORWARDS] = up->skel->maps.hp_forwards;
	up->maps[HP_PIN_FLOWS] = up->skel->maps.hp_flows;
	up->maps[HP_PIN_STATS] = up->skel->maps.hp_stats;
	up->maps[HP_PIN_DEVICES] = up->skel->maps.hp_devices;
	up->maps[HP_PIN_FRAGS] = up->skel->maps.hp_frags;
	up->maps[HP_PIN_SOURCES] = up->skel->maps.hp_sources;
	up->maps[HP_PIN_ADMISSION] = up->skel->maps.hp_admission;
	up->maps[HP_PIN_REASONS] = up->skel->maps.hp_reasons;
	up->maps[HP_PIN_TARGET_PORTS] = up->skel->maps.hp_target_ports;
	up->maps[HP_PIN_MONITORS] = up->skel->maps.hp_monitors;

	err = reuse_pinned_maps(up);
	if (err)
		return HP_EXIT_SYSTEM;
	err = hairpin__load(up->skel);
	if (err) {
		pr_warn("couldn't load the BPF programs: %s%s", strerror(-err),
			log_verbose() ? "" : " (run with -v to see the verifier's log)");
		return HP_EXIT_SYSTEM;
	}
	err = read_running_state(up);
	if (err) {
		pr_warn("couldn't read the running instance's maps: %s", strerror(-err));
		return HP_EXIT_SYSTEM;
	}

	err = attach_all(up);
	if (!err)
		err = fill_write(&up->fill, up->plan);
	if (!err)
		err = pin_new_maps(up);
	if (!err)
		err = record_devices(up);
	if (err) {
		unpin_new_maps(up);
		fill_restore(&up->fill);
		for (int i = up->n_txns - 1; i >= 0; i--)
			attach_rollback(&up->txns[i]);
		return HP_EXIT_SYSTEM;
	}
	for (int i = 0; i < up->n_txns; i++)
		attach_commit(&up->txns[i]);
	fill_commit(&up->fill);
	release_dropped_devices(up);
	return HP_EXIT_OK;
}

int up_main(int argc, char **argv, const struct hp_options *opts)
{
	const char *path = argc > 1 ? argv[1] : HP_DEFAULT_CONFIG;
	struct up up = { .pin_dir = opts->pin_dir };
	bool created_dir;
	int status, lock;

	if (argc > 2) {
		pr_warn("up: too many arguments: `%s'", argv[2]);
		return HP_EXIT_USAGE;
	}
	up.plan = calloc(1, sizeof(*up.plan));
	if (!up.plan)
		return HP_EXIT_SYSTEM;
	status = plan_load(path, up.plan);
	if (status)
		goto out_plan;

	status = HP_EXIT_SYSTEM;
	/* A kernel that lacks a feature is named before anything changes (loader/probe.c). */
	if (probe_kernel())
		goto out_plan;
	if (pins_prepare(up.pin_dir, &created_dir))
		goto out_plan;
	lock = pins_lock(up.pin_dir);
	if (lock < 0) {
		pr_warn("couldn't lock pin dir %s: %s", up.pin_dir, strerror(-lock));
		goto out_dir;
	}
	status = up_run(&up);
	close(lock);
out_dir:
	if (status && created_dir)
		rmdir(up.pin_dir);
	fill_end(&up.fill);
	free(up.old_devices);
	hairpin__destroy(up.skel);
out_plan:
	free(up.plan);
	return status;
}

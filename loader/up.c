// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin up [CONFIG]: validate, load, pin, fill, attach. Run again, it replaces the running
 * instance in place: the pinned maps are reused (flows and counters kept), the programs
 * replaced without a gap.
 *
 * The order is what makes it safe to die at any moment (SIGKILL, power loss): whatever is
 * left, `down` removes all of it and the next `up` takes it over (detach.h, attach.h).
 *   1. plan, probe, lock, scan the kernel, choose each device's hooks: nothing changes yet,
 *      and every refusal (a program not hairpin's in the way, another instance on a Device)
 *      comes here;
 *   2. load the programs, pin any map that is new: a crash leaves pins and no programs;
 *   3. fill the maps: in place, each moment whole (fill.h);
 *   4. per Device: record what it is to carry, then attach, egress before ingress, over this
 *      instance's programs wherever the kernel shows them: the hooks change one at a time,
 *      atomically, and each new tcx link is pinned as it is made;
 *   5. commit: take this instance's programs off every hook where the new ones are not (the
 *      other mode's hooks, Devices no longer configured, whatever a crash left), and the
 *      records of Devices no longer configured.
 * A failure in 2-4 undoes every step (attach_rollback(), fill_restore(), the records, the new
 * pins), so a failed `up` leaves the previous state as it was.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "attached.h"
#include "commands.h"
#include "detach.h"
#include "fault.h"
#include "fill.h"
#include "hairpin.skel.h"
#include "instance.h"
#include "log.h"
#include "maps.h"
#include "pins.h"
#include "plan.h"
#include "probe.h"
#include "up.h"

struct up {
	const char *pin_dir;
	const struct hp_plan *plan;
	struct hairpin *skel;
	struct bpf_map *maps[HP_PIN_COUNT];
	bool was_pinned[HP_PIN_COUNT];	/* reused from a running instance */
	bool pinned_now[HP_PIN_COUNT];

	struct hp_self self;
	struct hp_scan scan;		/* before anything changed */
	struct hp_device *old_records;	/* the devices map before */
	int n_old_records;

	struct attach_choice choices[HP_MAX_DEVICES];
	bool recorded[HP_MAX_DEVICES];	/* this up wrote the Device's record */
	struct attach_txn txns[HP_MAX_DEVICES];
	int n_txns;

	struct fill fill;
	bool filling;
};

static int map_fd(const struct up *up, enum hp_pin pin)
{
	return bpf_map__fd(up->maps[pin]);
}

/* Whether the map @fd is laid out as this build's @map: 1 yes, 0 no, -errno. */
static int same_layout(const struct bpf_map *map, int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	return info.type == bpf_map__type(map) && info.key_size == bpf_map__key_size(map) &&
	       info.value_size == bpf_map__value_size(map) &&
	       info.max_entries == bpf_map__max_entries(map) &&
	       info.map_flags == bpf_map__map_flags(map);
}

/* A pinned map can be reused only if it is laid out as this build expects. */
static int check_reusable(const struct bpf_map *map, int fd, const char *path)
{
	int same = same_layout(map, fd);

	if (same < 0)
		return same;
	if (!same) {
		pr_warn("pinned map %s is laid out differently from this version's (left by another "
			"version of hairpin?); run `hairpin down' first", path);
		return -EINVAL;
	}
	return 0;
}

static int reuse_pinned_maps(struct up *up)
{
	char path[PATH_MAX];
	int err;

	for (int i = 0; i < HP_PIN_COUNT; i++) {
		int fd;

		err = pins_path(up->pin_dir, i, path, sizeof(path));
		if (err)
			return err;
		fd = pins_open(up->pin_dir, i);
		if (fd == -ENOENT)
			continue;
		if (fd < 0) {
			pr_warn("couldn't open pinned map %s: %s", path, probe_strerror(fd));
			return fd;
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

/*
 * The monitors map (the running monitors' ring buffers, hp_monitors) is a map of maps, which
 * carries no BTF: it is not pinned with the others, but held by the programs. The new programs
 * take over the running ones' map, so that a monitor keeps its slot across `up`.
 */
static int reuse_monitors_map(struct up *up)
{
	struct bpf_map *map = up->skel->maps.hp_monitors;
	int fd = instance_find_map(&up->scan, bpf_map__name(map)), err;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0) {
		pr_warn("couldn't find the running programs' monitors map: %s", probe_strerror(fd));
		return fd;
	}
	/* Another layout (an older hairpin's): its monitors end with its programs. */
	err = same_layout(map, fd);
	if (err > 0)
		err = bpf_map__reuse_fd(map, fd);
	close(fd);
	return err < 0 ? err : 0;
}

static int pin_new_maps(struct up *up)
{
	char path[PATH_MAX];

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
		fault_point("map-pinned");
	}
	return 0;
}

static void unpin_new_maps(struct up *up)
{
	for (int i = 0; i < HP_PIN_COUNT; i++)
		if (up->pinned_now[i])
			bpf_map__unpin(up->maps[i], NULL);
}

static const struct hp_device *old_record(const struct up *up, int ifindex)
{
	for (int i = 0; i < up->n_old_records; i++)
		if (up->old_records[i].ifindex == (__u32)ifindex)
			return &up->old_records[i];
	return NULL;
}

static bool in_plan(const struct hp_plan *plan, int ifindex)
{
	for (int i = 0; i < plan->n_devices; i++)
		if (plan->devices[i].ifindex == ifindex)
			return true;
	return false;
}

static int write_record(struct up *up, const struct hp_device *rec)
{
	if (bpf_map_update_elem(map_fd(up, HP_PIN_DEVICES), &rec->ifindex, rec, BPF_ANY)) {
		int err = -errno;

		pr_warn("couldn't record device %s in the devices map: %s", rec->name,
			strerror(errno));
		return err;
	}
	return 0;
}

/* What Device @i is to carry, written before anything changes there. */
static int record_intent(struct up *up, int i)
{
	const struct hp_plan_device *dev = &up->plan->devices[i];
	const struct attach_choice *choice = &up->choices[i];
	const struct hp_device *old = old_record(up, dev->ifindex);
	struct hp_device rec = {
		.ifindex = dev->ifindex,
		.mode = choice->ingress == HP_HOOK_XDP ? HP_MODE_XDP : HP_MODE_TC,
		.flags = old ? old->flags & HP_DEVICE_CREATED_QDISC : 0,
		.ingress_hook = choice->ingress,
		.egress_hook = choice->egress,
		.ingress_prog_id = old ? old->ingress_prog_id : 0,
		.egress_prog_id = old ? old->egress_prog_id : 0,
	};

	if (attach_adds_qdisc(choice, attached_netdev(&up->scan, dev->ifindex)))
		rec.flags |= HP_DEVICE_CREATED_QDISC;
	snprintf(rec.name, sizeof(rec.name), "%s", dev->name);
	return write_record(up, &rec);
}

/* The record of Device @i as attach_device() left it. */
static int record_attached(struct up *up, int i)
{
	const struct attach_txn *txn = &up->txns[i];
	struct hp_device rec;
	__u32 key = txn->ifindex;

	if (bpf_map_lookup_elem(map_fd(up, HP_PIN_DEVICES), &key, &rec))
		return -errno;
	rec.mode = txn->ingress == HP_HOOK_XDP ? HP_MODE_XDP : HP_MODE_TC;
	rec.ingress_hook = txn->ingress;
	rec.egress_hook = txn->egress;
	rec.ingress_prog_id = txn->ingress_prog_id;
	rec.egress_prog_id = txn->egress_prog_id;
	return write_record(up, &rec);
}

/* Put back the records this up wrote: the previous ones, or none. */
static void restore_records(struct up *up)
{
	int fd = map_fd(up, HP_PIN_DEVICES);

	for (int i = 0; i < up->plan->n_devices; i++) {
		const struct hp_device *old = old_record(up, up->plan->devices[i].ifindex);
		__u32 key = up->plan->devices[i].ifindex;

		if (!up->recorded[i])
			continue;
		if (old ? bpf_map_update_elem(fd, &key, old, BPF_ANY)
			: bpf_map_delete_elem(fd, &key) && errno != ENOENT)
			pr_warn("couldn't put back the record of %s: %s", up->plan->devices[i].name,
				strerror(errno));
	}
}

/* Refusals and choices, before anything changes. */
static int choose_hooks(struct up *up)
{
	for (int i = 0; i < up->plan->n_devices; i++) {
		const struct hp_plan_device *dev = &up->plan->devices[i];
		const struct hp_netdev *now = attached_netdev(&up->scan, dev->ifindex);

		if (!now || strcmp(now->name, dev->name)) {
			pr_warn("%s: no such device any more (ifindex %d)", dev->name, dev->ifindex);
			return -ENODEV;
		}
		if (attach_choose(dev, up->plan->mode, now, up->scan.tcx, &up->choices[i]))
			return -EBUSY;
	}
	return 0;
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
		int err = record_intent(up, i);

		if (err)
			return err;
		up->recorded[i] = true;
		fault_point("device-recorded");
		err = attach_device(up->pin_dir, dev, &up->choices[i], &progs,
				    attached_netdev(&up->scan, dev->ifindex), &up->txns[i]);
		if (err)
			return err;
		up->n_txns++;
		err = record_attached(up, i);
		if (err)
			return err;
		fault_point("device-attached");
	}
	return 0;
}

static void rollback(struct up *up)
{
	for (int i = up->n_txns - 1; i >= 0; i--)
		attach_rollback(&up->txns[i]);
	if (up->filling)
		fill_restore(&up->fill);
	restore_records(up);
	unpin_new_maps(up);
}

static __u32 prog_id(const struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) ? 0 : info.id;
}

/*
 * Step 5: this instance's programs anywhere but where this up put them go, found by a fresh
 * scan, and the records of Devices no longer configured. No undo from here on: what fails is
 * said, and the next `up` or `down` finishes it.
 */
static int commit(struct up *up)
{
	__u32 keep[] = {
		prog_id(up->skel->progs.hp_ingress_xdp),
		prog_id(up->skel->progs.hp_ingress_tc),
		prog_id(up->skel->progs.hp_egress_tc),
	};
	int fd = map_fd(up, HP_PIN_DEVICES), n_recs = 0, err, first;
	struct detach_report *done = NULL;
	struct hp_device *recs = NULL;
	struct hp_scan scan;

	for (int i = 0; i < up->n_txns; i++)
		attach_commit(&up->txns[i]);
	first = maps_read_devices(fd, &recs, &n_recs);
	if (!first)
		first = attached_scan(&up->self, &scan);
	if (first) {
		pr_warn("up: the new programs are attached, but couldn't look for the previous ones "
			"to remove them: %s", probe_strerror(first));
		free(recs);
		return first;
	}
	done = calloc(scan.n_devs ? scan.n_devs : 1, sizeof(*done));
	first = done ? detach_instance(&scan, keep, sizeof(keep) / sizeof(keep[0]), recs, n_recs,
				       up->pin_dir, done) : -ENOMEM;
	for (int i = 0; i < scan.n_devs && done; i++) {
		const struct hp_netdev *dev = &scan.devs[i];
		struct hp_device rec;
		__u32 key = dev->ifindex;

		/* The qdisc hairpin added is gone: its record no longer says so. */
		if (done[i].qdisc_removed && in_plan(up->plan, dev->ifindex) &&
		    !bpf_map_lookup_elem(fd, &key, &rec)) {
			rec.flags &= ~HP_DEVICE_CREATED_QDISC;
			write_record(up, &rec);
		}
	}
	for (int i = 0; i < n_recs; i++) {
		const struct hp_netdev *dev = attached_netdev(&scan, recs[i].ifindex);
		int d = dev ? (int)(dev - scan.devs) : -1;

		if (in_plan(up->plan, recs[i].ifindex))
			continue;
		if (d >= 0 && done && done[d].failed) {
			pr_warn("%s is no longer a Device but stays attached; `hairpin down' detaches "
				"it", recs[i].name);
			continue;
		}
		err = bpf_map_delete_elem(fd, &recs[i].ifindex) && errno != ENOENT ? -errno : 0;
		first = first ?: err;
		fault_point("record-released");
		if (dev)
			pr_info("%s: detached (no longer a Device)", recs[i].name);
	}
	fill_commit(&up->fill);
	fault_point("committed");
	attached_free(&scan);
	free(done);
	free(recs);
	return first;
}

static int up_run(struct up *up)
{
	int fds[HP_PIN_COUNT], err;

	err = instance_self(up->pin_dir, &up->self);
	if (err) {
		pr_warn("couldn't name this instance by its pin dir %s: %s", up->pin_dir,
			strerror(-err));
		return HP_EXIT_SYSTEM;
	}
	up->skel = hairpin__open();
	if (!up->skel) {
		pr_warn("couldn't open the BPF object: %s", strerror(errno));
		return HP_EXIT_SYSTEM;
	}
	/* The programs carry whose they are, for every later command to find them by. */
	instance_identity(&up->self, (struct hp_instance *)&up->skel->rodata->hp_instance);
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
	up->maps[HP_PIN_FORWARD_INFO] = up->skel->maps.hp_forward_info;

	if (reuse_pinned_maps(up) || attached_scan(&up->self, &up->scan) ||
	    reuse_monitors_map(up))
		return HP_EXIT_SYSTEM;
	err = hairpin__load(up->skel);
	if (err) {
		/* libbpf has printed the verifier's log, as a warning. */
		pr_warn("couldn't load the BPF programs: %s", probe_strerror(err));
		return HP_EXIT_SYSTEM;
	}
	if (up->was_pinned[HP_PIN_DEVICES] &&
	    maps_read_devices(map_fd(up, HP_PIN_DEVICES), &up->old_records, &up->n_old_records)) {
		pr_warn("couldn't read the running instance's devices map");
		return HP_EXIT_SYSTEM;
	}
	if (choose_hooks(up))
		return HP_EXIT_SYSTEM;

	err = pin_new_maps(up);
	if (!err) {
		for (int i = 0; i < HP_PIN_COUNT; i++)
			fds[i] = map_fd(up, i);
		err = fill_begin(&up->fill, fds);
		if (err)
			pr_warn("couldn't read the running instance's maps: %s", strerror(-err));
	}
	if (!err) {
		up->filling = true;
		err = fill_write(&up->fill, up->plan);
	}
	if (!err) {
		fault_point("maps-filled");
		err = attach_all(up);
	}
	if (err) {
		rollback(up);
		return HP_EXIT_SYSTEM;
	}
	return commit(up) ? HP_EXIT_SYSTEM : HP_EXIT_OK;
}

struct up_args {
	const char *config;
};

static const struct hp_operand up_operands[] = {
	HP_OPERAND("CONFIG", struct up_args, config, false, HP_DEFAULT_CONFIG),
	{},
};

int up_apply(const char *pin_dir, const struct hp_plan *plan)
{
	bool created_dir = false;
	int status, lock;
	struct up *up;

	/* Large (a transaction per Device): not on the stack. */
	up = calloc(1, sizeof(*up));
	if (!up) {
		pr_warn("out of memory");
		return HP_EXIT_SYSTEM;
	}
	up->pin_dir = pin_dir;
	up->plan = plan;
	status = HP_EXIT_SYSTEM;
	/* Permissions, then a kernel that lacks a feature, named before anything changes. */
	if (probe_kernel())
		goto out;
	lock = pins_lock(up->pin_dir);
	if (lock < 0)
		goto out;
	if (pins_prepare(up->pin_dir, &created_dir))
		goto out_lock;
	if (created_dir)
		fault_point("pin-dir-created");
	if (pins_check(up->pin_dir)) {
		pr_warn("up: changed nothing");
		goto out_dir;
	}
	status = up_run(up);
out_dir:
	/* A first up that failed: the pin dir it made goes too. */
	if (status && created_dir)
		pins_remove(up->pin_dir);
out_lock:
	close(lock);
	fill_end(&up->fill);
	attached_free(&up->scan);
	free(up->old_records);
	hairpin__destroy(up->skel);
out:
	free(up);
	return status;
}

static int up_main(const void *args, const struct hp_options *opts)
{
	const char *path = ((const struct up_args *)args)->config;
	struct hp_plan *plan = calloc(1, sizeof(*plan));
	int status;

	if (!plan) {
		pr_warn("out of memory");
		return HP_EXIT_SYSTEM;
	}
	status = plan_load(path, plan);
	if (!status)
		status = up_apply(opts->pin_dir, plan);
	free(plan);
	return status;
}

const struct hp_command up_command = {
	.name = "up",
	.main = up_main,
	.args_size = sizeof(struct up_args),
	.operands = up_operands,
	.summary = "load, attach, fill and pin; replace a running instance in place",
	.help = "Validates CONFIG completely, then loads the programs, pins the maps, fills them and\n"
		"attaches the programs to every Device. Run again, it replaces the running instance\n"
		"without a gap, keeping its flows and counters. If a step fails, the earlier ones are\n"
		"undone; if it is killed at any step, the next up or down clears what it left.\n",
};

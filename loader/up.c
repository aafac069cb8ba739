// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin up [CONFIG]: validate, load, attach, fill the maps, pin them. Run again, it replaces
 * the running instance in place: the pinned maps are reused (flows and counters kept), the
 * programs replaced without a gap. Each step is undone if a later one fails, so a failed `up`
 * leaves the previous state exactly as it was.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "commands.h"
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

	struct hp_config *config;	/* the live config map, mmapped */
	struct hp_config old_config;
	struct hp_forward_entry *old_forwards;
	int n_old_forwards;
	bool maps_written;
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

static const struct hp_forward_entry *old_forward(const struct up *up,
						  const struct hp_forward_key *key)
{
	for (int i = 0; i < up->n_old_forwards; i++)
		if (!memcmp(&up->old_forwards[i].key, key, sizeof(*key)))
			return &up->old_forwards[i];
	return NULL;
}

/*
 * Give each forward its counters' slot: the one it had if it was already forwarded (counters
 * kept), else a slot no forward old or new uses, zeroed first.
 */
static int assign_stats_slots(struct up *up, struct hp_forward *values)
{
	static bool used[HP_MAX_FORWARDS];
	const struct hp_plan *plan = up->plan;
	__u32 next = 0;
	int err;

	memset(used, 0, sizeof(used));
	for (int i = 0; i < up->n_old_forwards; i++)
		if (up->old_forwards[i].value.stats_index < HP_MAX_FORWARDS)
			used[up->old_forwards[i].value.stats_index] = true;
	for (int i = 0; i < plan->n_forwards; i++) {
		const struct hp_forward_entry *old = old_forward(up, &plan->forwards[i].key);

		values[i] = (struct hp_forward){
			.target_addr = plan->forwards[i].target_addr,
			.target_port = plan->forwards[i].target_port,
		};
		if (old) {
			values[i].stats_index = old->value.stats_index;
			continue;
		}
		while (next < HP_MAX_FORWARDS && used[next])
			next++;
		/* Every slot taken by old and new forwards together: a removed forward's slot
		 * is free once it is gone, but its flows may count into it for a while. */
		if (next == HP_MAX_FORWARDS) {
			memset(used, 0, sizeof(used));
			for (int j = 0; j < plan->n_forwards; j++) {
				const struct hp_forward_entry *o = old_forward(up, &plan->forwards[j].key);

				if (o)
					used[o->value.stats_index] = true;
				else if (j < i)
					used[values[j].stats_index] = true;
			}
			next = 0;
			while (next < HP_MAX_FORWARDS && used[next])
				next++;
		}
		used[next] = true;
		values[i].stats_index = next;
		err = maps_stats_zero(map_fd(up, HP_PIN_STATS), next);
		if (err)
			return err;
	}
	return 0;
}

static bool target_in(const __be32 *addrs, __be32 addr)
{
	for (int i = 0; i < HP_MAX_TARGET_ADDRS; i++)
		if (addrs[i] == addr)
			return true;
	return false;
}

/*
 * The egress prefilter's addresses change in two steps around the forwards, so that every
 * moment's set covers every forward in the map: first the new addresses join (in free slots),
 * then the ones no longer used leave.
 */
static void targets_add_new(struct hp_config *live, const __be32 *wanted)
{
	for (int i = 0; i < HP_MAX_TARGET_ADDRS; i++) {
		if (!wanted[i] || target_in(live->target_addrs, wanted[i]))
			continue;
		for (int slot = 0; slot < HP_MAX_TARGET_ADDRS; slot++) {
			__be32 cur = live->target_addrs[slot];

			/* Prefer an empty slot; else one whose address is leaving. */
			if (!cur || (slot == HP_MAX_TARGET_ADDRS - 1 && !target_in(wanted, cur))) {
				pins_config_store(&live->target_addrs[slot], wanted[i]);
				break;
			}
		}
	}
}

static void targets_drop_old(struct hp_config *live, const __be32 *wanted)
{
	for (int slot = 0; slot < HP_MAX_TARGET_ADDRS; slot++)
		if (live->target_addrs[slot] && !target_in(wanted, live->target_addrs[slot]))
			pins_config_store(&live->target_addrs[slot], 0);
}

/* Remove every prefix of @generation from the sources map. */
static int sources_clear(struct up *up, __u32 generation)
{
	int fd = map_fd(up, HP_PIN_SOURCES), n, err;
	struct hp_source_entry *entries = NULL;

	err = maps_read_sources(fd, &entries, &n);
	for (int i = 0; !err && i < n; i++)
		if (entries[i].key.generation == generation &&
		    bpf_map_delete_elem(fd, &entries[i].key) && errno != ENOENT)
			err = -errno;
	free(entries);
	return err;
}

/*
 * AllowedSources: the new set goes in whole under the generation not in use, then one atomic
 * store switches to it (see struct hp_config). The old generation is emptied once up has
 * succeeded, by sources_commit().
 */
static int sources_write(struct up *up)
{
	const struct hp_plan *plan = up->plan;
	int fd = map_fd(up, HP_PIN_SOURCES), err;
	__u32 allowed = 1, generation;

	if (!plan->n_sources) {
		pins_config_store(&up->config->sources_generation, 0);
		return 0;
	}
	generation = up->old_config.sources_generation == 1 ? 2 : 1;
	err = sources_clear(up, generation);
	for (int i = 0; i < plan->n_sources && !err; i++) {
		struct hp_source_key key = {
			.prefixlen = 32 + plan->sources[i].len,
			.generation = generation,
			.addr = plan->sources[i].addr,
		};

		if (bpf_map_update_elem(fd, &key, &allowed, BPF_ANY))
			err = -errno;
	}
	if (err) {
		pr_warn("couldn't fill the sources map: %s", strerror(-err));
		return err;
	}
	pins_config_store(&up->config->sources_generation, generation);
	return 0;
}

static void sources_commit(struct up *up)
{
	__u32 old = up->old_config.sources_generation;

	if (old && old != up->config->sources_generation)
		sources_clear(up, old);
}

static int write_maps(struct up *up)
{
	const struct hp_plan *plan = up->plan;
	int fwd_fd = map_fd(up, HP_PIN_FORWARDS);
	struct hp_forward *values;
	int err;

	values = calloc(plan->n_forwards ? plan->n_forwards : 1, sizeof(*values));
	if (!values)
		return -ENOMEM;
	err = assign_stats_slots(up, values);
	if (err) {
		pr_warn("couldn't reset the counters of a new forward: %s", strerror(-err));
		goto out;
	}

	up->maps_written = true;
	targets_add_new(up->config, plan->target_addrs);
	for (int i = 0; i < plan->n_forwards; i++) {
		const struct hp_forward_entry *old = old_forward(up, &plan->forwards[i].key);

		if (old && !memcmp(&old->value, &values[i], sizeof(values[i])))
			continue;
		err = bpf_map_update_elem(fwd_fd, &plan->forwards[i].key, &values[i], BPF_ANY);
		if (err) {
			pr_warn("couldn't add forward %u/%u to the forwards map: %s",
				plan->forwards[i].key.protocol, ntohs(plan->forwards[i].key.port),
				strerror(-err));
			goto out;
		}
	}
	for (int i = 0; i < up->n_old_forwards; i++) {
		bool kept = false;

		for (int j = 0; j < plan->n_forwards && !kept; j++)
			kept = !memcmp(&plan->forwards[j].key, &up->old_forwards[i].key,
				       sizeof(struct hp_forward_key));
		if (!kept && (err = bpf_map_delete_elem(fwd_fd, &up->old_forwards[i].key)) &&
		    err != -ENOENT) {
			pr_warn("couldn't remove a forward from the forwards map: %s", strerror(-err));
			goto out;
		}
	}
	err = sources_write(up);
	if (err)
		goto out;
	/* Without PublicAddress the running address stays (set by set-public-ip, say). */
	if (plan->has_public_addr)
		pins_config_store(&up->config->public_addr, plan->public_addr);
	targets_drop_old(up->config, plan->target_addrs);
	err = 0;
out:
	free(values);
	return err;
}

/* Put the maps back as they were before write_maps(). */
static void restore_maps(struct up *up)
{
	int fwd_fd = map_fd(up, HP_PIN_FORWARDS);
	struct hp_forward_entry *now;
	int n;

	if (!up->maps_written)
		return;
	targets_add_new(up->config, up->old_config.target_addrs);
	if (!maps_read_forwards(fwd_fd, &now, &n)) {
		for (int i = 0; i < n; i++)
			if (!old_forward(up, &now[i].key))
				bpf_map_delete_elem(fwd_fd, &now[i].key);
		free(now);
	}
	for (int i = 0; i < up->n_old_forwards; i++)
		if (bpf_map_update_elem(fwd_fd, &up->old_forwards[i].key,
					&up->old_forwards[i].value, BPF_ANY))
			pr_warn("couldn't restore a forward: %s", strerror(errno));
	pins_config_store(&up->config->public_addr, up->old_config.public_addr);
	targets_drop_old(up->config, up->old_config.target_addrs);
	if (up->config->sources_generation != up->old_config.sources_generation) {
		__u32 tried = up->config->sources_generation;

		pins_config_store(&up->config->sources_generation,
				  up->old_config.sources_generation);
		if (tried)
			sources_clear(up, tried);
	}
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
	int err;

	if (up->was_pinned[HP_PIN_DEVICES]) {
		err = maps_read_devices(map_fd(up, HP_PIN_DEVICES), &up->old_devices,
					&up->n_old_devices);
		if (err)
			return err;
	}
	err = maps_read_forwards(map_fd(up, HP_PIN_FORWARDS), &up->old_forwards,
				 &up->n_old_forwards);
	if (err)
		return err;
	err = pins_map_config(map_fd(up, HP_PIN_CONFIG), &up->config);
	if (err)
		return err;
	up->old_config = *up->config;
	return 0;
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
		err = write_maps(up);
	if (!err)
		err = pin_new_maps(up);
	if (!err)
		err = record_devices(up);
	if (err) {
		unpin_new_maps(up);
		restore_maps(up);
		for (int i = up->n_txns - 1; i >= 0; i--)
			attach_rollback(&up->txns[i]);
		return HP_EXIT_SYSTEM;
	}
	for (int i = 0; i < up->n_txns; i++)
		attach_commit(&up->txns[i]);
	sources_commit(up);
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
	if (up.config)
		pins_unmap_config(up.config);
	free(up.old_devices);
	free(up.old_forwards);
	hairpin__destroy(up.skel);
out_plan:
	free(up.plan);
	return status;
}

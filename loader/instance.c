// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "attached.h"
#include "instance.h"
#include "pins.h"

/* The program names of every hairpin that had no identity yet, to tell them from others. */
static const char *const hairpin_prog_names[] = {
	"hp_ingress_xdp", "hp_ingress_tc", "hp_egress_tc",
};

/* The most maps a program of hairpin's uses; a program with more is not hairpin's. */
#define MAX_PROG_MAPS 64

int instance_self(const char *pin_dir, struct hp_self *self)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int err, fd;

	memset(self, 0, sizeof(*self));
	err = pins_canonical_dir(pin_dir, self->pin_dir, sizeof(self->pin_dir));
	if (err)
		return err;
	fd = pins_open(pin_dir, HP_PIN_CONFIG);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	else
		self->config_map_id = info.id;
	close(fd);
	return err;
}

void instance_identity(const struct hp_self *self, struct hp_instance *identity)
{
	memset(identity, 0, sizeof(*identity));
	identity->magic = HP_INSTANCE_MAGIC;
	identity->version = 1;
	snprintf(identity->pin_dir, sizeof(identity->pin_dir), "%s", self->pin_dir);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/*
 * The hp_instance variable in a .rodata map, found by its name in the map's BTF (the DATASEC
 * of its value): 1 found, 0 not there, -errno.
 */
static int read_identity(int map_fd, const struct bpf_map_info *map, struct hp_instance *out)
{
	const struct btf_var_secinfo *vsi;
	const struct btf_type *sec;
	struct btf *btf;
	__u32 zero = 0;
	char *value;
	int found = 0;

	btf = btf__load_from_kernel_by_id(map->btf_id);
	if (!btf)
		return -errno;
	sec = btf__type_by_id(btf, map->btf_value_type_id);
	if (!sec || !btf_is_datasec(sec))
		goto out;
	vsi = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vsi++) {
		const struct btf_type *var = btf__type_by_id(btf, vsi->type);

		if (var && !strcmp(btf__name_by_offset(btf, var->name_off), "hp_instance") &&
		    vsi->size >= sizeof(*out) && vsi->offset + sizeof(*out) <= map->value_size)
			break;
	}
	if (vsi == btf_var_secinfos(sec) + btf_vlen(sec))
		goto out;
	value = calloc(1, map->value_size);
	if (!value) {
		found = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_elem(map_fd, &zero, value)) {
		found = -errno;
	} else {
		memcpy(out, value + vsi->offset, sizeof(*out));
		out->pin_dir[sizeof(out->pin_dir) - 1] = '\0';
		found = out->magic == HP_INSTANCE_MAGIC;
	}
	free(value);
out:
	btf__free(btf);
	return found;
}

/* Look through the maps of @prog_fd: its identity, and whether it uses @config_map_id. */
static int read_prog_maps(int prog_fd, __u32 n_maps, __u32 config_map_id,
			  struct hp_instance *identity, bool *has_identity, bool *uses_config)
{
	__u32 map_ids[MAX_PROG_MAPS];
	struct bpf_prog_info info = {
		.nr_map_ids = n_maps,
		.map_ids = (__u64)(unsigned long)map_ids,
	};
	__u32 len = sizeof(info);

	*has_identity = *uses_config = false;
	if (n_maps > MAX_PROG_MAPS)
		return 0;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	for (__u32 i = 0; i < info.nr_map_ids && i < n_maps; i++) {
		struct bpf_map_info map = {};
		__u32 map_len = sizeof(map);
		int fd, err = 0;

		if (config_map_id && map_ids[i] == config_map_id)
			*uses_config = true;
		fd = bpf_map_get_fd_by_id(map_ids[i]);
		if (fd < 0)
			return -errno;	/* a program holds its maps: ENOENT cannot be */
		if (bpf_obj_get_info_by_fd(fd, &map, &map_len))
			err = -errno;
		else if (!*has_identity && ends_with(map.name, ".rodata") && map.btf_id)
			err = read_identity(fd, &map, identity);
		close(fd);
		if (err < 0)
			return err;
		if (err > 0)
			*has_identity = true;
	}
	return 0;
}

static bool hairpin_prog_name(const char *name)
{
	for (size_t i = 0; i < sizeof(hairpin_prog_names) / sizeof(hairpin_prog_names[0]); i++)
		if (!strcmp(name, hairpin_prog_names[i]))
			return true;
	return false;
}

int instance_classify(const struct hp_self *self, __u32 prog_id, struct hp_prog *prog)
{
	struct bpf_prog_info info = {};
	struct hp_instance identity;
	bool has_identity, uses_config;
	__u32 len = sizeof(info);
	int fd, err;

	memset(prog, 0, sizeof(*prog));
	prog->id = prog_id;
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	snprintf(prog->name, sizeof(prog->name), "%s", info.name);
	/* Every program of hairpin's is named hp_*: spare the others the map lookups. */
	err = 0;
	if (strncmp(info.name, "hp_", 3))
		goto out;
	err = read_prog_maps(fd, info.nr_map_ids, self->config_map_id, &identity, &has_identity,
			     &uses_config);
	if (err)
		goto out;
	if (has_identity) {
		if (!strcmp(identity.pin_dir, self->pin_dir)) {
			prog->owner = HP_OWNER_SELF;
		} else {
			prog->owner = HP_OWNER_OTHER;
			snprintf(prog->pin_dir, sizeof(prog->pin_dir), "%s", identity.pin_dir);
		}
	} else if (hairpin_prog_name(info.name)) {
		prog->anonymous = true;
		prog->owner = uses_config ? HP_OWNER_SELF : HP_OWNER_OTHER;
	}
out:
	close(fd);
	return err;
}

const char *instance_owner_text(const struct hp_prog *prog, char *buf, size_t len)
{
	switch (prog->owner) {
	case HP_OWNER_SELF:
		snprintf(buf, len, "this instance's");
		break;
	case HP_OWNER_OTHER:
		if (prog->pin_dir[0])
			snprintf(buf, len, "another hairpin instance's (pin dir %s)", prog->pin_dir);
		else
			snprintf(buf, len, "another hairpin instance's (an earlier hairpin's, whose "
				 "pin dir it does not carry)");
		break;
	default:
		snprintf(buf, len, "not hairpin's");
	}
	return buf;
}

/*
 * An fd of the map named @name that program @prog_id uses (the monitors map, a map of maps,
 * which cannot carry BTF and so is not pinned, is found this way). -ENOENT when it has none.
 */
static int instance_prog_map(__u32 prog_id, const char *name)
{
	__u32 map_ids[MAX_PROG_MAPS];
	struct bpf_prog_info info = {
		.nr_map_ids = MAX_PROG_MAPS,
		.map_ids = (__u64)(unsigned long)map_ids,
	};
	__u32 len = sizeof(info);
	int prog_fd = bpf_prog_get_fd_by_id(prog_id), err = -ENOENT;

	if (prog_fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	for (__u32 i = 0; i < info.nr_map_ids && i < MAX_PROG_MAPS; i++) {
		struct bpf_map_info map = {};
		__u32 map_len = sizeof(map);
		int fd = bpf_map_get_fd_by_id(map_ids[i]);

		if (fd < 0) {
			err = -errno;
			break;
		}
		if (!bpf_obj_get_info_by_fd(fd, &map, &map_len) && !strcmp(map.name, name)) {
			err = fd;
			break;
		}
		close(fd);
	}
out:
	close(prog_fd);
	return err;
}

int instance_find_map(const struct hp_scan *scan, const char *name)
{
	for (int d = 0; d < scan->n_devs; d++) {
		const struct hp_netdev *dev = &scan->devs[d];

		for (int a = 0; a < dev->n_attachments; a++) {
			int fd;

			if (dev->attachments[a].prog.owner != HP_OWNER_SELF)
				continue;
			fd = instance_prog_map(dev->attachments[a].prog.id, name);
			if (fd != -ENOENT)
				return fd;
		}
	}
	return -ENOENT;
}

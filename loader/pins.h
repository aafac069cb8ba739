/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pin dir: where a running instance keeps its maps on bpffs, and its tcx links under
 * links/, the only state hairpin has between two commands besides what is attached. XDP
 * programs and cls_bpf filters are not pinned: the devices hold them. Everything in the pin
 * dir is hairpin's, or hairpin touches nothing there.
 */
#ifndef HP_PINS_H
#define HP_PINS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "hairpin.h"

enum hp_pin {
	HP_PIN_CONFIG,
	HP_PIN_FORWARDS,
	HP_PIN_FLOWS,
	HP_PIN_STATS,
	HP_PIN_DEVICES,
	HP_PIN_FRAGS,
	HP_PIN_SOURCES,
	HP_PIN_ADMISSION,
	HP_PIN_REASONS,
	HP_PIN_TARGET_PORTS,
	HP_PIN_FORWARD_INFO,
	HP_PIN_COUNT,
};

/* File names in the pin dir, indexed by enum hp_pin. */
extern const char *const hp_pin_names[HP_PIN_COUNT];

/* DIR/NAME into @buf; -ENAMETOOLONG if it does not fit. */
int pins_path(const char *dir, enum hp_pin pin, char *buf, size_t len);
/* The pinned object @pin of @dir, opened: an fd, or -errno (-ENOENT: not pinned). */
int pins_open(const char *dir, enum hp_pin pin);

/* Where the tcx links are pinned: DIR/links. */
#define HP_PIN_LINKS "links"
/* DIR/links/IFINDEX-DIRECTION-LINKID: one pin per link, named so that two never meet. */
int pins_link_path(const char *dir, int ifindex, enum hp_direction direction, __u32 link_id,
		   char *buf, size_t len);
/* Make DIR/links. 0 or -errno. */
int pins_prepare_links(const char *dir);

/*
 * pins_canonical_dir() - @dir without symlinks, "." or "..", absolute: realpath(3), or, for a
 * dir that does not exist (yet), its parent's realpath and its name. The name of an instance.
 * Return: 0, -ENAMETOOLONG if it does not fit @len, or -errno.
 */
int pins_canonical_dir(const char *dir, char *out, size_t len);

/*
 * Make @dir a directory on bpffs, mounting bpffs at /sys/fs/bpf first when @dir is under it
 * and nothing is mounted there (ip netns exec and minimal boots leave it empty).
 * *created tells whether this call made the directory, for the caller to undo.
 */
int pins_prepare(const char *dir, bool *created);

/*
 * pins_lock() - an exclusive lock on the instance of pin dir @dir, so that two commands that
 * change its state never interleave: up, down, set-public-ip, watch's writes. It is a file
 * under HP_LOCK_DIR named after the canonical pin dir, not the pin dir itself, which `down`
 * removes and `up` creates: a lock there would not hold across them.
 * Return: an fd that holds the lock until closed, or -errno after printing why.
 */
#define HP_LOCK_DIR "/run/hairpin"
int pins_lock(const char *dir);

/*
 * pins_run_path() - HP_LOCK_DIR/NAME.@suffix, NAME the canonical pin dir as systemd escapes a
 * path ("sys-fs-bpf-hairpin.lock"), into @path; HP_LOCK_DIR is made if it is not there.
 * Return: 0, or -errno after printing why.
 */
int pins_run_path(const char *dir, const char *suffix, char *path, size_t len);

/*
 * pins_check() - whether everything in @dir is hairpin's: the pins of enum hp_pin, each a BPF
 * map named hp_*, and links/ with tcx links in it. Anything else is named and refused.
 * Return: 0 (also when @dir does not exist), -EEXIST when something is not hairpin's, or
 * -errno after printing why.
 */
int pins_check(const char *dir);

/*
 * pins_remove() - unpin every map and link and remove the pin dir. Links are only unpinned:
 * detach them first (a pinned link whose pin goes is released, and detached with it).
 * Return: 0, or the first -errno after printing it.
 */
int pins_remove(const char *dir);

/*
 * pins_read_devices() - the records of the pinned devices map (malloc()ed): none (0, *n 0)
 * when it is not pinned. -errno after printing why.
 */
int pins_read_devices(const char *dir, struct hp_device **records, int *n);

/* Open every pinned map of a running instance. -ENOENT when none is running. */
int pins_open_all(const char *dir, int fds[HP_PIN_COUNT]);
void pins_close_all(int fds[HP_PIN_COUNT]);

/* Map the config map's value (the map is mmapable). munmap with pins_unmap_config(). */
int pins_map_config(int config_fd, struct hp_config **config);
void pins_unmap_config(struct hp_config *config);

/*
 * Change one word of the live config with a single atomic store, so that no packet ever sees
 * it half written (see struct hp_config).
 */
static inline void pins_config_store(__u32 *word, __u32 value)
{
	__atomic_store_n(word, value, __ATOMIC_RELEASE);
}

static inline void pins_config_store64(__u64 *word, __u64 value)
{
	__atomic_store_n(word, value, __ATOMIC_RELEASE);
}

/*
 * hp_config.ingress_bits from the addresses the config holds now, and @extra: the bits of
 * addresses about to join, set before they do. Call again without them once addresses left.
 */
static inline void pins_ingress_bits_refresh(struct hp_config *config, __u64 extra)
{
	__u64 bits = config->target_bits | config->reflect_bits | extra;

	if (config->public_addr)
		bits |= hp_target_bit(config->public_addr);
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++)
		if (config->old_public_addrs[i])
			bits |= hp_target_bit(config->old_public_addrs[i]);
	pins_config_store64(&config->ingress_bits, bits);
}

#endif

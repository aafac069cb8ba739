/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whose a BPF program is. A hairpin instance is its pin dir; each program `up` loads carries
 * that identity in its .rodata (struct hp_instance), which the kernel keeps with the program
 * whatever happens to hairpin's records. A program in the kernel is
 *   this instance's      when its identity names this pin dir, or, for a program of an earlier
 *                        hairpin without identity, when it uses this instance's pinned config map;
 *   another instance's   when it is hairpin's by its identity or its name, and not this one's;
 *   foreign              otherwise: never replaced, never removed.
 */
#ifndef HP_INSTANCE_H
#define HP_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "hairpin.h"

/* This instance, as its programs' identity and its pins tell it. */
struct hp_self {
	char pin_dir[HP_INSTANCE_PIN_DIR_LEN];	/* canonical */
	__u32 config_map_id;	/* of the pinned config map; 0 when none is pinned */
};

enum hp_owner {
	HP_OWNER_FOREIGN = 0,
	HP_OWNER_SELF,
	HP_OWNER_OTHER,		/* another hairpin instance */
};

struct hp_prog {
	__u32 id;
	char name[16];		/* BPF_OBJ_NAME_LEN */
	enum hp_owner owner;
	bool anonymous;		/* hairpin's by name, without identity (an earlier hairpin) */
	char pin_dir[HP_INSTANCE_PIN_DIR_LEN];	/* another instance's; "" when unknown */
};

/* This instance: @pin_dir canonical, and its pinned config map if there is one. 0 or -errno. */
int instance_self(const char *pin_dir, struct hp_self *self);

/* The identity `up` gives the programs it loads. */
void instance_identity(const struct hp_self *self, struct hp_instance *identity);

/*
 * instance_classify() - whose program @prog_id is, into @prog.
 * Return: 0; -ENOENT when no such program exists (any more); -EPERM without the privilege to
 * look programs up (CAP_SYS_ADMIN): never read that as "gone"; other -errno.
 */
int instance_classify(const struct hp_self *self, __u32 prog_id, struct hp_prog *prog);

/*
 * instance_find_map() - the map named @name of any program of this instance attached on any
 * device in @scan (struct hp_scan). Return: an fd, -ENOENT when none is attached, or -errno.
 */
struct hp_scan;
int instance_find_map(const struct hp_scan *scan, const char *name);

/* "this instance's", "another hairpin instance's (pin dir X)", "not hairpin's", into @buf. */
const char *instance_owner_text(const struct hp_prog *prog, char *buf, size_t len);

#endif

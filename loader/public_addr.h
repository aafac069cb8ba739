/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Changing the running instance's public address: what set-public-ip does once and watch does
 * whenever its source says so. One atomic store into the mmapped config map, under the pin
 * dir's lock, after the same refusals that up applies: no host's address, or one on a Device's
 * LAN. The address it replaces is kept for the live flows that own it (flows_set_public()).
 */
#ifndef HP_PUBLIC_ADDR_H
#define HP_PUBLIC_ADDR_H

#include <stdbool.h>
#include <linux/types.h>

/*
 * Store @addr as the public address of the instance pinned in @pin_dir; *old (may be NULL)
 * gets the address it replaced, 0 for none. Returns:
 *   0         done (also when @addr was already the public address);
 *   -ENOENT   no running instance: no config map pinned there;
 *   -EINVAL   @addr refused, *why says why ("is on the LAN of Device lan0");
 *   -errno    the config map couldn't be mapped, or the flows map read.
 * Prints nothing: the caller says what it means for it.
 */
int public_addr_set(const char *pin_dir, __be32 addr, __be32 *old,
		    const char **why);

/* The running instance's public address (0: none). -ENOENT when none runs, else -errno. */
int public_addr_get(const char *pin_dir, __be32 *addr);

#endif

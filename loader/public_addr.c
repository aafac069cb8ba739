// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "flows.h"
#include "maps.h"
#include "netdev.h"
#include "pins.h"
#include "plan.h"
#include "public_addr.h"

/* The devices the running instance is attached to, for plan_public_addr_problem(). */
static int running_devices(const char *pin_dir, char names[][IF_NAMESIZE], int *n)
{
	struct hp_device *recs;
	int fd, err, count;

	*n = 0;
	fd = pins_open(pin_dir, HP_PIN_DEVICES);
	if (fd < 0)
		return -ENOENT;
	err = maps_read_devices(fd, &recs, &count);
	close(fd);
	if (err)
		return err;
	for (int i = 0; i < count && *n < HP_MAX_DEVICES; i++) {
		/* A bridge's port: the LAN is the bridge's (its address, its subnet). */
		if (netdev_bridge_of(recs[i].ifindex, names[*n]) || !names[*n][0])
			snprintf(names[*n], IF_NAMESIZE, "%s", recs[i].name);
		(*n)++;
	}
	free(recs);
	return 0;
}

/* The pinned config map (and flows map, if @flows_fd), locked: *lock and the fds to close.
 * -ENOENT when none runs. */
static int open_config(const char *pin_dir, int *lock, int *fd, int *flows_fd)
{
	*lock = pins_lock(pin_dir);
	if (*lock < 0)
		return *lock;
	*fd = pins_open(pin_dir, HP_PIN_CONFIG);
	if (*fd < 0) {
		close(*lock);
		return -ENOENT;
	}
	if (flows_fd && (*flows_fd = pins_open(pin_dir, HP_PIN_FLOWS)) < 0) {
		close(*fd);
		close(*lock);
		return -ENOENT;
	}
	return 0;
}

int public_addr_set(const char *pin_dir, __be32 addr, __be32 *old,
		    const char **why)
{
	char devices[HP_MAX_DEVICES][IF_NAMESIZE];
	struct hp_config *config;
	int n_devices, fd, flows_fd, lock, err;

	err = open_config(pin_dir, &lock, &fd, &flows_fd);
	if (err)
		return err;
	/* Refused before anything changes: what no host has (a DDNS provider may serve it), and
	 * a LAN address, which would be taken from its owner. */
	*why = config_address_problem(addr);
	if (*why) {
		err = -EINVAL;
		goto out;
	}
	if (!running_devices(pin_dir, devices, &n_devices)) {
		*why = plan_public_addr_problem(addr, devices, n_devices);
		if (*why) {
			err = -EINVAL;
			goto out;
		}
	}
	err = pins_map_config(fd, &config);
	if (err)
		goto out;
	if (old)
		*old = __atomic_load_n(&config->public_addr, __ATOMIC_ACQUIRE);
	err = flows_set_public(config, flows_fd, addr);
	pins_unmap_config(config);
out:
	close(flows_fd);
	close(fd);
	close(lock);
	return err;
}

int public_addr_get(const char *pin_dir, __be32 *addr)
{
	struct hp_config *config;
	int fd, lock, err;

	err = open_config(pin_dir, &lock, &fd, NULL);
	if (err)
		return err;
	err = pins_map_config(fd, &config);
	if (!err) {
		*addr = __atomic_load_n(&config->public_addr, __ATOMIC_ACQUIRE);
		pins_unmap_config(config);
	}
	close(fd);
	close(lock);
	return err;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin down [CONFIG]: take every program of this instance off every device it is found on,
 * whatever happened before (a crash in the middle of `up`, a renamed device, lost records),
 * and remove the pins. The kernel says where the programs are (attached.h); the records only
 * say which clsact qdiscs hairpin added. Nothing attached is not an error; a refusal is: a
 * process without the privileges, a pin in the pin dir that is not hairpin's.
 *
 * With CONFIG, programs of an earlier hairpin that carried no identity and whose pins are lost
 * are taken as this instance's on CONFIG's Devices: only a CONFIG named on the command line,
 * since the default file may describe another instance, whose programs these are not.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attached.h"
#include "commands.h"
#include "config.h"
#include "detach.h"
#include "fault.h"
#include "instance.h"
#include "log.h"
#include "pins.h"
#include "probe.h"
#include "run_state.h"

/* Programs of an earlier hairpin on CONFIG's Devices, without identity: this instance's. */
static void adopt_anonymous(const char *path, struct hp_scan *scan)
{
	struct hp_config_file *conf = calloc(1, sizeof(*conf));

	if (!conf)
		return;
	if (config_load(conf, path)) {
		pr_debug("not looking at CONFIG's devices: %s", conf->error);
		goto out;
	}
	for (int i = 0; i < conf->n_devices; i++) {
		int ifindex = (int)if_nametoindex(conf->devices[i]);
		const struct hp_netdev *dev = ifindex ? attached_netdev(scan, ifindex) : NULL;

		for (int j = 0; dev && j < dev->n_attachments; j++) {
			struct hp_prog *prog = &dev->attachments[j].prog;

			if (prog->anonymous && prog->owner == HP_OWNER_OTHER)
				prog->owner = HP_OWNER_SELF;
		}
	}
out:
	free(conf);
}

static const struct hp_device *record_of(const struct hp_device *recs, int n, int ifindex)
{
	for (int i = 0; i < n; i++)
		if (recs[i].ifindex == (__u32)ifindex)
			return &recs[i];
	return NULL;
}

/* One line per device that was recorded or that carried this instance's programs. */
static void report(const struct hp_scan *scan, const struct detach_report *done,
		   const struct hp_device *recs, int n_recs)
{
	for (int i = 0; i < n_recs; i++) {
		const struct hp_netdev *dev = attached_netdev(scan, recs[i].ifindex);
		char label[2 * IF_NAMESIZE + 16];

		if (!dev) {
			pr_info("%s: gone (no device has its ifindex %u): nothing to detach",
				recs[i].name, recs[i].ifindex);
			continue;
		}
		if (strcmp(dev->name, recs[i].name))
			snprintf(label, sizeof(label), "%s (now %s)", recs[i].name, dev->name);
		else
			snprintf(label, sizeof(label), "%s", dev->name);
		if (done[dev - scan->devs].failed)
			continue;	/* said already */
		if (done[dev - scan->devs].removed)
			pr_info("%s: detached", label);
		else
			pr_info("%s: nothing of this instance was attached", label);
	}
	for (int i = 0; i < scan->n_devs; i++)
		if (done[i].removed && !record_of(recs, n_recs, scan->devs[i].ifindex))
			pr_info("%s: detached (this instance's programs, which no record listed)",
				scan->devs[i].name);
}

struct down_args {
	const char *config;
};

static const struct hp_operand down_operands[] = {
	HP_OPERAND("CONFIG", struct down_args, config, false, NULL),
	{},
};

/* A daemon that keeps the instance brings it back at the next network event: say so. */
static void warn_daemon(const char *pin_dir)
{
	struct run_state daemon;
	int stale;

	if (!run_state_read(pin_dir, &daemon, &stale))
		pr_warn("down: `hairpin run' (pid %d) keeps this instance and brings it back when the "
			"network changes; stop it first (systemctl stop hairpin, which takes it down)",
			daemon.pid);
}

static int down_main(const void *args, const struct hp_options *opts)
{
	const char *path = ((const struct down_args *)args)->config;
	struct detach_report *done = NULL;
	struct hp_device *recs = NULL;
	struct hp_scan scan = {};
	struct hp_self self;
	int n_recs = 0, lock, err;

	if (probe_permissions())
		return HP_EXIT_SYSTEM;
	warn_daemon(opts->pin_dir);
	lock = pins_lock(opts->pin_dir);
	if (lock < 0)
		return HP_EXIT_SYSTEM;
	err = pins_check(opts->pin_dir);
	if (err == -EEXIST)
		pr_warn("down: changed nothing");
	if (!err)
		err = instance_self(opts->pin_dir, &self);
	if (!err)
		err = pins_read_devices(opts->pin_dir, &recs, &n_recs);
	if (!err)
		err = attached_scan(&self, &scan);
	if (err)
		goto out;
	if (path)
		adopt_anonymous(path, &scan);
	done = calloc(scan.n_devs ? scan.n_devs : 1, sizeof(*done));
	if (!done) {
		err = -ENOMEM;
		goto out;
	}
	err = detach_instance(&scan, NULL, 0, recs, n_recs, opts->pin_dir, done);
	report(&scan, done, recs, n_recs);
	/* Keep the pins if something stays attached: a second `down` finds the records. */
	if (!err) {
		fault_point("detached");
		err = pins_remove(opts->pin_dir);
	}
out:
	attached_free(&scan);
	free(done);
	free(recs);
	close(lock);
	return err ? HP_EXIT_SYSTEM : HP_EXIT_OK;
}

const struct hp_command down_command = {
	.name = "down",
	.main = down_main,
	.args_size = sizeof(struct down_args),
	.operands = down_operands,
	.summary = "detach from every Device and remove the pins",
	.help = "Takes this instance's programs off every device the kernel shows them on (renamed\n"
		"devices, unrecorded ones, whatever a crash left) and removes the pins; a clsact qdisc\n"
		"only if hairpin added it and no one else's filter is on it. With CONFIG, programs of\n"
		"an earlier hairpin without identity on its Devices are taken too. Nothing attached is\n"
		"not an error.\n",
};

// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "format.h"
#include "log.h"
#include "netdev.h"
#include "plan.h"
#include "route.h"

/* The worse of two statuses: a missing device outranks a bad value. */
static int worse(int a, int b)
{
	return a == HP_EXIT_SYSTEM || b == HP_EXIT_SYSTEM ? HP_EXIT_SYSTEM
							   : (a ? a : b);
}

/* The Ethernet device @name, a Device or a port of the bridge @bridge ("" for a Device). */
static int plan_add_device(const struct hp_config_file *conf, struct hp_plan *plan,
			   const char *name, int ifindex, const char *bridge)
{
	char quote[HP_CONFIG_QUOTE_SIZE];
	struct hp_plan_device *dev;
	bool ethernet;
	int err;

	config_quote(name, quote);
	for (int i = 0; i < plan->n_devices; i++)
		if (plan->devices[i].ifindex == ifindex)
			return HP_EXIT_OK;	/* a port named, and its bridge too */
	if (plan->n_devices == HP_MAX_DEVICES) {
		pr_warn("%s:%d: more than %d devices to attach to, with the bridges' ports: `%s'",
			conf->path, conf->device_line, HP_MAX_DEVICES, quote);
		return HP_EXIT_USAGE;
	}
	err = netdev_is_ethernet(name, &ethernet);
	if (err) {
		pr_warn("%s:%d: couldn't query device `%s': %s", conf->path, conf->device_line,
			quote, strerror(-err));
		return HP_EXIT_SYSTEM;
	}
	if (!ethernet) {
		/* The programs parse Ethernet frames; wg0, ppp0 and tun carry bare IP. */
		pr_warn("%s:%d: %s is not an Ethernet device: `%s'", conf->path, conf->device_line,
			bridge[0] ? "a port of the bridge" : "Device", quote);
		return HP_EXIT_USAGE;
	}
	dev = &plan->devices[plan->n_devices++];
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	snprintf(dev->bridge, sizeof(dev->bridge), "%s", bridge);
	dev->ifindex = ifindex;
	return HP_EXIT_OK;
}

/*
 * A bridge as Device is attached on its ports: with br_netfilter (bridge-nf-call-iptables),
 * conntrack sees a frame in the bridge's PREROUTING, on the port, before tc ingress on the
 * bridge device, and would track the flow to the public address that hairpin then rewrites
 * into another (INVALID to a stateful firewall). On the ports hairpin comes first.
 */
static int plan_devices(const struct hp_config_file *conf, struct hp_plan *plan,
			bool skip_missing)
{
	struct netdev_port ports[HP_MAX_DEVICES];
	int status = HP_EXIT_OK;

	for (int i = 0; i < conf->n_devices; i++) {
		const char *name = conf->devices[i];
		char quote[HP_CONFIG_QUOTE_SIZE];
		int err, ifindex, n_ports;
		bool bridge;

		config_quote(name, quote);
		err = netdev_ifindex(name, &ifindex);
		if (!err)
			err = netdev_bridge_ports(name, &bridge, ports, HP_MAX_DEVICES, &n_ports);
		if (err == -ENODEV && skip_missing) {
			snprintf(plan->missing[plan->n_missing++], IF_NAMESIZE, "%s", name);
			continue;
		}
		if (err == -ENODEV) {
			pr_warn("%s:%d: no such device: `%s'", conf->path, conf->device_line, quote);
			status = HP_EXIT_SYSTEM;
			continue;
		}
		if (err) {
			pr_warn("%s:%d: couldn't query device `%s': %s", conf->path,
				conf->device_line, quote, strerror(-err));
			status = HP_EXIT_SYSTEM;
			continue;
		}
		if (!bridge) {
			status = worse(status, plan_add_device(conf, plan, name, ifindex, ""));
			continue;
		}
		if (!n_ports && skip_missing) {
			snprintf(plan->portless[plan->n_portless++], IF_NAMESIZE, "%s", name);
			continue;
		}
		if (!n_ports) {
			pr_warn("%s:%d: Device is a bridge without ports, nothing to attach to: `%s'",
				conf->path, conf->device_line, quote);
			status = HP_EXIT_SYSTEM;
			continue;
		}
		for (int p = 0; p < n_ports; p++)
			status = worse(status, plan_add_device(conf, plan, ports[p].name,
							       ports[p].ifindex, name));
	}
	return status;
}

static int require_local(const struct hp_config_file *conf, int line, const char *what,
			 __be32 addr)
{
	char buf[INET_ADDRSTRLEN];
	bool local;
	int err = netdev_is_local_ipv4(addr, &local);

	if (err) {
		pr_warn("couldn't list this host's addresses: %s", strerror(-err));
		return HP_EXIT_SYSTEM;
	}
	if (!local) {
		pr_warn("%s:%d: %s is not an address of this host: `%s'", conf->path, line, what,
			fmt_ip4(addr, buf));
		return HP_EXIT_USAGE;
	}
	return HP_EXIT_OK;
}

static int plan_local_addr(const struct hp_config_file *conf, struct hp_plan *plan)
{
	char buf[INET_ADDRSTRLEN];

	if (conf->has_local_addr) {
		plan->local_addr = conf->local_addr;
		return require_local(conf, conf->local_addr_line, "LocalAddress", plan->local_addr);
	}
	if (netdev_first_ipv4(conf->devices[0], &plan->local_addr)) {
		char quote[HP_CONFIG_QUOTE_SIZE];

		pr_warn("%s:%d: Device `%s' has no IPv4 address to use as LocalAddress; set LocalAddress",
			conf->path, conf->device_line, config_quote(conf->devices[0], quote));
		return HP_EXIT_USAGE;
	}
	pr_debug("LocalAddress: %s (first IPv4 address of %s)", fmt_ip4(plan->local_addr, buf),
		 conf->devices[0]);
	return HP_EXIT_OK;
}

static const struct hp_plan_device *plan_device(const struct hp_plan *plan, int ifindex)
{
	for (int i = 0; i < plan->n_devices; i++)
		if (plan->devices[i].ifindex == ifindex)
			return &plan->devices[i];
	return NULL;
}

/*
 * Where the target of @pf is, from the kernel's own route to it: this host, a host on the LAN
 * of a Device (reflected to that Device's clients), or a host this host routes to. Whatever
 * is not this host needs forwarding on the Devices. Prints what is wrong.
 */
static int plan_target_route(const struct hp_config_file *conf, int line,
			     const struct hp_plan *plan, struct hp_plan_forward *pf)
{
	char buf[INET_ADDRSTRLEN], src[INET_ADDRSTRLEN];
	const struct hp_plan_device *dev;
	struct route route;
	bool on_device = false;
	int err = route_get(pf->target_addr, &route);

	if (err) {
		pr_warn("couldn't ask the kernel for its route to %s: %s",
			fmt_ip4(pf->target_addr, buf), strerror(-err));
		return HP_EXIT_SYSTEM;
	}
	if (route.kind == ROUTE_NONE) {
		pr_warn("%s:%d: Target %s is no host this host can reach (%s): `%s'", conf->path,
			line, fmt_ip4(pf->target_addr, buf), route.why, fmt_ip4(pf->target_addr, buf));
		return HP_EXIT_USAGE;
	}
	if (route.kind == ROUTE_LOCAL) {
		pf->reach = HP_REACH_LOCAL;
		return HP_EXIT_OK;
	}
	snprintf(pf->via, sizeof(pf->via), "%s", route.ifname);
	pf->gateway = route.gateway;
	dev = route.kind == ROUTE_ON_LINK ? plan_device(plan, route.ifindex) : NULL;
	if (!dev) {
		pf->reach = HP_REACH_ROUTED;
		return HP_EXIT_OK;
	}
	/* On a Device's LAN: its clients and the target meet there without this host. */
	pf->reach = HP_REACH_REFLECTED;
	pf->reflect_ifindex = dev->ifindex;
	/*
	 * The kernel's preferred source, when it is the Device's: for a Device with no address
	 * of its own the kernel prefers another device's, which the target could answer only
	 * through a router, never on this LAN.
	 */
	pf->reflect_addr = route.prefsrc;
	if (pf->reflect_addr &&
	    (netdev_ipv4_on_link(dev->name, pf->reflect_addr, &on_device) || !on_device))
		pf->reflect_addr = 0;
	if (!pf->reflect_addr && netdev_first_ipv4(dev->name, &pf->reflect_addr)) {
		pr_warn("%s:%d: Target %s is on the LAN of Device %s, which has no IPv4 address "
			"for this host to reflect its clients' flows with: `%s'", conf->path, line,
			fmt_ip4(pf->target_addr, buf), dev->name, fmt_ip4(pf->target_addr, buf));
		return HP_EXIT_USAGE;
	}
	pr_debug("Target %s: reflected on %s from %s", fmt_ip4(pf->target_addr, buf), dev->name,
		 fmt_ip4(pf->reflect_addr, src));
	return HP_EXIT_OK;
}

/* A target elsewhere is reached by forwarding: the Devices' clients' packets are routed on. */
static int plan_forwarding(const struct hp_config_file *conf, const struct hp_plan *plan,
			   const struct hp_plan_forward *pf, int line)
{
	char buf[INET_ADDRSTRLEN];

	for (int i = 0; i < plan->n_devices; i++) {
		bool on = false;

		if (route_forwarding(plan->devices[i].name, &on) || on)
			continue;
		pr_warn("%s:%d: Target %s is not this host's, and this host does not forward IPv4 "
			"from Device %s (sysctl net.ipv4.conf.%s.forwarding = 0; set "
			"net.ipv4.ip_forward = 1): `%s'", conf->path, line,
			fmt_ip4(pf->target_addr, buf), plan->devices[i].name, plan->devices[i].name,
			fmt_ip4(pf->target_addr, buf));
		return HP_EXIT_USAGE;
	}
	return HP_EXIT_OK;
}

const char *plan_forward_route(const struct hp_plan_forward *pf, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	switch (pf->reach) {
	case HP_REACH_LOCAL:
		snprintf(buf, len, "this host");
		break;
	case HP_REACH_ROUTED:
		if (pf->gateway)
			snprintf(buf, len, "routed via %s (through %s), the client's address kept",
				 pf->via, fmt_ip4(pf->gateway, a));
		else
			snprintf(buf, len, "routed via %s, the client's address kept", pf->via);
		break;
	case HP_REACH_REFLECTED:
		snprintf(buf, len, "on the LAN of %s: its clients reflected, the target sees %s as "
			 "the client", pf->via, fmt_ip4(pf->reflect_addr, b));
		break;
	}
	return buf;
}

static int plan_forwards(const struct hp_config_file *conf, struct hp_plan *plan)
{
	int status = HP_EXIT_OK;

	for (int i = 0; i < conf->n_forwards; i++) {
		const struct hp_config_forward *cf = &conf->forwards[i];
		struct hp_plan_forward *pf = &plan->forwards[plan->n_forwards++];
		int line = cf->target_line ? cf->target_line : cf->line;
		int err;

		pf->protocol = cf->protocol;
		pf->port = cf->port;
		pf->target_addr = cf->target_addr ? cf->target_addr : plan->local_addr;
		pf->target_port = htons(cf->target_port ? cf->target_port : cf->port);
		pf->flags = cf->roaming ? HP_FORWARD_ROAMING : 0;
		err = plan_target_route(conf, line, plan, pf);
		if (!err && pf->reach != HP_REACH_LOCAL)
			err = plan_forwarding(conf, plan, pf, line);
		if (err) {
			status = status == HP_EXIT_SYSTEM ? status : err;
			continue;
		}
		plan->target_bits |= hp_target_bit(pf->target_addr);
		if (pf->reach == HP_REACH_REFLECTED)
			plan->reflect_bits |= hp_target_bit(pf->reflect_addr);
	}
	return status;
}

const char *plan_public_addr_problem(__be32 addr, char devices[][IF_NAMESIZE], int n_devices)
{
	static char why[64 + IF_NAMESIZE];
	bool yes;

	for (int i = 0; i < n_devices; i++) {
		if (!netdev_ipv4_on_link(devices[i], addr, &yes) && yes) {
			snprintf(why, sizeof(why), "is on the LAN of Device %.*s", IF_NAMESIZE - 1,
				 devices[i]);
			return why;
		}
	}
	return NULL;
}

static int plan_public_addr(const struct hp_config_file *conf)
{
	char buf[INET_ADDRSTRLEN];
	const char *why;

	if (!conf->has_public_addr)
		return HP_EXIT_OK;
	why = plan_public_addr_problem(conf->public_addr, (char (*)[IF_NAMESIZE])conf->devices,
				       conf->n_devices);
	if (!why)
		return HP_EXIT_OK;
	pr_warn("%s:%d: PublicAddress %s: `%s'", conf->path, conf->public_addr_line, why,
		fmt_ip4(conf->public_addr, buf));
	return HP_EXIT_USAGE;
}


int plan_make(const struct hp_config_file *conf, struct hp_plan *plan, bool skip_missing)
{
	int status;

	memset(plan, 0, sizeof(*plan));
	plan->mode = conf->mode;
	plan->has_public_addr = conf->has_public_addr;
	plan->public_addr = conf->public_addr;
	plan->n_sources = conf->n_sources;
	memcpy(plan->timeouts, conf->timeouts, sizeof(plan->timeouts));
	plan->new_flow_rate = conf->new_flow_rate;
	plan->new_flow_burst = conf->new_flow_burst;
	memcpy(plan->sources, conf->sources, sizeof(conf->sources[0]) * conf->n_sources);

	status = plan_devices(conf, plan, skip_missing);
	if (status == HP_EXIT_SYSTEM)
		return status;	/* without the devices, addresses can't be resolved */
	status = worse(status, plan_public_addr(conf));
	status = worse(status, plan_local_addr(conf, plan));
	if (status)
		return status;
	return worse(status, plan_forwards(conf, plan));
}

int plan_load(const char *path, struct hp_plan *plan)
{
	struct hp_config_file *conf = calloc(1, sizeof(*conf));
	int status;

	if (!conf) {
		pr_warn("out of memory");
		return HP_EXIT_SYSTEM;
	}
	if (config_load(conf, path)) {
		pr_warn("%s", conf->error);
		status = HP_EXIT_USAGE;
	} else {
		status = plan_make(conf, plan, false);
	}
	free(conf);
	return status;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin doctor [--json] [--no-probe] [CONFIG]: why a LAN client's connection to the public
 * address fails on this gateway, and how to fix it. Each finding is one line: what is wrong
 * (or found fine), the evidence, the fix (a command or a configuration line). It reads this
 * host (the configuration, the running instance from its pins and the kernel, sysctls,
 * /proc's counters, conntrack) and asks the router what it can be asked; it changes nothing.
 *
 * The probes it sends, each named in its output (and in hairpin(8)), never from and to the same
 * address (firewalls flag such packets as LAND attacks): a NAT-PMP public address request to
 * the default gateway's UDP 5351; an SSDP M-SEARCH to 239.255.255.250:1900, then an HTTP GET
 * of the description of the gateway's UPnP IGD and one SOAP GetSpecificPortMappingEntry per
 * forward; the DNS query of PublicAddressFrom = dns:NAME. --no-probe sends none of them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attached.h"
#include "commands.h"
#include "config.h"
#include "format.h"
#include "instance.h"
#include "json.h"
#include "log.h"
#include "natpmp.h"
#include "netdev.h"
#include "nft.h"
#include "plan.h"
#include "probe.h"
#include "route.h"
#include "source.h"
#include "state.h"
#include "upnp.h"
#include "version.h"
#include "xdp_drivers.h"

/* How long one probe may wait for its answer. */
#define DOCTOR_PROBE_MS 3000
/* Counters are read twice, this far apart at least, to see whether they move. */
#define DOCTOR_SAMPLE_MS 1000
#define DOCTOR_MAX_FINDINGS 128
#define DOCTOR_MAX_PROBES 32
#define DOCTOR_MAX_STUCK 64
#define DOCTOR_TEXT 480

enum level { LEVEL_OK, LEVEL_NOTE, LEVEL_PROBLEM };

static const char *const level_names[] = {
	[LEVEL_OK] = "ok",
	[LEVEL_NOTE] = "note",
	[LEVEL_PROBLEM] = "problem",
};

struct finding {
	enum level level;
	const char *check;		/* "rp_filter", "public_address", ... */
	char what[DOCTOR_TEXT];		/* what is wrong, or what was found fine */
	char evidence[DOCTOR_TEXT];	/* what shows it; "" for none */
	char fix[DOCTOR_TEXT];		/* a command or a config line; "" for none */
};

struct probe_sent {
	char what[160];			/* "NAT-PMP public address request, UDP ..." */
	char result[2 * DOCTOR_TEXT];
};

/* A LAN client's flow to the public address in conntrack: masqueraded, never answered. */
struct stuck_flow {
	__u8 protocol;
	__be32 client;
	__be32 dst;
	__u16 port;			/* host order */
	__be32 masqueraded_as;
};

struct doctor {
	const char *config_path;
	const char *pin_dir;
	bool probes;
	struct hp_config_file *conf;
	struct hp_plan *plan;
	bool plan_ok;
	bool running;
	struct hp_state st;
	__be32 public_addr;		/* what hairpin rewrites, else the config's; 0: none */
	struct route to_public;		/* this host's way to the public address */
	int n_masqueraded;		/* conntrack: LAN clients' flows masqueraded as its prefsrc */
	__be32 gateway;			/* the default gateway; 0: none */
	struct route to_gateway;	/* this host's way to it (prefsrc: its address there) */
	__u64 martians_before;
	bool martians_known;
	__u64 translated_before;	/* packets both ways, all forwards */
	__u64 started_ms;
	struct stuck_flow stuck[DOCTOR_MAX_STUCK];
	int n_stuck;
	bool conntrack_read;
	struct finding findings[DOCTOR_MAX_FINDINGS];
	int n_findings;
	struct probe_sent probes_sent[DOCTOR_MAX_PROBES];
	int n_probes;
};

static struct finding *finding_add(struct doctor *d, enum level level, const char *check,
				   const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A finding: @fmt says what; its evidence is set by evidence() after, if any. */
static struct finding *finding_add(struct doctor *d, enum level level, const char *check,
				   const char *fix, const char *fmt, ...)
{
	static struct finding spare;
	struct finding *f = d->n_findings < DOCTOR_MAX_FINDINGS ? &d->findings[d->n_findings++]
								 : &spare;
	va_list ap;

	memset(f, 0, sizeof(*f));
	f->level = level;
	f->check = check;
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
	snprintf(f->fix, sizeof(f->fix), "%s", fix ? fix : "");
	return f;
}

static void evidence(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void evidence(struct finding *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->evidence, sizeof(f->evidence), fmt, ap);
	va_end(ap);
}

static struct probe_sent *probe_add(struct doctor *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct probe_sent *probe_add(struct doctor *d, const char *fmt, ...)
{
	static struct probe_sent spare;
	struct probe_sent *p = d->n_probes < DOCTOR_MAX_PROBES ? &d->probes_sent[d->n_probes++]
							       : &spare;
	va_list ap;

	memset(p, 0, sizeof(*p));
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
	return p;
}

/* The first number in the file at @path; -1 when it can't be read. */
static long read_number(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static long sysctl_conf(const char *dev, const char *key)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", dev, key);
	return read_number(path);
}

/*
 * The kernel's count of packets dropped for a martian source (in_martian_src of
 * /proc/net/stat/rt_cache, one hex row per CPU). The counter is the machine's, not this
 * network namespace's. -1 when it can't be read.
 */
static int martians_read(__u64 *sum)
{
	FILE *f = fopen("/proc/net/stat/rt_cache", "re");
	char line[1024];
	int col = -1, i = 0;

	*sum = 0;
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n"), i++)
			if (!strcmp(tok, "in_martian_src"))
				col = i;
	while (col >= 0 && fgets(line, sizeof(line), f)) {
		i = 0;
		for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n"), i++)
			if (i == col)
				*sum += strtoull(tok, NULL, 16);
	}
	fclose(f);
	return col >= 0 ? 0 : -1;
}

/* TcpExt's IPReversePathFilter in /proc/net/netstat (this namespace's): packets rp_filter
 * dropped. -1 when it can't be read. */
static long long rp_filter_drops(void)
{
	FILE *f = fopen("/proc/net/netstat", "re");
	char names[4096], values[4096];
	long long v = -1;

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		char *sn, *sv, *n = strtok_r(names, " \n", &sn), *val = strtok_r(values, " \n", &sv);

		if (!n || strcmp(n, "TcpExt:"))
			continue;
		while ((n = strtok_r(NULL, " \n", &sn)) && (val = strtok_r(NULL, " \n", &sv)))
			if (!strcmp(n, "IPReversePathFilter"))
				v = atoll(val);
	}
	fclose(f);
	return v;
}

static __u64 translated_packets(const struct hp_state *st)
{
	__u64 sum = 0;

	for (int i = 0; i < st->n_forwards; i++)
		sum += st->stats[i].to_target_packets + st->stats[i].to_client_packets;
	return sum;
}

/* The Device of the configuration whose LAN @addr is on, or NULL. */
static const char *device_of_client(const struct doctor *d, __be32 addr)
{
	for (int i = 0; i < d->conf->n_devices; i++) {
		bool on = false;

		if (!netdev_ipv4_on_link(d->conf->devices[i], addr, &on) && on)
			return d->conf->devices[i];
	}
	return NULL;
}

static bool is_forward(const struct doctor *d, __u8 protocol, __u16 port)
{
	if (d->running) {
		for (int i = 0; i < d->st.n_forwards; i++)
			if (d->st.forwards[i].protocol == protocol && d->st.forwards[i].port == port)
				return true;
		return false;
	}
	for (int i = 0; i < d->conf->n_forwards; i++)
		if (d->conf->forwards[i].protocol == protocol && d->conf->forwards[i].port == port)
			return true;
	return false;
}

/* Whether @addr is the public address or an old one that live flows still own. */
static bool is_public(const struct doctor *d, __be32 addr)
{
	if (addr && addr == d->public_addr)
		return true;
	for (int i = 0; d->running && i < HP_MAX_OLD_PUBLIC; i++)
		if (addr && addr == d->st.config.old_public_addrs[i])
			return true;
	return false;
}

/* "src=A.B.C.D" after @from in a conntrack line: the address, and where it ends. */
static const char *ct_field(const char *from, const char *key, char *out, size_t len)
{
	const char *p = strstr(from, key);
	size_t n;

	if (!p)
		return NULL;
	p += strlen(key);
	n = strcspn(p, " \n");
	if (n >= len)
		return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return p + n;
}

/*
 * The stuck flows in /proc/net/nf_conntrack (this namespace's): a LAN client's UDP or TCP flow
 * to the public address, masqueraded (the reply goes to another address than the client) and
 * [UNREPLIED]. That is the problem hairpin fixes, as the kernel's own table shows it.
 */
static void conntrack_read(struct doctor *d)
{
	FILE *f = fopen("/proc/net/nf_conntrack", "re");
	char line[512];

	if (!f)
		return;
	d->conntrack_read = true;
	while (fgets(line, sizeof(line), f) && d->n_stuck < DOCTOR_MAX_STUCK) {
		char src[32], dst[32], dport[16], rdst[32];
		const char *p = line;
		struct stuck_flow s = {};

		if (strncmp(line, "ipv4", 4))
			continue;
		if (strstr(line, " udp "))
			s.protocol = IPPROTO_UDP;
		else if (strstr(line, " tcp "))
			s.protocol = IPPROTO_TCP;
		else
			continue;
		if (!(p = ct_field(p, "src=", src, sizeof(src))) ||
		    !(p = ct_field(p, "dst=", dst, sizeof(dst))) ||
		    !(p = ct_field(p, "dport=", dport, sizeof(dport))) ||
		    !(p = ct_field(p, "dst=", rdst, sizeof(rdst))) ||
		    inet_pton(AF_INET, src, &s.client) != 1 || inet_pton(AF_INET, dst, &s.dst) != 1 ||
		    inet_pton(AF_INET, rdst, &s.masqueraded_as) != 1)
			continue;
		s.port = atoi(dport);
		if (s.masqueraded_as == s.client || !device_of_client(d, s.client))
			continue;
		/* Any flow of the LAN's that leaves as this host's address on the way out. */
		d->n_masqueraded += d->to_public.prefsrc && s.masqueraded_as == d->to_public.prefsrc;
		if (is_public(d, s.dst) && strstr(line, "[UNREPLIED]"))
			d->stuck[d->n_stuck++] = s;
	}
	fclose(f);
}

/* Whether this instance's programs are on device @name, both hooks, as the kernel shows. */
static bool runs_on(const struct doctor *d, const char *name)
{
	for (int i = 0; i < d->st.n_devices; i++) {
		const struct hp_device_health *h = &d->st.health[i];

		if (h->state == HP_DEVICE_ATTACHED && h->now && !strcmp(h->now->name, name))
			return true;
	}
	return false;
}

#define DOCTOR_MAX_PORTS 32

/* ---- the checks -------------------------------------------------------------------------- */

static void check_instance(struct doctor *d)
{
	int fds[HP_PIN_COUNT], err;
	char fix[DOCTOR_TEXT], where[48], owner[320];

	snprintf(fix, sizeof(fix), "hairpin up %s (and systemctl enable --now hairpin, for every "
		 "boot)", d->config_path);
	err = pins_open_all(d->pin_dir, fds);
	if (err == -ENOENT) {
		struct finding *f = finding_add(d, LEVEL_PROBLEM, "hairpin", fix,
						"hairpin is not running");
		struct hp_self self;
		struct hp_scan scan;
		size_t len;

		evidence(f, "nothing pinned at %s", d->pin_dir);
		/* What a crash left: this instance's programs, without their maps' pins. */
		if (instance_self(d->pin_dir, &self) || attached_scan(&self, &scan))
			return;
		for (int i = 0; i < scan.n_devs; i++)
			for (int j = 0; j < scan.devs[i].n_attachments; j++) {
				const struct hp_attachment *at = &scan.devs[i].attachments[j];

				if (at->prog.owner != HP_OWNER_SELF)
					continue;
				len = strlen(f->evidence);
				snprintf(f->evidence + len, sizeof(f->evidence) - len, "; yet %s's %s "
					 "holds its program %u (hairpin down removes it)",
					 scan.devs[i].name, attachment_where(at, where, sizeof(where)),
					 at->prog.id);
			}
		attached_free(&scan);
		return;
	}
	if (err) {
		finding_add(d, LEVEL_PROBLEM, "hairpin", "hairpin status says more",
			    "couldn't open the pinned maps in %s: %s", d->pin_dir, probe_strerror(err));
		return;
	}
	err = state_read(&d->st, fds, d->pin_dir);
	pins_close_all(fds);
	if (err) {
		finding_add(d, LEVEL_PROBLEM, "hairpin", "hairpin status says more",
			    "couldn't read the instance at %s: %s", d->pin_dir, probe_strerror(err));
		return;
	}
	d->running = true;
	snprintf(fix, sizeof(fix), "hairpin up %s", d->config_path);
	for (int i = 0; i < d->st.n_devices; i++) {
		const struct hp_device_health *h = &d->st.health[i];
		struct finding *f;

		if (h->state == HP_DEVICE_ATTACHED) {
			f = finding_add(d, LEVEL_OK, "hairpin", NULL, "runs on %s",
					h->record->name);
			evidence(f, "ingress %s program %u, egress %s program %u, as the kernel shows",
				 hp_hook_text(h->ingress.hook), h->ingress.prog_id,
				 hp_hook_text(h->egress.hook), h->egress.prog_id);
			continue;
		}
		f = finding_add(d, LEVEL_PROBLEM, "hairpin", fix, "is not attached to %s: %s",
				h->record->name, health_device_state_name(h->state));
		if (h->state == HP_DEVICE_GONE) {
			evidence(f, "no device has its ifindex %u any more", h->record->ifindex);
		} else if (h->ingress.state == HP_HOOK_REPLACED || h->egress.state == HP_HOOK_REPLACED) {
			const struct hp_hook_health *r = h->ingress.state == HP_HOOK_REPLACED ?
							 &h->ingress : &h->egress;

			evidence(f, "its %s %s holds program %u (%s), %s", r == &h->ingress ?
				 "ingress" : "egress", hp_hook_text(r->hook), r->replaced_by.id,
				 r->replaced_by.name,
				 instance_owner_text(&r->replaced_by, owner, sizeof(owner)));
		} else {
			evidence(f, "ingress %s %s, egress %s %s", hp_hook_text(h->ingress.hook),
				 health_hook_state_name(h->ingress.state), hp_hook_text(h->egress.hook),
				 health_hook_state_name(h->egress.state));
		}
		for (int j = 0; j < h->n_leftovers; j++)
			evidence(f, "also this instance's program %u in %s", h->leftovers[j]->prog.id,
				 attachment_where(h->leftovers[j], where, sizeof(where)));
	}
	/* The configuration against what runs: an `up` not run since it changed. */
	for (int i = 0; i < d->conf->n_devices; i++) {
		struct netdev_port ports[DOCTOR_MAX_PORTS];
		bool found = false, bridge;
		int n;

		if (!netdev_bridge_ports(d->conf->devices[i], &bridge, ports, DOCTOR_MAX_PORTS, &n) &&
		    bridge) {
			/* A bridge as Device is attached on its ports (plan.c says why). */
			for (int j = 0; j < n; j++)
				if (!runs_on(d, ports[j].name))
					evidence(finding_add(d, LEVEL_PROBLEM, "hairpin", fix,
							     "does not run on %s, a port of %s (a Device "
							     "of %s): its clients' packets go by without it",
							     ports[j].name, d->conf->devices[i],
							     d->config_path),
						 "a port that joined after `hairpin up': `hairpin run' "
						 "follows a bridge's ports, `up' alone does not");
			continue;
		}
		for (int j = 0; j < d->st.n_devices; j++)
			found |= !strcmp(d->st.devices[j].name, d->conf->devices[i]);
		if (!found)
			evidence(finding_add(d, LEVEL_PROBLEM, "hairpin", fix,
					     "does not run on %s, a Device of %s", d->conf->devices[i],
					     d->config_path),
				 "the running instance's Devices are those of an earlier "
				 "configuration");
	}
	for (int i = 0; i < d->conf->n_forwards; i++) {
		const struct hp_config_forward *cf = &d->conf->forwards[i];

		if (!is_forward(d, cf->protocol, cf->port))
			evidence(finding_add(d, LEVEL_PROBLEM, "hairpin", fix,
					     "does not forward %s/%u, a [Forward] of %s (line %d)",
					     fmt_protocol(cf->protocol), cf->port, d->config_path,
					     cf->line),
				 "the running instance's forwards are those of an earlier "
				 "configuration");
	}
}

/* Is hairpin needed here: the martian condition. */
static void check_needed(struct doctor *d)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];
	const struct route route = d->to_public;
	struct finding *f;
	bool local = false;

	if (!d->public_addr)
		return;
	if (!netdev_is_local_ipv4(d->public_addr, &local) && local) {
		finding_add(d, LEVEL_NOTE, "needed", NULL, "%s is an address of this host: its "
			    "forwarded ports are this host's own netfilter's to send on, hairpin has "
			    "no martians to prevent", fmt_ip4(d->public_addr, a));
		return;
	}
	if (!route.ifindex && route.kind != ROUTE_NONE)
		return;		/* the kernel could not be asked */
	if (route.kind == ROUTE_NONE) {
		finding_add(d, LEVEL_NOTE, "needed", NULL, "this host has no way to %s (%s): its LAN "
			    "cannot reach it without hairpin either", fmt_ip4(d->public_addr, a),
			    route.why);
		return;
	}
	for (int i = 0; i < d->conf->n_devices; i++)
		if (!strcmp(route.ifname, d->conf->devices[i])) {
			finding_add(d, LEVEL_PROBLEM, "needed", "PublicAddress = the router's public "
				    "address, not one on the LAN", "%s, the public address, is on the "
				    "LAN of Device %s", fmt_ip4(d->public_addr, a), route.ifname);
			return;
		}
	f = finding_add(d, LEVEL_OK, "needed", NULL, "%s is not this host's; it is reached by %s%s%s, "
			"from %s: a LAN client masqueraded there comes back from the router with "
			"this host's own address as its source, a martian",
			fmt_ip4(d->public_addr, a), route.ifname,
			route.kind == ROUTE_VIA_GATEWAY ? " through " : "",
			route.kind == ROUTE_VIA_GATEWAY ? fmt_ip4(route.gateway, b) : "",
			fmt_ip4(route.prefsrc, c));
	if (d->n_masqueraded)
		evidence(f, "conntrack: %d flow%s of LAN clients masqueraded as %s", d->n_masqueraded,
			 d->n_masqueraded == 1 ? "" : "s", c);
	else if (d->conntrack_read)
		evidence(f, "conntrack shows no LAN client's flow masqueraded as %s now", c);
}

/* A foreign program that runs before hairpin's ingress on a Device. */
static void check_other_programs(struct doctor *d)
{
	char where[48], fix[DOCTOR_TEXT];

	if (!d->running)
		return;
	for (int i = 0; i < d->st.n_devices; i++) {
		const struct hp_device_health *h = &d->st.health[i];
		bool seen_hairpin = false;

		if (!h->now || h->ingress.state == HP_HOOK_REPLACED)
			continue;	/* said by check_instance */
		for (int j = 0; j < h->now->n_attachments; j++) {
			const struct hp_attachment *a = &h->now->attachments[j];
			bool before;

			if (a->prog.owner == HP_OWNER_SELF) {
				seen_hairpin |= a->hook == h->ingress.hook;
				continue;
			}
			if (a->hook == HP_HOOK_XDP || a->hook == HP_HOOK_XDP_GENERIC)
				before = h->ingress.hook != HP_HOOK_XDP;
			else if (a->hook == HP_HOOK_TC && a->direction == HP_DIR_INGRESS)
				before = h->ingress.hook == HP_HOOK_TC &&
					 a->filter.priority < HP_TC_PRIORITY;
			else if (a->hook == HP_HOOK_TCX && a->direction == HP_DIR_INGRESS)
				before = h->ingress.hook == HP_HOOK_TCX && !seen_hairpin;
			else
				continue;
			if (!before)
				continue;
			attachment_where(a, where, sizeof(where));
			if (a->hook == HP_HOOK_XDP || a->hook == HP_HOOK_XDP_GENERIC)
				snprintf(fix, sizeof(fix), "ip link set dev %s %s off, if it is not "
					 "needed; else it must pass what is sent to the public address",
					 h->now->name, a->hook == HP_HOOK_XDP ? "xdp" : "xdpgeneric");
			else
				snprintf(fix, sizeof(fix), "remove it, or let it pass what is sent to "
					 "the public address");
			evidence(finding_add(d, LEVEL_PROBLEM, "other_program", fix,
					     "%s's %s runs program %u (%s), not hairpin's, before "
					     "hairpin's %s ingress: whatever it drops or redirects "
					     "hairpin never sees", h->now->name, where, a->prog.id,
					     a->prog.id ? a->prog.name : a->filter.kind,
					     hp_hook_text(h->ingress.hook)),
				 "as the kernel lists %s's hooks", h->now->name);
		}
	}
}

static void check_offload(struct doctor *d)
{
	char driver[32], why[160];

	for (int i = 0; d->running && i < d->st.n_devices; i++) {
		const struct hp_device *rec = &d->st.devices[i];

		if (rec->ingress_hook != HP_HOOK_XDP || netdev_driver(rec->name, driver, sizeof(driver)))
			continue;
		if (xdp_driver_wanted(driver, why, sizeof(why)))
			continue;
		evidence(finding_add(d, LEVEL_NOTE, "offload", "Mode = tc (or auto) in [Interface], "
				     "then hairpin up", "%s runs hairpin's ingress in native XDP, "
				     "which Mode = auto does not choose there", rec->name),
			 "%s", why);
	}
}

static void check_rp_filter(struct doctor *d)
{
	long all = sysctl_conf("all", "rp_filter");
	long long drops = rp_filter_drops();
	__be32 clients[DOCTOR_MAX_STUCK + 64];
	int n = 0;

	/* The clients this host knows of: the flows hairpin tracks, the stuck ones in conntrack,
	 * the first address of each AllowedSources prefix. */
	for (int i = 0; d->running && i < d->st.n_flows && n < 64; i++)
		if (d->st.flows[i].live && !d->st.flows[i].reflection)
			clients[n++] = d->st.flows[i].entry.key.client_addr;
	for (int i = 0; i < d->n_stuck; i++)
		clients[n++] = d->stuck[i].client;
	for (int i = 0; i < d->conf->n_sources && n < (int)(sizeof(clients) / sizeof(clients[0])); i++)
		clients[n++] = d->conf->sources[i].addr | htonl(d->conf->sources[i].len < 32);

	for (int i = 0; i < d->conf->n_devices; i++) {
		const char *dev = d->conf->devices[i];
		long own = sysctl_conf(dev, "rp_filter"), eff = own > all ? own : all;
		char fix[DOCTOR_TEXT], a[INET_ADDRSTRLEN];
		bool bad = false;

		if (own < 0)
			continue;
		if (eff != 1) {
			finding_add(d, LEVEL_OK, "rp_filter", NULL, "%s: %s", dev, eff == 2 ?
				    "loose (2): it drops no rewritten packet" :
				    "off (0): it drops no rewritten packet");
			continue;
		}
		snprintf(fix, sizeof(fix), "sysctl -w net.ipv4.conf.all.rp_filter=2 "
			 "net.ipv4.conf.%s.rp_filter=2 (loose), or route the client back by %s", dev, dev);
		for (int j = 0; j < n && !bad; j++) {
			struct route back;
			const char *client_dev = device_of_client(d, clients[j]);
			struct finding *f;

			if (!client_dev || strcmp(client_dev, dev) || route_get(clients[j], &back) ||
			    back.kind == ROUTE_NONE || !strcmp(back.ifname, dev))
				continue;
			bad = true;
			f = finding_add(d, LEVEL_PROBLEM, "rp_filter", fix, "%s drops what client %s "
					"sends, the packets hairpin rewrote too: rp_filter is strict there "
					"and the way back to the client is not by %s", dev,
					fmt_ip4(clients[j], a), dev);
			evidence(f, "net.ipv4.conf.%s.rp_filter = %ld, .all = %ld; ip route get %s: "
				 "by %s; IPReversePathFilter drops: %lld", dev, own, all, a,
				 back.ifname, drops);
		}
		if (!bad)
			finding_add(d, LEVEL_OK, "rp_filter", NULL, "%s: strict (1), and every client "
				    "on it that this host knows of is routed back by it", dev);
	}
}


/*
 * A bridge Device and br_netfilter, which hands a bridge's frames to iptables and conntrack
 * at the bridge's receive, after each port's tc ingress and before the bridge's own: hairpin
 * attaches on the ports to be ahead of it. A port without hairpin is the problem.
 */
static void check_br_netfilter(struct doctor *d)
{
	long global = read_number("/proc/sys/net/bridge/bridge-nf-call-iptables");

	for (int i = 0; i < d->conf->n_devices; i++) {
		const char *dev = d->conf->devices[i];
		struct netdev_port ports[DOCTOR_MAX_PORTS];
		char path[128];
		char on[DOCTOR_MAX_PORTS * (IF_NAMESIZE + 2)] = "", without[sizeof(on)] = "";
		bool bridge;
		int n;
		long own;
		struct finding *f;

		if (netdev_bridge_ports(dev, &bridge, ports, DOCTOR_MAX_PORTS, &n) || !bridge)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/bridge/nf_call_iptables", dev);
		own = read_number(path);
		if (global != 1 && own != 1) {
			finding_add(d, LEVEL_OK, "br_netfilter", NULL, "%s is a bridge, and netfilter "
				    "does not see its bridged frames (br_netfilter %s)", dev,
				    global < 0 ? "not loaded" : "off");
			continue;
		}
		for (int j = 0; j < n; j++) {
			char *list = runs_on(d, ports[j].name) ? on : without;
			size_t len = strlen(list), add = strlen(ports[j].name);

			if (len) {
				memcpy(list + len, ", ", 2);
				len += 2;
			}
			memcpy(list + len, ports[j].name, add + 1);	/* sized for every port */
		}
		if (!without[0]) {
			f = finding_add(d, LEVEL_OK, "br_netfilter", NULL, "%s is a bridge, and "
					"br_netfilter hands its frames to iptables and conntrack; hairpin "
					"runs on its ports (%s), ahead of them", dev, on[0] ? on : "none");
		} else {
			f = finding_add(d, LEVEL_PROBLEM, "br_netfilter",
					"hairpin up (hairpin run follows a bridge's ports by itself)",
					"%s is a bridge, and br_netfilter hands the frames of its ports "
					"without hairpin (%s) to iptables and conntrack before hairpin can "
					"rewrite them: they are tracked (and NATed) as they were sent", dev,
					without);
		}
		evidence(f, "net.bridge.bridge-nf-call-iptables = %ld%s", global,
			 own == 1 ? "; the bridge's own nf_call_iptables = 1" : "");
	}
}

/*
 * nftables chains that see a Device's packets before hairpin's programs: a netdev chain on its
 * egress hook (nf_hook_egress() runs before tc's egress). A netdev ingress chain runs after
 * tc's ingress, the bridge family at the bridge's receive, after its ports' tc ingress where
 * hairpin is, and the ip and inet families after both: those come after hairpin. What the rules do is not read: a note.
 */
static void check_netfilter(struct doctor *d)
{
	struct nft_base_chain *chains;
	char fix[DOCTOR_TEXT];
	int n;

	if (nft_base_chains(&chains, &n))
		return;		/* no nf_tables here: nothing of it acts */
	for (int i = 0; i < d->conf->n_devices; i++) {
		const char *dev = d->conf->devices[i];

		for (int j = 0; j < n; j++) {
			const struct nft_base_chain *c = &chains[j];
			const char *family = nft_family_name(c->family);
			bool on_dev = false;
			struct finding *f;

			for (int k = 0; k < c->n_devs; k++)
				on_dev |= !strcmp(c->devs[k], dev);
			snprintf(fix, sizeof(fix), "nft list chain %s %s %s: its rules must let the "
				 "forwards' packets pass", family, c->table, c->name);
			if (c->family == NFPROTO_NETDEV && c->hooknum == NF_NETDEV_EGRESS && on_dev)
				f = finding_add(d, LEVEL_NOTE, "netfilter", fix, "%s's egress runs "
						"nftables chain %s %s %s before hairpin's egress: a rule "
						"there sees the replies before hairpin rewrites them", dev,
						family, c->table, c->name);
			else
				continue;
			evidence(f, "hook %s, priority %d", c->family == NFPROTO_NETDEV ? "egress" :
				 c->hooknum == NFT_BR_PRE_ROUTING ? "prerouting" : "input", c->priority);
		}
	}
	free(chains);
}

/* The martian counter and stuck flows: the symptoms of the problem hairpin fixes. */
static void check_symptoms(struct doctor *d)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], fix[DOCTOR_TEXT];
	__u64 martians;

	if (d->martians_known && !martians_read(&martians)) {
		__u64 grew = martians - d->martians_before;
		long log = sysctl_conf("all", "log_martians");

		if (grew)
			evidence(finding_add(d, LEVEL_NOTE, "martians", log == 1 ? NULL :
					     "sysctl -w net.ipv4.conf.all.log_martians=1 (the kernel "
					     "logs each with its addresses)",
					     "the kernel dropped %llu packet%s as martians while doctor "
					     "ran", (unsigned long long)grew, grew == 1 ? "" : "s"),
				 "in_martian_src of /proc/net/stat/rt_cache, counted for the whole "
				 "machine, all namespaces");
		else
			finding_add(d, LEVEL_OK, "martians", NULL, "the kernel dropped no packet as "
				    "a martian while doctor ran");
	}
	if (!d->conntrack_read)
		return;
	for (int i = 0; i < d->n_stuck; i++) {
		const struct stuck_flow *s = &d->stuck[i];
		bool dup = false;
		struct finding *f;

		for (int j = 0; j < i; j++)
			dup |= d->stuck[j].protocol == s->protocol && d->stuck[j].port == s->port;
		if (dup)
			continue;
		fmt_ip4(s->client, a);
		fmt_ip4(s->dst, b);
		if (!is_forward(d, s->protocol, s->port)) {
			snprintf(fix, sizeof(fix), "[Forward] Protocol = %s, Port = %u in %s, then "
				 "hairpin up %s", fmt_protocol(s->protocol), s->port, d->config_path,
				 d->config_path);
			f = finding_add(d, LEVEL_PROBLEM, "conntrack", fix, "client %s's %s flow to "
					"%s:%u is masqueraded and never answered: %u is no forward of "
					"hairpin's", a, fmt_protocol(s->protocol), b, s->port, s->port);
		} else {
			snprintf(fix, sizeof(fix), "none needed: it expires by itself (conntrack -D -p "
				 "%s --orig-dst %s --dport %u ends it now)", fmt_protocol(s->protocol),
				 b, s->port);
			/* While hairpin does not run, the evidence of the problem "hairpin" names. */
			f = finding_add(d, LEVEL_NOTE, "conntrack",
					d->running ? fix : NULL, "client %s's %s flow to %s:%u is "
					"masqueraded and never answered%s", a, fmt_protocol(s->protocol),
					b, s->port, d->running ? " (from before hairpin caught it)" :
					": the martian, as hairpin would prevent it");
		}
		evidence(f, "/proc/net/nf_conntrack: [UNREPLIED], the reply expected at %s",
			 fmt_ip4(s->masqueraded_as, a));
	}
	if (!d->n_stuck && d->public_addr)
		finding_add(d, LEVEL_OK, "conntrack", NULL, "no LAN client's flow to %s is stuck",
			    fmt_ip4(d->public_addr, a));
}

static void check_counters(struct doctor *d, __u64 translated_after)
{
	char a[INET_ADDRSTRLEN];
	struct finding *f;
	int shown = 0;

	if (!d->running)
		return;
	if (translated_after) {
		f = finding_add(d, LEVEL_OK, "counters", NULL, "%llu packets translated, %d live "
				"flow%s", (unsigned long long)translated_after, d->st.n_live,
				d->st.n_live == 1 ? "" : "s");
		evidence(f, "%llu while doctor ran",
			 (unsigned long long)(translated_after - d->translated_before));
	} else {
		finding_add(d, LEVEL_NOTE, "counters", NULL, "no packet translated yet: no LAN client "
			    "has dialled %s on a forwarded port since hairpin up",
			    fmt_ip4(d->public_addr, a));
	}
	f = NULL;
	for (int r = 0; r < HP_REASONS; r++) {
		if (!d->st.reasons[r])
			continue;
		if (!f)
			f = finding_add(d, LEVEL_NOTE, "not_handled", "doc/translation.md, \"Counted\", "
					"says what each means", "packets not handled as usual:");
		snprintf(f->what + strlen(f->what), sizeof(f->what) - strlen(f->what), "%s %s %llu",
			 shown++ ? "," : "", hp_reason_names[r], (unsigned long long)d->st.reasons[r]);
	}
}

/*
 * Ask @s once, waiting at most DOCTOR_PROBE_MS: 1 with *addr, 0 with @why set (its failure,
 * or silence).
 */
static int source_answer(struct source *s, __be32 *addr, char *why, size_t len)
{
	__u64 end = source_clock_ms() + DOCTOR_PROBE_MS;

	snprintf(why, len, "no answer within %d ms", DOCTOR_PROBE_MS);
	for (;;) {
		struct source_events ev = {};
		__u64 now = source_clock_ms(), due;
		struct pollfd pfd = { .fd = source_fd(s), .events = POLLIN };

		source_step(s, now, 0, &ev);
		for (int i = 0; i < ev.n; i++) {
			if (ev.event[i].type == SOURCE_ADDRESS) {
				*addr = ev.event[i].addr;
				return 1;
			}
			if (ev.event[i].type == SOURCE_FAILED) {
				snprintf(why, len, "%s", ev.event[i].text);
				return 0;
			}
		}
		now = source_clock_ms();
		if (now >= end)
			return 0;
		due = source_deadline(s);
		poll(&pfd, 1, due == SOURCE_NEVER || due > end ? end - now : due > now ? due - now : 0);
	}
}

/* How to make @addr the public address, now and from then on. */
static void address_fix(const struct doctor *d, const char *addr, char *fix, size_t len)
{
	if (d->conf->addr_from != HP_ADDR_FROM_NONE)
		snprintf(fix, len, "hairpin set-public-ip %s; hairpin run (hairpin.service) follows "
			 "PublicAddressFrom by itself: is it running (systemctl enable --now hairpin)?",
			 addr);
	else
		snprintf(fix, len, "hairpin set-public-ip %s; PublicAddressFrom = natpmp (or dns:NAME) "
			 "and hairpin run (hairpin.service) keep it current", addr);
}

/* What says the public address now: PublicAddressFrom, and the gateway over NAT-PMP. */
static void check_public_address(struct doctor *d)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], why[SOURCE_TEXT_MAX];
	char err[SOURCE_TEXT_MAX], fix[DOCTOR_TEXT];
	bool compared = false;
	__be32 said = 0;	/* what PublicAddressFrom or the router says, if anything */

	fmt_ip4(d->public_addr, a);
	fmt_ip4(d->gateway, gw);
	/* PublicAddressFrom, unless it is NAT-PMP, which the router's check below asks; an
	 * interface: source sends nothing, and is read even with --no-probe. */
	if ((d->probes || d->conf->addr_from == HP_ADDR_FROM_INTERFACE) &&
	    d->conf->addr_from != HP_ADDR_FROM_NONE && d->conf->addr_from != HP_ADDR_FROM_NATPMP) {
		struct source *s = source_open(d->conf->addr_from, d->conf->addr_from_name, err,
					       sizeof(err));
		struct probe_sent *p = NULL;
		__be32 addr = 0;

		if (d->conf->addr_from == HP_ADDR_FROM_DNS)
			p = probe_add(d, "DNS query for the A records of %s, to the resolvers of "
				      "/etc/resolv.conf", d->conf->addr_from_name);
		if (!s) {
			finding_add(d, LEVEL_NOTE, "public_address", NULL, "%s", err);
		} else if (source_answer(s, &addr, why, sizeof(why))) {
			if (p)
				snprintf(p->result, sizeof(p->result), "%s", fmt_ip4(addr, b));
			compared = true;
			said = addr;
			address_fix(d, b, fix, sizeof(fix));
			if (addr != d->public_addr)
				evidence(finding_add(d, d->running ? LEVEL_PROBLEM : LEVEL_NOTE,
						     "public_address", fix, "%s %s, but %s says %s",
						     d->running ? "hairpin rewrites" : "PublicAddress is",
						     a, source_label(s), b),
					 "PublicAddressFrom = %s", source_label(s));
			else
				finding_add(d, LEVEL_OK, "public_address", NULL, "%s, as %s says", a,
					    source_label(s));
		} else {
			if (p)
				snprintf(p->result, sizeof(p->result), "%s", why);
			finding_add(d, LEVEL_NOTE, "public_address", NULL, "%s did not say the public "
				    "address: %s", source_label(s), why);
		}
		if (s)
			source_close(s);
	}
	if (d->probes && d->gateway) {
		struct source *s = natpmp_source_open(err, sizeof(err));
		struct probe_sent *p = probe_add(d, "NAT-PMP public address request, UDP from %s "
						 "to %s:%d", fmt_ip4(d->to_gateway.prefsrc, b), gw,
						 NATPMP_PORT);
		__be32 addr = 0;

		if (!s) {
			snprintf(p->result, sizeof(p->result), "not sent: %s", err);
		} else if (source_answer(s, &addr, why, sizeof(why))) {
			snprintf(p->result, sizeof(p->result), "%s", fmt_ip4(addr, b));
			address_fix(d, b, fix, sizeof(fix));
			said = said ? said : addr;
			if (d->public_addr && addr != d->public_addr)
				evidence(finding_add(d, d->running ? LEVEL_PROBLEM : LEVEL_NOTE,
						     "public_address", fix, "%s %s, but the router "
						     "%s says its public address is %s",
						     d->running ? "hairpin rewrites" : "PublicAddress is",
						     a, gw, b),
					 "its NAT-PMP answer");
			else
				evidence(finding_add(d, LEVEL_OK, "router_natpmp", NULL, "the router "
						     "%s says its public address is %s%s", gw, b,
						     d->public_addr ? ", the one hairpin uses" : ""),
					 "NAT-PMP cannot list port forwards: whether it forwards "
					 "the ports is not learnt from it");
			compared = true;
		} else {
			snprintf(p->result, sizeof(p->result), "%s", why);
			evidence(finding_add(d, LEVEL_NOTE, "router_natpmp", NULL, "the router %s did "
					     "not say its public address over NAT-PMP", gw), "%s", why);
		}
		if (s)
			source_close(s);
	}
	if (d->public_addr && !compared)
		finding_add(d, LEVEL_NOTE, "public_address", "PublicAddressFrom = dns:NAME, natpmp "
			    "or interface:NAME, and hairpin watch", "nothing here says whether %s is "
			    "still the public address", a);
	if (d->running && !d->st.config.public_addr) {
		if (said)
			address_fix(d, fmt_ip4(said, b), fix, sizeof(fix));
		else
			snprintf(fix, sizeof(fix), "hairpin set-public-ip ADDRESS, or PublicAddress = "
				 "ADDRESS in [Interface]");
		finding_add(d, LEVEL_PROBLEM, "public_address", fix, "hairpin knows no public "
			    "address: nothing is rewritten");
	}
}

/* The router's port forwards, over UPnP IGD. */
static void check_router_upnp(struct doctor *d)
{
	char gw[INET_ADDRSTRLEN], me[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN], why[DOCTOR_TEXT];
	char fix[DOCTOR_TEXT];
	struct upnp_igd igd;
	struct probe_sent *p;

	if (!d->probes || !d->gateway)
		return;
	fmt_ip4(d->gateway, gw);
	fmt_ip4(d->to_gateway.prefsrc, me);
	p = probe_add(d, "SSDP M-SEARCH for WANIPConnection and WANPPPConnection, UDP from %s to "
		      "%s:%d, then HTTP GET of the description of %s's IGD", me, UPNP_SSDP_GROUP,
		      UPNP_SSDP_PORT, gw);
	if (upnp_discover(d->gateway, d->to_gateway.prefsrc, DOCTOR_PROBE_MS, &igd, why,
			  sizeof(why))) {
		snprintf(p->result, sizeof(p->result), "%s", why);
		evidence(finding_add(d, LEVEL_NOTE, "router_upnp", "see the router's port forwarding "
				     "page", "the router %s does not answer UPnP IGD: whether it "
				     "forwards the ports cannot be asked here", gw), "%s", why);
		return;
	}
	snprintf(p->result, sizeof(p->result), "%s, service %s at %s", igd.location,
		 igd.service_type, igd.control_url);
	for (int i = 0; i < d->conf->n_forwards; i++) {
		const struct hp_config_forward *cf = &d->conf->forwards[i];
		const char *proto = fmt_protocol(cf->protocol);
		__be32 target = cf->target_addr;
		struct upnp_mapping m;
		struct finding *f;

		p = probe_add(d, "SOAP GetSpecificPortMappingEntry(%s %u), TCP from %s to %s", proto,
			      cf->port, me, igd.control_url);
		if (upnp_get_mapping(&igd, cf->protocol, cf->port, DOCTOR_PROBE_MS, &m, why,
				     sizeof(why))) {
			snprintf(p->result, sizeof(p->result), "%s", why);
			evidence(finding_add(d, LEVEL_NOTE, "router_upnp", NULL, "the router %s did not "
					     "say whether it forwards %s/%u", gw, proto, cf->port),
				 "%s", why);
			continue;
		}
		snprintf(fix, sizeof(fix), "forward %s/%u to %s on the router (its port forwarding "
			 "page)", proto, cf->port, me);
		if (!m.found) {
			snprintf(p->result, sizeof(p->result), "error %d %s", m.error, m.error_text);
			f = finding_add(d, m.error == UPNP_NO_SUCH_ENTRY ? LEVEL_PROBLEM : LEVEL_NOTE,
					"router_upnp", fix, "the router %s %s %s/%u",
					gw, m.error == UPNP_NO_SUCH_ENTRY ? "does not forward" :
					"would not say whether it forwards", proto, cf->port);
			evidence(f, "UPnP error %d (%s)%s", m.error, m.error_text,
				 m.error == UPNP_NO_SUCH_ENTRY ? "; a router that lists only what "
				 "UPnP mapped says so of forwards made in its web page too" : "");
			continue;
		}
		snprintf(p->result, sizeof(p->result), "%s:%u%s", fmt_ip4(m.client, a), m.port,
			 m.enabled ? "" : ", disabled");
		if (m.client != d->to_gateway.prefsrc && (!target || m.client != target)) {
			f = finding_add(d, LEVEL_PROBLEM, "router_upnp", fix, "the router %s forwards "
					"%s/%u to %s, not to this host", gw, proto, cf->port, a);
		} else if (!m.enabled) {
			f = finding_add(d, LEVEL_PROBLEM, "router_upnp", fix, "the router %s's forward "
					"of %s/%u to %s is disabled", gw, proto, cf->port, a);
		} else {
			f = finding_add(d, LEVEL_OK, "router_upnp", NULL, "the router %s forwards %s/%u "
					"to %s:%u", gw, proto, cf->port, a, m.port);
		}
		evidence(f, "its GetSpecificPortMappingEntry answer");
	}
}

/* ---- output ------------------------------------------------------------------------------ */

static int problems(const struct doctor *d)
{
	int n = 0;

	for (int i = 0; i < d->n_findings; i++)
		n += d->findings[i].level == LEVEL_PROBLEM;
	return n;
}

/*
 *   probe   NAT-PMP public address request, UDP from 198.51.100.2 to 198.51.100.1:5351: 203.0.113.7
 *   ok      hairpin: runs on lan0 (ingress tcx program 41, egress tcx program 42, ...)
 *   problem rp_filter: lan0 drops ... (evidence); fix: sysctl -w ...
 */
static void print_text(const struct doctor *d)
{
	int n = problems(d);

	for (int i = 0; i < d->n_probes; i++)
		printf("probe   %s: %s\n", d->probes_sent[i].what, d->probes_sent[i].result);
	for (int i = 0; i < d->n_findings; i++) {
		const struct finding *f = &d->findings[i];

		printf("%-7s %s: %s", level_names[f->level], f->check, f->what);
		if (f->evidence[0])
			printf(" (%s)", f->evidence);
		if (f->fix[0])
			printf("; fix: %s", f->fix);
		printf("\n");
	}
	if (n)
		printf("%d problem%s found\n", n, n == 1 ? "" : "s");
	else
		printf("no problem found\n");
}

static void json_field(const char *name, const char *value, bool first)
{
	printf("%s\"%s\":", first ? "" : ",", name);
	if (value && value[0])
		json_string(value);
	else
		printf("null");
}

/*
 * {"version", "config", "pin_dir", "problems": N, "probes": [{what, result}], "findings":
 * [{check, level: "ok"|"note"|"problem", what, evidence (or null), fix (or null)}]}
 */
static void print_json(const struct doctor *d)
{
	printf("{\"version\":\"%s\"", HAIRPIN_VERSION);
	json_field("config", d->config_path, false);
	json_field("pin_dir", d->pin_dir, false);
	printf(",\"problems\":%d,\"probes\":[", problems(d));
	for (int i = 0; i < d->n_probes; i++) {
		printf("%s{", i ? "," : "");
		json_field("what", d->probes_sent[i].what, true);
		json_field("result", d->probes_sent[i].result, false);
		printf("}");
	}
	printf("],\"findings\":[");
	for (int i = 0; i < d->n_findings; i++) {
		const struct finding *f = &d->findings[i];

		printf("%s{", i ? "," : "");
		json_field("check", f->check, true);
		json_field("level", level_names[f->level], false);
		json_field("what", f->what, false);
		json_field("evidence", f->evidence, false);
		json_field("fix", f->fix, false);
		printf("}");
	}
	printf("]}\n");
}

/* ---- the command ------------------------------------------------------------------------- */

struct doctor_args {
	bool json;
	bool no_probe;
	const char *config;
};

static const struct hp_option doctor_options[] = {
	HP_OPT_FLAG("json", 'j', struct doctor_args, json,
		    "one JSON object (as hairpin -j doctor; the schema in hairpin(8))"),
	HP_OPT_FLAG("no-probe", 0, struct doctor_args, no_probe,
		    "send nothing: no NAT-PMP, UPnP or DNS question to anyone"),
	{},
};

static const struct hp_operand doctor_operands[] = {
	HP_OPERAND("CONFIG", struct doctor_args, config, false, HP_DEFAULT_CONFIG),
	{},
};

static void doctor_gateway(struct doctor *d)
{
	FILE *routes = fopen("/proc/net/route", "re");
	bool local = true;

	if (!routes)
		return;
	if (natpmp_default_gateway(routes, &d->gateway))
		d->gateway = 0;
	fclose(routes);
	/* Never a probe whose source and destination are one address. */
	if (d->gateway && (route_get(d->gateway, &d->to_gateway) ||
			   netdev_is_local_ipv4(d->gateway, &local) || local ||
			   !d->to_gateway.prefsrc || d->to_gateway.prefsrc == d->gateway))
		d->gateway = 0;
}

static int doctor_main(const void *args, const struct hp_options *opts)
{
	const struct doctor_args *a = args;
	struct doctor *d = calloc(1, sizeof(*d));
	int status = HP_EXIT_SYSTEM;
	__u64 elapsed;

	if (!d)
		return HP_EXIT_SYSTEM;
	d->config_path = a->config;
	d->pin_dir = opts->pin_dir;
	d->probes = !a->no_probe;
	d->started_ms = source_clock_ms();
	d->conf = calloc(1, sizeof(*d->conf));
	d->plan = calloc(1, sizeof(*d->plan));
	if (!d->conf || !d->plan)
		goto out;
	if (config_load(d->conf, a->config)) {
		pr_warn("%s", d->conf->error);
		status = HP_EXIT_USAGE;
		goto out;
	}
	/* The running instance is read from the kernel, which takes the privileges up takes. */
	if (probe_permissions())
		goto out;
	d->martians_known = !martians_read(&d->martians_before);
	d->plan_ok = !plan_load(a->config, d->plan);
	if (!d->plan_ok) {
		char fix[DOCTOR_TEXT];

		snprintf(fix, sizeof(fix), "what hairpin check %s says (above)", a->config);
		finding_add(d, LEVEL_PROBLEM, "config", fix, "%s does not hold on this host",
			    a->config);
	}
	check_instance(d);
	d->public_addr = d->running ? d->st.config.public_addr :
			 d->conf->has_public_addr ? d->conf->public_addr : 0;
	d->translated_before = d->running ? translated_packets(&d->st) : 0;
	doctor_gateway(d);
	if (d->public_addr && route_get(d->public_addr, &d->to_public))
		memset(&d->to_public, 0, sizeof(d->to_public));
	conntrack_read(d);
	check_needed(d);
	check_public_address(d);
	check_router_upnp(d);
	check_other_programs(d);
	check_br_netfilter(d);
	check_netfilter(d);
	check_rp_filter(d);
	check_offload(d);
	/* The counters a second time, DOCTOR_SAMPLE_MS after the first at least. */
	elapsed = source_clock_ms() - d->started_ms;
	if (elapsed < DOCTOR_SAMPLE_MS)
		usleep((DOCTOR_SAMPLE_MS - elapsed) * 1000);
	if (d->running) {
		int fds[HP_PIN_COUNT];
		struct hp_state again = {};
		__u64 after = d->translated_before;

		if (!pins_open_all(d->pin_dir, fds)) {
			if (!state_read(&again, fds, d->pin_dir))
				after = translated_packets(&again);
			state_free(&again);
			pins_close_all(fds);
		}
		check_counters(d, after);
	}
	check_symptoms(d);
	if (a->json || opts->json) {
		struct json_pretty pretty;

		json_pretty_begin(&pretty, opts->pretty);
		print_json(d);
		json_pretty_end(&pretty);
	} else {
		print_text(d);
	}
	status = problems(d) ? HP_EXIT_SYSTEM : HP_EXIT_OK;
out:
	if (d->running)
		state_free(&d->st);
	free(d->conf);
	free(d->plan);
	free(d);
	return status;
}

const struct hp_command doctor_command = {
	.name = "doctor",
	.main = doctor_main,
	.args_size = sizeof(struct doctor_args),
	.options = doctor_options,
	.operands = doctor_operands,
	.summary = "say why hairpin NAT fails here, and how to fix it",
	.help = "Checks, forward by forward, whether hairpin is needed here and working, the\n"
		"symptoms it fixes (martians, stuck conntrack flows), what gets in the way\n"
		"(rp_filter, br_netfilter, other programs on a Device's hooks) and what the router\n"
		"says (its public address over NAT-PMP, its port forwards over UPnP IGD). One line\n"
		"per finding: what, the evidence, the fix. Exit status 0: no problem found; 1: a\n"
		"problem found; 2: bad usage or CONFIG. It sends a NAT-PMP request to the default\n"
		"gateway, an SSDP M-SEARCH and the UPnP IGD's HTTP requests, and PublicAddressFrom's\n"
		"DNS query, each named in its output; --no-probe sends none.\n",
};

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration file, parsed a line at a time (config_init / config_line / config_finish)
 * so that a fuzzer or a unit test can drive the parser without a file. The parser checks syntax
 * and every rule that needs no look at the system; whether a Device exists or a Target is an
 * address of this host is checked by the loader (loader/plan.c), which uses the line
 * numbers kept here for its messages.
 */
#ifndef HP_CONFIG_H
#define HP_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <net/if.h>
#include <linux/types.h>

#include "hairpin.h"

#define HP_DEFAULT_CONFIG "/etc/hairpin/hairpin.conf"
#define HP_CONFIG_ERROR_LEN 512
/* A configuration is a regular file of at most this many bytes (1024 forwards take 60 KiB). */
#define HP_CONFIG_MAX_SIZE (1024 * 1024)
/* Room for a quote of config text in a message, escaped (config_quote()). */
#define HP_CONFIG_QUOTE_SIZE 204

enum hp_config_mode {
	HP_CONFIG_MODE_AUTO = 0,
	HP_CONFIG_MODE_XDP,
	HP_CONFIG_MODE_TC,
};

/* PublicAddressFrom: where `hairpin watch` takes the public address from; `up` ignores it. */
enum hp_config_addr_from {
	HP_ADDR_FROM_NONE = 0,
	HP_ADDR_FROM_DNS,	/* dns:NAME, the dynamic-DNS name the clients dial */
	HP_ADDR_FROM_NATPMP,	/* natpmp: the default gateway, asked with NAT-PMP */
	HP_ADDR_FROM_INTERFACE,	/* interface:NAME, a local interface that holds it (ppp0) */
};

/* The longest DNS name, without the trailing dot (RFC 1035 section 2.3.4, as text). */
#define HP_CONFIG_DNS_NAME_MAX 253

struct hp_config_forward {
	__u8 protocol;		/* IPPROTO_UDP or IPPROTO_TCP */
	__u16 port;		/* host order */
	__be32 target_addr;	/* 0: not given, LocalAddress applies */
	__u16 target_port;	/* host order; 0: not given, Port applies */
	bool roaming;		/* Roaming = yes: replies leave from the current public address */
	int line;		/* of the [Forward] header */
	int target_line;	/* of Target =, 0 if absent */
};

/* The flow timeouts of [Interface], by hp_flow_timeout_index(); seconds. */
enum hp_config_timeout {
	HP_TIMEOUT_UDP,			/* UDPTimeout: no reply seen yet */
	HP_TIMEOUT_UDP_STREAM,		/* UDPStreamTimeout: replies seen */
	HP_TIMEOUT_TCP_SYN,		/* TCPSynTimeout: no reply seen yet */
	HP_TIMEOUT_TCP_ESTABLISHED,	/* TCPEstablishedTimeout */
	HP_TIMEOUT_TCP_CLOSING,		/* TCPClosingTimeout: after a FIN or RST */
	HP_TIMEOUT_COUNT,
};

/* The longest timeout, 30 days: in jiffies it fits the map's 32-bit words at any HZ. */
#define HP_CONFIG_TIMEOUT_MAX (30u * 24 * 3600)
/* NewFlowRate and NewFlowBurst at most (see hp_config.admission_cap: burst * HZ fits). */
#define HP_CONFIG_ADMISSION_MAX 100000u

/* Half the sources map: the running generation and the next one must fit side by side. */
#define HP_CONFIG_MAX_SOURCES (HP_MAX_SOURCES / 2)

struct hp_config_source {
	__be32 addr;
	__u16 len;	/* prefix length, 0..32 */
};

struct hp_config_file {
	const char *path;	/* for messages; not owned */

	int interface_line;	/* of the [Interface] header, 0 if absent */

	char devices[HP_MAX_DEVICES][IF_NAMESIZE];
	int n_devices;
	int device_line;

	enum hp_config_mode mode;

	bool has_public_addr;	/* PublicAddress is optional: set-public-ip may supply it */
	__be32 public_addr;
	int public_addr_line;

	bool has_local_addr;	/* default: first IPv4 address of the first Device */
	__be32 local_addr;
	int local_addr_line;

	/* PublicAddressFrom; with PublicAddress too, PublicAddress is the starting value */
	enum hp_config_addr_from addr_from;
	char addr_from_name[HP_CONFIG_DNS_NAME_MAX + 1];	/* DNS name (no trailing dot) or
								   interface name; "" for natpmp */
	int addr_from_line;

	/* timeouts, seconds; defaults from config_init() */
	__u32 timeouts[HP_TIMEOUT_COUNT];
	/* NewFlowRate (new flows a second per client, 0: no limit) and NewFlowBurst */
	__u32 new_flow_rate;
	__u32 new_flow_burst;

	/* AllowedSources; none: any source */
	struct hp_config_source sources[HP_CONFIG_MAX_SOURCES];
	int n_sources;
	int sources_line;

	struct hp_config_forward forwards[HP_MAX_FORWARDS];
	int n_forwards;

	/* parser state */
	int section;		/* internal: which section the next key belongs to */
	unsigned int seen_keys;	/* internal: keys seen in the current section */
	bool seen_interface;
	int lineno;

	/* set when a call returns -1: "FILE:LINE: what is wrong: `text'" */
	char error[HP_CONFIG_ERROR_LEN];
};

/* Start parsing; path is used in error messages only. */
void config_init(struct hp_config_file *conf, const char *path);
/* One line, without or with its trailing newline. 0, or -1 with conf->error set. */
int config_line(struct hp_config_file *conf, const char *line);
/* Check what only the whole file can tell (required keys, at least one [Forward]). */
int config_finish(struct hp_config_file *conf);
/*
 * All three over a file. -1 with conf->error set, also when the file can't be read, is not a
 * regular file (a FIFO, a device, a directory) or is larger than HP_CONFIG_MAX_SIZE.
 */
int config_load(struct hp_config_file *conf, const char *path);

/*
 * @text as a message quotes config text, into @buf: every byte but printable ASCII escaped
 * (\t, \n, \x1b, ...), so that a message can neither move the cursor nor forge a line, and
 * cut to fit with "...". Every `%s' of config text goes through it.
 */
const char *config_quote(const char *text, char buf[HP_CONFIG_QUOTE_SIZE]);

const char *config_mode_name(enum hp_config_mode mode);
/* "dns", "natpmp", "interface" ("none" for HP_ADDR_FROM_NONE), as PublicAddressFrom spells it. */
const char *config_addr_from_name(enum hp_config_addr_from from);

/*
 * An address as PublicAddress takes it, for set-public-ip: NULL when @text is one, else what
 * is wrong with it ("not an IPv4 address", ...).
 */
const char *config_parse_address(const char *text, __be32 *addr);

/* What makes @addr no one host's address (0.0.0.0, broadcast, multicast, loopback), or NULL. */
const char *config_address_problem(__be32 addr);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file parser (format: see hairpin.conf.example and hairpin.conf(5)).
 *
 * It reads the caller's line in place, as (pointer, length) spans, and copies only tokens whose
 * length it has checked against the buffer they go to. No line is too long and no byte is
 * special beyond '#', '[', ']', '=', ',' and ':', so the fuzzer may feed config_line() anything.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Longest quote in a message, in characters once escaped; a line may be megabytes long. */
#define QUOTE_MAX (HP_CONFIG_QUOTE_SIZE - sizeof("..."))

enum config_section_id {
	SECTION_NONE = 0,	/* before the first header: no key may appear */
	SECTION_INTERFACE,
	SECTION_FORWARD,
};

/* A piece of the caller's line; not NUL-terminated. */
struct span {
	const char *s;
	size_t len;
};

static const struct span no_text;	/* no quote in the message */

static const char *const addr_from_names[] = {
	[HP_ADDR_FROM_NONE] = "none",
	[HP_ADDR_FROM_DNS] = "dns",
	[HP_ADDR_FROM_NATPMP] = "natpmp",
	[HP_ADDR_FROM_INTERFACE] = "interface",
};

/* Names and defaults of the flow timeouts (doc/translation.md says why these). */
static const struct {
	const char *name;
	__u32 seconds;
} timeout_keys[HP_TIMEOUT_COUNT] = {
	[HP_TIMEOUT_UDP] = { "UDPTimeout", 30 },
	[HP_TIMEOUT_UDP_STREAM] = { "UDPStreamTimeout", 180 },
	[HP_TIMEOUT_TCP_SYN] = { "TCPSynTimeout", 120 },
	/* RFC 5382 REQ-5: an established connection's idle timeout is at least 2 h 4 min. */
	[HP_TIMEOUT_TCP_ESTABLISHED] = { "TCPEstablishedTimeout", 7440 },
	[HP_TIMEOUT_TCP_CLOSING] = { "TCPClosingTimeout", 120 },
};

/* Per client: enough for a browser's burst of connections, far below a flood. */
#define DEFAULT_NEW_FLOW_RATE 100
#define DEFAULT_NEW_FLOW_BURST 200

static const char *const mode_names[] = {
	[HP_CONFIG_MODE_AUTO] = "auto",
	[HP_CONFIG_MODE_XDP] = "xdp",
	[HP_CONFIG_MODE_TC] = "tc",
};

static struct span span_make(const char *s, size_t len)
{
	return (struct span){ .s = s, .len = len };
}

static struct span span_str(const char *s)
{
	return span_make(s, strlen(s));
}

/* The C locale's isspace(), fixed: the parser must not change with the user's locale. */
static bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static struct span span_trim(struct span t)
{
	while (t.len && is_blank(t.s[0])) {
		t.s++;
		t.len--;
	}
	while (t.len && is_blank(t.s[t.len - 1]))
		t.len--;
	return t;
}

/* Case-insensitive, as wg-quick(8) compares its section and key names. */
static bool span_is(struct span t, const char *word)
{
	return t.len == strlen(word) && !strncasecmp(t.s, word, t.len);
}

/*
 * @t as a message may quote it: every byte but printable ASCII escaped (\t, \n, \r, \0, \\,
 * else \xHH), so that a quote can neither move the terminal's cursor nor start a line of its
 * own, and shows exactly the bytes that are there. Cut to QUOTE_MAX characters and "...".
 */
static const char *span_quote(struct span t, char buf[HP_CONFIG_QUOTE_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	size_t in = 0, out = 0;

	for (; in < t.len; in++) {
		unsigned char c = t.s[in];
		char esc[5] = { '\\', 0, 0, 0, 0 };
		size_t n = 2;

		if (c == '\t')
			esc[1] = 't';
		else if (c == '\n')
			esc[1] = 'n';
		else if (c == '\r')
			esc[1] = 'r';
		else if (c == '\0')
			esc[1] = '0';
		else if (c == '\\')
			esc[1] = '\\';
		else if (c < 0x20 || c > 0x7e) {
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 0xf];
			n = 4;
		} else {
			esc[0] = c;
			n = 1;
		}
		if (out + n > QUOTE_MAX)
			break;
		memcpy(buf + out, esc, n);
		out += n;
	}
	if (in < t.len) {
		memcpy(buf + out, "...", 3);
		out += 3;
	}
	buf[out] = '\0';
	return buf;
}

const char *config_quote(const char *text, char buf[HP_CONFIG_QUOTE_SIZE])
{
	return span_quote(span_str(text), buf);
}

/*
 * Write conf->error as "FILE:LINE: what: `text'" and return -1. Line 0 leaves out ":LINE" and
 * no_text the quote, for what only the whole file can tell.
 */
static int __attribute__((format(printf, 4, 5)))
config_error(struct hp_config_file *conf, int line, struct span text, const char *fmt, ...)
{
	char what[256], where[16] = "", quote[HP_CONFIG_QUOTE_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), ":%d", line);
	if (text.s)
		snprintf(conf->error, sizeof(conf->error), "%s%s: %s: `%s'", conf->path, where,
			 what, span_quote(text, quote));
	else
		snprintf(conf->error, sizeof(conf->error), "%s%s: %s", conf->path, where, what);
	return -1;
}

/*
 * Decimal digits only, at most @max: "+80", "0x50" and "8 0" are typos, not numbers. The bound
 * is checked at every digit, which also keeps a long run of digits from overflowing.
 */
static bool uint_parse(struct span t, __u32 max, __u32 *value)
{
	unsigned long long v = 0;
	size_t i;

	if (!t.len)
		return false;
	for (i = 0; i < t.len; i++) {
		if (t.s[i] < '0' || t.s[i] > '9')
			return false;
		v = v * 10 + (t.s[i] - '0');
		if (v > max)
			return false;
	}
	*value = v;
	return true;
}

/* A port: decimal 1..65535. */
static bool port_parse(struct span t, __u16 *port)
{
	__u32 value;

	if (!uint_parse(t, 65535, &value) || !value)
		return false;
	*port = value;
	return true;
}

const char *config_address_problem(__be32 addr)
{
	__u32 host = ntohl(addr);

	if (host == 0)
		return "is 0.0.0.0, which is no host's address";
	if (host == 0xffffffff)
		return "is the broadcast address";
	if ((host >> 28) == 0xe)
		return "is a multicast address";
	if ((host >> 24) == 127)
		return "is a loopback address";
	return NULL;
}

/*
 * A dotted quad naming one unicast host. inet_pton() is strict where inet_aton() is not: no
 * "10.1", no hex or octal, no leading zeros. Returns NULL, or what is wrong with it.
 */
static const char *ipv4_parse(struct span t, __be32 *addr)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr in;
	const char *wrong;

	if (t.len >= sizeof(buf))
		return "is not an IPv4 address (a.b.c.d)";
	memcpy(buf, t.s, t.len);
	buf[t.len] = '\0';
	if (inet_pton(AF_INET, buf, &in) != 1)
		return "is not an IPv4 address (a.b.c.d)";
	wrong = config_address_problem(in.s_addr);
	if (wrong)
		return wrong;
	*addr = in.s_addr;
	return NULL;
}

/*
 * The kernel's own test, dev_valid_name(): shorter than IFNAMSIZ, not "." or "..", no '/', ':'
 * or space; the kernel's isspace() also counts 0xa0 (Latin-1 no-break space). Returns NULL, or
 * what is wrong with the name.
 */
static const char *ifname_check(struct span name)
{
	size_t i;

	if (name.len >= IF_NAMESIZE)
		return "is longer than 15 characters";
	if (span_is(name, ".") || span_is(name, ".."))
		return "cannot be . or ..";
	for (i = 0; i < name.len; i++) {
		unsigned char c = name.s[i];

		if (c == '/' || c == ':')
			return "contains '/' or ':'";
		if (is_blank(c) || c == 0xa0)
			return "contains a space";
	}
	return NULL;
}

/* Whether @t starts with @prefix, case-insensitively; *rest is what follows, trimmed. */
static bool span_prefix(struct span t, const char *prefix, struct span *rest)
{
	size_t n = strlen(prefix);

	if (t.len < n || strncasecmp(t.s, prefix, n))
		return false;
	*rest = span_trim(span_make(t.s + n, t.len - n));
	return true;
}

/*
 * A host name as a dynamic-DNS provider hands them out (RFC 1123 section 2.1): labels of
 * letters, digits and '-', 1 to 63 characters, not starting or ending with '-', 253
 * characters in all, one trailing dot allowed. It must have a dot: the resolver is asked for
 * the name as written, with no search list. The last label may not be all digits (RFC 3696
 * section 2), which also turns away an address written where a name belongs. Returns NULL, or
 * what is wrong; *name loses its trailing dot.
 */
static const char *dns_name_check(struct span *name)
{
	size_t i, label_start = 0;
	bool numeric = true;

	if (name->len && name->s[name->len - 1] == '.')
		name->len--;
	if (!name->len)
		return "has an empty DNS name";
	if (name->len > HP_CONFIG_DNS_NAME_MAX)
		return "DNS name is longer than 253 characters";
	for (i = 0; i <= name->len; i++) {
		unsigned char c = i < name->len ? name->s[i] : '.';

		if (c == '.') {
			size_t len = i - label_start;

			if (!len)
				return "DNS name has an empty label";
			if (len > 63)
				return "DNS name has a label longer than 63 characters";
			if (name->s[label_start] == '-' || name->s[i - 1] == '-')
				return "DNS name has a label that starts or ends with '-'";
			if (i < name->len)
				numeric = true;
			label_start = i + 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return "DNS name has a character other than a letter, digit, '-' or '.'";
		if (c < '0' || c > '9')
			numeric = false;
	}
	if (!memchr(name->s, '.', name->len))
		return "DNS name has no dot (a fully qualified name is needed)";
	if (numeric)
		return "DNS name ends in an all-numeric label (an address goes in PublicAddress)";
	return NULL;
}

static bool device_listed(const struct hp_config_file *conf, struct span name)
{
	int i;

	for (i = 0; i < conf->n_devices; i++)
		if (strlen(conf->devices[i]) == name.len &&
		    !memcmp(conf->devices[i], name.s, name.len))
			return true;
	return false;
}

struct config_key;
typedef int (*config_key_fn)(struct hp_config_file *conf, const struct config_key *key,
			     struct span value);

struct config_key {
	const char *name;
	config_key_fn parse;
};

/*
 * A comma-separated list: @item is called on each element, trimmed; an empty element (named
 * @element_name in the message) is an error. Return: 0, or -1 with the error set.
 */
static int parse_list(struct hp_config_file *conf, const struct config_key *key,
		      struct span value, const char *element_name,
		      int (*item)(struct hp_config_file *conf, struct span element))
{
	struct span rest = value;

	for (;;) {
		const char *comma = memchr(rest.s, ',', rest.len);
		size_t len = comma ? (size_t)(comma - rest.s) : rest.len;
		struct span element = span_trim(span_make(rest.s, len));

		if (!element.len)
			return config_error(conf, conf->lineno, value, "%s has an empty %s",
					    key->name, element_name);
		if (item(conf, element))
			return -1;
		if (!comma)
			return 0;
		rest = span_make(comma + 1, rest.len - len - 1);
	}
}

static int device_item(struct hp_config_file *conf, struct span name)
{
	const char *wrong = ifname_check(name);

	if (wrong)
		return config_error(conf, conf->lineno, name, "Device name %s", wrong);
	if (device_listed(conf, name))
		return config_error(conf, conf->lineno, name, "Device lists an interface twice");
	if (conf->n_devices == HP_MAX_DEVICES)
		return config_error(conf, conf->lineno, name,
				    "Device lists more than %d interfaces", HP_MAX_DEVICES);
	memcpy(conf->devices[conf->n_devices], name.s, name.len);
	conf->devices[conf->n_devices][name.len] = '\0';
	conf->n_devices++;
	return 0;
}

static int parse_device(struct hp_config_file *conf, const struct config_key *key,
			struct span value)
{
	if (parse_list(conf, key, value, "interface name", device_item))
		return -1;
	conf->device_line = conf->lineno;
	return 0;
}

/*
 * ADDRESS[/LENGTH], LENGTH 0 to 32, default 32. Unlike a host address, 0.0.0.0 is fine here
 * (0.0.0.0/0 is every source); bits past the length are refused, as a typo more likely than
 * a shorthand.
 */
static int source_item(struct hp_config_file *conf, struct span text)
{
	const char *slash = memchr(text.s, '/', text.len);
	struct span addr = slash ? span_make(text.s, slash - text.s) : text;
	char buf[INET_ADDRSTRLEN];
	struct in_addr in;
	__u16 len = 32;
	__u32 mask;

	if (slash) {
		struct span digits = span_make(slash + 1, text.len - addr.len - 1);

		/* port_parse() reads 1..65535; a length may also be 0. */
		if (digits.len == 1 && digits.s[0] == '0')
			len = 0;
		else if (!port_parse(digits, &len) || len > 32)
			return config_error(conf, conf->lineno, text,
					    "AllowedSources prefix length is not 0 to 32");
	}
	if (addr.len >= sizeof(buf))
		return config_error(conf, conf->lineno, text,
				    "AllowedSources element is not ADDRESS[/LENGTH]");
	memcpy(buf, addr.s, addr.len);
	buf[addr.len] = '\0';
	if (inet_pton(AF_INET, buf, &in) != 1)
		return config_error(conf, conf->lineno, text,
				    "AllowedSources element is not ADDRESS[/LENGTH]");
	mask = len ? ~0u << (32 - len) : 0;
	if (ntohl(in.s_addr) & ~mask)
		return config_error(conf, conf->lineno, text,
				    "AllowedSources prefix has bits set past its length");
	if (conf->n_sources == HP_CONFIG_MAX_SOURCES)
		return config_error(conf, conf->lineno, text,
				    "AllowedSources lists more than %d prefixes",
				    HP_CONFIG_MAX_SOURCES);
	conf->sources[conf->n_sources].addr = in.s_addr;
	conf->sources[conf->n_sources].len = len;
	conf->n_sources++;
	return 0;
}

static int parse_allowed_sources(struct hp_config_file *conf, const struct config_key *key,
				 struct span value)
{
	if (parse_list(conf, key, value, "prefix", source_item))
		return -1;
	conf->sources_line = conf->lineno;
	return 0;
}

static int parse_mode(struct hp_config_file *conf, const struct config_key *key,
		      struct span value)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mode_names); i++) {
		if (span_is(value, mode_names[i])) {
			conf->mode = i;
			return 0;
		}
	}
	return config_error(conf, conf->lineno, value, "Mode is not auto, xdp or tc");
}

static int parse_address(struct hp_config_file *conf, const struct config_key *key,
			 struct span value, __be32 *addr)
{
	const char *wrong = ipv4_parse(value, addr);

	if (wrong)
		return config_error(conf, conf->lineno, value, "%s %s", key->name, wrong);
	return 0;
}

static int parse_public_address(struct hp_config_file *conf, const struct config_key *key,
				struct span value)
{
	if (parse_address(conf, key, value, &conf->public_addr))
		return -1;
	conf->has_public_addr = true;
	conf->public_addr_line = conf->lineno;
	return 0;
}

static int parse_local_address(struct hp_config_file *conf, const struct config_key *key,
			       struct span value)
{
	if (parse_address(conf, key, value, &conf->local_addr))
		return -1;
	conf->has_local_addr = true;
	conf->local_addr_line = conf->lineno;
	return 0;
}

/* dns:NAME | natpmp | interface:NAME */
static int parse_public_address_from(struct hp_config_file *conf, const struct config_key *key,
				     struct span value)
{
	struct span name;
	const char *wrong;

	if (span_is(value, "natpmp")) {
		conf->addr_from = HP_ADDR_FROM_NATPMP;
	} else if (span_prefix(value, "dns:", &name)) {
		wrong = dns_name_check(&name);
		if (wrong)
			return config_error(conf, conf->lineno, value, "%s %s", key->name, wrong);
		conf->addr_from = HP_ADDR_FROM_DNS;
	} else if (span_prefix(value, "interface:", &name)) {
		wrong = name.len ? ifname_check(name) : "is empty";
		if (wrong)
			return config_error(conf, conf->lineno, value, "%s interface name %s",
					    key->name, wrong);
		conf->addr_from = HP_ADDR_FROM_INTERFACE;
	} else {
		return config_error(conf, conf->lineno, value,
				    "%s is not dns:NAME, natpmp or interface:NAME", key->name);
	}
	if (conf->addr_from != HP_ADDR_FROM_NATPMP) {
		/* Both checks above bound the length: 253 and 15 characters. */
		memcpy(conf->addr_from_name, name.s, name.len);
		conf->addr_from_name[name.len] = '\0';
	}
	conf->addr_from_line = conf->lineno;
	return 0;
}

/* SECONDS, or a number with a unit: 30s, 3m, 2h, 1d. */
static int parse_timeout(struct hp_config_file *conf, const struct config_key *key,
			 struct span value)
{
	static const struct { char unit; __u32 seconds; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	struct span number = value;
	__u32 scale = 1, n;
	size_t i, t;

	for (i = 0; value.len && i < ARRAY_SIZE(units); i++) {
		if ((value.s[value.len - 1] | 0x20) == units[i].unit) {
			number.len--;
			scale = units[i].seconds;
			break;
		}
	}
	if (!uint_parse(span_trim(number), HP_CONFIG_TIMEOUT_MAX, &n) || !n ||
	    (unsigned long long)n * scale > HP_CONFIG_TIMEOUT_MAX)
		return config_error(conf, conf->lineno, value,
				    "%s is not a duration from 1s to 30d (seconds, or with s, m, h or d)",
				    key->name);
	for (t = 0; t < HP_TIMEOUT_COUNT; t++)
		if (!strcmp(timeout_keys[t].name, key->name))
			conf->timeouts[t] = n * scale;
	return 0;
}

static int parse_new_flow_rate(struct hp_config_file *conf, const struct config_key *key,
			       struct span value)
{
	if (span_is(value, "unlimited")) {
		conf->new_flow_rate = 0;
		return 0;
	}
	if (!uint_parse(value, HP_CONFIG_ADMISSION_MAX, &conf->new_flow_rate) ||
	    !conf->new_flow_rate)
		return config_error(conf, conf->lineno, value,
				    "%s is not a number from 1 to %u, or unlimited", key->name,
				    HP_CONFIG_ADMISSION_MAX);
	return 0;
}

static int parse_new_flow_burst(struct hp_config_file *conf, const struct config_key *key,
				struct span value)
{
	if (!uint_parse(value, HP_CONFIG_ADMISSION_MAX, &conf->new_flow_burst) ||
	    !conf->new_flow_burst)
		return config_error(conf, conf->lineno, value, "%s is not a number from 1 to %u",
				    key->name, HP_CONFIG_ADMISSION_MAX);
	return 0;
}

/* The [Forward] section being read: section_header() has made it. */
static struct hp_config_forward *current_forward(struct hp_config_file *conf)
{
	return &conf->forwards[conf->n_forwards - 1];
}

static int parse_protocol(struct hp_config_file *conf, const struct config_key *key,
			  struct span value)
{
	struct hp_config_forward *fwd = current_forward(conf);

	if (span_is(value, "udp"))
		fwd->protocol = IPPROTO_UDP;
	else if (span_is(value, "tcp"))
		fwd->protocol = IPPROTO_TCP;
	else
		return config_error(conf, conf->lineno, value, "Protocol is not udp or tcp");
	return 0;
}

static int parse_port(struct hp_config_file *conf, const struct config_key *key,
		      struct span value)
{
	if (!port_parse(value, &current_forward(conf)->port))
		return config_error(conf, conf->lineno, value,
				    "Port is not a number from 1 to 65535");
	return 0;
}

static int parse_target(struct hp_config_file *conf, const struct config_key *key,
			struct span value)
{
	struct hp_config_forward *fwd = current_forward(conf);
	const char *colon = memchr(value.s, ':', value.len);
	struct span addr = value, port;
	const char *wrong;

	if (colon) {
		addr = span_make(value.s, colon - value.s);
		port = span_make(colon + 1, value.len - addr.len - 1);
		if (!port_parse(port, &fwd->target_port))
			return config_error(conf, conf->lineno, port,
					    "Target port is not a number from 1 to 65535");
	}
	if (!addr.len)
		return config_error(conf, conf->lineno, value,
				    "Target is not ADDRESS or ADDRESS:PORT");
	wrong = ipv4_parse(addr, &fwd->target_addr);
	if (wrong)
		return config_error(conf, conf->lineno, addr, "Target address %s", wrong);
	fwd->target_line = conf->lineno;
	return 0;
}

/* yes or no, as wg-quick and systemd spell booleans: also true/false, on/off, 1/0. */
static int parse_roaming(struct hp_config_file *conf, const struct config_key *key,
			 struct span value)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (span_is(value, yes[i]) || span_is(value, no[i])) {
			current_forward(conf)->roaming = span_is(value, yes[i]);
			return 0;
		}
	}
	return config_error(conf, conf->lineno, value, "%s is not yes or no", key->name);
}

static const struct config_key interface_keys[] = {
	{ "Device", parse_device },
	{ "Mode", parse_mode },
	{ "PublicAddress", parse_public_address },
	{ "LocalAddress", parse_local_address },
	{ "AllowedSources", parse_allowed_sources },
	{ "PublicAddressFrom", parse_public_address_from },
	{ "UDPTimeout", parse_timeout },
	{ "UDPStreamTimeout", parse_timeout },
	{ "TCPSynTimeout", parse_timeout },
	{ "TCPEstablishedTimeout", parse_timeout },
	{ "TCPClosingTimeout", parse_timeout },
	{ "NewFlowRate", parse_new_flow_rate },
	{ "NewFlowBurst", parse_new_flow_burst },
};

static const struct config_key forward_keys[] = {
	{ "Protocol", parse_protocol },
	{ "Port", parse_port },
	{ "Target", parse_target },
	{ "Roaming", parse_roaming },
};

static int start_interface(struct hp_config_file *conf, struct span header)
{
	if (conf->seen_interface)
		return config_error(conf, conf->lineno, header,
				    "a second [Interface] section (there is one, at line %d)",
				    conf->interface_line);
	conf->seen_interface = true;
	conf->interface_line = conf->lineno;
	return 0;
}

static int start_forward(struct hp_config_file *conf, struct span header)
{
	struct hp_config_forward *fwd;

	/* The stats map has one slot per forward. */
	if (conf->n_forwards == HP_MAX_FORWARDS)
		return config_error(conf, conf->lineno, header, "more than %d [Forward] sections",
				    HP_MAX_FORWARDS);
	fwd = &conf->forwards[conf->n_forwards++];
	memset(fwd, 0, sizeof(*fwd));
	fwd->line = conf->lineno;
	return 0;
}

static const struct config_section {
	const char *name;
	int (*start)(struct hp_config_file *conf, struct span header);
	const struct config_key *keys;
	size_t n_keys;
} sections[] = {
	[SECTION_INTERFACE] = { "Interface", start_interface, interface_keys,
				ARRAY_SIZE(interface_keys) },
	[SECTION_FORWARD] = { "Forward", start_forward, forward_keys, ARRAY_SIZE(forward_keys) },
};

/* seen_keys has one bit per key of a section. */
_Static_assert(ARRAY_SIZE(interface_keys) <= 32 && ARRAY_SIZE(forward_keys) <= 32,
	       "seen_keys is too small");

static int section_header(struct hp_config_file *conf, struct span line)
{
	struct span name;
	size_t i;

	if (line.len < 2 || line.s[line.len - 1] != ']')
		return config_error(conf, conf->lineno, line, "section header does not end in ]");
	name = span_trim(span_make(line.s + 1, line.len - 2));
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		if (sections[i].name && span_is(name, sections[i].name)) {
			conf->section = i;
			conf->seen_keys = 0;
			return sections[i].start(conf, line);
		}
	}
	return config_error(conf, conf->lineno, line,
			    "unknown section (not [Interface] or [Forward])");
}

static int key_line(struct hp_config_file *conf, struct span line)
{
	const struct config_section *section = &sections[conf->section];
	const char *eq = memchr(line.s, '=', line.len);
	struct span key, value;
	size_t i;

	if (!eq)
		return config_error(conf, conf->lineno, line,
				    "not a [Section] header or Key = Value");
	key = span_trim(span_make(line.s, eq - line.s));
	value = span_trim(span_make(eq + 1, line.len - (eq + 1 - line.s)));
	if (!key.len)
		return config_error(conf, conf->lineno, line,
				    "not a [Section] header or Key = Value");
	if (conf->section == SECTION_NONE)
		return config_error(conf, conf->lineno, line,
				    "Key = Value before any [Section] header");
	for (i = 0; i < section->n_keys; i++)
		if (span_is(key, section->keys[i].name))
			break;
	if (i == section->n_keys)
		return config_error(conf, conf->lineno, key, "unknown key in [%s]", section->name);
	if (conf->seen_keys & (1u << i))
		return config_error(conf, conf->lineno, key, "%s is given twice in one [%s]",
				    section->keys[i].name, section->name);
	if (!value.len)
		return config_error(conf, conf->lineno, line, "%s has no value",
				    section->keys[i].name);
	conf->seen_keys |= 1u << i;
	return section->keys[i].parse(conf, &section->keys[i], value);
}

void config_init(struct hp_config_file *conf, const char *path)
{
	memset(conf, 0, sizeof(*conf));
	conf->path = path ? path : "-";
	for (int t = 0; t < HP_TIMEOUT_COUNT; t++)
		conf->timeouts[t] = timeout_keys[t].seconds;
	conf->new_flow_rate = DEFAULT_NEW_FLOW_RATE;
	conf->new_flow_burst = DEFAULT_NEW_FLOW_BURST;
}

int config_line(struct hp_config_file *conf, const char *line)
{
	struct span text = span_str(line);
	const char *comment = memchr(text.s, '#', text.len);

	if (conf->lineno == INT_MAX)
		return config_error(conf, 0, no_text, "more than %d lines", INT_MAX);
	conf->lineno++;
	if (comment)
		text.len = comment - text.s;
	text = span_trim(text);
	if (!text.len)
		return 0;
	if (text.s[0] == '[')
		return section_header(conf, text);
	return key_line(conf, text);
}

/* Every [Forward] has Protocol and Port, and no two forward the same port. */
static int check_forwards(struct hp_config_file *conf)
{
	/* One bit per (protocol, port): a duplicate is found without comparing every pair. */
	unsigned char seen[2][65536 / 8] = { 0 };
	const struct span header = span_str("[Forward]");
	int i, j;

	for (i = 0; i < conf->n_forwards; i++) {
		const struct hp_config_forward *fwd = &conf->forwards[i];
		unsigned char *bits = seen[fwd->protocol == IPPROTO_TCP];
		const char *proto = fwd->protocol == IPPROTO_TCP ? "tcp" : "udp";

		if (!fwd->protocol)
			return config_error(conf, fwd->line, header, "[Forward] has no Protocol");
		if (!fwd->port)
			return config_error(conf, fwd->line, header, "[Forward] has no Port");
		if (!(bits[fwd->port / 8] & (1u << (fwd->port % 8)))) {
			bits[fwd->port / 8] |= 1u << (fwd->port % 8);
			continue;
		}
		for (j = 0; j < i; j++)
			if (conf->forwards[j].protocol == fwd->protocol &&
			    conf->forwards[j].port == fwd->port)
				break;
		return config_error(conf, fwd->line, header,
				    "%s port %u is already forwarded by the [Forward] at line %d",
				    proto, fwd->port, conf->forwards[j].line);
	}
	return 0;
}

int config_finish(struct hp_config_file *conf)
{
	if (!conf->seen_interface)
		return config_error(conf, 0, no_text, "no [Interface] section");
	if (!conf->n_devices)
		return config_error(conf, conf->interface_line, span_str("[Interface]"),
				    "[Interface] has no Device");
	if (!conf->n_forwards)
		return config_error(conf, 0, no_text,
				    "no [Forward] section (at least one is needed)");
	/* A Device is the LAN: an address on it is what plan_public_addr_problem() refuses. */
	if (conf->addr_from == HP_ADDR_FROM_INTERFACE &&
	    device_listed(conf, span_str(conf->addr_from_name)))
		return config_error(conf, conf->addr_from_line, span_str(conf->addr_from_name),
				    "PublicAddressFrom names a Device, which is the LAN, not the "
				    "interface that holds the public address");
	return check_forwards(conf);
}

/*
 * A line with a NUL byte, which config_line() would take for the line's end: refused, quoted
 * up to the NUL (shown as \0).
 */
static int nul_error(struct hp_config_file *conf, struct span line)
{
	const char *nul = memchr(line.s, '\0', line.len);
	struct span before = span_trim(span_make(line.s, nul - line.s));

	return config_error(conf, conf->lineno, span_make(before.s, nul + 1 - before.s),
			    "line contains a NUL byte");
}

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	default:
		return "not a file";
	}
}

/*
 * The whole file into a malloc()ed, NUL-terminated buffer, refusing what is not a regular file
 * or is larger than HP_CONFIG_MAX_SIZE. The type is looked at before the open, so that opening
 * a device has no effect on it, and again after (O_NONBLOCK: a FIFO put in its place meanwhile
 * must not block the open); the size is checked before the read, and the read is bounded, for
 * files whose size stat() does not know (/proc) or that grow. -1 with the error set.
 */
static int config_read(struct hp_config_file *conf, const char *path, char **text, size_t *len)
{
	struct stat st;
	size_t size = 0;
	int fd, err = 0;
	char *buf;

	if (stat(path, &st))
		return config_error(conf, 0, no_text, "cannot read: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return config_error(conf, 0, no_text, "not a regular file (%s)",
				    file_kind(st.st_mode));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return config_error(conf, 0, no_text, "cannot read: %s", strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return config_error(conf, 0, no_text, "not a regular file (%s)",
				    file_kind(st.st_mode));
	}
	if (st.st_size > HP_CONFIG_MAX_SIZE) {
		close(fd);
		return config_error(conf, 0, no_text, "is larger than %d KiB (%lld bytes)",
				    HP_CONFIG_MAX_SIZE / 1024, (long long)st.st_size);
	}
	/* Pages that the read does not reach are never touched. One byte past the limit tells
	 * a file that is too large; one more holds the terminating NUL. */
	buf = malloc(HP_CONFIG_MAX_SIZE + 2);
	if (!buf)
		err = ENOMEM;
	while (!err && size <= HP_CONFIG_MAX_SIZE) {
		ssize_t n = read(fd, buf + size, HP_CONFIG_MAX_SIZE + 1 - size);

		if (n < 0 && errno != EINTR)
			err = errno;
		else if (n == 0)
			break;
		else if (n > 0)
			size += n;
	}
	close(fd);
	if (!err && size > HP_CONFIG_MAX_SIZE) {
		free(buf);
		return config_error(conf, 0, no_text, "is larger than %d KiB",
				    HP_CONFIG_MAX_SIZE / 1024);
	}
	if (err) {
		free(buf);
		return config_error(conf, 0, no_text, "cannot read: %s", strerror(err));
	}
	buf[size] = '\0';
	*text = buf;
	*len = size;
	return 0;
}

int config_load(struct hp_config_file *conf, const char *path)
{
	size_t len = 0, off = 0;
	char *text = NULL;
	int err = 0;

	config_init(conf, path);
	if (config_read(conf, path, &text, &len))
		return -1;
	while (!err && off < len) {
		char *nl = memchr(text + off, '\n', len - off);
		struct span line = span_make(text + off, (nl ? nl - text : (long)len) - off);

		off += line.len + 1;
		if (memchr(line.s, '\0', line.len)) {
			if (conf->lineno < INT_MAX)
				conf->lineno++;
			err = nul_error(conf, line);
			break;
		}
		text[off - 1] = '\0';	/* the newline, or the buffer's own terminator */
		err = config_line(conf, line.s);
	}
	free(text);
	return err ? err : config_finish(conf);
}

const char *config_mode_name(enum hp_config_mode mode)
{
	if ((unsigned int)mode < ARRAY_SIZE(mode_names))
		return mode_names[mode];
	return "unknown";
}

const char *config_addr_from_name(enum hp_config_addr_from from)
{
	if ((unsigned int)from < ARRAY_SIZE(addr_from_names))
		return addr_from_names[from];
	return "unknown";
}

const char *config_parse_address(const char *text, __be32 *addr)
{
	return ipv4_parse(span_trim(span_str(text)), addr);
}

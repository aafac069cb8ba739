// SPDX-License-Identifier: GPL-2.0
/* UPnP IGD: what a client reads of SSDP answers, descriptions and SOAP answers (upnp.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"
#include "upnp.h"

const char *const upnp_connection_services[UPNP_CONNECTION_SERVICES] = {
	"urn:schemas-upnp-org:service:WANIPConnection:",
	"urn:schemas-upnp-org:service:WANPPPConnection:",
};

int upnp_ssdp_location(const char *reply, char *location, size_t len)
{
	for (const char *line = reply; *line; line += strcspn(line, "\n"), line += !!*line) {
		size_t n;

		if (strncasecmp(line, "LOCATION:", 9))
			continue;
		line += 9;
		line += strspn(line, " \t");
		n = strcspn(line, "\r\n");
		if (!n || n >= len)
			return -1;
		memcpy(location, line, n);
		location[n] = '\0';
		return 0;
	}
	return -1;
}

int upnp_parse_url(const char *url, __be32 *addr, __u16 *port, char *path, size_t len)
{
	char host[INET_ADDRSTRLEN];
	const char *p, *slash;
	size_t n;

	if (strncasecmp(url, "http://", 7))
		return -1;
	p = url + 7;
	n = strcspn(p, ":/");
	if (!n || n >= sizeof(host))
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, addr) != 1)
		return -1;
	p += n;
	*port = 80;
	if (*p == ':') {
		char *end = (char *)p + 1;
		/* Digits only: strtol() would take a sign or white space as well. */
		long v = p[1] >= '0' && p[1] <= '9' ? strtol(p + 1, &end, 10) : 0;

		if (v <= 0 || v > 65535 || (*end && *end != '/'))
			return -1;
		*port = v;
		p = end;
	}
	slash = *p ? p : "/";
	if (strlen(slash) >= len)
		return -1;
	snprintf(path, len, "%s", slash);
	return 0;
}

/* The text of the first <@tag>...</@tag> in [@from, @to), into @out. 0, or -1. */
static int element_text(const char *from, const char *to, const char *tag, char *out,
			size_t len)
{
	char open[48], close[48];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = strstr(from, open);
	if (!a || (to && a >= to))
		return -1;
	a += strlen(open);
	b = strstr(a, close);
	if (!b || (to && b > to) || (size_t)(b - a) >= len)
		return -1;
	memcpy(out, a, b - a);
	out[b - a] = '\0';
	/* Text around the value (indentation) is no part of it. */
	while (*out == ' ' || *out == '\t' || *out == '\r' || *out == '\n')
		memmove(out, out + 1, strlen(out));
	for (size_t n = strlen(out); n && strchr(" \t\r\n", out[n - 1]); n--)
		out[n - 1] = '\0';
	return 0;
}

int upnp_find_service(const char *xml, const char *location, struct upnp_igd *igd)
{
	for (int i = 0; i < UPNP_CONNECTION_SERVICES; i++) {
		const char *type = strstr(xml, upnp_connection_services[i]), *start, *end;
		char control[UPNP_URL_MAX];
		char path[UPNP_URL_MAX], a[INET_ADDRSTRLEN];
		__be32 addr;
		__u16 port;

		if (!type)
			continue;
		/* The <service> element that holds this serviceType. */
		start = type;
		while (start > xml && strncmp(start, "<service>", 9))
			start--;
		end = strstr(type, "</service>");
		if (!end || element_text(start, end, "serviceType", igd->service_type,
					 sizeof(igd->service_type)) ||
		    element_text(start, end, "controlURL", control, sizeof(control)))
			continue;
		if (!strncasecmp(control, "http://", 7)) {
			snprintf(igd->control_url, sizeof(igd->control_url), "%s", control);
		} else {
			/* Relative: against the description's host and port (no URLBase needed by
			 * IGD 1.0 devices that omit it; one that has it names the same host). */
			if (upnp_parse_url(location, &addr, &port, path, sizeof(path)))
				return -1;
			snprintf(igd->control_url, sizeof(igd->control_url), "http://%s:%u%s%s",
				 fmt_ip4(addr, a), port, control[0] == '/' ? "" : "/", control);
		}
		/* One that can't be asked is none. */
		return upnp_parse_url(igd->control_url, &addr, &port, path, sizeof(path));
	}
	return -1;
}

int upnp_parse_mapping(const char *response, struct upnp_mapping *m)
{
	char value[64];
	int status;

	memset(m, 0, sizeof(*m));
	if (sscanf(response, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	if (status == 200) {
		if (element_text(response, NULL, "NewInternalClient", value, sizeof(value)) ||
		    inet_pton(AF_INET, value, &m->client) != 1)
			return -1;
		if (element_text(response, NULL, "NewInternalPort", value, sizeof(value)) ||
		    atoi(value) <= 0 || atoi(value) > 65535)
			return -1;
		m->port = atoi(value);
		m->enabled = !element_text(response, NULL, "NewEnabled", value, sizeof(value)) &&
			     atoi(value) == 1;
		m->found = true;
		return 0;
	}
	if (element_text(response, NULL, "errorCode", value, sizeof(value)))
		return -1;
	m->error = atoi(value);
	if (element_text(response, NULL, "errorDescription", m->error_text,
			 sizeof(m->error_text)))
		snprintf(m->error_text, sizeof(m->error_text), "HTTP status %d", status);
	return 0;
}


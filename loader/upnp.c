// SPDX-License-Identifier: GPL-2.0
/* UPnP IGD, read only: SSDP, the description, GetSpecificPortMappingEntry (upnp.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "format.h"
#include "log.h"
#include "source.h"
#include "upnp.h"

/* The description and a SOAP answer are a few KiB; a router that sends more is cut off. */
#define UPNP_RESPONSE_MAX (64 * 1024)

/* The services that hold port mappings, in the order they are looked for. */
static const char *const connection_services[] = {
	"urn:schemas-upnp-org:service:WANIPConnection:",
	"urn:schemas-upnp-org:service:WANPPPConnection:",
};

int upnp_ssdp_location(const char *reply, char *location, size_t len)
{
	for (const char *line = reply; line && *line; line = strchr(line, '\n'), line += !!line) {
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
		char *end;
		long v = strtol(p + 1, &end, 10);

		if (end == p + 1 || v <= 0 || v > 65535 || (*end && *end != '/'))
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
	for (size_t i = 0; i < sizeof(connection_services) / sizeof(connection_services[0]); i++) {
		const char *type = strstr(xml, connection_services[i]), *start, *end;
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
		return 0;
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
		if (element_text(response, NULL, "NewInternalPort", value, sizeof(value)))
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

/* One HTTP/1.0 exchange (no chunked answer, the connection closes at its end): 0 with the
 * response in *out (malloc'd, NUL-terminated), or -1 with @why set. */
static int http_exchange(const char *url, const char *method, const char *headers,
			 const char *body, int timeout_ms, char **out, char *why, size_t why_len)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000 };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char path[UPNP_URL_MAX], *request = NULL, *buf = NULL, a[INET_ADDRSTRLEN];
	size_t used = 0;
	__u16 port;
	int fd = -1, n;

	if (upnp_parse_url(url, &sa.sin_addr.s_addr, &port, path, sizeof(path))) {
		snprintf(why, why_len, "not an http://ADDRESS URL: `%s'", url);
		return -1;
	}
	sa.sin_port = htons(port);
	n = asprintf(&request, "%s %s HTTP/1.0\r\nHost: %s:%u\r\n%sContent-Length: %zu\r\n\r\n%s",
		     method, path, fmt_ip4(sa.sin_addr.s_addr, a), port, headers,
		     body ? strlen(body) : 0, body ? body : "");
	buf = malloc(UPNP_RESPONSE_MAX + 1);
	if (n < 0 || !buf) {
		snprintf(why, why_len, "out of memory");
		goto fail;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* SO_SNDTIMEO bounds connect() too (socket(7)). */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, request, n, MSG_NOSIGNAL) != n) {
		snprintf(why, why_len, "%s %s: %s", method, url,
			 errno == EINPROGRESS || errno == EAGAIN ? "no answer in time" : strerror(errno));
		goto fail;
	}
	while (used < UPNP_RESPONSE_MAX) {
		ssize_t got = recv(fd, buf + used, UPNP_RESPONSE_MAX - used, 0);

		if (got < 0) {
			snprintf(why, why_len, "%s %s: %s", method, url,
				 errno == EAGAIN ? "no complete answer in time" : strerror(errno));
			goto fail;
		}
		if (!got)
			break;
		used += got;
	}
	buf[used] = '\0';
	close(fd);
	free(request);
	*out = buf;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(request);
	free(buf);
	return -1;
}

/* The M-SEARCH for one service type (UPnP Device Architecture 1.1, section 1.3.2). */
static void ssdp_search(int fd, const char *st)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(UPNP_SSDP_PORT) };
	char msg[256];
	int n;

	inet_pton(AF_INET, UPNP_SSDP_GROUP, &to.sin_addr);
	n = snprintf(msg, sizeof(msg), "M-SEARCH * HTTP/1.1\r\nHOST: %s:%d\r\n"
		     "MAN: \"ssdp:discover\"\r\nMX: 1\r\nST: %s1\r\n\r\n", UPNP_SSDP_GROUP,
		     UPNP_SSDP_PORT, st);
	if (sendto(fd, msg, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		pr_debug("upnp: M-SEARCH for %s1: %s", st, strerror(errno));
}

int upnp_discover(__be32 gateway, __be32 src, int timeout_ms, struct upnp_igd *igd, char *why,
		  size_t why_len)
{
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = src };
	struct in_addr ifaddr = { .s_addr = src };
	__u64 end = source_clock_ms() + timeout_ms;
	char gw[INET_ADDRSTRLEN], *xml;
	int fd, others = 0;
	bool found = false;

	memset(igd, 0, sizeof(*igd));
	fmt_ip4(gateway, gw);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* Out of the interface that leads to the gateway, from this host's address there. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof(any)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifaddr, sizeof(ifaddr))) {
		snprintf(why, why_len, "couldn't open a socket for SSDP: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (size_t i = 0; i < sizeof(connection_services) / sizeof(connection_services[0]); i++)
		ssdp_search(fd, connection_services[i]);
	while (!found) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		__u64 now = source_clock_ms();
		struct sockaddr_in from;
		socklen_t from_len = sizeof(from);
		char reply[1500];
		ssize_t n;

		if (now >= end || poll(&pfd, 1, end - now) <= 0)
			break;
		n = recvfrom(fd, reply, sizeof(reply) - 1, MSG_DONTWAIT, (struct sockaddr *)&from,
			     &from_len);
		if (n <= 0)
			continue;
		reply[n] = '\0';
		/* Another device on the LAN that says it is a gateway is not the one the packets
		 * take: only the default gateway's word counts. */
		if (from.sin_addr.s_addr != gateway) {
			others++;
			continue;
		}
		found = !upnp_ssdp_location(reply, igd->location, sizeof(igd->location));
	}
	close(fd);
	if (!found) {
		snprintf(why, why_len, "no UPnP IGD answered from %s within %d ms%s", gw, timeout_ms,
			 others ? " (other hosts did; they are not the default gateway)" : "");
		return -1;
	}
	igd->addr = gateway;
	if (http_exchange(igd->location, "GET", "", NULL, timeout_ms, &xml, why, why_len))
		return -1;
	if (upnp_find_service(xml, igd->location, igd)) {
		snprintf(why, why_len, "%s's description (%s) has no WANIPConnection or "
			 "WANPPPConnection service", gw, igd->location);
		free(xml);
		return -1;
	}
	free(xml);
	return 0;
}

int upnp_get_mapping(const struct upnp_igd *igd, __u8 protocol, __u16 port, int timeout_ms,
		     struct upnp_mapping *m, char *why, size_t why_len)
{
	char headers[192], *body = NULL, *response;
	const char *proto = protocol == IPPROTO_TCP ? "TCP" : "UDP";
	int err;

	snprintf(headers, sizeof(headers), "Content-Type: text/xml; charset=\"utf-8\"\r\n"
		 "SOAPAction: \"%s#GetSpecificPortMappingEntry\"\r\n", igd->service_type);
	if (asprintf(&body, "<?xml version=\"1.0\"?>\r\n"
		     "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
		     "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
		     "<u:GetSpecificPortMappingEntry xmlns:u=\"%s\"><NewRemoteHost></NewRemoteHost>"
		     "<NewExternalPort>%u</NewExternalPort><NewProtocol>%s</NewProtocol>"
		     "</u:GetSpecificPortMappingEntry></s:Body></s:Envelope>\r\n",
		     igd->service_type, port, proto) < 0) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	err = http_exchange(igd->control_url, "POST", headers, body, timeout_ms, &response, why,
			    why_len);
	free(body);
	if (err)
		return -1;
	err = upnp_parse_mapping(response, m);
	free(response);
	if (err)
		snprintf(why, why_len, "the answer of %s is no GetSpecificPortMappingEntry response",
			 igd->control_url);
	return err;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * UPnP IGD, read only, over the network: SSDP, the description, GetSpecificPortMappingEntry
 * (upnp.h). Every wait is bounded by the caller's timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "format.h"
#include "log.h"
#include "source.h"
#include "upnp.h"

/* The description and a SOAP answer are a few KiB; a router that sends more is cut off. */
#define UPNP_RESPONSE_MAX (64 * 1024)

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
	for (int i = 0; i < UPNP_CONNECTION_SERVICES; i++)
		ssdp_search(fd, upnp_connection_services[i]);
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

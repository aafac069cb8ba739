// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for what doctor reads from a router's UPnP IGD (loader/upnp.c): the input,
 * as text, is an SSDP answer for upnp_ssdp_location(), a description for upnp_find_service(),
 * a SOAP answer for upnp_parse_mapping(), and a URL for upnp_parse_url(). Built with ASan and
 * UBSan by `make fuzz-upnp`, over tests/fuzz/corpus/upnp; `make test` runs it briefly
 * (build/tests/test_fuzz_upnp).
 *
 * Besides not crashing, each keeps its promises: a location is one line that fits; a URL's
 * path starts with '/' and its port is 1-65535; a control URL is one upnp_parse_url() takes;
 * a mapping found has a port 1-65535.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upnp.h"

static void broken(const char *promise)
{
	fprintf(stderr, "broken promise: %s\n", promise);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), location[64], path[UPNP_URL_MAX];
	struct upnp_mapping m;
	struct upnp_igd igd;
	__be32 addr;
	__u16 port;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	memset(location, 0xa5, sizeof(location));
	if (!upnp_ssdp_location(text, location, sizeof(location)) &&
	    (!memchr(location, 0, sizeof(location)) || !location[0] || strpbrk(location, "\r\n")))
		broken("a location is one line that fits");

	if (!upnp_parse_url(text, &addr, &port, path, sizeof(path)) &&
	    (path[0] != '/' || port == 0 || !memchr(path, 0, sizeof(path))))
		broken("a URL has a path from '/' and a port 1-65535");

	if (!upnp_find_service(text, "http://192.0.2.1:5000/d.xml", &igd) &&
	    (upnp_parse_url(igd.control_url, &addr, &port, path, sizeof(path)) ||
	     !memchr(igd.service_type, 0, sizeof(igd.service_type))))
		broken("a control URL is one upnp_parse_url() takes");

	if (!upnp_parse_mapping(text, &m) && m.found && m.port == 0)
		broken("a mapping found has a port 1-65535");
	free(text);
	return 0;
}

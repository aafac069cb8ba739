/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Asking a router's UPnP IGD (Internet Gateway Device) whether it forwards a port, for
 * `hairpin doctor`: an SSDP M-SEARCH (UDP to 239.255.255.250:1900) for its WANIPConnection or
 * WANPPPConnection service, an HTTP GET of the description it names, and one SOAP
 * GetSpecificPortMappingEntry per forward (UPnP IGD 1.0 and 2.0, WANIPConnection section
 * 2.4.16). Only answers from the default gateway count. Read only: nothing is mapped, nothing
 * changed. The parsers (upnp.c) are pure functions of the text, for the unit test
 * (tests/unit/test_upnp.c) and the fuzzer (tests/fuzz/upnp.c); the I/O is upnp_igd.c's.
 */
#ifndef HP_UPNP_H
#define HP_UPNP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define UPNP_SSDP_GROUP "239.255.255.250"
#define UPNP_SSDP_PORT 1900
#define UPNP_URL_MAX 256
/* The services that hold port mappings, without their version: WANIPConnection, WANPPPConnection. */
#define UPNP_CONNECTION_SERVICES 2
extern const char *const upnp_connection_services[UPNP_CONNECTION_SERVICES];

/* WANIPConnection's error for a port it has no mapping for. */
#define UPNP_NO_SUCH_ENTRY 714

struct upnp_igd {
	__be32 addr;				/* the gateway that answered */
	char location[UPNP_URL_MAX];		/* its description's URL */
	char control_url[UPNP_URL_MAX + 32];	/* the connection service's, absolute */
	char service_type[96];			/* "urn:schemas-upnp-org:service:WANIPConnection:2" */
};

struct upnp_mapping {
	bool found;		/* else error says why: UPNP_NO_SUCH_ENTRY, or another UPnP error */
	int error;
	char error_text[64];	/* its errorDescription */
	__be32 client;		/* NewInternalClient */
	__u16 port;		/* NewInternalPort */
	bool enabled;		/* NewEnabled */
};

/*
 * upnp_discover() - find the IGD of @gateway: SSDP from @src (this host's address towards it),
 * waiting @timeout_ms for an answer from @gateway, then its description. 0, or -1 with @why
 * set ("no UPnP IGD answered ...").
 */
int upnp_discover(__be32 gateway, __be32 src, int timeout_ms, struct upnp_igd *igd, char *why,
		  size_t why_len);

/*
 * upnp_get_mapping() - GetSpecificPortMappingEntry for (@protocol, @port) from any remote host.
 * 0 with @m filled (found, or the router's error), or -1 with @why set when no answer came.
 */
int upnp_get_mapping(const struct upnp_igd *igd, __u8 protocol, __u16 port, int timeout_ms,
		     struct upnp_mapping *m, char *why, size_t why_len);

/* ---- the parsers, for the unit test ---- */

/* The LOCATION header of an SSDP answer into @location. 0, or -1 when it has none. */
int upnp_ssdp_location(const char *reply, char *location, size_t len);

/*
 * The first WANIPConnection or WANPPPConnection service of the description @xml: its
 * controlURL made absolute against @location (one upnp_parse_url() takes), and its
 * serviceType. 0, or -1.
 */
int upnp_find_service(const char *xml, const char *location, struct upnp_igd *igd);

/* "http://A.B.C.D[:PORT]/PATH": the address, port (80) and path ("/"). 0, or -1. */
int upnp_parse_url(const char *url, __be32 *addr, __u16 *port, char *path, size_t len);

/* An HTTP response to GetSpecificPortMappingEntry, headers and body. 0, or -1 if not one. */
int upnp_parse_mapping(const char *response, struct upnp_mapping *m);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for what the natpmp source parses (loader/natpmp.c): the input is a UDP
 * payload from the gateway, a reply or an announcement, for natpmp_parse(); and the same
 * bytes as the text of /proc/net/route, for natpmp_default_gateway(). Built with ASan and
 * UBSan by `make fuzz-natpmp`, which runs it over tests/fuzz/corpus/natpmp; `make test` runs
 * it briefly (build/tests/test_fuzz_natpmp).
 *
 * Besides not crashing, natpmp_parse() must take exactly what RFC 6886 section 3.2 calls a
 * public address response, checked here against the RFC's layout written out again: version
 * 0, opcode 128, a result code, the epoch, and with result 0 the address (12 bytes; an error
 * may come in 8), in network order; anything else is -EBADMSG and leaves no answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natpmp.h"

/* RFC 6886 section 3.2, as it draws the packet. */
struct rfc6886_response {
	uint8_t version;
	uint8_t opcode;
	uint16_t result;	/* network order, as all below */
	uint32_t epoch;
	uint32_t external_addr;
} __attribute__((packed));

/* The parser broke @promise: say which, and crash for libFuzzer to keep the input. */
static void broken(const char *promise)
{
	fprintf(stderr, "broken promise: %s\n", promise);
	abort();
}

static void check_response(const uint8_t *data, size_t size)
{
	struct rfc6886_response want = { 0 };
	struct natpmp_reply reply;
	const char *text;
	bool ok;
	int err;

	memcpy(&want, data, size < sizeof(want) ? size : sizeof(want));
	ok = size >= 8 && want.version == 0 && want.opcode == 128 &&
	     (want.result || size >= sizeof(want));
	memset(&reply, 0xa5, sizeof(reply));
	err = natpmp_parse(data, size, &reply);
	if (err != (ok ? 0 : -EBADMSG))
		broken("takes a public address response, and nothing else");
	if (!ok)
		return;
	if (reply.result != ntohs(want.result) || reply.epoch != ntohl(want.epoch))
		broken("reads the result code and the epoch in network order");
	if (reply.addr != (reply.result ? 0 : want.external_addr))
		broken("reads the address with result 0, and none with an error");
	text = natpmp_result_text(reply.result);
	if (!text || !memchr(text, 0, 64) || !text[0])
		broken("has a text for every result code");
}

static void check_routes(const uint8_t *data, size_t size)
{
	FILE *routes;
	__be32 gateway = 0;
	int err;

	if (!size)
		return;
	routes = fmemopen((void *)data, size, "r");
	if (!routes)
		return;
	err = natpmp_default_gateway(routes, &gateway);
	fclose(routes);
	if (err != 0 && err != -ENETUNREACH)
		broken("the default gateway: 0 or -ENETUNREACH");
	if ((err == 0) != (gateway != 0))
		broken("the default gateway: an address, given only with 0");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_response(data, size);
	check_routes(data, size);
	return 0;
}

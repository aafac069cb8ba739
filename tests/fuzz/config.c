// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the config parser (loader/config.c), as wireguard-tools' fuzz/config.c
 * drives its own: the input is a file, fed a line at a time to config_line(), then
 * config_finish(). Built with ASan and UBSan by `make fuzz-config`, which runs it over
 * tests/fuzz/corpus/config; `make test` runs it briefly (build/tests/test_fuzz_config).
 *
 * Besides not crashing, the parser must keep its promises: an error message on every failure
 * and none on success, and a parsed file inside the limits the loader relies on.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static struct hp_config_file conf;

/* What a caller of a successfully parsed file relies on. */
static void check_parsed(const struct hp_config_file *c)
{
	if (c->error[0])
		abort();	/* success leaves no message */
	if (c->n_devices < 1 || c->n_devices > HP_MAX_DEVICES)
		abort();
	for (int i = 0; i < c->n_devices; i++) {
		if (!memchr(c->devices[i], 0, IF_NAMESIZE) || !c->devices[i][0])
			abort();
	}
	if (c->n_forwards < 1 || c->n_forwards > HP_MAX_FORWARDS)
		abort();
	for (int i = 0; i < c->n_forwards; i++) {
		const struct hp_config_forward *f = &c->forwards[i];

		if ((f->protocol != IPPROTO_UDP && f->protocol != IPPROTO_TCP) || !f->port)
			abort();
		for (int j = 0; j < i; j++) {
			if (c->forwards[j].protocol == f->protocol && c->forwards[j].port == f->port)
				abort();	/* duplicates are refused */
		}
	}
	if (c->n_sources < 0 || c->n_sources > HP_CONFIG_MAX_SOURCES)
		abort();
	for (int i = 0; i < c->n_sources; i++) {
		__u32 mask = c->sources[i].len ? ~0U << (32 - c->sources[i].len) : 0;

		if (c->sources[i].len > 32 || (ntohl(c->sources[i].addr) & ~mask))
			abort();	/* the sources map wants host bits zero */
	}
	if (c->mode != HP_CONFIG_MODE_AUTO && c->mode != HP_CONFIG_MODE_XDP &&
	    c->mode != HP_CONFIG_MODE_TC)
		abort();
}

/* A failure says where: "fuzz.conf..." and a NUL inside the buffer. */
static void check_failed(const struct hp_config_file *c)
{
	if (!memchr(c->error, 0, sizeof(c->error)) || strncmp(c->error, "fuzz.conf", 9))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *p, *end;
	int err = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	config_init(&conf, "fuzz.conf");
	p = buf;
	end = buf + size;
	while (p < end && !err) {
		char *nl = memchr(p, '\n', end - p);
		char *line_end = nl ? nl : end;

		/* config_load() refuses a line with a NUL; config_line() would stop at it. */
		if (memchr(p, 0, line_end - p))
			break;
		*line_end = 0;
		err = config_line(&conf, p);
		if (err != 0 && err != -1)
			abort();
		p = line_end + 1;
	}
	if (!err)
		err = config_finish(&conf);
	if (err)
		check_failed(&conf);
	else
		check_parsed(&conf);

	/* set-public-ip's parser, on the first line. */
	{
		__be32 addr;
		char *nl = memchr(buf, '\n', size);

		memcpy(buf, data, size);
		if (nl)
			*nl = 0;
		config_parse_address(buf, &addr);
	}
	free(buf);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* Feeding text to the configuration parser; see parse.h. */
#include "parse.h"

struct hp_config_file conf;

int parse(const char *text)
{
	const char *p = text;

	config_init(&conf, "hairpin.conf");
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
		char *line = strndup(p, len);
		int err = config_line(&conf, line);

		free(line);
		if (err)
			return err;
		p += len;
	}
	return config_finish(&conf);
}

__be32 ip(const char *s)
{
	struct in_addr in = { 0 };

	inet_pton(AF_INET, s, &in);
	return in.s_addr;
}

char *temp_file(const void *data, size_t len)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror("test_config: temp file");
		exit(1);
	}
	close(fd);
	return path;
}

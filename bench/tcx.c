// SPDX-License-Identifier: GPL-2.0
/*
 * bench/tcx: the tcx hooks (Linux 6.6) from the command line, which Debian 12's bpftool (7.1)
 * and tc (iproute2 6.1) predate. For the end-to-end part of `make bench`, which compares that
 * hook's cost with cls_bpf's, and for the tests, which look at what is attached with it.
 *
 *   tcx OBJECT PROGRAM IFACE PIN                   attach to IFACE's tcx ingress, pin the link
 *   tcx attach OBJECT PROGRAM IFACE ingress|egress PIN [first|last]
 *                                                  the same for either hook; last by default
 *   tcx show [IFACE]                               one line per program on IFACE's tcx hooks
 *                                                  (every device's: "IFACE " first), in the
 *                                                  order they run:
 *                                                  "ingress|egress PROG_ID NAME LINK_ID"
 *
 * Removing the pin detaches the program. libbpf 1.1 has no tcx API (bpf_program__attach_tcx()
 * came in 1.3): the kernel's own interface is used, as hairpin does (loader/tcx.h). Exit
 * status: 0 done, 1 refused (a kernel without tcx says EINVAL), 2 usage.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcx.h"

static int usage(void)
{
	fprintf(stderr, "usage: tcx OBJECT PROGRAM IFACE PIN\n"
			"       tcx attach OBJECT PROGRAM IFACE ingress|egress PIN [first|last]\n"
			"       tcx show [IFACE]\n");
	return 2;
}

static int ifindex_of(const char *name)
{
	int ifindex = (int)if_nametoindex(name);

	if (!ifindex)
		fprintf(stderr, "tcx: no device %s: %s\n", name, strerror(errno));
	return ifindex;
}

static int attach(const char *object, const char *program, const char *iface,
		  enum hp_direction direction, const char *pin, bool first)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = first ? HP_BPF_F_BEFORE : HP_BPF_F_AFTER);
	struct bpf_object *obj;
	struct bpf_program *prog;
	int ifindex, link, err;

	ifindex = ifindex_of(iface);
	if (!ifindex)
		return 1;
	libbpf_set_print(NULL);
	obj = bpf_object__open_file(object, NULL);
	err = libbpf_get_error(obj);
	if (!err)
		err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "tcx: couldn't load %s: %s\n", object, strerror(-err));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, program);
	if (!prog) {
		fprintf(stderr, "tcx: no program %s in %s\n", program, object);
		return 1;
	}
	link = bpf_link_create(bpf_program__fd(prog), ifindex, tcx_attach_type(direction), &opts);
	if (link < 0) {
		fprintf(stderr, "tcx: couldn't attach %s to %s's tcx %s: %s\n", program, iface,
			direction == HP_DIR_INGRESS ? "ingress" : "egress", strerror(-link));
		return 1;
	}
	if (bpf_obj_pin(link, pin)) {
		fprintf(stderr, "tcx: couldn't pin the link at %s: %s\n", pin, strerror(errno));
		return 1;
	}
	return 0;
}

/* @iface's tcx programs, each line after @prefix. */
static int show(const char *iface, const char *prefix)
{
	int ifindex = ifindex_of(iface);

	if (!ifindex)
		return 1;
	for (int dir = HP_DIR_INGRESS; dir <= HP_DIR_EGRESS; dir++) {
		struct tcx_entry entries[HP_TCX_MAX_PROGS];
		int n, err = tcx_query(ifindex, dir, entries, HP_TCX_MAX_PROGS, &n);

		if (err) {
			fprintf(stderr, "tcx: couldn't list %s's tcx programs: %s\n", iface,
				strerror(-err));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);
			int fd = bpf_prog_get_fd_by_id(entries[i].prog_id);

			if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
				snprintf(info.name, sizeof(info.name), "?");
			if (fd >= 0)
				close(fd);
			printf("%s%s %u %s %u\n", prefix, dir == HP_DIR_INGRESS ? "ingress" : "egress",
			       entries[i].prog_id, info.name[0] ? info.name : "-",
			       entries[i].link_id);
		}
	}
	return 0;
}

static int show_all(void)
{
	struct if_nameindex *all = if_nameindex(), *i;
	int status = 0;

	if (!all) {
		fprintf(stderr, "tcx: couldn't list the devices: %s\n", strerror(errno));
		return 1;
	}
	for (i = all; i->if_index && !status; i++) {
		char prefix[IF_NAMESIZE + 1];

		snprintf(prefix, sizeof(prefix), "%s ", i->if_name);
		status = show(i->if_name, prefix);
	}
	if_freenameindex(all);
	return status;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "show"))
		return show_all();
	if (argc == 3 && !strcmp(argv[1], "show"))
		return show(argv[2], "");
	if ((argc == 7 || argc == 8) && !strcmp(argv[1], "attach")) {
		bool ingress = !strcmp(argv[5], "ingress");

		if ((!ingress && strcmp(argv[5], "egress")) ||
		    (argc == 8 && strcmp(argv[7], "first") && strcmp(argv[7], "last")))
			return usage();
		return attach(argv[2], argv[3], argv[4], ingress ? HP_DIR_INGRESS : HP_DIR_EGRESS,
			      argv[6], argc == 8 && !strcmp(argv[7], "first"));
	}
	if (argc == 5)
		return attach(argv[1], argv[2], argv[3], HP_DIR_INGRESS, argv[4], false);
	return usage();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * bench/tcx: attach a program to a device's tcx ingress hook (Linux 6.6) and pin the link,
 * for the end-to-end part of `make bench`, which compares that hook's cost with cls_bpf's
 * (what hairpin and `tc filter ... bpf` use). Removing the pin detaches the program.
 *
 *   tcx OBJECT PROGRAM IFACE PIN
 *
 * libbpf 1.1 has no tcx API (bpf_program__attach_tcx() came in 1.3); bpf_link_create() passes
 * the attach type through, so the kernel's own interface serves. Exit status: 0 attached,
 * 1 refused (a kernel without tcx says EINVAL), 2 usage.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* enum bpf_attach_type in Linux 6.6's uapi; older headers lack it. */
#define TCX_INGRESS 46

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	unsigned int ifindex;
	int link, err;

	if (argc != 5) {
		fprintf(stderr, "usage: tcx OBJECT PROGRAM IFACE PIN\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[3]);
	if (!ifindex) {
		fprintf(stderr, "tcx: no device %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	libbpf_set_print(NULL);
	obj = bpf_object__open_file(argv[1], NULL);
	err = libbpf_get_error(obj);
	if (!err)
		err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "tcx: couldn't load %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog) {
		fprintf(stderr, "tcx: no program %s in %s\n", argv[2], argv[1]);
		return 1;
	}
	link = bpf_link_create(bpf_program__fd(prog), ifindex, TCX_INGRESS, NULL);
	if (link < 0) {
		fprintf(stderr, "tcx: couldn't attach %s to %s's tcx ingress: %s\n", argv[2],
			argv[3], strerror(-link));
		return 1;
	}
	if (bpf_obj_pin(link, argv[4])) {
		fprintf(stderr, "tcx: couldn't pin the link at %s: %s\n", argv[4], strerror(errno));
		return 1;
	}
	return 0;
}

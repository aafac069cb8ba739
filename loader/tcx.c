// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "tcx.h"

/* union bpf_attr's query member as of Linux 6.6: the ifindex target, link ids, revision. */
struct query_attr {
	__u32 target_ifindex;
	__u32 attach_type;
	__u32 query_flags;
	__u32 attach_flags;
	__aligned_u64 prog_ids;
	__u32 count;
	__u32 pad;
	__aligned_u64 prog_attach_flags;
	__aligned_u64 link_ids;
	__aligned_u64 link_attach_flags;
	__u64 revision;
};

/* struct bpf_link_info as of Linux 6.6, up to its tcx member. */
struct link_info {
	__u32 type;
	__u32 id;
	__u32 prog_id;
	__u32 pad;
	union {
		struct {
			__u32 ifindex;
			__u32 attach_type;
		} tcx;
		__u8 other[64];	/* room for the other link types' members */
	};
};

int tcx_query(int ifindex, enum hp_direction direction, struct tcx_entry *entries, int max,
	      int *n)
{
	__u32 prog_ids[HP_TCX_MAX_PROGS], link_ids[HP_TCX_MAX_PROGS];
	struct query_attr attr = {
		.target_ifindex = ifindex,
		.attach_type = tcx_attach_type(direction),
		.prog_ids = (__u64)(unsigned long)prog_ids,
		.link_ids = (__u64)(unsigned long)link_ids,
		.count = HP_TCX_MAX_PROGS,
	};

	if (syscall(__NR_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
		return -errno;
	*n = 0;
	for (__u32 i = 0; i < attr.count && i < HP_TCX_MAX_PROGS && *n < max; i++)
		entries[(*n)++] = (struct tcx_entry){ .prog_id = prog_ids[i], .link_id = link_ids[i] };
	return 0;
}

int tcx_link_create(int prog_fd, int ifindex, enum hp_direction direction)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts,
		    .flags = direction == HP_DIR_INGRESS ? HP_BPF_F_BEFORE : HP_BPF_F_AFTER);
	int fd;

	/* libbpf 1.1 passes an attach type it does not know through, with the flags. */
	fd = bpf_link_create(prog_fd, ifindex, tcx_attach_type(direction), &opts);
	return fd < 0 ? -errno : fd;
}

int tcx_link_info(int link_fd, struct tcx_link_info *out)
{
	struct link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
		return -errno;
	*out = (struct tcx_link_info){
		.id = info.id,
		.type = info.type,
		.prog_id = info.prog_id,
		.ifindex = info.type == HP_BPF_LINK_TYPE_TCX ? info.tcx.ifindex : 0,
		.attach_type = info.type == HP_BPF_LINK_TYPE_TCX ? info.tcx.attach_type : 0,
	};
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel feature probing for `up` (probe.h). Each probe asks the kernel itself, with libbpf's
 * probes (a two-instruction program of a type, a one-element map of a type, a program calling a
 * helper), never by comparing version numbers: distribution kernels backport features, and a
 * kernel may be built without one.
 *
 * The table below is the part of doc/kernels.md that a kernel can be asked about; keep the
 * two in step. Features every kernel that passes it has (BTF, the csum helpers' flags,
 * XDP_FLAGS_REPLACE, bounded loops) are not asked about separately.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "fault.h"
#include "log.h"
#include "probe.h"
#include "rtnl.h"
#include "tcx.h"

enum probe_kind { PROBE_PROG, PROBE_MAP, PROBE_MMAPABLE, PROBE_HELPER };

struct feature {
	enum probe_kind kind;
	const char *name;	/* what is missing: "no <name>" */
	const char *since;	/* the Linux version that brought it */
	enum bpf_prog_type prog_type;
	enum bpf_map_type map_type;
	enum bpf_func_id helper;
};

#define PROG(name_, since_, type)                                                            \
	{ .kind = PROBE_PROG, .name = name_, .since = since_, .prog_type = type }
#define MAP(name_, since_, type)                                                             \
	{ .kind = PROBE_MAP, .name = name_, .since = since_, .map_type = type }
#define HELPER(name_, since_, type, id)                                                      \
	{ .kind = PROBE_HELPER, .name = name_, .since = since_, .prog_type = type, .helper = id }

static const struct feature features[] = {
	PROG("XDP programs", "4.8", BPF_PROG_TYPE_XDP),
	PROG("tc (cls_bpf) programs", "4.1", BPF_PROG_TYPE_SCHED_CLS),
	MAP("hash maps", "3.19", BPF_MAP_TYPE_HASH),
	MAP("per-CPU array maps", "4.6", BPF_MAP_TYPE_PERCPU_ARRAY),
	MAP("LRU hash maps", "4.10", BPF_MAP_TYPE_LRU_HASH),
	MAP("LPM trie maps", "4.11", BPF_MAP_TYPE_LPM_TRIE),
	{ .kind = PROBE_MMAPABLE, .name = "mmapable array maps (BPF_F_MMAPABLE)", .since = "5.5" },
	MAP("ring buffer maps", "5.8", BPF_MAP_TYPE_RINGBUF),
	HELPER("bpf_skb_store_bytes() in tc programs", "4.1", BPF_PROG_TYPE_SCHED_CLS,
	       BPF_FUNC_skb_store_bytes),
	HELPER("bpf_l4_csum_replace() in tc programs", "4.1", BPF_PROG_TYPE_SCHED_CLS,
	       BPF_FUNC_l4_csum_replace),
	HELPER("bpf_skb_pull_data() in tc programs", "4.9", BPF_PROG_TYPE_SCHED_CLS,
	       BPF_FUNC_skb_pull_data),
	HELPER("bpf_ringbuf_output() in XDP programs", "5.8", BPF_PROG_TYPE_XDP,
	       BPF_FUNC_ringbuf_output),
	HELPER("bpf_ringbuf_output() in tc programs", "5.8", BPF_PROG_TYPE_SCHED_CLS,
	       BPF_FUNC_ringbuf_output),
	HELPER("bpf_fib_lookup() in XDP programs", "4.18", BPF_PROG_TYPE_XDP, BPF_FUNC_fib_lookup),
	HELPER("bpf_redirect_neigh() in tc programs", "5.10", BPF_PROG_TYPE_SCHED_CLS,
	       BPF_FUNC_redirect_neigh),
	HELPER("bpf_jiffies64() in XDP programs", "5.5", BPF_PROG_TYPE_XDP, BPF_FUNC_jiffies64),
	HELPER("bpf_jiffies64() in tc programs", "5.5", BPF_PROG_TYPE_SCHED_CLS,
	       BPF_FUNC_jiffies64),
	HELPER("bpf_ktime_get_coarse_ns() in XDP programs", "5.11", BPF_PROG_TYPE_XDP,
	       BPF_FUNC_ktime_get_coarse_ns),
	HELPER("bpf_ktime_get_coarse_ns() in tc programs", "5.11", BPF_PROG_TYPE_SCHED_CLS,
	       BPF_FUNC_ktime_get_coarse_ns),
};

/* A program that returns 0: the smallest thing the kernel will load. */
static int load_trivial(enum bpf_prog_type type)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(type, NULL, "GPL", insns, sizeof(insns) / sizeof(insns[0]), NULL);
}

/* An array map with BPF_F_MMAPABLE, and mapped, as `up' maps the config. */
static int probe_mmapable(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, sizeof(__u32), sizeof(__u64), 1, &opts);
	long page = sysconf(_SC_PAGESIZE);
	void *mem;

	if (fd < 0)
		return 0;
	mem = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		return 0;
	munmap(mem, page);
	return 1;
}

static int probe_feature(const struct feature *f)
{
	switch (f->kind) {
	case PROBE_PROG:
		return libbpf_probe_bpf_prog_type(f->prog_type, NULL);
	case PROBE_MAP:
		return libbpf_probe_bpf_map_type(f->map_type, NULL);
	case PROBE_MMAPABLE:
		return probe_mmapable();
	case PROBE_HELPER:
		return libbpf_probe_bpf_helper(f->prog_type, f->helper, NULL);
	}
	return -EINVAL;
}

/* "6.1" of "6.1.0-56-amd64". */
static const char *kernel_version(char *buf, size_t len)
{
	struct utsname u;
	int major, minor;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return "unknown";
	snprintf(buf, len, "%d.%d", major, minor);
	return buf;
}

static bool refused(int err)
{
	return err == EPERM || err == EACCES;
}

static int permission_denied(const char *what)
{
	pr_warn("permission denied %s: " HP_PRIVILEGES, what);
	return -EPERM;
}

/* A change to a device that names no device: refused for want of CAP_NET_ADMIN before the
 * kernel looks for the device (rtnetlink checks every request but a GET first). */
static int try_rtnl_change(void)
{
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC, .tcm_ifindex = 0 };
	struct rtnl_req req;
	struct rtnl nl;
	int err = rtnl_open(&nl);

	if (err)
		return err;
	rtnl_req_init(&req, RTM_DELQDISC, 0, &tcm, sizeof(tcm));
	err = rtnl_talk(&nl, &req, NULL, NULL);
	rtnl_close(&nl);
	return err;
}

int probe_permissions(void)
{
	int fd, err;

	/* Before 5.11 the kernel charges BPF memory to RLIMIT_MEMLOCK, and a probe refused
	 * for it would be taken for something else. libbpf lifts it the same way before
	 * loading an object on such kernels. */
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	fd = load_trivial(BPF_PROG_TYPE_SCHED_CLS);
	if (fd < 0 && refused(errno))
		return permission_denied("loading a BPF program");
	if (fd >= 0)
		close(fd);
	/* Id 0 names no program: with the privilege ENOENT, without it EPERM. */
	fd = bpf_prog_get_fd_by_id(0);
	if (fd < 0 && refused(errno))
		return permission_denied("looking up BPF programs by id");
	if (fd >= 0)
		close(fd);
	err = try_rtnl_change();
	if (refused(-err))
		return permission_denied("changing a network device's hooks");
	return 0;
}

const char *probe_strerror(int err)
{
	if (refused(-err))
		return "permission denied: " HP_PRIVILEGES;
	return strerror(-err);
}

int probe_kernel(void)
{
	char missing[1024] = "", version[32];
	size_t used = 0;
	int fd, err;

	/* A socket filter loads on every kernel with bpf(2): failing that, the kernel is not
	 * the question. */
	fd = load_trivial(BPF_PROG_TYPE_SOCKET_FILTER);
	if (fd < 0 && errno == ENOSYS) {
		pr_warn("this kernel (%s) cannot run hairpin: no bpf() system call "
			"(CONFIG_BPF_SYSCALL; needs Linux %s)", kernel_version(version,
			sizeof(version)), HP_MIN_LINUX);
		return -EOPNOTSUPP;
	}
	if (fd >= 0)
		close(fd);
	/* Every probe below is a load or a map: refused for want of privilege, each would
	 * read as a missing feature. */
	err = probe_permissions();
	if (err)
		return err;

	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		const struct feature *f = &features[i];
		int ok = probe_feature(f);

		pr_debug("kernel feature %s (Linux %s): %s", f->name, f->since,
			 ok > 0 ? "yes" : ok == 0 ? "no" : strerror(-ok));
		if (ok != 0)	/* a probe that could not run says nothing against the kernel */
			continue;
		used += snprintf(missing + used, used < sizeof(missing) ? sizeof(missing) - used : 0,
				 "%sno %s (needs Linux %s)", used ? ", " : "", f->name, f->since);
	}
	if (!used)
		return 0;
	pr_warn("this kernel (%s) cannot run hairpin: %s", kernel_version(version,
		sizeof(version)), missing);
	return -EOPNOTSUPP;
}

bool probe_has_tcx(void)
{
	static int tcx = -1;
	int prog, link;

	if (tcx >= 0)
		return tcx;
	/* The test build can pretend the kernel has none, to run the cls_bpf path here too. */
	if (fault_no_tcx()) {
		tcx = 0;
		return false;
	}
	prog = load_trivial(BPF_PROG_TYPE_SCHED_CLS);
	if (prog < 0)
		return false;	/* not known: asked again next time */
	/* Target ifindex 0 names no device: nothing can be attached, whatever the kernel. */
	link = bpf_link_create(prog, 0, HP_BPF_TCX_INGRESS, NULL);
	tcx = link == -ENODEV;
	if (link >= 0)
		close(link);
	close(prog);
	return tcx;
}

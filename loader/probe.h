/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What hairpin needs of the running kernel, probed before `up` loads anything: an old kernel
 * gets one sentence naming what it lacks and the Linux version that has it, instead of a
 * verifier log. doc/kernels.md lists every feature, its version and why hairpin uses it.
 */
#ifndef HP_PROBE_H
#define HP_PROBE_H

#include <stdbool.h>

/* The oldest Linux that has every feature probe_kernel() checks. */
#define HP_MIN_LINUX "5.11"

/* What hairpin needs of a process: said with every refusal for want of privilege. */
#define HP_PRIVILEGES "run as root, or with CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN"

/*
 * probe_permissions() - whether this process may do what every command that reads or changes
 * the kernel's state does: load BPF programs (CAP_BPF and CAP_NET_ADMIN), look programs and
 * maps up by id (CAP_SYS_ADMIN), change devices' hooks (CAP_NET_ADMIN). Asked of the kernel,
 * each by a request that changes nothing.
 * Return: 0, or -EPERM after printing "permission denied WHAT: " HP_PRIVILEGES.
 */
int probe_permissions(void);

/*
 * probe_kernel() - check that this kernel has what hairpin's programs and loader use, after
 * probe_permissions(): a refusal for want of privilege is never taken for a missing feature.
 * Return: 0 when it has; -EPERM as probe_permissions(); -EOPNOTSUPP after printing
 * "this kernel (X.Y) cannot run hairpin: no FEATURE (needs Linux A.B), ...".
 */
int probe_kernel(void);

/*
 * probe_has_tcx() - whether the kernel has tcx, the tc hooks attached by BPF links (Linux
 * 6.6), where hairpin attaches its tc programs; without, it uses a clsact qdisc and cls_bpf
 * filters. Probed once by a BPF_LINK_CREATE of type BPF_TCX_INGRESS on no device, which a
 * kernel with tcx refuses with ENODEV, an older one with EINVAL.
 */
bool probe_has_tcx(void);

/* strerror(-@err), or for EPERM and EACCES "permission denied: " HP_PRIVILEGES. */
const char *probe_strerror(int err);

#endif

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

/*
 * probe_kernel() - check that this kernel has what hairpin's programs and loader use.
 * Return: 0 when it has, or when it cannot be told (without the privilege to load a BPF
 * program, the load itself says so); -EOPNOTSUPP after printing
 * "this kernel (X.Y) cannot run hairpin: no FEATURE (needs Linux A.B), ...".
 */
int probe_kernel(void);

/*
 * probe_has_tcx() - whether the kernel has tcx, the tc hooks attached by BPF links (Linux
 * 6.6). hairpin attaches with a clsact qdisc and cls_bpf filters on every kernel (libbpf 1.1
 * has no tcx API); this is for saying so. Probed by a BPF_LINK_CREATE of type BPF_TCX_INGRESS
 * on no device, which a kernel with tcx refuses with ENODEV, an older one with EINVAL.
 */
bool probe_has_tcx(void);

#endif

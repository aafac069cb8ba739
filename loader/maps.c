// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"

int maps_read_all(int fd, __u32 key_size, __u32 value_off, __u32 entry_size, void **entries,
		  int *count)
{
	char key[64], next[64];
	void *prev = NULL;
	char *list = NULL;
	int n = 0, cap = 0, err;

	if (key_size > sizeof(key))
		return -EINVAL;
	while (!(err = bpf_map_get_next_key(fd, prev, next))) {
		if (n == cap) {
			char *grown = realloc(list, (size_t)(cap = cap ? cap * 2 : 16) * entry_size);

			if (!grown) {
				err = -ENOMEM;
				goto fail;
			}
			list = grown;
		}
		memcpy(list + (size_t)n * entry_size, next, key_size);
		/* An entry deleted between the two calls is skipped, not an error. */
		if (!bpf_map_lookup_elem(fd, next, list + (size_t)n * entry_size + value_off))
			n++;
		memcpy(key, next, key_size);
		prev = key;
	}
	if (err != -ENOENT)
		goto fail;
	*entries = list;
	*count = n;
	return 0;
fail:
	free(list);
	return err;
}

int maps_stats_sum(int fd, __u32 index, struct hp_stats *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct hp_stats *percpu;
	int err;

	if (ncpus < 0)
		return ncpus;
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	err = bpf_map_lookup_elem(fd, &index, percpu);
	for (int cpu = 0; !err && cpu < ncpus; cpu++) {
		sum->to_target_packets += percpu[cpu].to_target_packets;
		sum->to_target_bytes += percpu[cpu].to_target_bytes;
		sum->to_client_packets += percpu[cpu].to_client_packets;
		sum->to_client_bytes += percpu[cpu].to_client_bytes;
	}
	free(percpu);
	return err;
}

int maps_stats_zero(int fd, __u32 index)
{
	int ncpus = libbpf_num_possible_cpus();
	struct hp_stats *percpu;
	int err;

	if (ncpus < 0)
		return ncpus;
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	err = bpf_map_update_elem(fd, &index, percpu, BPF_ANY);
	free(percpu);
	return err;
}

int maps_map_words(int fd, __u32 n_words, __u64 **words)
{
	void *p = mmap(NULL, n_words * sizeof(__u64), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*words = p;
	return 0;
}

void maps_unmap_words(__u64 *words, __u32 n_words)
{
	munmap(words, n_words * sizeof(__u64));
}

int maps_read_forwards(int fd, struct hp_forward_entry **entries, int *count)
{
	struct hp_forward_entry *list = NULL;
	int n = 0, cap = 0, err;
	__u64 *words = NULL;

	err = maps_map_forwards(fd, &words);
	if (err)
		return err;
	for (__u32 i = 0; i < HP_FORWARD_SLOTS; i++) {
		struct hp_forward fwd = forward_from_word(__atomic_load_n(&words[i], __ATOMIC_RELAXED));

		if (!fwd.target_addr)
			continue;
		if (n == cap) {
			struct hp_forward_entry *grown = realloc(list, (cap = cap ? cap * 2 : 16) *
								 sizeof(*list));

			if (!grown) {
				free(list);
				maps_unmap_forwards(words);
				return -ENOMEM;
			}
			list = grown;
		}
		list[n++] = (struct hp_forward_entry){
			.protocol = i >= 65536 ? IPPROTO_TCP : IPPROTO_UDP,
			.port = i & 0xffff,
			.value = fwd,
		};
	}
	maps_unmap_forwards(words);
	*entries = list;
	*count = n;
	return 0;
}

int maps_reasons_sum(int fd, __u64 sums[HP_REASONS])
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *percpu;
	int err = 0;

	if (ncpus < 0)
		return ncpus;
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (__u32 reason = 0; reason < HP_REASONS && !err; reason++) {
		sums[reason] = 0;
		if (bpf_map_lookup_elem(fd, &reason, percpu)) {
			err = -errno;
			break;
		}
		for (int cpu = 0; cpu < ncpus; cpu++)
			sums[reason] += percpu[cpu];
	}
	free(percpu);
	return err;
}

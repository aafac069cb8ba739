/* SPDX-License-Identifier: GPL-2.0 */
/* Reading and writing the maps from user space, by fd (pinned or freshly loaded alike). */
#ifndef HP_MAPS_H
#define HP_MAPS_H

#include "hairpin.h"

/* A forward as the forwards array holds it, with the (protocol, port) of its index. */
struct hp_forward_entry {
	__u8 protocol;
	__u16 port;		/* host order */
	struct hp_forward value;
};

struct hp_flow_entry {
	struct hp_flow_key key;
	struct hp_flow value;
};

struct hp_frag_entry {
	struct hp_frag_key key;
	struct hp_frag value;
};

struct hp_source_entry {
	struct hp_source_key key;
	__u32 value;
};

/*
 * Every entry of a hash map, into a calloc()ed array of @entry_size-byte records, each the key
 * (@key_size bytes) followed by the value at @value_off. -errno on failure.
 */
int maps_read_all(int fd, __u32 key_size, __u32 value_off, __u32 entry_size, void **entries,
		  int *count);

/*
 * An mmapable array of @n_words 64-bit values (the forwards array, HP_FORWARD_SLOTS words; the
 * target_ports bitmap, HP_TARGET_PORT_WORDS), each read and written whole with one atomic
 * access. munmap with maps_unmap_words().
 */
int maps_map_words(int fd, __u32 n_words, __u64 **words);
void maps_unmap_words(__u64 *words, __u32 n_words);

static inline int maps_map_forwards(int fd, __u64 **words)
{
	return maps_map_words(fd, HP_FORWARD_SLOTS, words);
}

static inline void maps_unmap_forwards(__u64 *words)
{
	maps_unmap_words(words, HP_FORWARD_SLOTS);
}

static inline struct hp_forward forward_from_word(__u64 word)
{
	struct hp_forward fwd;

	__builtin_memcpy(&fwd, &word, sizeof(fwd));
	return fwd;
}

static inline __u64 forward_word(struct hp_forward fwd)
{
	__u64 word;

	__builtin_memcpy(&word, &fwd, sizeof(word));
	return word;
}

/* Every forward in the array (target_addr != 0), in index order. -errno on failure. */
int maps_read_forwards(int fd, struct hp_forward_entry **entries, int *count);

static inline int maps_read_flows(int fd, struct hp_flow_entry **entries, int *count)
{
	return maps_read_all(fd, sizeof(struct hp_flow_key),
			     __builtin_offsetof(struct hp_flow_entry, value),
			     sizeof(struct hp_flow_entry), (void **)entries, count);
}

static inline int maps_read_devices(int fd, struct hp_device **entries, int *count)
{
	/* The key, the ifindex, is also the value's first field: read the value over it. */
	return maps_read_all(fd, sizeof(__u32), 0, sizeof(struct hp_device), (void **)entries,
			     count);
}

static inline int maps_read_frags(int fd, struct hp_frag_entry **entries, int *count)
{
	return maps_read_all(fd, sizeof(struct hp_frag_key),
			     __builtin_offsetof(struct hp_frag_entry, value),
			     sizeof(struct hp_frag_entry), (void **)entries, count);
}

static inline int maps_read_sources(int fd, struct hp_source_entry **entries, int *count)
{
	return maps_read_all(fd, sizeof(struct hp_source_key),
			     __builtin_offsetof(struct hp_source_entry, value),
			     sizeof(struct hp_source_entry), (void **)entries, count);
}

/* The reasons counters (enum hp_reason), each summed over every CPU. */
int maps_reasons_sum(int fd, __u64 sums[HP_REASONS]);

/* The counters of one forward, summed over every CPU. */
int maps_stats_sum(int fd, __u32 index, struct hp_stats *sum);
/* Zero one forward's counters on every CPU. */
int maps_stats_zero(int fd, __u32 index);

#endif

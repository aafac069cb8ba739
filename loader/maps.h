/* SPDX-License-Identifier: GPL-2.0 */
/* Reading and writing the maps from user space, by fd (pinned or freshly loaded alike). */
#ifndef HP_MAPS_H
#define HP_MAPS_H

#include "hairpin.h"

struct hp_forward_entry {
	struct hp_forward_key key;
	struct hp_forward value;
};

struct hp_flow_entry {
	struct hp_flow_key key;
	struct hp_flow value;
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

static inline int maps_read_forwards(int fd, struct hp_forward_entry **entries, int *count)
{
	return maps_read_all(fd, sizeof(struct hp_forward_key),
			     __builtin_offsetof(struct hp_forward_entry, value),
			     sizeof(struct hp_forward_entry), (void **)entries, count);
}

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

static inline int maps_read_sources(int fd, struct hp_source_entry **entries, int *count)
{
	return maps_read_all(fd, sizeof(struct hp_source_key),
			     __builtin_offsetof(struct hp_source_entry, value),
			     sizeof(struct hp_source_entry), (void **)entries, count);
}

/* The counters of one forward, summed over every CPU. */
int maps_stats_sum(int fd, __u32 index, struct hp_stats *sum);
/* Zero one forward's counters on every CPU. */
int maps_stats_zero(int fd, __u32 index);

#endif

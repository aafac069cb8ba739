/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF programs and the loader share: the layout of every map value and key, and the
 * limits. Fields are __u32/__be32 and friends only, laid out without implicit padding, so that
 * both compilers agree and BTF shows every byte by name.
 *
 * Maps (pinned under the pin dir, default /sys/fs/bpf/hairpin, by these file names):
 *   config    ARRAY[1] of struct hp_config, mmapable: the public address and target addresses
 *   forwards  HASH: struct hp_forward_key -> struct hp_forward
 *   flows     LRU_HASH: struct hp_flow_key -> struct hp_flow, filled on ingress
 *   stats     PERCPU_ARRAY[HP_MAX_FORWARDS] of struct hp_stats, indexed by hp_forward.stats_index
 *   devices   HASH: ifindex -> struct hp_device, the loader's record of what it attaches where
 *   frags     LRU_HASH: struct hp_frag_key -> struct hp_frag, translated first fragments
 *   sources   LPM_TRIE: struct hp_source_key -> __u32, AllowedSources by generation
 *   monitors  ARRAY_OF_MAPS[HP_MONITOR_SLOTS] of ring buffers of struct hp_event, one per
 *             running `hairpin monitor` (see struct hp_config); no BTF (the kernel takes none
 *             for a map of maps), bpftool shows each slot's ring buffer id
 *
 * The rules the programs follow are in doc/translation.md.
 */
#ifndef HAIRPIN_H
#define HAIRPIN_H

#include <linux/types.h>

#define HP_MAX_FORWARDS 1024
#define HP_MAX_FLOWS 65536
#define HP_MAX_DEVICES 64
/* Records in the devices map: a replacing `up` records the new Devices before it lets go of
 * the old ones, so both sets fit at once. */
#define HP_MAX_DEVICE_RECORDS (2 * HP_MAX_DEVICES)
/* Datagrams in fragments at once; a first fragment's entry serves the rest of its datagram. */
#define HP_MAX_FRAGS 4096
/* AllowedSources prefixes, of both generations together (see hp_config.sources_generation). */
#define HP_MAX_SOURCES 1024
/* Distinct Target addresses; egress compares the source with each before any hash lookup. */
#define HP_MAX_TARGET_ADDRS 4
/* `hairpin monitor`s at once, each with a ring buffer of its own (struct hp_config). */
#define HP_MONITOR_SLOTS 8

/*
 * The one value of the config map. The map is mmapable and every field is one aligned 32-bit
 * word: the loader changes a field with a single atomic store through the mapping, so a packet
 * sees either the old or the new word, never a torn one (bpf_map_update_elem() copies the value
 * with memcpy() and promises no such thing). public_addr == 0 means "unknown": nothing is
 * rewritten. Unused target_addrs slots are 0.
 */
struct hp_config {
	__be32 public_addr;
	__be32 target_addrs[HP_MAX_TARGET_ADDRS];
	/*
	 * 0: any source may be redirected. Otherwise only sources matching a prefix of this
	 * generation in the sources map. The loader fills the other generation completely, then
	 * switches this word, then empties the old one: a packet sees one whole set.
	 */
	__u32 sources_generation;
	/*
	 * `hairpin monitor`: each monitor holds one of HP_MONITOR_SLOTS slots, with a ring buffer
	 * of its own in the monitors map. It claims a slot by a compare-and-swap of the slot's
	 * lease (CLOCK_MONOTONIC ns; a slot whose lease has passed is free) and renews it every
	 * second a few seconds ahead, so a monitor that is killed stops its reporting soon after.
	 * monitor_until_ns is the latest lease of any slot (0: nobody ever watched): with nobody
	 * watching, a translated packet pays this one load. A report that finds a slot's ring
	 * buffer full adds one to the slot's monitor_lost, which its monitor reads and zeroes.
	 * All aligned 64-bit words, changed atomically.
	 */
	__u64 monitor_until_ns;
	__u64 monitor_lease_ns[HP_MONITOR_SLOTS];
	__u64 monitor_lost[HP_MONITOR_SLOTS];
};

struct hp_forward_key {
	__u8 protocol;	/* IPPROTO_UDP or IPPROTO_TCP */
	__u8 pad;
	__be16 port;	/* the port forwarded on the router */
};

struct hp_forward {
	__be32 target_addr;
	__be16 target_port;
	__u16 pad;
	__u32 stats_index;	/* slot in the stats map, < HP_MAX_FORWARDS */
};

/* A redirected flow, as the target sees it: the key of both directions. */
struct hp_flow_key {
	__be32 client_addr;
	__be32 target_addr;
	__be16 client_port;
	__be16 target_port;
	__u8 protocol;
	__u8 pad[3];
};

struct hp_flow {
	__be32 public_addr;	/* what the client dialled: replies are sent from here */
	__be16 public_port;
	__u16 pad;
	__u32 stats_index;
	__u32 pad2;
	__u64 last_seen_ns;	/* bpf_ktime_get_coarse_ns() of a recent client packet (+- 1 s) */
};

struct hp_stats {
	__u64 to_target_packets;
	__u64 to_target_bytes;	/* IPv4 total length */
	__u64 to_client_packets;
	__u64 to_client_bytes;
};

/* A datagram in fragments, as the frames carry it (before translation). */
struct hp_frag_key {
	__be32 saddr;
	__be32 daddr;
	__be16 id;
	__u8 protocol;
	__u8 direction;		/* enum hp_direction: ingress rewrites daddr, egress saddr */
};

struct hp_frag {
	__be32 addr;		/* what its first fragment's rewritten address became */
	__u32 pad;
};

enum hp_direction {
	HP_DIR_INGRESS = 0,
	HP_DIR_EGRESS = 1,
};

/*
 * The LPM key of an AllowedSources prefix: prefixlen counts the generation's 32 bits too
 * (32 + the prefix length), so that one trie holds two generations apart.
 */
struct hp_source_key {
	__u32 prefixlen;
	__u32 generation;
	__be32 addr;
};

/* One translation, as `hairpin monitor` prints it. Addresses and ports as before the rewrite. */
struct hp_event {
	__u64 time_ns;		/* bpf_ktime_get_coarse_ns() */
	__u32 ifindex;
	__u8 direction;		/* enum hp_direction */
	__u8 protocol;		/* of the packet, or of the packet inside an ICMP error */
	__u8 kind;		/* enum hp_event_kind */
	__u8 pad;
	__be32 saddr;
	__be32 daddr;
	__be16 sport;		/* 0 for a non-first fragment */
	__be16 dport;
	__be32 new_addr;	/* the address rewritten: destination on ingress, source on egress */
	__be16 new_port;	/* and its port; 0 for a non-first fragment */
	__u16 pad2;
};

enum hp_event_kind {
	HP_EVENT_PACKET = 0,	/* a UDP or TCP packet, or a first fragment */
	HP_EVENT_FRAGMENT = 1,	/* a non-first fragment */
	HP_EVENT_ICMP = 2,	/* an ICMP error; ports are the embedded packet's */
};

/*
 * The ring buffer a monitor makes for its slot: 5461 events of burst between two reads (48
 * bytes each with the ring buffer's header). The monitors map's template for its inner maps
 * has this size too (since Linux 5.10 the kernel takes a ring buffer of any size in its place;
 * the unit test uses a small one).
 */
#define HP_MONITOR_RING_SIZE (256 * 1024)

enum hp_mode {
	HP_MODE_NONE = 0,
	HP_MODE_XDP = 1,	/* native XDP ingress, tc egress */
	HP_MODE_TC = 2,		/* tc ingress and egress */
};

/* The hooks a program can sit in. hp_device records the first three; a scan reports all. */
enum hp_hook {
	HP_HOOK_NONE = 0,
	HP_HOOK_XDP = 1,	/* native XDP, attached through netlink */
	HP_HOOK_TCX = 2,	/* a tcx link (Linux 6.6), pinned under the pin dir's links/ */
	HP_HOOK_TC = 3,		/* a cls_bpf filter on the clsact qdisc, in hairpin's slot */
	HP_HOOK_XDP_GENERIC = 4,	/* never hairpin's choice; reported when found */
};

/*
 * hairpin may have added the device's clsact qdisc: set before it adds one, so that a crash
 * right after is covered. The qdisc goes when hairpin lets go of the device, and then only if
 * no filter of anyone else is left on it.
 */
#define HP_DEVICE_CREATED_QDISC 1

/*
 * The loader's record of a Device: what `up` meant to attach there (written before it attaches,
 * so it says what should be even after a crash). A cache: what is attached is read from the
 * kernel, and the record only tells what should be there.
 */
struct hp_device {
	__u32 ifindex;
	__u32 mode;		/* enum hp_mode */
	__u32 flags;		/* HP_DEVICE_* */
	__u32 ingress_hook;	/* enum hp_hook */
	__u32 egress_hook;
	__u32 ingress_prog_id;	/* once attached; 0 before */
	__u32 egress_prog_id;
	char name[16];		/* IFNAMSIZ, when `up` attached */
};

/* tc filter slot that hairpin owns on the clsact hooks: handle and priority. */
#define HP_TC_HANDLE 0x4850	/* "HP" */
#define HP_TC_PRIORITY 0x4850

/*
 * Whose a program is, carried in its own .rodata (`up` sets it between open and load), so that
 * hairpin recognises its programs in the kernel by what they are, whatever its records say or
 * lost: the instance is its pin dir, canonical (realpath).
 */
#define HP_INSTANCE_MAGIC 0x68704944	/* "hpID" */
#define HP_INSTANCE_PIN_DIR_LEN 248

struct hp_instance {
	__u32 magic;		/* HP_INSTANCE_MAGIC; 0 in an object loaded without identity */
	__u32 version;		/* of this struct's layout: 1 */
	char pin_dir[HP_INSTANCE_PIN_DIR_LEN];	/* NUL-terminated */
};

#endif /* HAIRPIN_H */

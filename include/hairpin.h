/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF programs and the loader share: the layout of every map value and key, and the
 * limits. Fields are __u32/__be32 and friends only, laid out without implicit padding, so that
 * both compilers agree and BTF shows every byte by name.
 *
 * Maps (pinned under the pin dir, default /sys/fs/bpf/hairpin, by these file names):
 *   config    ARRAY[1] of struct hp_config, mmapable: the public addresses, the target
 *             prefilter, timeouts, admission
 *   forwards  ARRAY[HP_FORWARD_SLOTS] of struct hp_forward, mmapable, by hp_forward_index()
 *   target_ports ARRAY[HP_FORWARD_SLOTS / 64] of __u64, mmapable: bit hp_forward_index() of
 *             every target port (protocol, port) of a forward; see hp_target_port_word()
 *   flows     LRU_HASH: struct hp_flow_key -> struct hp_flow, filled on ingress
 *   stats     PERCPU_ARRAY[HP_MAX_FORWARDS] of struct hp_stats, indexed by hp_forward.stats_index
 *   devices   HASH: ifindex -> struct hp_device, the loader's record of what it attaches where
 *   frags     LRU_HASH: struct hp_frag_key -> struct hp_frag, translated first fragments
 *   sources   LPM_TRIE: struct hp_source_key -> __u32, AllowedSources by generation
 *   forward_info ARRAY[HP_MAX_FORWARDS] of struct hp_forward_info, by stats_index: how the
 *             target of a forward is reached from the clients of each Device
 *   admission LRU_HASH: client address -> struct hp_admission, new flows per client
 *   reasons   PERCPU_ARRAY[HP_REASONS] of __u64: packets not handled as usual, by reason
 *
 * Not pinned: hp_monitors, ARRAY_OF_MAPS[HP_MONITOR_SLOTS] of ring buffers of struct hp_event,
 * one per running `hairpin monitor` (see struct hp_config). A map of maps takes no BTF, and
 * every pinned map has BTF; the programs hold it, `up` passes it on to the new ones, and a
 * monitor finds it through them.
 *
 * The rules the programs follow are in doc/translation.md.
 */
#ifndef HAIRPIN_H
#define HAIRPIN_H

#include <linux/types.h>

/* Forwards in one configuration: the counters' slots. */
#define HP_MAX_FORWARDS 1024
/* The forwards array: one entry per (protocol, port), UDP's then TCP's. */
#define HP_FORWARD_SLOTS (2 * 65536)
#define HP_MAX_FLOWS 65536
#define HP_MAX_DEVICES 64
/* Records in the devices map: a replacing `up` records the new Devices before it lets go of
 * the old ones, so both sets fit at once. */
#define HP_MAX_DEVICE_RECORDS (2 * HP_MAX_DEVICES)
/* Datagrams in fragments at once; a first fragment's entry serves the rest of its datagram. */
#define HP_MAX_FRAGS 4096
/* AllowedSources prefixes, of both generations together (see hp_config.sources_generation). */
#define HP_MAX_SOURCES 1024
/* Earlier public addresses that live flows may still own (hp_config.old_public_addrs). */
#define HP_MAX_OLD_PUBLIC 4
/* Clients whose new flows are counted at once (the admission map). */
#define HP_MAX_ADMISSION 4096

enum hp_flow_state {
	HP_FLOW_NEW = 0,	/* no reply seen yet */
	HP_FLOW_REPLIED = 1,	/* a reply seen: a UDP stream, an established TCP connection */
	HP_FLOW_CLOSING = 2,	/* TCP: a FIN or RST seen either way */
};

/* hp_config.timeouts: UDP's states, then TCP's. */
#define HP_FLOW_TIMEOUTS 8
static inline __u32 hp_flow_timeout_index(__u8 protocol, __u8 state)
{
	return (protocol == 6 /* IPPROTO_TCP */ ? 4u : 0u) + (state & 3u);
}
/* `hairpin monitor`s at once, each with a ring buffer of its own (struct hp_config). */
#define HP_MONITOR_SLOTS 8

/*
 * The one value of the config map. The map is mmapable and every field is one aligned word:
 * the loader changes a field with a single atomic store through the mapping, so a packet
 * sees either the old or the new word, never a torn one (bpf_map_update_elem() copies the value
 * with memcpy() and promises no such thing). public_addr == 0 means "unknown": nothing is
 * rewritten.
 */
struct hp_config {
	__be32 public_addr;
	/*
	 * Addresses that were public before and that live flows may still own: a packet to one
	 * of them is translated only as such a flow (doc/translation.md). Unused slots are 0.
	 */
	__be32 old_public_addrs[HP_MAX_OLD_PUBLIC];
	/*
	 * 0: any source may be redirected. Otherwise only sources matching a prefix of this
	 * generation in the sources map. The loader fills the other generation completely, then
	 * switches this word, then empties the old one: a packet sees one whole set.
	 */
	__u32 sources_generation;
	/*
	 * The target prefilter: bit hp_target_bit() is set for every target address of every
	 * forward in the forwards map. Egress turns away a packet whose source's bit is clear
	 * before any hash lookup, and so does the "direct" rule on ingress.
	 */
	__u64 target_bits;
	/*
	 * The bits, as target_bits, of the addresses this host takes as its own when it reflects
	 * a flow to a target on the clients' LAN (hp_forward_info.reflect_addr): the replies of
	 * reflected flows come to them.
	 */
	__u64 reflect_bits;
	/*
	 * Ingress's first test: the bits of public_addr, of every old_public_addrs[], of
	 * target_bits and of reflect_bits. A packet to an address whose bit is clear is none of hairpin's: one load
	 * and a test for almost every packet of the LAN. Set before an address joins, cleared
	 * after one leaves.
	 */
	__u64 ingress_bits;
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
	/* How long a flow may stay idle, in jiffies, by hp_flow_timeout_index(). */
	__u32 timeouts[HP_FLOW_TIMEOUTS];
	/* How stale a flow's last_seen may get before a packet writes it, in jiffies. */
	__u32 refresh_jiffies;
	/*
	 * New flows per client: a bucket of admission_cap units, refilled by admission_rate units
	 * a jiffy; a new flow costs hz units. With rate R flows/s and burst B flows, the loader
	 * writes admission_rate = R and admission_cap = B * hz.
	 */
	__u32 admission_rate;
	__u32 admission_cap;
	/* The kernel's jiffies a second, as the loader measured it (CONFIG_HZ). */
	__u32 hz;
	/*
	 * Nonzero while `up` may have an XDP and a tc ingress program of this instance on the same
	 * device at once (a change of mode): the tc one then sees packets the XDP one already
	 * redirected, addressed to a target, and must not take them for direct ones.
	 */
	__u32 ingress_overlap;
};


/* The bit of @addr in hp_config.target_bits: its last byte, which tells a LAN's hosts apart. */
static inline __u64 hp_target_bit(__be32 addr)
{
	return 1ULL << (((const __u8 *)&addr)[3] & 63);
}

/* hp_forward.flags and hp_flow.flags */
#define HP_FORWARD_ROAMING 1	/* replies leave from the current public address (Roaming = yes) */

/*
 * One entry of the forwards array; target_addr 0: the port is not forwarded. Eight bytes, one
 * aligned word: the array is mmapable, the loader changes an entry with one atomic 64-bit
 * store and the programs read it with one load, so a packet never sees half a forward
 * (bpf_map_update_elem() on an array copies in place, without such a promise).
 */
struct hp_forward {
	__be32 target_addr;
	__be16 target_port;
	__u16 stats_index : 12;	/* slot in the stats map, < HP_MAX_FORWARDS */
	__u16 flags : 4;	/* HP_FORWARD_* */
};

/*
 * How a forward's target is reached, for clients on the Device reflect_ifindex: on the same
 * LAN as they are (the target answers them directly unless it sees this host as the client),
 * so hairpin takes the source too, reflect_addr and a port of its choosing, and sends the
 * packet straight back out of the Device. reflect_ifindex 0: no Device has the target on its
 * LAN; clients of every Device get the destination rewritten only, and this host delivers the
 * packet (a target of its own) or routes it (a target elsewhere), and sees the replies.
 */
struct hp_forward_info {
	__u32 reflect_ifindex;
	__be32 reflect_addr;
};

/* The forwards array's index of (protocol, port): UDP ports first, then TCP's. */
static inline __u32 hp_forward_index(__u8 protocol, __u16 port_host_order)
{
	return (protocol == 6 /* IPPROTO_TCP */ ? 65536u : 0u) + port_host_order;
}

/*
 * The target_ports map: a bitmap of (protocol, port) laid out as the forwards array, 64 to a
 * word. A target's packet from a port that is no forward's target port (the gateway's own DNS
 * server's reply, say) is turned away on egress before any hash lookup.
 */
#define HP_TARGET_PORT_WORDS (HP_FORWARD_SLOTS / 64)
static inline __u32 hp_target_port_word(__u8 protocol, __u16 port_host_order)
{
	return hp_forward_index(protocol, port_host_order) / 64;
}

static inline __u64 hp_target_port_bit(__u16 port_host_order)
{
	return 1ULL << (port_host_order % 64);
}

/* A redirected flow, as the target sees it: the key of both directions. */
struct hp_flow_key {
	__be32 client_addr;
	__be32 target_addr;
	__be16 client_port;
	__be16 target_port;
	__u8 protocol;
	__u8 kind;		/* enum hp_flow_kind */
	__u8 pad[2];
};

/*
 * A flow's entries. Every flow has its target's view: the key is the packet as the target
 * receives it, reversed for its replies. A reflected flow (hp_forward_info) also has the
 * client's view, keyed by what the client sends, because the target sees this host, not the
 * client: its nat_addr and nat_port say which address and port of this host stand in for the
 * client, and the target's view's say which client they stand for.
 */
enum hp_flow_kind {
	HP_FLOW_KEY_TARGET = 0,
	HP_FLOW_KEY_CLIENT = 1,
};

/* hp_flow.flags, besides HP_FORWARD_ROAMING as its forward had it */
#define HP_FLOW_REFLECTED 0x80	/* the target sees this host as the client (nat_addr) */

struct hp_flow {
	__be32 public_addr;	/* the address the client dialled, which the flow owns */
	__be16 public_port;
	__u8 state;		/* enum hp_flow_state */
	__u8 flags;		/* HP_FORWARD_ROAMING, HP_FLOW_REFLECTED */
	__u16 stats_index;
	__be16 nat_port;	/* a reflected flow's: see enum hp_flow_kind; else 0 */
	__be32 nat_addr;
	__u64 last_seen;	/* bpf_jiffies64() of a recent packet of the flow, either way */
};

/* A client's bucket of new flows (see hp_config.admission_*). */
struct hp_admission {
	__u64 updated;		/* jiffies when tokens was last refilled */
	__u64 tokens;
};

/*
 * Packets hairpin did not handle the usual way, counted per CPU in the reasons map
 * (doc/translation.md, "Counted").
 */
enum hp_reason {
	HP_REASON_FLOW_REFUSED = 0,	/* a new flow without a token: dropped */
	HP_REASON_FLOWS_FULL,		/* a flow could not be recorded: left unchanged */
	HP_REASON_FRAGS_FULL,		/* a first fragment could not be recorded: unchanged */
	HP_REASON_ORPHAN_FRAGMENT,	/* a non-first fragment whose first was not seen */
	HP_REASON_REWRITE_FAILED,	/* a write to the packet failed: dropped */
	HP_REASON_OLD_ADDRESS,		/* to an old public address, no live flow: unchanged */
	HP_REASON_DIRECT_CLASH,		/* a direct packet ended a flow that held its ports */
	HP_REASON_NOT_ALLOWED,		/* AllowedSources turned the client away */
	HP_REASON_REFLECT_PORTS_FULL,	/* no port of this host free to reflect a flow: dropped */
	HP_REASON_NO_NEIGHBOUR,		/* a reflected packet's next hop unknown: to the stack */
	HP_REASONS,
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
	/*
	 * enum hp_direction: a client's datagram (ingress, daddr rewritten), or a target's reply
	 * (egress, saddr rewritten; a reflected flow's replies too, which ingress sees, with
	 * both rewritten)
	 */
	__u8 direction;
};

/* What its first fragment's addresses became: 0 for one left as it was. Both: reflected. */
struct hp_frag {
	__be32 saddr;
	__be32 daddr;
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

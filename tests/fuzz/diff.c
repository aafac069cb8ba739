// SPDX-License-Identifier: GPL-2.0
/*
 * Differential fuzzing of the datapath against the reference model (model.c), which follows
 * doc/translation.md. Each scenario takes a random configuration and runs a sequence of
 * steps (gen.c): frames, changes of the configuration, and time passing. Frames go through:
 *
 *   xdp      hp_ingress_xdp, and hp_egress_tc for egress (XDP mode)
 *   tc       hp_ingress_tc / hp_egress_tc
 *   tc_csum  the same, with BPF_F_TEST_SKB_CHECKSUM_COMPLETE: the kernel seeds skb->csum from
 *            the frame and fails the run with EBADMSG if the program leaves it out of step
 *
 * each datapath variant in its own skeleton instance with its own maps, and each beside a
 * model of its own (XDP and tc ingress differ in the "direct" rule while ingress_overlap is
 * set). Every frame must come out of a variant with its model's verdict and bytes, and every
 * checksum that was valid in the input (csum.c, from scratch) must be valid in every output.
 * At the end of a scenario the maps must hold the model's flows (state and last-seen time
 * too), frags, admission buckets, counters and reasons. A scenario ends at its first
 * mismatch, so that one fault is not counted again for every frame after it; the next one
 * starts from empty maps.
 *
 * Reflection. Ingress frames come in on one of two Devices (gen_devices): veths the fuzzer
 * makes in a network namespace of its own (make_lan()), with this host's addresses and
 * permanent neighbour entries, so that XDP's route and neighbour lookups (bpf_fib_lookup())
 * find what the model's table of them says; tc's bpf_redirect_neigh() only records where the
 * packet would go. A reflected packet's verdict is XDP_TX or TC_ACT_REDIRECT, and on XDP its
 * link-layer addresses are compared too.
 *
 * Time. The programs stamp flows and buckets with bpf_jiffies64(), which BPF_PROG_TEST_RUN
 * cannot set, and the machine is shared: a jiffy may pass between any two steps. So time is
 * made explicit instead. The model counts ticks, and a tick is TICK_JIFFIES jiffies of the
 * kernel's clock, laid out from `base` (the kernel's jiffies when the scenario, or its last
 * time step, began): tick t is jiffy base + (t - base_tick) * TICK_JIFFIES. Between two time
 * steps the kernel's clock drifts a little past base (by less than DRIFT_MAX, checked), and
 * the configuration absorbs that drift: a timeout of T ticks is written as T ticks and half
 * a tick, a refresh time of R ticks as R ticks less half a tick, so that "idle for T ticks"
 * is decided the same way whatever the drift. When time passes, the driver does not wait: it
 * moves every stamp in the maps back by the ticks that passed (and forward by the drift, as
 * base moves to now), so that "idle for T" is set up exactly, in microseconds.
 * The admission bucket counts in units of TICK_JIFFIES a flow (hp_config.hz), refilled by
 * `rate` units a jiffy (rate flows a tick) and holding burst flows and half a flow: the half
 * absorbs the drift's share of the refill, less than half a flow while rate * DRIFT_MAX is
 * less than half a tick's units. A bucket that is never refilled has no drift and no half.
 *
 * What this costs: the programs' comparisons are tested at the boundaries in ticks (idle for
 * exactly the timeout, the last token), not at the jiffy: a `<` for a `<=` in a timeout or
 * refresh test would go unseen here (a bucket without refill does test its own).
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hairpin.h"
#include "hairpin.skel.h"
#include "clock.h"
#include "csum.h"
#include "diff.h"
#include "gen.h"

/* Newer than some uapi headers; the value is ABI (Linux 6.11). */
#ifndef BPF_F_TEST_SKB_CHECKSUM_COMPLETE
#define BPF_F_TEST_SKB_CHECKSUM_COMPLETE (1U << 2)
#endif

#define MIN_STEPS 20
#define MAX_STEPS 300	/* far below HP_MAX_FLOWS and HP_MAX_FRAGS: nothing is evicted */
#define MAX_CLASSES 512
#define CLASS_KEY_LEN 400
#define CSUM_KINDS 5

/* The time scale (see the top of this file). */
#define TICK_JIFFIES 65536u
#define DRIFT_MAX (TICK_JIFFIES / 16)
#define START_TICK 1000
/* A scenario's writes to the forwards array and stats slots, undone by the next one. */
#define MAX_WRITTEN 256

_Static_assert(DRIFT_MAX < TICK_JIFFIES / 2, "a timeout's half tick absorbs the drift");
_Static_assert(GEN_MAX_RATE * DRIFT_MAX < TICK_JIFFIES / 2,
	       "a bucket's half flow absorbs the drift's share of a refill");

enum variant { XDP, TC, TC_CSUM, N_VARIANTS };

static const char *const variant_names[N_VARIANTS] = { "xdp", "tc", "tc_csum" };

struct instance {
	struct hairpin *skel;
	bool enabled;
	int config_fd, forwards_fd, flows_fd, frags_fd, sources_fd, stats_fd;
	int admission_fd, reasons_fd, target_ports_fd, forward_info_fd;
	struct model model;
};

struct run {
	int err;		/* of bpf_prog_test_run_opts(): 0 or -errno */
	bool refused;		/* a test run's refusal of a short frame: not comparable */
	__u32 retval;
	__u32 size;
	__u8 out[PKT_MAX + 256];
};

struct mismatch_class {
	char key[CLASS_KEY_LEN];
	__u64 count;
	__u64 seed;
	long scenario;
	int step;
};

/* Keys of an array a scenario wrote: forwards indices, target_ports words, stats slots. */
struct written {
	__u32 keys[MAX_WRITTEN];
	int n;
};

struct fuzzer {
	const struct diff_options *opts;
	struct diff_totals *totals;
	struct instance inst[N_VARIANTS];
	struct model_config config;	/* the running configuration */
	struct gen gen;
	int ncpus;
	struct mismatch_class classes[MAX_CLASSES];
	int n_classes;
	long scenario;
	int step;
	/* The clock: tick base_tick began at the kernel's jiffy base (low 32 bits). */
	int clock_fd;
	__u32 base;
	__u64 base_tick;
	__u32 generation;	/* of AllowedSources in the sources map, 1 or 2 */
	/* What this scenario wrote (the next one undoes it), and what the one before wrote. */
	struct written forwards, port_words, slots;
	struct written old_forwards, old_port_words, old_slots;
	/* The Devices of gen_devices in the fuzzer's network namespace. */
	int ifindex[MODEL_MAX_DEVICES];
};

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* A verifier log is what explains a program that does not load. */
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *addr_str(__be32 addr)
{
	static char bufs[8][INET_ADDRSTRLEN];
	static int next;
	char *buf = bufs[next++ % 8];

	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

/* ---- Time ------------------------------------------------------------------------------ */

/* The kernel's jiffy (low 32 bits) where tick @tick begins. */
static __u32 tick_jiffy(const struct fuzzer *f, __u64 tick)
{
	return f->base + (__u32)((tick - f->base_tick) * TICK_JIFFIES);
}

/* How far the kernel's clock is past base; -errno if it cannot be read. */
static long long drift(const struct fuzzer *f)
{
	__u32 now;
	int err = clock_read(f->clock_fd, &now);

	return err ? err : (long long)(__u32)(now - f->base);
}

/* ---- The maps ------------------------------------------------------------------------ */

static int open_instance(struct instance *in)
{
	in->skel = hairpin__open_and_load();
	if (!in->skel)
		return -errno;
	in->config_fd = bpf_map__fd(in->skel->maps.hp_config);
	in->forwards_fd = bpf_map__fd(in->skel->maps.hp_forwards);
	in->flows_fd = bpf_map__fd(in->skel->maps.hp_flows);
	in->frags_fd = bpf_map__fd(in->skel->maps.hp_frags);
	in->sources_fd = bpf_map__fd(in->skel->maps.hp_sources);
	in->stats_fd = bpf_map__fd(in->skel->maps.hp_stats);
	in->admission_fd = bpf_map__fd(in->skel->maps.hp_admission);
	in->reasons_fd = bpf_map__fd(in->skel->maps.hp_reasons);
	in->target_ports_fd = bpf_map__fd(in->skel->maps.hp_target_ports);
	in->forward_info_fd = bpf_map__fd(in->skel->maps.hp_forward_info);
	in->enabled = true;
	return 0;
}

/* Every key of a hash map or an LPM trie, into @keys (@key_size each, at most @max). */
static int map_keys(int fd, __u32 key_size, void *keys, int max)
{
	__u8 *k = keys;
	int n = 0;

	while (n < max && !bpf_map_get_next_key(fd, n ? k + (n - 1) * key_size : NULL,
					       k + n * key_size))
		n++;
	return n;
}

/* Delete every key of a hash map or an LPM trie. */
static void empty_map(int fd, __u32 key_size)
{
	__u8 key[64];

	while (key_size <= sizeof(key) && !bpf_map_get_next_key(fd, NULL, key)) {
		if (bpf_map_delete_elem(fd, key))
			break;
	}
}

/* Zero a per-CPU array's entry @key of @value_size bytes a CPU. */
static int zero_percpu(struct fuzzer *f, int fd, __u32 key, size_t value_size)
{
	void *zeros = calloc(f->ncpus, value_size);
	int err;

	if (!zeros)
		return -ENOMEM;
	err = bpf_map_update_elem(fd, &key, zeros, BPF_ANY) ? -errno : 0;
	free(zeros);
	return err;
}

static void remember(struct written *w, __u32 key)
{
	for (int i = 0; i < w->n; i++) {
		if (w->keys[i] == key)
			return;
	}
	if (w->n == MAX_WRITTEN)
		abort();	/* far more than a scenario's changes make */
	w->keys[w->n++] = key;
}

/*
 * The half flow a bucket holds beyond its burst, which absorbs the drift's share of a refill.
 * Without a refill there is no drift: the bucket is exact, and a comparison of its tokens
 * with the cost of a flow is tested at its boundary.
 */
static __u32 bucket_slack(const struct model_config *c)
{
	return c->rate ? TICK_JIFFIES / 2 : 0;
}

/* The config map's value for the running configuration, on the time scale above. */
static struct hp_config kernel_config(const struct fuzzer *f)
{
	const struct model_config *c = &f->config;
	struct hp_config value = {
		.public_addr = c->public_addr,
		.sources_generation = c->any_source ? 0 : f->generation,
		.refresh_jiffies = c->refresh ? c->refresh * TICK_JIFFIES - TICK_JIFFIES / 2 : 0,
		.admission_rate = c->admission ? c->rate : 0,
		.admission_cap = c->admission ? c->burst * TICK_JIFFIES + bucket_slack(c) : 0,
		.hz = TICK_JIFFIES,
		.ingress_overlap = c->ingress_overlap,
	};

	memcpy(value.old_public_addrs, c->old_addrs, sizeof(value.old_public_addrs));
	for (int i = 0; i < c->n_targets; i++)
		value.target_bits |= hp_target_bit(c->targets[i]);
	for (int i = 0; i < c->n_reflect_addrs; i++)
		value.reflect_bits |= hp_target_bit(c->reflect_addrs[i]);
	/* As the loader keeps it: the bits of every address ingress considers. */
	value.ingress_bits = value.target_bits | value.reflect_bits;
	if (c->public_addr)
		value.ingress_bits |= hp_target_bit(c->public_addr);
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++) {
		if (c->old_addrs[i])
			value.ingress_bits |= hp_target_bit(c->old_addrs[i]);
	}
	for (int proto = 0; proto < MODEL_PROTOS; proto++) {
		for (__u8 state = HP_FLOW_NEW; state <= HP_FLOW_CLOSING; state++)
			value.timeouts[hp_flow_timeout_index(proto == MODEL_TCP ? IPPROTO_TCP
										: IPPROTO_UDP,
							     state)] =
				c->timeouts[proto][state] * TICK_JIFFIES + TICK_JIFFIES / 2;
	}
	return value;
}

static int write_config(struct fuzzer *f, struct instance *in)
{
	struct hp_config value = kernel_config(f);
	__u32 zero = 0;

	return bpf_map_update_elem(in->config_fd, &zero, &value, BPF_ANY) ? -errno : 0;
}

/*
 * One entry of the forwards array: @fw, or nothing at its index when @remove. Its
 * forward_info first, as the loader writes it: a forward never points at another's.
 */
static int write_forward(struct fuzzer *f, struct instance *in, const struct model_forward *fw,
			 bool remove)
{
	__u32 index = hp_forward_index(fw->protocol, ntohs(fw->port)), slot = fw->stats_index;
	struct hp_forward value = { 0 };

	if (!remove) {
		struct hp_forward_info info = { 0 };

		if (fw->reflect_dev != MODEL_NOT_REFLECTED) {
			info.reflect_ifindex = f->ifindex[fw->reflect_dev];
			info.reflect_addr = fw->reflect_addr;
		}
		if (bpf_map_update_elem(in->forward_info_fd, &slot, &info, BPF_ANY))
			return -errno;
		value.target_addr = fw->target_addr;
		value.target_port = fw->target_port;
		value.stats_index = fw->stats_index;
		value.flags = fw->roaming ? HP_FORWARD_ROAMING : 0;
		remember(&f->slots, fw->stats_index);
	}
	remember(&f->forwards, index);
	return bpf_map_update_elem(in->forwards_fd, &index, &value, BPF_ANY) ? -errno : 0;
}

/*
 * The target_ports bitmap of the running configuration: every word it sets, and every word
 * that an earlier configuration of the scenario set, rewritten whole.
 */
static int write_target_ports(struct fuzzer *f, struct instance *in)
{
	const struct model_config *c = &f->config;

	for (int i = 0; i < c->n_target_ports; i++)
		remember(&f->port_words, hp_target_port_word(c->target_ports[i].protocol,
							     ntohs(c->target_ports[i].port)));
	for (int w = 0; w < f->port_words.n; w++) {
		__u32 word = f->port_words.keys[w];
		__u64 bits = 0;

		for (int i = 0; i < c->n_target_ports; i++) {
			__u16 port = ntohs(c->target_ports[i].port);

			if (hp_target_port_word(c->target_ports[i].protocol, port) == word)
				bits |= hp_target_port_bit(port);
		}
		if (bpf_map_update_elem(in->target_ports_fd, &word, &bits, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* AllowedSources of the running configuration into generation @generation. */
static int write_sources(struct fuzzer *f, struct instance *in, __u32 generation)
{
	for (int i = 0; i < f->config.n_prefixes; i++) {
		struct hp_source_key key = {
			.prefixlen = 32 + f->config.prefixes[i].len,
			.generation = generation,
			.addr = f->config.prefixes[i].addr,
		};
		__u32 value = 1;

		if (bpf_map_update_elem(in->sources_fd, &key, &value, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* Delete generation @generation's prefixes. */
static void delete_sources(struct instance *in, __u32 generation)
{
	struct hp_source_key keys[2 * MODEL_MAX_PREFIXES];
	int n = map_keys(in->sources_fd, sizeof(keys[0]), keys, 2 * MODEL_MAX_PREFIXES);

	for (int i = 0; i < n; i++) {
		if (keys[i].generation == generation)
			bpf_map_delete_elem(in->sources_fd, &keys[i]);
	}
}

/*
 * Empty the maps of the previous scenario and write this one's configuration, as the loader
 * would: forwards, AllowedSources as generation 1 of the sources map, the config.
 */
static int reload_config(struct fuzzer *f, struct instance *in)
{
	struct hp_forward none = { 0 };
	__u64 no_ports = 0;
	int err = 0;

	empty_map(in->flows_fd, sizeof(struct hp_flow_key));
	empty_map(in->frags_fd, sizeof(struct hp_frag_key));
	empty_map(in->sources_fd, sizeof(struct hp_source_key));
	empty_map(in->admission_fd, sizeof(__be32));
	for (int i = 0; i < f->old_forwards.n && !err; i++) {
		if (bpf_map_update_elem(in->forwards_fd, &f->old_forwards.keys[i], &none, BPF_ANY))
			err = -errno;
	}
	for (int i = 0; i < f->old_port_words.n && !err; i++) {
		if (bpf_map_update_elem(in->target_ports_fd, &f->old_port_words.keys[i], &no_ports,
					BPF_ANY))
			err = -errno;
	}
	for (int i = 0; i < f->old_slots.n && !err; i++) {
		struct hp_forward_info no_info = { 0 };

		err = zero_percpu(f, in->stats_fd, f->old_slots.keys[i], sizeof(struct hp_stats));
		if (!err && bpf_map_update_elem(in->forward_info_fd, &f->old_slots.keys[i],
						&no_info, BPF_ANY))
			err = -errno;
	}
	for (__u32 r = 0; r < HP_REASONS && !err; r++)
		err = zero_percpu(f, in->reasons_fd, r, sizeof(__u64));
	for (int i = 0; i < f->config.n_forwards && !err; i++)
		err = write_forward(f, in, &f->config.forwards[i], false);
	if (!err)
		err = write_target_ports(f, in);
	if (!err)
		err = write_sources(f, in, f->generation);
	if (!err)
		err = write_config(f, in);
	return err;
}

static bool same_forward_port(const struct model_forward *a, const struct model_forward *b)
{
	return a->protocol == b->protocol && a->port == b->port;
}

static bool same_sources(const struct model_config *a, const struct model_config *b)
{
	if (a->any_source != b->any_source || a->n_prefixes != b->n_prefixes)
		return false;
	return !memcmp(a->prefixes, b->prefixes, a->n_prefixes * sizeof(a->prefixes[0]));
}

/*
 * The configuration changed from @old to f->config: forwards that went are cleared, the
 * others written; a new AllowedSources set goes into the other generation, which the config
 * then switches to, and the old generation is emptied (as the loader does).
 */
static int apply_config(struct fuzzer *f, struct instance *in, const struct model_config *old,
			bool new_generation)
{
	const struct model_config *c = &f->config;
	int err = 0;

	for (int i = 0; i < old->n_forwards && !err; i++) {
		bool kept = false;

		for (int j = 0; j < c->n_forwards; j++)
			kept |= same_forward_port(&old->forwards[i], &c->forwards[j]);
		if (!kept)
			err = write_forward(f, in, &old->forwards[i], true);
	}
	for (int i = 0; i < c->n_forwards && !err; i++)
		err = write_forward(f, in, &c->forwards[i], false);
	if (!err)
		err = write_target_ports(f, in);
	if (!err && new_generation)
		err = write_sources(f, in, f->generation);
	if (!err)
		err = write_config(f, in);
	if (!err && new_generation)
		delete_sources(in, 3 - f->generation);
	return err;
}

/*
 * The flows to a target that `up` took away end, as `hairpin end-flows` ends them, and so do
 * the datagrams in fragments that it was sending: its packets are no longer considered, and
 * the flows of a target no forward leads to any more are never found by ingress again. (The
 * loader does not do this today: see the fuzzer's report. Without it, whether such a flow's
 * replies, or the rest of such a datagram, are rewritten depends on whether another target
 * shares its bit in hp_config.target_bits.)
 */
static int end_flows_to(struct instance *in, __be32 target_addr)
{
	static struct hp_flow_key keys[HP_MAX_FLOWS];
	static struct hp_frag_key frag_keys[HP_MAX_FRAGS];
	int n = map_keys(in->flows_fd, sizeof(keys[0]), keys, HP_MAX_FLOWS);

	for (int i = 0; i < n; i++) {
		if (keys[i].target_addr == target_addr && bpf_map_delete_elem(in->flows_fd, &keys[i]))
			return -errno;
	}
	n = map_keys(in->frags_fd, sizeof(frag_keys[0]), frag_keys, HP_MAX_FRAGS);
	for (int i = 0; i < n; i++) {
		if (frag_keys[i].direction == HP_DIR_EGRESS && frag_keys[i].saddr == target_addr &&
		    bpf_map_delete_elem(in->frags_fd, &frag_keys[i]))
			return -errno;
	}
	model_end_flows(&in->model, target_addr);
	return 0;
}

/*
 * @ticks pass: every stamp in the maps moves back by that many ticks, and forward by the
 * drift since base, which becomes the kernel's now (see the top of this file). The keys are
 * read first: an update may move an entry within its bucket, under a walk.
 */
static int shift_stamps(struct instance *in, long long shift)
{
	static struct hp_flow_key flow_keys[HP_MAX_FLOWS];
	static __be32 clients[HP_MAX_ADMISSION];
	int n;

	n = map_keys(in->flows_fd, sizeof(flow_keys[0]), flow_keys, HP_MAX_FLOWS);
	for (int i = 0; i < n; i++) {
		struct hp_flow flow;

		if (bpf_map_lookup_elem(in->flows_fd, &flow_keys[i], &flow))
			return -errno;
		flow.last_seen += shift;
		if (bpf_map_update_elem(in->flows_fd, &flow_keys[i], &flow, BPF_EXIST))
			return -errno;
	}
	n = map_keys(in->admission_fd, sizeof(clients[0]), clients, HP_MAX_ADMISSION);
	for (int i = 0; i < n; i++) {
		struct hp_admission bucket;

		if (bpf_map_lookup_elem(in->admission_fd, &clients[i], &bucket))
			return -errno;
		bucket.updated += shift;
		if (bpf_map_update_elem(in->admission_fd, &clients[i], &bucket, BPF_EXIST))
			return -errno;
	}
	return 0;
}

/* ---- Running a frame ----------------------------------------------------------------- */

static void run_variant(struct fuzzer *f, enum variant v, const struct pkt *p, struct run *r)
{
	struct hairpin *skel = f->inst[v].skel;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = p->data,
		.data_size_in = p->len,
		.data_out = r->out,
		.data_size_out = sizeof(r->out),
		.repeat = 1,
	);
	struct bpf_program *prog;
	__u16 ethertype = p->len >= 14 ? p->data[12] << 8 | p->data[13] : 0;
	/* The Device it comes in on, which reflection asks (and XDP's route lookups). */
	struct xdp_md xdp_ctx = { .data_end = p->len, .ingress_ifindex = f->ifindex[p->dev] };
	struct __sk_buff skb_ctx = { .ifindex = f->ifindex[p->dev] };

	if (v == XDP && p->dir == PKT_INGRESS) {
		opts.ctx_in = &xdp_ctx;
		opts.ctx_size_in = sizeof(xdp_ctx);
	} else {
		opts.ctx_in = &skb_ctx;
		opts.ctx_size_in = sizeof(skb_ctx);
	}
	if (p->dir == PKT_EGRESS)
		prog = skel->progs.hp_egress_tc;
	else
		prog = v == XDP ? skel->progs.hp_ingress_xdp : skel->progs.hp_ingress_tc;
	if (v == TC_CSUM)
		opts.flags = BPF_F_TEST_SKB_CHECKSUM_COMPLETE;
	r->err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	r->retval = opts.retval;
	r->size = opts.data_size_out;
	/*
	 * What BPF_PROG_TEST_RUN refuses before any program runs: a frame shorter than the
	 * Ethernet header, and for an skb an IPv4 or IPv6 frame without a whole fixed header.
	 */
	r->refused = r->err == -EINVAL &&
		     (p->len < 14 ||
		      (prog != skel->progs.hp_ingress_xdp &&
		       ((ethertype == 0x0800 && p->len < 14 + 20) ||
			(ethertype == 0x86dd && p->len < 14 + 40))));
}

/* The return value that means @verdict: XDP's for XDP ingress, else tc's. */
static __u32 expected_retval(enum variant v, const struct pkt *p, enum model_verdict verdict)
{
	if (v == XDP && p->dir == PKT_INGRESS)
		return verdict == MODEL_PASS ? XDP_PASS : verdict == MODEL_TX ? XDP_TX : XDP_DROP;
	/* "On tc, PASS is TC_ACT_UNSPEC": the filters after hairpin's still run. */
	return verdict == MODEL_PASS ? (__u32)TC_ACT_UNSPEC :
	       verdict == MODEL_TX ? (__u32)TC_ACT_REDIRECT : (__u32)TC_ACT_SHOT;
}

static void hex_line(FILE *out, const char *label, const __u8 *p, __u32 len)
{
	fprintf(out, "  %-8s", label);
	for (__u32 i = 0; i < len; i++)
		fprintf(out, "%02x", p[i]);
	fprintf(out, "\n");
}

/* The name of the input's field that holds byte @off, for class keys and messages. */
static const char *field_name(const struct pkt *p, __u32 off)
{
	for (int i = 0; i < p->n_fields; i++) {
		if (off >= p->fields[i].off && off < (__u32)p->fields[i].off + p->fields[i].len)
			return p->fields[i].name;
	}
	return "payload";
}

/* The fields where @got differs from @want, as "a,b", at most a few. */
static void diff_fields(char *buf, size_t size, const struct pkt *p, const __u8 *got,
			const __u8 *want, __u32 len)
{
	const char *names[4];
	int n = 0;
	size_t used = 0;

	buf[0] = 0;
	for (__u32 i = 0; i < len && n < 4; i++) {
		const char *name;
		bool seen = false;

		if (got[i] == want[i])
			continue;
		name = field_name(p, i);
		for (int k = 0; k < n; k++)
			seen |= names[k] == name;
		if (!seen)
			names[n++] = name;
	}
	for (int k = 0; k < n; k++) {
		const char *name = names[k];
		const char *l4 = strstr(name, "udp.") ? strstr(name, "udp.") : strstr(name, "tcp.");

		/* One class for UDP and TCP: "l4.check" for both. */
		if (l4)
			used += snprintf(buf + used, size - used, "%s%.*sl4.%s", k ? "," : "",
					 (int)(l4 - name), name, l4 + 4);
		else
			used += snprintf(buf + used, size - used, "%s%s", k ? "," : "", name);
	}
}

static struct mismatch_class *classify(struct fuzzer *f, const char *key)
{
	struct mismatch_class *c;

	for (int i = 0; i < f->n_classes; i++) {
		if (!strcmp(f->classes[i].key, key))
			return &f->classes[i];
	}
	if (f->n_classes == MAX_CLASSES)
		return NULL;
	c = &f->classes[f->n_classes++];
	snprintf(c->key, sizeof(c->key), "%s", key);
	c->seed = f->opts->seed;
	c->scenario = f->scenario;
	c->step = f->step;
	return c;
}

static void print_config(struct fuzzer *f, FILE *out)
{
	const struct model_config *c = &f->config;
	static const char *const protos[MODEL_PROTOS] = { "udp", "tcp" };

	fprintf(out, "  config: public %s, old", addr_str(c->public_addr));
	for (int i = 0; i < HP_MAX_OLD_PUBLIC; i++)
		fprintf(out, " %s", addr_str(c->old_addrs[i]));
	fprintf(out, ", targets");
	for (int i = 0; i < c->n_targets; i++)
		fprintf(out, " %s", addr_str(c->targets[i]));
	fprintf(out, ", sources ");
	if (c->any_source)
		fprintf(out, "any");
	for (int i = 0; i < c->n_prefixes; i++)
		fprintf(out, "%s%s/%u", i ? "," : "", addr_str(c->prefixes[i].addr),
			c->prefixes[i].len);
	fprintf(out, "\n  timeouts (ticks)");
	for (int p = 0; p < MODEL_PROTOS; p++)
		fprintf(out, " %s %u/%u/%u", protos[p], c->timeouts[p][0], c->timeouts[p][1],
			c->timeouts[p][2]);
	fprintf(out, ", refresh %u", c->refresh);
	if (c->admission)
		fprintf(out, ", admission burst %u rate %u", c->burst, c->rate);
	fprintf(out, "%s; now tick %llu\n", c->ingress_overlap ? ", ingress_overlap" : "",
		(unsigned long long)f->inst[XDP].model.now);
	for (int i = 0; i < c->n_forwards; i++) {
		const struct model_forward *fw = &c->forwards[i];

		fprintf(out, "  forward %s/%u -> %s:%u slot %u%s",
			fw->protocol == 17 ? "udp" : "tcp", ntohs(fw->port),
			addr_str(fw->target_addr), ntohs(fw->target_port), fw->stats_index,
			fw->roaming ? " roaming" : "");
		if (fw->reflect_dev != MODEL_NOT_REFLECTED)
			fprintf(out, " reflected on %s as %s", c->devices[fw->reflect_dev].name,
				addr_str(fw->reflect_addr));
		fprintf(out, "\n");
	}
}

/* Count a mismatch in its class; report it in full if the class has few so far. */
static void report(struct fuzzer *f, const char *key, const struct pkt *in,
		   const struct pkt *model_out, const enum model_action *actions,
		   const struct run *runs, const char *detail)
{
	struct mismatch_class *c = classify(f, key);
	FILE *out = f->opts->out;

	if (c && c->count++ >= (__u64)f->opts->max_reports)
		return;
	fprintf(out, "MISMATCH %s\n", key);
	fprintf(out, "  seed %llu scenario %ld step %d (reproduce: fuzz-diff --seed %llu "
		"--scenario %ld -v)\n", (unsigned long long)f->opts->seed, f->scenario, f->step,
		(unsigned long long)f->opts->seed, f->scenario);
	if (detail && *detail)
		fprintf(out, "  %s\n", detail);
	print_config(f, out);
	if (in) {
		fprintf(out, "  frame: %s, %u bytes; model: %s\n", in->what, in->len,
			model_action_name(actions[XDP]));
		hex_line(out, "input", in->data, in->len);
		for (int v = 0; v < N_VARIANTS; v++) {
			const struct run *r = &runs[v];
			const struct pkt *want = &model_out[v];
			char label[32];

			if (!f->inst[v].enabled)
				continue;
			snprintf(label, sizeof(label), "model:%s", variant_names[v]);
			if (v == XDP || want->len != model_out[XDP].len ||
			    memcmp(want->data, model_out[XDP].data, want->len))
				hex_line(out, v == XDP ? "model" : label, want->data, want->len);
			if (r->err) {
				fprintf(out, "  %-8s error %d (%s)%s\n", variant_names[v], r->err,
					strerror(-r->err), r->refused ? ", refused" : "");
				continue;
			}
			if (r->size == want->len && !memcmp(r->out, want->data, r->size))
				fprintf(out, "  %-8s= model, verdict %d\n", variant_names[v],
					(int)r->retval);
			else {
				hex_line(out, variant_names[v], r->out, r->size);
				fprintf(out, "  %-8s verdict %d, %u bytes\n", "", (int)r->retval,
					r->size);
			}
		}
	}
	fflush(out);
}

/* What went wrong in one output, or "" when it agrees with the model. */
static void judge(const struct pkt *in, const struct pkt *model_out, enum model_verdict verdict,
		  unsigned int valid_in, enum variant v, const struct run *r, char *issue,
		  size_t size)
{
	char fields[96];
	unsigned int lost;
	size_t used = 0;

	issue[0] = 0;
	if (r->err) {
		snprintf(issue, size, "error %d", r->err);
		return;
	}
	if (r->retval != expected_retval(v, in, verdict))
		used += snprintf(issue + used, size - used, "verdict %d ", (int)r->retval);
	if (r->size != model_out->len) {
		used += snprintf(issue + used, size - used, "size %u ", r->size);
	} else if (memcmp(r->out, model_out->data, r->size)) {
		diff_fields(fields, sizeof(fields), in, r->out, model_out->data, r->size);
		used += snprintf(issue + used, size - used, "bytes(%s) ", fields);
	}
	lost = valid_in & ~csum_valid(r->out, r->size);
	if (lost)
		used += snprintf(issue + used, size - used, "lost-%s ", csum_names(lost));
	if (used)
		issue[used - 1] = 0;
}

/*
 * A mismatch is only trusted while the kernel's clock is within DRIFT_MAX of base; past it,
 * the scenario is abandoned, uncounted (it takes a machine stalled for seconds).
 */
static bool clock_drifted(struct fuzzer *f)
{
	long long d = drift(f);

	if (d >= 0 && d < DRIFT_MAX)
		return false;
	f->totals->abandoned++;
	fprintf(f->opts->out, "fuzz-diff: scenario %ld abandoned at step %d: the kernel's clock "
		"drifted %lld jiffies from the scenario's (at most %u)\n", f->scenario, f->step,
		d, DRIFT_MAX);
	return true;
}

/* One frame through everything; false on a mismatch (or an abandoned scenario). */
static bool run_frame(struct fuzzer *f, const struct pkt *in)
{
	static struct pkt model_out[N_VARIANTS];
	static struct run runs[N_VARIANTS];
	unsigned int valid_in = csum_valid(in->data, in->len), lost = 0;
	char issues[N_VARIANTS][160], key[CLASS_KEY_LEN], detail[128];
	enum model_action actions[N_VARIANTS] = { MODEL_NOT_OURS };
	enum model_verdict verdicts[N_VARIANTS] = { MODEL_PASS };
	bool refused = false, bad = false, model_drop = false, done[N_VARIANTS] = { false };
	size_t used;

	for (int v = 0; v < N_VARIANTS; v++) {
		struct model *m = &f->inst[v].model;

		if (!f->inst[v].enabled)
			continue;
		model_out[v] = *in;
		if (in->dir == PKT_INGRESS)
			verdicts[v] = model_ingress(m, in->dev, model_out[v].data,
						    model_out[v].len, &actions[v]);
		else
			verdicts[v] = model_egress(m, model_out[v].data, model_out[v].len,
						   &actions[v]);
		if (verdicts[v] != MODEL_DROP)
			lost |= valid_in & ~csum_valid(model_out[v].data, model_out[v].len);
		model_drop |= verdicts[v] == MODEL_DROP;
	}
	f->totals->actions[actions[XDP]]++;
	f->totals->packets++;
	if (actions[XDP] == MODEL_NAT_L4 || actions[XDP] == MODEL_NAT_FRAG ||
	    actions[XDP] == MODEL_NAT_ICMP) {
		for (int k = 0; k < CSUM_KINDS; k++)
			f->totals->valid_through[k] += !!(valid_in & (1U << k));
	}

	used = snprintf(key, sizeof(key), "%s %s%s%s, model %s:",
			in->dir == PKT_INGRESS ? "ingress" : "egress", in->kind,
			in->mutated ? " mutated" : "", f->config.public_addr ? "" : " (public 0)",
			model_action_name(actions[XDP]));
	if (lost) {
		used += snprintf(key + used, sizeof(key) - used, " model lost-%s", csum_names(lost));
		bad = true;
	}
	for (int v = 0; v < N_VARIANTS; v++) {
		issues[v][0] = 0;
		if (!f->inst[v].enabled)
			continue;
		run_variant(f, v, in, &runs[v]);
		if (runs[v].refused)
			refused = true;
		else
			judge(in, &model_out[v], verdicts[v], valid_in, v, &runs[v], issues[v],
			      sizeof(issues[v]));
	}
	/* "xdp,tc: bytes(...)": the variants that went wrong the same way, together. */
	for (int v = 0; v < N_VARIANTS; v++) {
		const char *sep = " ";

		if (!issues[v][0] || done[v])
			continue;
		bad = true;
		for (int w = v; w < N_VARIANTS; w++) {
			if (!done[w] && !strcmp(issues[w], issues[v])) {
				used += snprintf(key + used, sizeof(key) - used, "%s%s", sep,
						 variant_names[w]);
				done[w] = true;
				sep = ",";
			}
		}
		used += snprintf(key + used, sizeof(key) - used, " %s;", issues[v]);
	}
	if (used < sizeof(key) && key[used - 1] == ';')
		key[used - 1] = 0;
	if (refused)
		f->totals->refused++;
	if (f->opts->verbose)
		fprintf(f->opts->out, "  step %d %s: %s, %u bytes -> %s%s%s\n", f->step,
			in->dir == PKT_INGRESS ? "in" : "out", in->what, in->len,
			model_action_name(actions[XDP]), model_drop ? " (drop)" : "",
			bad ? " MISMATCH" : "");
	if (!bad)
		return true;
	if (clock_drifted(f))
		return false;
	f->totals->mismatches++;
	snprintf(detail, sizeof(detail), "valid checksums in: %s", csum_names(valid_in));
	report(f, key, in, model_out, actions, runs, detail);
	return false;
}

/* ---- State ----------------------------------------------------------------------------- */

/* Appends to a detail message, as far as it has room. */
struct detail {
	char text[640];
	size_t used;
};

static void note(struct detail *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct detail *d, const char *fmt, ...)
{
	va_list ap;

	if (d->used >= sizeof(d->text) - 1)
		return;
	va_start(ap, fmt);
	d->used += vsnprintf(d->text + d->used, sizeof(d->text) - d->used, fmt, ap);
	va_end(ap);
	if (d->used > sizeof(d->text) - 1)
		d->used = sizeof(d->text) - 1;
}

/* Whether the kernel's @stamp (jiffies) is the model's @tick, on the scale at the top. */
static bool same_time(const struct fuzzer *f, __u64 stamp, __u64 tick)
{
	__s32 past = (__s32)((__u32)stamp - tick_jiffy(f, tick));

	return past >= 0 && past < (__s32)DRIFT_MAX;
}

static int count_keys(int fd, __u32 key_size)
{
	__u8 key[64], next[64];
	void *prev = NULL;
	int n = 0;

	while (n < HP_MAX_FLOWS && !bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

static bool check_flows(struct fuzzer *f, struct instance *in, struct detail *d)
{
	const struct model *m = &in->model;
	int bad = 0, n;

	for (int i = 0; i < m->n_flows; i++) {
		const struct model_flow *mf = &m->flows[i];
		const struct hp_flow *want = &mf->value;
		struct hp_flow got;
		bool found = !bpf_map_lookup_elem(in->flows_fd, &mf->key, &got);

		if (found && got.public_addr == want->public_addr &&
		    got.public_port == want->public_port && got.state == want->state &&
		    got.flags == want->flags && got.stats_index == want->stats_index &&
		    got.nat_port == want->nat_port && got.nat_addr == want->nat_addr &&
		    same_time(f, got.last_seen, want->last_seen))
			continue;
		if (bad++)
			continue;
		note(d, "flow %s%s:%u -> %s:%u/%u: model %s:%u %s flags 0x%x nat %s:%u slot %u "
		     "seen %lld ticks ago",
		     mf->key.kind == HP_FLOW_KEY_CLIENT ? "(client's view) " : "",
		     addr_str(mf->key.client_addr), ntohs(mf->key.client_port),
		     addr_str(mf->key.target_addr), ntohs(mf->key.target_port), mf->key.protocol,
		     addr_str(want->public_addr), ntohs(want->public_port),
		     model_state_name(want->state), want->flags, addr_str(want->nat_addr),
		     ntohs(want->nat_port), want->stats_index,
		     (long long)(m->now - want->last_seen));
		if (found)
			note(d, ", map %s:%u %s flags 0x%x nat %s:%u slot %u seen %+d jiffies "
			     "from the model's; ", addr_str(got.public_addr),
			     ntohs(got.public_port), model_state_name(got.state), got.flags,
			     addr_str(got.nat_addr), ntohs(got.nat_port), got.stats_index,
			     (__s32)((__u32)got.last_seen - tick_jiffy(f, want->last_seen)));
		else
			note(d, ", not in the map; ");
	}
	n = count_keys(in->flows_fd, sizeof(struct hp_flow_key));
	if (n != m->n_flows) {
		bad++;
		note(d, "%d flows, model %d; ", n, m->n_flows);
	}
	return !bad;
}

static bool check_frags(struct fuzzer *f, struct instance *in, struct detail *d)
{
	const struct model *m = &in->model;
	int bad = 0, n;

	for (int i = 0; i < m->n_frags; i++) {
		const struct model_frag *mf = &m->frags[i];
		struct hp_frag frag;

		if (bpf_map_lookup_elem(in->frags_fd, &mf->key, &frag) ||
		    frag.daddr != mf->daddr || frag.saddr != mf->saddr)
			bad++;
	}
	if (bad)
		note(d, "%d frags differ; ", bad);
	n = count_keys(in->frags_fd, sizeof(struct hp_frag_key));
	if (n != m->n_frags) {
		bad++;
		note(d, "%d frags, model %d; ", n, m->n_frags);
	}
	return !bad;
}

/* A bucket holds tokens * TICK_JIFFIES units and its slack, within the drift's share. */
static bool check_admission(struct fuzzer *f, struct instance *in, struct detail *d)
{
	const struct model *m = &in->model;
	int bad = 0, n;

	for (int i = 0; i < m->n_buckets; i++) {
		const struct model_bucket *b = &m->buckets[i];
		struct hp_admission got;
		long long off;

		if (bpf_map_lookup_elem(in->admission_fd, &b->client, &got)) {
			if (!bad++)
				note(d, "bucket of %s not in the map; ", addr_str(b->client));
			continue;
		}
		off = (long long)(got.tokens - ((__u64)b->tokens * TICK_JIFFIES +
						bucket_slack(&f->config)));
		if ((off == 0 || (off > -(long long)bucket_slack(&f->config) &&
				  off < (long long)bucket_slack(&f->config))) &&
		    same_time(f, got.updated, b->updated))
			continue;
		if (!bad++)
			note(d, "bucket of %s: model %u tokens at tick %llu, map %.2f tokens %+d "
			     "jiffies from it; ", addr_str(b->client), b->tokens,
			     (unsigned long long)b->updated,
			     ((double)got.tokens - bucket_slack(&f->config)) / TICK_JIFFIES,
			     (__s32)((__u32)got.updated - tick_jiffy(f, b->updated)));
	}
	n = count_keys(in->admission_fd, sizeof(__be32));
	if (n != m->n_buckets) {
		bad++;
		note(d, "%d buckets, model %d; ", n, m->n_buckets);
	}
	return !bad;
}

/* Per-CPU values summed: @n __u64 fields of each CPU's value of @key. */
static int percpu_sum(struct fuzzer *f, int fd, __u32 key, __u64 *sum, int n)
{
	__u64 *values = calloc(f->ncpus, n * sizeof(__u64));

	if (!values)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, values)) {
		free(values);
		return -errno;
	}
	memset(sum, 0, n * sizeof(__u64));
	for (int cpu = 0; cpu < f->ncpus; cpu++) {
		for (int i = 0; i < n; i++)
			sum[i] += values[cpu * n + i];
	}
	free(values);
	return 0;
}

static bool check_counters(struct fuzzer *f, struct instance *in, struct detail *d)
{
	const struct model *m = &in->model;
	int bad = 0;

	for (int i = 0; i < f->slots.n; i++) {
		struct hp_stats want = model_stats(m, f->slots.keys[i]), got;

		if (percpu_sum(f, in->stats_fd, f->slots.keys[i], (__u64 *)&got, 4) ||
		    memcmp(&got, &want, sizeof(got))) {
			if (!bad++)
				note(d, "stats[%u] %llu/%llu %llu/%llu, model %llu/%llu %llu/%llu; ",
				     f->slots.keys[i], (unsigned long long)got.to_target_packets,
				     (unsigned long long)got.to_target_bytes,
				     (unsigned long long)got.to_client_packets,
				     (unsigned long long)got.to_client_bytes,
				     (unsigned long long)want.to_target_packets,
				     (unsigned long long)want.to_target_bytes,
				     (unsigned long long)want.to_client_packets,
				     (unsigned long long)want.to_client_bytes);
		}
	}
	for (__u32 r = 0; r < HP_REASONS; r++) {
		__u64 got;

		if (percpu_sum(f, in->reasons_fd, r, &got, 1) || got != m->reasons[r]) {
			bad++;
			note(d, "reason %s %llu, model %llu; ", model_reason_name(r),
			     (unsigned long long)got, (unsigned long long)m->reasons[r]);
		}
	}
	return !bad;
}

/* The maps of @v against its model's state; false (and a report) when they differ. */
static bool check_state(struct fuzzer *f, enum variant v)
{
	struct instance *in = &f->inst[v];
	struct detail d = { .used = 0 };
	char key[CLASS_KEY_LEN];
	bool flows = check_flows(f, in, &d);
	bool frags = check_frags(f, in, &d);
	bool admission = check_admission(f, in, &d);
	bool counters = check_counters(f, in, &d);

	if (flows && frags && admission && counters)
		return true;
	if (clock_drifted(f))
		return false;
	snprintf(key, sizeof(key), "state %s:%s%s%s%s", variant_names[v], flows ? "" : " flows",
		 frags ? "" : " frags", admission ? "" : " admission",
		 counters ? "" : " counters");
	f->totals->mismatches++;
	report(f, key, NULL, NULL, NULL, NULL, d.text);
	return false;
}

/* ---- Scenarios ----------------------------------------------------------------------- */

static bool out_of_time(struct fuzzer *f, double start)
{
	const struct diff_options *o = f->opts;

	if (o->max_packets && f->totals->packets >= o->max_packets)
		return true;
	return o->seconds > 0 && now_s() - start >= o->seconds;
}

/* The configuration changed from @old: into every instance and every model. */
static int change_config(struct fuzzer *f, const struct model_config *old)
{
	bool new_generation = !same_sources(old, &f->config);

	if (new_generation)
		f->generation = 3 - f->generation;
	if (f->opts->verbose)
		fprintf(f->opts->out, "  step %d: %s\n", f->step, f->gen.what);
	for (int v = 0; v < N_VARIANTS; v++) {
		struct instance *in = &f->inst[v];
		int err;

		if (!in->enabled)
			continue;
		err = apply_config(f, in, old, new_generation);
		for (int i = 0; i < old->n_targets && !err; i++) {
			bool kept = false;

			for (int j = 0; j < f->config.n_targets; j++)
				kept |= f->config.targets[j] == old->targets[i];
			if (!kept)
				err = end_flows_to(in, old->targets[i]);
		}
		if (err) {
			fprintf(f->opts->out, "fuzz-diff: couldn't change the maps of %s: %s\n",
				variant_names[v], strerror(-err));
			return -1;
		}
		model_set_config(&in->model, &f->config);
	}
	return 0;
}

/* @ticks pass, for the maps and the models; 1 if the scenario is to be abandoned. */
static int pass_time(struct fuzzer *f, __u64 ticks)
{
	long long d = drift(f);

	if (f->opts->verbose)
		fprintf(f->opts->out, "  step %d: %s\n", f->step, f->gen.what);
	if (d < 0 || d >= DRIFT_MAX)
		return clock_drifted(f) ? 1 : 0;
	for (int v = 0; v < N_VARIANTS; v++) {
		struct instance *in = &f->inst[v];
		int err;

		if (!in->enabled)
			continue;
		err = shift_stamps(in, d - (long long)(ticks * TICK_JIFFIES));
		if (err) {
			fprintf(f->opts->out, "fuzz-diff: couldn't move the time stamps of %s: %s\n",
				variant_names[v], strerror(-err));
			return -1;
		}
		model_advance(&in->model, ticks);
	}
	f->base += d;
	f->base_tick += ticks;
	return 0;
}

/* Scenario @index of the seed: its own generator, so that it can be run alone. */
static int run_scenario(struct fuzzer *f, long index, double start)
{
	__u64 s = f->opts->seed ^ (0x9e3779b97f4a7c15ULL * (__u64)(index + 1));
	int steps, err;
	bool ok = true;

	f->old_forwards = f->forwards;
	f->old_port_words = f->port_words;
	f->old_slots = f->slots;
	f->forwards.n = f->port_words.n = f->slots.n = 0;
	f->scenario = index;
	f->step = 0;
	f->gen.rng.state = s;
	rng_next(&f->gen.rng);
	f->gen.features = f->opts->features;
	f->gen.model = &f->inst[XDP].model;
	f->gen.n_queue = 0;
	f->gen.spray_left = 0;
	f->gen.squatting = false;
	f->gen.next_dev = -1;
	gen_config(&f->gen, &f->config);
	f->generation = 1;
	for (int v = 0; v < N_VARIANTS; v++) {
		if (!f->inst[v].enabled)
			continue;
		model_reset(&f->inst[v].model, &f->config, START_TICK);
		err = reload_config(f, &f->inst[v]);
		if (err) {
			fprintf(f->opts->out, "fuzz-diff: couldn't write the maps of %s: %s\n",
				variant_names[v], strerror(-err));
			return -1;
		}
	}
	err = clock_read(f->clock_fd, &f->base);
	if (err) {
		fprintf(f->opts->out, "fuzz-diff: couldn't read the kernel's jiffies: %s\n",
			strerror(-err));
		return -1;
	}
	f->base_tick = START_TICK;
	if (f->opts->verbose) {
		fprintf(f->opts->out, "scenario %ld\n", index);
		print_config(f, f->opts->out);
	}
	steps = MIN_STEPS + rng_below(&f->gen.rng, MAX_STEPS - MIN_STEPS + 1);
	for (f->step = 0; f->step < steps && ok && !out_of_time(f, start); f->step++) {
		static struct pkt pkt;
		struct model_config old = f->config;
		__u64 ticks;

		switch (gen_step(&f->gen, &f->config, &pkt, &ticks)) {
		case STEP_CONFIG:
			f->totals->config_steps++;
			if (change_config(f, &old))
				return -1;
			break;
		case STEP_TIME:
			f->totals->time_steps++;
			err = pass_time(f, ticks);
			if (err < 0)
				return -1;
			ok = !err;
			break;
		default:
			ok = run_frame(f, &pkt);
		}
		/* -v: the maps after every step, to show where they first differ. */
		for (int v = 0; v < N_VARIANTS && ok && f->opts->verbose; v++) {
			if (f->inst[v].enabled)
				ok = check_state(f, v);
		}
	}
	for (int v = 0; v < N_VARIANTS && ok; v++) {
		if (f->inst[v].enabled)
			ok = check_state(f, v);
	}
	for (int r = 0; r < HP_REASONS; r++)
		f->totals->reasons[r] += f->inst[XDP].model.reasons[r];
	f->totals->scenarios++;
	return 0;
}

/*
 * A network namespace of the fuzzer's own with the Devices of gen_devices: their addresses,
 * and the neighbours they know, for XDP's route and neighbour lookups of reflected packets.
 * It goes with the process; nothing of the host's is touched.
 */
static int make_lan(struct fuzzer *f, FILE *out)
{
	char cmd[1024], addr[INET_ADDRSTRLEN], mac[18];

	if (unshare(CLONE_NEWNET)) {
		fprintf(out, "fuzz-diff: couldn't make a network namespace (unshare): %s\n",
			strerror(errno));
		return -1;
	}
	if (system("ip link set lo up && sysctl -qw net.ipv4.ip_forward=1")) {
		fprintf(out, "fuzz-diff: couldn't set up lo and forwarding in the namespace\n");
		return -1;
	}
	for (int d = 0; d < MODEL_MAX_DEVICES; d++) {
		const struct model_device *dev = &gen_devices[d];
		const __u8 *m = dev->mac;
		int n;

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
			 m[4], m[5]);
		n = snprintf(cmd, sizeof(cmd), "ip link add %s address %s mtu %u type veth peer "
			     "name %speer && ip link set %s up && ip link set %speer up && ip addr "
			     "add %s/%u dev %s", dev->name, mac, dev->mtu, dev->name, dev->name,
			     dev->name, inet_ntop(AF_INET, &dev->addr, addr, sizeof(addr)),
			     dev->prefix_len, dev->name);
		for (int i = 0; i < dev->n_neighbours && n < (int)sizeof(cmd); i++) {
			m = dev->neighbours[i].mac;
			n += snprintf(cmd + n, sizeof(cmd) - n, " && ip neigh add %s lladdr "
				      "%02x:%02x:%02x:%02x:%02x:%02x dev %s nud permanent",
				      inet_ntop(AF_INET, &dev->neighbours[i].addr, addr,
						sizeof(addr)), m[0], m[1], m[2], m[3], m[4], m[5],
				      dev->name);
		}
		if (n >= (int)sizeof(cmd) || system(cmd)) {
			fprintf(out, "fuzz-diff: couldn't make %s in the namespace (`%s')\n",
				dev->name, cmd);
			return -1;
		}
		f->ifindex[d] = if_nametoindex(dev->name);
	}
	return 0;
}

/* Whether BPF_PROG_TEST_RUN knows BPF_F_TEST_SKB_CHECKSUM_COMPLETE (Linux 6.11). */
static bool probe_csum_complete(struct fuzzer *f)
{
	static const __u8 arp[60] = { [12] = 0x08, [13] = 0x06 };
	__u8 out[128];
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = arp,
		.data_size_in = sizeof(arp),
		.data_out = out,
		.data_size_out = sizeof(out),
		.flags = BPF_F_TEST_SKB_CHECKSUM_COMPLETE,
	);

	return bpf_prog_test_run_opts(bpf_program__fd(f->inst[TC_CSUM].skel->progs.hp_egress_tc),
				      &opts) != -EINVAL;
}

int diff_run(const struct diff_options *opts, struct diff_totals *totals)
{
	struct fuzzer *f = calloc(1, sizeof(*f));
	double start = now_s();
	int ret = -1;

	memset(totals, 0, sizeof(*totals));
	if (!f) {
		fprintf(opts->out, "fuzz-diff: out of memory\n");
		return -1;
	}
	f->opts = opts;
	f->totals = totals;
	libbpf_set_print(print_libbpf);
	if (make_lan(f, opts->out))
		goto out;
	f->clock_fd = clock_open();
	if (f->clock_fd < 0) {
		fprintf(opts->out, "fuzz-diff: couldn't load the program that reads jiffies: %s\n",
			strerror(-f->clock_fd));
		goto out;
	}
	f->ncpus = libbpf_num_possible_cpus();
	if (f->ncpus <= 0) {
		fprintf(opts->out, "fuzz-diff: couldn't count the possible CPUs: %s\n",
			strerror(-f->ncpus));
		goto out_clock;
	}
	for (int v = 0; v < N_VARIANTS; v++) {
		int err = open_instance(&f->inst[v]);

		if (err) {
			fprintf(opts->out, "fuzz-diff: couldn't load the BPF programs (%s): %s\n",
				variant_names[v], strerror(-err));
			goto out_destroy;
		}
		model_init(&f->inst[v].model, v == XDP ? MODEL_HOOK_XDP : MODEL_HOOK_TC, &f->config,
			   START_TICK);
	}
	totals->csum_complete = probe_csum_complete(f);
	if (!totals->csum_complete) {
		fprintf(opts->out, "fuzz-diff: this kernel has no BPF_F_TEST_SKB_CHECKSUM_COMPLETE; "
			"tc_csum not run\n");
		f->inst[TC_CSUM].enabled = false;
	}
	ret = 0;
	if (opts->scenario >= 0) {
		ret = run_scenario(f, opts->scenario, start);
	} else {
		for (long i = 0; !out_of_time(f, start) && !ret; i++)
			ret = run_scenario(f, i, start);
	}
	totals->seconds = now_s() - start;
	totals->classes = f->n_classes;
	memcpy(totals->events, f->inst[XDP].model.events, sizeof(totals->events));
	totals->old_pruned = f->gen.old_pruned;
	totals->old_evicted = f->gen.old_evicted;
	if (f->n_classes) {
		fprintf(opts->out, "\nmismatch classes (count, first seen at seed/scenario/step):\n");
		for (int i = 0; i < f->n_classes; i++)
			fprintf(opts->out, "  %6llu  %s  (%llu/%ld/%d)\n",
				(unsigned long long)f->classes[i].count, f->classes[i].key,
				(unsigned long long)f->classes[i].seed, f->classes[i].scenario,
				f->classes[i].step);
	}
out_destroy:
	for (int v = 0; v < N_VARIANTS; v++) {
		model_free(&f->inst[v].model);
		hairpin__destroy(f->inst[v].skel);
	}
out_clock:
	close(f->clock_fd);
out:
	free(f);
	return ret;
}

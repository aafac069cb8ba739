// SPDX-License-Identifier: GPL-2.0
/*
 * Differential fuzzing of the datapath against the reference model (model.c), which follows
 * doc/translation.md. Each scenario takes a random configuration and runs a sequence of
 * frames (gen.c) through:
 *
 *   model    model_ingress() / model_egress()
 *   xdp      hp_ingress_xdp, and hp_egress_tc for egress (XDP mode)
 *   tc       hp_ingress_tc / hp_egress_tc
 *   tc_csum  the same, with BPF_F_TEST_SKB_CHECKSUM_COMPLETE: the kernel seeds skb->csum from
 *            the frame and fails the run with EBADMSG if the program leaves it out of step
 *
 * each datapath variant in its own skeleton instance, so that each has its own maps, which
 * mirror the model's state. Every frame must come out of all four with the same verdict and
 * the same bytes, and every checksum that was valid in the input (csum.c, from scratch) must
 * be valid in every output. At the end of a scenario the maps must hold the model's flows,
 * frags and counters. A scenario ends at its first mismatch, so that one fault is not counted
 * again for every frame after it; the next scenario starts from empty maps.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hairpin.h"
#include "hairpin.skel.h"
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

enum variant { XDP, TC, TC_CSUM, N_VARIANTS };

static const char *const variant_names[N_VARIANTS] = { "xdp", "tc", "tc_csum" };

struct instance {
	struct hairpin *skel;
	bool enabled;
	int config_fd, forwards_fd, flows_fd, frags_fd, sources_fd, stats_fd;
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

struct fuzzer {
	const struct diff_options *opts;
	struct diff_totals *totals;
	struct instance inst[N_VARIANTS];
	struct model model;
	struct model_config config;
	struct gen gen;
	int ncpus;
	struct mismatch_class classes[MAX_CLASSES];
	int n_classes;
	long scenario;
	int step;
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
	in->enabled = true;
	return 0;
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

static int write_config(struct fuzzer *f, struct instance *in)
{
	struct hp_config value = {
		.public_addr = f->config.public_addr,
		.sources_generation = f->config.any_source ? 0 : 1,
	};
	__u32 zero = 0;

	memcpy(value.target_addrs, f->config.targets, sizeof(value.target_addrs));
	return bpf_map_update_elem(in->config_fd, &zero, &value, BPF_ANY);
}

/* Zero the counters of @old's forwards, or of every slot when @old is NULL. */
static int zero_stats(struct fuzzer *f, struct instance *in, const struct model_config *old)
{
	__u8 *zeros = calloc(f->ncpus, sizeof(struct hp_stats));
	int n = old ? old->n_forwards : HP_MAX_FORWARDS, err = 0;

	if (!zeros)
		return -ENOMEM;
	for (int i = 0; i < n && !err; i++) {
		__u32 slot = old ? old->forwards[i].value.stats_index : (__u32)i;

		err = bpf_map_update_elem(in->stats_fd, &slot, zeros, BPF_ANY) ? -errno : 0;
	}
	free(zeros);
	return err;
}

/*
 * Empty the maps of the previous scenario (@old) and write this one's configuration, as the
 * loader would: forwards, AllowedSources as generation 1 of the sources map, the config.
 */
static int reload_config(struct fuzzer *f, struct instance *in, const struct model_config *old)
{
	int err;

	empty_map(in->forwards_fd, sizeof(struct hp_forward_key));
	empty_map(in->flows_fd, sizeof(struct hp_flow_key));
	empty_map(in->frags_fd, sizeof(struct hp_frag_key));
	empty_map(in->sources_fd, sizeof(struct hp_source_key));
	err = zero_stats(f, in, old);
	for (int i = 0; i < f->config.n_forwards && !err; i++) {
		const struct model_forward *fw = &f->config.forwards[i];

		if (bpf_map_update_elem(in->forwards_fd, &fw->key, &fw->value, BPF_ANY))
			err = -errno;
	}
	for (int i = 0; i < f->config.n_prefixes && !err; i++) {
		struct hp_source_key key = {
			.prefixlen = 32 + f->config.prefixes[i].len,
			.generation = 1,
			.addr = f->config.prefixes[i].addr,
		};
		__u32 value = 1;

		if (bpf_map_update_elem(in->sources_fd, &key, &value, BPF_ANY))
			err = -errno;
	}
	if (!err && write_config(f, in))
		err = -errno;
	return err;
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

static bool is_pass(enum variant v, const struct pkt *p, __u32 retval)
{
	if (v == XDP && p->dir == PKT_INGRESS)
		return retval == XDP_PASS;
	return retval == TC_ACT_OK;
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

	fprintf(out, "  config: public %s, targets", addr_str(c->public_addr));
	for (int i = 0; i < c->n_targets; i++)
		fprintf(out, " %s", addr_str(c->targets[i]));
	fprintf(out, ", sources ");
	if (c->any_source)
		fprintf(out, "any");
	for (int i = 0; i < c->n_prefixes; i++)
		fprintf(out, "%s%s/%u", i ? "," : "", addr_str(c->prefixes[i].addr),
			c->prefixes[i].len);
	fprintf(out, "\n");
	for (int i = 0; i < c->n_forwards; i++) {
		const struct model_forward *fw = &c->forwards[i];

		fprintf(out, "  forward %s/%u -> %s:%u slot %u\n",
			fw->key.protocol == 17 ? "udp" : "tcp", ntohs(fw->key.port),
			addr_str(fw->value.target_addr), ntohs(fw->value.target_port),
			fw->value.stats_index);
	}
}

/* Count a mismatch in its class; report it in full if the class has few so far. */
static void report(struct fuzzer *f, const char *key, const struct pkt *in,
		   const struct pkt *model_out, enum model_action action, const struct run *runs,
		   const char *detail)
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
			model_action_name(action));
		hex_line(out, "input", in->data, in->len);
		hex_line(out, "model", model_out->data, model_out->len);
		for (int v = 0; v < N_VARIANTS; v++) {
			const struct run *r = &runs[v];
			char label[32];

			if (!f->inst[v].enabled)
				continue;
			if (r->err) {
				fprintf(out, "  %-8s error %d (%s)%s\n", variant_names[v], r->err,
					strerror(-r->err), r->refused ? ", refused" : "");
				continue;
			}
			snprintf(label, sizeof(label), "%s", variant_names[v]);
			if (r->size == model_out->len && !memcmp(r->out, model_out->data, r->size))
				fprintf(out, "  %-8s= model, verdict %u\n", label, r->retval);
			else {
				hex_line(out, label, r->out, r->size);
				fprintf(out, "  %-8s verdict %u, %u bytes\n", "", r->retval, r->size);
			}
		}
	}
	fflush(out);
}

/* What went wrong in one output, or "" when it agrees with the model. */
static void judge(const struct pkt *in, const struct pkt *model_out, unsigned int valid_in,
		  enum variant v, const struct run *r, char *issue, size_t size)
{
	char fields[96];
	unsigned int lost;
	size_t used = 0;

	issue[0] = 0;
	if (r->err) {
		snprintf(issue, size, "error %d", r->err);
		return;
	}
	if (!is_pass(v, in, r->retval))
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

/* One frame through everything; false on a mismatch. */
static bool run_frame(struct fuzzer *f, const struct pkt *in)
{
	static struct pkt model_out;
	static struct run runs[N_VARIANTS];
	unsigned int valid_in = csum_valid(in->data, in->len), lost;
	char issues[N_VARIANTS][160], key[CLASS_KEY_LEN], detail[128];
	enum model_action action;
	enum model_verdict verdict;
	bool refused = false, bad = false, done[N_VARIANTS] = { false };
	size_t used;

	model_out = *in;
	if (in->dir == PKT_INGRESS)
		verdict = model_ingress(&f->model, model_out.data, model_out.len, &action);
	else
		verdict = model_egress(&f->model, model_out.data, model_out.len, &action);
	f->totals->actions[action]++;
	f->totals->packets++;
	if (action >= MODEL_NAT_L4) {
		for (int k = 0; k < CSUM_KINDS; k++)
			f->totals->valid_through[k] += !!(valid_in & (1U << k));
	}

	used = snprintf(key, sizeof(key), "%s %s%s%s, model %s:",
			in->dir == PKT_INGRESS ? "ingress" : "egress", in->kind,
			in->mutated ? " mutated" : "", f->config.public_addr ? "" : " (public 0)",
			model_action_name(action));
	lost = valid_in & ~csum_valid(model_out.data, model_out.len);
	if (verdict != MODEL_PASS) {
		used += snprintf(key + used, sizeof(key) - used, " model drop");
		bad = true;
	}
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
			judge(in, &model_out, valid_in, v, &runs[v], issues[v], sizeof(issues[v]));
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
		fprintf(f->opts->out, "  step %d %s: %s, %u bytes -> %s%s\n", f->step,
			in->dir == PKT_INGRESS ? "in" : "out", in->what, in->len,
			model_action_name(action), bad ? " MISMATCH" : "");
	if (!bad)
		return true;
	f->totals->mismatches++;
	snprintf(detail, sizeof(detail), "valid checksums in: %s", csum_names(valid_in));
	report(f, key, in, &model_out, action, runs, detail);
	return false;
}

/* ---- End state ----------------------------------------------------------------------- */

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

/* The maps of @v against the model's state; false (and a report) when they differ. */
static bool check_state(struct fuzzer *f, enum variant v)
{
	struct instance *in = &f->inst[v];
	struct hp_stats *per_cpu = calloc(f->ncpus, sizeof(*per_cpu));
	char key[CLASS_KEY_LEN], detail[512] = "";
	size_t used = 0;
	int bad_flows = 0, bad_frags = 0, bad_stats = 0, n;

	if (!per_cpu)
		abort();
	for (int i = 0; i < f->model.n_flows; i++) {
		const struct model_flow *mf = &f->model.flows[i];
		struct hp_flow flow;

		if (bpf_map_lookup_elem(in->flows_fd, &mf->key, &flow) ||
		    flow.public_addr != mf->value.public_addr ||
		    flow.public_port != mf->value.public_port ||
		    flow.stats_index != mf->value.stats_index || flow.pad || flow.pad2) {
			if (!bad_flows++)
				used += snprintf(detail + used, sizeof(detail) - used,
						 "flow %s:%u -> %s:%u/%u: model %s:%u slot %u; ",
						 addr_str(mf->key.client_addr),
						 ntohs(mf->key.client_port),
						 addr_str(mf->key.target_addr),
						 ntohs(mf->key.target_port), mf->key.protocol,
						 addr_str(mf->value.public_addr),
						 ntohs(mf->value.public_port), mf->value.stats_index);
		}
	}
	n = count_keys(in->flows_fd, sizeof(struct hp_flow_key));
	if (n != f->model.n_flows) {
		bad_flows++;
		used += snprintf(detail + used, sizeof(detail) - used, "%d flows, model %d; ", n,
				 f->model.n_flows);
	}
	for (int i = 0; i < f->model.n_frags; i++) {
		const struct model_frag *mf = &f->model.frags[i];
		struct hp_frag frag;

		if (bpf_map_lookup_elem(in->frags_fd, &mf->key, &frag) ||
		    frag.addr != mf->value.addr)
			bad_frags++;
	}
	n = count_keys(in->frags_fd, sizeof(struct hp_frag_key));
	if (n != f->model.n_frags) {
		bad_frags++;
		used += snprintf(detail + used, sizeof(detail) - used, "%d frags, model %d; ", n,
				 f->model.n_frags);
	}
	for (int i = 0; i < f->config.n_forwards; i++) {
		__u32 index = f->config.forwards[i].value.stats_index;
		struct hp_stats want = model_stats(&f->model, index), got = { 0 };

		if (bpf_map_lookup_elem(in->stats_fd, &index, per_cpu)) {
			bad_stats++;
			continue;
		}
		for (int cpu = 0; cpu < f->ncpus; cpu++) {
			got.to_target_packets += per_cpu[cpu].to_target_packets;
			got.to_target_bytes += per_cpu[cpu].to_target_bytes;
			got.to_client_packets += per_cpu[cpu].to_client_packets;
			got.to_client_bytes += per_cpu[cpu].to_client_bytes;
		}
		if (memcmp(&got, &want, sizeof(got))) {
			if (!bad_stats++)
				used += snprintf(detail + used, sizeof(detail) - used,
						 "stats[%u] %llu/%llu %llu/%llu, model %llu/%llu "
						 "%llu/%llu; ", index,
						 (unsigned long long)got.to_target_packets,
						 (unsigned long long)got.to_target_bytes,
						 (unsigned long long)got.to_client_packets,
						 (unsigned long long)got.to_client_bytes,
						 (unsigned long long)want.to_target_packets,
						 (unsigned long long)want.to_target_bytes,
						 (unsigned long long)want.to_client_packets,
						 (unsigned long long)want.to_client_bytes);
		}
	}
	free(per_cpu);
	if (!bad_flows && !bad_frags && !bad_stats)
		return true;
	snprintf(key, sizeof(key), "state %s:%s%s%s", variant_names[v], bad_flows ? " flows" : "",
		 bad_frags ? " frags" : "", bad_stats ? " stats" : "");
	f->totals->mismatches++;
	report(f, key, NULL, NULL, MODEL_NOT_OURS, NULL, detail);
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

/* Scenario @index of the seed: its own generator, so that it can be run alone. */
static int run_scenario(struct fuzzer *f, long index, double start)
{
	struct model_config old = f->config;
	__u64 s = f->opts->seed ^ (0x9e3779b97f4a7c15ULL * (__u64)(index + 1));
	int steps;
	bool ok = true;

	f->scenario = index;
	f->gen.rng.state = s;
	rng_next(&f->gen.rng);
	f->gen.features = f->opts->features;
	f->gen.model = &f->model;
	f->gen.n_queue = 0;
	gen_config(&f->gen, &f->config);
	model_reset(&f->model, &f->config);
	for (int v = 0; v < N_VARIANTS; v++) {
		int err;

		if (!f->inst[v].enabled)
			continue;
		err = reload_config(f, &f->inst[v], &old);
		if (err) {
			fprintf(f->opts->out, "fuzz-diff: couldn't write the maps of %s: %s\n",
				variant_names[v], strerror(-err));
			return -1;
		}
	}
	if (f->opts->verbose) {
		fprintf(f->opts->out, "scenario %ld\n", index);
		print_config(f, f->opts->out);
	}
	steps = MIN_STEPS + rng_below(&f->gen.rng, MAX_STEPS - MIN_STEPS + 1);
	for (f->step = 0; f->step < steps && ok && !out_of_time(f, start); f->step++) {
		static struct pkt pkt;
		__be32 public_addr;

		if (gen_step(&f->gen, &f->config, &pkt, &public_addr) == STEP_SET_PUBLIC) {
			f->config.public_addr = public_addr;
			model_set_public(&f->model, public_addr);
			if (f->opts->verbose)
				fprintf(f->opts->out, "  step %d: public address := %s\n", f->step,
					addr_str(public_addr));
			for (int v = 0; v < N_VARIANTS; v++) {
				if (f->inst[v].enabled && write_config(f, &f->inst[v])) {
					fprintf(f->opts->out, "fuzz-diff: couldn't write config: %s\n",
						strerror(errno));
					return -1;
				}
			}
			continue;
		}
		ok = run_frame(f, &pkt);
	}
	for (int v = 0; v < N_VARIANTS && ok; v++) {
		if (f->inst[v].enabled)
			ok = check_state(f, v);
	}
	f->totals->scenarios++;
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
	f->ncpus = libbpf_num_possible_cpus();
	if (f->ncpus <= 0) {
		fprintf(opts->out, "fuzz-diff: couldn't count the possible CPUs: %s\n",
			strerror(-f->ncpus));
		goto out;
	}
	for (int v = 0; v < N_VARIANTS; v++) {
		int err = open_instance(&f->inst[v]);

		if (err) {
			fprintf(opts->out, "fuzz-diff: couldn't load the BPF programs (%s): %s\n",
				variant_names[v], strerror(-err));
			goto out_destroy;
		}
		err = zero_stats(f, &f->inst[v], NULL);
		if (err) {
			fprintf(opts->out, "fuzz-diff: couldn't write the maps of %s: %s\n",
				variant_names[v], strerror(-err));
			goto out_destroy;
		}
	}
	totals->csum_complete = probe_csum_complete(f);
	if (!totals->csum_complete) {
		fprintf(opts->out, "fuzz-diff: this kernel has no BPF_F_TEST_SKB_CHECKSUM_COMPLETE; "
			"tc_csum not run\n");
		f->inst[TC_CSUM].enabled = false;
	}
	model_init(&f->model, &f->config);
	ret = 0;
	if (opts->scenario >= 0) {
		ret = run_scenario(f, opts->scenario, start);
	} else {
		for (long i = 0; !out_of_time(f, start) && !ret; i++)
			ret = run_scenario(f, i, start);
	}
	totals->seconds = now_s() - start;
	totals->classes = f->n_classes;
	if (f->n_classes) {
		fprintf(opts->out, "\nmismatch classes (count, first seen at seed/scenario/step):\n");
		for (int i = 0; i < f->n_classes; i++)
			fprintf(opts->out, "  %6llu  %s  (%llu/%ld/%d)\n",
				(unsigned long long)f->classes[i].count, f->classes[i].key,
				(unsigned long long)f->classes[i].seed, f->classes[i].scenario,
				f->classes[i].step);
	}
	model_free(&f->model);
out_destroy:
	for (int v = 0; v < N_VARIANTS; v++)
		hairpin__destroy(f->inst[v].skel);
out:
	free(f);
	return ret;
}

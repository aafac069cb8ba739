# SPDX-License-Identifier: GPL-2.0
#
# make bench: hairpin measured against null programs of the same hook and against netfilter,
# side by side (README.md, "Benchmarks"). Runs as root, in network namespaces of its own.
# BENCH_ROUNDS, BENCH_SECONDS and the other knobs that bench/run lists tune it.
# Everything it builds and writes goes under $(BUILD)/bench/.

BENCH_BUILD := $(BUILD)/bench
BENCH_TOOLS := $(BENCH_BUILD)/progs $(BENCH_BUILD)/sender $(BENCH_BUILD)/receiver \
	       $(BENCH_BUILD)/tcx

.PHONY: bench bench-tools
.SECONDARY: $(BENCH_BUILD)/bpf/null.bpf.o $(BENCH_BUILD)/bpf/bounce.bpf.o $(BENCH_BUILD)/bpf/probe.bpf.o $(patsubst %,%.o,$(BENCH_TOOLS))

# As $(BUILD)/bpf/%.bpf.o and $(BUILD)/%.skel.h in the Makefile, with the same flags: the null
# programs must be built the way hairpin's are for the ratios to mean anything.
$(BENCH_BUILD)/bpf/%.bpf.o: bench/%.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $(@:.o=.d) -MT $@ -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(BENCH_BUILD)/%.skel.h: $(BENCH_BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name bench_$* > $@.tmp && mv $@.tmp $@

# bench/progs.c includes hairpin's skeleton and bench's ("bench/null.skel.h").
$(BENCH_BUILD)/progs.o: | $(SKELS) $(BENCH_BUILD)/null.skel.h $(BENCH_BUILD)/probe.skel.h

# The frames' checksums come from the tests' from-scratch code (tests/lib/csum.c).
$(BENCH_BUILD)/progs.o $(BENCH_BUILD)/sender.o: HP_CPPFLAGS += -Itests/lib
$(BENCH_BUILD)/progs $(BENCH_BUILD)/sender: $(BUILD)/tests/lib/csum.o

$(BENCH_TOOLS): $(BENCH_BUILD)/%: $(BENCH_BUILD)/%.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# progs fills flows stamped with the kernel's jiffies, read as the loader reads them.
$(BENCH_BUILD)/progs: $(BUILD)/loader/clock.o

# tcx speaks the 6.6 UAPI through the loader's module for it.
$(BENCH_BUILD)/tcx: $(BUILD)/loader/tcx.o

bench-tools: all $(BENCH_TOOLS) $(BENCH_BUILD)/bpf/null.bpf.o $(BENCH_BUILD)/bpf/bounce.bpf.o

bench: bench-tools
	$(Q)BUILD=$(BUILD) bench/run

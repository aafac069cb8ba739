# SPDX-License-Identifier: GPL-2.0
#
# What the namespace tests need besides build/hairpin, built by `make test` (and test-kernel):
#   $(BUILD)/faults/hairpin          the same sources with -DHP_FAULT_INJECTION: fault points
#                                    that kill it at step N (loader/fault.h), for test_faults
#   $(BUILD)/tests/net/foreign.bpf.o programs that are not hairpin's (tests/net/foreign.bpf.c)
#   $(BUILD)/bench/tcx               tcx hooks from the shell, which Debian 12's bpftool predates
#   the rest of bench/'s tools        for test_bench's short round of bench/run

FAULT_BUILD := $(BUILD)/faults
FAULT_OBJS := $(patsubst %.c,$(FAULT_BUILD)/%.o,$(LOADER_SRCS))
NET_TEST_DEPS := $(FAULT_BUILD)/hairpin $(BUILD)/tests/net/foreign.bpf.o $(BENCH_TOOLS) \
		 $(BENCH_BUILD)/bpf/null.bpf.o $(BENCH_BUILD)/bpf/bounce.bpf.o

$(FAULT_OBJS): $(FAULT_BUILD)/%.o: %.c | $(SKELS) $(BUILD)/version.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HP_CPPFLAGS) -DHP_FAULT_INJECTION $(CPPFLAGS) $(HP_CFLAGS) $(CFLAGS) -MMD -MP \
		-c $< -o $@

$(FAULT_BUILD)/hairpin: $(FAULT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/net/%.bpf.o: tests/net/%.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $(@:.o=.d) -MT $@ -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

.PHONY: net-test-deps
net-test-deps: $(NET_TEST_DEPS)
test test-kernel: net-test-deps

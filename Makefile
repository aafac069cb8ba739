# SPDX-License-Identifier: GPL-2.0
#
# make              build/hairpin, with the BPF object embedded (libbpf skeleton)
# make test         every test; ends with "N passed, N failed"
# make demo         the seed's network in namespaces, broken then fixed
# make install      [DESTDIR=...] [PREFIX=/usr/local]
# make deb          the Debian package, in build/deb/ARCH/ (ARCH=arm64: cross-built)
# V=1 shows the commands. CFLAGS, CPPFLAGS and LDFLAGS are the user's (dpkg-buildflags' in a
# package build): they replace the defaults below, never the project's own HP_ flags.

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

CFLAGS ?= -O2 -g
# What the code needs to build at all: always added, before the user's flags (so that theirs
# win where they overlap, as -Wno-... or -std= would).
HP_CPPFLAGS := -D_GNU_SOURCE -Iinclude -Iloader -I$(BUILD)
HP_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration
LDLIBS += $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
# glibc's resolver, for the dns: source's res_nquery()
LDLIBS += -lresolv

# The version that hairpin --version prints. In a git checkout of hairpin: `git describe` of
# the newest vX.Y.Z tag (1.1.0, or 1.1.0-3-gabc1234-dirty after it), or with no tag yet
# VERSION's and the commit (1.1.0-gabc1234). Elsewhere (a tarball, a tree inside another
# repository): VERSION. A package build passes its own, HAIRPIN_VERSION=... (debian/rules).
ifeq ($(origin HAIRPIN_VERSION),undefined)
HAIRPIN_VERSION := $(shell cat VERSION)
# GIT_CEILING_DIRECTORIES: only this directory's own repository, never one it is copied into.
git_here = GIT_CEILING_DIRECTORIES=$(dir $(CURDIR)) git -C $(CURDIR) $(1) 2>/dev/null
ifneq ($(shell $(call git_here,rev-parse --git-dir)),)
HAIRPIN_VERSION := $(or $(patsubst v%,%,$(shell $(call git_here,describe --tags --match 'v[0-9]*' --dirty))),$(HAIRPIN_VERSION)-g$(shell $(call git_here,describe --always --dirty)))
endif
endif

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# clang -target bpf does not look in the host's multiarch include dir, where <asm/types.h>
# lives on Debian; pass clang's own system include dirs on explicitly.
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

BPF_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPF_CFLAGS := -g -O2 -Wall --target=bpf -D__TARGET_ARCH_$(BPF_ARCH) -Iinclude -Ibpf \
	$(CLANG_BPF_SYS_INCLUDES)

LOADER_SRCS := $(wildcard loader/*.c)
LOADER_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LOADER_SRCS))
# Everything but main.c, for the tests that link the loader's modules.
LOADER_LIB_OBJS := $(filter-out $(BUILD)/loader/main.o,$(LOADER_OBJS))

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

# The C tests (tests/lib/test.h): build/tests/test_X from tests/unit/test_X.c, or from every
# file of a directory tests/unit/X/ (packets/, config/), linked with tests/lib and the loader's
# modules.
TEST_LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/lib/*.c))
TEST_DIRS := $(patsubst tests/unit/%/,%,$(wildcard tests/unit/*/))
TEST_C_SRCS := $(wildcard tests/unit/*.c)
TEST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TEST_C_SRCS) $(wildcard tests/unit/*/*.c)) \
	$(TEST_LIB_OBJS)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_C_SRCS)) \
	$(patsubst %,$(BUILD)/tests/test_%,$(TEST_DIRS))

.PHONY: all test demo install uninstall clean deps-check deb FORCE
# A recipe that fails leaves no half-written target behind for the next make to trust.
.DELETE_ON_ERROR:
# Keep the BPF objects: the packet tests and bpftool users want them too.
.SECONDARY: $(BPF_OBJS) $(TEST_OBJS)
.DEFAULT_GOAL := all

all: deps-check $(BUILD)/hairpin

# Name the missing piece instead of failing later with a cryptic compiler error.
deps-check:
	@command -v $(CLANG) >/dev/null || { echo "hairpin: clang not found (apt-get install clang, or scripts/install-deps)" >&2; exit 1; }
	@command -v $(BPFTOOL) >/dev/null || { echo "hairpin: bpftool not found (apt-get install bpftool, or scripts/install-deps)" >&2; exit 1; }
	@test -f /usr/include/bpf/libbpf.h || $(PKG_CONFIG) --exists libbpf 2>/dev/null || { echo "hairpin: libbpf headers not found (apt-get install libbpf-dev, or scripts/install-deps)" >&2; exit 1; }
	@test -f /usr/include/gelf.h || { echo "hairpin: libelf headers not found (apt-get install libelf-dev, or scripts/install-deps)" >&2; exit 1; }

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $(@:.o=.d) -MT $@ -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

# Every user-space object may include a skeleton or version.h; generate them first. (Named
# explicitly: a pattern rule without a recipe would add no prerequisite.)
$(LOADER_OBJS) $(TEST_OBJS): | $(SKELS) $(BUILD)/version.h

# Looked at by every make, rewritten only when the version changed: only then are the objects
# that include it (-MMD knows which) built again.
$(BUILD)/version.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)line='#define HAIRPIN_VERSION "$(HAIRPIN_VERSION)"'; \
		[ "$$(cat $@ 2>/dev/null)" = "$$line" ] || { \
			printf '  %-8s %s\n' GEN $@; echo "$$line" > $@; }

$(BUILD)/%.o: %.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HP_CPPFLAGS) $(CPPFLAGS) $(HP_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/hairpin: $(LOADER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Every test object sees tests/lib (test.h, frame.h, csum.h) as an include directory.
$(BUILD)/tests/%.o: HP_CPPFLAGS += -Itests/lib

$(foreach d,$(TEST_DIRS),$(eval \
	$(BUILD)/tests/test_$(d): $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/unit/$(d)/*.c))))

$(patsubst %,$(BUILD)/tests/test_%,$(TEST_DIRS)): $(TEST_LIB_OBJS) $(LOADER_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(TEST_LIB_OBJS) $(LOADER_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

test: all $(TEST_BINS)
	$(Q)BUILD=$(BUILD) tests/run

demo: all
	$(Q)scripts/demo $(BUILD)/hairpin

SBINDIR = $(PREFIX)/sbin
SYSCONFDIR ?= /etc
MANDIR = $(PREFIX)/share/man
COMPLETIONDIR = $(PREFIX)/share/bash-completion/completions
UNITS := $(notdir $(basename $(wildcard systemd/*.service.in)))
DOCDIR = $(PREFIX)/share/doc/hairpin
CONTRIB := $(shell find contrib -type f 2>/dev/null)
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
# The example configuration, and the directory the hooks of contrib/ go under (as documentation:
# not executable, copied into place by whoever uses one). The package puts both in
# share/doc/hairpin/examples/ (debian/rules).
EXAMPLE_CONF ?= $(SYSCONFDIR)/hairpin/hairpin.conf.example
HOOKDIR ?= $(DOCDIR)

install: all
	install -D -m 0755 $(BUILD)/hairpin $(DESTDIR)$(SBINDIR)/hairpin
	install -D -m 0644 man/hairpin.8 $(DESTDIR)$(MANDIR)/man8/hairpin.8
	install -D -m 0644 man/hairpin.conf.5 $(DESTDIR)$(MANDIR)/man5/hairpin.conf.5
	install -d $(DESTDIR)$(UNITDIR)
	for unit in $(UNITS); do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/$$unit.in > $(DESTDIR)$(UNITDIR)/$$unit || exit 1; \
	done
	install -D -m 0644 hairpin.conf.example $(DESTDIR)$(EXAMPLE_CONF)
	install -D -m 0644 completion/hairpin $(DESTDIR)$(COMPLETIONDIR)/hairpin
	for hook in $(CONTRIB); do \
		install -D -m 0644 $$hook $(DESTDIR)$(HOOKDIR)/$$hook || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/hairpin $(DESTDIR)$(MANDIR)/man8/hairpin.8 \
	      $(DESTDIR)$(MANDIR)/man5/hairpin.conf.5 $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
	      $(DESTDIR)$(EXAMPLE_CONF) $(DESTDIR)$(COMPLETIONDIR)/hairpin \
	      $(addprefix $(DESTDIR)$(HOOKDIR)/,$(CONTRIB))

# The Debian package (debian/), built by dpkg-buildpackage in a copy of this tree, so that its
# `debian/rules clean' leaves $(BUILD) alone and its output lands in $(BUILD)/deb/ARCH/, not in
# this tree's parent: hairpin_VERSION_ARCH.deb, the source package and lintian's input, the
# .changes. With ARCH=arm64, cross-built (dpkg-buildpackage -a arm64; scripts/install-deps
# installs the arm64 build dependencies). The package build is a make of its own: none of this
# one's variables reach it.
DEB_ARCH = $(if $(CROSS_ASKED),$(CROSS_ARCH),$(shell dpkg --print-architecture))
DEB_BUILD = $(BUILD)/deb/$(DEB_ARCH)
comma := ,
deb:
	$(call msg,DEB,$(DEB_BUILD))
	$(Q)command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || { echo "hairpin: dpkg-buildpackage or debhelper not found (apt-get install dpkg-dev debhelper, or scripts/install-deps)" >&2; exit 1; }
	$(Q)rm -rf $(DEB_BUILD) && mkdir -p $(DEB_BUILD)/hairpin
	$(Q)tar -c --exclude-vcs --exclude=./build --exclude=./$(BUILD) . | tar -x -C $(DEB_BUILD)/hairpin
	$(Q)cd $(DEB_BUILD)/hairpin && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		-u ARCH -u CROSS_COMPILE -u BUILD -u CROSS_BUILD -u HAIRPIN_VERSION -u V \
		$(if $(CROSS_ASKED),CC=$(CROSS_COMPILE)gcc DEB_BUILD_OPTIONS="nocheck $$DEB_BUILD_OPTIONS") \
		dpkg-buildpackage -us -uc -Jauto $(if $(CROSS_ASKED),-a $(CROSS_ARCH) -Pcross$(comma)nocheck) \
		$(if $(filter 1,$(V)),,>../build.log 2>&1) || { \
			$(if $(filter 1,$(V)),,tail -n 30 ../build.log >&2;) echo "hairpin: the package build" \
			"failed (all of its output: $(DEB_BUILD)/build.log)" >&2; exit 1; }
	$(Q)ls $(DEB_BUILD)/*.deb

clean:
	rm -rf $(BUILD)

include bench/bench.mk
include tests/net/net.mk
include tests/fuzz/fuzz.mk
include mk/cross.mk
# Not those of the package builds' own trees in $(BUILD)/deb, whose contrib/ has a dispatcher.d.
-include $(shell find $(BUILD) -path $(BUILD)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)

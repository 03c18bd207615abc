# SPDX-License-Identifier: BSD-2-Clause
# Build tlsfp: the BPF object, its skeleton and the loader.  Everything
# built lands in $(OUTPUT).  `make V=1` shows the full commands.

OUTPUT ?= .output
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config
VERSION := 0.1.0

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')

LIBS_PC := libbpf libelf zlib libcrypto json-c libpcap libcap
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null)

WARNINGS := -Wall -Wextra -Wno-unused-parameter -Wmissing-prototypes \
	-Wshadow -Wstrict-prototypes
CFLAGS ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) $(WARNINGS) -std=gnu11 -D_GNU_SOURCE \
	-DTLSFP_VERSION='"$(VERSION)"' -Iinclude -Ibpf -I$(OUTPUT) $(PKG_CFLAGS)

# -mcpu=v3: clang 14's default (v1) code loses the bound of a variable
# length before it reaches bpf_xdp_load_bytes, and the verifier rejects it.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall \
	-Werror -Iinclude -Ibpf -Ivmlinux

BPF_SRCS := bpf/tlsfp.bpf.c
BPF_HDRS := $(wildcard bpf/*.h) $(wildcard include/*.h) vmlinux/vmlinux.h
BPF_OBJ := $(OUTPUT)/tlsfp.bpf.o
SKEL := $(OUTPUT)/tlsfp.skel.h

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
# Everything of the loader but main(), for the test programs.
LIB_OBJS := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
PROG_SRCS := $(wildcard tests/prog/*.c)
PROG_BINS := $(patsubst tests/prog/%.c,$(OUTPUT)/tests/%,$(PROG_SRCS))
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

.DELETE_ON_ERROR:
.PHONY: all deps check check-kernels demo vmlinux clean tests install \
	uninstall fuzz \
	fuzz-build

all: $(OUTPUT)/tlsfp

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(BPF_OBJ): $(BPF_SRCS) $(BPF_HDRS) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tlsfp_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(SKEL) $(wildcard user/*.h) \
		$(wildcard include/*.h) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUTPUT)/tlsfp: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(PKG_LIBS) -o $@

# Unit tests build the parser and the JA3 code for the host, twice: plain
# and under AddressSanitizer and UndefinedBehaviorSanitizer.
# The userspace code they cover has no BPF or libbpf state.
UNIT_LIB_SRCS := $(wildcard user/ja3.c user/ja4.c user/output.c user/proc.c \
	user/blocklist.c user/log.c)
$(OUTPUT)/tests/%: tests/unit/%.c $(BPF_HDRS) $(wildcard tests/unit/*.h) \
		$(UNIT_LIB_SRCS) $(wildcard user/*.h) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests/unit -Iuser $< \
		$(UNIT_LIB_SRCS) $(PKG_LIBS) -o $@

$(OUTPUT)/tests/%: tests/prog/%.c $(LIB_OBJS) $(SKEL) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Iuser $< $(LIB_OBJS) $(PKG_LIBS) -o $@

# Test BPF programs: tests/prog/NAME.bpf.c builds into $(OUTPUT)/tests/
# NAME.bpf.o and its skeleton NAME.skel.h, which the tests/prog runners
# include.  PROG_SRCS (tests/prog/*.c) also matches these sources, so they
# are taken out of PROG_BINS: they are not host programs.
TEST_BPF_SRCS := $(wildcard tests/prog/*.bpf.c)
TEST_BPF_OBJS := $(patsubst tests/prog/%.bpf.c,$(OUTPUT)/tests/%.bpf.o, \
	$(TEST_BPF_SRCS))
TEST_SKELS := $(patsubst %.bpf.o,%.skel.h,$(TEST_BPF_OBJS))
PROG_BINS := $(filter-out $(patsubst %.bpf.o,%.bpf,$(TEST_BPF_OBJS)), \
	$(PROG_BINS))

$(TEST_BPF_OBJS): $(OUTPUT)/tests/%.bpf.o: tests/prog/%.bpf.c $(BPF_HDRS) \
		| $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(TEST_SKELS): $(OUTPUT)/tests/%.skel.h: $(OUTPUT)/tests/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(PROG_BINS): $(TEST_SKELS)
$(PROG_BINS): ALL_CFLAGS += -I$(OUTPUT)/tests

tests: $(OUTPUT)/tlsfp $(UNIT_BINS) $(PROG_BINS)

# libFuzzer target of the shared parsers.  make fuzz runs it for
# FUZZ_SECONDS (default 600); make check runs it for FUZZ_CHECK_SECONDS.
FUZZ_BIN := $(OUTPUT)/fuzz/fuzz_parse
FUZZ_CORPUS := $(OUTPUT)/fuzz/corpus
FUZZ_SECONDS ?= 600
FUZZ_CHECK_SECONDS ?= 20

$(FUZZ_BIN): tests/fuzz/fuzz_parse.c $(BPF_HDRS) user/ja3.c user/ja3.h
	$(Q)mkdir -p $(dir $@)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined \
		-D_GNU_SOURCE -Iinclude -Ibpf -Iuser $< user/ja3.c \
		$(shell $(PKG_CONFIG) --libs libcrypto) -o $@

$(FUZZ_CORPUS)/.seeded: tests/fuzz/seeds.py
	$(call msg,SEEDS,$(FUZZ_CORPUS))
	$(Q)/usr/bin/python3 tests/fuzz/seeds.py $(FUZZ_CORPUS) \
		tests/vectors/local/*.pcap tests/fixtures/pcap/*.pcap >/dev/null
	$(Q)touch $@

fuzz-build: $(FUZZ_BIN) $(FUZZ_CORPUS)/.seeded

fuzz: fuzz-build
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-print_final_stats=1 $(FUZZ_CORPUS)

# Regenerate vmlinux/vmlinux.h from the running kernel's BTF.  The copy in
# the repository lets a build run on a machine without BTF.
vmlinux:
	$(call msg,GEN,vmlinux/vmlinux.h)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c \
		> vmlinux/vmlinux.h

deps:
	$(Q)tests/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory tests fuzz-build
	$(Q)FUZZ_CHECK_SECONDS=$(FUZZ_CHECK_SECONDS) tests/run.sh

# Boot each kernel of tests/kernels/kernels.tsv under qemu and run the
# kernel tests in it, then on the running kernel (make check runs them
# too, as the suite "kernels").
check-kernels: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)tests/run.sh kernels

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)demo/demo.sh

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

# make install: the loader, its man page, the systemd unit template and,
# unless already there, the example configuration, blocklist and logrotate
# file under $(SYSCONFDIR), which is not under PREFIX: the unit reads
# /etc/tlsfp/IFACE.conf.  DESTDIR stages the whole tree for a package.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
# Installed once, never over a file an admin may have edited.
CONF_FILES := etc/tlsfp.conf:tlsfp/tlsfp.conf \
	etc/blocklist.txt:tlsfp/blocklist.txt \
	etc/logrotate.conf:logrotate.d/tlsfp

install: $(OUTPUT)/tlsfp
	$(call msg,INSTALL,$(DESTDIR)$(SBINDIR)/tlsfp)
	$(Q)install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/tlsfp \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d
	$(Q)install -m 0755 $(OUTPUT)/tlsfp $(DESTDIR)$(SBINDIR)/tlsfp
	$(Q)install -m 0644 man/tlsfp.8 $(DESTDIR)$(MANDIR)/man8/tlsfp.8
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
		-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/tlsfp@.service.in \
		> $(DESTDIR)$(UNITDIR)/tlsfp@.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/tlsfp@.service
	$(Q)for pair in $(CONF_FILES); do \
		src=$${pair%%:*}; dst=$(DESTDIR)$(SYSCONFDIR)/$${pair#*:}; \
		if [ -e "$$dst" ]; then \
			echo "  KEEP     $$dst"; \
		else \
			install -m 0644 "$$src" "$$dst"; \
		fi; \
	done

# Configuration files are removed only when they are as installed.
uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(SBINDIR)/tlsfp)
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/tlsfp $(DESTDIR)$(MANDIR)/man8/tlsfp.8 \
		$(DESTDIR)$(UNITDIR)/tlsfp@.service
	$(Q)for pair in $(CONF_FILES); do \
		src=$${pair%%:*}; dst=$(DESTDIR)$(SYSCONFDIR)/$${pair#*:}; \
		if cmp -s "$$src" "$$dst"; then \
			rm -f "$$dst"; \
		elif [ -e "$$dst" ]; then \
			echo "  KEEP     $$dst (changed)"; \
		fi; \
	done
	$(Q)rmdir $(DESTDIR)$(SYSCONFDIR)/tlsfp 2>/dev/null || true

# make bench: measure tlsfp on this machine and write BENCHMARKS.md (method
# in bench/run.sh; needs root, takes a few minutes).  bench/NAME.bpf.c
# builds into $(OUTPUT)/bench/NAME.skel.h, and every other bench/NAME.c into
# the program $(OUTPUT)/bench/NAME, linked with the loader library.
BENCH_BPF_OBJS := $(patsubst bench/%.bpf.c,$(OUTPUT)/bench/%.bpf.o, \
	$(wildcard bench/*.bpf.c))
BENCH_SKELS := $(patsubst %.bpf.o,%.skel.h,$(BENCH_BPF_OBJS))
BENCH_BINS := $(patsubst bench/%.c,$(OUTPUT)/bench/%, \
	$(filter-out %.bpf.c,$(wildcard bench/*.c)))

$(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(BENCH_BPF_OBJS): $(OUTPUT)/bench/%.bpf.o: bench/%.bpf.c $(BPF_HDRS) \
		| $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_SKELS): $(OUTPUT)/bench/%.skel.h: $(OUTPUT)/bench/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(BENCH_BINS): $(OUTPUT)/bench/%: bench/%.c $(LIB_OBJS) $(SKEL) \
		$(BENCH_SKELS) $(wildcard user/*.h) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Iuser -I$(OUTPUT)/bench $< $(LIB_OBJS) \
		$(PKG_LIBS) -o $@

.PHONY: bench
bench: $(OUTPUT)/tlsfp $(BENCH_BINS)
	$(Q)OUTPUT=$(OUTPUT) bench/run.sh

# SPDX-License-Identifier: GPL-2.0
# concprof: `make` builds ./concprof and the bundled workloads; `make check` runs every test;
# `make demo` runs concprof on a bundled demo; `make bench` measures overhead.
# `sudo make demo` / `sudo make check` first install any missing Debian package.

OUTPUT := .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
PREFIX ?= /usr/local
DESTDIR ?=
V ?= 0

ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -DCONCPROF_VERSION='"$(VERSION)"'
USER_CFLAGS := $(CFLAGS) -I$(OUTPUT) -Iuser -Ibpf
LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz -ljson-c
# The pure code reads ELF symbol tables (symbolize.c) and JSON (jsonread.c): the unit tests
# link those libraries too.
PURE_LIBS := -lelf -lz -ljson-c -lm

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Pure code: no BPF, no root, no global state. Unit-tested on hand-made runs.
IMPURE_SRCS := user/main.c user/collect.c user/launch.c user/compare_cli.c
PURE_SRCS := $(filter-out $(IMPURE_SRCS),$(wildcard user/*.c))
PURE_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(PURE_SRCS))
IMPURE_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(IMPURE_SRCS))
ASAN_OBJS := $(patsubst user/%.c,$(OUTPUT)/asan/%.o,$(PURE_SRCS))
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,tests/unit/bin/%,$(UNIT_SRCS))
UNIT_ASAN_BINS := $(patsubst tests/unit/%.c,tests/unit/bin/%-asan,$(UNIT_SRCS))

GT_SRCS := $(wildcard tests/gt/*.c)
GT_BINS := $(patsubst tests/gt/%.c,tests/gt/bin/%,$(GT_SRCS))

WORKLOAD_BINS :=
WORKLOAD_TESTS :=
-include workloads/workloads.mk

INTEGRATION_TESTS := $(sort $(wildcard tests/integration/test_*))

.PHONY: all clean check unit-tests deps demo bench install uninstall
.DELETE_ON_ERROR:
.SECONDARY: $(ASAN_OBJS)

BENCH_BINS := $(OUTPUT)/syscall_loop

# The report's translations (user/i18n.c): compiled next to ./concprof, installed under LOCALEDIR.
LOCALEDIR ?= $(PREFIX)/share/locale
PO_FILES := $(wildcard po/*.po)
MO_FILES := $(patsubst po/%.po,$(OUTPUT)/locale/%/LC_MESSAGES/concprof.mo,$(PO_FILES))
I18N_TESTS := tests/i18n/test_catalog.sh
# The recording parser under libFuzzer, for a bounded time (FUZZ_SECONDS, default 30 here).
FUZZ_TESTS := tests/fuzz/run
FUZZ_SECONDS ?= 30

all: concprof $(MO_FILES) $(WORKLOAD_BINS) $(GT_BINS) $(BENCH_BINS)

$(OUTPUT)/i18n.o $(OUTPUT)/asan/i18n.o: USER_CFLAGS += -DLOCALEDIR='"$(LOCALEDIR)"'

$(OUTPUT)/locale/%/LC_MESSAGES/concprof.mo: po/%.po
	$(call msg,MSGFMT,$@)
	$(Q)mkdir -p $(@D)
	$(Q)msgfmt --check -o $@ $<

$(OUTPUT) $(OUTPUT)/asan tests/unit/bin tests/gt/bin:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUTPUT)/concprof.bpf.o: bpf/concprof.bpf.c $(wildcard bpf/*.h) $(OUTPUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -I$(OUTPUT) -Ibpf -Wall -Werror \
		-c $< -o $@

$(OUTPUT)/concprof.skel.h: $(OUTPUT)/concprof.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/collect.o: $(OUTPUT)/concprof.skel.h

# The HTML report's styles and script (user/html/), embedded into the binary.
HTML_ASSETS := $(sort $(wildcard user/html/*.css user/html/*.js))

$(OUTPUT)/html_assets.h: $(HTML_ASSETS) tools/embed.sh | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)tools/embed.sh $(HTML_ASSETS) > $@

$(OUTPUT)/tl_html.o $(OUTPUT)/asan/tl_html.o: $(OUTPUT)/html_assets.h

$(OUTPUT)/%.o: user/%.c $(wildcard user/*.h) $(wildcard bpf/*.h) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(OUTPUT)/asan/%.o: user/%.c $(wildcard user/*.h) $(wildcard bpf/*.h) | $(OUTPUT)/asan
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(SAN_FLAGS) -c $< -o $@

concprof: $(IMPURE_OBJS) $(PURE_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -lm -o $@

tests/unit/bin/%: tests/unit/%.c $(PURE_OBJS) $(wildcard tests/unit/*.h) | tests/unit/bin
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/unit $< $(PURE_OBJS) -lcmocka $(PURE_LIBS) -o $@

tests/unit/bin/%-asan: tests/unit/%.c $(ASAN_OBJS) $(wildcard tests/unit/*.h) | tests/unit/bin
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(SAN_FLAGS) -Itests/unit $< $(ASAN_OBJS) -lcmocka $(PURE_LIBS) -o $@

tests/gt/bin/%: tests/gt/%.c $(wildcard tests/gt/*.h) | tests/gt/bin
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -pthread $< -o $@ -lm

$(OUTPUT)/syscall_loop: tools/bench/syscall_loop.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

deps:
	$(Q)tools/install-deps.sh

# Under sudo, build as the user who typed it, so their checkout holds no root-owned files;
# only installing packages and tracing need root.
AS_USER := $(if $(and $(SUDO_UID),$(filter-out 0,$(SUDO_UID))),setpriv --reuid=$(SUDO_UID) \
	--regid=$(SUDO_GID) --init-groups,)

unit-tests: $(UNIT_BINS) $(UNIT_ASAN_BINS)

# The tests and the bench run as root and write into root's temporary directories, where a
# concprof that saw SUDO_UID would write as the calling user: they run without sudo's
# variables (test_cli.py sets them itself to test that path, and runs real sudo).
NO_SUDO_ENV := env -u SUDO_UID -u SUDO_GID -u SUDO_USER -u SUDO_COMMAND

# Every suite prints TAP; tests/run ends with "N passed, N failed, N skipped".
check: deps
	$(Q)$(AS_USER) $(MAKE) --no-print-directory all unit-tests
	$(Q)$(NO_SUDO_ENV) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run $(UNIT_BINS) $(UNIT_ASAN_BINS) \
		$(I18N_TESTS) $(FUZZ_TESTS) $(INTEGRATION_TESTS) $(WORKLOAD_TESTS)

demo: deps
	$(Q)$(AS_USER) $(MAKE) --no-print-directory all
	$(Q)tools/demo.sh

bench: deps
	$(Q)$(AS_USER) $(MAKE) --no-print-directory all
	$(Q)$(NO_SUDO_ENV) tools/bench.sh

install: concprof $(MO_FILES)
	install -D -m 0755 concprof $(DESTDIR)$(PREFIX)/bin/concprof
	install -D -m 0644 man/concprof.1 $(DESTDIR)$(PREFIX)/share/man/man1/concprof.1
	for po in $(PO_FILES); do lang=$$(basename $$po .po); \
		install -D -m 0644 $(OUTPUT)/locale/$$lang/LC_MESSAGES/concprof.mo \
			$(DESTDIR)$(LOCALEDIR)/$$lang/LC_MESSAGES/concprof.mo || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/concprof $(DESTDIR)$(PREFIX)/share/man/man1/concprof.1 \
		$(patsubst po/%.po,$(DESTDIR)$(LOCALEDIR)/%/LC_MESSAGES/concprof.mo,$(PO_FILES))

clean:
	rm -rf $(OUTPUT) concprof tests/unit/bin tests/gt/bin $(WORKLOAD_BINS)

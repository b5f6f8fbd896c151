# SPDX-License-Identifier: MIT
# Build rules for the demo workloads, included by the top-level Makefile (run from the repo
# root). Adds the programs to WORKLOAD_BINS and their test suites to WORKLOAD_TESTS.
#
#   workloads/imgserver   HTTP server of PNG images with emulated latency/bandwidth/errors
#   workloads/download    downloads them: sequential, threads, processes or libcurl multi
#   workloads/primes      trial division: sequential, threads, processes, or threads + a GIL
#
# The Python versions in workloads/python/ need no build.

# Rules below must not become the including Makefile's default goal: remember it, restore it.
wl_saved_goal := $(.DEFAULT_GOAL)

# WL_EXTRA_CFLAGS adds flags, e.g. make WL_EXTRA_CFLAGS=-fsanitize=address,undefined
WL_CFLAGS := -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread $(WL_EXTRA_CFLAGS)
WL_MHD_CFLAGS := $(shell pkg-config --cflags libmicrohttpd zlib 2>/dev/null)
WL_MHD_LIBS := $(shell pkg-config --libs libmicrohttpd zlib 2>/dev/null)
WL_CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
WL_CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null)
WL_CRYPTO_LIBS := $(shell pkg-config --libs libcrypto 2>/dev/null)

WL_COMMON := workloads/common.c workloads/common.h
WL_SHA := workloads/sha256.c workloads/sha256.h
WL_IMAGES := workloads/images.c workloads/images.h

WORKLOAD_BINS += workloads/imgserver workloads/download workloads/primes
WORKLOAD_TESTS := tests/workloads/test_workloads.sh

# Q and msg come from the top-level Makefile (quiet "  CC  target" lines unless V=1); used
# alone, this file prints the full commands.

# pkg-config prints nothing when a library is missing; say which package to install instead
# of failing later with a puzzling compiler error.
wl_need = $(if $(shell pkg-config --exists $(1) && echo yes),,\
	$(error pkg-config cannot find $(1): install the packages in workloads/packages.txt))

workloads/imgserver: workloads/imgserver.c $(WL_IMAGES) $(WL_COMMON) $(WL_SHA)
	$(call wl_need,libmicrohttpd zlib libcrypto)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WL_CFLAGS) $(WL_MHD_CFLAGS) -o $@ $(filter %.c,$^) $(WL_MHD_LIBS) \
		$(WL_CRYPTO_LIBS) -lm

workloads/download: workloads/download.c $(WL_COMMON) $(WL_SHA)
	$(call wl_need,libcurl libcrypto)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WL_CFLAGS) $(WL_CURL_CFLAGS) -o $@ $(filter %.c,$^) $(WL_CURL_LIBS) \
		$(WL_CRYPTO_LIBS) -lm

workloads/primes: workloads/primes.c $(WL_COMMON)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WL_CFLAGS) -o $@ $(filter %.c,$^) -lm

.PHONY: workloads check-workloads clean-workloads
workloads: workloads/imgserver workloads/download workloads/primes

check-workloads: workloads
	tests/run $(WORKLOAD_TESTS)

clean-workloads:
	rm -f workloads/imgserver workloads/download workloads/primes

.DEFAULT_GOAL := $(wl_saved_goal)

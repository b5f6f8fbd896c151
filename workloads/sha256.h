/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 through OpenSSL's libcrypto (Debian's libssl-dev): the served images' checksums and
 * the verification of every downloaded byte. A thin wrapper, so the programs read simply; the
 * tests check the sums against sha256sum(1).
 */
#ifndef WORKLOADS_SHA256_H
#define WORKLOADS_SHA256_H

#include <stddef.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN (2 * SHA256_DIGEST_LEN)

struct sha256 {
	void *md_ctx; /* EVP_MD_CTX */
};

/* Each returns 0, or -1 if libcrypto failed (out of memory): the caller treats the file as bad. */
int sha256_init(struct sha256 *ctx);
int sha256_update(struct sha256 *ctx, const void *data, size_t len);
/* Also frees the context. */
int sha256_final(struct sha256 *ctx, unsigned char digest[SHA256_DIGEST_LEN]);

/* Frees the context of a digest abandoned before sha256_final (a failed transfer). */
void sha256_discard(struct sha256 *ctx);

/* Writes 64 lower-case hex digits and a NUL into hex. */
void sha256_hex(const unsigned char digest[SHA256_DIGEST_LEN], char hex[SHA256_HEX_LEN + 1]);

#endif

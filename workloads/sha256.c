// SPDX-License-Identifier: MIT
#include "sha256.h"

#include <openssl/evp.h>
#include <stdio.h>

int sha256_init(struct sha256 *ctx)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	ctx->md_ctx = md;
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		ctx->md_ctx = NULL;
		return -1;
	}
	return 0;
}

int sha256_update(struct sha256 *ctx, const void *data, size_t len)
{
	if (!ctx->md_ctx || EVP_DigestUpdate(ctx->md_ctx, data, len) != 1)
		return -1;
	return 0;
}

int sha256_final(struct sha256 *ctx, unsigned char digest[SHA256_DIGEST_LEN])
{
	unsigned int len = 0;
	int ok = ctx->md_ctx && EVP_DigestFinal_ex(ctx->md_ctx, digest, &len) == 1 &&
		 len == SHA256_DIGEST_LEN;

	EVP_MD_CTX_free(ctx->md_ctx);
	ctx->md_ctx = NULL;
	return ok ? 0 : -1;
}

void sha256_discard(struct sha256 *ctx)
{
	EVP_MD_CTX_free(ctx->md_ctx);
	ctx->md_ctx = NULL;
}

void sha256_hex(const unsigned char digest[SHA256_DIGEST_LEN], char hex[SHA256_HEX_LEN + 1])
{
	for (int i = 0; i < SHA256_DIGEST_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

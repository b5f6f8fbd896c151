/* SPDX-License-Identifier: MIT */
/*
 * The image set served by imgserver: synthetic landscapes encoded as real PNG files.
 *
 * Everything is a pure function of (count, total_bytes): the same options give byte-for-byte
 * the same files on every run and every machine with the same zlib, so a manifest saved once
 * stays valid. The pixels are stored without compression, which makes each file's size follow
 * from its dimensions; sizes are spread like the photos of a Wikipedia article.
 */
#ifndef WORKLOADS_IMAGES_H
#define WORKLOADS_IMAGES_H

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define IMAGES_MAX_COUNT 1000
#define IMAGES_DEFAULT_COUNT 20
#define IMAGES_DEFAULT_TOTAL 20000000ULL
/* Below this a file would be mostly headers; keeps every image at least a few pixels wide. */
#define IMAGES_MIN_BYTES 256

struct image {
	char name[64];			/* file name, e.g. "07-fuji.png" */
	unsigned width, height;
	unsigned char *data;		/* the whole PNG file */
	size_t size;
	char sha256[SHA256_HEX_LEN + 1];
};

struct image_set {
	struct image *images;
	unsigned count;
	uint64_t total;			/* sum of the sizes */
};

/*
 * Builds count images of about total_bytes in all. Returns 0, or -1 with a message in err
 * when the request cannot be met (count out of range, total too small for count images).
 */
int image_set_build(struct image_set *set, unsigned count, uint64_t total_bytes,
		    char *err, size_t errlen);

void image_set_free(struct image_set *set);

#endif

// SPDX-License-Identifier: MIT
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common.h"
#include "images.h"

/* Mountains, since the pictures are mountain landscapes. Cycled when count is larger. */
static const char *const subjects[] = {
	"aconcagua", "alps", "andes", "denali", "dolomites", "elbrus", "etna", "everest",
	"fuji", "himalaya", "kilimanjaro", "matterhorn", "mont-blanc", "olympus", "patagonia",
	"pico-da-neblina", "rainier", "rockies", "table-mountain", "vesuvius",
};
#define N_SUBJECTS (sizeof(subjects) / sizeof(subjects[0]))

/* Width : height of the pictures, cycled: landscape photos mostly, a few portrait ones. */
static const double aspects[] = { 4.0 / 3, 3.0 / 2, 16.0 / 9, 1.0, 3.0 / 4, 2.0, 2.0 / 3 };
#define N_ASPECTS (sizeof(aspects) / sizeof(aspects[0]))

/* Fixed generator for sizes and scenery. Not the server's --seed, which only picks errors. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform(uint64_t *state)
{
	return (double)(splitmix64(state) >> 11) * 0x1.0p-53;
}

/* Bytes of a PNG that are not pixel data, except the per-block overhead of stored deflate. */
#define TEXT_KEY "Software"
#define TEXT_VALUE "concprof imgserver (synthetic image)"
#define PNG_FIXED_OVERHEAD (8 + (12 + 13) + (12 + sizeof(TEXT_KEY) + sizeof(TEXT_VALUE) - 1) + \
			    12 + 2 + 4 + 12)

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Writes a chunk whose data is already at p + 8; returns the bytes used. */
static size_t finish_chunk(unsigned char *p, const char *type, size_t len)
{
	put_be32(p, (uint32_t)len);
	memcpy(p + 4, type, 4);
	put_be32(p + 8 + len, (uint32_t)crc32(crc32(0, NULL, 0), p + 4, (uInt)(len + 4)));
	return 12 + len;
}

struct scenery {
	unsigned char sky_top[3], sky_bottom[3];
	double sun_x, sun_y, sun_r;	/* fractions of the width */
	struct {
		double base, amp[3], freq[3], phase[3];
		unsigned char rgb[3];
	} layer[3];
	unsigned noise;
};

static void pick_scenery(struct scenery *s, uint64_t *rng)
{
	double dusk = uniform(rng);
	int l, i;

	/* From a blue noon sky to an orange dusk. */
	s->sky_top[0] = (unsigned char)(20 + 60 * dusk);
	s->sky_top[1] = (unsigned char)(70 + 30 * dusk);
	s->sky_top[2] = (unsigned char)(160 - 60 * dusk);
	s->sky_bottom[0] = (unsigned char)(150 + 100 * dusk);
	s->sky_bottom[1] = (unsigned char)(200 - 60 * dusk);
	s->sky_bottom[2] = (unsigned char)(240 - 140 * dusk);
	s->sun_x = 0.1 + 0.8 * uniform(rng);
	s->sun_y = 0.08 + 0.2 * uniform(rng);
	s->sun_r = 0.03 + 0.04 * uniform(rng);
	for (l = 0; l < 3; l++) {
		/* Far ridges are high and pale, near ones low and dark. */
		s->layer[l].base = 0.35 + 0.17 * l + 0.05 * uniform(rng);
		for (i = 0; i < 3; i++) {
			s->layer[l].amp[i] = (0.12 - 0.03 * l) / (i + 1) * (0.5 + uniform(rng));
			s->layer[l].freq[i] = 2 * M_PI * (1 + 2 * i + l) *
					      (0.7 + 0.6 * uniform(rng));
			s->layer[l].phase[i] = 2 * M_PI * uniform(rng);
		}
		s->layer[l].rgb[0] = (unsigned char)(110 - 35 * l + 20 * uniform(rng));
		s->layer[l].rgb[1] = (unsigned char)(120 - 30 * l + 30 * uniform(rng));
		s->layer[l].rgb[2] = (unsigned char)(150 - 50 * l + 10 * uniform(rng));
	}
	s->noise = 6 + (unsigned)(10 * uniform(rng));
}

/* Renders height rows of 1 filter byte + width RGB pixels: a PNG's raw scanlines. */
static void render(unsigned char *raw, unsigned width, unsigned height, const struct scenery *s,
		   uint64_t seed)
{
	size_t stride = 1 + 3 * (size_t)width;
	unsigned *ridge = xmalloc(3 * sizeof(*ridge) * width);
	double sx = s->sun_x * width, sy = s->sun_y * height, sr = s->sun_r * width;
	unsigned x, y;
	int l, i;

	for (l = 0; l < 3; l++) {
		for (x = 0; x < width; x++) {
			double t = (double)x / width, h = s->layer[l].base;

			for (i = 0; i < 3; i++)
				h += s->layer[l].amp[i] *
				     sin(s->layer[l].freq[i] * t + s->layer[l].phase[i]);
			ridge[l * width + x] = h <= 0 ? 0 : (unsigned)(h * height);
		}
	}

	for (y = 0; y < height; y++) {
		unsigned char *row = raw + y * stride;
		double f = height > 1 ? (double)y / (height - 1) : 0;
		unsigned char sky[3];
		uint64_t row_state = seed + y, h = splitmix64(&row_state) | 1;

		for (i = 0; i < 3; i++)
			sky[i] = (unsigned char)(s->sky_top[i] +
						 (s->sky_bottom[i] - s->sky_top[i]) * f);
		row[0] = 0;	/* filter type None */
		for (x = 0; x < width; x++) {
			unsigned char *px = row + 1 + 3 * x;
			const unsigned char *base = sky;
			double dx = x - sx, dy = y - sy;
			unsigned depth = 0;
			int noise;

			for (l = 2; l >= 0; l--) {
				if (y >= ridge[l * width + x]) {
					base = s->layer[l].rgb;
					depth = y - ridge[l * width + x];
					break;
				}
			}
			/*
			 * Film grain: an xorshift step per pixel. Each row starts from a
			 * splitmix64 hash, since xorshift alone is linear and rows started from
			 * related seeds would show vertical streaks.
			 */
			h ^= h << 13, h ^= h >> 7, h ^= h << 17;
			noise = (int)(h % (2 * s->noise + 1)) - (int)s->noise;
			for (i = 0; i < 3; i++) {
				int v = base[i] + noise;

				if (base == sky && dx * dx + dy * dy < sr * sr)
					v = 255 - (i == 2 ? 40 : 0);
				else if (base != sky)	/* darker downhill */
					v -= (int)(depth * 60 / (height + 1));
				px[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
		}
	}
	free(ridge);
}

/* Encodes raw scanlines as a PNG; returns a malloc'ed buffer and its size in *size. */
static unsigned char *encode_png(const unsigned char *raw, unsigned width, unsigned height,
				 size_t *size)
{
	size_t raw_len = (1 + 3 * (size_t)width) * height;
	z_stream z = { 0 };
	size_t bound, o = 0, idat;
	unsigned char *png;

	if (deflateInit(&z, Z_NO_COMPRESSION) != Z_OK)
		die("zlib: deflateInit failed");
	bound = deflateBound(&z, (uLong)raw_len);
	png = xmalloc(PNG_FIXED_OVERHEAD + bound);

	memcpy(png, "\x89PNG\r\n\x1a\n", 8);
	o = 8;
	put_be32(png + o + 8, width);
	put_be32(png + o + 12, height);
	png[o + 16] = 8;	/* bit depth */
	png[o + 17] = 2;	/* colour type: RGB */
	png[o + 18] = 0;	/* compression: deflate */
	png[o + 19] = 0;	/* filter method 0 */
	png[o + 20] = 0;	/* no interlace */
	o += finish_chunk(png + o, "IHDR", 13);

	memcpy(png + o + 8, TEXT_KEY, sizeof(TEXT_KEY));	/* keyword and its NUL */
	memcpy(png + o + 8 + sizeof(TEXT_KEY), TEXT_VALUE, sizeof(TEXT_VALUE) - 1);
	o += finish_chunk(png + o, "tEXt", sizeof(TEXT_KEY) + sizeof(TEXT_VALUE) - 1);

	idat = o;
	z.next_in = (Bytef *)raw;
	z.avail_in = (uInt)raw_len;
	z.next_out = png + idat + 8;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		die("zlib: deflate did not finish");
	o += finish_chunk(png + idat, "IDAT", z.total_out);
	deflateEnd(&z);

	o += finish_chunk(png + o, "IEND", 0);
	*size = o;
	return png;
}

int image_set_build(struct image_set *set, unsigned count, uint64_t total_bytes,
		    char *err, size_t errlen)
{
	uint64_t rng = 0x636f6e6370726f66ULL;	/* "concprof" */
	double *weight, sum = 0;
	unsigned i;

	memset(set, 0, sizeof(*set));
	if (count < 1 || count > IMAGES_MAX_COUNT) {
		snprintf(err, errlen, "the image count must be 1 to %d", IMAGES_MAX_COUNT);
		return -1;
	}
	if (total_bytes / count < IMAGES_MIN_BYTES + PNG_FIXED_OVERHEAD) {
		snprintf(err, errlen, "%llu bytes is too small for %u images (at least %u each)",
			 (unsigned long long)total_bytes, count,
			 (unsigned)(IMAGES_MIN_BYTES + PNG_FIXED_OVERHEAD));
		return -1;
	}

	/* Log-uniform sizes between 1 and 8 units: a few large photos, many small ones. */
	weight = xmalloc(count * sizeof(*weight));
	for (i = 0; i < count; i++) {
		weight[i] = exp(log(8.0) * uniform(&rng));
		sum += weight[i];
	}

	set->images = xcalloc(count, sizeof(*set->images));
	set->count = count;
	for (i = 0; i < count; i++) {
		struct image *img = &set->images[i];
		double target = (double)total_bytes * weight[i] / sum;
		double aspect = aspects[i % N_ASPECTS];
		double pixels_bytes, w;
		unsigned char *raw, digest[SHA256_DIGEST_LEN];
		struct scenery scenery;
		struct sha256 sha;

		/* Stored deflate adds 5 bytes per 64 KiB block; the rest is fixed overhead. */
		pixels_bytes = (target - PNG_FIXED_OVERHEAD) * 65535.0 / 65540.0;
		if (pixels_bytes < IMAGES_MIN_BYTES)
			pixels_bytes = IMAGES_MIN_BYTES;
		w = sqrt(pixels_bytes / 3 * aspect);
		img->width = w < 1 ? 1 : (unsigned)lround(w);
		img->height = (unsigned)(pixels_bytes / (1 + 3.0 * img->width));
		if (img->height < 1)
			img->height = 1;

		snprintf(img->name, sizeof(img->name), count < 100 ? "%02u-%s.png" : "%04u-%s.png",
			 i + 1, subjects[i % N_SUBJECTS]);
		pick_scenery(&scenery, &rng);
		raw = xmalloc((1 + 3 * (size_t)img->width) * img->height);
		render(raw, img->width, img->height, &scenery, splitmix64(&rng));
		img->data = encode_png(raw, img->width, img->height, &img->size);
		free(raw);

		if (sha256_init(&sha) || sha256_update(&sha, img->data, img->size) ||
		    sha256_final(&sha, digest))
			die("cannot compute the SHA-256 of image %u", i + 1);
		sha256_hex(digest, img->sha256);
		set->total += img->size;
	}
	free(weight);
	return 0;
}

void image_set_free(struct image_set *set)
{
	unsigned i;

	for (i = 0; i < set->count; i++)
		free(set->images[i].data);
	free(set->images);
	memset(set, 0, sizeof(*set));
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A strict little JSON parser for the tests (RFC 8259: no trailing commas, no control characters
 * in strings, valid escapes and surrogate pairs, valid UTF-8, one value per document), so the
 * export is checked by reading it back, with no dependency beyond libc.
 */
#ifndef CONCPROF_TEST_JSMINI_H
#define CONCPROF_TEST_JSMINI_H

#include "fmt.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum js_type { JS_NULL, JS_BOOL, JS_NUMBER, JS_STRING, JS_ARRAY, JS_OBJECT };

struct js {
	enum js_type type;
	bool boolean;
	char *text;  /* JS_NUMBER: as written; JS_STRING: decoded, NUL-terminated */
	size_t len;  /* JS_STRING: decoded length (may contain NULs) */
	char **keys; /* JS_OBJECT */
	struct js *items;
	size_t nr_items;
};

struct js_parser {
	const char *s;
	const char *error; /* first error, NULL if none */
	size_t depth;
};

static inline void js_skip_ws(struct js_parser *p)
{
	while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
		p->s++;
}

static inline bool js_fail(struct js_parser *p, const char *why)
{
	if (!p->error)
		p->error = why;
	return false;
}

static inline void js_put_utf8(char *out, size_t *len, uint32_t cp)
{
	if (cp < 0x80) {
		out[(*len)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*len)++] = (char)(0xc0 | cp >> 6);
		out[(*len)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*len)++] = (char)(0xe0 | cp >> 12);
		out[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*len)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*len)++] = (char)(0xf0 | cp >> 18);
		out[(*len)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*len)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static inline bool js_hex4(struct js_parser *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = *p->s++;

		if (!isxdigit((unsigned char)c))
			return js_fail(p, "bad \\u escape");
		*v = *v * 16 + (uint32_t)(isdigit((unsigned char)c)
						  ? c - '0'
						  : tolower((unsigned char)c) - 'a' + 10);
	}
	return true;
}

static inline bool js_string(struct js_parser *p, char **out, size_t *out_len)
{
	/* Decoded text is never longer than the escaped text. */
	const char *end = p->s + 1;
	size_t len = 0;
	char *buf;

	while (*end && *end != '"')
		end += *end == '\\' && end[1] ? 2 : 1;
	buf = malloc((size_t)(end - p->s) + 1);
	if (!buf)
		return js_fail(p, "out of memory");
	p->s++; /* the opening quote */
	while (*p->s != '"') {
		unsigned char c = (unsigned char)*p->s;
		uint32_t cp;

		if (c == 0 || c < 0x20) {
			free(buf);
			return js_fail(p, c ? "raw control character in string"
					    : "unterminated string");
		}
		if (c == '\\') {
			p->s++;
			switch (*p->s++) {
			case '"':
				buf[len++] = '"';
				break;
			case '\\':
				buf[len++] = '\\';
				break;
			case '/':
				buf[len++] = '/';
				break;
			case 'b':
				buf[len++] = '\b';
				break;
			case 'f':
				buf[len++] = '\f';
				break;
			case 'n':
				buf[len++] = '\n';
				break;
			case 'r':
				buf[len++] = '\r';
				break;
			case 't':
				buf[len++] = '\t';
				break;
			case 'u':
				if (!js_hex4(p, &cp)) {
					free(buf);
					return false;
				}
				if (cp >= 0xd800 && cp <= 0xdbff) {
					uint32_t low;

					if (p->s[0] != '\\' || p->s[1] != 'u') {
						free(buf);
						return js_fail(p, "lone high surrogate");
					}
					p->s += 2;
					if (!js_hex4(p, &low) || low < 0xdc00 || low > 0xdfff) {
						free(buf);
						return js_fail(p, "bad low surrogate");
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					free(buf);
					return js_fail(p, "lone low surrogate");
				}
				js_put_utf8(buf, &len, cp);
				break;
			default:
				free(buf);
				return js_fail(p, "bad escape");
			}
			continue;
		}
		if (c >= 0x80) {
			size_t n = cp_utf8_decode(p->s, strlen(p->s), &cp);

			if (n == 0) {
				free(buf);
				return js_fail(p, "invalid UTF-8 in string");
			}
			memcpy(buf + len, p->s, n);
			len += n;
			p->s += n;
			continue;
		}
		buf[len++] = (char)c;
		p->s++;
	}
	p->s++;
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return true;
}

static inline bool js_number(struct js_parser *p, struct js *v)
{
	const char *start = p->s;

	if (*p->s == '-')
		p->s++;
	if (*p->s == '0')
		p->s++;
	else if (*p->s >= '1' && *p->s <= '9')
		while (isdigit((unsigned char)*p->s))
			p->s++;
	else
		return js_fail(p, "bad number");
	if (*p->s == '.') {
		p->s++;
		if (!isdigit((unsigned char)*p->s))
			return js_fail(p, "bad fraction");
		while (isdigit((unsigned char)*p->s))
			p->s++;
	}
	if (*p->s == 'e' || *p->s == 'E') {
		p->s++;
		if (*p->s == '+' || *p->s == '-')
			p->s++;
		if (!isdigit((unsigned char)*p->s))
			return js_fail(p, "bad exponent");
		while (isdigit((unsigned char)*p->s))
			p->s++;
	}
	v->type = JS_NUMBER;
	v->text = strndup(start, (size_t)(p->s - start));
	return v->text ? true : js_fail(p, "out of memory");
}

static inline bool js_value(struct js_parser *p, struct js *v);

static inline bool js_push(struct js_parser *p, struct js *v, char *key)
{
	void *items = realloc(v->items, (v->nr_items + 1) * sizeof(*v->items));

	if (!items)
		return js_fail(p, "out of memory");
	v->items = items;
	if (v->type == JS_OBJECT) {
		char **keys = realloc(v->keys, (v->nr_items + 1) * sizeof(*v->keys));

		if (!keys)
			return js_fail(p, "out of memory");
		v->keys = keys;
		v->keys[v->nr_items] = key;
	}
	v->items[v->nr_items] = (struct js){ 0 };
	v->nr_items++;
	return true;
}

static inline bool js_container(struct js_parser *p, struct js *v, bool object)
{
	char close = object ? '}' : ']';

	if (++p->depth > 64)
		return js_fail(p, "too deep");
	v->type = object ? JS_OBJECT : JS_ARRAY;
	p->s++;
	js_skip_ws(p);
	if (*p->s == close) {
		p->s++;
		p->depth--;
		return true;
	}
	for (;;) {
		char *key = NULL;
		size_t key_len;

		js_skip_ws(p);
		if (object) {
			if (*p->s != '"')
				return js_fail(p, "key expected");
			if (!js_string(p, &key, &key_len))
				return false;
			js_skip_ws(p);
			if (*p->s++ != ':') {
				free(key);
				return js_fail(p, "':' expected");
			}
		}
		if (!js_push(p, v, key)) {
			free(key);
			return false;
		}
		if (!js_value(p, &v->items[v->nr_items - 1]))
			return false;
		js_skip_ws(p);
		if (*p->s == ',') {
			p->s++;
			continue;
		}
		if (*p->s != close)
			return js_fail(p, object ? "',' or '}' expected" : "',' or ']' expected");
		p->s++;
		p->depth--;
		return true;
	}
}

static inline bool js_value(struct js_parser *p, struct js *v)
{
	js_skip_ws(p);
	switch (*p->s) {
	case '{':
		return js_container(p, v, true);
	case '[':
		return js_container(p, v, false);
	case '"':
		v->type = JS_STRING;
		return js_string(p, &v->text, &v->len);
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = { "true", "false", "null" };

		for (int i = 0; i < 3; i++) {
			size_t n = strlen(words[i]);

			if (strncmp(p->s, words[i], n) == 0) {
				p->s += n;
				v->type = i == 2 ? JS_NULL : JS_BOOL;
				v->boolean = i == 0;
				return true;
			}
		}
		return js_fail(p, "bad literal");
	}
	default:
		return js_number(p, v);
	}
}

static inline void js_free(struct js *v)
{
	for (size_t i = 0; i < v->nr_items; i++) {
		js_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->text);
	*v = (struct js){ 0 };
}

/* Parses text into *v; returns NULL, or why it is not JSON (then *v is empty). */
static inline const char *js_parse(const char *text, struct js *v)
{
	struct js_parser p = { .s = text };

	*v = (struct js){ 0 };
	if (js_value(&p, v)) {
		js_skip_ws(&p);
		if (*p.s)
			js_fail(&p, "trailing characters");
	}
	if (p.error)
		js_free(v);
	return p.error;
}

/* The member named key of an object, or NULL. */
static inline const struct js *js_get(const struct js *v, const char *key)
{
	if (!v || v->type != JS_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->nr_items; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}

static inline const struct js *js_at(const struct js *v, size_t i)
{
	return v && v->type == JS_ARRAY && i < v->nr_items ? &v->items[i] : NULL;
}

/* A whole non-negative number as u64; *ok false if v is anything else. */
static inline uint64_t js_u64(const struct js *v, bool *ok)
{
	char *end;
	unsigned long long n;

	*ok = v && v->type == JS_NUMBER && isdigit((unsigned char)v->text[0]) &&
	      !strpbrk(v->text, ".eE");
	if (!*ok)
		return 0;
	n = strtoull(v->text, &end, 10);
	*ok = *end == '\0';
	return n;
}

static inline int64_t js_i64(const struct js *v, bool *ok)
{
	char *end;
	long long n;

	*ok = v && v->type == JS_NUMBER && !strpbrk(v->text, ".eE");
	if (!*ok)
		return 0;
	n = strtoll(v->text, &end, 10);
	*ok = *end == '\0';
	return n;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * libffiall.so: a plain C library, nothing of vmrpc in it but the types of
 * ffiall.idl (ffiall_types.h), served to a guest by vmrpc-hostd
 * --ffi-service ffiall.idl:libffiall.so through libffi. Each function has
 * the C signature of a generated ops entry without its ctx (docs/dynamic.md).
 * ffiall_skel.c serves the same functions through a generated skeleton, so
 * the tests can hold the two to the same answers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ffiall_lib.h"

static int32_t calls;
static char last_text[33];
static int32_t last_n;

FFIALL_API int64_t ints(int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e, uint32_t f,
			int64_t g, uint64_t h)
{
	calls++;
	return (int64_t)a + b + c + d + e + f + g + (int64_t)(h & INT64_MAX);
}

FFIALL_API int32_t flags(bool yes, enum ffiall_level lv)
{
	calls++;
	return (yes ? 100 : 0) + (int32_t)lv;
}

FFIALL_API int64_t reals(float x, double y, double *sum)
{
	calls++;
	*sum = (double)x + y;
	return (int64_t)((double)x * y);
}

FFIALL_API int32_t structs(const struct ffiall_outer *o, struct ffiall_outer *copy,
			   struct ffiall_inner *io)
{
	calls++;
	*copy = *o;
	copy->one.on = !o->one.on;
	for (int i = 0; i < 2; i++)
		copy->two[i].on = !o->two[i].on;
	copy->f = o->f * 2;
	io->small += 1;
	io->lv = FFIALL_LEVEL_HIGH;
	return o->one.small + o->two[0].small + o->two[1].small;
}

FFIALL_API int32_t arrays(const int32_t q[4], int32_t doubled[4], int32_t acc[2])
{
	calls++;
	for (int i = 0; i < 4; i++)
		doubled[i] = 2 * q[i];
	acc[0] += q[0];
	acc[1] += q[1];
	return q[0] + q[1] + q[2] + q[3];
}

FFIALL_API int32_t strings(const char *name, char *greeting, size_t greeting_size, char *word,
			   size_t word_size)
{
	calls++;
	if (greeting_size != 65 || word_size != 17)
		return -EBADMSG;
	snprintf(greeting, greeting_size, "hello, %s", name);
	for (char *p = word; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return (int32_t)strlen(name);
}

FFIALL_API int64_t bufs(const void *src, void *dst, void *io, uint32_t n)
{
	const uint8_t *s = src;
	uint8_t *d = dst, *x = io;
	int64_t sum = 0;

	calls++;
	for (uint32_t i = 0; i < n; i++) {
		d[i] = s[n - 1 - i];
		x[i] = (uint8_t)(x[i] + s[i]);
		sum += s[i];
	}
	return sum;
}

FFIALL_API int64_t readsome(void *data, uint64_t cap)
{
	uint64_t n = cap < 10 ? cap : 10;

	calls++;
	for (uint64_t i = 0; i < n; i++)
		((char *)data)[i] = (char)('a' + i);
	return (int64_t)n;
}

FFIALL_API int32_t lengths(void *data, int32_t cap, uint32_t *got)
{
	calls++;
	memset(data, 'x', (size_t)cap / 2);
	*got = (uint32_t)cap / 2;
	return 0;
}

FFIALL_API int32_t outs(bool *b, int8_t *i8, uint16_t *u16, int64_t *i64, float *f,
			enum ffiall_level *lv)
{
	calls++;
	*b = true;
	*i8 = -7;
	*u16 = 65535;
	*i64 = INT64_MIN;
	*f = 1.5f;
	*lv = FFIALL_LEVEL_MID;
	return 6;
}

FFIALL_API int32_t inouts(bool *b, int8_t *i8, uint64_t *u64, double *d, enum ffiall_level *lv)
{
	calls++;
	*b = !*b;
	*i8 = (int8_t)-*i8;
	*u64 += 1;
	*d *= 2;
	*lv = *lv == FFIALL_LEVEL_LOW ? FFIALL_LEVEL_MID : FFIALL_LEVEL_HIGH;
	return 0;
}

FFIALL_API void note(const char *text, int32_t n)
{
	calls++;
	snprintf(last_text, sizeof(last_text), "%s", text);
	last_n = n;
}

FFIALL_API int32_t last_note(char *text, size_t text_size)
{
	calls++;
	snprintf(text, text_size, "%s", last_text);
	return last_n;
}

FFIALL_API void nothing(void)
{
	calls++;
}

FFIALL_API int32_t counter(void)
{
	return calls;
}

/* Not a function: an .idl method of this name must not be served by it. */
FFIALL_API int32_t not_a_function = 5;

FFIALL_API int32_t big(const char *text, char *echo, size_t echo_size)
{
	calls++;
	snprintf(echo, echo_size, "%s", text);
	return (int32_t)strlen(text);
}

/* SPDX-License-Identifier: MIT */
/* libffiall.so's functions (ffiall_lib.c): ffiall.idl's methods. */
#ifndef FFIALL_LIB_H
#define FFIALL_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ffiall_types.h"

#define FFIALL_API __attribute__((visibility("default")))

FFIALL_API int64_t ints(int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e, uint32_t f,
			int64_t g, uint64_t h);
FFIALL_API int32_t flags(bool yes, enum ffiall_level lv);
FFIALL_API int64_t reals(float x, double y, double *sum);
FFIALL_API int32_t structs(const struct ffiall_outer *o, struct ffiall_outer *copy,
			   struct ffiall_inner *io);
FFIALL_API int32_t arrays(const int32_t q[4], int32_t doubled[4], int32_t acc[2]);
FFIALL_API int32_t strings(const char *name, char *greeting, size_t greeting_size, char *word,
			   size_t word_size);
FFIALL_API int64_t bufs(const void *src, void *dst, void *io, uint32_t n);
FFIALL_API int64_t readsome(void *data, uint64_t cap);
FFIALL_API int32_t lengths(void *data, int32_t cap, uint32_t *got);
FFIALL_API int32_t outs(bool *b, int8_t *i8, uint16_t *u16, int64_t *i64, float *f,
			enum ffiall_level *lv);
FFIALL_API int32_t inouts(bool *b, int8_t *i8, uint64_t *u64, double *d,
			  enum ffiall_level *lv);
FFIALL_API void note(const char *text, int32_t n);
FFIALL_API int32_t last_note(char *text, size_t text_size);
FFIALL_API void nothing(void);
FFIALL_API int32_t counter(void);
FFIALL_API int32_t big(const char *text, char *echo, size_t echo_size);
FFIALL_API extern int32_t not_a_function;

#endif /* FFIALL_LIB_H */

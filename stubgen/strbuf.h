/* SPDX-License-Identifier: MIT */
/* A growable string. Allocation failure is fatal, as in the arena. */
#ifndef IDL_STRBUF_H
#define IDL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct idl_buf {
	char *data; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
};

void idl_buf_init(struct idl_buf *buf);
void idl_buf_release(struct idl_buf *buf);
void idl_buf_put(struct idl_buf *buf, const char *s, size_t len);
void idl_buf_puts(struct idl_buf *buf, const char *s);
void idl_buf_putc(struct idl_buf *buf, char c);
__attribute__((format(printf, 2, 3)))
void idl_buf_printf(struct idl_buf *buf, const char *fmt, ...);
__attribute__((format(printf, 2, 0)))
void idl_buf_vprintf(struct idl_buf *buf, const char *fmt, va_list ap);
/* The contents, "" when empty. */
const char *idl_buf_str(const struct idl_buf *buf);

#endif /* IDL_STRBUF_H */

/* SPDX-License-Identifier: MIT */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void idl_buf_init(struct idl_buf *buf)
{
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
}

void idl_buf_release(struct idl_buf *buf)
{
	free(buf->data);
	idl_buf_init(buf);
}

static void buf_reserve(struct idl_buf *buf, size_t extra)
{
	size_t cap = buf->cap ? buf->cap : 256;
	char *data;

	if (buf->len + extra + 1 <= buf->cap)
		return;
	while (cap < buf->len + extra + 1)
		cap *= 2;
	data = realloc(buf->data, cap);
	if (!data) {
		fputs("vmrpc-stubgen: out of memory\n", stderr);
		exit(1);
	}
	buf->data = data;
	buf->cap = cap;
}

void idl_buf_put(struct idl_buf *buf, const char *s, size_t len)
{
	buf_reserve(buf, len);
	memcpy(buf->data + buf->len, s, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

void idl_buf_puts(struct idl_buf *buf, const char *s)
{
	idl_buf_put(buf, s, strlen(s));
}

void idl_buf_putc(struct idl_buf *buf, char c)
{
	idl_buf_put(buf, &c, 1);
}

void idl_buf_vprintf(struct idl_buf *buf, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	/* once to measure, once to write */
	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (n <= 0)
		return;
	buf_reserve(buf, (size_t)n);
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
	buf->len += (size_t)n;
}

void idl_buf_printf(struct idl_buf *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	idl_buf_vprintf(buf, fmt, ap);
	va_end(ap);
}

const char *idl_buf_str(const struct idl_buf *buf)
{
	return buf->data ? buf->data : "";
}

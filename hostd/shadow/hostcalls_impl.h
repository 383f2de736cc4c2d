/* SPDX-License-Identifier: MIT */
#ifndef HOSTD_HOSTCALLS_IMPL_H
#define HOSTD_HOSTCALLS_IMPL_H

#include "hostcalls_callee.h"

/* The host side of idl/hostcalls.idl, run in a shadow process. */
extern const struct hostcalls_ops hostcalls_impl_ops;

#endif /* HOSTD_HOSTCALLS_IMPL_H */

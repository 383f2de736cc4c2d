/* SPDX-License-Identifier: MIT */
#ifndef HOSTD_HOSTFS_IMPL_H
#define HOSTD_HOSTFS_IMPL_H

#include "hostfs_callee.h"
#include "hostnet_callee.h"
#include "hostproc_callee.h"

/* The host side of idl/hostfs.idl, idl/hostproc.idl and idl/hostnet.idl,
 * run in a shadow process (hostfs_impl.c, hostproc_impl.c, hostnet_impl.c). */
extern const struct hostfs_ops hostfs_impl_ops;
extern const struct hostproc_ops hostproc_impl_ops;
extern const struct hostnet_ops hostnet_impl_ops;

/* A dirfd argument: AT_FDCWD or a descriptor a guest may name. */
int hostfs_dirfd_ok(int dirfd);

#endif /* HOSTD_HOSTFS_IMPL_H */

/* SPDX-License-Identifier: MIT */
/*
 * Service modules: shared objects that add interfaces to what a shadow
 * process serves. vmrpc-hostd --service FILE.so loads FILE.so to publish its
 * interfaces in the registry, and every shadow loads it to serve them.
 *
 *	static const struct calc_ops ops = { .add = calc_add_impl };
 *	static const struct vmrpc_service services[] = {
 *		{ &calc_iface, calc_dispatch, &ops, NULL },
 *	};
 *	VMRPC_MODULE_EXPORT const struct vmrpc_module vmrpc_module = {
 *		VMRPC_ABI_VERSION, 1, services,
 *	};
 *
 * A module runs as the shadow's unprivileged user, once per guest caller:
 * per-caller state belongs in the module's own statics, which each shadow
 * has a private copy of.
 */
#ifndef VMRPC_MODULE_H
#define VMRPC_MODULE_H

#include "vmrpc/vmrpc.h"

#define VMRPC_MODULE_SYMBOL "vmrpc_module"
#define VMRPC_MODULE_EXPORT __attribute__((visibility("default")))

struct vmrpc_module {
	uint32_t abi_version; /* VMRPC_ABI_VERSION the module was built for */
	uint32_t n_services;
	const struct vmrpc_service *services;
};

#endif /* VMRPC_MODULE_H */

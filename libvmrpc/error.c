/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <string.h>

#include "vmrpc/vmrpc.h"

static const char *const error_text[VMRPC_ELAST - VMRPC_EBASE] = {
	[VMRPC_EMAGIC - VMRPC_EBASE] = "not a vmrpc region (bad magic or geometry)",
	[VMRPC_EABI - VMRPC_EBASE] = "vmrpc ABI version mismatch between caller and region; "
				     "rebuild against the same vmrpc",
	[VMRPC_ENOIFACE - VMRPC_EBASE] = "interface not served in this region",
	[VMRPC_ESIGNATURE - VMRPC_EBASE] = "interface version or signature differs from the "
					   "served one; regenerate the stubs from the same .idl",
	[VMRPC_ENOCHAN - VMRPC_EBASE] = "no free channel in the region",
	[VMRPC_EREFUSED - VMRPC_EBASE] = "hostd refused the attach (limit reached or not allowed)",
	[VMRPC_ENOHOSTD - VMRPC_EBASE] = "no vmrpc-hostd serves this region",
	[VMRPC_EPEERDIED - VMRPC_EBASE] = "the callee died; close the channel and open a new one",
	[VMRPC_ERESET - VMRPC_EBASE] = "the channel was reset (hostd restarted); open a new one",
	[VMRPC_ECORRUPT - VMRPC_EBASE] = "the channel was overwritten during the call; "
					 "open a new one",
	[VMRPC_E2BIG - VMRPC_EBASE] = "arguments too large for the channel",
	[VMRPC_EDENIED - VMRPC_EBASE] = "denied by policy: the callee's configuration does "
					"not allow this call (guestd.conf, or hostd's "
					"guest-callers)",
	[VMRPC_ENOGUESTD - VMRPC_EBASE] = "no guest agent (vmrpc-guestd) serves this VM",
	[VMRPC_ETIMEDOUT - VMRPC_EBASE] = "the callee did not answer within the channel's "
					  "timeout; close the channel and open a new one",
	[VMRPC_ESHADOW - VMRPC_EBASE] = "vmrpc-hostd could not start a shadow for this caller; "
					"its log says why",
};

VMRPC_API const char *vmrpc_strerror(int err)
{
	/* -INT_MIN does not fit an int: take the magnitude unsigned. */
	unsigned int e = err < 0 ? 0u - (unsigned int)err : (unsigned int)err;
	const char *s;

	if (e == 0)
		return "success";
	if (e > VMRPC_EBASE && e < VMRPC_ELAST)
		return error_text[e - VMRPC_EBASE];
	if (e > INT_MAX)
		return "unknown error";
	s = strerrordesc_np((int)e);
	return s ? s : "unknown error";
}

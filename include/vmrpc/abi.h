/* SPDX-License-Identifier: MIT */
/*
 * vmrpc shared-memory ABI: the layout of a region, byte for byte.
 *
 * Everything here is read and written by two parties that do not trust each
 * other's code: the guest side (callers of host calls, and the guest agent)
 * and the host side (vmrpc-hostd and its shadow processes). Only fixed-width
 * types, no pointers: addresses never cross, only offsets from the start of
 * the region. Every field names its writer; the other side only reads it, and
 * the host side copies what it reads before it trusts it (docs/abi.md).
 *
 * Region:  [ header 4 KiB | channel 0 | channel 1 | ... | channel n-1 ]
 * Channel: [ control | request | reply | args | results | arena ... ]
 */
#ifndef VMRPC_ABI_H
#define VMRPC_ABI_H

#ifdef __KERNEL__ /* vmrpc.ko (guestlib/driver) reads the same layout */
#include <linux/stddef.h>
#include <linux/types.h>
#else
#include <stddef.h>
#include <stdint.h>
#endif

#define VMRPC_MAGIC 0x31435052504d5676ULL /* "vVMPRPC1" little-endian */
#define VMRPC_ABI_VERSION 2u

#define VMRPC_CACHELINE 128u     /* two 64 B lines: no adjacent-line false sharing */
#define VMRPC_HDR_SIZE 4096u
#define VMRPC_REG_MAX 32u        /* registry slots */
#define VMRPC_GREG_MAX 16u       /* guest registry slots (guest-sourced interfaces) */
#define VMRPC_REG_NAME_MAX 40u   /* interface name, NUL included */
#define VMRPC_CHAN_MAX 1024u     /* hard ceiling on channels per region */
#define VMRPC_ARGS_SIZE 1024u    /* argument block: caller -> callee */
#define VMRPC_RESULTS_SIZE 512u  /* result block: callee -> caller */
#define VMRPC_CHAN_MIN_SIZE 8192u
#define VMRPC_CHAN_MAX_SIZE (64u << 20)

/* One interface the callee side serves. Written by the host when it
 * publishes the registry (hostd); read by callers when they bind. */
struct vmrpc_reg_entry {
	char name[VMRPC_REG_NAME_MAX]; /* NUL-terminated, NUL-padded */
	uint32_t version;              /* the interface's declared version */
	uint32_t n_methods;            /* valid method ids are 0..n_methods-1 */
	uint64_t sig_hash;             /* FNV-1a 64 of the canonical interface */
	uint32_t flags;                /* 0; reserved */
	uint32_t reserved;
};

/* Region header, at offset 0. Unless marked otherwise, hostd writes it once
 * when it creates (or re-adopts) the region, before it accepts attaches. */
struct vmrpc_region_hdr {
	uint64_t magic;         /* VMRPC_MAGIC, written last at creation */
	uint32_t abi_version;   /* VMRPC_ABI_VERSION */
	uint32_t hdr_size;      /* VMRPC_HDR_SIZE */
	uint64_t region_size;   /* bytes in the whole region */
	uint32_t generation;    /* hostd: +1 on every hostd start */
	uint32_t n_channels;    /* channels in the table */
	uint32_t chan_size;     /* bytes per channel, multiple of 4096 */
	uint32_t chan_off;      /* offset of channel 0 (== hdr_size) */
	uint32_t n_ifaces;      /* registry entries in use */
	uint32_t hostd_pid;     /* hostd's pid (loopback liveness; 0 in a VM) */
	uint64_t guest_boot_id[2]; /* guest agent: random id of the current boot */
	/* Guest-sourced calls (host caller, guest callee: docs/guest-sourced.md). */
	uint32_t guest_bell;    /* hostd: +1 (and a futex wake) when it offers or
				 * reclaims a guest-sourced channel; guestd sleeps on it */
	uint32_t guest_n_ifaces;/* guestd, with release after the entries:
				 * guest_registry entries in use */
	uint32_t guestd_pid;    /* guestd: its pid (diagnostics; a guest pid in a VM) */
	uint32_t reserved0;
	uint8_t pad0[VMRPC_CACHELINE - 80];
	/* hostd: registry, n_ifaces entries valid */
	struct vmrpc_reg_entry registry[VMRPC_REG_MAX];
	/* guestd: the interfaces it serves to host callers, guest_n_ifaces
	 * valid. Untrusted by every host reader, like everything else. */
	struct vmrpc_reg_entry guest_registry[VMRPC_GREG_MAX];
	uint8_t pad1[VMRPC_HDR_SIZE - VMRPC_CACHELINE - (VMRPC_REG_MAX + VMRPC_GREG_MAX) * 64];
};

/* Channel states (vmrpc_chan_ctl.state). */
enum vmrpc_chan_state {
	VMRPC_CHAN_FREE = 0,      /* hostd: nobody owns it */
	VMRPC_CHAN_CLAIMED = 1,   /* caller: CAS from FREE, then rings the doorbell */
	VMRPC_CHAN_ATTACHED = 2,  /* hostd: a callee serves it */
	VMRPC_CHAN_DETACHING = 3, /* caller: CAS from ATTACHED or DEAD, then rings */
	VMRPC_CHAN_DEAD = 4,      /* hostd: the callee died; caller must detach */
	VMRPC_CHAN_REFUSED = 5,   /* hostd: attach refused, see attach_error;
	                           * caller: CAS back to FREE after reading it */
	/* Guest-sourced channels: the caller is a host program, the callee the
	 * guest agent. hostd acts for the host caller (FREE -> OFFERED, and
	 * -> DETACHING when it goes); guestd accepts and lets go. */
	VMRPC_CHAN_OFFERED = 6,   /* hostd: CAS from FREE, a host caller waits for guestd */
	VMRPC_CHAN_SERVED = 7,    /* guestd: CAS from OFFERED, it serves the channel
	                           * (guestd: SERVED -> DEAD when a predecessor served it) */
	VMRPC_CHAN_RELEASED = 8,  /* guestd: CAS from DETACHING, it stopped serving;
	                           * hostd then frees the channel */
	/* A sibling: a second channel served by the same shadow as one the
	 * caller holds (one host context, served in parallel). */
	VMRPC_CHAN_CLAIMING = 9,  /* caller: CAS from FREE, writes owner_pid,
	                           * attach_nonce and claim_parent, then stores
	                           * CLAIMED (release): hostd never acts on a
	                           * half-written sibling claim */
};

/* Control line: ownership and lifecycle. */
struct vmrpc_chan_ctl {
	uint32_t state;        /* enum vmrpc_chan_state; writer per state above */
	uint32_t generation;   /* hostd: +1 each time the channel is freed */
	uint32_t owner_pid;    /* caller: its pid, written before CLAIMED
	                        * (guest-sourced: hostd, the host caller's pid) */
	uint32_t callee_pid;   /* hostd: the shadow's pid (loopback liveness);
	                        * guest-sourced: guestd, its pid, at SERVED */
	uint64_t attach_nonce; /* caller: random, repeated in the doorbell */
	int32_t attach_error;  /* hostd: negative error when REFUSED */
	uint32_t kind;         /* hostd: VMRPC_CHAN_KIND_*, set when it offers a
	                        * channel, 0 when it frees one */
	uint32_t handover_pid; /* hostd: the child it watches after a fork's
	                        * HANDOVER, stored with release once it does;
	                        * 0 when it next attaches the channel (not when
	                        * it frees it: a late parent still finds it) */
	uint32_t claim_parent; /* caller, while CLAIMING: 1 + the index of the
	                        * channel it holds whose shadow should serve
	                        * this one too; hostd: 0 when it frees one */
	uint8_t pad[VMRPC_CACHELINE - 40];
};

/* Typed access to the control line's words, with the memory order each
 * needs. Every side reads the other's words only through these, and copies
 * what it reads before it trusts it. */
static inline enum vmrpc_chan_state vmrpc_ctl_state(const struct vmrpc_chan_ctl *c)
{
	return (enum vmrpc_chan_state)__atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
}

/* Move the state from one value to another, atomically: 1, or 0 when the
 * state was not from (someone else moved it first). */
static inline int vmrpc_ctl_move(struct vmrpc_chan_ctl *c, enum vmrpc_chan_state from,
				 enum vmrpc_chan_state to)
{
	uint32_t expected = (uint32_t)from;

	return __atomic_compare_exchange_n(&c->state, &expected, (uint32_t)to, 0,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* Publish a state no one else may move (hostd freeing a channel). */
static inline void vmrpc_ctl_set_state(struct vmrpc_chan_ctl *c, enum vmrpc_chan_state st)
{
	__atomic_store_n(&c->state, (uint32_t)st, __ATOMIC_RELEASE);
}

static inline uint32_t vmrpc_ctl_generation(const struct vmrpc_chan_ctl *c)
{
	return __atomic_load_n(&c->generation, __ATOMIC_ACQUIRE);
}

static inline int32_t vmrpc_ctl_owner(const struct vmrpc_chan_ctl *c)
{
	return (int32_t)__atomic_load_n(&c->owner_pid, __ATOMIC_ACQUIRE);
}

static inline void vmrpc_ctl_set_owner(struct vmrpc_chan_ctl *c, int32_t pid)
{
	__atomic_store_n(&c->owner_pid, (uint32_t)pid, __ATOMIC_RELAXED);
}

static inline int32_t vmrpc_ctl_callee(const struct vmrpc_chan_ctl *c)
{
	return (int32_t)__atomic_load_n(&c->callee_pid, __ATOMIC_RELAXED);
}

static inline void vmrpc_ctl_set_callee(struct vmrpc_chan_ctl *c, int32_t pid)
{
	__atomic_store_n(&c->callee_pid, (uint32_t)pid, __ATOMIC_RELAXED);
}

static inline uint64_t vmrpc_ctl_nonce(const struct vmrpc_chan_ctl *c)
{
	return __atomic_load_n(&c->attach_nonce, __ATOMIC_ACQUIRE);
}

static inline void vmrpc_ctl_set_nonce(struct vmrpc_chan_ctl *c, uint64_t nonce)
{
	__atomic_store_n(&c->attach_nonce, nonce, __ATOMIC_RELEASE);
}

static inline int32_t vmrpc_ctl_error(const struct vmrpc_chan_ctl *c)
{
	return __atomic_load_n(&c->attach_error, __ATOMIC_RELAXED);
}

static inline void vmrpc_ctl_set_error(struct vmrpc_chan_ctl *c, int32_t err)
{
	__atomic_store_n(&c->attach_error, err, __ATOMIC_RELAXED);
}

static inline uint32_t vmrpc_ctl_kind(const struct vmrpc_chan_ctl *c)
{
	return __atomic_load_n(&c->kind, __ATOMIC_RELAXED);
}

static inline void vmrpc_ctl_set_kind(struct vmrpc_chan_ctl *c, uint32_t kind)
{
	__atomic_store_n(&c->kind, kind, __ATOMIC_RELAXED);
}

static inline int32_t vmrpc_ctl_handover(const struct vmrpc_chan_ctl *c)
{
	return (int32_t)__atomic_load_n(&c->handover_pid, __ATOMIC_ACQUIRE);
}

static inline void vmrpc_ctl_set_handover(struct vmrpc_chan_ctl *c, int32_t pid)
{
	__atomic_store_n(&c->handover_pid, (uint32_t)pid, __ATOMIC_RELEASE);
}

static inline uint32_t vmrpc_ctl_claim_parent(const struct vmrpc_chan_ctl *c)
{
	return __atomic_load_n(&c->claim_parent, __ATOMIC_ACQUIRE);
}

static inline void vmrpc_ctl_set_claim_parent(struct vmrpc_chan_ctl *c, uint32_t v)
{
	__atomic_store_n(&c->claim_parent, v, __ATOMIC_RELAXED);
}

#define VMRPC_CHAN_KIND_HOSTCALL 0u /* guest caller, host callee (a shadow) */
#define VMRPC_CHAN_KIND_GSRC 1u     /* host caller, guest callee (guestd) */

/* Request line: written only by the caller, read by the callee. The call
 * header shares the line with req_seq, so one cache-line transfer carries
 * the whole request notification. */
struct vmrpc_chan_req {
	uint32_t req_seq;       /* caller: +1 per call, stored with release */
	uint32_t caller_waiting;/* caller: 1 while it sleeps on rep_seq */
	uint32_t iface_slot;    /* caller: registry slot of the interface */
	uint32_t method;        /* caller: method id within the interface */
	uint32_t args_len;      /* caller: bytes used in the args block */
	uint32_t flags;         /* caller: VMRPC_REQ_* */
	uint32_t cancel_seq;    /* caller: the req_seq of the call it abandons (a
				 * handled signal interrupted its wait); the host
				 * side interrupts the callee's system call, which
				 * answers -EINTR (CANCEL doorbell, or vector 0) */
	uint8_t pad[VMRPC_CACHELINE - 28];
};

#define VMRPC_REQ_ONEWAY 0x1u /* no reply expected; reserved for the IDL's oneway */

/* Reply line: written only by the callee, read by the caller. */
struct vmrpc_chan_rep {
	uint32_t rep_seq;        /* callee: = req_seq of the answered call, release */
	uint32_t callee_waiting; /* callee: 1 while it sleeps on req_seq */
	int64_t status;          /* callee: method result, or -errno / -VMRPC_E* */
	uint32_t res_len;        /* callee: bytes used in the results block */
	uint32_t reserved;
	uint8_t pad[VMRPC_CACHELINE - 24];
};

/* A channel: one caller's slot. chan_size bytes; the arena fills the rest. */
struct vmrpc_chan_hdr {
	struct vmrpc_chan_ctl ctl;
	struct vmrpc_chan_req req;
	struct vmrpc_chan_rep rep;
	uint8_t pad[VMRPC_CACHELINE];          /* keeps args off the reply line's neighbour */
	uint8_t args[VMRPC_ARGS_SIZE];         /* caller writes, callee snapshots */
	uint8_t results[VMRPC_RESULTS_SIZE];   /* callee writes, caller reads */
	/* arena follows: in-data written by the caller, out-data by the callee */
};

#define VMRPC_ARENA_OFF ((uint32_t)sizeof(struct vmrpc_chan_hdr))

/* The meta call: a request whose iface_slot is VMRPC_META_SLOT asks the
 * callee about the interfaces it serves rather than calling one of them.
 * Every callee answers it (libvmrpc's serving loop), so reflection cannot
 * be turned off by accident; a callee older than it answers -EPROTO.
 *
 * VMRPC_META_TYPES, args struct vmrpc_meta_types_args: the callee copies
 * bytes [from, from + room) of the type table (vmrpc/typetab.h) of the
 * interface in its registry slot `slot` into the arena slot [off, off +
 * room), stopping at the table's end, and answers the table's whole length;
 * -ENOENT when it serves no such slot or has no table for it, -EFAULT for
 * a slot outside the arena. A caller reads a table of any size in as many
 * calls as its arena needs, and checks it (vmrpc_types_load()) like
 * anything else a peer wrote. */
#define VMRPC_META_SLOT 0xffffffffu
#define VMRPC_META_TYPES 0u

struct vmrpc_meta_types_args {
	uint32_t slot; /* the registry slot of the interface */
	uint32_t from; /* offset in the table */
	uint64_t off;  /* arena offset (from the region's start) to copy to */
	uint32_t room; /* bytes there */
	uint32_t reserved;
};

/* Loopback doorbell: one datagram on the region's unix socket
 * (<runtime dir>/<name>.sock). The kernel attaches the sender's credentials
 * (SO_PASSCRED), so hostd learns the caller's real pid and uid. */
enum vmrpc_doorbell_op {
	VMRPC_DOORBELL_ATTACH = 1, /* channel is CLAIMED: serve it */
	VMRPC_DOORBELL_DETACH = 2, /* channel is DETACHING: reclaim it */
	VMRPC_DOORBELL_GUESTD = 3, /* guestd: a channel was RELEASED, or guestd
	                            * (re)started with a boot id: look at the region */
	/* Guest fork (docs/hostcalls.md), loopback only. */
	VMRPC_DOORBELL_ATTACH_FORK = 4, /* caller: channel is CLAIMED for the child
					 * it is about to fork; the first 4 bytes of
					 * its args block name the caller's own
					 * channel, whose shadow will fork */
	VMRPC_DOORBELL_FORK_READY = 5,  /* a forked shadow (a child of hostd)
					 * offers itself for that channel */
	VMRPC_DOORBELL_HANDOVER = 6,    /* caller: the channel now belongs to its
					 * child, whose pid is in ctl.owner_pid */
	VMRPC_DOORBELL_NOCHAN = 7,      /* caller: it found no free channel (hostd
					 * logs it and reclaims stale claims);
					 * chan_index and nonce are 0 */
	VMRPC_DOORBELL_CANCEL = 8,      /* caller: it abandons its call in flight
					 * (req.cancel_seq): hostd interrupts the
					 * shadow's system call */
};

struct vmrpc_doorbell_msg {
	uint32_t op;         /* enum vmrpc_doorbell_op */
	uint32_t chan_index; /* channel the op is about */
	uint64_t nonce;      /* must equal ctl.attach_nonce */
};

/* ivshmem-doorbell: the peer id hostd takes on its ivshmem socket, and the
 * Doorbell vectors a guest rings (QEMU's ivshmem spec: the Doorbell register
 * takes peer id << 16 | vector): vector 0 when something waits in the
 * region for hostd (a claim, a detach, a cancel), 1 + i when channel i's
 * callee may sleep. QEMU needs vectors = 1 + the number of channels. */
#define VMRPC_IVSHMEM_HOST_PEER 0u
#define VMRPC_IVSHMEM_VEC_CONTROL 0u
#define VMRPC_IVSHMEM_VEC_CHAN(i) (1u + (i))

/* Guest-sourced calls: hostd's answer to a host program that connected to
 * the VM's host-caller socket (SOCK_SEQPACKET; <runtime dir>/<name>.host.sock
 * by default). With err == 0 it carries the region's fd (SCM_RIGHTS). The
 * connection stays open as long as the host caller holds the channel: when
 * it closes, hostd reclaims the channel. Host-local: never in the region. */
struct vmrpc_gsrc_reply {
	int32_t err;         /* 0, or a negative error (-VMRPC_EDENIED, -VMRPC_ENOCHAN) */
	uint32_t chan_index; /* the channel hostd offered to the guest */
	uint32_t generation; /* its ctl.generation when offered */
	uint32_t flags;      /* VMRPC_GSRC_* */
};

#define VMRPC_GSRC_VM 0x1u /* the guest is a VM: its pids are not host pids, and
			    * nothing it does wakes a host futex (poll) */
#define VMRPC_GSRC_WAKE 0x2u /* a second fd follows the region's: the eventfd that
			      * raises the channel's MSI-X vector in the guest,
			      * where guestd sleeps in vmrpc.ko; the host caller
			      * writes it after publishing when callee_waiting is 1 */

/* Looking at a region without calling: hostd's answer to whoever connects
 * to the VM's info socket (SOCK_SEQPACKET; <runtime dir>/<name>.info.sock),
 * which the vmrpc command's status, list and describe read
 * (docs/dynamic.md, "CLI"). Same policy as the host-caller socket. With
 * err == 0 it carries the region's fd, a read-only file description
 * (SCM_RIGHTS), and, with VMRPC_INFO_TABLES, a second fd: a sealed memfd
 * holding n_tables struct vmrpc_info_table followed by the type tables
 * (vmrpc/typetab.h) of the host interfaces hostd's registry lists. No
 * channel is claimed, nothing in the region is written. It names the
 * host-caller socket too, wherever the VM's configuration put it. Host-local. */
struct vmrpc_info_reply {
	int32_t err;         /* 0, or a negative error (-VMRPC_EDENIED) */
	uint32_t flags;      /* VMRPC_GSRC_VM, VMRPC_INFO_TABLES */
	uint32_t n_tables;   /* entries at the start of the tables' memfd */
	uint32_t reserved;
	char transport[32];  /* "loopback", "ivshmem-doorbell", ...: NUL-terminated */
	char host_socket[112]; /* the VM's host-caller socket (its configuration
				* may put it anywhere): NUL-terminated */
};

#define VMRPC_INFO_TABLES 0x4u /* a second fd follows: the host type tables */

struct vmrpc_info_table {
	uint32_t slot; /* the host registry slot the table describes */
	uint32_t off;  /* where it starts in the memfd */
	uint32_t len;  /* its bytes */
	uint32_t reserved;
};

/* ---- the layout, checked where it is defined -----------------------------
 * Every size and offset both sides depend on, asserted at compile time in
 * every program that includes this header: a change to the layout that is
 * not a new ABI version does not build. */
#define VMRPC_ABI_SIZE(type, size) _Static_assert(sizeof(struct type) == (size), #type)
#define VMRPC_ABI_AT(type, field, off) \
	_Static_assert(offsetof(struct type, field) == (off), #type "." #field)
#define VMRPC_ABI_FIELD(type, field, off, size)                                     \
	VMRPC_ABI_AT(type, field, off);                                              \
	_Static_assert(sizeof(((struct type *)0)->field) == (size), #type "." #field " size")

_Static_assert(VMRPC_ABI_VERSION == 2, "ABI version");
_Static_assert(VMRPC_CACHELINE == 128 && VMRPC_HDR_SIZE == 4096, "lines and header");
_Static_assert(VMRPC_REG_MAX == 32 && VMRPC_GREG_MAX == 16 && VMRPC_REG_NAME_MAX == 40,
	       "registries");
_Static_assert(VMRPC_CHAN_MAX == 1024 && VMRPC_CHAN_MIN_SIZE == 8192 &&
		       VMRPC_CHAN_MAX_SIZE == (64u << 20),
	       "channel limits");
_Static_assert(VMRPC_ARGS_SIZE == 1024 && VMRPC_RESULTS_SIZE == 512, "blocks");
_Static_assert(VMRPC_CHAN_FREE == 0 && VMRPC_CHAN_CLAIMED == 1 && VMRPC_CHAN_ATTACHED == 2 &&
		       VMRPC_CHAN_DETACHING == 3 && VMRPC_CHAN_DEAD == 4 &&
		       VMRPC_CHAN_REFUSED == 5 && VMRPC_CHAN_OFFERED == 6 &&
		       VMRPC_CHAN_SERVED == 7 && VMRPC_CHAN_RELEASED == 8 &&
		       VMRPC_CHAN_CLAIMING == 9,
	       "channel states");
_Static_assert(VMRPC_DOORBELL_ATTACH == 1 && VMRPC_DOORBELL_DETACH == 2 &&
		       VMRPC_DOORBELL_GUESTD == 3 && VMRPC_DOORBELL_ATTACH_FORK == 4 &&
		       VMRPC_DOORBELL_FORK_READY == 5 && VMRPC_DOORBELL_HANDOVER == 6 &&
		       VMRPC_DOORBELL_NOCHAN == 7 && VMRPC_DOORBELL_CANCEL == 8,
	       "doorbell ops");
_Static_assert(VMRPC_REQ_ONEWAY == 1 && VMRPC_CHAN_KIND_HOSTCALL == 0 &&
		       VMRPC_CHAN_KIND_GSRC == 1 && VMRPC_GSRC_VM == 1,
	       "flags and kinds");

VMRPC_ABI_SIZE(vmrpc_reg_entry, 64);
VMRPC_ABI_FIELD(vmrpc_reg_entry, name, 0, VMRPC_REG_NAME_MAX);
VMRPC_ABI_FIELD(vmrpc_reg_entry, version, 40, 4);
VMRPC_ABI_FIELD(vmrpc_reg_entry, n_methods, 44, 4);
VMRPC_ABI_FIELD(vmrpc_reg_entry, sig_hash, 48, 8);
VMRPC_ABI_FIELD(vmrpc_reg_entry, flags, 56, 4);
VMRPC_ABI_FIELD(vmrpc_reg_entry, reserved, 60, 4);

VMRPC_ABI_SIZE(vmrpc_region_hdr, VMRPC_HDR_SIZE);
VMRPC_ABI_FIELD(vmrpc_region_hdr, magic, 0, 8);
VMRPC_ABI_FIELD(vmrpc_region_hdr, abi_version, 8, 4);
VMRPC_ABI_FIELD(vmrpc_region_hdr, hdr_size, 12, 4);
VMRPC_ABI_FIELD(vmrpc_region_hdr, region_size, 16, 8);
VMRPC_ABI_FIELD(vmrpc_region_hdr, generation, 24, 4);
VMRPC_ABI_FIELD(vmrpc_region_hdr, n_channels, 28, 4);
VMRPC_ABI_FIELD(vmrpc_region_hdr, chan_size, 32, 4);
VMRPC_ABI_FIELD(vmrpc_region_hdr, chan_off, 36, 4);
VMRPC_ABI_FIELD(vmrpc_region_hdr, n_ifaces, 40, 4);
VMRPC_ABI_FIELD(vmrpc_region_hdr, hostd_pid, 44, 4);
VMRPC_ABI_FIELD(vmrpc_region_hdr, guest_boot_id, 48, 16);
VMRPC_ABI_FIELD(vmrpc_region_hdr, guest_bell, 64, 4);
VMRPC_ABI_FIELD(vmrpc_region_hdr, guest_n_ifaces, 68, 4);
VMRPC_ABI_FIELD(vmrpc_region_hdr, guestd_pid, 72, 4);
VMRPC_ABI_FIELD(vmrpc_region_hdr, reserved0, 76, 4);
VMRPC_ABI_FIELD(vmrpc_region_hdr, registry, VMRPC_CACHELINE, VMRPC_REG_MAX * 64);
VMRPC_ABI_FIELD(vmrpc_region_hdr, guest_registry, VMRPC_CACHELINE + VMRPC_REG_MAX * 64,
		VMRPC_GREG_MAX * 64);
VMRPC_ABI_AT(vmrpc_region_hdr, pad1, VMRPC_CACHELINE + (VMRPC_REG_MAX + VMRPC_GREG_MAX) * 64);

VMRPC_ABI_SIZE(vmrpc_chan_ctl, VMRPC_CACHELINE);
VMRPC_ABI_FIELD(vmrpc_chan_ctl, state, 0, 4);
VMRPC_ABI_FIELD(vmrpc_chan_ctl, generation, 4, 4);
VMRPC_ABI_FIELD(vmrpc_chan_ctl, owner_pid, 8, 4);
VMRPC_ABI_FIELD(vmrpc_chan_ctl, callee_pid, 12, 4);
VMRPC_ABI_FIELD(vmrpc_chan_ctl, attach_nonce, 16, 8);
VMRPC_ABI_FIELD(vmrpc_chan_ctl, attach_error, 24, 4);
VMRPC_ABI_FIELD(vmrpc_chan_ctl, kind, 28, 4);
VMRPC_ABI_FIELD(vmrpc_chan_ctl, handover_pid, 32, 4);
VMRPC_ABI_FIELD(vmrpc_chan_ctl, claim_parent, 36, 4);

VMRPC_ABI_SIZE(vmrpc_chan_req, VMRPC_CACHELINE);
VMRPC_ABI_FIELD(vmrpc_chan_req, req_seq, 0, 4);
VMRPC_ABI_FIELD(vmrpc_chan_req, caller_waiting, 4, 4);
VMRPC_ABI_FIELD(vmrpc_chan_req, iface_slot, 8, 4);
VMRPC_ABI_FIELD(vmrpc_chan_req, method, 12, 4);
VMRPC_ABI_FIELD(vmrpc_chan_req, args_len, 16, 4);
VMRPC_ABI_FIELD(vmrpc_chan_req, flags, 20, 4);
VMRPC_ABI_FIELD(vmrpc_chan_req, cancel_seq, 24, 4);

VMRPC_ABI_SIZE(vmrpc_chan_rep, VMRPC_CACHELINE);
VMRPC_ABI_FIELD(vmrpc_chan_rep, rep_seq, 0, 4);
VMRPC_ABI_FIELD(vmrpc_chan_rep, callee_waiting, 4, 4);
VMRPC_ABI_FIELD(vmrpc_chan_rep, status, 8, 8);
VMRPC_ABI_FIELD(vmrpc_chan_rep, res_len, 16, 4);
VMRPC_ABI_FIELD(vmrpc_chan_rep, reserved, 20, 4);

/* Each of the three lines the two sides write owns a whole 128-byte line
 * pair: the control line (host and caller), the request line (caller) and
 * the reply line (callee) never share one, and a full line of padding
 * keeps the args block off the reply line's adjacent-line prefetch. */
VMRPC_ABI_SIZE(vmrpc_chan_hdr, 2048);
VMRPC_ABI_AT(vmrpc_chan_hdr, ctl, 0);
VMRPC_ABI_AT(vmrpc_chan_hdr, req, VMRPC_CACHELINE);
VMRPC_ABI_AT(vmrpc_chan_hdr, rep, 2 * VMRPC_CACHELINE);
VMRPC_ABI_AT(vmrpc_chan_hdr, pad, 3 * VMRPC_CACHELINE);
VMRPC_ABI_FIELD(vmrpc_chan_hdr, args, 4 * VMRPC_CACHELINE, VMRPC_ARGS_SIZE);
VMRPC_ABI_FIELD(vmrpc_chan_hdr, results, 4 * VMRPC_CACHELINE + VMRPC_ARGS_SIZE,
		VMRPC_RESULTS_SIZE);
_Static_assert(VMRPC_ARENA_OFF == 2048 && VMRPC_ARENA_OFF % VMRPC_CACHELINE == 0,
	       "the arena starts on a line after the results");
_Static_assert(VMRPC_CHAN_MIN_SIZE > VMRPC_ARENA_OFF, "the smallest channel has an arena");

VMRPC_ABI_SIZE(vmrpc_meta_types_args, 24);
VMRPC_ABI_FIELD(vmrpc_meta_types_args, slot, 0, 4);
VMRPC_ABI_FIELD(vmrpc_meta_types_args, from, 4, 4);
VMRPC_ABI_FIELD(vmrpc_meta_types_args, off, 8, 8);
VMRPC_ABI_FIELD(vmrpc_meta_types_args, room, 16, 4);
_Static_assert(VMRPC_META_SLOT == 0xffffffffu && VMRPC_META_TYPES == 0, "meta call");

VMRPC_ABI_SIZE(vmrpc_doorbell_msg, 16);
VMRPC_ABI_FIELD(vmrpc_doorbell_msg, op, 0, 4);
VMRPC_ABI_FIELD(vmrpc_doorbell_msg, chan_index, 4, 4);
VMRPC_ABI_FIELD(vmrpc_doorbell_msg, nonce, 8, 8);

VMRPC_ABI_SIZE(vmrpc_gsrc_reply, 16);
VMRPC_ABI_FIELD(vmrpc_gsrc_reply, err, 0, 4);
VMRPC_ABI_FIELD(vmrpc_gsrc_reply, chan_index, 4, 4);
VMRPC_ABI_FIELD(vmrpc_gsrc_reply, generation, 8, 4);
VMRPC_ABI_FIELD(vmrpc_gsrc_reply, flags, 12, 4);

VMRPC_ABI_SIZE(vmrpc_info_reply, 160);
VMRPC_ABI_FIELD(vmrpc_info_reply, err, 0, 4);
VMRPC_ABI_FIELD(vmrpc_info_reply, flags, 4, 4);
VMRPC_ABI_FIELD(vmrpc_info_reply, n_tables, 8, 4);
VMRPC_ABI_FIELD(vmrpc_info_reply, transport, 16, 32);
VMRPC_ABI_FIELD(vmrpc_info_reply, host_socket, 48, 112);
VMRPC_ABI_SIZE(vmrpc_info_table, 16);
_Static_assert(VMRPC_INFO_TABLES == 4 && (VMRPC_INFO_TABLES & (VMRPC_GSRC_VM | VMRPC_GSRC_WAKE)) == 0,
	       "info flags");

#endif /* VMRPC_ABI_H */

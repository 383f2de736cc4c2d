/* SPDX-License-Identifier: MIT */
/*
 * A region seen from outside, by `vmrpc status` and `list` (and the
 * guest's `vmrpc-guest`): a private copy of its header and of each
 * channel's words, checked against the mapping's size. Whoever writes the
 * region (a guest, guestd, a caller) may write anything there at any time:
 * every word is copied once, every count clamped, every name cut at its
 * field's end and shown only as printable text. No word is written.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void copy_iface(struct cli_iface *to, const struct vmrpc_reg_entry *from)
{
	struct vmrpc_reg_entry e;
	size_t i;

	memcpy(&e, from, sizeof(e));
	for (i = 0; i < sizeof(e.name) - 1 && e.name[i]; i++)
		to->name[i] = e.name[i] > ' ' && e.name[i] < 0x7f ? e.name[i] : '?';
	to->name[i] = '\0';
	to->version = e.version;
	to->n_methods = e.n_methods;
	to->sig_hash = e.sig_hash;
}

/* Whether [p, p + len) lies in one readable mapping of a device's memory:
 * a PCI BAR through sysfs (a guest without vmrpc.ko) or a vmrpc.ko device.
 * The kernel cannot copy from those (process_vm_readv is -EFAULT on VM_IO
 * and VM_PFNMAP mappings), and a plain read of them cannot fault: a BAR is
 * not a file to be cut short. A hole vmrpc.ko leaves (another process's
 * channel) is an anonymous PROT_NONE mapping, not the device. */
static bool device_memory(const void *p, size_t len)
{
	unsigned long lo, hi, a = (unsigned long)p;
	char line[512], perms[8], path[256];
	bool ok = false;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		path[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi, perms, path) < 3 ||
		    a < lo || a >= hi)
			continue;
		ok = perms[0] == 'r' && len <= hi - a &&
		     (!strncmp(path, "/sys/", 5) || !strncmp(path, "/dev/vmrpc", 10));
		break;
	}
	fclose(f);
	return ok;
}

/* Copy a channel's first lines, or -EFAULT where nothing readable is
 * mapped (a guest's view through vmrpc.ko maps other processes' channels
 * PROT_NONE): the kernel copies, so a hole is an error, not a SIGSEGV.
 * A device's memory, which the kernel will not copy, is read directly. */
static int copy_lines(void *to, const void *from, size_t len)
{
	struct iovec local = { .iov_base = to, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)from, .iov_len = len };

	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)len)
		return 0;
	if (!device_memory(from, len))
		return -EFAULT;
	memcpy(to, from, len);
	return 0;
}

int cli_region_read(const void *base, size_t size, const char *vm, struct cli_region *ret)
{
	struct vmrpc_region_hdr h;
	struct cli_region r = { 0 };

	if (size < sizeof(h))
		return -VMRPC_EMAGIC;
	/* Through the kernel too: a region file cut short under its mapping
	 * (ivshmem-plain's is a file) is an error here, not a SIGBUS. */
	if (copy_lines(&h, base, sizeof(h)) < 0)
		return -EFAULT;
	if (h.magic != VMRPC_MAGIC)
		return -VMRPC_EMAGIC;
	if (h.abi_version != VMRPC_ABI_VERSION)
		return -VMRPC_EABI;
	/* The geometry must fit what is mapped, whatever the header says. */
	if (h.hdr_size != VMRPC_HDR_SIZE || h.chan_off != VMRPC_HDR_SIZE || h.n_channels == 0 ||
	    h.n_channels > VMRPC_CHAN_MAX || h.chan_size < VMRPC_CHAN_MIN_SIZE ||
	    h.chan_size > VMRPC_CHAN_MAX_SIZE || h.chan_size % 4096 ||
	    (uint64_t)VMRPC_HDR_SIZE + (uint64_t)h.n_channels * h.chan_size > size)
		return -VMRPC_EMAGIC;
	snprintf(r.vm, sizeof(r.vm), "%s", vm ? vm : "");
	r.generation = h.generation;
	r.n_channels = h.n_channels;
	r.chan_size = h.chan_size;
	r.region_size = h.region_size;
	r.hostd_pid = (int32_t)h.hostd_pid;
	r.guestd_pid = (int32_t)h.guestd_pid;
	memcpy(r.boot_id, h.guest_boot_id, sizeof(r.boot_id));
	r.n_host = h.n_ifaces < VMRPC_REG_MAX ? h.n_ifaces : VMRPC_REG_MAX;
	r.n_guest = h.guest_n_ifaces < VMRPC_GREG_MAX ? h.guest_n_ifaces : VMRPC_GREG_MAX;
	for (uint32_t i = 0; i < r.n_host; i++)
		copy_iface(&r.host[i], &h.registry[i]);
	for (uint32_t i = 0; i < r.n_guest; i++)
		copy_iface(&r.guest[i], &h.guest_registry[i]);
	r.chans = calloc(r.n_channels, sizeof(*r.chans));
	if (!r.chans)
		return -ENOMEM;
	for (uint32_t i = 0; i < r.n_channels; i++) {
		const struct vmrpc_chan_hdr *ch =
			(const void *)((const char *)base + VMRPC_HDR_SIZE + (size_t)i * r.chan_size);
		struct {
			struct vmrpc_chan_ctl ctl;
			struct vmrpc_chan_req req;
			struct vmrpc_chan_rep rep;
		} w;
		struct cli_chan *c = &r.chans[r.n_used];

		if (copy_lines(&w, ch, sizeof(w)) < 0) {
			/* not mapped here: vmrpc.ko gives each guest process its
			 * own channels only */
			r.chans_hidden = true;
			r.n_used = 0;
			break;
		}
		if (w.ctl.state == VMRPC_CHAN_FREE)
			continue;
		*c = (struct cli_chan){
			.index = i,
			.state = w.ctl.state,
			.kind = w.ctl.kind,
			.generation = w.ctl.generation,
			.owner_pid = (int32_t)w.ctl.owner_pid,
			.callee_pid = (int32_t)w.ctl.callee_pid,
			.req_seq = w.req.req_seq,
			.rep_seq = w.rep.rep_seq,
			.iface_slot = w.req.iface_slot,
			.method = w.req.method,
		};
		r.n_used++;
	}
	*ret = r;
	return 0;
}

void cli_region_free(struct cli_region *r)
{
	if (r) {
		free(r->chans);
		r->chans = NULL;
	}
}

const char *cli_chan_state_name(uint32_t state)
{
	static const char *const names[] = {
		[VMRPC_CHAN_FREE] = "free",           [VMRPC_CHAN_CLAIMED] = "claimed",
		[VMRPC_CHAN_ATTACHED] = "attached",   [VMRPC_CHAN_DETACHING] = "detaching",
		[VMRPC_CHAN_DEAD] = "dead",           [VMRPC_CHAN_REFUSED] = "refused",
		[VMRPC_CHAN_OFFERED] = "offered",     [VMRPC_CHAN_SERVED] = "served",
		[VMRPC_CHAN_RELEASED] = "released",   [VMRPC_CHAN_CLAIMING] = "claiming",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

static const char *chan_kind_name(uint32_t kind)
{
	return kind == VMRPC_CHAN_KIND_HOSTCALL ? "host-call"
	       : kind == VMRPC_CHAN_KIND_GSRC   ? "guest-sourced"
						: "unknown";
}

/* The interface a channel's last request named, in the registry of its
 * callee's side; NULL when the slot is not one. */
static const char *chan_iface(const struct cli_region *r, const struct cli_chan *c)
{
	if (c->kind == VMRPC_CHAN_KIND_GSRC)
		return c->iface_slot < r->n_guest ? r->guest[c->iface_slot].name : NULL;
	return c->iface_slot < r->n_host ? r->host[c->iface_slot].name : NULL;
}

/* guestd clears its pid when it stops; one killed leaves it, which on
 * loopback (a pid of ours) the kernel tells. */
static bool guestd_there(const struct cli_region *r)
{
	if (r->guestd_pid <= 0 || !(r->boot_id[0] || r->boot_id[1]))
		return false;
	return r->vm_guest || kill(r->guestd_pid, 0) == 0 || errno == EPERM;
}

void cli_list_text(FILE *f, const struct cli_region *r)
{
	const char *sep = r->vm[0] ? "/" : "";

	for (uint32_t i = 0; i < r->n_host; i++)
		fprintf(f, "%s%shost/%s\n", r->vm, sep, r->host[i].name);
	for (uint32_t i = 0; i < r->n_guest; i++)
		fprintf(f, "%s%sguest/%s\n", r->vm, sep, r->guest[i].name);
}

static json_t *iface_json(const struct cli_region *r, const char *side, uint32_t slot,
			  const struct cli_iface *e)
{
	char path[200], hash[24];

	snprintf(path, sizeof(path), "%s%s%s/%s", r->vm, r->vm[0] ? "/" : "", side, e->name);
	snprintf(hash, sizeof(hash), "0x%016" PRIx64, e->sig_hash);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "path", path, "vm", r->vm,
			 "side", side, "name", e->name, "slot", (json_int_t)slot, "version",
			 (json_int_t)e->version, "n_methods", (json_int_t)e->n_methods,
			 "sig_hash", hash);
}

void cli_list_json(json_t *arr, const struct cli_region *r)
{
	for (uint32_t i = 0; i < r->n_host; i++)
		json_array_append_new(arr, iface_json(r, "host", i, &r->host[i]));
	for (uint32_t i = 0; i < r->n_guest; i++)
		json_array_append_new(arr, iface_json(r, "guest", i, &r->guest[i]));
}

static void boot_id_hex(const struct cli_region *r, char *buf, size_t size)
{
	snprintf(buf, size, "%016" PRIx64 "%016" PRIx64, r->boot_id[0], r->boot_id[1]);
}

void cli_status_text(FILE *f, const struct cli_region *r)
{
	char boot[40];

	boot_id_hex(r, boot, sizeof(boot));
	fprintf(f, "%s: %s%s%s%u channels of %u KiB, %u in use, generation %u\n", r->vm,
		r->transport, r->vm_guest ? " (a VM)" : "", r->transport[0] ? ", " : "",
		r->n_channels, r->chan_size >> 10, r->n_used, r->generation);
	if (r->hostd_pid > 0)
		fprintf(f, "  hostd: pid %d\n", r->hostd_pid);
	if (guestd_there(r))
		fprintf(f, "  guestd: pid %d%s, boot %s\n", r->guestd_pid,
			r->vm_guest ? " (in the guest)" : "", boot);
	else
		fprintf(f, "  guestd: not running\n");
	fprintf(f, "  host interfaces: %u, guest interfaces: %u\n", r->n_host, r->n_guest);
	if (r->chans_hidden)
		fprintf(f, "  channels: only this process's are mapped here (vmrpc.ko)\n");
	if (!r->n_used)
		return;
	fprintf(f, "  %5s  %-9s  %-13s  %7s  %7s  %10s  %s\n", "CHAN", "STATE", "KIND", "CALLER",
		"CALLEE", "CALLS", "LAST INTERFACE");
	for (uint32_t k = 0; k < r->n_used; k++) {
		const struct cli_chan *c = &r->chans[k];
		const char *iface = c->req_seq ? chan_iface(r, c) : NULL;

		fprintf(f, "  %5u  %-9s  %-13s  %7d  %7d  %10u  %s\n", c->index,
			cli_chan_state_name(c->state), chan_kind_name(c->kind), c->owner_pid,
			c->callee_pid, c->req_seq, iface ? iface : "-");
	}
}

json_t *cli_status_json(const struct cli_region *r)
{
	json_t *chans = json_array(), *guestd, *root;
	char boot[40];

	boot_id_hex(r, boot, sizeof(boot));
	for (uint32_t k = 0; k < r->n_used; k++) {
		const struct cli_chan *c = &r->chans[k];
		const char *iface = c->req_seq ? chan_iface(r, c) : NULL;

		json_array_append_new(
			chans, json_pack("{s:I, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:o}",
					 "index", (json_int_t)c->index, "state",
					 cli_chan_state_name(c->state), "state_value",
					 (json_int_t)c->state, "kind", chan_kind_name(c->kind),
					 "caller_pid", (json_int_t)c->owner_pid, "callee_pid",
					 (json_int_t)c->callee_pid, "calls", (json_int_t)c->req_seq,
					 "replies", (json_int_t)c->rep_seq, "generation",
					 (json_int_t)c->generation, "last_interface",
					 iface ? json_string(iface) : json_null()));
	}
	guestd = json_pack("{s:b, s:I, s:s}", "running", guestd_there(r), "pid",
			   (json_int_t)r->guestd_pid, "boot_id", boot);
	root = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:o}",
			 "vm", r->vm, "transport", r->transport, "vm_guest", r->vm_guest,
			 "generation", (json_int_t)r->generation, "n_channels",
			 (json_int_t)r->n_channels, "chan_size", (json_int_t)r->chan_size,
			 "region_size", (json_int_t)r->region_size, "channels_in_use",
			 (json_int_t)r->n_used, "hostd_pid", (json_int_t)r->hostd_pid, "guestd",
			 guestd, "host_interfaces", (json_int_t)r->n_host, "guest_interfaces",
			 (json_int_t)r->n_guest, "channels", r->chans_hidden ? json_null() : chans);
	if (r->chans_hidden)
		json_decref(chans);
	return root;
}

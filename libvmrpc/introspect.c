/* SPDX-License-Identifier: MIT */
/* What a channel's callee serves: its registry, and the type tables it
 * gives with the meta call (abi.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "sync.h"
#include "vmrpc/dynamic.h"

static const struct vmrpc_reg_entry *chan_registry_table(struct vmrpc_chan *ch, uint32_t *ret_n)
{
	const struct vmrpc_region_hdr *h = vmrpc_region_hdr(ch->region);
	uint32_t max = ch->gsrc ? VMRPC_GREG_MAX : VMRPC_REG_MAX;
	uint32_t n = sync_load_acquire(ch->gsrc ? &h->guest_n_ifaces : &h->n_ifaces);

	*ret_n = n > max ? max : n;
	return ch->gsrc ? h->guest_registry : h->registry;
}

VMRPC_API int vmrpc_chan_registry(struct vmrpc_chan *ch, struct vmrpc_reg_entry *ret_entries,
				  uint32_t max)
{
	uint32_t n;
	const struct vmrpc_reg_entry *table = chan_registry_table(ch, &n);

	/* The guest registry is the guest's to rewrite: copies, each name
	 * terminated, whatever it holds. */
	for (uint32_t i = 0; i < n && i < max; i++) {
		memcpy(&ret_entries[i], &table[i], sizeof(ret_entries[i]));
		ret_entries[i].name[VMRPC_REG_NAME_MAX - 1] = '\0';
	}
	return (int)n;
}

/* One meta call: bytes [from, from + room) of slot's table into the
 * arena; the table's whole length. */
static int64_t meta_types_call(struct vmrpc_chan *ch, uint32_t slot, uint32_t from,
			       uint64_t off, uint32_t room)
{
	struct vmrpc_meta_types_args a = { .slot = slot, .from = from, .off = off, .room = room };
	int err = chan_drain(ch);

	if (err < 0)
		return err;
	memcpy(ch->hdr->args, &a, sizeof(a));
	return chan_call(ch, VMRPC_META_SLOT, VMRPC_META_TYPES, sizeof(a));
}

/* The table matches what the registry says of slot. */
static int types_match_entry(const struct vmrpc_types *t, const struct vmrpc_reg_entry *e)
{
	const struct vmrpc_tt_hdr *h = t->hdr;

	if (strcmp(vmrpc_types_str(t, h->name), e->name) || h->iface_version != e->version ||
	    h->n_ids != e->n_methods || h->sig_hash != e->sig_hash)
		return -EPROTO;
	return 0;
}

VMRPC_API int vmrpc_chan_types(struct vmrpc_chan *ch, uint32_t slot,
			       struct vmrpc_types **ret_types)
{
	struct vmrpc_reg_entry entry;
	struct vmrpc_types *t;
	const struct vmrpc_reg_entry *table;
	uint64_t room = ch->user_lo - ch->arena.start; /* kept buffers sit above */
	uint32_t n, len = 0, got = 0;
	uint8_t *buf = NULL;
	int err;

	table = chan_registry_table(ch, &n);
	if (slot >= n)
		return -ENOENT;
	memcpy(&entry, &table[slot], sizeof(entry));
	entry.name[VMRPC_REG_NAME_MAX - 1] = '\0';
	if (room > VMRPC_TT_MAX_SIZE)
		room = VMRPC_TT_MAX_SIZE;
	if (room == 0)
		return -VMRPC_E2BIG;
	do {
		int64_t total = meta_types_call(ch, slot, got, ch->arena.start, (uint32_t)room);
		uint32_t piece;

		if (total < 0) {
			err = (int)total;
			goto out;
		}
		if (total > VMRPC_TT_MAX_SIZE || (buf && total != len)) {
			err = -EPROTO; /* too large, or it changed between pieces */
			goto out;
		}
		if (!buf) {
			len = (uint32_t)total;
			buf = malloc(len ? len : 1);
			if (!buf) {
				err = -ENOMEM;
				goto out;
			}
		}
		piece = len - got < room ? len - got : (uint32_t)room;
		memcpy(buf + got, region_off_to_ptr(&ch->arena, ch->arena.start), piece);
		got += piece;
	} while (got < len);
	err = vmrpc_types_load(buf, len, NULL, 0, &t);
	if (err < 0)
		goto out;
	err = types_match_entry(t, &entry);
	if (err < 0) {
		vmrpc_types_free(t);
		goto out;
	}
	*ret_types = t;
out:
	free(buf);
	return err;
}

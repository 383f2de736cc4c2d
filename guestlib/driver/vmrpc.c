// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * vmrpc.ko: the guest driver for vmrpc's ivshmem devices (vmrpc(4),
 * include/vmrpc/dev.h for the interface, docs/security.md for what it
 * isolates).
 *
 * It binds an ivshmem device (1af4:1110) only if its shared memory (BAR2)
 * starts with a vmrpc region header of a supported ABI version, and then
 * gives each open file of /dev/vmrpcN at most one channel of its own: the
 * header read-only and that channel read-write are all a caller can map.
 * It takes the device's MSI-X vectors, one per channel plus hostd's control
 * vector (abi.h: VMRPC_IVSHMEM_VEC_*), so a caller sleeps until the host
 * raises its channel's vector instead of polling; and it gives a channel
 * back when its owner goes, which hostd cannot see.
 *
 * The region is shared with a host that trusts nothing of ours, and we
 * trust nothing of its either: the geometry is checked once at probe and
 * only private copies are used after it; state words are only ever
 * compare-and-swapped from values we expect; a word a caller waits on is
 * compared, never used as an index. Whatever the host or another guest
 * process writes into the region, the worst it gets is a wrong answer for
 * that channel.
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/wait.h>

#include "vmrpc/abi.h"
#include "vmrpc/dev.h"

#define VMRPC_MINORS 16
#define IVSHMEM_BAR_REGS 0
#define IVSHMEM_BAR_SHM 2
#define IVSHMEM_REGS_SIZE 256
#define IVSHMEM_REG_IVPOSITION 8
#define IVSHMEM_REG_DOORBELL 12

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define vmrpc_vm_flags_set(vma, f) vm_flags_set(vma, f)
#define vmrpc_vm_flags_clear(vma, f) vm_flags_clear(vma, f)
#else
#define vmrpc_vm_flags_set(vma, f) ((vma)->vm_flags |= (f))
#define vmrpc_vm_flags_clear(vma, f) ((vma)->vm_flags &= ~(f))
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define vmrpc_class_create(name) class_create(name)
#else
#define vmrpc_class_create(name) class_create(THIS_MODULE, name)
#endif

struct vmrpc_file;

/* What the kernel keeps per channel: its sleepers and who holds it. */
struct vmrpc_kchan {
	wait_queue_head_t wq;
	atomic_t events;           /* vector interrupts not yet read() */
	atomic_t kicked;           /* the agent's VMRPC_DEV_KICK, until a wait takes it */
	struct vmrpc_file *holder; /* under dev->files_lock */
	char irq_name[32];
};

struct vmrpc_dev {
	struct kref ref;
	struct pci_dev *pdev;
	/* Readers: every file operation that touches the device; the writer:
	 * remove, which sets gone first and wakes every sleeper, so a reader
	 * asleep in a wait lets go at once. */
	struct rw_semaphore lock;
	bool gone;
	void __iomem *regs;
	/* BAR2, ioremap()ed: UC-, the same memory type a sysfs resource2
	 * mapping gets, so x86 PAT never finds two types for one range. It is
	 * RAM on the host side (QEMU maps hostd's memfd): plain loads, stores
	 * and locked compare-and-swap work on it. */
	u8 *shm;
	resource_size_t shm_phys, shm_len;
	/* Private copies of the header's geometry, checked at probe. */
	u32 n_channels, chan_size;
	u32 n_vectors; /* 1 + n_channels, or 0 without MSI-X (ivshmem-plain) */
	int minor;
	struct cdev *cdev;
	struct device *node;
	struct vmrpc_kchan ctl; /* vector 0: the header's sleepers (guest_bell) */
	struct vmrpc_kchan *chan;
	struct mutex files_lock; /* the list, and each channel's holder */
	struct list_head files;
	/* Page faults on mappings (readers) against remove (the writer), so
	 * that no page of the device is mapped once remove has zapped them. */
	struct rw_semaphore map_lock;
};

struct vmrpc_file {
	struct vmrpc_dev *dev;
	struct list_head node;
	struct file *filp;
	int index;         /* the channel this file holds, or -1 */
	struct pid *owner; /* the process (thread group) that claimed it */
	bool agent;
};

static dev_t vmrpc_devt;
static struct class *vmrpc_class;
static DEFINE_MUTEX(vmrpc_minors_lock);
static DEFINE_IDR(vmrpc_minors);

/* ---- the region ------------------------------------------------------ */

static u64 vmrpc_chan_off(const struct vmrpc_dev *d, u32 i)
{
	return (u64)VMRPC_HDR_SIZE + (u64)i * d->chan_size;
}

static struct vmrpc_chan_ctl *vmrpc_ctl(struct vmrpc_dev *d, u32 i)
{
	return (struct vmrpc_chan_ctl *)(d->shm + vmrpc_chan_off(d, i));
}

/* Tell hostd to look at the region (it compares every state word with its
 * own record). hostd is ivshmem peer 0: the Doorbell value is the vector. */
static void vmrpc_ring(struct vmrpc_dev *d, u32 vector)
{
	iowrite32(VMRPC_IVSHMEM_HOST_PEER << 16 | (vector & 0xffff),
		  d->regs + IVSHMEM_REG_DOORBELL);
}

/* Read the header once, check it against the BAR, keep the geometry. */
static int vmrpc_check_region(struct vmrpc_dev *d)
{
	struct device *dev = &d->pdev->dev;
	u64 magic = readq(d->shm + offsetof(struct vmrpc_region_hdr, magic));
	u32 abi = readl(d->shm + offsetof(struct vmrpc_region_hdr, abi_version));
	u32 hdr_size = readl(d->shm + offsetof(struct vmrpc_region_hdr, hdr_size));
	u64 size = readq(d->shm + offsetof(struct vmrpc_region_hdr, region_size));
	u32 n = readl(d->shm + offsetof(struct vmrpc_region_hdr, n_channels));
	u32 cs = readl(d->shm + offsetof(struct vmrpc_region_hdr, chan_size));
	u32 off = readl(d->shm + offsetof(struct vmrpc_region_hdr, chan_off));

	if (magic != VMRPC_MAGIC) {
		dev_info(dev, "shared memory holds no vmrpc region: left to other drivers\n");
		return -ENODEV;
	}
	if (abi != VMRPC_ABI_VERSION) {
		dev_warn(dev, "vmrpc region of ABI version %u; this driver speaks %u\n", abi,
			 VMRPC_ABI_VERSION);
		return -ENODEV;
	}
	if (hdr_size != VMRPC_HDR_SIZE || off != VMRPC_HDR_SIZE || size != d->shm_len ||
	    n == 0 || n > VMRPC_CHAN_MAX || cs < VMRPC_CHAN_MIN_SIZE ||
	    cs > VMRPC_CHAN_MAX_SIZE || cs % PAGE_SIZE ||
	    (u64)VMRPC_HDR_SIZE + (u64)n * cs > d->shm_len) {
		dev_warn(dev, "vmrpc region with a bad geometry (%u channels of %u bytes, "
			 "region %llu bytes, BAR2 %llu bytes): not bound\n", n, cs, size,
			 (unsigned long long)d->shm_len);
		return -ENODEV;
	}
	d->n_channels = n;
	d->chan_size = cs;
	return 0;
}

/* ---- interrupts ------------------------------------------------------ */

/* One vector per channel, so a wake-up is that channel's alone: nothing to
 * demultiplex, nobody else woken (Jailhouse's uio_ivshmem has one notifier
 * for all vectors, and every user wakes for everyone's interrupts). */
static irqreturn_t vmrpc_irq(int irq, void *arg)
{
	struct vmrpc_kchan *kc = arg;

	atomic_inc(&kc->events);
	wake_up_all(&kc->wq);
	return IRQ_HANDLED;
}

static struct vmrpc_kchan *vmrpc_vector_chan(struct vmrpc_dev *d, u32 v)
{
	return v == VMRPC_IVSHMEM_VEC_CONTROL ? &d->ctl : &d->chan[v - 1];
}

static void vmrpc_free_irqs(struct vmrpc_dev *d, u32 n)
{
	for (u32 v = 0; v < n; v++)
		free_irq(pci_irq_vector(d->pdev, v), vmrpc_vector_chan(d, v));
	if (d->n_vectors)
		pci_free_irq_vectors(d->pdev);
	d->n_vectors = 0;
}

/* All vectors or none: QEMU's ivshmem-doorbell has them (vectors = channels
 * + 1); ivshmem-plain has no MSI-X at all, and a doorbell device with too
 * few vectors is run without them (callers poll) rather than half. */
static void vmrpc_setup_irqs(struct vmrpc_dev *d)
{
	u32 want = d->n_channels + 1, v;
	int n, err;

	if (!d->pdev->msix_cap) /* ivshmem-plain: the probe's message says so */
		return;
	n = pci_alloc_irq_vectors(d->pdev, want, want, PCI_IRQ_MSIX);
	if (n < 0) {
		dev_info(&d->pdev->dev, "no %u MSI-X vectors (%d): callers will poll "
			 "(an ivshmem-doorbell device needs vectors=%u)\n", want, n, want);
		return;
	}
	d->n_vectors = want;
	for (v = 0; v < want; v++) {
		struct vmrpc_kchan *kc = vmrpc_vector_chan(d, v);

		if (v == VMRPC_IVSHMEM_VEC_CONTROL)
			snprintf(kc->irq_name, sizeof(kc->irq_name), "vmrpc%d-control", d->minor);
		else
			snprintf(kc->irq_name, sizeof(kc->irq_name), "vmrpc%d-ch%u", d->minor, v - 1);
		err = request_irq(pci_irq_vector(d->pdev, v), vmrpc_irq, 0, kc->irq_name, kc);
		if (err) {
			dev_warn(&d->pdev->dev, "vector %u: %d: callers will poll\n", v, err);
			vmrpc_free_irqs(d, v);
			return;
		}
	}
}

/* ---- channels ------------------------------------------------------- */

static bool vmrpc_is_owner(const struct vmrpc_file *f)
{
	return f->owner == task_tgid(current);
}

/* The holder of channel i is gone (closed, exited, or the device goes):
 * tell hostd as the caller's own library would have, and forget it. The
 * state word may hold anything; only the transitions a caller may make
 * are tried. Called with files_lock held and the region mapped. */
static void vmrpc_let_go(struct vmrpc_dev *d, struct vmrpc_file *f)
{
	struct vmrpc_chan_ctl *ctl = vmrpc_ctl(d, (u32)f->index);
	u32 *st = &ctl->state;
	u32 now = READ_ONCE(*st);

	/* A claim given back must not leave its claim_parent behind: the
	 * next claimant's claim would look like a sibling (as the library's
	 * chan_give_back). Cleared only while the claim is still ours. */
	if (now == VMRPC_CHAN_CLAIMING || now == VMRPC_CHAN_CLAIMED || now == VMRPC_CHAN_REFUSED)
		WRITE_ONCE(ctl->claim_parent, 0);
	if (cmpxchg(st, VMRPC_CHAN_ATTACHED, VMRPC_CHAN_DETACHING) == VMRPC_CHAN_ATTACHED ||
	    cmpxchg(st, VMRPC_CHAN_DEAD, VMRPC_CHAN_DETACHING) == VMRPC_CHAN_DEAD ||
	    cmpxchg(st, VMRPC_CHAN_CLAIMING, VMRPC_CHAN_FREE) == VMRPC_CHAN_CLAIMING ||
	    cmpxchg(st, VMRPC_CHAN_CLAIMED, VMRPC_CHAN_FREE) == VMRPC_CHAN_CLAIMED ||
	    cmpxchg(st, VMRPC_CHAN_REFUSED, VMRPC_CHAN_FREE) == VMRPC_CHAN_REFUSED)
		vmrpc_ring(d, VMRPC_IVSHMEM_VEC_CONTROL);
	d->chan[f->index].holder = NULL;
	wake_up_all(&d->chan[f->index].wq);
	f->index = -1;
	put_pid(f->owner);
	f->owner = NULL;
}

static void vmrpc_file_let_go(struct vmrpc_file *f)
{
	struct vmrpc_dev *d = f->dev;

	down_read(&d->lock);
	mutex_lock(&d->files_lock);
	if (!d->gone && f->index >= 0)
		vmrpc_let_go(d, f);
	mutex_unlock(&d->files_lock);
	up_read(&d->lock);
}

/* Take the lowest channel that is FREE in the region and held by no file,
 * into CLAIMED, or CLAIMING for a sibling claim (abi.h). */
static long vmrpc_ioctl_claim(struct vmrpc_file *f, void __user *arg)
{
	struct vmrpc_dev *d = f->dev;
	struct vmrpc_dev_claim out = { 0 }, in;
	long err = -ENOSPC;
	u32 i, how;

	if (f->agent)
		return -EINVAL;
	if (copy_from_user(&in, arg, sizeof(in)))
		return -EFAULT;
	how = in.state ? in.state : VMRPC_CHAN_CLAIMED;
	if (how != VMRPC_CHAN_CLAIMED && how != VMRPC_CHAN_CLAIMING)
		return -EINVAL;
	mutex_lock(&d->files_lock);
	if (f->index >= 0) {
		err = -EBUSY; /* one channel per open: open the device again */
		goto out;
	}
	for (i = 0; i < d->n_channels; i++) {
		if (d->chan[i].holder ||
		    cmpxchg(&vmrpc_ctl(d, i)->state, VMRPC_CHAN_FREE, how) != VMRPC_CHAN_FREE)
			continue;
		d->chan[i].holder = f;
		atomic_set(&d->chan[i].events, 0);
		f->index = (int)i;
		f->owner = get_pid(task_tgid(current));
		out.index = i;
		out.state = how;
		err = 0;
		break;
	}
out:
	mutex_unlock(&d->files_lock);
	/* Not under files_lock: a fault on arg takes mmap_lock, which
	 * vmrpc_mmap holds when it takes files_lock. */
	if (err == 0 && copy_to_user(arg, &out, sizeof(out))) {
		mutex_lock(&d->files_lock);
		if (f->index == (int)out.index)
			vmrpc_let_go(d, f);
		mutex_unlock(&d->files_lock);
		err = -EFAULT;
	}
	return err;
}

/* Which sleepers a word belongs to: the header's (vector 0) or a channel's.
 * A caller may name only words of its own channel. */
static struct vmrpc_kchan *vmrpc_word_chan(struct vmrpc_file *f, u64 off)
{
	struct vmrpc_dev *d = f->dev;
	u64 i;

	if (off % 4 || off >= d->shm_len || d->shm_len - off < 4)
		return NULL;
	if (off < VMRPC_HDR_SIZE)
		return f->agent ? &d->ctl : NULL;
	i = (off - VMRPC_HDR_SIZE) / d->chan_size;
	if (i >= d->n_channels)
		return NULL;
	if (!f->agent && (f->index != (int)i || !vmrpc_is_owner(f)))
		return NULL;
	return &d->chan[i];
}

/* Done sleeping: the device went, the word moved, the agent kicked, or a
 * caller's channel was given back under it (its owner is exiting). */
static bool vmrpc_wait_done(struct vmrpc_file *f, struct vmrpc_kchan *kc, int index, u32 *word,
			    u32 expected)
{
	return READ_ONCE(f->dev->gone) || READ_ONCE(*word) != expected ||
	       (!f->agent && READ_ONCE(f->index) != index) ||
	       atomic_cmpxchg(&kc->kicked, 1, 0) == 1;
}

/* A futex wait on a word of the region: the condition is checked after the
 * sleeper is on the queue, and the host stores the word before it raises
 * the vector, so a wake-up between the caller's last look and its sleep is
 * never lost. An interrupt that brings nothing for this word only makes
 * the condition be checked again. */
static long vmrpc_ioctl_wait(struct vmrpc_file *f, void __user *arg)
{
	struct vmrpc_dev *d = f->dev;
	struct vmrpc_dev_wait w;
	struct vmrpc_kchan *kc;
	int index;
	u32 *word;
	long ret;

	if (copy_from_user(&w, arg, sizeof(w)))
		return -EFAULT;
	if (!d->n_vectors)
		return -EOPNOTSUPP;
	kc = vmrpc_word_chan(f, w.offset);
	if (!kc)
		return -EINVAL;
	word = (u32 *)(d->shm + w.offset);
	index = f->index;
	if (w.timeout_ns)
		ret = wait_event_interruptible_hrtimeout(
			kc->wq, vmrpc_wait_done(f, kc, index, word, w.expected),
			ns_to_ktime(w.timeout_ns));
	else
		ret = wait_event_interruptible(kc->wq,
					       vmrpc_wait_done(f, kc, index, word, w.expected));
	if (READ_ONCE(d->gone))
		return -ENODEV;
	if (ret == -ETIME)
		return -ETIMEDOUT;
	/* Never restarted: a caller's signal handler must see its wait end
	 * (that is how it cancels a call, docs/abi.md). */
	if (ret == -ERESTARTSYS)
		return -EINTR;
	return ret;
}

static long vmrpc_ioctl_ring(struct vmrpc_file *f, void __user *arg)
{
	struct vmrpc_dev *d = f->dev;
	struct vmrpc_dev_ring r;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	if (f->agent ? r.vector > d->n_channels
		     : r.vector != VMRPC_IVSHMEM_VEC_CONTROL &&
			       (f->index < 0 || r.vector != VMRPC_IVSHMEM_VEC_CHAN((u32)f->index)))
		return -EINVAL;
	vmrpc_ring(d, r.vector);
	return 0;
}

static long vmrpc_ioctl_kick(struct vmrpc_file *f, void __user *arg)
{
	struct vmrpc_dev *d = f->dev;
	struct vmrpc_kchan *kc;
	u32 i;

	if (!f->agent)
		return -EPERM;
	if (get_user(i, (u32 __user *)arg))
		return -EFAULT;
	if (i == VMRPC_DEV_KICK_CONTROL)
		kc = &d->ctl;
	else if (i < d->n_channels)
		kc = &d->chan[i];
	else
		return -EINVAL;
	atomic_set(&kc->kicked, 1);
	wake_up_all(&kc->wq);
	return 0;
}

static long vmrpc_ioctl_info(struct vmrpc_file *f, void __user *arg)
{
	struct vmrpc_dev *d = f->dev;
	struct vmrpc_dev_info info = {
		.version = VMRPC_DEV_VERSION,
		.abi_version = VMRPC_ABI_VERSION,
		.region_size = d->shm_len,
		.n_channels = d->n_channels,
		.chan_size = d->chan_size,
		.flags = d->n_vectors ? VMRPC_DEV_F_IRQ : 0,
		.peer = (s32)ioread32(d->regs + IVSHMEM_REG_IVPOSITION),
	};

	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long vmrpc_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct vmrpc_file *f = filp->private_data;
	struct vmrpc_dev *d = f->dev;
	void __user *uarg = (void __user *)arg;
	long ret;

	down_read(&d->lock);
	if (d->gone) {
		up_read(&d->lock);
		return -ENODEV;
	}
	switch (cmd) {
	case VMRPC_DEV_INFO:
		ret = vmrpc_ioctl_info(f, uarg);
		break;
	case VMRPC_DEV_CLAIM:
		ret = vmrpc_ioctl_claim(f, uarg);
		break;
	case VMRPC_DEV_WAIT:
		ret = vmrpc_ioctl_wait(f, uarg);
		break;
	case VMRPC_DEV_RING:
		ret = vmrpc_ioctl_ring(f, uarg);
		break;
	case VMRPC_DEV_AGENT:
		mutex_lock(&d->files_lock);
		if (!capable(CAP_SYS_ADMIN))
			ret = -EPERM;
		else if (f->index >= 0)
			ret = -EBUSY;
		else
			ret = 0, f->agent = true;
		mutex_unlock(&d->files_lock);
		break;
	case VMRPC_DEV_KICK:
		ret = vmrpc_ioctl_kick(f, uarg);
		break;
	default:
		ret = -ENOTTY;
	}
	up_read(&d->lock);
	return ret;
}

/* ---- mapping --------------------------------------------------------- */

/*
 * Pages are mapped when first touched, never in mmap: the kernel links a
 * new mapping into the file's mappings only after vmrpc_mmap returns, so
 * a remove in between would not find it to zap, and pages mapped here
 * would outlive the device. A mapping remove cannot find has no pages,
 * and its first touch faults here, sees gone, and gets SIGBUS.
 */
static vm_fault_t vmrpc_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vmrpc_file *f = vma->vm_private_data;
	struct vmrpc_dev *d = f->dev;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	down_read(&d->map_lock);
	/* vmrpc_mmap checked the range: vm_pgoff..end lies in BAR2. */
	if (!READ_ONCE(d->gone))
		ret = vmf_insert_pfn_prot(vma, vmf->address,
					  (unsigned long)(d->shm_phys >> PAGE_SHIFT) + vmf->pgoff,
					  vma->vm_page_prot);
	up_read(&d->map_lock);
	return ret;
}

static const struct vm_operations_struct vmrpc_vm_ops = {
	.fault = vmrpc_vm_fault,
};

/* The header read-only, the holder's own channel read-write, the agent
 * anything; nothing else. */
static int vmrpc_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct vmrpc_file *f = filp->private_data;
	struct vmrpc_dev *d = f->dev;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 len = vma->vm_end - vma->vm_start;
	int err = -EACCES;

	/* files_lock alone, not d->lock: mmap_lock is held here, and an
	 * ioctl that holds d->lock may fault on its argument (mmap_lock).
	 * remove sets gone, then takes files_lock and unmaps every file. */
	mutex_lock(&d->files_lock);
	if (READ_ONCE(d->gone)) {
		err = -ENODEV;
	} else if (f->agent) {
		if (off < d->shm_len && len <= d->shm_len - off)
			err = 0;
	} else if (off == 0 && len <= VMRPC_HDR_SIZE) {
		if (!(vma->vm_flags & VM_WRITE)) {
			vmrpc_vm_flags_clear(vma, VM_MAYWRITE);
			err = 0;
		}
	} else if (f->index >= 0 && vmrpc_is_owner(f) &&
		   off == vmrpc_chan_off(d, (u32)f->index) && len == d->chan_size) {
		/* A forked child must not keep its parent's channel: the
		 * parent's exit gives it back (vmrpc_flush), and it may then
		 * be another process's. */
		vmrpc_vm_flags_set(vma, VM_DONTCOPY);
		err = 0;
	}
	if (err == 0) {
		vmrpc_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
		vma->vm_ops = &vmrpc_vm_ops;
		vma->vm_private_data = f;
	}
	mutex_unlock(&d->files_lock);
	return err;
}

/* ---- poll and read: the channel's vector as an event count ---------- */

static struct vmrpc_kchan *vmrpc_file_events(struct vmrpc_file *f)
{
	if (f->agent)
		return &f->dev->ctl;
	return f->index >= 0 ? &f->dev->chan[f->index] : NULL;
}

static __poll_t vmrpc_poll(struct file *filp, poll_table *pt)
{
	struct vmrpc_file *f = filp->private_data;
	struct vmrpc_dev *d = f->dev;
	struct vmrpc_kchan *kc;
	__poll_t mask = 0;

	down_read(&d->lock);
	kc = d->gone ? NULL : vmrpc_file_events(f);
	if (!kc) {
		mask = EPOLLERR | EPOLLHUP;
	} else {
		poll_wait(filp, &kc->wq, pt);
		if (atomic_read(&kc->events))
			mask = EPOLLIN | EPOLLRDNORM;
	}
	up_read(&d->lock);
	return mask;
}

static ssize_t vmrpc_read(struct file *filp, char __user *buf, size_t count, loff_t *ppos)
{
	struct vmrpc_file *f = filp->private_data;
	struct vmrpc_dev *d = f->dev;
	struct vmrpc_kchan *kc;
	u64 n = 0;
	ssize_t ret;

	if (count < sizeof(n))
		return -EINVAL;
	down_read(&d->lock);
	kc = d->gone ? NULL : vmrpc_file_events(f);
	if (!kc) {
		ret = d->gone ? -ENODEV : -EINVAL;
	} else if (filp->f_flags & O_NONBLOCK) {
		n = (u64)atomic_xchg(&kc->events, 0);
		ret = n ? 0 : -EAGAIN;
	} else {
		ret = wait_event_interruptible(kc->wq, READ_ONCE(d->gone) ||
							       (n = (u64)atomic_xchg(&kc->events, 0)));
		if (READ_ONCE(d->gone))
			ret = -ENODEV;
	}
	up_read(&d->lock);
	if (ret < 0)
		return ret;
	return copy_to_user(buf, &n, sizeof(n)) ? -EFAULT : sizeof(n);
}

/* ---- open and close -------------------------------------------------- */

static void vmrpc_dev_free(struct kref *ref)
{
	struct vmrpc_dev *d = container_of(ref, struct vmrpc_dev, ref);

	kfree(d->chan);
	kfree(d);
}

static int vmrpc_open(struct inode *inode, struct file *filp)
{
	struct vmrpc_file *f;
	struct vmrpc_dev *d;

	mutex_lock(&vmrpc_minors_lock);
	d = idr_find(&vmrpc_minors, iminor(inode));
	if (d)
		kref_get(&d->ref);
	mutex_unlock(&vmrpc_minors_lock);
	if (!d)
		return -ENODEV;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		kref_put(&d->ref, vmrpc_dev_free);
		return -ENOMEM;
	}
	f->dev = d;
	f->filp = filp;
	f->index = -1;
	mutex_lock(&d->files_lock);
	list_add(&f->node, &d->files);
	mutex_unlock(&d->files_lock);
	filp->private_data = f;
	return nonseekable_open(inode, filp);
}

/* Every close of a descriptor. The process that claimed the channel is
 * exiting (killed, perhaps): give the channel back now, even if a child it
 * forked still holds a copy of the descriptor (that copy can neither map
 * nor wait on it: it is not the owner). */
static int vmrpc_flush(struct file *filp, fl_owner_t id)
{
	struct vmrpc_file *f = filp->private_data;

	if (f->index >= 0 && (current->flags & PF_EXITING) && vmrpc_is_owner(f))
		vmrpc_file_let_go(f);
	return 0;
}

static int vmrpc_release(struct inode *inode, struct file *filp)
{
	struct vmrpc_file *f = filp->private_data;
	struct vmrpc_dev *d = f->dev;

	vmrpc_file_let_go(f);
	mutex_lock(&d->files_lock);
	list_del(&f->node);
	mutex_unlock(&d->files_lock);
	kfree(f);
	kref_put(&d->ref, vmrpc_dev_free);
	return 0;
}

static const struct file_operations vmrpc_fops = {
	.owner = THIS_MODULE,
	.open = vmrpc_open,
	.flush = vmrpc_flush,
	.release = vmrpc_release,
	.unlocked_ioctl = vmrpc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vmrpc_mmap,
	.poll = vmrpc_poll,
	.read = vmrpc_read,
	.llseek = no_llseek,
};

/* ---- the PCI device -------------------------------------------------- */

static int vmrpc_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vmrpc_dev *d;
	int err, minor;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	kref_init(&d->ref);
	init_rwsem(&d->lock);
	init_rwsem(&d->map_lock);
	mutex_init(&d->files_lock);
	INIT_LIST_HEAD(&d->files);
	init_waitqueue_head(&d->ctl.wq);
	d->pdev = pdev;
	d->minor = -1;

	err = pci_enable_device(pdev);
	if (err)
		goto fail_free;
	d->shm_phys = pci_resource_start(pdev, IVSHMEM_BAR_SHM);
	d->shm_len = pci_resource_len(pdev, IVSHMEM_BAR_SHM);
	err = -ENODEV;
	if (!(pci_resource_flags(pdev, IVSHMEM_BAR_SHM) & IORESOURCE_MEM) ||
	    d->shm_len < VMRPC_HDR_SIZE ||
	    pci_resource_len(pdev, IVSHMEM_BAR_REGS) < IVSHMEM_REGS_SIZE)
		goto fail_disable;
	d->regs = pci_iomap(pdev, IVSHMEM_BAR_REGS, IVSHMEM_REGS_SIZE);
	if (!d->regs)
		goto fail_disable;
	d->shm = (__force u8 *)ioremap(d->shm_phys, d->shm_len);
	if (!d->shm)
		goto fail_regs;
	err = vmrpc_check_region(d);
	if (err)
		goto fail_shm;
	err = -ENOMEM;
	d->chan = kcalloc(d->n_channels, sizeof(*d->chan), GFP_KERNEL);
	if (!d->chan)
		goto fail_shm;
	for (u32 i = 0; i < d->n_channels; i++)
		init_waitqueue_head(&d->chan[i].wq);

	mutex_lock(&vmrpc_minors_lock);
	minor = idr_alloc(&vmrpc_minors, NULL, 0, VMRPC_MINORS, GFP_KERNEL);
	mutex_unlock(&vmrpc_minors_lock);
	if (minor < 0) {
		err = minor == -ENOSPC ? -EBUSY : minor;
		goto fail_shm;
	}
	d->minor = minor;
	pci_set_master(pdev);
	vmrpc_setup_irqs(d);

	err = -ENOMEM;
	d->cdev = cdev_alloc();
	if (!d->cdev)
		goto fail_irqs;
	d->cdev->ops = &vmrpc_fops;
	d->cdev->owner = THIS_MODULE;
	err = cdev_add(d->cdev, MKDEV(MAJOR(vmrpc_devt), minor), 1);
	if (err) {
		kobject_put(&d->cdev->kobj);
		goto fail_irqs;
	}
	pci_set_drvdata(pdev, d);
	mutex_lock(&vmrpc_minors_lock);
	idr_replace(&vmrpc_minors, d, minor);
	mutex_unlock(&vmrpc_minors_lock);
	d->node = device_create(vmrpc_class, &pdev->dev, MKDEV(MAJOR(vmrpc_devt), minor), d,
				"vmrpc%d", minor);
	if (IS_ERR(d->node)) {
		err = PTR_ERR(d->node);
		goto fail_cdev;
	}
	dev_info(&pdev->dev, "vmrpc%d: %u channels of %u KiB, %s\n", minor, d->n_channels,
		 d->chan_size / 1024,
		 d->n_vectors ? "one MSI-X vector each" : "no interrupts (callers poll)");
	return 0;

fail_cdev:
	mutex_lock(&vmrpc_minors_lock);
	idr_replace(&vmrpc_minors, NULL, minor);
	mutex_unlock(&vmrpc_minors_lock);
	cdev_del(d->cdev);
fail_irqs:
	vmrpc_free_irqs(d, d->n_vectors);
	pci_clear_master(pdev);
	mutex_lock(&vmrpc_minors_lock);
	idr_remove(&vmrpc_minors, minor);
	mutex_unlock(&vmrpc_minors_lock);
fail_shm:
	iounmap((__force void __iomem *)d->shm);
fail_regs:
	pci_iounmap(pdev, d->regs);
fail_disable:
	pci_disable_device(pdev);
fail_free:
	kfree(d->chan);
	kfree(d);
	return err;
}

/* The device goes (unbind, hot unplug, rmmod once no file is open): every
 * sleeper wakes with ENODEV, every held channel is given back to hostd,
 * and every mapping is torn down, so a process that still touches it gets
 * SIGBUS rather than someone else's memory. */
static void vmrpc_remove(struct pci_dev *pdev)
{
	struct vmrpc_dev *d = pci_get_drvdata(pdev);
	struct vmrpc_file *f;

	mutex_lock(&vmrpc_minors_lock);
	idr_remove(&vmrpc_minors, d->minor);
	mutex_unlock(&vmrpc_minors_lock);
	device_destroy(vmrpc_class, MKDEV(MAJOR(vmrpc_devt), d->minor));
	cdev_del(d->cdev);

	WRITE_ONCE(d->gone, true);
	wake_up_all(&d->ctl.wq);
	for (u32 i = 0; i < d->n_channels; i++)
		wake_up_all(&d->chan[i].wq);
	down_write(&d->lock);
	down_write(&d->map_lock); /* no fault maps a page past this point */
	mutex_lock(&d->files_lock);
	list_for_each_entry(f, &d->files, node) {
		if (f->index >= 0)
			vmrpc_let_go(d, f);
		unmap_mapping_range(f->filp->f_mapping, 0, 0, 1);
	}
	mutex_unlock(&d->files_lock);
	up_write(&d->map_lock);
	vmrpc_free_irqs(d, d->n_vectors);
	pci_clear_master(pdev);
	iounmap((__force void __iomem *)d->shm);
	pci_iounmap(pdev, d->regs);
	pci_disable_device(pdev);
	d->shm = NULL;
	d->regs = NULL;
	up_write(&d->lock);
	dev_info(&pdev->dev, "vmrpc%d removed\n", d->minor);
	kref_put(&d->ref, vmrpc_dev_free);
}

static const struct pci_device_id vmrpc_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x1110) }, /* ivshmem, plain or doorbell */
	{ 0 }
};
MODULE_DEVICE_TABLE(pci, vmrpc_ids);

static struct pci_driver vmrpc_driver = {
	.name = "vmrpc",
	.id_table = vmrpc_ids,
	.probe = vmrpc_probe,
	.remove = vmrpc_remove,
};

static int __init vmrpc_init(void)
{
	int err = alloc_chrdev_region(&vmrpc_devt, 0, VMRPC_MINORS, "vmrpc");

	if (err)
		return err;
	vmrpc_class = vmrpc_class_create("vmrpc");
	if (IS_ERR(vmrpc_class)) {
		err = PTR_ERR(vmrpc_class);
		goto fail_region;
	}
	err = pci_register_driver(&vmrpc_driver);
	if (err)
		goto fail_class;
	return 0;
fail_class:
	class_destroy(vmrpc_class);
fail_region:
	unregister_chrdev_region(vmrpc_devt, VMRPC_MINORS);
	return err;
}

static void __exit vmrpc_exit(void)
{
	pci_unregister_driver(&vmrpc_driver);
	class_destroy(vmrpc_class);
	unregister_chrdev_region(vmrpc_devt, VMRPC_MINORS);
	idr_destroy(&vmrpc_minors);
}

module_init(vmrpc_init);
module_exit(vmrpc_exit);

MODULE_LICENSE("Dual MIT/GPL");
MODULE_DESCRIPTION("vmrpc: private channels, MSI-X wake-ups and non-root access on ivshmem");
MODULE_AUTHOR("the vmrpc authors");
MODULE_VERSION("1");

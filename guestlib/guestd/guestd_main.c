/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-guestd: the guest agent. It serves guest-sourced calls (a host
 * program is the caller, guestd the callee: docs/guest-sourced.md), and in
 * a VM it watches guest callers of host calls and detaches the channels of
 * those that died, which hostd cannot see.
 *
 * One main thread scans the region whenever hostd rings guest_bell (a futex
 * on loopback; in a VM with vmrpc.ko, the control vector's interrupt; in a
 * VM without it, where no host wake reaches us, it polls with backoff) and
 * one thread serves each channel guestd accepted.
 *
 * With exports in its policy it also serves the file-system interface
 * (vfs/, docs/mount.md) for a host's vmrpc-mount: each channel is a peer of
 * one server, keyed by its host caller's pid (hostd's word, written when it
 * offered the channel), so a host caller's sibling channels share its
 * sessions and no other host caller reaches them.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "guestd_agent.h"
#include "guestd_config.h"
#include "guestd_exec.h"
#include "log.h"
#include "services.h"
#include "vfs_callee.h"
#include "vfsd.h"
#include "vmrpc/guest.h"
#include "vmrpc_private.h"

#define GUESTD_POLL_FIRST_NS (50u * 1000)
#define GUESTD_POLL_MAX_NS (50u * 1000 * 1000)
#define GUESTD_IDLE_MS 1000 /* loopback: look at timeouts at least this often */

/* One channel as guestd sees it. */
struct gd_chan {
	int serving;
	uint32_t generation; /* when accepted */
	pthread_t thread;
	struct vmrpc_callee *callee;
	struct gx_chan gx;
	struct vmrpc_service svcs[VMRPC_GREG_MAX];
	size_t n_svcs;
	struct vfsd_peer *vfs_peer; /* with exports: its host caller's view */
	/* watching a guest caller of host calls (in a VM) */
	uint32_t watch_pid, watch_gen;
	int watch_fd;
	/* Attached by a guest caller of a previous boot (generation stale_gen):
	 * its owner_pid names nothing in this boot, or worse, another process.
	 * hostd reclaims it when it sees our boot id; we do not watch it. */
	int stale;
	uint32_t stale_gen;
};

struct guestd {
	struct vmrpc_region *region;
	struct vmrpc_region_hdr *hdr;
	uint32_t n_channels;
	int vm; /* an ivshmem region: poll, and watch guest callers */
	int agent_fd; /* in a VM with vmrpc.ko: our agent file of /dev/vmrpcN, else -1 */
	int watch_callers;
	struct gdconf conf;
	struct gx_server gx; /* guestexec: the policy and the commands */
	struct services modules;
	size_t n_svcs;
	struct vfsd_server *vfs; /* the exports, or NULL */
	struct gd_chan *ch;
};

static volatile sig_atomic_t guestd_stop;

/* A method an ffi service's library has no function for: -ENOSYS. */
static void guestd_warn_service(const char *msg)
{
	log_warn("%s", msg);
}

static void guestd_on_signal(int sig)
{
	guestd_stop = 1;
}

static void *guestd_serve(void *arg)
{
	struct gd_chan *c = arg;

	vmrpc_callee_serve(c->callee, c->svcs, c->n_svcs);
	return NULL;
}

static struct vmrpc_chan_hdr *gd_hdr(struct guestd *g, uint32_t i)
{
	return vmrpc_region_chan(g->region, i);
}

static uint32_t gd_load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void guestd_accept(struct guestd *g, uint32_t i)
{
	struct gd_chan *c = &g->ch[i];
	sigset_t all, old;
	int err;

	err = vmrpc_callee_open(g->region, i, &c->callee);
	if (err < 0) {
		log_err("channel %u: %s", i, vmrpc_strerror(err));
		return;
	}
	if (g->agent_fd >= 0)
		/* the host caller raises the channel's vector when we sleep */
		vmrpc_callee_set_transport(c->callee, VMRPC_TRANSPORT_GUEST_DEV, g->agent_fd);
	else if (g->vm)
		/* no host wake reaches a guest: serve as on ivshmem-plain */
		vmrpc_callee_set_transport(c->callee, VMRPC_TRANSPORT_IVSHMEM_PLAIN, -1);
	c->generation = vmrpc_ctl_generation(&gd_hdr(g, i)->ctl);
	if (vmrpc_guestd_chan_accept(g->region, i) < 0) { /* withdrawn meanwhile */
		vmrpc_callee_close(c->callee);
		return;
	}
	/* Registry slot k is service k: guestexec, vfs (with exports), then
	 * the modules'. */
	c->n_svcs = 0;
	c->svcs[c->n_svcs++] = guestexec_service(&gx_ops, &c->gx);
	if (g->vfs) {
		err = vfsd_peer_new(g->vfs, vmrpc_ctl_owner(&gd_hdr(g, i)->ctl), &c->vfs_peer);
		if (err < 0) {
			log_err("channel %u: %s", i, strerror(-err));
			vmrpc_callee_close(c->callee);
			vmrpc_guestd_chan_mark_dead(g->region, i);
			return;
		}
		c->svcs[c->n_svcs++] = vfsd_peer_service(c->vfs_peer);
	}
	for (size_t k = 0; k < g->modules.n; k++)
		c->svcs[c->n_svcs++] = g->modules.svc[k];
	/* Signals are for the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&c->thread, NULL, guestd_serve, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		log_err("channel %u: cannot start a thread: %s", i, strerror(err));
		vmrpc_callee_close(c->callee);
		vfsd_peer_free(c->vfs_peer);
		c->vfs_peer = NULL;
		vmrpc_guestd_chan_mark_dead(g->region, i);
		return;
	}
	c->serving = 1;
	log_info("channel %u: serving host caller pid %u", i,
		 vmrpc_ctl_owner(&gd_hdr(g, i)->ctl));
}

/* Stop serving channel i: its thread, its calls, its commands. */
static void guestd_stop_chan(struct guestd *g, uint32_t i)
{
	struct gd_chan *c = &g->ch[i];

	vmrpc_callee_stop(c->callee);
	gx_chan_cancel(&c->gx);
	vfsd_peer_cancel(c->vfs_peer); /* a long-polled watch returns now */
	pthread_join(c->thread, NULL);
	vmrpc_callee_close(c->callee);
	c->callee = NULL;
	vfsd_peer_free(c->vfs_peer); /* its sessions end with their last peer */
	c->vfs_peer = NULL;
	gx_chan_release(&c->gx);
	c->serving = 0;
}

/* A guest caller of host calls died without detaching: do what its library
 * would have done. Only in a VM, where hostd cannot watch guest pids. */
static int guestd_watch(struct guestd *g, uint32_t i, uint32_t st)
{
	struct gd_chan *c = &g->ch[i];
	struct vmrpc_chan_hdr *h = gd_hdr(g, i);
	uint32_t pid = vmrpc_ctl_owner(&h->ctl);
	uint32_t gen = vmrpc_ctl_generation(&h->ctl);
	struct pollfd p;

	if ((st != VMRPC_CHAN_ATTACHED && st != VMRPC_CHAN_DEAD) ||
	    vmrpc_ctl_kind(&h->ctl) != VMRPC_CHAN_KIND_HOSTCALL || !pid) {
		if (c->watch_fd >= 0)
			close(c->watch_fd);
		c->watch_fd = -1;
		c->watch_pid = 0;
		return 0;
	}
	if (c->stale) {
		if (gen == c->stale_gen)
			return 0;
		c->stale = 0;
	}
	if (c->watch_pid != pid || c->watch_gen != gen) {
		if (c->watch_fd >= 0)
			close(c->watch_fd);
		c->watch_pid = pid;
		c->watch_gen = gen;
		c->watch_fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		if (c->watch_fd < 0 && errno != ESRCH)
			return 0; /* cannot watch it (EMFILE): try again later */
	}
	if (c->watch_fd >= 0) {
		p = (struct pollfd){ .fd = c->watch_fd, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0)
			return 0;
		close(c->watch_fd);
		c->watch_fd = -1;
	}
	if (vmrpc_guestd_chan_detach(g->region, i) < 0)
		return 0;
	log_info("channel %u: guest caller pid %u died attached; detached it", i, pid);
	return 1;
}

/* One look at every channel. Returns whether hostd must look too. */
static int guestd_scan(struct guestd *g, int first)
{
	int ring = 0;

	for (uint32_t i = 0; i < g->n_channels; i++) {
		struct vmrpc_chan_hdr *h = gd_hdr(g, i);
		struct gd_chan *c = &g->ch[i];
		uint32_t st = vmrpc_ctl_state(&h->ctl);
		uint32_t gen = vmrpc_ctl_generation(&h->ctl);

		if (c->serving && (st != VMRPC_CHAN_SERVED || gen != c->generation)) {
			guestd_stop_chan(g, i);
			if (st == VMRPC_CHAN_DETACHING && gen == c->generation &&
			    vmrpc_guestd_chan_release(g->region, i) == 0) {
				log_info("channel %u: host caller gone; released", i);
				ring = 1;
			} else {
				log_info("channel %u: reset by hostd; stopped serving", i);
			}
			continue;
		}
		if (c->serving)
			continue;
		if (st == VMRPC_CHAN_OFFERED) {
			guestd_accept(g, i);
			continue;
		}
		/* Guest-sourced channels nobody here serves: a previous
		 * guestd's (it cannot answer any more), or ones whose host
		 * caller left before we served them. */
		if (vmrpc_ctl_kind(&h->ctl) == VMRPC_CHAN_KIND_GSRC) {
			if (first && vmrpc_guestd_chan_mark_dead(g->region, i) == 0)
				log_info("channel %u: served by a previous guestd; marked dead", i);
			if (st == VMRPC_CHAN_DETACHING && vmrpc_guestd_chan_release(g->region, i) == 0) {
				log_info("channel %u: released (not served here)", i);
				ring = 1;
			}
			continue;
		}
		if (g->watch_callers)
			ring |= guestd_watch(g, i, st);
	}
	return ring;
}

static void guestd_ring(struct guestd *g)
{
	int err = vmrpc_guestd_ring_host(g->region);

	if (err < 0)
		log_warn("cannot ring hostd: %s", vmrpc_strerror(err));
}

/* This boot's id: the kernel's random boot_id, else random bytes. */
static void guestd_boot_id(const char *forced, uint64_t ret[2])
{
	char text[64] = "", hex[33];
	FILE *f;
	size_t n = 0;

	if (forced)
		snprintf(text, sizeof(text), "%s", forced);
	else if ((f = fopen("/proc/sys/kernel/random/boot_id", "re"))) {
		if (!fgets(text, sizeof(text), f))
			text[0] = '\0';
		fclose(f);
	}
	for (const char *p = text; *p && n < 32; p++)
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))
			hex[n++] = *p;
	hex[n] = '\0';
	if (n == 32) {
		char half[17];

		memcpy(half, hex, 16);
		half[16] = '\0';
		ret[0] = strtoull(half, NULL, 16);
		ret[1] = strtoull(hex + 16, NULL, 16);
	} else if (getrandom(ret, 2 * sizeof(uint64_t), 0) != 2 * sizeof(uint64_t)) {
		ret[0] = (uint64_t)time(NULL);
		ret[1] = (uint64_t)getpid();
	}
}

/* A region that saw another boot of this guest (its boot id is known and
 * not ours): the host-call channels attached now are that boot's. */
static void guestd_mark_stale(struct guestd *g, const uint64_t boot_id[2])
{
	uint64_t old[2];

	memcpy(old, (const void *)g->hdr->guest_boot_id, sizeof(old));
	if ((!old[0] && !old[1]) || (old[0] == boot_id[0] && old[1] == boot_id[1]))
		return;
	for (uint32_t i = 0; i < g->n_channels; i++) {
		struct vmrpc_chan_hdr *h = gd_hdr(g, i);
		uint32_t st = vmrpc_ctl_state(&h->ctl);

		if ((st == VMRPC_CHAN_ATTACHED || st == VMRPC_CHAN_DEAD) &&
		    vmrpc_ctl_kind(&h->ctl) == VMRPC_CHAN_KIND_HOSTCALL) {
			g->ch[i].stale = 1;
			g->ch[i].stale_gen = vmrpc_ctl_generation(&h->ctl);
		}
	}
}

/* vmrpc.ko: sleep until hostd raises vector 0, a guest caller we watch
 * exits, or a command's timeout; no timer otherwise: an idle guestd does
 * not wake. */
static void guestd_wait_agent(struct guestd *g, int ms)
{
	struct pollfd p[1 + VMRPC_CHAN_MAX];
	nfds_t n = 0;

	p[n++] = (struct pollfd){ .fd = g->agent_fd, .events = POLLIN };
	for (uint32_t i = 0; i < g->n_channels; i++)
		if (g->ch[i].watch_fd >= 0)
			p[n++] = (struct pollfd){ .fd = g->ch[i].watch_fd, .events = POLLIN };
	poll(p, n, ms);
}

/* Sleep until hostd rings guest_bell (or, in a VM, the next look). */
static void guestd_wait(struct guestd *g, uint32_t seen, uint64_t *backoff)
{
	int ms = gx_enforce_timeouts(&g->gx);
	struct timespec ts;
	uint64_t ns;

	if (g->agent_fd >= 0) {
		guestd_wait_agent(g, ms);
		return;
	}
	if (!g->vm) {
		if (ms < 0 || ms > GUESTD_IDLE_MS)
			ms = GUESTD_IDLE_MS;
		if (g->watch_callers && ms > 100)
			ms = 100;
		ts = (struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
		syscall(SYS_futex, &g->hdr->guest_bell, FUTEX_WAIT, seen, &ts, NULL, 0);
		return;
	}
	ns = *backoff ? *backoff : GUESTD_POLL_FIRST_NS;
	*backoff = ns * 2 < GUESTD_POLL_MAX_NS ? ns * 2 : GUESTD_POLL_MAX_NS;
	ts = (struct timespec){ .tv_sec = 0, .tv_nsec = (long)ns };
	nanosleep(&ts, NULL);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmrpc-guestd [OPTION...]\n"
		"The vmrpc guest agent: serve guest-sourced calls (host programs calling\n"
		"into this guest) under the policy of a configuration file, and reclaim\n"
		"the channels of guest callers that died.\n"
		"\n"
		"  -r, --region NAME    the region: pci: (default in a VM), pci:ADDR, file:PATH,\n"
		"                       or a loopback name (default: $VMRPC_REGION, else default);\n"
		"                       pci: is mapped through sysfs, and vmrpc.ko's device, if\n"
		"                       it drives it, is used to sleep on its interrupts\n"
		"  -c, --config FILE    the policy (default: none, which allows identity only)\n"
		"      --watch-callers  detach dead guest callers even on loopback\n"
		"      --boot-id HEX    use this boot id instead of the kernel's (tests)\n"
		"  -v, --verbose        log more\n"
		"  -h, --help           show this help\n"
		"      --version        show the version\n");
}

static int guestd_setup(struct guestd *g, const char *region, const char *config)
{
	const struct vmrpc_iface *ifaces[VMRPC_GREG_MAX];
	char msg[512], name[PATH_MAX];
	int err;

	err = gdconf_load(config, &g->conf, msg, sizeof(msg));
	if (err < 0) {
		log_err("%s", msg);
		return err;
	}
	gx_init(&g->gx, &g->conf);
	err = services_load_modules(&g->modules, (const char *const *)g->conf.modules,
				    g->conf.n_modules, msg, sizeof(msg));
	if (err < 0) {
		log_err("cannot load service module: %s", msg);
		return err;
	}
	err = services_add_ffi(&g->modules, (const char *const *)g->conf.ffi_services,
			       g->conf.n_ffi_services, guestd_warn_service, msg, sizeof(msg));
	if (err < 0) {
		log_err("cannot load ffi service: %s", msg);
		return err;
	}
	if (g->conf.n_exports) {
		err = vfsd_server_new(NULL, &g->vfs);
		for (size_t i = 0; err == 0 && i < g->conf.n_exports; i++)
			err = vfsd_server_export(g->vfs, g->conf.export_name[i],
						 g->conf.export_path[i], g->conf.export_ro[i], msg,
						 sizeof(msg));
		if (err < 0) {
			log_err("%s", g->vfs ? msg : strerror(-err));
			return err;
		}
	}
	/* guestexec first, vfs with exports, then each module's interfaces,
	 * in order. */
	g->n_svcs = 1 + (g->vfs ? 1 : 0) + g->modules.n;
	if (g->n_svcs > VMRPC_GREG_MAX) {
		log_err("at most %u interfaces in all", VMRPC_GREG_MAX);
		return -E2BIG;
	}
	if (!region)
		region = vmrpc_guest_default_region();
	/* guestd maps the whole region (sysfs, as root), whether or not
	 * vmrpc.ko drives the device; the driver's device is for sleeping. */
	g->agent_fd = -1;
	if (!strncmp(region, "pci:", 4)) {
		snprintf(name, sizeof(name), "sysfs:%s", region + 4);
		err = guestd_agent_open(region + 4);
		if (err >= 0)
			g->agent_fd = err;
		else if (err != -ENODEV && err != -EOPNOTSUPP)
			log_warn("vmrpc.ko's device for %s: %s: polling", region, strerror(-err));
	} else if (!strncmp(region, "dev:", 4)) {
		log_err("region %s: guestd maps the whole region: name its device pci:ADDR",
			region);
		return -EINVAL;
	} else {
		snprintf(name, sizeof(name), "%s", region);
	}
	err = vmrpc_guest_region_open(name, &g->region);
	if (err < 0) {
		log_err("region %s: %s", region, vmrpc_strerror(err));
		return err;
	}
	g->hdr = vmrpc_region_hdr(g->region);
	g->n_channels = g->hdr->n_channels; /* checked at map time... */
	if (g->n_channels > VMRPC_CHAN_MAX)
		return -EPROTO;
	g->vm = vmrpc_region_ivshmem_peer(g->region) >= 0;
	g->watch_callers |= g->vm;
	g->ch = calloc(g->n_channels, sizeof(*g->ch));
	if (!g->ch)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->n_channels; i++) {
		g->ch[i].watch_fd = -1;
		err = gx_chan_init(&g->ch[i].gx, &g->gx, i);
		if (err < 0)
			return err;
	}
	{
		size_t k = 0;

		ifaces[k++] = &guestexec_iface;
		if (g->vfs)
			ifaces[k++] = &vfs_iface;
		for (size_t m = 0; m < g->modules.n; m++)
			ifaces[k++] = g->modules.svc[m].iface;
	}
	err = vmrpc_guestd_publish(g->region, ifaces, g->n_svcs);
	if (err < 0) {
		log_err("cannot publish the guest registry: %s", vmrpc_strerror(err));
		return err;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "watch-callers", no_argument, NULL, 'w' },
		{ "boot-id", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	struct guestd g = { 0 };
	const char *region = NULL, *config = NULL, *boot = NULL;
	struct sigaction sa = { .sa_handler = guestd_on_signal }; /* no SA_RESTART */
	uint64_t boot_id[2], backoff = 0;
	uint32_t seen;
	int c, verbose = 0, err, first = 1;

	while ((c = getopt_long(argc, argv, "r:c:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			region = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'w':
			g.watch_callers = 1;
			break;
		case 'b':
			boot = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vmrpc-guestd %s\n", VMRPC_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("vmrpc-guestd", verbose);
	err = guestd_setup(&g, region, config);
	if (err < 0) {
		/* What the policy and the services took, so that a sanitized
		 * run's leak check sees only real leaks. */
		services_unload(&g.modules);
		gdconf_free(&g.conf);
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	guestd_boot_id(boot, boot_id);
	guestd_mark_stale(&g, boot_id);
	__atomic_store_n(&g.hdr->guest_boot_id[0], boot_id[0], __ATOMIC_RELAXED);
	__atomic_store_n(&g.hdr->guest_boot_id[1], boot_id[1], __ATOMIC_RELAXED);
	__atomic_store_n(&g.hdr->guestd_pid, (uint32_t)getpid(), __ATOMIC_RELEASE);
	log_info("serving %zu interfaces to host callers; boot id %016llx%016llx%s", g.n_svcs,
		 (unsigned long long)boot_id[0], (unsigned long long)boot_id[1],
		 g.agent_fd >= 0 ? "; in a VM: sleeping on vmrpc.ko's interrupts, watching guest "
				   "callers"
		 : g.vm ? "; in a VM: polling, watching guest callers" : "");
	guestd_ring(&g);
	while (!guestd_stop) {
		if (g.agent_fd >= 0)
			guestd_agent_drain(g.agent_fd);
		seen = gd_load(&g.hdr->guest_bell);
		if (guestd_scan(&g, first))
			guestd_ring(&g);
		first = 0;
		if (gd_load(&g.hdr->guest_bell) != seen) {
			backoff = 0;
			continue;
		}
		guestd_wait(&g, seen, &backoff);
		if (gd_load(&g.hdr->guest_bell) != seen)
			backoff = 0;
	}
	log_info("stopping");
	for (uint32_t i = 0; i < g.n_channels; i++) {
		if (!g.ch[i].serving)
			continue;
		guestd_stop_chan(&g, i);
		/* Tell its host caller now rather than at its next liveness check. */
		vmrpc_guestd_chan_mark_dead(g.region, i);
	}
	gx_shutdown(&g.gx);
	__atomic_store_n(&g.hdr->guestd_pid, 0, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < g.n_channels; i++) {
		close(g.ch[i].gx.cancel_fd);
		if (g.ch[i].watch_fd >= 0)
			close(g.ch[i].watch_fd);
	}
	free(g.ch);
	vmrpc_region_close(g.region);
	if (g.agent_fd >= 0)
		close(g.agent_fd);
	services_unload(&g.modules);
	vfsd_server_free(g.vfs);
	gdconf_free(&g.conf);
	return 0;
}

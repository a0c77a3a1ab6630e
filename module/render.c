// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/vmar_race/<pid>/{status,maps}: the renderers every read mode shares.
 * Each read samples the mode once (vr_read_ctx_init()) and reads the VMAR
 * through it. A file's inode holds a counted pproc reference (fs.c), so a
 * reader in here always has the pproc; whether it is reaped is checked on
 * every open and read.
 */
#include "vmar_race.h"

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/kernel.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

static const char * const vr_state_names[] = {
	[VR_RUNNING] = "R (running)",
	[VR_ZOMBIE] = "Z (zombie)",
	[VR_DEAD] = "X (dead)",
};

#define VR_KB(pages) ((pages) << (VR_PAGE_SHIFT - 10))

/*
 * The handle in the inode is upgraded on every open and read: a reaped
 * pproc's files fail with -ESRCH, as Linux's do once the task is reaped.
 */
static int vr_handle_check(const struct vr_pproc *pp)
{
	return vr_pproc_reaped(pp) ? -ESRCH : 0;
}

/* What a status read shows: the state, and the Vm lines copied under v->lock. */
struct vr_status_snap {
	enum vr_state state;
	bool has_vmar;
	unsigned long total, anon, file, nr;
};

static int vr_status_snap(enum vr_state state, struct vr_vmar *v, void *arg)
{
	struct vr_status_snap *s = arg;

	s->state = state;
	if (!v)
		return 0;
	spin_lock(&v->lock);
	s->total = v->total_pages;
	s->anon = v->rss_anon;
	s->file = v->rss_file;
	s->nr = v->nr_maps;
	spin_unlock(&v->lock);
	s->has_vmar = true;
	return 0;
}

/*
 * PPid: the spawner's tgid as the reader's pid namespace sees it (one
 * global mount, so the reader's namespace, not the mount's as procfs
 * does), and 0 if it cannot see it or the spawner's process is gone: its
 * tgid has no task once it is reaped (Linux shows the reaper from its
 * exit on; the pid would name a dead or a reused process).
 */
static pid_t vr_ppid(const struct vr_pproc *pp)
{
	if (!pid_has_task(pp->spawner, PIDTYPE_TGID))
		return 0;
	return pid_nr_ns(pp->spawner, task_active_pid_ns(current));
}

/*
 * Uid: and Gid: as proc_pid_status() prints them, in the reader's user
 * namespace (as PPid: the reader's, where procfs takes the opener's).
 */
static void vr_status_ids(struct seq_file *m, const struct vr_ids *ids)
{
	struct user_namespace *ns = current_user_ns();
	int i;

	seq_puts(m, "Uid:");
	for (i = 0; i < ARRAY_SIZE(ids->uid); i++)
		seq_printf(m, "\t%u", from_kuid_munged(ns, ids->uid[i]));
	seq_puts(m, "\nGid:");
	for (i = 0; i < ARRAY_SIZE(ids->gid); i++)
		seq_printf(m, "\t%u", from_kgid_munged(ns, ids->gid[i]));
	seq_putc(m, '\n');
}

/**
 * vr_render_status() - Render a pproc's status file, counting the read.
 * @m: the seq_file to print into.
 * @pp: the pproc; the caller holds a reference to it.
 * @ctx: the read's parameters; its mode reads the VMAR.
 *
 * Context: process context, no lock held; may sleep (the mode).
 * Return: 0, or the mode's error.
 */
int vr_render_status(struct seq_file *m, struct vr_pproc *pp,
		     const struct vr_read_ctx *ctx)
{
	struct vr_status_snap s = {};
	struct vr_ids ids;
	int ret;

	ret = vr_mode_read(pp, ctx, vr_status_snap, &s);
	atomic_long_inc(&vr_stats.status_reads);
	if (ret) {
		atomic_long_inc(&vr_stats.read_errors);
		return ret;
	}
	vr_cred_read(pp, ctx->cred_mode, &ids);
	seq_printf(m, "Name:\t%s\nState:\t%s\nPid:\t%d\nPPid:\t%d\n",
		   pp->name, vr_state_names[s.state], pp->pid, vr_ppid(pp));
	vr_status_ids(m, &ids);
	if (!s.has_vmar) {
		atomic_long_inc(&vr_stats.zombie_reads);
		return 0;
	}
	seq_printf(m, "VmSize:\t%8lu kB\nVmRSS:\t%8lu kB\nRssAnon:\t%8lu kB\nRssFile:\t%8lu kB\nMappings:\t%lu\n",
		   VR_KB(s.total), VR_KB(s.anon + s.file), VR_KB(s.anon),
		   VR_KB(s.file), s.nr);
	return 0;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_render_status);

static int vr_status_show(struct seq_file *m, void *unused)
{
	struct vr_read_ctx ctx;

	vr_read_ctx_init(&ctx, VR_FILE_STATUS);
	return vr_render_status(m, m->private, &ctx);
}

/*
 * maps: records are copied out VR_MAPS_BATCH at a time, each batch through
 * one read of the mode, so no mode holds anything between seq_file
 * callbacks and checked holds pp->lock for one batch at most, however far
 * a pread() seeks.
 */
#define VR_MAPS_BATCH	32

struct vr_map_rec {
	u64 start, end;
	u32 flags;
};

struct vr_maps_iter {
	struct vr_pproc *pp;
	struct vr_read_ctx ctx;		/* sampled once per start..stop pass */
	struct vr_map_rec batch[VR_MAPS_BATCH];
	unsigned int n, i;		/* records in batch, the current one */
	bool last;			/* batch not full: nothing after it */
	loff_t pos;			/* record index of batch[i] */
	u64 next_addr;			/* where the next batch starts */
	bool exited;			/* the last batch found no VMAR */
	enum vr_maps_mode maps_mode;	/* chosen at open */
	struct vr_vmar *pin;		/* grabbed at open unless lookup */
};

static int vr_maps_copy(enum vr_state state, struct vr_vmar *v, void *arg)
{
	struct vr_maps_iter *it = arg;
	struct vr_mapping *mp;

	it->n = 0;
	it->i = 0;
	it->exited = !v;
	it->last = true;
	if (!v)
		return 0;
	spin_lock(&v->lock);
	for (mp = vr_vmar_first_from(v, it->next_addr); mp && it->n < VR_MAPS_BATCH;
	     mp = vr_vmar_next(mp)) {
		it->batch[it->n].start = mp->start;
		it->batch[it->n].end = mp->end;
		it->batch[it->n].flags = mp->flags;
		it->n++;
	}
	spin_unlock(&v->lock);
	it->last = it->n < VR_MAPS_BATCH;
	if (it->n)
		it->next_addr = it->batch[it->n - 1].end;
	return 0;
}

/* The record at it->pos, fetching a batch if needed; NULL at the end. */
static void *vr_maps_cur(struct vr_maps_iter *it)
{
	int ret;

	if (it->i < it->n)
		return &it->batch[it->i];
	if (it->last)
		return NULL;	/* the end, without another read of the mode */
	if (fatal_signal_pending(current))
		return ERR_PTR(-EINTR);	/* a long seek or read ends when killed */
	cond_resched();
	if (it->maps_mode == VR_MAPS_LOOKUP)
		ret = vr_mode_read(it->pp, &it->ctx, vr_maps_copy, it);
	else
		ret = vr_maps_pin_read(it->pin, it->pp->pid, it->maps_mode,
				       vr_maps_copy, it);
	it->ctx.delay_us = 0;	/* race_delay_us: once per pass, not per batch */
	if (ret) {
		atomic_long_inc(&vr_stats.read_errors);
		return ERR_PTR(ret);
	}
	return it->n ? &it->batch[0] : NULL;
}

static void *vr_maps_advance(struct vr_maps_iter *it)
{
	it->i++;
	it->pos++;
	return vr_maps_cur(it);
}

static void *vr_maps_start(struct seq_file *m, loff_t *pos)
{
	struct vr_maps_iter *it = m->private;
	int ret = vr_handle_check(it->pp);
	void *p;

	if (ret)
		return ERR_PTR(ret);
	vr_read_ctx_init(&it->ctx, VR_FILE_MAPS);
	atomic_long_inc(&vr_stats.maps_reads);
	if (!*pos || *pos != it->pos) {		/* lseek(): walk from 0 */
		it->pos = 0;
		it->next_addr = 0;
	} else if (it->i < it->n) {		/* go on from the record due */
		it->next_addr = it->batch[it->i].start;
	}
	it->n = 0;		/* the VMAR may have changed since: fetch again */
	it->i = 0;
	it->last = false;
	p = vr_maps_cur(it);
	if (!*pos && it->exited)
		atomic_long_inc(&vr_stats.zombie_reads);
	while (p && !IS_ERR(p) && it->pos < *pos)
		p = vr_maps_advance(it);
	return p;
}

static void *vr_maps_next(struct seq_file *m, void *p, loff_t *pos)
{
	struct vr_maps_iter *it = m->private;

	p = vr_maps_advance(it);
	*pos = it->pos;
	return p;
}

static void vr_maps_stop(struct seq_file *m, void *p)
{
}

static int vr_maps_show(struct seq_file *m, void *p)
{
	struct vr_map_rec *mp = p;
	u32 f = mp->flags;

	seq_printf(m, "%08llx-%08llx %c%c%cp %08llx 00:00 0",
		   mp->start, mp->end,
		   f & VMAR_RACE_PROT_READ ? 'r' : '-',
		   f & VMAR_RACE_PROT_WRITE ? 'w' : '-',
		   f & VMAR_RACE_PROT_EXEC ? 'x' : '-', 0ULL);
	seq_puts(m, f & VMAR_RACE_MAP_FILE ? "    [vmar_race:file]\n" : "\n");
	return 0;
}

static const struct seq_operations vr_maps_ops = {
	.start = vr_maps_start,
	.next = vr_maps_next,
	.stop = vr_maps_stop,
	.show = vr_maps_show,
};

static int vr_status_show_checked(struct seq_file *m, void *unused)
{
	return vr_handle_check(m->private) ?: vr_status_show(m, unused);
}

static int vr_status_open(struct inode *inode, struct file *file)
{
	return vr_handle_check(inode->i_private) ?:
	       single_open(file, vr_status_show_checked, inode->i_private);
}

const struct file_operations vr_status_fops = {
	.open = vr_status_open,
	.read_iter = seq_read_iter,
	.llseek = seq_lseek,
	.release = single_release,
};

/*
 * May current read pp's address space? PTRACE_MODE_READ_FSCREDS as
 * mm_access() asks it, against the pproc's credentials now (SETIDS may
 * have replaced them): the reader's fsuid and fsgid are all of its ids,
 * or the reader has CAP_SYS_PTRACE over its user namespace. -EACCES
 * otherwise, as for /proc/<pid>/maps. An exited pproc has no address space
 * to guard: anyone may open its maps and reads are empty, as mm_access()
 * gives proc_mem_open() no mm and no check.
 */
static int vr_may_read_vmar(struct vr_pproc *pp)
{
	const struct cred *c = current_cred();
	struct vr_cred *t;
	int ret = 0;

	/* Pairs with smp_store_release() of ZOMBIE in vr_pproc_exit(). */
	if (smp_load_acquire(&pp->state) != VR_RUNNING)
		return 0;

	t = vr_pproc_cred_get(pp);
	if (!uid_eq(c->fsuid, t->euid) || !uid_eq(c->fsuid, t->suid) ||
	    !uid_eq(c->fsuid, t->uid) || !gid_eq(c->fsgid, t->egid) ||
	    !gid_eq(c->fsgid, t->sgid) || !gid_eq(c->fsgid, t->gid))
		ret = ns_capable(t->user_ns, CAP_SYS_PTRACE) ? 0 : -EACCES;
	vr_cred_put(t);
	return ret;
}

/*
 * As proc_maps_open(): who may read is decided at open (mm_access()), and
 * with maps_mode grab or upgrade the VMAR's object is pinned there, as
 * proc_mem_open() does with mmgrab() and mmput().
 */
static int vr_maps_open(struct inode *inode, struct file *file)
{
	struct vr_pproc *pp = inode->i_private;
	struct vr_maps_iter *it;
	struct vr_vmar *v;
	int ret = vr_handle_check(pp) ?: vr_may_read_vmar(pp);

	if (ret)
		return ret;
	it = __seq_open_private(file, &vr_maps_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->pp = pp;
	it->maps_mode = vr_maps_mode_now();
	if (it->maps_mode != VR_MAPS_LOOKUP) {
		v = vr_pproc_vmar_get(pp);	/* NULL once exited */
		if (v) {
			vr_vmar_grab(v);
			vr_vmar_put(v);
		}
		it->pin = v;
	}
	return 0;
}

static int vr_maps_release(struct inode *inode, struct file *file)
{
	struct vr_maps_iter *it = ((struct seq_file *)file->private_data)->private;

	if (it->pin)
		vr_vmar_drop(it->pin);
	return seq_release_private(inode, file);
}

const struct file_operations vr_maps_fops = {
	.open = vr_maps_open,
	.read_iter = seq_read_iter,
	.llseek = seq_lseek,
	.release = vr_maps_release,
};

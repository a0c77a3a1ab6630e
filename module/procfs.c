// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/vmar_race/<pid>/{status,maps}: the renderers every read mode shares.
 * Each read samples the mode once (vr_read_ctx_init()), asks it for the
 * VMAR, renders and gives it back. A file's data is its pproc; reap removes
 * the directory before the pproc can go, so a reader in here always has it.
 */
#include <linux/kernel.h>
#include <linux/slab.h>

#include "vmar_race.h"

static const char * const vr_state_names[] = {
	[VR_RUNNING] = "R (running)",
	[VR_ZOMBIE] = "Z (zombie)",
	[VR_DEAD] = "X (dead)",
};

#define VR_KB(pages) ((pages) << (VR_PAGE_SHIFT - 10))

int vr_render_status(struct seq_file *m, struct vr_pproc *pp,
		     const struct vr_read_ctx *ctx)
{
	unsigned long total, anon, file, nr;
	const struct vr_read_mode *mode = ctx->mode;
	enum vr_state state;
	struct vr_vmar *v;
	int ret = 0;

	v = mode->get(pp, ctx);
	if (IS_ERR(v)) {
		ret = PTR_ERR(v);
		atomic_long_inc(&vr_stats.read_errors);
		goto put;
	}
	vr_testpoint(VR_TP_HELD, pp);
	/*
	 * A NULL slot means exited: a lockless (rcu) reader may see it before
	 * the ZOMBIE store that exit made under the lock.
	 */
	state = READ_ONCE(pp->state);
	if (!v && state == VR_RUNNING)
		state = VR_ZOMBIE;
	seq_printf(m, "Name:\t%s\nState:\t%s\nPid:\t%d\nPPid:\t%d\n",
		   pp->name, vr_state_names[state], pp->pid, pp->ppid);
	if (!v) {
		atomic_long_inc(&vr_stats.zombie_reads);
		goto put;
	}
	spin_lock(&v->lock);
	total = v->total_pages;
	anon = v->rss_anon;
	file = v->rss_file;
	nr = v->nr_maps;
	spin_unlock(&v->lock);
	seq_printf(m, "VmSize:\t%8lu kB\nVmRSS:\t%8lu kB\nRssAnon:\t%8lu kB\nRssFile:\t%8lu kB\nMappings:\t%lu\n",
		   VR_KB(total), VR_KB(anon + file), VR_KB(anon), VR_KB(file),
		   nr);
put:
	mode->put(pp, v);
	atomic_long_inc(&vr_stats.status_reads);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vr_render_status, VR_NS);

static int vr_status_show(struct seq_file *m, void *unused)
{
	struct vr_read_ctx ctx;

	vr_read_ctx_init(&ctx, "status");
	return vr_render_status(m, m->private, &ctx);
}

/*
 * maps: one read() is one start..stop pass under what the mode's get()
 * holds. Each record is copied out under v->lock, so no VMAR lock is held
 * between the seq_file callbacks.
 */
struct vr_maps_iter {
	struct vr_pproc *pp;
	struct vr_read_ctx ctx;
	struct vr_vmar *v;	/* from get(), valid until stop */
	bool got;
	struct vr_mapping cur;	/* copy of the record being shown */
	loff_t pos;		/* records emitted so far ... */
	u64 next_addr;		/* ... and where the next one starts */
};

/* Copy the first mapping ending above addr into it->cur; false at the end. */
static bool vr_maps_fetch(struct vr_maps_iter *it, u64 addr)
{
	struct vr_mapping *mp;

	spin_lock(&it->v->lock);
	mp = vr_vmar_first_from(it->v, addr);
	if (mp) {
		it->cur.start = mp->start;
		it->cur.end = mp->end;
		it->cur.flags = mp->flags;
	}
	spin_unlock(&it->v->lock);
	return mp;
}

static void *vr_maps_start(struct seq_file *m, loff_t *pos)
{
	struct vr_maps_iter *it = m->private;
	struct vr_vmar *v;

	if (!it->pp)
		it->pp = pde_data(file_inode(m->file));
	vr_read_ctx_init(&it->ctx, "maps");
	v = it->ctx.mode->get(it->pp, &it->ctx);
	it->v = v;
	it->got = true;
	if (IS_ERR(v)) {
		atomic_long_inc(&vr_stats.read_errors);
		return v;
	}
	vr_testpoint(VR_TP_HELD, it->pp);
	if (!v) {
		if (!*pos)
			atomic_long_inc(&vr_stats.zombie_reads);
		return NULL;
	}
	if (*pos != it->pos) {		/* lseek(): walk from the start */
		it->pos = 0;
		it->next_addr = 0;
	}
	for (;;) {
		if (!vr_maps_fetch(it, it->next_addr))
			return NULL;
		if (it->pos == *pos)
			return &it->cur;
		it->next_addr = it->cur.end;
		it->pos++;
	}
}

static void *vr_maps_next(struct seq_file *m, void *p, loff_t *pos)
{
	struct vr_maps_iter *it = m->private;

	it->next_addr = it->cur.end;
	it->pos = ++*pos;
	return vr_maps_fetch(it, it->next_addr) ? &it->cur : NULL;
}

static void vr_maps_stop(struct seq_file *m, void *p)
{
	struct vr_maps_iter *it = m->private;

	if (!it->got)
		return;
	it->ctx.mode->put(it->pp, it->v);
	it->got = false;
	it->v = NULL;
	atomic_long_inc(&vr_stats.maps_reads);
}

static int vr_maps_show(struct seq_file *m, void *p)
{
	struct vr_mapping *mp = p;
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

int vr_procfs_create(struct vr_pproc *pp, struct proc_dir_entry *root)
{
	char name[16];

	snprintf(name, sizeof(name), "%d", pp->pid);
	pp->dir = proc_mkdir(name, root);
	if (!pp->dir)
		return -ENOMEM;
	if (!proc_create_single_data("status", 0444, pp->dir, vr_status_show, pp) ||
	    !proc_create_seq_private("maps", 0444, pp->dir, &vr_maps_ops,
				     sizeof(struct vr_maps_iter), pp)) {
		proc_remove(pp->dir);
		return -ENOMEM;
	}
	return 0;
}

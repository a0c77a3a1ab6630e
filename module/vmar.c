// SPDX-License-Identifier: GPL-2.0
/*
 * VMAR objects: a reference-counted, ordered set of non-overlapping mappings
 * with RSS counters. Writers (MAP/UNMAP/TOUCH) hold v->mutex and may
 * allocate; they change the tree and counters under v->lock, which readers
 * take. See vmar_race.h for the lifetime rules.
 */
#include "vmar_race.h"

#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "trace/vmar_race.h"

/*
 * Own caches, like mm_cachep and vm_area_cachep: slab debugging and failslab
 * (its cache-filter) can single out this module's objects.
 */
static struct kmem_cache *vr_vmar_cachep;
static struct kmem_cache *vr_mapping_cachep;

static struct vr_uint_param vr_p_max_maps = { 1, 16777216, 65530 };
module_param_cb(max_maps, &vr_uint_ops, &vr_p_max_maps, 0644);
MODULE_PARM_DESC(max_maps,
		 "most mappings per VMAR (1-16777216, default 65530, like vm.max_map_count)");

/* Bounds TOUCH, UNMAP and teardown: each does per-page work. */
static struct vr_uint_param vr_p_max_pages = { 1, 16777216, 65536 };
module_param_cb(max_pages, &vr_uint_ops, &vr_p_max_pages, 0644);
MODULE_PARM_DESC(max_pages,
		 "most mapped 4 KiB pages per VMAR, like RLIMIT_AS (1-16777216, default 65536: 256 MiB)");

/*
 * A cache with a constructor is never merged with another (find_mergeable()),
 * so what the "uaf" mode writes into a freed VMAR (its v->lock) lands in
 * this cache's memory on every kernel, never in a kmalloc-128 neighbour.
 * The lock is the one field that is the same in every life of an object.
 */
static void vr_vmar_ctor(void *obj)
{
	struct vr_vmar *v = obj;

	spin_lock_init(&v->lock);
}

/**
 * vr_vmar_init() - Load: create the VMAR and mapping slab caches.
 *
 * Context: process context; may sleep. Undoes itself on failure.
 * Return: 0, or -ENOMEM.
 */
int vr_vmar_init(void)
{
	vr_vmar_cachep = kmem_cache_create("vr_vmar", sizeof(struct vr_vmar),
					   __alignof__(struct vr_vmar), 0, vr_vmar_ctor);
	vr_mapping_cachep = KMEM_CACHE(vr_mapping, 0);
	if (vr_vmar_cachep && vr_mapping_cachep)
		return 0;
	vr_vmar_exit();
	return -ENOMEM;
}

/**
 * vr_vmar_exit() - Unload: destroy the slab caches.
 *
 * Context: process context; may sleep. Every VMAR is freed and the caller
 * waited for the pending RCU frees (vr_registry_exit()).
 */
void vr_vmar_exit(void)
{
	kmem_cache_destroy(vr_mapping_cachep);
	kmem_cache_destroy(vr_vmar_cachep);
}

/**
 * vr_range_check() - Check a request's range.
 * @start: first address.
 * @len: length in bytes.
 *
 * Context: any context; takes no lock.
 * Return: 0 if the range is page-aligned, not empty and does not wrap,
 * else -EINVAL.
 */
int vr_range_check(u64 start, u64 len)
{
	u64 end;

	if (!len || !IS_ALIGNED(start, VR_PAGE_SIZE) || !IS_ALIGNED(len, VR_PAGE_SIZE))
		return -EINVAL;
	if (check_add_overflow(start, len, &end))	/* wraps past 2^64 */
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_range_check);

/**
 * vr_vmar_create() - Allocate an empty VMAR.
 *
 * Context: process context; may sleep (GFP_KERNEL_ACCOUNT).
 * Return: the VMAR (v->lock unlocked, from the constructor; v->pid 0 until
 * the caller sets it) with one users reference, which the caller drops
 * with vr_vmar_put(), or NULL if out of memory.
 */
struct vr_vmar *vr_vmar_create(void)
{
	struct vr_vmar *v = kmem_cache_alloc(vr_vmar_cachep, GFP_KERNEL_ACCOUNT);

	if (!v)
		return NULL;
	refcount_set(&v->users, 1);
	refcount_set(&v->count, 1);	/* held by the users, together */
	mutex_init(&v->mutex);
	v->maps = RB_ROOT;
	v->nr_maps = 0;
	v->total_pages = 0;
	v->rss_anon = 0;
	v->rss_file = 0;
	xa_init(&v->resident);
	v->pid = 0;
	atomic_long_inc(&vr_stats.vmars_alive);
	return v;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_vmar_create);

/**
 * vr_vmar_get() - Take another reference to a VMAR.
 * @v: the VMAR; the caller holds a reference to it, or holds pp->lock over
 *     a slot that points to it (the slot's reference keeps it).
 *
 * Context: any context; takes no lock, does not sleep. The new reference
 * is dropped with vr_vmar_put().
 */
void vr_vmar_get(struct vr_vmar *v)
{
	int old;

	__refcount_inc(&v->users, &old);
	trace_vmar_race_vmar_get(v->pid, v, old + 1);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_vmar_get);

/* Forget the touched pages in [first, last]; returns how many there were. */
static unsigned long vr_drop_resident(struct vr_vmar *v, unsigned long first,
				      unsigned long last)
{
	unsigned long idx, n = 0;
	void *entry;

	xa_for_each_range(&v->resident, idx, entry, first, last) {
		xa_erase(&v->resident, idx);
		if (!(++n & 1023))
			cond_resched();
	}
	return n;
}

static void vr_vmar_free_rcu(struct rcu_head *rcu)
{
	struct vr_vmar *v = container_of(rcu, struct vr_vmar, rcu);

	trace_vmar_race_vmar_free(v->pid, v);
	kmem_cache_free(vr_vmar_cachep, v);
	atomic_long_dec(&vr_stats.vmars_alive);
}

/*
 * Drop a count (the object's reference); the last frees @v a grace period
 * later, or at once after one if @sync (a task let go from "free").
 */
static void __vr_vmar_drop(struct vr_vmar *v, bool sync)
{
	if (!refcount_dec_and_test(&v->count))
		return;
	if (sync) {
		synchronize_rcu();
		vr_vmar_free_rcu(&v->rcu);
	} else {
		call_rcu(&v->rcu, vr_vmar_free_rcu);
	}
}

/**
 * vr_vmar_grab() - Pin a VMAR's object, not its contents (Linux: mmgrab()).
 * @v: the VMAR; the caller holds a users reference or a count.
 *
 * The struct stays (its v->lock, its pid) until vr_vmar_drop(); its
 * mappings are the users' and may be torn down meanwhile: to walk them,
 * upgrade with vr_vmar_get_not_zero() first.
 *
 * Context: any context; takes no lock, does not sleep.
 */
void vr_vmar_grab(struct vr_vmar *v)
{
	refcount_inc(&v->count);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_vmar_grab);

/**
 * vr_vmar_drop() - Drop what vr_vmar_grab() took (Linux: mmdrop()).
 * @v: the VMAR; the caller's count is consumed.
 *
 * Context: any context; takes no lock, does not sleep.
 */
void vr_vmar_drop(struct vr_vmar *v)
{
	__vr_vmar_drop(v, false);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_vmar_drop);

/**
 * vr_vmar_get_not_zero() - Upgrade a count to a users reference (Linux:
 * mmget_not_zero()).
 * @v: the VMAR; the caller holds a count (vr_vmar_grab()).
 *
 * Context: any context; takes no lock, does not sleep.
 * Return: true with a users reference the caller drops with
 * vr_vmar_put(); false once the last user is gone: the mappings are torn
 * down or being torn down, and nothing may walk them.
 */
bool vr_vmar_get_not_zero(struct vr_vmar *v)
{
	return refcount_inc_not_zero(&v->users);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_vmar_get_not_zero);

/**
 * vr_vmar_put() - Drop a users reference to a VMAR (Linux: mmput()).
 * @v: the VMAR; the caller's reference is consumed.
 *
 * The last user tears the mappings down at once (bounded by max_maps and
 * max_pages, with cond_resched()) and drops the users' count; the last
 * count frees @v after a grace period, so an RCU reader whose
 * refcount_inc_not_zero() fails still reads valid memory. As exit_mmap()
 * before the maple tree (4.x), the teardown takes no lock and leaves the
 * tree pointing at the freed mappings: nobody holds users, so nobody may
 * walk them; a reader that only grabbed @v (maps_mode=grab) does. A task
 * let go from the "free" pause point waits for the grace period and frees
 * @v itself if it held the last count: when it returns, the memory is back
 * in the slab, which is what a forced use-after-free needs.
 *
 * Context: process context, no lock held; may sleep.
 */
void vr_vmar_put(struct vr_vmar *v)
{
	pid_t pid = v->pid;
	struct vr_mapping *m, *tmp;
	unsigned long n = 0;
	bool paused;
	int old;

	might_sleep();
	/* Once our reference is gone, v may be freed unless it was the last. */
	if (!__refcount_dec_and_test(&v->users, &old)) {
		trace_vmar_race_vmar_put(pid, v, old - 1);
		return;
	}
	trace_vmar_race_vmar_put(pid, v, 0);
	trace_vmar_race_vmar_release(pid, v);
	paused = vr_pause(VR_PAUSE_FREE, pid);
	rbtree_postorder_for_each_entry_safe(m, tmp, &v->maps, node) {
		kmem_cache_free(vr_mapping_cachep, m);
		if (!(++n & 1023))
			cond_resched();
	}
	vr_drop_resident(v, 0, ULONG_MAX);
	xa_destroy(&v->resident);	/* empty by now */
	mutex_destroy(&v->mutex);
	__vr_vmar_drop(v, paused);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_vmar_put);

/**
 * vr_vmar_first_from() - Find the first mapping that ends above an address.
 * @v: the VMAR; the caller keeps it alive and holds v->mutex or v->lock.
 * @addr: the address.
 *
 * Context: any context; takes no lock, does not sleep.
 * Return: the mapping, valid while the caller's lock is held (it carries
 * no reference), or NULL if there is none.
 */
struct vr_mapping *vr_vmar_first_from(struct vr_vmar *v, u64 addr)
{
	struct rb_node *n = v->maps.rb_node;
	struct vr_mapping *best = NULL;

	while (n) {
		struct vr_mapping *m = rb_entry(n, struct vr_mapping, node);

		if (m->end > addr) {
			best = m;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_vmar_first_from);

/**
 * vr_vmar_next() - Find the next mapping of a VMAR.
 * @m: a mapping; the caller holds its VMAR's v->mutex or v->lock.
 *
 * Context: any context; takes no lock, does not sleep.
 * Return: the mapping after @m, valid while the caller's lock is held, or
 * NULL if @m is the last.
 */
struct vr_mapping *vr_vmar_next(struct vr_mapping *m)
{
	struct rb_node *n = rb_next(&m->node);

	return n ? rb_entry(n, struct vr_mapping, node) : NULL;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_vmar_next);

static void vr_insert(struct vr_vmar *v, struct vr_mapping *new)
{
	struct rb_node **link = &v->maps.rb_node, *parent = NULL;

	while (*link) {
		struct vr_mapping *m = rb_entry(*link, struct vr_mapping, node);

		parent = *link;
		link = new->start < m->start ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &v->maps);
}

/**
 * vr_vmar_map() - Map a range, like mmap() at a fixed address.
 * @v: the VMAR; the caller holds a reference to it.
 * @start: first address, page-aligned.
 * @len: length in bytes, page-aligned.
 * @flags: VMAR_RACE_PROT_* and VMAR_RACE_MAP_FILE.
 *
 * Context: process context, no lock held; may sleep. Takes v->mutex
 * (killable), then v->lock.
 * Return: 0; -EINVAL for bad flags or range; -EEXIST on overlap; -ENOMEM
 * out of memory or past max_maps mappings or max_pages mapped pages
 * (RLIMIT_AS); -EINTR if killed while waiting for another writer.
 */
int vr_vmar_map(struct vr_vmar *v, u64 start, u64 len, u32 flags)
{
	struct vr_mapping *new, *next;
	int ret;

	if (flags & ~VMAR_RACE_MAP_FLAGS)
		return -EINVAL;
	ret = vr_range_check(start, len);
	if (ret)
		return ret;
	new = kmem_cache_alloc(vr_mapping_cachep, GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	new->start = start;
	new->end = start + len;
	new->flags = flags;

	if (mutex_lock_killable(&v->mutex)) {
		kmem_cache_free(vr_mapping_cachep, new);
		return -EINTR;
	}
	next = vr_vmar_first_from(v, start);
	if (next && next->start < new->end) {
		ret = -EEXIST;
	} else if (v->nr_maps >= READ_ONCE(vr_p_max_maps.val) ||
		   v->total_pages + (len >> VR_PAGE_SHIFT) > READ_ONCE(vr_p_max_pages.val)) {
		ret = -ENOMEM;
	} else {
		spin_lock(&v->lock);
		vr_insert(v, new);
		v->nr_maps++;
		v->total_pages += len >> VR_PAGE_SHIFT;
		spin_unlock(&v->lock);
		new = NULL;
	}
	mutex_unlock(&v->mutex);
	if (new)	/* unlike kfree(), kmem_cache_free(NULL) faults on 6.1 */
		kmem_cache_free(vr_mapping_cachep, new);
	return ret;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_vmar_map);

/*
 * UNMAP changes the tree and counters at most VR_UNMAP_BATCH mappings per
 * v->lock section, and frees them after unlocking: a reader spins on
 * v->lock for one batch, never for every mapping of the range.
 */
#define VR_UNMAP_BATCH	32

/**
 * vr_vmar_unmap() - Unmap a range, like munmap().
 * @v: the VMAR; the caller holds a reference to it.
 * @start: first address, page-aligned.
 * @len: length in bytes, page-aligned.
 *
 * Cuts [start, start + len) out, splitting what it straddles. The touched
 * pages go first, under the mutex only; then the tree and the counters
 * change VR_UNMAP_BATCH mappings per v->lock section, with cond_resched()
 * between sections. Readers may see a partly unmapped range, as a reader
 * of a Linux mm's counters may during munmap(); the counters always match
 * the tree.
 *
 * Context: process context, no lock held; may sleep. Takes v->mutex
 * (killable), then v->lock.
 * Return: 0; -EINVAL for a bad range; -ENOMEM if a needed split cannot be
 * allocated or would pass max_maps; -EINTR if killed while waiting.
 */
int vr_vmar_unmap(struct vr_vmar *v, u64 start, u64 len)
{
	struct vr_mapping *dead[VR_UNMAP_BATCH];
	struct vr_mapping *m, *next, *split = NULL;
	unsigned long gone_anon = 0, gone_file = 0, gone, n = 0;
	unsigned int i, ndead;
	u64 end = start + len;
	int ret;

	ret = vr_range_check(start, len);
	if (ret)
		return ret;
	if (mutex_lock_killable(&v->mutex))
		return -EINTR;
	m = vr_vmar_first_from(v, start);
	if (m && m->start < start && m->end > end) {
		if (v->nr_maps >= READ_ONCE(vr_p_max_maps.val)) {
			ret = -ENOMEM;	/* the split would pass max_maps, as munmap */
			goto out;
		}
		split = kmem_cache_alloc(vr_mapping_cachep, GFP_KERNEL_ACCOUNT);
		if (!split) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (next = m; next && next->start < end; next = vr_vmar_next(next)) {
		gone = vr_drop_resident(v, max(next->start, start) >> VR_PAGE_SHIFT,
					(min(next->end, end) >> VR_PAGE_SHIFT) - 1);
		if (next->flags & VMAR_RACE_MAP_FILE)
			gone_file += gone;
		else
			gone_anon += gone;
		if (!(++n & 1023))
			cond_resched();
	}
	spin_lock(&v->lock);
	v->rss_anon -= gone_anon;	/* RSS first: it never exceeds VmSize */
	v->rss_file -= gone_file;
	for (;;) {
		for (ndead = 0; m && m->start < end && ndead < VR_UNMAP_BATCH; m = next) {
			u64 from = max(m->start, start), to = min(m->end, end);

			next = vr_vmar_next(m);
			v->total_pages -= (to - from) >> VR_PAGE_SHIFT;
			if (m->start < start && m->end > end) {
				/* Punch a hole: [m->start, start) and [end, m->end). */
				split->start = end;
				split->end = m->end;
				split->flags = m->flags;
				m->end = start;
				vr_insert(v, split);
				v->nr_maps++;
				split = NULL;
			} else if (m->start < start) {
				m->end = start;
			} else if (m->end > end) {
				/* Keeps its place in the tree: nothing lies in between. */
				m->start = end;
			} else {
				rb_erase(&m->node, &v->maps);
				v->nr_maps--;
				dead[ndead++] = m;
			}
		}
		spin_unlock(&v->lock);
		/* Unlinked, and only v->mutex holders walk from m: ours to free. */
		for (i = 0; i < ndead; i++)
			kmem_cache_free(vr_mapping_cachep, dead[i]);
		if (!m || m->start >= end)
			break;
		cond_resched();
		spin_lock(&v->lock);
	}
out:
	mutex_unlock(&v->mutex);
	return ret;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_vmar_unmap);

/* Is [start, end) covered by mappings with no gap? Caller holds v->mutex. */
static bool vr_covered(struct vr_vmar *v, u64 start, u64 end)
{
	struct vr_mapping *m = vr_vmar_first_from(v, start);
	unsigned long n = 0;
	u64 at = start;

	for (; m && at < end; m = vr_vmar_next(m)) {
		if (m->start > at)
			return false;
		at = m->end;
		if (!(++n & 1023))
			cond_resched();	/* max_maps may be in the millions */
	}
	return at >= end;
}

/**
 * vr_vmar_touch() - Fault in every page of a mapped range.
 * @v: the VMAR; the caller holds a reference to it.
 * @start: first address, page-aligned.
 * @len: length in bytes, page-aligned.
 *
 * Each page is counted in RSS once. At most max_pages pages are mapped, so
 * the work is bounded; a fatal signal stops it within 1024 pages. On
 * -ENOMEM or -EINTR the pages touched so far stay resident, as after a
 * partial page-fault loop.
 *
 * Context: process context, no lock held; may sleep. Takes v->mutex
 * (killable), then v->lock.
 * Return: 0; -EINVAL for a bad range; -ENOMEM if the range is not wholly
 * mapped or out of memory; -EINTR if killed.
 */
int vr_vmar_touch(struct vr_vmar *v, u64 start, u64 len)
{
	unsigned long anon = 0, file = 0, done = 0;
	struct vr_mapping *m;
	u64 end = start + len, addr;
	int ret;

	ret = vr_range_check(start, len);
	if (ret)
		return ret;

	if (mutex_lock_killable(&v->mutex))
		return -EINTR;
	if (!vr_covered(v, start, end)) {
		ret = -ENOMEM;
		goto out;
	}
	for (m = vr_vmar_first_from(v, start); m && m->start < end && !ret;
	     m = vr_vmar_next(m)) {
		u64 to = min(m->end, end);

		for (addr = max(m->start, start); addr < to; addr += VR_PAGE_SIZE) {
			ret = xa_insert(&v->resident, addr >> VR_PAGE_SHIFT,
					xa_mk_value(1), GFP_KERNEL_ACCOUNT);
			if (ret == -EBUSY)
				ret = 0;	/* already resident */
			else if (ret)
				break;
			else if (m->flags & VMAR_RACE_MAP_FILE)
				file++;
			else
				anon++;
			if (!(++done & 1023)) {
				if (fatal_signal_pending(current)) {
					ret = -EINTR;
					break;
				}
				cond_resched();
			}
		}
	}
	spin_lock(&v->lock);
	v->rss_anon += anon;
	v->rss_file += file;
	spin_unlock(&v->lock);
out:
	mutex_unlock(&v->mutex);
	return ret;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_vmar_touch);

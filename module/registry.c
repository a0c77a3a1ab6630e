// SPDX-License-Identifier: GPL-2.0
/*
 * The pseudo-process registry: pids in an xarray (cyclic allocation, reused
 * only after reap), spawn, exit, reap, and the owner that exits its pprocs
 * when the spawning file is closed. See vmar_race.h for the lifetime rules.
 */
#include "vmar_race.h"

#include <linux/cred.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "trace/vmar_race.h"

static DEFINE_XARRAY_ALLOC1(vr_procs);	/* pid -> pproc, one counted ref */
static u32 vr_next_pid;			/* cyclic cursor, under xa_lock */
static atomic_t vr_nr_procs;		/* live + zombie, against max_procs */
static atomic64_t vr_serial;		/* spawns so far: pp->serial */
static struct kmem_cache *vr_pproc_cachep;	/* like task_struct_cachep */
static struct kmem_cache *vr_owner_cachep;

static struct vr_uint_param vr_p_max_procs = { 1, VR_PID_MAX - 1, 32768 };
module_param_cb(max_procs, &vr_uint_ops, &vr_p_max_procs, 0644);
MODULE_PARM_DESC(max_procs, "most live plus zombie pprocs (1-4194303, default 32768)");

/**
 * vr_owner_create() - Allocate an owner, for an open control file.
 *
 * Context: process context; may sleep (GFP_KERNEL_ACCOUNT).
 * Return: the owner with one reference, which the caller gives to
 * vr_owner_release(), or NULL if out of memory.
 */
struct vr_owner *vr_owner_create(void)
{
	struct vr_owner *o = kmem_cache_zalloc(vr_owner_cachep, GFP_KERNEL_ACCOUNT);

	if (!o)
		return NULL;
	refcount_set(&o->users, 1);
	spin_lock_init(&o->lock);
	INIT_LIST_HEAD(&o->procs);
	return o;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_owner_create);

static void vr_owner_put(struct vr_owner *o)
{
	if (refcount_dec_and_test(&o->users))
		kmem_cache_free(vr_owner_cachep, o);
}

static void vr_pproc_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(vr_pproc_cachep, container_of(rcu, struct vr_pproc, rcu));
	atomic_long_dec(&vr_stats.pprocs_alive);
}

/* What a pproc holds besides memory; RCU readers never look at these. */
static void vr_pproc_release(struct vr_pproc *pp)
{
	put_pid(pp->spawner);
	vr_cred_put(rcu_dereference_protected(pp->cred, 1));	/* last ref */
}

/**
 * vr_pproc_put() - Drop a reference to a pproc.
 * @pp: the pproc; the caller's reference is consumed.
 *
 * The last reference releases its spawner pid and credentials and frees
 * @pp after an RCU grace period, so RCU lookups may still look at it.
 *
 * Context: process context, no lock held.
 */
void vr_pproc_put(struct vr_pproc *pp)
{
	if (refcount_dec_and_test(&pp->users)) {
		vr_pproc_release(pp);
		call_rcu(&pp->rcu, vr_pproc_free_rcu);
	}
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pproc_put);

/* fs.h's core: a reference more (the caller holds one), reaped, serial. */
void vr_pproc_get(struct vr_pproc *pp)
{
	refcount_inc(&pp->users);
}

bool vr_pproc_gone(const struct vr_pproc *pp)
{
	return vr_pproc_reaped(pp);
}

u64 vr_pproc_serial(const struct vr_pproc *pp)
{
	return pp->serial;
}

/**
 * vr_pproc_find() - Look a published pid up.
 * @pid: the pid.
 *
 * Context: takes no lock (RCU and refcount_inc_not_zero()), does not sleep.
 * Return: the pproc, which may be reaped (vr_pproc_reaped()), with a
 * reference the caller drops with vr_pproc_put(); NULL if @pid is not
 * published.
 */
struct vr_pproc *vr_pproc_find(pid_t pid)
{
	struct vr_pproc *pp;

	if (pid <= 0)
		return NULL;
	rcu_read_lock();
	pp = xa_load(&vr_procs, pid);
	if (pp && !refcount_inc_not_zero(&pp->users))
		pp = NULL;
	rcu_read_unlock();
	return pp;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pproc_find);

/**
 * vr_pproc_next() - Find the published pproc with the lowest pid >= *@pid.
 * @pid: where to start; set to the found pproc's pid. Readdir walks with it.
 *
 * Context: takes no lock (RCU and refcount_inc_not_zero()), does not sleep.
 * Return: the pproc, which may be reaped, with a reference the caller
 * drops with vr_pproc_put(); NULL if there is none (*@pid unchanged).
 */
struct vr_pproc *vr_pproc_next(unsigned long *pid)
{
	struct vr_pproc *pp, *found = NULL;
	unsigned long idx;

	rcu_read_lock();
	xa_for_each_start(&vr_procs, idx, pp, *pid) {
		if (!xa_is_zero(pp) && refcount_inc_not_zero(&pp->users)) {
			found = pp;
			*pid = idx;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

/**
 * vr_pproc_vmar_get() - Take a reference to a pproc's VMAR.
 * @pp: the pproc; the caller holds a reference to it.
 *
 * Like Linux's get_task_mm(): take the lock, take a reference if the slot
 * is set, drop the lock. The ioctls and the "fixed" read mode use it.
 *
 * Context: process context, no lock held; takes and releases pp->lock,
 * does not sleep.
 * Return: the VMAR with a reference the caller drops with vr_vmar_put(),
 * or NULL once the pproc exited.
 */
struct vr_vmar *vr_pproc_vmar_get(struct vr_pproc *pp)
{
	struct vr_vmar *v;

	spin_lock(&pp->lock);
	v = rcu_dereference_protected(pp->slot, lockdep_is_held(&pp->lock));
	if (v)
		vr_vmar_get(v);
	spin_unlock(&pp->lock);
	return v;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pproc_vmar_get);

/**
 * vr_pproc_spawn() - Spawn, part one: a running pproc, not yet findable.
 * @o: the owner; the caller holds its reference (not yet released). The
 *     pproc takes another.
 * @name: the pproc's name; NULL or "" for "pproc".
 *
 * The pproc has its VMAR and a reserved pid, and is spawned by current:
 * its tgid is the PPid, its credentials own the files and decide who reads
 * the maps.
 *
 * Context: process context, no lock held; may sleep.
 * Return: the pproc, which nobody but the caller can reach; the caller
 * must pass it to vr_pproc_publish() or vr_pproc_abort(). ERR_PTR(-EAGAIN)
 * past max_procs or with the pid space full, ERR_PTR(-ENOMEM).
 */
struct vr_pproc *vr_pproc_spawn(struct vr_owner *o, const char *name)
{
	struct vr_pproc *pp;
	struct vr_cred *c;
	struct vr_vmar *v;
	u32 id;
	int ret;

	if (atomic_inc_return(&vr_nr_procs) > READ_ONCE(vr_p_max_procs.val)) {
		ret = -EAGAIN;
		goto out_count;
	}
	ret = -ENOMEM;
	pp = kmem_cache_zalloc(vr_pproc_cachep, GFP_KERNEL_ACCOUNT);
	if (!pp)
		goto out_count;
	atomic_long_inc(&vr_stats.pprocs_alive);
	c = vr_cred_from_current();
	if (!c)
		goto out_pp;
	v = vr_vmar_create();
	if (!v)
		goto out_cred;
	refcount_set(&pp->users, 2);	/* registry + owner list */
	spin_lock_init(&pp->lock);
	INIT_LIST_HEAD(&pp->owner_node);
	strscpy(pp->name, name && *name ? name : "pproc", sizeof(pp->name));
	pp->state = VR_RUNNING;
	RCU_INIT_POINTER(pp->slot, v);

	ret = xa_alloc_cyclic(&vr_procs, &id, NULL,
			      XA_LIMIT(1, VR_PID_MAX - 1), &vr_next_pid,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		ret = ret == -EBUSY ? -EAGAIN : ret;	/* pid space full */
		goto out_vmar;
	}
	pp->pid = id;
	v->pid = id;
	c->pid = id;
	pp->serial = atomic64_inc_return(&vr_serial);
	pp->spawner = get_pid(task_tgid(current));
	RCU_INIT_POINTER(pp->cred, c);
	pp->owner = o;
	refcount_inc(&o->users);
	return pp;

out_vmar:
	vr_vmar_put(v);
out_cred:
	vr_cred_put(c);
out_pp:
	kmem_cache_free(vr_pproc_cachep, pp);
	atomic_long_dec(&vr_stats.pprocs_alive);
out_count:
	atomic_dec(&vr_nr_procs);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pproc_spawn);

/**
 * vr_pproc_publish() - Spawn, part two: the pid finds the pproc.
 * @pp: from vr_pproc_spawn(); consumed: the caller may not use it after.
 *
 * The pproc's two references go to the registry and the owner's list (the
 * owner's close exits it). Once xa_store() returns, any descriptor may
 * exit and reap the pid and RCU may free the pproc, so everything else is
 * done before it, and @pp is not touched after it (the "published" pause
 * point holds us right there).
 *
 * Context: process context, no lock held; may sleep. Takes o->lock.
 */
void vr_pproc_publish(struct vr_pproc *pp)
{
	struct vr_owner *o = pp->owner;
	pid_t pid = pp->pid;

	spin_lock(&o->lock);
	list_add_tail(&pp->owner_node, &o->procs);
	spin_unlock(&o->lock);
	atomic_long_inc(&vr_stats.spawned);
	atomic_long_inc(&vr_stats.live);
	trace_vmar_race_spawn(pid, rcu_access_pointer(pp->slot));
	xa_store(&vr_procs, pid, pp, GFP_KERNEL);	/* replaces a reserved slot: no alloc */
	vr_pause(VR_PAUSE_PUBLISHED, pid);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pproc_publish);

/**
 * vr_pproc_abort() - Undo an unpublished spawn.
 * @pp: from vr_pproc_spawn(), never published; freed here with its VMAR,
 *      and its pid and owner reference go.
 *
 * Context: process context, no lock held; may sleep.
 */
void vr_pproc_abort(struct vr_pproc *pp)
{
	struct vr_vmar *v = rcu_dereference_protected(pp->slot, true);

	xa_erase(&vr_procs, pp->pid);
	atomic_dec(&vr_nr_procs);
	vr_owner_put(pp->owner);
	vr_vmar_put(v);
	vr_pproc_release(pp);
	kmem_cache_free(vr_pproc_cachep, pp);
	atomic_long_dec(&vr_stats.pprocs_alive);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pproc_abort);

/**
 * vr_pproc_exit() - Exit a running pproc.
 * @pp: the pproc; the caller holds a reference to it, which it keeps.
 *
 * Clears the slot under pp->lock (the NULL is published to RCU readers,
 * and the release store of ZOMBIE orders it for lockless state readers),
 * then drops the slot's VMAR reference, and the owner list's pproc
 * reference if it is still on the list, outside the lock. Exactly one
 * caller wins the RUNNING -> ZOMBIE transition, decided under the lock.
 *
 * Context: process context, no lock held; may sleep (the last
 * vr_vmar_put()). Takes pp->lock, then o->lock (not nested).
 * Return: 0 if this call exited it, -EINVAL if it is a zombie, -ESRCH if
 * it is reaped.
 */
int vr_pproc_exit(struct vr_pproc *pp)
{
	struct vr_owner *o;
	struct vr_vmar *v;
	bool linked;
	int ret;

	/*
	 * Count the exit calls that had to wait for pp->lock: the bench's
	 * measure of "readers never block exit" (rcu readers never take it;
	 * reap and the ioctls' vr_pproc_vmar_get() do, outside the bench).
	 */
	if (!spin_trylock(&pp->lock)) {
		atomic_long_inc(&vr_stats.exit_lock_waits);
		spin_lock(&pp->lock);
	}
	if (pp->state != VR_RUNNING) {
		ret = pp->state == VR_DEAD ? -ESRCH : -EINVAL;
		spin_unlock(&pp->lock);
		return ret;
	}
	v = rcu_dereference_protected(pp->slot, lockdep_is_held(&pp->lock));
	rcu_assign_pointer(pp->slot, NULL);
	/* The NULL slot before ZOMBIE: pairs with vr_race_window()'s acquire. */
	smp_store_release(&pp->state, VR_ZOMBIE);
	atomic_long_dec(&vr_stats.live);	/* under the lock: reap's */
	atomic_long_inc(&vr_stats.zombie);	/* decrement comes after */
	spin_unlock(&pp->lock);
	trace_vmar_race_exit(pp->pid, v);
	vr_pause(VR_PAUSE_CLEARED, pp->pid);

	o = pp->owner;		/* only the winner above gets here */
	pp->owner = NULL;
	spin_lock(&o->lock);
	linked = !list_empty(&pp->owner_node);
	list_del_init(&pp->owner_node);
	spin_unlock(&o->lock);
	if (linked)
		vr_pproc_put(pp);	/* the owner list's reference */
	vr_owner_put(o);

	vr_vmar_put(v);
	atomic_long_inc(&vr_stats.exited);
	return 0;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pproc_exit);

/**
 * vr_owner_release() - The spawning file is closing: exit its pprocs.
 * @o: the owner; the reference vr_owner_create() gave is consumed.
 *
 * Exits every pproc @o still runs, taking the owner list's reference of
 * each and dropping it after.
 *
 * Context: process context, no lock held; may sleep. Takes o->lock and
 * each pproc's pp->lock (not nested).
 */
void vr_owner_release(struct vr_owner *o)
{
	struct vr_pproc *pp;

	for (;;) {
		spin_lock(&o->lock);
		pp = list_first_entry_or_null(&o->procs, struct vr_pproc,
					      owner_node);
		if (pp)
			list_del_init(&pp->owner_node);	/* we take its ref */
		spin_unlock(&o->lock);
		if (!pp)
			break;
		vr_pproc_exit(pp);	/* -EINVAL if an EXIT ioctl won */
		vr_pproc_put(pp);
		cond_resched();		/* max_procs may be in the millions */
	}
	vr_owner_put(o);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_owner_release);

/* Remove a DEAD pproc from the pid space; drops the registry's ref. */
static void vr_unpublish(struct vr_pproc *pp)
{
	xa_erase(&vr_procs, pp->pid);
	atomic_dec(&vr_nr_procs);
	vr_pproc_put(pp);
}

/**
 * vr_pproc_reap() - Reap a zombie.
 * @pid: its pid.
 *
 * DEAD under its lock (from then on every /proc/vmar_race handle to it
 * fails with -ESRCH and its dentries are stale), then its pid goes with
 * the registry's reference, and its pause points are disarmed. Files and
 * dentries may keep the pproc itself, never its pid.
 *
 * Context: process context, no lock held; may sleep. Takes pp->lock.
 * Return: 0; -ESRCH if @pid is not published or a concurrent reap won;
 * -EINVAL if the pproc is running.
 */
int vr_pproc_reap(pid_t pid)
{
	struct vr_pproc *pp = vr_pproc_find(pid);
	int ret = 0;

	if (!pp)
		return -ESRCH;
	spin_lock(&pp->lock);
	if (pp->state == VR_RUNNING)
		ret = -EINVAL;
	else if (pp->state == VR_DEAD)
		ret = -ESRCH;		/* a concurrent reap won */
	else
		WRITE_ONCE(pp->state, VR_DEAD);
	if (!ret)
		atomic_long_dec(&vr_stats.zombie);
	spin_unlock(&pp->lock);
	if (!ret) {
		trace_vmar_race_reap(pid, NULL);
		vr_pause_forget(pid);	/* after DEAD: see debugfs.c's arm */
		vr_unpublish(pp);
		atomic_long_inc(&vr_stats.reaped);
	}
	vr_pproc_put(pp);
	return ret;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pproc_reap);

/**
 * vr_pause_arm_pproc() - The pause file's arm: arm @point for @pid, which
 * must be published and not reaped.
 * @point: the pause point.
 * @pid: the pproc's pid.
 *
 * Context: process context, no lock held.
 * Return: 0, -ESRCH for no such pproc, or vr_pause_arm()'s error.
 */
int vr_pause_arm_pproc(enum vr_pause_point point, pid_t pid)
{
	struct vr_pproc *pp = vr_pproc_find(pid);	/* published, not reaped */
	int ret;

	if (!pp)
		return -ESRCH;
	ret = vr_pause_arm(point, pid);
	/*
	 * Reaped since the lookup: its vr_pause_forget() may have run before
	 * the arm. DEAD is set before that call takes vr_pause_lock, so one of
	 * the two sees the other.
	 */
	if (!ret && READ_ONCE(pp->state) == VR_DEAD) {
		vr_pause_forget(pid);
		ret = -ESRCH;
	}
	vr_pproc_put(pp);
	return ret;
}

/**
 * vr_registry_init() - Load: create the pproc, owner and cred slab caches.
 *
 * Context: process context; may sleep. Undoes itself on failure.
 * Return: 0, or -ENOMEM.
 */
int vr_registry_init(void)
{
	vr_pproc_cachep = KMEM_CACHE(vr_pproc, 0);
	vr_owner_cachep = KMEM_CACHE(vr_owner, 0);
	if (vr_pproc_cachep && vr_owner_cachep && !vr_cred_init())
		return 0;
	kmem_cache_destroy(vr_owner_cachep);
	kmem_cache_destroy(vr_pproc_cachep);
	return -ENOMEM;
}

/**
 * vr_registry_exit() - Unload: exit and reap every pproc, free the caches.
 *
 * Context: process context, no lock held; may sleep. No control file is
 * open and the filesystem is not mounted (each holds a module reference),
 * so nothing can run or read. Waits for the RCU frees: vr_vmar_exit() may
 * run after this.
 */
void vr_registry_exit(void)
{
	struct vr_pproc *pp;
	unsigned long pid;

	xa_for_each(&vr_procs, pid, pp) {
		if (!refcount_inc_not_zero(&pp->users))
			continue;
		vr_pproc_exit(pp);
		vr_pproc_put(pp);
		if (vr_pproc_reap(pid))
			pr_warn("pid %lu could not be reaped at unload\n", pid);
		cond_resched();
	}
	rcu_barrier();	/* wait for every VMAR, pproc and cred to be freed */
	vr_cred_exit();
	kmem_cache_destroy(vr_owner_cachep);
	kmem_cache_destroy(vr_pproc_cachep);
}

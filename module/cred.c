// SPDX-License-Identifier: GPL-2.0
/*
 * The third race: a pproc's credentials, replaced under its readers as
 * commit_creds() replaces a task's. SETIDS publishes a new vr_cred with
 * rcu_assign_pointer() under pp->lock and puts the old one, which is freed
 * a grace period after its count reached zero (put_cred_rcu()). Readers:
 * the status file's Uid:/Gid: lines, through cred_mode (two correct paths,
 * two broken on purpose), and the filesystem (who owns a pproc's files,
 * who may read its maps), always through vr_pproc_cred_get().
 *
 * The "cred" pause point sits between loading the pointer and using it.
 * plain holds nothing there and sleeps; the others are inside
 * rcu_read_lock() and spin (vr_pause_atomic()).
 */
#include "vmar_race.h"

#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/user_namespace.h>

#include "trace/vmar_race.h"

static struct kmem_cache *vr_cred_cachep;	/* like cred_jar */

/**
 * vr_cred_init() - Load: create the credentials' slab cache.
 *
 * Context: process context; may sleep.
 * Return: 0, or -ENOMEM.
 */
int vr_cred_init(void)
{
	vr_cred_cachep = KMEM_CACHE(vr_cred, 0);
	return vr_cred_cachep ? 0 : -ENOMEM;
}

/**
 * vr_cred_exit() - Unload: destroy the cache.
 *
 * Context: process context; may sleep. Every pproc is freed and the caller
 * waited for the pending RCU frees (rcu_barrier()).
 */
void vr_cred_exit(void)
{
	kmem_cache_destroy(vr_cred_cachep);
}

/* A new vr_cred with one reference, or NULL. */
static struct vr_cred *vr_cred_alloc(void)
{
	struct vr_cred *c = kmem_cache_alloc(vr_cred_cachep, GFP_KERNEL_ACCOUNT);

	if (!c)
		return NULL;
	refcount_set(&c->usage, 1);
	c->pid = 0;	/* until its pproc has one */
	atomic_long_inc(&vr_stats.creds_alive);
	return c;
}

/**
 * vr_cred_from_current() - A copy of current's ids, for a new pproc.
 *
 * Context: process context; may sleep (GFP_KERNEL_ACCOUNT).
 * Return: the credentials with one reference, which the caller drops with
 * vr_cred_put(), or NULL if out of memory.
 */
struct vr_cred *vr_cred_from_current(void)
{
	const struct cred *cur = current_cred();
	struct vr_cred *c = vr_cred_alloc();

	if (!c)
		return NULL;
	vr_cred_ids_from(c, cur);
	c->user_ns = get_user_ns(cur->user_ns);
	return c;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_cred_from_current);

/*
 * As put_cred_rcu(), which panics on it: a count that is not zero here was
 * raised after it reached zero (cred_mode=inc). Counted and told, not
 * fatal: the memory goes back to the slab all the same.
 */
static void vr_cred_free_rcu(struct rcu_head *rcu)
{
	struct vr_cred *c = container_of(rcu, struct vr_cred, rcu);
	unsigned int usage = refcount_read(&c->usage);

	if (usage) {
		atomic_long_inc(&vr_stats.creds_freed_in_use);
		pr_err("credentials %p freed with usage %u: a reader took a count that had reached zero\n",
		       c, usage);
	}
	atomic_long_dec(&vr_stats.creds_alive);
	trace_vmar_race_cred_free(c->pid, c);
	put_user_ns(c->user_ns);	/* the last put defers to a work item */
	kmem_cache_free(vr_cred_cachep, c);
}

/**
 * vr_cred_put() - Drop a reference to credentials (Linux: put_cred()).
 * @c: the credentials; the caller's reference is consumed.
 *
 * The last reference frees @c after a grace period, so a reader that
 * loaded the pointer under rcu_read_lock() may still read it.
 *
 * Context: any context; takes no lock, does not sleep.
 */
void vr_cred_put(struct vr_cred *c)
{
	if (refcount_dec_and_test(&c->usage))
		call_rcu(&c->rcu, vr_cred_free_rcu);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_cred_put);

/**
 * vr_pproc_cred_get() - Take a reference to a pproc's credentials (Linux:
 * get_task_cred()).
 * @pp: the pproc; the caller holds a reference to it.
 *
 * Retries until it counts credentials whose count was not already zero:
 * one that SETIDS replaced and put meanwhile is only waiting for its
 * grace period, and must not be brought back.
 *
 * Context: any context; takes no lock (RCU), does not sleep.
 * Return: the credentials, with a reference the caller drops with
 * vr_cred_put().
 */
struct vr_cred *vr_pproc_cred_get(struct vr_pproc *pp)
{
	struct vr_cred *c;

	rcu_read_lock();
	do {
		c = rcu_dereference(pp->cred);
	} while (!refcount_inc_not_zero(&c->usage));
	rcu_read_unlock();
	return c;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pproc_cred_get);

/*
 * fs.h's task_dump_owner(): the effective ids as they are now, under RCU
 * with no reference (__task_cred()); root's for the files of an exited
 * pproc, while its directory keeps the pproc's.
 */
void vr_pproc_dump_owner(const struct vr_pproc *pp, bool dir, kuid_t *uid,
			 kgid_t *gid)
{
	const struct vr_cred *c;

	*uid = GLOBAL_ROOT_UID;
	*gid = GLOBAL_ROOT_GID;
	if (!dir && READ_ONCE(pp->state) != VR_RUNNING)
		return;
	rcu_read_lock();
	c = rcu_dereference(pp->cred);
	*uid = c->euid;
	*gid = c->egid;
	rcu_read_unlock();
}

/* The state SETIDS refuses: -EINVAL once exited, -ESRCH once reaped. */
static int vr_setids_state(const struct vr_pproc *pp)
{
	switch (READ_ONCE(pp->state)) {
	case VR_RUNNING:
		return 0;
	case VR_ZOMBIE:
		return -EINVAL;
	default:
		return -ESRCH;
	}
}

/**
 * vr_pproc_setids() - Replace a pproc's credentials (Linux: commit_creds()).
 * @pp: the pproc; the caller holds a reference to it.
 * @uid: the new real, effective, saved and fs uid.
 * @gid: the new real, effective, saved and fs gid.
 *
 * As setresuid(u, u, u) and setresgid(g, g, g) would: the ids must be
 * mapped in the pproc's user namespace, and an id it does not already
 * have needs CAP_SETUID (CAP_SETGID) there. The new credentials are
 * published under pp->lock, only over the ones checked (else it checks
 * again); the old ones are put after it and freed a grace period later.
 *
 * Context: process context, no lock held; may sleep (GFP_KERNEL_ACCOUNT).
 * Takes pp->lock.
 * Return: 0; -EINVAL for an exited pproc or an unmapped id; -ESRCH once
 * reaped; -EPERM; -ENOMEM.
 */
int vr_pproc_setids(struct vr_pproc *pp, kuid_t uid, kgid_t gid)
{
	struct vr_cred *old, *new, *cur;
	int ret;

again:
	ret = vr_setids_state(pp);
	if (ret)
		return ret;
	old = vr_pproc_cred_get(pp);
	ret = vr_cred_may_set(old, uid, gid);
	if (ret)
		goto out;
	ret = -ENOMEM;
	new = vr_cred_alloc();
	if (!new)
		goto out;
	vr_cred_ids_set(new, uid, gid);
	new->user_ns = get_user_ns(old->user_ns);
	new->pid = pp->pid;

	/*
	 * Commit only over the credentials the check was made against: a
	 * SETIDS that replaced them meanwhile may have taken away an id
	 * this one was allowed to keep. Our reference to old keeps its
	 * address from being reused, so the comparison is exact.
	 */
	spin_lock(&pp->lock);
	cur = rcu_dereference_protected(pp->cred, lockdep_is_held(&pp->lock));
	ret = vr_setids_state(pp);
	if (ret || cur != old) {
		spin_unlock(&pp->lock);
		vr_cred_put(new);
		vr_cred_put(old);
		if (ret)
			return ret;
		goto again;
	}
	rcu_assign_pointer(pp->cred, new);
	spin_unlock(&pp->lock);
	trace_vmar_race_setids(pp->pid, old, new);
	vr_cred_put(old);	/* pp->cred's reference: it no longer points here */
	ret = 0;
out:
	vr_cred_put(old);	/* ours */
	return ret;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pproc_setids);

/* ---- cred_mode: how a status read gets the ids it prints ---- */

static void vr_ids_copy(struct vr_ids *ids, const struct vr_cred *c)
{
	ids->uid[0] = c->uid;
	ids->uid[1] = c->euid;
	ids->uid[2] = c->suid;
	ids->uid[3] = c->fsuid;
	ids->gid[0] = c->gid;
	ids->gid[1] = c->egid;
	ids->gid[2] = c->sgid;
	ids->gid[3] = c->fsgid;
}

/* rcu: __task_cred(). Copy inside rcu_read_lock(), no reference. */
static void vr_cred_read_rcu(struct vr_pproc *pp, struct vr_ids *ids)
{
	const struct vr_cred *c;

	rcu_read_lock();
	c = rcu_dereference(pp->cred);
	trace_vmar_race_cred_get(pp->pid, VR_CRED_RCU, c);
	vr_pause_atomic(VR_PAUSE_CRED, pp->pid);
	vr_ids_copy(ids, c);
	rcu_read_unlock();
}

/* get: get_task_cred(). A reference, taken only on a count not at zero. */
static void vr_cred_read_get(struct vr_pproc *pp, struct vr_ids *ids)
{
	struct vr_cred *c;

	rcu_read_lock();
	do {
		c = rcu_dereference(pp->cred);
		trace_vmar_race_cred_get(pp->pid, VR_CRED_GET, c);
		vr_pause_atomic(VR_PAUSE_CRED, pp->pid);
	} while (!refcount_inc_not_zero(&c->usage));
	rcu_read_unlock();
	vr_ids_copy(ids, c);
	vr_cred_put(c);
}

/* plain: no RCU. A replaced cred may be freed before the copy. */
static void vr_cred_read_plain(struct vr_pproc *pp, struct vr_ids *ids)
{
	const struct vr_cred *c = unrcu_pointer(pp->cred);	/* plain load */

	trace_vmar_race_cred_get(pp->pid, VR_CRED_PLAIN, c);
	vr_pause(VR_PAUSE_CRED, pp->pid);
	vr_ids_copy(ids, c);
}

/*
 * inc: under RCU, but a plain increment. On a count that a replacement
 * already took to zero, refcount_t warns ("addition on 0") and the copy
 * may read what the grace period then frees.
 */
static void vr_cred_read_inc(struct vr_pproc *pp, struct vr_ids *ids)
{
	struct vr_cred *c;

	rcu_read_lock();
	c = rcu_dereference(pp->cred);
	trace_vmar_race_cred_get(pp->pid, VR_CRED_INC, c);
	vr_pause_atomic(VR_PAUSE_CRED, pp->pid);
	refcount_inc(&c->usage);
	rcu_read_unlock();
	vr_ids_copy(ids, c);
	vr_cred_put(c);
}

static const struct {
	const char *name;
	void (*read)(struct vr_pproc *pp, struct vr_ids *ids);
	const char *danger;	/* unsafe variants only */
} vr_cred_modes[VR_NR_CRED_MODES] = {
	[VR_CRED_RCU] = { "rcu", vr_cred_read_rcu },
	[VR_CRED_GET] = { "get", vr_cred_read_get },
	[VR_CRED_PLAIN] = { "plain", vr_cred_read_plain,
			    "make the kernel read freed credentials" },
	[VR_CRED_INC] = { "inc", vr_cred_read_inc,
			  "resurrect freed credentials (refcount_t warns)" },
};

static unsigned int vr_cred_mode = VR_CRED_RCU;

static int vr_cred_mode_set(const char *val, const struct kernel_param *kp)
{
	static unsigned long warned;
	enum vr_cred_mode i;

	if (vr_cred_mode_find(val, &i))
		return -EINVAL;
	if (vr_cred_modes[i].danger)
		vr_warn_unsafe("cred_mode", vr_cred_modes[i].name,
			       vr_cred_modes[i].danger, &warned, i);
	WRITE_ONCE(vr_cred_mode, i);
	return 0;
}

static int vr_cred_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vr_cred_modes[READ_ONCE(vr_cred_mode)].name);
}

static const struct kernel_param_ops vr_cred_mode_ops = {
	.set = vr_cred_mode_set,
	.get = vr_cred_mode_get,
};
module_param_cb(cred_mode, &vr_cred_mode_ops, NULL, 0644);
MODULE_PARM_DESC(cred_mode, "how status reads a pproc's ids: rcu (default), get, plain or inc");

/**
 * vr_cred_mode_now() - The cred_mode parameter, sampled once per read.
 *
 * Context: any context; takes no lock (one READ_ONCE()).
 * Return: the variant.
 */
enum vr_cred_mode vr_cred_mode_now(void)
{
	return READ_ONCE(vr_cred_mode);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_cred_mode_now);

/**
 * vr_cred_read() - Copy a pproc's ids through a cred_mode variant.
 * @pp: the pproc; the caller holds a reference to it.
 * @mode: the variant (vr_cred_mode_now(), or a KUnit case's).
 * @ids: filled with the real, effective, saved and fs ids.
 *
 * Context: process context, no lock held; may sleep (the pause point).
 */
void vr_cred_read(struct vr_pproc *pp, enum vr_cred_mode mode,
		  struct vr_ids *ids)
{
	vr_cred_modes[mode].read(pp, ids);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_cred_read);

/**
 * vr_cred_mode_find() - Find a cred_mode variant by name.
 * @name: "rcu", "get", "plain" or "inc"; a trailing newline is fine.
 * @mode: set to the variant.
 *
 * Context: any context; takes no lock.
 * Return: 0, or -EINVAL.
 */
int vr_cred_mode_find(const char *name, enum vr_cred_mode *mode)
{
	int i;

	for (i = 0; i < VR_NR_CRED_MODES; i++)
		if (sysfs_streq(name, vr_cred_modes[i].name)) {
			*mode = i;
			return 0;
		}
	return -EINVAL;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_cred_mode_find);

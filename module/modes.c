// SPDX-License-Identifier: GPL-2.0
/*
 * The read paths, side by side. Each is a "get the VMAR for reading / put it
 * back" pair; the status and maps renderers call whichever the mode
 * parameter names. Everything they share lives in procfs.c.
 *
 * The race window (race_delay_us, and the test pause point) sits where each
 * path is exposed to a concurrent exit: before the slot is looked at, or,
 * for uaf, between loading the pointer and using it.
 */
#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "vmar_race.h"

static void vr_race_window(struct vr_pproc *pp, const struct vr_read_ctx *ctx)
{
	vr_testpoint(VR_TP_FOUND, pp);
	if (ctx->delay_us)
		fsleep(ctx->delay_us);
}

/* What Asterinas's ProcessVmarGuard::unwrap() did on a None VMAR. */
static struct vr_vmar *vr_unwrap_failed(struct vr_pproc *pp,
					const struct vr_read_ctx *ctx)
{
	atomic_long_inc(&vr_stats.unwrap_none);
	switch (ctx->unwrap_fail) {
	case VR_UNWRAP_PANIC:
		panic("vmar_race: called `Option::unwrap()` on a `None` value: VMAR of exited pid %d read through /proc/vmar_race/%d/%s\n",
		      pp->pid, pp->pid, ctx->file);
	case VR_UNWRAP_OOPS:
		pr_emerg("called `Option::unwrap()` on a `None` value: VMAR of exited pid %d read through /proc/vmar_race/%d/%s\n",
			 pp->pid, pp->pid, ctx->file);
		break;
	case VR_UNWRAP_WARN:
		WARN_ONCE(1, "vmar_race: called `Option::unwrap()` on a `None` value: VMAR of exited pid %d read through /proc/vmar_race/%d/%s\n",
			  pp->pid, pp->pid, ctx->file);
		break;
	case VR_UNWRAP_QUIET:
		break;
	}
	return ERR_PTR(-EIO);	/* pp->lock still held: put() drops it */
}

/* buggy: Asterinas before the fix. Lock the slot and unwrap it. */
static struct vr_vmar *vr_buggy_get(struct vr_pproc *pp,
				    const struct vr_read_ctx *ctx)
	__acquires(&pp->lock)
{
	struct vr_vmar *v;

	vr_race_window(pp, ctx);
	spin_lock(&pp->lock);
	v = rcu_dereference_protected(pp->slot, lockdep_is_held(&pp->lock));
	if (v)
		return v;	/* pp->lock held until put */
	v = vr_unwrap_failed(pp, ctx);
	if (ctx->unwrap_fail == VR_UNWRAP_OOPS) {
		spin_unlock(&pp->lock);	/* the oops kills us; spare the lock */
		BUG();
	}
	return v;
}

/* checked: Asterinas's first fix. Check for None, render under the lock. */
static struct vr_vmar *vr_checked_get(struct vr_pproc *pp,
				      const struct vr_read_ctx *ctx)
	__acquires(&pp->lock)
{
	vr_race_window(pp, ctx);
	spin_lock(&pp->lock);
	return rcu_dereference_protected(pp->slot, lockdep_is_held(&pp->lock));
}

static void vr_locked_put(struct vr_pproc *pp, struct vr_vmar *v)
	__releases(&pp->lock)
{
	spin_unlock(&pp->lock);
}

/* uaf: no lock, no reference. Exit may free the VMAR under our feet. */
static struct vr_vmar *vr_uaf_get(struct vr_pproc *pp,
				  const struct vr_read_ctx *ctx)
{
	struct vr_vmar *v = unrcu_pointer(pp->slot);	/* plain, racy load */

	vr_race_window(pp, ctx);
	return v;
}

static void vr_nothing_put(struct vr_pproc *pp, struct vr_vmar *v)
{
}

/*
 * fixed: Linux's get_task_mm(). Lock, take a reference, unlock; the same
 * helper the ioctls use (registry.c).
 */
static struct vr_vmar *vr_fixed_get(struct vr_pproc *pp,
				    const struct vr_read_ctx *ctx)
{
	vr_race_window(pp, ctx);
	return vr_pproc_vmar_get(pp);
}

/* rcu: no lock; a reference only if the VMAR is not already dying. */
static struct vr_vmar *vr_rcu_get(struct vr_pproc *pp,
				  const struct vr_read_ctx *ctx)
{
	struct vr_vmar *v;

	vr_race_window(pp, ctx);
	rcu_read_lock();
	v = rcu_dereference(pp->slot);
	if (v && !refcount_inc_not_zero(&v->users))
		v = NULL;
	rcu_read_unlock();
	return v;
}

static void vr_ref_put(struct vr_pproc *pp, struct vr_vmar *v)
{
	if (!IS_ERR_OR_NULL(v))
		vr_vmar_put(v);
}

static const struct vr_read_mode vr_modes[] = {
	{ "buggy",   vr_buggy_get,   vr_locked_put },
	{ "checked", vr_checked_get, vr_locked_put },
	{ "uaf",     vr_uaf_get,     vr_nothing_put },
	{ "fixed",   vr_fixed_get,   vr_ref_put },
	{ "rcu",     vr_rcu_get,     vr_ref_put },
};

const struct vr_read_mode *vr_mode_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vr_modes); i++)
		if (sysfs_streq(name, vr_modes[i].name))
			return &vr_modes[i];
	return NULL;
}
EXPORT_SYMBOL_NS_GPL(vr_mode_find, VR_NS);

const struct vr_read_mode *vr_mode_by_index(unsigned int i)
{
	return i < ARRAY_SIZE(vr_modes) ? &vr_modes[i] : NULL;
}

unsigned int vr_mode_count(void)
{
	return ARRAY_SIZE(vr_modes);
}

void vr_read_ctx_init(struct vr_read_ctx *ctx, const char *file)
{
	ctx->mode = vr_current_mode();
	ctx->unwrap_fail = vr_current_unwrap_fail();
	ctx->delay_us = vr_current_delay_us();
	ctx->file = file;
}

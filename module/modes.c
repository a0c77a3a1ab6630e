// SPDX-License-Identifier: GPL-2.0
/*
 * The read paths, side by side. Each finds the pproc's VMAR its own way,
 * hands it to the renderer it was given and lets go of it: what a mode
 * holds, it takes and releases in its own few lines (sparse can check the
 * locked ones). Everything they share lives in render.c.
 *
 * The race window (race_delay_us, and the "found" pause point) sits where
 * each path is exposed to a concurrent exit: before the slot is looked at,
 * or, for uaf, between loading the pointer and using it. The "held" pause
 * point runs only where the reader holds no lock. Each mode traces what
 * its get() found (vmar_race_read_get).
 *
 * The parameters a read samples live here too: mode (choosing an unsafe
 * one taints the kernel), unwrap_fail and race_delay_us.
 */
#include "vmar_race.h"

#include <linux/bug.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "trace/vmar_race.h"

static const char * const vr_file_names[] = {
	[VR_FILE_STATUS] = "status",
	[VR_FILE_MAPS] = "maps",
};

#define VR_UNWRAP_MSG "called `Option::unwrap()` on a `None` value: VMAR of exited pid %d read through /proc/vmar_race/%d/%s\n"

/*
 * The window, then the state, in Linux's order (proc_pid_status() prints the
 * state before get_task_mm()): exit clears the slot before its release
 * store of ZOMBIE, so with this acquire load first a zombie is never
 * rendered with a VMAR; a running state without one is possible.
 * Return: 0 with *state set, or -EINTR if killed in the delay.
 */
static int vr_race_window(struct vr_pproc *pp, const struct vr_read_ctx *ctx,
			  enum vr_state *state)
{
	vr_pause(VR_PAUSE_FOUND, pp->pid);
	if (ctx->delay_us && vr_race_delay(ctx->delay_us))
		return -EINTR;
	/* Pairs with smp_store_release() of ZOMBIE in vr_pproc_exit(). */
	*state = smp_load_acquire(&pp->state);
	return 0;
}

/*
 * What Asterinas's ProcessVmarGuard::unwrap() did on a None VMAR. Called
 * under pp->lock; VR_UNWRAP_OOPS BUG()s once the caller has dropped it.
 */
static int vr_unwrap_failed(struct vr_pproc *pp, const struct vr_read_ctx *ctx)
{
	const char *file = vr_file_names[ctx->file];

	trace_vmar_race_unwrap_none(pp->pid, ctx->mode->id);
	atomic_long_inc(&vr_stats.unwrap_none);
	switch (ctx->unwrap_fail) {
	case VR_UNWRAP_PANIC:
		panic(KBUILD_MODNAME ": " VR_UNWRAP_MSG, pp->pid, pp->pid, file);
	case VR_UNWRAP_OOPS:
		pr_emerg(VR_UNWRAP_MSG, pp->pid, pp->pid, file);
		break;
	case VR_UNWRAP_WARN:
		WARN_ONCE(1, KBUILD_MODNAME ": " VR_UNWRAP_MSG, pp->pid, pp->pid,
			  file);
		break;
	case VR_UNWRAP_QUIET:
		break;
	}
	return -EIO;
}

/* buggy: Asterinas before the fix. Lock the slot and unwrap it. */
static int vr_buggy_read(struct vr_pproc *pp, const struct vr_read_ctx *ctx,
			 vr_render_fn render, void *arg)
{
	enum vr_state state;
	struct vr_vmar *v;
	int ret = vr_race_window(pp, ctx, &state);

	if (ret)
		return ret;
	spin_lock(&pp->lock);
	v = rcu_dereference_protected(pp->slot, lockdep_is_held(&pp->lock));
	trace_vmar_race_read_get(pp->pid, ctx->mode->id, v);
	ret = v ? render(state, v, arg) : vr_unwrap_failed(pp, ctx);
	spin_unlock(&pp->lock);
	if (!v && ctx->unwrap_fail == VR_UNWRAP_OOPS)
		BUG();
	return ret;
}

/* checked: Asterinas's fix (its issue 2194, still its code): None check, render under the lock. */
static int vr_checked_read(struct vr_pproc *pp, const struct vr_read_ctx *ctx,
			   vr_render_fn render, void *arg)
{
	enum vr_state state;
	struct vr_vmar *v;
	int ret = vr_race_window(pp, ctx, &state);

	if (ret)
		return ret;
	spin_lock(&pp->lock);
	v = rcu_dereference_protected(pp->slot, lockdep_is_held(&pp->lock));
	trace_vmar_race_read_get(pp->pid, ctx->mode->id, v);
	ret = render(state, v, arg);
	spin_unlock(&pp->lock);
	return ret;
}

/* uaf: no lock, no reference. Exit may free the VMAR under our feet. */
static int vr_uaf_read(struct vr_pproc *pp, const struct vr_read_ctx *ctx,
		       vr_render_fn render, void *arg)
{
	struct vr_vmar *v = unrcu_pointer(pp->slot);	/* plain, racy load */
	enum vr_state state;

	trace_vmar_race_read_get(pp->pid, ctx->mode->id, v);
	if (vr_race_window(pp, ctx, &state))
		return -EINTR;
	vr_pause(VR_PAUSE_HELD, pp->pid);
	return render(state, v, arg);
}

/* The two correct lockless modes: render on our own reference, drop it. */
static int vr_render_ref(struct vr_pproc *pp, const struct vr_read_ctx *ctx,
			 enum vr_state state, struct vr_vmar *v,
			 vr_render_fn render, void *arg)
{
	int ret;

	trace_vmar_race_read_get(pp->pid, ctx->mode->id, v);
	vr_pause(VR_PAUSE_HELD, pp->pid);
	ret = render(state, v, arg);
	if (v)
		vr_vmar_put(v);
	return ret;
}

/*
 * fixed: Linux's get_task_mm(). Lock, take a reference, unlock; the same
 * helper the ioctls use (registry.c).
 */
static int vr_fixed_read(struct vr_pproc *pp, const struct vr_read_ctx *ctx,
			 vr_render_fn render, void *arg)
{
	enum vr_state state;

	if (vr_race_window(pp, ctx, &state))
		return -EINTR;
	return vr_render_ref(pp, ctx, state, vr_pproc_vmar_get(pp), render, arg);
}

/* rcu: no lock; a reference only if the VMAR is not already dying. */
static int vr_rcu_read(struct vr_pproc *pp, const struct vr_read_ctx *ctx,
		       vr_render_fn render, void *arg)
{
	enum vr_state state;
	struct vr_vmar *v;

	if (vr_race_window(pp, ctx, &state))
		return -EINTR;
	rcu_read_lock();
	v = rcu_dereference(pp->slot);
	if (v && !refcount_inc_not_zero(&v->users))
		v = NULL;
	rcu_read_unlock();
	return vr_render_ref(pp, ctx, state, v, render, arg);
}

static const struct vr_read_mode vr_modes[VR_NR_MODES] = {
	[VR_MODE_BUGGY] = {
		.name = "buggy", .id = VR_MODE_BUGGY, .read = vr_buggy_read },
	[VR_MODE_CHECKED] = {
		.name = "checked", .id = VR_MODE_CHECKED, .read = vr_checked_read },
	[VR_MODE_UAF] = {
		.name = "uaf", .id = VR_MODE_UAF, .read = vr_uaf_read },
	[VR_MODE_FIXED] = {
		.name = "fixed", .id = VR_MODE_FIXED, .read = vr_fixed_read },
	[VR_MODE_RCU] = {
		.name = "rcu", .id = VR_MODE_RCU, .read = vr_rcu_read },
};

/**
 * vr_mode_find() - Find a read mode by name.
 * @name: "buggy", "checked", "uaf", "fixed" or "rcu"; a trailing newline
 *        is fine.
 *
 * Context: any context; takes no lock.
 * Return: the mode (static: nothing to put), or NULL if there is none.
 */
const struct vr_read_mode *vr_mode_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vr_modes); i++)
		if (sysfs_streq(name, vr_modes[i].name))
			return &vr_modes[i];
	return NULL;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_mode_find);

/**
 * vr_mode_read() - Read a pproc's VMAR through a mode, traced.
 * @pp: the pproc; the caller holds a reference to it.
 * @ctx: the read's parameters (vr_read_ctx_init()); its mode does the read.
 * @render: called with the state and VMAR the mode found, and with what
 *          the mode holds (pp->lock in buggy and checked: no sleeping).
 * @arg: passed to @render.
 *
 * Every read of a file goes through here. The mode lets go of the VMAR
 * before it returns: @render must copy out what it needs.
 *
 * Context: process context, no lock held; may sleep (the race window).
 * Return: what @render returned, or the mode's own error (-EIO for a None
 * VMAR in buggy, -EINTR if killed in race_delay_us).
 */
int vr_mode_read(struct vr_pproc *pp, const struct vr_read_ctx *ctx,
		 vr_render_fn render, void *arg)
{
	int ret;

	trace_vmar_race_read_start(pp->pid, ctx->mode->id, ctx->file);
	ret = ctx->mode->read(pp, ctx, render, arg);
	trace_vmar_race_read_end(pp->pid, ctx->mode->id, ret);
	return ret;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_mode_read);

/* ---- the parameters a read samples ---- */

/* mode: the read path of every status and maps read. */
static const struct vr_read_mode *vr_mode;

/* What an unsafe mode lets any reader of /proc/vmar_race do. */
static const char * const vr_mode_dangers[VR_NR_MODES] = {
	[VR_MODE_BUGGY] = "panic or oops the kernel (unwrap_fail) by reading a pproc that exits",
	[VR_MODE_UAF] = "make the kernel read and write freed VMARs",
};

/**
 * vr_warn_unsafe() - Taint for a parameter value that breaks the kernel.
 * @param: the parameter's name.
 * @val: the value chosen.
 * @danger: what it lets any reader of /proc/vmar_race do.
 * @warned: the caller's bitmap of values already told, one per parameter.
 * @bit: this value's bit in it.
 *
 * Like a module_param_unsafe() parameter: choosing a variant that breaks
 * the kernel on purpose taints it (TAINT_USER: the user asked for
 * something unsafe) and says so once per parameter value and load.
 *
 * Context: any context; takes no lock.
 */
void vr_warn_unsafe(const char *param, const char *val, const char *danger,
		    unsigned long *warned, unsigned int bit)
{
	if (!test_and_set_bit(bit, warned))
		pr_warn("%s=%s is unsafe: any user who can read %s can now %s; tainting the kernel\n",
			param, val, VMAR_RACE_PROC_ROOT, danger);
	add_taint(TAINT_USER, LOCKDEP_STILL_OK);
}

static void vr_mode_warn_unsafe(const struct vr_read_mode *mode)
{
	static unsigned long warned;

	if (vr_mode_dangers[mode->id])
		vr_warn_unsafe("mode", mode->name, vr_mode_dangers[mode->id],
			       &warned, mode->id);
}

static int vr_mode_set(const char *val, const struct kernel_param *kp)
{
	const struct vr_read_mode *mode = vr_mode_find(val);

	if (!mode)
		return -EINVAL;
	vr_mode_warn_unsafe(mode);
	WRITE_ONCE(vr_mode, mode);
	return 0;
}

/* The mode in force: the parameter, fixed if it was never set. */
static const struct vr_read_mode *vr_mode_now(void)
{
	return READ_ONCE(vr_mode) ?: &vr_modes[VR_MODE_FIXED];
}

static int vr_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vr_mode_now()->name);
}

static const struct kernel_param_ops vr_mode_ops = {
	.set = vr_mode_set,
	.get = vr_mode_get,
};
module_param_cb(mode, &vr_mode_ops, NULL, 0644);
MODULE_PARM_DESC(mode, "read path: buggy, checked, uaf, fixed (default) or rcu");

/**
 * vr_mode_param() - The mode parameter as set at load or since (KUnit).
 *
 * Context: any context; takes no lock (one READ_ONCE()).
 * Return: the mode (static: nothing to put), or NULL if never set.
 */
const struct vr_read_mode *vr_mode_param(void)
{
	return READ_ONCE(vr_mode);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_mode_param);

/* unwrap_fail: what buggy does on a None VMAR. */
static const char * const vr_unwrap_names[] = {
	[VR_UNWRAP_PANIC] = "panic",
	[VR_UNWRAP_OOPS] = "oops",
	[VR_UNWRAP_WARN] = "warn",
};

static unsigned int vr_unwrap_fail = VR_UNWRAP_PANIC;

static int vr_unwrap_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(vr_unwrap_names, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(vr_unwrap_fail, i);
	return 0;
}

static int vr_unwrap_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vr_unwrap_names[READ_ONCE(vr_unwrap_fail)]);
}

static const struct kernel_param_ops vr_unwrap_ops = {
	.set = vr_unwrap_set,
	.get = vr_unwrap_get,
};
module_param_cb(unwrap_fail, &vr_unwrap_ops, NULL, 0644);
MODULE_PARM_DESC(unwrap_fail, "what buggy does on a None VMAR: panic (default), oops (BUG) or warn (WARN once, count, fail the read)");

static struct vr_uint_param vr_p_race_delay_us = { 0, 1000000, 0 };
module_param_cb(race_delay_us, &vr_uint_ops, &vr_p_race_delay_us, 0644);
MODULE_PARM_DESC(race_delay_us,
		 "sleep in the reader's race window, once per read, killable, microseconds (0-1000000, default 0)");

/* ---- maps_mode: the second race, what a maps file pins (vr_maps_mode) ---- */

static const char * const vr_maps_mode_names[VR_NR_MAPS_MODES] = {
	[VR_MAPS_LOOKUP] = "lookup",
	[VR_MAPS_GRAB] = "grab",
	[VR_MAPS_UPGRADE] = "upgrade",
};

static unsigned int vr_maps_mode = VR_MAPS_LOOKUP;

static int vr_maps_mode_set(const char *val, const struct kernel_param *kp)
{
	static unsigned long warned;
	int i = sysfs_match_string(vr_maps_mode_names, val);

	if (i < 0)
		return -EINVAL;
	if (i == VR_MAPS_GRAB)
		vr_warn_unsafe("maps_mode", "grab",
			       "make the kernel walk the freed mappings of an exited pproc",
			       &warned, 0);
	WRITE_ONCE(vr_maps_mode, i);
	return 0;
}

static int vr_maps_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vr_maps_mode_names[READ_ONCE(vr_maps_mode)]);
}

static const struct kernel_param_ops vr_maps_mode_ops = {
	.set = vr_maps_mode_set,
	.get = vr_maps_mode_get,
};
module_param_cb(maps_mode, &vr_maps_mode_ops, NULL, 0644);
MODULE_PARM_DESC(maps_mode, "what a maps file holds, chosen at open: lookup (default: nothing, each read goes through mode), grab (the VMAR object only) or upgrade (the object, and each read a users reference or EOF)");

/**
 * vr_maps_mode_now() - The maps_mode parameter, sampled at each maps open.
 *
 * Context: any context; takes no lock (one READ_ONCE()).
 * Return: the variant.
 */
enum vr_maps_mode vr_maps_mode_now(void)
{
	return READ_ONCE(vr_maps_mode);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_maps_mode_now);

/**
 * vr_maps_mode_name() - A maps_mode variant's name.
 * @mm: the variant.
 *
 * Context: any context; takes no lock.
 * Return: the name, a static string.
 */
const char *vr_maps_mode_name(enum vr_maps_mode mm)
{
	return vr_maps_mode_names[mm];
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_maps_mode_name);

/**
 * vr_maps_pin_read() - One read of a maps file that pinned its VMAR at open.
 * @pin: the VMAR the file grabbed (vr_vmar_grab()), or NULL if the pproc
 *       had exited at open.
 * @pid: its pproc's pid: the pause point, the trace event.
 * @mm: VR_MAPS_GRAB or VR_MAPS_UPGRADE.
 * @render: called with @pin, or with NULL where there is nothing to read;
 *          the state passed is VR_RUNNING (the maps renderer ignores it).
 * @arg: passed to @render.
 *
 * grab walks @pin's mappings on the strength of its count alone: once the
 * last user tore them down, that walk reads freed memory (Linux without
 * m_start()'s mmget_not_zero()). upgrade takes a users reference for the
 * read, or reads nothing once there is no user (proc_maps_open() and
 * m_start() today). The "held" pause point sits before the walk.
 *
 * Context: process context, no lock held; may sleep.
 * Return: what @render returned.
 */
int vr_maps_pin_read(struct vr_vmar *pin, pid_t pid, enum vr_maps_mode mm,
		     vr_render_fn render, void *arg)
{
	bool got = false;
	int ret;

	if (!pin)
		return render(VR_RUNNING, NULL, arg);
	if (mm == VR_MAPS_UPGRADE)
		got = vr_vmar_get_not_zero(pin);
	trace_vmar_race_pin_read(pid, mm, pin, refcount_read(&pin->users), got);
	vr_pause(VR_PAUSE_HELD, pid);
	if (mm == VR_MAPS_GRAB)
		return render(VR_RUNNING, pin, arg);	/* users or not */
	ret = render(VR_RUNNING, got ? pin : NULL, arg);
	if (got)
		vr_vmar_put(pin);
	return ret;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_maps_pin_read);

/**
 * vr_unwrap_fail_name() - The unwrap_fail parameter's name for a value.
 * @fail: a value the parameter can hold: not VR_UNWRAP_QUIET.
 *
 * Context: any context; takes no lock.
 * Return: the name, a static string.
 */
const char *vr_unwrap_fail_name(enum vr_unwrap_fail fail)
{
	return vr_unwrap_names[fail];
}

/**
 * vr_read_ctx_init() - Sample the read parameters once for a read.
 * @ctx: filled with mode, unwrap_fail, race_delay_us and cred_mode (the
 *       mode is static: nothing to put).
 * @file: the file being read.
 *
 * Context: any context; takes no lock (each is one READ_ONCE()).
 */
void vr_read_ctx_init(struct vr_read_ctx *ctx, enum vr_file file)
{
	ctx->mode = vr_mode_now();
	ctx->unwrap_fail = READ_ONCE(vr_unwrap_fail);
	ctx->delay_us = READ_ONCE(vr_p_race_delay_us.val);
	ctx->file = file;
	ctx->cred_mode = vr_cred_mode_now();
}

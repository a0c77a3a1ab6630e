// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race: reproduce Asterinas issue 2194 (a /proc status read that
 * unwraps an exited process's VMAR) in Linux, with the buggy and fixed read
 * paths selectable at run time. This file: parameters, stats, load, unload.
 */
#include "vmar_race.h"

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

struct vr_stats vr_stats;
EXPORT_SYMBOL_IF_VR_TESTS(vr_stats);

/* mode: the read path of every status and maps read (modes.c). */
static const struct vr_read_mode *vr_mode;

/* What an unsafe mode lets any reader of /proc/vmar_race do. */
static const char * const vr_mode_dangers[VR_NR_MODES] = {
	[VR_MODE_BUGGY] = "panic or oops the kernel (unwrap_fail) by reading a pproc that exits",
	[VR_MODE_UAF] = "make the kernel read and write freed VMARs",
};

/*
 * Like a module_param_unsafe() parameter: choosing a mode that breaks the
 * kernel on purpose taints it (TAINT_USER: the user asked for something
 * unsafe) and says so once per mode and load.
 */
static void vr_mode_warn_unsafe(const struct vr_read_mode *mode)
{
	static unsigned long warned;

	if (!vr_mode_dangers[mode->id])
		return;
	if (!test_and_set_bit(mode->id, &warned))
		pr_warn("mode=%s is unsafe: any user who can read %s can now %s; tainting the kernel\n",
			mode->name, VMAR_RACE_PROC_ROOT, vr_mode_dangers[mode->id]);
	add_taint(TAINT_USER, LOCKDEP_STILL_OK);
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

static int vr_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vr_current_mode()->name);
}

static const struct kernel_param_ops vr_mode_ops = {
	.set = vr_mode_set,
	.get = vr_mode_get,
};
module_param_cb(mode, &vr_mode_ops, NULL, 0644);
MODULE_PARM_DESC(mode, "read path: buggy, checked, uaf, fixed (default) or rcu");

const struct vr_read_mode *vr_current_mode(void)
{
	const struct vr_read_mode *mode = READ_ONCE(vr_mode);

	return mode ?: vr_mode_by_id(VR_MODE_FIXED);
}

/* The mode parameter as set at load or since, NULL if never set (KUnit). */
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

enum vr_unwrap_fail vr_current_unwrap_fail(void)
{
	return READ_ONCE(vr_unwrap_fail);
}

/* Bounded unsigned parameters: out of range is -EINVAL, old value kept. */
struct vr_uint_param {
	unsigned int min, max;
	unsigned int val;
};

static int vr_uint_set(const char *val, const struct kernel_param *kp)
{
	struct vr_uint_param *p = kp->arg;
	unsigned int n;

	if (kstrtouint(val, 0, &n) || n < p->min || n > p->max)
		return -EINVAL;
	WRITE_ONCE(p->val, n);
	return 0;
}

static int vr_uint_get(char *buf, const struct kernel_param *kp)
{
	const struct vr_uint_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(p->val));
}

static const struct kernel_param_ops vr_uint_ops = {
	.set = vr_uint_set,
	.get = vr_uint_get,
};

static struct vr_uint_param vr_p_race_delay_us = { 0, 1000000, 0 };
module_param_cb(race_delay_us, &vr_uint_ops, &vr_p_race_delay_us, 0644);
MODULE_PARM_DESC(race_delay_us,
		 "sleep in the reader's race window, microseconds (0-1000000, default 0)");

static struct vr_uint_param vr_p_max_procs = { 1, VR_PID_MAX - 1, 32768 };
module_param_cb(max_procs, &vr_uint_ops, &vr_p_max_procs, 0644);
MODULE_PARM_DESC(max_procs, "most live plus zombie pprocs (1-4194303, default 32768)");

static struct vr_uint_param vr_p_max_maps = { 1, 16777216, 65530 };
module_param_cb(max_maps, &vr_uint_ops, &vr_p_max_maps, 0644);
MODULE_PARM_DESC(max_maps,
		 "most mappings per VMAR (1-16777216, default 65530, like vm.max_map_count)");

/* Bounds TOUCH, UNMAP and teardown: each does per-page work. */
static struct vr_uint_param vr_p_max_pages = { 1, 16777216, 65536 };
module_param_cb(max_pages, &vr_uint_ops, &vr_p_max_pages, 0644);
MODULE_PARM_DESC(max_pages,
		 "most mapped 4 KiB pages per VMAR, like RLIMIT_AS (1-16777216, default 65536: 256 MiB)");

/* How long a pause point holds a task nobody releases (pause.c). */
static struct vr_uint_param vr_p_pause_timeout_ms = { 100, 600000, 60000 };
module_param_cb(pause_timeout_ms, &vr_uint_ops, &vr_p_pause_timeout_ms, 0644);
MODULE_PARM_DESC(pause_timeout_ms,
		 "a task paused at a pause point goes on by itself after this long, with a warning (100-600000, default 60000)");

unsigned int vr_pause_timeout_ms_get(void)
{
	return READ_ONCE(vr_p_pause_timeout_ms.val);
}

#ifdef VMAR_RACE_TESTPOINTS
/* KUnit: set max_procs or max_maps within their bounds. */
int vr_test_set_limit(const char *name, unsigned int val)
{
	struct vr_uint_param *p = !strcmp(name, "max_procs") ? &vr_p_max_procs :
				  !strcmp(name, "max_maps") ? &vr_p_max_maps :
				  !strcmp(name, "max_pages") ? &vr_p_max_pages : NULL;

	if (!p || val < p->min || val > p->max)
		return -EINVAL;
	WRITE_ONCE(p->val, val);
	return 0;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_test_set_limit);
#endif

unsigned int vr_current_delay_us(void)
{
	return READ_ONCE(vr_p_race_delay_us.val);
}

unsigned int vr_max_procs_get(void)
{
	return READ_ONCE(vr_p_max_procs.val);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_max_procs_get);

unsigned int vr_max_maps_get(void)
{
	return READ_ONCE(vr_p_max_maps.val);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_max_maps_get);

unsigned int vr_max_pages_get(void)
{
	return READ_ONCE(vr_p_max_pages.val);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_max_pages_get);

/* /sys/kernel/debug/vmar_race/stats */
static int vr_stats_show(struct seq_file *m, void *unused)
{
	/* Let pending RCU frees finish so vmars_alive is exact. */
	rcu_barrier();
#define VR_STAT(name) seq_printf(m, "%-14s %ld\n", #name, atomic_long_read(&vr_stats.name))
	VR_STAT(spawned);
	VR_STAT(exited);
	VR_STAT(reaped);
	VR_STAT(live);
	VR_STAT(zombie);
	VR_STAT(vmars_alive);
	VR_STAT(pprocs_alive);
	VR_STAT(status_reads);
	VR_STAT(maps_reads);
	VR_STAT(zombie_reads);
	VR_STAT(unwrap_none);
	VR_STAT(read_errors);
#undef VR_STAT
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vr_stats);

static struct dentry *vr_debugfs;

#ifdef VMAR_RACE_TESTPOINTS
/*
 * Test builds: make one step of init fail as if it ran out of memory, so
 * that selftests/init_unwind.sh can check that each error path leaves
 * nothing behind.
 */
static const char * const vr_init_steps[] = { "registry", "ctl", "fs" };
static char *vr_init_fail_at = "";
module_param_named(init_fail_at, vr_init_fail_at, charp, 0444);
MODULE_PARM_DESC(init_fail_at, "test builds: fail this init step with -ENOMEM (registry, ctl, fs)");

static int vr_init_fault(const char *step)
{
	return strcmp(vr_init_fail_at, step) ? 0 : -ENOMEM;
}

static int vr_init_fault_check(void)
{
	int i = match_string(vr_init_steps, ARRAY_SIZE(vr_init_steps), vr_init_fail_at);

	if (!*vr_init_fail_at || i >= 0)
		return 0;
	pr_err("init_fail_at=%s: not an init step\n", vr_init_fail_at);
	return -EINVAL;
}
#else
static int vr_init_fault(const char *step)
{
	return 0;
}

static int vr_init_fault_check(void)
{
	return 0;
}
#endif

static int __init vr_init(void)
{
	int ret;

	ret = vr_init_fault_check() ?: vr_vmar_init();
	if (ret)
		return ret;
	ret = vr_init_fault("registry") ?: vr_registry_init();
	if (ret)
		goto out_vmar;
	vr_trace_init();
	vr_debugfs = debugfs_create_dir("vmar_race", NULL);
	debugfs_create_file("stats", 0444, vr_debugfs, NULL, &vr_stats_fops);
	vr_pause_debugfs_init(vr_debugfs);
	ret = vr_init_fault("ctl") ?: misc_register(&vr_ctl_dev);
	if (ret)
		goto out_debugfs;
	/* Last: once registered it can be mounted, and a mount pins us. */
	ret = vr_init_fault("fs") ?: vr_fs_init();
	if (ret)
		goto out_ctl;
	pr_info("loaded: mode=%s unwrap_fail=%s race_delay_us=%u; mount -t %s %s %s\n",
		vr_current_mode()->name, vr_unwrap_names[vr_current_unwrap_fail()],
		vr_current_delay_us(), VMAR_RACE_FS_TYPE, VMAR_RACE_FS_TYPE,
		VMAR_RACE_PROC_ROOT);
	return 0;

out_ctl:
	misc_deregister(&vr_ctl_dev);
out_debugfs:
	debugfs_remove(vr_debugfs);
	vr_trace_exit();
	vr_registry_exit();
out_vmar:
	vr_vmar_exit();
	return ret;
}

/*
 * No control file is open and /proc/vmar_race is not mounted here (each
 * pins the module). Reap what is left.
 */
static void __exit vr_exit_module(void)
{
	vr_fs_exit();
	misc_deregister(&vr_ctl_dev);
	debugfs_remove(vr_debugfs);	/* no more pause commands */
	vr_pause_release_all();
	vr_trace_exit();
	vr_registry_exit();
	vr_vmar_exit();
	pr_info("unloaded: spawned=%ld reaped=%ld vmars_alive=%ld\n",
		atomic_long_read(&vr_stats.spawned),
		atomic_long_read(&vr_stats.reaped),
		atomic_long_read(&vr_stats.vmars_alive));
	WARN(atomic_long_read(&vr_stats.vmars_alive), "vmar_race: VMARs leaked\n");
}

module_init(vr_init);
module_exit(vr_exit_module);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Reproduce a /proc status read racing with exit (Asterinas #2194) and its fixes");
MODULE_AUTHOR("vmar_race developers");

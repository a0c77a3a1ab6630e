// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race: reproduce Asterinas issue 2194 (a /proc status read that
 * unwraps an exited process's VMAR) in Linux, with the buggy and fixed read
 * paths selectable at run time. This file: load and unload, the top layer.
 * It calls each layer's init and exit in order, bottom to top, and samples
 * the read parameters for its "loaded" line; nothing calls in here. Each
 * parameter lives in the file that uses it.
 */
#include "vmar_race.h"

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

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
	struct vr_read_ctx ctx;
	int ret;

	ret = vr_init_fault_check() ?: vr_vmar_init();
	if (ret)
		return ret;
	ret = vr_init_fault("registry") ?: vr_registry_init();
	if (ret)
		goto out_vmar;
	vr_trace_init();
	vr_debugfs_init();
	ret = vr_init_fault("ctl") ?: vr_ctl_init();
	if (ret)
		goto out_debugfs;
	/* Last: once registered it can be mounted, and a mount pins us. */
	ret = vr_init_fault("fs") ?: vr_fs_init();
	if (ret)
		goto out_ctl;
	vr_read_ctx_init(&ctx, VR_FILE_STATUS);	/* what a read now samples */
	pr_info("loaded: mode=%s unwrap_fail=%s race_delay_us=%u; mount -t %s %s %s\n",
		ctx.mode->name, vr_unwrap_fail_name(ctx.unwrap_fail),
		ctx.delay_us, VMAR_RACE_FS_TYPE, VMAR_RACE_FS_TYPE,
		VMAR_RACE_PROC_ROOT);
	return 0;

out_ctl:
	vr_ctl_exit();
out_debugfs:
	vr_debugfs_exit();
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
	vr_ctl_exit();
	vr_debugfs_exit();	/* no more pause commands */
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

// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race_rs's C glue: what Linux 6.12's Rust has no abstraction for.
 * The misc device /dev/vmar_race_rs (its file operations only: race.rs
 * decodes the ioctls), /proc/vmar_race_rs/<pid>/{status,maps} (no Rust
 * procfs), the parameters (no Rust parameters on 6.12), RCU (no Rust RCU)
 * and the C module's pause points (pause.c and debugfs.c, linked in: same
 * names and grammar under /sys/kernel/debug/vmar_race_rs/pause). Every
 * decision about a pproc or its VMAR is race.rs's.
 *
 * Lifetime: race.rs hands its registry to vr_rs_glue_init() and frees it
 * only after vr_rs_glue_exit(), which removes the device, the /proc tree
 * (proc_remove() waits for readers inside a show) and the pause file, and
 * waits for every deferred put. A pid's /proc directory is added before its
 * pid is published and removed after its reap, with no lock of the
 * module's held (procfs locks its tree itself): a reader that BUG()ed in
 * buggy keeps its file in use for ever, so that pid's removal waits for
 * ever, but no other pproc does. Readers take no glue lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vmar_race.h"

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/panic.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include "race.h"

enum { VR_RS_STATUS, VR_RS_MAPS };

static const void *vr_rs_reg;
static struct proc_dir_entry *vr_rs_proc;
static struct workqueue_struct *vr_rs_wq;	/* deferred puts */
static atomic64_t vr_rs_owner_ids = ATOMIC64_INIT(0);

/* mode: race.rs's read path (its enum Mode); buggy taints, as in vmar_race. */
static const char * const vr_rs_modes[] = { "buggy", "checked", "fixed", "rcu" };
static int vr_rs_mode = 2;

static int vr_rs_mode_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(vr_rs_modes, val);

	if (i < 0)
		return -EINVAL;
	if (i == 0) {
		pr_warn_once("mode=buggy is unsafe: any user who can read /proc/vmar_race_rs can now make a Rust unwrap() panic (BUG) by reading a pproc that exited; tainting the kernel\n");
		add_taint(TAINT_USER, LOCKDEP_STILL_OK);
	}
	WRITE_ONCE(vr_rs_mode, i);
	return 0;
}

static int vr_rs_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vr_rs_modes[READ_ONCE(vr_rs_mode)]);
}

static const struct kernel_param_ops vr_rs_mode_ops = {
	.set = vr_rs_mode_set,
	.get = vr_rs_mode_get,
};
module_param_cb(mode, &vr_rs_mode_ops, NULL, 0644);
MODULE_PARM_DESC(mode, "read path: buggy (unwrap), checked, fixed (default), rcu");

/* The C module's limits, with its ranges and defaults (param.c's type). */
static struct vr_uint_param vr_rs_max_procs = { 1, VR_PID_MAX - 1, 32768 };
module_param_cb(max_procs, &vr_uint_ops, &vr_rs_max_procs, 0644);
MODULE_PARM_DESC(max_procs, "most live plus zombie pprocs (1-4194303, default 32768)");
static struct vr_uint_param vr_rs_max_maps = { 1, 16777216, 65530 };
module_param_cb(max_maps, &vr_uint_ops, &vr_rs_max_maps, 0644);
MODULE_PARM_DESC(max_maps, "most mappings per VMAR (1-16777216, default 65530)");
static struct vr_uint_param vr_rs_max_pages = { 1, 16777216, 65536 };
module_param_cb(max_pages, &vr_uint_ops, &vr_rs_max_pages, 0644);
MODULE_PARM_DESC(max_pages, "most mapped pages per VMAR (1-16777216, default 65536)");

unsigned int vr_rs_limit(int which)
{
	switch (which) {
	case VR_RS_MAX_PROCS:
		return READ_ONCE(vr_rs_max_procs.val);
	case VR_RS_MAX_MAPS:
		return READ_ONCE(vr_rs_max_maps.val);
	default:
		return READ_ONCE(vr_rs_max_pages.val);
	}
}

void vr_rs_pause(int point, int pid)
{
	vr_pause(point, pid);
}

void vr_rs_forget(int pid)
{
	vr_pause_forget(pid);
}

void vr_rs_cond_resched(void)
{
	cond_resched();
}

int vr_rs_tgid(void)
{
	return task_tgid_vnr(current);
}

void vr_rs_out(void *m, const u8 *s, size_t len)
{
	seq_write(m, s, len);
}

void vr_rs_rcu_read_lock(void)
	__acquires(RCU)
{
	rcu_read_lock();
}

void vr_rs_rcu_read_unlock(void)
	__releases(RCU)
{
	rcu_read_unlock();
}

/* A VMAR reference race.rs drops a grace period after exit cleared it. */
struct vr_rs_put {
	struct rcu_work rwork;
	const void *vmar;
};

static void vr_rs_put_fn(struct work_struct *work)
{
	struct vr_rs_put *p = container_of(to_rcu_work(work), struct vr_rs_put, rwork);

	vr_rs_vmar_put(p->vmar);	/* process context: it may pause at free */
	kfree(p);
}

void vr_rs_defer_put(const void *vmar)
{
	struct vr_rs_put *p = kmalloc(sizeof(*p), GFP_KERNEL);

	if (!p) {		/* no memory: wait for the grace period here */
		synchronize_rcu();
		vr_rs_vmar_put(vmar);
		return;
	}
	p->vmar = vmar;
	INIT_RCU_WORK(&p->rwork, vr_rs_put_fn);
	queue_rcu_work(vr_rs_wq, &p->rwork);
}

/* The pause file's arm, as debugfs.c calls it (registry.c's in vmar_race). */
int vr_pause_arm_pproc(enum vr_pause_point point, pid_t pid)
{
	int ret;

	if (!vr_rs_published(vr_rs_reg, pid))
		return -ESRCH;
	ret = vr_pause_arm(point, pid);
	/*
	 * Reaped since the lookup: race.rs's reap unregisters the pid before
	 * its vr_pause_forget(), so one of the two sees the other.
	 */
	if (!ret && !vr_rs_published(vr_rs_reg, pid)) {
		vr_pause_forget(pid);
		ret = -ESRCH;
	}
	return ret;
}

static int vr_rs_show_file(struct seq_file *m, int file)
{
	return vr_rs_show(vr_rs_reg, m, (long)m->private, file, READ_ONCE(vr_rs_mode));
}

static int vr_rs_status_show(struct seq_file *m, void *v)
{
	return vr_rs_show_file(m, VR_RS_STATUS);
}

static int vr_rs_maps_show(struct seq_file *m, void *v)
{
	return vr_rs_show_file(m, VR_RS_MAPS);
}

int vr_rs_proc_add(int pid)
{
	struct proc_dir_entry *dir;
	void *data = (void *)(long)pid;
	char name[12];
	int ret = 0;

	snprintf(name, sizeof(name), "%d", pid);
	dir = proc_mkdir(name, vr_rs_proc);
	if (!dir) {
		ret = -ENOMEM;
	} else if (!proc_create_single_data("status", 0444, dir, vr_rs_status_show, data) ||
		   !proc_create_single_data("maps", 0444, dir, vr_rs_maps_show, data)) {
		proc_remove(dir);
		ret = -ENOMEM;
	}
	return ret;
}

void vr_rs_proc_remove(int pid)
{
	char name[12];

	snprintf(name, sizeof(name), "%d", pid);
	remove_proc_subtree(name, vr_rs_proc);
}

/* Each open file is an owner with an id of its own (never reused). */
static int vr_rs_open(struct inode *inode, struct file *file)
{
	file->private_data = (void *)(uintptr_t)atomic64_inc_return(&vr_rs_owner_ids);
	return 0;
}

static int vr_rs_release_file(struct inode *inode, struct file *file)
{
	vr_rs_release(vr_rs_reg, (uintptr_t)file->private_data);
	return 0;
}

static long vr_rs_unlocked_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return vr_rs_ioctl(vr_rs_reg, (uintptr_t)file->private_data, cmd, arg);
}

static const struct file_operations vr_rs_fops = {
	.owner = THIS_MODULE,
	.open = vr_rs_open,
	.release = vr_rs_release_file,
	.unlocked_ioctl = vr_rs_unlocked_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice vr_rs_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmar_race_rs",
	.fops = &vr_rs_fops,
	.mode = 0600,
};

int vr_rs_glue_init(const void *reg)
{
	int ret = -ENOMEM;

	vr_rs_reg = reg;
	vr_rs_wq = alloc_workqueue("vmar_race_rs", 0, 0);
	if (!vr_rs_wq)
		return -ENOMEM;
	vr_rs_proc = proc_mkdir("vmar_race_rs", NULL);
	if (!vr_rs_proc)
		goto err_wq;
	vr_trace_init();
	vr_debugfs_init();
	ret = misc_register(&vr_rs_dev);
	if (ret)
		goto err_debugfs;
	pr_info("loaded: mode=%s; /dev/vmar_race_rs, /proc/vmar_race_rs\n",
		vr_rs_modes[READ_ONCE(vr_rs_mode)]);
	return 0;

err_debugfs:
	vr_debugfs_exit();
	vr_trace_exit();
	proc_remove(vr_rs_proc);
err_wq:
	destroy_workqueue(vr_rs_wq);
	return ret;
}

void vr_rs_glue_exit(void)
{
	misc_deregister(&vr_rs_dev);
	proc_remove(vr_rs_proc);
	vr_debugfs_exit();	/* no more pause commands */
	vr_pause_release_all();
	vr_trace_exit();
	rcu_barrier();		/* every deferred put is queued ... */
	destroy_workqueue(vr_rs_wq);	/* ... and has run */
}

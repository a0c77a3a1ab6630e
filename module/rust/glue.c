// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race_rs's C glue: what Linux 6.12's Rust abstractions lack. The misc
 * device /dev/vmar_race_rs (the uapi of vmar_race), /proc/vmar_race_rs/<pid>/
 * {status,maps} and the mode parameter. Every decision about a pproc or its
 * VMAR is race.rs's: the glue copies arguments in and out and calls it.
 *
 * Lifetime: race.rs hands its registry to vr_rs_glue_init() and frees it
 * only after vr_rs_glue_exit(), which removes the device and the /proc tree
 * (proc_remove() waits for readers inside a show). A pid's /proc directory
 * is created after its spawn and removed after its reap, both under
 * vr_rs_proc_lock; readers take no glue lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/panic.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "../uapi/vmar_race.h"
#include "race.h"

enum { VR_RS_EXIT, VR_RS_REAP };
enum { VR_RS_STATUS, VR_RS_MAPS };

static const void *vr_rs_reg;
static struct proc_dir_entry *vr_rs_proc;
static DEFINE_MUTEX(vr_rs_proc_lock);

/* mode: race.rs's read path (its enum Mode); buggy taints, as in vmar_race. */
static const char * const vr_rs_modes[] = { "buggy", "checked", "fixed" };
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
MODULE_PARM_DESC(mode, "read path: buggy (unwrap), checked, fixed (default)");

/* Renders into a buffer race.rs fills, growing it while it says ENOSPC. */
static int vr_rs_show(struct seq_file *m, int file)
{
	int pid = (long)m->private;
	size_t size = SZ_1K;
	ssize_t n;
	char *buf;

	for (;;) {
		buf = kvmalloc(size, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		n = vr_rs_read(vr_rs_reg, pid, file, READ_ONCE(vr_rs_mode), buf, size);
		if (n != -ENOSPC || size >= SZ_1M)
			break;
		kvfree(buf);
		size *= 4;
	}
	if (n > 0)
		seq_write(m, buf, n);
	kvfree(buf);
	return n < 0 ? n : 0;
}

static int vr_rs_status_show(struct seq_file *m, void *v)
{
	return vr_rs_show(m, VR_RS_STATUS);
}

static int vr_rs_maps_show(struct seq_file *m, void *v)
{
	return vr_rs_show(m, VR_RS_MAPS);
}

/* Called with vr_rs_proc_lock held. */
static int vr_rs_proc_add(int pid)
{
	struct proc_dir_entry *dir;
	char name[12];
	void *data = (void *)(long)pid;

	snprintf(name, sizeof(name), "%d", pid);
	dir = proc_mkdir(name, vr_rs_proc);
	if (!dir)
		return -ENOMEM;
	if (!proc_create_single_data("status", 0444, dir, vr_rs_status_show, data) ||
	    !proc_create_single_data("maps", 0444, dir, vr_rs_maps_show, data)) {
		proc_remove(dir);
		return -ENOMEM;
	}
	return 0;
}

static int vr_rs_name_valid(const char *name)
{
	const char *end = memchr(name, '\0', VMAR_RACE_NAME_LEN);

	if (!end)
		return -EINVAL;
	for (; name < end; name++)
		if (*name < 0x20 || *name > 0x7e)
			return -EINVAL;
	return 0;
}

static long vr_rs_ioc_spawn(struct file *file, struct vmar_race_spawn __user *up)
{
	struct vmar_race_spawn s;
	int pid, ret;

	if (copy_from_user(&s, up, sizeof(s)))
		return -EFAULT;
	if (s.flags || vr_rs_name_valid(s.name))
		return -EINVAL;
	if (!s.name[0])
		strscpy(s.name, "pproc", sizeof(s.name));
	mutex_lock(&vr_rs_proc_lock);
	pid = vr_rs_spawn(vr_rs_reg, s.name, (uintptr_t)file,
			  task_tgid_vnr(current));
	ret = pid < 0 ? pid : put_user(pid, &up->pid);
	if (!ret)
		ret = vr_rs_proc_add(pid);
	if (ret && pid > 0) {	/* never seen by the caller: undo it */
		vr_rs_pid_op(vr_rs_reg, VR_RS_EXIT, pid);
		vr_rs_pid_op(vr_rs_reg, VR_RS_REAP, pid);
	}
	mutex_unlock(&vr_rs_proc_lock);
	return ret;
}

static long vr_rs_ioc_reap(int pid)
{
	char name[12];
	int ret;

	mutex_lock(&vr_rs_proc_lock);
	ret = vr_rs_pid_op(vr_rs_reg, VR_RS_REAP, pid);
	if (!ret) {
		snprintf(name, sizeof(name), "%d", pid);
		remove_proc_subtree(name, vr_rs_proc);
	}
	mutex_unlock(&vr_rs_proc_lock);
	return ret;
}

static long vr_rs_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *up = (void __user *)arg;
	struct vmar_race_map req;
	int pid;

	switch (cmd) {
	case VMAR_RACE_IOC_SPAWN:
		return vr_rs_ioc_spawn(file, up);
	case VMAR_RACE_IOC_MAP:
	case VMAR_RACE_IOC_UNMAP:
	case VMAR_RACE_IOC_TOUCH:
		if (copy_from_user(&req, up, sizeof(req)))
			return -EFAULT;
		return vr_rs_map(vr_rs_reg, _IOC_NR(cmd) - _IOC_NR(VMAR_RACE_IOC_MAP),
				 req.pid, req.flags, req.start, req.len);
	case VMAR_RACE_IOC_EXIT:
	case VMAR_RACE_IOC_REAP:
		if (get_user(pid, (int __user *)up))
			return -EFAULT;
		if (cmd == VMAR_RACE_IOC_EXIT)
			return vr_rs_pid_op(vr_rs_reg, VR_RS_EXIT, pid);
		return vr_rs_ioc_reap(pid);
	}
	return -ENOTTY;
}

static int vr_rs_release_file(struct inode *inode, struct file *file)
{
	vr_rs_release(vr_rs_reg, (uintptr_t)file);
	return 0;
}

static const struct file_operations vr_rs_fops = {
	.owner = THIS_MODULE,
	.release = vr_rs_release_file,
	.unlocked_ioctl = vr_rs_ioctl,
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
	int ret;

	vr_rs_reg = reg;
	vr_rs_proc = proc_mkdir("vmar_race_rs", NULL);
	if (!vr_rs_proc)
		return -ENOMEM;
	ret = misc_register(&vr_rs_dev);
	if (ret) {
		proc_remove(vr_rs_proc);
		return ret;
	}
	pr_info("loaded: mode=%s; /dev/vmar_race_rs, /proc/vmar_race_rs\n",
		vr_rs_modes[READ_ONCE(vr_rs_mode)]);
	return 0;
}

void vr_rs_glue_exit(void)
{
	misc_deregister(&vr_rs_dev);
	proc_remove(vr_rs_proc);
}

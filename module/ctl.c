// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/vmar_race: the control ioctls of uapi/vmar_race.h. Each open file is
 * an owner; closing it exits the pprocs it spawned and still runs.
 */
#include "vmar_race.h"

#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/cred.h>
#include <linux/uidgid.h>
#include <linux/uaccess.h>

static int vr_ctl_open(struct inode *inode, struct file *file)
{
	struct vr_owner *o = vr_owner_create();

	if (!o)
		return -ENOMEM;
	file->private_data = o;
	return 0;
}

static int vr_ctl_release(struct inode *inode, struct file *file)
{
	vr_owner_release(file->private_data);
	return 0;
}

static int vr_name_valid(const char *name)
{
	const char *end = memchr(name, '\0', VMAR_RACE_NAME_LEN);

	if (!end)
		return -EINVAL;		/* not NUL-terminated: too long */
	/* Printable ASCII only: isprint() also passes Latin-1 bytes. */
	for (; name < end; name++)
		if (*name < 0x20 || *name > 0x7e)
			return -EINVAL;
	return 0;
}

/* The pproc is published only once its pid reached the caller. */
static long vr_ioc_spawn(struct vr_owner *o, struct vmar_race_spawn __user *up)
{
	struct vmar_race_spawn s;
	struct vr_pproc *pp;

	if (copy_from_user(&s, up, sizeof(s)))
		return -EFAULT;
	if (s.flags || vr_name_valid(s.name))
		return -EINVAL;
	pp = vr_pproc_spawn(o, s.name);
	if (IS_ERR(pp))
		return PTR_ERR(pp);
	if (put_user(pp->pid, &up->pid)) {
		vr_pproc_abort(pp);
		return -EFAULT;
	}
	vr_pproc_publish(pp);
	return 0;
}

static long vr_ioc_vmar(unsigned int cmd, struct vmar_race_map __user *up)
{
	struct vmar_race_map req;
	struct vr_pproc *pp;
	struct vr_vmar *v;
	int ret;

	if (copy_from_user(&req, up, sizeof(req)))
		return -EFAULT;
	if (cmd != VMAR_RACE_IOC_MAP && req.flags)
		return -EINVAL;
	pp = vr_pproc_find(req.pid);
	if (!pp)
		return -ESRCH;
	v = vr_pproc_vmar_get(pp);
	if (!v) {
		ret = -EINVAL;		/* exited */
		goto out;
	}
	switch (cmd) {
	case VMAR_RACE_IOC_MAP:
		ret = vr_vmar_map(v, req.start, req.len, req.flags);
		break;
	case VMAR_RACE_IOC_UNMAP:
		ret = vr_vmar_unmap(v, req.start, req.len);
		break;
	default:
		ret = vr_vmar_touch(v, req.start, req.len);
		break;
	}
	vr_vmar_put(v);
out:
	vr_pproc_put(pp);
	return ret;
}

static long vr_ioc_exit(s32 __user *up)
{
	struct vr_pproc *pp;
	s32 pid;
	int ret;

	if (get_user(pid, up))
		return -EFAULT;
	pp = vr_pproc_find(pid);
	if (!pp)
		return -ESRCH;
	ret = vr_pproc_exit(pp);
	vr_pproc_put(pp);
	return ret;
}

/* Like release_task(): the pid goes, then its dentries (proc_flush_pid()). */
static long vr_ioc_reap(s32 __user *up)
{
	s32 pid;
	int ret;

	if (get_user(pid, up))
		return -EFAULT;
	ret = vr_pproc_reap(pid);
	if (!ret)
		vr_fs_flush_pid(pid);
	return ret;
}

/* As setresuid()/setresgid(): ids in the caller's user namespace. */
static long vr_ioc_setids(struct vmar_race_ids __user *up)
{
	struct user_namespace *ns = current_user_ns();
	struct vmar_race_ids req;
	struct vr_pproc *pp;
	kuid_t uid;
	kgid_t gid;
	int ret;

	if (copy_from_user(&req, up, sizeof(req)))
		return -EFAULT;
	uid = make_kuid(ns, req.uid);
	gid = make_kgid(ns, req.gid);
	if (req.flags || !uid_valid(uid) || !gid_valid(gid))
		return -EINVAL;
	pp = vr_pproc_find(req.pid);
	if (!pp)
		return -ESRCH;
	ret = vr_pproc_setids(pp, uid, gid);
	vr_pproc_put(pp);
	if (!ret)
		atomic_long_inc(&vr_stats.setids);
	return ret;
}

static long vr_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *up = (void __user *)arg;

	switch (cmd) {
	case VMAR_RACE_IOC_SPAWN:
		return vr_ioc_spawn(file->private_data, up);
	case VMAR_RACE_IOC_MAP:
	case VMAR_RACE_IOC_UNMAP:
	case VMAR_RACE_IOC_TOUCH:
		return vr_ioc_vmar(cmd, up);
	case VMAR_RACE_IOC_EXIT:
		return vr_ioc_exit(up);
	case VMAR_RACE_IOC_REAP:
		return vr_ioc_reap(up);
	case VMAR_RACE_IOC_SETIDS:
		return vr_ioc_setids(up);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vr_ctl_fops = {
	.owner = THIS_MODULE,
	.open = vr_ctl_open,
	.release = vr_ctl_release,
	.unlocked_ioctl = vr_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vr_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmar_race",
	.fops = &vr_ctl_fops,
	.mode = 0600,
};

/**
 * vr_ctl_init() - Load: /dev/vmar_race appears; pprocs can be spawned.
 *
 * Context: process context; may sleep.
 * Return: 0, or misc_register()'s error.
 */
int vr_ctl_init(void)
{
	return misc_register(&vr_ctl_dev);
}

/**
 * vr_ctl_exit() - Unload (no control file is open: each pins the module),
 * or a failed load: /dev/vmar_race goes.
 *
 * Context: process context; may sleep.
 */
void vr_ctl_exit(void)
{
	misc_deregister(&vr_ctl_dev);
}

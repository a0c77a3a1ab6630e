// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/vmar_race/: the stats file (struct vr_stats) and the
 * pause file, whose commands (uapi/vmar_race.h) drive pause.c's points.
 * An interface: the arm command looks its pid up in the registry; nothing
 * below calls in here.
 */
#include "vmar_race.h"

#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define VR_PAUSE_WAIT_MS	10000	/* a wait command's default bound */
#define VR_PAUSE_WAIT_MAX_MS	60000

static struct dentry *vr_debugfs;

/* ---- /sys/kernel/debug/vmar_race/stats ---- */

static int vr_stats_show(struct seq_file *m, void *unused)
{
	vr_stats_settle();	/* pending RCU frees: vmars_alive is exact */
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
	VR_STAT(exit_lock_waits);
	VR_STAT(setids);
	VR_STAT(creds_alive);
	VR_STAT(creds_freed_in_use);
#undef VR_STAT
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vr_stats);

/* ---- /sys/kernel/debug/vmar_race/pause ---- */

static int vr_pause_show(struct seq_file *m, void *unused)
{
	vr_pause_print(m);
	return 0;
}

static int vr_pause_open(struct inode *inode, struct file *file)
{
	/* Root only: debugfs is 0700, and the file checks for itself too. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return single_open(file, vr_pause_show, NULL);
}

/* "arm|wait|release POINT PID [TIMEOUT_MS]", "reset" or "barrier", one per write. */
static int vr_pause_cmd(char *buf)
{
	char *argv[5], *p = strim(buf);
	unsigned int ms = VR_PAUSE_WAIT_MS;
	enum vr_pause_point point;
	int argc = 0;
	pid_t pid;

	while (p && *p && argc < ARRAY_SIZE(argv)) {
		argv[argc++] = strsep(&p, " \t");
		p = p ? skip_spaces(p) : NULL;
	}
	if (p && *p)
		return -EINVAL;
	if (argc == 1 && !strcmp(argv[0], "reset")) {
		vr_pause_release_all();
		return 0;
	}
	if (argc == 1 && !strcmp(argv[0], "barrier")) {
		rcu_barrier();
		return 0;
	}
	if (argc < 3 || vr_pause_point_parse(argv[1], &point) ||
	    kstrtoint(argv[2], 10, &pid) || pid <= 0 || pid >= VR_PID_MAX)
		return -EINVAL;
	if (!strcmp(argv[0], "arm") && argc == 3)
		return vr_pause_arm_pproc(point, pid);
	if (!strcmp(argv[0], "release") && argc == 3)
		return vr_pause_release(point, pid);
	if (strcmp(argv[0], "wait") || argc > 4)
		return -EINVAL;
	if (argc == 4 && (kstrtouint(argv[3], 10, &ms) || !ms ||
			  ms > VR_PAUSE_WAIT_MAX_MS))
		return -EINVAL;
	return vr_pause_wait(point, pid, msecs_to_jiffies(ms));
}

static ssize_t vr_pause_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	char buf[64];
	int ret;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	ret = vr_pause_cmd(buf);
	return ret ? ret : len;
}

static const struct file_operations vr_pause_fops = {
	.owner = THIS_MODULE,
	.open = vr_pause_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = vr_pause_write,
	.release = single_release,
};

/**
 * vr_debugfs_init() - Load: the directory and its two files.
 *
 * Context: process context; may sleep. Like every debugfs user, it goes on
 * without them if debugfs fails (each call takes an error pointer).
 */
void vr_debugfs_init(void)
{
	vr_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("stats", 0444, vr_debugfs, NULL, &vr_stats_fops);
	debugfs_create_file("pause", 0600, vr_debugfs, NULL, &vr_pause_fops);
}

/**
 * vr_debugfs_exit() - Unload, or a failed load: remove the files.
 *
 * Context: process context, no lock held; may sleep. Once this returns no
 * pause command runs (debugfs_remove() waits for the file operations in
 * flight).
 */
void vr_debugfs_exit(void)
{
	debugfs_remove(vr_debugfs);
}

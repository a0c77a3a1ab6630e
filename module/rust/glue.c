// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race_rs's C glue: what Linux 7.3's Rust has no abstraction for
 * (race.rs owns the misc device, its ioctls and owners, rendering into the
 * seq_file and the rcu read side). The parameters (7.3's Rust parameters
 * are load-time only, with no sysfs node: mode and the limits are written
 * at run time), the grace-period put (no Rust call_rcu or rcu_work), a
 * spawner's credentials and tgid (Rust's Credential has only euid, and
 * there is no struct pid), and fs.h's core for the C module's fs.c (no
 * Rust procfs or filesystem API), linked in: the twin's
 * /proc/vmar_race_rs is vmar_race's filesystem (lookup, revalidation,
 * owners, ESRCH on held handles), over race.rs's pprocs; its two files
 * call race.rs to render; so do the debugfs stats and pause files (glue's
 * file_operations pin the module while open, kernel::debugfs's do not).
 * Also linked in: the C module's pause-point mechanism (pause.c: a static
 * key, wait queue and timeouts) and trace events (trace.c: Rust's
 * declare_trace! binds only the kernel's own tracepoints). Every decision
 * about a pproc or its VMAR is race.rs's.
 *
 * Lifetime: race.rs hands its registry to vr_rs_glue_init() and frees it
 * only after vr_rs_glue_exit(), which runs when nothing is mounted (a
 * mount pins the module) and after race.rs removed the device, removes
 * the debugfs files, lets paused tasks go and waits for every deferred
 * put. An inode's pproc
 * handle is an Arc reference of race.rs's, whose last put frees the pproc a
 * grace period later (RCU-walk revalidation); reap flushes the pid's
 * dentries. A reader that
 * BUG()ed in buggy keeps its file, and so the mount, in use for ever;
 * no other pproc waits for it. Readers take no glue lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vmar_race.h"

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/panic.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>

#include "race.h"
#include "trace/vmar_race.h"

enum { VR_RS_STATUS, VR_RS_MAPS };

static const void *vr_rs_reg;
static struct workqueue_struct *vr_rs_wq;	/* deferred puts */

/* mode: race.rs's read path (its enum Mode); buggy taints, as in vmar_race. */
static const char * const vr_rs_modes[] = { "buggy", "checked", "fixed", "rcu" };
static int vr_rs_mode = 2;

static int vr_rs_mode_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(vr_rs_modes, val);

	if (i < 0)
		return -EINVAL;
	if (i == 0) {
		pr_warn_once("mode=buggy is unsafe: any user who can read /proc/vmar_race_rs can now make a Rust unwrap() panic (BUG; see unwrap_fail) by reading a pproc that exited; tainting the kernel\n");
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

/*
 * unwrap_fail: what buggy does on a None VMAR, the C module's names in
 * race.rs's order; the twin's default is Rust's own unwrap() (oops).
 */
static const char * const vr_rs_unwrap_names[] = { "panic", "oops", "warn" };
static int vr_rs_unwrap_fail = 1;

static int vr_rs_unwrap_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(vr_rs_unwrap_names, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(vr_rs_unwrap_fail, i);
	return 0;
}

static int vr_rs_unwrap_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vr_rs_unwrap_names[READ_ONCE(vr_rs_unwrap_fail)]);
}

static const struct kernel_param_ops vr_rs_unwrap_ops = {
	.set = vr_rs_unwrap_set,
	.get = vr_rs_unwrap_get,
};
module_param_cb(unwrap_fail, &vr_rs_unwrap_ops, NULL, 0644);
MODULE_PARM_DESC(unwrap_fail, "what buggy does on a None VMAR: oops (Rust's unwrap(), a BUG; default), panic (panic()) or warn (WARN once, count, fail the read)");

/* unwrap_fail=panic (Rust has no binding for the kernel's panic()). */
void vr_rs_unwrap_panic(int pid, int file)
{
	panic(KBUILD_MODNAME ": called `Option::unwrap()` on a `None` value: VMAR of exited pid %d read through /proc/vmar_race_rs/%d/%s\n",
	      pid, pid, file == VR_RS_MAPS ? "maps" : "status");
}

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

/* The C module's race window, as modes.c sleeps it (pause.c's helper). */
static struct vr_uint_param vr_rs_race_delay_us = { 0, 1000000, 0 };
module_param_cb(race_delay_us, &vr_uint_ops, &vr_rs_race_delay_us, 0644);
MODULE_PARM_DESC(race_delay_us,
		 "sleep in the reader's race window, once per read, killable, microseconds (0-1000000, default 0)");

int vr_rs_race_delay(void)
{
	unsigned int us = READ_ONCE(vr_rs_race_delay_us.val);

	return us ? vr_race_delay(us) : 0;
}

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

/*
 * The C module's trace events (trace.c, linked in: events/vmar_race_rs/),
 * fired where race.rs's steps match vmar_race's; mode is race.rs's.
 */
void vr_rs_trace(int ev, int pid, int mode, const void *vmar, int arg)
{
	static const int ids[] = { VR_MODE_BUGGY, VR_MODE_CHECKED, VR_MODE_FIXED,
				   VR_MODE_RCU, VR_MODE_UAF };
	int id = mode >= 0 && mode < ARRAY_SIZE(ids) ? ids[mode] : -1;

	switch (ev) {
	case VR_RS_EV_SPAWN:
		trace_vmar_race_spawn(pid, vmar);
		break;
	case VR_RS_EV_EXIT:
		trace_vmar_race_exit(pid, vmar);
		break;
	case VR_RS_EV_REAP:
		trace_vmar_race_reap(pid, vmar);
		break;
	case VR_RS_EV_VMAR_FREE:
		trace_vmar_race_vmar_free(pid, vmar);
		break;
	case VR_RS_EV_READ_START:
		trace_vmar_race_read_start(pid, id, arg);
		break;
	case VR_RS_EV_READ_GET:
		trace_vmar_race_read_get(pid, id, vmar);
		break;
	case VR_RS_EV_READ_END:
		trace_vmar_race_read_end(pid, id, arg);
		break;
	case VR_RS_EV_UNWRAP_NONE:
		trace_vmar_race_unwrap_none(pid, id);
		break;
	default:
		WARN_ON_ONCE(1);
	}
}

/*
 * A reference race.rs drops a grace period later: a VMAR's after exit
 * cleared it, a pproc's last (RCU-walk may still be reading it).
 */
struct vr_rs_put {
	struct rcu_work rwork;
	const void *obj;
	void (*put)(const void *obj);
};

static void vr_rs_put_fn(struct work_struct *work)
{
	struct vr_rs_put *p = container_of(to_rcu_work(work), struct vr_rs_put, rwork);

	p->put(p->obj);		/* process context: it may pause at free */
	kfree(p);
}

void vr_rs_defer_put(const void *obj, void (*put)(const void *obj))
{
	struct vr_rs_put *p = kmalloc(sizeof(*p), GFP_KERNEL);

	if (!p) {		/* no memory: wait for the grace period here */
		synchronize_rcu();
		put(obj);
		return;
	}
	p->obj = obj;
	p->put = put;
	INIT_RCU_WORK(&p->rwork, vr_rs_put_fn);
	queue_rcu_work(vr_rs_wq, &p->rwork);
}

/*
 * /sys/kernel/debug/vmar_race_rs/: race.rs's stats and pause files, in
 * file_operations of glue's own. 7.3's kernel::debugfs files set no owner:
 * an open one would not pin the module, and its release after an unload
 * would read freed code (unload.sh holds one across rmmod).
 */
static struct dentry *vr_rs_debugfs;

/* Every deferred put so far has run (stats, the pause file's barrier). */
void vr_rs_settle(void)
{
	rcu_barrier();			/* the rcu_work items are queued ... */
	flush_workqueue(vr_rs_wq);	/* ... and have run */
}

static int vr_rs_stats_show(struct seq_file *m, void *unused)
{
	vr_rs_settle();			/* _alive counts are exact */
	vr_rs_stats_print(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vr_rs_stats);

static int vr_rs_pause_show(struct seq_file *m, void *unused)
{
	vr_rs_pause_print(m);
	return 0;
}

static int vr_rs_pause_open(struct inode *inode, struct file *file)
{
	/* Root only: debugfs is 0700, and the file checks for itself too. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return single_open(file, vr_rs_pause_show, NULL);
}

static ssize_t vr_rs_pause_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	int ret = vr_rs_pause_cmd(vr_rs_reg, ubuf, len);

	return ret ? ret : len;
}

static const struct file_operations vr_rs_pause_fops = {
	.owner = THIS_MODULE,
	.open = vr_rs_pause_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = vr_rs_pause_write,
	.release = single_release,
};

/*
 * What a spawn records of its caller for race.rs (Linux 7.3's Rust has no
 * credentials but euid(), and no struct pid): freed at the pproc's drop.
 * Its ids are a vmar_race.h vr_cred (usage unused): readers take
 * rcu_read_lock(); vr_rs_spawner_setids() replaces them under race.rs's
 * slot lock and frees the old ones a grace period later.
 */
struct vr_rs_spawner {
	struct vr_cred __rcu *cred;	/* owner, maps access, Uid:/Gid: */
	struct pid *tgid;		/* counted: PPid: */
};

static void vr_rs_cred_free(struct vr_cred *c)
{
	put_user_ns(c->user_ns);
	kfree(c);
}

static void vr_rs_cred_free_rcu(struct rcu_head *rcu)
{
	vr_rs_cred_free(container_of(rcu, struct vr_cred, rcu));
}

void *vr_rs_spawner_new(void)
{
	struct vr_rs_spawner *sp = kmalloc(sizeof(*sp), GFP_KERNEL_ACCOUNT);
	struct vr_cred *c = kmalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);

	if (!sp || !c) {
		kfree(sp);
		kfree(c);
		return NULL;
	}
	vr_cred_ids_from(c, current_cred());
	c->user_ns = get_user_ns(current_user_ns());
	RCU_INIT_POINTER(sp->cred, c);
	sp->tgid = get_pid(task_tgid(current));
	return sp;
}

void vr_rs_spawner_put(void *p)
{
	struct vr_rs_spawner *sp = p;

	/* No handle is left, and the last went a grace period ago: no reader. */
	vr_rs_cred_free(rcu_dereference_protected(sp->cred, true));
	put_pid(sp->tgid);
	kfree(sp);
}

/* As render.c's vr_ppid(): the reader's pid namespace, 0 once gone. */
int vr_rs_spawner_ppid(const void *p)
{
	const struct vr_rs_spawner *sp = p;

	if (!pid_has_task(sp->tgid, PIDTYPE_TGID))
		return 0;
	return pid_nr_ns(sp->tgid, task_active_pid_ns(current));
}

/* Real, effective, saved and fs ids, in the reader's user namespace. */
void vr_rs_spawner_ids(const void *p, u32 *uid, u32 *gid)
{
	const struct vr_rs_spawner *sp = p;
	struct user_namespace *ns = current_user_ns();
	const struct vr_cred *c;

	rcu_read_lock();
	c = rcu_dereference(sp->cred);
	uid[0] = from_kuid_munged(ns, c->uid);
	uid[1] = from_kuid_munged(ns, c->euid);
	uid[2] = from_kuid_munged(ns, c->suid);
	uid[3] = from_kuid_munged(ns, c->fsuid);
	gid[0] = from_kgid_munged(ns, c->gid);
	gid[1] = from_kgid_munged(ns, c->egid);
	gid[2] = from_kgid_munged(ns, c->sgid);
	gid[3] = from_kgid_munged(ns, c->fsgid);
	rcu_read_unlock();
}

/* SETIDS' ids, as the caller's user namespace maps them: valid or not. */
bool vr_rs_ids_valid(u32 uid, u32 gid)
{
	return uid_valid(make_kuid(current_user_ns(), uid)) &&
	       gid_valid(make_kgid(current_user_ns(), gid));
}

/*
 * SETIDS (as cred.c's vr_pproc_setids(): vmar_race.h's vr_cred_may_set()
 * rules). race.rs holds the pproc's slot lock, which keeps SETIDS and exit
 * apart, and found it running.
 */
int vr_rs_spawner_setids(void *p, int pid, u32 ruid, u32 rgid)
{
	struct vr_rs_spawner *sp = p;
	struct vr_cred *old = rcu_dereference_protected(sp->cred, true), *new;
	int ret = vr_cred_may_set(old, make_kuid(current_user_ns(), ruid),
				  make_kgid(current_user_ns(), rgid));

	if (ret)
		return ret;
	new = kmalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	vr_cred_ids_set(new, make_kuid(current_user_ns(), ruid),
			make_kgid(current_user_ns(), rgid));
	new->user_ns = get_user_ns(old->user_ns);
	rcu_assign_pointer(sp->cred, new);
	trace_vmar_race_setids(pid, old, new);
	call_rcu(&old->rcu, vr_rs_cred_free_rcu);	/* glue_exit's rcu_barrier() waits */
	return 0;
}

/*
 * fs.h's core for fs.c (linked in): a struct vr_pproc * is race.rs's
 * handle, never dereferenced here.
 */
struct vr_pproc *vr_pproc_find(pid_t pid)
{
	return (struct vr_pproc *)vr_rs_find(vr_rs_reg, pid);
}

struct vr_pproc *vr_pproc_next(unsigned long *pid)
{
	return (struct vr_pproc *)vr_rs_next(vr_rs_reg, pid);
}

void vr_pproc_get(struct vr_pproc *pp)
{
	vr_rs_get(pp);
}

void vr_pproc_put(struct vr_pproc *pp)
{
	vr_rs_put(pp);
}

bool vr_pproc_gone(const struct vr_pproc *pp)
{
	return vr_rs_gone(pp);
}

u64 vr_pproc_serial(const struct vr_pproc *pp)
{
	return vr_rs_serial(pp);
}

void vr_pproc_dump_owner(const struct vr_pproc *pp, bool dir, kuid_t *uid,
			 kgid_t *gid)
{
	const struct vr_rs_spawner *sp = vr_rs_spawner(pp);
	const struct vr_cred *c;

	*uid = GLOBAL_ROOT_UID;
	*gid = GLOBAL_ROOT_GID;
	if (dir || vr_rs_running(pp)) {
		rcu_read_lock();
		c = rcu_dereference(sp->cred);
		*uid = c->euid;
		*gid = c->egid;
		rcu_read_unlock();
	}
}

/*
 * As render.c's vr_may_read_vmar() (mm_access()'s PTRACE_MODE_READ_FSCREDS)
 * against the pproc's ids: -EACCES unless the reader's fsuid and fsgid
 * are all of them or it has CAP_SYS_PTRACE over their user namespace. An
 * exited pproc has no address space to guard.
 */
static int vr_rs_may_read_vmar(const struct vr_pproc *pp)
{
	const struct vr_rs_spawner *sp = vr_rs_spawner(pp);
	const struct cred *c = current_cred();
	struct user_namespace *ns;
	const struct vr_cred *t;
	bool same;

	if (!vr_rs_running(pp))
		return 0;
	rcu_read_lock();
	t = rcu_dereference(sp->cred);
	same = uid_eq(c->fsuid, t->euid) && uid_eq(c->fsuid, t->suid) &&
	       uid_eq(c->fsuid, t->uid) && gid_eq(c->fsgid, t->egid) &&
	       gid_eq(c->fsgid, t->sgid) && gid_eq(c->fsgid, t->gid);
	/* Every cred of a spawner has its user namespace: held while sp is. */
	ns = t->user_ns;
	rcu_read_unlock();
	return same || ns_capable(ns, CAP_SYS_PTRACE) ? 0 : -EACCES;
}

static int vr_rs_status_show(struct seq_file *m, void *v)
{
	return vr_rs_show(m, m->private, VR_RS_STATUS, READ_ONCE(vr_rs_mode),
			  READ_ONCE(vr_rs_unwrap_fail));
}

static int vr_rs_maps_show(struct seq_file *m, void *v)
{
	return vr_rs_show(m, m->private, VR_RS_MAPS, READ_ONCE(vr_rs_mode),
			  READ_ONCE(vr_rs_unwrap_fail));
}

/* Each open and read of a reaped pproc's file: -ESRCH (race.rs checks reads). */
static int vr_rs_status_open(struct inode *inode, struct file *file)
{
	if (vr_rs_gone(inode->i_private))
		return -ESRCH;
	return single_open(file, vr_rs_status_show, inode->i_private);
}

/*
 * A buffer for the mappings there now, up to 8 MiB: one show, where a
 * page would make seq_file render again at each doubling (and sleep
 * race_delay_us each time). More mappings by the read still get a retry.
 */
#define VR_RS_MAPS_BUF_MAX	(8UL << 20)

static int vr_rs_maps_open(struct inode *inode, struct file *file)
{
	struct vr_pproc *pp = inode->i_private;
	int ret = vr_rs_gone(pp) ? -ESRCH : vr_rs_may_read_vmar(pp);

	if (ret)
		return ret;
	return single_open_size(file, vr_rs_maps_show, pp,
				clamp_t(size_t, vr_rs_maps_size(pp), PAGE_SIZE,
					VR_RS_MAPS_BUF_MAX));
}

const struct file_operations vr_status_fops = {
	.open = vr_rs_status_open,
	.read_iter = seq_read_iter,
	.llseek = seq_lseek,
	.release = single_release,
};

const struct file_operations vr_maps_fops = {
	.open = vr_rs_maps_open,
	.read_iter = seq_read_iter,
	.llseek = seq_lseek,
	.release = single_release,
};

int vr_rs_glue_init(const void *reg)
{
	int ret = -ENOMEM;

	vr_rs_reg = reg;
	vr_rs_wq = alloc_workqueue("vmar_race_rs", WQ_UNBOUND, 0);
	if (!vr_rs_wq)
		return -ENOMEM;
	vr_trace_init();
	ret = vr_fs_init();	/* race.rs registers /dev/vmar_race_rs next */
	if (ret)
		goto err_trace;
	/* Like every debugfs user, it goes on without them if debugfs fails. */
	vr_rs_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("stats", 0444, vr_rs_debugfs, NULL, &vr_rs_stats_fops);
	debugfs_create_file("pause", 0600, vr_rs_debugfs, NULL, &vr_rs_pause_fops);
	pr_info("loaded: mode=%s unwrap_fail=%s; /dev/vmar_race_rs, /proc/vmar_race_rs\n",
		vr_rs_modes[READ_ONCE(vr_rs_mode)],
		vr_rs_unwrap_names[READ_ONCE(vr_rs_unwrap_fail)]);
	return 0;

err_trace:
	vr_trace_exit();
	destroy_workqueue(vr_rs_wq);
	return ret;
}

void vr_rs_glue_exit(void)
{
	debugfs_remove(vr_rs_debugfs);	/* waits for reads and commands */
	vr_fs_exit();		/* not mounted: a mount pins the module */
	vr_pause_release_all();
	vr_trace_exit();
	rcu_barrier();		/* every deferred put is queued ... */
	destroy_workqueue(vr_rs_wq);	/* ... and has run */
}

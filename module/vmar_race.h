/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmar_race internals: a pseudo-process (pproc) registry whose pprocs hold a
 * VMAR-like address space in a slot, and the read paths that race with exit.
 * Include this header first: it sets pr_fmt for every file of the module.
 *
 * Lifetime and locking rules:
 * - A pproc is counted by the registry (spawn to reap), its owner's list
 *   (while running) and each lookup; freed an RCU grace period after the
 *   last put, so RCU lookups may use it.
 * - A VMAR has two counts, as mm_struct: users (mm_users: the slot, each
 *   reader; the last put tears the mappings down in process context,
 *   vr_vmar_put() may sleep) and count (mm_count: one for all users, one
 *   per grab, as a maps file opened with maps_mode=grab or upgrade holds;
 *   the last drop frees the struct an RCU grace period later). Mappings
 *   may be walked only under a users reference.
 * - pp->lock (a spinlock) guards pp->state and pp->slot, and serialises
 *   the publication of new credentials in pp->cred (RCU, cred.c). Exit clears the
 *   slot (RCU sees NULL), then stores ZOMBIE with release, and drops the
 *   slot's reference after unlocking; reap stores DEAD.
 * - Readers load the state with acquire, then the slot (proc_pid_status()'s
 *   order), so a zombie never has a VMAR; they read the slot only under
 *   pp->lock, or under RCU with refcount_inc_not_zero() ("buggy" and "uaf"
 *   break this on purpose), each mode in its own few lines.
 * - v->mutex serialises MAP/UNMAP/TOUCH (they allocate; waits are killable)
 *   and guards v->resident; v->lock, a spinlock, guards the tree and RSS.
 * - Lock order: pp->lock -> v->lock; v->mutex -> v->lock.
 * - Never sleep under a spinlock, and do bounded work there: maps are
 *   copied, and UNMAP changes the tree, a batch of mappings per v->lock
 *   section; per-page and per-mapping walks hold only v->mutex, bounded by
 *   max_pages and max_maps, with cond_resched().
 * - Own slab caches (vr_pproc, vr_owner, vr_vmar, vr_mapping: for failslab),
 *   destroyed at unload after rcu_barrier().
 * - Handles (Linux: file -> pid -> task -> mm): an inode (fs.c) holds a
 *   pproc reference, never the VMAR, checked on each open, read and
 *   revalidation (reaped: -ESRCH, stale dentry); pid -> pproc is
 *   vr_pproc_find() (published only); pproc -> VMAR is the mode's read path.
 */
#ifndef VMAR_RACE_H
#define VMAR_RACE_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/jump_label.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>

#include "compat.h"
#include "fs.h"
#include "uapi/vmar_race.h"

#define VR_PAGE_SHIFT	12
#define VR_PAGE_SIZE	BIT_ULL(VR_PAGE_SHIFT)

/*
 * The internals the KUnit module links against are exported only in test
 * builds (CONFIG_KUNIT), like EXPORT_SYMBOL_IF_KUNIT() on 6.2+, which 6.1
 * lacks.
 */
#ifdef VMAR_RACE_TESTPOINTS
#define EXPORT_SYMBOL_IF_VR_TESTS(sym) EXPORT_SYMBOL_NS_GPL(sym, VR_NS)
#else
#define EXPORT_SYMBOL_IF_VR_TESTS(sym)
#endif

/* One mapping [start, end) of a VMAR, in its rbtree keyed by start. */
struct vr_mapping {
	struct rb_node node;
	u64 start;
	u64 end;
	u32 flags;	/* VMAR_RACE_PROT_* | VMAR_RACE_MAP_FILE */
};

/*
 * struct vr_vmar - a pproc's address space. VMAR: Virtual Memory Address
 * Region, Asterinas's name for a process's address space (Linux's struct
 * mm_struct).
 */
struct vr_vmar {
	refcount_t users;		/* the contents: mappings, RSS */
	refcount_t count;		/* the struct: all users, each grab */
	struct mutex mutex;		/* serialises writers */
	spinlock_t lock;		/* protects the fields below */
	struct rb_root maps;
	unsigned long nr_maps;
	unsigned long total_pages;
	unsigned long rss_anon;		/* pages */
	unsigned long rss_file;		/* pages */
	struct xarray resident;		/* touched page index -> 1, under mutex */
	pid_t pid;			/* of its pproc: trace events, pauses */
	struct rcu_head rcu;
};

enum vr_state { VR_RUNNING, VR_ZOMBIE, VR_DEAD };

/*
 * struct vr_cred - a pproc's ids (Linux: struct cred). Never changed once
 * published: SETIDS replaces the pointer (cred.c). Counted by the pproc
 * and each reader that took a reference; the last put frees it an RCU
 * grace period later.
 */
struct vr_cred {
	refcount_t usage;
	kuid_t uid, euid, suid, fsuid;
	kgid_t gid, egid, sgid, fsgid;
	struct user_namespace *user_ns;	/* counted */
	pid_t pid;			/* of its pproc: trace events */
	struct rcu_head rcu;
};

/* cred.c's, and the Rust twin's glue.c's (its ids are vr_creds too). */

/* @c's ids become @cur's (the caller takes @c->user_ns). */
static inline void vr_cred_ids_from(struct vr_cred *c, const struct cred *cur)
{
	c->uid = cur->uid;
	c->euid = cur->euid;
	c->suid = cur->suid;
	c->fsuid = cur->fsuid;
	c->gid = cur->gid;
	c->egid = cur->egid;
	c->sgid = cur->sgid;
	c->fsgid = cur->fsgid;
}

/* As setresuid(uid, uid, uid) and setresgid(gid, gid, gid) on @c. */
static inline void vr_cred_ids_set(struct vr_cred *c, kuid_t uid, kgid_t gid)
{
	c->uid = uid;
	c->euid = uid;
	c->suid = uid;
	c->fsuid = uid;
	c->gid = gid;
	c->egid = gid;
	c->sgid = gid;
	c->fsgid = gid;
}

/*
 * May current give @c's pproc @uid and @gid? As setresuid(): mapped in its
 * user namespace (-EINVAL), and one of its own or CAP_SETUID (CAP_SETGID)
 * there (-EPERM).
 */
static inline int vr_cred_may_set(const struct vr_cred *c, kuid_t uid, kgid_t gid)
{
	if (!kuid_has_mapping(c->user_ns, uid) || !kgid_has_mapping(c->user_ns, gid))
		return -EINVAL;
	if (!uid_eq(uid, c->uid) && !uid_eq(uid, c->euid) &&
	    !uid_eq(uid, c->suid) && !ns_capable(c->user_ns, CAP_SETUID))
		return -EPERM;
	if (!gid_eq(gid, c->gid) && !gid_eq(gid, c->egid) &&
	    !gid_eq(gid, c->sgid) && !ns_capable(c->user_ns, CAP_SETGID))
		return -EPERM;
	return 0;
}

struct vr_owner;

/* struct vr_pproc - a pseudo-process: pid, state and the slot of its VMAR. */
struct vr_pproc {
	refcount_t users;
	pid_t pid;
	u64 serial;			/* never reused: inode numbers */
	struct pid *spawner;		/* tgid of the spawning process: PPid */
	struct vr_cred __rcu *cred;	/* spawner's ids at SPAWN, then SETIDS' */
	char name[VMAR_RACE_NAME_LEN];
	spinlock_t lock;		/* protects state and slot */
	enum vr_state state;
	struct vr_vmar __rcu *slot;	/* NULL once exited */
	struct vr_owner *owner;		/* counted until exit */
	struct list_head owner_node;	/* on owner->procs, under owner->lock */
	struct rcu_head rcu;
};

/* The open /dev/vmar_race file that spawned pprocs: closing it exits them. */
struct vr_owner {
	refcount_t users;
	spinlock_t lock;		/* protects procs */
	struct list_head procs;
};

/*
 * The layers, bottom to top; each file calls only into layers below its own
 * (or beside it, never back):
 *   leaves      compat.h, param.c (the bounded-uint parameter type),
 *               stats.c (struct vr_stats), pause.c (the mechanism),
 *               trace.c (the trace events)
 *   core        vmar.c, registry.c (calls pause.c, never the reverse),
 *               modes.c (the read paths), render.c (the renderers)
 *   interfaces  ctl.c (/dev/vmar_race), fs.c (/proc/vmar_race), debugfs.c
 *               (the stats file and the pause commands): each has init/exit
 *   top         main.c: calls the init and exit functions in order
 */

/* stats.c: counters in /sys/kernel/debug/vmar_race/stats. */
struct vr_stats {
	atomic_long_t spawned, exited, reaped, live, zombie, vmars_alive;
	atomic_long_t pprocs_alive;
	atomic_long_t status_reads, maps_reads, zombie_reads, unwrap_none;
	atomic_long_t read_errors;
	atomic_long_t exit_lock_waits;	/* exits that found pp->lock held */
	atomic_long_t setids;
	atomic_long_t creds_alive;
	atomic_long_t creds_freed_in_use;	/* resurrected: see cred.c */
};

extern struct vr_stats vr_stats;
void vr_stats_settle(void);	/* may sleep: frees deferred so far have run */

/*
 * param.c: a bounded unsigned parameter, defined in the file that reads it:
 *   static struct vr_uint_param vr_p_x = { min, max, default };
 *   module_param_cb(x, &vr_uint_ops, &vr_p_x, 0644);
 * and read there with READ_ONCE(vr_p_x.val). A write out of [min, max] is
 * -EINVAL and keeps the old value.
 */
struct vr_uint_param {
	unsigned int min, max;
	unsigned int val;
};

/*
 * Test builds: set and show a parameter of this module as a sysfs write
 * and read of /sys/module/vmar_race/parameters/NAME do (same ops, same
 * kernel_param_lock()), with no path walk: a KUnit kthread's root need not
 * see the guest's /sys (7.3). -ENOENT for no such parameter, -EACCES for a
 * read-only one; vr_param_get() fills a PAGE_SIZE page.
 */
int vr_param_set(const char *name, const char *val);
int vr_param_get(const char *name, char *page);

extern const struct kernel_param_ops vr_uint_ops;

/* What "buggy" does when it unwraps a None slot. */
enum vr_unwrap_fail {
	VR_UNWRAP_PANIC,
	VR_UNWRAP_OOPS,
	VR_UNWRAP_WARN,
	VR_UNWRAP_QUIET,	/* count and fail without a splat: KUnit only */
};

struct vr_read_mode;

enum vr_mode_id {
	VR_MODE_BUGGY,
	VR_MODE_CHECKED,
	VR_MODE_UAF,
	VR_MODE_FIXED,
	VR_MODE_RCU,
	VR_NR_MODES
};

enum vr_file { VR_FILE_STATUS, VR_FILE_MAPS };

/*
 * maps_mode, the second race: what a maps file holds between its reads.
 * lookup: nothing, each read finds the VMAR through the pproc and mode;
 * grab and upgrade: the object, pinned at open (mmgrab()); upgrade takes
 * a users reference for each read or reads nothing (mmget_not_zero()).
 */
enum vr_maps_mode {
	VR_MAPS_LOOKUP,
	VR_MAPS_GRAB,
	VR_MAPS_UPGRADE,
	VR_NR_MAPS_MODES
};

/* cred_mode, the third race: how a status read gets the ids (cred.c). */
enum vr_cred_mode {
	VR_CRED_RCU,
	VR_CRED_GET,
	VR_CRED_PLAIN,
	VR_CRED_INC,
	VR_NR_CRED_MODES
};

/* What a status read prints on its Uid: and Gid: lines: real, e, s, fs. */
struct vr_ids {
	kuid_t uid[4];
	kgid_t gid[4];
};

/* A read's parameters, sampled once when the read starts. */
struct vr_read_ctx {
	const struct vr_read_mode *mode;
	enum vr_unwrap_fail unwrap_fail;
	unsigned int delay_us;
	enum vr_file file;
	enum vr_cred_mode cred_mode;	/* how status gets the ids */
};

/*
 * What a read does with the state and VMAR a mode found (v is NULL for an
 * exited pproc; the state was loaded first, see modes.c). It runs with
 * whatever the mode holds (pp->lock in buggy and checked: no sleeping) and
 * copies out what it needs.
 */
typedef int (*vr_render_fn)(enum vr_state state, struct vr_vmar *v, void *arg);

/*
 * A read path: finds pp's VMAR its own way, calls render() with it, lets go
 * of it and returns render()'s result, or an error of its own.
 */
struct vr_read_mode {
	const char *name;
	enum vr_mode_id id;
	int (*read)(struct vr_pproc *pp, const struct vr_read_ctx *ctx,
		    vr_render_fn render, void *arg);
};

/* modes.c: the read paths, and the parameters a read samples */
const struct vr_read_mode *vr_mode_find(const char *name);
void vr_read_ctx_init(struct vr_read_ctx *ctx, enum vr_file file);
int vr_mode_read(struct vr_pproc *pp, const struct vr_read_ctx *ctx,
		 vr_render_fn render, void *arg);
const struct vr_read_mode *vr_mode_param(void);
const char *vr_unwrap_fail_name(enum vr_unwrap_fail fail);
void vr_warn_unsafe(const char *param, const char *val, const char *danger,
		    unsigned long *warned, unsigned int bit);
enum vr_maps_mode vr_maps_mode_now(void);
const char *vr_maps_mode_name(enum vr_maps_mode mm);
int vr_maps_pin_read(struct vr_vmar *pin, pid_t pid, enum vr_maps_mode mm,
		     vr_render_fn render, void *arg);

/* cred.c */
int vr_cred_init(void);
void vr_cred_exit(void);
struct vr_cred *vr_cred_from_current(void);
void vr_cred_put(struct vr_cred *c);
struct vr_cred *vr_pproc_cred_get(struct vr_pproc *pp);
int vr_pproc_setids(struct vr_pproc *pp, kuid_t uid, kgid_t gid);
enum vr_cred_mode vr_cred_mode_now(void);
int vr_cred_mode_find(const char *name, enum vr_cred_mode *mode);
void vr_cred_read(struct vr_pproc *pp, enum vr_cred_mode mode,
		  struct vr_ids *ids);

/* vmar.c */
int vr_vmar_init(void);
void vr_vmar_exit(void);
struct vr_vmar *vr_vmar_create(void);
void vr_vmar_get(struct vr_vmar *v);
void vr_vmar_put(struct vr_vmar *v);
void vr_vmar_grab(struct vr_vmar *v);
void vr_vmar_drop(struct vr_vmar *v);
bool vr_vmar_get_not_zero(struct vr_vmar *v);
int vr_vmar_map(struct vr_vmar *v, u64 start, u64 len, u32 flags);
int vr_vmar_unmap(struct vr_vmar *v, u64 start, u64 len);
int vr_vmar_touch(struct vr_vmar *v, u64 start, u64 len);
struct vr_mapping *vr_vmar_first_from(struct vr_vmar *v, u64 addr);
struct vr_mapping *vr_vmar_next(struct vr_mapping *m);
int vr_range_check(u64 start, u64 len);

/* registry.c */
int vr_registry_init(void);
void vr_registry_exit(void);
struct vr_owner *vr_owner_create(void);
void vr_owner_release(struct vr_owner *o);
struct vr_pproc *vr_pproc_spawn(struct vr_owner *o, const char *name);
void vr_pproc_publish(struct vr_pproc *pp);
void vr_pproc_abort(struct vr_pproc *pp);
/* and fs.h's core: vr_pproc_{find,next,get,put,gone,serial} */
int vr_pproc_exit(struct vr_pproc *pp);
int vr_pproc_reap(pid_t pid);
struct vr_vmar *vr_pproc_vmar_get(struct vr_pproc *pp);

/**
 * vr_pproc_reaped() - Is a pproc reaped (DEAD)?
 * @pp: the pproc; the caller holds a reference to it, or rcu_read_lock().
 *
 * A reaped pproc's handles (an inode's reference) upgrade to nothing.
 *
 * Context: any context; takes no lock (one READ_ONCE()).
 * Return: true once reaped.
 */
static inline bool vr_pproc_reaped(const struct vr_pproc *pp)
{
	return READ_ONCE(pp->state) == VR_DEAD;
}

/* trace.c: the trace events, and the trace dump after a report */
void vr_trace_init(void);
void vr_trace_exit(void);

/* render.c: what the files show (and fs.h's vr_status_fops, vr_maps_fops) */
int vr_render_status(struct seq_file *m, struct vr_pproc *pp,
		     const struct vr_read_ctx *ctx);

/* ctl.c: /dev/vmar_race */
int vr_ctl_init(void);
void vr_ctl_exit(void);

/* debugfs.c: /sys/kernel/debug/vmar_race/{stats,pause} */
void vr_debugfs_init(void);
void vr_debugfs_exit(void);

/*
 * pause.c: pause points, in every build. A task that reaches an armed point
 * for its pid sleeps there until released (pause_timeout_ms at most).
 * Reached only where the task holds no lock; debug kernels check that on
 * every pass, armed or not. A leaf: debugfs.c parses the commands.
 */
enum vr_pause_point {
	VR_PAUSE_FOUND,		/* reader found the pproc, has not used its
				 * slot (uaf loaded it already)
				 */
	VR_PAUSE_HELD,		/* reader holds what get() returned (a
				 * reference, or for uaf a bare pointer), no
				 * lock, has not used it yet
				 */
	VR_PAUSE_CLEARED,	/* exit cleared the slot, still holds the
				 * slot's reference
				 */
	VR_PAUSE_FREE,		/* the last reference is gone, the VMAR is
				 * about to be torn down and freed
				 */
	VR_PAUSE_PUBLISHED,	/* spawn made the pid findable and has not
				 * returned: nothing may touch the pproc now
				 */
	VR_PAUSE_CRED,		/* a status reader loaded pp->cred and has
				 * not used it (inside rcu_read_lock() but
				 * for plain: there it spins)
				 */
	VR_NR_PAUSE
};

enum vr_pause_what { VR_PAUSED, VR_RELEASED, VR_TIMED_OUT };

DECLARE_STATIC_KEY_FALSE(vr_pause_key);
bool __vr_pause(enum vr_pause_point point, pid_t pid);
bool __vr_pause_atomic(enum vr_pause_point point, pid_t pid);
int vr_pause_arm(enum vr_pause_point point, pid_t pid);
int vr_pause_wait(enum vr_pause_point point, pid_t pid, unsigned long timeout);
int vr_pause_release(enum vr_pause_point point, pid_t pid);
void vr_pause_release_all(void);
void vr_pause_forget(pid_t pid);
int vr_pause_point_parse(const char *name, enum vr_pause_point *point);
/* registry.c: the pause file's arm command (race.rs has its own). */
int vr_pause_arm_pproc(enum vr_pause_point point, pid_t pid);
/* A slot as the pause file lists it; race.rs mirrors it (#[repr(C)]). */
enum vr_pause_state { VR_PAUSE_ARMED, VR_PAUSE_ASLEEP, VR_PAUSE_LET_GO };
struct vr_pause_info {
	int point;		/* enum vr_pause_point */
	int pid;		/* 0: the slot is free */
	int state;		/* enum vr_pause_state */
	int task;		/* who reached it, unless armed */
	char comm[16];
};

bool vr_pause_list_slot(int i, struct vr_pause_info *out);
void vr_pause_print(struct seq_file *m);
/* pause.c: race_delay_us's killable sleep; -EINTR if killed in it. */
int vr_race_delay(unsigned int us);

/**
 * vr_pause() - A pause point: pause here if it is armed for @pid.
 * @point: the pause point.
 * @pid: the pproc the caller works on.
 *
 * Unarmed, it costs one static branch.
 *
 * Context: process context, no lock held; may sleep (__vr_pause()).
 * Return: true if the task paused here (and has been let go).
 */
static __always_inline bool vr_pause(enum vr_pause_point point, pid_t pid)
{
#ifdef CONFIG_DEBUG_ATOMIC_SLEEP
	__might_sleep(__FILE__, __LINE__);
#endif
	return static_branch_unlikely(&vr_pause_key) && __vr_pause(point, pid);
}

/**
 * vr_pause_atomic() - A pause point where the task may not sleep: it spins.
 * @point: the pause point.
 * @pid: the pproc the caller works on.
 *
 * For RCU read sections: a task that reaches it armed spins until
 * released, VR_PAUSE_ATOMIC_MS at most (well below the RCU stall and soft
 * lockup warnings). Another CPU must run whoever releases it.
 *
 * Context: process context, may be inside rcu_read_lock(); does not
 * sleep (vr_pause_lock is not taken with interrupts or bottom halves off).
 * Return: true if the task paused here (and has been let go).
 */
static __always_inline bool vr_pause_atomic(enum vr_pause_point point,
					    pid_t pid)
{
	return static_branch_unlikely(&vr_pause_key) &&
	       __vr_pause_atomic(point, pid);
}

#endif /* VMAR_RACE_H */

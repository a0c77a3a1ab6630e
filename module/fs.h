/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/<module> (fs.c) and the core it serves, the only interface between
 * them. vmar_race.ko's core implements it in registry.c, cred.c and
 * render.c; vmar_race_rs.ko's in race.rs, through glue.c. So both modules
 * serve /proc through one implementation, fs.c, which includes only this
 * header.
 *
 * fs.c holds a pproc as a counted handle, struct vr_pproc *, and never
 * dereferences it: in vmar_race_rs it is race.rs's Arc<PProc>
 * (Arc::into_raw()), a type C never sees.
 */
#ifndef VMAR_RACE_FS_H
#define VMAR_RACE_FS_H

#ifndef pr_fmt
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#endif

#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/types.h>
#include <linux/uidgid.h>

#include "compat.h"
#include "uapi/vmar_race.h"

#define VR_PID_MAX	BIT(22)		/* like Linux's PID_MAX_LIMIT */

struct vr_pproc;

/*
 * The core. find and next return a published pproc (it may be reaped
 * since) with a reference the caller drops with put, or NULL; next finds
 * the lowest pid >= *pid (< VR_PID_MAX) and stores it there. These three
 * run in process context and may sleep. get (the caller holds a
 * reference), gone (reaped: its handles upgrade to nothing), serial (never
 * reused: inode numbers) and dump_owner (task_dump_owner(): the pproc's
 * effective ids now for its directory, and for its files while it runs;
 * root's once it exited) take no lock that sleeps: RCU-walk calls them.
 */
struct vr_pproc *vr_pproc_find(pid_t pid);
struct vr_pproc *vr_pproc_next(unsigned long *pid);
void vr_pproc_put(struct vr_pproc *pp);
void vr_pproc_get(struct vr_pproc *pp);
bool vr_pproc_gone(const struct vr_pproc *pp);
u64 vr_pproc_serial(const struct vr_pproc *pp);
void vr_pproc_dump_owner(const struct vr_pproc *pp, bool dir, kuid_t *uid,
			 kgid_t *gid);

/*
 * The files of /proc/<module>/<pid>/: their inode's i_private is the
 * pproc handle; each open and read fails with -ESRCH once it is gone.
 */
extern const struct file_operations vr_status_fops;
extern const struct file_operations vr_maps_fops;

/*
 * fs.c: /proc/<module>, a mount point for the filesystem of the same name
 * (vmar_race, vmar_race_rs); flush_pid drops a reaped pid's dentries.
 */
int vr_fs_init(void);
void vr_fs_exit(void);
void vr_fs_flush_pid(pid_t pid);

#endif /* VMAR_RACE_FS_H */

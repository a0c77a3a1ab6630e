/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C/Rust boundary of vmar_race_rs, stated once: the functions race.rs
 * exports (#[no_mangle]) and the glue.c functions it calls (its extern "C"
 * block). Both sides are kept in step with this header by hand: a changed
 * signature must change here, in race.rs and in glue.c together.
 *
 * reg is the registry race.rs handed to vr_rs_glue_init(); it outlives
 * every call (race.rs calls vr_rs_glue_exit() before freeing it). Returns
 * are 0 or -errno unless said otherwise; all in process context.
 */
#ifndef VR_RS_RACE_H
#define VR_RS_RACE_H

#include <linux/types.h>

/*
 * race.rs: fs.h's core, over handles (an Arc<PProc> reference each, made
 * by find, next or get, dropped by put; glue.c passes them as struct
 * vr_pproc *). gone, serial, running and spawner take no lock. spawner is
 * the pproc's vr_rs_spawner_new() object, valid while the handle is.
 */
const void *vr_rs_find(const void *reg, int pid);
const void *vr_rs_next(const void *reg, unsigned long *pid);
void vr_rs_get(const void *pp);
void vr_rs_put(const void *pp);
bool vr_rs_gone(const void *pp);
u64 vr_rs_serial(const void *pp);
bool vr_rs_running(const void *pp);
const void *vr_rs_spawner(const void *pp);
/*
 * race.rs: a handle's status (file 0) or maps (1) through read path mode
 * (0 buggy, 1 checked, 2 fixed, 3 rcu) into m; -ESRCH once reaped,
 * -EINVAL for a bad file, mode or unwrap_fail. buggy on a zombie does
 * what unwrap_fail says (0 panic, 1 oops: Rust's unwrap(), 2 warn; 3
 * quiet is KUnit's): -EIO unless it panicked.
 */
int vr_rs_show(void *m, const void *pp, int file, int mode, int unwrap_fail);
/* race.rs: at most the bytes a maps read of pp renders now; 0: a zombie. */
size_t vr_rs_maps_size(const void *pp);
/*
 * race.rs: the debugfs files' shows (m a seq_file in its show) and a pause
 * command written from buf (a user pointer, len bytes): 0 or -errno.
 */
void vr_rs_stats_print(void *m);
void vr_rs_pause_print(void *m);
int vr_rs_pause_cmd(const void *reg, const char __user *buf, size_t len);
/* race.rs: the puts vr_rs_defer_put() is handed (a VMAR's, a pproc's last). */
void vr_rs_vmar_put(const void *vmar);
void vr_rs_pproc_put_last(const void *pp);

/* glue.c, called by race.rs's module init and exit. */
int vr_rs_glue_init(const void *reg);
void vr_rs_glue_exit(void);

/* glue.c, for race.rs: what Linux 7.3's Rust has no abstraction for. */
enum vr_rs_limit { VR_RS_MAX_PROCS, VR_RS_MAX_MAPS, VR_RS_MAX_PAGES };
unsigned int vr_rs_limit(int which);
void vr_rs_pause(int point, int pid);		/* no lock held */
void vr_rs_settle(void);	/* every deferred put so far has run */
void vr_rs_forget(int pid);
void vr_rs_cond_resched(void);
int vr_rs_race_delay(void);	/* race_delay_us; -EINTR if killed */
void __noreturn vr_rs_unwrap_panic(int pid, int file);	/* unwrap_fail=panic */
/* A spawn's caller: its ids (a vr_cred) and counted tgid; NULL on -ENOMEM. */
void *vr_rs_spawner_new(void);
void vr_rs_spawner_put(void *sp);
int vr_rs_spawner_ppid(const void *sp);		/* in the reader's pidns */
void vr_rs_spawner_ids(const void *sp, u32 *uid, u32 *gid);	/* [4] each */
/* SETIDS: ids valid in the caller's user namespace; then set them. */
bool vr_rs_ids_valid(u32 uid, u32 gid);
/* With the pproc's slot lock held, running: -EINVAL, -EPERM, -ENOMEM. */
int vr_rs_spawner_setids(void *sp, int pid, u32 uid, u32 gid);
/*
 * And fs.h's vr_fs_flush_pid(), called by race.rs's reap; vmar_race.h's
 * vr_pause_arm(), _wait(), _release(), _release_all() and _list_slot()
 * (struct vr_pause_info), called by race.rs's pause commands and listing.
 */

/*
 * A trace event of vmar_race's (trace/vmar_race.h): mode is race.rs's (0
 * buggy, 1 checked, 2 fixed, 3 rcu); arg is the file of READ_START and
 * the return of READ_END; vmar is only printed.
 */
enum vr_rs_event {
	VR_RS_EV_SPAWN, VR_RS_EV_EXIT, VR_RS_EV_REAP, VR_RS_EV_VMAR_FREE,
	VR_RS_EV_READ_START, VR_RS_EV_READ_GET, VR_RS_EV_READ_END,
	VR_RS_EV_UNWRAP_NONE
};

void vr_rs_trace(int ev, int pid, int mode, const void *vmar, int arg);
/* Calls put(obj) (an Arc::into_raw reference) after a grace period. */
void vr_rs_defer_put(const void *obj, void (*put)(const void *obj));

#endif

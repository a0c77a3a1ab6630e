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

struct seq_file;

/* race.rs: an ioctl of /dev/vmar_race_rs by the open file owner (its id). */
long vr_rs_ioctl(const void *reg, u64 owner, unsigned int cmd, unsigned long arg);
/* race.rs: the file owner closes: every pproc it spawned exits. */
void vr_rs_release(const void *reg, u64 owner);
/* race.rs: whether pid is spawned, published and not reaped. */
bool vr_rs_published(const void *reg, int pid);
/*
 * race.rs: pid's status (file 0) or maps (1) through read path mode (0
 * buggy, 1 checked, 2 fixed, 3 rcu) into m; -ESRCH for no such pid,
 * -EINVAL for a bad file or mode. buggy panics on a zombie.
 */
int vr_rs_show(const void *reg, struct seq_file *m, int pid, int file, int mode);
/* race.rs: drops the VMAR reference vr_rs_defer_put() was handed. */
void vr_rs_vmar_put(const void *vmar);

/* glue.c, called by race.rs's module init and exit. */
int vr_rs_glue_init(const void *reg);
void vr_rs_glue_exit(void);

/* glue.c, for race.rs: what Linux 6.12's Rust has no abstraction for. */
enum vr_rs_limit { VR_RS_MAX_PROCS, VR_RS_MAX_MAPS, VR_RS_MAX_PAGES };
unsigned int vr_rs_limit(int which);
void vr_rs_pause(int point, int pid);		/* no lock held */
void vr_rs_forget(int pid);
void vr_rs_cond_resched(void);
int vr_rs_tgid(void);
void vr_rs_out(void *m, const u8 *s, size_t len);	/* seq_write() */
int vr_rs_proc_add(int pid);
void vr_rs_proc_remove(int pid);
void vr_rs_rcu_read_lock(void);
void vr_rs_rcu_read_unlock(void);
/* Drops vmar (an Arc::into_raw reference) after a grace period. */
void vr_rs_defer_put(const void *vmar);

#endif

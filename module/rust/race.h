/* SPDX-License-Identifier: GPL-2.0 */
/*
 * race.rs's C interface, for glue.c. reg is the registry race.rs handed to
 * vr_rs_glue_init(); it outlives every call (race.rs calls
 * vr_rs_glue_exit() before freeing it). Returns are 0 or -errno unless
 * said otherwise.
 */
#ifndef VR_RS_RACE_H
#define VR_RS_RACE_H

#include <linux/types.h>

/* name: VMAR_RACE_NAME_LEN bytes, NUL-terminated; returns the pid. */
int vr_rs_spawn(const void *reg, const char *name, uintptr_t owner, int ppid);
/* op: 0 map, 1 unmap, 2 touch; flags only for map. */
int vr_rs_map(const void *reg, int op, int pid, u32 flags, u64 start, u64 len);
/* op: 0 exit, 1 reap (of a zombie only: EINVAL for a running pproc). */
int vr_rs_pid_op(const void *reg, int op, int pid);
/* The file owner closes: every pproc it spawned exits. */
void vr_rs_release(const void *reg, uintptr_t owner);
/*
 * Renders pid's status (file 0) or maps (1) through read path mode (0
 * buggy, 1 checked, 2 fixed) into buf; returns the length, -ENOSPC when
 * buf is too small, -ESRCH for no such pid. buggy panics on a zombie.
 */
ssize_t vr_rs_read(const void *reg, int pid, int file, int mode, char *buf, size_t size);

/* glue.c, called by race.rs's module init and exit. */
int vr_rs_glue_init(const void *reg);
void vr_rs_glue_exit(void);

#endif

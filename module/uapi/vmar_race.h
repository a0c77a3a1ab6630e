/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmar_race control ABI: /dev/vmar_race ioctls, shared by the module, its
 * selftests and any user program (#include "vmar_race.h").
 *
 * Errors: unknown command -ENOTTY; bad user pointer -EFAULT; unknown pid
 * -ESRCH; nonzero or unknown flags, bad ranges -EINVAL; overlapping MAP
 * -EEXIST; TOUCH of a range that is not fully mapped -ENOMEM (as madvise);
 * MAP/UNMAP/TOUCH/EXIT of a zombie and REAP of a running pproc -EINVAL;
 * max_procs reached -EAGAIN; max_maps or max_pages (mapped 4 KiB pages per
 * VMAR, like RLIMIT_AS) reached -ENOMEM (as mmap); MAP/UNMAP/TOUCH killed
 * while waiting or working -EINTR.
 */
#ifndef _UAPI_VMAR_RACE_H
#define _UAPI_VMAR_RACE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VMAR_RACE_DEVICE	"/dev/vmar_race"
#define VMAR_RACE_PROC_ROOT	"/proc/vmar_race"	/* a mount point ... */
#define VMAR_RACE_FS_TYPE	"vmar_race"		/* ... for this filesystem: */
#define VMAR_RACE_FS_MAGIC	0x76726673		/* "vrfs", its statfs f_type */
#define VMAR_RACE_STATS		"/sys/kernel/debug/vmar_race/stats"
#define VMAR_RACE_PARAMS	"/sys/module/vmar_race/parameters"

/*
 * Pause points, root only (CAP_SYS_ADMIN; the file is 0600 in debugfs).
 * One command per write(), words separated by blanks:
 *
 *   arm POINT PID          the first task to reach POINT for PID pauses there
 *   wait POINT PID [MS]    block until a task has reached it (default 10000
 *                          ms, at most 60000)
 *   release POINT PID      let the paused task go on, or disarm if none came
 *   reset                  release and disarm everything
 *   barrier                wait until every RCU-deferred free queued so far
 *                          has run (rcu_barrier(): replaced credentials)
 *
 * POINT: "found" (a reader found the pproc, has not used its slot; uaf
 * has loaded the bare pointer already; maps_mode grab and upgrade: their
 * reads pause at "held" only),
 * "held" (a reader holds what its mode's get() returned and no lock: fixed,
 * rcu and uaf only; and a maps read of a pinned VMAR), "cleared" (exit
 * cleared the slot, still holds the slot's reference), "free" (the last
 * VMAR reference is gone; once released, the task frees the VMAR before
 * it returns), "published" (a
 * SPAWN made its pid findable and has not returned; arm needs a published
 * pid, so only in-kernel tests can arm it for a pid to come), "cred" (a
 * status read loaded the pproc's credentials pointer and has not used it;
 * cred_mode=plain sleeps there, the others are inside rcu_read_lock() and
 * spin, 5000 ms at most: a second CPU must run the test).
 * Errors: bad syntax, unknown point, pid out of range, bad MS -EINVAL; arm
 * of a pid that is not a published pproc -ESRCH; arm of an armed point
 * -EBUSY; no free slot (8) -ENOSPC; wait or release of a point not armed
 * -ENOENT; wait timed out -ETIMEDOUT, interrupted -EINTR; not root -EPERM
 * (or -EACCES from debugfs itself). A paused task goes on by itself after
 * the pause_timeout_ms parameter (60 s; with a kernel warning) or when
 * killed. Reaping a pid disarms its points that nobody reached. Reading the
 * file lists the armed points: "point pid state task", state armed, paused
 * or released. A command is at most 63 bytes.
 */
#define VMAR_RACE_PAUSE		"/sys/kernel/debug/vmar_race/pause"

#define VMAR_RACE_NAME_LEN	16	/* including the terminating NUL */

/*
 * VMAR_RACE_IOC_SPAWN: name in (printable ASCII, NUL-terminated, empty:
 * "pproc"), flags must be 0, pid out.
 */
struct vmar_race_spawn {
	char name[VMAR_RACE_NAME_LEN];
	__u32 flags;
	__s32 pid;
};

/* Flag bits of struct vmar_race_map (MAP only; UNMAP and TOUCH take 0). */
#define VMAR_RACE_PROT_READ	0x1u
#define VMAR_RACE_PROT_WRITE	0x2u
#define VMAR_RACE_PROT_EXEC	0x4u
#define VMAR_RACE_MAP_FILE	0x8u	/* unset: anonymous */
#define VMAR_RACE_MAP_FLAGS	0xfu

/*
 * MAP, UNMAP, TOUCH: [start, start + len) in pid's VMAR; start and len page
 * aligned (4096), len > 0, no wrap past 2^64. UNMAP splits mappings it cuts,
 * like munmap, and unmapping an empty range succeeds.
 */
struct vmar_race_map {
	__s32 pid;
	__u32 flags;
	__u64 start;
	__u64 len;
};

#define VMAR_RACE_PAGE_SIZE	4096ull

/*
 * SETIDS: as setresuid(uid, uid, uid) and setresgid(gid, gid, gid) for
 * pid: its real, effective, saved and fs ids become uid and gid, as the
 * caller's user namespace maps them. flags must be 0. An id the pproc does
 * not already have needs CAP_SETUID (CAP_SETGID) in its user namespace
 * (-EPERM); an id with no mapping there or in the caller's -EINVAL; an
 * exited pproc -EINVAL, whatever else is wrong. Its
 * Uid:/Gid: lines, its files' owner and who may open its maps follow.
 */
struct vmar_race_ids {
	__s32 pid;
	__u32 flags;
	__u32 uid;
	__u32 gid;
};

/*
 * 0xB9 is free in Documentation/userspace-api/ioctl/ioctl-number.rst of
 * both 6.1 (0xB0-0xB7 taken) and 6.12 (0xB0-0xB8 taken), and no uapi
 * header of 6.12 defines an ioctl with it.
 */
#define VMAR_RACE_IOC_MAGIC	0xB9
#define VMAR_RACE_IOC_SPAWN	_IOWR(VMAR_RACE_IOC_MAGIC, 0x01, struct vmar_race_spawn)
#define VMAR_RACE_IOC_MAP	_IOW(VMAR_RACE_IOC_MAGIC, 0x02, struct vmar_race_map)
#define VMAR_RACE_IOC_UNMAP	_IOW(VMAR_RACE_IOC_MAGIC, 0x03, struct vmar_race_map)
#define VMAR_RACE_IOC_TOUCH	_IOW(VMAR_RACE_IOC_MAGIC, 0x04, struct vmar_race_map)
#define VMAR_RACE_IOC_EXIT	_IOW(VMAR_RACE_IOC_MAGIC, 0x05, __s32)
#define VMAR_RACE_IOC_REAP	_IOW(VMAR_RACE_IOC_MAGIC, 0x06, __s32)
#define VMAR_RACE_IOC_SETIDS	_IOW(VMAR_RACE_IOC_MAGIC, 0x07, struct vmar_race_ids)

#endif /* _UAPI_VMAR_RACE_H */

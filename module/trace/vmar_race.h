/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmar_race trace events: every step of the race between a /proc/vmar_race
 * read and exit, so the interleaving can be read back from ftrace
 * (events/vmar_race/). Disabled, each costs one static branch.
 *
 * The VMAR is recorded as a pointer and printed with %p, hashed as
 * everywhere else in the kernel: equal within a boot, nothing more. Modes,
 * files and pause points are numbers printed by name, so a buffer read
 * after rmmod holds no pointer into the module.
 */
#undef TRACE_SYSTEM
#ifdef VR_RUST_TWIN		/* the Rust twin links pause.c: events/vmar_race_rs/ */
#define TRACE_SYSTEM vmar_race_rs
#else
#define TRACE_SYSTEM vmar_race
#endif

#if !defined(VMAR_RACE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define VMAR_RACE_TRACE_H

#include <linux/tracepoint.h>

TRACE_DEFINE_ENUM(VR_MODE_BUGGY);
TRACE_DEFINE_ENUM(VR_MODE_CHECKED);
TRACE_DEFINE_ENUM(VR_MODE_UAF);
TRACE_DEFINE_ENUM(VR_MODE_FIXED);
TRACE_DEFINE_ENUM(VR_MODE_RCU);
TRACE_DEFINE_ENUM(VR_FILE_STATUS);
TRACE_DEFINE_ENUM(VR_FILE_MAPS);
TRACE_DEFINE_ENUM(VR_PAUSE_FOUND);
TRACE_DEFINE_ENUM(VR_PAUSE_HELD);
TRACE_DEFINE_ENUM(VR_PAUSE_CLEARED);
TRACE_DEFINE_ENUM(VR_PAUSE_FREE);
TRACE_DEFINE_ENUM(VR_PAUSE_PUBLISHED);
TRACE_DEFINE_ENUM(VR_PAUSE_CRED);
TRACE_DEFINE_ENUM(VR_MAPS_GRAB);
TRACE_DEFINE_ENUM(VR_MAPS_UPGRADE);
TRACE_DEFINE_ENUM(VR_CRED_RCU);
TRACE_DEFINE_ENUM(VR_CRED_GET);
TRACE_DEFINE_ENUM(VR_CRED_PLAIN);
TRACE_DEFINE_ENUM(VR_CRED_INC);
TRACE_DEFINE_ENUM(VR_PAUSED);
TRACE_DEFINE_ENUM(VR_RELEASED);
TRACE_DEFINE_ENUM(VR_TIMED_OUT);

#define vr_show_mode(m) __print_symbolic(m,				\
	{ VR_MODE_BUGGY, "buggy" }, { VR_MODE_CHECKED, "checked" },	\
	{ VR_MODE_UAF, "uaf" }, { VR_MODE_FIXED, "fixed" },		\
	{ VR_MODE_RCU, "rcu" })
#define vr_show_file(f) __print_symbolic(f,				\
	{ VR_FILE_STATUS, "status" }, { VR_FILE_MAPS, "maps" })
#define vr_show_point(p) __print_symbolic(p,				\
	{ VR_PAUSE_FOUND, "found" }, { VR_PAUSE_HELD, "held" },		\
	{ VR_PAUSE_CLEARED, "cleared" }, { VR_PAUSE_FREE, "free" },	\
	{ VR_PAUSE_PUBLISHED, "published" }, { VR_PAUSE_CRED, "cred" })
#define vr_show_maps_mode(m) __print_symbolic(m,			\
	{ VR_MAPS_GRAB, "grab" }, { VR_MAPS_UPGRADE, "upgrade" })
#define vr_show_cred_mode(m) __print_symbolic(m,			\
	{ VR_CRED_RCU, "rcu" }, { VR_CRED_GET, "get" },			\
	{ VR_CRED_PLAIN, "plain" }, { VR_CRED_INC, "inc" })
#define vr_show_pause_what(w) __print_symbolic(w,			\
	{ VR_PAUSED, "paused" }, { VR_RELEASED, "released" },		\
	{ VR_TIMED_OUT, "timed_out" })

/* A pproc's life: spawn, exit (its slot cleared), reap. */
DECLARE_EVENT_CLASS(vmar_race_pproc,
	TP_PROTO(pid_t pid, const void *vmar),
	TP_ARGS(pid, vmar),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(const void *, vmar)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->vmar = vmar;
	),
	TP_printk("pid=%d vmar=%p", __entry->pid, __entry->vmar)
);

DEFINE_EVENT(vmar_race_pproc, vmar_race_spawn,
	TP_PROTO(pid_t pid, const void *vmar), TP_ARGS(pid, vmar));
/* Exit cleared pid's slot, which held vmar; its reference goes next. */
DEFINE_EVENT(vmar_race_pproc, vmar_race_exit,
	TP_PROTO(pid_t pid, const void *vmar), TP_ARGS(pid, vmar));
DEFINE_EVENT(vmar_race_pproc, vmar_race_reap,
	TP_PROTO(pid_t pid, const void *vmar), TP_ARGS(pid, vmar));
/* The last reference is gone: the VMAR is torn down, freed after a GP. */
DEFINE_EVENT(vmar_race_pproc, vmar_race_vmar_release,
	TP_PROTO(pid_t pid, const void *vmar), TP_ARGS(pid, vmar));
/* The memory itself goes back to the slab now (RCU callback). */
DEFINE_EVENT(vmar_race_pproc, vmar_race_vmar_free,
	TP_PROTO(pid_t pid, const void *vmar), TP_ARGS(pid, vmar));

/* A VMAR reference taken or dropped; users is the count after it. */
DECLARE_EVENT_CLASS(vmar_race_ref,
	TP_PROTO(pid_t pid, const void *vmar, unsigned int users),
	TP_ARGS(pid, vmar, users),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(const void *, vmar)
		__field(unsigned int, users)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->vmar = vmar;
		__entry->users = users;
	),
	TP_printk("pid=%d vmar=%p users=%u", __entry->pid, __entry->vmar,
		  __entry->users)
);

DEFINE_EVENT(vmar_race_ref, vmar_race_vmar_get,
	TP_PROTO(pid_t pid, const void *vmar, unsigned int users),
	TP_ARGS(pid, vmar, users));
DEFINE_EVENT(vmar_race_ref, vmar_race_vmar_put,
	TP_PROTO(pid_t pid, const void *vmar, unsigned int users),
	TP_ARGS(pid, vmar, users));

/* A read of pid's status or maps through a mode, from start to end. */
TRACE_EVENT(vmar_race_read_start,
	TP_PROTO(pid_t pid, int mode, int file),
	TP_ARGS(pid, mode, file),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(int, mode)
		__field(int, file)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->mode = mode;
		__entry->file = file;
	),
	TP_printk("pid=%d mode=%s file=%s", __entry->pid,
		  vr_show_mode(__entry->mode), vr_show_file(__entry->file))
);

/* What the mode's get() found in the slot: a VMAR, or NULL (none). */
TRACE_EVENT(vmar_race_read_get,
	TP_PROTO(pid_t pid, int mode, const void *vmar),
	TP_ARGS(pid, mode, vmar),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(int, mode)
		__field(const void *, vmar)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->mode = mode;
		__entry->vmar = vmar;
	),
	TP_printk("pid=%d mode=%s vmar=%p", __entry->pid,
		  vr_show_mode(__entry->mode), __entry->vmar)
);

/* The read's result: 0, or the error it returns (-EIO after an unwrap). */
TRACE_EVENT(vmar_race_read_end,
	TP_PROTO(pid_t pid, int mode, int ret),
	TP_ARGS(pid, mode, ret),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(int, mode)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->mode = mode;
		__entry->ret = ret;
	),
	TP_printk("pid=%d mode=%s ret=%d", __entry->pid,
		  vr_show_mode(__entry->mode), __entry->ret)
);

/* buggy unwrapped a None slot: what panics next. */
TRACE_EVENT(vmar_race_unwrap_none,
	TP_PROTO(pid_t pid, int mode),
	TP_ARGS(pid, mode),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(int, mode)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->mode = mode;
	),
	TP_printk("pid=%d mode=%s", __entry->pid, vr_show_mode(__entry->mode))
);

/* A task paused at an armed pause point, or was let go. */
TRACE_EVENT(vmar_race_pause,
	TP_PROTO(pid_t pid, int point, int what),
	TP_ARGS(pid, point, what),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(int, point)
		__field(int, what)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->point = point;
		__entry->what = what;
	),
	TP_printk("pid=%d point=%s %s", __entry->pid,
		  vr_show_point(__entry->point), vr_show_pause_what(__entry->what))
);

/*
 * A maps read of a pinned VMAR (maps_mode grab or upgrade): users is the
 * count it saw (0: torn down), got whether it holds a users reference.
 */
TRACE_EVENT(vmar_race_pin_read,
	TP_PROTO(pid_t pid, int maps_mode, const void *vmar, unsigned int users,
		 bool got),
	TP_ARGS(pid, maps_mode, vmar, users, got),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(int, maps_mode)
		__field(const void *, vmar)
		__field(unsigned int, users)
		__field(bool, got)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->maps_mode = maps_mode;
		__entry->vmar = vmar;
		__entry->users = users;
		__entry->got = got;
	),
	TP_printk("pid=%d maps_mode=%s vmar=%p users=%u got=%d", __entry->pid,
		  vr_show_maps_mode(__entry->maps_mode), __entry->vmar,
		  __entry->users, __entry->got)
);

/* A status read loaded pid's credentials through a cred_mode variant. */
TRACE_EVENT(vmar_race_cred_get,
	TP_PROTO(pid_t pid, int cred_mode, const void *cred),
	TP_ARGS(pid, cred_mode, cred),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(int, cred_mode)
		__field(const void *, cred)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->cred_mode = cred_mode;
		__entry->cred = cred;
	),
	TP_printk("pid=%d cred_mode=%s cred=%p", __entry->pid,
		  vr_show_cred_mode(__entry->cred_mode), __entry->cred)
);

/* SETIDS published new credentials for pid; old is put next. */
TRACE_EVENT(vmar_race_setids,
	TP_PROTO(pid_t pid, const void *old, const void *new),
	TP_ARGS(pid, old, new),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(const void *, old)
		__field(const void *, new)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->old = old;
		__entry->new = new;
	),
	TP_printk("pid=%d old=%p new=%p", __entry->pid, __entry->old,
		  __entry->new)
);

/* pid's credentials go back to the slab (RCU callback). */
TRACE_EVENT(vmar_race_cred_free,
	TP_PROTO(pid_t pid, const void *cred),
	TP_ARGS(pid, cred),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(const void *, cred)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->cred = cred;
	),
	TP_printk("pid=%d cred=%p", __entry->pid, __entry->cred)
);

#endif /* VMAR_RACE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH trace
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vmar_race
#include <trace/define_trace.h>

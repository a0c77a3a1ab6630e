// SPDX-License-Identifier: GPL-2.0
/*
 * Pause points: force one interleaving of a read and an exit, every time.
 *
 * A point is armed for one pid (VR_PAUSE_SLOTS at most at once). The first
 * task to reach it for that pid marks it reached, wakes whoever waits for
 * that, and sleeps until the point is released, for pause_timeout_ms at
 * most (then it goes on with a warning); a fatal signal lets it go too.
 * The slot is freed when its task goes on, or by release if nobody reached
 * it. Unarmed, a point costs one static branch (vr_pause_key counts the
 * armed slots).
 *
 * Driven by the KUnit suite in-kernel and by root through
 * /sys/kernel/debug/vmar_race/pause (debugfs.c parses its commands, listed
 * in uapi/vmar_race.h). Paused tasks are inside a read or an ioctl, which
 * pin the module, so unload never meets one; it frees what is still armed.
 *
 * The mechanism only: a leaf that calls nothing else in the module (its
 * trace event and param.c's parameter type aside), so the registry and the
 * VMARs may pause anywhere.
 */
#include "vmar_race.h"

#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/jump_label.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "trace/vmar_race.h"

#define VR_PAUSE_SLOTS		8
/* An exiting task cannot be killed any more: it pauses this long at most. */
#define VR_PAUSE_EXITING_MS	1000U
/* A task that spins (vr_pause_atomic()) does so this long at most. */
#define VR_PAUSE_ATOMIC_MS	5000U

/* How long a pause point holds a task nobody releases. */
static struct vr_uint_param vr_p_pause_timeout_ms = { 100, 600000, 60000 };
module_param_cb(pause_timeout_ms, &vr_uint_ops, &vr_p_pause_timeout_ms, 0644);
MODULE_PARM_DESC(pause_timeout_ms,
		 "a task paused at a pause point goes on by itself after this long, with a warning (100-600000, default 60000)");

DEFINE_STATIC_KEY_FALSE(vr_pause_key);
EXPORT_SYMBOL_IF_VR_TESTS(vr_pause_key);

static const char * const vr_pause_names[VR_NR_PAUSE] = {
	[VR_PAUSE_FOUND] = "found",
	[VR_PAUSE_HELD] = "held",
	[VR_PAUSE_CLEARED] = "cleared",
	[VR_PAUSE_FREE] = "free",
	[VR_PAUSE_PUBLISHED] = "published",
	[VR_PAUSE_CRED] = "cred",
};

struct vr_pause_slot {
	pid_t pid;			/* 0: the slot is free */
	enum vr_pause_point point;
	bool reached;			/* a task sleeps here ... */
	bool released;			/* ... until this is set */
	pid_t task;			/* who reached it */
	char comm[TASK_COMM_LEN];
};

static DEFINE_SPINLOCK(vr_pause_lock);		/* protects vr_pause_slots */
static struct vr_pause_slot vr_pause_slots[VR_PAUSE_SLOTS];
static DECLARE_WAIT_QUEUE_HEAD(vr_pause_wq);	/* any slot changed */

static struct vr_pause_slot *vr_pause_lookup(enum vr_pause_point point, pid_t pid)
{
	int i;

	lockdep_assert_held(&vr_pause_lock);
	if (pid <= 0)		/* free slots hold pid 0 */
		return NULL;
	for (i = 0; i < VR_PAUSE_SLOTS; i++)
		if (vr_pause_slots[i].pid == pid && vr_pause_slots[i].point == point)
			return &vr_pause_slots[i];
	return NULL;
}

static struct vr_pause_slot *vr_pause_unused(void)
{
	int i;

	lockdep_assert_held(&vr_pause_lock);
	for (i = 0; i < VR_PAUSE_SLOTS; i++)
		if (!vr_pause_slots[i].pid)
			return &vr_pause_slots[i];
	return NULL;
}

/* Free a slot (under the lock); the caller drops the static key after. */
static void vr_pause_free_slot(struct vr_pause_slot *s)
{
	lockdep_assert_held(&vr_pause_lock);
	memset(s, 0, sizeof(*s));
}

static bool vr_pause_slot_released(struct vr_pause_slot *s)
{
	bool ret;

	spin_lock(&vr_pause_lock);
	ret = s->released;
	spin_unlock(&vr_pause_lock);
	return ret;
}

/* Claim an armed slot for current, or NULL; wakes the waiters. */
static struct vr_pause_slot *vr_pause_reach(enum vr_pause_point point, pid_t pid)
{
	struct vr_pause_slot *s;

	spin_lock(&vr_pause_lock);
	s = vr_pause_lookup(point, pid);
	if (s && s->reached)
		s = NULL;		/* one task per arm */
	if (s) {
		s->reached = true;
		s->task = task_pid_nr(current);
		get_task_comm(s->comm, current);
	}
	spin_unlock(&vr_pause_lock);
	if (s) {
		trace_vmar_race_pause(pid, point, VR_PAUSED);
		wake_up_all(&vr_pause_wq);
	}
	return s;
}

/* Free a reached slot once its task goes on; true if it was released. */
static bool vr_pause_leave(struct vr_pause_slot *s)
{
	bool released;

	spin_lock(&vr_pause_lock);
	released = s->released;
	vr_pause_free_slot(s);
	spin_unlock(&vr_pause_lock);
	return released;
}

static void vr_pause_went_on(enum vr_pause_point point, pid_t pid,
			     bool released, const char *how)
{
	wake_up_all(&vr_pause_wq);
	if (released) {
		trace_vmar_race_pause(pid, point, VR_RELEASED);
		return;
	}
	trace_vmar_race_pause(pid, point, VR_TIMED_OUT);
	pr_warn("pause point %s of pid %d: %s let go %s\n",
		vr_pause_names[point], pid, current->comm, how);
}

/*
 * race_delay_us (modes.c; glue.c in the Rust twin), killable: a reader
 * sleeping in its window ends at SIGKILL (-EINTR) instead of sleeping on in
 * D state. As fsleep(): a busy wait under 10 us, else an hrtimer sleep
 * with usleep_range()'s slack, to the deadline whatever wakes the task
 * early (usleep_range_state() would spin once a fatal signal is pending).
 */
int vr_race_delay(unsigned int us)
{
	ktime_t exp = ktime_add_us(ktime_get(), us);
	u64 slack = (u64)min(us, 1000U) * NSEC_PER_USEC;

	if (us < 10) {
		udelay(us);
		return 0;
	}
	for (;;) {
		set_current_state(TASK_KILLABLE);
		if (!schedule_hrtimeout_range(&exp, slack, HRTIMER_MODE_ABS))
			return 0;	/* the deadline passed */
		if (fatal_signal_pending(current))
			return -EINTR;
	}
}

/**
 * __vr_pause() - Slow path of vr_pause(): pause here if armed for @pid.
 * @point: the pause point.
 * @pid: the pproc the caller works on.
 *
 * Context: process context, no lock held; if it pauses, sleeps (killable)
 * until released, pause_timeout_ms at most. Takes vr_pause_lock.
 * Return: true if this task paused here (and has been let go).
 */
bool __vr_pause(enum vr_pause_point point, pid_t pid)
{
	struct vr_pause_slot *s = vr_pause_reach(point, pid);
	unsigned int ms = READ_ONCE(vr_p_pause_timeout_ms.val);
	bool released;
	long left;

	if (!s)
		return false;
	/*
	 * Killable: TASK_KILLABLE is not a hung task, and kill frees us. In
	 * do_exit() (a killed spawner closing its files) a new SIGKILL is
	 * dropped, so an exiting task waits VR_PAUSE_EXITING_MS at most.
	 */
	if (current->flags & PF_EXITING)
		ms = min(ms, VR_PAUSE_EXITING_MS);
	left = wait_event_killable_timeout(vr_pause_wq, vr_pause_slot_released(s),
					   msecs_to_jiffies(ms));
	released = vr_pause_leave(s);
	static_branch_dec(&vr_pause_key);
	vr_pause_went_on(point, pid, released,
			 left ? "by a fatal signal" :
			 current->flags & PF_EXITING ? "after 1000 ms: it is exiting" :
			 "after pause_timeout_ms");
	return true;
}
EXPORT_SYMBOL_IF_VR_TESTS(__vr_pause);

/*
 * static_branch_dec() sleeps (cpus_read_lock()): a task that spun leaves
 * its decrement to this work item; unload flushes it.
 */
static atomic_t vr_pause_key_debt = ATOMIC_INIT(0);

static void vr_pause_key_fn(struct work_struct *work)
{
	while (atomic_dec_if_positive(&vr_pause_key_debt) >= 0)
		static_branch_dec(&vr_pause_key);
}

static DECLARE_WORK(vr_pause_key_work, vr_pause_key_fn);

/**
 * __vr_pause_atomic() - Slow path of vr_pause_atomic(): spin if armed.
 * @point: the pause point.
 * @pid: the pproc the caller works on.
 *
 * Context: process context, may be inside rcu_read_lock(); spins until released,
 * VR_PAUSE_ATOMIC_MS at most (or pause_timeout_ms if shorter), without
 * sleeping. Takes vr_pause_lock.
 * Return: true if this task paused here (and has been let go).
 */
bool __vr_pause_atomic(enum vr_pause_point point, pid_t pid)
{
	struct vr_pause_slot *s = vr_pause_reach(point, pid);
	unsigned int ms = min(READ_ONCE(vr_p_pause_timeout_ms.val),
			      VR_PAUSE_ATOMIC_MS);
	unsigned long until = jiffies + msecs_to_jiffies(ms);
	bool released;

	if (!s)
		return false;
	while (!vr_pause_slot_released(s) && time_before(jiffies, until))
		cpu_relax();
	released = vr_pause_leave(s);
	atomic_inc(&vr_pause_key_debt);
	schedule_work(&vr_pause_key_work);
	vr_pause_went_on(point, pid, released, "after 5000 ms of spinning");
	return true;
}
EXPORT_SYMBOL_IF_VR_TESTS(__vr_pause_atomic);

/**
 * vr_pause_arm() - Arm a pause point for one pid.
 * @point: the pause point.
 * @pid: the pid; the first task to reach @point for it pauses.
 *
 * The key goes up before the slot is visible, so that a release racing
 * with us never drops it below the number of armed slots.
 *
 * Context: process context, no lock held; may sleep (static_branch_inc()
 * takes cpus_read_lock()). Takes vr_pause_lock.
 * Return: 0; -EINVAL for a bad point or pid; -EBUSY if it is armed;
 * -ENOSPC if no slot is free.
 */
int vr_pause_arm(enum vr_pause_point point, pid_t pid)
{
	struct vr_pause_slot *s;
	int ret = 0;

	if (point >= VR_NR_PAUSE || pid <= 0)
		return -EINVAL;
	static_branch_inc(&vr_pause_key);
	spin_lock(&vr_pause_lock);
	s = vr_pause_unused();
	if (vr_pause_lookup(point, pid))
		ret = -EBUSY;
	else if (!s)
		ret = -ENOSPC;
	if (!ret) {
		vr_pause_free_slot(s);
		s->point = point;
		s->pid = pid;
	}
	spin_unlock(&vr_pause_lock);
	if (ret)
		static_branch_dec(&vr_pause_key);
	return ret;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pause_arm);

/*
 * Let a slot go (under the lock): a paused task is told to go on and frees
 * it itself; an unreached slot is freed here. True if the caller must drop
 * the static key.
 */
static bool vr_pause_let_go(struct vr_pause_slot *s)
{
	lockdep_assert_held(&vr_pause_lock);
	if (s->reached) {
		s->released = true;
		return false;
	}
	vr_pause_free_slot(s);
	return true;
}

/**
 * vr_pause_release() - Release a pause point of one pid.
 * @point: the pause point.
 * @pid: the pid.
 *
 * Wakes the task paused there, or disarms the point if nobody reached it.
 *
 * Context: process context, no lock held; may sleep (static_branch_dec()).
 * Takes vr_pause_lock.
 * Return: 0, or -ENOENT if it is not armed (or already released).
 */
int vr_pause_release(enum vr_pause_point point, pid_t pid)
{
	struct vr_pause_slot *s;
	bool disarmed = false;
	int ret = 0;

	spin_lock(&vr_pause_lock);
	s = point < VR_NR_PAUSE ? vr_pause_lookup(point, pid) : NULL;
	if (!s || s->released)
		ret = -ENOENT;
	else
		disarmed = vr_pause_let_go(s);
	spin_unlock(&vr_pause_lock);
	if (disarmed)
		static_branch_dec(&vr_pause_key);
	wake_up_all(&vr_pause_wq);
	return ret;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pause_release);

/* 1: reached, 0: armed and not reached, -ENOENT: not armed (any more). */
static int vr_pause_state(enum vr_pause_point point, pid_t pid)
{
	struct vr_pause_slot *s;
	int ret;

	spin_lock(&vr_pause_lock);
	s = vr_pause_lookup(point, pid);
	ret = s ? s->reached : -ENOENT;
	spin_unlock(&vr_pause_lock);
	return ret;
}

/**
 * vr_pause_wait() - Wait until a task reaches a pause point of one pid.
 * @point: the pause point.
 * @pid: the pid.
 * @timeout: the longest wait, in jiffies.
 *
 * Context: process context, no lock held; sleeps (interruptible). Takes
 * vr_pause_lock.
 * Return: 0; -EINVAL for a bad point; -ENOENT if it is not armed (or was
 * released meanwhile); -ETIMEDOUT; -EINTR on a signal.
 */
int vr_pause_wait(enum vr_pause_point point, pid_t pid, unsigned long timeout)
{
	int state = 0;
	long left;

	if (point >= VR_NR_PAUSE)
		return -EINVAL;
	left = wait_event_interruptible_timeout(vr_pause_wq,
						(state = vr_pause_state(point, pid)) != 0,
						timeout);
	if (left < 0)
		return -EINTR;
	if (state < 0)
		return state;
	return state ? 0 : -ETIMEDOUT;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pause_wait);

/*
 * Let slots go: every slot when @pid is 0 (paused tasks released, the rest
 * disarmed), else the unreached slots of @pid.
 */
static void vr_pause_let_go_pid(pid_t pid)
{
	int i, disarmed = 0;

	spin_lock(&vr_pause_lock);
	for (i = 0; i < VR_PAUSE_SLOTS; i++) {
		struct vr_pause_slot *s = &vr_pause_slots[i];

		if (s->pid && !s->released &&
		    (!pid || (s->pid == pid && !s->reached)))
			disarmed += vr_pause_let_go(s);
	}
	spin_unlock(&vr_pause_lock);
	while (disarmed--)
		static_branch_dec(&vr_pause_key);
	wake_up_all(&vr_pause_wq);
}

/**
 * vr_pause_release_all() - Free every slot: release paused tasks, disarm
 * the rest.
 *
 * Context: process context, no lock held; may sleep. Takes vr_pause_lock.
 * Unload calls it once nothing can arm any more.
 */
void vr_pause_release_all(void)
{
	vr_pause_let_go_pid(0);
	flush_work(&vr_pause_key_work);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_pause_release_all);

/**
 * vr_pause_forget() - Disarm what is armed for a reaped pid.
 * @pid: the pid; the registry calls this after its pproc became DEAD.
 *
 * What is still armed for @pid can never be reached (a new pproc with the
 * same number is a different one). A task paused there holds its pproc
 * and waits for its release as before.
 *
 * Context: process context, no lock held; may sleep. Takes vr_pause_lock.
 */
void vr_pause_forget(pid_t pid)
{
	vr_pause_let_go_pid(pid);
}

/* ---- what the pause files need (debugfs.c's, and race.rs's in the twin) ---- */

/**
 * vr_pause_point_parse() - Find a pause point by name.
 * @name: "found", "held", "cleared", "free", "published" or "cred".
 * @point: set to the point.
 *
 * Context: any context; takes no lock.
 * Return: 0, or -EINVAL if there is no such point.
 */
int vr_pause_point_parse(const char *name, enum vr_pause_point *point)
{
	int i = match_string(vr_pause_names, VR_NR_PAUSE, name);

	if (i < 0)
		return -EINVAL;
	*point = i;
	return 0;
}

/* race.rs's PauseInfo mirrors struct vr_pause_info, with this layout. */
static_assert(sizeof(struct vr_pause_info) == 32 &&
	      offsetof(struct vr_pause_info, comm) == 16);

/**
 * vr_pause_list_slot() - Copy pause slot @i, for a pause file's listing.
 * @i: the slot, from 0.
 * @out: its copy; out->pid is 0 if the slot is free.
 *
 * Context: process context; takes vr_pause_lock.
 * Return: false once @i is past the last slot (@out untouched).
 */
bool vr_pause_list_slot(int i, struct vr_pause_info *out)
{
	struct vr_pause_slot *s;

	if (i < 0 || i >= VR_PAUSE_SLOTS)
		return false;
	s = &vr_pause_slots[i];
	spin_lock(&vr_pause_lock);
	out->point = s->point;
	out->pid = s->pid;
	out->state = !s->reached ? VR_PAUSE_ARMED :
		     s->released ? VR_PAUSE_LET_GO : VR_PAUSE_ASLEEP;
	out->task = s->task;
	strscpy(out->comm, s->comm, sizeof(out->comm));
	spin_unlock(&vr_pause_lock);
	return true;
}

/**
 * vr_pause_print() - Print the slots in use, one line each, after a header.
 * @m: the seq_file.
 *
 * Context: process context, no lock held; does not sleep.
 */
void vr_pause_print(struct seq_file *m)
{
	static const char * const states[] = {
		[VR_PAUSE_ARMED] = "armed", [VR_PAUSE_ASLEEP] = "paused",
		[VR_PAUSE_LET_GO] = "released",
	};
	struct vr_pause_info s;
	int i;

	seq_puts(m, "point\tpid\tstate\ttask\n");
	for (i = 0; vr_pause_list_slot(i, &s); i++) {
		if (!s.pid)
			continue;
		if (s.state == VR_PAUSE_ARMED)
			seq_printf(m, "%s\t%d\tarmed\t-\n",
				   vr_pause_names[s.point], s.pid);
		else
			seq_printf(m, "%s\t%d\t%s\t%d %s\n", vr_pause_names[s.point],
				   s.pid, states[s.state], s.task, s.comm);
	}
}

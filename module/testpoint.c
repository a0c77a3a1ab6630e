// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only pause points (KUnit builds only). A test arms one point for one
 * pid; the first reader to reach it signals "reached" and sleeps until the
 * test resumes it, so the test can run exit in between, every time. When
 * nothing is armed, a point costs one static branch.
 */
#include "vmar_race.h"

#include <linux/completion.h>
#include <linux/jump_label.h>
#include <linux/module.h>
#include <linux/spinlock.h>

#include "testpoint.h"

static DEFINE_STATIC_KEY_FALSE(vr_tp_key);
static DEFINE_SPINLOCK(vr_tp_lock);
static struct vr_tp *vr_tp_armed;	/* under vr_tp_lock */

void vr_tp_arm(struct vr_tp *tp, enum vr_testpoint point, pid_t pid)
{
	tp->point = point;
	tp->pid = pid;
	init_completion(&tp->reached);
	init_completion(&tp->resume);
	spin_lock(&vr_tp_lock);
	vr_tp_armed = tp;
	spin_unlock(&vr_tp_lock);
	static_branch_enable(&vr_tp_key);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_tp_arm);

void vr_tp_disarm(struct vr_tp *tp)
{
	spin_lock(&vr_tp_lock);
	if (vr_tp_armed == tp)
		vr_tp_armed = NULL;
	spin_unlock(&vr_tp_lock);
	static_branch_disable(&vr_tp_key);
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_tp_disarm);

void vr_testpoint(enum vr_testpoint point, struct vr_pproc *pp)
{
	struct vr_tp *tp;

	might_sleep();		/* armed, a point sleeps: never under a spinlock */
	if (!static_branch_unlikely(&vr_tp_key))
		return;
	spin_lock(&vr_tp_lock);
	tp = vr_tp_armed;
	if (tp && (tp->point != point || tp->pid != pp->pid))
		tp = NULL;
	if (tp)
		vr_tp_armed = NULL;	/* one reader, once */
	spin_unlock(&vr_tp_lock);
	if (!tp)
		return;
	complete(&tp->reached);
	/* Bounded: a test that never resumes us must not hang the reader. */
	if (!wait_for_completion_timeout(&tp->resume, 60 * HZ))
		pr_warn("pause point %d of pid %d released after 60 s\n",
			point, pp->pid);
}

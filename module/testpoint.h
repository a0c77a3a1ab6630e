/* SPDX-License-Identifier: GPL-2.0 */
/* Pause points for KUnit's forced interleavings (test builds only). */
#ifndef VMAR_RACE_TESTPOINT_H
#define VMAR_RACE_TESTPOINT_H

#include <linux/completion.h>

#include "vmar_race.h"

struct vr_tp {
	enum vr_testpoint point;
	pid_t pid;
	struct completion reached;	/* the reader is paused */
	struct completion resume;	/* the test lets it go on */
};

/* Arm @point for @pid: the next reader of that pid to reach it pauses. */
void vr_tp_arm(struct vr_tp *tp, enum vr_testpoint point, pid_t pid);
void vr_tp_disarm(struct vr_tp *tp);

#endif /* VMAR_RACE_TESTPOINT_H */

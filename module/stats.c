// SPDX-License-Identifier: GPL-2.0
/*
 * The module's counters (struct vr_stats in vmar_race.h): every layer bumps
 * them with atomic_long ops, debugfs.c shows them. A leaf. (The Rust twin
 * has its own, in glue.c.)
 */
#include "vmar_race.h"

struct vr_stats vr_stats;
EXPORT_SYMBOL_IF_VR_TESTS(vr_stats);

/* Before a read of the counters: every RCU-deferred free has run. */
void vr_stats_settle(void)
{
	rcu_barrier();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The module's counters (struct vr_stats in vmar_race.h): every layer bumps
 * them with atomic_long ops, debugfs.c shows them. A leaf: no functions.
 */
#include "vmar_race.h"

struct vr_stats vr_stats;
EXPORT_SYMBOL_IF_VR_TESTS(vr_stats);

// SPDX-License-Identifier: GPL-2.0
/*
 * The bounded unsigned parameter type: each parameter lives in the file
 * that uses it (module_param_cb() with &vr_uint_ops and a struct
 * vr_uint_param) and is read there with READ_ONCE(p.val). A leaf: it calls
 * nothing else in the module.
 */
#include "vmar_race.h"

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>

/* Out of [min, max] is -EINVAL, and the old value stays. */
static int vr_uint_set(const char *val, const struct kernel_param *kp)
{
	struct vr_uint_param *p = kp->arg;
	unsigned int n;

	if (kstrtouint(val, 0, &n) || n < p->min || n > p->max)
		return -EINVAL;
	WRITE_ONCE(p->val, n);
	return 0;
}

static int vr_uint_get(char *buf, const struct kernel_param *kp)
{
	const struct vr_uint_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(p->val));
}

const struct kernel_param_ops vr_uint_ops = {
	.set = vr_uint_set,
	.get = vr_uint_get,
};

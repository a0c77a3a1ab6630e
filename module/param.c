// SPDX-License-Identifier: GPL-2.0
/*
 * The bounded unsigned parameter type: each parameter lives in the file
 * that uses it (module_param_cb() with &vr_uint_ops and a struct
 * vr_uint_param) and is read there with READ_ONCE(p.val). A leaf: it calls
 * nothing else in the module.
 */
#include "vmar_race.h"

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
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

#ifdef VMAR_RACE_TESTPOINTS
static const struct kernel_param *vr_param_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < THIS_MODULE->num_kp; i++)
		if (!strcmp(THIS_MODULE->kp[i].name, name))
			return &THIS_MODULE->kp[i];
	return NULL;
}

/* As param_attr_store(): a write-less parameter has no store (-EACCES). */
int vr_param_set(const char *name, const char *val)
{
	const struct kernel_param *kp = vr_param_find(name);
	int ret;

	if (!kp)
		return -ENOENT;
	if (!(kp->perm & 0222) || !kp->ops->set)
		return -EACCES;
	kernel_param_lock(THIS_MODULE);
	ret = kp->ops->set(val, kp);
	kernel_param_unlock(THIS_MODULE);
	return ret;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_param_set);

/* As param_attr_show(). */
int vr_param_get(const char *name, char *page)
{
	const struct kernel_param *kp = vr_param_find(name);
	int ret;

	if (!kp)
		return -ENOENT;
	if (!kp->ops->get)
		return -EACCES;
	kernel_param_lock(THIS_MODULE);
	ret = kp->ops->get(page, kp);
	kernel_param_unlock(THIS_MODULE);
	return ret;
}
EXPORT_SYMBOL_IF_VR_TESTS(vr_param_get);
#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences, one shim each, named after the release that
 * changed the API. Built and tested on 6.1, 6.12 and 7.3 (the releases in
 * between are untested); no other file tests kernel versions.
 */
#ifndef VMAR_RACE_COMPAT_H
#define VMAR_RACE_COMPAT_H

#include <linux/export.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/version.h>

/*
 * 6.13 turned symbol namespaces into string literals
 * (EXPORT_SYMBOL_NS_GPL(sym, "NS"), MODULE_IMPORT_NS("NS")); 6.1 and 6.12
 * take a bare token. Exports use EXPORT_SYMBOL_NS_GPL(sym, VR_NS) and the
 * KUnit module MODULE_IMPORT_NS(VR_NS).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define VR_NS "VMAR_RACE_TEST"
#else
#define VR_NS VMAR_RACE_TEST
#endif

/*
 * 6.6 hid i_ctime behind accessors and 6.11 i_atime and i_mtime;
 * simple_inode_init_ts() (6.7) sets all three.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#define vr_inode_init_ts(inode) simple_inode_init_ts(inode)
#else
static inline void vr_inode_init_ts(struct inode *inode)
{
	inode->i_ctime = current_time(inode);
	inode->i_atime = inode->i_ctime;
	inode->i_mtime = inode->i_ctime;
}
#endif

/*
 * 6.3 passes inode operations a struct mnt_idmap where 6.1 passed a struct
 * user_namespace; both go to setattr_prepare() and setattr_copy() as is.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define vr_idmap mnt_idmap
#else
#define vr_idmap user_namespace
#endif

/*
 * 6.14 passes ->d_revalidate() the parent and the name as well; the
 * module's check needs only the dentry and the flags, which keep their
 * names: static int fn(VR_D_REVALIDATE_ARGS).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
#define VR_D_REVALIDATE_ARGS struct inode *dir, const struct qstr *name, \
	struct dentry *dentry, unsigned int flags
#else
#define VR_D_REVALIDATE_ARGS struct dentry *dentry, unsigned int flags
#endif

/*
 * 6.16 renamed the lockless dcache lookup of one name try_lookup_noperm()
 * (d_hash_and_lookup() went later); both take a counted parent and return
 * a counted dentry, NULL or an ERR_PTR.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define vr_dcache_lookup(parent, q) try_lookup_noperm(q, parent)
#else
#define vr_dcache_lookup(parent, q) d_hash_and_lookup(parent, q)
#endif

/* 6.17 sets a superblock's default dentry operations by a helper. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#define vr_set_default_d_op(sb, ops) set_default_d_op(sb, ops)
#else
#define vr_set_default_d_op(sb, ops) ((sb)->s_d_op = (ops))
#endif

/* 6.18 renamed generic_delete_inode() (evict at the last iput()). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
#define vr_drop_inode inode_just_drop
#else
#define vr_drop_inode generic_delete_inode
#endif

#endif /* VMAR_RACE_COMPAT_H */

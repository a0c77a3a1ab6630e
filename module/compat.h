/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences, one shim each, named after the release that
 * changed the API. Built and tested on 6.1 and 6.12; no other file tests
 * kernel versions.
 */
#ifndef VMAR_RACE_COMPAT_H
#define VMAR_RACE_COMPAT_H

#include <linux/export.h>
#include <linux/fs.h>
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

#endif /* VMAR_RACE_COMPAT_H */

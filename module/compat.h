/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences, one shim each, named after the release that
 * changed the API. Built and tested on 6.1 and 6.12; no other file tests
 * kernel versions.
 */
#ifndef VMAR_RACE_COMPAT_H
#define VMAR_RACE_COMPAT_H

#include <linux/export.h>
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

#endif /* VMAR_RACE_COMPAT_H */

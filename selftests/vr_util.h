/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the vmar_race user programs. */
#ifndef VR_UTIL_H
#define VR_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "vmar_race.h"

/*
 * The module under test: vmar_race, or its Rust twin vmar_race_rs (same
 * uapi and fs.c; its own device, /proc mount point, filesystem type and
 * pause and stats files), chosen by vr_module_select().
 */
struct vr_target {
	const char *name, *device, *proc_root, *pause, *stats;
	int rust;
};

static struct vr_target vr_target = {
	"vmar_race", VMAR_RACE_DEVICE, VMAR_RACE_PROC_ROOT, VMAR_RACE_PAUSE,
	VMAR_RACE_STATS, 0
};

/* NULL or "vmar_race": the C module; "vmar_race_rs": the Rust twin. */
static inline int vr_module_select(const char *name)
{
	static const struct vr_target rust = {
		"vmar_race_rs", "/dev/vmar_race_rs", "/proc/vmar_race_rs",
		"/sys/kernel/debug/vmar_race_rs/pause",
		"/sys/kernel/debug/vmar_race_rs/stats", 1
	};

	if (!name || !strcmp(name, "vmar_race"))
		return 0;
	if (strcmp(name, "vmar_race_rs"))
		return -EINVAL;
	vr_target = rust;
	return 0;
}

/* ioctl returning 0 or -errno. */
static inline int vr_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int vr_ctl_spawn(int fd, const char *name)
{
	struct vmar_race_spawn s = { .flags = 0 };
	int ret;

	if (name)
		snprintf(s.name, sizeof(s.name), "%s", name);
	ret = vr_ioctl(fd, VMAR_RACE_IOC_SPAWN, &s);
	return ret ? ret : s.pid;
}

static inline int vr_map_op(int fd, unsigned long cmd, int pid, unsigned int flags,
			    unsigned long long start, unsigned long long len)
{
	struct vmar_race_map m = {
		.pid = pid, .flags = flags, .start = start, .len = len,
	};

	return vr_ioctl(fd, cmd, &m);
}

static inline int vr_pid_op(int fd, unsigned long cmd, int pid)
{
	__s32 p = pid;

	return vr_ioctl(fd, cmd, &p);
}

/* Read a whole small file into buf; returns length or -errno. */
static inline int vr_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return total;
}

/* Write a module parameter; 0 or -errno. */
static inline int vr_param_write(const char *name, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", vr_target.name, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* A module parameter's value without its newline; "" if unreadable. */
static inline void vr_param_read(const char *name, char *buf, size_t size)
{
	char path[384];

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", vr_target.name, name);
	if (vr_read_file(path, buf, size) < 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* A counter of the stats file ("zombie         3"), or -1. */
static inline long vr_stat(const char *name)
{
	size_t len = strlen(name);
	char buf[2048];
	const char *p;

	if (vr_read_file(vr_target.stats, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, len) && p[len] == ' ')
			return strtol(p + len, NULL, 10);
	return -1;
}

static inline int vr_read_status(int pid, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/%d/status", vr_target.proc_root, pid);
	return vr_read_file(path, buf, size);
}

/* Value of "Key:" in a status-like text, or -1 when the line is absent. */
static inline long vr_field(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return strtol(p + klen + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/*
 * /proc/<module> is a mount point for the module's filesystem (type
 * <module>: vmar_race or vmar_race_rs, one fs.c): mount it unless it is
 * mounted (needs root). 0 when mounted, else -errno (ENOENT: the module is
 * not loaded).
 */
static inline int vr_mount(void)
{
	struct statfs st;

	if (statfs(vr_target.proc_root, &st))
		return -errno;
	if (st.f_type == VMAR_RACE_FS_MAGIC)
		return 0;
	if (mount(vr_target.name, vr_target.proc_root, vr_target.name, 0, NULL))
		return -errno;
	return 0;
}

/*
 * A test program's constructor: the module VMAR_RACE_MODULE names (the C
 * module if unset), its /proc mounted if root and not yet.
 */
static inline void vr_setup_target(void)
{
	if (vr_module_select(getenv("VMAR_RACE_MODULE"))) {
		fprintf(stderr, "bad VMAR_RACE_MODULE (want vmar_race or vmar_race_rs)\n");
		exit(1);	/* KSFT_FAIL */
	}
	vr_mount();
}

/*
 * One pause command ("arm held 42", see the uapi header): 0 or -errno.
 * The buffer is wider than the kernel's limit, so tests can exceed it.
 */
static inline int vr_pause_cmd(const char *fmt, ...)
{
	char cmd[128];
	va_list ap;
	int fd, ret = 0;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fd = open(vr_target.pause, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, cmd, strlen(cmd)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * A reproducer's -R: "PROG: round N" as each round starts, on stdout and,
 * as one record, in the kernel's log (/dev/kmsg), so a report on the
 * console can be matched to its round by the printk clock without mixing
 * the two streams.
 */
static inline void vr_round_mark(const char *prog, long round)
{
	static int kmsg = -2;
	char line[48];
	int n;

	n = snprintf(line, sizeof(line), "%s: round %ld\n", prog, round);
	fputs(line, stdout);
	fflush(stdout);
	if (kmsg == -2)
		kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (kmsg >= 0 && write(kmsg, line, n) < 0)
		kmsg = -1;
}

static inline double vr_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* VR_UTIL_H */

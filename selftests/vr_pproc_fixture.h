/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kselftest programs by contract share: a fixture with a control
 * file and one running pproc (teardown closes the file, which exits what
 * still runs, and reaps), and the ioctl shorthands. Include after
 * kselftest_harness.h and vr_util.h. The module under test is
 * $VMAR_RACE_MODULE (vr_util.h): vmar_race or its Rust twin, vmar_race_rs;
 * a test of something only the C module has skips on the twin
 * (vr_target.rust). Each program's FIXTURE holds a struct vr_pprocs p, set
 * up by vr_pprocs_setup() and torn down by vr_pprocs_teardown().
 */
#ifndef VR_PPROC_FIXTURE_H
#define VR_PPROC_FIXTURE_H

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PG VMAR_RACE_PAGE_SIZE
#define RW (VMAR_RACE_PROT_READ | VMAR_RACE_PROT_WRITE)
#define BASE 0x10000ull

/* The module under test; its /proc mounted if root and not yet. */
static void __attribute__((constructor)) vr_select_and_mount(void)
{
	vr_setup_target();
}

static inline long status_field(int pid, const char *key)
{
	char buf[1024];

	if (vr_read_status(pid, buf, sizeof(buf)) < 0)
		return -2;
	return vr_field(buf, key);
}

/* The status text, or "" when it cannot be read. */
static inline const char *read_status_or(int pid, char *buf, size_t size)
{
	if (vr_read_status(pid, buf, size) < 0)
		buf[0] = '\0';
	return buf;
}

/* All four of "Key:"'s ids are @want. */
static inline bool ids_are(const char *text, const char *key, long want)
{
	const char *p = strstr(text, key);
	long v[4];

	return p && sscanf(p + strlen(key), "%ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3]) == 4 &&
	       v[0] == want && v[1] == want && v[2] == want && v[3] == want;
}

/* The path of a pproc's file (name "" for its directory). */
static inline const char *pproc_path(char *path, size_t size, int pid, const char *name)
{
	snprintf(path, size, "%s/%d%s%s", vr_target.proc_root, pid, *name ? "/" : "", name);
	return path;
}

static inline int read_maps(int pid, char *buf, size_t size)
{
	char path[64];

	return vr_read_file(pproc_path(path, sizeof(path), pid, "maps"), buf, size);
}

static inline int open_file(int pid, const char *name)
{
	char path[64];

	return open(pproc_path(path, sizeof(path), pid, name), O_RDONLY);
}

/* read() from offset 0: bytes read, or -errno. */
static inline ssize_t pread_all(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

static inline int map(int fd, int pid, unsigned int flags, unsigned long long start,
		      unsigned long long len)
{
	return vr_map_op(fd, VMAR_RACE_IOC_MAP, pid, flags, start, len);
}

static inline int unmap(int fd, int pid, unsigned long long start, unsigned long long len)
{
	return vr_map_op(fd, VMAR_RACE_IOC_UNMAP, pid, 0, start, len);
}

static inline int touch(int fd, int pid, unsigned long long start, unsigned long long len)
{
	return vr_map_op(fd, VMAR_RACE_IOC_TOUCH, pid, 0, start, len);
}

static inline int do_exit(int fd, int pid)
{
	return vr_pid_op(fd, VMAR_RACE_IOC_EXIT, pid);
}

static inline int reap(int fd, int pid)
{
	return vr_pid_op(fd, VMAR_RACE_IOC_REAP, pid);
}

/* The pids readdir lists, in order; returns how many (or -1 on a dup). */
static inline int list_pids(int *pids, int max, int *out_of_order)
{
	DIR *d = opendir(vr_target.proc_root);
	struct dirent *e;
	int n = 0, last = 0;

	*out_of_order = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int pid = atoi(e->d_name);

		if (pid <= 0)
			continue;	/* . and .. */
		if (pid <= last)
			(*out_of_order)++;
		last = pid;
		if (n < max)
			pids[n++] = pid;
	}
	closedir(d);
	return n;
}

static inline bool listed(const int *pids, int n, int pid)
{
	while (n--)
		if (pids[n] == pid)
			return true;
	return false;
}

/* The fixture's state: FIXTURE(x) { struct vr_pprocs p; } in each program. */
struct vr_pprocs {
	int fd;
	int pid;
	int extra[64];
	int nextra;
	char mode[32], max_procs[32], max_maps[32], max_pages[32], delay[32];
};

/* Setup: 0, 1 when the module is not loaded (skip), or -errno. */
static inline int vr_pprocs_setup(struct vr_pprocs *p)
{
	memset(p, 0, sizeof(*p));
	p->fd = open(vr_target.device, O_RDWR);
	if (p->fd < 0)
		return errno == ENOENT ? 1 : -errno;
	p->pid = vr_ctl_spawn(p->fd, "test");
	if (p->pid < 0)
		return p->pid;
	vr_param_read("mode", p->mode, sizeof(p->mode));
	vr_param_read("max_procs", p->max_procs, sizeof(p->max_procs));
	vr_param_read("max_maps", p->max_maps, sizeof(p->max_maps));
	vr_param_read("max_pages", p->max_pages, sizeof(p->max_pages));
	vr_param_read("race_delay_us", p->delay, sizeof(p->delay));
	return 0;
}

static inline void vr_pprocs_teardown(struct vr_pprocs *p)
{
	int i, fd = open(vr_target.device, O_RDWR);

	if (!access(vr_target.pause, W_OK))
		vr_pause_cmd("reset");	/* a failed pause test leaves nothing armed */
	if (p->mode[0])
		vr_param_write("mode", p->mode);
	if (p->max_procs[0])
		vr_param_write("max_procs", p->max_procs);
	if (p->max_maps[0])
		vr_param_write("max_maps", p->max_maps);
	if (p->max_pages[0])
		vr_param_write("max_pages", p->max_pages);
	if (p->delay[0])
		vr_param_write("race_delay_us", p->delay);
	close(p->fd);		/* exits what still runs */
	reap(fd, p->pid);
	for (i = 0; i < p->nextra; i++)
		reap(fd, p->extra[i]);
	close(fd);
}

/* A pproc more, reaped by teardown. */
static inline int spawn_extra(struct vr_pprocs *p, int fd, const char *name)
{
	int pid = vr_ctl_spawn(fd, name);

	if (pid > 0 && p->nextra < 64)
		p->extra[p->nextra++] = pid;
	return pid;
}

#endif

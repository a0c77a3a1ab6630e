// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race safety kselftests: the unsafe modes taint and warn once, the
 * VMAR cache is never merged, an exiting task is not held at a pause point,
 * and closing /dev/vmar_race on many pprocs, or unloading the module with
 * many zombies, yields the CPU. Needs root and the module loaded (see
 * config); the unload test needs it at MODULE_KO to load it again.
 *
 * 6.1's harness runs a test's body even when its setup skipped: each body
 * returns at once unless setup got ready.
 */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vr_util.h"

#define TAINT_USER	64	/* bit 6 of /proc/sys/kernel/tainted */
#define SLAB_DIR	"/sys/kernel/slab"
#define PREEMPT_FILE	"/sys/kernel/debug/sched/preempt"
#define MODULE_NAME	"vmar_race"
#define MODULE_DIR	"/sys/module/" MODULE_NAME
#define MODULE_KO	"/lib/vmar_race/vmar_race.ko"	/* in the test VM */

/* /proc/vmar_race is the module's filesystem: mount it if root and not yet. */
static void __attribute__((constructor)) mount_vmar_race(void)
{
	vr_mount();
}

static int do_exit(int fd, int pid)
{
	return vr_pid_op(fd, VMAR_RACE_IOC_EXIT, pid);
}

static int reap(int fd, int pid)
{
	return vr_pid_op(fd, VMAR_RACE_IOC_REAP, pid);
}

/* ---- unsafe modes: TAINT_USER and one warning per mode per load ---- */

/* What the kernel log holds about one warning. */
struct kmsg_count {
	int total;		/* matching records since the module's load */
	int since;		/* matching records after a given seq */
	int not_warning;	/* matching records not at KERN_WARNING */
	bool scoped;		/* the log reaches back to the module's load */
	unsigned long long last;	/* seq of the last record */
};

/*
 * Count the records of /dev/kmsg containing needle. A "vmar_race:
 * unloaded:" record starts the count again (an earlier load's warning does
 * not count); a warning at load is printed just before "loaded:".
 */
static int kmsg_count(const char *needle, unsigned long long after,
		      struct kmsg_count *c)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	unsigned long long seq;
	unsigned int prio;
	bool first = true;
	char rec[8192];
	char *msg;
	ssize_t n;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten while we read */
		if (n < 0) {
			if (errno != EAGAIN)
				ret = -errno;
			break;
		}
		if (!n)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (sscanf(rec, "%u,%llu,", &prio, &seq) != 2 || !msg)
			continue;
		msg[strcspn(msg, "\n")] = '\0';
		if (first)
			c->scoped = !seq;	/* nothing lost yet */
		first = false;
		c->last = seq;
		if (strstr(msg, "vmar_race: unloaded:")) {
			c->total = 0;
			c->not_warning = 0;
			c->scoped = true;
			continue;
		}
		if (strstr(msg, "vmar_race: loaded:"))
			c->scoped = true;
		if (!strstr(msg, needle))
			continue;
		c->total++;
		if (seq > after)
			c->since++;
		if ((prio & 7) != 4)
			c->not_warning++;
	}
	close(fd);
	return ret;
}

static long taint_flags(void)
{
	char buf[64];

	if (vr_read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)) < 0)
		return -1;
	return strtol(buf, NULL, 10);
}

FIXTURE(unsafe_mode) {
	bool ready;
	char mode[32], maps_mode[32], cred_mode[32];
};

FIXTURE_SETUP(unsafe_mode)
{
	if (access(VMAR_RACE_DEVICE, F_OK))
		SKIP(return, "vmar_race is not loaded");
	if (access("/dev/kmsg", R_OK))
		SKIP(return, "/dev/kmsg: %s", strerror(errno));
	vr_param_read("mode", self->mode, sizeof(self->mode));
	vr_param_read("maps_mode", self->maps_mode, sizeof(self->maps_mode));
	vr_param_read("cred_mode", self->cred_mode, sizeof(self->cred_mode));
	ASSERT_NE(0, self->mode[0]);
	ASSERT_NE(0, self->maps_mode[0]);
	ASSERT_NE(0, self->cred_mode[0]);
	self->ready = true;
}

FIXTURE_TEARDOWN(unsafe_mode)
{
	if (!self->ready)
		return;
	EXPECT_EQ(0, vr_param_write("mode", self->mode));
	EXPECT_EQ(0, vr_param_write("maps_mode", self->maps_mode));
	EXPECT_EQ(0, vr_param_write("cred_mode", self->cred_mode));
}

/*
 * safe -> unsafe -> safe -> unsafe, for parameter @param (mode, maps_mode,
 * cred_mode): the kernel is tainted TAINT_USER, and this module load
 * printed the warning exactly once (at load, in an earlier test or here),
 * at KERN_WARNING.
 */
static void check_unsafe_param(struct __test_metadata *_metadata, const char *param,
			       const char *safe, const char *mode)
{
	struct kmsg_count before, after;
	char needle[64];
	long taint;

	snprintf(needle, sizeof(needle), "vmar_race: %s=%s is unsafe", param, mode);
	ASSERT_EQ(0, vr_param_write(param, safe));
	ASSERT_EQ(0, kmsg_count(needle, 0, &before));
	ASSERT_EQ(0, vr_param_write(param, mode));
	ASSERT_EQ(0, vr_param_write(param, safe));
	ASSERT_EQ(0, vr_param_write(param, mode));
	ASSERT_EQ(0, kmsg_count(needle, before.last, &after));
	taint = taint_flags();
	TH_LOG("%s: tainted %ld, \"%s\" %d since load (%s), %d new",
	       mode, taint, needle, after.total,
	       after.scoped ? "whole load in the log" : "log wrapped", after.since);
	ASSERT_LE(0, taint);
	EXPECT_NE(0, taint & TAINT_USER);
	EXPECT_GE(1, after.since);		/* the second switch is quiet */
	EXPECT_EQ(0, after.not_warning);
	EXPECT_GE(1, after.total);
	if (after.scoped)			/* else its first print may be gone */
		EXPECT_LE(1, after.total);
}

static void check_unsafe(struct __test_metadata *_metadata, const char *mode)
{
	check_unsafe_param(_metadata, "mode", "fixed", mode);
}

TEST_F(unsafe_mode, buggy_taints_and_warns_once)
{
	if (!self->ready)
		return;
	check_unsafe(_metadata, "buggy");
}

TEST_F(unsafe_mode, uaf_taints_and_warns_once)
{
	if (!self->ready)
		return;
	check_unsafe(_metadata, "uaf");
}

/* The later races' unsafe variants (docs/races.md) do the same. */
TEST_F(unsafe_mode, maps_mode_grab_taints_and_warns_once)
{
	if (!self->ready)
		return;
	check_unsafe_param(_metadata, "maps_mode", "upgrade", "grab");
}

TEST_F(unsafe_mode, cred_mode_plain_and_inc_taint_and_warn_once)
{
	if (!self->ready)
		return;
	check_unsafe_param(_metadata, "cred_mode", "rcu", "plain");
	check_unsafe_param(_metadata, "cred_mode", "get", "inc");
}

/* ---- the VMAR cache is never merged ---- */

FIXTURE(slab_cache) {
	bool ready;
};

FIXTURE_SETUP(slab_cache)
{
	if (access(VMAR_RACE_DEVICE, F_OK))
		SKIP(return, "vmar_race is not loaded");
	if (access(SLAB_DIR, F_OK))
		SKIP(return, SLAB_DIR ": %s", strerror(errno));
	self->ready = true;
}

FIXTURE_TEARDOWN(slab_cache)
{
}

/* A merged cache is a symlink to the shared one, with aliases > 0. */
TEST_F(slab_cache, vr_vmar_is_not_merged)
{
	char buf[64];
	struct stat st;

	if (!self->ready)
		return;
	ASSERT_EQ(0, lstat(SLAB_DIR "/vr_vmar", &st)) TH_LOG("%s", strerror(errno));
	EXPECT_FALSE(S_ISLNK(st.st_mode));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_LT(0, vr_read_file(SLAB_DIR "/vr_vmar/aliases", buf, sizeof(buf)));
	EXPECT_STREQ("0\n", buf);
}

/* ---- an exiting task is not held at a pause point ---- */

FIXTURE(pause_exit) {
	bool ready;
	int fd;
	int pid;		/* the child's pproc */
	pid_t child;
	char mode[32], timeout[32];
};

FIXTURE_SETUP(pause_exit)
{
	self->fd = open(VMAR_RACE_DEVICE, O_RDWR);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "vmar_race is not loaded");
	ASSERT_LE(0, self->fd);
	if (access(VMAR_RACE_PAUSE, W_OK))
		SKIP(return, VMAR_RACE_PAUSE ": %s", strerror(errno));
	ASSERT_EQ(0, vr_pause_cmd("reset"));
	vr_param_read("mode", self->mode, sizeof(self->mode));
	vr_param_read("pause_timeout_ms", self->timeout, sizeof(self->timeout));
	ASSERT_NE(0, self->mode[0]);
	ASSERT_NE(0, self->timeout[0]);
	self->ready = true;
}

FIXTURE_TEARDOWN(pause_exit)
{
	int status;

	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, &status, 0);
	}
	if (self->ready) {
		vr_pause_cmd("reset");
		vr_param_write("pause_timeout_ms", self->timeout);
		vr_param_write("mode", self->mode);
	}
	if (self->pid > 0) {
		do_exit(self->fd, self->pid);	/* a zombie already, normally */
		reap(self->fd, self->pid);
	}
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * A child spawns a pproc and is killed; do_exit() closes its control file,
 * whose release exits the pproc and reaches "cleared" with PF_EXITING set.
 * It can no longer be killed, so it pauses 1 s at most, not the 20 s of
 * pause_timeout_ms.
 */
TEST_F_TIMEOUT(pause_exit, exiting_task_is_held_one_second_at_most, 60)
{
	char buf[1024];
	int sync[2], status;
	double t0, t;

	if (!self->ready)
		return;
	ASSERT_EQ(0, vr_param_write("mode", "fixed"));	/* reads zombies */
	ASSERT_EQ(0, pipe(sync));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		int fd, pid;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sync[0]);
		fd = open(VMAR_RACE_DEVICE, O_RDWR);
		pid = fd < 0 ? -errno : vr_ctl_spawn(fd, "exiting");
		if (write(sync[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		for (;;)
			pause();
	}
	close(sync[1]);
	ASSERT_EQ((ssize_t)sizeof(self->pid), read(sync[0], &self->pid, sizeof(self->pid)));
	close(sync[0]);
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(0, vr_param_write("pause_timeout_ms", "20000"));
	ASSERT_EQ(0, vr_pause_cmd("arm cleared %d", self->pid));
	t0 = vr_now();
	ASSERT_EQ(0, kill(self->child, SIGKILL));
	EXPECT_EQ(0, vr_pause_cmd("wait cleared %d 5000", self->pid));
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	t = vr_now() - t0;
	self->child = 0;
	TH_LOG("killed child reaped %.3f s after the kill", t);
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_GT(3.0, t);
	ASSERT_LT(0, vr_read_status(self->pid, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "State:\tZ (zombie)\n")) TH_LOG("%s", buf);
	EXPECT_EQ(0, reap(self->fd, self->pid));
	self->pid = 0;
}

/* ---- closing many pprocs, unloading many zombies yield the CPU ---- */

#define YIELD_PROCS	15000

/* A thread that sleeps 1 ms at a time and records its longest gap. */
struct probe {
	atomic_int stop;
	double max_gap;
	long wakeups;
};

static void *probe_fn(void *arg)
{
	struct timespec ms = { 0, 1000000 };
	struct probe *p = arg;
	double prev = vr_now(), t;

	while (!p->stop) {
		nanosleep(&ms, NULL);
		t = vr_now();
		if (t - prev > p->max_gap)
			p->max_gap = t - prev;
		prev = t;
		p->wakeups++;
	}
	return NULL;
}

static void probe_stop(struct probe *p, pthread_t tid)
{
	p->stop = 1;
	pthread_join(tid, NULL);
}

/* Start the probe on the CPUs in cpus: 0 or an error number. */
static int probe_start(struct probe *p, pthread_t *tid, const cpu_set_t *cpus)
{
	int ret;

	ret = pthread_create(tid, NULL, probe_fn, p);
	if (ret)
		return ret;
	ret = pthread_setaffinity_np(*tid, sizeof(*cpus), cpus);
	if (ret)
		probe_stop(p, *tid);
	else
		usleep(50000);
	return ret;
}

static bool fs_mounted(void)
{
	struct statfs st;

	return !statfs(VMAR_RACE_PROC_ROOT, &st) && st.f_type == VMAR_RACE_FS_MAGIC;
}

/* Load MODULE_KO with mode=mode: 0 or -errno. */
/*
 * Every parameter as it is now, "name=value ...", for the reload (max_procs
 * is restored after it by the teardown).
 */
static void params_snapshot(char *buf, size_t size)
{
	DIR *d = opendir(VMAR_RACE_PARAMS);
	struct dirent *e;
	size_t len = 0;
	char val[64];

	buf[0] = '\0';
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "max_procs"))
			continue;
		vr_param_read(e->d_name, val, sizeof(val));
		if (val[0] && len < size)
			len += snprintf(buf + len, size - len, "%s%s=%s", len ? " " : "",
					e->d_name, val);
	}
	if (d)
		closedir(d);
}

static int module_load(const char *params)
{
	int fd, ret = 0;

	fd = open(MODULE_KO, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		ret = -errno;
	close(fd);
	return ret;
}

FIXTURE(yield) {
	bool ready;
	int fd;
	int *pids;
	int n;			/* spawned, reaped ones zeroed */
	char max_procs[32];
	char mode[32];
	char params[512];
};

FIXTURE_SETUP(yield)
{
	char buf[128];
	int ret;

	self->fd = open(VMAR_RACE_DEVICE, O_RDWR);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "vmar_race is not loaded");
	ASSERT_LE(0, self->fd);
	ret = vr_read_file(PREEMPT_FILE, buf, sizeof(buf));
	if (ret < 0)
		SKIP(return, PREEMPT_FILE ": %s", strerror(-ret));
	buf[strcspn(buf, "\n")] = '\0';
	if (!strstr(buf, "(none)"))
		SKIP(return, "preempt model \"%s\", not none", buf);
	self->pids = calloc(YIELD_PROCS, sizeof(*self->pids));
	ASSERT_NE(NULL, self->pids);
	vr_param_read("max_procs", self->max_procs, sizeof(self->max_procs));
	vr_param_read("mode", self->mode, sizeof(self->mode));
	ASSERT_NE(0, self->max_procs[0]);
	ASSERT_NE(0, self->mode[0]);
	params_snapshot(self->params, sizeof(self->params));
	ASSERT_EQ(0, vr_param_write("max_procs", "20000"));
	self->ready = true;
}

/*
 * Leaves the module loaded (again, with the saved mode, if a test unloaded
 * it and did not load it back) and mounted, and max_procs as it was: a
 * fresh load has the default.
 */
FIXTURE_TEARDOWN(yield)
{
	int i, fd, ret;

	if (self->fd >= 0)
		close(self->fd);	/* exits what still runs */
	if (!self->ready)
		return;
	if (access(MODULE_DIR, F_OK)) {
		ret = module_load(self->params);
		EXPECT_EQ(0, ret) TH_LOG("reload: %s", strerror(-ret));
	}
	ret = vr_mount();
	EXPECT_EQ(0, ret) TH_LOG("mount: %s", strerror(-ret));
	fd = open(VMAR_RACE_DEVICE, O_RDWR);
	for (i = 0; fd >= 0 && i < self->n; i++)
		if (self->pids[i] > 0)
			reap(fd, self->pids[i]);
	if (fd >= 0)
		close(fd);
	vr_param_write("max_procs", self->max_procs);
	free(self->pids);
}

/*
 * This thread and a probe share CPU 0; the close of a control file with
 * 15000 pprocs exits them all in this thread. With cond_resched() per
 * pproc the probe still wakes up: its longest gap is under a fifth of the
 * close (under TCG the host's load stretches both alike); without, the
 * gap is the whole close.
 */
TEST_F_TIMEOUT(yield, close_of_many_pprocs_lets_others_run, 600)
{
	struct probe p = { 0 };
	int i, fd, pid = 0, failed = 0;
	double t_close;
	cpu_set_t cpu0;
	pthread_t tid;

	if (!self->ready)
		return;
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu0), &cpu0));
	for (self->n = 0; self->n < YIELD_PROCS; self->n++) {
		pid = vr_ctl_spawn(self->fd, "yield");
		if (pid < 0)
			break;
		self->pids[self->n] = pid;
	}
	ASSERT_EQ(YIELD_PROCS, self->n) TH_LOG("spawn: %s", strerror(-pid));

	i = probe_start(&p, &tid, &cpu0);
	ASSERT_EQ(0, i) TH_LOG("probe: %s", strerror(i));
	t_close = vr_now();
	close(self->fd);	/* exits all of them, here */
	t_close = vr_now() - t_close;
	self->fd = -1;
	probe_stop(&p, tid);

	fd = open(VMAR_RACE_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	for (i = 0; i < self->n; i++) {
		if (reap(fd, self->pids[i]))
			failed++;
		else
			self->pids[i] = 0;
	}
	close(fd);
	TH_LOG("close of %d pprocs: %.0f ms; probe: %ld wakeups, longest gap %.1f ms",
	       self->n, t_close * 1e3, p.wakeups, p.max_gap * 1e3);
	ASSERT_EQ(0, failed);
	if (t_close < 0.5)
		SKIP(return, "too fast to tell: close took %.0f ms", t_close * 1e3);
	EXPECT_GT(t_close / 5, p.max_gap);
}

/*
 * 15000 zombies survive the close of their control file; rmmod exits and
 * reaps each of them (vr_registry_exit()) in this thread, which shares CPU
 * 0 with the probe. With cond_resched() per pproc the probe still wakes up:
 * its longest gap is under a fifth of the unload. The module is loaded
 * again from MODULE_KO, with the parameters it had, and mounted.
 */
TEST_F_TIMEOUT(yield, unload_of_many_zombies_lets_others_run, 600)
{
	struct probe p = { 0 };
	int i, ret, pid = 0, failed = 0, tries = 0;
	double t0, t, t_unload = 0;
	cpu_set_t cpu0;
	pthread_t tid;

	if (!self->ready)
		return;
	if (access(MODULE_KO, R_OK))
		SKIP(return, MODULE_KO ": %s, cannot load it again", strerror(errno));
	for (self->n = 0; self->n < YIELD_PROCS; self->n++) {
		pid = vr_ctl_spawn(self->fd, "zombie");
		if (pid < 0)
			break;
		self->pids[self->n] = pid;
	}
	ASSERT_EQ(YIELD_PROCS, self->n) TH_LOG("spawn: %s", strerror(-pid));
	for (i = 0; i < self->n; i++)
		if (do_exit(self->fd, self->pids[i]))
			failed++;
	ASSERT_EQ(0, failed);
	close(self->fd);	/* zombies stay */
	self->fd = -1;
	ASSERT_LE(YIELD_PROCS, vr_stat("zombie"));
	for (i = 0; i < 8 && fs_mounted(); i++) {	/* it may be stacked */
		ret = umount2(VMAR_RACE_PROC_ROOT, 0) ? -errno : 0;
		ASSERT_EQ(0, ret) TH_LOG("umount: %s", strerror(-ret));
	}
	ASSERT_FALSE(fs_mounted());

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu0), &cpu0));
	ret = probe_start(&p, &tid, &cpu0);
	ASSERT_EQ(0, ret) TH_LOG("probe: %s", strerror(ret));
	t0 = vr_now();
	for (;;) {		/* a reference may take a moment to go */
		tries++;
		t = vr_now();
		ret = syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK) ? -errno : 0;
		t_unload = vr_now() - t;
		if ((ret != -EAGAIN && ret != -EBUSY) || vr_now() - t0 > 5.0)
			break;
		usleep(100000);
	}
	probe_stop(&p, tid);
	if (!ret)
		self->n = 0;	/* reaped by the unload */
	TH_LOG("unload with %d zombies: %.0f ms (try %d); probe: %ld wakeups, longest gap %.1f ms",
	       YIELD_PROCS, t_unload * 1e3, tries, p.wakeups, p.max_gap * 1e3);
	ASSERT_EQ(0, ret) TH_LOG("delete_module: %s", strerror(-ret));

	ret = module_load(self->params);
	ASSERT_EQ(0, ret) TH_LOG("load %s %s: %s", MODULE_KO, self->params, strerror(-ret));
	ret = vr_mount();
	ASSERT_EQ(0, ret) TH_LOG("mount: %s", strerror(-ret));
	ASSERT_EQ(0, vr_stat("live"));
	ASSERT_EQ(0, vr_stat("zombie"));
	if (t_unload < 0.5)
		SKIP(return, "too fast to tell: unload took %.0f ms", t_unload * 1e3);
	EXPECT_GT(t_unload / 5, p.max_gap);
}

TEST_HARNESS_MAIN
